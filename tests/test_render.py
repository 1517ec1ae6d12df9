"""The report renderer: the pandoc + typst fallback's output, its errors, and its determinism."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pypandoc
import pytest
from browser import prepare_fixture_project
from pypdf import PdfReader

from helpers.engine import fallback, render
from helpers.engine.errors import InputError
from helpers.engine.escape import markdown_text as markdown_escape
from helpers.engine.render import (
    MissingFontError,
    RenderSyntaxError,
    render_report,
    resolve_engine,
)
from helpers.figures.export import vega_bundle_html

EPOCH = "1735689600"  # 2025-01-01
REPORT = Path(__file__).parent.parent / "report"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """The fixture project rendered once by the fallback: (project dir, html text, pdf text)."""
    project = prepare_fixture_project(tmp_path_factory.mktemp("render") / "project")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", EPOCH)
        out = render_report(project, project / "_output", engine="fallback")
    html = out["html"].read_text(encoding="utf-8")
    return project, out, html, pdf_text(out["pdf"])


def pdf_text(path: Path) -> str:
    """The PDF's text, with runs of spaces and no-break spaces (Figure~1) read as one space."""
    return re.sub(r"[ \xa0]+", " ", "\n".join(p.extract_text() for p in PdfReader(path).pages))


def test_outputs_land_in_output_dir(rendered):
    project, out, _, _ = rendered
    assert set(out) == {"html", "pdf"}
    assert out["html"] == project / "_output" / "report.html"
    assert out["pdf"] == project / "_output" / "report.pdf"
    assert sorted(p.name for p in (project / "_output").iterdir()) == ["report.html", "report.pdf"]


def test_pdf_has_title_captions_chinese_and_no_raw_syntax(rendered):
    _, out, _, text = rendered
    assert len(PdfReader(out["pdf"]).pages) >= 1
    assert "Fixture report: provinces and technology" in text
    assert "Figure 1: Mentions of technologies by province." in text
    assert "Table 1: Mentions by province, with Chinese names." in text
    assert "上海" in text and "广东" in text
    assert "(Figure 1)" in text and "in Table 1." in text
    assert "Only in the PDF version." in text and "Only in the web version." not in text
    assert "Raw typst block." in text and "Raw HTML block." not in text
    assert "2025-01-01" in text  # date: today, from SOURCE_DATE_EPOCH
    for raw in ("{{<", "@fig-", "@tbl-", ":::", "#fig-", "when-format"):
        assert raw not in text


def test_html_has_figure_captions_links_and_no_raw_syntax(rendered):
    _, _, html, _ = rendered
    assert '<figure id="fig-provinces">' in html
    assert '<div id="chart-provinces" class="vega-chart" role="img" tabindex="0"' in html
    assert "<figcaption>Figure 1: Mentions of technologies by province.</figcaption>" in html
    # as Quarto writes a table: a figure with its caption, the table in a scrolling region
    table = re.search(r'<figure id="tbl-provinces" class="table-figure">(.*?)</figure>', html, re.S)
    assert table and '<div class="table-scroll" tabindex="0" role="region"' in table.group(1)
    caption = re.search(r"<figcaption>(.*?)</figcaption>", table.group(1), re.S).group(1)
    assert " ".join(caption.split()) == "Table 1: Mentions by province, with Chinese names."
    assert "<caption>" not in html  # a caption inside the table would scroll with it
    assert re.search(r'<a href="#fig-provinces">Figure(\s|&nbsp;|\xa0)1</a>', html)
    assert re.search(r'<a href="#tbl-provinces">Table(\s|&nbsp;|\xa0)1</a>', html)
    assert "Only in the web version." in html and "Only in the PDF version." not in html
    assert "Raw HTML block." in html and "Raw typst block." not in html
    assert "上海" in html and 'id="TOC"' in html
    body = html.split("<body>", 1)[1]
    for raw in ("{{<", "@fig-", "@tbl-", ":::", "when-format"):
        assert raw not in body


def test_source_text_is_escaped_in_html(rendered):
    """A <script> from a source, through meta, an included table or a chart spec, stays text."""
    _, _, html, _ = rendered
    assert "<script>alert(1)" not in html
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 2  # meta value + table cell
    assert "\\u003cscript\\u003ealert(1)" in html  # inside the chart's JSON spec


def test_html_is_self_contained(rendered):
    _, _, html, _ = rendered
    assert not re.search(r'<(script|img|link)[^>]+(src|href)="(https?:)?//', html)


