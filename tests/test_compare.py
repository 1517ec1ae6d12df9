"""Reference codings from the facts table, and triangulation: each class on small constructed
tables, then the seed against the primary source's facts."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pandas as pd
import pytest

from helpers import schemas
from helpers.codebook.book import load_codebook
from helpers.compare.reference import FACT_COLUMNS, reference_codings
from helpers.compare.triangulation import compare_sources, triangulate
from helpers.engine import catalogue
from helpers.engine.errors import InputError
from helpers.framing.claims import load_framing_codebook

FACTS = catalogue.path("raw") / "xinhua-2025-01-27.facts.csv"
HEADER = FACT_COLUMNS


@pytest.fixture(scope="module")
def cb():
    return load_codebook(catalogue.path("codebook"))


@pytest.fixture(scope="module")
def fcb():
    return load_framing_codebook(catalogue.path("framing_codebook"))


def facts_file(tmp_path: Path, rows: list[list[str]], header=HEADER) -> Path:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path = tmp_path / "facts.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def fact(fid, places, level, sector, commitment="A plan", relation="priority", confidence="high"):
    return [fid, places, level, sector, commitment, relation, confidence, "https://example.org"]


def coding(
    cid, place, sector, sentence="a:p01:s01", relation="priority", status="auto", level="province"
):
    return {
        "coding_id": cid,
        "source_id": "a",
        "paragraph_id": sentence.rsplit(":", 1)[0],
        "sentence_id": sentence,
        "start": 0,
        "end": 10,
        "evidence": f"{place} does {sector}.",
        "place_id": place,
        "place_level": level,
        "sector_id": sector,
        "technology_id": None,
        "relation": relation,
        "modality": "asserted",
        "rule_id": "r1",
        "via_region": None,
        "status": status,
        "adjudication_reason": None,
    }


def codings_df(*rows) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=list(schemas.CODINGS.columns))


def no_claims() -> pd.DataFrame:
    return pd.DataFrame(columns=list(schemas.FRAMING_CLAIMS.columns))


def claim(comparators="united-states;europe", comparative=True, dimension="technology-gap"):
    return pd.DataFrame(
        [
            {
                "claim_id": f"a:p02:s01:{dimension}",
                "source_id": "a",
                "paragraph_id": "a:p02",
                "sentence_id": "a:p02:s01",
                "start": 50,
                "end": 90,
                "evidence": "China leads.",
                "actor": "china",
                "comparators": comparators,
                "comparative": comparative,
                "dimension": dimension,
                "direction": "actor_ahead",
                "hedged": False,
                "hedge_terms": None,
                "evaluative_terms": None,
                "ranking": None,
            }
        ]
    )


def ref(tmp_path, cb, *rows):
    return reference_codings(facts_file(tmp_path, list(rows)), cb, "ref")


# -- reference_codings ---------------------------------------------------------------------------
def test_one_row_per_place_and_extra_sectors_from_commitment(tmp_path, cb):
    out = ref(
        tmp_path,
        cb,
        fact(
            "F1",
            "Hainan;Anhui",
            "province",
            "marine energy",
            "Offshore wind, with green hydrogen pilot projects",
        ),
    )
    assert out["reference_id"].tolist() == [
        "F1:hainan:marine-energy",
        "F1:hainan:hydrogen",
        "F1:anhui:marine-energy",
        "F1:anhui:hydrogen",
    ]
    schemas.REFERENCE_CODINGS.validate(out)


def test_general_and_empty_facts_keep_a_row(tmp_path, cb):
    out = ref(
        tmp_path,
        cb,
        fact("G1", "", "general", "artificial intelligence"),
        fact("G2", "", "general", "", "The plans come from work reports"),
        fact("R1", "Pearl River Delta", "region", "new energy vehicles"),
    )
    assert out[["reference_id", "place_id", "sector_id"]].astype(object).where(
        out.notna(), None
    ).values.tolist() == [
        ["G1:general:artificial-intelligence", None, "artificial-intelligence"],
        ["G2:general:none", None, None],
        ["R1:pearl-river-delta:vehicles", "pearl-river-delta", "vehicles"],
    ]


@pytest.mark.parametrize(
    "rows, header, problem",
    [
        (
            [fact("F1", "Shanghai", "province", "robotics")],
            HEADER[:-1],
            "missing column(s): 'urls'",
        ),
        ([fact("F1", "Atlantis", "province", "robotics")], HEADER, "unknown place name 'Atlantis'"),
        (
            [fact("F1", "Shanghai", "province", "time travel")],
            HEADER,
            "unknown sector label 'time travel'",
        ),
        (
            [fact("F1", "Shanghai", "province", "robotics", relation="wish")],
            HEADER,
            "fact 'F1' (row 2): unknown relation 'wish' (expected one of priority, context)",
        ),
        (
            [fact("F1", "Shanghai", "province", "robotics")[:6] + ["sure", "u"]],
            HEADER,
            "unknown confidence 'sure'",
        ),
        (
            [
                fact("F1", "Shanghai", "province", "robotics"),
                fact("F1", "Anhui", "province", "space"),
            ],
            HEADER,
            "duplicate fact_id 'F1' (also row 3)",
        ),
        ([fact("F1", "Pearl River Delta", "province", "robotics")], HEADER, "is a region"),
        ([fact("F1", "", "province", "robotics")], HEADER, "fact 'F1' (row 2): place_level"),
        # what the declared table newly refuses
        (
            [fact("F1", "Shanghai", "province", "robotics") + ["a note"]],
            [*HEADER, "note"],
            "unknown column(s): 'note'",
        ),
        (
            [
                fact("F1", "Shanghai", "province", "robotics"),
                fact(" ", "Anhui", "province", "space"),
            ],
            HEADER,
            ": row 3: fact_id is required",
        ),
        (
            [fact("F1", "Shanghai", "province", "robotics"), fact("F2", "Anhui", "city", "space")],
            HEADER,
            "fact 'F2' (row 3): unknown place_level 'city' (expected one of province, region, "
            "general)",
        ),
        (
            [fact("F1", "Shanghai", "province", "robotics")[:7]],
            HEADER,
            "row 2: 7 cells, but the header names 8 columns",
        ),
    ],
)
def test_bad_facts_stop_with_the_file_named(tmp_path, cb, rows, header, problem):
    path = facts_file(tmp_path, [r[: len(header)] for r in rows], header)
    with pytest.raises(InputError, match="facts.csv") as err:
        reference_codings(path, cb, "ref")
    assert problem in str(err.value) and "\n" not in str(err.value), str(err.value)


def test_a_fact_is_named_by_its_line_in_the_file(tmp_path, cb):
    """Blank lines and a quoted cell over two lines count, as in the researcher's editor."""
    path = facts_file(tmp_path, [fact("F1", "Shanghai", "province", "robotics", "two\nlines")])
    with path.open("a", encoding="utf-8") as fh:
        fh.write("\n" + ",".join(fact("F2", "Atlantis", "province", "space")) + "\n")
    with pytest.raises(InputError, match=re.escape("fact 'F2' (row 5): unknown place name")):
        reference_codings(path, cb, "ref")


