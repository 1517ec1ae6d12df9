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
import textwrap

import altair as alt  # importing helpers first keeps jsonschema's slow IRI grammar out
import pandas as pd

from helpers import schemas
from helpers.compare import triangulation as compare
from helpers.figures.describe import plural
from helpers.figures.tables import (
    NO_SECTOR,
    REFERENCE_ONLY_NOTE,
    breadth_table,
    consensus_table,
    coverage_table,
    framing_findings,
    framing_outlets_table,
    framing_table,
    matrix_table,
    periods_table,
    ranked,
    tile_table,
    triangulation_table,
    wrap,
)
from helpers.figures.theme import (
    GREY,
    HEDGING,
    HEDGING_FILL,
    NO_DATA,
    OKABE_ITO,
    RELATION_COLOURS,
    RELATION_ORDER,
    RELATION_SHAPES,
    STANDING_COLOURS,
    STANDINGS,
    TITLE_WIDTH,
    TRIANGULATION_COLOURS,
    WRAPPED,
    text_width,
)

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


def _wrapped_title(title: str, subtitle: list[str]) -> alt.Title:
    return alt.Title(textwrap.wrap(title, TITLE_WIDTH), subtitle=subtitle)


def nothing_to_draw(message: str, title: str, source: str | None = None) -> alt.Chart:
    """A figure that says, in words, why it has no data (a selection without retellings or
    framing claims), so the report keeps its figures and numbering for any corpus."""
    return (
        alt.Chart(pd.DataFrame({"message": [message]}))
        .mark_text(fontSize=13, color="#555555", align="left", x=0)
        .encode(text="message:N")
        .properties(
            title=_wrapped_title(title, _subtitle(source, "nothing to draw.")),
            width=480,
            height=40,
        )
    )


def _subtitle(source: str | None, detail: str) -> list[str]:
    """Subtitle lines: where the data come from (short: "8 sources, 2025–30; listed in the
    appendix"), then how to read the chart, wrapped to the title's width."""
    lines = [f"Source: {source or DEFAULT_SOURCE}."]
    return lines + textwrap.wrap(detail[:1].upper() + detail[1:], TITLE_WIDTH + 20)


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
            # Size shows the number of sources only when it varies (one source: one size).
            size=alt.Size(
                "n_sources:Q",
                title="Sources",
                scale=alt.Scale(domain=[1, top], range=[90, 260]),
                legend=alt.Legend(format="d", values=sorted({1, top})),
            )
            if top > 1
            else alt.value(200),
            tooltip=[
                alt.Tooltip("place:N", title="Place"),
                alt.Tooltip("place_zh:N", title="地区"),
                alt.Tooltip("sector:N", title="Sector"),
                alt.Tooltip("relation:N", title="Relation"),
                alt.Tooltip("n_codings:Q", title="Codings"),
                alt.Tooltip("n_sources:Q", title="Sources"),
                alt.Tooltip("evidence:N", title="Evidence"),
            ],
        )
        .properties(
            title=_wrapped_title(title, _subtitle(source, detail)),
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
            title=_wrapped_title(title, _subtitle(source, detail)),
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
        title=_wrapped_title(title, _subtitle(source, detail)),
        width=int(n_cols * tile),
        height=int(n_rows * tile),
    )


