"""Normalising and segmenting source texts, with every span traceable to the raw file.

Three steps, each pure and testable without files:

1. **Corrections** (``data/annotations/corrections.yaml``) name an exact text in a source and
   either *repair* it (the normalised text holds the replacement) or *keep* it (documented and
   left as received). Raw files are never edited, so the original stays recoverable.
2. **Normalisation** applies the repairs, turns every kind of line break into LF, removes
   control and invisible characters and turns full-width Latin letters and digits into ASCII
   (see ``_CHARACTER_FIXES``). An :class:`Alignment` maps every normalised span back to the
   raw text: outside a repair the mapping is exact, a span touching a repair widens to the
   whole repaired raw span.
3. **Segmentation** finds paragraphs (``.txt``: each non-blank line; ``.md``: blocks separated
   by blank lines) and sentences (rules in :func:`sentence_cuts`), with offsets into the
   normalised text (``start``, ``end``) and the raw text (``raw_start``, ``raw_end``).

:func:`ingest` runs all three over the manifest; :func:`segment_source` and :func:`normalise`
work in memory (used by the benchmark).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import pandas as pd
from pydantic import Field, StringConstraints, model_validator

from helpers import schemas
from helpers.engine.errors import InputError, clip
from helpers.engine.models import Model, Text, parse
from helpers.engine.yamlio import read_yaml
from helpers.ingest import language
from helpers.ingest.extract import Extracted, extract
from helpers.ingest.sources import (
    INVISIBLE,
    TEXT_FORMATS,
    Source,
    load_manifest,
    read_bytes,
    read_text,
    refuse_hidden,
    sources_table,
)

# -- corrections ----------------------------------------------------------------------------

# Bounds of the corrections list: each correction costs a search of its source, so a list of
# thousands on a large source would take the ingest stage minutes; a researcher who needs more
# has a source to re-extract, not to repair.
MAX_CORRECTIONS_PER_SOURCE = 1_000
MAX_OCCURRENCE = 10_000  # how far into a source's repeats of a text a correction may pick


class Correction(Model):
    """One entry of the corrections list; ``occurrence`` (1-based) picks among repeats.

    ``found`` is matched exactly, white space included. A keep may omit ``replacement`` (it
    stands for itself); a repair's replacement may be empty (a deletion), but it is not
    normalised again, so it must not bring back what ingest removes.
    """

    id: Text
    source: Text
    found: Annotated[str, StringConstraints(min_length=1)]
    replacement: str
    action: Literal[tuple(schemas.CORRECTION_ACTIONS)]
    reason: Text
    occurrence: Annotated[int, Field(ge=1, le=MAX_OCCURRENCE)] | None = None

    @model_validator(mode="before")
    @classmethod
    def _as_written(cls, entry: object) -> object:
        """A keep stands for itself; hidden characters are refused where they would land."""
        if not isinstance(entry, dict):
            return entry
        entry = dict(entry)
        if entry.get("action") == "keep" and entry.get("replacement") is None:
            entry["replacement"] = entry.get("found")
        # `found` may hold what it finds; a repair's replacement is not normalised again
        repair = entry.get("action") == "repair"
        if repair:  # `Text` fields refuse hidden characters themselves
            refuse_hidden(entry, ["replacement"])
        return entry

    @model_validator(mode="after")
    def _keep_is_unchanged(self) -> Correction:
        if self.action == "keep" and self.replacement != self.found:
            raise ValueError(
                "a keep leaves the text as found; drop `replacement` or make it equal to `found`"
            )
        return self


class Corrections(Model):
    """The corrections file: its one top-level key."""

    corrections: list[Correction]


def load_corrections(path: Path | str, sources: Sequence[Source] | None = None) -> list[Correction]:
    """Read and validate the corrections list (top-level key ``corrections``).

    With ``sources``, each entry must name a text source of the manifest. Whether the text is
    found is checked when it is applied (:func:`normalise`).
    """
    path = Path(path)
    data = read_yaml(path, "corrections list")
    if not isinstance(data, dict) or not isinstance(data.get("corrections"), list):
        raise InputError(path, "expected a top-level key `corrections` holding a list")
    corrections = parse(Corrections, data, path, nouns={"corrections": "correction"}).corrections

    _within_the_cap(corrections, path)
    kinds = {s.id: s.kind for s in sources} if sources is not None else None
    seen: set[str] = set()
    for c in corrections:
        if c.id in seen:
            raise InputError(path, f"duplicate correction id {clip(c.id)}")
        seen.add(c.id)
        if kinds is not None and c.source not in kinds:
            raise InputError(path, f"correction {clip(c.id)}: unknown source id {clip(c.source)}")
        if kinds is not None and kinds[c.source] == "reference":
            raise InputError(
                path,
                f"correction {clip(c.id)}: source {clip(c.source)} is a reference "
                "table, not a text; corrections apply to texts only",
            )
    return corrections


def _within_the_cap(corrections: Sequence[Correction], path: Path) -> None:
    per_source = Counter(c.source for c in corrections)
    source, n = max(per_source.items(), key=lambda kv: kv[1], default=("", 0))
    if n > MAX_CORRECTIONS_PER_SOURCE:
        raise InputError(
            path,
            f"{n:,} corrections of source {clip(source)}, more than the limit of "
            f"{MAX_CORRECTIONS_PER_SOURCE:,} per source (text.MAX_CORRECTIONS_PER_SOURCE)",
        )


# -- normalisation and alignment ------------------------------------------------------------


@dataclass(frozen=True)
class Alignment:
    """Maps normalised spans to raw spans, piecewise.

    ``pieces`` are the non-empty stretches of the normalised text in order, each
    ``(start, end, raw_start, raw_end, exact)``: an exact piece is a verbatim copy of the raw
    text (offsets map one to one), an inexact one is a replacement (any offset in it maps to
    the whole repaired raw span). Deleted raw text belongs to no piece.
    """

    pieces: tuple[tuple[int, int, int, int, bool], ...]
    raw_length: int

    @classmethod
    def identity(cls, length: int) -> Alignment:
        return cls(((0, length, 0, length, True),) if length else (), length)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Raw ``(raw_start, raw_end)`` of the normalised span ``[start, end)``."""
        if start >= end:
            return self._point(start), self._point(start)
        a, b = self._piece(start), self._piece(end - 1)
        raw_start = a[2] + (start - a[0]) if a[4] else a[2]
        raw_end = b[2] + (end - b[0]) if b[4] else b[3]
        return raw_start, raw_end

    def _piece(self, offset: int) -> tuple[int, int, int, int, bool]:
        starts = self._starts
        return self.pieces[bisect_right(starts, offset) - 1]

    def _point(self, offset: int) -> int:
        if not self.pieces or offset >= self.pieces[-1][1]:
            return self.raw_length if not self.pieces else self.pieces[-1][3]
        p = self._piece(offset)
        return p[2] + (offset - p[0]) if p[4] else p[2]

    @property
    def _starts(self) -> list[int]:
        cached = self.__dict__.get("_starts_cache")
        if cached is None:
            cached = [p[0] for p in self.pieces]
            object.__setattr__(self, "_starts_cache", cached)
        return cached


