"""The data that ships with the report: the tidy tables a reader would reuse, as CSV, and a
Frictionless Data Package (``datapackage.json``) that describes them.

Each table's resource is generated from the catalogue (its name and description in
``pipeline.yaml``) and its pandera contract (``helpers.schemas``: columns, types, whether a
value may be missing, allowed values, the columns that identify a row), so the package says
what the contracts enforce. The build copies the folder next to the report, as
``_output/data/`` (``_quarto.yml``'s ``report-data``, read by ``helpers.engine.render``),
where the HTML links the files and the PDF names them.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from helpers import schemas
from helpers.engine import catalogue, storage

# The tables shipped, in the order the report lists them: ties with their sources and
# evidence, every coding, the triangulation and the framing claims.
SHIPPED = ("ties", "tie_sources", "codings", "triangulation", "framing_claims")
PACKAGE_NAME = "china-provincial-technology-priorities"
TITLE = "China's provinces and their technology priorities: tidy tables"
# The licences, stated once: CITATION.cff and the report's "How to cite" say the same (a test).
CODE_LICENSE = "MIT"
DATA_LICENSE = "CC-BY-4.0"
DATA_LICENSE_URL = "https://creativecommons.org/licenses/by/4.0/"

_TYPES = {  # pandas dtype -> Table Schema field type
    "int64": "integer",
    "Int64": "integer",
    "bool": "boolean",
    "str": "string",
    "string": "string",
    "string[pyarrow]": "string",
    "string[python]": "string",
}


def _constraints(column: pa.Column) -> dict:
    """Table Schema constraints from a column's contract: required, allowed values
    (``Check.isin``), minimum (``Check.ge``)."""
    out: dict = {} if column.nullable else {"required": True}
    for check in column.checks or []:
        stats = check.statistics or {}
        if check.name == "isin" and stats.get("allowed_values") is not None:
            out["enum"] = list(stats["allowed_values"])
        elif check.name == "greater_than_or_equal_to" and "min_value" in stats:
            out["minimum"] = stats["min_value"]
    return out


def table_schema(contract: pa.DataFrameSchema) -> dict:
    """A Frictionless Table Schema from a pandera contract."""
    fields = []
    for name, column in contract.columns.items():
        field = {
            "name": name,
            "type": _TYPES[str(column.dtype)],
            "description": column.description or "",
        }
        constraints = _constraints(column)
        if constraints:
            field["constraints"] = constraints
        fields.append(field)
    schema: dict = {"fields": fields, "missingValues": [""]}
    unique = contract.unique
    if unique:
        schema["primaryKey"] = list(unique) if not isinstance(unique, str) else [unique]
    return schema


def resource(name: str, table: pd.DataFrame) -> dict:
    """The package's resource for table ``name`` (its CSV under ``data/``)."""
    contract = schemas.BY_NAME[name]
    description = catalogue.load()[name].description or contract.description or ""
    return {
        "name": name.replace("_", "-"),
        "path": f"{name}.csv",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "title": name.replace("_", " ").capitalize(),
        "description": description,
        "rows": len(table),
        "schema": table_schema(contract),
    }


def data_package(tables: Mapping[str, pd.DataFrame]) -> dict:
    """The ``datapackage.json`` of the shipped tables (``tables``: the covered tables)."""
    return {
        "name": PACKAGE_NAME,
        "title": TITLE,
        "description": (
            "The tidy tables behind the report, restricted to the sources it covers. Evidence "
            "sentences quote the sources, whose text stays their outlets'."
        ),
        "licenses": [{"name": DATA_LICENSE, "path": DATA_LICENSE_URL, "title": "CC BY 4.0"}],
        "resources": [resource(name, tables[name]) for name in SHIPPED],
    }


def write_data_package(tables: Mapping[str, pd.DataFrame], folder: Path) -> list[Path]:
    """Write ``folder/<table>.csv`` (each validated against its contract) and
    ``folder/datapackage.json``; return the paths written."""
    folder = Path(folder)
    written = []
    for name in SHIPPED:
        contract = schemas.BY_NAME[name]
        table = contract.validate(tables[name].reset_index(drop=True))
        path = folder / f"{name}.csv"
        storage.write_text(path, table.to_csv(index=False, lineterminator="\n"))
        written.append(path)
    written.append(storage.write_json(folder / "datapackage.json", data_package(tables)))
    return written


def files_table(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per shipped file: path, rows and description (the report's list of them)."""
    package = data_package(tables)
    rows = [
        {"file": r["path"], "rows": r["rows"], "description": r["description"]}
        for r in package["resources"]
    ]
    rows.append(
        {
            "file": "datapackage.json",
            "rows": None,
            "description": "Frictionless Data Package: every column's type, meaning and "
            "constraints, from the table contracts.",
        }
    )
    return pd.DataFrame(rows)
