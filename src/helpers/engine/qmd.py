"""The report's ``.qmd`` as the fallback renderer reads it: front matter, includes, the
supported divs and shortcodes, checked line by line and substituted, and ``_quarto.yml``'s
options. The syntax itself is documented in :mod:`helpers.engine.render`.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path

from helpers.engine.errors import InputError
from helpers.engine.escape import LINE_BREAKS
from helpers.engine.paths import inside
from helpers.engine.yamlio import loads, read_yaml

KNOWN_FORMATS = {"html", "typst"}


class RenderSyntaxError(InputError):
    """A construct the fallback does not support, located by file and line."""

    def __init__(self, path: Path | str, line: int, problem: str):
        self.line = line
        super().__init__(f"{path}:{line}", problem)


def lines_of(text: str) -> list[str]:
    """Lines as pandoc reads them: split at ``\n`` (``\r\n`` too), never at U+2028 and the
    other separators ``str.splitlines`` also breaks at, which pandoc keeps inside a line."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


@dataclass
class Source:
    """The expanded document: its lines, and for each the file and line it came from."""

    lines: list[str]
    origin: list[tuple[Path, int]]

    def error(self, index: int, problem: str) -> RenderSyntaxError:
        path, line = self.origin[index]
        return RenderSyntaxError(path, line, problem)


SHORTCODE = re.compile(r"\{\{<\s*(\S+)\s*(.*?)\s*>\}\}")
FENCE = re.compile(r"^(\s{0,3})(`{3,}|~{3,})\s*(.*)$")
DIV_FENCE = re.compile(r"^\s{0,3}(:{3,})\s*(.*?)\s*$")
RAW_INFO = re.compile(r"\{=(html|typst)\}")
HEADING = re.compile(r"^#{1,6}\s.*?\{([^}]*)\}\s*$")
ATTR_TOKEN = re.compile(r'\s*(?:#([\w:.-]+)|\.([\w-]+)|([\w-]+)=(?:"([^"]*)"|(\S+)))')


def report_yaml(path: Path, what: str, report_dir: Path) -> dict:
    """A YAML mapping inside the report folder, read the project's one way (``yamlio``)."""
    data = read_yaml(path, what, within=report_dir) or {}
    if not isinstance(data, dict):
        raise InputError(path, "expected a YAML mapping")
    return data


def split_front_matter(path: Path) -> tuple[dict, list[str], int]:
    """Front matter (parsed), the body lines, and the line number of the body's first line."""
    lines = lines_of(path.read_text(encoding="utf-8"))
    if lines and lines[0].strip() == "---":
        for i in range(1, len(lines)):
            if lines[i].strip() in ("---", "..."):
                meta = loads("\n".join(lines[1:i]), f"{path} (front matter)") or {}
                if not isinstance(meta, dict):
                    raise InputError(path, "front matter is not a YAML mapping")
                return meta, lines[i + 1 :], i + 2
        raise RenderSyntaxError(path, 1, "front matter opened with '---' but never closed")
    return {}, lines, 1


def expand_includes(
    report_dir: Path, path: Path, lines: list[str], first: int, stack: tuple[Path, ...] = ()
) -> Source:
    """Replace each ``{{< include f >}}`` line by f's lines (recursively), keeping origins."""
    out = Source([], [])
    root = Path(report_dir).resolve()
    for n, line in enumerate(lines, start=first):
        m = re.fullmatch(r"\s*\{\{<\s*include\s+(\S+)\s*>\}\}\s*", line)
        if not m:
            if re.search(r"\{\{<\s*include\b", line):
                raise RenderSyntaxError(path, n, "include shortcode must stand alone on its line")
            out.lines.append(line)
            out.origin.append((path, n))
            continue
        try:
            target = inside(root / m.group(1).lstrip("/"), root, f"included file {m.group(1)}")
        except InputError as exc:
            raise RenderSyntaxError(path, n, exc.problem) from None
        if not target.is_file():
            raise RenderSyntaxError(path, n, f"included file not found: {m.group(1)}")
        if target in stack:
            raise RenderSyntaxError(path, n, f"include cycle through {m.group(1)}")
        sub = lines_of(target.read_text(encoding="utf-8"))
        check_include(target, sub)
        inner = expand_includes(report_dir, target, sub, 1, (*stack, target))
        out.lines += inner.lines
        out.origin += inner.origin
    return out


