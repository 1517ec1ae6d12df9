"""The committed gold of real texts names only what the codebook knows, and holds no evidence."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from helpers.codebook.book import load_codebook
from helpers.engine.paths import ROOT
from helpers.schemas import RELATIONS

REAL = Path(__file__).parent / "real"
COLUMNS = ["source_id", "url", "language", "place_id", "sector_id", "relation"]
FILES = sorted(REAL.glob("*-gold.csv"))


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == COLUMNS, f"{path.name}: columns {reader.fieldnames}"
        return list(reader)


def test_there_are_real_gold_files():
    assert FILES, f"no *-gold.csv in {REAL}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_real_gold_names_known_places_sectors_and_relations(path):
    book = load_codebook(ROOT / "codebook")
    places = set(book.places) | set(book.regions)
    for n, row in enumerate(_rows(path), start=2):
        where = f"{path.name} line {n}"
        assert row["place_id"] in places, f"{where}: unknown place {row['place_id']!r}"
        assert row["sector_id"] in book.sectors, f"{where}: unknown sector {row['sector_id']!r}"
        assert row["relation"] in RELATIONS, f"{where}: unknown relation {row['relation']!r}"
        assert row["language"] in {"en", "zh"}, f"{where}: language {row['language']!r}"
        assert row["url"].startswith(("http://", "https://")), f"{where}: url {row['url']!r}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_real_gold_is_one_row_per_tie_and_one_url_per_text(path):
    rows = _rows(path)
    ties = [(r["source_id"], r["place_id"], r["sector_id"]) for r in rows]
    assert len(ties) == len(set(ties)), f"{path.name}: a tie listed twice"
    urls: dict[str, set[str]] = {}
    for r in rows:
        urls.setdefault(r["source_id"], set()).add(r["url"])
    assert all(len(u) == 1 for u in urls.values()), f"{path.name}: a text with two URLs"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_readme_table_gives_each_file_its_texts_and_ties(path):
    """The README's table is what a reader trusts; it must agree with the file it describes."""
    rows = _rows(path)
    readme = (REAL / "README.md").read_text(encoding="utf-8")
    line = next((ln for ln in readme.splitlines() if ln.startswith(f"| `{path.name}` |")), None)
    assert line, f"README.md has no table row for {path.name}"
    cells = [c.strip() for c in line.strip("|").split("|")]
    n_texts = len({r["source_id"] for r in rows})
    assert cells[1].split()[0] == str(n_texts), f"{path.name}: {n_texts} texts, README {cells[1]}"
    assert cells[2] == str(len(rows)), f"{path.name}: {len(rows)} ties, README says {cells[2]}"
