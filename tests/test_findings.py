"""Key numbers and report tables: computed from the tables, and escaped so a source's text
cannot become markup, a shortcode or a cross reference."""

from __future__ import annotations

import pandas as pd
import pypandoc
import pytest

from helpers.codebook import book as codebook_mod
from helpers.engine import catalogue, escape
from helpers.framing.claims import load_framing_codebook
from helpers.report import corpus, findings, markdown, wording
from helpers.report import tables as report_tables

HOSTILE = "<script>alert(1)</script> | {{< include /etc/passwd >}} @fig-x *bold* [link](x)"


@pytest.fixture(scope="module")
def codebook():
    return codebook_mod.load_codebook(catalogue.path("codebook"))


def test_escaped_text_renders_as_the_same_text_in_html_and_typst():
    table = markdown.markdown_table(
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
    assert markdown.md_escape(None) == "" and markdown.md_escape(float("nan")) == ""
    assert markdown.md_escape("a\n  b") == "a b"


def _tables() -> dict[str, pd.DataFrame]:
    ties = pd.DataFrame(
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
            "n_codings": [2, 1, 1, 1, 1],
            "n_sources": [2, 1, 1, 1, 1],
            "source_ids": ["a;b", "a", "a", "b", "a"],
            "n_priority_sources": [2, 0, 1, 1, 1],
            "n_negating_sources": [0, 0, 0, 0, 0],
            "n_misattributing_sources": [0, 0, 0, 0, 0],
            "agreement": ["corroborated"] + ["single_source"] * 4,
            "sentence_ids": ["a:p01:s01;b:p01:s01"] + ["a:p01:s01"] * 4,
        }
    )
    codings = pd.DataFrame({"status": ["auto", "auto", "rejected", "added", "auto", "auto"]})
    claims = pd.DataFrame(
        {
            "source_id": ["a", "a", "b"],
            "actor": ["china", "china", "china"],
            "direction": ["actor_ahead", "unclear", "unclear"],
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
            "article_source_id": ["a", "a", "a"],
            "reference_source_id": ["x", "x", "x"],
            "article_evidence": ["e1", "e2", "e3"],
            "fact_text": ["f1", "f2", "f3"],
        }
    )
    sources = pd.DataFrame(
        {
            "source_id": ["a", "b", "x"],
            "outlet": ["O1", "O2", "O1"],
            "author_outlet": ["O1", "O2", "O1"],
            "original_outlet": [None, None, None],
            "date": ["2025-01", "2026-03-05", "2025-01-27"],
            "period": ["2025", "2026-2030", "2025"],
            "language": ["en", "zh", "en"],
            "kind": ["secondary", "primary", "reference"],
            "n_paragraphs": [9, 3, 0],
        }
    )
    selection = sources[["source_id", "period"]].assign(selected=True)
    tie_sources = (
        ties.assign(source_id=ties["source_ids"].str.split(";"))
        .explode("source_id")[["place_id", "place_level", "sector_id", "source_id", "relation"]]
        .reset_index(drop=True)
    )
    return {
        "sources": sources,
        "selection": selection,
        "sentences": pd.DataFrame({"x": range(20)}),
        "corrections_applied": pd.DataFrame({"action": ["repair", "repair", "keep"]}),
        "mentions": pd.DataFrame({"x": range(40)}),
        "codings": codings,
        "ties": ties,
        "tie_sources": tie_sources,
        "framing_claims": claims,
        "reference_codings": pd.DataFrame(
            {"fact_id": ["X1", "X1", "X2"], "place_id": ["a", "b", None]}
        ),
        "triangulation": tri,
    }