@dataclass(frozen=True)
class Normalised:
    """A source's normalised text, its alignment to the raw text and the corrections audit."""

    text: str
    alignment: Alignment
    applied: list[dict]


def normalise(
    raw_text: str,
    corrections: Iterable[Correction] = (),
    *,
    corrections_path: Path | str = "corrections.yaml",
) -> Normalised:
    """Apply the repairs and the character fixes (line breaks -> LF, controls and invisible
    characters removed, full-width letters and digits -> ASCII) to ``raw_text``, keeping an
    alignment to it.

    Every correction must be found in the raw text, exactly once unless it gives
    ``occurrence``; corrections must not overlap. Failures raise ``InputError`` naming
    ``corrections_path`` and the entry id.
    """
    located = sorted(
        ((*_locate(raw_text, c, corrections_path), c) for c in corrections),
        key=lambda t: (t[0], t[1]),
    )
    for (_, a_end, a), (b_start, _, b) in zip(located, located[1:], strict=False):
        if b_start < a_end:
            raise InputError(
                corrections_path,
                f"corrections '{a.id}' and '{b.id}' overlap in source '{a.source}'",
            )
    edits = [(s, e, c.replacement, c) for s, e, c in located]
    gaps = zip(
        [0, *(e for _, e, _ in located)], [*(s for s, _, _ in located), len(raw_text)], strict=True
    )
    for gap_start, gap_end in gaps:
        edits += _character_fixes(raw_text, gap_start, gap_end)
    edits.sort(key=lambda t: t[0])

    parts: list[str] = []
    pieces: list[tuple[int, int, int, int, bool]] = []
    applied: list[dict] = []
    cursor = pos = 0
    for raw_start, raw_end, replacement, correction in edits:
        if raw_start > cursor:
            n = raw_start - cursor
            pieces.append((pos, pos + n, cursor, raw_start, True))
            parts.append(raw_text[cursor:raw_start])
            pos += n
        if replacement:
            # one to one when a keep, or a character fix of the same length; a repair is
            # atomic even when it repairs a text to itself (a span touching it takes it whole)
            one_to_one = (
                correction.action == "keep"
                if correction is not None
                else len(replacement) == raw_end - raw_start
            )
            pieces.append((pos, pos + len(replacement), raw_start, raw_end, one_to_one))
            parts.append(replacement)
        if correction is not None:
            applied.append(
                {
                    "correction_id": correction.id,
                    "source_id": correction.source,
                    "action": correction.action,
                    "found": correction.found,
                    "replacement": correction.replacement,
                    "reason": correction.reason,
                    "raw_start": raw_start,
                    "raw_end": raw_end,
                    "start": pos,
                    "end": pos + len(replacement),
                }
            )
        pos += len(replacement)
        cursor = raw_end
    if cursor < len(raw_text):
        pieces.append((pos, pos + len(raw_text) - cursor, cursor, len(raw_text), True))
        parts.append(raw_text[cursor:])
    return Normalised("".join(parts), Alignment(tuple(pieces), len(raw_text)), applied)


