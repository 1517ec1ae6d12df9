"""`make bench`: the speed and memory targets, checked, printed as one table.

Measures a cold build, a no-op rebuild and a one-source change of the real pipeline (on a copy
of the project), and ingest and coding throughput on synthetic corpora of 10, 100 and 1,000
articles of about 400 words (helpers.synthetic), and prints the coding's quality on the dev and
held-out sets (helpers.evaluation; its floors are guarded by tests). Exits non-zero when a
target is missed.
"""

from __future__ import annotations

import hashlib
import os
import platform
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from helpers import catalogue, coding, evaluation, synthetic, text
from helpers import codebook as codebook_mod
from helpers.pipeline import copy_project

SIZES = (10, 100, 1000)


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def throughput(cb) -> list[tuple]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in SIZES:
            folder = Path(tmp) / str(n)
            folder.mkdir()
            manifest, corrections = synthetic.write_corpus(folder, n, seed=n, codebook=cb)
            started = time.perf_counter()
            tables = text.ingest(manifest, corrections, folder)
            ingest_s = time.perf_counter() - started
            started = time.perf_counter()
            coded = coding.code_sentences(tables["sentences"], cb)
            coding_s = time.perf_counter() - started
            rows.append(
                (n, len(tables["sentences"]), len(coded["codings"]), ingest_s, coding_s, peak_mib())
            )
    return rows


def pipeline_timings() -> dict[str, float]:
    """Cold build, no-op rebuild and a one-source change, on a copy of the project."""
    with tempfile.TemporaryDirectory() as tmp:
        project = copy_project(Path(tmp))
        env = {**os.environ, "PYTHONPATH": str(project / "src")}

        def build() -> tuple[float, str]:
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "helpers.pipeline"],
                cwd=project,
                env=env,
                capture_output=True,
                text=True,
            )
            if done.returncode:
                sys.exit(f"bench: the build failed: {done.stderr.strip()}")
            return time.perf_counter() - started, done.stdout

        cold, _ = build()
        noop, _ = build()
        seed = project / "data/raw/000_5df365ae44afb922.txt"
        manifest = project / "data/raw/manifest.yaml"
        old = hashlib.sha256(seed.read_bytes()).hexdigest()
        seed.write_text(
            seed.read_text(encoding="utf-8") + "Shanghai plans to develop quantum computing.\n",
            encoding="utf-8",
        )
        manifest.write_text(
            manifest.read_text().replace(old, hashlib.sha256(seed.read_bytes()).hexdigest())
        )
        change, log = build()
        ran = [line.split()[0] for line in log.splitlines() if " ran " in f" {line} "]
    return {"cold": cold, "noop": noop, "change": change, "change_ran": ", ".join(ran)}


MANY = 200  # synthetic sources in the many-sources report
MANY_GOALS = {"cold_s": 90.0, "html_mib": 5.0}


def many_sources_report(n_sources: int = MANY) -> dict[str, float]:
    """Cold build of the report over the seed plus ``n_sources`` synthetic sources (added the
    README's way: files in data/raw/, entries on the manifest), on a copy of the project: time,
    HTML size and PDF pages."""
    import shutil

    import yaml
    from pypdf import PdfReader

    with tempfile.TemporaryDirectory() as tmp:
        project = copy_project(Path(tmp) / "project")
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        manifest, _ = synthetic.write_corpus(corpus, n_sources, seed=7, words=250)
        entries = yaml.safe_load(manifest.read_text(encoding="utf-8"))["sources"]
        for entry in entries:
            shutil.copy(corpus / entry["file"], project / "data/raw" / entry["file"])
        listed = project / "data/raw/manifest.yaml"
        listed.write_text(  # appended under `sources:`, as a researcher would
            listed.read_text(encoding="utf-8")
            + "\n"
            + textwrap.indent(yaml.safe_dump(entries, allow_unicode=True, sort_keys=False), "  "),
            encoding="utf-8",
        )
        env = {**os.environ, "PYTHONPATH": str(project / "src")}
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "helpers.pipeline"],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
        )
        cold = time.perf_counter() - started
        if done.returncode:
            sys.exit(f"bench: the {n_sources}-source build failed: {done.stderr.strip()}")
        html = project / "report/_output/report.html"
        pdf = project / "report/_output/report.pdf"
        return {
            "cold_s": cold,
            "html_mib": html.stat().st_size / 2**20,
            "pdf_pages": len(PdfReader(pdf).pages),
        }


def many_sources_checks(n_sources: int = MANY) -> list[tuple]:
    """The many-sources report's rows of the bench table (issue 12's goals)."""
    found = many_sources_report(n_sources)
    return [
        (
            f"report over {n_sources} sources, cold",
            f"{found['cold_s']:.1f} s",
            f"<= {MANY_GOALS['cold_s']:.0f} s",
            found["cold_s"] <= MANY_GOALS["cold_s"],
        ),
        (
            f"report over {n_sources} sources, HTML",
            f"{found['html_mib']:.2f} MiB",
            f"<= {MANY_GOALS['html_mib']:.0f} MiB",
            found["html_mib"] <= MANY_GOALS["html_mib"],
        ),
        (
            f"report over {n_sources} sources, PDF",
            f"{found['pdf_pages']} pages",
            "",
            True,
        ),
    ]


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{platform.system()} {platform.machine()}, {cpu}, {os.cpu_count()} cores, "
        f"{mem:.0f} GiB, Python {platform.python_version()}"
    )


def coding_quality() -> None:
    """Print P/R/F1 per language and relation accuracy on the dev and held-out sets."""
    for folder in evaluation.SETS.values():
        print("\n".join(evaluation.summary_lines(evaluation.evaluate(folder))))


def main() -> int:
    cb = codebook_mod.load_codebook(catalogue.path("codebook"))
    rows = throughput(cb)
    timings = pipeline_timings()
    by_n = {r[0]: r for r in rows}
    growth = (by_n[1000][4] / by_n[1000][1]) / (by_n[100][4] / by_n[100][1])
    checks = [
        ("cold build", f"{timings['cold']:.1f} s", "", True),
        ("no-op rebuild", f"{timings['noop']:.2f} s", "< 1 s", timings["noop"] < 1.0),
        ("one-source change", f"{timings['change']:.1f} s", f"ran: {timings['change_ran']}", True),
    ]
    for n, n_sent, n_cod, ingest_s, coding_s, _ in rows:
        checks.append(
            (
                f"ingest {n:>5} articles",
                f"{ingest_s:.2f} s",
                "< 10 s" if n == 1000 else f"{n_sent} sentences",
                ingest_s < 10 or n != 1000,
            )
        )
        checks.append(
            (
                f"coding {n:>5} articles",
                f"{coding_s:.2f} s",
                "< 10 s" if n == 1000 else f"{n_cod} codings",
                coding_s < 10 or n != 1000,
            )
        )
    checks.append(
        (
            "coding time per sentence, 1000 vs 100",
            f"x{growth:.2f}",
            "<= x1.5 (linear)",
            growth <= 1.5,
        )
    )
    checks.append(
        (
            "peak memory (throughput runs)",
            f"{rows[-1][5]:.0f} MiB",
            "< 2048 MiB",
            rows[-1][5] < 2048,
        )
    )
    checks += many_sources_checks()
    print(f"machine: {machine()}")
    width = max(len(c[0]) for c in checks)
    print(f"{'measure':<{width}}  {'value':>10}  {'target / note':<28}  ok")
    for name, value, target, ok in checks:
        print(f"{name:<{width}}  {value:>10}  {target:<28}  {'yes' if ok else 'NO'}")
    coding_quality()
    return 0 if all(c[3] for c in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
