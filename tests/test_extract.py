"""Text out of web pages and PDFs, languages told apart, and pages kept through ingest."""

from __future__ import annotations

import hashlib
import re
import shutil

import pytest
import yaml
from documents import (
    EMPTY_HTML,
    EN_PARAGRAPHS,
    IT_PARAGRAPHS,
    ZH_PARAGRAPHS,
    ZH_TRADITIONAL,
    article_html,
    pdf,
    report_pages,
    scanned_pdf,
)
from hypothesis import given
from hypothesis import strategies as st

from helpers.engine import catalogue
from helpers.engine.errors import InputError
from helpers.ingest import extract, language, text


def test_html_main_text_drops_navigation_comments_and_footer():
    found = extract.html_text(article_html(EN_PARAGRAPHS), "page.html")
    for paragraph in EN_PARAGRAPHS:
        assert paragraph in found.splitlines()
    for boilerplate in ("Home", "Great article", "Copyright", "Privacy"):
        assert boilerplate not in found


def test_html_metadata_for_the_manifest():
    meta = extract.html_metadata(article_html(EN_PARAGRAPHS))
    assert meta["title"] == "Provinces set their technology plans"
    assert meta["outlet"] == "Example News"
    assert meta["date"] == "2025-02-03"
    assert meta["url"] == "https://news.example.org/2025/02/03/provinces-plans"


def test_page_without_main_text_stops_with_one_line():
    with pytest.raises(InputError) as info:
        extract.html_text(EMPTY_HTML, "empty.html")
    message = str(info.value)
    assert message.startswith("empty.html: no main text found") and "\n" not in message


def test_pdf_pages_and_wrapped_lines_joined():
    long = " ".join(EN_PARAGRAPHS)  # wraps over several lines of an A5 page
    data = pdf([["Government work report", long], ZH_PARAGRAPHS], lang="en")
    found = extract.pdf_text(data, "report.pdf")
    assert found.n_pages == 2
    lines = found.text.splitlines()
    assert lines[:2] == ["Government work report", long]
    assert lines[2:] == ZH_PARAGRAPHS  # Chinese lines joined with no space, numbers dropped
    assert found.page_at(found.text.index("Shanghai")) == 1
    assert found.page_at(found.text.index("浙江")) == 2
    assert not re.search(r"^\d+$", found.text, flags=re.M)


def test_a_paragraph_running_over_a_page_break_stays_whole():
    long = " ".join(EN_PARAGRAPHS * 8)  # longer than an A5 page
    found = extract.pdf_text(pdf([[long]]), "long.pdf")
    assert found.n_pages >= 2
    assert " ".join(found.text.split()) == long  # nothing lost, no hyphen or space added
    assert all(line.endswith(".") for line in found.text.splitlines())  # no sentence cut


def test_scanned_pdf_stops_with_one_line(tmp_path):
    with pytest.raises(InputError) as info:
        extract.pdf_text(scanned_pdf(tmp_path), "scan.pdf")
    message = str(info.value)
    assert "scan.pdf: the PDF has no text layer (2 page(s)" in message
    assert "\n" not in message


def test_broken_pdf_stops_with_one_line():
    with pytest.raises(InputError, match="not a readable PDF|no text layer|cannot read"):
        extract.pdf_text(b"%PDF-1.7\nnothing else", "broken.pdf")


@pytest.mark.parametrize(
    ("paragraphs", "expected", "script"),
    [
        (EN_PARAGRAPHS, "en", None),
        (ZH_PARAGRAPHS, "zh", "simplified"),
        (ZH_TRADITIONAL, "zh", "traditional"),
        (IT_PARAGRAPHS, "it", None),
    ],
)
def test_language_detection(paragraphs, expected, script):
    found = language.detect("\n".join(paragraphs))
    assert (found.language, found.script) == (expected, script)


def test_too_short_to_tell_is_unsure():
    assert language.detect("Shanghai backs chips.").language == "unsure"
    assert language.detect("").language == "unsure"


@given(st.text(max_size=300))
def test_detection_never_fails(value):
    assert language.detect(value).language


def test_detection_does_linear_work(linear_work):
    assert language.detect("a" * 200_000 + "的" * 200_000, sample=400_000).language
    linear_work(
        lambda t: language.detect(t, sample=len(t)),
        lambda n: "a" * n + "的" * n,
        5_000,
        (language,),
    )


# -- through ingest --------------------------------------------------------------------------


def _project(tmp_path, files: dict[str, bytes], entries: list[dict]):
    raw = tmp_path / "raw"
    shutil.copytree(catalogue.path("raw"), raw)
    manifest = yaml.safe_load((raw / "manifest.yaml").read_text(encoding="utf-8"))
    for name, data in files.items():
        (raw / name).write_bytes(data)
    for entry in entries:
        entry.setdefault("sha256", hashlib.sha256(files[entry["file"]]).hexdigest())
        manifest["sources"].append(entry)
    (raw / "manifest.yaml").write_text(yaml.safe_dump(manifest, allow_unicode=True), "utf-8")
    return raw / "manifest.yaml", catalogue.path("corrections"), raw


def _entry(source_id: str, file: str, lang: str = "en", **fields) -> dict:
    return {
        "id": source_id,
        "title": "T",
        "outlet": "O",
        "url": f"https://example.org/{source_id}",
        "date": "2025-02-03",
        "period": "2025",
        "language": lang,
        "kind": "primary",
        "file": file,
        **fields,
    }


