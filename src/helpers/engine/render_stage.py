"""The report stage: render ``report/`` from a copy of it that also holds this run's
provenance table, into the stage's staging folder."""

from __future__ import annotations

import shutil
from pathlib import Path

from helpers.engine import paths
from helpers.engine.declared import Pipeline, Stage
from helpers.engine.errors import InputError, StageFailed


def run_render(stage: Stage, pipeline: Pipeline, staging: Path, engine: str) -> None:
    """Render from a copy of report/ that also holds this run's provenance table."""
    from helpers.engine import render, storage
    from helpers.engine.provenance import provenance, provenance_markdown

    source = paths.ROOT / Path(stage.render).parent
    work = staging / "_source"
    shutil.copytree(source, work, ignore=shutil.ignore_patterns("_output", ".quarto"))
    record = provenance(pipeline)
    record["renderer"] = (
        "quarto"
        if engine == "quarto" or (engine == "auto" and shutil.which("quarto"))
        else "pandoc + typst (Quarto not on PATH)"
    )
    storage.write_text(
        work / "_generated" / "tables" / "provenance.md", provenance_markdown(record)
    )
    out = staging / Path(stage.outputs[0]).parent
    try:
        render.render_report(work, out, engine=engine)
    except InputError:
        raise
    except Exception as exc:
        raise StageFailed(f"stage {stage.name} failed: {type(exc).__name__}: {exc}") from None