def test_key_numbers_come_from_the_tables(codebook):
    book = load_framing_codebook(catalogue.path("framing_codebook"))
    found = findings.key_numbers(_tables(), codebook, book)
    numbers, titles = found["numbers"], found["titles"]
    assert numbers["n_provinces_with_priority"] == 3
    assert numbers["n_priority_ties"] == 3
    assert numbers["n_achievement_ties"] == 1 and numbers["n_region_ties"] == 1
    assert numbers["top_sectors"] == "Semiconductors" and numbers["top_sector_provinces"] == 2
    assert numbers["top_places"] == "Anhui, Beijing and Shanghai"
    assert numbers["top_places_phrase"] == (
        "Anhui, Beijing and Shanghai name the most sectors as priorities (1 each)"
    )
    assert numbers["top_sectors_phrase"] == (
        "Semiconductors is the sector most provinces name as a priority (2)"
    )
    assert numbers["single_province_bets"] == "Nuclear fusion (Anhui)"
    assert numbers["n_codings"] == 5 and numbers["n_adjudicated"] == 2
    assert numbers["n_comparative_claims"] == 2 and numbers["n_hedged_comparative"] == 1
    assert numbers["comparators"] == "Europe and the United States"
    assert numbers["tri_agrees"] == 2 and numbers["tri_misattributed"] == 1
    assert "Anhui where the reference names Sichuan" in numbers["misattributions"]
    assert numbers["n_reference_facts"] == 2 and numbers["n_paragraphs"] == 12
    assert numbers["codebook_places"] == numbers["codebook_mainland"] + numbers["codebook_sars"]
    # the corpus, from the sources table
    assert numbers["coverage"] == "all 3 sources of the manifest, periods 2025 and 2026–30"
    assert numbers["kinds"] == "1 primary source, 1 secondary source and 1 reference source"
    assert numbers["languages"] == "English (1) and Chinese (1)"
    assert numbers["source_line"] == "3 sources, 2025–30; listed in the appendix"
    assert numbers["triangulation_source_line"] == (
        "1 retelling checked against 1 reference; listed in the appendix"
    )
    assert numbers["n_corroborated_ties"] == 1 and numbers["max_sources_per_tie"] == 2
    assert "1 tie is attested by two or more sources" in numbers["agreement_sentence"]
    assert "2 texts" in numbers["limit_sources"] and "Chinese" in numbers["limit_language"]
    # chart titles state the same values as the prose
    assert titles["priority_matrix"].startswith(numbers["top_places_phrase"])
    assert titles["tile_map"] == numbers["top_places_phrase"]
    assert titles["sector_breadth"] == numbers["top_sectors_phrase"]
    assert titles["triangulation"] == "The retelling agrees with its reference on 2 of 3 ties"
    # by period: a's 2025 priorities (Shanghai, Anhui) and b's 2026-30 one (Beijing); the
    # semiconductor tie is a's and b's, so Semiconductors leads both periods
    assert numbers["periods_phrase"] == (
        "By period, the most provinces name Nuclear fusion and Semiconductors in 2025 (1) and "
        "Semiconductors in 2026–30 (2)"
    )
    assert numbers["framing_outlets_phrase"] == (
        "1 outlet compares China with the United States, 1 outlet with Europe"
    )


def test_one_text_reads_as_one_text(codebook):
    """With one text no sentence speaks of texts in the plural or of agreement between them."""
    book = load_framing_codebook(catalogue.path("framing_codebook"))
    tables = _tables()
    keep = {"a", "x"}
    tables["sources"] = tables["sources"][tables["sources"]["source_id"].isin(keep)]
    tables["selection"] = tables["selection"].assign(
        selected=tables["selection"]["source_id"].isin(keep)
    )
    tables["framing_claims"] = tables["framing_claims"][
        tables["framing_claims"]["source_id"] == "a"
    ]
    # the compare stage counts the ties of the covered sources only: one text, one source each
    tables["ties"] = tables["ties"].assign(n_sources=1, agreement="single_source")
    numbers = findings.key_numbers(tables, codebook, book)["numbers"]
    assert numbers["coverage"] == "2 of the manifest's 3 sources, period 2025 (of 2025 and 2026–30)"
    assert numbers["texts_tie"] == "The text ties"
    assert numbers["framing_makes"] == "The text makes"
    assert "one text" in numbers["limit_sources"]
    assert "none is corroborated" in numbers["agreement_sentence"]
    assert numbers["corpus_sentence"].endswith("The text is in English.")


