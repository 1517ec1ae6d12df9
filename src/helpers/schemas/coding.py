"""Contracts of the code stage's tables: mentions, codings, the priority matrix, framing claims."""

from __future__ import annotations

import pandera.pandas as pa

from helpers.schemas.columns import (
    CODING_STATUSES,
    DIRECTIONS,
    END,
    MODALITIES,
    PARAGRAPH_ID,
    PLACE_LEVELS,
    RELATIONS,
    SENTENCE_ID,
    SOURCE_ID,
    START,
    column,
    table_schema,
)

MENTIONS = table_schema(
    "mentions",
    "Every place, region and sector term the codebook finds in a sentence.",
    {
        "mention_id": column(str, "Stable id: `<sentence_id>:mNN`.", unique=True),
        "source_id": SOURCE_ID,
        "paragraph_id": PARAGRAPH_ID,
        "sentence_id": SENTENCE_ID,
        "start": START,
        "end": END,
        "text": column(str, "The matched text as it stands in the sentence."),
        "entity_type": column(
            str,
            "place (a provincial-level division), city (a city or named area of the gazetteer, "
            "codebook/cities.yaml), region (a named group of divisions) or sector.",
            checks=pa.Check.isin(["place", "city", "region", "sector"]),
        ),
        "entity_id": column(str, "Codebook id of the place, city, region or technology matched."),
        "sector_id": column(
            str,
            "For a sector term, its sector id; for a city, the id of its province.",
            nullable=True,
        ),
        "in_parenthetical": column(
            bool, "True when the mention sits inside a parenthesis or an appositive clause."
        ),
    },
)

CODINGS = table_schema(
    "codings",
    "One row per (place or region, sector) tie the coding rules find, after adjudication.",
    {
        "coding_id": column(
            str, "Stable id of the coding (hash of its evidence and content).", unique=True
        ),
        "source_id": SOURCE_ID,
        "paragraph_id": PARAGRAPH_ID,
        "sentence_id": SENTENCE_ID,
        "start": START,
        "end": END,
        "evidence": column(str, "The evidence sentence (normalised text[start:end])."),
        "place_id": column(str, "Codebook id of the province or region."),
        "place_level": column(
            str,
            "province (any provincial-level division) or region.",
            checks=pa.Check.isin(PLACE_LEVELS),
        ),
        "sector_id": column(str, "Level-1 sector id from the codebook."),
        "technology_id": column(
            str, "Level-2 technology id, where a technology term was matched.", nullable=True
        ),
        "relation": column(
            str,
            "priority (plans, targets, invests), achievement (a past fact) or context.",
            checks=pa.Check.isin(RELATIONS),
        ),
        "modality": column(
            str,
            "asserted, negated, hypothetical, caption (a photo caption) or event (a product "
            "shown at an event); only asserted codings are ties (the others are kept for the "
            "record and for contradictions between sources).",
            checks=pa.Check.isin(MODALITIES),
        ),
        "rule_id": column(str, "Id of the coding rule that made the tie (see the codebook)."),
        "via_region": column(
            str,
            "Region whose member this province is, when the province is named next to its region "
            "or coded as a member of a region the text names (rule R-REGION).",
            nullable=True,
        ),
        "city_id": column(
            str,
            "Gazetteer id of the city or named area the text names, when the province was "
            "reached through it (Shenzhen -> guangdong).",
            nullable=True,
            coerce=True,  # an all-empty column reads as float
            required=False,  # a codings table built by hand (a test, a tool) may leave it out
        ),
        "place_sentence_id": column(
            str,
            "For a place carried from another sentence (rules R-SCOPE, R-REF, R-ANAPHORA), the "
            "sentence that named it; empty when the evidence sentence names the place itself.",
            nullable=True,
            coerce=True,  # an all-empty column reads as float
            required=False,  # a codings table built by hand (a test, a tool) may leave it out
        ),
        "status": column(
            str,
            "auto (rule output), accepted, rejected or added (by adjudication).",
            checks=pa.Check.isin(CODING_STATUSES),
        ),
        "adjudication_reason": column(
            str, "The researcher's reason, for adjudicated rows.", nullable=True
        ),
    },
)

PRIORITY_MATRIX = table_schema(
    "priority_matrix",
    "Place x sector matrix in long form: the strongest relation found for each tie.",
    {
        "place_id": column(str, "Codebook id of the province or region."),
        "place_level": column(str, "province or region.", checks=pa.Check.isin(PLACE_LEVELS)),
        "sector_id": column(str, "Level-1 sector id."),
        "relation": column(
            str,
            "Strongest relation among the tie's codings (priority > achievement > context).",
            checks=pa.Check.isin(RELATIONS),
        ),
        "n_codings": column(int, "Codings behind the tie (not rejected).", checks=pa.Check.ge(1)),
        "n_sources": column(int, "Distinct sources behind the tie.", checks=pa.Check.ge(1)),
        "sentence_ids": column(str, "The evidence sentences, `;`-separated, in reading order."),
    },
    unique=["place_id", "sector_id"],
)

FRAMING_CLAIMS = table_schema(
    "framing_claims",
    "One row per framing claim (sentence x dimension) about China against other actors.",
    {
        "claim_id": column(
            str,
            "Stable id: `<sentence_id>:<dimension>`, and `:<comparator>` where one sentence"
            " holds claims of different directions on one dimension.",
            unique=True,
        ),
        "source_id": SOURCE_ID,
        "paragraph_id": PARAGRAPH_ID,
        "sentence_id": SENTENCE_ID,
        "start": START,
        "end": END,
        "evidence": column(str, "The claim's sentence."),
        "actor": column(str, "Framing actor the claim is about (codebook id)."),
        "comparators": column(
            str,
            "Actors it is compared with, `;`-separated codebook ids; empty when none is named.",
            nullable=True,
        ),
        "comparative": column(bool, "True when the sentence names at least one comparator."),
        "dimension": column(str, "Comparison dimension (framing codebook id)."),
        "direction": column(
            str, "Who the text puts ahead on the dimension.", checks=pa.Check.isin(DIRECTIONS)
        ),
        "hedged": column(bool, "True when a hedge (can, could, may, is able to) qualifies it."),
        "hedge_terms": column(str, "Hedge words found, `;`-separated.", nullable=True),
        "evaluative_terms": column(str, "Evaluative words found, `;`-separated.", nullable=True),
        "ranking": column(
            str,
            "The comparators as the claim ranks them, the one it singles out first (`above "
            "all with Europe`: europe;united-states), `;`-separated; empty when it ranks none.",
            nullable=True,
        ),
    },
)
