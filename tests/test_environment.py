"""The pip lock and environment.yml agree, and the lock pins everything requirements.in asks for."""

from __future__ import annotations

import re

import pytest

from helpers import lockfile, paths


def test_environment_yml_pins_exactly_the_lock():
    lock = lockfile.lock_pins(paths.ROOT / "requirements.lock")
    conda = lockfile.environment_pins(paths.ROOT / "environment.yml")
    assert conda == lock, {
        "only in lock": sorted(set(lock.items()) - set(conda.items())),
        "only in environment.yml": sorted(set(conda.items()) - set(lock.items())),
    }


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
    env = tmp_path / "environment.yml"
    env.write_text(
        "dependencies:\n  - python=3.11\n  - pip:\n      - pandas==1.0\n      - altair==6.3.0\n"
    )
    assert lockfile.environment_pins(env) == {"pandas": "1.0", "altair": "6.3.0"}
    with pytest.raises(ValueError, match="not an exact pin"):
        lockfile.parse_pins(["pandas>=2"])
