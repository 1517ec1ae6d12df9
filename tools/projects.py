"""Copies of the project for isolated runs: tests and benchmarks build in such a copy (run with
PYTHONPATH=<copy>/src), so they never touch the checkout's own outputs."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from helpers.engine import paths


def copy_project(dest: Path) -> Path:
    """Copy the project's tracked and not-ignored files to ``dest``."""
    listed = (
        subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=paths.ROOT,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    for rel in filter(None, listed):
        src = paths.ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    return dest