def test_covered_keeps_only_the_selected_sources():
    tables = {
        "selection": pd.DataFrame(
            {"source_id": ["a", "b"], "period": ["2025", "2026"], "selected": [True, False]}
        ),
        "sources": pd.DataFrame({"source_id": ["a", "b"]}),
        "codings": pd.DataFrame({"source_id": ["a", "b", "b"]}),
        "ties": pd.DataFrame({"place_id": ["x"]}),
    }
    out = findings.covered(tables)
    assert out["sources"]["source_id"].tolist() == ["a"]
    assert out["codings"]["source_id"].tolist() == ["a"]
    assert out["ties"] is tables["ties"]


def test_period_labels_and_source_urls_as_links():
    assert wording.period_label("2025") == "2025"
    assert wording.period_label("2026-2030") == "2026–30"
    assert wording.period_label("1999-2001") == "1999–2001"
    link = escape.markdown_link("https://a.org/x_(y)|z", "https://a.org/x_(y)|z")
    assert link == "[https\\:\\/\\/a\\.org\\/x\\_\\(y\\)\\|z](https://a.org/x_%28y%29%7Cz)"
    assert escape.markdown_cell(link) == link  # written once, not escaped again
    assert escape.markdown_link("javascript:alert(1)", "javascript:alert(1)") == (
        "javascript\\:alert\\(1\\)"
    )
    assert "\u200b" not in markdown.markdown_table(
        pd.DataFrame({"id": ["morningexpress-2025-01"]}), {"id": "Id"}
    )


def test_the_retellings_sentence_reads_for_none_one_or_several(codebook):
    book = load_framing_codebook(catalogue.path("framing_codebook"))
    tables = _tables()
    one = findings.key_numbers(tables, codebook, book)["numbers"]["triangulation_sentence"]
    assert one.startswith("One retelling is checked against its reference.")
    assert "it agrees with its reference on 2, omits 0, adds 0 and misattributes 1:" in one
    tables["triangulation"] = tables["triangulation"].assign(article_source_id=["a", "b", "b"])
    two = findings.key_numbers(tables, codebook, book)["numbers"]["triangulation_sentence"]
    assert two.startswith("2 retellings are each checked against their reference.")
    assert "together they agree with their references on 2" in two
    tables["triangulation"] = tables["triangulation"].iloc[0:0]
    none = findings.key_numbers(tables, codebook, book)["numbers"]["triangulation_sentence"]
    assert none == "No text in this corpus retells a reference source, so none is checked."


@pytest.mark.parametrize(
    "n, expected",
    [
        (1, "the one source of the manifest"),
        (2, "both sources of the manifest"),
        (3, "all 3 sources of the manifest"),
    ],
)
def test_coverage_counts_the_sources_in_words_a_reader_expects(n, expected):
    sources = pd.DataFrame(
        {
            "source_id": ["a", "b", "c"][:n],
            "outlet": ["O"] * n,
            "author_outlet": ["O"] * n,
            "original_outlet": [None] * n,
            "date": ["2025-01"] * n,
            "period": ["2025"] * n,
            "language": ["en"] * n,
            "kind": ["secondary"] * n,
            "n_paragraphs": [1] * n,
        }
    )
    found = corpus.corpus_numbers(sources, sources[["source_id", "period"]].assign(selected=True))
    assert found["coverage"] == f"{expected}, period 2025"


def test_a_cut_table_keeps_whole_groups_says_its_rule_and_links_the_full_table():
    # 12 places of 4 ties each: 48 rows, more than a table shows
    df = pd.DataFrame(
        {"place_id": [f"p{i:02d}" for i in range(12) for _ in range(4)], "n": range(48)}
    )
    shown, note = markdown.top_rows(
        df, "ties", "ties", rule="by sources", group="place_id", unit="place"
    )
    assert len(shown) == 40 and shown["place_id"].value_counts().eq(4).all()
    df.loc[df["place_id"] == "p00", "place_id"] = "p01"  # the first place now has 8 ties
    df = df.sort_values("place_id", kind="stable")
    shown, note = markdown.top_rows(
        df, "ties", "ties", rule="by sources", group="place_id", unit="place"
    )
    assert len(shown) == 40 and set(df["place_id"]) - set(shown["place_id"]) == {"p10", "p11"}
    assert "Shown: the first 40 of 48 ties, by sources, every place whole" in note.replace("\\", "")
    assert "(9 places of 11). All are in [" in note.replace("\\", "")
    assert "](data/ties.csv)" in note
    uncut, none = markdown.top_rows(df.head(40), "ties", "ties", rule="r", group="place_id")
    assert none == "" and len(uncut) == 40


