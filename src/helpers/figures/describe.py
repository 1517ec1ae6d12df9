"""The words for each figure: ``describe_<chart>`` is its HTML alt text and its PDF caption.

A description says what the chart shows (its finding is its title) and counts the same table
the chart draws (``helpers.figures.tables``), so the words never disagree with the marks.
"""

from __future__ import annotations

import pandas as pd

from helpers import schemas
from helpers.compare import triangulation as compare
from helpers.figures.tables import (
    REFERENCE_ONLY,
    REFERENCE_ONLY_NOTE,
    breadth_table,
    framing_findings,
    framing_outlets_table,
    framing_table,
    matrix_table,
    periods_table,
    tile_table,
    triangulation_table,
)
from helpers.figures.theme import RELATION_ORDER
from helpers.report.corpus import source_chains
from helpers.report.wording import counted, join_names, plural


def describe_priority_matrix(
    matrix: pd.DataFrame, codings: pd.DataFrame, places: pd.DataFrame, sectors: pd.DataFrame
) -> str:
    """Alt text and caption: what the matrix shows, in words (its finding is its title)."""
    table = matrix_table(matrix, codings, places, sectors)
    rel = table["relation"].value_counts().reindex(RELATION_ORDER, fill_value=0)
    several = int((table["n_sources"] > 1).sum())
    return (
        f"Dot matrix of {plural(len(table), 'place-sector tie')} between "
        f"{plural(table['place_id'].nunique(), 'place')} (rows) and "
        f"{plural(table['sector_id'].nunique(), 'sector')} (columns), both ordered by their "
        f"number of ties. Relations: {rel['priority']} priority, "
        f"{rel['achievement']} achievement, {rel['context']} context; "
        f"{plural(several, 'tie')} attested by more than one source."
        + _reference_only_sentence(table.loc[table["reference_only"], "place"])
    )


def _reference_only_sentence(marked: pd.Series) -> str:
    """' Marked *: Chongqing and Sichuan, named only by a reference ...' (or nothing)."""
    names = sorted({str(n).removesuffix(f" {REFERENCE_ONLY}").replace("\n", " ") for n in marked})
    return f" Marked {join_names(names)}: {REFERENCE_ONLY_NOTE}." if names else ""


def describe_sector_breadth(matrix: pd.DataFrame, sectors: pd.DataFrame) -> str:
    """Alt text and caption for the sector breadth bars."""
    table = breadth_table(matrix, sectors)
    named = table[table["any_relation"] > 0]
    unnamed = table[table["any_relation"] == 0]["sector"].tolist()
    top = table.iloc[0]
    text = (
        f"Bar chart of the {len(named)} of {plural(len(table), 'sector')} tied to at least "
        f"one province, sorted by the number of provinces tied to each, with priorities beside "
        f"all relations. {top['sector']} leads with "
        f"{plural(int(top['any_relation']), 'province')} ({top['priority']} as a priority)."
    )
    if unnamed:
        text += (
            f" Not drawn: the {plural(len(unnamed), 'sector')} no source in this corpus ties "
            f"to a province ({join_names(unnamed)})."
        )
    return text


def describe_tile_map(
    matrix: pd.DataFrame,
    places: pd.DataFrame,
    sectors: pd.DataFrame,
    evidence: pd.DataFrame | None = None,
) -> str:
    """Alt text and caption for the tile map, listing the divisions that name priorities."""
    table = tile_table(matrix, places, sectors, evidence)
    named = table[table["n_priorities"] > 0].sort_values(
        ["n_priorities", "name_en"], ascending=[False, True]
    )
    listed = [f"{r.name_en} {r.name_zh} ({r.n_priorities})" for r in named.itertuples()]
    return (
        f"Tile-grid map of {plural(len(table), 'provincial-level division')}, each a square "
        f"placed roughly where it lies, coloured by the number of sectors it names as a "
        f"priority. {counted(len(named), 'division', 'names')} at least one: "
        f"{join_names(listed) or 'none'}. The other {len(table) - len(named)} are grey."
        + _reference_only_sentence(table.loc[table["reference_only"], "name_en"])
    )


