"""Normalising a source's text, with every span traceable to the raw text.

The repairs of the corrections list are applied, every kind of line break becomes LF, control
and invisible characters are removed and full-width Latin letters and digits become ASCII
(``_CHARACTER_FIXES``). An :class:`Alignment` maps every normalised span back to the raw text:
outside a repair the mapping is exact, a span touching a repair widens to the whole repaired
raw span.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from helpers.engine.errors import InputError
from helpers.ingest.corrections import Correction, locate
from helpers.ingest.sources import INVISIBLE


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
        ((*locate(raw_text, c, corrections_path), c) for c in corrections),
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
