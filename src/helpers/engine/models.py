"""Declared models of the files researchers edit, and the one formatter of their errors.

Each hand-edited input (manifest, corrections, codebook, framing codebook, ``pipeline.yaml``)
is read into a pydantic model: its fields, their types and allowed values are declared once,
next to the loader that uses them, and an unknown field is refused (a misspelt field would
otherwise be silently ignored). The two CSV inputs are checked by pandera schemas in the same
spirit. Whatever fails, :func:`parse` and :func:`check_table` turn it into today's one-line
:class:`~helpers.engine.errors.InputError` naming the file, the entry and the field, so a researcher
never sees a validation dump.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)
from pydantic_core import PydanticCustomError

from helpers.engine.errors import InputError, clip
from helpers.engine.paths import read_input

if TYPE_CHECKING:  # pandas and pandera cost a second: the runner reads pipeline.yaml without them
    import pandas as pd
    import pandera.pandas as pa

# Characters that take no space (zero-width, joiners, bidi controls, soft hyphen, BOM), as a
# regex class: removed from source text at ingest (helpers.ingest.text).
INVISIBLE = "\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
# What no hand-written field should hold: controls (but tab and line feed), other line breaks
# and invisible characters. Ingest removes them from the sources, so a codebook term holding
# one would silently never match, and a title holding one would reach the report unseen.
HIDDEN = re.compile(rf"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029{INVISIBLE}]")


def _visible(value: object) -> object:
    """``value`` unchanged, unless it is text holding a ``HIDDEN`` character (sought before
    white space is stripped: a trailing U+2028 or VT is refused, not silently dropped)."""
    hidden = HIDDEN.search(value) if isinstance(value, str) else None
    if hidden:
        raise PydanticCustomError(
            "hidden_character",
            "holds the invisible or control character U+{code} at position {at}; remove it",
            {"code": f"{ord(hidden.group()):04X}", "at": hidden.start()},
        )
    return value


# Text a researcher must fill in: it holds no hidden character, and once surrounding white space
# is dropped it is not empty.
Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1), BeforeValidator(_visible)
]

T = TypeVar("T")


def _tupled(value: object) -> object:
    return tuple(value) if isinstance(value, list) else value


# A YAML list of T, kept as an immutable tuple (a strict model takes no list for a tuple).
Items = Annotated[tuple[T, ...], BeforeValidator(_tupled)]
# A list (or Items) that must hold at least one item: NonEmpty[list[Entry]].
NonEmpty = Annotated[T, Field(min_length=1)]


class Model(BaseModel):
    """The base of every input model: strict types, unknown fields refused, immutable.

    Strict: a YAML ``yes`` is not text and ``"3"`` is not a number; where an unquoted YAML
    value is a natural way to write a field (a date, a year) the model converts it itself.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


M = TypeVar("M", bound=BaseModel)


def parse(
    model: type[M], data: object, path: Path | str, *, nouns: Mapping[str, str] | None = None
) -> M:
    """``data`` (as read from ``path``) validated as ``model``; any problem is one ``InputError``.

    ``nouns`` names the entries of a list field in messages (``{"sources": "entry"}`` gives
    ``entry 'a': ...`` from the entry's ``id`` or else its ``name``, or ``entry #3`` when it
    has neither); the default is ``"<field> entry"``. A field holding a mapping of named
    entries is named only when ``nouns`` lists it (``{"catalogue": "dataset"}`` gives
    ``dataset 'x': ...``).
    """
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InputError(path, describe(exc, model, data, nouns or {})) from None


