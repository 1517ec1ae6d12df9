"""Every word list and threshold of codebook/rules.yaml does what its example says, as every
cue of cues.yaml is found in its own example; a bad edit of the file stops with one line."""

from __future__ import annotations

import pytest
import yaml

from helpers.codebook.book import load_codebook
from helpers.codebook.rules import joint_regex
from helpers.coding import units
from helpers.coding.rules import code_sentences
from helpers.coding.scope import counted
from helpers.engine import catalogue
from helpers.engine.errors import InputError
from tests.test_codebook import CODEBOOK, _broken
from tests.test_coding import make_sentences

RULES = yaml.safe_load((CODEBOOK / "rules.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def cb():
    return load_codebook(catalogue.path("codebook"))


def _entries(name):
    return [pytest.param(e, id=f"{name}:{e.get('word') or e.get('joint')}") for e in RULES[name]]


@pytest.mark.parametrize("entry", _entries("dateline_agencies") + _entries("dateline_outlets"))
def test_a_dateline_word_opens_the_dateline_of_its_example(cb, entry):
    found = cb.rules.dateline.match(entry["example"])
    assert found is not None and entry["word"] in found.group()


@pytest.mark.parametrize("entry", _entries("count_words"))
def test_a_count_word_counts_its_example(cb, entry):
    assert counted(entry["example"], cb.rules) == entry["count"]


@pytest.mark.parametrize(
    "entry, kind",
    [(e, "place_appositive") for e in _entries("place_appositives")]
    + [(e, "sector_appositive") for e in _entries("sector_appositives")],
)
def test_an_appositive_makes_a_parenthetical_in_its_example(cb, entry, kind):
    """The joint follows a place (or a sector term) of the example and opens a parenthetical
    attached to it."""
    text = entry.values[0]["example"]
    matches = cb.find_terms(text)
    wanted = "sector" if kind == "sector_appositive" else "place"
    parens = units.parentheticals(text, matches, cb.rules)
    anchors = [p.anchor for p in parens if p.anchor is not None]
    assert any((m.entity_type == "sector") == (wanted == "sector") for m in anchors)
    joint = entry.values[0]["joint"]
    assert any(
        getattr(cb.rules, kind).match(text, m.end)
        and text[m.end :].lower().startswith(joint.lower()[:3])
        for m in anchors
    )


@pytest.mark.parametrize("entry", _entries("contrastive_joints"))
def test_a_contrastive_joint_cuts_its_example_into_clauses(cb, entry):
    text = entry["example"]
    matches = cb.find_terms(text)
    cut = units.clauses(text, [], matches, cb.rules)
    assert len(cut) == 2
    assert text[cut[1][0] :].lstrip().lower().startswith(entry["joint"].lstrip().lower()[:1])


def test_a_joint_is_written_as_it_stands():
    assert joint_regex(", while") == r",\s*while(?![A-Za-z])"
    assert joint_regex("whereas") == r"(?<![,\w])\s*whereas(?![A-Za-z])"
    assert joint_regex("，而") == "，而"


def test_title_lengths_are_those_of_their_examples(cb):
    t = RULES["thresholds"]
    words, chars = t["title_max_words"], t["title_max_chars"]
    assert len(words["example"].split()) == words["value"]
    assert len(chars["example"]) == chars["value"]
    for example in (words["example"], chars["example"]):
        assert units.is_title(example, False, True, cb.rules)
    assert not units.is_title(words["example"] + " more", False, True, cb.rules)
    assert not units.is_title(chars["example"] + "多", False, True, cb.rules)
    # the framing reads titles without the codebook: the same lengths
    assert (units.TITLE_MAX_WORDS, units.TITLE_MAX_CHARS) == (words["value"], chars["value"])


@pytest.mark.parametrize("name", ["lead_in_words", "lead_in_chars", "after_place_words"])
def test_a_negation_within_its_window_negates_the_example(cb, name):
    from helpers.coding.rules import code_sentences

    example = RULES["thresholds"][name]["example"]
    language = "en" if example.isascii() else "zh"
    out = code_sentences(make_sentences([example], language=language), cb)
    assert set(out["codings"]["modality"]) == {"negated"}


@pytest.mark.parametrize(
    "edit, problem",
    [
        (lambda d: d["bounds"]["unit_chars"].update(value=100), "bound unit_chars: 100 is outside"),
        (lambda d: d["bounds"]["ties_per_clause"].update(value=10**9), "is outside 1..10,000"),
        (lambda d: d["thresholds"]["lead_in_words"].update(value=10**6), "less than or equal"),
        (lambda d: d["count_words"].append(dict(d["count_words"][0])), "'two' listed twice"),
        (lambda d: d["count_words"][0].update(count="2"), "field `count` must be a whole number"),
        (lambda d: d["place_appositives"][0].update(joint=", " + "x" * 200), "more than the limit"),
        (lambda d: d.pop("contrastive_joints"), "missing required field(s): contrastive_joints"),
        (lambda d: d["head_nouns"][0].update(sector="warp-drive"), "unknown sector 'warp-drive'"),
        (lambda d: d["head_nouns"][0].update(after=["warp"]), "unknown sector 'warp'"),
    ],
)
def test_a_bad_rules_file_is_refused_in_one_line(tmp_path, edit, problem):
    folder, path = _broken(tmp_path, "rules.yaml", edit)
    with pytest.raises(InputError) as caught:
        load_codebook(folder)
    message = str(caught.value)
    assert message.startswith(str(path)) and problem in message and "\n" not in message


@pytest.mark.parametrize("entry", _entries("head_nouns"))
def test_a_head_noun_gives_its_sector_to_the_phrase_of_its_example(cb, entry):
    from helpers.coding.mentions import headed

    text = entry["example"]
    found = headed(text, cb.find_terms(text), cb)
    phrase = [m for m in found if m.entity_type == "sector" and entry["word"] in m.text]
    assert phrase and phrase[0].entity_id == entry["sector"]
    assert phrase[0].text != entry["word"]  # a modifier before it was taken in
    assert phrase[0].sector_id == cb.sector_of(entry["sector"])


@pytest.mark.parametrize("entry", _entries("region_locators"))
def test_a_region_locator_makes_its_region_no_place_of_its_example(cb, entry):
    from helpers.coding.mentions import locators

    text = entry["example"]
    found = cb.find_terms(text)
    spans = locators(text, found, cb)
    assert [m.entity_type for m in found if (m.start, m.end) in spans] == ["region"]


@pytest.mark.parametrize("entry", _entries("other_industries"))
def test_another_industry_makes_a_list_item_of_its_own_in_its_example(cb, entry):
    text = entry["example"]
    cut = units.clauses(text, [], cb.find_terms(text), cb.rules)
    assert len(cut) == 2 and entry["word"].lower() in text[cut[1][0] :].lower()


@pytest.mark.parametrize("entry", _entries("figurative_terms"))
def test_a_figurative_term_names_no_sector_in_its_example(cb, entry):
    from helpers.coding.mentions import figurative

    text = entry["example"]
    found = cb.find_terms(text)
    assert any(m.text.casefold() == entry["word"] for m in found)
    assert not any(m.text.casefold() == entry["word"] for m in figurative(text, found, cb))


@pytest.mark.parametrize("entry", _entries("topic_markers"))
def test_a_topic_marker_opens_the_topic_of_its_example(cb, entry):
    from helpers.coding.coder import Coder

    text = entry["example"]
    found = cb.find_terms(text)
    topic = Coder(cb, (), ())._topic(text, found, [m for m in found if m.entity_type != "sector"])
    assert topic is not None and topic.marked


@pytest.mark.parametrize("entry", _entries("sector_references"))
def test_a_sector_reference_is_found_in_its_example(cb, entry):
    found = cb.rules.sector_reference.search(entry["example"])
    assert found is not None and found.group().lower() == entry["word"].lower()


def test_a_caption_paragraph_is_as_long_as_its_example(cb):
    from helpers.coding.rules import code_sentences

    t = RULES["thresholds"]["caption_sentences"]
    sentences = make_sentences([t["example"]])
    assert len(sentences) == t["value"]
    out = code_sentences(sentences, cb)["codings"]
    assert len(out) and set(out["modality"]) == {"caption"}
    longer = make_sentences([t["example"].replace(" Photo:", " It grew. Photo:")])
    assert set(code_sentences(longer, cb)["codings"]["modality"]) == {"asserted"}


@pytest.mark.parametrize("entry", _entries("first_person"))
def test_a_first_person_word_makes_its_example_a_quoted_statement(cb, entry):
    found = cb.rules.quoted.search(entry["example"])
    assert found is not None and found.group().casefold() == entry["word"]
    # quoted and national: the province in scope before it takes none of its sectors
    language = "en" if entry["example"].isascii() else "zh"
    out = code_sentences(
        make_sentences(["Anhui presented its plan.", entry["example"]], language=language), cb
    )
    assert out["codings"].empty
