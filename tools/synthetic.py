"""Synthetic corpora for the throughput benchmarks (``make bench``) of ingest and coding.

Articles are built from codebook place names and sector terms mixed with filler, abbreviations
and numbers, so the segmenter and the coder do realistic work (matches, clauses, ties,
negations) on a corpus of any size, reproducibly from a seed.
"""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import pandas as pd
import yaml

from helpers.codebook.book import Codebook, load_codebook
from helpers.engine import catalogue
from helpers.ingest import text

_FILLER = (
    "the of and in to for with on its new local industrial economic growth plans year "
    "efforts policy market capacity research firms government report major national "
    "support projects development sector province city level key high quality"
).split()
_ASIDES = [
    "Analysts e.g. at state banks expect about 2.5 trillion yuan of spending.",
    "The U.S. and the EU were not named in this part of the report.",
    "Dr. Wang, an economist, called the targets ambitious.",
]
_VERBS = [
    "plans to develop",
    "will accelerate",
    "is investing in",
    "aims to build",
    "does not plan to expand",
    "could support",
    "opened a centre for",
    "is exploring",
]


def synthetic_articles(
    n_articles: int, seed: int = 0, words: int = 400, codebook: Codebook | None = None
) -> list[tuple[str, str]]:
    """``n_articles`` (source_id, text) pairs of about ``words`` words, one paragraph a line."""
    cb = codebook or load_codebook(catalogue.path("codebook"))
    rng = random.Random(seed)
    places = sorted(p.name_en for p in cb.places.values())
    places += sorted(r.name_en for r in cb.regions.values())
    terms = sorted(
        {t for s in cb.sectors.values() for t in s.terms if t.isascii()}
        | {t for s in cb.technologies.values() for t in s.terms if t.isascii()}
    )
    articles = []
    for a in range(n_articles):
        paragraphs, n_words = [], 0
        while n_words < words:
            sentences = []
            for _ in range(4):
                if n_words >= words and sentences:
                    break
                if rng.random() < 0.15:
                    sentence = rng.choice(_ASIDES)
                else:
                    filler = " ".join(rng.choices(_FILLER, k=rng.randint(6, 14)))
                    sentence = (
                        f"{rng.choice(places)} {rng.choice(_VERBS)} {rng.choice(terms)} "
                        f"{filler}, while {rng.choice(places)} {rng.choice(_VERBS)} "
                        f"{rng.choice(terms)}."
                    )
                sentences.append(sentence)
                n_words += len(sentence.split())
            paragraphs.append(" ".join(sentences))
        articles.append((f"synthetic-{a:04d}", "\n".join(paragraphs) + "\n"))
    return articles


def synthetic_sentences(
    n_articles: int, seed: int = 0, words: int = 400, codebook: Codebook | None = None
) -> pd.DataFrame:
    """The synthetic articles segmented by the ingest segmenter, as a SENTENCES table."""
    frames = [
        text.segment_source(source_id, body, "en")[1]
        for source_id, body in synthetic_articles(n_articles, seed, words, codebook)
    ]
    return pd.concat(frames, ignore_index=True)


def write_corpus(
    folder: Path, n_articles: int, seed: int = 0, words: int = 400, codebook: Codebook | None = None
) -> tuple[Path, Path]:
    """Write the articles, a manifest and an empty corrections list (for the ingest stage)."""
    entries = []
    for source_id, body in synthetic_articles(n_articles, seed, words, codebook):
        data = body.encode("utf-8")
        (folder / f"{source_id}.txt").write_bytes(data)
        entries.append(
            {
                "id": source_id,
                "title": f"Synthetic article {source_id}",
                "outlet": "synthetic",
                "url": "https://example.org/",
                "date": "2025-01-27",
                "period": "2025",
                "language": "en",
                "kind": "secondary",
                "file": f"{source_id}.txt",
                "sha256": hashlib.sha256(data).hexdigest(),
            }
        )
    manifest, corrections = folder / "manifest.yaml", folder / "corrections.yaml"
    manifest.write_text(yaml.safe_dump({"sources": entries}), encoding="utf-8")
    corrections.write_text("corrections: []\n", encoding="utf-8")
    return manifest, corrections
