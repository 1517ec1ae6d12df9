"""The whole pipeline on a copy of the project: report contents, no-op rebuilds, determinism,
incremental re-runs, and every kind of bad input stopping cleanly with outputs untouched.

The copy runs with PYTHONPATH pointing at its own src/, so the runner, the notebooks' kernels and
the helpers all work inside the copy and the real checkout's outputs are never touched.
"""

from __future__ import annotations

import hashlib
import html as html_module
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
import yaml
from pypdf import PdfReader

from tools.projects import add_synthetic_sources, copy_project

pytestmark = pytest.mark.slow

STAGES = ["ingest", "code", "compare", "charts", "report"]
TITLE = "China's provinces and their technology priorities"


def pipeline(project: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(project / "src"), "SOURCE_DATE_EPOCH": "1738000000"}
    return subprocess.run(
        [sys.executable, "-m", "helpers.engine.pipeline", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )


def ran_stages(result: subprocess.CompletedProcess) -> list[str]:
    return re.findall(r"^(\w+)\s+ran\b", result.stdout, flags=re.M)


def digest(project: Path, *folders: str) -> dict[str, str]:
    return {
        p.relative_to(project).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for folder in folders
        for p in sorted((project / folder).rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    project = copy_project(tmp_path_factory.mktemp("project"))
    result = pipeline(project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert ran_stages(result) == STAGES
    assert "report/_output/report.pdf" in result.stdout
    return project


def test_pdf_has_title_shanghai_captions_and_chinese(built):
    reader = PdfReader(built / "report/_output/report.pdf")
    text = re.sub(r"[ \xa0]+", " ", "\n".join(page.extract_text() for page in reader.pages))
    assert len(reader.pages) >= 3
    assert TITLE in " ".join(text.split()).replace("’", "'")
    assert "Shanghai" in text
    assert "上海" in text
    fonts = {
        str(font.get_object().get("/BaseFont"))
        for page in reader.pages
        for font in ((page.get("/Resources") or {}).get("/Font") or {}).values()
    }
    assert any("NotoSerifCJK" in f for f in fonts), f"no CJK font embedded: {sorted(fonts)}"
    for raw in ("{{<", "@fig-", "@tbl-", ":::"):
        assert raw not in text
    qmd = (built / "report/report.qmd").read_text(encoding="utf-8")
    n_fig, n_tbl = len(re.findall(r"\{#fig-", qmd)), len(re.findall(r"\{#tbl-", qmd))
    assert (n_fig, n_tbl) == (9, 10)
    for kind, n in (("Figure", n_fig), ("Table", n_tbl)):
        for i in range(1, n + 1):
            assert f"{kind} {i}: " in text, f"caption of {kind} {i} missing"
    captions = yaml.safe_load((built / "report/_generated/numbers.yml").read_text())["captions"]
    flat = " ".join(text.split())
    for name, caption in captions.items():  # each figure's data-derived caption, in the PDF
        words = re.sub(r"\\(.)", r"\1", caption).split()[:6]
        assert " ".join(words) in flat, name


def test_html_layout_fits_desktop_and_phone(built):
    """At 1280 px the seed's tables fit the page without scrolling; at 390 px the page never
    scrolls sideways, charts keep their text at 10 px or more (they scroll in their own box
    instead of shrinking), and no caption sits inside a scrolling region. The contents have a
    heading."""
    from browser import page_layout

    html = built / "report/_output/report.html"
    desktop, phone = page_layout(html, 1280), page_layout(html, 390)
    assert desktop["main_width"] >= 1000 and desktop["tables_scrolling"] == 0, desktop
    assert desktop["page_overflow"] <= 0 and desktop["toc_heading"] == "Contents"
    assert phone["page_overflow"] <= 0 and phone["tables_sticking_out"] == 0, phone
    assert phone["chart_text_px"] >= 10, phone
    assert desktop["captions_in_scroll"] == phone["captions_in_scroll"] == 0


def test_pdf_passes_the_proof(built):
    """The seed's PDF: no word over another (tables, figures), nothing wider than the text
    block, no zero-width or soft-hyphen character to copy, every URL a link."""
    from pdfproof import assert_proof

    assert_proof(built / "report/_output/report.pdf")


def test_the_report_ships_its_data_links_it_and_names_it(built):
    """report/_output/data/ holds the tables as CSV with a valid Data Package; every link of
    the HTML to a file resolves offline, and the PDF names each file."""
    frictionless = pytest.importorskip("frictionless")
    out = built / "report/_output"
    report = frictionless.validate(str(out / "data/datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    package = json.loads((out / "data/datapackage.json").read_text(encoding="utf-8"))
    names = {r["path"] for r in package["resources"]}
    assert names == {f"{t}.csv" for t in ("ties", "tie_sources", "codings", "triangulation")} | {
        "framing_claims.csv"
    }
    ties = pd.read_csv(out / "data/ties.csv")
    assert len(ties) == len(_table(built, "ties"))
    page = (out / "report.html").read_text(encoding="utf-8")
    links = set(re.findall(r'href="(data/[^"#]+)"', page))
    assert links == {f"data/{n}" for n in names} | {"data/datapackage.json"}
    assert all((out / link).is_file() for link in links)
    text = " ".join(
        "\n".join(p.extract_text() for p in PdfReader(out / "report.pdf").pages).split()
    )
    for link in links:
        assert link in text, link
    assert "How to cite" in text and "CC BY 4.0" in text


def test_html_is_self_contained_and_holds_the_charts(built):
    html = (built / "report/_output/report.html").read_text(encoding="utf-8")
    assert TITLE in html.replace("&#39;", "'").replace("&rsquo;", "'").replace("’", "'")
    assert "vegaEmbed" in html and "Shanghai" in html
    assert not re.search(r"""<script[^>]+src=["']https?:""", html)
    assert not re.search(r"""<link[^>]+href=["']https?:""", html)


def test_html_in_chromium_draws_every_chart_offline_with_tooltips(built, tmp_path):
    from browser import check_html_in_browser

    seen = check_html_in_browser(built / "report/_output/report.html", tmp_path / "report.png")
    assert seen.external_requests == [] and seen.console_errors == [] and seen.dialogs == []
    assert seen.charts == 9 and seen.undrawn_charts == []
    assert seen.tooltip_text.strip()
    assert seen.phone_overflow_px <= 0, "the page scrolls sideways on a phone"
    assert all(shot.stat().st_size > 20_000 for shot in seen.screenshots)


HOSTILE = "<script>alert(1)</script>"


def _add_source(project: Path, source_id: str, name: str, text: str, language: str) -> None:
    (project / "data/raw" / name).write_text(text, encoding="utf-8")
    sha = hashlib.sha256(text.encode()).hexdigest()
    with (project / "data/raw/manifest.yaml").open("a", encoding="utf-8") as manifest:
        manifest.write(
            f"\n  - id: {source_id}\n    title: A test text\n    outlet: test\n"
            '    url: https://example.org/\n    date: "2025-02-01"\n    period: "2025"\n'
            f"    language: {language}\n    kind: secondary\n    file: {name}\n"
            f"    sha256: {sha}\n"
        )


@pytest.fixture(scope="module")
def extended(tmp_path_factory) -> Path:
    """The project plus two sources: one whose sentences carry a script tag into codings and
    claims, and one in Chinese."""
    project = copy_project(tmp_path_factory.mktemp("extended"))
    _add_source(
        project,
        "hostile-2025",
        "hostile.txt",
        f"Shanghai plans to build quantum computing labs {HOSTILE} in 2025.\n"
        f"China is quickly building complete supply chains {HOSTILE}, while the United "
        "States debates industrial policies at a slower pace.\n",
        "en",
    )
    _add_source(
        project,
        "zh-2025",
        "zh.txt",
        "2025年，四川省将加快发展低空经济。重庆市提出打造智能网联新能源汽车产业集群！\n",
        "zh",
    )
    result = pipeline(project)
    assert result.returncode == 0, result.stdout + result.stderr
    return project


def test_a_chinese_source_is_segmented_coded_and_reported(extended):
    codings = pd.read_parquet(extended / "data/processed/codings.parquet")
    zh = codings[codings["source_id"] == "zh-2025"]
    assert {("sichuan", "low-altitude-economy"), ("chongqing", "vehicles")} <= set(
        zip(zh["place_id"], zh["sector_id"], strict=True)
    )
    assert set(zh["relation"]) == {"priority"}
    html = (extended / "report/_output/report.html").read_text(encoding="utf-8")
    assert "Sichuan (四川)" in html and "Low-altitude economy" in html


def test_a_script_in_a_source_stays_text(extended, tmp_path):
    from browser import check_html_in_browser

    codings = pd.read_parquet(extended / "data/processed/codings.parquet")
    claims = pd.read_parquet(extended / "data/processed/framing_claims.parquet")
    assert codings["evidence"].str.contains(HOSTILE, regex=False).any()
    assert claims["evidence"].str.contains(HOSTILE, regex=False).any()
    html = (extended / "report/_output/report.html").read_text(encoding="utf-8")
    assert HOSTILE not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # the framing table, as text
    seen = check_html_in_browser(extended / "report/_output/report.html", tmp_path / "h.png")
    assert seen.dialogs == [] and seen.console_errors == [] and seen.undrawn_charts == []


def test_second_run_runs_nothing(built):
    """(How fast a no-op rebuild is, is checked by `make bench`.)"""
    result = pipeline(built)
    assert result.returncode == 0, result.stderr
    assert ran_stages(result) == []
    assert result.stdout.count("skipped") == len(STAGES)


def test_forced_rebuild_is_byte_identical(built):
    before = digest(built, "data/processed", "report/_generated/figures", "report/_output")
    # not vacuous: every table (Parquet and CSV), figure and both report files are compared
    assert {"report/_output/report.html", "report/_output/report.pdf"} <= before.keys()
    assert sum(k.endswith(".parquet") for k in before) >= 13
    assert sum(k.endswith(".svg") for k in before) >= 5
    result = pipeline(built, "--force")
    assert result.returncode == 0, result.stderr
    assert ran_stages(result) == STAGES
    after = digest(built, "data/processed", "report/_generated/figures", "report/_output")
    assert after == before


def test_dry_run_explains_and_a_reference_change_reruns_only_its_dependants(built, tmp_path):
    project = tmp_path / "p"
    shutil.copytree(built, project, ignore=shutil.ignore_patterns("staging"))
    facts = project / "data/raw/xinhua-2025-01-27.facts.csv"
    manifest = project / "data/raw/manifest.yaml"
    old_sha = hashlib.sha256(facts.read_bytes()).hexdigest()
    facts.write_text(
        facts.read_text(encoding="utf-8").replace(
            "Build a fusion reactor research facility", "Build a fusion research facility"
        ),
        encoding="utf-8",
    )
    new_sha = hashlib.sha256(facts.read_bytes()).hexdigest()
    manifest.write_text(manifest.read_text().replace(old_sha, new_sha))

    dry = pipeline(project, "--dry-run")
    assert dry.returncode == 0 and ran_stages(dry) == []
    assert re.search(r"^ingest\s+would run: changed: data/raw/manifest.yaml", dry.stdout, re.M)
    assert re.search(r"^code\s+may run: if an upstream stage \(ingest\)", dry.stdout, re.M)
    assert re.search(r"^compare\s+would run: changed: data/raw/manifest.yaml", dry.stdout, re.M)

    record = json.loads((project / "build/state.json").read_text())
    result = pipeline(project)
    assert result.returncode == 0, result.stderr
    expected = ["ingest", "compare", "charts", "report"]  # code: its inputs came out identical
    assert ran_stages(result) == expected
    assert re.search(r"^code\s+skipped", result.stdout, flags=re.M)
    after = json.loads((project / "build/state.json").read_text())  # the runner's own record
    assert [stage for stage in STAGES if after[stage] != record[stage]] == expected
    assert after["ingest"]["reasons"][:2] == [
        "changed: data/raw/manifest.yaml",
        "changed: data/raw/xinhua-2025-01-27.facts.csv",
    ]


BAD_INPUTS = {
    "corrupt manifest YAML": (
        lambda p: (p / "data/raw/manifest.yaml").write_text("sources: [\n  - id: x\n"),
        (),
        "manifest.yaml",
        "YAML",
    ),
    "missing source file": (
        lambda p: (p / "data/raw/000_5df365ae44afb922.txt").unlink(),
        (),
        "000_5df365ae44afb922.txt",
        "missing|not found|does not exist",
    ),
    "non-UTF-8 source": (
        lambda p: (p / "data/raw/000_5df365ae44afb922.txt").write_bytes(b"caf\xe9 \xff\n"),
        (),
        "000_5df365ae44afb922.txt",
        "UTF-8",
    ),
    "empty source": (
        lambda p: (p / "data/raw/000_5df365ae44afb922.txt").write_bytes(b""),
        (),
        "000_5df365ae44afb922.txt",
        "empty",
    ),
    "duplicate id": (
        lambda p: (p / "data/raw/manifest.yaml").write_text(
            (p / "data/raw/manifest.yaml")
            .read_text()
            .replace("id: xinhua-2025-01-27", "id: morningexpress-2025-01")
        ),
        (),
        "manifest.yaml",
        "duplicate",
    ),
    "unknown parameter": (
        lambda p: None,
        ("--set", "ingest.colour=red"),
        "ingest",
        "unknown parameter 'colour'",
    ),
    "parameter of the wrong type": (
        lambda p: None,
        ("--set", "compare.period=[3]"),
        "compare",
        "must be str",
    ),
    "codebook duplicate alias": (
        lambda p: (p / "codebook/places.yaml").write_text(
            (p / "codebook/places.yaml")
            .read_text()
            .replace('name_en: "Anhui"', 'name_en: "Hainan"', 1)
        ),
        (),
        "places.yaml",
        "duplicate",
    ),
    "adjudication naming no coding": (
        lambda p: (
            (p / "data/annotations/adjudications.csv")
            .open("a")
            .write("reject,no-such-coding,,,,,,a reason\n")
        ),
        (),
        "adjudications.csv",
        "no-such-coding",
    ),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_stops_with_one_clear_line_and_outputs_untouched(built, tmp_path, case):
    break_it, args, names, problem = BAD_INPUTS[case]
    project = tmp_path / "p"
    shutil.copytree(built, project, ignore=shutil.ignore_patterns("staging"))
    before = digest(project, "data/processed", "report/_output", "report/_generated")
    break_it(project)
    result = pipeline(project, *args)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert names in lines[0] and re.search(problem, lines[0], flags=re.I), lines[0]
    assert digest(project, "data/processed", "report/_output", "report/_generated") == before


# -- a report of many sources: the seed plus the eight texts of tests/fixtures/corpus ---------
CORPUS = Path(__file__).parent / "fixtures" / "corpus"
RETELLINGS = {"morningexpress-2025-01", "wire-2025-a", "feature-2025-b"}


def add_corpus(project: Path) -> None:
    """Add the corpus the README's way: files into data/raw/, entries onto the manifest."""
    entries = (CORPUS / "manifest.yaml").read_text(encoding="utf-8").split("sources:\n", 1)[1]
    for entry in yaml.safe_load("sources:\n" + entries)["sources"]:
        shutil.copy(CORPUS / entry["file"], project / "data/raw" / entry["file"])
    manifest = project / "data/raw/manifest.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8") + "\n" + entries, encoding="utf-8")


@pytest.fixture(scope="module")
def many(tmp_path_factory) -> Path:
    project = copy_project(tmp_path_factory.mktemp("many"))
    add_corpus(project)
    result = pipeline(project)
    assert result.returncode == 0, result.stdout + result.stderr
    return project


def html_text(project: Path, *, tables: bool = True) -> str:
    """The rendered HTML's visible text, one space between words (scripts and styles dropped;
    tables too unless ``tables``: their cells hold data, such as a correction's reason)."""
    page = (project / "report/_output/report.html").read_text(encoding="utf-8")
    page = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", page)
    if not tables:
        page = re.sub(r"(?is)<table\b.*?</table>", " ", page)
    text = html_module.unescape(re.sub(r"<[^>]+>", " ", page)).replace("\u200b", "")
    return " ".join(text.split())


def _table(project: Path, name: str) -> pd.DataFrame:
    return pd.read_parquet(project / "data/processed" / f"{name}.parquet")


def expected_numbers(project: Path) -> dict:
    """The prose's numbers recomputed here from the tables, independently of
    helpers.report.findings."""
    selection = _table(project, "selection")
    chosen = set(selection.loc[selection["selected"], "source_id"])

    def covered(name: str) -> pd.DataFrame:
        table = _table(project, name)
        return table[table["source_id"].isin(chosen)]

    sources = covered("sources")
    texts = sources[sources["kind"] != "reference"]
    ties = _table(project, "ties")
    tri = _table(project, "triangulation")
    codings = covered("codings")
    claims = covered("framing_claims")
    provinces = ties[ties["place_level"] == "province"]
    priorities = provinces[provinces["relation"] == "priority"]
    per_place = priorities.groupby("place_id").size()
    per_sector = priorities.groupby("sector_id").size()
    # one row per (retelling, class, sector, places): the unit the report counts
    key = ["article_source_id", "class", "sector_id", "article_place_id", "reference_place_id"]
    framing_or_uncoded = tri["class"].isin(["framing_only_in_article", "not_coded"])
    units = pd.concat(
        [tri[~framing_or_uncoded].astype(str).drop_duplicates(key), tri[framing_or_uncoded]]
    )
    comparative = claims[claims["comparative"]]
    return {
        "n_sources": len(sources),
        "n_manifest_sources": len(selection),
        "n_text_sources": len(texts),
        "n_outlets": sources["outlet"].nunique(),
        "n_paragraphs": int(texts["n_paragraphs"].sum()),
        "n_sentences": len(covered("sentences")),
        "n_codings": int((codings["status"] != "rejected").sum()),
        "n_adjudicated": int((codings["status"] != "auto").sum()),
        "n_mentions": len(covered("mentions")),
        "n_ties": len(ties),
        "n_priority_ties": len(priorities),
        "n_provinces_with_priority": priorities["place_id"].nunique(),
        "n_sectors_with_priority": priorities["sector_id"].nunique(),
        "n_single_province_sectors": int((per_sector == 1).sum()),
        "top_place_sectors": int(per_place.max()),
        "top_sector_provinces": int(per_sector.max()),
        "n_corroborated_ties": int((ties["agreement"] == "corroborated").sum()),
        "n_contradicted_ties": int((ties["agreement"] == "contradicted").sum()),
        "n_single_source_ties": int((ties["agreement"] == "single_source").sum()),
        "max_sources_per_tie": int(ties["n_sources"].max()),
        "n_retellings": tri["article_source_id"].nunique(),
        "n_framing_claims": len(claims),
        "n_comparative_claims": len(comparative),
        "n_hedged_comparative": int(comparative["hedged"].sum()),
        "n_flat_comparative": int((~comparative["hedged"]).sum()),
        "n_reference_facts": _table(project, "reference_codings")["fact_id"].nunique(),
        **{f"tri_{c}": int((units["class"] == c).sum()) for c in set(tri["class"])},
    }


def test_many_sources_every_number_in_the_prose_equals_the_tables(many):
    numbers = yaml.safe_load((many / "report/_generated/numbers.yml").read_text())["numbers"]
    expected = expected_numbers(many)
    assert expected["n_sources"] == 10 and expected["n_retellings"] == 3
    for key, value in expected.items():
        assert numbers.get(key, 0) == value, key
    qmd = (many / "report/report.qmd").read_text(encoding="utf-8")
    used = set(re.findall(r"\{\{< meta numbers\.(\w+) >\}\}", qmd))
    text = html_text(many)
    for key in sorted(used):
        value = numbers[key]
        if isinstance(value, int) and not isinstance(value, bool):
            assert (
                key in expected
                or key.startswith("codebook_")
                or key
                in {
                    "n_repairs",
                    "n_kept_glitches",
                }
            ), f"numbers.{key} is in the prose but no test recomputes it"
        shown = re.sub(r"\\(.)", r"\1", str(value))
        assert " ".join(shown.split()) in text, f"numbers.{key} ({shown!r}) not in the HTML"


def test_many_sources_no_sentence_assumes_one_source(many):
    text = html_text(many, tables=False)
    for phrase in ("the article", "The article", "the seed", "one retold source", "Xinhua story"):
        assert phrase not in text, phrase
    numbers = yaml.safe_load((many / "report/_generated/numbers.yml").read_text())["numbers"]
    assert "10 sources" in numbers["coverage"] and "2026–30" in numbers["coverage"]
    assert "English" in numbers["limit_language"] and "Chinese" in numbers["limit_language"]
    assert numbers["n_primary_sources"] == 3


def test_many_sources_each_retelling_is_triangulated(many):
    tri = _table(many, "triangulation")
    assert set(tri["article_source_id"]) == RETELLINGS
    assert set(tri["reference_source_id"]) == {"xinhua-2025-01-27"}
    assert tri["row_id"].is_unique
    ties = tri[tri["class"].isin(["agrees", "omitted_by_article", "misattributed"])]
    assert set(ties["article_source_id"]) == RETELLINGS
    table = (many / "report/_generated/tables/triangulation.md").read_text(encoding="utf-8")
    for source in RETELLINGS:
        assert source.replace("-", "\\-") in table
    # feature-2025-b gives brain-computer interfaces to Sichuan, which the reference also
    # does; the seed gives them to Anhui: one misattribution, of the seed's, not the feature's
    wrong = tri[tri["class"] == "misattributed"]
    assert "feature-2025-b" not in set(wrong["article_source_id"])


def test_many_sources_agreement_between_sources(many):
    ties = _table(many, "ties").set_index(["place_id", "sector_id"])
    by_source = _table(many, "tie_sources")
    assert (
        by_source.groupby(["place_id", "sector_id"]).size().to_dict() == ties["n_sources"].to_dict()
    )
    assert ties.loc[("shanghai", "semiconductors"), "n_sources"] >= 2  # seed and wire-2025-a
    assert ties.loc[("shanghai", "semiconductors"), "agreement"] == "corroborated"
    assert ties.loc[("anhui", "quantum"), "agreement"] == "contradicted"  # zh vs en plan


def test_many_sources_pdf_passes_the_proof(many):
    from pdfproof import assert_proof

    assert_proof(many / "report/_output/report.pdf")


@pytest.mark.skipif(shutil.which("quarto") is None, reason="quarto is not on PATH")
def test_many_sources_quarto_pdf_passes_the_proof(many, tmp_path):
    from pdfproof import assert_proof

    from helpers.engine.render import render_report

    out = render_report(many / "report", tmp_path / "quarto", engine="quarto")
    assert_proof(out["pdf"])


def test_many_sources_a_cut_table_keeps_whole_places_and_links_the_full_table(many):
    """A table too long for the report shows every place it names with all its ties, says
    by what rule it was cut, and links the full CSV shipped next to the report."""
    generated = many / "report/_generated/tables"
    cut = [p for p in sorted(generated.glob("*.md")) if "Shown: the first" in plain_md(p)]
    for path in cut:
        note = plain_md(path)
        target = re.search(r"\]\((data/[\w.]+\.csv)\)", path.read_text(encoding="utf-8"))
        assert target and (many / "report/_output" / target.group(1)).is_file(), path.name
        assert re.search(r"Shown: the first \d+ of \d+ \w[\w ]*, \w", note), path.name
    ties = _table(many, "ties")
    if len(ties) > 40:
        table = (generated / "ties.md").read_text(encoding="utf-8").splitlines()[2:]
        rows = [line for line in table if line.startswith("| ")]
        shown = pd.Series([plain_md_text(r.split(" | ")[0][2:]) for r in rows]).value_counts()
        names = yaml.safe_load((many / "codebook/places.yaml").read_text(encoding="utf-8"))
        name_of = {p["id"]: p["name_en"] for p in names["places"]}
        name_of |= {r["id"]: r["name_en"] for r in names.get("regions", [])}
        per_place = ties["place_id"].map(name_of).value_counts()
        for place, n in shown.items():
            assert n == per_place[place], f"{place}: {n} of {per_place[place]} ties shown"


def plain_md_text(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text).strip()


def plain_md(path: Path) -> str:
    return plain_md_text(path.read_text(encoding="utf-8"))


def test_many_sources_charts_fit_and_draw_in_chromium(many, tmp_path):
    from browser import check_html_in_browser

    for svg in (many / "report/_generated/figures").glob("*.svg"):
        width = float(re.search(r'<svg[^>]*\swidth="([\d.]+)"', svg.read_text()).group(1))
        assert width <= 780, f"{svg.name}: {width} px"
    seen = check_html_in_browser(many / "report/_output/report.html", tmp_path / "many.png")
    assert seen.console_errors == [] and seen.external_requests == []
    assert seen.charts == 9 and seen.undrawn_charts == []
    assert seen.phone_overflow_px <= 0, "the page scrolls sideways on a phone"


def test_a_period_parameter_selects_the_sources(many, tmp_path):
    project = tmp_path / "p"
    shutil.copytree(many, project, ignore=shutil.ignore_patterns("staging"))
    result = pipeline(project, "--set", "compare.period=2026-2030")
    assert result.returncode == 0, result.stdout + result.stderr
    numbers = yaml.safe_load((project / "report/_generated/numbers.yml").read_text())["numbers"]
    coverage = re.sub(r"\\(.)", r"\1", numbers["coverage"])
    assert coverage.startswith("4 of the manifest's 10 sources, periods 2026 and 2026–30")
    codings = _table(project, "tie_sources")
    assert set(codings["source_id"]) <= {
        "zh-plan-2026-2030",
        "en-plan-2026-2030",
        "en-outlook-2026",
        "zh-news-2026",
    }
    assert _table(project, "triangulation").empty


def test_many_sources_each_finding_is_stated_with_one_value(many):
    """A chart's title is the finding numbers.yml holds, and the prose reads the same values:
    no two places state one finding with different numbers."""
    meta = yaml.safe_load((many / "report/_generated/numbers.yml").read_text())
    titles, numbers = meta["titles"], meta["numbers"]

    def plain(value: str) -> str:
        return re.sub(r"\\(.)", r"\1", value)

    for name, title in titles.items():
        svg = (many / "report/_generated/figures" / f"{name}.svg").read_text(encoding="utf-8")
        first_line = textwrap.wrap(plain(title), 70)[0]
        assert html_module.escape(first_line, quote=False) in svg, name
    assert plain(titles["tile_map"]) == plain(numbers["top_places_phrase"])
    assert plain(titles["priority_matrix"]).startswith(plain(numbers["top_places_phrase"]))
    assert plain(titles["sector_breadth"]) == plain(numbers["top_sectors_phrase"])
    assert f"{numbers['n_corroborated_ties']} ties are attested" in plain(titles["consensus"])


# -- the report at the scale of a year's collection: the seed and 200 synthetic sources --------


@pytest.fixture(scope="module")
def two_hundred(tmp_path_factory) -> Path:
    project = copy_project(tmp_path_factory.mktemp("two-hundred"))
    add_synthetic_sources(project, 200)
    result = pipeline(project)
    assert result.returncode == 0, result.stdout + result.stderr
    return project


def test_two_hundred_sources_pdf_passes_the_proof(two_hundred):
    from pdfproof import assert_proof

    assert len(PdfReader(two_hundred / "report/_output/report.pdf").pages) > 30
    assert_proof(two_hundred / "report/_output/report.pdf")


@pytest.mark.skipif(shutil.which("quarto") is None, reason="quarto is not on PATH")
def test_two_hundred_sources_quarto_pdf_passes_the_proof(two_hundred, tmp_path):
    from pdfproof import assert_proof

    from helpers.engine.render import render_report

    out = render_report(two_hundred / "report", tmp_path / "quarto", engine="quarto")
    assert_proof(out["pdf"])


def test_two_hundred_sources_every_number_in_the_prose_equals_the_tables(two_hundred):
    numbers = yaml.safe_load((two_hundred / "report/_generated/numbers.yml").read_text())
    expected = expected_numbers(two_hundred)
    assert expected["n_sources"] == 202
    for key, value in expected.items():
        assert numbers["numbers"].get(key, 0) == value, key
