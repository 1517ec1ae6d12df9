"""The models of ``pipeline.yaml``: its catalogue of datasets and its stages, checked once.

Why a module of its own: pydantic costs a tenth of a second to import, and the runner reads
``pipeline.yaml`` on every run, the no-op included. So the runner imports this only when the
file (or this code) changed since the last check, and otherwise reads the checked declaration
back from ``build/declaration.json`` (:func:`helpers.engine.declared.load_pipeline`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, ValidationInfo, field_validator, model_validator

from helpers.engine import paths
from helpers.engine.catalogue import FORMATS, NOUNS, inside_project, outside, unknown
from helpers.engine.errors import clip
from helpers.engine.models import Model, Text, parse
from helpers.engine.yamlio import read_yaml


class Dataset(Model):
    """One dataset of the catalogue; ``path`` is relative to the project root, posix.

    ``contract`` (written ``schema:``) names a table contract in the ``BY_NAME`` of the
    declaration's ``contracts`` module: a parquet+csv dataset, and only one, has it.
    """

    path: Text
    format: Literal[tuple(FORMATS)]
    contract: Text | None = Field(None, alias="schema")
    description: str | None = None
    # a folder's files that make the dataset (a glob, "*.yaml"); the others, its documentation
    # say, change nothing a stage reads
    include: Text | None = None

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
        if self.include is not None and self.format != "folder":
            raise ValueError("only a folder dataset may name the files it `include`s")
        if self.include is not None and ".." in Path(self.include).parts:
            raise ValueError(f"`include` {clip(self.include)} must stay inside the folder")
        return self


class Datasets(Model):
    """What this module reads of pipeline.yaml: the ``catalogue:`` mapping, name -> dataset.

    The model of the whole file (:class:`Declaration`) extends it.
    """

    catalogue: dict[Text, Dataset]
    # the module whose ``BY_NAME`` holds the tables' contracts (the engine never imports it
    # itself: the project names it here)
    contracts: (
        Annotated[str, StringConstraints(pattern=r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")] | None
    ) = None

    @field_validator("catalogue", mode="before")
    @classmethod
    def _a_mapping(cls, value: object) -> object:
        if not isinstance(value, dict) or not value:
            raise ValueError(
                f"expected a `catalogue` mapping of dataset name -> path, format, got {clip(value)}"
            )
        return value

    @model_validator(mode="after")
    def _contracts_named(self) -> Datasets:
        if self.contracts is None and any(d.contract for d in self.catalogue.values()):
            raise ValueError("datasets name a `schema`: name the module of `contracts` too")
        return self


class StageDeclaration(Model):
    """One entry of ``stages:`` as written: a notebook or a render, and its datasets by name."""

    name: Text
    notebook: Text | None = None
    render: Text | None = None
    parameters: dict[str, Any] = {}
    inputs: list[Text] = []
    outputs: list[Text] = []

    @model_validator(mode="before")
    @classmethod
    def _as_written(cls, entry: object) -> object:
        """An empty ``parameters:``, ``inputs:`` or ``outputs:`` (YAML null) declares none."""
        if isinstance(entry, dict):
            empty = [k for k in ("parameters", "inputs", "outputs") if entry.get(k, 0) is None]
            entry = {k: v for k, v in entry.items() if k not in empty}
        return entry

    @field_validator("notebook", "render")
    @classmethod
    def _file_inside(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and not inside_project(value):
            raise ValueError(f"`{info.field_name}`: {outside(value)}")
        return value

    @field_validator("parameters")
    @classmethod
    def _parameters_inside(cls, parameters: dict[str, Any]) -> dict[str, Any]:
        for key, value in parameters.items():
            if isinstance(value, str) and value and not inside_project(value):
                raise ValueError(f"parameter `{key}`: {outside(value)}")
        return parameters

    @model_validator(mode="after")
    def _runs_something(self) -> StageDeclaration:
        if (self.notebook is None) == (self.render is None):
            raise ValueError("give exactly one of `notebook`, `render`")
        if not self.outputs:
            raise ValueError("declares no outputs")
        return self


class Declaration(Datasets):
    """pipeline.yaml: the catalogue, the kernel and timeout of notebook stages, the stages."""

    kernel: Text = "python3"
    timeout_seconds: Annotated[int, Field(gt=0)] = 900
    stages: list[StageDeclaration]

    @model_validator(mode="after")
    def _consistent(self) -> Declaration:
        """Stage names are unique; stages name declared datasets, each written by one stage."""
        seen, written = set(), {}
        for stage in self.stages:
            label = f"stage {clip(stage.name, 60)}"
            if stage.name in seen:
                raise ValueError(f"duplicate stage name {clip(stage.name, 60)}")
            seen.add(stage.name)
            for key in ("inputs", "outputs"):
                for name in getattr(stage, key):
                    if name not in self.catalogue:
                        problem = unknown(name, self.catalogue, "").problem
                        raise ValueError(f"{label}: `{key}`: {problem}")
            both = sorted(set(stage.inputs) & set(stage.outputs))
            if both:
                raise ValueError(f"{label}: reads its own output(s) {both}")
            for out in dict.fromkeys(stage.outputs):
                if out in written:
                    raise ValueError(f"{label}: {out!r} is written by {written[out]!r}")
                written[out] = stage.name
        return self


def catalogue(path: Path) -> dict:
    """The ``catalogue:`` of pipeline.yaml, checked, as plain records by name."""
    from helpers.engine.catalogue import Dataset as Record

    spec = read_yaml(path, "pipeline declaration")
    datasets = spec.get("catalogue") if isinstance(spec, dict) else None
    contracts = spec.get("contracts") if isinstance(spec, dict) else None
    checked = parse(Datasets, {"catalogue": datasets, "contracts": contracts}, path, nouns=NOUNS)
    return {
        name: Record(**d.model_dump(), contracts=checked.contracts if d.contract else None)
        for name, d in checked.catalogue.items()
    }


def declaration(path: Path) -> dict:
    """The whole of pipeline.yaml, checked, as plain data (what the runner caches)."""
    declared = parse(
        Declaration,
        read_yaml(path, "pipeline declaration"),
        path,
        nouns={**NOUNS, "stages": "stage"},
    )
    return declared.model_dump()
