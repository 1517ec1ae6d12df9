"""Framing claims: sentences that set China against other actors on a named dimension.

The rules are data (codebook/framing.yaml) so a researcher can change what counts as an actor,
a dimension, a hedge or a direction cue without touching code; this module only applies them.
A claim is one (sentence, dimension) pair; it is *comparative* only when a comparator is named
(directly or by a back-reference such as "the latter countries" resolved within the paragraph).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import model_validator

from helpers import schemas
from helpers.codebook.book import Slug
from helpers.coding.rules import is_title
from helpers.engine.errors import InputError, clip
from helpers.engine.models import Items, Model, NonEmpty, Text, parse
from helpers.engine.yamlio import read_yaml

_GAP_WORDS = 6  # words allowed where a term says " ... "


# -- terms -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Hit:
    """One term found in a text: where, what, and the label it stands for."""

    start: int
    end: int
    text: str
    label: str


_CJK = re.compile(r"[\u3400-\u9fff]")


def _term_pattern(term: str) -> str:
    if _CJK.search(term):  # Chinese has no spaces: a term matches anywhere, "..." up to 12 chars
        return ".{0,12}?".join(re.escape(p.strip()) for p in term.split("..."))
    parts = [re.escape(p.strip()) for p in term.split("...")]
    body = rf"(?:\W+\w+){{0,{_GAP_WORDS}}}?\W+".join(parts)
    body = body.replace(r"\ ", r"\s+")
    case = "" if term.isupper() else "(?i:"
    return rf"(?<!\w){case}{body}{')' if case else ''}(?!\w)"


class TermSet:
    """Terms -> labels, matched longest first without overlaps (see framing.yaml's header)."""

    def __init__(self, terms: dict[str, str]):
        self.terms = dict(terms)
        ordered = sorted(self.terms, key=lambda t: (-len(t), t))
        self._patterns = [(re.compile(_term_pattern(t)), t) for t in ordered]

    def find(self, text: str) -> list[Hit]:
        taken: list[tuple[int, int]] = []
        hits: list[Hit] = []
        for pattern, term in self._patterns:
            for m in pattern.finditer(text):
                if any(m.start() < e and s < m.end() for s, e in taken):
                    continue
                taken.append((m.start(), m.end()))
                hits.append(Hit(m.start(), m.end(), m.group(0), self.terms[term]))
        return sorted(hits, key=lambda h: (h.start, h.end))


# -- codebook ----------------------------------------------------------------------------------
Terms = NonEmpty[Items[Text]]  # a non-empty list of terms (see framing.yaml's header)


class Actor(Model):
    """Who a claim is about or compared with."""

    id: Slug
    label: Text  # for charts and tables ("United States")
    in_text: Text | None = None  # as it reads in running prose ("the United States")
    aliases: Terms


class Dimension(Model):
    """What a claim compares on; a sentence naming one of its cues is a claim on it."""

    id: Slug
    label: Text
    cues: Terms


class Direction(Model):
    """Cues that put the one they speak about ahead or behind."""

    ahead: Terms
    behind: Terms
    comparatives: Items[Text] = ()  # cues that count only where a compared object is named

    @model_validator(mode="after")
    def _comparatives_are_cues(self) -> Direction:
        unknown = [c for c in self.comparatives if c not in self.ahead + self.behind]
        if unknown:
            raise ValueError(f"direction.comparatives {clip(unknown)} are not direction cues")
        return self


class FramingFile(Model):
    """framing.yaml."""

    version: Literal[1] = 1  # the layout this loader reads
    focal_actor: Text
    actors: NonEmpty[list[Actor]]
    not_actors: Items[Text] = ()  # names that contain an alias but name no actor
    # names that stand for several actors at once (欧美: the United States and Europe)
    compounds: dict[Text, NonEmpty[Items[Slug]]] = {}
    back_references: Terms
    object_markers: Terms
    dimensions: NonEmpty[list[Dimension]]
    # of a comparison that names no dimension cue but says who is ahead ("trails the US in ...")
    default_dimension: Slug | None = None
    hedges: Terms
    evaluative: Terms
    # words that single out one comparator as the one furthest off ("and above all with
    # Europe", 尤其是欧洲): the ranking is part of the claim (CODING.md §7)
    rankings: Items[Text] = ()
    direction: Direction

    @model_validator(mode="after")
    def _consistent(self) -> FramingFile:
        for noun, entries in (("actor", self.actors), ("dimension", self.dimensions)):
            ids = [e.id for e in entries]
            twice = next((i for n, i in enumerate(ids) if i in ids[:n]), None)
            if twice is not None:
                raise ValueError(f"duplicate {noun} id {clip(twice)}")
        actor_ids = {a.id for a in self.actors}
        for name, ids in self.compounds.items():
            unknown = [i for i in ids if i not in actor_ids]
            if unknown:
                raise ValueError(f"compound {clip(name)} names unknown actor(s) {clip(unknown)}")
        if self.focal_actor not in actor_ids:
            raise ValueError(f"focal_actor {clip(self.focal_actor)} is not an actor id")
        if self.default_dimension not in {None, *(d.id for d in self.dimensions)}:
            raise ValueError(
                f"default_dimension {clip(self.default_dimension)} is not a dimension id"
            )
        return self


@dataclass
class FramingCodebook:
    """The validated framing codebook; term sets are built once on load."""

    focal_actor: str
    actors: dict[str, Actor]
    dimensions: dict[str, Dimension]  # in codebook order
    back_references: tuple[str, ...]
    object_markers: tuple[str, ...]
    hedges: tuple[str, ...]
    evaluative: tuple[str, ...]
    ahead: tuple[str, ...]
    behind: tuple[str, ...]
    comparatives: frozenset[str] = frozenset()  # direction cues that need a compared object
    default_dimension: str | None = None  # of a comparison that names no dimension cue
    actor_terms: TermSet = field(repr=False, default=None)
    backref_terms: TermSet = field(repr=False, default=None)
    dimension_terms: TermSet = field(repr=False, default=None)
    hedge_terms: TermSet = field(repr=False, default=None)
    evaluative_terms: TermSet = field(repr=False, default=None)
    ranking_terms: TermSet = field(repr=False, default=None)
    direction_terms: TermSet = field(repr=False, default=None)
    object_pattern: re.Pattern = field(repr=False, default=None)

    @property
    def direction_words(self) -> frozenset[str]:
        """Every direction cue, case-folded (some are dimension cues too: 差距, "the gap")."""
        return frozenset(c.casefold() for c in [*self.ahead, *self.behind])

    def actor_label(self, actor_id: str) -> str:
        """The actor's label for charts and tables ("United States")."""
        return self.actors[actor_id].label

    def actor_in_text(self, actor_id: str) -> str:
        """The actor's name as it reads in running prose ("the United States")."""
        actor = self.actors[actor_id]
        return actor.in_text or actor.label

    def dimension_label(self, dimension_id: str) -> str:
        return self.dimensions[dimension_id].label


def _unique(path, where: str, pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Map term -> label; the same term (ignoring case) twice is an error, not a silent pick."""
    seen: dict[str, str] = {}
    out: dict[str, str] = {}
    for term, label in pairs:
        key = term.casefold()
        if key in seen:
            raise InputError(path, f"duplicate {where} {term!r} (for {seen[key]} and {label})")
        seen[key] = label
        out[term] = label
    return out


_NOT_ACTOR = "@none"
_JOIN = "+"  # joins the actor ids a compound name stands for (ids are slugs: no "+")
# How messages name an item of a list ("dimension 'investment': cue #3: ..."; else "hedges
# entry #3").
_NOUNS = {"actors": "actor", "dimensions": "dimension", "aliases": "alias", "cues": "cue"}


def load_framing_codebook(path: Path | str) -> FramingCodebook:
    """Read and validate framing.yaml; any defect stops with an InputError naming the file."""
    path = Path(path)
    book = parse(FramingFile, read_yaml(path, "framing codebook"), path, nouns=_NOUNS)
    # An alias and a back-reference share one namespace: the same words cannot mean both;
    # names that contain an alias but name no actor ("Latin America") are found, then dropped.
    actor_map = _unique(
        path,
        "alias",
        [(a, actor.id) for actor in book.actors for a in actor.aliases]
        + [(b, "@back") for b in book.back_references]
        + [(n, _NOT_ACTOR) for n in book.not_actors]
        + [(name, _JOIN.join(ids)) for name, ids in book.compounds.items()],
    )
    cue_map = _unique(
        path, "dimension cue", [(c, dim.id) for dim in book.dimensions for c in dim.cues]
    )
    direction = book.direction
    markers = book.object_markers
    english = sorted((m for m in markers if not _CJK.search(m)), key=len, reverse=True)
    chinese = sorted((m for m in markers if _CJK.search(m)), key=len, reverse=True)
    marker_alt = "|".join(re.escape(m).replace(r"\ ", r"\s+") for m in english)
    object_pattern = rf"(?i)(?<!\w)(?:{marker_alt})\s+(?:the\s+)?$"
    if chinese:
        object_pattern += "|(?:" + "|".join(re.escape(m) for m in chinese) + ")$"
    return FramingCodebook(
        focal_actor=book.focal_actor,
        actors={a.id: a for a in book.actors},
        dimensions={d.id: d for d in book.dimensions},
        back_references=book.back_references,
        object_markers=markers,
        hedges=book.hedges,
        evaluative=book.evaluative,
        ahead=direction.ahead,
        comparatives=frozenset(c.casefold() for c in direction.comparatives),
        default_dimension=book.default_dimension,
        behind=direction.behind,
        actor_terms=TermSet(actor_map),
        dimension_terms=TermSet(cue_map),
        hedge_terms=TermSet(_unique(path, "hedge", [(h, h) for h in book.hedges])),
        evaluative_terms=TermSet(
            _unique(path, "evaluative term", [(e, e) for e in book.evaluative])
        ),
        ranking_terms=TermSet(_unique(path, "ranking word", [(r, r) for r in book.rankings])),
        direction_terms=TermSet(
            _unique(
                path,
                "direction cue",
                [(a, "ahead") for a in direction.ahead] + [(b, "behind") for b in direction.behind],
            )
        ),
        object_pattern=re.compile(object_pattern),
    )


# -- extraction --------------------------------------------------------------------------------
_CLAUSE_BREAK = re.compile(
    r"[,;:，；：]|(?i:(?<!\w)(?:while|whereas|but|although)(?!\w))|但|而|然而|虽然"
)


def _clauses(text: str) -> list[tuple[int, int]]:
    """Clause spans: direction cues speak about the actor of their own clause first."""
    cuts = [0] + [m.start() for m in _CLAUSE_BREAK.finditer(text)] + [len(text)]
    return [(a, b) for a, b in zip(cuts, cuts[1:], strict=False) if b > a]


@dataclass
class _Mention:
    start: int
    end: int
    actors: list[str]  # one actor, or a back-reference's resolution
    is_object: bool


def _mentions(text: str, cb: FramingCodebook, previous: list[str]):
    """Actor mentions of a sentence, and the claim's actor.

    The actor is the focal actor when named, else the first actor named; a back-reference
    stands for ``previous`` (the comparators of the paragraph's last sentence naming an actor,
    or its actor when it had none) less the claim's actor.
    """
    hits = [h for h in cb.actor_terms.find(text) if h.label != _NOT_ACTOR]
    direct = _ordered_unique(a for h in hits if h.label != "@back" for a in h.label.split(_JOIN))
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
        actors = resolved if hit.label == "@back" else hit.label.split(_JOIN)
        if not actors:
            continue  # an unresolved back-reference names nobody
        is_object = bool(cb.object_pattern.search(text[: hit.start]))
        out.append(_Mention(hit.start, hit.end, actors, is_object))
    return out, actor


def _ordered_unique(items) -> list[str]:
    return list(dict.fromkeys(items))


def _holder(mentions: list[_Mention], pos: int, lo: int) -> list[str] | None:
    """Actors a direction cue at ``pos`` speaks about: the nearest non-object mention before it,
    within [lo, pos)."""
    before = [m for m in mentions if lo <= m.start and m.end <= pos and not m.is_object]
    return before[-1].actors if before else None


def _subject(mentions: list[_Mention], pos: int) -> list[str] | None:
    first = [m for m in mentions if m.end <= pos and not m.is_object]
    return first[0].actors if first else None


def _topic_clauses(clause_spans, mentions, dim_hits) -> list[tuple[int, int]]:
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


def _own_dimension_hits(dim_hits: list[Hit], clause_spans, direction_words) -> list[Hit]:
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


def _clause_comparators(spans, mentions, actor) -> list[str]:
    """The comparators named in ``spans``: the clauses that hold a dimension's cues (with their
    topic phrase) and those that carry on the comparison with a direction word and no dimension
    of their own: in "我国产业链领先日本，但在核心技术上与欧洲相比仍有差距" Japan is compared
    on supply chains, Europe on technology. Empty when those clauses name none."""
    named = [a for m in mentions if any(lo <= m.start < hi for lo, hi in spans) for a in m.actors]
    return [a for a in _ordered_unique(named) if a != actor]


def _default_hits(clause_spans, mentions, cue_hits, codebook) -> list[Hit]:
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


def _aside(spans, mentions, dim_hits, cue_hits) -> bool:
    """A dimension's cues stand only in trailing clauses, after every actor and direction word
    of the sentence: an aside to its comparison ("…仍存在明显差距，需要长期投入": no claim on
    investment). A leading phrase ("Thanks to large investments, China ...") is no aside.
    ``spans``: the dimension's clauses (:func:`_topic_clauses`)."""
    inside = [*mentions, *cue_hits]
    last = max((x.start for x in inside), default=-1)
    return all(h.start > last for h in dim_hits) and not any(
        a <= x.start < b for a, b in spans for x in inside
    )


def _free_clauses(clause_spans, dim_hits, cue_hits) -> list[tuple[int, int]]:
    """Clauses with a direction word but no dimension cue ("欧洲在高端装备方面也保有一定优势")."""
    return [
        (a, b)
        for a, b in clause_spans
        if any(a <= h.start < b for h in cue_hits) and not any(a <= h.start < b for h in dim_hits)
    ]


def _directions(mentions, spans, cue_hits, actor, against, comparatives):
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


def _comparators_of(text: str, hits: list[Hit], mentions: list[_Mention], actor: str):
    """The comparators named in the parts of a sentence (between semicolons) that hold the
    dimension's cues: "与美国相比，我国产业链更加完整；欧盟…而我国速度更快" sets China against the
    US on supply chains and against the EU on pace. Empty when those parts name none."""
    cuts = [0, *(m.end() for m in _SEGMENT_BREAK.finditer(text)), len(text) + 1]
    if len(cuts) == 2:
        return []
    parts = [(a, b) for a, b in zip(cuts, cuts[1:], strict=False)]
    held = [p for p in parts if any(p[0] <= h.start < p[1] for h in hits)]
    named = [a for m in mentions if any(p[0] <= m.start < p[1] for p in held) for a in m.actors]
    return [a for a in _ordered_unique(named) if a != actor]


_CONDITION = re.compile(
    r"(?i:(?<!\w)(?:if|unless)(?!\w))[^,;:，；：。]*|(?:如果|假如|若|一旦)[^,;:，；：。]*"
)


def _outside_conditions(text: str, hits: list[Hit], mentions: list[_Mention], against):
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


def _ranking(text: str, rankings: list[Hit], mentions: list[_Mention], group: list[str]):
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
    return _join(first + [a for a in group if a not in first])


def _join(items: list[str]):
    return ";".join(items) if items else None


_CLAIM_COLUMNS = list(schemas.FRAMING_CLAIMS.columns)


def extract_claims(sentences: pd.DataFrame, codebook: FramingCodebook) -> pd.DataFrame:
    """One row per (sentence, dimension) where a sentence names an actor and a dimension cue.

    Headlines and section titles (``coding.is_title``) are not claims. Back-references resolve
    against earlier sentences of the same paragraph, so sentences are read in order within each
    paragraph.
    """
    missing = {
        "source_id",
        "paragraph_id",
        "sentence_id",
        "sentence_no",
        "start",
        "end",
        "text",
    } - set(sentences.columns)
    if missing:
        raise ValueError(f"sentences table lacks columns: {sorted(missing)}")
    dim_order = {d: i for i, d in enumerate(codebook.dimensions)}
    rows = []
    ordered = sentences.sort_values(["source_id", "paragraph_id", "sentence_no"], kind="stable")
    first_paragraph = ordered.groupby("source_id", sort=False)["paragraph_id"].first().to_dict()
    for (source_id, paragraph_id), para in ordered.groupby(
        ["source_id", "paragraph_id"], sort=True
    ):
        previous: list[str] = []  # what a back-reference stands for (see _mentions)
        for sent in para.itertuples(index=False):
            if is_title(str(sent.text), paragraph_id == first_paragraph[source_id], len(para) == 1):
                continue  # a headline or section title is not a claim
            found, previous = _sentence_claims(sent, codebook, previous, dim_order)
            rows += found
    if not rows:
        return schemas.FRAMING_CLAIMS.validate(
            pd.DataFrame({c: pd.Series(dtype=_empty_dtype(c)) for c in _CLAIM_COLUMNS})
        )
    rows.sort(key=lambda r: r["_order"])
    df = pd.DataFrame(rows).drop(columns="_order")[_CLAIM_COLUMNS]
    return schemas.FRAMING_CLAIMS.validate(df.reset_index(drop=True))


def _sentence_claims(
    sent, codebook: FramingCodebook, previous: list[str], dim_order: dict[str, int]
) -> tuple[list[dict], list[str]]:
    """The claims of one sentence (one per dimension and direction), and what a later
    back-reference in its paragraph stands for."""
    text = str(sent.text)
    mentions, actor = _mentions(text, codebook, previous)
    if actor is None:
        return [], previous
    named = _ordered_unique([actor] + [a for m in mentions for a in m.actors])
    comparators = [a for a in named if a != actor]
    previous = comparators or [actor]
    clause_spans = _clauses(text)
    dim_hits = _own_dimension_hits(
        codebook.dimension_terms.find(text), clause_spans, codebook.direction_words
    )
    cues = codebook.direction_terms.find(text)
    if not dim_hits and codebook.default_dimension and actor == codebook.focal_actor:
        dim_hits = _default_hits(clause_spans, mentions, cues, codebook)
    if not dim_hits:
        return [], previous
    terms = {
        "hedges": codebook.hedge_terms.find(text),
        "rankings": codebook.ranking_terms.find(text),
        "evaluative": codebook.evaluative_terms.find(text),
    }
    free = _free_clauses(clause_spans, dim_hits, cues)
    dims = _ordered_unique(h.label for h in dim_hits)
    rows = []
    for dim in dims:
        hits = [h for h in dim_hits if h.label == dim]
        spans = _topic_clauses(clause_spans, mentions, hits)  # where it speaks
        if len(dims) > 1 and _aside(spans, mentions, hits, cues):
            continue
        against = (
            _comparators_of(text, hits, mentions, actor)
            or _clause_comparators(spans + free, mentions, actor)
            or comparators
        )
        against = _outside_conditions(text, hits, mentions, against)
        directions = _directions(mentions, spans, cues, actor, against, codebook.comparatives)
        groups: dict[str, list[str]] = {}  # direction -> its comparators, in order
        for comparator, direction in directions.items():
            groups.setdefault(direction, []).append(comparator)
        for direction, group in groups.items() or {"unclear": []}.items():
            suffix = f":{group[0]}" if len(groups) > 1 else ""
            order = (dim_order[dim], against.index(group[0]) if group else 0)
            claim = _claim_row(sent, actor, dim, direction, group, mentions, terms, order)
            rows.append({**claim, "claim_id": f"{sent.sentence_id}:{dim}{suffix}"})
    return rows, previous


def _claim_row(sent, actor, dim, direction, group, mentions, terms, order) -> dict:
    """One FRAMING_CLAIMS row (with ``_order``, the sort key the table is written in)."""
    text = str(sent.text)
    return {
        "source_id": sent.source_id,
        "paragraph_id": sent.paragraph_id,
        "sentence_id": sent.sentence_id,
        "start": int(sent.start),
        "end": int(sent.end),
        "evidence": text,
        "actor": actor,
        "comparators": _join(group),
        "ranking": _ranking(text, terms["rankings"], mentions, group),
        "comparative": bool(group),
        "dimension": dim,
        "direction": direction,
        "hedged": bool(terms["hedges"]),
        "hedge_terms": _join(_ordered_unique(h.text.lower() for h in terms["hedges"])),
        "evaluative_terms": _join(_ordered_unique(h.text.lower() for h in terms["evaluative"])),
        "_order": (sent.source_id, sent.paragraph_id, int(sent.sentence_no), *order),
    }


def _empty_dtype(column: str) -> str:
    return {"start": "int64", "end": "int64", "comparative": "bool", "hedged": "bool"}.get(
        column, "str"
    )
