"""The fallback's HTML in headless Chromium: offline, no console errors, charts drawn, tooltips."""

from __future__ import annotations

import pytest
from browser import check_html_in_browser, prepare_fixture_project

from helpers.render import render_report

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
