"""Synthetic SENTENCES tables for throughput benchmarks of the coder.

Articles are built from codebook place names and sector terms mixed with filler words, so the
coder does realistic work (matches, clauses, ties) on a corpus of any size, reproducibly.
"""

from __future__ import annotations

import random

import pandas as pd

from helpers import paths
from helpers.codebook import Codebook, load_codebook

_FILLER = ("the of and in to for with on its new local industrial economic growth plans year "
           "efforts policy market capacity research firms government report major national "
           "support projects development sector province city level key high quality").split()
_VERBS = ["plans to develop", "will accelerate", "is investing in", "aims to build",
          "does not plan to expand", "could support", "opened a centre for", "is exploring"]


def synthetic_sentences(n_articles: int, seed: int = 0, words: int = 400,
                        codebook: Codebook | None = None) -> pd.DataFrame:
    """``n_articles`` English articles of about ``words`` words each, as a SENTENCES table."""
    cb = codebook or load_codebook(paths.CODEBOOK)
    rng = random.Random(seed)
    places = sorted(p.name_en for p in cb.places.values())
    places += sorted(r.name_en for r in cb.regions.values())
    terms = sorted({t for s in cb.sectors.values() for t in s.terms if t.isascii()}
                   | {t for s in cb.technologies.values() for t in s.terms if t.isascii()})
    rows = []
    for a in range(n_articles):
        source_id = f"synthetic-{a:04d}"
        offset, n_words, p_no = 0, 0, 0
        while n_words < words:
            p_no += 1
            sentences = []
            for _ in range(4):
                if n_words >= words and sentences:
                    break
                filler = " ".join(rng.choices(_FILLER, k=rng.randint(6, 14)))
                sentence = (f"{rng.choice(places)} {rng.choice(_VERBS)} {rng.choice(terms)} "
                            f"{filler}, while {rng.choice(places)} {rng.choice(_VERBS)} "
                            f"{rng.choice(terms)}.")
                sentences.append(sentence)
                n_words += len(sentence.split())
            pos = offset
            for s_no, sentence in enumerate(sentences, start=1):
                rows.append({
                    "source_id": source_id, "paragraph_id": f"{source_id}:p{p_no:02d}",
                    "sentence_id": f"{source_id}:p{p_no:02d}:s{s_no:02d}", "sentence_no": s_no,
                    "language": "en", "start": pos, "end": pos + len(sentence),
                    "raw_start": pos, "raw_end": pos + len(sentence), "text": sentence})
                pos += len(sentence) + 1
            offset = pos  # the paragraph's newline takes the place of the last space
    return pd.DataFrame(rows, columns=["source_id", "paragraph_id", "sentence_id",
                                       "sentence_no", "language", "start", "end", "raw_start",
                                       "raw_end", "text"])
