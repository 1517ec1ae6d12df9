"""A web page added from a file and a 30-page Chinese PDF added from a URL, by the command, in a
copy of the project; then the whole pipeline: both are ingested and coded, every coding of the
PDF cites its page, and the report lists them."""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading
from pathlib import Path

import pandas as pd
import pytest
from documents import EN_PARAGRAPHS, ZH_PARAGRAPHS, article_html, pdf, report_pages

from tools.projects import copy_project

pytestmark = pytest.mark.slow


def _run(project: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(project / "src"), "SOURCE_DATE_EPOCH": "1738000000"}
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )


@pytest.fixture(scope="module")
def served():
    report = pdf(report_pages(ZH_PARAGRAPHS, 30), title="政府工作报告", lang="zh")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the http.server name)
            self.send_response(200)
            self.send_header("Content-Type", "application/pdf")
            self.send_header("Content-Length", str(len(report)))
            self.end_headers()
            self.wfile.write(report)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}/zh-report.pdf"
    httpd.shutdown()
    httpd.server_close()


def test_added_page_and_pdf_are_built_into_the_report(tmp_path_factory, served):
    project = copy_project(tmp_path_factory.mktemp("project"))
    page = tmp_path_factory.mktemp("downloads") / "provinces.html"
    page.write_bytes(article_html(EN_PARAGRAPHS))

    added = _run(project, "helpers.ingest.add", str(page))
    assert added.returncode == 0, added.stderr
    assert "added example-news-2025-02-03" in added.stdout
    added = _run(project, "helpers.ingest.add", served, "--id", "zh-report", "--period", "2025")
    assert added.returncode == 0, added.stderr
    again = _run(project, "helpers.ingest.add", served)
    assert again.returncode == 1 and again.stderr.count("\n") == 1
    assert "already in the manifest as entry 'zh-report'" in again.stderr

    built = _run(project, "helpers.engine.pipeline")
    assert built.returncode == 0, built.stdout + built.stderr

    processed = project / "data/processed"
    sentences = pd.read_parquet(processed / "sentences.parquet")
    codings = pd.read_parquet(processed / "codings.parquet")
    cited = codings.merge(sentences[["sentence_id", "page"]], on="sentence_id")
    pdf_ties = cited[cited.source_id == "zh-report"]
    assert len(pdf_ties) and pdf_ties.page.notna().all()
    assert set(pdf_ties.page) == set(range(1, 31))
    assert {"guangdong", "zhejiang", "anhui"} <= set(pdf_ties.place_id)
    page_ties = cited[cited.source_id == "example-news-2025-02-03"]
    assert len(page_ties) and page_ties.page.isna().all()
    assert {"shanghai", "guangdong"} <= set(page_ties.place_id)

    sources = pd.read_parquet(processed / "sources.parquet").set_index("source_id")
    assert sources.loc["zh-report", ["format", "n_pages", "language"]].tolist() == [
        "pdf",
        30,
        "zh",
    ]
    html = (project / "report/_output/report.html").read_text(encoding="utf-8")
    assert "zh-report" in html and "example-news-2025-02-03" in html
