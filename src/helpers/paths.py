"""Every path of the project, in one place, so no notebook or helper hard-codes one."""

from __future__ import annotations

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