# -- triangulate, class by class ------------------------------------------------------------------
def classes(df):
    return sorted(
        zip(
            df["class"],
            df["sector_id"].fillna("-"),
            df["article_place_id"].fillna("-"),
            df["reference_place_id"].fillna("-"),
            strict=True,
        )
    )


def test_agrees_added_omitted(tmp_path, cb, fcb):
    reference = ref(
        tmp_path,
        cb,
        fact("F1", "Beijing", "province", "artificial intelligence"),
        fact("F2", "Anhui", "province", "space"),
    )
    codings = codings_df(
        coding("c1", "beijing", "artificial-intelligence"), coding("c2", "hainan", "marine-energy")
    )
    out = triangulate(codings, no_claims(), reference, fcb)
    assert classes(out) == [
        ("added_by_article", "marine-energy", "hainan", "-"),
        ("agrees", "artificial-intelligence", "beijing", "beijing"),
        ("omitted_by_article", "space", "-", "anhui"),
    ]


def test_misattributed_same_sector_other_place(tmp_path, cb, fcb):
    reference = ref(
        tmp_path, cb, fact("F1", "Shanghai;Sichuan", "province", "brain-computer interfaces")
    )
    codings = codings_df(
        coding("c1", "shanghai", "brain-computer-interfaces"),
        coding("c2", "anhui", "brain-computer-interfaces"),
    )
    out = triangulate(codings, no_claims(), reference, fcb)
    assert classes(out) == [
        ("agrees", "brain-computer-interfaces", "shanghai", "shanghai"),
        ("misattributed", "brain-computer-interfaces", "anhui", "sichuan"),
        # the fact's own tie is missing from the retelling all the same (CODING.md §8)
        ("omitted_by_article", "brain-computer-interfaces", "-", "sichuan"),
    ]
    row = out[out["class"] == "misattributed"].iloc[0]
    assert row["fact_id"] == "F1" and row["article_sentence_id"] == "a:p01:s01"


