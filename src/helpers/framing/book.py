"""The framing codebook (codebook/framing.yaml): actors, dimensions, hedges and direction cues,
validated on load, with the term sets that find them in a sentence.

The rules are data so a researcher can change what counts as an actor, a dimension, a hedge or
a direction cue without touching code; ``framing.claims`` only applies them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import model_validator

from helpers.codebook.book import Slug
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


NOT_ACTOR = "@none"
JOIN = "+"  # joins the actor ids a compound name stands for (ids are slugs: no "+")
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
        + [(n, NOT_ACTOR) for n in book.not_actors]
        + [(name, JOIN.join(ids)) for name, ids in book.compounds.items()],
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
