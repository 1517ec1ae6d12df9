"""The rows of the triangulation table: its classes, how they read, and one classified row with
the evidence of both sides (shared by the tie and the framing comparisons)."""

from __future__ import annotations

import hashlib

import pandas as pd

from helpers import schemas

CLASS_ORDER = {c: i for i, c in enumerate(schemas.TRIANGULATION_CLASSES)}
# The classes that count ties between a retelling and its reference (the others are framing
# claims and facts no coding can meet).
TIE_CLASSES = ["agrees", "unconfirmed", "omitted_by_article", "added_by_article", "misattributed"]
FRAMING_CLASSES = [
    "framing_agrees",
    "framing_changed",
    "framing_only_in_article",
    "framing_only_in_reference",
]
# How the classes read in charts and tables, in schemas.TRIANGULATION_CLASSES order.
CLASS_LABELS = {
    "agrees": "Agrees",
    "unconfirmed": "Unconfirmed",  # met only by a fact rebuilt from the retelling
    "omitted_by_article": "Omitted by the retelling",
    "added_by_article": "Added by the retelling",
    "misattributed": "Misattributed",
    "framing_agrees": "Framing as in the reference",
    "framing_changed": "Framing changed by the retelling",
    "framing_only_in_article": "Framing only in the retelling",
    "framing_only_in_reference": "Framing dropped by the retelling",
    "not_coded": "Not coded",
}
COLUMNS = list(schemas.TRIANGULATION.columns)


def article_side(coding=None, claim=None) -> dict:
    src = coding if coding is not None else claim
    if src is None:
        return {
            k: None
            for k in (
                "article_place_id",
                "article_relation",
                "article_sentence_id",
                "article_start",
                "article_end",
                "article_evidence",
            )
        }
    return {
        "article_place_id": coding["place_id"] if coding is not None else None,
        "article_relation": coding["relation"] if coding is not None else None,
        "article_sentence_id": src["sentence_id"],
        "article_start": int(src["start"]),
        "article_end": int(src["end"]),
        "article_evidence": src["evidence"],
    }


def reference_side(ref=None) -> dict:
    if ref is None:
        return {
            "reference_place_id": None,
            "reference_relation": None,
            "fact_id": None,
            "fact_text": None,
        }
    place = ref["place_id"]
    return {
        "reference_place_id": None if pd.isna(place) else place,
        "reference_relation": ref["relation"],
        "fact_id": ref["fact_id"],
        "fact_text": ref["commitment"],
    }


def make_row(cls, sector, note, *, article: str | None, coding=None, claim=None, ref=None) -> dict:
    """One classified row; its id names the article it belongs to, so two retellings of one
    reference that both omit a fact get two rows, not one id twice."""
    key = "|".join(
        [
            cls,
            article or "",
            "" if coding is None else str(coding["coding_id"]),
            "" if claim is None else str(claim["claim_id"]),
            "" if ref is None else f"{ref['source_id']}:{ref['reference_id']}",
        ]
    )
    return {
        "row_id": hashlib.sha1(key.encode("utf-8")).hexdigest()[:16],
        "class": cls,
        "sector_id": sector,
        **article_side(coding, claim),
        "article_source_id": article,
        **reference_side(ref),
        "note": note,
    }


def pairs(left: list, right: list) -> list[tuple]:
    """Pair two non-empty lists, strongest relation first (so priorities meet priorities); the
    shorter side repeats its first item, so every item of both sides appears in some pair."""
    left = sorted(left, key=lambda x: schemas.RELATION_RANK[x["relation"]])
    right = sorted(right, key=lambda x: schemas.RELATION_RANK[x["relation"]])
    n = max(len(left), len(right))
    return [
        (left[i] if i < len(left) else left[0], right[i] if i < len(right) else right[0])
        for i in range(n)
    ]


def empty_table(schema) -> pd.DataFrame:
    """A zero-row frame with the schema's columns and dtypes (so it still meets the contract)."""
    dtypes = {"str": "str", "Int64": "Int64", "int64": "int64", "bool": "bool"}
    return pd.DataFrame(
        {
            name: pd.Series(dtype=dtypes.get(str(col.dtype), "str"))
            for name, col in schema.columns.items()
        }
    )


def records(df: pd.DataFrame) -> list[dict]:
    return [dict(r) for r in df.to_dict("records")]
