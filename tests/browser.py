"""Helpers for report tests: build the fixture project, and check a rendered HTML in Chromium.

Shared by test_render.py, test_browser.py and the real report's test (import from ``browser``).
"""

from __future__ import annotations

import functools
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from helpers.charts import html_snippet, vega_bundle_html

FIXTURE_PROJECT = Path(__file__).parent / "fixtures" / "report_project"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]

FIXTURE_SPEC = {
    "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
    "data": {
        "values": [
            {"province": "上海", "mentions": 12},
            {"province": "广东", "mentions": 9},
            {"province": "<script>alert(1)</script>", "mentions": 1},
        ]
    },
    "mark": "bar",
    "encoding": {
        "x": {"field": "mentions", "type": "quantitative"},
        "y": {"field": "province", "type": "nominal"},
        "tooltip": [{"field": "province"}, {"field": "mentions"}],
    },
    "width": 200,
}


@functools.cache
def _bundle() -> str:
    return vega_bundle_html()


def prepare_fixture_project(dst: Path) -> Path:
    """Copy the fixture project to ``dst`` and write what the charts notebook would generate."""
    shutil.copytree(FIXTURE_PROJECT, dst)
    generated = dst / "_generated"
    (generated / "vega-bundle.html").write_text(_bundle(), encoding="utf-8")
    snippet = html_snippet(FIXTURE_SPEC, "provinces", "Bar chart of mentions by province")
    (generated / "fig-provinces.md").write_text(snippet, encoding="utf-8")
    return dst


@dataclass
class BrowserReport:
    """What the browser saw: each list must be empty for a good report."""

    external_requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    undrawn_charts: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)  # alert() and kin: injected script ran
    phone_overflow_px: int = 0  # how far the page scrolls sideways at phone width
    charts: int = 0
    tooltip_text: str = ""
    screenshots: list[Path] = field(default_factory=list)


def check_html_in_browser(
    html_path: Path, screenshot_path: Path, *, chart_timeout_ms: int = 10_000
) -> BrowserReport:
    """Open ``html_path`` offline in headless Chromium; report requests, errors, charts, tooltip.

    Every request that is not file: or data: is blocked and recorded. Screenshots are written
    beside ``screenshot_path`` with ``-phone`` (390 px) and ``-desktop`` (1280 px) suffixes.
    """
    from playwright.sync_api import sync_playwright

    report = BrowserReport()
    screenshot_path = Path(screenshot_path)

    def route(r):
        url = r.request.url
        if url.startswith(("file:", "data:")):
            r.continue_()
        else:
            report.external_requests.append(url)
            r.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            for name, width in (("desktop", 1280), ("phone", 390)):
                page = browser.new_page(viewport={"width": width, "height": 900})
                page.route("**/*", route)
                page.on(
                    "console", lambda m: m.type == "error" and report.console_errors.append(m.text)
                )
                page.on("pageerror", lambda e: report.console_errors.append(str(e)))
                page.on("dialog", lambda d: (report.dialogs.append(d.message), d.dismiss()))
                page.goto(Path(html_path).resolve().as_uri(), wait_until="load")
                if name == "desktop":
                    _check_charts(page, report, chart_timeout_ms)
                else:
                    report.phone_overflow_px = page.evaluate(
                        "document.documentElement.scrollWidth - window.innerWidth"
                    )
                shot = screenshot_path.with_name(
                    f"{screenshot_path.stem}-{name}{screenshot_path.suffix or '.png'}"
                )
                page.screenshot(path=str(shot), full_page=True)
                report.screenshots.append(shot)
                page.close()
        finally:
            browser.close()
    return report


def _check_charts(page, report: BrowserReport, timeout_ms: int) -> None:
    """Wait for each chart container to hold drawn marks, then hover one for the tooltip."""
    containers = page.locator(".vega-chart")
    report.charts = containers.count()
    for i in range(report.charts):
        box = containers.nth(i)
        ident = box.get_attribute("id") or f"chart {i}"
        marks = box.locator("svg .role-mark > *, canvas")
        try:
            marks.first.wait_for(state="attached", timeout=timeout_ms)
        except Exception:
            report.undrawn_charts.append(ident)
            continue
        if i == 0:
            target = box.locator("svg .role-mark > path").first
            target.scroll_into_view_if_needed()
            target.hover()
            tooltip = page.locator("#vg-tooltip-element")
            try:
                tooltip.wait_for(state="visible", timeout=5_000)
                report.tooltip_text = tooltip.inner_text()
            except Exception:
                report.tooltip_text = ""
