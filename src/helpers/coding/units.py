"""The geometry of a sentence: its dateline, headline, parentheticals and clauses, and the
pieces a very long sentence is coded in. Offsets are the sentence's throughout."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from helpers.codebook.cues import CueIndex
from helpers.codebook.rules import CodingRules
from helpers.codebook.terms import TermMatch

# A title: a short first paragraph without final punctuation, or "X省：..." / "Place: ...".
_END_PUNCT = re.compile(r"[.!?。！？…\"”’)）]\s*$")
_TITLE_COLON = re.compile(r"^[^，。,.]{1,12}[：:]")
# The title lengths of codebook/rules.yaml, for a caller without the codebook (the framing).
TITLE_MAX_WORDS, TITLE_MAX_CHARS = 20, 40
_CJK = re.compile(r"[\u3400-\u9fff]")
# A comma that may open a list item naming its own place: "…, Wuhan …", "…, and Hefei …", "，上海…",
# and "…, to Henan's …, and then to Yunnan's …" (the English of a 从…到…到… enumeration).
_LIST_COMMA = re.compile(r"(?:,\s*(?:and\s+)?(?:then\s+)?(?:to\s+)?|，)")
_SOFT_CUT = frozenset("，,、；;：:")


@dataclass(frozen=True)
class Paren:
    start: int
    end: int
    anchor: TermMatch | None  # the mention the parenthetical attaches to


def parentheticals(text: str, matches: list[TermMatch], rules: CodingRules) -> list[Paren]:
    """Bracketed spans and appositives, each with the mention it attaches to."""
    spans: list[tuple[int, int]] = []
    depth, open_at = 0, 0
    for i, ch in enumerate(text) if "(" in text or "（" in text else ():
        if ch in "(（":
            if depth == 0:
                open_at = i
            depth += 1
        elif ch in ")）" and depth:
            depth -= 1
            if depth == 0:
                spans.append((open_at, i + 1))
    if depth:
        spans.append((open_at, len(text)))
    out = [Paren(s, e, _anchor(text, matches, s)) for s, e in spans]
    for m in matches:
        if any(p.start <= m.start < p.end for p in out):
            continue
        cue = rules.sector_appositive if m.entity_type == "sector" else rules.place_appositive
        head = cue.match(text, m.end)
        if not head:
            continue
        comma = text.find(",", head.end())
        end = comma if comma >= 0 else len(text.rstrip(". 。"))
        inside = [x for x in matches if m.end <= x.start < end]
        if any(x.entity_type != "sector" for x in inside):
            continue  # a list of places, not an appositive
        out.append(Paren(m.end, end, m))
    return sorted(out, key=lambda p: p.start)


def _anchor(text: str, matches: list[TermMatch], start: int) -> TermMatch | None:
    """The mention right before ``start``, with only white space between (any earlier one has
    that mention between)."""
    before = [m for m in matches if m.end <= start]
    return before[-1] if before and not text[before[-1].end : start].strip() else None


def clauses(
    text: str,
    parens: list[Paren],
    matches: list[TermMatch],
    rules: CodingRules,
    cues: CueIndex | None = None,
) -> list[tuple[int, int, bool]]:
    """Clause spans (start, end, listed): cut at contrastive joints, and at a comma that opens
    a list item with places of its own after one that named its own places and sectors
    ("江苏…已形成动力电池产业集群，上海、湖北…正加快集成电路攻关"; "Shanghai pledged chips,
    Wuhan expanded memory, and Hefei became a DRAM base"). The item after the comma names a
    sector, or states a predicate of its own (a priority or achievement cue in ``cues``: "…,
    Henan will curb monopolies"), so the sector before is not given to its place; an item
    with neither ("…, Zhejiang too") shares the one before. ``listed`` marks a list item."""

    def hidden(pos: int) -> bool:
        return any(
            p.start <= pos < p.end for p in parens if p.anchor is None or text[p.start] in "(（"
        )

    cuts = {m.start(): False for m in rules.contrastive.finditer(text) if not hidden(m.start())}
    commas: list[int] = []
    if len(matches) > 2 and ("," in text or "，" in text):
        # A list item needs a place before its comma and one right after; a comma right after a
        # place is a list of places ("Inner Mongolia, Xinjiang and Sichuan").
        placed = [m for m in matches if m.entity_type in ("place", "city", "region")]
        if len(placed) > 1:
            starts, ends = {m.start for m in placed}, {m.end for m in placed}
            commas = [
                c.start()
                for c in _LIST_COMMA.finditer(text, placed[0].end)
                if c.end() in starts and c.start() not in ends
            ]
    if commas:
        # an item may name an industry outside technology (钢铁, "tourism"): it is an item of
        # its own all the same, so the sector of the item before does not spill into it
        sectors = [m.start for m in matches if m.entity_type == "sector" and not hidden(m.start)]
        sectors = sorted(sectors + [o.start() for o in rules.other_industry.finditer(text)])
        for at in commas:
            if hidden(at):
                continue
            last = max((c for c in cuts if c < at), default=0)
            nxt = min((c for c in cuts if c > at), default=len(text))
            if (
                any(last <= m.start < at for m in placed)
                and any(last <= s < at for s in sectors)
                and (any(at < s < nxt for s in sectors) or _own_predicate(cues, at, nxt))
            ):
                cuts.setdefault(at, True)
    bounds = sorted(cuts)
    ends = [*bounds, len(text)]
    starts = [0, *bounds]
    return [(a, b, cuts.get(a, False)) for a, b in zip(starts, ends, strict=True) if b > a]


def _own_predicate(cues: CueIndex | None, start: int, end: int) -> bool:
    """A priority or achievement cue in text[start:end]: the list item says what its place
    does, even without a sector of the codebook."""
    return cues is not None and any(cues.find(k, start, end) for k in ("priority", "achievement"))


def blank(text: str, spans) -> str:
    """The text with spans blanked (same length, so offsets still hold)."""
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def is_title(
    text: str, first_paragraph: bool, one_sentence: bool, rules: CodingRules | None = None
) -> bool:
    """A headline or section title: one short sentence without final punctuation, or a
    "Place: ..." / "X省：..." line opening the text. Titles are not ties (they set the place).
    Its lengths are ``rules``' (codebook/rules.yaml), or the same defaults without them."""
    if not one_sentence:
        return False
    if first_paragraph and _TITLE_COLON.match(text):
        return True
    words, chars = (
        (rules.title_max_words, rules.title_max_chars)
        if rules is not None
        else (TITLE_MAX_WORDS, TITLE_MAX_CHARS)
    )
    short = len(text) <= chars if _CJK.search(text) else len(text.split()) <= words
    return short and not _END_PUNCT.search(text)


def unit_spans(text: str, find_terms, limit: int) -> list[tuple[int, int]]:
    """A sentence as the spans coded one after the other: the sentence itself, or, when it is
    longer than ``limit`` characters (a text without full stops), pieces of at most ``limit``,
    each cut after the last comma, semicolon or colon of its second half, else at its last
    space, and never inside a codebook term (``find_terms`` gives their spans)."""
    if len(text) <= limit:
        return [(0, len(text))]
    terms = [(m.start, m.end) for m in find_terms(text)]
    starts = [a for a, _ in terms]

    def inside(at: int) -> int | None:
        """The start of the term that ``at`` cuts through, if any."""
        k = bisect_right(starts, at) - 1
        return terms[k][0] if k >= 0 and terms[k][0] < at < terms[k][1] else None

    spans, pos = [], 0
    while len(text) - pos > limit:
        hi, lo = pos + limit, pos + limit // 2
        cut = next((c for c in range(hi, lo, -1) if text[c - 1] in _SOFT_CUT), None)
        if cut is None or inside(cut) is not None:
            cut = next((c for c in range(hi, lo, -1) if text[c - 1].isspace()), None)
        if cut is None or inside(cut) is not None:
            cut = hi if inside(hi) is None or inside(hi) <= pos else inside(hi)
        spans.append((pos, cut))
        pos = cut
    spans.append((pos, len(text)))
    return spans
