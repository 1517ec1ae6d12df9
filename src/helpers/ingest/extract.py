"""Text out of what was received: a saved web page's main text, a PDF's text layer by page.

The raw file stays as received; its text is a layer derived at ingest, and the offsets of the
tables (``raw_start``, ``raw_end``) point into it. It is rebuilt whenever the file or the
extractor changes (both are in the ingest stage's fingerprint: the raw folder and the lock
file pinning ``trafilatura`` and ``pypdf``). ``python -m helpers.ingest.extract FILE`` prints
it, so a reader can find an offset.

- **HTML**: ``trafilatura`` finds the main text (navigation, boilerplate and comments
  dropped), one paragraph a line. A page where it finds none stops with one line.
- **PDF**: ``pypdf`` reads the text layer page by page. Lines the layout wrapped are joined
  again (a line as wide as the page's widest runs on; a shorter one ends its paragraph; a page
  number alone on a page's first or last line is dropped; a line ending a sentence ends its
  paragraph unless the next begins in lower case), one paragraph a line, and
  :attr:`Extracted.pages` says where each page begins, so every sentence knows its page. A
  PDF whose pages hold no text (a scan) stops with one line.
- **Text** (``.txt``, ``.md``): the file's text as today, decoded as UTF-8.
"""

from __future__ import annotations

import io
import re
import sys
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path

from helpers.engine.errors import InputError, clip

_PAGE_NUMBER = re.compile(r"[-\u2013\u2014\s]*\d{1,4}[-\u2013\u2014\s]*")
_FULL_LINE = 0.8  # a line at least this share of the page's widest runs on to the next
# A sentence's end at the end of a line: a full line ending so closes its paragraph, unless the
# next line begins in lower case
_FINAL = re.compile(r"[.!?\u3002\uff01\uff1f][\"'\u201d\u2019)\u300d\u300f\uff09]{0,3}$")
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")


@dataclass(frozen=True)
class Extracted:
    """The text the tables point into, and for a PDF the offset each page starts at."""

    text: str
    pages: tuple[int, ...] = field(default=())

    @property
    def n_pages(self) -> int:
        return len(self.pages)

    def page_at(self, offset: int) -> int | None:
        """The 1-based page holding ``offset``, or None for a source without pages."""
        if not self.pages:
            return None
        return max(1, bisect_right(self.pages, offset))


def extract(data: bytes, fmt: str, path: Path | str) -> Extracted:
    """The text of a file's bytes by its format (``txt``, ``md``, ``html``, ``pdf``)."""
    if fmt == "html":
        return Extracted(html_text(data, path))
    if fmt == "pdf":
        return pdf_text(data, path)
    text = data.decode("utf-8")
    return Extracted(text.removeprefix("\ufeff"))


# -- HTML ------------------------------------------------------------------------------------


def html_text(data: bytes, path: Path | str) -> str:
    """The main text of a web page, one paragraph a line (trafilatura)."""
    import trafilatura

    text = trafilatura.extract(
        data,
        output_format="txt",
        include_comments=False,
        include_images=False,
        favor_precision=True,  # a page of navigation alone gives nothing, not its menu
    )
    if not text or not text.strip():
        raise InputError(
            path,
            "no main text found in the web page (only navigation, boilerplate or nothing); "
            "save the article's own page, or its text as .txt",
        )
    return text.strip() + "\n"


def html_metadata(data: bytes) -> dict[str, str]:
    """What the page says about itself: title, site name, date (YYYY-MM-DD), URL, author."""
    import trafilatura

    meta = trafilatura.extract_metadata(data)
    if meta is None:
        return {}
    found = {
        "title": meta.title,
        "outlet": meta.sitename or meta.hostname,
        "date": meta.date,
        "url": meta.url,
        "author": meta.author,
    }
    return {k: v.strip() for k, v in found.items() if isinstance(v, str) and v.strip()}


# -- PDF -------------------------------------------------------------------------------------


