"""The fallback renderer: the checked Markdown through pandoc 3 (to HTML and to typst, with
``crossref.lua``) and typst (to PDF, with ``report.typ``), where Quarto is not installed."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
from importlib import resources
from pathlib import Path

import yaml

from helpers.engine.errors import InputError
from helpers.engine.qmd import (
    RenderSyntaxError,
    Source,
    check_and_substitute,
    document_date,
    expand_includes,
    project_files,
    read_options,
    report_yaml,
    split_front_matter,
)

# A problem crossref.lua reports on pandoc's tree, located in the .qmd by locate_filter_error.
FILTER_ERROR = re.compile(r"crossref\.lua: ([#@])([\w:.-]+): (.*)")
FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path.home() / ".fonts")


class MissingFontError(RuntimeError):
    """The PDF's CJK font is not installed: Chinese glyphs would silently vanish."""


def default_font_paths() -> list[Path]:
    return [p for p in FONT_DIRS if p.is_dir()]


def _pandoc() -> str:
    import pypandoc

    return pypandoc.get_pandoc_path()


def render_fallback(report_dir: Path, tmp: Path, document: str) -> dict[str, Path]:
    qmd = report_dir / document
    front, body, first = split_front_matter(qmd)
    config, html_opts, typst_opts = read_options(report_dir, front)
    meta: dict = {}
    for name in config.get("metadata-files") or []:
        meta.update(report_yaml(report_dir / name, "metadata file", report_dir))
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
