"""Table contracts: one pandera schema per tidy table, with a description of every column.

Every stage validates what it writes against these schemas, and the data dictionary in the
report's appendix is generated from the same descriptions, so the two cannot drift apart.
Column order is part of the contract (``ordered=True``) so written files are byte-stable.

One module per family of tables (ingest, coding, compare) on the shared ``columns``; this
package names every contract and vocabulary, and ``BY_NAME`` is what the catalogue reads.
"""

from __future__ import annotations

import pandas as pd

from helpers.schemas.coding import CODINGS, FRAMING_CLAIMS, MENTIONS, PRIORITY_MATRIX
from helpers.schemas.columns import (
    AGREEMENTS,
    CODING_STATUSES,
    CORRECTION_ACTIONS,
    DIRECTIONS,
    LANGUAGES,
    MODALITIES,
    PLACE_LEVELS,
    RELATION_RANK,
    RELATIONS,
    SOURCE_KINDS,
    TRIANGULATION_CLASSES,
)
from helpers.schemas.compare import (
    REFERENCE_CODINGS,
    SELECTION,
    TIE_SOURCES,
    TIES,
    TRIANGULATION,
)
from helpers.schemas.ingest import CORRECTIONS_APPLIED, PARAGRAPHS, SENTENCES, SOURCES

__all__ = [
    "AGREEMENTS",
    "ALL",
    "BY_NAME",
    "CODINGS",
    "CODING_STATUSES",
    "CORRECTIONS_APPLIED",
    "CORRECTION_ACTIONS",
    "DIRECTIONS",
    "FRAMING_CLAIMS",
    "LANGUAGES",
    "MENTIONS",
    "MODALITIES",
    "PARAGRAPHS",
    "PLACE_LEVELS",
    "PRIORITY_MATRIX",
    "REFERENCE_CODINGS",
    "RELATIONS",
    "RELATION_RANK",
    "SELECTION",
    "SENTENCES",
    "SOURCES",
    "SOURCE_KINDS",
    "TIES",
    "TIE_SOURCES",
    "TRIANGULATION",
    "TRIANGULATION_CLASSES",
    "data_dictionary",
]

ALL = [
    SOURCES,
    PARAGRAPHS,
    SENTENCES,
    CORRECTIONS_APPLIED,
    MENTIONS,
    CODINGS,
    PRIORITY_MATRIX,
    FRAMING_CLAIMS,
    REFERENCE_CODINGS,
    TRIANGULATION,
    SELECTION,
    TIE_SOURCES,
    TIES,
]
BY_NAME = {schema.name: schema for schema in ALL}


_READABLE_TYPES = {  # pandas dtype -> the word a reader of the dictionary expects
    "int64": "integer",
    "Int64": "integer",
    "bool": "boolean",
    "str": "text",
    "string": "text",
    "string[pyarrow]": "text",
    "string[python]": "text",
}


def data_dictionary() -> pd.DataFrame:
    """The data dictionary (table, column, type, nullable, description), from the schemas."""
    rows = [
        {
            "table": schema.name,
            "column": name,
            "dtype": _READABLE_TYPES[str(column.dtype)],
            "nullable": column.nullable,
            "description": column.description,
        }
        for schema in ALL
        for name, column in schema.columns.items()
    ]
    return pd.DataFrame(rows)
