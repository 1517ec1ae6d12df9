"""Key numbers and report tables: computed from the tables, and escaped so a source's text
cannot become markup, a shortcode or a cross reference."""

from __future__ import annotations

import pandas as pd
import pypandoc
import pytest

from helpers import codebook as codebook_mod
from helpers import findings, paths
from helpers.framing import load_framing_codebook

HOSTILE = "<script>alert(1)</script> | {{< include /etc/passwd >}} @fig-x *bold* [link](x)"


@pytest.fixture(scope="module")
def codebook():
    return codebook_mod.load_codebook(paths.CODEBOOK)


def test_escaped_text_renders_as_the_same_text_in_html_and_typst():
    table = findings.markdown_table(
        pd.DataFrame({"evidence": [HOSTILE], "n": [3]}), {"evidence": "Evidence", "n": "N"}
    )
    html = " ".join(pypandoc.convert_text(table, "html", format="markdown").split())
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<strong>" not in html and "<a " not in html and "<em>" not in html
    assert "{{&lt; include /etc/passwd &gt;}}" in html and "@fig-x" in html
    assert html.count("<td") == 2  # the pipe stayed inside its cell
    typst = pypandoc.convert_text(table, "typst", format="markdown")
    assert "#strong" not in typst and "#link" not in typst


def test_missing_values_are_empty_cells():
    assert findings.md_escape(None) == "" and findings.md_escape(float("nan")) == ""
    assert findings.md_escape("a\n  b") == "a b"


def _tables() -> dict[str, pd.DataFrame]:
    matrix = pd.DataFrame(
        {
            "place_id": ["shanghai", "shanghai", "anhui", "beijing", "pearl-river-delta"],
            "place_level": ["province", "province", "province", "province", "region"],
            "sector_id": [
                "semiconductors",
                "robotics",
                "nuclear-fusion",
                "semiconductors",
                "vehicles",
            ],
            "relation": ["priority", "achievement", "priority", "priority", "priority"],
            "n_codings": [1, 1, 1, 1, 1],
            "n_sources": [1, 1, 1, 1, 1],
            "sentence_ids": ["s:p01:s01"] * 5,
        }
    )
    codings = pd.DataFrame({"status": ["auto", "auto", "rejected", "added", "auto", "auto"]})
    claims = pd.DataFrame(
        {
            "comparative": [True, True, False],
            "hedged": [True, False, True],
            "comparators": ["united-states;europe", "europe", None],
            "dimension": ["technology-gap", "policy-pace", "investment"],
        }
    )
    tri = pd.DataFrame(
        {
            "row_id": ["t1", "t2", "t3"],
            "class": ["agrees", "misattributed", "agrees"],
            "sector_id": ["semiconductors", "brain-computer-interfaces", "space"],
            "article_place_id": ["shanghai", "anhui", "anhui"],
            "reference_place_id": ["shanghai", "sichuan", "anhui"],
            "article_evidence": ["e1", "e2", "e3"],
            "fact_text": ["f1", "f2", "f3"],
        }
    )
    return {
        "sources": pd.DataFrame({"kind": ["secondary", "reference"], "n_paragraphs": [9, 0]}),
        "sentences": pd.DataFrame({"x": range(20)}),
        "corrections_applied": pd.DataFrame({"action": ["repair", "repair", "keep"]}),
        "mentions": pd.DataFrame({"x": range(40)}),
        "codings": codings,
        "priority_matrix": matrix,
        "framing_claims": claims,
        "reference_codings": pd.DataFrame(
            {"fact_id": ["X1", "X1", "X2"], "place_id": ["a", "b", None]}
        ),
        "triangulation": tri,
    }


def test_key_numbers_come_from_the_tables(codebook):
    book = load_framing_codebook(paths.FRAMING)
    numbers = findings.key_numbers(_tables(), codebook, book)["numbers"]
    assert numbers["n_provinces_with_priority"] == 3
    assert numbers["n_priority_ties"] == 3
    assert numbers["n_achievement_ties"] == 1 and numbers["n_region_ties"] == 1
    assert numbers["top_sectors"] == "Semiconductors" and numbers["top_sector_provinces"] == 2
    assert numbers["top_places"] == "Anhui, Beijing and Shanghai"
    assert numbers["top_places_phrase"] == (
        "Anhui, Beijing and Shanghai name the most sectors (1 each)"
    )
    assert numbers["top_sectors_phrase"] == "Semiconductors is the sector most provinces name (2)"
    assert numbers["n_codings"] == 5 and numbers["n_adjudicated"] == 2
    assert numbers["n_comparative_claims"] == 2 and numbers["n_hedged_comparative"] == 1
    assert numbers["comparators"] == "Europe and the United States"
    assert numbers["tri_agrees"] == 2 and numbers["tri_misattributed"] == 1
    assert "Anhui where the primary names Sichuan" in numbers["misattributions"]
    assert numbers["n_reference_facts"] == 2 and numbers["n_paragraphs"] == 9
    assert numbers["codebook_places"] == numbers["codebook_mainland"] + numbers["codebook_sars"]
