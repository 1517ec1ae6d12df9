"""`make add-source`: web pages and PDFs added from a file and from a URL (a local server),
stored as received, with a manifest entry that loads, ingests with pages, and refusals in one
line for duplicates, scans, empty pages, other languages and every bad answer of a server."""

from __future__ import annotations

import hashlib
import http.server
import shutil
import threading
from pathlib import Path

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

from helpers.codebook.book import load_codebook
from helpers.coding.rules import code_sentences
from helpers.engine import catalogue
from helpers.engine.errors import InputError
from helpers.ingest import add, text
from helpers.ingest.sources import load_manifest

ZH_REPORT = pdf(report_pages(ZH_PARAGRAPHS, 30), title="政府工作报告", lang="zh")
EN_REPORT = pdf(report_pages(EN_PARAGRAPHS, 3))
ZH_PAGE = article_html(
    ZH_TRADITIONAL,
    title="廣東發布科技計劃",
    site="香港新聞",
    date="2025-02-05",
    url="https://hk.example.org/a/1",
    lang="zh-Hant",
)


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: dict[str, tuple[int, str, bytes, dict]] = {}
    # "/slow" answers (a good page) only once this is set, when the test is over: a client
    # that did not give up by its own timeout would get the page and not fail.
    released = threading.Event()

    def do_GET(self):  # noqa: N802 (the http.server name)
        if self.path == "/slow":
            self.released.wait(60)
        status, kind, body, headers = self.routes.get(self.path, (404, "text/plain", b"gone", {}))
        self.send_response(status)
        self.send_header("Content-Type", kind)
        for name, value in headers.items():
            if value is not None:  # None: no such header (the answer ends when it closes)
                self.send_header(name, value)
        if "Content-Length" not in headers:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    base = f"http://127.0.0.1:{httpd.server_port}"
    _Handler.routes = {
        "/zh-report.pdf": (200, "application/pdf", ZH_REPORT, {}),
        "/hk/article": (200, "text/html; charset=utf-8", ZH_PAGE, {}),
        "/moved": (302, "text/plain", b"", {"Location": "/hk/article"}),
        "/data.json": (200, "application/json", b'{"a": 1}', {}),
        "/huge": (200, "text/html", b"<html></html>", {"Content-Length": str(10**9)}),
        "/long": (200, "text/html", b"<p>" + b"x" * 5000 + b"</p>", {"Content-Length": None}),
        "/scan.pdf": (200, "application/pdf", b"", {}),
        "/empty": (200, "text/html", EMPTY_HTML, {}),
        "/loop": (302, "text/plain", b"", {"Location": "/loop"}),
        "/elsewhere": (302, "text/plain", b"", {"Location": "file:///etc/passwd"}),
        "/slow": (200, "text/html; charset=utf-8", ZH_PAGE, {}),
    }
    _Handler.released.clear()
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield base
    _Handler.released.set()
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def project(tmp_path):
    """The seed's raw folder and corrections, copied."""
    raw = tmp_path / "raw"
    shutil.copytree(catalogue.path("raw"), raw)
    return raw / "manifest.yaml", raw


def _add(project, origin, **given):
    manifest, raw = project
    return add.add_source(str(origin), manifest, raw, given)


def _refused(project, origin, *needles, **given) -> str:
    manifest, raw = project
    before = sorted(p.name for p in raw.iterdir()), manifest.read_bytes()
    with pytest.raises(InputError) as info:
        _add(project, origin, **given)
    message = str(info.value)
    assert "\n" not in message
    for needle in needles:
        assert needle in message, message
    assert (sorted(p.name for p in raw.iterdir()), manifest.read_bytes()) == before
    return message


def test_html_from_a_file_is_stored_as_received_with_a_full_entry(project, tmp_path):
    page = tmp_path / "saved.html"
    page.write_bytes(article_html(EN_PARAGRAPHS))
    entry = _add(project, page)
    manifest, raw = project
    assert (raw / entry["file"]).read_bytes() == page.read_bytes()
    assert entry["sha256"] == hashlib.sha256(page.read_bytes()).hexdigest()
    assert entry["id"] == "example-news-2025-02-03" and entry["file"].endswith(".html")
    assert (entry["title"], entry["outlet"], entry["date"], entry["period"]) == (
        "Provinces set their technology plans",
        "Example News",
        "2025-02-03",
        "2025",
    )
    assert (entry["language"], entry["kind"]) == ("en", "secondary")
    assert entry["url"] == "https://news.example.org/2025/02/03/provinces-plans"
    assert entry["review"] == ["title", "outlet", "url", "date", "period", "language", "kind"]
    assert "accessed" not in entry
    loaded = {s.id: s for s in load_manifest(manifest)}
    assert loaded[entry["id"]].review == tuple(entry["review"])
    # the hand-written entries and comments are kept; the new one is appended
    assert manifest.read_text(encoding="utf-8").startswith("# Sources of the report")


