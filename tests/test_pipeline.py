"""The runner on a tiny two-stage project: skipping by content, early cut-off, dry runs, and
bad parameters or failing notebooks that leave the previous outputs untouched."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import textwrap
from pathlib import Path

import nbformat
import pytest
import yaml

from helpers.engine import catalogue, declared, fingerprint, paths, pipeline, promotion, statcache
from helpers.engine.errors import InputError


def _notebook(path: Path, parameters: str, body: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    params = nbformat.v4.new_code_cell(textwrap.dedent(parameters))
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(textwrap.dedent(body))]
    nbformat.write(nb, path)


UPPER_PARAMETERS = 'catalogue = None\nsuffix = ".txt"\nrepeat = 1\nlabels: list[str] = []\n'


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project with stage `upper` (source -> upper.txt) and `count` (upper.txt -> count)."""
    for name in ("ROOT",):
        monkeypatch.setattr(paths, name, tmp_path)
    monkeypatch.setattr(paths, "BUILD", tmp_path / "build")
    monkeypatch.setattr(paths, "NOTEBOOKS", tmp_path / "notebooks")
    monkeypatch.setattr(paths, "PIPELINE", tmp_path / "pipeline.yaml")
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.txt").write_text("alpha\n")
    (tmp_path / "data" / "b.txt").write_text("beta\n")
    (tmp_path / "requirements.lock").write_text("pandas==0\n")
    _notebook(
        tmp_path / "notebooks" / "01_upper.ipynb",
        UPPER_PARAMETERS,
        """
        from helpers.engine.catalogue import open_catalogue
        cat = open_catalogue(catalogue)
        files = sorted(cat.path("texts").glob("*" + suffix))
        text = "".join(f.read_text().upper() for f in files if "SKIP" not in f.read_text())
        if "BOOM" in text:
            raise ValueError("a source says BOOM")
        cat.write("upper", text * repeat)
        """,
    )
    _notebook(
        tmp_path / "notebooks" / "02_count.ipynb",
        "catalogue = None\n",
        """
        from helpers.engine.catalogue import open_catalogue
        cat = open_catalogue(catalogue)
        cat.write("count", str(len(cat.read("upper").split())))
        """,
    )
    spec = {
        "kernel": "python3",
        "timeout_seconds": 120,
        "catalogue": {
            "texts": {"path": "data", "format": "folder"},
            "upper": {"path": "out/upper.txt", "format": "text"},
            "count": {"path": "out/count.txt", "format": "text"},
            "never": {"path": "out/never.txt", "format": "text"},
        },
        "stages": [
            {
                "name": "upper",
                "notebook": "notebooks/01_upper.ipynb",
                "parameters": {"suffix": ".txt", "repeat": 1},
                "inputs": ["texts"],
                "outputs": ["upper"],
            },
            {
                "name": "count",
                "notebook": "notebooks/02_count.ipynb",
                "inputs": ["upper"],
                "outputs": ["count"],
            },
        ],
    }
    (tmp_path / "pipeline.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return tmp_path


def _run(**kwargs) -> tuple[list[str], str]:
    out = io.StringIO()
    ran = pipeline.run(pipeline.load_pipeline(), out=out, **kwargs)
    return ran, out.getvalue()


def test_runs_then_skips_then_reruns_only_dependants(project):
    ran, log = _run()
    assert ran == ["upper", "count"]
    assert (project / "out" / "count.txt").read_text() == "2"
    assert (project / "build" / "notebooks" / "01_upper.ipynb").exists()  # executed copy kept
    assert "upper" in log and "ran" in log

    ran, log = _run()
    assert ran == [] and log.count("skipped") == 2

    # A change that leaves upper.txt identical (a file that is skipped) re-runs `upper` only:
    (project / "data" / "c.txt").write_text("SKIP me\n")
    ran, _ = _run()
    assert ran == ["upper"]
    record = json.loads((project / "build" / "state.json").read_text())
    assert record["upper"]["reasons"] == ["new: data/c.txt"]

    (project / "data" / "a.txt").write_text("alpha gamma\n")
    ran, _ = _run()
    assert ran == ["upper", "count"]
    assert (project / "out" / "count.txt").read_text() == "3"


def test_dry_run_says_what_would_run_and_why_without_running(project):
    _run()
    (project / "data" / "b.txt").write_text("beta changed\n")
    ran, log = _run(dry_run=True)
    assert ran == []
    assert "upper  would run: changed: data/b.txt" in log
    assert "count  may run: if an upstream stage (upper) writes new outputs" in log
    assert (project / "out" / "upper.txt").read_text() == "ALPHA\nBETA\n"


def test_parameter_change_and_hand_edited_output_trigger_a_rerun(project):
    _run()
    edited = pipeline.apply_overrides(pipeline.load_pipeline(), ["upper.repeat=2"])
    assert pipeline.run(edited, out=io.StringIO()) == ["upper", "count"]
    (project / "out" / "count.txt").write_text("99")
    ran, log = _run()  # back to repeat=1: both re-run; then a hand edit is noticed
    (project / "out" / "count.txt").write_text("99")
    ran, log = _run()
    assert ran == ["count"]
    assert (project / "out" / "count.txt").read_text() == "2"


@pytest.mark.parametrize(
    "override, message",
    [
        ("upper.colour=1", "unknown parameter 'colour' (--set upper.colour)"),
        ("upper.repeat=two", "parameter 'repeat' (--set upper.repeat) must be int like its"),
        ("upper.suffix=[3]", "parameter 'suffix' (--set upper.suffix) must be str"),
        (
            "upper.labels=[1, 2]",
            "parameter 'labels' (--set upper.labels) must be list[str] as annotated in "
            "notebooks/01_upper.ipynb, got list [1, 2]",
        ),
    ],
)
def test_bad_parameters_stop_before_any_cell_runs(project, override, message):
    bad = pipeline.apply_overrides(pipeline.load_pipeline(), [override])
    with pytest.raises(pipeline.StageFailed) as failure:
        pipeline.run(bad, out=io.StringIO())
    assert message in str(failure.value) and "\n" not in str(failure.value)
    assert not (project / "build" / "notebooks" / "01_upper.ipynb").exists()


def test_a_bad_parameter_in_the_declaration_blames_the_declaration(project):
    _declare(project, lambda spec: spec["stages"][0]["parameters"].update(labels=["a", 3]))
    with pytest.raises(pipeline.StageFailed, match=re.escape("'labels' (pipeline.yaml) must be")):
        _run()
    fixed = pipeline.apply_overrides(pipeline.load_pipeline(), ["upper.labels=[a, b]"])
    assert pipeline.run(fixed, out=io.StringIO()) == ["upper", "count"]


def test_an_unknown_kernel_is_one_line_naming_the_declaration(project, capsys):
    _declare(project, lambda spec: spec.update(kernel="no-such-kernel"))
    assert pipeline.main([]) == 1
    err = capsys.readouterr().err
    assert err.startswith(
        f"error: {project / 'pipeline.yaml'}: `kernel` 'no-such-kernel': no such Jupyter kernel "
        "(installed: "
    )
    assert "python3" in err and err.count("\n") == 1


@pytest.mark.parametrize("content", ["not a notebook\n", '{"cells": 3}\n', ""])
def test_a_notebook_that_is_not_a_notebook_is_one_line(project, capsys, content):
    (project / "notebooks" / "01_upper.ipynb").write_text(content)
    assert pipeline.main([]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {project / 'notebooks' / '01_upper.ipynb'}: not a Jupyter ")
    assert err.count("\n") == 1


def test_a_missing_notebook_is_one_line(project, capsys):
    (project / "notebooks" / "02_count.ipynb").unlink()
    assert pipeline.main([]) == 1
    err = capsys.readouterr().err
    assert err == (
        f"error: {project / 'pipeline.yaml'}: stage 'count': `notebook` "
        "'notebooks/02_count.ipynb': no such file\n"
    )


def test_ctrl_c_is_one_line_saying_what_completed(project, capsys, monkeypatch):
    real_run_stage = pipeline.run_stage

    def interrupted(stage, *args, **kwargs):
        if stage.name == "count":
            raise KeyboardInterrupt
        real_run_stage(stage, *args, **kwargs)

    monkeypatch.setattr(pipeline, "run_stage", interrupted)
    assert pipeline.main([]) == 130
    err = capsys.readouterr().err
    assert err == (
        "error: interrupted (Ctrl-C) while stage count ran [stages completed in this run: "
        "upper; count and later stages keep their previous outputs]\n"
    )
    monkeypatch.setattr(pipeline, "load_pipeline", lambda: (_ for _ in ()).throw(KeyboardInterrupt))
    assert pipeline.main([]) == 130
    assert capsys.readouterr().err == "error: interrupted (Ctrl-C)\n"


def test_malformed_override_is_rejected():
    with pytest.raises(InputError, match="malformed parameter"):
        pipeline.apply_overrides(declared.Pipeline((), "python3", 1), ["repeat"])


def test_failing_notebook_leaves_previous_outputs_untouched(project):
    _run()
    before = (project / "out" / "upper.txt").read_bytes()
    (project / "data" / "b.txt").write_text("BOOM\n")
    with pytest.raises(pipeline.StageFailed) as failure:
        _run()
    message = str(failure.value)
    assert "stage upper failed: ValueError: a source says BOOM" in message
    assert "build/notebooks/01_upper.ipynb" in message and "\n" not in message
    assert (project / "out" / "upper.txt").read_bytes() == before
    executed = (project / "build" / "notebooks" / "01_upper.ipynb").read_text()
    assert "Traceback" in executed or "ValueError" in executed


def test_a_stage_that_does_not_write_its_outputs_fails(project):
    spec = yaml.safe_load((project / "pipeline.yaml").read_text())
    spec["stages"][0]["outputs"].append("never")
    (project / "pipeline.yaml").write_text(yaml.safe_dump(spec))
    with pytest.raises(pipeline.StageFailed, match="did not write out/never.txt"):
        _run()
    assert not (project / "out" / "upper.txt").exists()


CATALOGUE = "catalogue:\n  x: {path: x.md, format: md}\n  y: {path: y.md, format: md}\n"


@pytest.mark.parametrize(
    "text, message",
    [
        ("stages: [", "malformed YAML"),
        (CATALOGUE + "stages:\n  - name: a\n    outputs: [x]\n", "exactly one of `notebook`"),
        (
            CATALOGUE + "stages:\n  - {name: a, notebook: n, outputs: [x]}\n"
            "  - {name: a, notebook: n, outputs: [y]}\n",
            "duplicate stage name 'a'",
        ),
        (CATALOGUE + "stages:\n  - {name: a, notebook: n, outputs: [x], colour: red}\n", "unknown"),
        (
            "stages:\n  - {name: a, notebook: n, outputs: [x]}\n",
            "missing required field(s): catalogue",
        ),
        (
            CATALOGUE + "stages:\n  - {name: a, notebook: n, outputs: [z]}\n",
            "stage 'a': `outputs`: unknown dataset 'z'; the catalogue declares ['x', 'y']",
        ),
        (
            CATALOGUE + "stages:\n  - {name: a, notebook: n, inputs: [x], outputs: [x]}\n",
            "reads its own output(s) ['x']",
        ),
        (
            CATALOGUE + "stages:\n  - {name: a, notebook: n, outputs: [x]}\n"
            "  - {name: b, notebook: n, outputs: [x, y]}\n",
            "stage 'b': 'x' is written by 'a'",
        ),
        (
            "catalogue:\n  x: {path: x.md, format: md, colour: red}\nstages: []\n",
            "dataset 'x': unknown field(s): 'colour' "
            "(allowed: path, format, schema, description, include)",
        ),
        (
            "catalogue:\n  x: {path: x.md, format: csv}\nstages: []\n",
            "dataset 'x': a csv dataset's path ends in .csv",
        ),
        (
            "catalogue:\n  x: {path: x.parquet, format: parquet+csv}\nstages: []\n",
            "a parquet+csv dataset, and only one, names a schema",
        ),
        ("catalogue:\n  x: {path: ., format: folder}\nstages: []\n", "the project itself"),
    ],
)
def test_bad_pipeline_declarations_name_the_file(project, text, message):
    (project / "pipeline.yaml").write_text(text)
    with pytest.raises(InputError, match=re.escape(message)) as failure:
        pipeline.load_pipeline()
    assert str(project / "pipeline.yaml") in str(failure.value)


@pytest.mark.parametrize(
    "text, message",
    [
        (CATALOGUE + "stages:\n  - {notebook: n, outputs: [x]}\n", "stage #1: missing required"),
        (
            CATALOGUE + "stages:\n  - {name: a, notebook: n, outputs: [x, 3]}\n",
            "stage 'a': outputs entry #2: the value must be text, got 3",
        ),
        (
            CATALOGUE + "stages:\n  - {name: a, notebook: ../n.ipynb, outputs: [x]}\n",
            "stage 'a': `notebook`: path '../n.ipynb' leads outside the project",
        ),
        (
            CATALOGUE
            + "stages:\n  - {name: a, notebook: n, outputs: [x], parameters: {p: /etc}}\n",
            "stage 'a': parameter `p`: path '/etc' leads outside the project",
        ),
        (
            CATALOGUE + "stages:\n  - {name: a, notebook: n, outputs: [x], parameters: [p]}\n",
            "stage 'a': field `parameters` must be a mapping",
        ),
        (CATALOGUE + "stages:\n  - {name: a, notebook: n, outputs: }\n", "declares no outputs"),
        (CATALOGUE + "timeout_seconds: 0\nstages: []\n", "`timeout_seconds` must be greater"),
        (CATALOGUE + "timeout_seconds: ten\nstages: []\n", "must be a whole number, got 'ten'"),
        (CATALOGUE + "kernel: 3\nstages: []\n", "field `kernel` must be text, got 3"),
        (CATALOGUE + "colour: red\nstages: []\n", "unknown field(s): 'colour' (allowed: catalogue"),
        ("catalogue: {}\nstages: []\n", "expected a `catalogue` mapping"),
        ("catalogue:\n  x: {path: x.md, format: word}\nstages: []\n", "unknown format 'word'"),
        ("catalogue:\n  x: {path: /x.md, format: md}\nstages: []\n", "relative to the project"),
        ("catalogue:\n  x: 5\nstages: []\n", "dataset 'x': the value must be a mapping"),
    ],
)
def test_what_the_declared_models_newly_refuse(project, text, message):
    (project / "pipeline.yaml").write_text(text)
    with pytest.raises(InputError, match=re.escape(message)) as failure:
        pipeline.load_pipeline()
    assert str(failure.value).startswith(str(project / "pipeline.yaml") + ": ")
    assert "\n" not in str(failure.value)


def test_empty_optional_fields_of_the_declaration_are_accepted(project):
    (project / "pipeline.yaml").write_text(
        "catalogue:\n  x: {path: x.md, format: md, description: }\n"
        "stages:\n  - {name: a, render: x.qmd, parameters: , inputs: , outputs: [x, x]}\n"
    )
    (project / "x.qmd").write_text("# x\n")
    declared = pipeline.load_pipeline()
    (stage,) = declared.stages
    assert (stage.parameters, stage.reads, stage.writes, stage.outputs) == (
        {},
        (),
        ("x",),
        ("x.md",),
    )
    assert (declared.kernel, declared.timeout_seconds) == ("python3", 900)
    assert catalogue.load(project / "pipeline.yaml")["x"].description is None


def test_code_dependencies_follow_helper_imports_transitively():
    stage = declared.Stage(name="x", notebook="notebooks/02_code.ipynb", inputs=(), outputs=("y",))
    files = fingerprint.code_files(stage)
    assert "src/helpers/coding/rules.py" in files
    assert "src/helpers/engine/storage.py" in files
    assert "src/helpers/engine/render.py" not in files


def test_the_real_pipeline_declaration_is_consistent():
    declared = pipeline.load_pipeline(paths.PIPELINE)
    produced: set[str] = set()
    for stage in declared.stages:
        if stage.notebook:
            assert (paths.ROOT / stage.notebook).exists(), stage.notebook
        for rel in stage.inputs:
            from_earlier = any(
                rel == out or rel.startswith(out + "/") or out.startswith(rel + "/")
                for out in produced
            )
            present = (paths.ROOT / rel).exists() or any(paths.ROOT.glob(rel))  # or a pattern
            assert from_earlier or present, f"{stage.name}: input {rel}"
        produced |= set(stage.outputs)


# -- hostile or unlucky runs -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "override, message",
    [
        ("upper.suffix=/etc", "leads outside the project"),
        ("upper.suffix=../../etc", "leads outside the project"),
        ("upper.suffix=link/passwd", "leads outside the project"),
        ("upper.catalogue=elsewhere", "`catalogue` is set by the runner"),
        ("upper.suffix=[unclosed", "malformed YAML"),
        ("upper.suffix=&a [*a]", "anchors and aliases"),
    ],
)
def test_overrides_stay_inside_the_project_and_fail_in_one_line(project, override, message):
    (project / "link").symlink_to("/etc")
    with pytest.raises(InputError, match=re.escape(message)) as failure:
        pipeline.apply_overrides(pipeline.load_pipeline(), [override])
    assert "\n" not in str(failure.value) and str(failure.value).startswith("command line")
    assert pipeline.main(["--set", override, "--dry-run"]) == 1  # one line, no traceback


def test_declared_paths_must_stay_inside_the_project(project):
    spec = yaml.safe_load((project / "pipeline.yaml").read_text())
    spec["catalogue"]["upper"]["path"] = "../outside.txt"
    (project / "pipeline.yaml").write_text(yaml.safe_dump(spec))
    with pytest.raises(InputError, match="leads outside the project"):
        pipeline.load_pipeline()


@pytest.fixture
def staged(project):
    """Stage `s` with two files and a folder, each with a previous and a staged new version."""
    outputs = ("out/a.txt", "out/b.txt", "gen")
    staging = project / "build" / "staging" / "s"
    for root, version in ((project, "old"), (staging, "new")):
        (root / "out").mkdir(parents=True, exist_ok=True)
        (root / "out" / "a.txt").write_text(version)
        (root / "out" / "b.txt").write_text(version)
        (root / "gen").mkdir()
        (root / "gen" / "c.txt").write_text(version)
    return declared.Stage(name="s", inputs=(), outputs=outputs, notebook="n"), staging


def _versions(project) -> list[str]:
    return [(project / rel).read_text() for rel in ("out/a.txt", "out/b.txt", "gen/c.txt")]


@pytest.mark.parametrize("failing", ["out/b.txt", "gen"])
def test_a_failed_promotion_restores_every_previous_output(project, staged, monkeypatch, failing):
    stage, staging = staged
    real_replace = os.replace

    def replace(src, dst):
        if Path(src) == staging / failing:
            raise PermissionError(1, "Operation not permitted", str(project / failing))
        return real_replace(src, dst)

    monkeypatch.setattr(promotion.os, "replace", replace)
    with pytest.raises(pipeline.StageFailed) as failure:
        promotion.promote(stage, staging)
    message = str(failure.value)
    assert f"could not move {failing} into place" in message and "restored" in message
    assert "\n" not in message
    assert _versions(project) == ["old", "old", "old"]


def test_a_promotion_replaces_all_outputs_together(project, staged):
    stage, staging = staged
    promotion.promote(stage, staging)
    assert _versions(project) == ["new", "new", "new"]


KILL_INSIDE_PROMOTION = """
import os, sys
from pathlib import Path
from helpers.engine import declared, paths, promotion

root = Path(sys.argv[1])
paths.ROOT, paths.BUILD = root, root / "build"
real_replace = os.replace

def replace(src, dst):
    if Path(src) == root / "build" / "staging" / "s" / "gen":
        os._exit(137)  # killed: no handler, no finally
    real_replace(src, dst)

os.replace = replace
stage = declared.Stage(name="s", inputs=(), outputs=("out/a.txt", "out/b.txt", "gen"))
promotion.promote(stage, root / "build" / "staging" / "s")
"""


def test_a_kill_inside_promotion_is_undone_before_anything_else(project, staged):
    import subprocess
    import sys

    stage, staging = staged
    killed = subprocess.run(
        [sys.executable, "-c", KILL_INSIDE_PROMOTION, str(project)], capture_output=True
    )
    assert killed.returncode == 137, killed.stderr
    assert (project / "out" / "a.txt").read_text() == "new"  # mixed: a and b new, gen aside
    assert not (project / "gen").exists()
    assert (staging / "_replaced" / "gen" / "c.txt").read_text() == "old"  # kept, not lost
    assert promotion.recover(stage.outputs) == ["s"]
    assert _versions(project) == ["old", "old", "old"]
    assert not staging.exists()
    assert promotion.recover(stage.outputs) == []


def test_an_interrupt_inside_promotion_puts_the_previous_outputs_back(project, staged, monkeypatch):
    stage, staging = staged
    real_replace = os.replace

    def replace(src, dst):
        if Path(src) == staging / "gen":
            raise KeyboardInterrupt
        return real_replace(src, dst)

    monkeypatch.setattr(promotion.os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        promotion.promote(stage, staging)
    assert _versions(project) == ["old", "old", "old"]
    assert not (staging / promotion.JOURNAL).exists()


def test_a_run_first_restores_what_a_killed_promotion_replaced(project):
    _run()
    staging = project / "build" / "staging" / "upper"
    (staging / "_replaced" / "out").mkdir(parents=True)
    (staging / promotion.JOURNAL).write_text('{"stage": "upper", "outputs": ["out/upper.txt"]}')
    (project / "out" / "upper.txt").rename(staging / "_replaced" / "out" / "upper.txt")
    (project / "out" / "upper.txt").write_text("HALF OF A KILLED RUN\n")
    ran, log = _run()
    assert "upper  previous outputs restored" in log
    assert ran == []  # what is in place is the last successful run's again
    assert (project / "out" / "upper.txt").read_text() == "ALPHA\nBETA\n"
    assert not staging.exists()


def test_a_journal_naming_an_undeclared_path_is_refused(project):
    (project / "keep.txt").write_text("precious\n")
    staging = project / "build" / "staging" / "upper"
    staging.mkdir(parents=True)
    (staging / promotion.JOURNAL).write_text('{"stage": "upper", "outputs": ["keep.txt"]}')
    with pytest.raises(pipeline.StageFailed, match="journal of an interrupted promotion"):
        _run()
    assert (project / "keep.txt").read_text() == "precious\n"


def _declare(project: Path, edit) -> None:
    spec = yaml.safe_load((project / "pipeline.yaml").read_text())
    edit(spec)
    (project / "pipeline.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        (
            "data/count.txt",
            "'count' (written by stage 'count') at 'data/count.txt' lies inside "
            "dataset 'texts' ('data')",
        ),
        (
            "out/upper.txt",
            "'upper' (written by stage 'upper') at 'out/upper.txt' is also dataset "
            "'count' ('out/upper.txt')",
        ),
        (
            "src/count.txt",
            "'count' (written by stage 'count') at 'src/count.txt' lies inside the "
            "project's own 'src'",
        ),
        ("pipeline.yaml.txt", None),  # beside the declaration: fine
    ],
)
def test_an_output_may_not_overlap_another_dataset(project, path, problem):
    _declare(project, lambda spec: spec["catalogue"]["count"].update(path=path))
    if problem is None:
        assert pipeline.load_pipeline().stages[1].outputs == (path,)
        return
    with pytest.raises(InputError) as failure:
        pipeline.load_pipeline()
    message = str(failure.value)
    assert message.startswith(f"{project / 'pipeline.yaml'}: dataset {problem}: an output must")
    assert "\n" not in message


