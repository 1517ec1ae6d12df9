"""Framing claims: the codebook's validation, the seed's 8th paragraph against a hand annotation,
aliases, hedges, direction and the non-comparative cases."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from helpers import schemas
from helpers.engine import catalogue
from helpers.engine.errors import InputError
from helpers.framing.claims import extract_claims, load_framing_codebook

SEED = catalogue.path("raw") / "000_5df365ae44afb922.txt"
GOLD = Path(__file__).parent / "gold" / "seed_framing.csv"


@pytest.fixture(scope="module")
def cb():
    return load_framing_codebook(catalogue.path("framing_codebook"))


def sentences(*paragraphs: str, source_id: str = "t") -> pd.DataFrame:
    """A sentences table for the given paragraphs (split at . ! ? followed by a space)."""
    rows, offset = [], 0
    for p_no, para in enumerate(paragraphs, 1):
        for s_no, m in enumerate(re.finditer(r"\S.*?[.!?](?=\s|$)", para), 1):
            rows.append(
                {
                    "source_id": source_id,
                    "paragraph_id": f"{source_id}:p{p_no:02d}",
                    "sentence_id": f"{source_id}:p{p_no:02d}:s{s_no:02d}",
                    "sentence_no": s_no,
                    "language": "en",
                    "start": offset + m.start(),
                    "end": offset + m.end(),
                    "raw_start": offset + m.start(),
                    "raw_end": offset + m.end(),
                    "text": m.group(0),
                }
            )
        offset += len(para) + 1
    return pd.DataFrame(rows)


def seed_paragraph(n: int) -> str:
    paras = [p for p in SEED.read_text(encoding="utf-8").splitlines() if p.strip()]
    return paras[n - 1]


# -- the seed against the hand annotation ------------------------------------------------------
SEED_ID = "morningexpress-2025-01"


@pytest.fixture(scope="module")
def seed_sentences():
    """The seed as ingest segments it (corrections applied; the 8th paragraph is unchanged)."""
    from helpers.ingest import text

    sents = text.ingest(
        catalogue.path("manifest"), catalogue.path("corrections"), catalogue.path("raw")
    )["sentences"]
    return sents[sents["source_id"] == SEED_ID]


def test_seed_paragraph_8_matches_gold(cb, seed_sentences, metrics):
    claims = extract_claims(seed_sentences, cb)
    schemas.FRAMING_CLAIMS.validate(claims)
    assert set(claims["paragraph_id"]) == {f"{SEED_ID}:p08"}, "only paragraph 8 frames China"
    got = claims.assign(sentence_no=claims["sentence_id"].str[-2:].astype(int))
    cols = [
        "sentence_no",
        "actor",
        "comparators",
        "dimension",
        "direction",
        "hedged",
        "comparative",
        "hedge_terms",
        "evaluative_terms",
        "ranking",
    ]
    gold = pd.read_csv(
        GOLD,
        dtype={
            "comparators": "str",
            "hedge_terms": "str",
            "evaluative_terms": "str",
            "ranking": "str",
        },
    )
    key = ["sentence_no", "dimension"]
    got = got[cols].sort_values(key).reset_index(drop=True).astype(str)
    gold = gold[cols].sort_values(key).reset_index(drop=True).astype(str)
    matched = len(set(map(tuple, got.values)) & set(map(tuple, gold.values)))
    metrics(
        f"seed framing: {matched} of {len(gold)} hand-annotated claims matched exactly, "
        f"{len(got)} extracted"
    )
    pd.testing.assert_frame_equal(got, gold)


def test_seed_paragraph_8_with_a_plain_splitter(cb):
    """The same claims when the paragraph is cut by a plain splitter, so the rules do not lean
    on ingest's corrections."""
    sents = sentences(seed_paragraph(8), source_id="seed")
    assert len(sents) == 3
    claims = extract_claims(sents, cb)
    assert claims[["sentence_id", "dimension", "direction"]].values.tolist() == [
        ["seed:p01:s01", "resource-mobilisation", "unclear"],
        ["seed:p01:s01", "investment", "unclear"],
        ["seed:p01:s01", "education-talent", "unclear"],
        ["seed:p01:s02", "technology-gap", "actor_ahead"],
        ["seed:p01:s03", "policy-pace", "actor_ahead"],
        ["seed:p01:s03", "supply-chains", "actor_ahead"],
    ]


