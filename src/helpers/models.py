"""Declared models of the files researchers edit, and the one formatter of their errors.

Each hand-edited input (manifest, corrections, codebook, framing codebook, ``pipeline.yaml``)
is read into a pydantic model: its fields, their types and allowed values are declared once,
next to the loader that uses them, and an unknown field is refused (a misspelt field would
otherwise be silently ignored). The two CSV inputs are checked by pandera schemas in the same
spirit. Whatever fails, :func:`parse` and :func:`check_table` turn it into today's one-line
:class:`~helpers.errors.InputError` naming the file, the entry and the field, so a researcher
never sees a validation dump.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, TypeVar

import pandas as pd
import pandera.pandas as pa
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from helpers.errors import InputError, clip

# Text a researcher must fill in: surrounding white space is dropped, and then it is not empty.
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]

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
    ``entry 'a': ...``, or ``entry #3`` when the entry has no id); the default is
    ``"<field> entry"``.
    """
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InputError(path, describe(exc, model, data, nouns or {})) from None


def describe(
    exc: ValidationError, model: type[BaseModel], data: object, nouns: Mapping[str, str]
) -> str:
    """One line for a pydantic error: where (entry and field), then what is wrong.

    Missing and unknown fields of the first failing entry are gathered into one message; any
    other problem is reported for the first field that has it.
    """
    errors = exc.errors(include_url=False)
    first = errors[0]
    where, field_at = _where(first["loc"], data, nouns)
    same_entry = [e for e in errors if _where(e["loc"], data, nouns)[0] == where]
    for kind, wording in (("missing", "missing required field(s)"), ("extra_forbidden", None)):
        names = [
            _dotted(e["loc"][field_at:]) for e in same_entry if e["type"] == kind
        ]  # every field of this entry with this problem
        if not names:
            continue
        if kind == "missing":
            problem = f"{wording}: {', '.join(names)}"
        else:
            extra = next(e for e in same_entry if e["type"] == kind)
            allowed = _allowed(model, extra["loc"][:-1])  # the fields of the mapping holding it
            problem = f"unknown field(s): {clip(', '.join(names))}" + (
                f" (allowed: {allowed})" if allowed else ""
            )
        return f"{where}: {problem}" if where else problem
    problem = _problem(first, _dotted(first["loc"][field_at:]))
    return f"{where}: {problem}" if where else problem


def check_table(schema: pa.DataFrameSchema, frame: pd.DataFrame, path: Path | str) -> pd.DataFrame:
    """``frame`` (read from the CSV at ``path``) validated by a pandera schema, as one line.

    Rows are named by their line in the file (the header is line 1), as an editor shows them.
    """
    try:
        return schema.validate(frame, lazy=False)
    except pa.errors.SchemaError as exc:
        raise InputError(path, _table_problem(exc, frame)) from None


# -- internals ------------------------------------------------------------------------------


def _where(loc: Sequence, data: object, nouns: Mapping[str, str]) -> tuple[str, int]:
    """The label of the innermost list entry on ``loc`` and where the field path starts."""
    label, field_at, node, key = "", 0, data, None
    for depth, step in enumerate(loc):
        if isinstance(step, int) and isinstance(node, list) and key is not None:
            item = node[step] if step < len(node) else None
            noun = nouns.get(key, f"{key} entry")
            ident = item.get("id") if isinstance(item, dict) else None
            named = isinstance(ident, str) and ident.strip()
            entry = f"{noun} {clip(ident.strip(), 60)}" if named else f"{noun} #{step + 1}"
            # a plain value (a name in a list of names) is named inside the entry holding it
            label = f"{label}: {entry}" if label and not isinstance(item, dict) else entry
            field_at = depth + 1
        key = step if isinstance(step, str) else key
        node = _child(node, step)
    return label, field_at


def _child(node: object, step) -> object:
    if isinstance(node, dict):
        return node.get(step)
    if isinstance(node, list) and isinstance(step, int) and step < len(node):
        return node[step]
    return None


def _dotted(loc: Sequence) -> str:
    return ".".join(str(step) for step in loc)


def _allowed(model: type[BaseModel], loc: Sequence) -> str:
    """The fields the model declares where ``loc`` (up to the entry) points, comma-separated."""
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
    if isinstance(node, type) and issubclass(node, BaseModel):
        return ", ".join(f.alias or name for name, f in node.model_fields.items())
    return ""


def _problem(error: dict, field: str) -> str:
    """What is wrong with one field, worded for the person who typed it."""
    kind, value, ctx = error["type"], error.get("input"), error.get("ctx") or {}
    if kind == "value_error":  # a model's own check: its message says everything
        return str(ctx.get("error", error["msg"]))
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


def _table_problem(exc: pa.errors.SchemaError, frame: pd.DataFrame) -> str:
    column = getattr(exc.schema, "name", None)
    cases = exc.failure_cases
    if column is None or cases is None or not len(cases) or "index" not in cases:
        return str(exc).splitlines()[0]
    row = cases.iloc[0]
    index = row["index"]
    line = frame.index.get_loc(index) + 2 if index in frame.index else None
    check = str(row.get("check", "")).strip()
    where = f"row {line}" if line is not None else "a row"
    return f"{where}: column `{column}` {clip(row['failure_case'])} fails {check}"
