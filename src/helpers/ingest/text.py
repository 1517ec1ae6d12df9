"""The ingest stage: every source's text, normalised and segmented, with every span traceable
to the raw file.

Three steps, each pure and testable without files, each in its module:

1. **Corrections** (:mod:`helpers.ingest.corrections`): the reviewed corrections list.
2. **Normalisation** (:mod:`helpers.ingest.normalise`): the repairs and the character fixes,
   with an alignment to the raw text.
3. **Segmentation** (:mod:`helpers.ingest.segment`): paragraphs and sentences.

:func:`ingest` runs all three over the manifest. The steps' functions most callers use
(:func:`normalise`, :func:`segment_source`, :func:`sentence_cuts`, :func:`load_corrections`)
are named here too.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from helpers import schemas
from helpers.engine.errors import InputError, clip
from helpers.ingest import language
from helpers.ingest.corrections import Correction, load_corrections
from helpers.ingest.extract import Extracted, extract
from helpers.ingest.layer import write_layer
from helpers.ingest.normalise import normalise
from helpers.ingest.segment import frame, segment_rows, segment_source, sentence_cuts
from helpers.ingest.sources import (
    TEXT_FORMATS,
    Source,
    load_manifest,
    read_bytes,
    read_text,
    sources_table,
)

__all__ = [
    "Correction",
    "ingest",
    "load_corrections",
    "normalise",
    "segment_source",
    "sentence_cuts",
    "source_text",
]


def source_text(source: Source, raw_dir: Path | str) -> Extracted:
    """The text ingest reads from a source: a ``.txt`` or ``.md`` file as received, the main
    text of a web page, the text layer of a PDF (with its pages).

    A web page or PDF whose text reads as another language than the manifest's stops here,
    with one line (a text too short to tell is taken at the manifest's word).
    """
    if source.fmt in TEXT_FORMATS.values():
        return Extracted(read_text(source, raw_dir))
    path = Path(raw_dir) / source.file
    extracted = extract(read_bytes(source, raw_dir), source.fmt, path)
    found = language.detect(extracted.text)
    if found.language not in ("unsure", source.language):
        coded = " or ".join(language.NAMES[code] for code in schemas.LANGUAGES)
        problem = (
            f"the text is in {found.name}, but the manifest says {source.language}"
            if found.language in schemas.LANGUAGES
            else f"the text is in {found.name}; only {coded} sources are coded"
        )
        raise InputError(path, f"{problem} (manifest entry {clip(source.id)})")
    return extracted


def ingest(
    manifest_path: Path | str,
    corrections_path: Path | str,
    raw_dir: Path | str,
    *,
    layer_to: Path | str | None = None,
) -> dict[str, pd.DataFrame]:
    """The ingest stage: manifest + corrections + raw files -> the four validated tables.

    Returns ``{"sources", "paragraphs", "sentences", "corrections_applied"}``, each sorted by
    its ids so the same input gives byte-identical files. With ``layer_to``, the text extracted
    from each web page and PDF is written there too (:mod:`helpers.ingest.layer`).
    """
    sources = load_manifest(manifest_path, raw_dir)
    corrections = load_corrections(corrections_path, sources)
    n_chars: dict[str, int] = {}
    n_pages: dict[str, int] = {}
    p_rows: list[tuple] = []
    s_rows: list[tuple] = []
    applied: list[dict] = []
    layer: list[tuple[Source, Extracted]] = []
    by_source: dict[str, list[Correction]] = {}
    for c in corrections:
        by_source.setdefault(c.source, []).append(c)
    for source in sorted(sources, key=lambda s: s.id):
        if not source.is_text:
            continue
        extracted = source_text(source, raw_dir)
        if source.fmt not in TEXT_FORMATS.values():
            layer.append((source, extracted))
        n_pages[source.id] = extracted.n_pages
        norm = normalise(
            extracted.text, by_source.get(source.id, []), corrections_path=corrections_path
        )
        n_chars[source.id] = len(norm.text)
        fmt = source.fmt if source.fmt in TEXT_FORMATS.values() else "txt"  # one line a paragraph
        p, s = segment_rows(
            source.id,
            norm.text,
            source.language,
            fmt,
            norm.alignment,
            extracted.page_at if extracted.pages else None,
        )
        p_rows += p
        s_rows += s
        applied += norm.applied

    paragraphs = frame(p_rows, schemas.PARAGRAPHS).sort_values(
        ["source_id", "paragraph_no"], kind="stable", ignore_index=True
    )
    sentences = frame(s_rows, schemas.SENTENCES).sort_values(
        ["source_id", "start"], kind="stable", ignore_index=True
    )
    if layer_to is not None:
        write_layer(layer_to, layer)
    columns = list(schemas.CORRECTIONS_APPLIED.columns)
    audit = frame(
        [tuple(row[c] for c in columns) for row in applied], schemas.CORRECTIONS_APPLIED
    ).sort_values(["source_id", "raw_start", "correction_id"], kind="stable", ignore_index=True)
    return {
        "sources": sources_table(sources, n_chars, paragraphs, sentences, n_pages),
        "paragraphs": schemas.PARAGRAPHS.validate(paragraphs),
        "sentences": schemas.SENTENCES.validate(sentences),
        "corrections_applied": schemas.CORRECTIONS_APPLIED.validate(audit),
    }