def minimal_project(tmp_path: Path, body: str, files: dict[str, str] | None = None) -> Path:
    """A one-file project (no _quarto.yml) with ``body`` after a front matter of 3 lines."""
    project = tmp_path / "p"
    project.mkdir()
    (project / "report.qmd").write_text(f"---\ntitle: T\n---\n{body}", encoding="utf-8")
    for name, text in (files or {}).items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text, encoding="utf-8")
    return project


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("Text.\n\n{{< pagebreak >}}\n", r"report\.qmd:6: unsupported shortcode"),
        ('::: {.content-visible when-format="docx"}\nx\n:::\n', r":4: unknown format 'docx'"),
        ('::: {.content-hidden unless-format="pdf"}\nx\n:::\n', r':4: use format "typst"'),
        ("See @fig-nope.\n", r":4: cross reference @fig-nope has no matching label"),
        ("See @sec-a.\n\n# A {#sec-a}\n", r":4: unsupported cross reference @sec-a"),
        (
            "::: {#fig-a}\nx\n\nA\n:::\n\n::: {#fig-a}\ny\n\nB\n:::\n",
            r":10: duplicate label #fig-a \(first at .*report\.qmd:4\)",
        ),
        ("::: {.callout-note}\nx\n:::\n", r":4: unsupported div"),
        ("```{python}\n1 + 1\n```\n", r":4: unsupported code block '\{python\}'"),
        ("::: {#fig-a}\nx\n\nA\n", r":4: div opened here is never closed"),
        ("{{< meta nothing.here >}}\n", r":4: meta key 'nothing.here' is missing"),
        ("{{< include missing.md >}}\n", r":4: included file not found: missing.md"),
        ("# A {#intro .big}\n", r":4: unsupported heading attributes"),
        ("Text <!-- open\n\nstill open\n", r":4: HTML comment '<!--' never closed"),
        ("::: {#fig-a}\n```{=html}\n<p>x</p>\n```\n:::\n", r":4: #fig-a needs a caption"),
        ("::: {#tbl-a}\nText only.\n\nCap.\n:::\n", r":4: #tbl-a must hold exactly one table"),
        ("# A {#sec-a}\n\n# B {#sec-a}\n", r":6: duplicate label #sec-a \(first at .*:4\)"),
    ],
)
def test_unsupported_syntax_stops_with_file_and_line(tmp_path, body, message):
    project = minimal_project(tmp_path, body)
    with pytest.raises(RenderSyntaxError, match=message):
        render_report(project, tmp_path / "out", engine="fallback")


def test_html_comments_are_dropped_from_both_outputs(tmp_path):
    project = minimal_project(
        tmp_path, "Kept <!-- SECRET1 --> text.\n\n<!-- SECRET2\n{{< nonsense >}}\n-->\nAfter.\n"
    )
    out = render_report(project, tmp_path / "out", engine="fallback")
    html = out["html"].read_text(encoding="utf-8")
    pdf = " ".join(page.extract_text() for page in PdfReader(out["pdf"]).pages)
    for text in (html, pdf):
        assert "Kept" in text and "After." in text and "SECRET" not in text and "<!--" not in text


def test_error_in_included_file_names_that_file(tmp_path):
    project = minimal_project(
        tmp_path,
        "Intro.\n\n{{< include parts/a.md >}}\n",
        {"parts/a.md": "Fine line.\n{{< video x.mp4 >}}\n"},
    )
    with pytest.raises(RenderSyntaxError, match=r"parts/a\.md:2: unsupported shortcode"):
        render_report(project, tmp_path / "out", engine="fallback")


def test_failed_render_leaves_previous_outputs(tmp_path):
    project = minimal_project(tmp_path, "See @fig-nope.\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.html").write_text("previous", encoding="utf-8")
    with pytest.raises(InputError):
        render_report(project, out, engine="fallback")
    assert (out / "report.html").read_text(encoding="utf-8") == "previous"
    assert [p.name for p in out.iterdir()] == ["report.html"]


def test_numbering_is_in_document_order_and_alike_in_both_outputs(tmp_path):
    body = (
        "Second figure @fig-b, first @fig-a, tables @tbl-y and @tbl-x.\n\n"
        "::: {#fig-a}\n```{=typst}\n#rect(width: 2cm)\n```\n\nAlpha caption.\n:::\n\n"
        "::: {#tbl-x}\n| a |\n|---|\n| 1 |\n\nXray caption.\n:::\n\n"
        "::: {#fig-b}\n```{=html}\n<p>b</p>\n```\n\nBravo caption.\n:::\n\n"
        "::: {#tbl-y}\n| b |\n|---|\n| 2 |\n\nYankee caption.\n:::\n"
    )
    out = render_report(minimal_project(tmp_path, body), tmp_path / "out", engine="fallback")
    pdf = pdf_text(out["pdf"])
    html = out["html"].read_text(encoding="utf-8")
    for text in (pdf, html.replace("\xa0", " ").replace("&nbsp;", " ")):
        assert "Figure 1: Alpha caption." in text and "Figure 2: Bravo caption." in text
        assert "Table 1: Xray caption." in text and "Table 2: Yankee caption." in text
        assert "Second figure Figure 2, first Figure 1, tables Table 2 and Table 1." in re.sub(
            r"<[^>]+>", "", text
        ).replace("\n", " ")