def framing(claims: pd.DataFrame, book, *, title: str, source: str | None = None) -> alt.Chart:
    """Who the texts put ahead on each dimension; hollow marks are hedged claims."""
    if claims.empty:
        return nothing_to_draw("No text in this selection makes a framing claim", title, source)
    table = framing_table(claims, book)
    table["dimension"] = table["dimension"].map(wrap)
    found = framing_findings(claims, book)
    detail = (
        f"{plural(found['n'], 'framing claim')} on "
        f"{plural(found['dimensions'], 'dimension')}; hollow marks are hedged."
    )
    actors = [
        book.actor_label(a) for a in book.actors if book.actor_label(a) in set(table["actor"])
    ]
    dims = ranked(table.groupby("dimension")["claim_id"].nunique())
    return (
        alt.Chart(table)
        .mark_point(filled=True, size=220, strokeWidth=2, opacity=1)
        .encode(
            x=alt.X("actor:N", sort=actors, title=None, axis=alt.Axis(orient="top", labelAngle=0)),
            y=alt.Y("dimension:N", sort=dims, title=None, axis=alt.Axis(grid=True, **WRAPPED)),
            yOffset=alt.YOffset("claim_no:O"),
            color=alt.Color(
                "standing:N",
                title="As framed",
                scale=alt.Scale(domain=STANDINGS, range=STANDING_COLOURS),
            ),
            stroke=alt.Stroke(
                "standing:N",
                title="As framed",
                scale=alt.Scale(domain=STANDINGS, range=STANDING_COLOURS),
            ),
            shape=alt.Shape(
                "standing:N",
                title="As framed",
                scale=alt.Scale(domain=STANDINGS, range=["triangle-up", "triangle-down", "circle"]),
            ),
            fillOpacity=alt.FillOpacity(
                "hedging:N", legend=None, scale=alt.Scale(domain=HEDGING, range=[1, 0])
            ),
            # Vega-Lite draws no legend for fillOpacity, so a constant opacity scale carries
            # the hollow/filled legend instead.
            opacity=alt.Opacity(
                "hedging:N",
                title="Claim",
                scale=alt.Scale(domain=HEDGING, range=[1, 1]),
                legend=alt.Legend(
                    symbolType="circle",
                    symbolStrokeColor="#444444",
                    symbolStrokeWidth=2,
                    symbolFillColor=HEDGING_FILL,
                ),
            ),
            tooltip=[
                alt.Tooltip("dimension:N", title="Dimension"),
                alt.Tooltip("actor:N", title="Actor"),
                alt.Tooltip("standing:N", title="Framed as"),
                alt.Tooltip("hedging:N", title="Claim"),
                alt.Tooltip("hedge_terms:N", title="Hedge words"),
                alt.Tooltip("evidence:N", title="Evidence"),
            ],
        )
        .properties(
            title=_wrapped_title(title, _subtitle(source, detail)),
            width=alt.Step(100),
            height=alt.Step(row_step(dims, 18), **{"for": "position"}),
        )
    )


