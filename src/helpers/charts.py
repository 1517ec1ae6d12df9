"""The report's charts: one house theme, one function per figure, and an offline export.

Every chart is built from the tidy tables (never from typed numbers). Its title is the finding
``helpers.findings`` computed (passed in as ``title``, so the prose and the chart state one
value), and a ``describe_<chart>`` function says in words what it shows, for the HTML alt text
and the PDF caption. Figures fit the A4 text width for 1 to 200 sources: long labels wrap (never
cut) and a chart with many rows shows the top ones and says where the full table is.
``export_chart`` writes the Vega-Lite spec, an SVG for the PDF and an HTML snippet that draws
the chart offline with vegaEmbed (a PNG only when asked).
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterable, Mapping
from pathlib import Path

import altair as alt  # importing helpers first keeps jsonschema's slow IRI grammar out
import pandas as pd
import vl_convert as vlc

from helpers import compare, escape, paths, schemas, storage
from helpers.findings import join_names

# -- theme -----------------------------------------------------------------------------------

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

RELATION_ORDER = schemas.RELATIONS
RELATION_COLOURS = [OKABE_ITO["vermillion"], OKABE_ITO["blue"], OKABE_ITO["orange"]]
RELATION_SHAPES = ["square", "circle", "triangle-up"]

STANDINGS = ["ahead", "behind", "unclear"]
STANDING_COLOURS = [OKABE_ITO["green"], OKABE_ITO["vermillion"], GREY]
HEDGING = ["flat", "hedged"]
HEDGING_FILL = {"expr": "datum.value === 'hedged' ? 'white' : '#444444'"}

TRIANGULATION_COLOURS = [
    OKABE_ITO["green"],
    OKABE_ITO["orange"],
    OKABE_ITO["sky_blue"],
    OKABE_ITO["vermillion"],
    OKABE_ITO["purple"],
    GREY,
]
NO_SECTOR = "No sector named"
DEFAULT_SOURCE = "news texts coded with the project's codebook"
# Every figure must fit the A4 text width (627 px) shrunk to no less than 80 %: 780 px.
MAX_WIDTH = 780
TOP = 20  # rows or columns a chart shows before it keeps the top ones and points to a table
LABEL_WIDTH = 28  # characters per line of a wrapped axis label
TITLE_WIDTH = 70  # characters per line of a wrapped title
# Labels carry their line breaks as "\n"; the axis splits them into lines and never cuts them.
WRAPPED = {"labelLimit": 0, "labelExpr": "split(datum.label, '\\n')", "labelLineHeight": 12}

VL_VERSION = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])


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


# -- shared preparation ----------------------------------------------------------------------


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def _text(value) -> str:
    """A nullable text cell as a string ('' for missing), whatever missing-value marker it uses."""
    return "" if value is None or pd.isna(value) else str(value)


def _lookup(table: pd.DataFrame, key: str, value: str) -> dict[str, str]:
    return dict(zip(table[key], table[value], strict=True))


def _place_names(places: pd.DataFrame) -> tuple[dict[str, str], dict[str, str]]:
    return _lookup(places, "id", "name_en"), _lookup(places, "id", "name_zh")


def wrap(label: str, width: int = LABEL_WIDTH) -> str:
    """A long label broken into lines at spaces or hyphens ("\n"), never cut."""
    return "\n".join(textwrap.wrap(str(label), width, break_on_hyphens=True)) or str(label)


def _wrapped_title(title: str, subtitle: list[str]) -> alt.Title:
    return alt.Title(textwrap.wrap(title, TITLE_WIDTH), subtitle=subtitle)


def places_with_regions(book) -> pd.DataFrame:
    """The codebook's places plus its regions (type "region", no tile), since ties name both."""
    places = book.places_table()
    regions = pd.DataFrame(
        [
            {
                "id": r.id,
                "name_en": r.name_en,
                "name_zh": r.name_zh,
                "pinyin": "",
                "type": "region",
                "macro_region": None,
            }
            for r in book.regions.values()
        ],
        columns=["id", "name_en", "name_zh", "pinyin", "type", "macro_region"],
    )
    out = pd.concat([places, regions], ignore_index=True)
    out["grid_row"] = out["grid_row"].astype("Int64")
    out["grid_col"] = out["grid_col"].astype("Int64")
    return out


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