def check_include(path: Path, lines: list[str]) -> None:
    """An included file cannot change the document's structure around it.

    It closes every fence and div it opens and closes none it did not open; ``.html`` files
    (chart snippets) hold raw HTML blocks only and ``.md`` files (text and tables from data)
    no raw block at all. So data that slipped past escaping still cannot end the raw block or
    the ``content-visible`` div it is placed in, nor open a raw typst block.
    """
    snippet = path.suffix == ".html"
    fence: tuple[str, int] | None = None
    depth: list[int] = []
    for n, line in enumerate(lines, start=1):
        fm = FENCE.match(line)
        if fence is not None:
            mark = fence[0]
            if fm and fm.group(2)[0] == mark[0] and len(fm.group(2)) >= len(mark):
                if fm.group(3).strip():
                    raise RenderSyntaxError(path, n, "a fence cannot open inside a code block")
                fence = None
            continue
        if fm:
            info = fm.group(3).strip()
            raw = RAW_INFO.fullmatch(info)
            if snippet and not (raw and raw.group(1) == "html"):
                raise RenderSyntaxError(
                    path, n, f"an included .html file holds only ```{{=html}} blocks, not {info!r}"
                )
            if raw and not snippet:
                raise RenderSyntaxError(
                    path, n, f"raw ```{info} block in an included file (only .html snippets)"
                )
            fence = (fm.group(2), n)
            continue
        if snippet:
            if line.strip():
                raise RenderSyntaxError(
                    path, n, "text outside a ```{=html} block in an included .html file"
                )
            continue
        dm = DIV_FENCE.match(line)
        if dm and dm.group(2):
            depth.append(n)
        elif dm and not depth:
            raise RenderSyntaxError(path, n, "':::' closes a div the included file did not open")
        elif dm:
            depth.pop()
    if fence is not None:
        raise RenderSyntaxError(path, fence[1], "code block never closed in the included file")
    if depth:
        raise RenderSyntaxError(path, depth[-1], "div never closed in the included file")


def parse_attrs(text: str) -> tuple[str | None, list[str], dict[str, str]] | None:
    """Pandoc attribute text ``#id .class key="v"`` -> (id, classes, attrs); None if malformed."""
    ident, classes, attrs, pos = None, [], {}, 0
    text = text.strip()
    while pos < len(text):
        m = ATTR_TOKEN.match(text, pos)
        if not m:
            return None
        if m.group(1):
            ident = m.group(1)
        elif m.group(2):
            classes.append(m.group(2))
        else:
            attrs[m.group(3)] = m.group(4) if m.group(4) is not None else m.group(5)
        pos = m.end()
    return ident, classes, attrs


def lookup_meta(meta: dict, key: str):
    value = meta
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _check_div(src: Source, i: int, attr_text: str) -> None:
    parsed = parse_attrs(attr_text[1:-1]) if attr_text.startswith("{") else None
    if not attr_text.endswith("}") or parsed is None:
        raise src.error(i, f"unsupported div '::: {attr_text}'")
    ident, classes, attrs = parsed
    if ident and ident.startswith(("fig-", "tbl-")) and not classes:
        extra = set(attrs) - ({"fig-alt"} if ident.startswith("fig-") else set())
        if extra:
            raise src.error(i, f"unsupported attribute(s) {sorted(extra)} on div #{ident}")
        return
    if classes in (["content-visible"], ["content-hidden"]) and not ident:
        if len(attrs) != 1 or next(iter(attrs)) not in ("when-format", "unless-format"):
            raise src.error(i, f"{classes[0]} needs exactly one when-format or unless-format")
        fmt = next(iter(attrs.values()))
        if fmt == "pdf":
            raise src.error(
                i,
                'use format "typst" for the PDF: Quarto\'s "pdf" means LaTeX output '
                "and would drop this block from the typst PDF",
            )
        if fmt not in KNOWN_FORMATS:
            raise src.error(i, f"unknown format {fmt!r} (known: {sorted(KNOWN_FORMATS)})")
        return
    raise src.error(
        i,
        f"unsupported div '::: {attr_text}' (figure, table and "
        "content-visible/content-hidden divs only)",
    )


