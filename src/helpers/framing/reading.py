"""How one sentence is read for framing: its clauses, the actors it mentions (a back-reference
resolved against the paragraph), what each direction cue says about whom, the comparators a
dimension cue is set against, and the comparator a ranking word singles out."""

from __future__ import annotations

import re
from dataclasses import dataclass

from helpers.framing.book import JOIN, NOT_ACTOR, FramingCodebook, Hit

_CLAUSE_BREAK = re.compile(
    r"[,;:，；：]|(?i:(?<!\w)(?:while|whereas|but|although)(?!\w))|但|而|然而|虽然"
)


def clauses(text: str) -> list[tuple[int, int]]:
    """Clause spans: direction cues speak about the actor of their own clause first."""
    cuts = [0] + [m.start() for m in _CLAUSE_BREAK.finditer(text)] + [len(text)]
    return [(a, b) for a, b in zip(cuts, cuts[1:], strict=False) if b > a]


@dataclass
class _Mention:
    start: int
    end: int
    actors: list[str]  # one actor, or a back-reference's resolution
    is_object: bool


def actor_mentions(text: str, cb: FramingCodebook, previous: list[str]):
    """Actor mentions of a sentence, and the claim's actor.

    The actor is the focal actor when named, else the first actor named; a back-reference
    stands for ``previous`` (the comparators of the paragraph's last sentence naming an actor,
    or its actor when it had none) less the claim's actor.
    """
    hits = [h for h in cb.actor_terms.find(text) if h.label != NOT_ACTOR]
    direct = ordered_unique(a for h in hits if h.label != "@back" for a in h.label.split(JOIN))
    if cb.focal_actor in direct:
        actor = cb.focal_actor
    elif direct:
        actor = direct[0]
    elif any(h.label == "@back" for h in hits) and previous:
        actor = previous[0]
    else:
        return [], None
    resolved = [a for a in previous if a != actor]
    out = []
    for hit in hits:
        actors = resolved if hit.label == "@back" else hit.label.split(JOIN)
        if not actors:
            continue  # an unresolved back-reference names nobody
        is_object = bool(cb.object_pattern.search(text[: hit.start]))
        out.append(_Mention(hit.start, hit.end, actors, is_object))
    return out, actor


def ordered_unique(items) -> list[str]:
    return list(dict.fromkeys(items))


def _holder(mentions: list[_Mention], pos: int, lo: int) -> list[str] | None:
    """Actors a direction cue at ``pos`` speaks about: the nearest non-object mention before it,
    within [lo, pos)."""
    before = [m for m in mentions if lo <= m.start and m.end <= pos and not m.is_object]
    return before[-1].actors if before else None


def _subject(mentions: list[_Mention], pos: int) -> list[str] | None:
    first = [m for m in mentions if m.end <= pos and not m.is_object]
    return first[0].actors if first else None


def topic_clauses(clause_spans, mentions, dim_hits) -> list[tuple[int, int]]:
    """The clauses a dimension's cues speak in. A clause that names no actor is a topic phrase
    ("在光纤光缆产业链上，中国已超过美国", "On supply chains, China is ahead"): it reaches into
    the clause after it, where the actor and the direction stand."""
    spans = []
    for i, (a, b) in enumerate(clause_spans):
        if not any(a <= h.start < b for h in dim_hits):
            continue
        spans.append((a, b))
        named = any(a <= m.start < b for m in mentions)
        if not named and i + 1 < len(clause_spans):
            spans.append(clause_spans[i + 1])
    return spans


def own_dimension_hits(dim_hits: list[Hit], clause_spans, direction_words) -> list[Hit]:
    """Dimension cues less a direction word ("差距", "the gap") in a clause that names another
    dimension: "我国在算力投资方面仍有差距" is behind on investment, not a second claim about a
    technology gap."""

    def clause_of(hit):
        return next((c for c in clause_spans if c[0] <= hit.start < c[1]), None)

    kept = []
    for hit in dim_hits:
        clause = clause_of(hit)
        other = any(h.label != hit.label and clause_of(h) == clause for h in dim_hits)
        if hit.text.casefold() in direction_words and other:
            continue
        kept.append(hit)
    return kept


def clause_comparators(spans, mentions, actor) -> list[str]:
    """The comparators named in ``spans``: the clauses that hold a dimension's cues (with their
    topic phrase) and those that carry on the comparison with a direction word and no dimension
    of their own: in "我国产业链领先日本，但在核心技术上与欧洲相比仍有差距" Japan is compared
    on supply chains, Europe on technology. Empty when those clauses name none."""
    named = [a for m in mentions if any(lo <= m.start < hi for lo, hi in spans) for a in m.actors]
    return [a for a in ordered_unique(named) if a != actor]


def default_hits(clause_spans, mentions, cue_hits, codebook) -> list[Hit]:
    """A comparison of the focal actor that names no dimension ("China still trails the United
    States in research vessels"): each direction word in a clause that names a compared actor
    (after "than", "of", 与, 于 ...), or a non-comparative one beside another actor, stands for
    the codebook's default dimension."""
    hits = []
    for cue in cue_hits:
        clause = next(((a, b) for a, b in clause_spans if a <= cue.start < b), None)
        if clause is None:
            continue
        inside = [m for m in mentions if clause[0] <= m.start < clause[1]]
        comparative = cue.text.casefold() in codebook.comparatives
        if any(m.is_object for m in inside) or (not comparative and len(inside) > 1):
            hits.append(Hit(cue.start, cue.end, cue.text, codebook.default_dimension))
    return hits


