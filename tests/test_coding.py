"""Coding rules on small made-up texts, adjudication, and the golden test on the seed."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from helpers import catalogue, schemas
from helpers.codebook import load_codebook
from helpers.coding import code_sentences
from helpers.errors import InputError

FIXTURES = Path(__file__).parent / "fixtures" / "coding"
GOLD = Path(__file__).parent / "gold" / "seed_codings.csv"


@pytest.fixture(scope="module")
def cb():
    return load_codebook(catalogue.path("codebook"))


def make_sentences(paragraphs: list[str], source_id: str = "t", language: str = "en"):
    """A SENTENCES table from paragraphs (one a string), split simply at sentence ends."""
    split = re.compile(r"(?<=[.!?])\s+" if language == "en" else r"(?<=[。！？])")
    rows, offset = [], 0
    for p_no, paragraph in enumerate(paragraphs, start=1):
        pos = 0
        parts = [s for s in split.split(paragraph) if s.strip()]
        for s_no, sentence in enumerate(parts, start=1):
            start = offset + paragraph.index(sentence, pos)
            pos = start - offset + len(sentence)
            rows.append(
                {
                    "source_id": source_id,
                    "paragraph_id": f"{source_id}:p{p_no:02d}",
                    "sentence_id": f"{source_id}:p{p_no:02d}:s{s_no:02d}",
                    "sentence_no": s_no,
                    "language": language,
                    "start": start,
                    "end": start + len(sentence),
                    "raw_start": start,
                    "raw_end": start + len(sentence),
                    "text": sentence,
                }
            )
        offset += len(paragraph) + 1
    return schemas.SENTENCES.validate(pd.DataFrame(rows))


def ties(result, table="priority_matrix"):
    df = result[table]
    return {(r.place_id, r.sector_id): r.relation for r in df.itertuples()}


def test_outputs_meet_their_contracts(cb):
    sentence = "Guangdong plans to develop chips (integrated circuits)."
    out = code_sentences(make_sentences([sentence]), cb)
    schemas.MENTIONS.validate(out["mentions"])
    schemas.CODINGS.validate(out["codings"])
    schemas.PRIORITY_MATRIX.validate(out["priority_matrix"])
    assert out["mentions"]["in_parenthetical"].tolist() == [False, False, True]


def test_clauses_split_at_contrastive_joints(cb):
    out = code_sentences(
        make_sentences(
            ["Jiangsu and Hubei explore quantum computing, while Jiangsu also invests in drones."]
        ),
        cb,
    )
    assert ties(out) == {
        ("jiangsu", "quantum"): "priority",
        ("hubei", "quantum"): "priority",
        ("jiangsu", "low-altitude-economy"): "priority",
    }


def test_region_coded_at_region_level_with_named_members(cb):
    out = code_sentences(
        make_sentences(
            ["The Greater Bay Area, including Guangdong and Hong Kong, will build 6G networks."]
        ),
        cb,
    )
    codings = out["codings"].set_index("place_id")
    assert codings.loc["greater-bay-area", "place_level"] == "region"
    assert codings.loc["guangdong", "via_region"] == "greater-bay-area"
    assert codings.loc["hong-kong", "via_region"] == "greater-bay-area"
    assert "macao" not in codings.index  # not named: not expanded


def test_achievement_in_parenthetical_vs_priority(cb):
    out = code_sentences(
        make_sentences(
            [
                "Hubei (which opened a biomanufacturing plant last year) and Hunan plan "
                "to support new materials."
            ]
        ),
        cb,
    )
    assert ties(out) == {
        ("hubei", "biomanufacturing"): "achievement",
        ("hubei", "new-materials"): "priority",
        ("hunan", "new-materials"): "priority",
    }


def test_negation_is_not_a_priority(cb):
    out = code_sentences(make_sentences(["Henan does not plan to develop quantum computing."]), cb)
    row = out["codings"].iloc[0]
    assert (row.modality, row.relation) == ("negated", "context")


def test_hypothetical_between_mentions_but_not_a_trailing_hedge(cb):
    out = code_sentences(
        make_sentences(
            [
                "Gansu could invest in hydrogen.",
                "Qinghai is investing in nuclear fusion, a technology that could change energy.",
            ]
        ),
        cb,
    )
    got = out["codings"].set_index("place_id")
    assert (got.loc["gansu", "modality"], got.loc["gansu", "relation"]) == (
        "hypothetical",
        "context",
    )
    assert (got.loc["qinghai", "modality"], got.loc["qinghai", "relation"]) == (
        "asserted",
        "priority",
    )


def test_topic_and_anaphora(cb):
    out = code_sentences(
        make_sentences(
            [
                "Biomedicine is a growing field. Jilin aims to expand. Shanxi wants drones.",
                "Fujian and Jiangxi were visited. They will develop photovoltaic capacity.",
            ]
        ),
        cb,
    )
    got = out["codings"].set_index(["place_id", "sector_id"])["rule_id"].to_dict()
    assert got == {
        ("jilin", "biomedicine"): "R-TOPIC",
        ("shanxi", "low-altitude-economy"): "R-SENT",
        ("fujian", "new-energy"): "R-ANAPHORA",
        ("jiangxi", "new-energy"): "R-ANAPHORA",
    }


def test_overlapping_terms_longest_wins(cb):
    out = code_sentences(
        make_sentences(["The Yangtze River Delta promotes new energy vehicle output."]), cb
    )
    assert ties(out) == {("yangtze-river-delta", "vehicles"): "priority"}
    assert out["mentions"]["entity_id"].tolist() == ["yangtze-river-delta", "new-energy-vehicles"]


def test_chinese_paragraphs(cb):
    lines = (FIXTURES / "zh_paragraphs.txt").read_text(encoding="utf-8").splitlines()
    out = code_sentences(make_sentences(lines, source_id="zh", language="zh"), cb)
    assert ties(out) == {
        ("shanghai", "semiconductors"): "priority",
        ("shanghai", "artificial-intelligence"): "priority",
        ("zhejiang", "quantum"): "context",
        ("anhui", "quantum"): "priority",
    }


def test_coding_ids_are_stable_and_output_deterministic(cb):
    s = make_sentences(["Shaanxi plans to build robots, while Ningxia explores computing power."])
    a, b = code_sentences(s, cb), code_sentences(s.iloc[::-1], cb)
    for key in a:
        pd.testing.assert_frame_equal(a[key], b[key])


# -- adjudication -----------------------------------------------------------------------------

HEADER = "action,coding_id,source_id,sentence_id,place_id,sector_id,relation,reason\n"


@pytest.fixture
def adjudicate(cb, tmp_path):
    sentences = make_sentences(["Shaanxi plans to build robots and chips."])

    def run(body: str):
        path = tmp_path / "adjudications.csv"
        path.write_text(HEADER + body, encoding="utf-8")
        return code_sentences(sentences, cb, path), path

    return run


def test_adjudication_accept_reject_add(adjudicate):
    auto, _ = adjudicate("")
    ids = auto["codings"].set_index("sector_id")["coding_id"]
    out, _ = adjudicate(
        f"accept,{ids['robotics']},,,,,,checked by hand\n"
        f"reject,{ids['semiconductors']},,,,,,chips are a component here\n"
        "add,,t,t:p01:s01,tibet,quantum,context,reader test\n"
    )
    got = out["codings"].set_index("sector_id")
    assert got.loc["robotics", "status"] == "accepted"
    assert got.loc["semiconductors", "status"] == "rejected"
    assert got.loc["quantum", "status"] == "added"
    assert got.loc["quantum", "adjudication_reason"] == "reader test"
    assert set(ties(out)) == {("shaanxi", "robotics"), ("tibet", "quantum")}
    schemas.CODINGS.validate(out["codings"])


@pytest.mark.parametrize(
    "body, problem",
    [
        (
            "accept,0000000000000000,,,,,,why\n",
            "row 2: coding_id '0000000000000000' does not exist",
        ),
        ("add,,t,t:p01:s01,atlantis,quantum,priority,why\n", "row 2: unknown place_id"),
        ("add,,t,t:p01:s01,tibet,warp-drive,priority,why\n", "row 2: unknown sector_id"),
        ("add,,t,t:p01:s01,tibet,quantum,priority,\n", "row 2: reason is required"),
        ("add,,t,t:p09:s01,tibet,quantum,priority,why\n", "row 2: unknown sentence"),
        ("delete,,t,t:p01:s01,tibet,quantum,priority,why\n", "row 2: action must be"),
    ],
)
def test_adjudication_bad_rows(adjudicate, body, problem):
    with pytest.raises(InputError) as err:
        adjudicate(body)
    assert str(err.value).startswith(str(err.value.path)) and "adjudications.csv" in str(err.value)
    assert problem in str(err.value)


def test_committed_adjudications_file_is_header_only():
    assert catalogue.path("adjudications").read_text(encoding="utf-8") == HEADER


# -- golden test ------------------------------------------------------------------------------


def test_seed_against_hand_annotation(cb, metrics):
    from helpers import text

    sentences = text.ingest(
        catalogue.path("manifest"), catalogue.path("corrections"), catalogue.path("raw")
    )["sentences"]
    seed = sentences[sentences["source_id"] == "morningexpress-2025-01"]
    matrix = code_sentences(seed, cb)["priority_matrix"]
    predicted = set(zip(matrix["place_id"], matrix["sector_id"], matrix["relation"], strict=True))
    gold_df = pd.read_csv(GOLD)
    gold = set(zip(gold_df["place_id"], gold_df["sector_id"], gold_df["relation"], strict=True))
    assert len(gold_df) == len(gold) == 22
    hits = len(predicted & gold)
    precision, recall = hits / len(predicted), hits / len(gold)
    report = (
        f"seed coding: precision {precision:.3f}, recall {recall:.3f} "
        f"({hits} of {len(predicted)} predicted, {len(gold)} gold); "
        f"missed {sorted(gold - predicted)}; extra {sorted(predicted - gold)}"
    )
    metrics(report)
    assert precision >= 0.95 and recall >= 0.95, report


# -- throughput -------------------------------------------------------------------------------


def test_synthetic_corpus_is_valid_deterministic_and_coded(cb):
    """The benchmark corpus (speed itself is checked by `make bench`, not by a timed test)."""
    from helpers.synthetic import synthetic_sentences

    a = synthetic_sentences(20, seed=1, codebook=cb)
    pd.testing.assert_frame_equal(a, synthetic_sentences(20, seed=1, codebook=cb))
    schemas.SENTENCES.validate(a)
    words = a.groupby("source_id")["text"].apply(lambda t: sum(len(x.split()) for x in t))
    assert words.between(400, 460).all()
    out = code_sentences(a, cb)
    assert len(out["codings"]) > len(a)  # two clauses a sentence, most tie
