"""What a stage depends on, and its fingerprint: the SHA-256 of every file it reads (its
declared inputs, its notebook, the helper modules it imports, transitively, and the lock file)
plus its parameters, keyed by path.

Hashes come through the stat cache (:mod:`helpers.engine.statcache`), which only saves reading
an unchanged file again.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import sys
from pathlib import Path

from helpers.engine import paths
from helpers.engine.declared import Stage
from helpers.engine.errors import InputError, clip
from helpers.engine.statcache import STAT_CACHE

LOCK = "requirements.lock"
_GLOB = re.compile(r"[*?\[]")  # a declared input that is a pattern (a folder's `include`)
_IGNORED_PARTS = {"__pycache__", ".ipynb_checkpoints", ".quarto", ".DS_Store"}


def files(rel: str) -> list[str]:
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


def imported_helpers(source: str) -> set[str]:
    """Dotted names under ``helpers`` that a piece of Python source imports: each module named,
    and for ``from helpers.x import y`` both ``helpers.x`` and ``helpers.x.y`` (``y`` may be a
    module or a name; :func:`code_files` keeps those that are files). Parsing is the costly part
    of a no-op run; the stat cache keeps its result by content. The helpers import absolutely
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


def python_source(rel: str) -> str:
    """The Python of a module, or of a notebook's code cells."""
    try:
        text = (paths.ROOT / rel).read_text(encoding="utf-8")
        if not rel.endswith(".ipynb"):
            return text
        cells = json.loads(text)["cells"]
        return "\n".join("".join(c["source"]) for c in cells if c.get("cell_type") == "code")
    except (ValueError, KeyError, TypeError, AttributeError) as exc:  # bad UTF-8 or JSON
        raise InputError(
            paths.ROOT / rel, f"not a Jupyter notebook ({type(exc).__name__}: {clip(str(exc))})"
        ) from None


def _module_imports(rel: str) -> set[str]:
    return STAT_CACHE.imports_of(rel, _parsed_imports)


def _parsed_imports(rel: str) -> set[str]:
    try:
        return imported_helpers(python_source(rel))
    except SyntaxError as exc:
        raise InputError(
            paths.ROOT / rel, f"cannot be read as Python: {exc.msg} (line {exc.lineno})"
        ) from None


def third_party_imports(stages: list[Stage]) -> list[str]:
    """Modules from outside the project and the standard library that the stages' notebooks
    and helper modules import at their top level (a function's own imports are lazy for a
    reason), sorted: what a kernel for these stages can import ahead of their cells."""
    found: set[str] = set()
    for rel in sorted({f for s in stages for f in [s.notebook, *code_files(s)]}):
        source = "\n".join(
            ln for ln in python_source(rel).splitlines() if not ln.lstrip().startswith(("%", "!"))
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
        pending = {"helpers.engine.render_stage"}  # what the report stage runs
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
    found = {f for f in map(_module_file, seen) if f is not None}
    if stage.render:
        package = paths.ROOT / "src" / "helpers" / "engine"
        found |= {p.relative_to(paths.ROOT).as_posix() for p in package.glob("*.lua")}
        found |= {p.relative_to(paths.ROOT).as_posix() for p in package.glob("*.typ")}
    return sorted(found)


def sha256(rel: str) -> str:
    return STAT_CACHE.sha256(rel)


def fingerprint(stage: Stage) -> dict[str, str]:
    """Content hash of everything the stage reads, keyed by path (and `parameters`)."""
    read = set(code_files(stage)) | {LOCK}
    read |= {stage.notebook} if stage.notebook else {stage.render}
    for rel in stage.inputs:
        read |= set(files(rel))
    hashes = {rel: sha256(rel) for rel in sorted(read) if (paths.ROOT / rel).is_file()}
    hashes["parameters"] = hashlib.sha256(
        json.dumps(stage.parameters, sort_keys=True, default=str).encode()
    ).hexdigest()
    return hashes


def output_hashes(stage: Stage) -> dict[str, str]:
    return {rel: sha256(rel) for out in stage.outputs for rel in files(out)}
