"""Relation cues (``cues.yaml``): their syntax, the file's model, and the lexicon that finds
every cue of a sentence in a few passes (``Cues.index``) and answers by kind and span
(``CueIndex``)."""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from typing import Annotated

from pydantic import PrivateAttr, ValidationInfo, create_model, field_validator, model_validator

from helpers.codebook.entries import Entries, at_most
from helpers.codebook.terms import trie_regex
from helpers.engine.errors import clip
from helpers.engine.models import Model

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

CUE_KINDS = (
    "priority",
    "achievement",
    "past",
    "future",
    "negation",
    "hypothetical",
    "event",
    "caption",
    "not_a_place",
    "not_cue",
    "national",
    "reference",
    "speaker",
    "plural",
)
_GAP = r"(?:\W+\w+){0,4}?\W+"
# Kinds sought in the sentence as written (place names not blanked), not in the cue index.
_OWN_SEARCH = frozenset({"caption", "not_a_place"})


def _cue_body(cue: str) -> tuple[str, str]:
    """A cue of cues.yaml as (form, regex): form is "re", "zh" or "en" (see cues.yaml)."""
    if cue.startswith("re:"):
        body = cue[3:]  # a leading (?i) becomes a scoped flag so cues can be joined
        return "re", (f"(?i:{body[4:]})" if body.startswith("(?i)") else body)
    if _CJK.search(cue):
        return "zh", re.escape(cue)
    parts = []
    for part in cue.split(" ... "):
        words = [
            re.escape(w.rstrip("*")) + (r"\w*" if w.endswith("*") else "") for w in part.split()
        ]
        parts.append(r"\s+".join(words))
    return "en", _GAP.join(parts)


def _cue_regex(cues: list[str]) -> str:
    """One alternation for many cues; English cues share one pair of word-boundary checks,
    which keeps the search fast."""
    forms: dict[str, list[str]] = {"en": [], "zh": [], "re": []}
    for cue in cues:
        form, body = _cue_body(cue)
        forms[form].append(body)
    alts = []
    if forms["en"]:
        english = "|".join(sorted(forms["en"], key=len, reverse=True))
        alts.append(r"(?<![A-Za-z])(?i:" + english + r")(?![A-Za-z])")
    if forms["zh"]:
        alts.append("|".join(sorted(forms["zh"], key=len, reverse=True)))
    alts += [f"(?:{body})" for body in forms["re"]]
    return "|".join(alts) if alts else r"(?!x)x"


class CueEntry(Model):
    """One entry of cues.yaml: the cue as written (a regex's spaces count) and a sentence it
    must be found in."""

    cue: Annotated[str, at_most("cue")]
    example: Annotated[str, at_most("prose")]
    _pattern: re.Pattern = PrivateAttr()

    @field_validator("cue", "example")
    @classmethod
    def _not_blank(cls, value: str, info: ValidationInfo) -> str:
        if not value.strip():
            raise ValueError(f"field `{info.field_name}` is empty")
        return value

    @model_validator(mode="after")
    def _found_in_example(self) -> CueEntry:
        try:
            self._pattern = re.compile(_cue_regex([self.cue]))
        except re.error as exc:
            raise ValueError(f"cue {clip(self.cue)}: bad regular expression: {exc}") from None
        if not self._pattern.search(self.example):
            raise ValueError(f"cue {clip(self.cue)}: not found in its own example")
        return self

    def of_kind(self, kind: str) -> Cue:
        return Cue(kind, self.cue, self.example, self._pattern)


@dataclass(frozen=True)
class Cue:
    """A cue of the lexicon: its kind (the list of cues.yaml it is in) and compiled pattern."""

    kind: str
    cue: Annotated[str, at_most("cue")]
    example: Annotated[str, at_most("prose")]
    pattern: re.Pattern


