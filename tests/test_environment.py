"""The pip lock and environment.yml agree, and the lock pins everything requirements.in asks for."""

from __future__ import annotations

import re

import pytest

from helpers.engine import paths
from tools import lockfile


def _disagreement(lock_path, environment_path) -> dict:
    """Pins found in one file and not the other (empty when the two agree)."""
    lock = lockfile.lock_pins(lock_path)
    conda = lockfile.environment_pins(environment_path)
    found = {
        "only in lock": sorted(set(lock.items()) - set(conda.items())),
        "only in environment.yml": sorted(set(conda.items()) - set(lock.items())),
    }
    return {k: v for k, v in found.items() if v}


def test_environment_yml_pins_exactly_the_lock():
    assert not _disagreement(paths.ROOT / "requirements.lock", paths.ROOT / "environment.yml")


def test_environment_yml_is_what_make_lock_writes():
    expected = lockfile.environment_yml(paths.ROOT / "requirements.lock")
    assert (paths.ROOT / "environment.yml").read_text() == expected, "run `make lock`"


def test_lock_pins_every_direct_dependency():
    lock = lockfile.lock_pins(paths.ROOT / "requirements.lock")
    wanted = [
        re.split(r"[<>=!~\[ ]", line.strip())[0]
        for line in (paths.ROOT / "requirements.in").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    missing = [w for w in wanted if lockfile._normalise(w) not in lock]
    assert not missing


def test_a_disagreement_is_caught(tmp_path):
    """The check above compares two real files: a version bump on one side is reported."""
    lock = tmp_path / "requirements.lock"
    lock.write_text("# comment\npandas==2.0\naltair==6.3.0\n")
    env = tmp_path / "environment.yml"
    env.write_text(lockfile.environment_yml(lock))
    assert not _disagreement(lock, env)
    env.write_text(env.read_text().replace("pandas==2.0", "pandas==1.0"))
    assert _disagreement(lock, env) == {
        "only in lock": [("pandas", "2.0")],
        "only in environment.yml": [("pandas", "1.0")],
    }
    with pytest.raises(ValueError, match="not an exact pin"):
        lockfile.parse_pins(["pandas>=2"])


def test_quarto_is_pinned_to_one_version_everywhere():
    """pip extra, conda environment and CI workflow install the same Quarto."""
    import tomllib

    import yaml

    version = lockfile.QUARTO_VERSION
    extras = tomllib.loads((paths.ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert extras["quarto"] == [f"quarto-cli=={version}"]
    assert f"  - quarto={version}\n" in (paths.ROOT / "environment.yml").read_text()
    workflow = yaml.safe_load((paths.ROOT / ".github/workflows/report.yml").read_text())
    setups = [
        step["with"]["version"]
        for job in workflow["jobs"].values()
        for step in job["steps"]
        if "quarto-actions/setup" in step.get("uses", "")
    ]
    assert setups and all(str(v) == version for v in setups), setups
