"""The report's figures: one function per figure, built from the tidy tables.

Every chart is built from the tidy tables (never from typed numbers). Its title is the finding
``helpers.report.findings`` computed (passed in as ``title``, so the prose and the chart state one
value). Figures fit the A4 text width for 1 to 200 sources: long labels wrap (never cut) and a
chart with many rows shows the top ones and says where the full table is. The house style is
``helpers.figures.theme``, the tables drawn ``helpers.figures.tables``, the words that describe each
figure ``helpers.figures.describe`` and the files written ``helpers.figures.export``.
"""

from __future__ import annotations

import math

import altair as alt  # importing helpers first keeps jsonschema's slow IRI grammar out
import pandas as pd

from helpers import schemas
from helpers.figures.describe import plural
from helpers.figures.layout import (
    TILE_EN,
    TILE_EN_LINE,
    TILE_ZH,
    TOP,
    count_axis,
    count_legend,
    nothing_to_draw,
    row_step,
    subtitle,
    wrapped_title,
)
from helpers.figures.tables import (
    REFERENCE_ONLY_NOTE,
    breadth_table,
    consensus_table,
    coverage_table,
    matrix_table,
    periods_table,
    ranked,
    tile_table,
    wrap,
)
from helpers.figures.theme import (
    GREY,
    NO_DATA,
    OKABE_ITO,
    RELATION_COLOURS,
    RELATION_ORDER,
    RELATION_SHAPES,
    WRAPPED,
    text_width,
)


def _matrix_view(table: pd.DataFrame) -> tuple[pd.DataFrame, list[str], list[str], str]:
    """The top TOP places and sectors by number of ties (all when they fit), their order, and a
    note saying what was left out."""
    places = ranked(table.groupby("place")["sector_id"].nunique())
    sectors = ranked(table.groupby("sector")["place_id"].nunique())
    note = ""
    if len(places) > TOP or len(sectors) > TOP:
        note = (
            f" Shown: the {min(TOP, len(places))} of {len(places)} places and "
            f"{min(TOP, len(sectors))} of {len(sectors)} sectors with the most ties; "
            "the table of priorities lists all."
        )
        places, sectors = places[:TOP], sectors[:TOP]
    shown = table[table["place"].isin(places) & table["sector"].isin(sectors)]
    return shown, places, sectors, note


_MATRIX_TOOLTIP = [
    ("place:N", "Place"),
    ("place_zh:N", "地区"),
    ("sector:N", "Sector"),
    ("relation:N", "Relation"),
    ("n_codings:Q", "Codings"),
    ("n_sources:Q", "Sources"),
    ("evidence:N", "Evidence"),
]


def _sources_size(top: int):
    """Mark size by the number of sources, only when it varies (one source: one size)."""
    if top <= 1:
        return alt.value(200)
    return alt.Size(
        "n_sources:Q",
        title="Sources",
        scale=alt.Scale(domain=[1, top], range=[90, 260]),
        legend=alt.Legend(format="d", values=sorted({1, top})),
    )


def priority_matrix(
    matrix: pd.DataFrame,
    codings: pd.DataFrame,
    places: pd.DataFrame,
    sectors: pd.DataFrame,
    *,
    title: str,
    source: str | None = None,
) -> alt.Chart:
    """Place x sector dot matrix; colour and shape carry the relation (colour-blind safe), size
    the number of sources that attest the tie. ``matrix`` is the TIES table (or any table with
    the priority matrix's columns); ``title`` is the finding (``findings.chart_titles``)."""
    table = matrix_table(matrix, codings, places, sectors)
    if table.empty:
        raise ValueError("the priority matrix is empty: nothing to draw")
    table["place"] = table["place"].map(wrap)  # sectors stand vertical: long, never wrapped
    shown, place_order, sector_order, note = _matrix_view(table)
    detail = (
        f"{plural(len(table), 'place-sector tie')} from "
        f"{plural(int(codings['source_id'].nunique()), 'text')}; strongest relation per "
        f"tie; larger marks: more sources.{note}"
    )
    if table["reference_only"].any():
        detail += f" {REFERENCE_ONLY_NOTE[:1].upper()}{REFERENCE_ONLY_NOTE[1:]}."
    top = max(int(table["n_sources"].max()), 1)
    data = shown[
        [
            "place",
            "place_zh",
            "sector",
            "sector_zh",
            "relation",
            "n_codings",
            "n_sources",
            "evidence",
        ]
    ]
    return (
        alt.Chart(data)
        .mark_point(filled=True, opacity=1)
        .encode(
            x=alt.X(
                "sector:N",
                sort=sector_order,
                title=None,
                axis=alt.Axis(orient="top", labelAngle=-90, grid=True, labelLimit=0),
            ),
            y=alt.Y("place:N", sort=place_order, title=None, axis=alt.Axis(grid=True, **WRAPPED)),
            color=alt.Color(
                "relation:N",
                title="Relation",
                scale=alt.Scale(domain=RELATION_ORDER, range=RELATION_COLOURS),
            ),
            shape=alt.Shape(
                "relation:N",
                title="Relation",
                scale=alt.Scale(domain=RELATION_ORDER, range=RELATION_SHAPES),
            ),
            size=_sources_size(top),
            tooltip=[alt.Tooltip(field, title=name) for field, name in _MATRIX_TOOLTIP],
        )
        .properties(
            title=wrapped_title(title, subtitle(source, detail)),
            width=alt.Step(20),
            height=alt.Step(row_step(place_order, 18)),
        )
    )


