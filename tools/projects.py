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


def add_synthetic_sources(project: Path, n_sources: int, seed: int = 7, words: int = 250) -> None:
    """Add ``n_sources`` synthetic articles to a copy of the project the README's way: the files
    in data/raw/ and their entries appended under the manifest's ``sources:``."""
    import tempfile
    import textwrap

    import yaml

    from tools import synthetic

    with tempfile.TemporaryDirectory() as tmp:
        manifest, _ = synthetic.write_corpus(Path(tmp), n_sources, seed=seed, words=words)
        entries = yaml.safe_load(manifest.read_text(encoding="utf-8"))["sources"]
        for entry in entries:
            shutil.copy(Path(tmp) / entry["file"], project / "data/raw" / entry["file"])
    listed = project / "data/raw/manifest.yaml"
    listed.write_text(
        listed.read_text(encoding="utf-8")
        + "\n"
        + textwrap.indent(yaml.safe_dump(entries, allow_unicode=True, sort_keys=False), "  "),
        encoding="utf-8",
    )
