"""Markdown for the report's tables: every cell escaped (a source cannot inject markup,
shortcodes or cross references), and a long table cut by a stated rule with a link to the full
table shipped next to the report."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from helpers.engine import escape
from helpers.engine.escape import markdown_cell
from helpers.report.wording import plural

# The folder of report/_generated/ that the build copies next to the report, under the same
# name (_quarto.yml's report-data): the shipped tables as CSV and their datapackage.json.
DATA_FOLDER = "data"


def md_escape(value) -> str:
    """Text made safe for a Markdown table cell (any source text goes through this)."""
    return markdown_cell(value)


def markdown_table(
    df: pd.DataFrame,
    headers: Mapping[str, str],
    widths: list[int] | None = None,
    *,
    links: Mapping[str, str] | None = None,
    file_links: Mapping[str, str] | None = None,
) -> str:
    """A pipe table of ``df``'s columns named in ``headers`` (column -> header), every cell
    and header escaped (``escape.markdown_cell``).

    ``widths`` are relative column widths: pandoc reads them from the dashes of the rule
    line when a table has long rows, which keeps evidence columns wide in the PDF.
    ``links`` maps a column to the column holding its cells' URLs: each such cell links
    there (``escape.markdown_link``: http and https only); ``file_links`` likewise to a file
    shipped next to the report (``escape.markdown_file_link``: plain relative paths only).
    """
    links, file_links = links or {}, file_links or {}

    def cell(row, column):
        if column in links:
            return escape.markdown_link(row[column], row[links[column]])
        if column in file_links:
            return escape.markdown_file_link(row[column], row[file_links[column]])
        return row[column]

    rows = [[cell(row, c) for c in headers] for _, row in df.iterrows()]
    return escape.markdown_table(rows, list(headers.values()), widths)


TOP_ROWS = 40  # rows a report table shows before it points to the full CSV


def top_rows(
    df: pd.DataFrame, what: str, table: str, *, rule: str, group: str | None = None, unit: str = ""
) -> tuple[pd.DataFrame, str]:
    """At most TOP_ROWS rows of ``df`` (already in the order ``rule`` describes) and a note
    that says by what rule they were chosen and links the full table shipped with the report
    (``data/<table>.csv``); empty when all fit.

    With ``group`` (a column), whole groups are kept, in the order they first appear: all of
    a ``unit``'s rows or none (the first group whole even when it alone is longer).
    """
    if len(df) <= TOP_ROWS:
        return df, ""
    if group is None:
        shown, kept = df.head(TOP_ROWS), ""
    else:
        sizes = df.groupby(group, sort=False).size()
        chosen, total = [], 0
        for key, size in sizes.items():
            if chosen and total + size > TOP_ROWS:
                break
            chosen.append(key)
            total += size
        shown = df[df[group].isin(chosen)]
        kept = f", every {unit} whole ({plural(len(chosen), unit)} of {len(sizes)})"
    link = escape.markdown_file_link(f"{DATA_FOLDER}/{table}.csv", f"{DATA_FOLDER}/{table}.csv")
    note = escape.markdown_text(
        f"Shown: the first {len(shown)} of {len(df)} {what}, {rule}{kept}. All are in"
    )
    return shown, f"\n{note} {link}{escape.markdown_text('.')}\n"