class Cues:
    """The relation-cue lexicon, compiled once on load.

    ``index`` finds every cue of a sentence in one pass of one regex, longest cue first at each
    position, so a not-cue such as "developed countries" or 发展势头 hides the shorter cue
    inside it.
    """

    def __init__(self, cues: list[Cue]):
        self.cues = tuple(cues)
        self._by_kind = {
            kind: re.compile(_cue_regex([c.cue for c in cues if c.kind == kind]))
            for kind in CUE_KINDS
        }
        # A few passes over a sentence find every cue but captions: one over the lower-cased
        # text (English cues, grouped by first letter, and case-insensitive regex cues), one over
        # the text as written (case-sensitive regex cues such as "may"), and, for a text with
        # Chinese, one for Chinese cues (a trie, longest first, and regex cues such as 未(?!来)).
        # Lower-casing beats the regex engine's slow case-insensitive matching threefold.
        english: dict[str, list[str]] = {}
        folded, chinese, chinese_re, exact = [], [], [], []
        for c in cues:
            if c.kind in _OWN_SEARCH:
                continue  # shapes sought on their own, in the text as written
            if c.cue.startswith("re:"):
                form, body = _cue_body(c.cue)
                if body.startswith("(?i:"):
                    folded.append(body)
                elif _CJK.search(body):
                    chinese_re.append(body)
                else:
                    exact.append(body)
            elif _CJK.search(c.cue):
                chinese.append(c.cue)
            else:
                form, body = _cue_body(c.cue.lower())
                english.setdefault(body[0], []).append(body[1:])

        def alternation(items):
            return "|".join(sorted(set(items), key=lambda body: (-len(body), body)))

        groups = "|".join(
            re.escape(first) + "(?:" + alternation(rests) + ")"
            for first, rests in sorted(english.items())
        )
        # Case-insensitive regex cues run on the lower-cased text too; those that start at a word
        # edge share the English cues' one edge check (a leading lookbehind per regex costs
        # more than all the rest of the search).
        edge = "(?<![A-Za-z])"
        at_edge, elsewhere = [], []
        for body in sorted(set(folded), key=lambda b: (-len(b), b)):
            inner = body[4:-1]  # drop the (?i: ... ) wrapper
            if inner.startswith(edge):
                at_edge.append(f"(?:{inner[len(edge) :]})")
            else:
                elsewhere.append(f"(?:{inner})")
        starts = ([f"(?:{groups})(?![a-z])"] if groups else []) + at_edge
        lower = [r"(?<![a-z])(?:" + "|".join(starts) + ")"] if starts else []
        lower += elsewhere
        zh = ([trie_regex(sorted(set(chinese)))] if chinese else []) + [
            f"(?:{b})" for b in sorted(set(chinese_re))
        ]
        never = r"(?!x)x"
        self._lower = re.compile("|".join(lower) or never)  # on the lower-cased text
        self._exact = re.compile("|".join(f"(?:{b})" for b in sorted(set(exact))) or never)
        self._zh = re.compile("|".join(zh) or never)  # only for texts with Chinese
        self._kinds_of: dict[tuple[str, str, str], frozenset[str]] = {}

    def _kinds(self, text: str, start: int, end: int) -> frozenset[str]:
        """The kinds whose own pattern matches exactly text[start:end], in its context.

        Remembered by the match with two characters before and six after it, the most any
        cue's lookaround reads (keep new cues within that).
        """
        key = (text[max(0, start - 2) : start], text[start:end], text[end : end + 6])
        kinds = self._kinds_of.get(key)
        if kinds is None:
            kinds = self._kinds_of[key] = self._match_kinds(text, start, end)
        return kinds

    def _match_kinds(self, text: str, start: int, end: int) -> frozenset[str]:
        out = []
        for kind in CUE_KINDS:
            if kind in _OWN_SEARCH:
                continue
            m = self._by_kind[kind].match(text, start)
            if m is not None and m.end() == end:
                out.append(kind)
            elif m is not None:
                # an alternation may match shorter at this position first: look further
                if any(x.end() == end for x in self._by_kind[kind].finditer(text, start, end)):
                    out.append(kind)
        return frozenset(out)

    def find(self, kind: str, text: str, start: int = 0, end: int | None = None):
        """The first cue of ``kind`` in text[start:end], as a match, or None."""
        return self._by_kind[kind].search(text, start, len(text) if end is None else end)

    def finditer(self, kind: str, text: str):
        return self._by_kind[kind].finditer(text)

    def index(self, text: str) -> CueIndex:
        """Every cue of a text (but captions), found in one pass."""
        lowered = text.lower()
        if len(lowered) != len(text):  # a rare character that lower-cases to two
            lowered = text
        spans = []
        passes = [(self._lower, lowered), (self._exact, text)]
        if _CJK.search(text):
            passes.append((self._zh, text))
        for pattern, searched in passes:
            for m in pattern.finditer(searched):
                kinds = self._kinds(text, m.start(), m.end())
                if kinds:
                    spans.append((m.start(), m.end(), text[m.start() : m.end()], kinds))
        spans.sort()
        return CueIndex(text, spans)


class CueIndex:
    """The cues of one text, asked for by kind and span.

    Each kind's cues are kept sorted by start, so a question costs a binary search: the
    coding asks several per tie, and a long clause holds many cues."""

    def __init__(self, text: str, spans: list[tuple]):
        self.text = text
        by_kind: dict[str, list[tuple[int, int, str]]] = {}
        for s, e, t, kinds in spans:  # spans come sorted
            for kind in kinds:
                by_kind.setdefault(kind, []).append((s, e, t))
        self._by_kind = by_kind
        self._starts = {kind: [s for s, _, _ in found] for kind, found in by_kind.items()}

    def find(self, kind: str, start: int = 0, end: int | None = None) -> tuple | None:
        """The first cue of ``kind`` lying within text[start:end]: (start, end, text) or None.

        Cues found in one pass do not overlap, so only the few that cross ``end`` (one per
        pass) are skipped before the answer."""
        found = self._by_kind.get(kind)
        if not found:
            return None
        end = len(self.text) if end is None else end
        for i in range(bisect_left(self._starts[kind], start), len(found)):
            s, e, t = found[i]
            if s >= end:
                return None
            if e <= end:
                return s, e, t
        return None


class _CueLists(Model):
    """The base of CuesFile: a cue listed twice under one kind is refused."""

    @model_validator(mode="after")
    def _no_duplicates(self) -> _CueLists:
        for kind in CUE_KINDS:
            seen: set[str] = set()
            for entry in getattr(self, kind):
                if entry.cue in seen:
                    raise ValueError(f"duplicate {kind} cue {clip(entry.cue)}")
                seen.add(entry.cue)
        return self


# cues.yaml: one non-empty list of cues for each kind, in CUE_KINDS order.
CuesFile = create_model(
    "CuesFile",
    __base__=_CueLists,
    __doc__="cues.yaml.",
    **{kind: (Entries(CueEntry), ...) for kind in CUE_KINDS},
)
