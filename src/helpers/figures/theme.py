"""The house theme: font, colours, scale ranges and label sizes every figure shares.

Registered with Altair as "report" (enabled on import), so any chart built after
``helpers.figures.charts`` (or ``comparisons``) is imported has the house style. The CJK font
lookup lives here too: the theme names Noto Sans CJK SC, and the SVG export must be told where
that font is (``register_cjk_font``) or Chinese names vanish silently.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import altair as alt
import vl_convert as vlc

from helpers import schemas

FONT = "Noto Sans CJK SC, Noto Sans SC, Source Han Sans SC, sans-serif"
CJK_FONT_DIRS = (
    Path("/usr/share/fonts/opentype/noto"),
    Path("/usr/share/fonts/noto-cjk"),
    Path("/usr/share/fonts/google-noto-cjk"),
    Path("/usr/local/share/fonts"),
    Path.home() / ".local/share/fonts",
)
CJK_FONT_PATTERNS = ("NotoSansCJK*", "NotoSansSC*", "SourceHanSans*")

# Okabe & Ito (2008), safe for the common colour-vision deficiencies.
OKABE_ITO = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "black": "#000000",
}
GREY = "#BBBBBB"
NO_DATA = "#E6E6E6"

# Each scale's domain beside its range, so a figure and its legend read the same everywhere.
RELATION_ORDER = schemas.RELATIONS
RELATION_COLOURS = [OKABE_ITO["vermillion"], OKABE_ITO["blue"], OKABE_ITO["orange"]]
RELATION_SHAPES = ["square", "circle", "triangle-up"]
STANDINGS = ["ahead", "behind", "unclear"]
STANDING_COLOURS = [OKABE_ITO["green"], OKABE_ITO["vermillion"], GREY]
HEDGING = ["flat", "hedged"]
HEDGING_FILL = {"expr": "datum.value === 'hedged' ? 'white' : '#444444'"}
TRIANGULATION_COLOURS = [  # in schemas.TRIANGULATION_CLASSES order
    OKABE_ITO["green"],
    OKABE_ITO["yellow"],  # unconfirmed: met only by a fact rebuilt from the retelling
    OKABE_ITO["orange"],
    OKABE_ITO["sky_blue"],
    OKABE_ITO["vermillion"],
    OKABE_ITO["blue"],  # framing as in the reference
    "#882255",  # framing changed (Paul Tol's wine, safe for colour-blind readers too)
    OKABE_ITO["purple"],
    "#332288",  # framing dropped (Tol's indigo)
    GREY,
]

# Every figure must fit the A4 text width (627 px) shrunk to no less than 80 %: 780 px.
MAX_WIDTH = 780
LABEL_WIDTH = 28  # characters per line of a wrapped axis label
TITLE_WIDTH = 70  # characters per line of a wrapped title
# Labels carry their line breaks as "\n"; the axis splits them into lines and never cuts them.
WRAPPED = {"labelLimit": 0, "labelExpr": "split(datum.label, '\\n')", "labelLineHeight": 12}


# Advance widths of Noto Sans, in em, by character class: the house estimate of how wide a
# label is drawn (CJK and full-width characters one em), for the space a label needs.
_NARROW = set("ijlI.,:;'|!()[]{}` ")
_SEMI = set('frt-/"*')
_WIDE = set("mwMW@%&")


def char_width(c: str) -> float:
    """The advance of ``c`` in em (an estimate that errs on the wide side)."""
    if ord(c) >= 0x2E80:  # CJK, kana, full-width forms
        return 1.0
    if c in _NARROW:
        return 0.28
    if c in _SEMI:
        return 0.38
    if c in _WIDE:
        return 0.9
    if c.isupper():
        return 0.68
    if c.isdigit():
        return 0.57
    return 0.56


def text_width(text: str, size: float) -> float:
    """Estimated width in px of ``text`` at font size ``size`` px (one line)."""
    return size * sum(char_width(c) for c in str(text))


@alt.theme.register("report", enable=True)
def report_theme() -> alt.theme.ThemeConfig:
    """House style: one CJK-capable font so Chinese names render, Okabe-Ito colours, quiet axes."""
    return alt.theme.ThemeConfig(
        config={
            "font": FONT,
            "background": "white",
            "view": {"stroke": None, "continuousWidth": 480, "continuousHeight": 320},
            "title": {
                "fontSize": 15,
                "fontWeight": "bold",
                "anchor": "start",
                "subtitleFontSize": 11,
                "subtitleColor": "#555555",
                "offset": 10,
            },
            "axis": {
                "labelFontSize": 11,
                "titleFontSize": 12,
                "titleFontWeight": "normal",
                "domainColor": "#888888",
                "tickColor": "#888888",
                "gridColor": "#EEEEEE",
                "labelColor": "#333333",
                "titleColor": "#333333",
            },
            "legend": {
                "labelFontSize": 11,
                "titleFontSize": 12,
                "titleFontWeight": "normal",
                "orient": "right",
                "symbolSize": 120,
            },
            "header": {"labelFontSize": 11, "titleFontSize": 12},
            "range": {"category": list(OKABE_ITO.values())},
            "text": {"fontSize": 11},
        }
    )


def cjk_font_dir(dirs: Iterable[Path] = CJK_FONT_DIRS) -> Path:
    """The first folder holding a Sans CJK font; raise, because missing glyphs vanish silently."""
    for folder in dirs:
        folder = Path(folder)
        if folder.is_dir() and any(
            next(folder.glob(pattern), None) is not None for pattern in CJK_FONT_PATTERNS
        ):
            return folder
    raise RuntimeError(
        "no CJK font found (looked for Noto Sans CJK SC in "
        + ", ".join(str(d) for d in dirs)
        + "); install fonts-noto-cjk so Chinese labels render"
    )


_REGISTERED: set[Path] = set()


def register_cjk_font() -> Path:
    """Tell vl-convert where the CJK font lives (once per process) and return that folder."""
    folder = cjk_font_dir()
    if folder not in _REGISTERED:
        vlc.register_font_directory(str(folder))
        _REGISTERED.add(folder)
    return folder