def test_misattributed_pairs_one_to_one(tmp_path, cb, fcb):
    reference = ref(tmp_path, cb, fact("F1", "Sichuan;Chongqing", "province", "space"))
    codings = codings_df(coding("c1", "anhui", "space"))
    out = triangulate(codings, no_claims(), reference, fcb)
    assert classes(out) == [
        ("misattributed", "space", "anhui", "chongqing"),  # chongqing sorts first
        ("omitted_by_article", "space", "-", "chongqing"),
        ("omitted_by_article", "space", "-", "sichuan"),
    ]


def test_a_tie_outside_the_statement_that_retells_the_fact_is_added(tmp_path, cb, fcb):
    reference = ref(
        tmp_path, cb, fact("F1", "Shanghai;Sichuan", "province", "brain-computer interfaces")
    )
    codings = codings_df(
        coding("c1", "shanghai", "brain-computer-interfaces", sentence="a:p01:s01"),
        coding("c2", "anhui", "brain-computer-interfaces", sentence="a:p04:s02"),
    )
    out = triangulate(codings, no_claims(), reference, fcb)
    assert classes(out) == [
        ("added_by_article", "brain-computer-interfaces", "anhui", "-"),
        ("agrees", "brain-computer-interfaces", "shanghai", "shanghai"),
        ("omitted_by_article", "brain-computer-interfaces", "-", "sichuan"),
    ]


def test_another_sector_for_the_same_place_is_added_and_omitted(tmp_path, cb, fcb):
    """Misattribution is a fact's sector given to another place; another sector for the fact's
    place is a tie the retelling adds, and the fact one it omits."""
    reference = ref(tmp_path, cb, fact("F1", "Anhui", "province", "nuclear fusion"))
    codings = codings_df(coding("c1", "anhui", "hydrogen"))
    out = triangulate(codings, no_claims(), reference, fcb)
    assert classes(out) == [
        ("added_by_article", "hydrogen", "anhui", "-"),
        ("omitted_by_article", "nuclear-fusion", "-", "anhui"),
    ]


def test_a_fact_rebuilt_from_the_retelling_cannot_confirm_it(tmp_path, cb, fcb):
    reference = ref(tmp_path, cb, fact("F1", "Hainan", "province", "hydrogen", confidence="medium"))
    out = triangulate(codings_df(coding("c1", "hainan", "hydrogen")), no_claims(), reference, fcb)
    assert classes(out) == [("unconfirmed", "hydrogen", "hainan", "hainan")]


def test_rejected_codings_are_ignored(tmp_path, cb, fcb):
    reference = ref(tmp_path, cb, fact("F1", "Beijing", "province", "artificial intelligence"))
    codings = codings_df(coding("c1", "beijing", "artificial-intelligence", status="rejected"))
    out = triangulate(codings, no_claims(), reference, fcb)
    assert out["class"].tolist() == ["omitted_by_article"]


def test_every_coding_and_fact_of_a_shared_tie_appears(tmp_path, cb, fcb):
    reference = ref(
        tmp_path,
        cb,
        fact("F1", "Guangdong", "province", "new energy vehicles"),
        fact("F2", "Guangdong", "province", "intelligent connected vehicles"),
        fact("F3", "Guangdong", "province", "vehicles", relation="context"),
    )
    codings = codings_df(coding("c1", "guangdong", "vehicles"))
    out = triangulate(codings, no_claims(), reference, fcb)
    assert out["class"].unique().tolist() == ["agrees"]
    assert sorted(out["fact_id"]) == ["F1", "F2", "F3"]
    assert set(out["article_sentence_id"]) == {"a:p01:s01"}
    assert "relation differs" in out.loc[out["fact_id"] == "F3", "note"].iloc[0]


