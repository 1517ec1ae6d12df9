"""The figures as files: Vega-Lite spec, SVG (the PDF's) and an offline HTML snippet.

``export_charts`` writes, for each figure, the spec, an SVG for the PDF and an HTML snippet
that draws the chart offline with vegaEmbed (a PNG only when asked); the SVGs come from
``helpers.figures.svg`` (worker processes side by side, a cache by content), and
``start_converters`` starts its workers early, so they warm up while the notebook reads its
tables, and ``convert_ahead`` hands them the figures as soon as they are built, so they
convert while the notebook displays them and writes its other outputs.
``vega_bundle_html`` is the JavaScript the snippets need, inlined once per page and
cached by version.
"""

from __future__ import annotations

import json
from pathlib import Path

import altair as alt
import vl_convert as vlc

from helpers.engine import escape, paths, storage
from helpers.figures import svg as chart_svg
from helpers.figures.theme import register_cjk_font

VL_VERSION = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
SVG_CACHE = paths.BUILD / "cache" / "svg"
_converters: chart_svg.Workers | None = None  # started by start_converters, used once


def _safe_id(name: str) -> str:
    return escape.html_id(name, prefix="chart-")


def _script_json(spec: dict) -> str:
    """The spec as JSON that cannot end the surrounding <script> element nor break its line
    (see ``escape.script_json``); it parses back to the same strings."""
    return escape.script_json(spec)


def html_snippet(spec: dict, name: str, description: str) -> str:
    """A Pandoc raw HTML block: an accessible div and the vegaEmbed call on the inline spec.

    Every value is escaped onto one line, so no description or data can close the raw block.
    The div is focusable: on a narrow screen it is a region that scrolls (report/styles.css).
    """
    element = _safe_id(name)
    options = '{"actions":false,"renderer":"svg"}'
    body = (
        f'<div id="{element}" class="vega-chart" role="img" tabindex="0" '
        f'aria-label="{escape.html_attr(description)}"></div>\n'
        f"<script>\n"
        f'vegaEmbed("#{element}", {_script_json(spec)}, {options})'
        f".catch(function (error) {{ console.error(error); }});\n"
        f"</script>\n"
    )
    return "```{=html}\n" + body + "```\n"


def vega_bundle_html(cache: Path | None = paths.BUILD / "cache") -> str:
    """The vega, vega-lite and vega-embed JavaScript as one inline <script>, no CDN.

    The bundle depends only on the vl-convert and Vega-Lite versions, so it is kept under
    ``cache`` by those versions (building it takes a second); ``None``: no cache.
    """
    cached = None
    if cache is not None:
        cached = Path(cache) / f"vega-bundle-vlc{vlc.__version__}-vl{VL_VERSION}.html"
        if cached.is_file():
            return cached.read_text(encoding="utf-8")
    bundle = vlc.javascript_bundle(vl_version=VL_VERSION)
    if "</script" in bundle.lower():
        raise RuntimeError("the vega bundle contains '</script' and cannot be inlined safely")
    html_text = f"<script>\n{bundle}\n</script>\n"
    if cached is not None:
        storage.write_text(cached, html_text)
    return html_text


def chart_spec(chart: alt.TopLevelMixin, *, validate: bool = True) -> dict:
    """The Vega-Lite spec (validated against the schema unless told), data inline, as plain
    JSON-ready objects."""
    return json.loads(json.dumps(chart.to_dict(validate=validate), sort_keys=True))


def start_converters(count: int | None = None) -> None:
    """Start the SVG workers now (one per core by default); the next :func:`export_charts`
    uses them. Called before the figures are built, they load vl-convert and the fonts
    meanwhile instead of after."""
    global _converters
    if _converters is not None:
        _converters.close()
    _converters = chart_svg.Workers(VL_VERSION, register_cjk_font(), count)


def convert_ahead(figures: dict[str, tuple[alt.TopLevelMixin, str]]) -> None:
    """Hand the figures to the SVG workers (started by :func:`start_converters`, else now),
    which convert them while the notebook goes on; :func:`export_charts` collects them. A
    figure changed in between is converted again, so this only ever saves time."""
    if _converters is None:
        start_converters()
    # not validated here: export_charts validates what it writes, and converts anew a spec
    # that differs from the one converted ahead
    specs = {name: chart_spec(chart, validate=False) for name, (chart, _) in figures.items()}
    chart_svg.submit(
        specs, _converters, vl_version=VL_VERSION, font_dir=register_cjk_font(), cache=SVG_CACHE
    )


def export_charts(
    figures: dict[str, tuple[alt.TopLevelMixin, str]],
    folder: Path | str,
    *,
    png: bool = False,
    cache: Path | None = SVG_CACHE,
) -> dict[str, dict[str, Path]]:
    """Write each figure's <name>.vl.json, .svg (the PDF's) and .html (the web page's)
    atomically, and a .png (scale 2) only when asked (the report uses none; it costs half a
    second a chart); return their paths by figure. ``figures``: name -> (chart, description).

    Every SVG is converted (or found in ``cache``, None: no cache) before any file is
    written, so a figure that fails leaves the folder as it was.
    """
    global _converters
    for name, (_, description) in figures.items():
        if not description.strip():
            raise ValueError(f"{name}: a chart needs a description (alt text and caption)")
    font_dir = register_cjk_font()
    specs = {name: chart_spec(chart) for name, (chart, _) in figures.items()}
    workers, _converters = _converters, None
    svgs = chart_svg.to_svg(
        specs, vl_version=VL_VERSION, font_dir=font_dir, cache=cache, workers=workers
    )
    folder = Path(folder)
    written = {}
    for name, (_, description) in figures.items():
        spec = specs[name]
        written[name] = {
            "spec": storage.write_json(folder / f"{name}.vl.json", spec),
            "svg": storage.write_text(folder / f"{name}.svg", svgs[name]),
            "html": storage.write_text(
                folder / f"{name}.html", html_snippet(spec, name, description)
            ),
        }
        if png:
            image = vlc.vegalite_to_png(spec, vl_version=VL_VERSION, scale=2)
            written[name]["png"] = storage.write_bytes(folder / f"{name}.png", image)
    return written


def export_chart(
    chart: alt.TopLevelMixin,
    name: str,
    folder: Path | str,
    description: str,
    *,
    png: bool = False,
    cache: Path | None = SVG_CACHE,
) -> dict[str, Path]:
    """One figure's files (see :func:`export_charts`)."""
    return export_charts({name: (chart, description)}, folder, png=png, cache=cache)[name]
