"""Notebook hygiene: committed without outputs, a generic kernel, a `parameters` cell of literals
that declares exactly the parameters pipeline.yaml gives (plus the injected catalogue), and no
data path: notebooks ask the catalogue for datasets by name."""

from __future__ import annotations

import ast
import json

import pytest

from helpers.engine import declared, paths

STAGES = [s for s in declared.load_pipeline(paths.PIPELINE).stages if s.notebook]


def _cells(stage):
    path = paths.ROOT / stage.notebook
    assert path.exists(), f"pipeline.yaml names {stage.notebook}, which does not exist"
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("stage", STAGES, ids=lambda s: s.name)
def test_notebook_is_clean_and_parameterised(stage):
    nb = _cells(stage)
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code), (
        f"{stage.notebook} is committed with outputs: strip them (nbstripout)"
    )
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    tagged = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, f"{stage.notebook} needs exactly one cell tagged `parameters`"
    tree = ast.parse("".join(tagged[0]["source"]))
    names = {}
    for node in tree.body:
        assert isinstance(node, ast.Assign | ast.AnnAssign), "the cell holds assignments only"
        target = node.target if isinstance(node, ast.AnnAssign) else node.targets[0]
        names[target.id] = ast.literal_eval(node.value)  # literals only
    assert set(names) == set(stage.parameters) | set(declared.INJECTED)
    assert names["catalogue"] is None, "default None: run by hand, the project's catalogue"
    for name, value in stage.parameters.items():
        assert type(value) is type(names[name]), f"{stage.name}.{name}: type differs"


@pytest.mark.parametrize("stage", STAGES, ids=lambda s: s.name)
def test_notebook_is_thin(stage):
    """Logic lives in src/helpers: no function or class definitions in a notebook."""
    nb = _cells(stage)
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            tree = ast.parse("".join(cell["source"]))
            defs = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.ClassDef)]
            assert not defs, f"{stage.notebook}: move {defs[0].name} into src/helpers"


@pytest.mark.parametrize("stage", STAGES, ids=lambda s: s.name)
def test_notebook_holds_no_data_path(stage):
    """Paths live in pipeline.yaml's catalogue; a notebook names datasets."""
    nb = _cells(stage)
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        for needle in ("data/", ".parquet", ".csv", "report/", "codebook/"):
            assert needle not in source, f"{stage.notebook}: {needle!r} in {source[:80]!r}"
