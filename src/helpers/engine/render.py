"""Render the Quarto report to HTML and PDF, with Quarto where installed, else pandoc + typst.

Quarto cannot be installed everywhere, so the same ``report.qmd`` also renders through the
engines Quarto itself drives: pandoc 3 (to HTML and to typst) and typst (to PDF). The fallback
supports exactly the syntax below and stops with an ``InputError`` naming file and line on
anything else, so a construct it does not know never reaches the reader as raw text.

Supported ``.qmd`` syntax (both engines honour it):

- YAML front matter (``title``, ``subtitle``, ``date`` (``today`` = SOURCE_DATE_EPOCH's day,
  printed as an ISO date; Quarto is handed the same day), ``lang``); format options come
  from ``_quarto.yml`` (``format.html``: ``toc``, ``toc-title``, ``css``, ``include-in-header``;
  ``format.typst``: ``papersize``, ``fontsize``, ``page-numbering``,
  ``toc``, ``include-in-header`` (the fonts and PDF styles, typst code set before the title)),
  read once; ``metadata-files`` are merged into the metadata.
- Headings, optionally with an id: ``## Title {#sec-name}``; link to them with
  ``[text](#sec-name)``. (``@sec-`` references need numbered sections: not supported.)
- ``{{< include path >}}`` alone on a line, path relative to the report folder and inside it
  (after symlinks). An included file is self-contained: it closes every fence and div it opens
  and closes none it did not open. Included ``.md`` files (tables and text written from data)
  hold Markdown only, no raw block; included ``.html`` files (the chart snippets the charts
  stage writes) hold ```` ```{=html} ```` blocks only. So raw HTML and typst come only from
  files the project wrote, and no text from data can open or close a block.
- ``{{< meta key.path >}}`` anywhere in text: a one-line scalar from the front matter or a
  metadata file, inserted as markdown (write data with :func:`helpers.engine.escape.markdown_text`).
- Figure divs: ``::: {#fig-name fig-alt="..."}`` holding content, caption = last paragraph.
- Table divs: ``::: {#tbl-name}`` holding a pipe table, caption = last paragraph.
- ``@fig-name`` / ``@tbl-name`` (also ``[@fig-name]``): "Figure 1" / "Table 2", numbered in
  document order, the same in HTML (links) and PDF.
- ``::: {.content-visible when-format="html"}`` / ``when-format="typst"`` (the PDF),
  ``unless-format=...``, and ``.content-hidden`` alike. Not ``"pdf"``: Quarto's ``pdf`` alias
  means LaTeX output only (quarto-cli ``_format.lua`` ``isFormat``), so such content would
  vanish from Quarto's typst PDF; the fallback rejects it rather than disagree with Quarto.
- Raw blocks ```` ```{=html} ```` and ```` ```{=typst} ````; plain fenced code blocks.

Lines are split at ``\n`` only (not at U+2028 and the other separators ``str.splitlines``
knows), as pandoc does. typst compiles with its root at the report folder, so nothing outside
it can reach the PDF.

Errors: any other shortcode, div, or ```` ```{lang} ```` cell; an unknown format name; a
missing meta key or include file (all found here, line by line); a reference to a missing
label, a duplicate label, a figure or table without caption (found once, by crossref.lua on
pandoc's tree, and located here). All name file and line.
HTML comments (``<!-- ... -->``, also over several lines) are dropped from both outputs, as
Quarto does. Raw inline HTML is not passed through by the fallback (``<b>`` shows as text), so
text from a source can never become markup; use a ```` ```{=html} ```` block for intended HTML.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from helpers.engine.errors import InputError
from helpers.engine.escape import LINE_BREAKS
from helpers.engine.paths import inside
from helpers.engine.yamlio import loads, read_yaml

ENGINES = ("auto", "quarto", "fallback")
OUTPUTS = ("report.html", "report.pdf")
FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path.home() / ".fonts")
KNOWN_FORMATS = {"html", "typst"}


class RenderSyntaxError(InputError):
    """A construct the fallback does not support, located by file and line."""

    def __init__(self, path: Path | str, line: int, problem: str):
        self.line = line
        super().__init__(f"{path}:{line}", problem)


class MissingFontError(RuntimeError):
    """The PDF's CJK font is not installed: Chinese glyphs would silently vanish."""


# ---------------------------------------------------------------- public helpers


def default_font_paths() -> list[Path]:
    return [p for p in FONT_DIRS if p.is_dir()]


