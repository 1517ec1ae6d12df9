"""Table contracts: one pandera schema per tidy table, with a description of every column.

Every stage validates what it writes against these schemas, and the data dictionary in the
report's appendix is generated from the same descriptions, so the two cannot drift apart.
Column order is part of the contract (``ordered=True``) so written files are byte-stable.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

LANGUAGES = ["en", "zh"]
SOURCE_KINDS = ["primary", "secondary", "reference"]
RELATIONS = ["priority", "achievement", "context"]  # strongest first
RELATION_RANK = {r: i for i, r in enumerate(RELATIONS)}  # 0 = strongest; the one order
MODALITIES = ["asserted", "negated", "hypothetical", "caption", "event"]
PLACE_LEVELS = ["province", "region"]
CORRECTION_ACTIONS = ["repair", "keep"]
CODING_STATUSES = ["auto", "accepted", "rejected", "added"]
TRIANGULATION_CLASSES = [
    "agrees",
    "unconfirmed",
    "omitted_by_article",
    "added_by_article",
    "misattributed",
    "framing_agrees",
    "framing_changed",
    "framing_only_in_article",
    "framing_only_in_reference",
    "not_coded",
]
DIRECTIONS = ["actor_ahead", "comparator_ahead", "unclear"]
# How sources agree on a place x sector tie (see TIES.agreement and compare.tie_agreement).
AGREEMENTS = ["contradicted", "misattributed", "corroborated", "single_source"]


def _col(
    dtype,
    description: str,
    *,
    nullable: bool = False,
    checks=None,
    unique=False,
    coerce=False,
    required=True,
):
    return pa.Column(
        dtype,
        checks=checks,
        nullable=nullable,
        unique=unique,
        description=description,
        coerce=coerce,
        required=required,
    )


def _offset(description: str) -> pa.Column:
    return _col(int, description, checks=pa.Check.ge(0))


def _schema(name: str, description: str, columns: dict, *, unique=None) -> pa.DataFrameSchema:
    return pa.DataFrameSchema(
        columns,
        name=name,
        description=description,
        strict=True,
        ordered=True,
        unique=unique,
        checks=[pa.Check(_span_ok, error="start must not exceed end")]
        if {"start", "end"} <= set(columns)
        else None,
    )


def _span_ok(df: pd.DataFrame) -> bool:
    return bool((df["start"] <= df["end"]).all())


# -- provenance columns shared by every table that points into a source's text ----------------
SOURCE_ID = _col(str, "Manifest id of the source the row comes from.")
PARAGRAPH_ID = _col(str, "Paragraph id, `<source_id>:pNN` (1-based, in reading order).")
SENTENCE_ID = _col(str, "Sentence id, `<source_id>:pNN:sNN` (1-based within the paragraph).")
START = _offset("Start of the span, a character offset into the source's normalised text.")
END = _offset("End of the span (exclusive), a character offset into the normalised text.")
RAW_START = _offset("Start of the span mapped back to the raw file's text (characters).")
RAW_END = _offset("End of the span (exclusive) mapped back to the raw file's text.")

SOURCES = _schema(
    "sources",
    "One row per source listed in the manifest, with its provenance and size.",
    {
        "source_id": _col(str, "Stable id of the source, unique in the manifest.", unique=True),
        "title": _col(str, "Title as published."),
        "outlet": _col(str, "Publishing outlet or agency."),
        "url": _col(str, "Where the source was read."),
        "date": _col(
            str, "Publication date, ISO 8601 (YYYY-MM-DD, or YYYY-MM when only the month is known)."
        ),
        "period": _col(
            str,
            "The period the source speaks about: a year (2025) or a range of years (2026-2030).",
            checks=pa.Check.str_matches(r"^\d{4}(-\d{4})?$"),
        ),
        "language": _col(str, "Language of the text: en or zh.", checks=pa.Check.isin(LANGUAGES)),
        "kind": _col(
            str,
            "primary (the original story), secondary (retells another source) or "
            "reference (hand-coded facts).",
            checks=pa.Check.isin(SOURCE_KINDS),
        ),
        "retells": _col(
            str, "Id of the source a secondary source retells, where known.", nullable=True
        ),
        "file": _col(str, "File name inside data/raw/."),
        "sha256": _col(
            str,
            "SHA-256 of the raw file's bytes, checked on every run.",
            checks=pa.Check.str_matches(r"^[0-9a-f]{64}$"),
        ),
        "n_chars": _col(int, "Characters in the normalised text (0 for reference tables)."),
        "n_paragraphs": _col(int, "Paragraphs found in the normalised text."),
        "n_sentences": _col(int, "Sentences found in the normalised text."),
        "format": _col(
            str,
            "What the file is: txt or md (text as received), html (a saved web page, its main "
            "text extracted at ingest), pdf (its text layer extracted at ingest), or csv "
            "(a reference's facts).",
        ),
        "n_pages": _col(int, "Pages of a PDF source (0 for any other file)."),
        "accessed": _col(str, "Day a fetched page was read, YYYY-MM-DD.", nullable=True),
        "author_outlet": _col(
            str,
            "Whose words the text carries, and so whose framing: the original's outlet for a "
            "translation or republication, else the outlet itself.",
        ),
        "original_outlet": _col(
            str, "Outlet or agency that wrote the text first, where another did.", nullable=True
        ),
        "original_language": _col(
            str, "Language of that original, an ISO 639 code (it, en, zh).", nullable=True
        ),
        "original_author": _col(str, "Author of the original, where known.", nullable=True),
        "translated_by": _col(
            str, "Outlet(s) that translated the text, `;`-separated, in order.", nullable=True
        ),
        "machine_translation": _col(
            bool, "True when a step of the chain is a machine translation."
        ),
        "republished_by": _col(
            str, "Outlet(s) that republished the text, `;`-separated, in order.", nullable=True
        ),
    },
)

# The PDF page a span starts on (1-based), null for a source that is not a PDF. Not required,
# so a sentences table built by hand (a test, a tool) may leave it out.
PAGE = pa.Column(
    "Int64",
    checks=pa.Check.ge(1),
    nullable=True,
    required=False,
    description="Page of the PDF the span starts on, from 1; empty for a source that is not a PDF.",
)

PARAGRAPHS = _schema(
    "paragraphs",
    "One row per paragraph of every text source, after corrections.",
    {
        "source_id": SOURCE_ID,
        "paragraph_id": _col(str, PARAGRAPH_ID.description, unique=True),
        "paragraph_no": _col(int, "Paragraph number within the source, from 1."),
        "start": START,
        "end": END,
        "raw_start": RAW_START,
        "raw_end": RAW_END,
        "text": _col(str, "Paragraph text (normalised)."),
        "page": PAGE,
    },
)

SENTENCES = _schema(
    "sentences",
    "One row per sentence of every text source, after corrections.",
    {
        "source_id": SOURCE_ID,
        "paragraph_id": PARAGRAPH_ID,
        "sentence_id": _col(str, SENTENCE_ID.description, unique=True),
        "sentence_no": _col(int, "Sentence number within its paragraph, from 1."),
        "language": _col(str, "Language of the source.", checks=pa.Check.isin(LANGUAGES)),
        "start": START,
        "end": END,
        "raw_start": RAW_START,
        "raw_end": RAW_END,
        "text": _col(str, "Sentence text (normalised); equals the normalised text[start:end]."),
        "page": PAGE,
    },
)

CORRECTIONS_APPLIED = _schema(
    "corrections_applied",
    "Audit of the corrections list: every entry, where it was found, and what was done.",
    {
        "correction_id": _col(str, "Id of the entry in data/annotations/corrections.yaml."),
        "source_id": SOURCE_ID,
        "action": _col(
            str,
            "repair (text replaced in the normalised text) or keep (documented "
            "and left as received).",
            checks=pa.Check.isin(CORRECTION_ACTIONS),
        ),
        "found": _col(str, "Exact text found in the raw file."),
        "replacement": _col(
            str, "Text that stands in the normalised text (equals `found` for keep)."
        ),
        "reason": _col(str, "Why the entry repairs or keeps the text."),
        "raw_start": RAW_START,
        "raw_end": RAW_END,
        "start": START,
        "end": END,
    },
)

MENTIONS = _schema(
    "mentions",
    "Every place, region and sector term the codebook finds in a sentence.",
    {
        "mention_id": _col(str, "Stable id: `<sentence_id>:mNN`.", unique=True),
        "source_id": SOURCE_ID,
        "paragraph_id": PARAGRAPH_ID,
        "sentence_id": SENTENCE_ID,
        "start": START,
        "end": END,
        "text": _col(str, "The matched text as it stands in the sentence."),
        "entity_type": _col(
            str,
            "place (a provincial-level division), city (a city or named area of the gazetteer, "
            "codebook/cities.yaml), region (a named group of divisions) or sector.",
            checks=pa.Check.isin(["place", "city", "region", "sector"]),
        ),
        "entity_id": _col(str, "Codebook id of the place, city, region or technology matched."),
        "sector_id": _col(
            str,
            "For a sector term, its sector id; for a city, the id of its province.",
            nullable=True,
        ),
        "in_parenthetical": _col(
            bool, "True when the mention sits inside a parenthesis or an appositive clause."
        ),
    },
)

CODINGS = _schema(
    "codings",
    "One row per (place or region, sector) tie the coding rules find, after adjudication.",
    {
        "coding_id": _col(
            str, "Stable id of the coding (hash of its evidence and content).", unique=True
        ),
        "source_id": SOURCE_ID,
        "paragraph_id": PARAGRAPH_ID,
        "sentence_id": SENTENCE_ID,
        "start": START,
        "end": END,
        "evidence": _col(str, "The evidence sentence (normalised text[start:end])."),
        "place_id": _col(str, "Codebook id of the province or region."),
        "place_level": _col(
            str,
            "province (any provincial-level division) or region.",
            checks=pa.Check.isin(PLACE_LEVELS),
        ),
        "sector_id": _col(str, "Level-1 sector id from the codebook."),
        "technology_id": _col(
            str, "Level-2 technology id, where a technology term was matched.", nullable=True
        ),
        "relation": _col(
            str,
            "priority (plans, targets, invests), achievement (a past fact) or context.",
            checks=pa.Check.isin(RELATIONS),
        ),
        "modality": _col(
            str,
            "asserted, negated, hypothetical, caption (a photo caption) or event (a product "
            "shown at an event); only asserted codings are ties (the others are kept for the "
            "record and for contradictions between sources).",
            checks=pa.Check.isin(MODALITIES),
        ),
        "rule_id": _col(str, "Id of the coding rule that made the tie (see the codebook)."),
        "via_region": _col(
            str,
            "Region whose member this province is, when the province is named next to its region "
            "or coded as a member of a region the text names (rule R-REGION).",
            nullable=True,
        ),
        "city_id": _col(
            str,
            "Gazetteer id of the city or named area the text names, when the province was "
            "reached through it (Shenzhen -> guangdong).",
            nullable=True,
            coerce=True,  # an all-empty column reads as float
            required=False,  # codings written before issue 11 lack it
        ),
        "place_sentence_id": _col(
            str,
            "For a place carried from another sentence (rules R-SCOPE, R-REF, R-ANAPHORA), the "
            "sentence that named it; empty when the evidence sentence names the place itself.",
            nullable=True,
            coerce=True,  # an all-empty column reads as float
            required=False,  # codings written before issue 11 lack it
        ),
        "status": _col(
            str,
            "auto (rule output), accepted, rejected or added (by adjudication).",
            checks=pa.Check.isin(CODING_STATUSES),
        ),
        "adjudication_reason": _col(
            str, "The researcher's reason, for adjudicated rows.", nullable=True
        ),
    },
)

PRIORITY_MATRIX = _schema(
    "priority_matrix",
    "Place x sector matrix in long form: the strongest relation found for each tie.",
    {
        "place_id": _col(str, "Codebook id of the province or region."),
        "place_level": _col(str, "province or region.", checks=pa.Check.isin(PLACE_LEVELS)),
        "sector_id": _col(str, "Level-1 sector id."),
        "relation": _col(
            str,
            "Strongest relation among the tie's codings (priority > achievement > context).",
            checks=pa.Check.isin(RELATIONS),
        ),
        "n_codings": _col(int, "Codings behind the tie (not rejected).", checks=pa.Check.ge(1)),
        "n_sources": _col(int, "Distinct sources behind the tie.", checks=pa.Check.ge(1)),
        "sentence_ids": _col(str, "The evidence sentences, `;`-separated, in reading order."),
    },
    unique=["place_id", "sector_id"],
)

FRAMING_CLAIMS = _schema(
    "framing_claims",
    "One row per framing claim (sentence x dimension) about China against other actors.",
    {
        "claim_id": _col(
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
        "evidence": _col(str, "The claim's sentence."),
        "actor": _col(str, "Framing actor the claim is about (codebook id)."),
        "comparators": _col(
            str,
            "Actors it is compared with, `;`-separated codebook ids; empty when none is named.",
            nullable=True,
        ),
        "comparative": _col(bool, "True when the sentence names at least one comparator."),
        "dimension": _col(str, "Comparison dimension (framing codebook id)."),
        "direction": _col(
            str, "Who the text puts ahead on the dimension.", checks=pa.Check.isin(DIRECTIONS)
        ),
        "hedged": _col(bool, "True when a hedge (can, could, may, is able to) qualifies it."),
        "hedge_terms": _col(str, "Hedge words found, `;`-separated.", nullable=True),
        "evaluative_terms": _col(str, "Evaluative words found, `;`-separated.", nullable=True),
        "ranking": _col(
            str,
            "The comparators as the claim ranks them, the one it singles out first (`above "
            "all with Europe`: europe;united-states), `;`-separated; empty when it ranks none.",
            nullable=True,
        ),
    },
)

REFERENCE_CODINGS = _schema(
    "reference_codings",
    "The primary source's hand-coded facts mapped onto the codebook: one row per fact x place "
    "x sector.",
    {
        "reference_id": _col(
            str, "Stable id: `<fact_id>:<place_id or general>:<sector_id or none>`.", unique=True
        ),
        "source_id": SOURCE_ID,
        "fact_id": _col(str, "Fact id in the reference table."),
        "place_id": _col(
            str, "Codebook id of the place or region; empty for a general claim.", nullable=True
        ),
        "place_level": _col(
            str,
            "province, region or general.",
            checks=pa.Check.isin(["province", "region", "general"]),
        ),
        "sector_id": _col(str, "Level-1 sector id; empty when the fact names none.", nullable=True),
        "relation": _col(
            str, "priority or context, as coded by hand.", checks=pa.Check.isin(RELATIONS)
        ),
        "confidence": _col(
            str,
            "high, or medium where rebuilt from the Italian retelling.",
            checks=pa.Check.isin(["high", "medium", "low"]),
        ),
        "commitment": _col(str, "The fact, in the coder's own words."),
        "urls": _col(str, "Where the story was read, space-separated."),
        "framing_dimension": _col(
            str, "The fact's own framing of China: a framing dimension id.", nullable=True
        ),
        "framing_direction": _col(
            str,
            "Who the fact puts ahead on that dimension.",
            nullable=True,
            checks=pa.Check.isin(DIRECTIONS),
        ),
        "framing_comparators": _col(
            str,
            "The rivals the fact names, `;`-separated actor ids; empty: none named.",
            nullable=True,
        ),
    },
)

TRIANGULATION = _schema(
    "triangulation",
    "Every coding of a retelling and every fact of the reference it retells, classified against "
    "each other; one set of rows per retelling.",
    {
        "row_id": _col(str, "Stable id of the comparison row.", unique=True),
        "class": _col(
            str,
            "agrees, unconfirmed (meets a fact rebuilt from the retelling itself: no agreement), "
            "omitted_by_article, added_by_article, misattributed, "
            "framing_agrees, framing_changed, framing_only_in_article, framing_only_in_reference "
            "(a framing claim against the reference's own framing) or not_coded.",
            checks=pa.Check.isin(TRIANGULATION_CLASSES),
        ),
        "sector_id": _col(str, "Sector compared, where there is one.", nullable=True),
        "article_place_id": _col(str, "Place as the retelling codes it.", nullable=True),
        "reference_place_id": _col(str, "Place as the primary source has it.", nullable=True),
        "article_relation": _col(str, "Relation in the retelling's coding.", nullable=True),
        "reference_relation": _col(str, "Relation in the reference fact.", nullable=True),
        "article_source_id": _col(
            str, "Source id of the retelling the row belongs to.", nullable=True
        ),
        "article_sentence_id": _col(str, "Evidence sentence of the retelling.", nullable=True),
        "article_start": _col(
            "Int64", "Start of the retelling's evidence span (normalised text).", nullable=True
        ),
        "article_end": _col("Int64", "End of the retelling's evidence span.", nullable=True),
        "article_evidence": _col(str, "The retelling's evidence text.", nullable=True),
        "reference_source_id": _col(
            str, "Source id of the reference the retelling is checked against.", nullable=True
        ),
        "fact_id": _col(str, "Reference fact id on the primary side.", nullable=True),
        "fact_text": _col(str, "Reference fact (commitment) text.", nullable=True),
        "note": _col(str, "Why the row has its class.", nullable=True),
    },
)

SELECTION = _schema(
    "selection",
    "Which sources the report covers: one row per manifest entry, chosen by the compare stage's "
    "`period` and `sources` parameters.",
    {
        "source_id": _col(str, "Manifest id of the source.", unique=True),
        "period": _col(str, "The period the source speaks about (from the manifest)."),
        "selected": _col(bool, "True when the report covers the source."),
    },
)

TIE_SOURCES = _schema(
    "tie_sources",
    "Place x sector ties by source: one row per (place, sector, source) with the source's "
    "strongest relation and its best evidence sentence.",
    {
        "place_id": _col(str, "Codebook id of the province or region."),
        "place_level": _col(str, "province or region.", checks=pa.Check.isin(PLACE_LEVELS)),
        "sector_id": _col(str, "Level-1 sector id."),
        "source_id": SOURCE_ID,
        "relation": _col(
            str,
            "Strongest relation among this source's codings of the tie "
            "(priority > achievement > context).",
            checks=pa.Check.isin(RELATIONS),
        ),
        "n_codings": _col(
            int, "This source's codings of the tie (not rejected).", checks=pa.Check.ge(1)
        ),
        "negated": _col(bool, "True when the source negates the tie (e.g. does not plan to ...)."),
        "misattributed": _col(
            bool,
            "True when the triangulation finds that this retelling gives the sector to this place "
            "where its reference names another (or another sector to this place).",
        ),
        "sentence_id": _col(str, "Best evidence sentence: the first with the strongest relation."),
        "start": START,
        "end": END,
        "evidence": _col(
            str, "The best evidence sentence's text (a reference's fact, in the coder's words)."
        ),
        "from_reference": _col(
            bool,
            "True when the source is a reference whose hand-coded fact of high confidence "
            "attests the tie (its sentence_id is `<reference>:<fact_id>`).",
        ),
    },
    unique=["place_id", "sector_id", "source_id"],
)

TIES = _schema(
    "ties",
    "Place x sector ties over the covered sources: how many sources attest each, which, the "
    "strongest relation, and how the sources agree.",
    {
        "place_id": _col(str, "Codebook id of the province or region."),
        "place_level": _col(str, "province or region.", checks=pa.Check.isin(PLACE_LEVELS)),
        "sector_id": _col(str, "Level-1 sector id."),
        "relation": _col(
            str,
            "Strongest relation across sources (priority > achievement > context).",
            checks=pa.Check.isin(RELATIONS),
        ),
        "n_codings": _col(int, "Codings behind the tie (not rejected).", checks=pa.Check.ge(1)),
        "n_sources": _col(int, "Sources with a coding of the tie.", checks=pa.Check.ge(1)),
        "source_ids": _col(str, "Those sources, `;`-separated, sorted."),
        "n_priority_sources": _col(
            int, "Sources whose strongest relation for the tie is priority.", checks=pa.Check.ge(0)
        ),
        "n_negating_sources": _col(int, "Sources that negate the tie.", checks=pa.Check.ge(0)),
        "n_misattributing_sources": _col(
            int,
            "Retellings whose tie the triangulation classes as misattributed.",
            checks=pa.Check.ge(0),
        ),
        "agreement": _col(
            str,
            "contradicted (one source gives it as a priority, another negates it), "
            "misattributed (every source behind it misattributes it, by the triangulation), "
            "corroborated (two or more sources) or single_source.",
            checks=pa.Check.isin(AGREEMENTS),
        ),
        "sentence_ids": _col(str, "The evidence sentences, `;`-separated, in source order."),
    },
    unique=["place_id", "sector_id"],
)

ALL = [
    SOURCES,
    PARAGRAPHS,
    SENTENCES,
    CORRECTIONS_APPLIED,
    MENTIONS,
    CODINGS,
    PRIORITY_MATRIX,
    FRAMING_CLAIMS,
    REFERENCE_CODINGS,
    TRIANGULATION,
    SELECTION,
    TIE_SOURCES,
    TIES,
]
BY_NAME = {schema.name: schema for schema in ALL}


_READABLE_TYPES = {  # pandas dtype -> the word a reader of the dictionary expects
    "int64": "integer",
    "Int64": "integer",
    "bool": "boolean",
    "str": "text",
    "string": "text",
    "string[pyarrow]": "text",
    "string[python]": "text",
}


def data_dictionary() -> pd.DataFrame:
    """The data dictionary (table, column, type, nullable, description), from the schemas."""
    rows = [
        {
            "table": schema.name,
            "column": name,
            "dtype": _READABLE_TYPES[str(column.dtype)],
            "nullable": column.nullable,
            "description": column.description,
        }
        for schema in ALL
        for name, column in schema.columns.items()
    ]
    return pd.DataFrame(rows)
