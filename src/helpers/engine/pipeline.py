"""The pipeline runner: runs each stage of ``pipeline.yaml`` only when something it depends on
changed, by content.

Why not make or doit: a stage's dependencies include the helper modules its notebook imports
and its parameters, the decision must be by content (a touched file is not a changed file), a
stage whose upstream re-ran but wrote identical tables must be skipped (early cut-off), and
every run needs papermill-specific care (parameters checked against the notebook before a
cell runs, outputs staged and moved into place only on success, the executed notebook
kept). Those are the whole job of this module; make only bootstraps the environment.

A run is all or nothing per stage: it holds ``build/.lock`` (a second run in the same folder
stops with one line), a stage's outputs are staged and moved into place together (rolled back
if any move fails), and a failure names the stages this run completed. Paths given to a stage
(parameters, ``--set`` overrides, declared inputs and outputs) must stay inside the project.

A stage's fingerprint is the SHA-256 of every file it reads (inputs, notebook, the helper
modules it imports, transitively, and the lock file) plus its parameters. The fingerprints of
the last successful run live in ``build/state.json``, the runner's own record. Beside it,
``build/stat-cache.json`` remembers each file's size, times and inode with its hash (and each
module's imports), as git's index does, so a no-op rebuild re-reads no unchanged file; contents
stay the decision basis, the cache only saves recomputing them. Nothing heavy is imported at
module level, so a no-op rebuild costs a fraction of a second.

The notebook stages of a run share one Jupyter kernel (see :class:`WarmKernel`): starting a
kernel and importing pandas, pandera and Altair once instead of once per stage.
"""

from __future__ import annotations

import argparse
import ast
import functools
import hashlib
import importlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from helpers.engine import catalogue, escape, paths
from helpers.engine.errors import InputError, clip
from helpers.engine.yamlio import loads

LOCK = "requirements.lock"
INJECTED = ("catalogue",)  # the parameter the runner gives every notebook
_GLOB = re.compile(r"[*?\[]")  # a declared input that is a pattern (a folder's `include`)
_IGNORED_PARTS = {"__pycache__", ".ipynb_checkpoints", ".quarto", ".DS_Store"}


class StageFailed(Exception):
    """A stage could not run or did not finish; the message is the one line to print."""


@dataclass(frozen=True)
class Stage:
    """A stage; ``inputs``/``outputs`` are the paths its datasets (``reads``/``writes``) occupy."""

    name: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    notebook: str | None = None
    render: str | None = None
    parameters: dict = field(default_factory=dict)
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()
    contracts: tuple[str, ...] = ()  # modules of the contracts of the tables it reads or writes

    @property
    def executed_notebook(self) -> Path:
        return paths.BUILD / "notebooks" / Path(self.notebook).name


@dataclass(frozen=True)
class Pipeline:
    stages: tuple[Stage, ...]
    kernel: str
    timeout_seconds: int
    catalogue: dict[str, catalogue.Dataset] = field(default_factory=dict)


# The code whose checks a cached declaration passed: a change to it checks pipeline.yaml again.
_DECLARATION_CODE = ("declaration.py", "catalogue.py", "models.py", "yamlio.py")


def load_pipeline(path: Path | None = None) -> Pipeline:
    """Read and check pipeline.yaml; every problem names the file and the stage.

    The check (:mod:`helpers.engine.declaration`, pydantic) runs when the file, or the code that
    checks it, changed since the last check of the project's own pipeline.yaml; otherwise the
    checked declaration is read back from ``build/declaration.json`` and only its paths, whose
    containment depends on the file system rather than on the file, are checked again.
    """
    path = Path(path or paths.PIPELINE)
    own = path == paths.PIPELINE
    key = _declaration_key(path) if own else None
    declared = _cached_declaration(key)
    if declared is None:
        from helpers.engine import declaration

        declared = declaration.declaration(path)
        if key is not None:
            _keep_declaration(key, declared)
    else:
        _check_declared_paths(declared, path)
    datasets = {
        name: catalogue.Dataset(**d, contracts=declared["contracts"] if d["contract"] else None)
        for name, d in declared["catalogue"].items()
    }
    stages = []
    for entry in declared["stages"]:
        reads = tuple(dict.fromkeys(entry["inputs"]))
        writes = tuple(dict.fromkeys(entry["outputs"]))
        stages.append(
            Stage(
                name=entry["name"],
                notebook=entry["notebook"],
                render=entry["render"],
                parameters=dict(entry["parameters"]),
                # what a stage reads of a table is its Parquet file; it writes both
                inputs=tuple(dict.fromkeys(datasets[n].watched for n in reads)),
                outputs=tuple(f for n in writes for f in datasets[n].files()),
                reads=reads,
                writes=writes,
                contracts=tuple(sorted({datasets[n].contracts for n in reads + writes} - {None})),
            )
        )
    return Pipeline(
        stages=tuple(stages),
        kernel=declared["kernel"],
        timeout_seconds=declared["timeout_seconds"],
        catalogue=datasets,
    )