def lines_of(text: str) -> list[str]:
    """Lines as pandoc reads them: split at ``\n`` (``\r\n`` too), never at U+2028 and the
    other separators ``str.splitlines`` also breaks at, which pandoc keeps inside a line."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


# ---------------------------------------------------------------- entry point


def render_report(
    report_dir: Path, output_dir: Path, *, engine: str = "auto", document: str = "report.qmd"
) -> dict[str, Path]:
    """Render ``report_dir/document`` to ``output_dir/report.html`` and ``report.pdf``.

    ``engine``: "auto" (Quarto if on PATH, else the fallback), "quarto" or "fallback".
    Outputs are rendered in a temporary folder and moved into place only when both succeeded.
    """
    engine = resolve_engine(engine)
    report_dir, output_dir = Path(report_dir).resolve(), Path(output_dir).resolve()
    if not (report_dir / document).is_file():
        raise InputError(report_dir / document, "report source not found")
    output_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".render-", dir=output_dir) as tmp:
        tmp = Path(tmp)
        if engine == "quarto":
            built = _render_quarto(report_dir, tmp, document)
        else:
            built = _render_fallback(report_dir, tmp, document)
        shipped_as, shipped = _stage_report_data(report_dir, tmp / "report-data")
        result = {}
        for kind, path in built.items():
            target = output_dir / path.name
            os.replace(path, target)
            result[kind] = target
        for rel in shipped:
            target = output_dir / shipped_as / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp / "report-data" / rel, target)
    return result


def report_data_files(report_dir: Path) -> tuple[str, list[tuple[Path, str]]]:
    """The files of ``_quarto.yml``'s ``report-data`` folder (inside the report folder, after
    symlinks), each with its path relative to that folder, and the folder's name: the data
    the build ships next to the report, in a folder of that name, whichever renderer runs.
    No files when the option is absent."""
    config, _, _ = read_options(report_dir, {})
    name = config.get("report-data")
    if not name:
        return "", []
    root = Path(report_dir).resolve()
    where = root / "_quarto.yml"
    base = inside(root / str(name), root, "report-data folder (_quarto.yml)")
    if not base.is_dir():
        raise InputError(where, f"report-data folder missing: {name}")
    files = []
    for path in sorted(base.rglob("*")):
        if path.is_file():
            real = inside(path, base, "report-data file")
            files.append((real, path.relative_to(base).as_posix()))
    return base.name, files


def _stage_report_data(report_dir: Path, staging: Path) -> tuple[str, list[str]]:
    """Copy the report's data files into ``staging`` (moved into place with the report)."""
    name, files = report_data_files(report_dir)
    for path, rel in files:
        (staging / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, staging / rel)
    return name, [rel for _, rel in files]


