"""Hostile text from sources and codebooks stays text on the whole render path (issue 14).

Text from data reaches the report as a table cell, a meta value, a figure caption, a chart's
accessible label and a chart's data (its tooltips). Whatever it holds (HTML, Markdown, Quarto
shortcodes, typst code, fences and divs, Unicode separators and controls, bidi and zero-width
characters), the fallback's HTML must hold no element, attribute or script the project did not
write, and the PDF nothing from outside the report folder.
"""

from __future__ import annotations

import html
import itertools
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pypandoc
import pytest
from browser import fixture_spec, prepare_fixture_project
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from helpers.engine import escape
from helpers.engine.errors import InputError
from helpers.engine.render import check_include, expand_includes, render_report
from helpers.figures.export import html_snippet

CANARY = "CANARY-7f3a9c-outside-the-project"


def case1_payload(path: str) -> str:
    """Issue 14 case 1, reading ``path`` (the issue read /etc/hostname) into the PDF."""
    codes = ",".join(str(ord(c)) for c in path)
    return (
        "Shanghai will prioritise integrated circuits in 2025"
        + "\u2028".join(
            [
                "",
                "```",
                ":::",
                "```{=typst}",
                f"LEAKED #read(array(({codes},)).map(str.from-unicode).join())",
                "```",
                "::: {.content-visible when-format=html}",
                "```{=html}",
                "",
            ]
        )
        + "and beyond.\n"
    )


CASE2_NAME = (
    "Shanghai\n```\n[x]{a=b tabindex=1 autofocus=autofocus onfocus=alert(document.domain)}\n"
    "```{=html}\nend"
)


