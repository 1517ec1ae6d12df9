"""The run's record for the report's appendix: commit, Python and package versions, the
parameters of every stage, and the renderer; and that record as a Markdown table."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping

from helpers.engine import escape, paths
from helpers.engine.declared import Pipeline

PACKAGES = (
    "pandas",
    "pandera",
    "papermill",
    "altair",
    "vl-convert-python",
    "pypandoc-binary",
    "typst",
    "pyarrow",
)


def git(*args: str) -> str:
    """The output of a git command in the project, or "" when git or the checkout is missing."""
    try:
        return subprocess.run(
            ["git", *args], cwd=paths.ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def provenance(pipeline: Pipeline) -> dict:
    """What the report's appendix says about the run: parameters, versions, commit."""
    from importlib import metadata

    commit = git("rev-parse", "HEAD") or "unknown (not a git checkout)"
    if git("status", "--porcelain", "--untracked-files=no"):
        commit += " (with uncommitted changes)"
    return {
        "commit": commit,
        "python": sys.version.split()[0],
        "packages": {p: metadata.version(p) for p in PACKAGES},
        "parameters": {s.name: s.parameters for s in pipeline.stages if s.parameters},
        "source_date_epoch": os.environ.get("SOURCE_DATE_EPOCH", ""),
    }


def provenance_markdown(record: Mapping) -> str:
    """The run's parameters, versions and commit as a Markdown table for the appendix."""
    rows = [("Git commit", record["commit"]), ("Python", record["python"])]
    rows += [(f"{name}", version) for name, version in sorted(record["packages"].items())]
    rows += [
        (f"Parameter {stage}.{k}", v)
        for stage, params in sorted(record["parameters"].items())
        for k, v in sorted(params.items())
    ]
    rows += [
        ("Renderer", record.get("renderer", "")),
        ("SOURCE_DATE_EPOCH", record.get("source_date_epoch", "")),
    ]
    return escape.markdown_table(rows, ["What", "Value"], [2, 5])
