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
place. Each entry is read into a :class:`Dataset` model (unknown fields refused, ``format``
one of :data:`FORMATS`). Nothing heavier than pydantic is imported at module level: the runner
reads this on every no-op.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from helpers import paths
from helpers.errors import InputError, clip
from helpers.models import Model, Text, parse
from helpers.yamlio import read_yaml

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


class Dataset(Model):
    """One dataset of the catalogue; ``path`` is relative to the project root, posix.

    ``contract`` (written ``schema:``) names a table contract in ``helpers.schemas.BY_NAME``:
    a parquet+csv dataset, and only one, has it.
    """

    path: Text
    format: Literal[tuple(FORMATS)]
    contract: Text | None = Field(None, alias="schema")
    description: str | None = None

    @field_validator("path")
    @classmethod
    def _inside(cls, rel: str) -> str:
        if rel.startswith("/"):
            raise ValueError("`path` must be a path relative to the project")
        if not inside_project(rel):
            raise ValueError(f"path {clip(rel)} leads outside the project")
        if paths.inside(paths.ROOT / rel, paths.ROOT) == paths.inside(paths.ROOT, paths.ROOT):
            raise ValueError(f"{clip(rel)} is the project itself, not a dataset")
        return rel

    @model_validator(mode="after")
    def _fits_format(self) -> Dataset:
        ends = FORMATS[self.format]
        if ends and not self.path.endswith(ends):
            raise ValueError(f"a {self.format} dataset's path ends in {' or '.join(ends)}")
        if (self.contract is not None) != (self.format == "parquet+csv"):
            raise ValueError("a parquet+csv dataset, and only one, names a schema")
        return self

    def files(self) -> tuple[str, ...]:
        """Every path the dataset occupies (what a stage writing it must produce)."""
        if self.format == "parquet+csv":
            return (self.path, str(Path(self.path).with_suffix(".csv").as_posix()))
        return (self.path,)


class Datasets(Model):
    """What this module reads of pipeline.yaml: the ``catalogue:`` mapping, name -> dataset.

    The runner's model of the whole file (:class:`helpers.pipeline.Declaration`) extends it.
    """

    catalogue: dict[Text, Dataset]

    @field_validator("catalogue", mode="before")
    @classmethod
    def _a_mapping(cls, value: object) -> object:
        if not isinstance(value, dict) or not value:
            raise ValueError(
                f"expected a `catalogue` mapping of dataset name -> path, format, got {clip(value)}"
            )
        return value


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


def load(path: Path | None = None) -> dict[str, Dataset]:
    """The project's catalogue, read from pipeline.yaml."""
    path = path or paths.PIPELINE
    spec = read_yaml(path, "pipeline declaration")
    catalogue = spec.get("catalogue") if isinstance(spec, dict) else None
    return parse(Datasets, {"catalogue": catalogue}, path, nouns=NOUNS).catalogue


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
                entry[name]["schema"] = d.contract
    return entry


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
            from helpers import schemas, storage

            return storage.read_table(schemas.BY_NAME[entry["schema"]], path)
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
        from helpers import storage

        entry, path = self._entry(name, "write"), self.output_path(name)
        fmt = entry["format"]
        if fmt == "parquet+csv":
            from helpers import schemas

            storage.write_table(data, schemas.BY_NAME[entry["schema"]], path)
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
