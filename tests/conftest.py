"""Shared test plumbing: quality metrics (precision, recall, ...) printed at the end of a run.

A test records a metric with the ``metrics`` fixture; the terminal summary lists them, so a
plain `make test` shows how well the coding does, not only that it passed its threshold.
"""

from __future__ import annotations

import pytest

_METRICS: list[str] = []


@pytest.fixture
def metrics():
    return _METRICS.append


def pytest_terminal_summary(terminalreporter):
    if _METRICS:
        terminalreporter.section("measured quality")
        for line in _METRICS:
            terminalreporter.write_line(line)
