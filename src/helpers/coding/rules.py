"""Coding: sentences -> codebook mentions -> (place, sector) codings -> priority matrix.

The rules are deliberately few, general and transparent (documented with their ids in
codebook/README.md), so a reader can check every coding against its evidence sentence, and a
researcher can override any of them in the adjudications file instead of editing code. Words that
decide a relation are data (codebook/cues.yaml). A source is read in order, keeping the place in
scope, so a sentence that names no place ("The province will ...", 该市还将…) is tied to the place
its text is about, and the coding records the sentence that named it.
"""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from helpers.codebook.book import Codebook, TermMatch
from helpers.codebook.cues import CueIndex
from helpers.codebook.script import for_matching
from helpers.engine.errors import InputError
from helpers.engine.models import check_table, read_csv
from helpers.schemas import CODINGS, MENTIONS, PRIORITY_MATRIX, RELATION_RANK, RELATIONS

PLACE_APPOSITIVE = re.compile(
    r",\s*(?:the|a|an|home\s+to|which|where|one\s+of|known\s+as"
    r"|capital\s+of)(?![A-Za-z])",
    re.IGNORECASE,
)
SECTOR_APPOSITIVE = re.compile(r",\s*(?:a|an|which|one\s+of)(?![A-Za-z])", re.IGNORECASE)
CONTRASTIVE = re.compile(
    r",\s*(?:while|whereas)(?![A-Za-z])|(?<![,\w])\s*whereas(?![A-Za-z])"
    r"|;|；|，而|，但",
    re.IGNORECASE,
)
# A dateline opens a wire story: "BEIJING, Jan. 27 (Xinhua) --", "Shanghai (AFP) -",
# "新华社杭州1月15日电".
DATELINE = re.compile(
    r"^\s*[A-Z][A-Z .'-]{2,40},\s+(?:[A-Z][a-z]{2,8}\.?\s+\d{1,2}|\d{1,2}\s+[A-Z][a-z]{2,8})"
    r"(?:,\s*\d{4})?\s*(?:\([^)]{1,30}\))?\s*(?:--|—|–|-)\s*"
    r"|^\s*[A-Z][A-Za-z .'-]{2,40}\s*\((?:Xinhua|Reuters|AFP|AP|Bloomberg|CNS)\)\s*(?:--|—|–|-)\s*"
    r"|^\s*(?:新华社|中新社|人民网)?[^\s，。,]{0,10}?\d{1,2}月\d{1,2}日(?:电|讯)\s*"
)
# A title: a short first paragraph without final punctuation, or "X省：..." / "Place: ...".
_END_PUNCT = re.compile(r"[.!?。！？…\"”’)）]\s*$")
_TITLE_COLON = re.compile(r"^[^，。,.]{1,12}[：:]")
_TITLE_MAX_WORDS, _TITLE_MAX_CHARS = 20, 40
_BEFORE_WORDS = 3
# Up to four words after a place (in Chinese: up to the next comma).
_AFTER = re.compile(r"\s*(?:[^\s，,。;；]+\s+){0,4}[^\s，,。;；]*")
_CJK = re.compile(r"[\u3400-\u9fff]")
_WORD = re.compile(r"\S+")
# A comma that may open a list item naming its own place: "…, Wuhan …", "…, and Hefei …", "，上海…".
_LIST_COMMA = re.compile(r"(?:,\s*(?:and\s+)?|，)")


@dataclass(frozen=True)
class _Paren:
    start: int
    end: int
    anchor: TermMatch | None  # the mention the parenthetical attaches to


@dataclass(frozen=True)
class _Place:
    place_id: str
    level: str  # province | region
    via_region: str | None
    mention: TermMatch | None  # where the place (or the reference to it) stands in the sentence
    city_id: str | None = None
    set_by: str | None = None  # sentence that named the place, when carried from elsewhere


@dataclass
class _Scope:
    """What a place-less sentence can stand for (see the rules R-SCOPE, R-REF, R-ANAPHORA)."""

    places: list[_Place]  # the places of the last sentence that named or resolved any
    sentence_id: str
    active: bool  # False after a statement about China as a whole, or for a dateline
    region: list[_Place] | None = None  # the last region named, with its members
    region_sentence: str | None = None
    recent: list[_Place] = field(default_factory=list)  # every place named so far, latest last


def _parentheticals(text: str, matches: list[TermMatch]) -> list[_Paren]:
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
    out = [_Paren(s, e, _anchor(text, matches, s)) for s, e in spans]
    for m in matches:
        if any(p.start <= m.start < p.end for p in out):
            continue
        cue = SECTOR_APPOSITIVE if m.entity_type == "sector" else PLACE_APPOSITIVE
        head = cue.match(text, m.end)
        if not head:
            continue
        comma = text.find(",", head.end())
        end = comma if comma >= 0 else len(text.rstrip(". 。"))
        inside = [x for x in matches if m.end <= x.start < end]
        if any(x.entity_type != "sector" for x in inside):
            continue  # a list of places, not an appositive
        out.append(_Paren(m.end, end, m))
    return sorted(out, key=lambda p: p.start)


