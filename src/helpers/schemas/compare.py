"""Contracts of the compare stage's tables: reference codings, triangulation, the selection of
sources, ties per source and the ties between places and sectors."""

from __future__ import annotations

import pandera.pandas as pa

from helpers.schemas.columns import (
    AGREEMENTS,
    DIRECTIONS,
    END,
    PLACE_LEVELS,
    RELATIONS,
    SOURCE_ID,
    START,
    TRIANGULATION_CLASSES,
    column,
    table_schema,
)

REFERENCE_CODINGS = table_schema(
    "reference_codings",
    "The primary source's hand-coded facts mapped onto the codebook: one row per fact x place "
    "x sector.",
    {
        "reference_id": column(
            str, "Stable id: `<fact_id>:<place_id or general>:<sector_id or none>`.", unique=True
        ),
        "source_id": SOURCE_ID,
        "fact_id": column(str, "Fact id in the reference table."),
        "place_id": column(
            str, "Codebook id of the place or region; empty for a general claim.", nullable=True
        ),
        "place_level": column(
            str,
            "province, region or general.",
            checks=pa.Check.isin(["province", "region", "general"]),
        ),
        "sector_id": column(
            str, "Level-1 sector id; empty when the fact names none.", nullable=True
        ),
        "relation": column(
            str, "priority or context, as coded by hand.", checks=pa.Check.isin(RELATIONS)
        ),
        "confidence": column(
            str,
            "high, or medium where rebuilt from the Italian retelling.",
            checks=pa.Check.isin(["high", "medium", "low"]),
        ),
        "commitment": column(str, "The fact, in the coder's own words."),
        "urls": column(str, "Where the story was read, space-separated."),
        "framing_dimension": column(
            str, "The fact's own framing of China: a framing dimension id.", nullable=True
        ),
        "framing_direction": column(
            str,
            "Who the fact puts ahead on that dimension.",
            nullable=True,
            checks=pa.Check.isin(DIRECTIONS),
        ),
        "framing_comparators": column(
            str,
            "The rivals the fact names, `;`-separated actor ids; empty: none named.",
            nullable=True,
        ),
    },
)

TRIANGULATION = table_schema(
    "triangulation",
    "Every coding of a retelling and every fact of the reference it retells, classified against "
    "each other; one set of rows per retelling.",
    {
        "row_id": column(str, "Stable id of the comparison row.", unique=True),
        "class": column(
            str,
            "agrees, unconfirmed (meets a fact rebuilt from the retelling itself: no agreement), "
            "omitted_by_article, added_by_article, misattributed, "
            "framing_agrees, framing_changed, framing_only_in_article, framing_only_in_reference "
            "(a framing claim against the reference's own framing) or not_coded.",
            checks=pa.Check.isin(TRIANGULATION_CLASSES),
        ),
        "sector_id": column(str, "Sector compared, where there is one.", nullable=True),
        "article_place_id": column(str, "Place as the retelling codes it.", nullable=True),
        "reference_place_id": column(str, "Place as the primary source has it.", nullable=True),
        "article_relation": column(str, "Relation in the retelling's coding.", nullable=True),
        "reference_relation": column(str, "Relation in the reference fact.", nullable=True),
        "article_source_id": column(
            str, "Source id of the retelling the row belongs to.", nullable=True
        ),
        "article_sentence_id": column(str, "Evidence sentence of the retelling.", nullable=True),
        "article_start": column(
            "Int64", "Start of the retelling's evidence span (normalised text).", nullable=True
        ),
        "article_end": column("Int64", "End of the retelling's evidence span.", nullable=True),
        "article_evidence": column(str, "The retelling's evidence text.", nullable=True),
        "reference_source_id": column(
            str, "Source id of the reference the retelling is checked against.", nullable=True
        ),
        "fact_id": column(str, "Reference fact id on the primary side.", nullable=True),
        "fact_text": column(str, "Reference fact (commitment) text.", nullable=True),
        "note": column(str, "Why the row has its class.", nullable=True),
    },
)

SELECTION = table_schema(
    "selection",
    "Which sources the report covers: one row per manifest entry, chosen by the compare stage's "
    "`period` and `sources` parameters.",
    {
        "source_id": column(str, "Manifest id of the source.", unique=True),
        "period": column(str, "The period the source speaks about (from the manifest)."),
        "selected": column(bool, "True when the report covers the source."),
    },
)

TIE_SOURCES = table_schema(
    "tie_sources",
    "Place x sector ties by source: one row per (place, sector, source) with the source's "
    "strongest relation and its best evidence sentence.",
    {
        "place_id": column(str, "Codebook id of the province or region."),
        "place_level": column(str, "province or region.", checks=pa.Check.isin(PLACE_LEVELS)),
        "sector_id": column(str, "Level-1 sector id."),
        "source_id": SOURCE_ID,
        "relation": column(
            str,
            "Strongest relation among this source's codings of the tie "
            "(priority > achievement > context).",
            checks=pa.Check.isin(RELATIONS),
        ),
        "n_codings": column(
            int, "This source's codings of the tie (not rejected).", checks=pa.Check.ge(1)
        ),
        "negated": column(
            bool, "True when the source negates the tie (e.g. does not plan to ...)."
        ),
        "misattributed": column(
            bool,
            "True when the triangulation finds that this retelling gives the sector to this place "
            "where its reference names another (or another sector to this place).",
        ),
        "sentence_id": column(
            str, "Best evidence sentence: the first with the strongest relation."
        ),
        "start": START,
        "end": END,
        "evidence": column(
            str, "The best evidence sentence's text (a reference's fact, in the coder's words)."
        ),
        "from_reference": column(
            bool,
            "True when the source is a reference whose hand-coded fact of high confidence "
            "attests the tie (its sentence_id is `<reference>:<fact_id>`).",
        ),
    },
    unique=["place_id", "sector_id", "source_id"],
)

TIES = table_schema(
    "ties",
    "Place x sector ties over the covered sources: how many sources attest each, which, the "
    "strongest relation, and how the sources agree.",
    {
        "place_id": column(str, "Codebook id of the province or region."),
        "place_level": column(str, "province or region.", checks=pa.Check.isin(PLACE_LEVELS)),
        "sector_id": column(str, "Level-1 sector id."),
        "relation": column(
            str,
            "Strongest relation across sources (priority > achievement > context).",
            checks=pa.Check.isin(RELATIONS),
        ),
        "n_codings": column(int, "Codings behind the tie (not rejected).", checks=pa.Check.ge(1)),
        "n_sources": column(int, "Sources with a coding of the tie.", checks=pa.Check.ge(1)),
        "source_ids": column(str, "Those sources, `;`-separated, sorted."),
        "n_priority_sources": column(
            int, "Sources whose strongest relation for the tie is priority.", checks=pa.Check.ge(0)
        ),
        "n_negating_sources": column(int, "Sources that negate the tie.", checks=pa.Check.ge(0)),
        "n_misattributing_sources": column(
            int,
            "Retellings whose tie the triangulation classes as misattributed.",
            checks=pa.Check.ge(0),
        ),
        "agreement": column(
            str,
            "contradicted (one source gives it as a priority, another negates it), "
            "misattributed (every source behind it misattributes it, by the triangulation), "
            "corroborated (two or more sources) or single_source.",
            checks=pa.Check.isin(AGREEMENTS),
        ),
        "sentence_ids": column(str, "The evidence sentences, `;`-separated, in source order."),
    },
    unique=["place_id", "sector_id"],
)
