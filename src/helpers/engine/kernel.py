"""Running a notebook stage: its parameters checked against the notebook, then its cells
executed by papermill in the run's one warm kernel.

The warm kernel (:class:`WarmKernel`) and the papermill engine that uses it exist for speed
only (see the README's "Kept for speed only"): one kernel a run, reset before each stage, and
the executed notebook written when a stage starts and ends rather than at every cell. Nothing
here imports papermill or jupyter_client until a stage runs, so a no-op run does without them.
"""

from __future__ import annotations

import ast
import functools
import os
import shutil
import sys
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

from helpers.engine import catalogue, paths
from helpers.engine.declared import INJECTED, Pipeline, Stage
from helpers.engine.errors import InputError, StageFailed, clip
from helpers.engine.fingerprint import third_party_imports


def check_parameters(stage: Stage, injected: dict) -> None:
    """Fail before any cell runs when a parameter is unknown or of the wrong type: the type
    the notebook's parameters cell annotates (``sources: list[str] = []``), else its default's.
    The message blames where the value came from: ``--set`` or pipeline.yaml."""
    declared = _declared_parameters(stage)
    for name, value in injected.items():
        origin = f"--set {stage.name}.{name}" if name in stage.overridden else "pipeline.yaml"
        if name not in declared:
            raise StageFailed(
                f"stage {stage.name}: unknown parameter {name!r} ({origin}); "
                f"{stage.notebook} declares {sorted(declared)}"
            )
        if name in INJECTED:
            continue
        problem = _annotation_problem(value, declared[name].get("inferred_type_name"))
        if problem is None:
            problem = _default_problem(value, declared[name]["default"])
        if problem:
            raise StageFailed(
                f"stage {stage.name}: parameter {name!r} ({origin}) must be {problem} in "
                f"{stage.notebook}, got {type(value).__name__} {clip(value)}"
            )


def _declared_parameters(stage: Stage) -> dict:
    """The notebook's parameters cell, as papermill reads it; one line when there is none."""
    import papermill

    nb_path = paths.ROOT / stage.notebook
    if not nb_path.is_file():
        raise StageFailed(f"stage {stage.name}: `notebook` {stage.notebook}: no such file")
    try:
        declared = papermill.inspect_notebook(str(nb_path))
    except Exception as exc:  # not JSON, not a notebook, a notebook of a future format
        raise StageFailed(
            f"stage {stage.name}: `notebook` {stage.notebook} is not a Jupyter notebook "
            f"({type(exc).__name__}: {first_line(str(exc), 120)})"
        ) from None
    if not declared:
        raise StageFailed(f"stage {stage.name}: {stage.notebook} has no cell tagged `parameters`")
    return declared


# What a parameters cell may annotate: plain data, as YAML gives it.
_TYPES = {"str": str, "int": int, "float": float, "bool": bool, "list": list, "dict": dict}


def _annotation_problem(value: object, annotation: str | None) -> str | None:
    """What ``value`` should be by the cell's annotation ("" when it is), or None when the cell
    annotates nothing this can read."""
    if not annotation or annotation == "None":
        return None
    try:  # the notebook is the project's own code; still, nothing but these names
        expected = eval(annotation, {"__builtins__": {}}, _TYPES)  # noqa: S307
        from pydantic import TypeAdapter, ValidationError

        adapter = TypeAdapter(expected)
    except Exception:
        return None
    try:
        adapter.validate_python(value, strict=True)
    except ValidationError:
        return f"{annotation} as annotated"
    return ""