def test_seed_claims_carry_their_sentence_span(cb):
    para = seed_paragraph(8)
    sents = sentences(para, source_id="seed")
    claims = extract_claims(sents, cb)
    for row in claims.itertuples():
        assert para[row.start : row.end] == row.evidence
        assert row.claim_id == f"{row.sentence_id}:{row.dimension}"


def test_output_is_sorted_and_deterministic(cb):
    sents = sentences(seed_paragraph(8), source_id="seed")
    a = extract_claims(sents, cb)
    b = extract_claims(sents.sample(frac=1, random_state=1), cb)
    assert len(a) >= 2  # the seed paragraph holds claims: equal empty frames would prove nothing
    pd.testing.assert_frame_equal(a, b)


# -- aliases, negatives, hedges, direction ----------------------------------------------------
@pytest.mark.parametrize(
    "name, actor",
    [
        ("the US", "united-states"),
        ("the U.S.", "united-states"),
        ("America", "united-states"),
        ("Washington", "united-states"),
        ("the EU", "europe"),
        ("Brussels", "europe"),
        ("Japan", "japan"),
        ("Germany", "germany"),
        ("the West", "the-west"),
        ("Western countries", "the-west"),
        ("South Korea", "south-korea"),
    ],
)
def test_aliases_name_comparators(cb, name, actor):
    claims = extract_claims(sentences(f"China invests more in chips than {name} does."), cb)
    assert claims["comparators"].tolist() == [actor]
    assert claims["comparative"].tolist() == [True]


def test_lowercase_us_is_not_the_united_states(cb):
    claims = extract_claims(sentences("China shows us its investment plans."), cb)
    assert claims["comparators"].isna().all()
    assert not claims["comparative"].any()


def test_beijing_is_not_an_actor(cb):
    assert extract_claims(sentences("Beijing speeds up investment in chips."), cb).empty


def test_naming_the_us_without_a_dimension_gives_no_row(cb):
    assert extract_claims(sentences("The United States announced new tariffs on Monday."), cb).empty


def test_dimension_without_any_actor_gives_no_row(cb):
    assert extract_claims(sentences("Anhui stands out for its investments."), cb).empty


def test_hedged_against_flat(cb):
    text = (
        "China could widen its technological lead over Europe. "
        "China has widened its technological lead over Europe."
    )
    claims = extract_claims(sentences(text), cb)
    assert claims["hedged"].tolist() == [True, False]
    assert claims["hedge_terms"].tolist()[0] == "could"
    assert pd.isna(claims["hedge_terms"].tolist()[1])
    assert claims["direction"].tolist() == ["actor_ahead", "actor_ahead"]


def test_comparator_ahead(cb):
    text = "China still lags behind the United States in talent."
    claims = extract_claims(sentences(text), cb)
    assert claims[["dimension", "direction"]].values.tolist() == [
        ["education-talent", "comparator_ahead"]
    ]


def test_comparator_ahead_when_comparator_is_the_subject(cb):
    text = "Europe moves faster than China on policy."
    claims = extract_claims(sentences(text), cb)
    assert claims["actor"].tolist() == ["china"]
    assert claims["direction"].tolist() == ["comparator_ahead"]


def test_no_direction_cue_is_unclear(cb):
    claims = extract_claims(sentences("China and Europe both study supply chains."), cb)
    assert claims["direction"].tolist() == ["unclear"]
    assert claims["comparative"].tolist() == [True]


def test_back_reference_does_not_cross_paragraphs(cb):
    claims = extract_claims(
        sentences(
            "China leads the United States.",
            "While the latter countries argue, China moves quickly.",
        ),
        cb,
    )
    row = claims.set_index("paragraph_id").loc["t:p02"]
    assert not row["comparative"] and pd.isna(row["comparators"])


def test_back_reference_resolves_within_paragraph(cb):
    claims = extract_claims(
        sentences(
            "China is compared with the United States. "
            "The latter countries invest at a slower pace than China."
        ),
        cb,
    )
    assert set(claims["dimension"]) == {"policy-pace", "investment"}
    assert set(claims["comparators"]) == {"united-states"}


def test_gap_words_in_cues(cb):
    claims = extract_claims(sentences("China can mobilise vast human resources."), cb)
    assert claims["dimension"].tolist() == ["resource-mobilisation"]


