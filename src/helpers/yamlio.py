"""The one YAML reader of the project: safe, bounded, and every problem one line naming the file.

Every YAML file here is edited by hand by many people, so reading one must not run code (safe
loader), must not blow up memory (anchors and aliases are refused: an "alias bomb" of a few
hundred bytes expands to gigabytes when a message formats it), must not read a huge file
(``MAX_YAML_BYTES``) and must not follow a symlink out of the file's folder.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from helpers.errors import InputError
from helpers.paths import inside

MAX_YAML_BYTES = 5_000_000  # a thousand-source manifest is ~0.5 MB

# libyaml's C loader when present: the pure-Python one dominates ingest time on a large manifest.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path | str, what: str, *, within: Path | str | None = None) -> object:
    """Parse a YAML file a researcher edits; any problem is an ``InputError`` naming it.

    ``within`` is the folder the file must stay in once symlinks are followed (default: the
    folder it is named in).
    """
    path = Path(path)
    real = inside(path, path.parent if within is None else within, what)
    try:
        size = real.stat().st_size
    except FileNotFoundError:
        raise InputError(path, f"{what} not found") from None
    except OSError as exc:
        raise InputError(path, f"cannot read the {what}: {exc.strerror}") from None
    if not real.is_file():
        raise InputError(path, f"{what} is not a file")
    if size > MAX_YAML_BYTES:
        raise InputError(
            path, f"{what} is {size:,} bytes, more than the limit of {MAX_YAML_BYTES:,}"
        )
    try:
        return loads(real.read_bytes().decode("utf-8"), path)
    except UnicodeDecodeError as exc:
        raise InputError(path, f"not valid UTF-8 at byte {exc.start}") from None
    except OSError as exc:
        raise InputError(path, f"cannot read the {what}: {exc.strerror}") from None


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