def test_not_coded_and_general_facts(tmp_path, cb, fcb):
    reference = ref(
        tmp_path,
        cb,
        fact("G1", "", "general", "", "Plans come from the work reports"),
        fact("G2", "", "general", "artificial intelligence"),
        fact("G3", "", "general", "space"),
    )
    codings = codings_df(coding("c1", "beijing", "artificial-intelligence"))
    out = triangulate(codings, no_claims(), reference, fcb)
    facts = out[out["fact_id"].notna()]
    assert dict(zip(facts["fact_id"], facts["class"], strict=True)) == {
        "G1": "not_coded",
        "G2": "agrees",
        "G3": "omitted_by_article",
    }
    assert "only to named places (beijing)" in out.loc[out["fact_id"] == "G2", "note"].iloc[0]
    # the article's own tie, which no reference fact has, keeps its own row
    assert out[out["fact_id"].isna()]["class"].tolist() == ["added_by_article"]


def test_general_fact_agrees_with_a_placeless_sentence(tmp_path, cb, fcb):
    reference = ref(tmp_path, cb, fact("G1", "", "general", "space"))
    mentions = pd.DataFrame(
        [
            {
                "mention_id": "a:p03:s01:m01",
                "source_id": "a",
                "paragraph_id": "a:p03",
                "sentence_id": "a:p03:s01",
                "start": 5,
                "end": 20,
                "text": "space industry",
                "entity_type": "sector",
                "entity_id": "space",
                "sector_id": "space",
                "in_parenthetical": False,
            }
        ],
        columns=list(schemas.MENTIONS.columns),
    )
    out = triangulate(codings_df(), no_claims(), reference, fcb, mentions=mentions)
    assert out["class"].tolist() == ["agrees"]
    assert out["article_sentence_id"].tolist() == ["a:p03:s01"]


def test_framing_only_in_article(tmp_path, cb, fcb):
    reference = ref(
        tmp_path,
        cb,
        fact(
            "F1",
            "Guangdong",
            "province",
            "new energy vehicles",
            "Consolidate the lead in NEVs, where China has an edge",
        ),
    )
    claims = pd.concat([claim(), claim(None, False, "investment")], ignore_index=True)
    out = triangulate(codings_df(), claims, reference, fcb)
    assert classes(out) == [
        ("framing_only_in_article", "-", "-", "-"),
        ("omitted_by_article", "vehicles", "-", "guangdong"),
    ]
    framing = out[out["class"] == "framing_only_in_article"].iloc[0]
    assert framing["article_sentence_id"] == "a:p02:s01" and pd.isna(framing["fact_id"])


FRAMED = [*HEADER, "framing_dimension", "framing_direction", "framing_comparators"]


def framed(tmp_path, cb, fcb, *rows) -> pd.DataFrame:
    """A reference whose facts carry their own framing (dimension, direction, rivals)."""
    return reference_codings(facts_file(tmp_path, list(rows), FRAMED), cb, "ref", fcb)


def framing_of(out: pd.DataFrame) -> list[tuple]:
    rows = out[out["class"].str.startswith("framing")]
    return sorted(zip(rows["class"], rows["fact_id"].fillna("-"), strict=True))


def test_a_claim_keeps_the_framing_of_the_reference_that_frames_it_alike(tmp_path, cb, fcb):
    reference = framed(
        tmp_path,
        cb,
        fcb,
        fact("F1", "", "general", "", "China leads the US and Europe")
        + ["technology-gap", "actor_ahead", "united-states; europe"],
    )
    out = triangulate(codings_df(), claim(), reference, fcb)
    assert framing_of(out) == [("framing_agrees", "F1")]


def test_a_claim_that_turns_the_direction_or_adds_rivals_changes_the_framing(tmp_path, cb, fcb):
    """Who is ahead differs, or the claim names rivals the reference does not: changed; a
    framing of the reference on a dimension no claim takes up is dropped."""
    behind = fact("F1", "", "general", "", "Chips are a bottleneck") + [
        "technology-gap",
        "comparator_ahead",
        "",
    ]
    edge = fact("F2", "", "general", "", "An edge in cars") + ["technology-gap", "actor_ahead", ""]
    pressure = fact("F3", "", "general", "", "Withstand external pressure") + [
        "supply-chains",
        "unclear",
        "",
    ]
    out = triangulate(codings_df(), claim(), framed(tmp_path, cb, fcb, behind, edge, pressure), fcb)
    assert framing_of(out) == [("framing_changed", "F1"), ("framing_only_in_reference", "F3")]
    changed = out[out["class"] == "framing_changed"].iloc[0]
    assert "China ahead of United States, Europe" in changed["note"]
    assert "F1: Technology gap or lead: China behind others" in changed["note"]
    assert "F2: Technology gap or lead: China ahead of others" in changed["note"]