def _anchor(text: str, matches: list[TermMatch], start: int) -> TermMatch | None:
    before = [m for m in matches if m.end <= start and not text[m.end : start].strip()]
    return before[-1] if before else None


def _clauses(
    text: str, parens: list[_Paren], matches: list[TermMatch]
) -> list[tuple[int, int, bool]]:
    """Clause spans (start, end, listed): cut at contrastive joints, and at a comma that opens
    a list item with places of its own after one that named its own places and sectors
    ("江苏…已形成动力电池产业集群，上海、湖北…正加快集成电路攻关"; "Shanghai pledged chips,
    Wuhan expanded memory, and Hefei became a DRAM base"). ``listed`` marks a list item."""

    def hidden(pos: int) -> bool:
        return any(
            p.start <= pos < p.end for p in parens if p.anchor is None or text[p.start] in "(（"
        )

    cuts = {m.start(): False for m in CONTRASTIVE.finditer(text) if not hidden(m.start())}
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
        sectors = [m.start for m in matches if m.entity_type == "sector" and not hidden(m.start)]
        for at in commas:
            if hidden(at):
                continue
            last = max((c for c in cuts if c < at), default=0)
            nxt = min((c for c in cuts if c > at), default=len(text))
            if (
                any(last <= m.start < at for m in placed)
                and any(last <= s < at for s in sectors)
                and any(at < s < nxt for s in sectors)
            ):
                cuts.setdefault(at, True)
    bounds = sorted(cuts)
    ends = [*bounds, len(text)]
    starts = [0, *bounds]
    return [(a, b, cuts.get(a, False)) for a, b in zip(starts, ends, strict=True) if b > a]


def _blank(text: str, spans) -> str:
    """The text with spans blanked (same length, so offsets still hold)."""
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def is_title(text: str, first_paragraph: bool, one_sentence: bool) -> bool:
    """A headline or section title: one short sentence without final punctuation, or a
    "Place: ..." / "X省：..." line opening the text. Titles are not ties (they set the place)."""
    if not one_sentence:
        return False
    if first_paragraph and _TITLE_COLON.match(text):
        return True
    short = (
        len(text) <= _TITLE_MAX_CHARS
        if _CJK.search(text)
        else len(text.split()) <= _TITLE_MAX_WORDS
    )
    return short and not _END_PUNCT.search(text)


def coding_id(source_id, sentence_id, place_id, sector_id, technology_id, rule_id) -> str:
    """Stable id: the same tie from the same evidence by the same rule keeps its id."""
    key = "|".join([source_id, sentence_id, place_id, sector_id, technology_id or "", rule_id])
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def _sentence_places(matches: list[TermMatch], codebook: Codebook) -> list[_Place]:
    """Places named in a sentence: provinces, cities (as their province) and regions.

    A region is a place of its own level: its members are not its ties (CODING.md §1). A
    member the sentence names itself is coded as itself, and remembers the region
    (``via_region``) so the region and it count as one unit of the scope."""
    regions = [m.entity_id for m in matches if m.entity_type == "region"]
    named = set()
    out = []
    for m in matches:
        if m.entity_type in ("place", "city"):
            pid = m.entity_id if m.entity_type == "place" else m.sector_id
            named.add(pid)
            via = next((r for r in regions if pid in codebook.regions[r].members), None)
            city = m.entity_id if m.entity_type == "city" else None
            out.append(_Place(pid, "province", via, m, city))
        elif m.entity_type == "region" and codebook.regions[m.entity_id].names_members:
            out += [
                _Place(p, "province", m.entity_id, m) for p in codebook.regions[m.entity_id].members
            ]
        elif m.entity_type == "region":
            out.append(_Place(m.entity_id, "region", None, m))
    return out


def _carried(places: list[_Place], mention: TermMatch | None, sentence_id: str) -> list[_Place]:
    """Places of another sentence, standing at ``mention`` (a reference word) in this one."""
    return [
        _Place(p.place_id, p.level, p.via_region, mention, p.city_id, p.set_by or sentence_id)
        for p in places
    ]


def _unit(place: _Place) -> str:
    """A place, or the region it was named through (a region counts once)."""
    return place.via_region or place.place_id


def _units(places: list[_Place]) -> int:
    """How many distinct places a scope holds (a region with its members counts once)."""
    return len({_unit(p) for p in places})


def _last_units(places: list[_Place], n: int) -> list[_Place]:
    """The places of the last ``n`` units named (in naming order)."""
    keep = list(dict.fromkeys(_unit(p) for p in reversed(places)))[:n]
    return [p for p in places if _unit(p) in keep]


_COUNT_WORDS = {
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "两": 2,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
}
_COUNT = re.compile(r"(?i)(?<![a-z])(?:" + "|".join(_COUNT_WORDS) + r")(?![a-z])|\d+")