def describe(
    exc: ValidationError, model: type[BaseModel], data: object, nouns: Mapping[str, str]
) -> str:
    """One line for a pydantic error: where (entry and field), then what is wrong.

    Every problem of the first failing entry is gathered into one message: missing fields,
    unknown fields (each with the closest known field, when one is close), then each other
    field's problem.
    """
    errors = exc.errors(include_url=False)
    for error in errors:  # a field written but left empty in YAML (`reason:`) is missing
        if error.get("input", ...) is None and _is_type_error(error):
            loc = error["loc"]
            if (
                loc
                and isinstance(loc[-1], str)
                and len(loc) > _where(loc, data, nouns)[1]
                and _required(model, loc)
            ):
                error["type"] = "missing"
    first = errors[0]
    where, field_at = _where(first["loc"], data, nouns)
    same_entry = [e for e in errors if _where(e["loc"], data, nouns)[0] == where]
    problems = []  # every problem of this entry, so one run shows them all
    missing = [_dotted(e["loc"][field_at:]) for e in same_entry if e["type"] == "missing"]
    extra = [e for e in same_entry if e["type"] == "extra_forbidden"]
    if missing:
        problems.append(f"missing required field(s): {', '.join(missing)}")
    if extra:
        names = [_dotted(e["loc"][field_at:]) for e in extra]
        known = _fields(model, extra[0]["loc"][:-1])  # the fields of the mapping holding it
        allowed = ", ".join(known)
        problem = f"unknown field(s): {_quoted(names)}" + (
            f" (allowed: {allowed})" if allowed else ""
        )
        closest = [
            f"{clip(e['loc'][-1], 40)} is closest to known field {clip(near[0], 40)}"
            for e in extra
            if isinstance(e["loc"][-1], str)
            and (near := difflib.get_close_matches(e["loc"][-1], known, n=1, cutoff=0.6))
        ]
        if closest:
            problem += f" ({'; '.join(closest)})"
        problems.append(problem)
    seen = set()
    for error in same_entry:
        if error["type"] in ("missing", "extra_forbidden"):
            continue
        problem = _problem(error, _dotted(error["loc"][field_at:]))
        if problem not in seen:
            seen.add(problem)
            problems.append(problem)
    problem = "; ".join(problems)
    return f"{where}: {problem}" if where else problem


def read_csv(path: Path | str, what: str) -> pd.DataFrame:
    """A CSV a researcher edits, every cell as text, indexed by each row's line in the file.

    Surrounding white space is dropped (header too) and an empty cell is missing (NA), so a
    table schema says which cells may be empty. Blank lines are skipped; a row with more or
    fewer cells than the header stops here, since its cells would land in the wrong columns.
    """
    import csv
    import io

    import pandas as pd

    text = read_input(path, what).removeprefix("\ufeff")  # a spreadsheet's byte order mark
    records, lines, start = [], [], 1
    try:
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        header = [name.strip() for name in next(reader, [])]
        start = reader.line_num + 1
        for row in reader:
            if any(cell.strip() for cell in row):
                if len(row) != len(header):
                    raise InputError(
                        path,
                        f"row {start}: {len(row)} cells, but the header names "
                        f"{len(header)} columns",
                    )
                _refuse_hidden_cells(row, header, start, path)
                records.append(row)
                lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise InputError(path, f"unreadable CSV: {clip(str(exc), 200)} (line {start})") from None
    if not any(header):
        raise InputError(path, f"{what} has no header line")
    twice = sorted({name for name in header if header.count(name) > 1})
    if twice:
        raise InputError(path, f"duplicate column(s): {_quoted(twice)}")
    frame = pd.DataFrame(records, columns=header, index=pd.Index(lines, name="line"), dtype=str)
    return frame.apply(lambda column: column.str.strip()).replace("", None)


def _refuse_hidden_cells(row: list[str], header: list[str], line: int, path) -> None:
    """A control or invisible character in a cell (a facts table's claim, an adjudication's
    note) would pass into the processed tables and the report unseen: refused, naming it."""
    for name, cell in zip(header, row, strict=True):
        hidden = HIDDEN.search(cell)
        if hidden:
            raise InputError(
                path,
                f"row {line}, column {clip(name, 40)}: holds the invisible or control "
                f"character U+{ord(hidden.group()):04X} at position {hidden.start()}; remove it",
            )