def _check_known(ids: Iterable[str], known: Mapping[str, str], what: str) -> None:
    missing = sorted(set(ids) - set(known))
    if missing:
        raise ValueError(f"{what} not in the codebook: {', '.join(missing)}")


def _evidence_by_sentence(codings: pd.DataFrame) -> dict[str, str]:
    kept = codings[codings["status"] != "rejected"]
    return dict(zip(kept["sentence_id"], kept["evidence"], strict=False))


def matrix_table(
    matrix: pd.DataFrame, codings: pd.DataFrame, places: pd.DataFrame, sectors: pd.DataFrame
) -> pd.DataFrame:
    """The priority matrix with names and evidence sentences joined on, ready to draw."""
    name_en, name_zh = _place_names(places)
    sector_en = _lookup(sectors, "sector_id", "name_en")
    sector_zh = _lookup(sectors, "sector_id", "name_zh")
    _check_known(matrix["place_id"], name_en, "places")
    _check_known(matrix["sector_id"], sector_en, "sectors")
    evidence = _evidence_by_sentence(codings)

    def sentences(ids: str) -> str:
        wanted = [s for s in ids.split(";") if s]
        missing = [s for s in wanted if s not in evidence]
        if missing:
            raise ValueError(f"evidence sentences not among the codings: {', '.join(missing)}")
        return " | ".join(evidence[s] for s in wanted[:3])  # three are enough for a tooltip

    out = matrix.copy()
    out["place"] = out["place_id"].map(name_en)
    out["place_zh"] = out["place_id"].map(name_zh)
    out["sector"] = out["sector_id"].map(sector_en)
    out["sector_zh"] = out["sector_id"].map(sector_zh)
    out["evidence"] = out["sentence_ids"].map(sentences)
    return out.sort_values(["place_id", "sector_id"]).reset_index(drop=True)


def _ranked(counts: pd.Series) -> list[str]:
    """Labels ordered by count (most first), ties broken alphabetically for stable output."""
    frame = counts.rename("n").reset_index()
    frame.columns = ["label", "n"]
    return frame.sort_values(["n", "label"], ascending=[False, True])["label"].tolist()


# -- 1. priority matrix ----------------------------------------------------------------------


def _matrix_view(table: pd.DataFrame) -> tuple[pd.DataFrame, list[str], list[str], str]:
    """The top TOP places and sectors by number of ties (all when they fit), their order, and a
    note saying what was left out."""
    places = _ranked(table.groupby("place")["sector_id"].nunique())
    sectors = _ranked(table.groupby("sector")["place_id"].nunique())
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
        f"{_plural(len(table), 'place-sector tie')} from "
        f"{_plural(int(codings['source_id'].nunique()), 'text')}; strongest relation per "
        f"tie; larger marks: more sources.{note}"
    )
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
            size=alt.Size(
                "n_sources:Q",
                title="Sources",
                scale=alt.Scale(domain=[1, top], range=[90, 260] if top > 1 else [200, 200]),
                legend=alt.Legend(format="d", values=sorted({1, top})) if top > 1 else None,
            ),
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
            height=alt.Step(18),
        )
    )


def describe_priority_matrix(
    matrix: pd.DataFrame, codings: pd.DataFrame, places: pd.DataFrame, sectors: pd.DataFrame
) -> str:
    """Alt text and caption: what the matrix shows, in words (its finding is its title)."""
    table = matrix_table(matrix, codings, places, sectors)
    rel = table["relation"].value_counts().reindex(RELATION_ORDER, fill_value=0)
    several = int((table["n_sources"] > 1).sum())
    return (
        f"Dot matrix of {_plural(len(table), 'place-sector tie')} between "
        f"{_plural(table['place_id'].nunique(), 'place')} (rows) and "
        f"{_plural(table['sector_id'].nunique(), 'sector')} (columns), both ordered by their "
        f"number of ties. Relations: {rel['priority']} priority, "
        f"{rel['achievement']} achievement, {rel['context']} context; "
        f"{_plural(several, 'tie')} attested by more than one source."
    )


# -- 2. sector breadth -----------------------------------------------------------------------