@pytest.mark.parametrize(
    ("framing", "message"),
    [
        (["technology-gap", "", ""], "needs both framing_dimension and framing_direction"),
        (["no-such-dimension", "actor_ahead", ""], "unknown framing_dimension 'no-such-dimension'"),
        (["technology-gap", "actor_ahead", "mars"], "unknown framing comparator 'mars'"),
        (["", "", "europe"], "framing_comparators without a framing"),
    ],
)
def test_a_reference_framing_the_codebook_cannot_read_stops_in_one_line(
    tmp_path, cb, fcb, framing, message
):
    path = facts_file(tmp_path, [fact("F1", "", "general", "", "A claim") + framing], FRAMED)
    with pytest.raises(InputError, match=re.escape(message)) as failed:
        reference_codings(path, cb, "ref", fcb)
    assert "facts.csv" in str(failed.value) and "\n" not in str(failed.value)


def test_triangulation_is_deterministic(tmp_path, cb, fcb):
    reference = ref(
        tmp_path,
        cb,
        fact("F1", "Shanghai;Sichuan", "province", "space"),
        fact("F2", "Anhui", "province", "robotics"),
    )
    codings = codings_df(
        coding("c1", "anhui", "space"),
        coding("c2", "hainan", "robotics"),
        coding("c3", "shanghai", "space", sentence="a:p02:s01"),
    )
    a = triangulate(codings, no_claims(), reference, fcb)
    b = triangulate(codings.iloc[::-1], no_claims(), reference.iloc[::-1], fcb)
    pd.testing.assert_frame_equal(a, b)
    assert len(a) >= 3 and a["row_id"].is_unique


# -- the seed against the primary source -------------------------------------------------------
SEED_ID = "morningexpress-2025-01"
GOLD_CODINGS = Path(__file__).parent / "gold" / "seed_codings.csv"


@pytest.fixture(scope="module")
def seed_sentences():
    from helpers.ingest import text

    sents = text.ingest(
        catalogue.path("manifest"), catalogue.path("corrections"), catalogue.path("raw")
    )["sentences"]
    return sents[sents["source_id"] == SEED_ID]


@pytest.fixture(scope="module")
def seed_codings(seed_sentences, cb):
    """The seed's codings, from the hand-made gold list (one row per tie), each placed on the
    first sentence of its paragraph that names the place: the comparison works on ties, so the
    result does not depend on the coding rules."""
    if not GOLD_CODINGS.exists():
        pytest.skip("tests/gold/seed_codings.csv not written yet")
    gold = pd.read_csv(GOLD_CODINGS, dtype=str)
    rows = []
    for i, g in enumerate(gold.itertuples()):
        para = seed_sentences[
            seed_sentences["paragraph_id"].str.endswith(f":p{int(g.paragraph_no):02d}")
        ]
        naming = [
            s
            for s in para.itertuples()
            if any(m.entity_id == g.place_id for m in cb.find_terms(s.text))
        ]
        s = (naming or list(para.itertuples()))[0]
        level = "region" if g.place_id in cb.regions else "province"
        row = coding(f"g{i:02d}", g.place_id, g.sector_id, s.sentence_id, g.relation, level=level)
        row.update(source_id=SEED_ID, start=s.start, end=s.end, evidence=s.text)
        rows.append(row)
    return schemas.CODINGS.validate(codings_df(*rows))


@pytest.fixture(scope="module")
def seed_result(seed_sentences, seed_codings, cb, fcb, tmp_path_factory):
    from helpers.framing.claims import extract_claims

    reference = reference_codings(FACTS, cb, "xinhua-2025-01-27")
    claims = extract_claims(seed_sentences, fcb)
    return reference, claims, triangulate(seed_codings, claims, reference, fcb)


