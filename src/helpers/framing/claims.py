"""Framing claims: sentences that set China against other actors on a named dimension.

A claim is one (sentence, dimension) pair; it is *comparative* only when a comparator is named
(directly or by a back-reference such as "the latter countries" resolved within the paragraph).
How a sentence is read is ``framing.reading``; the rules are data (``framing.book``).
"""

from __future__ import annotations

import pandas as pd

from helpers import schemas
from helpers.coding.rules import is_title
from helpers.framing import reading
from helpers.framing.book import FramingCodebook, load_framing_codebook

__all__ = ["FramingCodebook", "extract_claims", "load_framing_codebook"]

_CLAIM_COLUMNS = list(schemas.FRAMING_CLAIMS.columns)
_SENTENCE_COLUMNS = {
    "source_id",
    "paragraph_id",
    "sentence_id",
    "sentence_no",
    "start",
    "end",
    "text",
}


def extract_claims(sentences: pd.DataFrame, codebook: FramingCodebook) -> pd.DataFrame:
    """One row per (sentence, dimension) where a sentence names an actor and a dimension cue.

    Headlines and section titles (``coding.is_title``) are not claims. Back-references resolve
    against earlier sentences of the same paragraph, so sentences are read in order within each
    paragraph.
    """
    missing = _SENTENCE_COLUMNS - set(sentences.columns)
    if missing:
        raise ValueError(f"sentences table lacks columns: {sorted(missing)}")
    dim_order = {d: i for i, d in enumerate(codebook.dimensions)}
    rows = []
    ordered = sentences.sort_values(["source_id", "paragraph_id", "sentence_no"], kind="stable")
    first_paragraph = ordered.groupby("source_id", sort=False)["paragraph_id"].first().to_dict()
    for (source_id, paragraph_id), para in ordered.groupby(
        ["source_id", "paragraph_id"], sort=True
    ):
        previous: list[str] = []  # what a back-reference stands for (see actor_mentions)
        for sent in para.itertuples(index=False):
            text = str(sent.text)
            if is_title(text, paragraph_id == first_paragraph[source_id], len(para) == 1):
                continue  # a headline or section title is not a claim
            mentions, actor = reading.actor_mentions(text, codebook, previous)
            if actor is None:
                continue
            named = reading.ordered_unique([actor] + [a for m in mentions for a in m.actors])
            comparators = [a for a in named if a != actor]
            previous = comparators or [actor]
            rows.extend(_sentence_claims(sent, codebook, mentions, actor, comparators, dim_order))
    if not rows:
        return schemas.FRAMING_CLAIMS.validate(
            pd.DataFrame({c: pd.Series(dtype=_empty_dtype(c)) for c in _CLAIM_COLUMNS})
        )
    rows.sort(key=lambda r: r["_order"])
    df = pd.DataFrame(rows).drop(columns="_order")[_CLAIM_COLUMNS]
    return schemas.FRAMING_CLAIMS.validate(df.reset_index(drop=True))


def _sentence_claims(sent, codebook, mentions, actor, comparators, dim_order) -> list[dict]:
    """The claims of one sentence that names ``actor``: one per dimension it speaks of, split
    by direction when its comparators differ (China ahead of one, behind another)."""
    text = str(sent.text)
    clause_spans = reading.clauses(text)
    dim_hits = reading.own_dimension_hits(
        codebook.dimension_terms.find(text), clause_spans, codebook.direction_words
    )
    cues = codebook.direction_terms.find(text)
    if not dim_hits and codebook.default_dimension and actor == codebook.focal_actor:
        dim_hits = reading.default_hits(clause_spans, mentions, cues, codebook)
    if not dim_hits:
        return []
    hedges = codebook.hedge_terms.find(text)
    rankings = codebook.ranking_terms.find(text)
    evaluative = codebook.evaluative_terms.find(text)
    marks = {
        "hedged": bool(hedges),
        "hedge_terms": reading.join_ids(reading.ordered_unique(h.text.lower() for h in hedges)),
        "evaluative_terms": reading.join_ids(
            reading.ordered_unique(h.text.lower() for h in evaluative)
        ),
    }
    free = reading.free_clauses(clause_spans, dim_hits, cues)
    dims = reading.ordered_unique(h.label for h in dim_hits)
    rows = []
    for dim in dims:
        hits = [h for h in dim_hits if h.label == dim]
        spans = reading.topic_clauses(clause_spans, mentions, hits)  # where it speaks
        if len(dims) > 1 and reading.aside(spans, mentions, hits, cues):
            continue
        against = (
            reading.comparators_of(text, hits, mentions, actor)
            or reading.clause_comparators(spans + free, mentions, actor)
            or comparators
        )
        against = reading.outside_conditions(text, hits, mentions, against)
        directions = reading.directions_of(
            mentions, spans, cues, actor, against, codebook.comparatives
        )
        groups: dict[str, list[str]] = {}  # direction -> its comparators, in order
        for comparator, direction in directions.items():
            groups.setdefault(direction, []).append(comparator)
        for direction, group in groups.items() or {"unclear": []}.items():
            row = {
                "claim_id": f"{sent.sentence_id}:{dim}"
                + (f":{group[0]}" if len(groups) > 1 else ""),
                "actor": actor,
                "comparators": reading.join_ids(group),
                "ranking": reading.ranking_of(text, rankings, mentions, group),
                "comparative": bool(group),
                "dimension": dim,
                "direction": direction,
                **marks,
                "_order": (
                    sent.source_id,
                    sent.paragraph_id,
                    int(sent.sentence_no),
                    dim_order[dim],
                    against.index(group[0]) if group else 0,
                ),
            }
            rows.append(_where(sent) | row)
    return rows


def _where(sent) -> dict:
    """A claim's provenance: its source, paragraph, sentence, span and the sentence itself."""
    return {
        "source_id": sent.source_id,
        "paragraph_id": sent.paragraph_id,
        "sentence_id": sent.sentence_id,
        "start": int(sent.start),
        "end": int(sent.end),
        "evidence": str(sent.text),
    }


def _empty_dtype(column: str) -> str:
    return {"start": "int64", "end": "int64", "comparative": "bool", "hedged": "bool"}.get(
        column, "str"
    )