def describe_framing(claims: pd.DataFrame, book, sources: pd.DataFrame) -> str:
    """Alt text and caption for the framing chart, one clause per dimension; it names only the
    actors the claims involve and who wrote the claims (a translation's original author)."""
    if claims.empty:
        return "No framing claim to show: no text in this selection makes one."
    table = framing_table(claims, book)
    found = framing_findings(claims, book)
    parts = []
    for dimension, rows in table.groupby("dimension", sort=True):
        ahead = sorted(set(rows.loc[rows["standing"] == "ahead", "actor"]))
        behind = sorted(set(rows.loc[rows["standing"] == "behind", "actor"]))
        hedged = " (hedged)" if (rows["hedging"] == "hedged").all() else ""
        if ahead:
            clause = f"{join_names(ahead)} ahead"
            clause += f" of {join_names(behind)}" if behind else ""
        else:
            clause = "no one clearly ahead"
        parts.append(f"{dimension}: {clause}{hedged}")
    involved = set(claims["actor"]) | {
        c for cell in claims["comparators"].dropna() for c in str(cell).split(";") if c
    }
    named = [book.actor_in_text(a) for a in book.actors if a in involved]
    written = sources[sources["source_id"].isin(set(claims["source_id"]))]
    return (
        f"Dot chart of {plural(found['n'], 'framing claim')} "
        f"({found['n_comparative']} naming a comparator) involving {join_names(named)}; upward "
        f"triangles mark the actor put ahead, downward ones those put behind, hollow marks "
        f"hedged claims ({found['hedged']}). " + "; ".join(parts) + ". Claims written by "
        f"{'; '.join(sorted(set(source_chains(written))))}."
    )


def describe_framing_outlets(claims: pd.DataFrame, sources: pd.DataFrame, book) -> str:
    """Alt text and caption: which outlets compare the focal actor with whom."""
    table = framing_outlets_table(claims, sources, book)
    if table.empty:
        return "No comparison to show: no text in this selection names a comparator."
    parts = [
        f"{comparator}: {join_names(sorted(set(g['outlet'].str.replace(chr(10), ' '))))}"
        for comparator, g in table.groupby("comparator", sort=True)
    ]
    return (
        f"Dot chart of {plural(int(table['n_claims'].sum()), 'comparison')} in comparative "
        f"claims, by outlet and comparator, coloured by direction, hollow when hedged. "
        f"Outlets comparing with each: {'; '.join(parts) or 'none'}."
    )


def describe_periods(tie_sources: pd.DataFrame, sources: pd.DataFrame, sectors) -> str:
    """Alt text and caption for the periods grid (its finding is its title)."""
    table = periods_table(tie_sources, sources, sectors)
    return (
        f"Grid of {plural(table['sector'].nunique(), 'sector')} named as a priority (rows) by "
        f"the period the sources speak about ({plural(table['period'].nunique(), 'period')}, "
        f"columns), shaded by the number of provinces naming each."
    )


def describe_triangulation(tri: pd.DataFrame, sectors: pd.DataFrame) -> str:
    """Alt text and caption: totals per class, then where the retellings disagree most."""
    if tri.empty:
        return "No triangulation to show: no text in this selection retells a reference."
    table = triangulation_table(tri, sectors)
    by = table["by"].iloc[0]
    totals = table.groupby("class")["n"].sum()
    counts = ", ".join(
        f"{compare.CLASS_LABELS[c].lower()} {int(totals[c])}"
        for c in compare.CLASS_LABELS
        if c in totals
    )
    off = table[table["class"].isin(["omitted_by_article", "added_by_article", "misattributed"])]
    worst = (
        sorted(off.groupby("row")["n"].sum().loc[lambda s: s == s.max()].index)
        if not off.empty
        else []
    )
    text = (
        f"Stacked bar chart of {plural(int(table['n'].sum()), 'row')} in "
        f"{plural(table['row'].nunique(), 'bar')}, one per {by}, each retelling set against "
        f"the reference it retells: {counts}."
    )
    if worst:
        text += f" Most disagreements: {join_names(w.replace(chr(10), ' ') for w in worst)}."
    return text


def describe_consensus(ties: pd.DataFrame) -> str:
    """Alt text and caption for the consensus bars."""
    counts = ties["agreement"].value_counts()
    parts = ", ".join(
        f"{a.replace('_', ' ')} {int(counts[a])}" for a in schemas.AGREEMENTS if a in counts
    )
    return (
        f"Bar chart of the place-sector ties by the number of sources that code them "
        f"(at most {int(ties['n_sources'].max()) if len(ties) else 0}); of "
        f"{plural(len(ties), 'tie')}: {parts}."
    )


def describe_coverage(tie_sources: pd.DataFrame) -> str:
    """Alt text and caption for the sources x places grid."""
    per_source = tie_sources.groupby("source_id")["place_id"].nunique()
    return (
        f"Grid of {plural(len(per_source), 'source')} (columns) by the places they tie to "
        f"sectors (rows), shaded by the number of ties; "
        + (
            f"the source names {plural(int(per_source.iloc[0]), 'place')}."
            if len(per_source) == 1
            else f"each source names between {int(per_source.min())} and "
            f"{int(per_source.max())} places."
        )
    )
