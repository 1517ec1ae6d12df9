"""Shared test plumbing: quality metrics (precision, recall, ...) printed at the end of a run,
and the hypothesis profiles.

A test records a metric with the ``metrics`` fixture; the terminal summary lists them, so a
plain `make test` shows how well the coding does, not only that it passed its threshold.

Hypothesis: with the environment variable ``CI`` set (``.ci/run`` exports ``CI=1``) the ``ci``
profile is derandomized, so CI runs the same examples every time and a red build is
reproducible; locally the search stays random and keeps finding new cases.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True, deadline=None)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

_METRICS: list[str] = []


@pytest.fixture
def metrics():
    return _METRICS.append


def pytest_terminal_summary(terminalreporter):
    if _METRICS:
        terminalreporter.section("measured quality")
        for line in _METRICS:
            terminalreporter.write_line(line)
