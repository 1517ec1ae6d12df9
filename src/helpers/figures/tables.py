"""The tables the figures draw: one ``<figure>_table`` per chart, from the tidy tables.

Kept apart from the charts because two readers share them: the chart builder
(``helpers.figures.charts``) and the description of the same figure
(``helpers.figures.describe``), which must count the same rows the chart draws. Here both
import one table instead of the prose reaching into the figure module. Unknown place or
sector ids stop with ``ValueError``.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping

import pandas as pd

from helpers.compare import triangulation as compare
from helpers.figures.theme import LABEL_WIDTH
from helpers.report import corpus, wording

NO_SECTOR = "No sector named"


def text_or_empty(value) -> str:
    """A nullable text cell as a string ('' for missing), whatever missing-value marker it uses."""
    return "" if value is None or pd.isna(value) else str(value)


def lookup(table: pd.DataFrame, key: str, value: str) -> dict[str, str]:
    return dict(zip(table[key], table[value], strict=True))


def place_names(places: pd.DataFrame) -> tuple[dict[str, str], dict[str, str]]:
    return lookup(places, "id", "name_en"), lookup(places, "id", "name_zh")


def wrap(label: str, width: int = LABEL_WIDTH) -> str:
    """A long label broken into lines at spaces or hyphens ("\n"), never cut."""
    return "\n".join(textwrap.wrap(str(label), width, break_on_hyphens=True)) or str(label)


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


def check_known(ids: Iterable[str], known: Mapping[str, str], what: str) -> None:
    missing = sorted(set(ids) - set(known))
    if missing:
        raise ValueError(f"{what} not in the codebook: {', '.join(missing)}")


def _evidence_by_sentence(evidence: pd.DataFrame) -> dict[str, str]:
    """Sentence id -> its text, from TIE_SOURCES (whose ids include a reference's facts,
    ``<reference>:<fact_id>``) or from CODINGS (rejected ones left out)."""
    kept = evidence[evidence["status"] != "rejected"] if "status" in evidence else evidence
    return dict(zip(kept["sentence_id"], kept["evidence"], strict=False))


# Marks a place only a reference names (its ties all from the reference's hand-coded facts) in
# the matrix and the tile map: the reference counts as a source (CODING.md §8), so its places
# are drawn, and the mark says no text of the corpus names them.
REFERENCE_ONLY = "*"
REFERENCE_ONLY_NOTE = f"{REFERENCE_ONLY} named only by a reference (its facts, coded by hand)"


def reference_only(evidence: pd.DataFrame | None) -> set[str]:
    """The places whose every tie comes from a reference (TIE_SOURCES ``from_reference``)."""
    if evidence is None or "from_reference" not in evidence or evidence.empty:
        return set()
    by_place = evidence.groupby("place_id")["from_reference"].all()
    return set(by_place[by_place].index)


def matrix_table(
    matrix: pd.DataFrame, evidence: pd.DataFrame, places: pd.DataFrame, sectors: pd.DataFrame
) -> pd.DataFrame:
    """The priority matrix with names and evidence sentences joined on, ready to draw."""
    name_en, name_zh = place_names(places)
    sector_en = lookup(sectors, "sector_id", "name_en")
    sector_zh = lookup(sectors, "sector_id", "name_zh")
    check_known(matrix["place_id"], name_en, "places")
    check_known(matrix["sector_id"], sector_en, "sectors")
    only = reference_only(evidence)
    evidence = _evidence_by_sentence(evidence)

    def sentences(ids: str) -> str:
        wanted = [s for s in ids.split(";") if s]
        missing = [s for s in wanted if s not in evidence]
        if missing:
            raise ValueError(f"evidence sentences not among the codings: {', '.join(missing)}")
        return " | ".join(evidence[s] for s in wanted[:3])  # three are enough for a tooltip

    out = matrix.copy()
    out["reference_only"] = out["place_id"].isin(only)
    out["place"] = out["place_id"].map(name_en) + out["reference_only"].map(
        {True: f" {REFERENCE_ONLY}", False: ""}
    )
    out["place_zh"] = out["place_id"].map(name_zh)
    out["sector"] = out["sector_id"].map(sector_en)
    out["sector_zh"] = out["sector_id"].map(sector_zh)
    out["evidence"] = out["sentence_ids"].map(sentences)
    return out.sort_values(["place_id", "sector_id"]).reset_index(drop=True)


def ranked(counts: pd.Series) -> list[str]:
    """Labels ordered by count (most first), ties broken alphabetically for stable output."""
    frame = counts.rename("n").reset_index()
    frame.columns = ["label", "n"]
    return frame.sort_values(["n", "label"], ascending=[False, True])["label"].tolist()


def breadth_table(matrix: pd.DataFrame, sectors: pd.DataFrame) -> pd.DataFrame:
    """Provinces naming each sector, as a priority and with any relation; zero rows kept."""
    sector_en = lookup(sectors, "sector_id", "name_en")
    check_known(matrix["sector_id"], sector_en, "sectors")
    provinces = matrix[matrix["place_level"] == "province"]
    every = provinces.groupby("sector_id")["place_id"].nunique()
    priority = (
        provinces[provinces["relation"] == "priority"].groupby("sector_id")["place_id"].nunique()
    )
    out = pd.DataFrame({"sector_id": sectors["sector_id"].tolist()})
    out["sector"] = out["sector_id"].map(sector_en)
    out["sector_zh"] = out["sector_id"].map(lookup(sectors, "sector_id", "name_zh"))
    out["any_relation"] = out["sector_id"].map(every).fillna(0).astype(int)
    out["priority"] = out["sector_id"].map(priority).fillna(0).astype(int)
    return out.sort_values(
        ["any_relation", "priority", "sector"], ascending=[False, False, True]
    ).reset_index(drop=True)


def tile_table(
    matrix: pd.DataFrame,
    places: pd.DataFrame,
    sectors: pd.DataFrame,
    evidence: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per division with a grid position: its priority count and sector lists; a
    division only a reference names (``evidence``: TIE_SOURCES) is marked REFERENCE_ONLY."""
    sector_en = lookup(sectors, "sector_id", "name_en")
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
    # A tile's English name on at most two lines, words never split ("Heilongjiang" whole).
    only = reference_only(evidence)
    out["reference_only"] = out["id"].isin(only)
    marked = out["name_en"].astype(str) + out["reference_only"].map(
        {True: f" {REFERENCE_ONLY}", False: ""}
    )
    lines = marked.map(lambda name: textwrap.wrap(name, 11, break_long_words=False) or [name])
    out["label_en"] = lines.map("\n".join)
    out["label_en_top"] = lines.map(lambda ls: " ".join(ls[:-1]))
    out["label_en_bottom"] = lines.map(lambda ls: ls[-1])
    out["col"] = out["grid_col"].astype(int)
    out["row"] = out["grid_row"].astype(int)
    out["n_priorities"] = out["id"].map(ties[is_priority].groupby("place_id").size())
    out["n_priorities"] = out["n_priorities"].fillna(0).astype(int)
    out["priority_sectors"] = out["id"].map(listed(is_priority)).fillna("none")
    out["other_ties"] = out["id"].map(listed(~is_priority)).fillna("none")
    return out.drop(columns=["grid_row", "grid_col"]).sort_values("id").reset_index(drop=True)


