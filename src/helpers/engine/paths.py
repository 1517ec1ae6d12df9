"""The project's own places: its root, the pipeline declaration, the build folder.

Where a dataset lives (sources, codebook, tables, the report's inputs and outputs) is the data
catalogue's business (``helpers.engine.catalogue``, declared in pipeline.yaml), not this module's.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
NOTEBOOKS = ROOT / "notebooks"
PIPELINE = ROOT / "pipeline.yaml"  # declares the stages and the data catalogue
BUILD = ROOT / "build"


def inside(path: Path | str, folder: Path | str, what: str = "file") -> Path:
    """``path`` with symlinks followed, refused (``InputError``) when that leaves ``folder``.

    Why: a symlink in data/raw/ or a path given on the command line must not make the report
    read, and publish, a file from elsewhere on the machine.
    """
    from helpers.engine.errors import InputError  # errors imports nothing; keeps paths import-light

    real, base = os.path.realpath(path), os.path.realpath(folder)  # faster than Path.resolve
    if real != base and not real.startswith(base.rstrip(os.sep) + os.sep):
        raise InputError(path, f"{what} leads outside {folder} (to {real}); refusing to read it")
    return Path(real)


def regular_size(path: Path | str, shown: Path | str, what: str = "file", note: str = "") -> int:
    """The size of ``path``, refused (``InputError`` naming ``shown``, ``note`` after the
    problem) unless it is a regular file: opening a pipe or a device would wait for a writer,
    or read for ever."""
    from helpers.engine.errors import InputError

    try:
        mode = os.stat(path)
    except FileNotFoundError:
        raise InputError(shown, f"{what} not found{note}") from None
    except OSError as exc:
        raise InputError(shown, f"cannot read the {what}: {exc.strerror}{note}") from None
    if stat.S_ISDIR(mode.st_mode):
        raise InputError(shown, f"{what} is a folder, not a file{note}")
    if not stat.S_ISREG(mode.st_mode):
        raise InputError(shown, f"{what} is a device or pipe, not a regular file{note}")
    return mode.st_size


MAX_INPUT_BYTES = 5_000_000  # a hand-edited file (YAML, CSV); a thousand-source manifest is ~0.5 MB


def read_input(path: Path | str, what: str, *, within: Path | str | None = None) -> str:
    """The text of a file a researcher edits, once it passes the checks every such file needs:
    it stays in ``within`` (default: its own folder) with symlinks followed, it is a file of at
    most ``MAX_INPUT_BYTES``, and it is UTF-8. Any problem is one ``InputError`` naming it."""
    from helpers.engine.errors import InputError

    path = Path(path)
    real = inside(path, path.parent if within is None else within, what)
    size = regular_size(real, path, what)
    try:
        if size > MAX_INPUT_BYTES:
            raise InputError(
                path, f"{what} is {size:,} bytes, more than the limit of {MAX_INPUT_BYTES:,}"
            )
        return real.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise InputError(path, f"{what} not found") from None
    except UnicodeDecodeError as exc:
        raise InputError(path, f"not valid UTF-8 at byte {exc.start}") from None
    except OSError as exc:
        raise InputError(path, f"cannot read the {what}: {exc.strerror}") from None