def breadth_table(matrix: pd.DataFrame, sectors: pd.DataFrame) -> pd.DataFrame:
    """Provinces naming each sector, as a priority and with any relation; zero rows kept."""
    sector_en = _lookup(sectors, "sector_id", "name_en")
    _check_known(matrix["sector_id"], sector_en, "sectors")
    provinces = matrix[matrix["place_level"] == "province"]
    every = provinces.groupby("sector_id")["place_id"].nunique()
    priority = (
        provinces[provinces["relation"] == "priority"].groupby("sector_id")["place_id"].nunique()
    )
    out = pd.DataFrame({"sector_id": sectors["sector_id"].tolist()})
    out["sector"] = out["sector_id"].map(sector_en)
    out["sector_zh"] = out["sector_id"].map(_lookup(sectors, "sector_id", "name_zh"))
    out["any_relation"] = out["sector_id"].map(every).fillna(0).astype(int)
    out["priority"] = out["sector_id"].map(priority).fillna(0).astype(int)
    return out.sort_values(
        ["any_relation", "priority", "sector"], ascending=[False, False, True]
    ).reset_index(drop=True)


BREADTH_MEASURES = {"priority": "As a priority", "any_relation": "Any relation"}


def sector_breadth(
    matrix: pd.DataFrame, sectors: pd.DataFrame, *, title: str, source: str | None = None
) -> alt.Chart:
    """Grouped bars: how widely each sector is named, priorities beside all ties; the TOP
    sectors when there are more (the others are in the table of priorities)."""
    table = breadth_table(matrix, sectors)
    named = table[table["any_relation"] > 0]
    detail = f"provinces tied to each of {_plural(len(table), 'sector')}."
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
            x=alt.X("provinces:Q", title="Provinces", axis=alt.Axis(tickMinStep=1, format="d")),
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
            height=alt.Step(13),
        )
    )


def describe_sector_breadth(matrix: pd.DataFrame, sectors: pd.DataFrame) -> str:
    """Alt text and caption for the sector breadth bars."""
    table = breadth_table(matrix, sectors)
    named = table[table["any_relation"] > 0]
    unnamed = table[table["any_relation"] == 0]["sector"].tolist()
    top = table.iloc[0]
    text = (
        f"Bar chart of {_plural(len(table), 'sector')}, sorted by the number of provinces "
        f"tied to each, with priorities beside all relations. {top['sector']} leads with "
        f"{_plural(int(top['any_relation']), 'province')} "
        f"({top['priority']} as a priority). {len(named)} of {len(table)} sectors are named "
        f"by at least one province."
    )
    if unnamed:
        text += f" No source in this corpus ties these to a province: {join_names(unnamed)}."
    return text


# -- 3. tile map -----------------------------------------------------------------------------


def tile_table(matrix: pd.DataFrame, places: pd.DataFrame, sectors: pd.DataFrame) -> pd.DataFrame:
    """One row per division with a grid position: its priority count and sector lists."""
    sector_en = _lookup(sectors, "sector_id", "name_en")
    grid = places[
        places["grid_row"].notna() & places["grid_col"].notna() & (places["type"] != "region")
    ]
    if grid.empty:
        raise ValueError("no place has a grid position: the tile map needs grid_row/grid_col")
    ties = matrix[matrix["place_level"] == "province"].copy()
    ties["sector"] = ties["sector_id"].map(sector_en)

    def listed(relation_mask: pd.Series) -> pd.Series:
        return (
            ties[relation_mask].sort_values("sector").groupby("place_id")["sector"].agg(", ".join)
        )

    is_priority = ties["relation"] == "priority"
    out = grid[["id", "name_en", "name_zh", "grid_row", "grid_col"]].copy()
    out["label_en"] = out["name_en"].map(lambda name: wrap(name, 11))
    out["col"] = out["grid_col"].astype(int)
    out["row"] = out["grid_row"].astype(int)
    out["n_priorities"] = out["id"].map(ties[is_priority].groupby("place_id").size())
    out["n_priorities"] = out["n_priorities"].fillna(0).astype(int)
    out["priority_sectors"] = out["id"].map(listed(is_priority)).fillna("none")
    out["other_ties"] = out["id"].map(listed(~is_priority)).fillna("none")
    return out.drop(columns=["grid_row", "grid_col"]).sort_values("id").reset_index(drop=True)