def test_an_output_declared_over_hand_edited_files_deletes_nothing(project, capsys):
    """A folder output over the researchers' annotations would replace them all."""
    notes = project / "annotations"
    notes.mkdir()
    (notes / "corrections.yaml").write_text("corrections: []\n")

    def edit(spec):
        spec["catalogue"]["corrections"] = {
            "path": "annotations/corrections.yaml",
            "format": "yaml",
        }
        spec["catalogue"]["count"] = {"path": "annotations", "format": "folder"}
        spec["stages"][0]["inputs"].append("corrections")

    _declare(project, edit)
    assert pipeline.main([]) == 1
    err = capsys.readouterr().err
    assert (
        "dataset 'count' (written by stage 'count') at 'annotations' holds dataset "
        "'corrections' ('annotations/corrections.yaml')"
    ) in err
    assert err.count("\n") == 1
    assert (notes / "corrections.yaml").read_text() == "corrections: []\n"


def test_inputs_may_overlap_each_other(project):
    """A folder input and a file in it (the codebook and its framing file) read the same
    files; neither is written, so neither can overwrite the other."""
    _declare(
        project,
        lambda spec: (
            spec["catalogue"].update(first={"path": "data/a.txt", "format": "text"})
            or spec["stages"][0]["inputs"].append("first")
        ),
    )
    assert _run()[0] == ["upper", "count"]