def aside(spans, mentions, dim_hits, cue_hits) -> bool:
    """A dimension's cues stand only in trailing clauses, after every actor and direction word
    of the sentence: an aside to its comparison ("…仍存在明显差距，需要长期投入": no claim on
    investment). A leading phrase ("Thanks to large investments, China ...") is no aside.
    ``spans``: the dimension's clauses (:func:`topic_clauses`)."""
    inside = [*mentions, *cue_hits]
    last = max((x.start for x in inside), default=-1)
    return all(h.start > last for h in dim_hits) and not any(
        a <= x.start < b for a, b in spans for x in inside
    )


def free_clauses(clause_spans, dim_hits, cue_hits) -> list[tuple[int, int]]:
    """Clauses with a direction word but no dimension cue ("欧洲在高端装备方面也保有一定优势")."""
    return [
        (a, b)
        for a, b in clause_spans
        if any(a <= h.start < b for h in cue_hits) and not any(a <= h.start < b for h in dim_hits)
    ]


def directions_of(mentions, spans, cue_hits, actor, against, comparatives):
    """The direction of the claim against each comparator, read first in the dimension's
    clauses (``spans``) that name that comparator, then in all of them: "China is ahead of
    Europe in robots, but behind the United States in AI models" is two claims."""
    out = {}
    for comparator in against:
        own = [
            (a, b)
            for a, b in spans
            if any(a <= m.start < b and comparator in m.actors for m in mentions)
        ]
        verdicts = _verdicts(mentions, own, cue_hits, actor, against, comparatives)
        if not verdicts:
            verdicts = _verdicts(mentions, spans, cue_hits, actor, against, comparatives)
        out[comparator] = verdicts.pop() if len(verdicts) == 1 else "unclear"
    return out


def _verdicts(mentions, spans, cue_hits, actor, comparators, comparatives) -> set[str]:
    """What the direction cues inside ``spans`` say: actor_ahead and/or comparator_ahead."""
    verdicts = set()
    compared = any(m.is_object for m in mentions)  # "than the West", 与美国相比
    for cue in cue_hits:
        if cue.text.casefold() in comparatives and not compared:
            continue  # "both invest more" compares with nobody
        clause = next((c for c in spans if c[0] <= cue.start < c[1]), None)
        if clause is None:
            continue
        # A clause that names no actor before its cue speaks about the sentence's subject
        # ("China mobilises ..., and it has built ... faster"): its first non-object mention.
        holder = _holder(mentions, cue.start, clause[0]) or _subject(mentions, cue.start)
        if holder is None:
            continue
        if actor in holder:
            holder_is_actor = True
        elif set(holder) & set(comparators):
            holder_is_actor = False
        else:
            continue
        ahead = (cue.label == "ahead") == holder_is_actor
        verdicts.add("actor_ahead" if ahead else "comparator_ahead")
    return verdicts


_SEGMENT_BREAK = re.compile(r"[;；]")


def comparators_of(text: str, hits: list[Hit], mentions: list[_Mention], actor: str):
    """The comparators named in the parts of a sentence (between semicolons) that hold the
    dimension's cues: "与美国相比，我国产业链更加完整；欧盟…而我国速度更快" sets China against the
    US on supply chains and against the EU on pace. Empty when those parts name none."""
    cuts = [0, *(m.end() for m in _SEGMENT_BREAK.finditer(text)), len(text) + 1]
    if len(cuts) == 2:
        return []
    parts = [(a, b) for a, b in zip(cuts, cuts[1:], strict=False)]
    held = [p for p in parts if any(p[0] <= h.start < p[1] for h in hits)]
    named = [a for m in mentions if any(p[0] <= m.start < p[1] for p in held) for a in m.actors]
    return [a for a in ordered_unique(named) if a != actor]


_CONDITION = re.compile(
    r"(?i:(?<!\w)(?:if|unless)(?!\w))[^,;:，；：。]*|(?:如果|假如|若|一旦)[^,;:，；：。]*"
)


def outside_conditions(text: str, hits: list[Hit], mentions: list[_Mention], against):
    """Comparators less those named only in a condition that does not hold the dimension:
    in "If the West keeps closing its markets, Chinese firms may invest more elsewhere" the West
    sets a condition, it is not compared on investment."""
    spans = [m.span() for m in _CONDITION.finditer(text)]
    if not spans:
        return against
    conditions = [(a, b) for a, b in spans if not any(a <= h.start < b for h in hits)]
    elsewhere = {
        a
        for m in mentions
        if not any(lo <= m.start < hi for lo, hi in conditions)
        for a in m.actors
    }
    return [a for a in against if a in elsewhere]


# what may stand between a ranking word and the comparator it singles out ("above all with")
_RANKED_GAP = re.compile(r"\W*(?:(?:with|over|than|to|from|the)\W+){0,2}|[与和同较比对]{0,2}")


def ranking_of(text: str, rankings: list[Hit], mentions: list[_Mention], group: list[str]):
    """The comparators of ``group`` in the claim's ranking, the singled-out one first
    ("a gap with the United States and above all with Europe": europe;united-states), or
    None when the text ranks none of them."""
    if len(group) < 2 or not rankings:
        return None
    first = []
    for hit in rankings:
        after = [m for m in mentions if m.start >= hit.end]
        if after and _RANKED_GAP.fullmatch(text, hit.end, after[0].start):
            first += [a for a in after[0].actors if a in group and a not in first]
    if not first:
        return None
    return join_ids(first + [a for a in group if a not in first])


def join_ids(items: list[str]):
    """Ids as one cell ("a;b"); none as a missing value, not an empty string."""
    return ";".join(items) if items else None