def check_table(
    schema: pa.DataFrameSchema,
    frame: pd.DataFrame,
    path: Path | str,
    *,
    named: tuple[str, str] | None = None,
) -> pd.DataFrame:
    """``frame`` (read from the CSV at ``path``) validated by a pandera schema, as one line.

    Missing, unknown or misordered columns are reported together; otherwise the first row
    with a problem, by its line in the file (the frame's index, as :func:`read_csv` gives it),
    as an editor shows it. ``named`` = (noun, column) also names the row by its key:
    ``fact 'F1' (row 3)``.
    """
    import pandera.pandas as pa

    try:
        return schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        raise InputError(path, _table_problem(exc.schema_errors, schema, frame, named)) from None
    except pa.errors.SchemaError as exc:
        raise InputError(path, _table_problem([exc], schema, frame, named)) from None


# -- internals ------------------------------------------------------------------------------


def _where(loc: Sequence, data: object, nouns: Mapping[str, str]) -> tuple[str, int]:
    """The label of the innermost entry (of a list, or of a mapping ``nouns`` names) on ``loc``
    and where the field path starts."""
    label, field_at, node, field, after_field = "", 0, data, None, False
    for depth, step in enumerate(loc):
        if isinstance(step, int) and isinstance(node, list) and field is not None:
            item = node[step] if step < len(node) else None
            noun = nouns.get(field, f"{field} entry")
            ident = _ident(item)
            entry = f"{noun} {clip(ident, 60)}" if ident else f"{noun} #{step + 1}"
            # an entry that is a mapping is named alone; a plain value inside its owner's name
            label = f"{label}: {entry}" if label and not isinstance(item, dict) else entry
            field_at, after_field = depth + 1, False
        elif after_field and field in nouns and isinstance(node, dict):  # named entries
            label = f"{nouns[field]} {clip(step, 60)}"
            field_at, after_field = depth + 1, False
        else:
            field, after_field = (step, True) if isinstance(step, str) else (field, False)
        node = _child(node, step)
    return label, field_at


def _ident(item: object) -> str:
    """What names a list entry in a message: its ``id``, or else its ``name``."""
    for key in ("id", "name"):
        value = item.get(key) if isinstance(item, dict) else None
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def _is_type_error(error: dict) -> bool:
    return error["type"].endswith("_type") or error["type"] == "literal_error"


def _child(node: object, step) -> object:
    if isinstance(node, dict):
        return node.get(step)
    if isinstance(node, list) and isinstance(step, int) and step < len(node):
        return node[step]
    return None


def _dotted(loc: Sequence) -> str:
    return ".".join(str(step) for step in loc)


def _fields(model: type[BaseModel], loc: Sequence) -> list[str]:
    """The fields the model declares where ``loc`` (up to the entry) points."""
    node = _model_at(model, loc)
    if isinstance(node, type) and issubclass(node, BaseModel):
        return [f.alias or name for name, f in node.model_fields.items()]
    return []


def _required(model: type[BaseModel], loc: Sequence) -> bool:
    """Whether the field ``loc`` points to is required (has no default)."""
    node = _model_at(model, loc[:-1])
    if isinstance(node, type) and issubclass(node, BaseModel):
        fields = {f.alias or name: f for name, f in node.model_fields.items()}
        return loc[-1] in fields and fields[loc[-1]].is_required()
    return False


def _model_at(model: type[BaseModel], loc: Sequence) -> object:
    """The type the model declares where ``loc`` points (a model, or another type)."""
    node: object = model
    for step in loc:
        if isinstance(node, type) and issubclass(node, BaseModel) and isinstance(step, str):
            info = node.model_fields.get(step)
            node = info.annotation if info else None
        else:  # a list (or tuple, or mapping) of entries: its item type
            args = [a for a in typing.get_args(node) if a is not type(None)]
            node = args[-1] if args else None
        while typing.get_origin(node) in (typing.Union, types.UnionType, typing.Annotated):
            node = next(a for a in typing.get_args(node) if a is not type(None))
    return node


