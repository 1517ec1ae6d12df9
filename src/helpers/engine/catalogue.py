"""The data catalogue: every dataset of the project by name (path, format, schema), declared
once in ``pipeline.yaml`` under ``catalogue:``.

Why: a path written in a notebook goes stale when a file moves, and a stage that reads a file
it does not declare is re-run too rarely. Here stages declare the datasets they read and write,
the runner expands the names to paths (fingerprints, staging, promotion) and injects a
catalogue into each notebook, and notebooks and helpers ask for a dataset by name:
``cat.read("sentences")``, ``cat.write("codings", df)``. As in Kedro's data catalogue, the
functions that do the work never see where a dataset lives.

A stage run by the pipeline receives only its own datasets: its inputs where they live, its
outputs in the stage's staging folder; asking for any other is an error. Run by hand (the
notebook's default ``catalogue = None``), the project's catalogue is used, every dataset in
place. Entries are checked by the models of :mod:`helpers.engine.declaration` (unknown fields
refused, ``format`` one of :data:`FORMATS`) and kept as plain :class:`Dataset` records: nothing
heavy, not even pydantic, is imported here, since the runner reads this on every no-op.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from helpers.engine import paths
from helpers.engine.errors import InputError, clip
from helpers.engine.yamlio import read_yaml

# format -> the suffixes its path may have (folder: none); parquet+csv adds a .csv beside it
FORMATS = {
    "parquet+csv": (".parquet",),
    "csv": (".csv",),
    "yaml": (".yaml", ".yml"),
    "md": (".md",),
    "text": (".txt",),
    "quarto": (".qmd",),
    "css": (".css",),
    "typst": (".typ",),
    "html": (".html",),
    "pdf": (".pdf",),
    "folder": (),
}


@dataclass(frozen=True)
class Dataset:
    """One dataset of the catalogue, as :mod:`helpers.engine.declaration` checked it; ``path`` is
    relative to the project root, posix; ``contract`` names a table contract in
    the ``BY_NAME`` of module ``contracts`` (parquet+csv datasets only)."""

    path: str
    format: str
    contract: str | None = None
    description: str | None = None
    include: str | None = None  # a folder's files that make the dataset (a glob)
    contracts: str | None = None  # the module whose BY_NAME holds ``contract``

    @property
    def watched(self) -> str:
        """What a stage reading the dataset depends on: its path, or its folder's files that
        match ``include`` (``codebook/*.yaml``: editing the codebook's README re-runs nothing)."""
        return f"{self.path}/{self.include}" if self.include else self.path

    def files(self) -> tuple[str, ...]:
        """Every path the dataset occupies (what a stage writing it must produce)."""
        if self.format == "parquet+csv":
            return (self.path, str(Path(self.path).with_suffix(".csv").as_posix()))
        return (self.path,)


NOUNS = {"catalogue": "dataset"}  # how messages name an entry of the catalogue


def inside_project(rel: str) -> bool:
    """Whether ``rel``, read as a path under the project root, stays inside it (symlinks
    followed): a declared path or parameter must not make a stage read, or the report publish,
    a file from elsewhere."""
    try:
        paths.inside(paths.ROOT / rel, paths.ROOT, "path")
    except InputError:
        return False
    return True


def outside(value: str) -> str:
    """The problem, for a message, of a path that leads outside the project."""
    return f"path {clip(value)} leads outside the project; give one inside it"


def load(path: Path | None = None) -> dict[str, Dataset]:
    """The project's catalogue, read from pipeline.yaml and checked (helpers.engine.declaration)."""
    from helpers.engine import declaration

    return declaration.catalogue(path or paths.PIPELINE)


def unknown(name: str, datasets: dict[str, Dataset], where: Path | str) -> InputError:
    """The one-line error for a dataset name the catalogue does not declare."""
    return InputError(
        where, f"unknown dataset {clip(name, 60)}; the catalogue declares {sorted(datasets)}"
    )


def for_stage(
    datasets: dict[str, Dataset],
    reads: tuple[str, ...],
    writes: tuple[str, ...],
    staging: Path,
) -> dict:
    """What the runner injects as a stage's ``catalogue`` parameter: its inputs (absolute paths
    where they live) and its outputs (under the staging folder), nothing else."""
    entry = {}
    for names, base, mode in ((reads, paths.ROOT, "read"), (writes, staging, "write")):
        for name in names:
            d = datasets[name]
            entry[name] = {"path": str(base / d.path), "format": d.format, "mode": mode}
            if d.contract:
                entry[name]["schema"] = f"{d.contracts}:{d.contract}"
    return entry


def contract(qualified: str):
    """The table contract ``module:NAME`` names (``BY_NAME[NAME]`` of ``module``): the project
    declares its contracts in pipeline.yaml, so the engine imports no domain module by name."""
    module, _, name = qualified.partition(":")
    try:
        return importlib.import_module(module).BY_NAME[name]
    except (ImportError, AttributeError, KeyError):
        raise InputError(
            paths.PIPELINE, f"no table contract {clip(name, 60)} in {clip(module, 60)}.BY_NAME"
        ) from None


class Catalogue:
    """Datasets by name for a notebook or a helper: read, write (validated, atomic), paths."""

    def __init__(self, entries: dict, *, in_stage: bool):
        self._entries, self._in_stage = entries, in_stage

    def _entry(self, name: str, mode: str) -> dict:
        entry = self._entries.get(name)
        if entry is None and not self._in_stage:
            raise unknown(name, self._entries, paths.PIPELINE)
        if entry is None or (mode == "write" and entry["mode"] != "write"):
            side = "outputs" if mode == "write" else "inputs"
            declared = sorted(n for n, e in self._entries.items() if e["mode"] == mode)
            raise InputError(
                paths.PIPELINE,
                f"this stage does not declare dataset {clip(name, 60)} among its {side} "
                f"(it declares {', '.join(declared) or 'none'}); declare it there first",
            )
        return entry

    def path(self, name: str) -> Path:
        """Where to read a dataset (a file, or a folder such as the codebook)."""
        return Path(self._entry(name, "read")["path"])

    def output_path(self, name: str) -> Path:
        """Where to write a dataset this stage declares as an output (its staging path)."""
        return Path(self._entry(name, "write")["path"])

    def read(self, name: str):
        """A table (validated against its schema), parsed YAML, or text, by format."""
        entry, path = self._entry(name, "read"), self.path(name)
        fmt = entry["format"]
        if fmt == "parquet+csv":
            from helpers.engine import storage

            return storage.read_table(contract(entry["schema"]), path)
        if fmt == "csv":
            import pandas as pd

            return pd.read_csv(path, dtype=str, keep_default_na=False)
        if fmt == "yaml":
            return read_yaml(path, name, within=paths.ROOT)
        if fmt == "folder":
            return path
        return path.read_text(encoding="utf-8")

    def write(self, name: str, data) -> Path:
        """Write a declared output atomically; a table is validated before anything is written."""
        from helpers.engine import storage

        entry, path = self._entry(name, "write"), self.output_path(name)
        fmt = entry["format"]
        if fmt == "parquet+csv":
            storage.write_table(data, contract(entry["schema"]), path)
            return path
        if fmt == "csv":
            return storage.write_text(path, data.to_csv(index=False, lineterminator="\n"))
        if fmt in ("folder", "pdf"):
            raise InputError(
                paths.PIPELINE, f"dataset {name!r} is a {fmt}: write under output_path"
            )
        return storage.write_text(path, data)


def open_catalogue(injected: dict | None = None) -> Catalogue:
    """The catalogue a notebook works with: the runner's (``injected``) or, run by hand with
    the default ``None``, the whole project's, every dataset read and written in place."""
    if injected is not None:
        return Catalogue(injected, in_stage=True)
    return Catalogue(for_stage(_project(), (), tuple(_project()), paths.ROOT), in_stage=False)


def path(name: str) -> Path:
    """Where a dataset of the project's catalogue lives (for helpers and tests)."""
    datasets = _project()
    if name not in datasets:
        raise unknown(name, datasets, paths.PIPELINE)
    return paths.ROOT / datasets[name].path


def _project() -> dict[str, Dataset]:
    return _load(paths.PIPELINE)


@cache
def _load(pipeline: Path) -> dict[str, Dataset]:
    return load(pipeline)