def _zh(*paragraphs: str) -> pd.DataFrame:
    """A sentences table for Chinese paragraphs of one sentence each."""
    rows, offset = [], 0
    for p_no, para in enumerate(paragraphs, 1):
        rows.append(
            {
                "source_id": "t",
                "paragraph_id": f"t:p{p_no:02d}",
                "sentence_id": f"t:p{p_no:02d}:s01",
                "sentence_no": 1,
                "language": "zh",
                "start": offset,
                "end": offset + len(para),
                "raw_start": offset,
                "raw_end": offset + len(para),
                "text": para,
            }
        )
        offset += len(para) + 1
    return pd.DataFrame(rows)


def test_chinese_comparisons(cb):
    claims = extract_claims(
        _zh(
            "与美国相比，我国在新能源等产业链的完整性方面具有明显优势，但在高端芯片领域仍存在差距。",
            "欧盟的产业政策决策周期较长，推进速度慢于我国。",
        ),
        cb,
    )
    got = {(r.dimension, r.comparators, r.direction) for r in claims.itertuples(index=False)}
    assert got == {
        ("supply-chains", "united-states", "actor_ahead"),
        ("technology-gap", "united-states", "comparator_ahead"),
        ("policy-pace", "europe", "actor_ahead"),
    }
    assert set(claims["actor"]) == {"china"}


def test_comparisons_outside_a_closing_paragraph_and_a_clause_without_an_actor(cb):
    claims = extract_claims(
        sentences(
            "Provinces met in March.",
            "China mobilises capital at a scale that neither Washington nor Brussels matches, "
            "and it has built complete supply chains faster than either.",
            "Jilin will build robots.",
        ),
        cb,
    )
    supply = claims[claims["dimension"] == "supply-chains"].iloc[0]
    assert supply["comparators"] == "united-states;europe"
    assert supply["direction"] == "actor_ahead"  # "it" is China, not Brussels
    assert "resource-mobilisation" in set(claims["dimension"])


@pytest.mark.parametrize(
    ("text", "dimension", "direction"),
    [
        ("China has more engineers than the United States.", "education-talent", "actor_ahead"),
        ("Europe has stronger supply chains than China.", "supply-chains", "comparator_ahead"),
        ("China trains fewer chip engineers than Japan.", "education-talent", "comparator_ahead"),
        (
            "The US still has an edge in chip design over China.",
            "technology-gap",
            "comparator_ahead",
        ),
        (
            "China invests at a scale that neither Berlin nor Tokyo matches.",
            "resource-mobilisation",
            "actor_ahead",
        ),
    ],
)
def test_comparatives_and_matching_give_a_direction(cb, text, dimension, direction):
    claims = extract_claims(sentences(text), cb)
    got = dict(zip(claims["dimension"], claims["direction"], strict=True))
    assert got[dimension] == direction, got


def test_chinese_comparatives_and_talent(cb):
    claims = extract_claims(
        _zh(
            "与日本相比，我国动力电池产业链更加完整。",
            "我国每年培养的工程师数量远超美国。",
            "我国的人才培养不如德国。",
        ),
        cb,
    )
    got = {(r.dimension, r.comparators, r.direction) for r in claims.itertuples(index=False)}
    assert ("supply-chains", "japan", "actor_ahead") in got
    assert ("education-talent", "united-states", "actor_ahead") in got
    assert ("education-talent", "germany", "comparator_ahead") in got


def test_each_part_of_a_sentence_keeps_its_own_comparator(cb):
    """Parts between semicolons are compared each with the actor they name."""
    claims = extract_claims(
        _zh("与日本相比，我国产业链更加完整；德国决策往往需要数年，而我国推进速度明显更快。"),
        cb,
    )
    got = {(r.dimension, r.comparators, r.direction) for r in claims.itertuples(index=False)}
    assert got == {
        ("supply-chains", "japan", "actor_ahead"),
        ("policy-pace", "germany", "actor_ahead"),
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a topic phrase naming no actor reaches into the clause that says who is ahead
        (
            "在光纤光缆产业链上，中国已超过美国和欧洲。",
            {("supply-chains", "united-states;europe", "actor_ahead")},
        ),
        # each clause's comparators, each with its own direction
        (
            "我国海工装备产业链已领先日本和韩国，但在核心部件技术上与欧洲相比仍有差距。",
            {
                ("supply-chains", "japan;south-korea", "actor_ahead"),
                ("technology-gap", "europe", "comparator_ahead"),
            },
        ),
        # a clause with a direction word and no dimension of its own carries the comparison on
        (
            "在高端芯片领域，我国与美国相比仍有差距，欧洲在高端装备方面也保有一定优势。",
            {("technology-gap", "united-states;europe", "comparator_ahead")},
        ),
        # 差距 beside another dimension is the direction of that one, not a claim of its own
        (
            "与美国相比，我国在智能算力投资方面仍有差距，但建设速度更快。",
            {
                ("investment", "united-states", "comparator_ahead"),
                ("policy-pace", "united-states", "actor_ahead"),
            },
        ),
    ],
)
def test_clauses_decide_comparators_and_directions(cb, text, expected):
    claims = extract_claims(_zh(text), cb)
    got = {(r.dimension, r.comparators, r.direction) for r in claims.itertuples(index=False)}
    assert got == expected
    assert claims["claim_id"].is_unique