# Character-level normalisation, outside corrections (each a match of ``_CHARACTER_FIXES``):
# line breaks of every kind become "\n" (CRLF loses its CR); control characters other than tab
# and line breaks (NUL included) and invisible characters (zero-width, bidi controls, soft
# hyphen, BOM) are removed; full-width Latin letters and digits become ASCII (NFKC for just
# these: full-width punctuation such as ，。！？ is Chinese text and stays, the Chinese
# segmenter relies on it). Why: a line separator would let a source break out of the line it
# is placed on in the report, NUL breaks the charts' XML, and an invisible or full-width
# character inside "Shanghai" would silently lose its coding. The raw file is never edited:
# the Alignment keeps every raw offset exact.
_LINE_BREAKS = "\u2028\u2029\x85\x0b\x0c"
_CHARACTER_FIXES = re.compile(
    r"(?P<cr>\r\n?)"
    rf"|(?P<line>[{_LINE_BREAKS}])"
    rf"|(?P<drop>[{INVISIBLE}\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]+)"
    r"|(?P<wide>[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]+)"
)
_NEEDS_FIX = re.compile(
    rf"[\r{_LINE_BREAKS}{INVISIBLE}\x00-\x08\x0e-\x1f\x7f-\x9f\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]"
)
_WIDE_TO_ASCII = {
    c: c - 0xFEE0 for r in ((0xFF10, 0xFF1A), (0xFF21, 0xFF3B), (0xFF41, 0xFF5B)) for c in range(*r)
}


def _character_fixes(raw_text: str, start: int, end: int) -> list[tuple]:
    """Edits ``(raw_start, raw_end, replacement, None)`` of ``_CHARACTER_FIXES`` in a stretch."""
    first = _NEEDS_FIX.search(raw_text, start, end)  # one class scan: most texts need none
    if first is None:
        return []
    edits = []
    for m in _CHARACTER_FIXES.finditer(raw_text, first.start(), end):
        kind, a, b = m.lastgroup, m.start(), m.end()
        if kind == "cr":
            # CRLF loses its CR (also when the LF begins a correction); a lone CR becomes LF
            crlf = b - a == 2 or raw_text.startswith("\n", b)
            edits.append((a, a + 1, "" if crlf else "\n", None))
        elif kind == "line":
            edits.append((a, b, "\n", None))
        elif kind == "drop":
            edits.append((a, b, "", None))
        else:
            edits.append((a, b, m.group().translate(_WIDE_TO_ASCII), None))
    return edits