def test_seed_reference_codings(cb):
    out = reference_codings(FACTS, cb, "xinhua-2025-01-27")
    assert out["fact_id"].nunique() == 19
    assert "X17:hainan:hydrogen" in set(out["reference_id"])  # from "green hydrogen"
    assert out.loc[out["fact_id"] == "X02", "reference_id"].tolist() == ["X02:general:none"]


def test_seed_covers_every_fact_coding_and_comparative_claim(seed_result, seed_codings):
    reference, claims, out = seed_result
    assert set(reference["fact_id"]) <= set(out["fact_id"].dropna())
    assert set(
        seed_codings["sentence_id"]
        + "|"
        + seed_codings["place_id"]
        + "|"
        + seed_codings["sector_id"]
    ) <= set(out["article_sentence_id"] + "|" + out["article_place_id"] + "|" + out["sector_id"])
    comparative = claims[claims["comparative"]]
    assert len(comparative) == 3
    # the reference frames chips as a bottleneck, cars as an edge and external pressure on
    # supply chains; the retelling puts China ahead of the United States and Europe on all
    framing = out[out["class"].str.startswith("framing")].set_index("class")
    assert (
        sorted(zip(out["class"], out["fact_id"].fillna("-"), strict=True)).count(
            ("framing_changed", "X03")
        )
        == 1
    )
    assert sorted(framing.index) == [
        "framing_changed",
        "framing_changed",
        "framing_only_in_article",
    ]
    assert framing.loc["framing_only_in_article", "note"].startswith(
        "Pace of policy-making and implementation: China ahead of United States, Europe"
    )


def test_seed_story(seed_result):
    _, _, out = seed_result
    got = set(
        zip(
            out["class"],
            out["sector_id"].fillna("-"),
            out["article_place_id"].fillna("-"),
            out["reference_place_id"].fillna("-"),
            strict=True,
        )
    )
    assert ("misattributed", "brain-computer-interfaces", "anhui", "sichuan") in got
    assert ("omitted_by_article", "vehicles", "-", "sichuan") in got
    assert ("omitted_by_article", "vehicles", "-", "chongqing") in got
    assert ("added_by_article", "robotics", "shanghai", "-") in got
    assert ("agrees", "brain-computer-interfaces", "shanghai", "shanghai") in got
    assert ("omitted_by_article", "brain-computer-interfaces", "-", "sichuan") in got
    assert ("unconfirmed", "hydrogen", "hainan", "hainan") in got  # X17 is of medium confidence
    assert len(out[out["class"] == "misattributed"]) == 1
    not_coded = out[out["class"] == "not_coded"]
    assert sorted(not_coded["fact_id"]) == ["X02", "X14"]


def test_compare_sources_only_compares_articles_that_retell_the_reference(
    seed_codings, seed_sentences, cb, fcb
):
    from helpers.framing.claims import extract_claims
    from helpers.ingest.sources import load_manifest

    sources = load_manifest(catalogue.path("manifest"))
    other = seed_codings.assign(
        source_id="unrelated-story", coding_id=seed_codings["coding_id"] + "x"
    )
    codings = pd.concat([seed_codings, other], ignore_index=True)
    out = compare_sources(
        sources, catalogue.path("raw"), codings, extract_claims(seed_sentences, fcb), cb, fcb
    )
    tri = out["triangulation"]
    assert set(tri["article_source_id"].dropna()) == {SEED_ID}
    assert set(out["reference_codings"]["source_id"]) == {"xinhua-2025-01-27"}
    schemas.TRIANGULATION.validate(tri)


def test_every_class_has_one_label_in_schema_order():
    from helpers import schemas
    from helpers.compare import triangulation as compare

    assert list(compare.CLASS_LABELS) == schemas.TRIANGULATION_CLASSES