def _default_problem(value: object, default_text: str) -> str:
    """What ``value`` should be by the type of the cell's default ("" when it is)."""
    try:
        default = ast.literal_eval(default_text)
    except (ValueError, SyntaxError):
        return ""  # a non-literal default: nothing to compare the type with
    if (
        default is not None
        and not isinstance(value, type(default))
        or (isinstance(value, bool) and not isinstance(default, bool))
    ):
        return f"{type(default).__name__} like its default"
    return ""


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
        self._sockets: str | None = None  # the folder of the kernel's IPC sockets
        self._closing: threading.Thread | None = None

    def manager(self):
        """The running kernel's manager, starting a kernel if none is alive; a new kernel
        first imports what :attr:`upcoming` stages import from outside the project."""
        from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        if self.km is not None and run_sync(self.km.is_alive)():
            return self.km
        self.shutdown()
        paths.BUILD.joinpath("notebooks").mkdir(parents=True, exist_ok=True)
        # The kernel's own stderr (not its cells' output, which ipykernel forwards to the
        # executed notebook) goes to a log of the run, not to the terminal.
        self._log = open(paths.BUILD / "notebooks" / "kernel.log", "w", encoding="utf-8")
        # IPC sockets, not TCP ports: a TCP port is free when jupyter_client picks it and may
        # be taken before the kernel binds it (two kernels starting at once, as under
        # `pytest -n`), and the kernel then dies before it answers. The sockets are files in a
        # private folder of their own (short: a socket path holds at most 107 bytes).
        self._sockets = tempfile.mkdtemp(prefix="kernel-")
        self.km = AsyncKernelManager(
            kernel_name=self.name, transport="ipc", ip=os.path.join(self._sockets, "k")
        )
        try:
            run_sync(self.km.start_kernel)(
                cwd=str(paths.NOTEBOOKS),
                stderr=self._log,
                extra_arguments=["--HistoryManager.hist_file=:memory:"],
            )
        except NoSuchKernel:
            self.shutdown()
            raise InputError(
                paths.PIPELINE,
                f"`kernel` {clip(self.name, 60)}: no such Jupyter kernel (installed: "
                f"{', '.join(sorted(KernelSpecManager().find_kernel_specs()))})",
            ) from None
        self.kc = self.km.client()
        self.kc.start_channels()  # requests wait in their sockets until the kernel binds
        self.kc.allow_stdin = False
        self._preload(third_party_imports(self.upcoming))
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
        if self.kc is None and self.km is None and self._log is None and self._sockets is None:
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
        if self._sockets is not None:
            shutil.rmtree(self._sockets, ignore_errors=True)
            self._sockets = None


@functools.cache
def _manager_class():
    """papermill's execution manager, saving the executed notebook less often (see its doc)."""
    from papermill.engines import NotebookExecutionManager

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

    return Manager


def _reset(client) -> None:
    """Run ``_FRESH_STAGE`` in the shared kernel before a stage's cells."""
    code = _FRESH_STAGE.format(cwd=str(paths.NOTEBOOKS))
    reply = client.wait_for_reply(client.kc.execute(code, store_history=False))
    content = (reply or {}).get("content", {})
    if content.get("status") != "ok":
        raise RuntimeError(
            f"could not reset the shared kernel: {content.get('ename')}: "
            f"{first_line(content.get('evalue'))}"
        )


@functools.cache
def _warm_engine() -> str:
    """Register (once) and name the papermill engine that runs a notebook in a given
    :class:`WarmKernel`, which it first resets (``_FRESH_STAGE``)."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines

    name = "helpers-warm-kernel"

    class Engine(NBClientEngine):
        @classmethod
        def execute_notebook(
            cls, nb, kernel_name, output_path=None, progress_bar=True, log_output=False, **kwargs
        ):
            """papermill's ``Engine.execute_notebook`` with the less eager manager."""
            nb_man = _manager_class()(
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
            _reset(client)
            return client.execute()

    papermill_engines.register(name, Engine)
    return name


def run_notebook(
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
            f"stage {stage.name} failed: {exc.ename}: {first_line(exc.evalue)} "
            f"(at In [{exc.exec_count}] `{first_line(exc.source, 60, code=True)}`; traceback "
            f"in {stage.executed_notebook.relative_to(paths.ROOT)})"
        ) from None
    except Exception as exc:  # kernel died, timeout, unreadable notebook
        kernel.shutdown()  # whatever state it is in, no later stage may use it
        raise StageFailed(
            f"stage {stage.name} failed: {type(exc).__name__}: {first_line(str(exc))}"
        ) from None


def first_line(text: str | None, limit: int = 200, *, code: bool = False) -> str:
    """The first meaningful line of an error value or a cell, bounded: the one line to print.

    Why the first: pandera, pandas and most libraries put the cause first and a dump of
    data after it (the last line of a SchemaError is "Name: row_id, dtype: str").
    """
    for line in (text or "").splitlines():
        line = line.strip()
        if line and not (code and line.startswith(("#", "%"))):
            return line if len(line) <= limit else line[: limit - 3] + "..."
    return ""
