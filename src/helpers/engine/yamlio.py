"""The one YAML reader of the project: safe, bounded, and every problem one line naming the file.

Every YAML file here is edited by hand by many people, so reading one must not run code (safe
loader), must not blow up memory (anchors and aliases are refused: an "alias bomb" of a few
hundred bytes expands to gigabytes when a message formats it), must not read a huge file
(``MAX_YAML_BYTES``), must not follow a symlink out of the file's folder, and must not
silently keep the last of a key given twice.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from helpers.engine.errors import InputError, clip
from helpers.engine.paths import MAX_INPUT_BYTES, read_input

MAX_YAML_BYTES = MAX_INPUT_BYTES

# libyaml's C parser when present: the pure-Python one dominates ingest time on a large manifest.
_PARSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _DuplicateKey(yaml.YAMLError):
    """A mapping that gives a key twice (the message says which, and where)."""


class _Loader(_PARSER):
    """The safe loader, refusing a key given twice in one mapping: YAML would keep the last
    value silently (a second ``regions:`` would drop the first one's entries)."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            first: dict = {}
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                try:
                    seen = key in first
                except TypeError:  # an unhashable key: the constructor reports it
                    continue
                if seen:
                    raise _DuplicateKey(
                        f"duplicate key {clip(key, 60)} at {_where(key_node.start_mark)} "
                        f"(first at {_where(first[key])}); give each key once"
                    )
                first[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)


_LOADER = _Loader


def read_yaml(path: Path | str, what: str, *, within: Path | str | None = None) -> object:
    """Parse a YAML file a researcher edits; any problem is an ``InputError`` naming it.

    ``within`` is the folder the file must stay in once symlinks are followed (default: the
    folder it is named in); see :func:`helpers.engine.paths.read_input`.
    """
    return loads(read_input(path, what, within=within), path)


def loads(text: str, where: Path | str) -> object:
    """Parse YAML text (a file's or a command-line value's); ``where`` names it in errors."""
    try:
        events = yaml.parse(text, Loader=_PARSER) if "&" in text or "*" in text else ()
        for event in events:
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                mark = event.start_mark
                raise InputError(
                    where,
                    f"YAML anchors and aliases (&name, *name) are not allowed "
                    f"(line {mark.line + 1}, column {mark.column + 1})",
                )
        return yaml.load(text, Loader=_LOADER)
    except _DuplicateKey as exc:
        raise InputError(where, str(exc)) from None
    except yaml.YAMLError as exc:
        raise InputError(where, f"malformed YAML: {_problem(exc)}") from None


def _where(mark) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}"


def _problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or (str(exc).splitlines() or [""])[0]
    if mark is not None:
        return f"{problem} ({_where(mark)})"
    return problem