def _counted(words: str) -> int:
    """How many places a numbered plural stands for ("the three", 三地); 0 when it says not."""
    match = _COUNT.search(words)
    if match is None:
        return 0
    return int(match[0]) if match[0].isdigit() else _COUNT_WORDS[match[0].lower()]


def _is_national(cue_text: CueIndex, matches: list[TermMatch]) -> bool:
    """A statement about China as a whole: a national word before the first sector term."""
    national = cue_text.find("national")
    first_sector = next((m.start for m in matches if m.entity_type == "sector"), None)
    return national is not None and (first_sector is None or national[0] < first_sector)


def _referred(cue_text, scope: _Scope, sentence_id: str, start: int = 0, end: int | None = None):
    """The places a reference word in text[start:end] stands for (R-REF), if it holds one:
    the place in scope, or the last region named for "the region" (the region alone, not the
    members named beside it) or a plural word."""
    plural = cue_text.find("plural", start, end)
    ref = cue_text.find("reference", start, end) or plural
    if not ref:
        return [], "R-SENT"
    mention = TermMatch(ref[0], ref[1], ref[2], "ref", "", None)
    places = scope.places
    if scope.region and ("region" in ref[2].lower() or plural):
        places = [p for p in scope.region if p.level == "region"] or scope.region
    return _carried(places, mention, sentence_id), "R-REF"


def _new_scope(places: list[_Place], scope: _Scope | None, sentence_id: str) -> _Scope:
    """The scope a sentence naming ``places`` sets; the last region named is remembered."""
    regions = [p for p in places if p.level == "region" or p.via_region]
    if regions:
        region, region_sentence = _carried(regions, None, sentence_id), sentence_id
    elif scope is not None:
        region, region_sentence = scope.region, scope.region_sentence
    else:
        region, region_sentence = None, None
    carried = _carried(places, None, sentence_id)
    named = {_unit(p) for p in carried}
    earlier = [p for p in (scope.recent if scope is not None else []) if _unit(p) not in named]
    return _Scope(carried, sentence_id, True, region, region_sentence, earlier + carried)


def _stated(modality: str, standing: str | None) -> str:
    """The modality of a coding in a caption or at an event: an asserted statement there
    states no tie (``standing``), a negated or hypothetical one stays what it is."""
    return standing if modality == "asserted" and standing else modality


# What may stand between a place and its own sector in an attributive pair: 合肥的量子计算,
# 广东的“AI+机器人”, "Hefei's quantum computers", 成都大飞机 (nothing at all, in Chinese).
_ATTRIBUTIVE = re.compile(r"\s*(?:的|['’]s\b)?\s*[“\"「『《]?\s*")


def _paired(text: str, places: list[_Place], sectors: list[TermMatch]) -> dict:
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


def _lead_in(text: str, lo: int, pos: int) -> tuple[int, int]:
    """The few words (or Chinese characters) of text[lo:pos] right before ``pos``, where a
    negation or a hypothetical reaches what follows it."""
    if _CJK.search(text, lo, pos):
        return max(lo, pos - 12), pos
    width = 64  # look back only as far as the last words reach
    while True:
        at = max(lo, pos - width)
        words = list(_WORD.finditer(text, at, pos))
        if len(words) > _BEFORE_WORDS or at == lo:  # the first may be cut: not one of the last
            break
        width *= 4
    words = words[-_BEFORE_WORDS:]
    return (words[0].start(), pos) if words else (pos, pos)


# Bounds on what one sentence and one clause cost: a text without punctuation is one sentence.
MAX_UNIT_CHARS = 600
_SOFT_CUT = frozenset("，,、；;：:")


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


_UNCERTAIN = ("negation", "hypothetical")

# Bounds on what one clause costs: a clause may list many places and sectors.
MAX_PAIRS_PER_TIE = 16
MAX_TIES_PER_CLAUSE = 500


def _pairs_in_order(group, free, owned):
    """The (place mention, term) pairs of one tie, in reading order (place first, then term):
    a term a pairing signal gives to a place (``owned``) pairs with that place only."""
    for i, place in group:
        mine = owned.get(id(place.mention), ())
        if not free:
            for j, m in mine:
                yield i, j, place, m
            continue
        if not mine:
            for j, m in free:
                yield i, j, place, m
            continue
        for j, m in sorted([*free, *mine]):
            yield i, j, place, m


