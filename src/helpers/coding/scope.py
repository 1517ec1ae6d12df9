"""The place a sentence speaks of: the places it names, the place in scope it carries over
from earlier sentences, and the reference words and plural back-references that point at them
(the rules R-SCOPE, R-REF, R-ANAPHORA of codebook/README.md)."""

from __future__ import annotations

from dataclasses import dataclass, field

from helpers.codebook.book import Codebook
from helpers.codebook.cues import CueIndex
from helpers.codebook.rules import CodingRules
from helpers.codebook.terms import TermMatch


@dataclass(frozen=True)
class Place:
    place_id: str
    level: str  # province | region
    via_region: str | None
    mention: TermMatch | None  # where the place (or the reference to it) stands in the sentence
    city_id: str | None = None
    set_by: str | None = None  # sentence that named the place, when carried from elsewhere


@dataclass
class Scope:
    """What a place-less sentence can stand for (see the rules R-SCOPE, R-REF, R-ANAPHORA)."""

    places: list[Place]  # the places of the last sentence that named or resolved any
    sentence_id: str
    active: bool  # False after a statement about China as a whole, or for a dateline
    region: list[Place] | None = None  # the last region named, with its members
    region_sentence: str | None = None
    recent: list[Place] = field(default_factory=list)  # every place named so far, latest last


def sentence_places(matches: list[TermMatch], codebook: Codebook) -> list[Place]:
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
            out.append(Place(pid, "province", via, m, city))
        elif m.entity_type == "region" and codebook.regions[m.entity_id].names_members:
            out += [
                Place(p, "province", m.entity_id, m) for p in codebook.regions[m.entity_id].members
            ]
        elif m.entity_type == "region":
            out.append(Place(m.entity_id, "region", None, m))
    return out


def carried(places: list[Place], mention: TermMatch | None, sentence_id: str) -> list[Place]:
    """Places of another sentence, standing at ``mention`` (a reference word) in this one."""
    return [
        Place(p.place_id, p.level, p.via_region, mention, p.city_id, p.set_by or sentence_id)
        for p in places
    ]


def unit_of(place: Place) -> str:
    """A place, or the region it was named through (a region counts once)."""
    return place.via_region or place.place_id


def count_units(places: list[Place]) -> int:
    """How many distinct places a scope holds (a region with its members counts once)."""
    return len({unit_of(p) for p in places})


def last_units(places: list[Place], n: int) -> list[Place]:
    """The places of the last ``n`` units named (in naming order)."""
    keep = list(dict.fromkeys(unit_of(p) for p in reversed(places)))[:n]
    return [p for p in places if unit_of(p) in keep]


def counted(words: str, rules: CodingRules) -> int:
    """How many places a numbered plural stands for ("the three", 三地); 0 when it says not."""
    match = rules.count.search(words)
    if match is None:
        return 0
    return int(match[0]) if match[0].isdigit() else rules.count_words[match[0].casefold()]


def is_national(cue_text: CueIndex, matches: list[TermMatch]) -> bool:
    """A statement about China as a whole: a national word before the first sector term."""
    national = cue_text.find("national")
    first_sector = next((m.start for m in matches if m.entity_type == "sector"), None)
    return national is not None and (first_sector is None or national[0] < first_sector)


def referred(cue_text, scope: Scope, sentence_id: str, start: int = 0, end: int | None = None):
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
    return carried(places, mention, sentence_id), "R-REF"


def new_scope(places: list[Place], scope: Scope | None, sentence_id: str) -> Scope:
    """The scope a sentence naming ``places`` sets; the last region named is remembered."""
    regions = [p for p in places if p.level == "region" or p.via_region]
    if regions:
        region, region_sentence = carried(regions, None, sentence_id), sentence_id
    elif scope is not None:
        region, region_sentence = scope.region, scope.region_sentence
    else:
        region, region_sentence = None, None
    now = carried(places, None, sentence_id)
    named = {unit_of(p) for p in now}
    earlier = [p for p in (scope.recent if scope is not None else []) if unit_of(p) not in named]
    return Scope(now, sentence_id, True, region, region_sentence, earlier + now)


def resolve(cue_text: CueIndex, matches, scope: Scope, sentence_id: str, rules: CodingRules):
    """Places for a sentence that names none: a reference word or role noun (R-REF), a
    plural back-reference (R-ANAPHORA), or the place in scope (R-SCOPE)."""
    plural = cue_text.find("plural")
    wanted = counted(plural[2], rules) if plural else 0
    if wanted > count_units(scope.places) and count_units(scope.recent) >= wanted:
        # "None of the three": the last three places named, not only the last sentence's
        mention = TermMatch(plural[0], plural[1], plural[2], "ref", "", None)
        return carried(last_units(scope.recent, wanted), mention, sentence_id), "R-ANAPHORA"
    if plural and count_units(scope.places) > 1:
        mention = TermMatch(plural[0], plural[1], plural[2], "ref", "", None)
        return carried(scope.places, mention, sentence_id), "R-ANAPHORA"
    if plural or cue_text.find("reference"):
        return referred(cue_text, scope, sentence_id)
    if is_national(cue_text, matches):
        scope.active = False
        return [], "R-SENT"
    speaker = cue_text.find("speaker")
    national = cue_text.find("national")
    if speaker and scope.active and not national:  # "…, he said"
        mention = TermMatch(speaker[0], speaker[1], speaker[2], "ref", "", None)
        return carried(speaking(scope, speaker[2]), mention, sentence_id), "R-REF"
    has_sector = any(m.entity_type == "sector" for m in matches)
    has_cue = cue_text.find("priority") or cue_text.find("achievement")
    if has_sector and national and rules.quoted.search(cue_text.text):
        # a national statement quoted in a province's story ("'We will …,' the State
        # Council's report said") is no statement of the province, and ends its scope
        scope.active = False
        return [], "R-SENT"
    if scope.active and has_sector and has_cue and not national and count_units(scope.places) == 1:
        return carried(scope.places, None, sentence_id), "R-SCOPE"
    return [], "R-SENT"


def speaking(scope: Scope, word: str) -> list[Place]:
    """Whom a speaker ("officials", "the report", 报告) speaks for: the places in scope; for a
    report, when the last sentence named only a region, the province named before it (a
    government work report is a province's: a region mentioned in its story has none)."""
    is_report = "report" in word.casefold() or "报告" in word
    if not is_report or any(p.level != "region" for p in scope.places):
        return scope.places
    provinces = [p for p in scope.recent if p.level != "region"]
    return last_units(provinces, 1) if provinces else scope.places
