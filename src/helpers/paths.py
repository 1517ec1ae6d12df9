"""The project's own places: its root, the pipeline declaration, the build folder.

Where a dataset lives (sources, codebook, tables, the report's inputs and outputs) is the data
catalogue's business (``helpers.catalogue``, declared in pipeline.yaml), not this module's.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
PIPELINE = ROOT / "pipeline.yaml"  # declares the stages and the data catalogue
BUILD = ROOT / "build"


def inside(path: Path | str, folder: Path | str, what: str = "file") -> Path:
    """``path`` with symlinks followed, refused (``InputError``) when that leaves ``folder``.

    Why: a symlink in data/raw/ or a path given on the command line must not make the report
    read, and publish, a file from elsewhere on the machine.
    """
    from helpers.errors import InputError  # errors imports nothing; keeps paths import-light

    real, base = os.path.realpath(path), os.path.realpath(folder)  # faster than Path.resolve
    if real != base and not real.startswith(base.rstrip(os.sep) + os.sep):
        raise InputError(path, f"{what} leads outside {folder} (to {real}); refusing to read it")
    return Path(real)