def test_given_fields_are_not_marked_for_review(project, tmp_path):
    page = tmp_path / "saved.html"
    page.write_bytes(article_html(EN_PARAGRAPHS))
    entry = _add(project, page, kind="primary", period="2026-2030", id="my-page")
    assert (entry["id"], entry["kind"], entry["period"]) == ("my-page", "primary", "2026-2030")
    assert "kind" not in entry["review"] and "period" not in entry["review"]


def test_pdf_from_a_url_records_access_date_and_ingests_with_pages(project, server):
    entry = _add(project, f"{server}/zh-report.pdf")
    manifest, raw = project
    assert (raw / entry["file"]).read_bytes() == ZH_REPORT
    assert entry["url"] == f"{server}/zh-report.pdf" and "url" not in entry["review"]
    assert entry["language"] == "zh" and entry["kind"] == "primary"
    assert entry["title"] == "政府工作报告"
    assert len(entry["accessed"]) == 10 and "date" in entry["review"]  # the PDF's own date
    tables = text.ingest(manifest, catalogue.path("corrections"), raw)
    sentences = tables["sentences"]
    mine = sentences[sentences.source_id == entry["id"]]
    assert sorted(set(mine.page)) == list(range(1, 31))
    assert mine[mine.text.str.replace(" ", "") == "第17页。"].page.tolist() == [17]
    sources = tables["sources"].set_index("source_id")
    assert sources.loc[entry["id"], "n_pages"] == 30
    coded = code_sentences(mine, load_codebook(catalogue.path("codebook")))
    codings = coded["codings"].merge(mine[["sentence_id", "page"]], on="sentence_id")
    ties = set(zip(codings.place_id, codings.sector_id, strict=True))
    assert len(ties) >= 3 and codings.page.between(1, 30).all()
    assert len(set(codings.page)) == 30  # every page's ties cite their own page


def test_redirected_url_keeps_the_final_address(project, server):
    entry = _add(project, f"{server}/moved")
    assert entry["url"] == f"{server}/hk/article"
    assert (entry["language"], entry["title"], entry["outlet"]) == (
        "zh",
        "廣東發布科技計劃",
        "香港新聞",
    )
    assert entry["note"] == "Detected as Chinese in traditional characters."
    assert entry["date"] == "2025-02-05"


def test_re_adding_is_refused_by_checksum_and_by_url(project, server, tmp_path):
    first = _add(project, f"{server}/hk/article")
    copy = tmp_path / "copy.html"
    copy.write_bytes(ZH_PAGE)
    _refused(project, copy, str(copy), f"entry '{first['id']}' (same SHA-256)")
    _refused(project, f"{server}/moved", f"entry '{first['id']}' (same SHA-256)")
    seed_url = load_manifest(project[0])[0].url
    page = tmp_path / "other.html"
    page.write_bytes(article_html(EN_PARAGRAPHS, url=seed_url))
    _refused(project, page, "entry 'morningexpress-2025-01' (same URL)", url=seed_url)


def test_pdf_from_a_file_then_refused_again(project, tmp_path):
    path = tmp_path / "en-report.pdf"
    path.write_bytes(EN_REPORT)
    entry = _add(project, path)
    assert entry["title"] == "Government work report" and entry["url"] == "unknown"
    assert "url" in entry["review"]
    _refused(project, path, "(same SHA-256)")
    tables = text.ingest(project[0], catalogue.path("corrections"), project[1])
    mine = tables["sentences"][tables["sentences"].source_id == entry["id"]]
    assert sorted(set(mine.page)) == [1, 2, 3]


def test_scanned_pdf_and_empty_page_refused_in_one_line(project, tmp_path):
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(scanned_pdf(tmp_path))
    _refused(project, scan, "scan.pdf: the PDF has no text layer")
    empty = tmp_path / "empty.html"
    empty.write_bytes(EMPTY_HTML)
    _refused(project, empty, "empty.html: no main text found")


