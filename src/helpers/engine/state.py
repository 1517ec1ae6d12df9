"""The runner's record, ``build/state.json``: each stage's fingerprint and output hashes at its
last successful run, and from them the reasons a stage must run again."""

from __future__ import annotations

import json
from pathlib import Path

from helpers.engine import paths
from helpers.engine.declared import Stage
from helpers.engine.fingerprint import files, fingerprint, output_hashes


def state_path() -> Path:
    return paths.BUILD / "state.json"


def load_state() -> dict:
    try:
        return json.loads(state_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def save_state(state: dict) -> None:
    from helpers.engine.storage import write_json  # storage imports pandas: only when a stage ran

    write_json(state_path(), state)


def reasons_to_run(stage: Stage, record: dict | None) -> list[str]:
    """Why the stage must run (empty when it is up to date)."""
    if not record:
        return ["never run"]
    now, before = fingerprint(stage), record.get("fingerprint", {})
    reasons = [f"changed: {k}" for k in sorted(now) if k in before and now[k] != before[k]]
    reasons += [f"new: {k}" for k in sorted(now) if k not in before]
    reasons += [f"removed: {k}" for k in sorted(before) if k not in now]
    for out in stage.outputs:
        if not files(out):
            reasons.append(f"output missing: {out}")
    if not reasons:
        outs = output_hashes(stage)
        recorded = record.get("outputs", {})
        # a folder output is the files it held: one deleted from it is missing too
        reasons += [f"output missing: {k}" for k in sorted(recorded) if k not in outs]
        reasons += [
            f"output edited by hand: {k}" for k in sorted(outs) if recorded.get(k) != outs[k]
        ]
    return reasons