def test_an_include_that_matches_nothing_is_refused(project):
    _declare(project, lambda spec: spec["catalogue"]["texts"].update(include="*.yml"))
    with pytest.raises(InputError, match=r"dataset 'texts': `include` '\*\.yml' matches no file"):
        pipeline.load_pipeline()
    _declare(project, lambda spec: spec["catalogue"]["texts"].update(include="*.txt"))
    pipeline.load_pipeline()
    for name in ("a.txt", "b.txt"):  # checked every run, not only when the file changed
        (project / "data" / name).unlink()
    with pytest.raises(InputError, match="matches no file in 'data'"):
        pipeline.load_pipeline()


def test_a_render_naming_a_missing_file_is_refused(project):
    def edit(spec):
        spec["catalogue"]["page"] = {"path": "out/page.html", "format": "html"}
        spec["stages"].append({"name": "page", "render": "report/nowhere.qmd", "outputs": ["page"]})

    _declare(project, edit)
    with pytest.raises(InputError) as failure:
        pipeline.load_pipeline()
    assert str(failure.value) == (
        f"{project / 'pipeline.yaml'}: stage 'page': `render` 'report/nowhere.qmd': no such file"
    )


def test_an_input_edited_while_its_stage_runs_runs_it_again_next_time(project, monkeypatch):
    real_run_stage = pipeline.run_stage

    def edited_meanwhile(stage, *args, **kwargs):
        real_run_stage(stage, *args, **kwargs)
        if stage.name == "upper":  # the stage has read its inputs; a researcher saves a file
            (project / "data" / "a.txt").write_text("alpha gamma\n")

    monkeypatch.setattr(pipeline, "run_stage", edited_meanwhile)
    assert _run()[0] == ["upper", "count"]
    assert (project / "out" / "upper.txt").read_text() == "ALPHA\nBETA\n"  # read before
    monkeypatch.setattr(pipeline, "run_stage", real_run_stage)
    ran, log = _run()
    assert ran == ["upper", "count"] and "(changed: data/a.txt)" in log
    assert (project / "out" / "upper.txt").read_text() == "ALPHA GAMMA\nBETA\n"