def test_two_retellings_of_one_reference_are_each_triangulated(
    seed_codings, seed_sentences, cb, fcb
):
    """Two sources retelling one reference both omit the same facts: each gets its own rows
    (the row ids once collided and the stage crashed)."""
    from helpers.framing.claims import extract_claims
    from helpers.ingest.sources import load_manifest

    seed, reference = load_manifest(catalogue.path("manifest"))
    twin = seed.model_copy(update=dict(id="twin-retelling"))
    other = seed_codings.assign(source_id=twin.id, coding_id=seed_codings["coding_id"] + "t")
    codings = pd.concat([seed_codings, other], ignore_index=True)
    claims = extract_claims(seed_sentences, fcb)
    out = compare_sources([seed, twin, reference], catalogue.path("raw"), codings, claims, cb, fcb)
    tri = out["triangulation"]
    schemas.TRIANGULATION.validate(tri)
    assert set(tri["article_source_id"]) == {SEED_ID, twin.id}
    assert set(tri["reference_source_id"]) == {reference.id}
    per_source = tri.groupby("article_source_id")["class"].value_counts().unstack(fill_value=0)
    assert per_source.loc[twin.id, "omitted_by_article"] > 0
    # the twin has the seed's codings and no claims: its tie classes equal the seed's
    for cls in ("agrees", "omitted_by_article", "added_by_article", "misattributed"):
        assert per_source.loc[twin.id, cls] == per_source.loc[SEED_ID, cls], cls


def _by(source, cid, place, sector, relation="priority", modality="asserted", **kw):
    row = coding(cid, place, sector, sentence=f"{source}:p01:s01", relation=relation, **kw)
    return {**row, "source_id": source, "modality": modality}


def _tri(*rows) -> pd.DataFrame:
    cols = list(schemas.TRIANGULATION.columns)
    return pd.DataFrame([{c: r.get(c) for c in cols} for r in rows], columns=cols)


def test_ties_count_sources_and_classify_agreement():
    from helpers.compare.agreement import tie_agreement, tie_sources

    codings = codings_df(
        _by("a", "1", "shanghai", "semiconductors"),
        _by("b", "2", "shanghai", "semiconductors", relation="achievement"),
        _by("b", "3", "shanghai", "semiconductors"),  # b's strongest: priority
        _by("a", "4", "anhui", "fusion"),
        _by("c", "5", "anhui", "fusion", relation="context", modality="negated"),
        _by("a", "6", "beijing", "robotics"),
        _by("c", "7", "sichuan", "robotics", status="rejected"),
        _by("a", "8", "anhui", "brain-computer-interfaces"),
    )
    tri = _tri(
        {
            "class": "misattributed",
            "article_source_id": "a",
            "article_place_id": "anhui",
            "sector_id": "brain-computer-interfaces",
        }
    )
    by_source = tie_sources(codings, tri)
    assert len(by_source) == 6  # the rejected coding makes no tie
    b = by_source.set_index(["place_id", "sector_id", "source_id"]).loc[
        ("shanghai", "semiconductors", "b")
    ]
    assert (b.relation, b.n_codings) == ("priority", 2)
    ties = tie_agreement(by_source).set_index(["place_id", "sector_id"])
    assert ties.loc[("shanghai", "semiconductors"), "agreement"] == "corroborated"
    assert ties.loc[("shanghai", "semiconductors"), "source_ids"] == "a;b"
    assert ties.loc[("shanghai", "semiconductors"), "n_priority_sources"] == 2
    assert ties.loc[("anhui", "fusion"), "agreement"] == "contradicted"
    assert ties.loc[("anhui", "fusion"), "n_negating_sources"] == 1
    assert ties.loc[("beijing", "robotics"), "agreement"] == "single_source"
    assert ties.loc[("anhui", "brain-computer-interfaces"), "agreement"] == "misattributed"
    assert ("sichuan", "robotics") not in ties.index


def test_selection_by_period_and_ids():
    from helpers.compare.selection import select_sources
    from helpers.ingest.sources import load_manifest

    seed, reference = load_manifest(catalogue.path("manifest"))
    plan = seed.model_copy(update=dict(id="plan", period="2026-2030", retells=None))
    year = seed.model_copy(update=dict(id="y2026", period="2026", retells=None))
    pool = [seed, reference, plan, year]

    def chosen(**kw):
        table = select_sources(pool, **kw)
        return sorted(table.loc[table["selected"], "source_id"])

    assert chosen() == sorted(s.id for s in pool)
    assert chosen(period="2025") == sorted([seed.id, reference.id])
    assert chosen(period="2026-2030") == ["plan", "y2026"]
    assert chosen(period="2026") == ["y2026"]
    assert chosen(source_ids=["plan"]) == ["plan"]
    with pytest.raises(InputError, match="period '26'"):
        select_sources(pool, period="26")
    with pytest.raises(InputError, match="unknown ids: nope"):
        select_sources(pool, source_ids=["nope"])
    with pytest.raises(InputError, match="no source matches"):
        select_sources(pool, period="2031")
