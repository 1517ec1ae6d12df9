"""A stage's outputs appear together or not at all: each stage runs into a staging folder of
its own, whose outputs are moved into place only when every declared one was written, and a
failed move puts back what was there. The run lock keeps a second run in the same folder from
mixing its outputs with the first one's."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from helpers.engine import paths
from helpers.engine.declared import Stage
from helpers.engine.errors import StageFailed


@contextmanager
def staging(stage: Stage) -> Iterator[Path]:
    """A fresh, empty staging folder for ``stage``, removed when the block ends."""
    folder = paths.BUILD / "staging" / stage.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def promote(stage: Stage, staged: Path) -> None:
    """Move every declared output from the staging folder into place, all or none.

    Each previous output is first moved aside (into the staging folder), then the new one
    moved in; if any move fails, every output already moved is put back as it was, so a
    stage's outputs never mix two runs.
    """
    missing = [out for out in stage.outputs if not (staged / out).exists()]
    if missing:
        raise StageFailed(
            f"stage {stage.name} finished but did not write {', '.join(missing)}; "
            "previous outputs left untouched"
        )
    done: list[tuple[Path, Path | None, bool]] = []  # (target, where the old one went, new in)
    out = ""
    try:
        for out in stage.outputs:
            target, new, old = paths.ROOT / out, staged / out, staged / "_replaced" / out
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists() or target.is_symlink():
                old.parent.mkdir(parents=True, exist_ok=True)
                os.replace(target, old)
                done.append((target, old, False))
            else:
                done.append((target, None, False))
            os.replace(new, target)
            done[-1] = (done[-1][0], done[-1][1], True)
    except OSError as exc:
        restored = _roll_back(done)
        raise StageFailed(
            f"stage {stage.name}: could not move {out} into place ({exc.strerror or exc}); "
            + (
                "previous outputs restored"
                if restored
                else "previous outputs could not all be restored: re-run the stage"
            )
        ) from None


def _roll_back(done: list[tuple[Path, Path | None, bool]]) -> bool:
    """Undo a partial promotion, last move first; False when something could not be undone."""
    ok = True
    for target, old, new_in in reversed(done):
        try:
            if new_in:
                if target.is_dir() and not target.is_symlink():
                    shutil.rmtree(target)
                else:
                    target.unlink()
            if old is not None:
                os.replace(old, target)
        except OSError:
            ok = False
    return ok


@contextmanager
def run_lock():
    """Hold ``build/.lock`` for a run, so a second run in the same folder stops with one line
    instead of deleting the first one's staging folder and mixing their outputs."""
    import fcntl

    paths.BUILD.mkdir(parents=True, exist_ok=True)
    lock = paths.BUILD / ".lock"
    with open(lock, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip()[:20] or "unknown"
            raise StageFailed(
                f"another run is building in {paths.ROOT} (process {holder} holds "
                f"{lock.relative_to(paths.ROOT)}); wait for it to finish"
            ) from None
        handle.truncate(0)
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            handle.truncate(0)
            fcntl.flock(handle, fcntl.LOCK_UN)