def tile_map(
    matrix: pd.DataFrame,
    places: pd.DataFrame,
    sectors: pd.DataFrame,
    *,
    title: str,
    source: str | None = None,
    tile: int = 60,
) -> alt.LayerChart:
    """Tile-grid map: every division one equal square, so small provinces stay visible."""
    table = tile_table(matrix, places, sectors)
    counts = table.set_index("name_en")["n_priorities"]
    top = int(counts.max())
    detail = (
        f"priority sectors per provincial-level division; "
        f"grey: {_plural(int((counts == 0).sum()), 'division')} with none."
    )
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
    has = alt.datum.n_priorities > 0
    colour = (
        alt.when(has)
        .then(
            alt.Color(
                "n_priorities:Q",
                title="Priority sectors",
                scale=alt.Scale(scheme="oranges", domain=[1, max(top, 1)]),
                legend=alt.Legend(values=list(range(1, max(top, 1) + 1)), format="d"),
            )
        )
        .otherwise(alt.value(NO_DATA))
    )
    dark = alt.datum.n_priorities >= max(top, 2) * 0.9  # white ink on the darkest tiles only
    ink = alt.when(has & dark).then(alt.value("white")).otherwise(alt.value("#222222"))
    base = alt.Chart(table).encode(x=x, y=y, tooltip=tooltip)
    tiles = base.mark_rect(stroke="white", strokeWidth=2, cornerRadius=3).encode(color=colour)
    # English names wrap onto lines above the tile's middle (never cut); Chinese below it.
    english = base.mark_text(baseline="bottom", dy=-1, fontSize=9, lineBreak="\n").encode(
        text="label_en:N", color=ink
    )
    chinese = base.mark_text(baseline="top", dy=3, fontSize=11).encode(text="name_zh:N", color=ink)
    return alt.layer(tiles, english, chinese).properties(
        title=_wrapped_title(title, _subtitle(source, detail)),
        width=int(n_cols * tile),
        height=int(n_rows * tile),
    )


def describe_tile_map(matrix: pd.DataFrame, places: pd.DataFrame, sectors: pd.DataFrame) -> str:
    """Alt text and caption for the tile map, listing the divisions that name priorities."""
    table = tile_table(matrix, places, sectors)
    named = table[table["n_priorities"] > 0].sort_values(
        ["n_priorities", "name_en"], ascending=[False, True]
    )
    listed = [f"{r.name_en} {r.name_zh} ({r.n_priorities})" for r in named.itertuples()]
    return (
        f"Tile-grid map of {_plural(len(table), 'provincial-level division')}, each a square "
        f"placed roughly where it lies, coloured by the number of sectors it names as a "
        f"priority. {_plural(len(named), 'division')} name at least one: "
        f"{join_names(listed) or 'none'}. The other {len(table) - len(named)} are grey."
    )


# -- 4. framing ------------------------------------------------------------------------------


def framing_table(claims: pd.DataFrame, book) -> pd.DataFrame:
    """One row per claim x actor it involves, with where the text puts that actor.

    ``book`` is the framing codebook, which holds the actors' and dimensions' labels.
    """
    rows = []
    for claim in claims.sort_values("claim_id").itertuples(index=False):
        comparators = [c for c in _text(claim.comparators).split(";") if c]
        actor_standing, other_standing = {
            "actor_ahead": ("ahead", "behind"),
            "comparator_ahead": ("behind", "ahead"),
        }.get(claim.direction, ("unclear", "unclear"))
        for actor, standing in [(claim.actor, actor_standing)] + [
            (c, other_standing) for c in comparators
        ]:
            rows.append(
                {
                    "claim_id": claim.claim_id,
                    "dimension": book.dimension_label(claim.dimension),
                    "actor": book.actor_label(actor),
                    "standing": standing,
                    "hedging": "hedged" if claim.hedged else "flat",
                    "hedge_terms": _text(claim.hedge_terms),
                    "evidence": claim.evidence,
                }
            )
    out = pd.DataFrame(
        rows,
        columns=[
            "claim_id",
            "dimension",
            "actor",
            "standing",
            "hedging",
            "hedge_terms",
            "evidence",
        ],
    )
    out["claim_no"] = out.groupby("dimension")["claim_id"].rank(method="dense").astype(int)
    return out


