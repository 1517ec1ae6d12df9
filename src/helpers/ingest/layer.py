"""The text extracted from web pages and PDFs, kept as a dataset (``extracted``).

A web page or a PDF is stored as received; the text ingest reads from it is derived, and every
offset of a sentence or a coding (``raw_start``, ``raw_end``) points into that text. So the
layer is written out, one ``<source id>.txt`` a source, with ``index.csv`` saying which file it
came from (its SHA-256), which extractor and version made it, and where each page of a PDF
begins: a reader can check any evidence against it. It is an output of the ingest stage, so it
is rebuilt whenever the raw file, the extractor code or the pinned extractors (the lock) change.
"""

from __future__ import annotations

import csv
import io
from importlib import metadata
from pathlib import Path

from helpers.engine import storage
from helpers.ingest.extract import Extracted
from helpers.ingest.sources import Source

INDEX = "index.csv"
COLUMNS = ["source_id", "file", "raw_file", "raw_sha256", "extractor", "pages", "page_starts"]
EXTRACTORS = {"html": "trafilatura", "pdf": "pypdf"}  # the library that reads each format


def extractor(fmt: str) -> str:
    """The library (and its installed version) that extracts text from ``fmt``."""
    name = EXTRACTORS[fmt]
    return f"{name} {metadata.version(name)}"


def write_layer(folder: Path | str, extracted: list[tuple[Source, Extracted]]) -> list[Path]:
    """Write each source's extracted text and the index into ``folder`` (each atomically),
    in the order of the source ids, so the same sources give the same bytes."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = io.StringIO()
    rows = csv.writer(out, lineterminator="\n")
    rows.writerow(COLUMNS)
    written = []
    for source, found in sorted(extracted, key=lambda pair: pair[0].id):
        name = f"{source.id}.txt"
        written.append(storage.write_text(folder / name, found.text))
        starts = " ".join(map(str, found.pages))
        rows.writerow(
            [
                source.id,
                name,
                source.file,
                source.sha256,
                extractor(source.fmt),
                found.n_pages or "",
                starts,
            ]
        )
    written.append(storage.write_text(folder / INDEX, out.getvalue()))
    return written