def test_same_source_date_epoch_gives_identical_outputs(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    body = (
        "# Intro {#sec-i}\n\n上海 and @tbl-a.\n\n::: {#tbl-a}\n| a |\n|---|\n| 1 |\n\nCap.\n:::\n"
    )
    project = minimal_project(tmp_path, body)
    first = render_report(project, tmp_path / "one", engine="fallback")
    second = render_report(project, tmp_path / "two", engine="fallback")
    assert first["pdf"].read_bytes() == second["pdf"].read_bytes()
    assert first["html"].read_bytes() == second["html"].read_bytes()
    assert PdfReader(first["pdf"]).metadata["/CreationDate"] == "D:20250101000000Z"


def test_markdown_escape_keeps_text_literal():
    text = "*bold* <b>x</b> [a](b) 50% $5 `c` # h | p \\ {{< meta x >}}"
    plain = pypandoc.convert_text(
        markdown_escape(text), "plain", format="markdown", extra_args=["--wrap=none"]
    )
    assert plain.strip() == text


def test_a_font_typst_does_not_know_stops_the_build(tmp_path):
    """The PDF's fonts are named once (styles.typ); a missing one is an error, not lost glyphs."""
    project = minimal_project(tmp_path, "上海\n")
    (project / "fonts.typ").write_text('#set text(font: ("No Such CJK Font",))\n')
    (project / "_quarto.yml").write_text("format:\n  typst:\n    include-in-header: fonts.typ\n")
    with pytest.raises(MissingFontError, match="unknown font family: no such cjk font"):
        render_report(project, tmp_path / "out", engine="fallback")
    assert not (tmp_path / "out" / "report.pdf").exists()


def test_auto_engine_picks_quarto_only_when_on_path(monkeypatch):
    monkeypatch.setattr(render.shutil, "which", lambda name: None)
    assert resolve_engine("auto") == "fallback"
    monkeypatch.setattr(render.shutil, "which", lambda name: "/opt/quarto/bin/quarto")
    assert resolve_engine("auto") == "quarto"
    with pytest.raises(ValueError):
        resolve_engine("latex")


def test_both_renderers_print_the_day_of_source_date_epoch(rendered, tmp_path, monkeypatch):
    """``date: today`` is the build's day (SOURCE_DATE_EPOCH, the commit's time), not the
    day the renderer runs: in the fallback's HTML and PDF, and handed to Quarto."""
    _, _, html, text = rendered
    assert "2025-01-01" in text and "2025-01-01" in html
    calls = []
    monkeypatch.setattr(render.shutil, "which", lambda name: "/opt/quarto/bin/quarto")
    monkeypatch.setattr(render.subprocess, "run", lambda cmd, **kw: calls.append(cmd))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1738000000")  # 2025-01-27
    project = prepare_fixture_project(tmp_path / "p")
    with pytest.raises(RuntimeError, match="quarto did not write"):
        render_report(project, tmp_path / "out", engine="quarto")
    assert calls == [["/opt/quarto/bin/quarto", "render", "report.qmd", "-M", "date:2025-01-27"]]
    qmd = (REPORT / "report.qmd").read_text(encoding="utf-8")
    assert "\ndate: today\ndate-format: iso\n" in qmd  # Quarto prints it as the fallback does


# What both renderers must put in the fixture's PDF, and what neither may.
IN_BOTH_PDFS = [
    "Fixture report: provinces and technology",
    "Introduction",
    "Results",
    "Figure 1: Mentions of technologies by province.",
    "Table 1: Mentions by province, with Chinese names.",
    "(Figure 1)",
    "in Table 1.",
    "Only in the PDF version.",
    "Raw typst block.",
    "2025-01-01",  # date: today, the day of SOURCE_DATE_EPOCH (EPOCH), in both renderers
    *("Province", "Chinese", "Mentions", "Shanghai", "上海", "12", "Guangdong", "广东", "北京"),
]
IN_NEITHER_PDF = ["Only in the web version.", "Raw HTML block.", "{{<", ":::", "@fig-", "@tbl-"]


def pdf_structure(text: str) -> dict:
    """What a reader of the PDF checks against the other renderer's: the expected passages,
    the absent ones, and the sequence of figure and table numbers (captions and references)."""
    return {
        "missing": [s for s in IN_BOTH_PDFS if s not in text],
        "unwanted": [s for s in IN_NEITHER_PDF if s in text],
        "numbers": re.findall(r"\b(Figure|Table) (\d+)\b", text),
    }


def title_fonts(pdf: Path) -> set[str]:
    """The fonts the title is drawn in (its first words, on page 1)."""
    fonts: set[str] = set()
    PdfReader(pdf).pages[0].extract_text(
        visitor_text=lambda text, cm, tm, font, size: (
            "Fixture report" in text and font and fonts.add(font["/BaseFont"])
        )
    )
    return fonts


def test_fallback_pdf_has_the_expected_structure(rendered):
    """The fallback's half of the Quarto comparison below, so the expectations are exercised."""
    _, out, _, text = rendered
    found = pdf_structure(text)
    assert found["missing"] == [] and found["unwanted"] == []
    assert ("Figure", "1") in found["numbers"] and ("Table", "1") in found["numbers"]
    assert title_fonts(out["pdf"]) and all("Libertinus" in f for f in title_fonts(out["pdf"]))


def test_fallback_pdf_passes_the_proof(rendered):
    """No word over another, nothing wider than the text block, nothing invisible to copy,
    every URL a link (tests/pdfproof.py)."""
    from pdfproof import assert_proof

    assert_proof(rendered[1]["pdf"])


@pytest.mark.skipif(shutil.which("quarto") is None, reason="quarto is not on PATH")
def test_quarto_pdf_passes_the_proof(tmp_path, monkeypatch):
    from pdfproof import assert_proof

    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    project = prepare_fixture_project(tmp_path / "quarto")
    assert_proof(render_report(project, tmp_path / "out", engine="quarto")["pdf"])


def test_the_proof_finds_overprinted_words_wide_tables_and_invisible_characters(tmp_path):
    """Each check of the proof fails on a PDF with that fault."""
    import typst
    from pdfproof import proof

    typ = tmp_path / "bad.typ"
    typ.write_text(
        '#set page(paper: "a4", margin: (x: 2.2cm, y: 2.4cm))\n'
        "#place(dx: 0pt, dy: 0pt)[Overprinted]\n#place(dx: 4pt, dy: 1pt)[words]\n"
        "#v(3cm)\n#box(width: 20cm, height: 2pt, fill: black)\n#place(dx: 16cm)[Outside]\n\n"
        'Copy\\u{200b}able\n\n#"https://example.org/not-a-link"\n',
        encoding="utf-8",
    )
    pdf = tmp_path / "bad.pdf"
    pdf.write_bytes(typst.compile(str(typ)))
    found = proof(pdf)
    assert found["overlapping words"] and found["ink in the side margins"]
    assert found["words outside the text block"]
    assert set(found["invisible characters"]) == {"zero-width space"}
    assert found["URLs without a link"]


def test_the_proof_finds_captions_apart_from_their_figures_and_half_empty_pages(tmp_path):
    """A chart's caption at the top of the next page, a table's caption alone at the foot of
    a page, and a page left half empty before the appendix are each found; a good page is not."""
    import typst
    from pdfproof import proof

    typ = tmp_path / "apart.typ"
    typ.write_text(
        '#set page(paper: "a4", margin: (x: 2.2cm, y: 2.4cm))\n'
        "A short page.\n#pagebreak()\n"
        "Figure 1: a caption whose chart stayed on the page before.\n\n"
        "#v(1fr)\nTable 2: a caption whose table went to the next page.\n#pagebreak()\n"
        "#rect(width: 100%, height: 60%)\nFigure 3: a caption under its chart.\n\n"
        "Table 4: a caption over its table.\n\n#rect(width: 100%, height: 2cm)\n"
        "#pagebreak()\n= Appendix\nThe end.\n",
        encoding="utf-8",
    )
    pdf = tmp_path / "apart.pdf"
    pdf.write_bytes(typst.compile(str(typ)))
    found = proof(pdf)
    assert found["captions apart from their figures"] == [
        "page 2: a figure caption starts the page, its chart on the one before",
        "page 2: a table caption ends the page, its table on the next",
    ]
    assert found["pages more than half empty"] == ["page 1: more than half of the page is empty"]


@pytest.mark.skipif(shutil.which("quarto") is None, reason="quarto is not on PATH")
def test_quarto_and_fallback_pdfs_say_the_same(tmp_path, monkeypatch):
    """Where Quarto exists: both renderers of one project give the same headings, captions,
    cross-reference numbers and table cells, and the title in the body's font stack."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    texts = {}
    for engine in ("quarto", "fallback"):
        project = prepare_fixture_project(tmp_path / engine)
        out = render_report(project, tmp_path / f"{engine}-out", engine=engine)
        texts[engine] = pdf_text(out["pdf"])
        fonts = title_fonts(out["pdf"])
        assert fonts and all("Libertinus" in f for f in fonts), (engine, fonts)
    quarto, fallback = (pdf_structure(texts[e]) for e in ("quarto", "fallback"))
    assert quarto["missing"] == [] and quarto["unwanted"] == []
    assert quarto == fallback


SMALL_SCRIPT = (
    "<script>\nconst a = `two\n  lines`;\n\nwindow.x = a; // </b> stays text\n</script>\n"
)


@pytest.mark.parametrize("script", ["small", "vega bundle"])
def test_an_inline_script_header_is_spliced_in_as_pandoc_would_embed_it(
    tmp_path, monkeypatch, script
):
    """The bundle skips pandoc's --embed-resources pass (1.5 s), yet the page is the same."""
    text = SMALL_SCRIPT if script == "small" else vega_bundle_html()
    project = minimal_project(
        tmp_path,
        "上海 text.\n",
        {
            "bundle.html": text,
            "style.html": "<style>\np { color: #333; }\n</style>\n",
            "_quarto.yml": (
                "format:\n  html:\n    include-in-header: [style.html, bundle.html]\n"
                "    toc: true\n"
            ),
        },
    )
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    spliced = []
    real_splice = fallback.splice_headers
    monkeypatch.setattr(
        fallback,
        "splice_headers",
        lambda html, headers: spliced.append(headers) or real_splice(html, headers),
    )
    fast = render_report(project, tmp_path / "fast", engine="fallback")["html"].read_bytes()
    assert [list(headers.values()) for headers in spliced] == [[text]]  # the bundle, not the style
    monkeypatch.setattr(fallback, "_inline_script", lambda text: False)
    slow = render_report(project, tmp_path / "slow", engine="fallback")["html"].read_bytes()
    assert fast == slow and text.split("\n")[1].encode() in fast


@pytest.mark.parametrize(
    ("text", "spliced"),
    [
        (SMALL_SCRIPT, True),
        ('<script src="https://cdn.example/vega.js"></script>\n', False),  # pandoc embeds it
        ("<script>\na()\n</script>\n<script>\nb()\n</script>\n", False),
        ("<script>\na()\n</script>\n<img src=x.png>\n", False),
        ("<style>\np {}\n</style>\n", False),
        ("<script>\na()\n</script>", False),
    ],
)
def test_only_a_header_that_is_one_inline_script_is_spliced(text, spliced):
    assert fallback._inline_script(text) is spliced


def test_a_missing_or_repeated_header_placeholder_is_an_error():
    header = {"<!-- p -->": "<script>\nx\n</script>\n"}
    assert render.splice_headers("<head>\n  <!-- p -->\n</head>\n", header) == (
        "<head>\n  <script>\n  x\n  </script>\n</head>\n"
    )
    for html in ("<head>\n</head>\n", "<!-- p -->\n<!-- p -->\n"):
        with pytest.raises(RuntimeError, match="placeholder"):
            render.splice_headers(html, header)


def test_pdf_tables_break_ids_anywhere_but_keep_long_words_whole(tmp_path):
    """In a narrow table cell an id (digits, URL marks) wraps between any two characters and
    copies out whole; a long word, even with a colon after it, is never split (styles.typ)."""
    import typst

    typ = tmp_path / "cells.typ"
    typ.write_text(
        (REPORT / "styles.typ").read_text(encoding="utf-8")
        + "\n#table(columns: (1.6cm, 1.6cm), [implementation: pace], "
        "[morningexpress-2025-01-abcdef0123])\n",
        encoding="utf-8",
    )
    pdf = tmp_path / "cells.pdf"
    pdf.write_bytes(typst.compile(str(typ)))
    lines = PdfReader(pdf).pages[0].extract_text().split("\n")
    assert any("implementation:" in line for line in lines)
    assert not any("morningexpress-2025-01-abcdef0123" in line for line in lines)
    assert "morningexpress-2025-01-abcdef0123" in "".join(lines).replace(" ", "")
