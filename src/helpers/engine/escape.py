"""Text from data made safe for the format it lands in: one function per format.

Source texts, titles and codebook names reach the report as Markdown (tables, ``numbers.yml``)
and as HTML (chart descriptions, the chart specs inside ``<script>``); nothing from data
reaches typst except through pandoc's typst writer, which escapes the Markdown's text. Each
function returns text that the target format reads back as the same characters and never as
markup. Each also keeps the text on one line: line and paragraph separators (``\\n``, ``\\r``,
VT, FF, U+0085, U+2028, U+2029) are normalised or escaped, so no value can end a fence, a raw
block or a div it is placed in, and NUL and other control characters (which HTML and XML
forbid) become U+FFFD.
"""

from __future__ import annotations

import html
import json
import math
import re

# Every character str.splitlines() breaks at (pandoc, typst and browsers each honour some).
LINE_BREAKS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"
_BREAK_RUN = re.compile(f"[\\s{LINE_BREAKS}]+")
# C0/C1 controls other than tab and the line breaks: not allowed in HTML, XML or typst text.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f]")
# Line breaks HTML has no use for (and partly forbids): normalised to a space there.
_HTML_ODD_BREAK = re.compile("[\v\f\x1c\x1d\x1e\x85]")
_MD_PUNCT = re.compile(r"([!-/:-@\[-`{-~])")
# In HTML: the usual five, the line breaks, and the backtick (a Markdown fence character).
_HTML_EXTRA = re.compile("[`\n\r\u2028\u2029]")
# In JSON inside <script>: what could end the element or a line, written as \\uXXXX escapes.
_SCRIPT_UNSAFE = re.compile(f"[<>&`\x7f-\x9f{LINE_BREAKS}]")


def one_line(value) -> str:
    """``value`` as text on one line: whitespace runs and line breaks become one space."""
    text = _CONTROL.sub("\ufffd", str(value))
    return _BREAK_RUN.sub(" ", text).strip()


def is_missing(value) -> bool:
    """None, NaN, pandas' NA/NaT: an empty cell, not the text 'nan'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return True
    return type(value).__name__ in ("NAType", "NaTType")


# Pandoc's typst writer takes time quadratic in a word's length (a 200 kB token cost the report
# stage 95 s), so no word longer than this reaches pandoc: a longer one is clipped, marked "…".
# Far above any real word, and above a usual Chinese sentence (one "word" to pandoc).
MAX_TOKEN_CHARS = 1_000
# A whole token only (the lookbehind): each run of non-space characters is scanned once.
_LONG_TOKEN = re.compile(rf"(?<!\S)\S{{{MAX_TOKEN_CHARS + 1},}}")


def clip_tokens(text: str) -> str:
    """``text`` with every token over :data:`MAX_TOKEN_CHARS` clipped to it, marked "…"."""
    return _LONG_TOKEN.sub(lambda m: m.group()[:MAX_TOKEN_CHARS] + "\u2026", text)


def markdown_text(value) -> str:
    """Pandoc/Quarto Markdown that reads back as ``value``: every ASCII punctuation character
    backslash-escaped (no emphasis, link, shortcode, citation, math, raw HTML or fence), and
    no token over :data:`MAX_TOKEN_CHARS` (:func:`clip_tokens`)."""
    return _MD_PUNCT.sub(r"\\\1", clip_tokens(one_line(value)))


class Markdown(str):
    """Markdown this module wrote (e.g. :func:`markdown_link`): a table cell as it stands."""


def markdown_cell(value) -> str:
    """A pipe-table cell: as ``markdown_text`` (``|`` is escaped too); missing values empty;
    a :class:`Markdown` value, already escaped here, as it stands."""
    if isinstance(value, Markdown):
        return str(value)
    return "" if is_missing(value) else markdown_text(value)


# A URL's characters that may stand in a Markdown link destination inside a pipe table;
# every other byte is percent-encoded (parentheses, brackets, pipes, backslashes, spaces...).
_URL_SAFE = re.compile(r"[A-Za-z0-9\-._~:/?#@!$&'*+,;=%]")


_RELATIVE_PATH = re.compile(r"(?!/)(?!.*(?:^|/)\.\.(?:/|$))[A-Za-z0-9_./-]+")


def markdown_file_link(text, path: str) -> Markdown:
    """A link to a file next to the report (a relative path of letters, digits, ``_ . / -``,
    never absolute or climbing out with ``..``), its text escaped."""
    if not _RELATIVE_PATH.fullmatch(path):
        raise ValueError(f"not a plain relative path: {path!r}")
    return Markdown(f"[{markdown_text(text)}]({path})")


def markdown_link(text, url) -> Markdown:
    """A link to an http(s) ``url`` whose text reads back as ``text``; for any other scheme
    (or a missing URL) the escaped text alone, so a source can never link a script."""
    label = markdown_text(text)
    url = "" if is_missing(url) else one_line(url)
    if not re.match(r"https?://[^\s]", url, flags=re.I):
        return Markdown(label)
    target = "".join(
        c if _URL_SAFE.fullmatch(c) else "".join(f"%{b:02X}" for b in c.encode()) for c in url
    )
    return Markdown(f"[{label}]({target})")


def html_text(value) -> str:
    """HTML element text: ``& < > " '`` as entities, line breaks and backticks as numeric
    references, so the text also stays on one line inside a Markdown raw block."""
    text = _HTML_ODD_BREAK.sub(" ", _CONTROL.sub("\ufffd", str(value)))
    text = html.escape(text, quote=True)
    return _HTML_EXTRA.sub(lambda m: f"&#{ord(m.group())};", text)


def html_attr(value) -> str:
    """A double-quoted HTML attribute value (same rules as ``html_text``)."""
    return html_text(value)


def html_id(name: str, prefix: str = "") -> str:
    """An HTML id (and CSS selector) from ``name``: ASCII letters, digits, ``-`` and ``_``."""
    return prefix + re.sub(r"[^A-Za-z0-9_-]", "-", str(name))


def script_json(data) -> str:
    """JSON for inside a ``<script>`` element, on one line: characters that could end the
    element, open a comment, break the line or a Markdown fence are ``\\uXXXX`` escapes, which
    JSON parses back to the same strings."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return _SCRIPT_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def markdown_table(rows, headers: list[str], widths: list[int] | None = None) -> str:
    """A pipe table of ``rows`` (sequences of cells) under ``headers``, every cell and header
    escaped (:func:`markdown_cell`).

    ``widths`` are relative column widths: pandoc reads them from the dashes of the rule
    line when a table has long rows, which keeps evidence columns wide in the PDF.
    """
    widths = widths or [1] * len(headers)
    head = "| " + " | ".join(markdown_cell(h) for h in headers) + " |"
    rule = "|" + "|".join("-" * (4 * w) for w in widths) + "|"
    lines = ["| " + " | ".join(markdown_cell(cell) for cell in row) + " |" for row in rows]
    return "\n".join([head, rule, *lines]) + "\n"
