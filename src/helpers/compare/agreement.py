"""Agreement between sources: each source's view of each place x sector tie (a reference of
high confidence counting as one), and how the sources agree on it."""

from __future__ import annotations

import pandas as pd

from helpers import schemas
from helpers.compare.rows import empty_table


def tie_sources(
    codings: pd.DataFrame, triangulation: pd.DataFrame, reference: pd.DataFrame | None = None
) -> pd.DataFrame:
    """TIE_SOURCES: each source's view of each tie, its best evidence (the first sentence with
    its strongest relation) and whether the triangulation found the source misattributing it.

    A tie is an asserted coding (CODING.md §4); a source's negation of it is kept beside the
    sources that assert it, so a contradiction shows, but a negation alone makes no tie. A
    reference's fact of high confidence counts the reference as a source of its tie (§8), its
    evidence the fact in the coder's words; a fact rebuilt from a retelling does not."""
    live = codings[codings["status"] != "rejected"]
    asserted = live[live["modality"] == "asserted"]
    facts = _attesting_facts(reference)
    stated = set(zip(asserted["place_id"], asserted["sector_id"], strict=True))
    stated |= set(zip(facts["place_id"], facts["sector_id"], strict=True))
    tie_of = pd.MultiIndex.from_arrays([live["place_id"], live["sector_id"]])
    negating = live[(live["modality"] == "negated").to_numpy() & tie_of.isin(list(stated))]
    live = pd.concat([asserted, negating])
    wrong = triangulation[triangulation["class"] == "misattributed"]
    misattributed = set(
        zip(wrong["article_source_id"], wrong["article_place_id"], wrong["sector_id"], strict=True)
    )
    rows = []
    keys = ["place_id", "sector_id", "source_id"]
    for (place, sector, source), g in live.groupby(keys, sort=True):
        g = g.assign(_rank=g["relation"].map(schemas.RELATION_RANK)).sort_values(
            ["_rank", "sentence_id", "start"], kind="stable"
        )
        best = g.iloc[0]
        rows.append(
            {
                "place_id": place,
                "place_level": best["place_level"],
                "sector_id": sector,
                "source_id": source,
                "relation": best["relation"],
                "n_codings": len(g),
                "negated": bool((g["modality"] == "negated").any()),
                "misattributed": (source, place, sector) in misattributed,
                "sentence_id": best["sentence_id"],
                "start": int(best["start"]),
                "end": int(best["end"]),
                "evidence": best["evidence"],
                "from_reference": False,
            }
        )
    rows += _reference_sources(facts)
    rows.sort(key=lambda r: (r["place_id"], r["sector_id"], r["source_id"]))
    df = pd.DataFrame(rows, columns=list(schemas.TIE_SOURCES.columns))
    if df.empty:
        df = empty_table(schemas.TIE_SOURCES)
    return schemas.TIE_SOURCES.validate(df)


def _attesting_facts(reference: pd.DataFrame | None) -> pd.DataFrame:
    """A reference's facts that attest a tie: of high confidence, with a place and a sector."""
    if reference is None:
        return empty_table(schemas.REFERENCE_CODINGS)
    return reference[
        (reference["confidence"] == "high")
        & reference["place_id"].notna()
        & reference["sector_id"].notna()
    ]


def _reference_sources(facts: pd.DataFrame) -> list[dict]:
    """TIE_SOURCES rows of a reference: one per (place, sector) its attesting facts name, the
    strongest relation, the first such fact as evidence (``sentence_id`` is
    ``<reference>:<fact_id>``; a fact has no offsets in a text, so 0, 0)."""
    rows = []
    keys = ["place_id", "sector_id", "source_id"]
    for (place, sector, source), g in facts.groupby(keys, sort=True):
        g = g.assign(_rank=g["relation"].map(schemas.RELATION_RANK)).sort_values(
            ["_rank", "fact_id"], kind="stable"
        )
        best = g.iloc[0]
        rows.append(
            {
                "place_id": place,
                "place_level": best["place_level"],
                "sector_id": sector,
                "source_id": source,
                "relation": best["relation"],
                "n_codings": len(g),
                "negated": False,
                "misattributed": False,
                "sentence_id": f"{source}:{best['fact_id']}",
                "start": 0,
                "end": 0,
                "evidence": best["commitment"],
                "from_reference": True,
            }
        )
    return rows


def tie_agreement(by_source: pd.DataFrame) -> pd.DataFrame:
    """TIES: one row per (place, sector) from TIE_SOURCES, with how the sources agree.

    ``agreement`` is, in this order: *contradicted* when one source gives the tie as a priority
    and another negates it; *misattributed* when every source behind it misattributes it;
    *corroborated* when two or more sources have it; *single_source* otherwise.
    """
    rows = []
    for (place, sector), g in by_source.groupby(["place_id", "sector_id"], sort=True):
        priority = set(g.loc[g["relation"] == "priority", "source_id"])
        negating = set(g.loc[g["negated"], "source_id"])
        if any(a != b for a in priority for b in negating):
            agreement = "contradicted"
        elif g["misattributed"].all():
            agreement = "misattributed"
        elif len(g) > 1:
            agreement = "corroborated"
        else:
            agreement = "single_source"
        rows.append(
            {
                "place_id": place,
                "place_level": g["place_level"].iloc[0],
                "sector_id": sector,
                "relation": min(g["relation"], key=schemas.RELATION_RANK.__getitem__),
                "n_codings": int(g["n_codings"].sum()),
                "n_sources": len(g),
                "source_ids": ";".join(sorted(g["source_id"])),
                "n_priority_sources": len(priority),
                "n_negating_sources": len(negating),
                "n_misattributing_sources": int(g["misattributed"].sum()),
                "agreement": agreement,
                "sentence_ids": ";".join(g.sort_values("source_id")["sentence_id"]),
            }
        )
    df = pd.DataFrame(rows, columns=list(schemas.TIES.columns))
    if df.empty:
        df = empty_table(schemas.TIES)
    return schemas.TIES.validate(df)
