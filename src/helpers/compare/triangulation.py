"""Comparison: each retelling against its reference, and the sources against each other.

A reference source survives only as facts coded by hand (the file its manifest entry names),
so it is first mapped onto the codebook (``reference_codings``); each retelling (a source whose
``retells`` names the reference) then meets it at the level of (place, level-1 sector), and every
coding of the retelling, every reference fact and every comparative framing claim lands in at
least one classified row (``triangulate``), with the evidence of both sides beside it. Then the
ties of all covered sources are counted by source and their agreement classified
(``tie_sources``, ``tie_agreement``). ``select_sources`` decides which sources the report covers.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from helpers import schemas
from helpers.compare.agreement import tie_agreement, tie_sources
from helpers.compare.framing import framing_rows
from helpers.compare.reference import reference_codings
from helpers.compare.rows import (
    CLASS_LABELS,
    CLASS_ORDER,
    COLUMNS,
    FRAMING_CLASSES,
    TIE_CLASSES,
    empty_table,
    make_row,
    pairs,
    records,
)
from helpers.compare.selection import select_sources
from helpers.ingest.sources import source_path

__all__ = [  # what the notebooks, the report and the figures use of the comparison
    "CLASS_LABELS",
    "FRAMING_CLASSES",
    "TIE_CLASSES",
    "compare_sources",
    "reference_codings",
    "select_sources",
    "tie_agreement",
    "tie_sources",
    "ties",
    "triangulate",
]


def _triangulate_one(
    article: str | None,
    codings: list[dict],
    claims: list[dict],
    refs: list[dict],
    framing_codebook,
    mentions: pd.DataFrame | None,
) -> list[dict]:
    """One retelling against its reference, in the manual's order (CODING.md §8): the ties
    both sides hold, then the others (misattributed, added, omitted), then the facts without a
    full tie, then the framing."""
    art_ties = _by_tie(codings)
    ref_ties = _by_tie(
        r for r in refs if not pd.isna(r["place_id"]) and not pd.isna(r["sector_id"])
    )
    rows, retold = _matched(article, art_ties, ref_ties)
    rows += _unmatched(article, art_ties, ref_ties, retold)
    rows += _partial_facts(article, codings, refs, mentions)
    return rows + framing_rows(article, claims, refs, framing_codebook)


def _by_tie(items) -> dict[tuple, list[dict]]:
    """Codings or facts by their (place, sector) tie."""
    out: dict[tuple, list[dict]] = {}
    for item in items:
        out.setdefault((item["place_id"], item["sector_id"]), []).append(item)
    return out


def _matched(article, art_ties, ref_ties) -> tuple[list[dict], dict[str, set[str]]]:
    """The same (place, sector) tie on both sides: one row per fact, met by the retelling's
    strongest coding of the tie. A fact rebuilt from the retelling itself (confidence medium)
    cannot confirm it (CODING.md §8). Also returns, by fact, the sentences that retell it."""
    rows: list[dict] = []
    retold: dict[str, set[str]] = {}  # fact -> the sentences that retell it (matched there)
    for tie in sorted(set(art_ties) & set(ref_ties)):
        best = min(art_ties[tie], key=lambda c: schemas.RELATION_RANK[c["relation"]])
        for r in ref_ties[tie]:
            note = "same place and sector on both sides"
            if best["relation"] != r["relation"]:
                note += (
                    f"; relation differs ({best['relation']} in the article, "
                    f"{r['relation']} in the reference)"
                )
            cls = "agrees"
            if r["confidence"] != "high":
                cls, note = "unconfirmed", note + "; the fact was rebuilt from the retelling"
            rows.append(make_row(cls, tie[1], note, article=article, coding=best, ref=r))
            retold.setdefault(r["fact_id"], set()).update(c["sentence_id"] for c in art_ties[tie])
    return rows, retold


def _unmatched(article, art_ties, ref_ties, retold) -> list[dict]:
    """The ties only one side holds. A retelling tie that gives a fact's sector to a place the
    fact does not name, in the statement that retells the fact (a sentence where another place
    of the fact is matched, or anywhere when none is), is misattributed; the fact's own tie is
    then omitted all the same. Pairs are one-to-one, in (sector, place) order."""
    rows: list[dict] = []
    art_left = sorted(set(art_ties) - set(ref_ties), key=lambda t: (t[1], t[0]))
    ref_left = sorted(set(ref_ties) - set(art_ties), key=lambda t: (t[1], t[0]))
    unpaired = list(ref_left)

    def retells(codings_of_tie: list[dict], ref_tie: tuple) -> bool:
        sentences = set().union(*(retold.get(r["fact_id"], set()) for r in ref_ties[ref_tie]))
        return not sentences or any(c["sentence_id"] in sentences for c in codings_of_tie)

    for a in list(art_left):
        partner = next((r for r in unpaired if r[1] == a[1] and retells(art_ties[a], r)), None)
        if partner is None:
            continue
        art_left.remove(a)
        unpaired.remove(partner)
        what = f"sector {a[1]}: the article says {a[0]}, the reference {partner[0]}"
        for c, r in pairs(art_ties[a], ref_ties[partner]):
            rows.append(make_row("misattributed", a[1], what, article=article, coding=c, ref=r))
    for tie in art_left:
        for c in art_ties[tie]:
            rows.append(
                make_row(
                    "added_by_article",
                    tie[1],
                    "tie absent from the reference",
                    article=article,
                    coding=c,
                )
            )
    for tie in ref_left:
        for r in ref_ties[tie]:
            rows.append(
                make_row(
                    "omitted_by_article",
                    tie[1],
                    "tie absent from the article",
                    article=article,
                    ref=r,
                )
            )
    return rows


def _partial_facts(article, codings, refs, mentions) -> list[dict]:
    """The facts without a full tie: a place and no sector, a sector and no place, or neither."""
    article_sectors: dict[str, list[dict]] = {}
    article_places: dict[str, list[dict]] = {}
    for c in codings:
        article_sectors.setdefault(c["sector_id"], []).append(c)
        article_places.setdefault(c["place_id"], []).append(c)
    placeless = _placeless_sector_sentences(mentions)
    return [
        _partial_fact_row(article, r, article_sectors, article_places, placeless)
        for r in refs
        if pd.isna(r["place_id"]) or pd.isna(r["sector_id"])
    ]


def _partial_fact_row(article, r, article_sectors, article_places, placeless) -> dict:
    place, sector = r["place_id"], r["sector_id"]
    if pd.isna(place) and pd.isna(sector):
        return make_row(
            "not_coded",
            None,
            "the fact names neither a place nor a sector",
            article=article,
            ref=r,
        )
    elif pd.isna(place):
        hit = placeless.get(sector)
        if hit is not None:
            return make_row(
                "agrees",
                sector,
                "general claim; the article names the sector in a sentence with no place",
                claim=hit,
                ref=r,
                article=article,
            )
        elif sector in article_sectors:
            c = article_sectors[sector][0]
            places = sorted({x["place_id"] for x in article_sectors[sector]})
            return make_row(
                "agrees",
                sector,
                "general claim; the article ties the sector "
                f"only to named places ({', '.join(places)})",
                coding=c,
                ref=r,
                article=article,
            )
        else:
            return make_row(
                "omitted_by_article",
                sector,
                "general claim; the article does not name the sector",
                ref=r,
                article=article,
            )
    else:
        if place in article_places:
            return make_row(
                "agrees",
                None,
                "the fact names no sector; the article codes the place",
                coding=article_places[place][0],
                ref=r,
                article=article,
            )
        else:
            return make_row(
                "omitted_by_article",
                None,
                "the fact names no sector; the article does not code the place",
                ref=r,
                article=article,
            )


def _placeless_sector_sentences(mentions: pd.DataFrame | None) -> dict[str, dict]:
    """Sector -> first sentence (as an evidence record) that names it with no place or region."""
    if mentions is None or mentions.empty:
        return {}
    with_place = set(mentions.loc[mentions["entity_type"] != "sector", "sentence_id"])
    sector_hits = mentions[
        (mentions["entity_type"] == "sector") & ~mentions["sentence_id"].isin(with_place)
    ]
    out: dict[str, dict] = {}
    for m in sector_hits.sort_values(["source_id", "sentence_id", "start"]).to_dict("records"):
        out.setdefault(
            m["sector_id"],
            {
                "claim_id": m["mention_id"],
                "source_id": m["source_id"],
                "sentence_id": m["sentence_id"],
                "start": m["start"],
                "end": m["end"],
                "evidence": m["text"],
            },
        )
    return out


def triangulate(
    codings: pd.DataFrame,
    claims: pd.DataFrame,
    reference: pd.DataFrame,
    framing_codebook,
    mentions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Classify every article coding, reference fact and comparative framing claim.

    Each article source is compared with the whole reference on its own, at (place, level-1
    sector); rejected codings are ignored. ``mentions`` (optional, the MENTIONS table) lets a
    general reference fact agree with a sentence that names its sector without a place.
    """
    codings = codings[codings["status"] != "rejected"]
    sources = set(codings["source_id"]) | set(claims["source_id"])
    if mentions is not None:
        sources |= set(mentions["source_id"])
    sources = sorted(sources) or [None]
    refs = records(reference.sort_values(["fact_id", "reference_id"]))
    rows: list[dict] = []
    for source in sources:
        c = codings[codings["source_id"] == source].sort_values(
            ["sentence_id", "start", "place_id", "sector_id", "coding_id"]
        )
        k = claims[claims["source_id"] == source].sort_values("claim_id")
        m = None if mentions is None else mentions[mentions["source_id"] == source]
        rows += _triangulate_one(source, records(c), records(k), refs, framing_codebook, m)
    if not rows:
        return schemas.TRIANGULATION.validate(empty_table(schemas.TRIANGULATION))
    ref_ids = sorted(set(reference["source_id"]))
    for row in rows:
        row["reference_source_id"] = ref_ids[0] if len(ref_ids) == 1 else None
    df = pd.DataFrame(rows, columns=COLUMNS)
    df["article_start"] = df["article_start"].astype("Int64")
    df["article_end"] = df["article_end"].astype("Int64")
    df = df.sort_values(
        by=["class", "sector_id", "article_source_id", "article_sentence_id", "fact_id", "row_id"],
        key=lambda s: s.map(CLASS_ORDER) if s.name == "class" else s.fillna(""),
    ).reset_index(drop=True)
    return schemas.TRIANGULATION.validate(df)


