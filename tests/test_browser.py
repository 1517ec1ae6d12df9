"""The fallback's HTML in headless Chromium: offline, no console errors, charts drawn, tooltips."""

from __future__ import annotations

from pathlib import Path

import pypandoc
import pytest
from browser import (
    AXE_JS,
    AXE_MISSING,
    FIXTURE_SPEC,
    REPORT_DIR,
    _bundle,
    axe_violations,
    check_html_in_browser,
    fixture_spec,
    prepare_fixture_project,
)

from helpers.engine.render import render_report
from helpers.figures.export import html_snippet

pytestmark = pytest.mark.slow


def test_fixture_report_works_offline_in_chromium(tmp_path):
    project = prepare_fixture_project(tmp_path / "project")
    out = render_report(project, tmp_path / "out", engine="fallback")
    report = check_html_in_browser(out["html"], tmp_path / "shots" / "report.png")
    assert report.external_requests == []
    assert report.console_errors == []
    assert report.charts == 1 and report.undrawn_charts == []
    assert "上海" in report.tooltip_text and "12" in report.tooltip_text
    assert [p.name for p in report.screenshots] == ["report-desktop.png", "report-phone.png"]
    assert all(p.stat().st_size > 10_000 for p in report.screenshots)


def test_browser_check_catches_external_requests_and_errors(tmp_path):
    """The checker itself can fail: a page that calls out and throws is reported as such."""
    page = tmp_path / "bad.html"
    page.write_text(
        '<!doctype html><html><body><div class="vega-chart" id="c"></div>'
        '<img src="https://example.org/x.png"><script>undefinedFunction()</script>'
        "</body></html>",
        encoding="utf-8",
    )
    report = check_html_in_browser(page, tmp_path / "bad.png", chart_timeout_ms=1_000)
    assert report.external_requests == ["https://example.org/x.png"] * 2  # desktop + phone
    assert any("undefinedFunction" in e for e in report.console_errors)
    assert report.undrawn_charts == ["c"]


@pytest.mark.skipif(not AXE_JS.is_file(), reason=AXE_MISSING)
def test_fixture_report_has_no_accessibility_violation(tmp_path):
    """axe-core finds nothing, as in Quarto's page: a <main> landmark, all content in
    landmarks, wide tables and charts in scrollable regions a keyboard can reach."""
    # A chart and a table wider than a phone: each scrolls in its own box there.
    spec = {**FIXTURE_SPEC, "width": 551}
    project = prepare_fixture_project(tmp_path / "project", spec=spec, text="Unbreakable" * 12)
    out = render_report(project, tmp_path / "out", engine="fallback")
    assert axe_violations(out["html"]) == []


def test_a_wide_chart_scrolls_in_its_box_not_the_page(tmp_path):
    """Issue 13: a 551 px chart made the page scroll sideways at 390 px under Quarto; the rule
    lives in report/styles.css, which both renderers load."""
    spec = {**FIXTURE_SPEC, "width": 551}
    project = prepare_fixture_project(tmp_path / "project", spec=spec)
    out = render_report(project, tmp_path / "out", engine="fallback")
    report = check_html_in_browser(out["html"], tmp_path / "shots" / "wide.png")
    assert report.charts == 1 and report.undrawn_charts == []
    assert report.phone_overflow_px == 0


@pytest.mark.skipif(not AXE_JS.is_file(), reason=AXE_MISSING)
def test_axe_check_can_fail(tmp_path):
    """The checker reports what it should: no main landmark, content outside landmarks."""
    page = tmp_path / "bad.html"
    page.write_text(
        '<!doctype html><html lang="en"><head><title>x</title></head><body><p>loose</p>'
        '<div style="width:100px;overflow-x:auto"><p style="width:900px">wide text</p></div>'
        "</body></html>",
        encoding="utf-8",
    )
    rules = {line.split()[1] for line in axe_violations(page, widths=(1280,))}
    assert {"region", "landmark-one-main"} <= rules