class _Coder:
    """Codes one sentence at a time, in reading order, keeping the place scope of its source."""

    def __init__(self, codebook: Codebook):
        self.cb = codebook
        self.cues = codebook.cues
        self.codings: dict[str, dict] = {}
        self.mentions: list[dict] = []
        self._mentioned: dict[str, int] = {}
        self._memo: dict[tuple, object] = {}  # what one sentence's pairs share (_modality)

    # -- relation and modality ------------------------------------------------------------

    def _relation(self, cue_text: CueIndex, start: int, end: int, caption: bool) -> str:
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

    def _modality(self, cue_text: CueIndex, place: _Place, term: TermMatch, clause) -> str:
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
            if key not in self._memo:
                after = _AFTER.match(cue_text.text, place.mention.end, c_end)
                self._memo[key] = after.span() if after else None
            if self._memo[key]:
                window.append(self._memo[key])
        later = self._later_predicates(cue_text, cue, c_end) if cue else (False, False)
        for n, (kind, label) in enumerate(
            zip(_UNCERTAIN, ("negated", "hypothetical"), strict=True)
        ):
            if later[n] or any(cue_text.find(kind, a, b) for a, b in window if b > a):
                return label
        return "asserted"

    def _lead_in(self, text: str, lo: int, pos: int) -> tuple[int, int]:
        """``_lead_in``, remembered for the sentence: many pairs share a mention."""
        key = ("lead", id(text), lo, pos)
        if key not in self._memo:
            self._memo[key] = _lead_in(text, lo, pos)
        return self._memo[key]

    def _later_predicates(self, cue_text: CueIndex, cue: tuple, c_end: int) -> tuple[bool, bool]:
        """Whether a negation, and a hypothetical, stands in the lead-in of a priority cue
        after ``cue`` in its clause. The same for every pair whose search reaches ``cue``, so
        it is worked out once a clause (``_memo`` holds it for the sentence)."""

        def key(c: tuple) -> tuple:
            return ("later", id(cue_text), c[0], c[1], c_end)

        if key(cue) in self._memo:
            return self._memo[key(cue)]
        chain = [cue]
        while (nxt := cue_text.find("priority", chain[-1][1], c_end)) and key(
            nxt
        ) not in self._memo:
            chain.append(nxt)
        flags, succ = (self._memo[key(nxt)], nxt) if nxt else ((False, False), None)
        for cur in reversed(chain):
            if succ is not None:
                a, b = _lead_in(cue_text.text, cur[1], succ[0])
                neg, hyp = (b > a and bool(cue_text.find(k, a, b)) for k in _UNCERTAIN)
                flags = (flags[0] or neg, flags[1] or hyp)
            self._memo[key(cur)] = flags
            succ = cur
        return flags

    # -- output ---------------------------------------------------------------------------
    def add(self, base, place: _Place, term: TermMatch, relation, modality, rule):
        if modality != "asserted":
            relation = "context"
        if rule == "R-SENT" and place.via_region and place.mention.entity_type == "region":
            rule = "R-REGION"  # a member named through a pair's name (`names_members`)
        sector_id = term.sector_id
        tech = None if term.entity_id == term.sector_id else term.entity_id
        cid = coding_id(
            base["source_id"], base["sentence_id"], place.place_id, sector_id, tech, rule
        )
        old = self.codings.get(cid)
        if old and RELATION_RANK[old["relation"]] <= RELATION_RANK[relation]:
            return
        self.codings[cid] = {
            "coding_id": cid,
            **base,
            "place_id": place.place_id,
            "place_level": place.level,
            "sector_id": sector_id,
            "technology_id": tech,
            "relation": relation,
            "modality": modality,
            "rule_id": rule,
            "via_region": place.via_region,
            "city_id": place.city_id,
            "place_sentence_id": place.set_by,
            "status": "auto",
            "adjudication_reason": None,
        }

    # -- one source -----------------------------------------------------------------------
    def code_source(self, rows) -> None:
        scope: _Scope | None = None
        topic: tuple[str, str | None] | None = None
        paragraph = None
        per_paragraph: dict[str, int] = {}
        for r in dict.fromkeys((r[1], r[2]) for r in rows):  # a long sentence is several rows
            per_paragraph[r[0]] = per_paragraph.get(r[0], 0) + 1
        first_paragraph = rows[0][1] if rows else None
        for source_id, paragraph_id, sentence_id, s_start, s_end, text in rows:
            self._memo.clear()
            found = self.cb.find_terms(text)
            first_in_paragraph = paragraph_id != paragraph
            paragraph = paragraph_id
            dateline = DATELINE.match(text)
            d_end = dateline.end() if dateline else 0
            in_dateline = [m for m in found if m.start < d_end]
            matches = [m for m in found if m.start >= d_end] if in_dateline else found
            matches, elsewhere = self._own_places(text, matches)
            parens = _parentheticals(text, matches)
            self._record_mentions(
                source_id,
                paragraph_id,
                sentence_id,
                s_start,
                found,
                _parentheticals(text, found) if in_dateline else parens,
            )
            # The headline is no tie, but its place sets the scope. A short line without final
            # punctuation further down may be a list item ("Jiangsu: chips and AI"): coded.
            title = paragraph_id == first_paragraph and is_title(
                text, True, per_paragraph[paragraph_id] == 1
            )
            places = _sentence_places(matches, self.cb)
            has_sector = any(m.entity_type == "sector" for m in matches)

            if first_in_paragraph:
                sector_ids = {m.sector_id for m in matches if m.entity_type == "sector"}
                techs = {m.entity_id for m in matches if m.entity_type == "sector"}
                topic = None
                if len(sector_ids) == 1 and not places:
                    tech = next(iter(techs)) if len(techs) == 1 else None
                    topic = (next(iter(sector_ids)), None if tech in self.cb.sectors else tech)

            if not places and in_dateline and scope is None:
                dl = _sentence_places(in_dateline, self.cb)
                scope = _Scope(_carried(dl, None, sentence_id), sentence_id, active=False)
            before = scope  # what a reference word before this sentence's own places points to
            if places:
                scope = _new_scope(places, scope, sentence_id)
            topical = topic is not None and places and not first_in_paragraph  # R-TOPIC
            if not has_sector and not topical:
                # nothing to code; a national statement still ends the scope
                if not places and scope is not None and self.cues.find("national", text):
                    scope.active = False
                continue

            # A photo caption stands as its own paragraph (with, at most, its credit line).
            caption = per_paragraph[paragraph_id] <= 2 and bool(self.cues.find("caption", text))
            # a verb of the central government or of a speaker's base is no relation here
            term_spans = [(m.start, m.end) for m in matches] + [(0, d_end)] + elsewhere
            blanked = _blank(text, term_spans)
            cue_text = self.cues.index(_blank(blanked, [(p.start, p.end) for p in parens]))
            inherited, rule = [], "R-SENT"
            if not places and scope is not None and not title:
                inherited, rule = self._resolve(cue_text, matches, scope, sentence_id)

            if title:
                continue  # a headline is not a tie; it only sets the place

            base = dict(
                source_id=source_id,
                paragraph_id=paragraph_id,
                sentence_id=sentence_id,
                start=int(s_start),
                end=int(s_end),
                evidence=text,
            )
            attached = [
                p
                for p in parens
                if p.anchor is not None and p.anchor.entity_type in ("place", "city", "region")
            ]
            # cues inside parentheticals are read only for R-PAREN
            cue_all = self.cues.index(blanked) if attached else cue_text
            for p in attached:  # R-PAREN
                anchors = [x for x in places if x.mention == p.anchor]
                relation = (
                    "achievement"
                    if not caption and cue_all.find("achievement", p.start, p.end)
                    else "context"
                )
                for m in matches:
                    if m.entity_type == "sector" and p.start <= m.start < p.end:
                        for anchor in anchors:
                            mod = self._modality(cue_all, anchor, m, (p.start, p.end))
                            mod = _stated(mod, "caption" if caption else None)
                            self.add(base, anchor, m, relation, mod, "R-PAREN")

            clause_places: tuple[list[_Place], str] | None = None
            previous = None  # the relation of the clause before, for a list item without a verb
            for k, (c_start, c_end, listed) in enumerate(_clauses(text, parens, matches)):
                inside = [m for m in matches if c_start <= m.start < c_end]
                own = [
                    m
                    for m in inside
                    if m.entity_type == "sector"
                    and not any(p.start <= m.start < p.end for p in attached)
                ]
                c_places = [x for x in places if c_start <= x.mention.start < c_end]
                c_rule = "R-SENT"
                relation = self._relation(cue_text, c_start, c_end, caption)
                if listed and relation == "context" and not cue_text.find("event", c_start, c_end):
                    relation = previous or relation  # "Jiangsu will build chips, Zhejiang AI"
                previous = relation
                # a caption, or an event that merely shows a product, states no tie (§4)
                event = caption or cue_text.find("event", c_start, c_end)
                standing = ("caption" if caption else "event") if event else None
                if not c_places and inherited and k == 0:
                    c_places, c_rule = inherited, rule
                elif not c_places and k == 0 and places and before is not None:
                    # "The province pledged A, while its capital Hefei ...": the reference word of
                    # a first clause points back, though a later clause names a place of its own
                    c_places, c_rule = _referred(cue_text, before, sentence_id, c_start, c_end)
                if not c_places and clause_places and relation != "context":
                    c_places, c_rule = clause_places  # "X will build A; it will also fund B"
                if c_places:
                    clause_places = (c_places, c_rule)
                placed = [(c_places, c_rule)]
                if k == 0 and c_rule == "R-SENT" and c_places and before is not None:
                    # "The municipality will build a hydrogen corridor with neighbouring
                    # Sichuan", 该市将与成都共建…: a reference word before the clause's first
                    # place is its subject, the place in scope, beside the places it names
                    first = min(x.mention.start for x in c_places)
                    subject, ref_rule = _referred(cue_text, before, sentence_id, c_start, first)
                    named = {x.place_id for x in c_places}
                    placed.append(([x for x in subject if x.place_id not in named], ref_rule))
                owner = _paired(text, c_places, own)
                clause = (c_start, c_end)
                for places_of, rule_of in placed:
                    if own:
                        ties = (relation, standing, rule_of)
                        self._code_ties(base, cue_text, clause, places_of, own, owner, ties)
                        continue
                    for place in places_of:
                        if topic is not None and not first_in_paragraph and rule_of == "R-SENT":
                            m = TermMatch(
                                c_end, c_end, "", "sector", topic[1] or topic[0], topic[0]
                            )
                            mod = self._modality(cue_text, place, m, (c_start, c_end))
                            mod = _stated(mod, standing)
                            self.add(base, place, m, relation, mod, "R-TOPIC")
            if inherited:
                scope.places = inherited

    def _code_ties(self, base, cue_text, clause, places, terms, owner, ties) -> None:
        """Every place x sector term of a clause, one tie at a time (R-SENT).

        Each tie (a place id and a sector or technology) is coded from the first of its
        (place mention, term) pairs in reading order, or, when the clause holds a negation or a
        hypothetical cue, from its first asserted pair (a later asserted pair outranks an
        earlier negated one). So the work is the ties' and not the pairs': a clause that
        names one place and one sector a thousand times is one tie. At most
        ``MAX_PAIRS_PER_TIE`` pairs are judged for one tie, and a clause makes at most
        ``MAX_TIES_PER_CLAUSE`` ties."""
        relation, standing, rule = ties
        uncertain = cue_text.find("negation", *clause) or cue_text.find("hypothetical", *clause)
        search = bool(uncertain) and standing is None and relation != "context"
        by_place: dict[tuple, list[tuple[int, _Place]]] = {}
        for i, place in enumerate(places):
            region_named = place.via_region and place.mention.entity_type == "region"
            by_place.setdefault((place.place_id, region_named), []).append((i, place))
        by_tie: dict[tuple, tuple[list, dict]] = {}  # (sector, technology) -> unowned, owned
        for j, m in enumerate(terms):
            free, owned = by_tie.setdefault((m.sector_id, m.entity_id), ([], {}))
            holder = owner.get(m)
            (free if holder is None else owned.setdefault(id(holder), [])).append((j, m))
        modality: dict[tuple, str] = {}  # members of a region share their mention

        def judged(place: _Place, m: TermMatch) -> str:
            key = (place.mention, m)
            if key not in modality:
                mod = self._modality(cue_text, place, m, clause) if uncertain else "asserted"
                modality[key] = _stated(mod, standing)
            return modality[key]

        chosen = []
        for group in by_place.values():
            for free, owned in by_tie.values():
                pairs = _pairs_in_order(group, free, owned)
                first = next(pairs, None)
                if first is None:
                    continue
                best = first
                if search and judged(first[2], first[3]) != "asserted":
                    for n, pair in enumerate(pairs, start=2):
                        if n > MAX_PAIRS_PER_TIE:
                            break
                        if judged(pair[2], pair[3]) == "asserted":
                            best = pair
                            break
                chosen.append((first[:2], best))
        chosen.sort(key=lambda c: c[0])
        for _, (_, _, place, m) in chosen[:MAX_TIES_PER_CLAUSE]:
            self.add(base, place, m, relation, judged(place, m), rule)

    def _own_places(self, text: str, matches: list[TermMatch]):
        """The matches less place names that stand for no policy of that place: inside or
        touching a `not_a_place` cue ("a Beijing-based analyst", "policymakers in Beijing");
        they stay mentions. Also returns the cues' spans, whose words are no relation cues
        ("as Beijing steps up a campaign")."""
        if not any(m.entity_type in ("place", "city") for m in matches):
            return matches, []
        spans = [h.span() for h in self.cues.finditer("not_a_place", text)]
        if not spans:
            return matches, []
        kept = [
            m
            for m in matches
            if m.entity_type not in ("place", "city")
            or not any(a <= m.end and m.start <= b for a, b in spans)
        ]
        return kept, spans

    def _resolve(self, cue_text: CueIndex, matches, scope: _Scope, sentence_id):
        """Places for a sentence that names none: a reference word or role noun (R-REF), a
        plural back-reference (R-ANAPHORA), or the place in scope (R-SCOPE)."""
        plural = cue_text.find("plural")
        wanted = _counted(plural[2]) if plural else 0
        if wanted > _units(scope.places) and _units(scope.recent) >= wanted:
            # "None of the three": the last three places named, not only the last sentence's
            mention = TermMatch(plural[0], plural[1], plural[2], "ref", "", None)
            return _carried(_last_units(scope.recent, wanted), mention, sentence_id), "R-ANAPHORA"
        if plural and _units(scope.places) > 1:
            mention = TermMatch(plural[0], plural[1], plural[2], "ref", "", None)
            return _carried(scope.places, mention, sentence_id), "R-ANAPHORA"
        if plural or cue_text.find("reference"):
            return _referred(cue_text, scope, sentence_id)
        if _is_national(cue_text, matches):
            scope.active = False
            return [], "R-SENT"
        speaker = cue_text.find("speaker")
        if speaker and scope.active and not cue_text.find("national"):  # "…, he said"
            mention = TermMatch(speaker[0], speaker[1], speaker[2], "ref", "", None)
            return _carried(scope.places, mention, sentence_id), "R-REF"
        has_sector = any(m.entity_type == "sector" for m in matches)
        has_cue = cue_text.find("priority") or cue_text.find("achievement")
        national = cue_text.find("national")
        if scope.active and has_sector and has_cue and not national and _units(scope.places) == 1:
            return _carried(scope.places, None, sentence_id), "R-SCOPE"
        return [], "R-SENT"

    def _record_mentions(self, source_id, paragraph_id, sentence_id, s_start, matches, parens):
        first = self._mentioned.get(sentence_id, 0) + 1  # numbered on across a long sentence
        self._mentioned[sentence_id] = first - 1 + len(matches)
        for n, m in enumerate(matches, start=first):
            self.mentions.append(
                {
                    "mention_id": f"{sentence_id}:m{n:02d}",
                    "source_id": source_id,
                    "paragraph_id": paragraph_id,
                    "sentence_id": sentence_id,
                    "start": int(s_start) + m.start,
                    "end": int(s_start) + m.end,
                    "text": m.text,
                    "entity_type": m.entity_type,
                    "entity_id": m.entity_id,
                    "sector_id": m.sector_id,
                    "in_parenthetical": any(p.start <= m.start < p.end for p in parens),
                }
            )