def test_two_directions_on_one_dimension_are_two_claims(cb):
    claims = extract_claims(
        sentences(
            "China has a technology lead over Europe in robots, but the United States keeps "
            "a technology lead in AI models."
        ),
        cb,
    )
    got = {(r.claim_id, r.comparators, r.direction) for r in claims.itertuples(index=False)}
    assert got == {
        ("t:p01:s01:technology-gap:europe", "europe", "actor_ahead"),
        ("t:p01:s01:technology-gap:united-states", "united-states", "comparator_ahead"),
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "China still trails the United States in deep-diving research vessels.",
            {("technology-gap", "united-states", "comparator_ahead")},
        ),
        (
            "China is ahead of Europe in putting industrial robots to work, he argues, but "
            "behind the United States in frontier AI models.",
            {
                ("technology-gap", "europe", "actor_ahead"),
                ("technology-gap", "united-states", "comparator_ahead"),
            },
        ),
        # no focal actor: no claim on the default dimension
        ("Japan still leads Germany in machine tools.", set()),
        # a comparative without what it compares with says nothing
        ("China and the United States both build more data centres.", set()),
    ],
)
def test_a_comparison_naming_no_dimension_takes_the_default_one(cb, text, expected):
    claims = extract_claims(sentences(text), cb)
    got = {(r.dimension, r.comparators, r.direction) for r in claims.itertuples(index=False)}
    assert got == expected


def test_default_dimension_must_be_a_dimension(tmp_path, good):
    good["default_dimension"] = "speed"
    with pytest.raises(InputError, match="default_dimension 'speed'"):
        load_framing_codebook(_write(tmp_path, good))


def test_a_compound_name_is_compared_as_each_of_its_actors(cb):
    claims = extract_claims(
        _zh("与欧美相比，我国在高端航空发动机领域仍存在明显差距，需要长期投入。"), cb
    )
    got = {(r.dimension, r.comparators, r.direction) for r in claims.itertuples(index=False)}
    # the trailing 投入 names no actor and no direction: an aside, not an investment claim
    assert got == {("technology-gap", "europe;united-states", "comparator_ahead")}


def test_a_compound_must_name_actors(tmp_path, good):
    good["compounds"] = {"欧美": ["europe", "america"]}
    with pytest.raises(InputError, match="compound '欧美' names unknown actor"):
        load_framing_codebook(_write(tmp_path, good))


def test_a_comparative_needs_what_it_compares_with(cb):
    both = extract_claims(sentences("Both China and Japan invest more in robots."), cb)
    than = extract_claims(sentences("China invests more in robots than Japan."), cb)
    assert both["direction"].tolist() == ["unclear"]
    assert than["direction"].tolist() == ["actor_ahead"]


def test_a_comparative_that_is_no_direction_cue_is_refused(tmp_path, good):
    good["direction"]["comparatives"] = ["sooner"]
    with pytest.raises(InputError, match="comparatives"):
        load_framing_codebook(_write(tmp_path, good))


def test_an_actor_named_only_in_a_condition_is_no_comparator(cb):
    text = "If Japan keeps its tariffs, China may shift more investment to Southeast Asia."
    claims = extract_claims(sentences(text), cb)
    assert claims["comparators"].isna().all() and not claims["comparative"].any()