def quarto_like_page(path: Path, css: str) -> Path:
    """A page with Quarto's article structure around a 551 px chart: a grid whose body column
    is ``1fr`` (so its items' min-content widths can widen it), main.content, the float div
    and a ``figure.figure``; ``css`` is added after Quarto's own rules, as ``css:`` is."""
    chart = pypandoc.convert_text(
        html_snippet({**FIXTURE_SPEC, "width": 551}, "wide", "A wide chart"),
        "html",
        format="markdown",
    )
    path.write_text(
        "<!doctype html><html lang='en'><head><meta name='viewport' "
        "content='width=device-width, initial-scale=1'><title>q</title>"
        f"{_bundle()}"
        "<style>body{margin:0} #quarto-content{display:grid;grid-template-columns:"
        "[screen-start] 1.5em [body-content-start] 1fr [body-content-end] 1.5em [screen-end]}"
        "main.content{grid-column:body-content-start/body-content-end}"
        ".quarto-figure{position:relative} .quarto-figure>figure{width:100%}"
        f"figure.figure{{display:block}}</style><style>{css}</style></head><body>"
        "<div id='quarto-content' class='page-columns page-layout-article'>"
        "<main class='content' id='quarto-document-content'><p>Text.</p>"
        "<div id='fig-wide' class='quarto-float quarto-figure quarto-figure-center'>"
        f"<figure class='quarto-float quarto-float-fig figure'><div>{chart}</div>"
        "<figcaption>Figure 1: Wide.</figcaption></figure></div></main></div></body></html>",
        encoding="utf-8",
    )
    return path


def test_styles_css_keeps_quartos_layout_from_scrolling_sideways(tmp_path):
    """Without report/styles.css the page at 390 px scrolls sideways, as measured in
    Quarto's HTML; with it, the chart scrolls inside its own box."""
    css = (REPORT_DIR / "styles.css").read_text(encoding="utf-8")
    bare = check_html_in_browser(quarto_like_page(tmp_path / "bare.html", ""), tmp_path / "b.png")
    styled = check_html_in_browser(quarto_like_page(tmp_path / "q.html", css), tmp_path / "q.png")
    assert bare.phone_overflow_px > 100 and bare.undrawn_charts == []
    assert styled.phone_overflow_px == 0 and styled.charts == 1 and styled.undrawn_charts == []
    assert styled.console_errors == [] and styled.external_requests == []


def test_hostile_chart_data_and_name_draw_as_text(tmp_path):
    """Issue 14 cases 1 and 2 in Chromium: the chart with U+2028 and fences in its data still
    draws, and a place name with an event-handler payload fires nothing."""
    from test_security_render import CASE2_NAME, case1_payload

    spec = fixture_spec(["上海", case1_payload("/etc/hostname"), CASE2_NAME])
    project = prepare_fixture_project(
        tmp_path / "project", text=CASE2_NAME, description=CASE2_NAME, spec=spec
    )
    out = render_report(project, tmp_path / "out", engine="fallback")
    report = check_html_in_browser(out["html"], tmp_path / "shots" / "hostile.png")
    assert report.charts == 1 and report.undrawn_charts == []
    assert report.dialogs == [] and report.console_errors == []


def quarto_like_table_page(path: Path, css: str) -> Path:
    """A page with Quarto's markup of a table float (figure, caption, a div, the table) whose
    table is wider than a phone, styled with ``css``."""
    cells = "".join(f"<td>cell-{i}-{'x' * 12}</td>" for i in range(8))
    path.write_text(
        "<!doctype html><html lang='en'><head><meta name='viewport' "
        "content='width=device-width, initial-scale=1'><title>q</title>"
        f"<style>table{{white-space:nowrap}}</style><style>{css}</style></head><body><main>"
        "<div id='tbl-wide' class='quarto-float quarto-figure quarto-figure-center'>"
        "<figure class='quarto-float quarto-float-tbl figure'>"
        "<figcaption class='quarto-float-caption-top'>Table 1: Wide.</figcaption>"
        f"<div aria-describedby='c'><table><tr>{cells}</tr></table></div>"
        "</figure></div></main></body></html>",
        encoding="utf-8",
    )
    return path


def test_styles_css_makes_quartos_tables_scroll_in_their_own_region(tmp_path):
    """Quarto writes no scroll wrapper of its own: with styles.css a wide table scrolls inside
    its float's div, below its caption, and the page does not scroll sideways."""
    from browser import page_layout

    css = (REPORT_DIR / "styles.css").read_text(encoding="utf-8")
    bare = page_layout(quarto_like_table_page(tmp_path / "bare.html", ""), 390)
    styled = page_layout(quarto_like_table_page(tmp_path / "q.html", css), 390)
    assert bare["page_overflow"] > 100 and bare["tables_sticking_out"] == 1
    assert styled["page_overflow"] <= 0 and styled["tables_sticking_out"] == 0
    assert styled["tables_scrolling"] == 1 and styled["captions_in_scroll"] == 0