def resolve_engine(engine: str = "auto") -> str:
    """The engine that will run: "auto" means Quarto when it is on PATH, else the fallback."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, not {engine!r}")
    if engine == "auto":
        return "quarto" if shutil.which("quarto") else "fallback"
    return engine


def _render_quarto(report_dir: Path, tmp: Path, document: str) -> dict[str, Path]:
    """Quarto renders the project into its output-dir; we copy the two files out."""
    quarto = shutil.which("quarto")
    if quarto is None:
        raise RuntimeError("engine='quarto' but quarto is not on PATH")
    # Quarto reads ``date: today`` as the day it runs; the build's date is SOURCE_DATE_EPOCH's
    # (the commit's time), as in the fallback, so one commit prints one date in both.
    front, _, _ = split_front_matter(report_dir / document)
    date = document_date(front.get("date"))
    metadata = ["-M", f"date:{date}"] if date else []
    subprocess.run([quarto, "render", document, *metadata], cwd=report_dir, check=True)
    config, _, _ = read_options(report_dir, {})
    out = report_dir / (config.get("project", {}).get("output-dir") or ".")
    stem = Path(document).stem
    built = {}
    for kind in ("html", "pdf"):
        src = out / f"{stem}.{kind}"
        if not src.is_file():
            raise RuntimeError(f"quarto did not write {src}")
        shutil.copy2(src, tmp / f"report.{kind}")
        built[kind] = tmp / f"report.{kind}"
    return built


# ---------------------------------------------------------------- fallback: text level


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
FILTER_ERROR = re.compile(r"crossref\.lua: ([#@])([\w:.-]+): (.*)")
ATTR_TOKEN = re.compile(r'\s*(?:#([\w:.-]+)|\.([\w-]+)|([\w-]+)=(?:"([^"]*)"|(\S+)))')


def _read_yaml(path: Path, what: str, report_dir: Path) -> dict:
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


# ---------------------------------------------------------------- fallback: pandoc + typst


def _pandoc() -> str:
    import pypandoc

    return pypandoc.get_pandoc_path()


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
    config = _read_yaml(path, "Quarto project file", report_dir) if path.exists() else {}
    formats, own = config.get("format") or {}, front.get("format") or {}
    html_opts = {**(formats.get("html") or {}), **(own.get("html") or {})}
    typst_opts = {**(formats.get("typst") or {}), **(own.get("typst") or {})}
    return config, html_opts, typst_opts


def _render_fallback(report_dir: Path, tmp: Path, document: str) -> dict[str, Path]:
    qmd = report_dir / document
    front, body, first = split_front_matter(qmd)
    config, html_opts, typst_opts = read_options(report_dir, front)
    meta: dict = {}
    for name in config.get("metadata-files") or []:
        meta.update(_read_yaml(report_dir / name, "metadata file", report_dir))
    meta.update({k: v for k, v in front.items() if k != "format"})

    src = expand_includes(report_dir, qmd, body, first)
    text = check_and_substitute(src, meta)
    md = tmp / "report.md"
    md.write_text(text, encoding="utf-8")
    # Quarto's default language is English; a page without one fails accessibility checks.
    docmeta = {"lang": "en", **{k: meta[k] for k in ("title", "subtitle", "lang") if k in meta}}
    date = document_date(meta.get("date"))
    if date:
        docmeta["date"] = date
    metafile = tmp / "meta.yml"
    metafile.write_text(yaml.safe_dump(docmeta, allow_unicode=True), encoding="utf-8")
    lua = resources.files("helpers.engine") / "crossref.lua"
    common = [
        _pandoc(),
        str(md),
        "-f",
        "markdown-raw_html-raw_tex",
        "--lua-filter",
        str(lua),
        "--metadata-file",
        str(metafile),
        "--resource-path",
        str(report_dir),
    ]

    html_out = tmp / "report.html"
    cmd = [*common, "-t", "html5", "--standalone", "--embed-resources"]
    # pandoc's own page layout (document-css), which it drops once --css is given, stands in
    # for Quarto's; styles.css, shared with Quarto, goes on top.
    cmd += ["-M", "crossref-target=html", "-V", "document-css=true", "-o", str(html_out)]
    for css in project_files(report_dir, html_opts.get("css"), "css"):
        cmd += ["--css", str(css)]
    spliced: dict[str, str] = {}  # placeholder line -> the header it stands for
    for header in project_files(report_dir, html_opts.get("include-in-header"), "html header"):
        text = header.read_text(encoding="utf-8")
        if _inline_script(text):
            placeholder = f"<!-- {secrets.token_hex(16)} -->"
            spliced[placeholder] = text
            header = tmp / f"header-{len(spliced)}.html"
            header.write_text(placeholder + "\n", encoding="utf-8")
        cmd += ["--include-in-header", str(header)]
    if html_opts.get("toc"):
        cmd.append("--toc")
        if html_opts.get("toc-title"):
            cmd += ["-M", f"toc-title={html_opts['toc-title']}"]
    # The HTML (pandoc embedding every resource, the longer job) runs in its own process while
    # this one makes the PDF: on two cores the stage takes the longer of the two, not the sum.
    # An error of the HTML is reported first, as when the two ran one after the other.
    html_job = _start(cmd, tmp / "html.stderr")
    try:
        pdf = _render_pdf(common, report_dir, typst_opts, tmp, qmd, src)
    except Exception:
        _finish(html_job, tmp / "html.stderr", qmd, src)
        raise
    except BaseException:  # interrupted: leave no pandoc behind
        html_job.kill()
        html_job.wait()
        raise
    _finish(html_job, tmp / "html.stderr", qmd, src)
    if spliced:
        html_out.write_text(
            splice_headers(html_out.read_text(encoding="utf-8"), spliced), encoding="utf-8"
        )
    return {"html": html_out, "pdf": pdf}


def _inline_script(text: str) -> bool:
    """True for a header that is one inline ``<script>`` element and nothing else (the Vega
    bundle): ``--embed-resources`` has nothing to embed in it, yet pandoc's pass over its
    megabyte of JavaScript costs a second and a half, so it is spliced in after pandoc."""
    lowered = text.lower()
    return (
        text.startswith("<script>\n")
        and text.endswith("\n</script>\n")
        and lowered.count("<script") == 1
        and lowered.count("</script") == 1
    )


def splice_headers(html: str, spliced: dict[str, str]) -> str:
    """Put each header back where pandoc wrote its placeholder line, indented as pandoc
    indents an include (every non-empty line), so the page is byte for byte the one pandoc
    writes when it embeds the header itself."""
    for placeholder, text in spliced.items():
        found = re.findall(rf"^([ \t]*){re.escape(placeholder)}\n", html, flags=re.M)
        if len(found) != 1:
            raise RuntimeError(f"pandoc wrote the header placeholder {len(found)} times, not once")
        indent = found[0]
        block = "".join(f"{indent}{line}\n" if line else "\n" for line in text.split("\n")[:-1])
        html = html.replace(f"{indent}{placeholder}\n", block, 1)
    return html


def _render_pdf(
    common: list[str], report_dir: Path, typst_opts: dict, tmp: Path, qmd: Path, src: Source
) -> Path:
    typ = tmp / "report.typ"
    template = resources.files("helpers.engine") / "report.typ"
    cmd = [*common, "-t", "typst", "--template", str(template), "-M", "crossref-target=typst"]
    for key, default in (("papersize", "a4"), ("fontsize", "10.5pt"), ("page-numbering", "1")):
        cmd += ["-V", f"{key}={typst_opts.get(key, default)}"]
    for header in project_files(report_dir, typst_opts.get("include-in-header"), "typst header"):
        cmd += ["--include-in-header", str(header)]
    if typst_opts.get("toc"):
        cmd.append("--toc")
    cmd += ["-o", str(typ)]
    _run(cmd, qmd, src)
    pdf = tmp / "report.pdf"
    _typst_compile(typ, pdf, qmd, root=report_dir)
    return pdf


def _run(cmd: list[str], qmd: Path, src: Source) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    _check(proc.returncode, proc.stderr, qmd, src)


def _start(cmd: list[str], stderr: Path) -> subprocess.Popen:
    """Start pandoc in the background, its messages to a file (a pipe left unread could fill
    and stall it)."""
    with open(stderr, "wb") as handle:
        return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=handle)


def _finish(proc: subprocess.Popen, stderr: Path, qmd: Path, src: Source) -> None:
    _check(proc.wait(), stderr.read_text(encoding="utf-8", errors="replace"), qmd, src)


def _check(returncode: int, stderr: str, qmd: Path, src: Source) -> None:
    if returncode != 0:
        raise locate_filter_error(src, stderr) or InputError(
            qmd, f"pandoc failed: {stderr.strip()}"
        )


def locate_filter_error(src: Source, stderr: str) -> RenderSyntaxError | None:
    """crossref.lua's error about ``#label`` or ``@label``, at the line that holds it (for a
    duplicate label, its second definition, naming the first)."""
    m = FILTER_ERROR.search(stderr)
    if not m:
        return None
    sigil, label, problem = m.groups()
    if sigil == "@":
        pattern = re.compile(rf"(?<![\w.@])@{re.escape(label)}(?![\w:-])")
    else:
        pattern = re.compile(rf"^(?:#.*|\s{{0,3}}:::+.*)\{{[^}}]*#{re.escape(label)}(?![\w:.-])")
    hits = [i for i, line in enumerate(src.lines) if pattern.search(line)]
    if not hits:
        return None
    if sigil == "#" and problem.startswith("duplicate") and len(hits) > 1:
        path, line = src.origin[hits[0]]
        return src.error(hits[1], f"{problem} (first at {path}:{line})")
    return src.error(hits[0], problem)


def _typst_compile(typ: Path, pdf: Path, qmd: Path, *, root: Path) -> None:
    """Compile with the report folder as typst's root, so no path in the document (images are
    root-relative, ``/_generated/...``) can read a file outside it, and with the build's
    timestamp. An unknown font stops the build: Chinese glyphs would silently vanish."""
    import typst

    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    try:
        data, warnings = typst.compile_with_warnings(
            typ.read_bytes(),
            root=str(root),
            font_paths=[str(p) for p in default_font_paths()],
            timestamp=int(epoch) if epoch else None,
        )
    except typst.TypstError as exc:
        raise InputError(qmd, f"typst failed: {exc}") from None
    missing = sorted({w.message for w in warnings if w.message.startswith("unknown font family")})
    if missing:
        raise MissingFontError(
            f"{qmd}: {'; '.join(missing)} (searched system fonts and "
            f"{[str(p) for p in default_font_paths()]}); install it (Debian: apt-get install "
            "fonts-noto-cjk) so Chinese text is not lost"
        )
    pdf.write_bytes(data)