def test_a_page_in_another_encoding_is_kept_as_received_and_read(project, tmp_path):
    html = article_html(ZH_PARAGRAPHS, lang="zh").decode()
    page = tmp_path / "gbk.html"
    page.write_bytes(html.replace('charset="utf-8"', 'charset="gbk"').encode("gbk"))
    entry = _add(project, page)
    assert (project[1] / entry["file"]).read_bytes() == page.read_bytes()
    assert entry["language"] == "zh"
    tables = text.ingest(project[0], catalogue.path("corrections"), project[1])
    mine = tables["sentences"][tables["sentences"].source_id == entry["id"]]
    assert ZH_PARAGRAPHS[1] in mine.text.tolist()


def test_another_language_refused_in_one_line(project, tmp_path):
    page = tmp_path / "it.html"
    page.write_bytes(article_html(IT_PARAGRAPHS, lang="it"))
    _refused(project, page, "the text is in Italian; only English or Chinese sources are coded")


@pytest.mark.parametrize(
    ("path", "needle"),
    [
        ("/missing", "the server answered 404 Not Found"),
        ("/data.json", "the answer is 'application/json', not a web page, a PDF or plain text"),
        ("/huge", "the answer is 1,000,000,000 bytes, more than the limit of 20,000,000"),
        ("/empty", "no main text found"),
        ("/scan.pdf", "is empty"),
        ("/loop", "redirected (302) to '/loop', which is not followed"),
        ("/elsewhere", "redirected (302) to 'file:///etc/passwd', which is not followed"),
    ],
)
def test_bad_answers_refused_in_one_line(project, server, path, needle):
    _refused(project, f"{server}{path}", needle)


def test_an_answer_larger_than_the_cap_is_refused_while_read(server):
    with pytest.raises(InputError, match="the answer is larger, more than the limit of 1,000"):
        add.fetch(f"{server}/long", max_bytes=1000)


def test_a_pipe_given_to_add_is_refused_at_once(project, tmp_path, fifo):
    page = fifo(tmp_path / "page.html")
    _refused(project, str(page), "page.html", "device or pipe, not a regular file")


def test_a_server_that_does_not_answer_in_time(server):
    with pytest.raises(InputError, match=r"/slow: no answer within 0.3 s"):
        add.fetch(f"{server}/slow", timeout=0.3)


def test_unreachable_and_non_http_urls(project):
    _refused(project, "http://127.0.0.1:9/x", "cannot fetch")
    with pytest.raises(InputError, match="only http and https"):
        add.fetch("ftp://example.org/a")


def test_command_prints_the_entry_or_one_line(project, tmp_path, capsys):
    manifest, raw = project
    page = tmp_path / "saved.html"
    page.write_bytes(article_html(EN_PARAGRAPHS))
    args = ["--manifest", str(manifest), "--raw", str(raw)]
    assert add.main([str(page), *args]) == 0
    out = capsys.readouterr().out
    printed = yaml.safe_load(out.split("added ")[0])[0]
    assert printed["id"] == "example-news-2025-02-03"
    assert "guessed, to check: title, outlet, url, date, period, language, kind" in out
    assert add.main([str(page), *args]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "(same SHA-256)" in err


def test_unsupported_file_refused(project, tmp_path):
    path = tmp_path / "a.docx"
    path.write_bytes(b"PK")
    _refused(project, path, "not a .txt, .md, .html, .htm or .pdf file")
    fake = tmp_path / "fake.pdf"
    fake.write_bytes(b"<html></html>")
    _refused(project, fake, "does not start with %PDF-")


def test_review_names_fields_of_the_entry(tmp_path):
    raw = tmp_path
    data = b"Shanghai backs chips.\n"
    (raw / "a.txt").write_bytes(data)
    entry = {
        "id": "a",
        "title": "A",
        "outlet": "O",
        "url": "u",
        "date": "2025-01",
        "period": "2025",
        "language": "en",
        "kind": "primary",
        "file": "a.txt",
        "sha256": hashlib.sha256(data).hexdigest(),
        "review": ["titel", "retells"],
    }
    path = Path(raw / "manifest.yaml")
    path.write_text(yaml.safe_dump({"sources": [entry]}), encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_manifest(path)
    message = str(info.value)
    assert "review names 'titel', which is no field of an entry (closest known field: title)" in (
        message
    )
    assert "review names 'retells', which the entry does not set" in message
