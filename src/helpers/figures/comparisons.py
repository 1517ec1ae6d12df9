"""The figures that compare sources: framing claims (by dimension, and by the outlets that
wrote them) and each retelling against its reference. Built like ``charts``, from the tidy
tables, with the title the report's findings computed."""

from __future__ import annotations

import altair as alt  # importing helpers first keeps jsonschema's slow IRI grammar out
import pandas as pd

from helpers.compare import triangulation as compare
from helpers.figures.describe import plural
from helpers.figures.layout import (
    TOP,
    count_axis,
    nothing_to_draw,
    row_step,
    subtitle,
    wrapped_title,
)
from helpers.figures.tables import (
    NO_SECTOR,
    framing_findings,
    framing_outlets_table,
    framing_table,
    ranked,
    triangulation_table,
    wrap,
)
from helpers.figures.theme import (
    HEDGING,
    HEDGING_FILL,
    STANDING_COLOURS,
    STANDINGS,
    TRIANGULATION_COLOURS,
    WRAPPED,
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
            title=wrapped_title(title, subtitle(source, detail)),
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
            title=wrapped_title(title, subtitle(source, detail)),
            width=alt.Step(100),
            height=alt.Step(row_step(outlets, 28)),
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
            title=wrapped_title(title, subtitle(source, detail)),
            width=360,
            height=alt.Step(row_step(order, 20)),
        )
    )