BREADTH_MEASURES = {"priority": "As a priority", "any_relation": "Any relation"}


def sector_breadth(
    matrix: pd.DataFrame, sectors: pd.DataFrame, *, title: str, source: str | None = None
) -> alt.Chart:
    """Grouped bars: how widely each sector is named, priorities beside all ties; the TOP
    sectors when there are more (the others are in the table of priorities)."""
    table = breadth_table(matrix, sectors)
    named = table[table["any_relation"] > 0]
    if named.empty:
        return nothing_to_draw("No province is tied to a sector", title, source)
    # Sectors no province is tied to are named in the caption, not drawn as empty rows.
    detail = (
        f"provinces tied to each of the {len(named)} of {plural(len(table), 'sector')} "
        "named at all."
    )
    table = named
    if len(named) > TOP:
        detail += f" Shown: the {TOP} named by the most provinces."
        table = named.head(TOP)
    table = table.assign(sector=table["sector"].map(wrap))
    long = table.melt(
        id_vars=["sector", "sector_zh"],
        value_vars=list(BREADTH_MEASURES),
        var_name="measure_id",
        value_name="provinces",
    )
    long["measure"] = long["measure_id"].map(BREADTH_MEASURES)
    measures = list(BREADTH_MEASURES.values())
    return (
        alt.Chart(long[["sector", "sector_zh", "measure", "provinces"]])
        .mark_bar()
        .encode(
            y=alt.Y(
                "sector:N", sort=table["sector"].tolist(), title=None, axis=alt.Axis(**WRAPPED)
            ),
            yOffset=alt.YOffset("measure:N", sort=measures),
            x=alt.X("provinces:Q", **count_axis(long["provinces"].max(), "Provinces")),
            color=alt.Color(
                "measure:N",
                title=None,
                sort=measures,
                scale=alt.Scale(domain=measures, range=[OKABE_ITO["vermillion"], GREY]),
            ),
            tooltip=[
                alt.Tooltip("sector:N", title="Sector"),
                alt.Tooltip("sector_zh:N", title="领域"),
                alt.Tooltip("measure:N", title="Counted"),
                alt.Tooltip("provinces:Q", title="Provinces"),
            ],
        )
        .properties(
            title=wrapped_title(title, subtitle(source, detail)),
            width=360,
            height=alt.Step(row_step(table["sector"], 26), **{"for": "position"}),
        )
    )