def _reader(data: bytes, path: Path | str):
    import pypdf

    try:
        return pypdf.PdfReader(io.BytesIO(data))
    except Exception as exc:  # pypdf raises many kinds on a damaged file
        raise InputError(path, f"not a readable PDF: {clip(str(exc), 120)}") from None


def pdf_text(data: bytes, path: Path | str) -> Extracted:
    """A PDF's text layer, wrapped lines joined, with the offset where each page starts."""
    reader = _reader(data, path)
    try:
        pages = [page.extract_text() or "" for page in reader.pages]
    except Exception as exc:
        raise InputError(path, f"cannot read the PDF's text: {clip(str(exc), 120)}") from None
    if not any(p.strip() for p in pages):
        raise InputError(
            path,
            f"the PDF has no text layer ({len(pages)} page(s) of images only, a scan?); "
            "run OCR on it first, or add its text as .txt",
        )
    paragraphs: list[str] = []  # the text so far, by paragraph
    starts: list[int] = []
    length, open_paragraph = 0, False  # length of "\n".join(paragraphs); last one runs on?
    for page in pages:
        lines = _page_lines(page)
        start = None
        widest = max((_width(line) for line in lines), default=0)
        for line in lines:
            if not line:
                open_paragraph = False
                continue
            if open_paragraph and (not _FINAL.search(paragraphs[-1]) or line[0].islower()):
                joint = _joint(paragraphs[-1], line)
                paragraphs[-1] += joint + line
                length += len(joint)
            else:
                length += 1 if paragraphs else 0
                paragraphs.append(line)
            start = length if start is None else start
            length += len(line)
            open_paragraph = len(lines) > 1 and _width(line) >= _FULL_LINE * widest
        starts.append(length if start is None else start)
    text = "\n".join(paragraphs) + "\n"
    return Extracted(text, tuple(starts))


def pdf_metadata(data: bytes) -> dict[str, str]:
    """What the PDF says about itself: title, author, date (YYYY-MM-DD)."""
    reader = _reader(data, "PDF")
    meta = reader.metadata or {}
    found = {"title": meta.get("/Title"), "author": meta.get("/Author")}
    date = meta.get("/CreationDate")
    match = re.match(r"D:(\d{4})(\d{2})(\d{2})", date) if isinstance(date, str) else None
    if match:
        found["date"] = "-".join(match.groups())
    return {k: v.strip() for k, v in found.items() if isinstance(v, str) and v.strip()}


def _page_lines(page: str) -> list[str]:
    """A page's lines, right-stripped, a lone page number first or last dropped."""
    lines = [line.strip() for line in page.replace("\r", "\n").split("\n")]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    if lines and _PAGE_NUMBER.fullmatch(lines[-1]):
        lines.pop()
    if lines and _PAGE_NUMBER.fullmatch(lines[0]):
        lines.pop(0)
    return lines


def _width(line: str) -> int:
    """Display width: a wide (Chinese) character counts two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


def _joint(before: str, after: str) -> str:
    """What joins a wrapped line to the next: nothing between Chinese characters or after a
    hyphen, else one space."""
    if _CJK.match(before[-1]) and _CJK.match(after[0]):
        return ""
    if before.endswith("-") and after[0].isalpha():
        return ""
    return " "


def main(argv: list[str] | None = None) -> int:
    """``python -m helpers.ingest.extract FILE``: print the text ingest reads from FILE."""
    from helpers.ingest.sources import FORMATS

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m helpers.ingest.extract FILE", file=sys.stderr)
        return 2
    path = Path(args[0])
    try:
        fmt = FORMATS.get(path.suffix.lower())
        if fmt is None:
            raise InputError(path, "not a .txt, .md, .html or .pdf file")
        extracted = extract(path.read_bytes(), fmt, path)
    except (InputError, OSError) as exc:
        print(exc, file=sys.stderr)
        return 1
    if extracted.pages:
        for n, start in enumerate(extracted.pages, 1):
            end = extracted.pages[n] if n < len(extracted.pages) else len(extracted.text)
            print(f"--- page {n} (offset {start}) ---")
            sys.stdout.write(extracted.text[start:end].lstrip("\n"))
        return 0
    sys.stdout.write(extracted.text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
