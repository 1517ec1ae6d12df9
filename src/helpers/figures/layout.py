"""What every figure shares: count axes and legends of whole numbers, band steps that fit
wrapped labels, the title with its source and reading lines, and the figure for no data."""

from __future__ import annotations

import math
import textwrap

import altair as alt  # importing helpers first keeps jsonschema's slow IRI grammar out
import pandas as pd

from helpers.figures.theme import TITLE_WIDTH, WRAPPED

DEFAULT_SOURCE = "news texts coded with the project's codebook"

TILE_EN, TILE_EN_LINE, TILE_ZH = 10, 12, 12  # the tile map's font sizes and line height (px)
TOP = 20  # rows or columns a chart shows before it keeps the top ones and points to a table


LINE_HEIGHT = WRAPPED["labelLineHeight"]


def row_step(labels, minimum: int, *, per: int = 1) -> int:
    """The step (px) of a band axis whose labels are ``labels`` (wrapped with "\n"): enough
    for the label with the most lines, never less than ``minimum``; ``per`` bands share one
    label (grouped bars), so each gets its part."""
    lines = max((str(label).count("\n") + 1 for label in labels), default=1)
    return max(minimum, math.ceil((lines * LINE_HEIGHT + 4) / per))


def count_ticks(top: int, most: int = 8) -> list[int]:
    """Whole-number tick values from 0 to ``top`` (at least 1), at most ``most`` + 1 of them,
    at a step of 1, 2 or 5 times a power of ten: a count axis never reads "0, 1, 1"."""
    top = max(int(top), 1)
    step = 1
    while top / step > most:
        for factor in (2, 5, 10):
            if top / (step * factor) <= most or factor == 10:
                step *= factor
                break
    values = list(range(0, top + 1, step))
    if values[-1] < top:
        values.append(values[-1] + step)
    return values


def count_axis(top: int, title: str | None) -> dict:
    """The x (or y) channel options of a count: integer ticks up to ``top``, a domain that
    ends on the last tick."""
    ticks = count_ticks(top)
    return {
        "title": title,
        "axis": alt.Axis(values=ticks, format="d"),
        "scale": alt.Scale(domain=[0, ticks[-1]], nice=False),
    }


def count_legend(top: int, *, low: int = 0) -> tuple[alt.Scale, alt.Legend]:
    """A colour scale from ``low`` to ``top`` and a legend labelled with whole numbers up to
    ``top``, so the legend reaches the largest value drawn."""
    top = max(int(top), low + 1)
    ticks = [t for t in count_ticks(top - low) if t + low <= top]
    values = sorted({low + t for t in ticks} | {top})
    return alt.Scale(domain=[low, top], nice=False), alt.Legend(values=values, format="d")


def wrapped_title(title: str, subtitle: list[str]) -> alt.Title:
    return alt.Title(textwrap.wrap(title, TITLE_WIDTH), subtitle=subtitle)


def nothing_to_draw(message: str, title: str, source: str | None = None) -> alt.Chart:
    """A figure that says, in words, why it has no data (a selection without retellings or
    framing claims), so the report keeps its figures and numbering for any corpus."""
    return (
        alt.Chart(pd.DataFrame({"message": [message]}))
        .mark_text(fontSize=13, color="#555555", align="left", x=0)
        .encode(text="message:N")
        .properties(
            title=wrapped_title(title, subtitle(source, "nothing to draw.")),
            width=480,
            height=40,
        )
    )


def subtitle(source: str | None, detail: str) -> list[str]:
    """Subtitle lines: where the data come from (short: "8 sources, 2025–30; listed in the
    appendix"), then how to read the chart, wrapped to the title's width."""
    lines = [f"Source: {source or DEFAULT_SOURCE}."]
    return lines + textwrap.wrap(detail[:1].upper() + detail[1:], TITLE_WIDTH + 20)
