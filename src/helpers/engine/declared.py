"""The pipeline as declared in ``pipeline.yaml``: its stages and datasets, read, checked and
overridden for one run (``--set``).

The check itself (pydantic, :mod:`helpers.engine.declaration`) runs only when the file or the
code that checks it changed; otherwise the checked declaration is read back from
``build/declaration.json``. That record exists only for speed (see the README's "Kept for
speed only"): pydantic costs a tenth of a second to import, a no-op run a tenth in all.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from helpers.engine import catalogue, paths
from helpers.engine.errors import InputError, clip
from helpers.engine.yamlio import loads

INJECTED = ("catalogue",)  # the parameter the runner gives every notebook

# The code whose checks a cached declaration passed: a change to it checks pipeline.yaml again.
_DECLARATION_CODE = ("declaration.py", "catalogue.py", "models.py", "yamlio.py")


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
    overridden: tuple[str, ...] = ()  # parameters given by --set for this run

    @property
    def executed_notebook(self) -> Path:
        return paths.BUILD / "notebooks" / Path(self.notebook).name


@dataclass(frozen=True)
class Pipeline:
    stages: tuple[Stage, ...]
    kernel: str
    timeout_seconds: int
    catalogue: dict[str, catalogue.Dataset] = field(default_factory=dict)


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
    pipeline = Pipeline(
        stages=tuple(_stage(entry, datasets) for entry in declared["stages"]),
        kernel=declared["kernel"],
        timeout_seconds=declared["timeout_seconds"],
        catalogue=datasets,
    )
    check_files(pipeline, path)
    return pipeline


def _stage(entry: dict, datasets: dict[str, catalogue.Dataset]) -> Stage:
    """A checked ``stages:`` entry with its datasets' paths."""
    reads = tuple(dict.fromkeys(entry["inputs"]))
    writes = tuple(dict.fromkeys(entry["outputs"]))
    return Stage(
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


# What an output may never hold or lie in, besides the other datasets: the project's own files.
_PROJECT_FILES = ("pipeline.yaml", "requirements.lock", "src", "tools", "tests", ".git", "build")


def check_files(pipeline: Pipeline, path: Path) -> None:
    """What the declaration says about the files on disk, checked every run (they change
    without the declaration changing): no output overlaps another dataset or the project's
    own files, a folder's ``include`` matches some file, a stage's notebook or ``render:``
    file exists.

    Why: promoting an output replaces whatever lies at its path, so an output declared over
    a researcher's corrections, or a folder of them, would delete them; and an ``include``
    that matches nothing makes a stage read nothing, its edits silently ignored.
    """
    writer = {name: s.name for s in pipeline.stages for name in s.writes}
    taken = [
        (name, rel, f"dataset {clip(name, 60)} ({clip(rel)})")
        for name, d in pipeline.catalogue.items()
        for rel in d.files()
    ]
    taken += [
        (None, f, f"stage {clip(s.name, 60)}'s {key} ({clip(f)})")
        for s in pipeline.stages
        for key, f in _sources(s)
    ]
    taken += [(None, rel, f"the project's own {clip(rel)}") for rel in _PROJECT_FILES]
    real = {rel: os.path.realpath(paths.ROOT / rel) for _, rel, _ in taken}
    for name in writer:
        for rel in pipeline.catalogue[name].files():
            for other, other_rel, label in taken:
                if other != name and _overlap(real[rel], real[other_rel]):
                    raise InputError(
                        path,
                        f"dataset {clip(name, 60)} (written by stage {clip(writer[name], 60)}) "
                        f"at {clip(rel)} {_relation(real[rel], real[other_rel])} {label}: an "
                        "output must not overlap another dataset or the project's own files, "
                        "which promoting it would replace",
                    )
    for name, d in pipeline.catalogue.items():
        if d.include and name not in writer and not any(paths.ROOT.glob(d.watched)):
            raise InputError(
                path,
                f"dataset {clip(name, 60)}: `include` {clip(d.include)} matches no file in "
                f"{clip(d.path)}, so a stage reading it would read nothing",
            )
    for stage in pipeline.stages:
        for key, rel in _sources(stage):
            if not (paths.ROOT / rel).is_file():
                raise InputError(
                    path, f"stage {clip(stage.name, 60)}: `{key}` {clip(rel)}: no such file"
                )


def _sources(stage: Stage) -> list[tuple[str, str]]:
    return [(key, f) for key in ("notebook", "render") if (f := getattr(stage, key))]


def _overlap(a: str, b: str) -> bool:
    return a == b or a.startswith(b.rstrip("/") + "/") or b.startswith(a.rstrip("/") + "/")


def _relation(a: str, b: str) -> str:
    return (
        "is also" if a == b else ("lies inside" if a.startswith(b.rstrip("/") + "/") else "holds")
    )


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
            **{
                **stage.__dict__,
                "parameters": {**stage.parameters, param: parsed},
                "overridden": tuple(dict.fromkeys((*stage.overridden, param))),
            }
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