def framing_table(claims: pd.DataFrame, book) -> pd.DataFrame:
    """One row per claim x actor it involves, with where the text puts that actor.

    ``book`` is the framing codebook, which holds the actors' and dimensions' labels.
    """
    rows = []
    for claim in claims.sort_values("claim_id").itertuples(index=False):
        comparators = [c for c in text_or_empty(claim.comparators).split(";") if c]
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
                    "hedge_terms": text_or_empty(claim.hedge_terms),
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


def framing_findings(claims: pd.DataFrame, book) -> dict:
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


def framing_outlets_table(claims: pd.DataFrame, sources: pd.DataFrame, book) -> pd.DataFrame:
    """Comparative claims per (outlet, comparator, direction, hedging): who frames the focal
    actor against whom, which way, and how firmly. The outlet is the claim's author
    (``corpus.authors``: the original's, for a translation)."""
    outlet = corpus.authors(sources)
    rows = []
    for claim in claims[claims["comparative"]].itertuples(index=False):
        for comparator in [c for c in text_or_empty(claim.comparators).split(";") if c]:
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


def periods_table(
    tie_sources: pd.DataFrame, sources: pd.DataFrame, sectors: pd.DataFrame
) -> pd.DataFrame:
    """Provinces naming each sector as a priority, by the period of the sources that say so."""

    period = dict(zip(sources["source_id"], sources["period"], strict=True))
    sector_en = lookup(sectors, "sector_id", "name_en")
    rows = tie_sources[
        (tie_sources["place_level"] == "province") & (tie_sources["relation"] == "priority")
    ].assign(period=lambda d: d["source_id"].map(period).map(wording.period_label))
    out = rows.groupby(["period", "sector_id"])["place_id"].nunique().rename("provinces")
    out = out.reset_index()
    out["sector"] = out["sector_id"].map(sector_en).map(wrap)
    return out


def triangulation_table(tri: pd.DataFrame, sectors: pd.DataFrame) -> pd.DataFrame:
    """Ties per sector and class (``compare.ties``), with example texts for the tooltip."""
    sector_en = lookup(sectors, "sector_id", "name_en")
    known = tri["sector_id"].dropna()
    check_known(known, sector_en, "sectors")
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


def consensus_table(ties: pd.DataFrame, places: pd.DataFrame, sectors: pd.DataFrame):
    """Ties with their labels, most-attested first (ties broken by place, sector)."""
    name_en, _ = place_names(places)
    sector_en = lookup(sectors, "sector_id", "name_en")
    out = ties.sort_values(
        ["n_sources", "place_id", "sector_id"], ascending=[False, True, True]
    ).reset_index(drop=True)
    out["tie"] = [
        wrap(f"{name_en.get(p, p)} · {sector_en.get(s, s)}", 36)
        for p, s in zip(out["place_id"], out["sector_id"], strict=True)
    ]
    out["agreement_label"] = out["agreement"].str.replace("_", " ")
    return out


def coverage_table(tie_sources: pd.DataFrame, places: pd.DataFrame) -> pd.DataFrame:
    """Ties per (source, place), with the place's English name, wrapped."""
    name_en, _ = place_names(places)
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