def code_sentences(
    sentences: pd.DataFrame, codebook: Codebook, adjudications_path: Path | str | None = None
) -> dict[str, pd.DataFrame]:
    """Code a SENTENCES table: returns mentions, codings (adjudicated) and priority_matrix.

    Sentences are matched in a simplified copy of the same length (``script.for_matching``);
    evidence and mention text are then those of the text as written."""
    order = sentences.sort_values(["source_id", "start"], kind="stable")
    coder = _Coder(codebook)
    columns = ["source_id", "paragraph_id", "sentence_id", "start", "end", "text"]
    rows = list(zip(*(order[c].tolist() for c in columns), strict=True))
    written = {row[2]: (row[3], row[5]) for row in rows}
    by_source: dict[str, list] = {}
    for source_id, paragraph_id, sentence_id, s_start, s_end, text in rows:
        matching = for_matching(text)
        spans = unit_spans(matching, codebook.find_terms, MAX_UNIT_CHARS)
        for a, b in spans:
            end = s_end if len(spans) == 1 else s_start + b
            unit = (source_id, paragraph_id, sentence_id, s_start + a, end, matching[a:b])
            by_source.setdefault(source_id, []).append(unit)
    for source_rows in by_source.values():
        coder.code_source(source_rows)
    for m in coder.mentions:
        s_start, text = written[m["sentence_id"]]
        m["text"] = text[m["start"] - s_start : m["end"] - s_start]
    for c in coder.codings.values():
        s_start, text = written[c["sentence_id"]]
        whole = c["start"] == s_start and c["end"] - c["start"] >= len(text)
        c["evidence"] = text if whole else text[c["start"] - s_start : c["end"] - s_start]
    mentions_df = pd.DataFrame(coder.mentions, columns=list(MENTIONS.columns))
    codings_df = pd.DataFrame(list(coder.codings.values()), columns=list(CODINGS.columns))
    if adjudications_path is not None:
        codings_df = apply_adjudications(codings_df, Path(adjudications_path), sentences, codebook)
    return {
        "mentions": mentions_df,
        "codings": codings_df,
        "priority_matrix": priority_matrix(codings_df, codebook.fallback_sectors()),
    }