def framing_outlets(
    claims: pd.DataFrame, sources: pd.DataFrame, book, *, title: str, source: str | None = None
) -> alt.Chart:
    """Dots per outlet and comparator: size the comparative claims, colour their direction,
    hollow the hedged ones; the TOP outlets with the most claims when there are more."""
    table = framing_outlets_table(claims, sources, book)
    if table.empty:
        return nothing_to_draw("No text in this selection names a comparator", title, source)
    outlets = ranked(table.groupby("outlet")["n_claims"].sum())
    detail = "comparative claims by outlet and comparator; hollow marks are hedged."
    if len(outlets) > TOP:
        detail += f" Shown: the {TOP} of {len(outlets)} outlets with the most claims."
        outlets = outlets[:TOP]
        table = table[table["outlet"].isin(outlets)]
    directions = [f"{book.actor_label(book.focal_actor)} ahead", "comparator ahead", "unclear"]
    top = int(table["n_claims"].max())
    comparators = [
        book.actor_label(a) for a in book.actors if book.actor_label(a) in set(table["comparator"])
    ]
    return (
        alt.Chart(table)
        .mark_point(filled=True, strokeWidth=2, opacity=1)
        .encode(
            x=alt.X(
                "comparator:N",
                sort=comparators,
                title="Compared with",
                axis=alt.Axis(orient="top", labelAngle=0),
            ),
            xOffset=alt.XOffset("direction:N", sort=directions),
            y=alt.Y("outlet:N", sort=outlets, title=None, axis=alt.Axis(grid=True, **WRAPPED)),
            color=alt.Color(
                "direction:N",
                title="Direction",
                scale=alt.Scale(domain=directions, range=STANDING_COLOURS),
            ),
            stroke=alt.Stroke(
                "direction:N",
                legend=None,
                scale=alt.Scale(domain=directions, range=STANDING_COLOURS),
            ),
            fillOpacity=alt.FillOpacity(
                "hedging:N", legend=None, scale=alt.Scale(domain=HEDGING, range=[1, 0])
            ),
            # As in ``framing``: a constant opacity scale carries the hollow/filled legend.
            opacity=alt.Opacity(
                "hedging:N",
                title="Claim",
                scale=alt.Scale(domain=HEDGING, range=[1, 1]),
                legend=alt.Legend(
                    symbolType="circle",
                    symbolStrokeColor="#444444",
                    symbolStrokeWidth=2,
                    symbolFillColor=HEDGING_FILL,
                ),
            ),
            size=alt.Size(
                "n_claims:Q",
                title="Claims",
                scale=alt.Scale(domainMin=0),
                legend=alt.Legend(values=sorted({1, (1 + top) // 2, top}), format="d"),
            ),
            tooltip=[
                alt.Tooltip("outlet:N", title="Outlet"),
                alt.Tooltip("comparator:N", title="Compared with"),
                alt.Tooltip("direction:N", title="Direction"),
                alt.Tooltip("hedging:N", title="Claim"),
                alt.Tooltip("n_claims:Q", title="Claims"),
            ],
        )
        .properties(
            title=_wrapped_title(title, _subtitle(source, detail)),
            width=alt.Step(100),
            height=alt.Step(row_step(outlets, 28)),
        )
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
            title=_wrapped_title(title, _subtitle(source, detail)),
            width=alt.Step(70),
            height=alt.Step(row_step(order, 26)),
        )
    )


def triangulation(
    tri: pd.DataFrame, sectors: pd.DataFrame, *, title: str, source: str | None = None
) -> alt.Chart:
    """Stacked bars: how each retelling's codings meet its reference's facts (one bar per
    retelling when there are several, per sector when there is one)."""
    if tri.empty:
        return nothing_to_draw(
            "No text in this selection retells a reference source", title, source
        )
    table = triangulation_table(tri, sectors)
    by = table["by"].iloc[0]
    detail = (
        f"codings of each retelling classified against the hand-coded facts of its reference, "
        f"one bar per {by}."
    )
    rows = ranked(table.groupby("row")["n"].sum())
    if len(rows) > TOP:
        detail += f" Shown: the {TOP} {by}s with the most ties; the tables list all."
        rows = rows[:TOP]
        table = table[table["row"].isin(rows)]
    classes = [c for c in compare.CLASS_LABELS if c in set(table["class"])]
    labels = [compare.CLASS_LABELS[c] for c in classes]
    colours = [TRIANGULATION_COLOURS[list(compare.CLASS_LABELS).index(c)] for c in classes]
    order = sorted(rows, key=lambda s: s == NO_SECTOR)
    table = table.copy()
    table["stack"] = table["class"].map({c: i for i, c in enumerate(compare.CLASS_LABELS)})
    return (
        alt.Chart(table)
        .mark_bar()
        .encode(
            y=alt.Y("row:N", sort=order, title=None, axis=alt.Axis(**WRAPPED)),
            x=alt.X(
                "n:Q", stack="zero", **count_axis(table.groupby("row")["n"].sum().max(), "Ties")
            ),
            color=alt.Color(
                "class_label:N", title="Class", scale=alt.Scale(domain=labels, range=colours)
            ),
            order=alt.Order("stack:Q"),
            tooltip=[
                alt.Tooltip("row:N", title=by.capitalize()),
                alt.Tooltip("class_label:N", title="Class"),
                alt.Tooltip("n:Q", title="Ties"),
                alt.Tooltip("examples:N", title="Texts"),
            ],
        )
        .properties(
            title=_wrapped_title(title, _subtitle(source, detail)),
            width=360,
            height=alt.Step(row_step(order, 20)),
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
            title=_wrapped_title(title, _subtitle(source, detail)),
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
            title=_wrapped_title(title, _subtitle(source, detail)),
            width=alt.Step(18),
            height=alt.Step(row_step(by_place, 16)),
        )
    )