def tile_map(
    matrix: pd.DataFrame,
    places: pd.DataFrame,
    sectors: pd.DataFrame,
    *,
    title: str,
    source: str | None = None,
    tile: int = 60,
    evidence: pd.DataFrame | None = None,
) -> alt.LayerChart:
    """Tile-grid map: every division one equal square, so small provinces stay visible; a
    division only a reference names is marked (``evidence``: TIE_SOURCES)."""
    table = tile_table(matrix, places, sectors, evidence)
    # The tile is as wide as its longest line needs (CJK included), and never under ``tile``.
    longest = max(
        max(text_width(line, TILE_EN) for line in table["label_en"].str.split("\n").sum()),
        max(text_width(name, TILE_ZH) for name in table["name_zh"]),
    )
    tile = max(tile, math.ceil(longest + 10))
    counts = table.set_index("name_en")["n_priorities"]
    top = int(counts.max())
    detail = (
        f"priority sectors per provincial-level division; "
        f"grey: {plural(int((counts == 0).sum()), 'division')} with none."
    )
    if table["reference_only"].any():
        detail += f" {REFERENCE_ONLY_NOTE[:1].upper()}{REFERENCE_ONLY_NOTE[1:]}."
    n_cols = table["col"].max() - table["col"].min() + 1
    n_rows = table["row"].max() - table["row"].min() + 1
    x = alt.X(
        "col:O",
        axis=None,
        scale=alt.Scale(domain=list(range(table["col"].min(), table["col"].max() + 1))),
    )
    y = alt.Y(
        "row:O",
        axis=None,
        scale=alt.Scale(domain=list(range(table["row"].min(), table["row"].max() + 1))),
    )
    tooltip = [
        alt.Tooltip("name_en:N", title="Division"),
        alt.Tooltip("name_zh:N", title="地区"),
        alt.Tooltip("n_priorities:Q", title="Priority sectors"),
        alt.Tooltip("priority_sectors:N", title="Priorities"),
        alt.Tooltip("other_ties:N", title="Other ties"),
    ]
    tile_scale, tile_legend = count_legend(top, low=1)
    tile_scale.scheme = "oranges"
    has = alt.datum.n_priorities > 0
    colour = (
        alt.when(has)
        .then(
            alt.Color(
                "n_priorities:Q",
                title="Priority sectors",
                scale=tile_scale,
                legend=tile_legend,
            )
        )
        .otherwise(alt.value(NO_DATA))
    )
    dark = alt.datum.n_priorities >= max(top, 2) * 0.9  # white ink on the darkest tiles only
    ink = alt.when(has & dark).then(alt.value("white")).otherwise(alt.value("#222222"))
    base = alt.Chart(table).encode(x=x, y=y, tooltip=tooltip)
    tiles = base.mark_rect(stroke="white", strokeWidth=2, cornerRadius=3).encode(color=colour)
    # English names on one or two lines above the tile's middle (never cut), Chinese below it;
    # each line its own mark, placed from the middle up, so no line runs into the next.
    bottom = base.mark_text(baseline="bottom", dy=-1, fontSize=TILE_EN).encode(
        text="label_en_bottom:N", color=ink
    )
    top_line = base.mark_text(baseline="bottom", dy=-2 - TILE_EN_LINE, fontSize=TILE_EN).encode(
        text="label_en_top:N", color=ink
    )
    chinese = base.mark_text(baseline="top", dy=3, fontSize=TILE_ZH).encode(
        text="name_zh:N", color=ink
    )
    return alt.layer(tiles, top_line, bottom, chinese).properties(
        title=wrapped_title(title, subtitle(source, detail)),
        width=int(n_cols * tile),
        height=int(n_rows * tile),
    )


def periods(
    tie_sources: pd.DataFrame,
    sources: pd.DataFrame,
    sectors: pd.DataFrame,
    *,
    title: str,
    source: str | None = None,
) -> alt.Chart:
    """Heat grid: provinces naming each sector as a priority, one column per period (the TOP
    sectors named most when there are more)."""
    table = periods_table(tie_sources, sources, sectors)
    if table.empty:
        raise ValueError("no province names a priority: nothing to draw")
    order = ranked(table.groupby("sector")["provinces"].sum())
    detail = "provinces naming each sector as a priority, by the period the sources speak about."
    if len(order) > TOP:
        detail += f" Shown: the {TOP} of {len(order)} sectors named most."
        order = order[:TOP]
        table = table[table["sector"].isin(order)]
    period_scale, period_legend = count_legend(table["provinces"].max())
    period_scale.scheme = "oranges"
    return (
        alt.Chart(table)
        .mark_rect(stroke="white", strokeWidth=1)
        .encode(
            x=alt.X(
                "period:O",
                sort=sorted(set(table["period"])),
                title=None,
                axis=alt.Axis(orient="top", labelAngle=0),
            ),
            y=alt.Y("sector:N", sort=order, title=None, axis=alt.Axis(**WRAPPED)),
            color=alt.Color(
                "provinces:Q",
                title="Provinces",
                scale=period_scale,
                legend=period_legend,
            ),
            tooltip=[
                alt.Tooltip("period:O", title="Period"),
                alt.Tooltip("sector:N", title="Sector"),
                alt.Tooltip("provinces:Q", title="Provinces"),
            ],
        )
        .properties(
            title=wrapped_title(title, subtitle(source, detail)),
            width=alt.Step(70),
            height=alt.Step(row_step(order, 26)),
        )
    )


