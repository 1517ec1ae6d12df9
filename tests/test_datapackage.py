"""The data that ships with the report: CSV tables and a Frictionless Data Package made from
the catalogue and the table contracts, copied next to the report by either renderer."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from browser import prepare_fixture_project

from helpers import schemas
from helpers.engine import render
from helpers.engine.errors import InputError
from helpers.report import datapackage

ROOT = Path(__file__).parent.parent


def empty_tables() -> dict[str, pd.DataFrame]:
    """Each shipped table with its contract's columns and no rows."""
    return {
        name: pd.DataFrame(
            {
                column: pd.Series(dtype=str(spec.dtype))
                for column, spec in schemas.BY_NAME[name].columns.items()
            }
        )
        for name in datapackage.SHIPPED
    }


def test_each_resource_follows_its_contract():
    package = datapackage.data_package(empty_tables())
    assert [r["path"] for r in package["resources"]] == [
        f"{name}.csv" for name in datapackage.SHIPPED
    ]
    for res, name in zip(package["resources"], datapackage.SHIPPED, strict=True):
        contract = schemas.BY_NAME[name]
        fields = {f["name"]: f for f in res["schema"]["fields"]}
        assert list(fields) == list(contract.columns)
        for column, spec in contract.columns.items():
            assert fields[column]["description"] == spec.description
            assert fields[column].get("constraints", {}).get("required", False) == (
                not spec.nullable
            )
    ties = {f["name"]: f for f in package["resources"][0]["schema"]["fields"]}
    assert ties["agreement"]["constraints"]["enum"] == list(schemas.AGREEMENTS)
    assert ties["n_sources"]["constraints"]["minimum"] == 1
    assert package["resources"][0]["schema"]["primaryKey"] == ["place_id", "sector_id"]


def test_the_package_validates_with_frictionless(tmp_path):
    frictionless = pytest.importorskip("frictionless")
    datapackage.write_data_package(empty_tables(), tmp_path)
    report = frictionless.validate(str(tmp_path / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    (tmp_path / "ties.csv").write_text(
        "place_id\nonly-one-column\n", encoding="utf-8"
    )  # a table that breaks its schema is caught
    assert not frictionless.validate(str(tmp_path / "datapackage.json")).valid


def _with_report_data(project: Path, folder: str = "_generated/data") -> Path:
    config = project / "_quarto.yml"
    config.write_text(
        config.read_text(encoding="utf-8") + f"\nreport-data: {folder}\n", encoding="utf-8"
    )
    return project


def test_both_renderers_ship_the_report_data_folder(tmp_path, monkeypatch):
    project = _with_report_data(prepare_fixture_project(tmp_path / "p"))
    (project / "_generated/data").mkdir()
    (project / "_generated/data/ties.csv").write_text("a\n1\n", encoding="utf-8")
    (project / "_generated/data/datapackage.json").write_text("{}\n", encoding="utf-8")
    name, files = render.report_data_files(project)
    assert name == "data" and [rel for _, rel in files] == ["datapackage.json", "ties.csv"]
    out = render.render_report(project, tmp_path / "out", engine="fallback")
    assert (tmp_path / "out/data/ties.csv").read_text(encoding="utf-8") == "a\n1\n"
    assert (tmp_path / "out/data/datapackage.json").is_file() and out["pdf"].is_file()


def test_a_report_data_folder_outside_the_report_is_refused(tmp_path):
    project = _with_report_data(prepare_fixture_project(tmp_path / "p"), "../elsewhere")
    (tmp_path / "elsewhere").mkdir()
    with pytest.raises(InputError, match="report-data"):
        render.report_data_files(project)


def test_citation_and_report_state_the_same_licences():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["license"] == datapackage.CODE_LICENSE
    assert cff["cff-version"] == "1.2.0" and cff["title"] and cff["authors"]
    qmd = (ROOT / "report/report.qmd").read_text(encoding="utf-8")
    assert "under the MIT licence" in qmd and "under\nCC BY 4.0" in qmd
    package = datapackage.data_package(empty_tables())
    assert package["licenses"][0]["name"] == datapackage.DATA_LICENSE == "CC-BY-4.0"
    assert json.dumps(package, sort_keys=True)  # serialisable as written