def _framing_findings(claims: pd.DataFrame, book) -> dict:
    comparative = claims[claims["comparative"]]
    focal = claims[claims["actor"] == book.focal_actor]
    return {
        "n": len(claims),
        "n_comparative": len(comparative),
        "focal": book.actor_label(book.focal_actor),
        "focal_ahead": int((focal["direction"] == "actor_ahead").sum()),
        "n_focal": len(focal),
        "hedged": int(claims["hedged"].sum()),
        "dimensions": claims["dimension"].nunique(),
    }


def framing(claims: pd.DataFrame, book, *, title: str, source: str | None = None) -> alt.Chart:
    """Who the texts put ahead on each dimension; hollow marks are hedged claims."""
    if claims.empty:
        return nothing_to_draw("No text in this selection makes a framing claim", title, source)
    table = framing_table(claims, book)
    table["dimension"] = table["dimension"].map(wrap)
    found = _framing_findings(claims, book)
    detail = (
        f"{_plural(found['n'], 'framing claim')} on "
        f"{_plural(found['dimensions'], 'dimension')}; hollow marks are hedged."
    )
    actors = [
        book.actor_label(a) for a in book.actors if book.actor_label(a) in set(table["actor"])
    ]
    dims = _ranked(table.groupby("dimension")["claim_id"].nunique())
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
            height=alt.Step(18),
        )
    )


def describe_framing(claims: pd.DataFrame, book) -> str:
    """Alt text and caption for the framing chart, one clause per dimension."""
    if claims.empty:
        return "No framing claim to show: no text in this selection makes one."
    table = framing_table(claims, book)
    found = _framing_findings(claims, book)
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
    return (
        f"Dot chart of {_plural(found['n'], 'framing claim')} "
        f"({found['n_comparative']} naming a comparator) comparing "
        f"{join_names([book.actor_in_text(a) for a in book.actors])}; upward triangles mark the "
        f"actor put ahead, downward ones those put behind, hollow marks hedged claims "
        f"({found['hedged']}). " + "; ".join(parts) + "."
    )


def framing_outlets_table(claims: pd.DataFrame, sources: pd.DataFrame, book) -> pd.DataFrame:
    """Comparative claims per (outlet, comparator, direction, hedging): who frames the focal
    actor against whom, which way, and how firmly."""
    outlet = dict(zip(sources["source_id"], sources["outlet"], strict=True))
    rows = []
    for claim in claims[claims["comparative"]].itertuples(index=False):
        for comparator in [c for c in _text(claim.comparators).split(";") if c]:
            rows.append(
                {
                    "outlet": wrap(outlet.get(claim.source_id, claim.source_id)),
                    "comparator": book.actor_label(comparator),
                    "direction": {
                        "actor_ahead": f"{book.actor_label(claim.actor)} ahead",
                        "comparator_ahead": "comparator ahead",
                    }.get(claim.direction, "unclear"),
                    "hedging": "hedged" if claim.hedged else "flat",
                }
            )
    columns = ["outlet", "comparator", "direction", "hedging"]
    table = pd.DataFrame(rows, columns=columns)
    return table.groupby(columns).size().rename("n_claims").reset_index()


def framing_outlets(
    claims: pd.DataFrame, sources: pd.DataFrame, book, *, title: str, source: str | None = None
) -> alt.Chart:
    """Dots per outlet and comparator: size the comparative claims, colour their direction,
    hollow the hedged ones; the TOP outlets with the most claims when there are more."""
    table = framing_outlets_table(claims, sources, book)
    if table.empty:
        return nothing_to_draw("No text in this selection names a comparator", title, source)
    outlets = _ranked(table.groupby("outlet")["n_claims"].sum())
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
            height=alt.Step(28),
        )
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
        f"Dot chart of {_plural(int(table['n_claims'].sum()), 'comparison')} in comparative "
        f"claims, by outlet and comparator, coloured by direction, hollow when hedged. "
        f"Outlets comparing with each: {'; '.join(parts) or 'none'}."
    )