def test_the_extracted_text_is_kept_as_a_dataset_the_offsets_point_into(tmp_path):
    import csv
    from importlib import metadata

    files = {
        "report.pdf": pdf(report_pages(EN_PARAGRAPHS, 3)),
        "page.html": article_html(EN_PARAGRAPHS),
    }
    entries = [_entry("report", "report.pdf"), _entry("page", "page.html", kind="secondary")]
    layer = tmp_path / "extracted"
    tables = text.ingest(*_project(tmp_path, files, entries), layer_to=layer)
    assert sorted(p.name for p in layer.iterdir()) == ["index.csv", "page.txt", "report.txt"]
    for row in tables["sentences"].itertuples():
        if row.source_id in ("report", "page"):
            kept = (layer / f"{row.source_id}.txt").read_text(encoding="utf-8")
            assert kept[row.raw_start : row.raw_end] == row.text
    with (layer / "index.csv").open(encoding="utf-8") as handle:
        index = {row["source_id"]: row for row in csv.DictReader(handle)}
    pdf_row, html_row = index["report"], index["page"]
    assert pdf_row["raw_sha256"] == hashlib.sha256(files["report.pdf"]).hexdigest()
    assert pdf_row["extractor"] == f"pypdf {metadata.version('pypdf')}"
    assert html_row["extractor"] == f"trafilatura {metadata.version('trafilatura')}"
    assert pdf_row["pages"] == "3" and len(pdf_row["page_starts"].split()) == 3
    assert html_row["pages"] == "" and html_row["page_starts"] == ""
    before = {p.name: p.read_bytes() for p in layer.iterdir()}
    text.ingest(*_project(tmp_path / "again", files, entries), layer_to=layer)
    assert {p.name: p.read_bytes() for p in layer.iterdir()} == before  # the same bytes


def test_ingest_gives_every_pdf_sentence_its_page(tmp_path):
    files = {
        "report.pdf": pdf(report_pages(EN_PARAGRAPHS, 3)),
        "zh.pdf": pdf(report_pages(ZH_PARAGRAPHS, 2), lang="zh"),
        "page.html": article_html(EN_PARAGRAPHS),
    }
    entries = [
        _entry("report", "report.pdf"),
        _entry("zh", "zh.pdf", "zh"),
        _entry("page", "page.html", kind="secondary"),
    ]
    tables = text.ingest(*_project(tmp_path, files, entries))
    sentences = tables["sentences"].set_index("sentence_id")
    pdf_rows = sentences[sentences.source_id == "report"]
    assert pdf_rows.page.notna().all()
    for n in (1, 2, 3):
        opener = pdf_rows[pdf_rows.text == f"Page {n} opens here."]
        assert opener.page.tolist() == [n]
    assert sorted(set(sentences[sentences.source_id == "zh"].page)) == [1, 2]
    assert sentences[sentences.source_id.isin(["page", "morningexpress-2025-01"])].page.isna().all()
    html_rows = sentences[sentences.source_id == "page"]
    assert any(EN_PARAGRAPHS[0] == t for t in html_rows.text)
    sources = tables["sources"].set_index("source_id")
    assert sources.loc["report", ["format", "n_pages"]].tolist() == ["pdf", 3]
    assert sources.loc["page", ["format", "n_pages"]].tolist() == ["html", 0]
    paragraphs = tables["paragraphs"]
    assert paragraphs[paragraphs.source_id == "zh"].page.notna().all()


def test_ingest_refuses_a_page_in_another_language(tmp_path):
    files = {"it.html": article_html(IT_PARAGRAPHS, lang="it")}
    with pytest.raises(InputError) as info:
        text.ingest(*_project(tmp_path, files, [_entry("it", "it.html")]))
    message = str(info.value)
    assert "it.html: the text is in Italian; only English or Chinese sources are coded" in message
    assert "\n" not in message


def test_ingest_refuses_a_language_other_than_the_manifests(tmp_path):
    files = {"zh.html": article_html(ZH_PARAGRAPHS, lang="zh")}
    with pytest.raises(InputError, match=r"the text is in Chinese .*, but the manifest says en"):
        text.ingest(*_project(tmp_path, files, [_entry("zh", "zh.html")]))


def test_ingest_refuses_a_scan(tmp_path):
    files = {"scan.pdf": scanned_pdf(tmp_path)}
    with pytest.raises(InputError, match="scan.pdf: the PDF has no text layer"):
        text.ingest(*_project(tmp_path, files, [_entry("scan", "scan.pdf")]))


def test_extract_command_prints_pages(tmp_path, capsys):
    path = tmp_path / "r.pdf"
    path.write_bytes(pdf(report_pages(EN_PARAGRAPHS, 2)))
    assert extract.main([str(path)]) == 0
    out = capsys.readouterr().out
    assert "--- page 2 (offset" in out and "Page 2 opens here." in out
    assert extract.main([str(tmp_path / "nothing.pdf")]) == 1


REFLOW_HOSTILE = {  # a long line of the shape each reflow pattern could backtrack on
    "dashes, no number": lambda n: "- " * n + "x",
    "dashes around a number": lambda n: "- " * n + "1" + " -" * n + "x",
    "stops, then a letter": lambda n: "." * n + "a",
    "closing quotes": lambda n: "\u201d" * n,
}


@pytest.mark.parametrize("make", REFLOW_HOSTILE.values(), ids=REFLOW_HOSTILE)
def test_reflow_patterns_do_linear_work(make, linear_work):
    """Counted work of the reflow; each match's own steps are timed by ``make bench``."""
    line = make(50_000)
    assert extract._PAGE_NUMBER.fullmatch(line) is None
    assert extract._page_lines(f"{line}\n{line}") == [line, line]
    linear_work(
        lambda t: (extract._FINAL.search(t), extract._page_lines(f"{t}\n{t}")),
        make,
        1_000,
        (extract,),
    )
