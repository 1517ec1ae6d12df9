"""The coding rules' word lists and thresholds (``rules.yaml``), validated and compiled once.

The shapes (a dateline is a place, a date and a dash; an appositive runs to the next comma)
are the coding's; the words that fill them and the lengths that bound them are data a
researcher edits, each with an example a test holds it to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from pydantic import Field, model_validator

from helpers.codebook.entries import Entries, Name, Names, Prose, Slug, at_most
from helpers.engine.errors import clip
from helpers.engine.models import Model


class Word(Model):
    word: Name
    example: Prose


class CountWord(Model):
    word: Name
    count: Annotated[int, Field(ge=1, le=100)]
    example: Prose


class Joint(Model):
    joint: Annotated[str, at_most("name"), Field(min_length=1)]  # its spaces count
    example: Prose


class HeadNoun(Model):
    word: Name
    sector: Slug  # a sector or technology id of sectors.yaml
    after: Names = ()  # the sectors it is the head of; empty: any
    example: Prose


class Threshold(Model):
    value: Annotated[int, Field(ge=1, le=200)]
    example: Prose


class Thresholds(Model):
    title_max_words: Threshold
    title_max_chars: Threshold
    lead_in_words: Threshold
    lead_in_chars: Threshold
    after_place_words: Threshold
    caption_sentences: Threshold


class Bound(Model):
    value: int
    why: Prose


# What each bound may be: a piece must hold the longest term twice over (it is cut in its
# second half), and each bound must stay small enough to bound the work.
BOUND_RANGES = {
    "unit_chars": (250, 5000),
    "pairs_per_tie": (1, 1000),
    "ties_per_clause": (1, 10000),
}


class Bounds(Model):
    unit_chars: Bound
    pairs_per_tie: Bound
    ties_per_clause: Bound

    @model_validator(mode="after")
    def _in_range(self) -> Bounds:
        for name, (low, high) in BOUND_RANGES.items():
            value = getattr(self, name).value
            if not low <= value <= high:
                raise ValueError(f"bound {name}: {value} is outside {low:,}..{high:,}")
        return self


class RulesFile(Model):
    """rules.yaml."""

    dateline_agencies: Entries(Word)
    dateline_outlets: Entries(Word)
    count_words: Entries(CountWord)
    place_appositives: Entries(Joint)
    sector_appositives: Entries(Joint)
    contrastive_joints: Entries(Joint)
    head_nouns: Entries(HeadNoun)
    region_locators: Entries(Joint)
    other_industries: Entries(Word)
    figurative_terms: Entries(Word)
    topic_markers: Entries(Joint)
    sector_references: Entries(Word)
    first_person: Entries(Word)
    thresholds: Thresholds
    bounds: Bounds

    @model_validator(mode="after")
    def _no_duplicates(self) -> RulesFile:
        named = ("dateline_agencies", "dateline_outlets", "count_words", "head_nouns")
        lists = ("other_industries", "figurative_terms", "sector_references", "first_person")
        for name in (*named, *lists):
            words = [e.word.casefold() for e in getattr(self, name)]
            twice = sorted({w for w in words if words.count(w) > 1})
            if twice:
                raise ValueError(f"{name}: {clip(twice[0])} listed twice")
        for name in (
            "place_appositives",
            "sector_appositives",
            "contrastive_joints",
            "region_locators",
            "topic_markers",
        ):
            joints = [e.joint for e in getattr(self, name)]
            twice = sorted({j for j in joints if joints.count(j) > 1})
            if twice:
                raise ValueError(f"{name}: {clip(twice[0])} listed twice")
        return self


def _words(text: str) -> str:
    """A word or phrase as a regex: any run of spaces between its words."""
    return r"\s+".join(re.escape(w) for w in text.split())


def joint_regex(joint: str) -> str:
    """One joint of rules.yaml as a regex (see the file's header)."""
    if joint.startswith(",") and joint[1:].strip()[:1].isalpha():
        return r",\s*" + _words(joint[1:]) + r"(?![A-Za-z])"
    if joint[:1].isalpha() and joint.isascii():
        return r"(?<![,\w])\s*" + _words(joint) + r"(?![A-Za-z])"
    return re.escape(joint)


def _alternation(items: list[str]) -> str:
    return "|".join(items)


@dataclass(frozen=True)
class CodingRules:
    """rules.yaml compiled: the patterns and numbers the coding reads."""

    dateline: re.Pattern
    place_appositive: re.Pattern
    sector_appositive: re.Pattern
    contrastive: re.Pattern
    count: re.Pattern
    count_words: dict[str, int]
    after_place: re.Pattern
    heads: re.Pattern  # a head noun right after a term (its spaces or hyphen before it)
    head_of: dict[str, tuple[tuple[str, frozenset[str]], ...]]  # word -> (sector, of which)
    locator: re.Pattern  # right after a region: it only locates the member that follows
    other_industry: re.Pattern
    figurative: frozenset[str]
    topic_before: re.Pattern  # "In X," at a sentence's start
    topic_after: re.Pattern  # "X方面，", "X领域，"
    sector_reference: re.Pattern
    quoted: re.Pattern  # a quotation, or a speaker's first person: a statement quoted
    caption_sentences: int
    title_max_words: int
    title_max_chars: int
    lead_in_words: int
    lead_in_chars: int
    unit_chars: int
    pairs_per_tie: int
    ties_per_clause: int


def _appositive(joints: list[Joint]) -> re.Pattern:
    """The joints of one list share one comma: ``,\\s*(?:the|a|...)``, case-insensitive."""
    words = [_words(j.joint.lstrip(",")) for j in joints]
    return re.compile(r",\s*(?:" + _alternation(words) + r")(?![A-Za-z])", re.IGNORECASE)


def _word(word: str) -> str:
    """A word of a list: English on word boundaries, case-insensitive; Chinese anywhere."""
    if word.isascii():
        return r"(?i:(?<![A-Za-z])" + _words(word) + r"(?![A-Za-z]))"
    return re.escape(word)


def _topic(joints: list[Joint]) -> tuple[re.Pattern, re.Pattern]:
    """The topic markers: English ones stand before the term ("In X,"), Chinese after it."""
    before = [_words(j.joint) for j in joints if j.joint.isascii()]
    after = [re.escape(j.joint) for j in joints if not j.joint.isascii()]
    return (
        re.compile(r"^\s*(?:" + (_alternation(before) or "(?!)") + r")\s+", re.IGNORECASE),
        re.compile(r"(?:" + (_alternation(after) or "(?!)") + r")\s*[，,]"),
    )


def compile_rules(book: RulesFile) -> CodingRules:
    """The patterns of ``book``, built once when the codebook loads."""
    agencies = _alternation(re.escape(w.word) for w in book.dateline_agencies)
    outlets = _alternation(re.escape(w.word) for w in book.dateline_outlets)
    dateline = re.compile(
        r"^\s*[A-Z][A-Z .'-]{2,40},\s+(?:[A-Z][a-z]{2,8}\.?\s+\d{1,2}|\d{1,2}\s+[A-Z][a-z]{2,8})"
        r"(?:,\s*\d{4})?\s*(?:\([^)]{1,30}\))?\s*(?:--|—|–|-)\s*"
        rf"|^\s*[A-Z][A-Za-z .'-]{{2,40}}\s*\((?:{agencies})\)\s*(?:--|—|–|-)\s*"
        rf"|^\s*(?:{outlets})?[^\s，。,]{{0,10}}?\d{{1,2}}月\d{{1,2}}日(?:电|讯)\s*"
    )
    # ", while" and ", whereas" share their comma, as the words of an appositive do
    commas = [j for j in book.contrastive_joints if joint_regex(j.joint).startswith(r",\s*")]
    others = [joint_regex(j.joint) for j in book.contrastive_joints if j not in commas]
    contrastive = ([_appositive(commas).pattern] if commas else []) + others
    count_words = {w.word.casefold(): w.count for w in book.count_words}
    count = re.compile(
        r"(?i)(?<![a-z])(?:" + _alternation(re.escape(w) for w in count_words) + r")(?![a-z])|\d+"
    )
    t, b = book.thresholds, book.bounds
    after = t.after_place_words.value
    # one pattern for every head noun, longest first; the word found says which entries apply
    words = sorted({h.word for h in book.head_nouns}, key=lambda w: (-len(w), w))
    heads = re.compile(r"[\s-]*(" + _alternation(_word(w) for w in words) + ")")
    head_of: dict[str, tuple[tuple[str, frozenset[str]], ...]] = {}
    for h in book.head_nouns:
        head_of[h.word.casefold()] = (
            *head_of.get(h.word.casefold(), ()),
            (h.sector, frozenset(h.after)),
        )
    topic_before, topic_after = _topic(book.topic_markers)
    return CodingRules(
        dateline=dateline,
        place_appositive=_appositive(book.place_appositives),
        sector_appositive=_appositive(book.sector_appositives),
        contrastive=re.compile(_alternation(contrastive), re.IGNORECASE),
        count=count,
        count_words=count_words,
        after_place=re.compile(rf"\s*(?:[^\s，,。;；]+\s+){{0,{after}}}[^\s，,。;；]*"),
        heads=heads,
        head_of=head_of,
        locator=re.compile(
            "(?:" + _alternation(re.escape(j.joint) for j in book.region_locators) + r")\s*"
        ),
        other_industry=re.compile(_alternation(_word(w.word) for w in book.other_industries)),
        figurative=frozenset(w.word.casefold() for w in book.figurative_terms),
        topic_before=topic_before,
        topic_after=topic_after,
        sector_reference=re.compile(_alternation(_word(w.word) for w in book.sector_references)),
        quoted=re.compile('["“”「」]|' + _alternation(_word(w.word) for w in book.first_person)),
        caption_sentences=t.caption_sentences.value,
        title_max_words=t.title_max_words.value,
        title_max_chars=t.title_max_chars.value,
        lead_in_words=t.lead_in_words.value,
        lead_in_chars=t.lead_in_chars.value,
        unit_chars=b.unit_chars.value,
        pairs_per_tie=b.pairs_per_tie.value,
        ties_per_clause=b.ties_per_clause.value,
    )
