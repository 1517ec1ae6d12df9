"""Segmenting a normalised text into paragraphs and sentences, with offsets into it and into
the raw text.

Paragraphs: in ``.txt`` each non-blank line, in ``.md`` blocks separated by blank lines;
sentences by the rules of :func:`sentence_cuts`. Offsets into the normalised text are
``start``, ``end``; into the raw text ``raw_start``, ``raw_end`` (through the
:class:`~helpers.ingest.normalise.Alignment`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd

from helpers import schemas
from helpers.ingest.normalise import Alignment

_PARAGRAPH_SEP = {"txt": re.compile(r"\n"), "md": re.compile(r"\n\s*\n")}

# English: a run of . ! ? and any closing quotes/brackets, then whitespace.
# Matched only at the start of a run (the lookbehind) and possessively, so a long run of "."
# or "!" costs linear time, not quadratic (each start inside the run would rescan it); the
# pattern begins with a character class so the regex engine can skip ahead fast.
_EN_END = re.compile(r"[.!?](?<![.!?][.!?])[.!?]*+[\"'”’)\]]*+(?=\s)")
# What follows an end: whitespace, then an opening quote, or brackets and the next character.
_EN_NEXT = re.compile(r"\s*+(?:([\"'“‘])|[(\[]*+(.?))", re.S)
_EN_OPENERS = "\"'“‘([«"
# Abbreviations after which a period does not end a sentence (case-sensitive).
ABBREVIATIONS = frozenset(
    "Mr Mrs Ms Dr Prof St Jr Sr Mt No Nos Vol Fig Figs Art Ch Inc Ltd Co Corp Gov Gen Sen Rep "
    "Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec e.g i.e vs cf al approx p pp".split()
)
_DOTTED = re.compile(r"(?:[A-Za-z]\.)+[A-Za-z]")  # U.S, e.g, i.e, a.m
_INITIAL = re.compile(r"[A-Z]")  # J. K. Smith

# Chinese: a run of 。！？ (full-width) or !? (half-width), then closing quotes/brackets.
_ZH_END = re.compile(r"[。！？!?]+[”’」』）)》〉】〕\"']*")


def sentence_cuts(text: str, language: str) -> list[int]:
    """Offsets in ``text`` (one paragraph) after which a new sentence begins.

    English rules: a sentence ends at a run of ``.``, ``!`` or ``?`` (plus closing quotes or
    brackets) followed by whitespace and then a capital, a digit or an opening quote (an
    opening bracket is looked through). A single ``.`` does not end a sentence after a known
    abbreviation (:data:`ABBREVIATIONS`: Mr., Dr., No., e.g., Jan., ...), a dotted one
    (U.S., i.e.) or a capital initial (J. K. Smith); numbers such as 2.5 have no space after
    the point. Limits: a sentence that really ends with such an abbreviation ("... in the U.S.
    The ...") is not split, and "!" or "?" inside a name ("Yahoo! Inc") is.

    Chinese rules: a sentence ends after a run of 。！？ or half-width !? plus any closing
    quotes or brackets (”’」』）》〉】〕), whatever follows. The half-width "." never ends a
    sentence (decimals such as 2.5, Latin terms); ；and ： and …… do not either, as in Chinese
    they join clauses of one sentence.
    """
    if language == "zh":
        return [m.end() for m in _ZH_END.finditer(text) if m.end() < len(text)]
    cuts = []
    for m in _EN_END.finditer(text):
        quote, nxt = _EN_NEXT.match(text, m.end()).groups()
        if not (quote or nxt.isupper() or nxt.isdigit()):
            continue
        if m.group().rstrip("\"'”’)]") == "." and _is_abbreviation(text, m.start()):
            continue
        cuts.append(m.end())
    return cuts


def _is_abbreviation(text: str, dot: int) -> bool:
    start = dot
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    token = text[start:dot].lstrip(_EN_OPENERS)
    return (
        token in ABBREVIATIONS
        or _DOTTED.fullmatch(token) is not None
        or _INITIAL.fullmatch(token) is not None
    )


def _stripped(text: str, start: int, end: int) -> tuple[int, int]:
    chunk = text[start:end]
    inner = chunk.strip()
    if not inner:
        return start, start
    s = start + len(chunk) - len(chunk.lstrip())
    return s, s + len(inner)


def _paragraph_spans(text: str, fmt: str) -> list[tuple[int, int]]:
    try:
        sep = _PARAGRAPH_SEP[fmt]
    except KeyError:
        raise ValueError(f"unknown text format {fmt!r} (expected txt or md)") from None
    bounds = [0] + [x for m in sep.finditer(text) for x in (m.start(), m.end())] + [len(text)]
    spans = (_stripped(text, s, e) for s, e in zip(bounds[::2], bounds[1::2], strict=True))
    return [(s, e) for s, e in spans if s < e]


def segment_rows(
    source_id: str,
    text: str,
    language: str,
    fmt: str,
    alignment: Alignment | None,
    page_at: Callable[[int], int | None] | None = None,
) -> tuple[list[tuple], list[tuple]]:
    """Paragraph and sentence rows (column order of the schemas), in reading order.

    ``page_at`` gives the page of a raw offset (a PDF's); without it every page is None.
    """
    align = alignment or Alignment.identity(len(text))
    page_at = page_at or (lambda offset: None)
    paragraphs = _paragraph_spans(text, fmt)
    sentence_spans = []
    for p_start, p_end in paragraphs:
        para = text[p_start:p_end]
        bounds = [0, *sentence_cuts(para, language), len(para)]
        spans = (_stripped(para, a, b) for a, b in zip(bounds, bounds[1:], strict=False))
        sentence_spans.append([(p_start + a, p_start + b) for a, b in spans if a < b])
    p_width = max(2, len(str(len(paragraphs))))
    s_width = max([2] + [len(str(len(s))) for s in sentence_spans])

    p_rows, s_rows = [], []
    for p_no, ((p_start, p_end), spans) in enumerate(
        zip(paragraphs, sentence_spans, strict=True), 1
    ):
        pid = f"{source_id}:p{p_no:0{p_width}d}"
        p_raw = align.span(p_start, p_end)
        p_rows.append(
            (source_id, pid, p_no, p_start, p_end, *p_raw, text[p_start:p_end], page_at(p_raw[0]))
        )
        for s_no, (s_start, s_end) in enumerate(spans, 1):
            s_raw = align.span(s_start, s_end)
            s_rows.append(
                (
                    source_id,
                    pid,
                    f"{pid}:s{s_no:0{s_width}d}",
                    s_no,
                    language,
                    s_start,
                    s_end,
                    *s_raw,
                    text[s_start:s_end],
                    page_at(s_raw[0]),
                )
            )
    return p_rows, s_rows


def segment_source(
    source_id: str,
    text: str,
    language: str,
    fmt: str = "txt",
    alignment: Alignment | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Paragraphs and sentences of one normalised text, as PARAGRAPHS and SENTENCES frames.

    Works in memory (no files); without ``alignment`` raw offsets equal normalised ones.
    """
    p_rows, s_rows = segment_rows(source_id, text, language, fmt, alignment)
    return frame(p_rows, schemas.PARAGRAPHS), frame(s_rows, schemas.SENTENCES)


def frame(rows: list, schema) -> pd.DataFrame:
    """Rows to a frame; pandas infers int64 and str itself, so only an empty frame is cast."""
    df = pd.DataFrame(rows, columns=list(schema.columns))
    if len(df):
        return df.astype({"page": "Int64"}) if "page" in df.columns else df
    return df.astype({name: column.dtype.type for name, column in schema.columns.items()})
