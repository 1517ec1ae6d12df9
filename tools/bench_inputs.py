"""`make bench`'s timing of hostile inputs: the seconds the tests do not assert.

The tests hold these cases to linear work by counting it (``tests/conftest.py``), which no busy
machine can change; the steps inside one regular-expression match escape that count, so their
time is measured here, against the targets the tests once asserted.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from helpers.engine.errors import InputError
from helpers.ingest import extract, language, text
from helpers.ingest.sources import load_manifest

TARGET_S = 1.0  # each case, on the development machine's 2 cores
RUNS = {  # a long run of what a sentence end or a reflow pattern could backtrack on
    "stops": "." * 100_000 + "x",
    "bangs": "!" * 100_000 + "x",
    "mixed ends": "?!." * 33_000 + "x",
    "abbreviation-like": "a. " * 100_000,
    "brackets": "(" * 100_000,
}
LINES = {
    "dashes, no number": "- " * 50_000 + "x",
    "dashes around a number": "- " * 50_000 + "1" + " -" * 50_000 + "x",
    "stops, then a letter": "." * 100_000 + "a",
    "closing quotes": "\u201d" * 100_000,
}
BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
    for p, c in zip("abcdefgh", "bcdefghi", strict=True)
)


def _seconds(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def _refused_bomb() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        manifest = Path(tmp) / "manifest.yaml"
        manifest.write_text(BOMB + "sources: []\n", encoding="utf-8")
        try:
            load_manifest(manifest)
        except InputError:
            return
    raise SystemExit("bench: the alias bomb was not refused")


def timings() -> dict[str, float]:
    """Seconds of each hostile case (the worst language for the sentence ends)."""
    found = {
        f"sentence ends, 100k {name}": max(
            _seconds(lambda r=run, lang=lang: text.sentence_cuts(f"It {r} Ends.", lang))
            for lang in ("en", "zh")
        )
        for name, run in RUNS.items()
    }
    body = ("Dots" + "." * 5_000 + "x. Bang" + "!" * 5_000 + "y. ") * 20
    found["segment 200k of punctuation runs"] = _seconds(
        lambda: text.segment_source("s", body, "en")
    )
    found["language of 400k characters"] = _seconds(
        lambda: language.detect("a" * 200_000 + "的" * 200_000, sample=400_000)
    )
    for name, line in LINES.items():
        found[f"PDF reflow, 100k {name}"] = _seconds(
            lambda t=line: (
                extract._PAGE_NUMBER.fullmatch(t),
                extract._FINAL.search(t),
                extract._page_lines(f"{t}\n{t}"),
            )
        )
    found["alias bomb in the manifest, refused"] = _seconds(_refused_bomb)
    return found


def checks() -> list[tuple]:
    """The rows of ``make bench``'s table: each case against :data:`TARGET_S`."""
    return [
        (f"hostile: {name}", f"{s:.3f} s", f"< {TARGET_S:.0f} s", s < TARGET_S)
        for name, s in timings().items()
    ]
