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

JOURNAL = "promoting.json"  # in a staging folder while its outputs are being moved


@contextmanager
def staging(stage: Stage) -> Iterator[Path]:
    """A fresh, empty staging folder for ``stage``, removed when the block ends (unless a
    promotion in it could not be undone: then the next run's :func:`recover` undoes it)."""
    folder = paths.BUILD / "staging" / stage.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    try:
        yield folder
    finally:
        if not (folder / JOURNAL).exists():
            shutil.rmtree(folder, ignore_errors=True)


def promote(stage: Stage, staged: Path) -> None:
    """Move every declared output from the staging folder into place, all or none.

    Each previous output is first moved aside (into the staging folder's ``_replaced``), then
    the new one moved in; the previous ones are deleted only once every new one is in place.
    A journal lists the outputs while they move: if a move fails, or the run is interrupted,
    every output already moved is put back as it was, and if the process is killed the next
    run does it (:func:`recover`), so a stage's outputs never mix two runs.
    """
    missing = [out for out in stage.outputs if not (staged / out).exists()]
    if missing:
        raise StageFailed(
            f"stage {stage.name} finished but did not write {', '.join(missing)}; "
            "previous outputs left untouched"
        )
    from helpers.engine.storage import write_json

    write_json(staged / JOURNAL, {"stage": stage.name, "outputs": list(stage.outputs)})
    out = ""
    try:
        for out in stage.outputs:
            target, old = paths.ROOT / out, staged / "_replaced" / out
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists() or target.is_symlink():
                old.parent.mkdir(parents=True, exist_ok=True)
                os.replace(target, old)
            os.replace(staged / out, target)
    except OSError as exc:
        restored = _roll_back(staged, stage.outputs)
        raise StageFailed(
            f"stage {stage.name}: could not move {out} into place ({exc.strerror or exc}); "
            + (
                "previous outputs restored"
                if restored
                else "previous outputs could not all be restored: the next run retries"
            )
        ) from None
    except BaseException:  # interrupted (Ctrl-C): put the previous outputs back first
        _roll_back(staged, stage.outputs)
        raise
    (staged / JOURNAL).unlink()  # every new output is in place: the old ones may go


def _roll_back(staged: Path, outputs: tuple[str, ...] | list[str]) -> bool:
    """Undo a partial promotion, last output first, from what is on disk: an output no longer
    in the staging folder was moved in (and is removed), one in ``_replaced`` is put back.
    False when something could not be undone (the journal then stays for the next run)."""
    ok = True
    for out in reversed(outputs):
        target, old = paths.ROOT / out, staged / "_replaced" / out
        try:
            new_in = not (staged / out).exists() and not (staged / out).is_symlink()
            if new_in and (target.exists() or target.is_symlink()):
                if target.is_dir() and not target.is_symlink():
                    shutil.rmtree(target)
                else:
                    target.unlink()
            if old.exists() or old.is_symlink():
                os.replace(old, target)
        except OSError:
            ok = False
    if ok:
        (staged / JOURNAL).unlink(missing_ok=True)
    return ok


def recover(declared: tuple[str, ...] | list[str]) -> list[str]:
    """Undo every promotion a killed run left half done (a staging folder that still holds its
    journal), before anything else runs; the stages whose previous outputs were put back.
    Only paths among the ``declared`` outputs are touched, whatever the journal says."""
    import json

    restored = []
    for journal in sorted((paths.BUILD / "staging").glob(f"*/{JOURNAL}")):
        try:
            record = json.loads(journal.read_text(encoding="utf-8"))
            outputs = [str(o) for o in record["outputs"]]
            if not set(outputs) <= set(declared):
                raise ValueError("not a declared output")
        except (OSError, ValueError, KeyError, TypeError):
            raise StageFailed(
                f"{journal}: the journal of an interrupted promotion cannot be used; check "
                "the outputs by hand (the replaced ones are in _replaced/), then delete it"
            ) from None
        if not _roll_back(journal.parent, outputs):
            raise StageFailed(
                f"{journal.parent}: could not put back the outputs an interrupted promotion "
                "replaced; they are in its _replaced folder"
            )
        shutil.rmtree(journal.parent, ignore_errors=True)
        restored.append(str(record.get("stage", journal.parent.name)))
    return restored


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
