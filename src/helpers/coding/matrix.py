"""Codings into ties: which codings count, and the priority matrix of (place, sector)."""

from __future__ import annotations

import hashlib

import pandas as pd

from helpers.schemas import PRIORITY_MATRIX, RELATION_RANK, RELATIONS


def coding_id(source_id, sentence_id, place_id, sector_id, technology_id, rule_id) -> str:
    """Stable id: the same tie from the same evidence by the same rule keeps its id."""
    key = "|".join([source_id, sentence_id, place_id, sector_id, technology_id or "", rule_id])
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


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