def check_and_substitute(src: Source, meta: dict) -> str:
    """Validate every line against the supported syntax and resolve meta shortcodes.

    Labels, references and captions are checked once, by crossref.lua on pandoc's tree;
    ``locate_filter_error`` points its errors at a file and line."""
    fence: str | None = None
    depth: list[int] = []
    comment: int | None = None  # line where an open <!-- comment --> began
    out = []
    for i, line in enumerate(src.lines):
        if fence is None and (comment is not None or "<!--" in line):
            line, still_open = _strip_comments(line, comment is not None)
            comment = (i if comment is None else comment) if still_open else None
        fm = FENCE.match(line)
        if fence is not None:
            if (
                fm
                and fm.group(2)[0] == fence[0]
                and len(fm.group(2)) >= len(fence)
                and not fm.group(3)
            ):
                fence = None
            elif "{{<" in line:
                raise src.error(i, "shortcode inside a code or raw block is not supported")
            out.append(line)
            continue
        if fm:
            info = fm.group(3).strip()
            if info.startswith("{") and not re.fullmatch(r"\{(=html|=typst|\.[\w-]+)\}", info):
                raise src.error(
                    i,
                    f"unsupported code block '{info}' (executable cells and "
                    "raw formats other than =html/=typst)",
                )
            fence = fm.group(2)
            out.append(line)
            continue
        dm = DIV_FENCE.match(line)
        if dm:
            if dm.group(2):
                _check_div(src, i, dm.group(2))
                depth.append(i)
            elif not depth:
                raise src.error(i, "':::' closes a div that was never opened")
            else:
                depth.pop()
        hm = HEADING.match(line)
        if hm:
            parsed = parse_attrs(hm.group(1))
            if (
                parsed is None
                or parsed[2]
                or set(parsed[1]) - {"unnumbered", "unlisted"}
                or (parsed[0] and not parsed[0].startswith("sec-"))
            ):
                raise src.error(
                    i,
                    f"unsupported heading attributes {{{hm.group(1)}}} "
                    "(only {#sec-name}, .unnumbered, .unlisted)",
                )
        substituted = _substitute_meta(src, i, line, meta)
        if substituted != line and (FENCE.match(substituted) or DIV_FENCE.match(substituted)):
            # Quarto inserts a meta value as inlines; here it is text, so it must not become
            # a fence or a div that would open a raw block.
            raise src.error(i, "a meta value here would open a code block or a div")
        out.append(substituted)
    if comment is not None:
        raise src.error(comment, "HTML comment '<!--' never closed with '-->'")
    if fence is not None:
        raise src.error(len(src.lines) - 1, "code block never closed")
    if depth:
        raise src.error(depth[-1], "div opened here is never closed with ':::'")
    return "\n".join(out) + "\n"


def _strip_comments(line: str, open_: bool) -> tuple[str, bool]:
    """Drop ``<!-- ... -->`` (as Quarto does for every format); True when one stays open."""
    kept, pos = [], 0
    while True:
        if open_:
            end = line.find("-->", pos)
            if end < 0:
                return "".join(kept), True
            pos, open_ = end + 3, False
        start = line.find("<!--", pos)
        if start < 0:
            kept.append(line[pos:])
            return "".join(kept), False
        kept.append(line[pos:start])
        pos, open_ = start + 4, True


def _substitute_meta(src: Source, i: int, line: str, meta: dict) -> str:
    def replace(m: re.Match) -> str:
        name, arg = m.group(1), m.group(2)
        if name != "meta":
            raise src.error(i, f"unsupported shortcode '{m.group(0)}' (only include and meta)")
        value = lookup_meta(meta, arg)
        if value is None or isinstance(value, dict | list):
            what = "missing" if value is None else "not a single value"
            raise src.error(i, f"meta key {arg!r} is {what} in front matter/metadata-files")
        text = str(value).lower() if isinstance(value, bool) else str(value)
        if any(c in LINE_BREAKS for c in text):
            raise src.error(i, f"meta key {arg!r} spans several lines (or holds U+2028 or kin)")
        return text

    line = SHORTCODE.sub(replace, line)
    if "{{<" in line:
        raise src.error(i, "malformed shortcode (expected '{{< name args >}}')")
    return line


# ---------------------------------------------------------------- _quarto.yml


def project_files(report_dir: Path, value, what: str) -> list[Path]:
    """Files named by an option of ``_quarto.yml`` (``css``, ``include-in-header``), each of
    which must exist inside the report folder (after symlinks)."""
    items = value if isinstance(value, list) else [value] if value else []
    root, files = Path(report_dir).resolve(), []
    for item in items:
        name = str(item.get("file") if isinstance(item, dict) else item)
        path = inside(root / name, root, f"{what} file (_quarto.yml)")
        if not path.is_file():
            raise InputError(root / "_quarto.yml", f"{what} file missing: {path}")
        files.append(path)
    return files


def document_date(value) -> str | None:
    """``today`` means the build's day: SOURCE_DATE_EPOCH's if set, so rebuilds agree."""
    if value is None:
        return None
    if str(value) in ("today", "now", "last-modified"):
        epoch = os.environ.get("SOURCE_DATE_EPOCH")
        day = dt.datetime.fromtimestamp(int(epoch), dt.UTC) if epoch else dt.datetime.now(dt.UTC)
        return day.date().isoformat()
    return str(value)


def read_options(report_dir: Path, front: dict) -> tuple[dict, dict, dict]:
    """``_quarto.yml`` read once: (its mapping, html options, typst options), front matter's
    ``format:`` merged over the project's."""
    path = report_dir / "_quarto.yml"
    config = report_yaml(path, "Quarto project file", report_dir) if path.exists() else {}
    formats, own = config.get("format") or {}, front.get("format") or {}
    html_opts = {**(formats.get("html") or {}), **(own.get("html") or {})}
    typst_opts = {**(formats.get("typst") or {}), **(own.get("typst") or {})}
    return config, html_opts, typst_opts
