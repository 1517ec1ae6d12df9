"""The report stage: render ``report/`` from a copy of it that also holds this run's
provenance table, into the stage's staging folder.

The copy follows no link that leaves ``report/``: a link to ``/etc/passwd`` or
``/proc/self/environ`` named as an include or a stylesheet would otherwise publish that file.
Links that stay inside ``report/`` are copied as the files they name."""

from __future__ import annotations

import os
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
    copy_report(source, work)
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


def copy_report(source: Path, work: Path) -> None:
    """Copy the report folder ``source`` to ``work``, refusing (``InputError``, one line naming
    the link) any file reached through a link that leads outside ``source``; the build's own
    outputs (``_output``, ``.quarto``) are left out."""

    def copy(src: str, dst: str) -> str:
        real = paths.inside(src, source, "link")  # every file, so links in linked folders too
        return shutil.copy2(real, dst)

    def ignore(folder: str, names: list[str]) -> set[str]:
        for name in names:
            if os.path.islink(os.path.join(folder, name)):
                paths.inside(os.path.join(folder, name), source, "link")  # a folder's link too
        return {n for n in names if n in ("_output", ".quarto")}

    shutil.copytree(source, work, ignore=ignore, copy_function=copy)
