"""How a clause ties a place to a sector: its relation (priority, achievement, context), the
modality of each (place, term) pair (asserted, negated, hypothetical), and the pairing signals
that give each sector of a list to its own place (CODING.md §3, §4)."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right

from helpers.codebook.cues import CueIndex
from helpers.codebook.rules import CodingRules
from helpers.codebook.terms import TermMatch
from helpers.coding.scope import Place

_CJK = re.compile(r"[\u3400-\u9fff]")
_WORD = re.compile(r"\S+")
UNCERTAIN = ("negation", "hypothetical")


def relation(cue_text: CueIndex, start: int, end: int, caption: bool) -> str:
    """The relation a clause states: context at a caption or an event; an achievement told
    with a policy verb in the past; a priority; an achievement; else context."""
    if caption or cue_text.find("event", start, end):
        return "context"
    achievement = cue_text.find("achievement", start, end)
    if (
        achievement
        and cue_text.find("past", start, end)
        and not cue_text.find("future", start, end)
    ):
        return "achievement"  # a past fact told with a policy verb ("去年…扎实推进")
    if cue_text.find("priority", start, end):
        return "priority"
    return "achievement" if achievement else "context"


def stated(modality: str, standing: str | None) -> str:
    """The modality of a coding in a caption or at an event: an asserted statement there
    states no tie (``standing``), a negated or hypothetical one stays what it is."""
    return standing if modality == "asserted" and standing else modality


# What may stand between a place and its own sector in an attributive pair: 合肥的量子计算,
# 广东的“AI+机器人”, "Hefei's quantum computers", 成都大飞机 (nothing at all, in Chinese).
_ATTRIBUTIVE = re.compile(r"\s*(?:的|['’]s\b)?\s*[“\"「『《]?\s*")


def paired(text: str, places: list[Place], sectors: list[TermMatch]) -> dict:
    """Sector mention -> the place mention it belongs to, when the clause pairs them
    (CODING.md §3): two or more places each directly followed by a sector of their own
    (possessive or attributive) make a list of pairs, and every sector then goes to the
    nearest place before it, never across. Empty when the clause holds no such list."""
    mentions = sorted({p.mention for p in places if p.mention is not None}, key=lambda m: m.start)
    starts = [m.start for m in sectors]  # in reading order
    attached = 0
    for p in mentions:
        # only the next term can follow a place directly: any later one has that term between
        k = bisect_left(starts, p.end)
        if k < len(sectors) and _ATTRIBUTIVE.fullmatch(text, p.end, sectors[k].start):
            attached += 1
            if attached == 2:
                break
    if attached < 2:
        return {}
    ends = [p.end for p in mentions]
    owner = {}
    for m in sectors:
        k = bisect_right(ends, m.start)
        if k:
            owner[m] = mentions[k - 1]
    return owner


def lead_in(text: str, lo: int, pos: int, words: int, chars: int) -> tuple[int, int]:
    """The few words (or Chinese characters) of text[lo:pos] right before ``pos``, where a
    negation or a hypothetical reaches what follows it."""
    if _CJK.search(text, lo, pos):
        return max(lo, pos - chars), pos
    width = 64  # look back only as far as the last words reach
    while True:
        at = max(lo, pos - width)
        found = list(_WORD.finditer(text, at, pos))
        if len(found) > words or at == lo:  # the first may be cut: not one of the last
            break
        width *= 4
    found = found[-words:]
    return (found[0].start(), pos) if found else (pos, pos)


class Modality:
    """The modality of (place, term) pairs, with what the pairs of one sentence share
    remembered (``memo``, cleared for each sentence): the lead-ins of its mentions and which
    priority cues have a negated one after them."""

    def __init__(self, rules: CodingRules):
        self.rules = rules
        self.memo: dict[tuple, object] = {}

    def of(self, cue_text: CueIndex, place: Place, term: TermMatch, clause) -> str:
        """negated / hypothetical when a cue stands between the place and the term, in the
        words before the first of them, or right after a place that follows its term
        ("chips, for which Jiangsu set no target")."""
        c_start, c_end = clause
        if not (
            cue_text.find("negation", c_start, c_end)
            or cue_text.find("hypothetical", c_start, c_end)
        ):
            return "asserted"  # most clauses: nothing to look for, and this runs per tie
        # A place carried from an earlier clause: a negation there does not reach this one
        # ("甘肃未提及6G，而是侧重发展新能源").
        outside = place.mention is None or place.mention.start < c_start
        if outside:
            lo, hi, first = c_start, term.start, c_start
        else:
            lo = min(place.mention.end, term.end)
            hi = max(place.mention.start, term.start)
            first = min(lo, place.mention.start)
        window = [(lo, hi), self._lead_in(cue_text.text, c_start, first)]
        # A negated predicate after the term: "the quantum lab was not on the agenda".
        at = max(hi, term.end)
        cue = cue_text.find("priority", at, c_end)
        if cue:
            window.append(self._lead_in(cue_text.text, at, cue[0]))
        if not outside and place.mention.start > term.start:
            key = ("after", id(cue_text), place.mention.end, c_end)
            if key not in self.memo:
                after = self.rules.after_place.match(cue_text.text, place.mention.end, c_end)
                self.memo[key] = after.span() if after else None
            if self.memo[key]:
                window.append(self.memo[key])
        later = self._later_predicates(cue_text, cue, c_end) if cue else (False, False)
        for n, (kind, label) in enumerate(zip(UNCERTAIN, ("negated", "hypothetical"), strict=True)):
            if later[n] or any(cue_text.find(kind, a, b) for a, b in window if b > a):
                return label
        return "asserted"

    def _lead_in(self, text: str, lo: int, pos: int) -> tuple[int, int]:
        """``lead_in``, remembered for the sentence: many pairs share a mention."""
        key = ("lead", id(text), lo, pos)
        if key not in self.memo:
            self.memo[key] = lead_in(
                text, lo, pos, self.rules.lead_in_words, self.rules.lead_in_chars
            )
        return self.memo[key]

    def _later_predicates(self, cue_text: CueIndex, cue: tuple, c_end: int) -> tuple[bool, bool]:
        """Whether a negation, and a hypothetical, stands in the lead-in of a priority cue
        after ``cue`` in its clause. The same for every pair whose search reaches ``cue``, so
        it is worked out once a clause (``memo`` holds it for the sentence)."""

        def key(c: tuple) -> tuple:
            return ("later", id(cue_text), c[0], c[1], c_end)

        if key(cue) in self.memo:
            return self.memo[key(cue)]
        chain = [cue]
        while (nxt := cue_text.find("priority", chain[-1][1], c_end)) and key(nxt) not in self.memo:
            chain.append(nxt)
        flags, succ = (self.memo[key(nxt)], nxt) if nxt else ((False, False), None)
        for cur in reversed(chain):
            if succ is not None:
                a, b = self._lead_in(cue_text.text, cur[1], succ[0])
                neg, hyp = (b > a and bool(cue_text.find(k, a, b)) for k in UNCERTAIN)
                flags = (flags[0] or neg, flags[1] or hyp)
            self.memo[key(cur)] = flags
            succ = cur
        return flags