def test_a_comparison_inside_a_condition_keeps_its_comparator(cb):
    text = "If Japan keeps its lead in robots, China may buy more of them."
    claims = extract_claims(sentences(text), cb)
    assert claims["comparators"].tolist() == ["japan"]


def test_latin_america_is_not_america(cb):
    text = "China shifts investment to Latin America."
    claims = extract_claims(sentences(text), cb)
    assert not claims["comparative"].any()


def test_headlines_and_section_titles_are_not_claims(cb):
    claims = extract_claims(
        sentences(
            "China outpaces the United States on investment",
            "Provinces unveiled their plans. China invests faster than the United States.",
            "Talent versus the EU",
            "China trains more talent than the EU.",
        ),
        cb,
    )
    assert set(claims["sentence_id"]) == {"t:p02:s02", "t:p04:s01"}


# -- codebook validation -------------------------------------------------------------------------
def _write(tmp_path, data) -> Path:
    path = tmp_path / "framing.yaml"
    path.write_text(yaml.safe_dump(data) if not isinstance(data, str) else data, encoding="utf-8")
    return path


@pytest.fixture
def good():
    return yaml.safe_load(catalogue.path("framing_codebook").read_text(encoding="utf-8"))


def test_malformed_yaml(tmp_path):
    path = _write(tmp_path, "actors: [china\n")
    with pytest.raises(InputError, match="framing.yaml: malformed YAML"):
        load_framing_codebook(path)


def test_duplicate_alias(tmp_path, good):
    good["actors"][1]["aliases"].append("china")
    with pytest.raises(InputError, match="duplicate alias 'china'"):
        load_framing_codebook(_write(tmp_path, good))


def test_empty_term(tmp_path, good):
    good["dimensions"][0]["cues"].append("  ")
    with pytest.raises(
        InputError, match="dimension 'policy-pace': cue #15: the value must be non-empty text"
    ):
        load_framing_codebook(_write(tmp_path, good))


def test_missing_field(tmp_path, good):
    del good["dimensions"][2]["cues"]
    with pytest.raises(
        InputError, match=re.escape("dimension 'investment': missing required field(s): cues")
    ):
        load_framing_codebook(_write(tmp_path, good))


@pytest.mark.parametrize(
    "edit, problem",
    [
        (
            lambda d: d["actors"][0].update(colour="red"),
            "actor 'china': unknown field(s): 'colour' (allowed: id, label, in_text, aliases)",
        ),
        (lambda d: d.update(tone=["bold"]), "unknown field(s): 'tone' (allowed: version,"),
        (
            lambda d: d["direction"].update(sideways=["x"]),
            "unknown field(s): 'direction.sideways' (allowed: ahead, behind, comparatives)",
        ),
        (lambda d: d["actors"][0].update(label=5), "actor 'china': field `label` must be text"),
        (lambda d: d.update(hedges="can"), "field `hedges` must be a list, got 'can'"),
        (
            lambda d: d["dimensions"][2].update(cues=[]),
            "dimension 'investment': field `cues` must be a non-empty list, got []",
        ),
        (lambda d: d["direction"].pop("behind"), "missing required field(s): direction.behind"),
        (lambda d: d["actors"][0].update(id="China"), "id 'China' must be a lowercase slug"),
        (lambda d: d["actors"].append(copy.deepcopy(d["actors"][0])), "duplicate actor id 'china'"),
        (lambda d: d.update(version=2), "unknown version 2 (expected one of 1)"),
        (lambda d: d.update(hedges=["can", "Can"]), "duplicate hedge 'Can'"),
    ],
)
def test_the_model_refuses(tmp_path, good, edit, problem):
    edit(good)
    path = _write(tmp_path, good)
    with pytest.raises(InputError) as err:
        load_framing_codebook(path)
    assert str(err.value).startswith(f"{path}: ") and problem in str(err.value)


def test_optional_lists_may_be_left_out(tmp_path, good):
    del good["not_actors"], good["direction"]["comparatives"]
    book = load_framing_codebook(_write(tmp_path, good))
    assert book.comparatives == frozenset()
    assert book.actor_in_text("china") == "China"
    assert book.actor_in_text("united-states") == "the United States"


def test_unknown_focal_actor(tmp_path, good):
    good["focal_actor"] = "atlantis"
    with pytest.raises(InputError, match="focal_actor 'atlantis'"):
        load_framing_codebook(_write(tmp_path, good))


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_framing_codebook(tmp_path / "nope.yaml")
