"""Helpers for report tests: build the fixture project, and check a rendered HTML in Chromium.

Shared by test_render.py, test_browser.py and the real report's test (import from ``browser``).
"""

from __future__ import annotations

import functools
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from helpers.figures.export import html_snippet, vega_bundle_html
from helpers.report.markdown import markdown_table, md_escape

FIXTURE_PROJECT = Path(__file__).parent / "fixtures" / "report_project"
REPORT_DIR = Path(__file__).parent.parent / "report"
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

FIXTURE_ROWS = [("Shanghai", "上海", 12), ("Guangdong", "广东", 9)]
QUOTED = "<script>alert(1)</script>"  # text from a source, as a reader must see it


def fixture_spec(names: list[str], title: str = "Mentions by province") -> dict:
    """A small Vega-Lite bar chart whose data, tooltips and title carry ``names``."""
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "data": {
            "values": [{"province": n, "mentions": max(1, 12 - 3 * i)} for i, n in enumerate(names)]
        },
        "mark": "bar",
        "title": title,
        "encoding": {
            "x": {"field": "mentions", "type": "quantitative"},
            "y": {"field": "province", "type": "nominal"},
            "tooltip": [{"field": "province"}, {"field": "mentions"}],
        },
        "width": 200,
    }


FIXTURE_SPEC = fixture_spec(["上海", "广东", QUOTED])


@functools.cache
def _bundle() -> str:
    return vega_bundle_html()


def prepare_fixture_project(
    dst: Path,
    *,
    text: str = QUOTED,
    caption: str = "Mentions of technologies by province.",
    description: str = "Bar chart of mentions by province",
    spec: dict | None = None,
) -> Path:
    """Copy the fixture project to ``dst`` and write what the charts notebook would generate,
    through the project's own writers: ``text`` lands in a table cell and a meta value,
    ``caption`` in the figure caption, ``description`` in the chart's accessible label, and
    the chart's data in ``spec``. The report's own styles.css and styles.typ are copied in."""
    shutil.copytree(FIXTURE_PROJECT, dst)
    for name in ("styles.css", "styles.typ"):
        shutil.copy2(REPORT_DIR / name, dst / name)
    generated = dst / "_generated"
    (generated / "vega-bundle.html").write_text(_bundle(), encoding="utf-8")
    snippet = html_snippet(spec or FIXTURE_SPEC, "provinces", description)
    (generated / "fig-provinces.html").write_text(snippet, encoding="utf-8")
    numbers = {"n_sources": 3, "share_ai": "42%", "leading_province": "Shanghai (上海)"}
    meta = {
        "numbers": {**numbers, "unsafe_text": text},
        "captions": {"provinces": caption},
    }
    meta = {
        g: {k: md_escape(v) if isinstance(v, str) else v for k, v in d.items()}
        for g, d in meta.items()
    }
    (generated / "numbers.yml").write_text(
        yaml.safe_dump(meta, allow_unicode=True, sort_keys=True), encoding="utf-8"
    )
    rows = [*FIXTURE_ROWS, (f"Quoted {text}", "北京", 1)]
    table = pd.DataFrame(rows, columns=["province", "chinese", "mentions"])
    headers = {"province": "Province", "chinese": "Chinese", "mentions": "Mentions"}
    (generated / "table-provinces.md").write_text(markdown_table(table, headers), encoding="utf-8")
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


AXE_JS = (
    Path(__file__).parent.parent / "build" / "node" / "node_modules" / "axe-core" / "axe.min.js"
)
AXE_MISSING = (
    f"axe-core not installed at {AXE_JS}: run `make system-test` "
    "(scripts/system-deps.sh test, needs npm)"
)


def axe_violations(html_path: Path, widths=(1280, 390)) -> list[str]:
    """axe-core's violations of ``html_path`` in headless Chromium at each width, one line each:
    "<width>px <rule> (<impact>): <selectors>". Charts are drawn before the check."""
    from playwright.sync_api import sync_playwright

    found = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            for width in widths:
                page = browser.new_page(viewport={"width": width, "height": 900})
                page.route(
                    "**/*",
                    lambda r: (
                        r.continue_() if r.request.url.startswith(("file:", "data:")) else r.abort()
                    ),
                )
                page.goto(Path(html_path).resolve().as_uri(), wait_until="load")
                charts = page.locator(".vega-chart")
                for i in range(charts.count()):
                    charts.nth(i).locator("svg").first.wait_for(state="attached", timeout=10_000)
                page.add_script_tag(path=str(AXE_JS))
                result = page.evaluate("axe.run(document)")
                for v in result["violations"]:
                    targets = ", ".join(" ".join(n["target"]) for n in v["nodes"])
                    found.append(f"{width}px {v['id']} ({v['impact']}): {targets}")
                page.close()
        finally:
            browser.close()
    return found


LAYOUT_JS = """() => {
  const scrolls = e => ['auto', 'scroll'].includes(getComputedStyle(e).overflowX);
  const scroller = e => { for (let p = e.parentElement; p; p = p.parentElement) {
    if (scrolls(p)) return p; } return null; };
  const main = document.querySelector('main') || document.body;
  const tables = [...document.querySelectorAll('table')].map(t => {
    const box = scroller(t);
    return { scrolls: box !== null && box.scrollWidth > box.clientWidth + 1,
             sticks_out: t.getBoundingClientRect().right > main.getBoundingClientRect().right + 1
               && box === null };
  });
  let chartText = Infinity;
  for (const svg of document.querySelectorAll('.vega-chart svg')) {
    const scale = svg.getBoundingClientRect().width / parseFloat(svg.getAttribute('width'));
    for (const t of svg.querySelectorAll('text')) {
      if (!t.textContent.trim()) continue;
      chartText = Math.min(chartText, parseFloat(getComputedStyle(t).fontSize) * scale);
    }
  }
  const captions = [...document.querySelectorAll('figcaption, caption')];
  const toc = document.querySelector('nav#TOC, nav[role="doc-toc"]');
  const heading = document.querySelector('#toc-title, nav#TOC h2, nav[role="doc-toc"] h2');
  return {
    main_width: Math.round(main.getBoundingClientRect().width),
    page_overflow: document.documentElement.scrollWidth - window.innerWidth,
    tables_scrolling: tables.filter(t => t.scrolls).length,
    tables_sticking_out: tables.filter(t => t.sticks_out).length,
    chart_text_px: chartText === Infinity ? null : Math.round(chartText * 10) / 10,
    captions_in_scroll: captions.filter(c => scroller(c) !== null).length,
    toc_heading: toc === null ? null : (heading ? heading.textContent.trim() : ''),
  };
}"""


def page_layout(html_path: Path, width: int) -> dict:
    """How the page lays out at ``width`` px in headless Chromium (offline, charts drawn):
    the main column's width, sideways page scroll, tables that scroll in their region or stick
    out of the page, the smallest chart text as drawn (px), captions inside a scrolling
    region, and the contents heading."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.route(
                "**/*",
                lambda r: (
                    r.continue_() if r.request.url.startswith(("file:", "data:")) else r.abort()
                ),
            )
            page.goto(Path(html_path).resolve().as_uri(), wait_until="load")
            charts = page.locator(".vega-chart")
            for i in range(charts.count()):
                charts.nth(i).locator("svg text").first.wait_for(state="attached", timeout=10_000)
            return page.evaluate(LAYOUT_JS)
        finally:
            browser.close()