def counted(codings: pd.DataFrame, fallback: frozenset[str] = frozenset()) -> pd.DataFrame:
    """Codings that count as ties: not rejected, asserted (a negated or hypothetical
    statement, a caption and an event are kept as codings for the record but are no ties,
    CODING.md §4), and a catch-all sector (``priority_fallback`` in sectors.yaml) only where
    its source names nothing more specific for that place."""
    live = codings[(codings["status"] != "rejected") & (codings["modality"] == "asserted")]
    if fallback and len(live):
        is_fallback = live["sector_id"].isin(fallback)
        others = live[~is_fallback]
        specific = set(zip(others["source_id"], others["place_id"], strict=True))
        keep = [
            not fb or (src, pid) not in specific
            for fb, src, pid in zip(is_fallback, live["source_id"], live["place_id"], strict=True)
        ]
        live = live[keep]
    return live


def priority_matrix(codings: pd.DataFrame, fallback: frozenset[str] = frozenset()) -> pd.DataFrame:
    """Per (place, sector): the strongest relation among the codings that count."""
    live = counted(codings, fallback).sort_values(["source_id", "start"], kind="stable")
    columns = list(PRIORITY_MATRIX.columns)
    if live.empty:
        return pd.DataFrame([], columns=columns)
    groups = live.assign(_rank=live["relation"].map(RELATION_RANK)).groupby(
        ["place_id", "sector_id"], sort=True
    )
    out = pd.DataFrame(
        {
            "place_level": groups["place_level"].first(),
            "relation": groups["_rank"].min().map(dict(enumerate(RELATIONS))),
            "n_codings": groups.size().astype("int64"),
            "n_sources": groups["source_id"].nunique().astype("int64"),
            "sentence_ids": groups["sentence_id"].agg(lambda ids: ";".join(dict.fromkeys(ids))),
        }
    ).reset_index()
    return out[columns]