def _locate(raw_text: str, c: Correction, path: Path | str) -> tuple[int, int]:
    """The raw span of ``c``; the search stops at the hit it needs (one more tells that a text
    without ``occurrence`` is ambiguous), so a text repeated everywhere costs no more."""
    wanted = c.occurrence or 2
    hits, i = [], raw_text.find(c.found)
    while i != -1 and len(hits) < wanted:
        hits.append(i)
        i = raw_text.find(c.found, i + 1)
    if not hits:
        raise InputError(
            path, f"correction '{c.id}': text {clip(c.found)} not found in source '{c.source}'"
        )
    if c.occurrence is None and len(hits) > 1:
        raise InputError(
            path,
            f"correction '{c.id}': text {clip(c.found)} is ambiguous, found "
            f"{max(2, raw_text.count(c.found))} times in source '{c.source}'; add `occurrence`",
        )
    n = c.occurrence or 1
    if n > len(hits):
        raise InputError(
            path,
            f"correction '{c.id}': occurrence {n} asked, but {clip(c.found)} is "
            f"found {len(hits)} time(s) in source '{c.source}'",
        )
    return hits[n - 1], hits[n - 1] + len(c.found)


# -- segmentation ---------------------------------------------------------------------------

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


def _segment_rows(
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
    p_rows, s_rows = _segment_rows(source_id, text, language, fmt, alignment)
    return _frame(p_rows, schemas.PARAGRAPHS), _frame(s_rows, schemas.SENTENCES)


def _frame(rows: list, schema) -> pd.DataFrame:
    """Rows to a frame; pandas infers int64 and str itself, so only an empty frame is cast."""
    df = pd.DataFrame(rows, columns=list(schema.columns))
    if len(df):
        return df.astype({"page": "Int64"}) if "page" in df.columns else df
    return df.astype({name: column.dtype.type for name, column in schema.columns.items()})


# -- the stage ------------------------------------------------------------------------------


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
    manifest_path: Path | str, corrections_path: Path | str, raw_dir: Path | str
) -> dict[str, pd.DataFrame]:
    """The ingest stage: manifest + corrections + raw files -> the four validated tables.

    Returns ``{"sources", "paragraphs", "sentences", "corrections_applied"}``, each sorted by
    its ids so the same input gives byte-identical files.
    """
    sources = load_manifest(manifest_path, raw_dir)
    corrections = load_corrections(corrections_path, sources)
    n_chars: dict[str, int] = {}
    n_pages: dict[str, int] = {}
    p_rows: list[tuple] = []
    s_rows: list[tuple] = []
    applied: list[dict] = []
    by_source: dict[str, list[Correction]] = {}
    for c in corrections:
        by_source.setdefault(c.source, []).append(c)
    for source in sorted(sources, key=lambda s: s.id):
        if not source.is_text:
            continue
        extracted = source_text(source, raw_dir)
        n_pages[source.id] = extracted.n_pages
        norm = normalise(
            extracted.text, by_source.get(source.id, []), corrections_path=corrections_path
        )
        n_chars[source.id] = len(norm.text)
        fmt = source.fmt if source.fmt in TEXT_FORMATS.values() else "txt"  # one line a paragraph
        p, s = _segment_rows(
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

    paragraphs = _frame(p_rows, schemas.PARAGRAPHS).sort_values(
        ["source_id", "paragraph_no"], kind="stable", ignore_index=True
    )
    sentences = _frame(s_rows, schemas.SENTENCES).sort_values(
        ["source_id", "start"], kind="stable", ignore_index=True
    )
    columns = list(schemas.CORRECTIONS_APPLIED.columns)
    audit = _frame(
        [tuple(row[c] for c in columns) for row in applied], schemas.CORRECTIONS_APPLIED
    ).sort_values(["source_id", "raw_start", "correction_id"], kind="stable", ignore_index=True)
    return {
        "sources": sources_table(sources, n_chars, paragraphs, sentences, n_pages),
        "paragraphs": schemas.PARAGRAPHS.validate(paragraphs),
        "sentences": schemas.SENTENCES.validate(sentences),
        "corrections_applied": schemas.CORRECTIONS_APPLIED.validate(audit),
    }