class Markup(HTMLParser):
    """Every (element, attribute) pair of a page, the scripts' text and the visible text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.pairs: set[tuple[str, str]] = set()
        self.scripts: list[str] = []
        self.text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.pairs.add((tag, ""))
        self.pairs.update((tag, name) for name, _ in attrs)
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        (self.scripts if self._in_script else self.text).append(data)


def markup(html: str) -> Markup:
    parser = Markup()
    parser.feed(html)
    parser.close()
    return parser


def chart_spec_in(html: str) -> dict:
    """The spec the page hands to vegaEmbed, parsed as the browser would parse it."""
    m = re.search(r'vegaEmbed\("#chart-provinces", (.*), \{"actions"', html)
    assert m, "the chart's vegaEmbed call is missing"
    return json.loads(m.group(1))


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def render_hostile(root: Path, text: str, *, name: str = "project") -> tuple[dict, str, str]:
    """The fixture report with ``text`` in every place data reaches: (spec, html, pdf text)."""
    spec = fixture_spec(["上海", text, f"广东 {text}"], title=text or "Mentions")
    project = prepare_fixture_project(
        root / name, text=text, caption=f"Mentions by province. {text}", description=text, spec=spec
    )
    out = render_report(project, root / f"{name}-out", engine="fallback")
    return spec, out["html"].read_text(encoding="utf-8"), pdf_text(out["pdf"])


@pytest.fixture(scope="module")
def arena(tmp_path_factory):
    """A folder with a canary file beside (outside) the report folders rendered in it, and the
    markup of renders with harmless short and long text: the baseline the project wrote."""
    root = tmp_path_factory.mktemp("hostile")
    (root / "canary.txt").write_text(CANARY, encoding="utf-8")
    baseline = markup(render_hostile(root, "Plain text", name="short")[1])
    wide = markup(render_hostile(root, "Plain text " * 30, name="long")[1])  # table gets <col>s
    baseline.pairs |= wide.pairs
    return root, baseline


def check_text_stays_text(arena, text: str, name: str) -> None:
    root, baseline = arena
    spec, html, pdf = render_hostile(root, text, name=name)
    seen = markup(html)
    assert seen.pairs <= baseline.pairs, sorted(seen.pairs - baseline.pairs)
    assert len(seen.scripts) == len(baseline.scripts)
    assert not any(attr.startswith("on") for _, attr in seen.pairs)
    assert chart_spec_in(html) == spec  # the chart's data arrives whole, as data
    visible = " ".join(" ".join(seen.text).split())
    assert " ".join(escape.one_line(text).split()) in visible
    assert CANARY not in pdf and CANARY not in html


def test_case1_source_text_cannot_run_typst_code(arena):
    """Issue 14 case 1: U+2028 in a source ended the chart's raw HTML block and opened a raw
    typst block that read a file outside the project into the PDF."""
    root, _ = arena
    check_text_stays_text(arena, case1_payload(str(root / "canary.txt")), "case1")


def test_case1_payload_in_an_include_cannot_open_a_block(tmp_path):
    """Even unescaped, an included file cannot close the block it is in or open a raw one."""
    snippet = "```{=html}\n<p>" + case1_payload("/etc/hostname").replace("\u2028", "\n") + "```\n"
    with pytest.raises(InputError, match=r"x\.html:\d+: "):
        check_include(tmp_path / "x.html", snippet.split("\n"))
    table = '| a |\n|---|\n| b |\n:::\n```{=typst}\n#read("/etc/hostname")\n```\n'
    with pytest.raises(InputError, match=r"t\.md:4: ':::' closes a div"):
        check_include(tmp_path / "t.md", table.split("\n"))


def test_lines_are_split_at_newline_only(tmp_path):
    (tmp_path / "a.md").write_text("one\u2028```{=typst}\u2029two\x85three\n", encoding="utf-8")
    src = expand_includes(tmp_path, tmp_path / "r.qmd", ["{{< include a.md >}}"], 1)
    assert src.lines == ["one\u2028```{=typst}\u2029two\x85three"]


def test_an_include_outside_the_report_folder_is_refused(tmp_path):
    (tmp_path / "report").mkdir()
    (tmp_path / "secret.md").write_text("secret\n", encoding="utf-8")
    (tmp_path / "report" / "link.md").symlink_to(tmp_path / "secret.md")
    for target in ("../secret.md", "link.md"):
        with pytest.raises(InputError, match="leads outside"):
            expand_includes(
                tmp_path / "report",
                tmp_path / "report" / "r.qmd",
                [f"{{{{< include {target} >}}}}"],
                1,
            )


@pytest.fixture
def report_project(tmp_path, monkeypatch):
    """A project whose report stage renders report/report.qmd, which includes leak.md."""
    from helpers.engine import paths

    monkeypatch.setattr(paths, "ROOT", tmp_path)
    monkeypatch.setattr(paths, "BUILD", tmp_path / "build")
    report = tmp_path / "report"
    (report / "_generated").mkdir(parents=True)
    (report / "report.qmd").write_text("# R\n\n{{< include leak.md >}}\n", encoding="utf-8")
    (report / "styles.css").write_text("body { color: black; }\n", encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("link", "target"),
    [
        ("leak.md", "/etc/passwd"),
        ("leak.md", "/proc/self/environ"),
        ("styles.css", "/etc/passwd"),
        ("_generated/tables", "/etc"),  # a folder link: whatever is under it
    ],
)
def test_the_render_copy_follows_no_link_out_of_the_report(
    report_project, monkeypatch, link, target
):
    from helpers.engine.declared import Pipeline, Stage
    from helpers.engine.render_stage import run_render

    monkeypatch.setenv("SECRET_OF_THE_BUILD", CANARY)
    linked = report_project / "report" / link
    linked.unlink(missing_ok=True)
    linked.symlink_to(target)
    stage = Stage(
        name="report", inputs=(), outputs=("report/_output/report.html",), render="report/r.qmd"
    )
    staging = report_project / "build" / "staging" / "report"
    staging.mkdir(parents=True)
    with pytest.raises(InputError) as failure:
        run_render(stage, Pipeline((stage,), "python3", 1), staging, "fallback")
    message = str(failure.value)
    assert message.startswith(f"{linked}: link leads outside {report_project / 'report'}")
    assert "\n" not in message and CANARY not in message
    copied = [p.read_bytes() for p in staging.rglob("*") if p.is_file() and not p.is_symlink()]
    assert not any(b"root:" in data or CANARY.encode() in data for data in copied)
    assert not (staging / "report").exists()  # nothing rendered


def test_the_render_copy_keeps_links_inside_the_report_as_files(report_project):
    from helpers.engine.render_stage import copy_report

    report = report_project / "report"
    (report / "parts").mkdir()
    (report / "parts" / "a.md").write_text("A\n", encoding="utf-8")
    (report / "leak.md").symlink_to("parts/a.md")
    (report / "more").symlink_to("parts")
    (report / "_output").mkdir()
    (report / "_output" / "old.html").write_text("old\n", encoding="utf-8")
    work = report_project / "work"
    copy_report(report, work)
    assert (work / "leak.md").read_text(encoding="utf-8") == "A\n"
    assert not (work / "leak.md").is_symlink()
    assert (work / "more" / "a.md").read_text(encoding="utf-8") == "A\n"
    assert not (work / "_output").exists()


def test_case2_codebook_name_cannot_add_an_event_handler(arena):
    """Issue 14 case 2: a place name with a newline and a fence in a chart description gave
    two chart divs an onfocus handler."""
    snippet = html_snippet(fixture_spec(["上海"]), "provinces", CASE2_NAME)
    assert snippet.count("\n") == 6  # fence, div, <script>, call, </script>, fence
    check_text_stays_text(arena, CASE2_NAME, "case2")


# The alphabets an attacker types with: markup of every format the text passes through.
TOKENS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "</div><div onclick=alert(1)>",
    '" onmouseover="alert(1)',
    "<!--",
    "-->",
    "]]>",
    "{{< meta numbers.n_sources >}}",
    "{{< include ../canary.txt >}}",
    "{{< pagebreak >}}",
    "```",
    "```{=typst}",
    "```{=html}",
    "~~~",
    ":::",
    '::: {.content-visible when-format="typst"}',
    "[x]{onfocus=alert(1) tabindex=1}",
    "[link](javascript:alert(1))",
    "![img](../canary.txt)",
    '#read("../canary.txt")',
    '#read("/canary.txt")',
    "#include",
    "$x^2$",
    "@fig-provinces",
    "@tbl-provinces",
    "@sec-intro",
    "= Heading",
    "- item",
    "1. item",
    "| cell |",
    "\\",
    "*",
    "_",
    "#",
    "&amp;",
    "&#10;",
    "\\u2028",
    "</script>",
]
SEPARATORS = "\n\r\t\v\f\x00\x1b\x7f\x85\u2028\u2029\u00a0\u3000"
INVISIBLE = (
    "\u200b\u200c\u200d\u2060\ufeff\u00ad\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
RUNS = itertools.count()
hostile_text = st.lists(
    st.sampled_from(TOKENS)
    | st.text(alphabet=SEPARATORS + INVISIBLE + "<>&\"'`|#$@*_[]{}()!\\=:-~上海", max_size=4)
    | st.text(max_size=3),
    min_size=1,
    max_size=12,
).map("".join)


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@example('<script>alert(1)</script>\u2028```\n:::\n```{=typst}\n#read("../canary.txt")\n```')
@given(text=hostile_text)
def test_hostile_text_comes_out_as_text(arena, text):
    check_text_stays_text(arena, text, f"fuzz-{next(RUNS)}")


# -- the escaping functions, each read back by its format's own reader ----------------------

texts = st.text(alphabet=st.sampled_from(SEPARATORS + INVISIBLE + "<>&\"'`|#$@*_[]{}\\:-~aé上"))


@settings(max_examples=25, deadline=None)
@example("\ufeff")
@given(text=hostile_text | texts)
def test_markdown_text_reads_back_as_the_same_text(text):
    # Placed inside a line, as in a table cell or a sentence (pandoc drops a BOM that opens
    # a whole document, which is not where data lands).
    plain = pypandoc.convert_text(
        f"a{escape.markdown_text(text)}z", "plain", format="markdown", extra_args=["--wrap=none"]
    )
    assert plain.strip("\n") == f"a{escape.one_line(text)}z"


@given(text=hostile_text | texts)
def test_html_and_json_escapes_read_back_on_one_line(text):
    for escaped in (escape.html_text(text), escape.html_attr(text)):
        assert not set(escaped) & set(escape.LINE_BREAKS + "<>\"'`")
        assert html.unescape(escaped) == re.sub(
            "[\v\f\x1c\x1d\x1e\x85]",
            " ",
            re.sub("[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f]", "\ufffd", text),
        )
    data = {"name": text, "values": [text, 1]}
    assert json.loads(escape.script_json(data)) == data
    assert not set(escape.script_json(data)) & set(escape.LINE_BREAKS + "<>&`")


def test_a_meta_value_cannot_open_a_raw_block(tmp_path):
    """A hand-edited metadata value placed alone on a line stays inline, as in Quarto."""
    project = tmp_path / "p"
    project.mkdir()
    (project / "report.qmd").write_text(
        '---\ntitle: T\n---\n{{< meta x >}}\n#read("/etc/hostname")\n```\n', encoding="utf-8"
    )
    (project / "_quarto.yml").write_text("metadata-files: [m.yml]\n", encoding="utf-8")
    (project / "m.yml").write_text("x: '```{=typst}'\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"report\.qmd:4: a meta value here would open"):
        render_report(project, tmp_path / "out", engine="fallback")
    assert not (tmp_path / "out" / "report.pdf").exists()
