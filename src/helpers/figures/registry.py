"""The report's figures, declared once: each figure's name, the builder that draws it and the
description that is its alt text and caption, from the same inputs.

The charts notebook, the tests and the README's table of figures read this one list, so a new
figure is one entry here (with its builder in ``charts``, its words in ``describe`` and its
title in ``helpers.report.findings.chart_titles``), not a cell wired by hand in several places.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import altair as alt
import pandas as pd

from helpers.figures import charts, comparisons
from helpers.figures import describe as text


@dataclass(frozen=True)
class Inputs:
    """What every figure is drawn from: the covered tables, the codebook's places and sectors,
    the framing codebook, the figures' titles and the source lines under them."""

    tables: Mapping[str, pd.DataFrame]
    places: pd.DataFrame
    sectors: pd.DataFrame
    framing_book: object
    titles: Mapping[str, str]
    source_line: str
    triangulation_line: str


@dataclass(frozen=True)
class Figure:
    """One figure of the report: ``build(inputs, title, source)`` draws it, ``describe(inputs)``
    says what it shows; ``tables`` names the tables both read (the README's "from")."""

    name: str
    build: Callable[[Inputs, str, str], alt.TopLevelMixin]
    describe: Callable[[Inputs], str]
    tables: tuple[str, ...]
    source_line: str = "source_line"  # which of Inputs' lines goes under the title


def _t(inputs: Inputs, name: str) -> pd.DataFrame:
    return inputs.tables[name]


FIGURES: tuple[Figure, ...] = (
    Figure(
        "priority_matrix",
        lambda i, title, source: charts.priority_matrix(
            _t(i, "ties"), _t(i, "tie_sources"), i.places, i.sectors, title=title, source=source
        ),
        lambda i: text.describe_priority_matrix(
            _t(i, "ties"), _t(i, "tie_sources"), i.places, i.sectors
        ),
        ("ties", "tie_sources"),
    ),
    Figure(
        "consensus",
        lambda i, title, source: charts.consensus(
            _t(i, "ties"), i.places, i.sectors, title=title, source=source
        ),
        lambda i: text.describe_consensus(_t(i, "ties")),
        ("ties",),
    ),
    Figure(
        "coverage",
        lambda i, title, source: charts.coverage(
            _t(i, "tie_sources"), i.places, title=title, source=source
        ),
        lambda i: text.describe_coverage(_t(i, "tie_sources")),
        ("tie_sources",),
    ),
    Figure(
        "sector_breadth",
        lambda i, title, source: charts.sector_breadth(
            _t(i, "ties"), i.sectors, title=title, source=source
        ),
        lambda i: text.describe_sector_breadth(_t(i, "ties"), i.sectors),
        ("ties",),
    ),
    Figure(
        "tile_map",
        lambda i, title, source: charts.tile_map(
            _t(i, "ties"),
            i.places,
            i.sectors,
            title=title,
            source=source,
            evidence=_t(i, "tie_sources"),
        ),
        lambda i: text.describe_tile_map(_t(i, "ties"), i.places, i.sectors, _t(i, "tie_sources")),
        ("ties", "tie_sources"),
    ),
    Figure(
        "periods",
        lambda i, title, source: charts.periods(
            _t(i, "tie_sources"), _t(i, "sources"), i.sectors, title=title, source=source
        ),
        lambda i: text.describe_periods(_t(i, "tie_sources"), _t(i, "sources"), i.sectors),
        ("tie_sources", "sources"),
    ),
    Figure(
        "framing_outlets",
        lambda i, title, source: comparisons.framing_outlets(
            _t(i, "framing_claims"), _t(i, "sources"), i.framing_book, title=title, source=source
        ),
        lambda i: text.describe_framing_outlets(
            _t(i, "framing_claims"), _t(i, "sources"), i.framing_book
        ),
        ("framing_claims", "sources"),
    ),
    Figure(
        "framing",
        lambda i, title, source: comparisons.framing(
            _t(i, "framing_claims"), i.framing_book, title=title, source=source
        ),
        lambda i: text.describe_framing(_t(i, "framing_claims"), i.framing_book, _t(i, "sources")),
        ("framing_claims", "sources"),
    ),
    Figure(
        "triangulation",
        lambda i, title, source: comparisons.triangulation(
            _t(i, "triangulation"), i.sectors, title=title, source=source
        ),
        lambda i: text.describe_triangulation(_t(i, "triangulation"), i.sectors),
        ("triangulation",),
        source_line="triangulation_line",
    ),
)
BY_NAME = {figure.name: figure for figure in FIGURES}


def build_all(inputs: Inputs) -> dict[str, tuple[alt.TopLevelMixin, str]]:
    """Every figure, in declared order: name -> (chart, description)."""
    return {
        f.name: (
            f.build(inputs, inputs.titles[f.name], getattr(inputs, f.source_line)),
            f.describe(inputs),
        )
        for f in FIGURES
    }