# -- the seed, built: each finding a reviewer checks, against the data ------------------------


@pytest.fixture(scope="module")
def seed(tmp_path_factory):
    """The seed built by the runner in a copy of the project: its tables, manifest and the
    report's generated numbers and tables."""
    import os
    import subprocess
    import sys

    import yaml

    from tools.projects import copy_project

    project = copy_project(tmp_path_factory.mktemp("seed"))
    env = {**os.environ, "PYTHONPATH": str(project / "src"), "SOURCE_DATE_EPOCH": "1738000000"}
    run = subprocess.run(
        [sys.executable, "-m", "helpers.engine.pipeline"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    processed, generated = project / "data/processed", project / "report/_generated"
    return {
        "tables": {p.stem: pd.read_parquet(p) for p in processed.glob("*.parquet")},
        "manifest": yaml.safe_load((project / "data/raw/manifest.yaml").read_text("utf-8")),
        "numbers": yaml.safe_load((generated / "numbers.yml").read_text("utf-8")),
        "md": {p.stem: p.read_text("utf-8") for p in (generated / "tables").glob("*.md")},
    }


def _retellings(seed) -> list[dict]:
    return [s for s in seed["manifest"]["sources"] if s.get("retells")]


@pytest.mark.slow
def test_seed_a_region_is_not_its_members(seed):
    """No province gets a tie from a region it merely belongs to: every province tie of a
    retelling is one its text names (Jiangsu, a member of the Yangtze River Delta the seed
    names, has none); the vehicles sector is named by the retelling's provinces and regions
    apart, and the report's key numbers count both levels as the tables do."""
    ties, by_source = seed["tables"]["ties"], seed["tables"]["tie_sources"]
    assert "jiangsu" not in set(ties["place_id"]) | set(by_source["place_id"])
    (retelling,) = _retellings(seed)
    told = by_source[(by_source["source_id"] == retelling["id"]) & ~by_source["from_reference"]]
    vehicles = told[told["sector_id"] == "vehicles"].groupby("place_level")["place_id"]
    assert vehicles.nunique().to_dict() == {"province": 2, "region": 2}
    numbers = seed["numbers"]["numbers"]
    assert numbers["n_region_ties"] == int((ties["place_level"] == "region").sum())


@pytest.mark.slow
def test_seed_omissions_and_the_one_misattribution(seed):
    """The retelling omits the Sichuan-Chongqing vehicles fact and Sichuan's brain-computer
    interfaces, misattributes exactly one fact, and the report lists each omission with the
    fact's text and states the counts of the triangulation table."""
    tri, facts = seed["tables"]["triangulation"], seed["tables"]["reference_codings"]
    omitted = tri[tri["class"] == "omitted_by_article"]
    vehicle_facts = facts.loc[facts["sector_id"] == "vehicles", "fact_id"]
    circle = {
        f
        for f, g in facts[facts["fact_id"].isin(vehicle_facts)].groupby("fact_id")["place_id"]
        if {"sichuan", "chongqing"} <= set(g)
    }
    assert circle and set(omitted["fact_id"]) >= circle
    assert {"sichuan", "chongqing"} <= set(
        omitted.loc[omitted["fact_id"].isin(circle), "reference_place_id"]
    )
    bci = omitted[omitted["sector_id"] == "brain-computer-interfaces"]
    assert set(bci["reference_place_id"]) == {"sichuan"}
    assert (tri["class"] == "misattributed").sum() == 1
    numbers = seed["numbers"]["numbers"]
    assert numbers["tri_misattributed"] == 1
    assert numbers["tri_omitted_by_article"] == len(omitted)
    for text in omitted["fact_text"]:
        assert markdown.md_escape(text) in seed["md"]["discrepancies"]


@pytest.mark.slow
def test_seed_framing_is_credited_to_its_author_with_the_chain(seed):
    """The framing is the original author's (the manifest's ``original``), and the sources
    table and the framing figure's caption name the chain that brought the text here."""
    sources, claims = seed["tables"]["sources"], seed["tables"]["framing_claims"]
    (retelling,) = _retellings(seed)
    author = retelling["original"]["outlet"]
    assert set(claims["source_id"]) == {retelling["id"]}
    assert sources.set_index("source_id").loc[retelling["id"], "author_outlet"] == author
    row = sources[sources["source_id"] == retelling["id"]]
    (chain,) = corpus.source_chains(row)
    assert chain.startswith(author) and all(step["outlet"] in chain for step in retelling["via"])
    assert markdown.md_escape(chain) in seed["md"]["sources"]
    assert chain in seed["numbers"]["captions"]["framing"].replace("\\", "")


@pytest.mark.slow
def test_seed_a_ranking_is_kept_in_the_framing_table(seed, codebook):
    """'A gap with the United States and above all with Europe' is coded as a ranking, and
    the framing table shows it as one."""
    claims = seed["tables"]["framing_claims"]
    ranked = claims[claims["ranking"].fillna("") != ""]
    assert len(ranked) >= 1
    book = load_framing_codebook(catalogue.path("framing_codebook"))
    for row in ranked.itertuples():
        assert row.ranking.split(";")[0] in row.comparators.split(";")
        cell = report_tables._compared_with(book, row.comparators, row.ranking)
        assert "above all" in cell
        assert markdown.md_escape(cell) in seed["md"]["framing"]
    assert "europe" in {r.split(";")[0] for r in ranked["ranking"]}


# -- English number agreement: the prose for one, two and many ---------------------------------


def test_nouns_and_verbs_agree_with_their_number():
    assert [wording.plural(n, "source") for n in (0, 1, 2)] == [
        "0 sources",
        "1 source",
        "2 sources",
    ]
    assert wording.plural(3, "province-sector priority") == "3 province-sector priorities"
    assert wording.plural(2, "match") == "2 matches" and wording.noun(2, "its") == "their"
    assert [wording.counted(n, "text", "names") for n in (1, 2)] == ["1 text names", "2 texts name"]
    assert [wording.counted(n, "tie", "is") for n in (1, 5)] == ["1 tie is", "5 ties are"]
    assert [wording.verb(2, v) for v in ("misattributes", "omits", "has", "ties", "carries")] == [
        "misattribute",
        "omit",
        "have",
        "tie",
        "carry",
    ]
    assert [wording.whole(n, "source") for n in (1, 2, 4)] == [
        "the one source",
        "both sources",
        "all 4 sources",
    ]


def _corpus_of(n_texts: int, periods: list[str], languages: list[str]) -> pd.DataFrame:
    """``n_texts`` secondary sources (periods and languages cycled) and one reference."""
    rows = [
        {
            "source_id": f"t{i}",
            "outlet": f"O{i}",
            "date": "2025-01",
            "period": periods[i % len(periods)],
            "language": languages[i % len(languages)],
            "kind": "secondary",
        }
        for i in range(n_texts)
    ]
    rows.append({**rows[0], "source_id": "ref", "kind": "reference", "outlet": "R"})
    return pd.DataFrame(rows)


# A count of one before a plural noun ("1 texts", "1 retellings name") is the slip this guards.
_ONE_BEFORE_PLURAL = r"\b1 (texts|sources|retellings|periods|outlets|references|ties)\b"


@pytest.mark.parametrize("n", [1, 2, 5])
def test_the_prose_agrees_for_one_two_and_many_sources_retellings_and_periods(n):
    import re

    periods = ["2025", "2026-2030", "2021-2025"][:n]
    sources = _corpus_of(n, periods, ["en", "zh"][: min(n, 2)])
    found = corpus.corpus_numbers(sources, sources[["source_id", "period"]].assign(selected=True))
    counts = {"n_reference_facts": 3, "n_corroborated_ties": n - 1, "n_single_source_ties": 2}
    counts |= {"n_ties": 4, "n_framing_sources": min(n, 2)}
    said = corpus.corpus_sentences(found, counts)
    tri = {f"tri_{c}": 1 for c in ("agrees", "omitted_by_article", "added_by_article")}
    tri |= {"n_retellings": n, "tri_misattributed": 0, "tri_unconfirmed": n}
    retold = findings._triangulation_sentence(tri)
    prose = " ".join([*said.values(), found["coverage"], retold])
    assert not re.search(_ONE_BEFORE_PLURAL, prose), prose
    period_word = "period" if len(set(periods)) == 1 else "periods"
    assert f"{period_word} {found['periods']}" in found["coverage"]
    if n == 1:
        assert said["texts_tie"] == "The text ties" and "The text is in English." in prose
        assert "One retelling is checked against its reference" in retold
        assert "it agrees with its reference on 1, omits 1, adds 1 and misattributes 0" in retold
        assert "1 more tie meets only facts" in retold
    else:
        assert said["texts_tie"] == "The texts tie"
        assert f"{n} retellings are each checked against their reference" in retold
        assert "they agree with their references on 1, omit 1, add 1 and misattribute 0" in retold
        assert f"{n} more ties meet only facts" in retold
        assert said["framing_makes"] == f"2 of the {n} texts make"
        assert f"The {n} texts are in English ({n - n // 2}) and Chinese ({n // 2})." in prose


@pytest.mark.slow
def test_seed_places_only_the_reference_names_are_drawn_and_marked(seed):
    """Sichuan and Chongqing, named only by the Xinhua facts, are in the matrix and the tile
    map, and the captions mark exactly the places whose every tie is the reference's."""
    from helpers.figures.tables import REFERENCE_ONLY_NOTE, reference_only

    by_source = seed["tables"]["tie_sources"]
    only = reference_only(by_source)
    assert {"sichuan", "chongqing"} <= only
    assert not only & set(by_source.loc[~by_source["from_reference"], "place_id"])
    assert only <= set(seed["tables"]["ties"]["place_id"])
    captions = {k: v.replace("\\", "") for k, v in seed["numbers"]["captions"].items()}
    for figure in ("priority_matrix", "tile_map"):
        marked = captions[figure].split(" Marked ")[1].split(":")[0]
        assert REFERENCE_ONLY_NOTE.replace("\\", "") in captions[figure].replace("\n", " ")
        assert sorted(p.capitalize() for p in only) == sorted(
            marked.replace(" and ", ", ").split(", ")
        )


def test_a_place_is_reference_only_when_every_tie_of_it_is_the_references():
    from helpers.figures.tables import reference_only

    by_source = pd.DataFrame(
        {
            "place_id": ["a", "a", "b", "c"],
            "from_reference": [True, False, True, False],
        }
    )
    assert reference_only(by_source) == {"b"}
    assert reference_only(by_source.iloc[:0]) == set() and reference_only(None) == set()


def test_the_framing_table_names_the_pdf_page_of_its_evidence(codebook):
    """A claim from a PDF's sentence says the page it is on; one from a web page or text has
    no page."""
    book = load_framing_codebook(catalogue.path("framing_codebook"))
    claims = pd.DataFrame(
        {
            "claim_id": ["c1", "c2"],
            "source_id": ["plan", "news"],
            "sentence_id": ["plan:p03:s01", "news:p01:s01"],
            "dimension": [next(iter(book.dimensions))] * 2,
            "actor": [book.focal_actor] * 2,
            "comparators": ["", ""],
            "ranking": ["", ""],
            "direction": ["unclear", "unclear"],
            "hedged": [False, True],
            "evidence": ["A sentence of the plan.", "A sentence of the news."],
        }
    )
    sentences = pd.DataFrame(
        {"sentence_id": ["plan:p03:s01", "news:p01:s01"], "page": pd.array([7, None], "Int64")}
    )
    table = report_tables._framing(claims, sentences, book)
    assert markdown.md_escape("plan:p03:s01 (PDF page 7)") in table
    assert "news:p01:s01" in table.replace("\\", "")
    assert table.count("PDF page") == 1