def _declaration_record() -> Path:
    return paths.BUILD / "declaration.json"


def _declaration_key(path: Path) -> str | None:
    """The SHA-256 of pipeline.yaml and of the code that checks it; None when unreadable (the
    check then runs, and reports the problem)."""
    digest = hashlib.sha256()
    helpers_dir = Path(__file__).parent
    try:
        digest.update(paths.inside(path, path.parent, "pipeline declaration").read_bytes())
        for name in _DECLARATION_CODE:
            digest.update((helpers_dir / name).read_bytes())
    except (OSError, InputError):
        return None
    return digest.hexdigest()


def _keep_declaration(key: str, declared: dict) -> None:
    """Record the checked declaration, unless JSON cannot give it back as it is (a parameter
    holding a YAML date, say): then the next run checks the file again."""
    from helpers.engine import storage

    try:
        text = json.dumps({"key": key, "declaration": declared}, sort_keys=True)
    except (TypeError, ValueError):
        return
    if json.loads(text)["declaration"] == declared:
        storage.write_text(_declaration_record(), text + "\n")


def _cached_declaration(key: str | None) -> dict | None:
    """The declaration checked last, when its key is ``key``; a damaged record is ignored."""
    if key is None:
        return None
    try:
        record = json.loads(_declaration_record().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("key") != key:
        return None
    declared = record.get("declaration")
    return declared if isinstance(declared, dict) else None


def _check_declared_paths(declared: dict, path: Path) -> None:
    """Containment of a cached declaration's paths, checked again (symlinks may have moved)."""
    for name, dataset in declared["catalogue"].items():
        if not catalogue.inside_project(dataset["path"]):
            raise InputError(
                path, f"dataset {clip(name, 60)}: {catalogue.outside(dataset['path'])}"
            )
    for entry in declared["stages"]:
        where = f"stage {clip(entry['name'], 60)}"
        for key in ("notebook", "render"):
            if entry[key] is not None:
                _check_inside_project(entry[key], f"{where}: `{key}`", path)
        for param, value in entry["parameters"].items():
            _check_inside_project(value, f"{where}: parameter `{param}`", path)


def apply_overrides(pipeline: Pipeline, assignments: list[str]) -> Pipeline:
    """Apply ``stage.parameter=value`` overrides (value parsed as YAML) for one run.

    Where pipeline.yaml gives the parameter as text, the value stays the text typed
    (``compare.period=2025`` is the text "2025", not a number). A text value read as a path
    under the project must stay inside it, so an override cannot make a stage read, and the
    report publish, a file from elsewhere; ``catalogue`` is the runner's own and refused.
    """
    stages = {s.name: s for s in pipeline.stages}
    for assignment in assignments:
        key, sep, value = assignment.partition("=")
        stage_name, dot, param = key.partition(".")
        if not sep or not dot or stage_name not in stages:
            raise InputError(
                "command line",
                f"malformed parameter {clip(assignment)}: use stage.parameter=value with a stage "
                f"of {sorted(stages)}",
            )
        if param in INJECTED:
            raise InputError(
                "command line",
                f"--set {clip(key, 60)}: `{param}` is set by the runner itself, not by hand",
            )
        parsed = loads(value, f"command line --set {clip(key, 60)}")
        stage = stages[stage_name]
        if isinstance(stage.parameters.get(param), str) and isinstance(parsed, int | float):
            parsed = value.strip()  # a year or a number typed where text is declared
        _check_inside_project(parsed, f"--set {clip(key, 60)}")
        stages[stage_name] = Stage(
            **{**stage.__dict__, "parameters": {**stage.parameters, param: parsed}}
        )
    return Pipeline(
        tuple(stages[s.name] for s in pipeline.stages),
        pipeline.kernel,
        pipeline.timeout_seconds,
        pipeline.catalogue,
    )


def _check_inside_project(value: object, where: str, file: Path | str = "command line") -> None:
    """Refuse a text value that, read as a path under the project root, leaves the project."""
    if isinstance(value, str) and value and not catalogue.inside_project(value):
        raise InputError(file, f"{where}: {catalogue.outside(value)}")


# -- what a stage depends on ----------------------------------------------------------------------
def _files(rel: str) -> list[str]:
    """The files under a declared path, or matching a declared pattern (``codebook/*.yaml``),
    as sorted project-relative posix paths."""
    path = paths.ROOT / rel
    if _GLOB.search(rel):
        candidates = paths.ROOT.glob(rel)
    elif path.is_file():
        return [rel]
    elif path.is_dir():
        candidates = path.rglob("*")
    else:
        return []
    found = []
    for p in candidates:
        parts = p.relative_to(paths.ROOT).parts
        if p.is_symlink():  # hashing it would read a file from elsewhere (or a huge one)
            paths.inside(p, paths.ROOT, "symlink")
        if p.is_file() and not _IGNORED_PARTS & set(parts) and not p.name.endswith(".tmp"):
            found.append(p.relative_to(paths.ROOT).as_posix())
    return sorted(found)


def _imported_helpers(source: str) -> set[str]:
    """Dotted names under ``helpers`` that a piece of Python source imports: each module named,
    and for ``from helpers.x import y`` both ``helpers.x`` and ``helpers.x.y`` (``y`` may be a
    module or a name; :func:`code_files` keeps those that are files). Parsing is the costly part
    of a no-op run; :func:`_module_imports` caches it by content. The helpers import absolutely
    (ruff's TID252 refuses relative imports), so a module's content alone decides its imports."""
    lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
    modules = set()
    for node in ast.walk(ast.parse("\n".join(lines))):
        if isinstance(node, ast.ImportFrom) and not node.level and node.module:
            if node.module == "helpers" or node.module.startswith("helpers."):
                modules.add(node.module)
                modules.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            modules.update(a.name for a in node.names if a.name.startswith("helpers."))
    return modules


def _module_file(dotted: str) -> str | None:
    """The project-relative file of a ``helpers`` module or package, or None (a name)."""
    base = Path("src", *dotted.split("."))
    for rel in (base.with_suffix(".py"), base / "__init__.py"):
        if (paths.ROOT / rel).is_file():
            return rel.as_posix()
    return None


def _python_source(rel: str) -> str:
    """The Python of a module, or of a notebook's code cells."""
    text = (paths.ROOT / rel).read_text(encoding="utf-8")
    if not rel.endswith(".ipynb"):
        return text
    cells = json.loads(text)["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c.get("cell_type") == "code")


def _third_party_imports(stages: list[Stage]) -> list[str]:
    """Modules from outside the project and the standard library that the stages' notebooks
    and helper modules import at their top level (a function's own imports are lazy for a
    reason), sorted: what a kernel for these stages can import ahead of their cells."""
    found: set[str] = set()
    for rel in sorted({f for s in stages for f in [s.notebook, *code_files(s)]}):
        source = "\n".join(
            ln for ln in _python_source(rel).splitlines() if not ln.lstrip().startswith(("%", "!"))
        )
        for node in ast.parse(source).body:
            if isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                found.add(node.module)
    return sorted(
        m
        for m in found
        if m.split(".")[0] not in sys.stdlib_module_names | {"helpers", "__future__"}
    )


def code_files(stage: Stage) -> list[str]:
    """Helper modules the stage runs, transitively, with the packages that hold them (plus
    package data for the renderer)."""
    if stage.notebook:
        pending = _module_imports(stage.notebook) | set(stage.contracts)
    else:
        pending = {"helpers.engine.render"}  # what _run_render calls
    seen: set[str] = set()
    while pending:
        module = pending.pop()
        if module in seen:
            continue
        seen.add(module)
        parent = module.rpartition(".")[0]
        if parent.startswith("helpers"):
            pending.add(parent)  # importing helpers.a.b runs helpers/a/__init__.py first
        rel = _module_file(module)
        if rel is not None:
            pending |= _module_imports(rel)
    files = {f for f in map(_module_file, seen) if f is not None}
    if stage.render:
        package = paths.ROOT / "src" / "helpers" / "engine"
        files |= {p.relative_to(paths.ROOT).as_posix() for p in package.glob("*.lua")}
        files |= {p.relative_to(paths.ROOT).as_posix() for p in package.glob("*.typ")}
    return sorted(files)


class _StatCache:
    """Hashes of files keyed by what ``stat`` says of them, kept between runs in
    ``build/stat-cache.json``, so a no-op run stats files instead of reading and parsing them.

    An entry is trusted only while size, mtime, ctime and inode are all unchanged (any write
    changes mtime and ctime; ctime cannot be set back by hand). A file changed less than
    :attr:`RACY_NS` before it was hashed is not remembered: a second write within the clock's
    granularity could keep its times (git's "racily clean" entries).
    """

    RACY_NS = 2_000_000_000

    def __init__(self) -> None:
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
        if time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) > self.RACY_NS:
            self.files[rel] = [*key, digest]
            self.dirty = True
        elif self.files.pop(rel, None) is not None:
            self.dirty = True
        return digest

    def imports_of(self, rel: str) -> set[str]:
        digest = self.sha256(rel)
        if digest not in self.imports:
            self.imports[digest] = sorted(_imported_helpers(_python_source(rel)))
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


_STAT_CACHE = _StatCache()


def _sha256(rel: str) -> str:
    return _STAT_CACHE.sha256(rel)


def _module_imports(rel: str) -> set[str]:
    return _STAT_CACHE.imports_of(rel)


def fingerprint(stage: Stage) -> dict[str, str]:
    """Content hash of everything the stage reads, keyed by path (and `parameters`)."""
    files = set(code_files(stage)) | {LOCK}
    files |= {stage.notebook} if stage.notebook else {stage.render}
    for rel in stage.inputs:
        files |= set(_files(rel))
    hashes = {rel: _sha256(rel) for rel in sorted(files) if (paths.ROOT / rel).is_file()}
    hashes["parameters"] = hashlib.sha256(
        json.dumps(stage.parameters, sort_keys=True, default=str).encode()
    ).hexdigest()
    return hashes


def output_hashes(stage: Stage) -> dict[str, str]:
    return {rel: _sha256(rel) for out in stage.outputs for rel in _files(out)}


def copy_project(dest: Path) -> Path:
    """Copy the project's tracked and not-ignored files to ``dest``, for isolated runs.

    Tests and benchmarks build in such a copy (run with PYTHONPATH=<copy>/src), so they never
    touch the checkout's own outputs.
    """
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


# -- the runner's record ------------------------------------------------------------------------
def state_path() -> Path:
    return paths.BUILD / "state.json"


def load_state() -> dict:
    try:
        return json.loads(state_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def save_state(state: dict) -> None:
    from helpers.engine.storage import write_json  # storage imports pandas: only when a stage ran

    write_json(state_path(), state)


def reasons_to_run(stage: Stage, record: dict | None) -> list[str]:
    """Why the stage must run (empty when it is up to date)."""
    if not record:
        return ["never run"]
    now, before = fingerprint(stage), record.get("fingerprint", {})
    reasons = [f"changed: {k}" for k in sorted(now) if k in before and now[k] != before[k]]
    reasons += [f"new: {k}" for k in sorted(now) if k not in before]
    reasons += [f"removed: {k}" for k in sorted(before) if k not in now]
    for out in stage.outputs:
        if not _files(out):
            reasons.append(f"output missing: {out}")
    if not reasons:
        outs = output_hashes(stage)
        recorded = record.get("outputs", {})
        reasons += [
            f"output edited by hand: {k}" for k in sorted(outs) if recorded.get(k) != outs[k]
        ]
    return reasons


# -- running ------------------------------------------------------------------------------------
def check_parameters(stage: Stage, injected: dict) -> None:
    """Fail before any cell runs when a parameter is unknown or of the wrong type."""
    import papermill

    nb_path = paths.ROOT / stage.notebook
    declared = papermill.inspect_notebook(str(nb_path))
    if not declared:
        raise StageFailed(f"stage {stage.name}: {stage.notebook} has no cell tagged `parameters`")
    for name, value in injected.items():
        if name not in declared:
            raise StageFailed(
                f"stage {stage.name}: unknown parameter {name!r} (pipeline.yaml); "
                f"{stage.notebook} declares {sorted(declared)}"
            )
        try:
            default = ast.literal_eval(declared[name]["default"])
        except (ValueError, SyntaxError):
            continue  # a non-literal default: nothing to compare the type with
        if (
            default is not None
            and not isinstance(value, type(default))
            or (isinstance(value, bool) and not isinstance(default, bool))
        ):
            raise StageFailed(
                f"stage {stage.name}: parameter {name!r} must be {type(default).__name__} like "
                f"its default in {stage.notebook}, got {type(value).__name__} {value!r}"
            )


@contextmanager
def _stderr_to(log: Path):
    """Send the kernel's and papermill's stderr chatter to a log file, not the terminal, so a
    run prints one line per stage (and one clear line on failure)."""
    sys.stderr.flush()
    saved = os.dup(2)
    with open(log, "w", encoding="utf-8") as handle:
        os.dup2(handle.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


# Run before each stage's cells in the shared kernel: the stage starts as in a fresh kernel.
# `%reset -f` empties the namespace; the `helpers` modules are evicted so the stage imports the
# code on disk, as its fingerprint assumes, and no module-level state (a cache, a registry)
# crosses from one stage to the next. Third-party modules (pandas, Altair) stay imported: they
# are the cost this saves, their versions are pinned by the lock file, which every fingerprint
# covers. Cell numbers restart at 1, so an executed notebook reads as it would alone.
_FRESH_STAGE = """\
%reset -f
def _fresh_stage():
    import importlib, os, sys
    for name in [m for m in sys.modules if m == "helpers" or m.startswith("helpers.")]:
        del sys.modules[name]
    importlib.invalidate_caches()
    os.chdir({cwd!r})
    get_ipython().execution_count = 1
_fresh_stage()
del _fresh_stage
"""


class WarmKernel:
    """One Jupyter kernel, and one client of it, for all the notebook stages of a run, started
    when the first one needs it and shut down when the run ends (or fails), so every run
    starts a fresh one.

    Why: a kernel per stage paid the kernel's start and the imports of pandas, pandera and
    Altair once per stage, about half of a cold run; a client per stage paid its handshake
    (0.4 s). A stage that kills the kernel fails with its one-line cause; the next stage of
    the same run (if any) gets a new kernel.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.km = None
        self.kc = None
        self.upcoming: list[Stage] = []  # notebook stages this run may still run
        self._ready = False
        self._log = None
        self._closing: threading.Thread | None = None

    def manager(self):
        """The running kernel's manager, starting a kernel if none is alive; a new kernel
        first imports what :attr:`upcoming` stages import from outside the project."""
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        if self.km is not None and run_sync(self.km.is_alive)():
            return self.km
        self.shutdown()
        paths.BUILD.joinpath("notebooks").mkdir(parents=True, exist_ok=True)
        # The kernel's own stderr (not its cells' output, which ipykernel forwards to the
        # executed notebook) goes to a log of the run, not to the terminal.
        self._log = open(paths.BUILD / "notebooks" / "kernel.log", "w", encoding="utf-8")
        self.km = AsyncKernelManager(kernel_name=self.name)
        run_sync(self.km.start_kernel)(
            cwd=str(paths.NOTEBOOKS),
            stderr=self._log,
            extra_arguments=["--HistoryManager.hist_file=:memory:"],
        )
        self.kc = self.km.client()
        self.kc.start_channels()  # requests wait in their sockets until the kernel binds
        self.kc.allow_stdin = False
        self._preload(_third_party_imports(self.upcoming))
        return self.km

    def client(self, timeout: float):
        """The kernel's client, once the kernel answers (within ``timeout`` seconds)."""
        from jupyter_core.utils import run_sync

        self.manager()
        if not self._ready:
            run_sync(self.kc.wait_for_ready)(timeout=timeout)
            self._ready = True
        return self.kc

    def _preload(self, modules: list[str]) -> None:
        """Ask the booting kernel to import ``modules``, without waiting: it does so while this
        process loads papermill and checks parameters, work a kernel per stage did in turn.

        Only libraries (pandas, Altair, ...): they stay imported across stages by design, while
        the ``helpers`` modules are imported afresh by each stage. ``helpers`` itself is
        imported first for its guard against a slow optional import (see its ``__init__``).
        A module that fails to import here fails again, with its message, in the stage.

        The objects these imports made (a million with pandas and Altair) live as long as the
        kernel, so they are then frozen out of the garbage collector's sight (``gc.freeze``):
        each full collection (every stage's reset does one, and the cells trigger others) used
        to walk them all, a sixth of a second each time. (The little garbage the imports left
        is frozen with them: the kernel lives for one run.)
        """
        code = (
            "def _preload(names):\n"
            "    import gc, importlib\n"
            "    for name in names:\n"
            "        try:\n"
            "            importlib.import_module(name)\n"
            "        except Exception:\n"
            "            pass\n"
            "    gc.freeze()\n"
            f"_preload({['helpers', *modules]!r})\n"
            "del _preload\n"
        )
        self.kc.execute(code, silent=True, store_history=False)

    def shutdown_soon(self) -> None:
        """Shut the kernel down in a thread (its kill and wait take a tenth of a second) while
        the run goes on without it; :meth:`shutdown` waits for that thread."""
        if self._closing is None and self.km is not None:
            self._closing = threading.Thread(target=self._shutdown, name="kernel-shutdown")
            self._closing.start()

    def shutdown(self) -> None:
        closing, self._closing = self._closing, None
        if closing is not None:
            closing.join()
        self._shutdown()

    def _shutdown(self) -> None:
        if self.kc is None and self.km is None and self._log is None:
            return  # no kernel was started (a no-op run): nothing to import or close
        from jupyter_core.utils import run_sync

        if self.kc is not None:
            self.kc.stop_channels()
            self.kc, self._ready = None, False
        if self.km is not None:
            try:
                run_sync(self.km.shutdown_kernel)(now=True)
            except Exception:  # already dead or half-started: nothing to keep
                pass
            self.km = None
        if self._log is not None:
            self._log.close()
            self._log = None


@functools.cache
def _warm_engine() -> str:
    """Register (once) and name the papermill engine that runs a notebook in a given
    :class:`WarmKernel`, which it first resets (``_FRESH_STAGE``)."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines

    name = "helpers-warm-kernel"

    class Manager(NotebookExecutionManager):
        """Writes the executed notebook when the stage starts and ends and, within it, at most
        every ``autosave_cell_every`` seconds, instead of at each cell's start and end: a write
        validates and serialises the whole notebook (8 ms for the charts stage's), 50 times a
        stage. A failed or killed stage still leaves its notebook with the traceback (papermill
        writes it at the end, whatever happened)."""

        _in_cell = False

        def cell_start(self, *args, **kwargs):
            self._in_cell = True
            try:
                return super().cell_start(*args, **kwargs)
            finally:
                self._in_cell = False

        def cell_complete(self, *args, **kwargs):
            self._in_cell = True
            try:
                return super().cell_complete(*args, **kwargs)
            finally:
                self._in_cell = False

        def save(self, **kwargs):
            since = (self.now() - self.last_save_time).total_seconds()
            if self._in_cell and since < self.autosave_cell_every:
                return None
            return super().save(**kwargs)

    class Engine(NBClientEngine):
        @classmethod
        def execute_notebook(
            cls, nb, kernel_name, output_path=None, progress_bar=True, log_output=False, **kwargs
        ):
            """papermill's ``Engine.execute_notebook`` with :class:`Manager`."""
            nb_man = Manager(
                nb,
                output_path=output_path,
                progress_bar=progress_bar,
                log_output=log_output,
                autosave_cell_every=kwargs.pop("autosave_cell_every", 30),
            )
            nb_man.notebook_start()
            try:
                cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output, **kwargs)
            finally:
                nb_man.cleanup_pbar()
                nb_man.notebook_complete()
            return nb_man.nb

        @classmethod
        def execute_managed_notebook(
            cls, nb_man, kernel_name, *, kernel, execution_timeout=None, start_timeout=60, **_
        ):
            client = PapermillNotebookClient(
                nb_man,
                km=kernel.manager(),  # not owned: the client leaves kernel and channels open
                kernel_name=kernel_name,
                timeout=execution_timeout,
                startup_timeout=start_timeout,
                log_output=False,
            )
            client.kc = kernel.client(start_timeout)
            code = _FRESH_STAGE.format(cwd=str(paths.NOTEBOOKS))
            reply = client.wait_for_reply(client.kc.execute(code, store_history=False))
            content = (reply or {}).get("content", {})
            if content.get("status") != "ok":
                raise RuntimeError(
                    f"could not reset the shared kernel: {content.get('ename')}: "
                    f"{_first_line(content.get('evalue'))}"
                )
            return client.execute()

    papermill_engines.register(name, Engine)
    return name


def _run_notebook(
    stage: Stage, pipeline: Pipeline, staging: Path, kernel: WarmKernel | None = None
) -> None:
    datasets = catalogue.for_stage(pipeline.catalogue, stage.reads, stage.writes, staging)
    injected = {**stage.parameters, "catalogue": datasets}
    own = kernel is None
    kernel = kernel or WarmKernel(pipeline.kernel)
    try:
        kernel.manager()  # launched first: it boots while papermill loads, parameters are checked
        check_parameters(stage, injected)
        _execute(stage, pipeline, injected, kernel)
    finally:
        if own:
            kernel.shutdown()


def _execute(stage: Stage, pipeline: Pipeline, injected: dict, kernel: WarmKernel) -> None:
    """Run the notebook in ``kernel``; any failure becomes a one-line :class:`StageFailed`."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    stage.executed_notebook.parent.mkdir(parents=True, exist_ok=True)
    log = stage.executed_notebook.with_suffix(".log")
    try:
        with _stderr_to(log):
            papermill.execute_notebook(
                str(paths.ROOT / stage.notebook),
                str(stage.executed_notebook),
                parameters=injected,
                kernel_name=pipeline.kernel,
                cwd=str(paths.NOTEBOOKS),
                execution_timeout=pipeline.timeout_seconds,
                progress_bar=False,
                log_output=False,
                engine_name=_warm_engine(),
                kernel=kernel,
            )
    except PapermillExecutionError as exc:
        raise StageFailed(
            f"stage {stage.name} failed: {exc.ename}: {_first_line(exc.evalue)} "
            f"(at In [{exc.exec_count}] `{_first_line(exc.source, 60, code=True)}`; traceback "
            f"in {stage.executed_notebook.relative_to(paths.ROOT)})"
        ) from None
    except Exception as exc:  # kernel died, timeout, unreadable notebook
        kernel.shutdown()  # whatever state it is in, no later stage may use it
        raise StageFailed(
            f"stage {stage.name} failed: {type(exc).__name__}: {_first_line(str(exc))}"
        ) from None


def _os_problem(exc: OSError) -> str:
    """An OS error as one line: what failed and on which file."""
    where = f" ({exc.filename})" if exc.filename else ""
    return f"{exc.strerror or type(exc).__name__}{where}"


def _first_line(text: str | None, limit: int = 200, *, code: bool = False) -> str:
    """The first meaningful line of an error value or a cell, bounded: the one line to print.

    Why the first: pandera, pandas and most libraries put the cause first and a dump of
    data after it (the last line of a SchemaError is "Name: row_id, dtype: str").
    """
    for line in (text or "").splitlines():
        line = line.strip()
        if line and not (code and line.startswith(("#", "%"))):
            return line if len(line) <= limit else line[: limit - 3] + "..."
    return ""


def _git(*args: str) -> str:
    try:
        return subprocess.run(
            ["git", *args], cwd=paths.ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def provenance(pipeline: Pipeline) -> dict:
    """What the report's appendix says about the run: parameters, versions, commit."""
    from importlib import metadata

    commit = _git("rev-parse", "HEAD") or "unknown (not a git checkout)"
    if _git("status", "--porcelain", "--untracked-files=no"):
        commit += " (with uncommitted changes)"
    packages = [
        "pandas",
        "pandera",
        "papermill",
        "altair",
        "vl-convert-python",
        "pypandoc-binary",
        "typst",
        "pyarrow",
    ]
    return {
        "commit": commit,
        "python": sys.version.split()[0],
        "packages": {p: metadata.version(p) for p in packages},
        "parameters": {s.name: s.parameters for s in pipeline.stages if s.parameters},
        "source_date_epoch": os.environ.get("SOURCE_DATE_EPOCH", ""),
    }


def provenance_markdown(record: Mapping) -> str:
    """The run's parameters, versions and commit as a Markdown table for the appendix."""
    rows = [("Git commit", record["commit"]), ("Python", record["python"])]
    rows += [(f"{name}", version) for name, version in sorted(record["packages"].items())]
    rows += [
        (f"Parameter {stage}.{k}", v)
        for stage, params in sorted(record["parameters"].items())
        for k, v in sorted(params.items())
    ]
    rows += [
        ("Renderer", record.get("renderer", "")),
        ("SOURCE_DATE_EPOCH", record.get("source_date_epoch", "")),
    ]
    return escape.markdown_table(rows, ["What", "Value"], [2, 5])


_RENDER_IMPORTS = ("helpers.engine.render", "helpers.engine.storage")  # ~1 s: pandas


def _import_ahead(modules: tuple[str, ...]) -> threading.Thread:
    """Import ``modules`` in a thread of this process while it waits on the kernel, so the
    report stage, which runs here, finds them loaded. A failure is left for the stage."""

    def load() -> None:
        for name in modules:
            try:
                importlib.import_module(name)
            except Exception:  # the stage's own import reports it
                pass

    thread = threading.Thread(target=load, name="import-ahead", daemon=True)
    thread.start()
    return thread


def _run_render(stage: Stage, pipeline: Pipeline, staging: Path, engine: str) -> None:
    """Render from a copy of report/ that also holds this run's provenance table."""
    from helpers.engine import render, storage

    source = paths.ROOT / Path(stage.render).parent
    work = staging / "_source"
    shutil.copytree(source, work, ignore=shutil.ignore_patterns("_output", ".quarto"))
    record = provenance(pipeline)
    record["renderer"] = (
        "quarto"
        if engine == "quarto" or (engine == "auto" and shutil.which("quarto"))
        else "pandoc + typst (Quarto not on PATH)"
    )
    storage.write_text(
        work / "_generated" / "tables" / "provenance.md", provenance_markdown(record)
    )
    out = staging / Path(stage.outputs[0]).parent
    try:
        render.render_report(work, out, engine=engine)
    except InputError:
        raise
    except Exception as exc:
        raise StageFailed(f"stage {stage.name} failed: {type(exc).__name__}: {exc}") from None


def _promote(stage: Stage, staging: Path) -> None:
    """Move every declared output from the staging folder into place, all or none.

    Each previous output is first moved aside (into the staging folder), then the new one
    moved in; if any move fails, every output already moved is put back as it was, so a
    stage's outputs never mix two runs.
    """
    missing = [out for out in stage.outputs if not (staging / out).exists()]
    if missing:
        raise StageFailed(
            f"stage {stage.name} finished but did not write {', '.join(missing)}; "
            "previous outputs left untouched"
        )
    done: list[tuple[Path, Path | None, bool]] = []  # (target, where the old one went, new in)
    out = ""
    try:
        for out in stage.outputs:
            target, new, old = paths.ROOT / out, staging / out, staging / "_replaced" / out
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists() or target.is_symlink():
                old.parent.mkdir(parents=True, exist_ok=True)
                os.replace(target, old)
                done.append((target, old, False))
            else:
                done.append((target, None, False))
            os.replace(new, target)
            done[-1] = (done[-1][0], done[-1][1], True)
    except OSError as exc:
        restored = _roll_back(done)
        raise StageFailed(
            f"stage {stage.name}: could not move {out} into place ({exc.strerror or exc}); "
            + (
                "previous outputs restored"
                if restored
                else "previous outputs could not all be restored: re-run the stage"
            )
        ) from None


def _roll_back(done: list[tuple[Path, Path | None, bool]]) -> bool:
    """Undo a partial promotion, last move first; False when something could not be undone."""
    ok = True
    for target, old, new_in in reversed(done):
        try:
            if new_in:
                if target.is_dir() and not target.is_symlink():
                    shutil.rmtree(target)
                else:
                    target.unlink()
            if old is not None:
                os.replace(old, target)
        except OSError:
            ok = False
    return ok


def run_stage(
    stage: Stage, pipeline: Pipeline, *, engine: str = "auto", kernel: WarmKernel | None = None
) -> None:
    """Run one stage into a staging folder and promote its outputs; ``kernel``: the run's
    shared kernel (a kernel of its own when None)."""
    staging = paths.BUILD / "staging" / stage.name
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        if stage.notebook:
            _run_notebook(stage, pipeline, staging, kernel)
        else:
            _run_render(stage, pipeline, staging, engine)
        _promote(stage, staging)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


@contextmanager
def run_lock():
    """Hold ``build/.lock`` for a run, so a second run in the same folder stops with one line
    instead of deleting the first one's staging folder and mixing their outputs."""
    import fcntl

    paths.BUILD.mkdir(parents=True, exist_ok=True)
    lock = paths.BUILD / ".lock"
    with open(lock, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip()[:20] or "unknown"
            raise StageFailed(
                f"another run is building in {paths.ROOT} (process {holder} holds "
                f"{lock.relative_to(paths.ROOT)}); wait for it to finish"
            ) from None
        handle.truncate(0)
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            handle.truncate(0)
            fcntl.flock(handle, fcntl.LOCK_UN)


def run(pipeline: Pipeline, *, dry_run=False, force=(), engine="auto", out=sys.stdout) -> list:
    """Run (or with ``dry_run`` only explain) every out-of-date stage; return what ran.

    A real run holds the folder's lock (:func:`run_lock`) from start to end.
    """
    if not dry_run:
        with run_lock():
            kernel, ahead = WarmKernel(pipeline.kernel), []
            try:
                return _run(
                    pipeline,
                    dry_run=False,
                    force=force,
                    engine=engine,
                    out=out,
                    kernel=kernel,
                    ahead=ahead,
                )
            finally:
                kernel.shutdown()
                _STAT_CACHE.save()
                for thread in ahead:
                    thread.join()
    return _run(pipeline, dry_run=True, force=force, engine=engine, out=out)


def _run(pipeline: Pipeline, *, dry_run, force, engine, out, kernel=None, ahead=None) -> list:
    state = load_state()
    ran: list[str] = []
    upstream_would_run: list[str] = []
    os.environ.setdefault("SOURCE_DATE_EPOCH", _git("log", "-1", "--format=%ct") or "0")
    width = max(len(s.name) for s in pipeline.stages)
    for index, stage in enumerate(pipeline.stages):
        reasons = (
            ["forced"] if stage.name in force else reasons_to_run(stage, state.get(stage.name))
        )
        if dry_run:
            if not reasons and upstream_would_run:
                reasons = [
                    f"if an upstream stage ({', '.join(upstream_would_run)}) writes new outputs"
                ]
                verb = "may run"
            else:
                verb = "would run" if reasons else "up to date"
            print(
                f"{stage.name:<{width}}  {verb}" + (f": {'; '.join(reasons)}" if reasons else ""),
                file=out,
            )
            if reasons:
                upstream_would_run.append(stage.name)
            continue
        if not reasons:
            print(f"{stage.name:<{width}}  skipped  (up to date)", file=out)
            continue
        started = time.perf_counter()
        try:
            for rel in stage.inputs:  # refuses a symlink out of the project before a kernel
                _files(rel)  # reads it (the fingerprint is taken after: outputs may be inputs)
            if kernel is not None and stage.notebook:
                kernel.upcoming = [s for s in pipeline.stages[index:] if s.notebook]
                if not ahead and any(s.render for s in pipeline.stages[index:]):
                    kernel.manager()  # launched before the import below competes for the GIL
                    ahead.append(_import_ahead(_RENDER_IMPORTS))
            run_stage(stage, pipeline, engine=engine, kernel=kernel)
            if kernel is not None and not any(s.notebook for s in pipeline.stages[index + 1 :]):
                kernel.shutdown_soon()  # the stages left (the report) need no kernel
        except (StageFailed, InputError, OSError) as exc:
            done = (
                f"stages completed in this run: {', '.join(ran)}"
                if ran
                else "no stage completed in this run"
            )
            cause = _os_problem(exc) if isinstance(exc, OSError) else str(exc)
            raise StageFailed(
                f"{cause} [{done}; {stage.name} and later stages keep their previous outputs]"
            ) from None
        seconds = time.perf_counter() - started
        state[stage.name] = {
            "fingerprint": fingerprint(stage),
            "outputs": output_hashes(stage),
            "reasons": reasons,
            "seconds": round(seconds, 3),
        }
        save_state(state)
        ran.append(stage.name)
        print(
            f"{stage.name:<{width}}  ran      {seconds:6.1f} s  ({reasons[0]}"
            f"{' ...' if len(reasons) > 1 else ''})",
            file=out,
            flush=True,
        )
    return ran


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m helpers.engine.pipeline", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "-n",
        "--dry-run",
        action="store_true",
        help="say which stages would run and why; run nothing",
    )
    parser.add_argument(
        "--force",
        nargs="*",
        default=None,
        metavar="STAGE",
        help="run these stages (all when none is named) even if up to date",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="STAGE.PARAM=VALUE",
        help="override a parameter of pipeline.yaml for this run",
    )
    parser.add_argument(
        "--engine",
        choices=["auto", "quarto", "fallback"],
        default="auto",
        help="renderer: quarto when on PATH (auto), or pandoc+typst",
    )
    args = parser.parse_args(argv)
    try:
        pipeline = apply_overrides(load_pipeline(), args.set)
        names = [s.name for s in pipeline.stages]
        force = set() if args.force is None else set(args.force or names)
        if force - set(names):
            raise InputError(
                "command line", f"--force: unknown stage(s) {sorted(force - set(names))}"
            )
        run(pipeline, dry_run=args.dry_run, force=force, engine=args.engine)
    except (InputError, StageFailed) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # the build folder cannot be written, a disk is full, ...
        print(f"error: {_os_problem(exc)}", file=sys.stderr)
        return 1
    if not args.dry_run:
        for rel in pipeline.stages[-1].outputs:
            print(f"{Path(rel).suffix[1:].upper():>4}: {rel}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
