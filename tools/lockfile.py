"""The pip lock and the conda environment.yml must pin the same packages at the same versions.

``requirements.lock`` is the truth (the README's commands install from it, ``--require-hashes``:
every pin carries the SHA-256 of its files); ``environment.yml`` is generated from it by
``make lock`` for conda users (conda has no hashes), and a test compares the two.
"""

from __future__ import annotations

import re
from pathlib import Path

from helpers.engine.yamlio import read_yaml

QUARTO_VERSION = "1.8.27"  # conda-forge build; .github/workflows/report.yml pins the same
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)$")


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_pins(lines) -> dict[str, str]:
    """Map normalised package name -> exact version from ``name==version`` lines."""
    pins: dict[str, str] = {}
    for raw in lines:
        line = _pin_part(raw)
        if not line or line.startswith("-"):
            continue
        match = _PIN.match(line)
        if not match:
            raise ValueError(f"not an exact pin (name==version): {raw!r}")
        pins[_normalise(match[1])] = match[2]
    return pins


def _pin_part(line: str) -> str:
    """A lock line without its comment and its line continuation (``name==version \\`` in a
    hashed lock); ``--hash`` and option lines start with ``-``."""
    return line.split("#", 1)[0].strip().removesuffix("\\").strip()


def lock_pins(lock: Path) -> dict[str, str]:
    return parse_pins(lock.read_text(encoding="utf-8").splitlines())


def environment_pins(environment_yml: Path) -> dict[str, str]:
    """The pip pins of environment.yml (the `pip:` list under dependencies)."""
    spec = read_yaml(environment_yml, "conda environment")
    pip_lists = [d["pip"] for d in spec["dependencies"] if isinstance(d, dict) and "pip" in d]
    return parse_pins([line for pips in pip_lists for line in pips])


def environment_yml(lock: Path) -> str:
    """environment.yml text: Python, Quarto from conda-forge, and every lock pin via pip."""
    pins = sorted(lock_pins(lock).items())
    names = {
        _normalise(m[1]): m[1]
        for m in (_PIN.match(_pin_part(line)) for line in lock.read_text().splitlines())
        if m
    }
    lines = [
        "# Conda environment for conda users, generated from requirements.lock by `make lock`:",
        "# do not edit by hand. tests/test_environment.py fails when the two disagree.",
        "#   conda env create -f environment.yml && conda activate provincial-tech-report",
        "#   pip install --no-deps -e . && make report",
        "name: provincial-tech-report",
        "channels:",
        "  - conda-forge",
        "dependencies:",
        "  - python=3.11",
        "  - pip",
        f"  - quarto={QUARTO_VERSION}",
        "  - pip:",
        *[f"      - {names[name]}=={version}" for name, version in pins],
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # python -m tools.lockfile requirements.lock > environment.yml
    import sys

    sys.stdout.write(environment_yml(Path(sys.argv[1])))
