"""The import contract of pyproject.toml ([tool.importlinter]) holds, and it can fail."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.engine import paths

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(project: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(project / "src"), str(project)])}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _copy(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    shutil.copytree(
        paths.ROOT / "src", project / "src", ignore=shutil.ignore_patterns("*.egg-info")
    )
    shutil.copytree(paths.ROOT / "tools", project / "tools")
    shutil.copy(paths.ROOT / "pyproject.toml", project)
    return project


def test_the_tree_keeps_the_import_contract(tmp_path):
    done = _lint(_copy(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        # the engine reaching into the domain
        ("src/helpers/engine/paths.py", "from helpers.report import findings", "layers"),
        # a lower domain layer importing a higher one
        ("src/helpers/ingest/sources.py", "from helpers.coding import rules", "layers"),
        # two siblings of one layer importing each other
        ("src/helpers/codebook/book.py", "from helpers.ingest import text", "layers"),
        # the runtime importing a tool
        ("src/helpers/coding/rules.py", "from tools import synthetic", "tools"),
    ],
)
def test_a_forbidden_import_breaks_the_contract(tmp_path, module, line, broken):
    project = _copy(tmp_path)
    target = project / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{line}  # noqa\n", "utf-8")
    done = _lint(project)
    assert done.returncode != 0
    summary = " ".join(done.stdout.split("Broken contracts")[0].split())  # unwrapped
    assert "Contracts: 1 kept, 1 broken." in summary
    # the broken one is named, and it is the contract the import breaks
    verdict = re.search(rf"{broken}[^.]*?(KEPT|BROKEN)", summary)
    assert verdict and verdict[1] == "BROKEN", summary
