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
import re
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True, deadline=None)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

_METRICS: list[str] = []


@pytest.fixture
def metrics():
    return _METRICS.append


def _shared_fixtures(item) -> list[str]:
    """The module-scoped fixtures ``item`` uses (a built project, a rendered report...)."""
    defs = getattr(item, "_fixtureinfo", None)
    found = defs.name2fixturedefs.items() if defs else ()
    return sorted(name for name, fixture in found if fixture[-1].scope == "module")


def _fixture_groups(items) -> dict[int, str]:
    """Each test that uses a module-scoped fixture -> its group: the tests of a module joined
    by the fixtures they share (union-find), so each such fixture is built by one worker."""
    parent: dict[tuple, tuple] = {}

    def root(key: tuple) -> tuple:
        while parent.setdefault(key, key) != key:
            key = parent[key]
        return key

    used = {id(item): [(item.module.__name__, f) for f in _shared_fixtures(item)] for item in items}
    for keys in used.values():
        for key in keys[1:]:
            parent[root(key)] = root(keys[0])
    groups = {i: "::".join(root(keys[0])) for i, keys in used.items() if keys}
    return _dealt(groups, int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))


DEALT_FROM = 8  # a group of more tests than this is dealt to every worker


def _dealt(groups: dict[int, str], workers: int) -> dict[int, str]:
    """A large group dealt round-robin into one group a worker: each worker builds the fixture
    once and runs its share, where one worker alone would run the group while others idle."""
    sizes: dict[str, int] = {}
    for group in groups.values():
        sizes[group] = sizes.get(group, 0) + 1
    seen: dict[str, int] = {}
    dealt = {}
    for i, group in groups.items():
        if workers > 1 and sizes[group] > DEALT_FROM:
            n = seen[group] = seen.get(group, -1) + 1
            group = f"{group}#{n % workers}"
        dealt[i] = group
    return dealt


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the groups
def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (``make test``: ``-n auto --dist loadgroup``) the tests that share a
    module-scoped fixture run on one worker, so it is built once; every other test goes to
    whichever worker is free.

    xdist 3.8 tells the controller a test's group by a suffix of its node id, which it writes
    where pytest 9 no longer reads it (pytest-xdist#1386); the suffix is set here where pytest 9
    keeps the id, until a release of xdist does so itself.
    """
    groups = _fixture_groups(items)
    for item in items:  # a group marked by hand (tests sharing a cache) is kept as marked
        marker = item.get_closest_marker("xdist_group")
        if marker:
            groups[id(item)] = marker.args[0] if marker.args else marker.kwargs["name"]
    # The groups first (each keeps its order): they are the largest units of work, and one
    # handed out last would leave the other workers idle while it runs.
    items.sort(key=lambda item: id(item) not in groups)
    for item in items:
        group = groups.get(id(item))
        if group is None:
            continue
        if not item.get_closest_marker("xdist_group"):
            item.add_marker(pytest.mark.xdist_group(group))
        structured = getattr(item, "_id", None)
        if getattr(config.option, "loadgroup", False) and hasattr(structured, "parse"):
            item._id = structured.parse(f"{item.nodeid}@{group}")


def pytest_terminal_summary(terminalreporter):
    if _METRICS:
        terminalreporter.section("measured quality")
        for line in _METRICS:
            terminalreporter.write_line(line)


class _ScanCounter:
    """A compiled pattern that adds the characters each call scans to ``total`` (a search: the
    rest of the text; an anchored match: what it matched): a loop that searches again from
    every position scans n*n characters in n calls."""

    def __init__(self, pattern: re.Pattern, total: list[int]) -> None:
        self._pattern, self._total = pattern, total

    def __getattr__(self, name: str):
        method = getattr(self._pattern, name)
        if name not in {"search", "match", "fullmatch", "finditer", "findall", "sub", "subn"}:
            return method
        text_at = 1 if name in {"sub", "subn"} else 0

        def counted(*args, **kwargs):
            string = args[text_at] if len(args) > text_at else kwargs.get("string", "")
            pos = args[text_at + 1] if len(args) > text_at + 1 else kwargs.get("pos", 0)
            found = method(*args, **kwargs)
            if name in {"match", "fullmatch"}:  # anchored: what it matched, and one more
                self._total[0] += 1 + (found.end() - pos if found else 0)
            else:  # a search goes on to the end of the text
                self._total[0] += max(len(string) - pos, 0)
            return found

        return counted


def count_work(fn, arg, modules=()) -> tuple[object, int]:
    """``fn(arg)``'s result and its work: the function calls it made (Python and C) plus the
    characters handed to the compiled patterns of ``modules`` to scan.

    A measure that, unlike a stopwatch, gives the same number on an idle machine and on one
    kept busy by other jobs, so a test can hold an algorithm to linear work. (Backtracking
    inside one match is not counted: the timing of hostile inputs lives in ``make bench``.)
    """
    count, scanned = 0, [0]

    def profile(frame, event, _):
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    patched = [
        (module, name, value)
        for module in modules
        for name, value in vars(module).items()
        if isinstance(value, re.Pattern)
    ]
    for module, name, value in patched:
        setattr(module, name, _ScanCounter(value, scanned))
    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        result = fn(arg)
    finally:
        sys.setprofile(previous)
        for module, name, value in patched:
            setattr(module, name, value)
    return result, count + scanned[0]


def assert_linear_work(fn, make_input, n: int, modules=(), factor: int = 4) -> None:
    """``fn(make_input(factor * n))`` does at most about ``factor`` times the work of
    ``fn(make_input(n))`` (:func:`count_work`): work linear in the input, counted, not timed."""
    _, small = count_work(fn, make_input(n), modules)
    _, large = count_work(fn, make_input(factor * n), modules)
    assert large <= factor * 1.25 * small + 200, (
        f"work {large:,} on {factor}x the input against {small:,}: it grows faster than the input"
    )


@pytest.fixture
def work():
    """:func:`count_work`, for tests (conftest is not imported by name)."""
    return count_work


@pytest.fixture
def linear_work():
    """:func:`assert_linear_work`, for tests (conftest is not imported by name)."""
    return assert_linear_work


@pytest.fixture
def fifo():
    """Makes named pipes (``fifo(path)``) and fails the test if anything opened one to read.

    A reader blocked on a pipe waits for a writer: a watcher opens each pipe to write whenever
    it can without waiting (only while a reader has it open), which both records the reader and
    lets it go on, so the test fails instead of hanging.
    """
    made: list[Path] = []
    opened: list[Path] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            for path in list(made):
                try:
                    fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
                except OSError:  # no reader (ENXIO), as it should be; or the pipe is gone
                    continue
                opened.append(path)
                os.close(fd)  # the reader sees the end of the file
            stop.wait(0.01)

    def make(path: Path) -> Path:
        path.unlink(missing_ok=True)
        os.mkfifo(path)
        made.append(path)
        return path

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    yield make
    stop.set()
    watcher.join()
    assert not opened, f"a pipe was opened to read: {opened}"