ADJUDICATION_ACTIONS = ["accept", "reject", "add"]


def _needs(column: str, actions: list[str], wording: str) -> pa.Check:
    """A row-level rule: a row whose action is one of ``actions`` fills ``column``."""
    return pa.Check(
        lambda df: ~df["action"].isin(actions) | df[column].notna(),
        error=f"{wording} needs {column}",
    )


# The adjudications file (data/annotations/adjudications.csv): one override a row, every
# column present in this order, an empty cell missing. What a row names is looked up in
# apply_adjudications.
ADJUDICATIONS = pa.DataFrameSchema(
    {
        "action": pa.Column(str, pa.Check.isin(ADJUDICATION_ACTIONS)),
        "coding_id": pa.Column(str, nullable=True),
        "source_id": pa.Column(str, nullable=True),
        "sentence_id": pa.Column(str, nullable=True),
        "place_id": pa.Column(str, nullable=True),
        "sector_id": pa.Column(str, nullable=True),
        "relation": pa.Column(str, pa.Check.isin(RELATIONS), nullable=True),
        "reason": pa.Column(str),
    },
    checks=[
        _needs("coding_id", ["accept", "reject"], "an accept or a reject"),
        *(
            _needs(column, ["add"], "an add")
            for column in ("source_id", "sentence_id", "place_id", "sector_id", "relation")
        ),
    ],
    strict=True,
    ordered=True,
)