def periods_table(
    tie_sources: pd.DataFrame, sources: pd.DataFrame, sectors: pd.DataFrame
) -> pd.DataFrame:
    """Provinces naming each sector as a priority, by the period of the sources that say so."""
    from helpers.findings import period_label

    period = dict(zip(sources["source_id"], sources["period"], strict=True))
    sector_en = _lookup(sectors, "sector_id", "name_en")
    rows = tie_sources[
        (tie_sources["place_level"] == "province") & (tie_sources["relation"] == "priority")
    ].assign(period=lambda d: d["source_id"].map(period).map(period_label))
    out = rows.groupby(["period", "sector_id"])["place_id"].nunique().rename("provinces")
    out = out.reset_index()
    out["sector"] = out["sector_id"].map(sector_en).map(wrap)
    return out


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
    order = _ranked(table.groupby("sector")["provinces"].sum())
    detail = "provinces naming each sector as a priority, by the period the sources speak about."
    if len(order) > TOP:
        detail += f" Shown: the {TOP} of {len(order)} sectors named most."
        order = order[:TOP]
        table = table[table["sector"].isin(order)]
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
                scale=alt.Scale(scheme="oranges", domainMin=0),
                legend=alt.Legend(format="d", tickMinStep=1),
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
            height=alt.Step(26),
        )
    )


def describe_periods(tie_sources: pd.DataFrame, sources: pd.DataFrame, sectors) -> str:
    """Alt text and caption for the periods grid (its finding is its title)."""
    table = periods_table(tie_sources, sources, sectors)
    return (
        f"Grid of {_plural(table['sector'].nunique(), 'sector')} named as a priority (rows) by "
        f"the period the sources speak about ({_plural(table['period'].nunique(), 'period')}, "
        f"columns), shaded by the number of provinces naming each."
    )


# -- 5. triangulation ------------------------------------------------------------------------


def triangulation_table(tri: pd.DataFrame, sectors: pd.DataFrame) -> pd.DataFrame:
    """Ties per sector and class (``compare.ties``), with example texts for the tooltip."""
    sector_en = _lookup(sectors, "sector_id", "name_en")
    known = tri["sector_id"].dropna()
    _check_known(known, sector_en, "sectors")
    rows = compare.ties(tri)
    rows["sector"] = rows["sector_id"].map(sector_en).fillna(NO_SECTOR)
    rows["text"] = rows["article_evidence"].fillna(rows["fact_text"]).fillna("")
    several = rows["article_source_id"].nunique() > 1
    rows["row"] = (rows["article_source_id"] if several else rows["sector"]).map(wrap)
    grouped = rows.groupby(["row", "class"], sort=True)
    out = grouped.size().rename("n").reset_index()
    out["examples"] = (
        grouped["text"].agg(lambda s: " | ".join(list(dict.fromkeys(t for t in s if t))[:3])).values
    )
    out["class_label"] = out["class"].map(compare.CLASS_LABELS)
    out["by"] = "retelling" if several else "sector"
    return out


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
    rows = _ranked(table.groupby("row")["n"].sum())
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
            x=alt.X("n:Q", title="Ties", stack="zero", axis=alt.Axis(tickMinStep=1, format="d")),
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
            height=alt.Step(20),
        )
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
        f"Stacked bar chart of {_plural(int(table['n'].sum()), 'row')} in "
        f"{_plural(table['row'].nunique(), 'bar')}, one per {by}, each retelling set against "
        f"the reference it retells: {counts}."
    )
    if worst:
        text += f" Most disagreements: {join_names(w.replace(chr(10), ' ') for w in worst)}."
    return text


# -- 6. agreement between sources ------------------------------------------------------------


def consensus_table(ties: pd.DataFrame, places: pd.DataFrame, sectors: pd.DataFrame):
    """Ties with their labels, most-attested first (ties broken by place, sector)."""
    name_en, _ = _place_names(places)
    sector_en = _lookup(sectors, "sector_id", "name_en")
    out = ties.sort_values(
        ["n_sources", "place_id", "sector_id"], ascending=[False, True, True]
    ).reset_index(drop=True)
    out["tie"] = [
        wrap(f"{name_en.get(p, p)} · {sector_en.get(s, s)}", 36)
        for p, s in zip(out["place_id"], out["sector_id"], strict=True)
    ]
    out["agreement_label"] = out["agreement"].str.replace("_", " ")
    return out


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
            x=alt.X("n_sources:Q", title="Sources", axis=alt.Axis(tickMinStep=1, format="d")),
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
            height=alt.Step(26),
        )
    )