def consensus(
    ties: pd.DataFrame,
    places: pd.DataFrame,
    sectors: pd.DataFrame,
    *,
    title: str,
    source: str | None = None,
) -> alt.Chart:
    """Bars: the ties attested by the most sources, coloured by how the sources agree."""
    if ties.empty:
        raise ValueError("no ties: nothing to draw")
    table = consensus_table(ties, places, sectors)
    detail = "sources that code each place-sector tie; colour: agreement between them."
    if len(table) > TOP:
        detail += (
            f" Shown: the {TOP} of {len(table)} ties with the most sources; "
            "the table of ties lists all."
        )
        table = table.head(TOP)
    domain = [a.replace("_", " ") for a in schemas.AGREEMENTS]
    colours = [OKABE_ITO["vermillion"], OKABE_ITO["purple"], OKABE_ITO["green"], GREY]
    return (
        alt.Chart(table[["tie", "n_sources", "agreement_label", "relation", "source_ids"]])
        .mark_bar()
        .encode(
            y=alt.Y("tie:N", sort=table["tie"].tolist(), title=None, axis=alt.Axis(**WRAPPED)),
            x=alt.X("n_sources:Q", **count_axis(table["n_sources"].max(), "Sources")),
            color=alt.Color(
                "agreement_label:N",
                title="Agreement",
                scale=alt.Scale(domain=domain, range=colours),
            ),
            tooltip=[
                alt.Tooltip("tie:N", title="Tie"),
                alt.Tooltip("n_sources:Q", title="Sources"),
                alt.Tooltip("relation:N", title="Strongest relation"),
                alt.Tooltip("agreement_label:N", title="Agreement"),
                alt.Tooltip("source_ids:N", title="Source ids"),
            ],
        )
        .properties(
            title=wrapped_title(title, subtitle(source, detail)),
            width=300,
            height=alt.Step(row_step(table["tie"], 26)),
        )
    )


def coverage(
    tie_sources: pd.DataFrame, places: pd.DataFrame, *, title: str, source: str | None = None
) -> alt.Chart:
    """Heat grid: which source names which place (ties per source and place); the TOP sources
    and places with the most ties when there are more."""
    if tie_sources.empty:
        raise ValueError("no ties: nothing to draw")
    table = coverage_table(tie_sources, places)
    by_source = ranked(table.groupby("source_id")["n_ties"].sum())
    by_place = ranked(table.groupby("place")["n_ties"].sum())
    detail = "place-sector ties each source codes for each place."
    if len(by_source) > TOP or len(by_place) > TOP:
        detail += (
            f" Shown: the {min(TOP, len(by_source))} of {len(by_source)} sources and "
            f"{min(TOP, len(by_place))} of {len(by_place)} places with the most ties; "
            "data/processed/tie_sources.csv lists all."
        )
        by_source, by_place = by_source[:TOP], by_place[:TOP]
        table = table[table["source_id"].isin(by_source) & table["place"].isin(by_place)]
    ties_scale, ties_legend = count_legend(table["n_ties"].max())
    ties_scale.scheme = "blues"
    return (
        alt.Chart(table)
        .mark_rect(stroke="white", strokeWidth=1)
        .encode(
            x=alt.X(
                "source_id:N",
                sort=by_source,
                title=None,
                axis=alt.Axis(orient="top", labelAngle=-90, labelLimit=0),
            ),
            y=alt.Y("place:N", sort=by_place, title=None, axis=alt.Axis(**WRAPPED)),
            color=alt.Color("n_ties:Q", title="Ties", scale=ties_scale, legend=ties_legend),
            tooltip=[
                alt.Tooltip("source_id:N", title="Source"),
                alt.Tooltip("place:N", title="Place"),
                alt.Tooltip("n_ties:Q", title="Ties"),
                alt.Tooltip("n_priorities:Q", title="Priorities"),
            ],
        )
        .properties(
            title=wrapped_title(title, subtitle(source, detail)),
            width=alt.Step(18),
            height=alt.Step(row_step(by_place, 16)),
        )
    )
