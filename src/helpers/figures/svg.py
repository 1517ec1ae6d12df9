"""Vega-Lite specs to SVG: converted in worker processes, with stable element ids, and kept in a
cache by content.

Why workers: vl-convert runs one JavaScript runtime per process and holds the GIL while it
converts, 0.1 to 0.4 s a figure with the CJK font plus half a second to warm up, so threads
gain nothing; a process pool (:class:`Workers`) converts the figures side by side, and
started early (``chart_export.start_converters``) its processes warm up while the charts
notebook still reads its tables, then convert what it hands them (:func:`submit`) while it
goes on. This is the only code in the figures that exists for speed.

Why renumbered ids: Vega names gradients and clip paths from counters global to its process
(``gradient_0``, ``clip1``, ...), so a figure's SVG depended on what its process had converted
before. Every SVG is renumbered in order of appearance (:func:`stable_ids`), so its bytes
depend on its spec alone, whichever process converted it and whatever the cache held.

Why a cache: after an edit, the figures whose spec did not change need no conversion. An
entry is keyed by the spec and everything else the SVG depends on (vl-convert's and
Vega-Lite's versions, the time zone, the font files; see :func:`environment`), carries the
SHA-256 of its SVG, and is ignored when it does not read back whole. The least recently used
entries beyond :data:`CACHE_ENTRIES` are dropped.

This module imports nothing heavier than vl-convert, which the workers import too.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import re
import sys
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

CACHE_ENTRIES = 256
ID_SCHEME = 1  # bump when stable_ids changes what it writes: the cache keys change with it
SYSTEM_FONT_DIRS = (
    Path("/usr/share/fonts"),
    Path("/usr/local/share/fonts"),
    Path.home() / ".fonts",
    Path.home() / ".local/share/fonts",
)
# A tiny chart whose conversion loads Vega, Vega-Lite and the fonts.
_WARM_UP = {
    "data": {"values": [{"a": "x 上海", "b": 1}]},
    "mark": "bar",
    "encoding": {
        "x": {"field": "a", "type": "nominal"},
        "y": {"field": "b", "type": "quantitative"},
    },
}

# -- stable ids ---------------------------------------------------------------------------------
_TAG = re.compile(r"<[^<>]*>")  # in Vega's SVG, text and attribute values escape < and >
_COUNTED = r"(gradient_|clip)(\d+)"
_ID = re.compile(rf'(\sid="){_COUNTED}(")')
_REF = re.compile(rf'(="url\(#){_COUNTED}(\)")')
_FIRST = {"gradient_": 0, "clip": 1}  # where Vega's counters start in a fresh process


def stable_ids(svg: str) -> str:
    """``svg`` with Vega's counted ids (gradients, clip paths) renumbered in order of first
    appearance, in the ``id`` attributes that define them and the ``url(#...)`` values that
    use them; text and other attributes are left alone."""
    numbers: dict[tuple[str, str], str] = {}

    def renumber(match: re.Match) -> str:
        head, prefix, number, tail = match.groups()
        if (prefix, number) not in numbers:
            used = sum(1 for p, _ in numbers if p == prefix)
            numbers[prefix, number] = str(_FIRST[prefix] + used)
        return f"{head}{prefix}{numbers[prefix, number]}{tail}"

    def in_tag(match: re.Match) -> str:
        tag = match.group(0)
        if "gradient_" not in tag and "clip" not in tag:
            return tag
        return _REF.sub(renumber, _ID.sub(renumber, tag))

    return _TAG.sub(in_tag, svg)


# -- the cache ----------------------------------------------------------------------------------
def environment(vl_version: str, font_dir: Path | str) -> dict:
    """Everything besides the spec that an SVG depends on: the converter's and Vega-Lite's
    versions, the time zone Vega formats dates in, and each font file vl-convert can load
    (path, size, modification time)."""
    import vl_convert as vlc

    fonts = []
    for folder in sorted({*map(str, SYSTEM_FONT_DIRS), str(font_dir)}):
        for root, dirs, files in os.walk(folder):
            dirs.sort()
            for name in sorted(files):
                try:
                    st = os.stat(os.path.join(root, name))
                except OSError:
                    continue
                fonts.append([os.path.join(root, name), st.st_size, st.st_mtime_ns])
    return {
        "vl_convert": vlc.__version__,
        "vega_lite": vl_version,
        # what the converter's time zone follows; not vlc.get_local_tz(), which starts its
        # JavaScript runtime in this process (a third of a second, for nothing)
        "time_zone": [
            os.environ.get("TZ", ""),
            os.path.realpath("/etc/localtime"),
            list(time.tzname),
            time.timezone,
            time.altzone,
        ],
        "fonts": hashlib.sha256(json.dumps(fonts).encode()).hexdigest(),
        "ids": ID_SCHEME,
    }


def cache_key(spec: dict, environment: dict) -> str:
    """The SHA-256 of the spec and its conversion environment."""
    text = json.dumps([spec, environment], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def cached(cache: Path, key: str) -> str | None:
    """The SVG stored under ``key``, or None when absent or not whole (a torn or edited
    entry is ignored, and replaced by the next store)."""
    entry = Path(cache) / f"{key}.json"
    try:
        record = json.loads(entry.read_text(encoding="utf-8"))
        svg = record["svg"]
        whole = record["key"] == key and (
            record["sha256"] == hashlib.sha256(svg.encode("utf-8")).hexdigest()
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if not whole:
        return None
    try:
        os.utime(entry)  # recently used: kept by the pruning
    except OSError:
        pass
    return svg


def store(cache: Path, key: str, svg: str) -> None:
    """Keep ``svg`` under ``key`` (atomically), then drop the least recently used entries."""
    from helpers.engine.storage import write_json

    cache = Path(cache)
    digest = hashlib.sha256(svg.encode("utf-8")).hexdigest()
    write_json(cache / f"{key}.json", {"key": key, "sha256": digest, "svg": svg})
    entries = []
    for entry in cache.glob("*.json"):
        try:
            entries.append((entry.stat().st_mtime_ns, entry.name, entry))
        except OSError:
            continue
    for _, _, entry in sorted(entries, reverse=True)[CACHE_ENTRIES:]:
        entry.unlink(missing_ok=True)


# -- conversion ---------------------------------------------------------------------------------
class ExportError(RuntimeError):
    """A figure could not be converted; the message is the one line to print."""


def to_svg(
    specs: dict[str, dict],
    *,
    vl_version: str,
    font_dir: Path | str,
    cache: Path | None = None,
    workers: Workers | None = None,
) -> dict[str, str]:
    """The SVG of every spec, by name: from ``cache`` where it holds one, the others from
    ``workers`` (what they converted ahead, see :func:`submit`, if its spec is the same; the
    rest converted now), then stored. Without ``workers``, one missing SVG is converted in
    this process and several by workers started here. ``workers`` are closed on return."""
    try:
        keys, svgs = _lookup(specs, vl_version, font_dir, cache)
        missing = {name: spec for name, spec in specs.items() if name not in svgs}
        if workers is not None and not workers.serve(vl_version, font_dir):
            workers.close()
            workers = None
        if missing and workers is None and len(missing) == 1:
            ((name, spec),) = missing.items()
            try:
                svgs[name] = convert_here(spec, vl_version, font_dir)
            except Exception as exc:
                raise ExportError(
                    f"figure {name!r}: SVG export failed: "
                    f"{type(exc).__name__}: {_first_line(str(exc))}"
                ) from None
        elif missing:
            workers = workers or Workers(vl_version, font_dir, min(len(missing), worker_count()))
            svgs.update(workers.results(missing))
    finally:
        if workers is not None:
            workers.close()
    for name in missing:
        if name in keys:
            store(cache, keys[name], svgs[name])
    return {name: svgs[name] for name in specs}


def submit(
    specs: dict[str, dict],
    workers: Workers,
    *,
    vl_version: str,
    font_dir: Path | str,
    cache: Path | None = None,
) -> None:
    """Hand ``workers`` the specs the cache does not hold, to convert in the background while
    this process goes on; :func:`to_svg` collects them."""
    if workers.serve(vl_version, font_dir):
        _, svgs = _lookup(specs, vl_version, font_dir, cache)
        workers.submit({name: spec for name, spec in specs.items() if name not in svgs})


def _lookup(specs, vl_version, font_dir, cache) -> tuple[dict[str, str], dict[str, str]]:
    """Each spec's cache key, and the SVGs the cache holds, by name."""
    if cache is None:
        return {}, {}
    environ = environment(vl_version, font_dir)
    keys = {name: cache_key(spec, environ) for name, spec in specs.items()}
    found = {name: cached(cache, key) for name, key in keys.items()}
    return keys, {name: svg for name, svg in found.items() if svg is not None}


def _first_line(text: str) -> str:
    """The cause in one line: vl-convert's first line is a heading ("... failed:") with the
    JavaScript error on the next, and a stack trace after it."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return ""
    line = f"{lines[0]} {lines[1]}" if lines[0].endswith(":") and len(lines) > 1 else lines[0]
    return line if len(line) <= 200 else line[:197] + "..."


def convert_here(spec: dict, vl_version: str, font_dir: Path | str) -> str:
    """One spec converted in this process, with stable ids."""
    import vl_convert as vlc

    _register(str(font_dir))
    return stable_ids(vlc.vegalite_to_svg(spec, vl_version=vl_version))


_REGISTERED: set[str] = set()


def _register(font_dir: str) -> None:
    import vl_convert as vlc

    if font_dir not in _REGISTERED:
        vlc.register_font_directory(font_dir)
        _REGISTERED.add(font_dir)


def worker_count() -> int:
    """One worker per core this process may use, at most four."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, 4))


def _text(spec: dict) -> str:
    return json.dumps(spec, sort_keys=True, ensure_ascii=False)


class Workers:
    """A pool of processes (:class:`concurrent.futures.ProcessPoolExecutor`) that convert specs
    to SVG, started and warming up at once.

    Each process loads vl-convert and the fonts in its initializer; :meth:`submit` hands over
    specs, the largest first; a result is kept by the spec's text, so a spec changed after it
    was submitted is converted anew. The processes are spawned (not forked: the charts
    notebook's kernel runs threads) and end with :meth:`close`, or with this object.
    """

    def __init__(self, vl_version: str, font_dir: Path | str, count: int | None = None) -> None:
        self.vl_version, self.font_dir = vl_version, str(font_dir)
        count = count or worker_count()
        main = sys.modules["__main__"]
        if not hasattr(main, "__spec__"):  # a kernel's namespace module, which spawn reads
            main.__spec__ = None
        self._pool: ProcessPoolExecutor | None = ProcessPoolExecutor(
            max_workers=count,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_warm_up,
            initargs=(vl_version, self.font_dir),
        )
        self._futures: dict[str, Future] = {}  # spec text -> its conversion
        # one task per process starts them all now (the pool spawns a process per task while
        # none is idle), so they warm up while the caller builds its figures
        self._ready = [self._pool.submit(_ready) for _ in range(count)]

    @property
    def procs(self) -> list:
        """The pool's processes (for tests: they are gone once closed)."""
        return list(self._pool._processes.values()) if self._pool else []

    def serve(self, vl_version: str, font_dir: Path | str) -> bool:
        """True when these workers convert for this Vega-Lite version and font folder."""
        return self._pool is not None and (self.vl_version, self.font_dir) == (
            vl_version,
            str(font_dir),
        )

    def submit(self, specs: dict[str, dict]) -> None:
        """Convert ``specs`` in the background (those not converted or queued already)."""
        texts = {_text(spec) for spec in specs.values()} - set(self._futures)
        for text in sorted(texts, key=lambda t: (-len(t), t)):
            try:
                self._futures[text] = self._pool.submit(
                    _convert_reply, text, self.vl_version, self.font_dir
                )
            except BrokenProcessPool:
                self._futures[text] = _failed(STOPPED)

    def results(self, specs: dict[str, dict]) -> dict[str, str]:
        """The SVG of every spec, by name, once converted; then the workers end. Raises
        :class:`ExportError` naming a figure that could not be converted."""
        self.submit(specs)
        replies = {}
        for name, spec in specs.items():
            try:
                replies[name] = self._futures[_text(spec)].result()
            except BrokenProcessPool:
                replies[name] = ("error", STOPPED)
        self.close()
        failed = sorted(name for name, (kind, _) in replies.items() if kind == "error")
        if failed:
            name = failed[0]
            raise ExportError(f"figure {name!r}: SVG export failed: {replies[name][1]}")
        return {name: svg for name, (_, svg) in replies.items()}

    def close(self) -> None:
        """End the workers (what is still queued is dropped)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __del__(self) -> None:  # a notebook dropped them unused: no process is left behind
        if getattr(self, "_pool", None) is not None:
            self.close()


STOPPED = "every SVG worker stopped"


def _failed(message: str) -> Future:
    done: Future = Future()
    done.set_result(("error", message))
    return done


def _warm_up(vl_version: str, font_dir: str) -> None:
    """A worker's initializer: vl-convert, the fonts and Vega loaded before the first figure."""
    import vl_convert as vlc

    _register(font_dir)
    vlc.vegalite_to_svg(_WARM_UP, vl_version=vl_version)


def _ready() -> None:
    """A task that only makes the pool start a process."""


def _convert_reply(text: str, vl_version: str, font_dir: str) -> tuple[str, str]:
    """("svg", the SVG) or ("error", one line): the parent names the figure and stops."""
    try:
        return "svg", convert_here(json.loads(text), vl_version, font_dir)
    except Exception as exc:
        return "error", f"{type(exc).__name__}: {_first_line(str(exc))}"
