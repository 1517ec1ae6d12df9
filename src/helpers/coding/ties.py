"""The ties of one clause: every place x sector term, each tie coded once (CODING.md §3).

Each tie (a place id and a sector or technology) is coded from the first of its (place
mention, term) pairs in reading order, or, when the clause holds a negation or a hypothetical
cue, from its first asserted pair (a later asserted pair outranks an earlier negated one). So
the work is the ties' and not the pairs': a clause that names one place and one sector a
thousand times is one tie. At most ``pairs_per_tie`` pairs are judged for one tie, and a
clause makes at most ``ties_per_clause`` ties (codebook/rules.yaml)."""

from __future__ import annotations

from typing import NamedTuple

from helpers.codebook.cues import CueIndex
from helpers.codebook.rules import CodingRules
from helpers.codebook.terms import TermMatch
from helpers.coding import relations
from helpers.coding.record import Record
from helpers.coding.scope import Place

# A clause with at most this many (place, term) pairs codes each pair in turn (the definition);
# a larger one codes each tie from its first pairs (the same ties, at the cost of the ties).
_FEW_PAIRS = 64


class ClauseTies(NamedTuple):
    """What every tie of one clause shares."""

    base: dict  # the fields of the sentence's codings
    cue_text: CueIndex
    clause: tuple[int, int]
    relation: str
    standing: str | None  # "caption" or "event": it states no tie
    rule: str


def code_ties(
    record: Record,
    modality: relations.Modality,
    rules: CodingRules,
    at: ClauseTies,
    places: list[Place],
    terms: list[TermMatch],
    owner: dict,
) -> None:
    """Every place x sector term of a clause, one tie at a time (see the module)."""
    judged: dict[tuple, str] = {}  # members of a region share their mention

    def judge(place: Place, m: TermMatch) -> str:
        key = (place.mention, m)
        if key not in judged:
            mod = modality.of(at.cue_text, place, m, at.clause)
            judged[key] = relations.stated(mod, at.standing)
        return judged[key]

    few = min(_FEW_PAIRS, rules.ties_per_clause)  # so the cap on ties cannot bind
    if len(places) * len(terms) <= few:  # most clauses: every pair, as defined
        for place in places:
            for m in terms:
                if owner.get(m, m) is place.mention or (
                    m not in owner and not (owner and _after(place, m))
                ):
                    record.add(at.base, place, m, at.relation, judge(place, m), at.rule)
        return
    uncertain = any(at.cue_text.find(kind, *at.clause) for kind in relations.UNCERTAIN)
    search = uncertain and at.standing is None and at.relation != "context"
    chosen = []
    tie_terms = _by_tie(terms, owner)
    for group in _by_place(places).values():
        for free, owned in tie_terms.values():
            pairs = _pairs_in_order(group, free, owned, bool(owner))
            first = next(pairs, None)
            if first is None:
                continue
            best = first
            if search and judge(first[2], first[3]) != "asserted":
                for n, pair in enumerate(pairs, start=2):
                    if n > rules.pairs_per_tie:
                        break
                    if judge(pair[2], pair[3]) == "asserted":
                        best = pair
                        break
            chosen.append((first[:2], best))
    chosen.sort(key=lambda c: c[0])
    for _, (_, _, place, m) in chosen[: rules.ties_per_clause]:
        record.add(at.base, place, m, at.relation, judge(place, m), at.rule)


def _by_place(places: list[Place]) -> dict[tuple, list[tuple[int, Place]]]:
    """The clause's places by tie: a place id, and whether a pair's name named it."""
    out: dict[tuple, list[tuple[int, Place]]] = {}
    for i, place in enumerate(places):
        region_named = place.via_region and place.mention.entity_type == "region"
        out.setdefault((place.place_id, region_named), []).append((i, place))
    return out


def _by_tie(terms: list[TermMatch], owner: dict) -> dict[tuple, tuple[list, dict]]:
    """(sector, technology) -> its terms no place owns, and those each place owns."""
    out: dict[tuple, tuple[list, dict]] = {}
    for j, m in enumerate(terms):
        free, owned = out.setdefault((m.sector_id, m.entity_id), ([], {}))
        holder = owner.get(m)
        (free if holder is None else owned.setdefault(id(holder), [])).append((j, m))
    return out


def _after(place: Place, m: TermMatch) -> bool:
    """Whether the place is named after the term (in a clause of pairs, a term that no place
    owns belongs to the places before it: 两地将发展航空航天，推动成都大飞机和重庆卫星…)."""
    return place.mention is not None and place.mention.start > m.start


def _pairs_in_order(group, free, owned, pairing=False):
    """The (place mention, term) pairs of one tie, in reading order (place first, then term):
    a term a pairing signal gives to a place (``owned``) pairs with that place only, and in a
    clause of pairs (``pairing``) a term no place owns pairs with the places before it only."""
    for i, place in group:
        mine = owned.get(id(place.mention), ())
        pool = [(j, m) for j, m in free if not _after(place, m)] if pairing else free
        if not pool:
            for j, m in mine:
                yield i, j, place, m
            continue
        if not mine:
            for j, m in pool:
                yield i, j, place, m
            continue
        for j, m in sorted([*pool, *mine]):
            yield i, j, place, m