def _problem(error: dict, field: str) -> str:
    """What is wrong with one field, worded for the person who typed it."""
    kind, value, ctx = error["type"], error.get("input"), error.get("ctx") or {}
    if kind == "value_error":  # a model's own check: its message says everything
        return str(ctx.get("error", error["msg"]))
    if kind == "hidden_character":
        return f"field `{field}` {error['msg']}" if field else f"the value {error['msg']}"
    if kind == "literal_error":
        expected = str(ctx.get("expected", "")).replace("'", "").replace(" or ", ", ")
        return f"unknown {field} {clip(value)} (expected one of {expected})"
    wanted = {
        "string_type": "text",
        "string_too_short": "non-empty text",
        "int_type": "a whole number",
        "bool_type": "true or false",
        "list_type": "a list",
        "tuple_type": "a list",
        "too_short": "a non-empty list",
        "dict_type": "a mapping of fields",
        "model_type": "a mapping of fields",
        "model_attributes_type": "a mapping of fields",
    }.get(kind)
    if wanted is None:
        wanted = error["msg"][:1].lower() + error["msg"][1:]
        wanted = wanted.removeprefix("input should be ")
    subject = f"field `{field}`" if field else "the value"
    return f"{subject} must be {wanted}, got {clip(value)}"


# pandera's names for what a table's columns got wrong, worded for the person who typed it
_COLUMN_PROBLEMS = {
    "column_in_dataframe": "missing column(s)",
    "column_in_schema": "unknown column(s)",
    "column_ordered": "columns out of order",
}


def _table_problem(
    errors: list, schema: pa.DataFrameSchema, frame: pd.DataFrame, named: tuple[str, str] | None
) -> str:
    """One line for pandera's errors: the columns if they are wrong, else the first bad row."""
    columns: dict[str, list[str]] = {}
    for error in errors:
        if error.check in _COLUMN_PROBLEMS:
            columns.setdefault(_COLUMN_PROBLEMS[error.check], []).append(str(error.failure_cases))
    if columns:  # the shape is wrong: checks of the rows would only repeat it
        if len(columns) > 1:
            columns.pop("columns out of order", None)
        parts = [
            kind if kind == "columns out of order" else f"{kind}: {_quoted(columns[kind])}"
            for kind in _COLUMN_PROBLEMS.values()
            if kind in columns
        ]
        order = " in this order" if schema.ordered else ""
        return f"{'; '.join(parts)} (expected columns{order}: {', '.join(schema.columns)})"
    cases = []  # (position of the row, order of the check, the error, the failing value)
    for rank, error in enumerate(errors):
        found = error.failure_cases
        if not hasattr(found, "columns") or "index" not in found.columns:
            return str(error).splitlines()[0]  # not about rows: pandera's own first line
        for index, value in zip(found["index"], found["failure_case"], strict=True):
            if index in frame.index:
                cases.append((frame.index.get_loc(index), rank, error, value))
    if not cases:
        return str(errors[0]).splitlines()[0]
    position, _, error, value = min(cases, key=lambda case: case[:2])
    line = frame.index[position]
    where = f"row {line}"
    key = frame[named[1]].iloc[position] if named else None
    if isinstance(key, str) and key:  # read_csv leaves no blank text, only NA
        where = f"{named[0]} {clip(key, 60)} ({where})"
    again = [
        frame.index[p]
        for p, _, e, v in sorted(cases, key=lambda case: case[:2])
        if e is error and v == value and p != position
    ]
    return f"{where}: {_row_problem(error, value, again)}"


def _row_problem(error, value: object, again: list) -> str:
    """What is wrong in one row, for a built-in check by its kind, else the check's own text;
    ``again`` holds the lines of other rows failing the same check with the same value."""
    column = getattr(error.schema, "name", None) if error.schema is not None else None
    kind = getattr(error.check, "name", error.check)
    if kind == "not_nullable":
        return f"{column} is required"
    if kind == "isin":
        allowed = ", ".join(map(str, error.check.statistics["allowed_values"]))
        return f"unknown {column} {clip(value)} (expected one of {allowed})"
    if kind == "field_uniqueness":
        return f"duplicate {column} {clip(value)}" + (
            f" (also row {', '.join(map(str, again))})" if again else ""
        )
    text = getattr(error.check, "error", None) or str(kind)
    return f"{column} {clip(value)}: {text}" if column else text


def _quoted(names: Sequence[str], most: int = 10) -> str:
    """Names from a file, each bounded and quoted (a header cell may hold anything)."""
    shown = ", ".join(clip(name, 40) for name in names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")
