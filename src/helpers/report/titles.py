"""Each figure's title: a finding stated once, from the same values as the prose."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from helpers.compare import triangulation as compare
from helpers.report.wording import join_names, plural


def chart_titles(numbers: Mapping, tables: Mapping[str, pd.DataFrame], framing_book) -> dict:
    """Each figure's title: a finding stated once, from the same values as the prose."""
    tri = compare.ties(tables["triangulation"])
    n_tri = int(tri["class"].isin(compare.TIE_CLASSES).sum())
    claims = tables["framing_claims"]
    focal = claims[claims["actor"] == framing_book.focal_actor]
    who = "The text puts" if numbers["n_text_sources"] == 1 else "The texts put"
    return {
        "priority_matrix": (
            f"{numbers['top_places_phrase']}; "
            + plural(
                numbers["n_priority_ties"],
                "province-sector priority",
                "province-sector priorities",
            )
        ),
        "sector_breadth": numbers["top_sectors_phrase"],
        "tile_map": numbers["top_places_phrase"],
        "consensus": (
            f"{plural(numbers['n_corroborated_ties'], 'tie is', 'ties are')} attested by two or "
            f"more sources"
        ),
        "coverage": _coverage_title(tables["tie_sources"]),
        "framing": (
            f"{who} {framing_book.actor_in_text(framing_book.focal_actor)} ahead in "
            f"{int((focal['direction'] == 'actor_ahead').sum())} of "
            f"{plural(len(focal), 'claim')} about it; {int(claims['hedged'].sum())} hedged"
        ),
        "framing_outlets": numbers["framing_outlets_phrase"],
        "periods": numbers["periods_phrase"],
        "triangulation": (
            f"{'The retelling agrees' if numbers['n_retellings'] == 1 else 'Retellings agree'} "
            f"with {'its' if numbers['n_retellings'] == 1 else 'their'} reference on "
            f"{numbers['tri_agrees']} of {plural(n_tri, 'tie')}"
        ),
    }


def _coverage_title(tie_sources: pd.DataFrame) -> str:
    """'1 source names 7 provinces and 2 regions': what the sources x places figure counts."""
    n = int(tie_sources["source_id"].nunique())
    levels = tie_sources.groupby("place_level")["place_id"].nunique()
    places = join_names(
        plural(int(levels[level]), level, f"{level}s")
        for level in ("province", "region")
        if level in levels
    )
    return f"{plural(n, 'source names', 'sources name')} {places or 'no place'}"