def test_a_file_deleted_from_a_folder_output_runs_its_stage_again(project):
    _notebook(
        project / "notebooks" / "03_pages.ipynb",
        "catalogue = None\n",
        """
        from helpers.engine.catalogue import open_catalogue
        cat = open_catalogue(catalogue)
        pages = cat.output_path("pages")
        pages.mkdir(parents=True)
        for i, word in enumerate(cat.read("upper").split()):
            (pages / f"{i}.txt").write_text(word)
        """,
    )

    def edit(spec):
        spec["catalogue"]["pages"] = {"path": "out/pages", "format": "folder"}
        spec["stages"].append(
            {
                "name": "pages",
                "notebook": "notebooks/03_pages.ipynb",
                "inputs": ["upper"],
                "outputs": ["pages"],
            }
        )

    _declare(project, edit)
    assert _run()[0] == ["upper", "count", "pages"]
    (project / "out" / "pages" / "1.txt").unlink()
    ran, log = _run()
    assert ran == ["pages"] and "(output missing: out/pages/1.txt)" in log
    assert (project / "out" / "pages" / "1.txt").read_text() == "BETA"


def test_a_second_run_in_the_same_folder_stops_with_one_line(project):
    import fcntl

    (project / "build").mkdir()
    with open(project / "build" / ".lock", "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held.write("4242")
        held.flush()
        with pytest.raises(pipeline.StageFailed, match="another run is building") as failure:
            _run()
        assert "process 4242" in str(failure.value) and "\n" not in str(failure.value)
    assert not (project / "out").exists()  # nothing ran
    assert _run()[0] == ["upper", "count"]  # the lock is released with its holder


def test_a_failure_says_which_stages_completed(project):
    _run()
    (project / "data" / "a.txt").write_text("alpha gamma\n")
    (project / "notebooks" / "02_count.ipynb").unlink()
    _notebook(
        project / "notebooks" / "02_count.ipynb",
        "catalogue = None\n",
        "raise RuntimeError('count broke')",
    )
    with pytest.raises(pipeline.StageFailed) as failure:
        _run()
    message = str(failure.value)
    assert "stages completed in this run: upper" in message
    assert "count and later stages keep their previous outputs" in message
    assert (project / "out" / "upper.txt").read_text() == "ALPHA GAMMA\nBETA\n"  # new
    assert (project / "out" / "count.txt").read_text() == "2"  # as before the run


def test_a_notebook_error_prints_its_first_line_and_the_failing_cell(project):
    """Issue 11: a pandera SchemaError ends with a data dump; its cause is the first line."""
    (project / "notebooks" / "01_upper.ipynb").unlink()
    _notebook(
        project / "notebooks" / "01_upper.ipynb",
        UPPER_PARAMETERS,
        """
        # check the table
        rows = ["a", "a"]
        raise ValueError("column 'row_id' not unique:\\n0    a\\n1    a\\nName: row_id, dtype: str")
        """,
    )
    with pytest.raises(pipeline.StageFailed) as failure:
        _run()
    message = str(failure.value)
    assert "\n" not in message
    assert "stage upper failed: ValueError: column 'row_id' not unique:" in message
    assert "Name: row_id" not in message
    assert '`rows = ["a", "a"]`' in message and "In [" in message


def test_a_symlink_in_an_input_folder_leading_outside_stops_the_run(project, tmp_path_factory):
    secret = tmp_path_factory.mktemp("elsewhere") / "secret.txt"
    secret.write_text("SECRET\n")
    (project / "data" / "s.txt").symlink_to(secret)
    with pytest.raises(pipeline.StageFailed, match="leads outside") as failure:
        _run()
    assert "data/s.txt" in str(failure.value) and "\n" not in str(failure.value)
    assert not (project / "out").exists()


def test_an_os_error_outside_a_stage_is_one_line(project, capsys):
    (project / "build").write_text("a file where the build folder should be\n")
    assert pipeline.main([]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "build" in err[0], err


# -- the data catalogue (issue 13) ----------------------------------------------------------------


@pytest.mark.parametrize(
    "body, side",
    [
        ('cat.write("upper", "X")', "outputs"),  # another stage's output
        ('cat.read("never")', "inputs"),  # a dataset it did not declare reading
    ],
)
def test_a_stage_that_touches_a_dataset_it_did_not_declare_fails(project, body, side):
    _run()
    (project / "notebooks" / "02_count.ipynb").unlink()
    _notebook(
        project / "notebooks" / "02_count.ipynb",
        "catalogue = None\n",
        "from helpers.engine.catalogue import open_catalogue\n"
        f"cat = open_catalogue(catalogue)\n{body}\n",
    )
    with pytest.raises(pipeline.StageFailed) as failure:
        _run()
    message = str(failure.value)
    assert "stage count failed: InputError" in message and "\n" not in message
    assert f"does not declare dataset {body.split(chr(34))[1]!r} among its {side}" in message
    assert (project / "out" / "upper.txt").read_text() == "ALPHA\nBETA\n"  # untouched


def test_an_unknown_dataset_name_is_one_line_naming_pipeline_yaml(project):
    from helpers.engine.catalogue import open_catalogue

    cat = open_catalogue()  # as a notebook run by hand: the project's catalogue, in place
    assert cat.path("texts") == project / "data"
    with pytest.raises(InputError) as failure:
        cat.read("sentense")
    message = str(failure.value)
    assert message.startswith(f"{project / 'pipeline.yaml'}: unknown dataset 'sentense'")
    assert "'texts'" in message and "\n" not in message


def test_a_notebook_run_by_hand_reads_and_writes_in_place(project):
    from helpers.engine.catalogue import open_catalogue

    cat = open_catalogue()
    cat.write("upper", "ONE TWO\n")
    assert (project / "out" / "upper.txt").read_text() == "ONE TWO\n"
    assert cat.read("upper") == "ONE TWO\n"


def test_stages_run_with_only_their_datasets_injected(project):
    declared = pipeline.load_pipeline()
    count = declared.stages[1]
    assert (count.reads, count.writes) == (("upper",), ("count",))
    assert (count.inputs, count.outputs) == (("out/upper.txt",), ("out/count.txt",))
    staging = project / "build" / "staging" / "count"
    injected = catalogue.for_stage(declared.catalogue, count.reads, count.writes, staging)
    assert injected == {
        "upper": {"path": str(project / "out/upper.txt"), "format": "text", "mode": "read"},
        "count": {"path": str(staging / "out/count.txt"), "format": "text", "mode": "write"},
    }


def test_the_real_catalogue_covers_every_table_contract_once():
    from helpers import schemas

    datasets = pipeline.load_pipeline(paths.PIPELINE).catalogue
    tables = {d.contract: d for d in datasets.values() if d.format == "parquet+csv"}
    assert set(tables) == set(schemas.BY_NAME)
    for name, dataset in tables.items():
        assert dataset.path == f"data/processed/{name}.parquet"
        assert dataset.files()[1] == f"data/processed/{name}.csv"


def test_no_stage_reads_what_it_writes_in_the_real_pipeline():
    """The charts stage once listed all of data/processed, its own data dictionary included."""
    for stage in pipeline.load_pipeline(paths.PIPELINE).stages:
        for rel in stage.inputs:
            assert not any(
                rel == out or rel.startswith(out + "/") or out.startswith(rel + "/")
                for out in stage.outputs
            ), f"{stage.name} reads {rel}, which it writes"


# -- the run's shared kernel and the stat cache ----------------------------------------------------
def _two_stages(project: Path, first: str, second: str) -> None:
    """Replace the bodies of the project's two notebooks (their parameters kept)."""
    for name, params, body in (
        ("01_upper", UPPER_PARAMETERS, first),
        ("02_count", "catalogue = None\n", second),
    ):
        (project / "notebooks" / f"{name}.ipynb").unlink()
        _notebook(project / "notebooks" / f"{name}.ipynb", params, body)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_stages_share_one_kernel_but_not_its_namespace_nor_helpers_state(project):
    _two_stages(
        project,
        """
        import os
        import helpers.engine.errors
        from helpers.engine.catalogue import open_catalogue
        leaked = "from the first stage"
        helpers.engine.errors.LEAKED = True  # module-level state a stage could leave behind
        open_catalogue(catalogue).write("upper", str(os.getpid()))
        """,
        """
        import os
        import helpers.engine.errors
        from helpers.engine.catalogue import open_catalogue
        seen = sorted(n for n in ("leaked", "open_catalogue") if n in globals())
        state = hasattr(helpers.engine.errors, "LEAKED")
        cat = open_catalogue(catalogue)
        cat.write("count", f"{os.getpid()}|{seen}|{state}|{os.getcwd()}")
        """,
    )
    ran, _ = _run()
    assert ran == ["upper", "count"]
    first_pid = int((project / "out" / "upper.txt").read_text())
    pid, seen, state, cwd = (project / "out" / "count.txt").read_text().split("|")
    assert int(pid) == first_pid  # one kernel for the run ...
    assert (seen, state) == ("['open_catalogue']", "False")  # ... each stage finds it as new
    assert Path(cwd) == project / "notebooks"
    executed = json.loads((project / "build" / "notebooks" / "02_count.ipynb").read_text())
    counts = [c["execution_count"] for c in executed["cells"] if c["cell_type"] == "code"]
    assert counts == list(range(1, len(counts) + 1))  # numbered as in a kernel of its own
    assert not _alive(first_pid)  # the run shut its kernel down

    ran, _ = _run(force={"upper"})
    assert int((project / "out" / "upper.txt").read_text()) != first_pid  # a new run, a new one


def test_a_stage_that_kills_the_kernel_fails_in_one_line_and_the_next_run_starts_afresh(project):
    _run()
    before = (project / "out" / "upper.txt").read_bytes()
    (project / "notebooks" / "01_upper.ipynb").rename(project / "upper.ipynb.good")
    _notebook(
        project / "notebooks" / "01_upper.ipynb",
        UPPER_PARAMETERS,
        "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)",
    )
    with pytest.raises(pipeline.StageFailed) as failure:
        _run()
    message = str(failure.value)
    assert message.startswith("stage upper failed: DeadKernelError") and "\n" not in message
    assert "no stage completed in this run" in message
    assert (project / "out" / "upper.txt").read_bytes() == before

    (project / "notebooks" / "01_upper.ipynb").unlink()
    (project / "upper.ipynb.good").rename(project / "notebooks" / "01_upper.ipynb")
    (project / "data" / "a.txt").write_text("alpha gamma\n")
    ran, _ = _run()
    assert ran == ["upper", "count"]
    assert (project / "out" / "count.txt").read_text() == "3"


def test_a_no_op_run_reads_no_unchanged_file_yet_content_decides(project, monkeypatch):
    monkeypatch.setattr(statcache.StatCache, "RACY_NS", 0)  # files here are seconds old at most
    _run()
    cache = json.loads((project / "build" / "stat-cache.json").read_text())
    assert "data/a.txt" in cache["files"] and "notebooks/01_upper.ipynb" in cache["files"]

    read: list[str] = []
    real_read_bytes = Path.read_bytes

    def spy(self):
        read.append(self.name)
        return real_read_bytes(self)

    declared = pipeline.load_pipeline()
    monkeypatch.setattr(Path, "read_bytes", spy)
    assert pipeline.run(declared, out=io.StringIO()) == []
    assert read == []  # nothing re-read, nothing re-parsed

    os.utime(project / "data" / "a.txt")  # touched, same content: read again, still unchanged
    assert pipeline.run(declared, out=io.StringIO()) == []
    assert read == ["a.txt"]

    # New content of the same size with the old mtime put back: the ctime still tells.
    b = project / "data" / "b.txt"
    stat = b.stat()
    b.write_text("bexa\n")
    os.utime(b, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    ran, _ = _run()
    assert ran == ["upper", "count"]
    assert (project / "out" / "upper.txt").read_text() == "ALPHA\nBEXA\n"


def test_a_file_changed_just_before_it_was_hashed_is_not_cached(project, monkeypatch):
    """The cache's clock stands a second after the project's newest write whenever it is read,
    so every file was changed within the racy window, however long the run takes."""

    def just_after_the_last_write() -> int:
        files = [p for p in project.rglob("*") if p.is_file()]
        return max(max(p.stat().st_mtime_ns, p.stat().st_ctime_ns) for p in files) + 10**9

    monkeypatch.setattr(statcache.STAT_CACHE, "clock", just_after_the_last_write)
    _run()
    cache = json.loads((project / "build" / "stat-cache.json").read_text())
    assert "data/a.txt" not in cache["files"] and "out/upper.txt" not in cache["files"]


def test_an_unreadable_stat_cache_is_ignored(project):
    _run()
    (project / "build" / "stat-cache.json").write_text("{not json")
    (project / "data" / "a.txt").write_text("alpha gamma\n")
    ran, _ = _run()
    assert ran == ["upper", "count"]


def test_a_number_typed_for_a_text_parameter_stays_text():
    """`--set compare.period=2025` means the period "2025", as the notebook's text default."""
    real = pipeline.load_pipeline(paths.ROOT / "pipeline.yaml")
    edited = pipeline.apply_overrides(real, ["compare.period=2025"])
    (compare,) = [s for s in edited.stages if s.name == "compare"]
    assert compare.parameters["period"] == "2025"
    edited = pipeline.apply_overrides(real, ["compare.sources=[a-1, b-2]"])
    (compare,) = [s for s in edited.stages if s.name == "compare"]
    assert compare.parameters["sources"] == ["a-1", "b-2"]


def test_the_executed_notebook_is_written_when_a_stage_starts_and_ends_not_per_cell(
    project, monkeypatch
):
    """A write validates and serialises the whole notebook; per cell it cost the charts stage
    a third of a second. The notebook still ends complete, and a failed one with its error."""
    import papermill.engines

    written: list[str] = []
    real = papermill.engines.write_ipynb

    def counting(nb, path):
        written.append(Path(path).name)
        return real(nb, path)

    monkeypatch.setattr(papermill.engines, "write_ipynb", counting)
    _run()
    assert written == ["01_upper.ipynb"] * 2 + ["02_count.ipynb"] * 2  # start and end
    executed = nbformat.read(project / "build" / "notebooks" / "01_upper.ipynb", as_version=4)
    code = [c for c in executed.cells if c.cell_type == "code"]
    assert [c.metadata.papermill.status for c in code] == ["completed"] * len(code)

    (project / "data" / "a.txt").write_text("BOOM\n")
    with pytest.raises(pipeline.StageFailed):
        _run()
    executed = nbformat.read(project / "build" / "notebooks" / "01_upper.ipynb", as_version=4)
    errors = [o for c in executed.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert any(o.get("ename") == "ValueError" for o in errors)


def test_a_failed_svg_worker_fails_the_stage_in_one_line_and_promotes_nothing(project):
    _run()
    before = (project / "out" / "upper.txt").read_bytes()
    (project / "notebooks" / "01_upper.ipynb").unlink()
    _notebook(
        project / "notebooks" / "01_upper.ipynb",
        UPPER_PARAMETERS,
        """
        from helpers.figures import svg as chart_svg
        from helpers.engine.catalogue import open_catalogue
        from helpers.figures.export import VL_VERSION
        from helpers.figures.theme import cjk_font_dir
        good = {"data": {"values": [{"a": 1}]}, "mark": "point",
                "encoding": {"x": {"field": "a", "type": "quantitative"}}}
        bad = {"data": {"values": []}, "mark": "no-such-mark"}
        svgs = chart_svg.to_svg({"good": good, "bad": bad}, vl_version=VL_VERSION,
                                font_dir=cjk_font_dir())
        open_catalogue(catalogue).write("upper", svgs["good"])
        """,
    )
    with pytest.raises(pipeline.StageFailed) as failure:
        _run()
    message = str(failure.value)
    assert "\n" not in message
    assert message.startswith("stage upper failed: ExportError: figure 'bad': SVG export failed:")
    assert (project / "out" / "upper.txt").read_bytes() == before
    assert not (project / "build" / "staging").exists() or not any(
        (project / "build" / "staging").iterdir()
    )


# -- the checked declaration, kept between runs --------------------------------------------------
def test_the_checked_declaration_is_reused_until_the_file_changes(project):
    first = pipeline.load_pipeline()
    record = project / "build" / "declaration.json"
    assert json.loads(record.read_text())["declaration"]["kernel"] == "python3"
    assert pipeline.load_pipeline() == first  # read back from the record
    record.write_text("{not json")  # a damaged record is ignored and written again
    assert pipeline.load_pipeline() == first
    assert json.loads(record.read_text())["declaration"]["timeout_seconds"] == 120
    spec = project / "pipeline.yaml"  # an edit is checked again, and a bad one reported
    spec.write_text(spec.read_text().replace("format: text", "format: txt", 1))
    with pytest.raises(InputError, match="unknown format 'txt'"):
        pipeline.load_pipeline()


def test_a_cached_declaration_still_refuses_a_path_that_now_leaves_the_project(
    project, tmp_path_factory
):
    pipeline.load_pipeline()
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    (project / "data" / "a.txt").rename(elsewhere / "a.txt")
    (project / "data" / "b.txt").unlink()
    (project / "data").rmdir()
    (project / "data").symlink_to(elsewhere)  # after the check: the record still holds `data`
    with pytest.raises(InputError, match="leads outside the project"):
        pipeline.load_pipeline()


def test_a_no_op_reads_the_declaration_without_pydantic():
    """pydantic takes a tenth of a second to import: a run whose pipeline.yaml was checked
    before does without it."""
    import subprocess
    import sys

    probe = (
        "import sys; from helpers.engine import pipeline; pipeline.load_pipeline(); "
        "print('pydantic' in sys.modules)"
    )
    run = [sys.executable, "-c", probe]
    subprocess.run(run, check=True, capture_output=True)  # checks, and keeps the record
    done = subprocess.run(run, check=True, capture_output=True, text=True)
    assert done.stdout.strip() == "False"


def test_a_declaration_json_cannot_keep_is_checked_every_run(project):
    spec = project / "pipeline.yaml"
    declared = yaml.safe_load(spec.read_text())
    declared["stages"][0]["parameters"]["since"] = dt.date(2025, 1, 27)
    spec.write_text(yaml.safe_dump(declared, sort_keys=False))
    first = pipeline.load_pipeline()
    assert first.stages[0].parameters["since"].isoformat() == "2025-01-27"  # a YAML date
    assert not (project / "build" / "declaration.json").exists()
    assert pipeline.load_pipeline() == first


def test_a_folder_dataset_counts_only_the_files_it_includes(project):
    spec = project / "pipeline.yaml"
    declared = yaml.safe_load(spec.read_text())
    declared["catalogue"]["texts"]["include"] = "*.txt"
    spec.write_text(yaml.safe_dump(declared, sort_keys=False))
    assert _run()[0] == ["upper", "count"]
    (project / "data" / "README.md").write_text("What these texts are.\n")
    assert _run()[0] == []  # documentation beside the data changes nothing a stage reads
    (project / "data" / "c.txt").write_text("gamma\n")
    assert _run()[0] == ["upper", "count"]


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ({"path": "out/x.txt", "format": "text", "include": "*.txt"}, "only a folder dataset"),
        ({"path": "data", "format": "folder", "include": "../*.txt"}, "must stay inside"),
    ],
)
def test_include_is_for_folders_and_stays_inside_them(project, entry, problem):
    spec = project / "pipeline.yaml"
    declared = yaml.safe_load(spec.read_text())
    declared["catalogue"]["x"] = entry
    spec.write_text(yaml.safe_dump(declared, sort_keys=False))
    with pytest.raises(InputError, match=f"dataset 'x': .*{problem}"):
        pipeline.load_pipeline()