def compare_sources(
    sources,
    raw_dir: Path | str,
    codings: pd.DataFrame,
    claims: pd.DataFrame,
    codebook,
    framing_codebook,
    mentions: pd.DataFrame | None = None,
    *,
    period: str = "",
    source_ids=(),
) -> dict[str, pd.DataFrame]:
    """The compare stage over the sources the report covers (``period``, ``source_ids``: see
    ``select_sources``): each reference against every retelling of it, then the ties by source
    and their agreement. ``sources`` are manifest entries (helpers.ingest.sources.Source); returns
    ``{"selection", "reference_codings", "triangulation", "tie_sources", "ties"}``, validated.

    Only articles whose ``retells`` names the reference are compared with it, so a corpus of
    stories on different events never has one story's facts counted as another's omissions.
    The reference's facts file is the one its manifest entry names (``file:``).
    """
    raw_dir = Path(raw_dir)
    selection = select_sources(sources, period, source_ids)
    chosen = set(selection.loc[selection["selected"], "source_id"])
    sources = [s for s in sources if s.id in chosen]
    codings = codings[codings["source_id"].isin(chosen)]
    claims = claims[claims["source_id"].isin(chosen)]
    refs, tris = [], []
    for ref_source in sorted((s for s in sources if s.kind == "reference"), key=lambda s: s.id):
        reference = reference_codings(
            source_path(ref_source, raw_dir), codebook, ref_source.id, framing_codebook
        )
        articles = {s.id for s in sources if s.retells == ref_source.id}
        tri = triangulate(
            codings[codings["source_id"].isin(articles)],
            claims[claims["source_id"].isin(articles)],
            reference,
            framing_codebook,
            None if mentions is None else mentions[mentions["source_id"].isin(articles)],
        )
        refs.append(reference)
        tris.append(tri)
    reference = (
        pd.concat(refs, ignore_index=True) if refs else empty_table(schemas.REFERENCE_CODINGS)
    )
    triangulation = (
        pd.concat(tris, ignore_index=True) if tris else empty_table(schemas.TRIANGULATION)
    )
    by_source = tie_sources(codings, triangulation, reference)
    return {
        "selection": selection,
        "reference_codings": schemas.REFERENCE_CODINGS.validate(reference),
        "triangulation": schemas.TRIANGULATION.validate(triangulation),
        "tie_sources": by_source,
        "ties": tie_agreement(by_source),
    }


