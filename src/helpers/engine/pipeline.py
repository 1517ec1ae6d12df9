"""The pipeline runner: runs each stage of ``pipeline.yaml`` only when something it depends on
changed, by content.

Why not make or doit: a stage's dependencies include the helper modules its notebook imports
and its parameters, the decision must be by content (a touched file is not a changed file), a
stage whose upstream re-ran but wrote identical tables must be skipped (early cut-off), and
every run needs papermill-specific care (parameters checked against the notebook before a
cell runs, outputs staged and moved into place only on success, the executed notebook
kept). Make only bootstraps the environment.

This module is the run loop and the command line; the rest of the runner is one module per
idea: the declared pipeline and ``--set`` (:mod:`~helpers.engine.declared`), fingerprints
(:mod:`~helpers.engine.fingerprint`, over :mod:`~helpers.engine.statcache`), the record of
the last runs (:mod:`~helpers.engine.state`), notebook stages in the warm kernel
(:mod:`~helpers.engine.kernel`), the report stage (:mod:`~helpers.engine.render_stage`,
:mod:`~helpers.engine.provenance`), staging, promotion and the run lock
(:mod:`~helpers.engine.promotion`). Nothing heavy is imported at module level, so a no-op
rebuild costs a fraction of a second.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import threading
import time
from pathlib import Path

from helpers.engine.declared import Pipeline, Stage, apply_overrides, load_pipeline
from helpers.engine.errors import InputError, Interrupted, StageFailed
from helpers.engine.fingerprint import fingerprint, output_hashes
from helpers.engine.kernel import WarmKernel, run_notebook
from helpers.engine.promotion import promote, recover, run_lock, staging
from helpers.engine.provenance import git
from helpers.engine.render_stage import run_render
from helpers.engine.statcache import STAT_CACHE
from helpers.engine.state import load_state, reasons_to_run, save_state

__all__ = ["StageFailed", "apply_overrides", "load_pipeline", "main", "run", "run_stage"]

# What the report stage, which runs in this process, imports (~1 s: pandas); see _import_ahead.
_RENDER_IMPORTS = (
    "helpers.engine.render",
    "helpers.engine.storage",
    "helpers.engine.provenance",
)


def _os_problem(exc: OSError) -> str:
    """An OS error as one line: what failed and on which file."""
    where = f" ({exc.filename})" if exc.filename else ""
    return f"{exc.strerror or type(exc).__name__}{where}"


def _cause(exc: BaseException, stage: Stage) -> str:
    if isinstance(exc, KeyboardInterrupt):
        return f"interrupted (Ctrl-C) while stage {stage.name} ran"
    return _os_problem(exc) if isinstance(exc, OSError) else str(exc)


def _import_ahead(modules: tuple[str, ...]) -> threading.Thread:
    """Import ``modules`` in a thread of this process while it waits on the kernel, so the
    report stage, which runs here, finds them loaded (for speed only). A failure is left for
    the stage."""

    def load() -> None:
        for name in modules:
            try:
                importlib.import_module(name)
            except Exception:  # the stage's own import reports it
                pass

    thread = threading.Thread(target=load, name="import-ahead", daemon=True)
    thread.start()
    return thread


def run_stage(
    stage: Stage, pipeline: Pipeline, *, engine: str = "auto", kernel: WarmKernel | None = None
) -> None:
    """Run one stage into a staging folder and promote its outputs; ``kernel``: the run's
    shared kernel (a kernel of its own when None)."""
    with staging(stage) as staged:
        if stage.notebook:
            run_notebook(stage, pipeline, staged, kernel)
        else:
            run_render(stage, pipeline, staged, engine)
        promote(stage, staged)


def run(pipeline: Pipeline, *, dry_run=False, force=(), engine="auto", out=sys.stdout) -> list:
    """Run (or with ``dry_run`` only explain) every out-of-date stage; return what ran.

    A real run holds the folder's lock (:func:`~helpers.engine.promotion.run_lock`) from start
    to end.
    """
    if dry_run:
        _explain(pipeline, force=force, out=out)
        return []
    with run_lock():
        width = max(len(s.name) for s in pipeline.stages)
        for name in recover([o for s in pipeline.stages for o in s.outputs]):
            print(
                f"{name:<{width}}  previous outputs restored (a run was killed moving them)",
                file=out,
            )
        kernel, ahead = WarmKernel(pipeline.kernel), []
        try:
            return _run(pipeline, force=force, engine=engine, out=out, kernel=kernel, ahead=ahead)
        finally:
            kernel.shutdown()
            STAT_CACHE.save()
            for thread in ahead:
                thread.join()


def _reasons(stage: Stage, state: dict, force) -> list[str]:
    return ["forced"] if stage.name in force else reasons_to_run(stage, state.get(stage.name))


def _explain(pipeline: Pipeline, *, force, out) -> None:
    """Say, stage by stage, what a run would do and why."""
    state = load_state()
    upstream_would_run: list[str] = []
    width = max(len(s.name) for s in pipeline.stages)
    for stage in pipeline.stages:
        reasons = _reasons(stage, state, force)
        if not reasons and upstream_would_run:
            reasons = [f"if an upstream stage ({', '.join(upstream_would_run)}) writes new outputs"]
            verb = "may run"
        else:
            verb = "would run" if reasons else "up to date"
        print(
            f"{stage.name:<{width}}  {verb}" + (f": {'; '.join(reasons)}" if reasons else ""),
            file=out,
        )
        if reasons:
            upstream_would_run.append(stage.name)


def _run(pipeline: Pipeline, *, force, engine, out, kernel, ahead) -> list:
    state = load_state()
    ran: list[str] = []
    os.environ.setdefault("SOURCE_DATE_EPOCH", git("log", "-1", "--format=%ct") or "0")
    width = max(len(s.name) for s in pipeline.stages)
    for index, stage in enumerate(pipeline.stages):
        reasons = _reasons(stage, state, force)
        if not reasons:
            print(f"{stage.name:<{width}}  skipped  (up to date)", file=out)
            continue
        started = time.perf_counter()
        try:
            # what the stage is about to read: an input edited while it runs is then a change
            # the next run sees, not a hash recorded as if the stage had read it
            read = fingerprint(stage)
            _run_one(pipeline, index, engine=engine, kernel=kernel, ahead=ahead)
        except (StageFailed, InputError, OSError, KeyboardInterrupt) as exc:
            done = (
                f"stages completed in this run: {', '.join(ran)}"
                if ran
                else "no stage completed in this run"
            )
            kind = Interrupted if isinstance(exc, KeyboardInterrupt) else StageFailed
            raise kind(
                f"{_cause(exc, stage)} [{done}; {stage.name} and later stages keep their "
                "previous outputs]"
            ) from None
        seconds = time.perf_counter() - started
        state[stage.name] = {
            "fingerprint": read,
            "outputs": output_hashes(stage),
            "reasons": reasons,
            "seconds": round(seconds, 3),
        }
        save_state(state)
        ran.append(stage.name)
        print(
            f"{stage.name:<{width}}  ran      {seconds:6.1f} s  ({reasons[0]}"
            f"{' ...' if len(reasons) > 1 else ''})",
            file=out,
            flush=True,
        )
    return ran


def _run_one(pipeline: Pipeline, index: int, *, engine, kernel, ahead) -> None:
    """Run stage ``index``, starting the kernel and the imports the stages after it need."""
    stage = pipeline.stages[index]
    if stage.notebook:
        kernel.upcoming = [s for s in pipeline.stages[index:] if s.notebook]
        if not ahead and any(s.render for s in pipeline.stages[index:]):
            kernel.manager()  # launched before the import below competes for the GIL
            ahead.append(_import_ahead(_RENDER_IMPORTS))
    run_stage(stage, pipeline, engine=engine, kernel=kernel)
    if not any(s.notebook for s in pipeline.stages[index + 1 :]):
        kernel.shutdown_soon()  # the stages left (the report) need no kernel


def _arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m helpers.engine.pipeline", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "-n",
        "--dry-run",
        action="store_true",
        help="say which stages would run and why; run nothing",
    )
    parser.add_argument(
        "--force",
        nargs="*",
        default=None,
        metavar="STAGE",
        help="run these stages (all when none is named) even if up to date",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="STAGE.PARAM=VALUE",
        help="override a parameter of pipeline.yaml for this run",
    )
    parser.add_argument(
        "--engine",
        choices=["auto", "quarto", "fallback"],
        default="auto",
        help="renderer: quarto when on PATH (auto), or pandoc+typst",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _arguments().parse_args(argv)
    try:
        pipeline = apply_overrides(load_pipeline(), args.set)
        names = [s.name for s in pipeline.stages]
        force = set() if args.force is None else set(args.force or names)
        if force - set(names):
            raise InputError(
                "command line", f"--force: unknown stage(s) {sorted(force - set(names))}"
            )
        run(pipeline, dry_run=args.dry_run, force=force, engine=args.engine)
    except Interrupted as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 130
    except KeyboardInterrupt:  # before or after the stages
        print("error: interrupted (Ctrl-C)", file=sys.stderr)
        return 130
    except (InputError, StageFailed) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # the build folder cannot be written, a disk is full, ...
        print(f"error: {_os_problem(exc)}", file=sys.stderr)
        return 1
    if not args.dry_run:
        for rel in pipeline.stages[-1].outputs:
            print(f"{Path(rel).suffix[1:].upper():>4}: {rel}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
