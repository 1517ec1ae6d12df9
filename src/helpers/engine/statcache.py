"""Hashes of files by what ``stat`` says of them, kept between runs in
``build/stat-cache.json``: kept for speed only (see the README's "Kept for speed only").

A no-op run stats files instead of reading and parsing them, as git's index does; contents stay
the decision basis, the cache only saves recomputing them. Deleting the file changes nothing
but the time of the next run.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

from helpers.engine import paths


class StatCache:
    """File hashes (and the ``helpers`` modules each Python file imports) by stat key.

    An entry is trusted only while size, mtime, ctime and inode are all unchanged (any write
    changes mtime and ctime; ctime cannot be set back by hand). A file changed less than
    :attr:`RACY_NS` before it was hashed is not remembered: a second write within the clock's
    granularity could keep its times (git's "racily clean" entries). ``clock`` gives the time
    in nanoseconds that the racy window is measured against.
    """

    RACY_NS = 2_000_000_000

    def __init__(self, clock: Callable[[], int] = time.time_ns) -> None:
        self.clock = clock
        self.root: Path | None = None
        self.files: dict[str, list] = {}
        self.imports: dict[str, list[str]] = {}
        self.dirty = False

    def _load(self) -> None:
        if self.root == paths.ROOT:
            return
        self.root, self.dirty = paths.ROOT, False
        try:
            data = json.loads(self.path().read_text(encoding="utf-8"))
            self.files, self.imports = dict(data["files"]), dict(data["imports"])
        except (OSError, ValueError, KeyError, TypeError):
            self.files, self.imports = {}, {}

    def path(self) -> Path:
        return paths.BUILD / "stat-cache.json"

    def sha256(self, rel: str) -> str:
        self._load()
        path = paths.ROOT / rel
        st = os.stat(path)
        key = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
        hit = self.files.get(rel)
        if hit and hit[:4] == key:
            return hit[4]
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if self.clock() - max(st.st_mtime_ns, st.st_ctime_ns) > self.RACY_NS:
            self.files[rel] = [*key, digest]
            self.dirty = True
        elif self.files.pop(rel, None) is not None:
            self.dirty = True
        return digest

    def imports_of(self, rel: str, parse: Callable[[str], list[str]]) -> set[str]:
        """What ``parse(rel)`` says the file imports, remembered by the file's content."""
        digest = self.sha256(rel)
        if digest not in self.imports:
            self.imports[digest] = sorted(parse(rel))
            self.dirty = True
        return set(self.imports[digest])

    def save(self) -> None:
        """Write the cache (only when it changed), dropping entries of files that are gone."""
        if not self.dirty or self.root != paths.ROOT:
            return
        from helpers.engine.storage import write_json

        files = {rel: v for rel, v in self.files.items() if (paths.ROOT / rel).exists()}
        live = {v[4] for v in files.values()}
        imports = {k: v for k, v in self.imports.items() if k in live}
        write_json(self.path(), {"files": files, "imports": imports})
        self.dirty = False


STAT_CACHE = StatCache()