def ties(triangulation: pd.DataFrame) -> pd.DataFrame:
    """The triangulation counted in ties, the unit the report states.

    Several rows can stand for one tie (two codings of one place and sector, or one coding met
    by two facts); they collapse into one row per (retelling, class, sector, article place,
    reference place), with ``n_rows``. Framing claims and uncoded facts stay one row each.
    """
    columns = [
        "article_source_id",
        "reference_source_id",
        "class",
        "sector_id",
        "article_place_id",
        "reference_place_id",
        "article_evidence",
        "fact_text",
    ]
    if triangulation.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns}).assign(
            n_rows=pd.Series(dtype="int64")
        )
    per_row = triangulation["class"].isin([*FRAMING_CLASSES, "not_coded"])
    key = (
        triangulation[
            [
                "article_source_id",
                "class",
                "sector_id",
                "article_place_id",
                "reference_place_id",
            ]
        ]
        .astype("object")
        .where(triangulation.notna(), "")
    )
    key["row"] = triangulation["row_id"].where(per_row, "")
    grouped = triangulation.assign(_key=key.agg("|".join, axis=1)).groupby("_key", sort=False)
    out = grouped.first().reset_index(drop=True)
    out["n_rows"] = grouped.size().values
    return out[[*columns, "n_rows"]]