def apply_adjudications(
    codings: pd.DataFrame, path: Path, sentences: pd.DataFrame, codebook: Codebook
) -> pd.DataFrame:
    """Apply a researcher's accept / reject / add rows; any bad row stops with its line."""
    table = check_table(ADJUDICATIONS, read_csv(path, "adjudications file"), path)
    out = codings.copy()
    by_id = {cid: i for i, cid in enumerate(out["coding_id"])}
    sent = sentences.set_index("sentence_id")
    seen: set[str] = set()
    added = []
    for line, r in zip(table.index, table.fillna("").to_dict("records"), strict=True):
        where = f"row {line}"
        action = r["action"]
        if action in ("accept", "reject"):
            cid = r["coding_id"]
            if cid not in by_id:
                raise InputError(path, f"{where}: coding_id {cid!r} does not exist")
            if cid in seen:
                raise InputError(path, f"{where}: coding_id {cid!r} adjudicated twice")
            seen.add(cid)
            i = by_id[cid]
            out.iloc[i, out.columns.get_loc("status")] = (
                "accepted" if action == "accept" else "rejected"
            )
            out.iloc[i, out.columns.get_loc("adjudication_reason")] = r["reason"]
        else:  # add
            if r["place_id"] in codebook.places:
                level = "province"
            elif r["place_id"] in codebook.regions:
                level = "region"
            else:
                raise InputError(path, f"{where}: unknown place_id {r['place_id']!r}")
            if r["sector_id"] not in codebook.sectors:
                raise InputError(path, f"{where}: unknown sector_id {r['sector_id']!r}")
            if (
                r["sentence_id"] not in sent.index
                or sent.loc[r["sentence_id"], "source_id"] != r["source_id"]
            ):
                raise InputError(
                    path,
                    f"{where}: unknown sentence {r['sentence_id']!r} of source {r['source_id']!r}",
                )
            s = sent.loc[r["sentence_id"]]
            cid = coding_id(
                r["source_id"], r["sentence_id"], r["place_id"], r["sector_id"], None, "ADJ-ADD"
            )
            if cid in by_id or cid in seen:
                raise InputError(path, f"{where}: this coding was already added")
            seen.add(cid)
            added.append(
                {
                    "coding_id": cid,
                    "source_id": r["source_id"],
                    "paragraph_id": s["paragraph_id"],
                    "sentence_id": r["sentence_id"],
                    "start": int(s["start"]),
                    "end": int(s["end"]),
                    "evidence": s["text"],
                    "place_id": r["place_id"],
                    "place_level": level,
                    "sector_id": r["sector_id"],
                    "technology_id": None,
                    "relation": r["relation"],
                    "modality": "asserted",
                    "rule_id": "ADJ-ADD",
                    "via_region": None,
                    "city_id": None,
                    "place_sentence_id": None,
                    "status": "added",
                    "adjudication_reason": r["reason"],
                }
            )
    if added:
        out = pd.concat([out, pd.DataFrame(added, columns=out.columns)], ignore_index=True)
    return out
