"""Every path of the project, in one place, so no notebook or helper hard-codes one."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

DATA = ROOT / "data"
RAW = DATA / "raw"
MANIFEST = RAW / "manifest.yaml"
ANNOTATIONS = DATA / "annotations"
CORRECTIONS = ANNOTATIONS / "corrections.yaml"
ADJUDICATIONS = ANNOTATIONS / "adjudications.csv"
PROCESSED = DATA / "processed"

CODEBOOK = ROOT / "codebook"
PLACES = CODEBOOK / "places.yaml"
SECTORS = CODEBOOK / "sectors.yaml"
FRAMING = CODEBOOK / "framing.yaml"

NOTEBOOKS = ROOT / "notebooks"
PIPELINE = ROOT / "pipeline.yaml"
BUILD = ROOT / "build"

REPORT = ROOT / "report"
REPORT_GENERATED = REPORT / "_generated"
REPORT_OUTPUT = REPORT / "_output"


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
