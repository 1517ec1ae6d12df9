"""Contracts of the ingest stage's tables: sources, paragraphs, sentences, corrections applied."""

from __future__ import annotations

import pandera.pandas as pa

from helpers.schemas.columns import (
    CORRECTION_ACTIONS,
    END,
    LANGUAGES,
    PAGE,
    PARAGRAPH_ID,
    RAW_END,
    RAW_START,
    SENTENCE_ID,
    SOURCE_ID,
    SOURCE_KINDS,
    START,
    column,
    table_schema,
)

SOURCES = table_schema(
    "sources",
    "One row per source listed in the manifest, with its provenance and size.",
    {
        "source_id": column(str, "Stable id of the source, unique in the manifest.", unique=True),
        "title": column(str, "Title as published."),
        "outlet": column(str, "Publishing outlet or agency."),
        "url": column(str, "Where the source was read."),
        "date": column(
            str, "Publication date, ISO 8601 (YYYY-MM-DD, or YYYY-MM when only the month is known)."
        ),
        "period": column(
            str,
            "The period the source speaks about: a year (2025) or a range of years (2026-2030).",
            checks=pa.Check.str_matches(r"^\d{4}(-\d{4})?$"),
        ),
        "language": column(str, "Language of the text: en or zh.", checks=pa.Check.isin(LANGUAGES)),
        "kind": column(
            str,
            "primary (the original story), secondary (retells another source) or "
            "reference (hand-coded facts).",
            checks=pa.Check.isin(SOURCE_KINDS),
        ),
        "retells": column(
            str, "Id of the source a secondary source retells, where known.", nullable=True
        ),
        "file": column(str, "File name inside data/raw/."),
        "sha256": column(
            str,
            "SHA-256 of the raw file's bytes, checked on every run.",
            checks=pa.Check.str_matches(r"^[0-9a-f]{64}$"),
        ),
        "n_chars": column(int, "Characters in the normalised text (0 for reference tables)."),
        "n_paragraphs": column(int, "Paragraphs found in the normalised text."),
        "n_sentences": column(int, "Sentences found in the normalised text."),
        "format": column(
            str,
            "What the file is: txt or md (text as received), html (a saved web page, its main "
            "text extracted at ingest), pdf (its text layer extracted at ingest), or csv "
            "(a reference's facts).",
        ),
        "n_pages": column(int, "Pages of a PDF source (0 for any other file)."),
        "accessed": column(str, "Day a fetched page was read, YYYY-MM-DD.", nullable=True),
        "author_outlet": column(
            str,
            "Whose words the text carries, and so whose framing: the original's outlet for a "
            "translation or republication, else the outlet itself.",
        ),
        "original_outlet": column(
            str, "Outlet or agency that wrote the text first, where another did.", nullable=True
        ),
        "original_language": column(
            str, "Language of that original, an ISO 639 code (it, en, zh).", nullable=True
        ),
        "original_author": column(str, "Author of the original, where known.", nullable=True),
        "translated_by": column(
            str, "Outlet(s) that translated the text, `;`-separated, in order.", nullable=True
        ),
        "machine_translation": column(
            bool, "True when a step of the chain is a machine translation."
        ),
        "republished_by": column(
            str, "Outlet(s) that republished the text, `;`-separated, in order.", nullable=True
        ),
    },
)


PARAGRAPHS = table_schema(
    "paragraphs",
    "One row per paragraph of every text source, after corrections.",
    {
        "source_id": SOURCE_ID,
        "paragraph_id": column(str, PARAGRAPH_ID.description, unique=True),
        "paragraph_no": column(int, "Paragraph number within the source, from 1."),
        "start": START,
        "end": END,
        "raw_start": RAW_START,
        "raw_end": RAW_END,
        "text": column(str, "Paragraph text (normalised)."),
        "page": PAGE,
    },
)

SENTENCES = table_schema(
    "sentences",
    "One row per sentence of every text source, after corrections.",
    {
        "source_id": SOURCE_ID,
        "paragraph_id": PARAGRAPH_ID,
        "sentence_id": column(str, SENTENCE_ID.description, unique=True),
        "sentence_no": column(int, "Sentence number within its paragraph, from 1."),
        "language": column(str, "Language of the source.", checks=pa.Check.isin(LANGUAGES)),
        "start": START,
        "end": END,
        "raw_start": RAW_START,
        "raw_end": RAW_END,
        "text": column(str, "Sentence text (normalised); equals the normalised text[start:end]."),
        "page": PAGE,
    },
)

CORRECTIONS_APPLIED = table_schema(
    "corrections_applied",
    "Audit of the corrections list: every entry, where it was found, and what was done.",
    {
        "correction_id": column(str, "Id of the entry in data/annotations/corrections.yaml."),
        "source_id": SOURCE_ID,
        "action": column(
            str,
            "repair (text replaced in the normalised text) or keep (documented "
            "and left as received).",
            checks=pa.Check.isin(CORRECTION_ACTIONS),
        ),
        "found": column(str, "Exact text found in the raw file."),
        "replacement": column(
            str, "Text that stands in the normalised text (equals `found` for keep)."
        ),
        "reason": column(str, "Why the entry repairs or keeps the text."),
        "raw_start": RAW_START,
        "raw_end": RAW_END,
        "start": START,
        "end": END,
    },
)