def describe_consensus(ties: pd.DataFrame) -> str:
    """Alt text and caption for the consensus bars."""
    counts = ties["agreement"].value_counts()
    parts = ", ".join(
        f"{a.replace('_', ' ')} {int(counts[a])}" for a in schemas.AGREEMENTS if a in counts
    )
    return (
        f"Bar chart of the place-sector ties by the number of sources that code them "
        f"(at most {int(ties['n_sources'].max()) if len(ties) else 0}); of "
        f"{_plural(len(ties), 'tie')}: {parts}."
    )


def coverage_table(tie_sources: pd.DataFrame, places: pd.DataFrame) -> pd.DataFrame:
    """Ties per (source, place), with the place's English name, wrapped."""
    name_en, _ = _place_names(places)
    out = (
        tie_sources.groupby(["source_id", "place_id"])
        .agg(
            n_ties=("sector_id", "size"),
            n_priorities=("relation", lambda r: (r == "priority").sum()),
        )
        .reset_index()
    )
    out["place"] = out["place_id"].map(lambda p: wrap(name_en.get(p, p)))
    return out


def coverage(
    tie_sources: pd.DataFrame, places: pd.DataFrame, *, title: str, source: str | None = None
) -> alt.Chart:
    """Heat grid: which source names which place (ties per source and place); the TOP sources
    and places with the most ties when there are more."""
    if tie_sources.empty:
        raise ValueError("no ties: nothing to draw")
    table = coverage_table(tie_sources, places)
    by_source = _ranked(table.groupby("source_id")["n_ties"].sum())
    by_place = _ranked(table.groupby("place")["n_ties"].sum())
    detail = "place-sector ties each source codes for each place."
    if len(by_source) > TOP or len(by_place) > TOP:
        detail += (
            f" Shown: the {min(TOP, len(by_source))} of {len(by_source)} sources and "
            f"{min(TOP, len(by_place))} of {len(by_place)} places with the most ties; "
            "data/processed/tie_sources.csv lists all."
        )
        by_source, by_place = by_source[:TOP], by_place[:TOP]
        table = table[table["source_id"].isin(by_source) & table["place"].isin(by_place)]
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
            color=alt.Color(
                "n_ties:Q",
                title="Ties",
                scale=alt.Scale(scheme="blues", domainMin=0),
                legend=alt.Legend(format="d", tickMinStep=1),
            ),
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
            height=alt.Step(16),
        )
    )


def describe_coverage(tie_sources: pd.DataFrame) -> str:
    """Alt text and caption for the sources x places grid."""
    per_source = tie_sources.groupby("source_id")["place_id"].nunique()
    return (
        f"Grid of {_plural(len(per_source), 'source')} (columns) by the places they tie to "
        f"sectors (rows), shaded by the number of ties; "
        + (
            f"the source names {_plural(int(per_source.iloc[0]), 'place')}."
            if len(per_source) == 1
            else f"each source names between {int(per_source.min())} and "
            f"{int(per_source.max())} places."
        )
    )


# -- export ----------------------------------------------------------------------------------


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


def chart_spec(chart: alt.TopLevelMixin) -> dict:
    """The validated Vega-Lite spec, data inline, as plain JSON-ready objects."""
    return json.loads(json.dumps(chart.to_dict(validate=True), sort_keys=True))


def export_chart(
    chart: alt.TopLevelMixin,
    name: str,
    folder: Path | str,
    description: str,
    *,
    png: bool = False,
) -> dict[str, Path]:
    """Write <name>.vl.json, .svg (the PDF's) and .html (the web page's) atomically, and a .png
    (scale 2) only when asked (the report uses none; it costs half a second a chart); return
    their paths."""
    if not description.strip():
        raise ValueError(f"{name}: a chart needs a description (alt text and caption)")
    register_cjk_font()
    folder = Path(folder)
    spec = chart_spec(chart)
    svg = vlc.vegalite_to_svg(spec, vl_version=VL_VERSION)
    written = {
        "spec": storage.write_json(folder / f"{name}.vl.json", spec),
        "svg": storage.write_text(folder / f"{name}.svg", svg),
        "html": storage.write_text(folder / f"{name}.html", html_snippet(spec, name, description)),
    }
    if png:
        image = vlc.vegalite_to_png(spec, vl_version=VL_VERSION, scale=2)
        written["png"] = storage.write_bytes(folder / f"{name}.png", image)
    return written
