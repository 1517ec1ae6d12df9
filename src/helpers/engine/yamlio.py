"""The one YAML reader of the project: safe, bounded, and every problem one line naming the file.

Every YAML file here is edited by hand by many people, so reading one must not run code (safe
loader), must not blow up memory (anchors and aliases are refused: an "alias bomb" of a few
hundred bytes expands to gigabytes when a message formats it), must not read a huge file
(``MAX_YAML_BYTES``) and must not follow a symlink out of the file's folder.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from helpers.engine.errors import InputError
from helpers.engine.paths import MAX_INPUT_BYTES, read_input

MAX_YAML_BYTES = MAX_INPUT_BYTES

# libyaml's C loader when present: the pure-Python one dominates ingest time on a large manifest.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path | str, what: str, *, within: Path | str | None = None) -> object:
    """Parse a YAML file a researcher edits; any problem is an ``InputError`` naming it.

    ``within`` is the folder the file must stay in once symlinks are followed (default: the
    folder it is named in); see :func:`helpers.engine.paths.read_input`.
    """
    return loads(read_input(path, what, within=within), path)


def loads(text: str, where: Path | str) -> object:
    """Parse YAML text (a file's or a command-line value's); ``where`` names it in errors."""
    try:
        events = yaml.parse(text, Loader=_LOADER) if "&" in text or "*" in text else ()
        for event in events:
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                mark = event.start_mark
                raise InputError(
                    where,
                    f"YAML anchors and aliases (&name, *name) are not allowed "
                    f"(line {mark.line + 1}, column {mark.column + 1})",
                )
        return yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        raise InputError(where, f"malformed YAML: {_problem(exc)}") from None


def _problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or (str(exc).splitlines() or [""])[0]
    if mark is not None:
        return f"{problem} (line {mark.line + 1}, column {mark.column + 1})"
    return problem
