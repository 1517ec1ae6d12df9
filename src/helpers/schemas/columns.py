"""The building blocks of the table contracts: the closed vocabularies (relations, kinds,
classes), the column and schema constructors every contract uses, and the provenance columns
shared by every table that points into a source's text."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

LANGUAGES = ["en", "zh"]
SOURCE_KINDS = ["primary", "secondary", "reference"]
RELATIONS = ["priority", "achievement", "context"]  # strongest first
RELATION_RANK = {r: i for i, r in enumerate(RELATIONS)}  # 0 = strongest; the one order
MODALITIES = ["asserted", "negated", "hypothetical", "caption", "event"]
PLACE_LEVELS = ["province", "region"]
CORRECTION_ACTIONS = ["repair", "keep"]
CODING_STATUSES = ["auto", "accepted", "rejected", "added"]
TRIANGULATION_CLASSES = [
    "agrees",
    "unconfirmed",
    "omitted_by_article",
    "added_by_article",
    "misattributed",
    "framing_agrees",
    "framing_changed",
    "framing_only_in_article",
    "framing_only_in_reference",
    "not_coded",
]
DIRECTIONS = ["actor_ahead", "comparator_ahead", "unclear"]
# How sources agree on a place x sector tie (see TIES.agreement and compare.tie_agreement).
AGREEMENTS = ["contradicted", "misattributed", "corroborated", "single_source"]


def column(
    dtype,
    description: str,
    *,
    nullable: bool = False,
    checks=None,
    unique=False,
    coerce=False,
    required=True,
):
    return pa.Column(
        dtype,
        checks=checks,
        nullable=nullable,
        unique=unique,
        description=description,
        coerce=coerce,
        required=required,
    )


def offset(description: str) -> pa.Column:
    return column(int, description, checks=pa.Check.ge(0))


def table_schema(name: str, description: str, columns: dict, *, unique=None) -> pa.DataFrameSchema:
    return pa.DataFrameSchema(
        columns,
        name=name,
        description=description,
        strict=True,
        ordered=True,
        unique=unique,
        checks=[pa.Check(_span_ok, error="start must not exceed end")]
        if {"start", "end"} <= set(columns)
        else None,
    )


def _span_ok(df: pd.DataFrame) -> bool:
    return bool((df["start"] <= df["end"]).all())


# -- provenance columns shared by every table that points into a source's text ----------------
SOURCE_ID = column(str, "Manifest id of the source the row comes from.")
PARAGRAPH_ID = column(str, "Paragraph id, `<source_id>:pNN` (1-based, in reading order).")
SENTENCE_ID = column(str, "Sentence id, `<source_id>:pNN:sNN` (1-based within the paragraph).")
START = offset("Start of the span, a character offset into the source's normalised text.")
END = offset("End of the span (exclusive), a character offset into the normalised text.")
RAW_START = offset("Start of the span mapped back to the raw file's text (characters).")
RAW_END = offset("End of the span (exclusive) mapped back to the raw file's text.")


# The PDF page a span starts on (1-based), null for a source that is not a PDF. Not required,
# so a sentences table built by hand (a test, a tool) may leave it out.
PAGE = pa.Column(
    "Int64",
    checks=pa.Check.ge(1),
    nullable=True,
    required=False,
    description="Page of the PDF the span starts on, from 1; empty for a source that is not a PDF.",
)
