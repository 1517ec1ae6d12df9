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

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from helpers.engine.errors import InputError
from helpers.engine.fallback import MissingFontError, render_fallback, splice_headers
from helpers.engine.paths import inside
from helpers.engine.qmd import (
    RenderSyntaxError,
    check_include,
    document_date,
    expand_includes,
    read_options,
    split_front_matter,
)

__all__ = [  # what callers use, wherever it is defined
    "MissingFontError",
    "RenderSyntaxError",
    "check_include",
    "expand_includes",
    "render_report",
    "report_data_files",
    "resolve_engine",
    "splice_headers",
]

ENGINES = ("auto", "quarto", "fallback")
OUTPUTS = ("report.html", "report.pdf")


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
            built = render_fallback(report_dir, tmp, document)
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
