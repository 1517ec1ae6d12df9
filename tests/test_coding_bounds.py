"""What one long sentence or one long clause may cost: the coding's work is bounded by the
text's length, whatever its punctuation (checked by counting, not by timing)."""

from __future__ import annotations

import dataclasses

import pytest

from helpers.codebook.book import load_codebook
from helpers.coding import relations
from helpers.coding.rules import code_sentences, unit_spans
from helpers.engine import catalogue
from tests.test_coding import make_sentences


@pytest.fixture(scope="module")
def cb():
    return load_codebook(catalogue.path("codebook"))


def test_a_short_sentence_is_one_unit(cb):
    text = "Shanghai will develop chips, and Jiangsu plans robotics."
    assert unit_spans(text, cb.find_terms, cb.rules.unit_chars) == [(0, len(text))]


def test_a_long_sentence_is_cut_at_commas_and_never_inside_a_term(cb):
    text = "上海发展集成电路，" * 200 + "北京人工智能" * 300
    spans = unit_spans(text, cb.find_terms, cb.rules.unit_chars)
    assert spans[0][0] == 0 and spans[-1][1] == len(text)
    assert all(a == b_prev for (_, b_prev), (a, _) in zip(spans, spans[1:], strict=False))
    assert all(0 < b - a <= cb.rules.unit_chars for a, b in spans)
    cuts = [b for _, b in spans[:-1]]
    assert text[cuts[0] - 1] == "，"  # a comma in the second half is where the first piece ends
    terms = [(m.start, m.end) for m in cb.find_terms(text)]
    assert not [c for c in cuts for a, b in terms if a < c < b]


def test_english_without_full_stops_is_cut_at_spaces(cb):
    text = "Shanghai will develop chips and Jiangsu plans robotics " * 60
    spans = unit_spans(text, cb.find_terms, cb.rules.unit_chars)
    assert len(spans) > 1
    assert all(text[b - 1] == " " for _, b in spans[:-1])


def test_a_repeated_sentence_codes_what_one_copy_codes(cb):
    """上海发展集成电路 repeated thousands of times without punctuation is one tie, in one
    coding whose evidence is the first piece of the sentence; every mention is kept, numbered
    on across the pieces."""
    once = code_sentences(make_sentences(["上海发展集成电路。"], language="zh"), cb)
    text = "上海发展集成电路" * 2000
    many = code_sentences(make_sentences([text], language="zh"), cb)
    assert set(many["priority_matrix"].itertuples(index=False)) == set(
        once["priority_matrix"].itertuples(index=False)
    )
    (coding,) = many["codings"].itertuples()
    assert (coding.place_id, coding.sector_id, coding.relation) == (
        "shanghai",
        "semiconductors",
        "priority",
    )
    assert coding.rule_id == "R-SENT"
    assert len(coding.evidence) <= cb.rules.unit_chars
    assert text.startswith(coding.evidence)
    assert len(many["mentions"]) == 2 * 2000
    assert many["mentions"]["mention_id"].is_unique


def test_pairs_judged_are_bounded_per_tie(cb, monkeypatch):
    """One place and one sector named a thousand times in a clause with a negation is one
    tie: the pairs judged for it stop at the first asserted one, and at the declared bound."""
    calls = []
    judge = relations.Modality.of

    def counting(self, *args):
        calls.append(1)
        return judge(self, *args)

    monkeypatch.setattr(relations.Modality, "of", counting)
    text = "上海不发展集成电路" * 1000
    out = code_sentences(make_sentences([text], language="zh"), cb)
    units = len(unit_spans(text, cb.find_terms, cb.rules.unit_chars))
    assert 0 < len(calls) <= units * cb.rules.pairs_per_tie
    (coding,) = out["codings"].itertuples()
    assert coding.modality == "negated"


def test_a_later_asserted_pair_outranks_an_earlier_negated_one(cb):
    out = code_sentences(
        make_sentences(["Shanghai has no chip plan; Shanghai will develop chips."]), cb
    )
    assert {(r.place_id, r.sector_id): r.relation for r in out["priority_matrix"].itertuples()} == {
        ("shanghai", "semiconductors"): "priority"
    }


def test_a_clause_makes_at_most_the_declared_number_of_ties(cb):
    capped = dataclasses.replace(cb, rules=dataclasses.replace(cb.rules, ties_per_clause=3))
    text = "Shanghai, Beijing and Jiangsu will develop chips, robots, drones and batteries."
    out = code_sentences(make_sentences([text]), capped)
    assert len(out["codings"]) == 3
    # the first three in reading order: the first place with the first three sectors
    assert set(out["codings"]["place_id"]) == {"shanghai"}


def test_coding_each_tie_once_codes_what_coding_every_pair_codes(cb, monkeypatch):
    """A clause large enough to be coded tie by tie gives the codings (ids, relations,
    modalities, evidence) that coding each of its pairs in turn gives."""
    from helpers.coding import ties

    text = (
        "Shanghai, Beijing, Jiangsu, Zhejiang, Anhui, Hubei, Hunan, Sichuan and Fujian will "
        "not develop chips, robots or drones, but will build batteries, AI, quantum computing, "
        "biomedicine, satellites, chips and hydrogen."
    )
    sentences = make_sentences([text])
    grouped = []
    in_order = ties._pairs_in_order

    def counting(*args):
        grouped.append(1)
        return in_order(*args)

    monkeypatch.setattr(ties, "_pairs_in_order", counting)
    by_tie = code_sentences(sentences, cb)["codings"]
    assert grouped  # the clause was coded tie by tie
    monkeypatch.setattr(ties, "_FEW_PAIRS", 10**6)
    by_pair = code_sentences(sentences, cb)["codings"]
    assert len(by_tie) > 50 and "negated" in set(by_tie["modality"])
    assert by_tie.equals(by_pair)
