"""The development and held-out sets: valid gold, a scorer that counts right, scores that hold.

The sets are the project's own texts with a gold coding made by hand (tests/dev/README.md). The
scores on them are printed in the test summary and may not fall below the floors recorded in
tests/dev/recorded.yaml.
"""

from __future__ import annotations

import csv
import hashlib
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from helpers.codebook.book import load_codebook
from helpers.engine import catalogue
from helpers.engine.errors import InputError
from helpers.framing.claims import load_framing_codebook
from tools import evaluation as ev

TESTS = Path(__file__).parent
SETS = ev.SETS
PLANNED = {"dev": {"en": 18, "zh": 20}, "heldout": {"en": 4, "zh": 4}}
TAXONOMY = yaml.safe_load((TESTS / "dev" / "taxonomy.yaml").read_text(encoding="utf-8"))
RECORDED = yaml.safe_load((TESTS / "dev" / "recorded.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def results() -> dict[str, ev.Evaluation]:
    return {name: ev.evaluate(folder) for name, folder in SETS.items()}


# --- the sets themselves -------------------------------------------------------------------


@pytest.mark.parametrize("name", SETS)
def test_set_has_the_planned_texts_in_shape(name):
    entries, texts = ev.load_set(SETS[name])  # checksums and files checked on the way
    languages = [s.language for s in entries]
    assert {lang: languages.count(lang) for lang in set(languages)} == PLANNED[name]
    assert {s.kind for s in entries} == {"secondary"}
    for s in entries:
        body = texts[s.id]
        paragraphs = [p for p in body.split("\n") if p.strip()]
        assert 3 <= len(paragraphs) <= 10, s.id
        if s.language == "en":
            assert 120 <= len(body.split()) <= 450, s.id
        else:
            assert 250 <= len(body) <= 800, s.id


def test_held_out_texts_are_apart_from_the_dev_texts_and_the_seed():
    dev_entries, dev_texts = ev.load_set(SETS["dev"])
    held_entries, held_texts = ev.load_set(SETS["heldout"])
    assert not {s.id for s in dev_entries} & {s.id for s in held_entries}
    seed = (catalogue.path("raw") / "000_5df365ae44afb922.txt").read_text(encoding="utf-8")
    sentences = {
        s.strip()
        for body in [*dev_texts.values(), *held_texts.values()]
        for s in re.split(r"(?<=[.!?。！？])\s*", body)
        if len(s.strip()) > 20
    }
    seed_sentences = {s.strip() for s in re.split(r"(?<=[.!?])\s*", seed)}
    assert not sentences & seed_sentences
    assert not set(dev_texts.values()) & set(held_texts.values())


@pytest.mark.parametrize("name", SETS)
def test_gold_uses_known_ids_and_covers_every_text(name):
    _, texts = ev.load_set(SETS[name])
    ties, claims = ev.load_gold(SETS[name], texts)  # relations, evidence, duplicates checked
    codebook = load_codebook(catalogue.path("codebook"))
    assert set(ties["place_id"]) <= set(codebook.places) | set(codebook.regions)
    assert set(ties["sector_id"]) <= set(TAXONOMY["sectors"])
    assert set(texts) == set(ties["text_id"])  # every text states at least one tie
    fcb = load_framing_codebook(catalogue.path("framing_codebook"))
    actors = set(fcb.actors) | set(TAXONOMY["extra_framing_actors"])
    assert set(claims["actor"]) == {fcb.focal_actor}
    assert set(claims["comparator"]) <= actors - {fcb.focal_actor}
    assert set(claims["dimension"]) <= set(fcb.dimensions)


def test_taxonomy_is_consistent():
    assert set(TAXONOMY["sectors"].values()) <= set(TAXONOMY["categories"])
    assert ev.CATCH_ALL in TAXONOMY["sectors"]
    codebook = load_codebook(catalogue.path("codebook"))
    assert not set(TAXONOMY["extra_framing_actors"]) & set(codebook.places)


# --- reading gold: bad input stops with one line naming the file ----------------------------

TEXT = "Guangdong will build more chip plants.\nThe province set no target for drones.\nEnd.\n"
GOLD = [["t-en-1", "guangdong", "semiconductors", "priority", "build more chip plants", ""]]
FRAMING = [["t-en-1", "china", "united-states", "investment", "unclear", "false", "End."]]


def make_set(folder: Path, gold=GOLD, framing=FRAMING, text=TEXT) -> Path:
    """A one-text set in the layout of tests/dev."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "t-en-1.txt").write_text(text, encoding="utf-8")
    sha = hashlib.sha256((folder / "t-en-1.txt").read_bytes()).hexdigest()
    entry = {
        "id": "t-en-1",
        "title": "A test text",
        "outlet": "Project test",
        "url": "https://www.gd.gov.cn/",
        "date": "2025-01",
        "period": "2025",
        "language": "en",
        "kind": "secondary",
        "file": "t-en-1.txt",
        "sha256": sha,
    }
    (folder / "manifest.yaml").write_text(yaml.safe_dump({"sources": [entry]}), encoding="utf-8")
    (folder / "corrections.yaml").write_text("corrections: []\n", encoding="utf-8")
    for name, header, rows in [
        ("gold_codings.csv", ev.GOLD_CODINGS_COLUMNS, gold),
        ("gold_framing.csv", ev.GOLD_FRAMING_COLUMNS, framing),
    ]:
        with (folder / name).open("w", encoding="utf-8", newline="") as f:
            csv.writer(f, lineterminator="\n").writerows([header, *rows])
    return folder


@pytest.mark.parametrize(
    ("gold", "framing", "file", "problem"),
    [
        ([[*GOLD[0][:3], "plan", *GOLD[0][4:]]], FRAMING, "gold_codings.csv", "unknown relation"),
        ([[*GOLD[0][:4], "build fewer", ""]], FRAMING, "gold_codings.csv", "evidence not found"),
        ([["t-en-9", *GOLD[0][1:]]], FRAMING, "gold_codings.csv", "not in the manifest"),
        (GOLD * 2, FRAMING, "gold_codings.csv", "line 3: duplicate row"),
        ([GOLD[0][:5]], FRAMING, "gold_codings.csv", "line 2: expected 6 fields"),
        (GOLD, [[*FRAMING[0][:4], "ahead", *FRAMING[0][5:]]], "gold_framing.csv", "direction"),
        (GOLD, [[*FRAMING[0][:5], "yes", "End."]], "gold_framing.csv", "unknown hedged"),
    ],
)
def test_bad_gold_stops_with_the_file_and_the_problem(tmp_path, gold, framing, file, problem):
    folder = make_set(tmp_path / "set", gold, framing)
    _, texts = ev.load_set(folder)
    with pytest.raises(InputError) as caught:
        ev.load_gold(folder, texts)
    assert caught.value.path.endswith(file)
    assert problem in caught.value.problem


def test_gold_with_wrong_columns_is_refused(tmp_path):
    folder = make_set(tmp_path / "set")
    path = folder / "gold_codings.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("sector_id", "sector"), "utf-8")
    _, texts = ev.load_set(folder)
    with pytest.raises(InputError, match="columns must be text_id,place_id,sector_id"):
        ev.load_gold(folder, texts)


# --- the scorer on hand-made cases ----------------------------------------------------------


def ties(*rows) -> pd.DataFrame:
    return pd.DataFrame([(*r, f"evidence {i}") for i, r in enumerate(rows)], columns=ev.TIE_COLUMNS)


def test_reduce_keeps_a_region_at_its_level_and_the_strongest_relation():
    out = ev.reduce_ties(
        ties(
            ("t1", "yangtze-river-delta", "quantum", "context"),
            ("t1", "jiangsu", "quantum", "achievement"),
            ("t1", "jiangsu", "quantum", "context"),
            ("t2", "jiangsu", "quantum", "priority"),
        )
    )
    assert out[["text_id", "place_id", "sector_id", "relation", "evidence"]].values.tolist() == [
        ["t1", "jiangsu", "quantum", "achievement", "evidence 1"],
        ["t1", "yangtze-river-delta", "quantum", "context", "evidence 0"],
        ["t2", "jiangsu", "quantum", "priority", "evidence 3"],
    ]


def test_reduce_drops_the_catch_all_only_beside_a_specific_sector():
    out = ev.reduce_ties(
        ties(
            ("t1", "anhui", ev.CATCH_ALL, "priority"),
            ("t1", "anhui", "quantum", "context"),
            ("t1", "hubei", ev.CATCH_ALL, "priority"),
            ("t2", "anhui", ev.CATCH_ALL, "priority"),
        )
    )
    assert out[ev.TIE_KEY].values.tolist() == [
        ["t1", "anhui", "quantum"],
        ["t1", "hubei", ev.CATCH_ALL],
        ["t2", "anhui", ev.CATCH_ALL],
    ]


def test_reduce_of_nothing_is_empty():
    assert ev.reduce_ties(ties()).empty


def test_score_counts_matches_misses_and_relations():
    gold = ties(
        ("t1", "anhui", "quantum", "priority"),
        ("t1", "anhui", "vehicles", "priority"),
        ("t1", "hubei", "space", "achievement"),
        ("t2", "hubei", "space", "context"),
    )
    predicted = ties(
        ("t1", "anhui", "quantum", "priority"),
        ("t1", "anhui", "vehicles", "context"),
        ("t1", "hubei", "space", "achievement"),
        ("t1", "hunan", "space", "priority"),
        ("t2", "hubei", "robotics", "priority"),
    )
    comparison = ev.compare_ties(ev.reduce_ties(gold), ev.reduce_ties(predicted))
    assert comparison["outcome"].value_counts().to_dict() == {
        "matched": 3,
        "spurious": 2,
        "missed": 1,
    }
    s = ev.score(comparison, "relation")
    assert (s.n_gold, s.n_predicted, s.n_matched, s.n_label_agree) == (4, 5, 3, 2)
    assert s.precision == pytest.approx(0.6)
    assert s.recall == pytest.approx(0.75)
    assert s.f1 == pytest.approx(2 * 0.6 * 0.75 / 1.35)
    assert s.label_accuracy == pytest.approx(2 / 3)


def test_relation_table_crosses_gold_and_coded_relations():
    comparison = ev.compare_ties(
        ties(("t1", "anhui", "quantum", "priority"), ("t1", "anhui", "space", "context")),
        ties(("t1", "anhui", "quantum", "context"), ("t1", "hubei", "space", "priority")),
    )
    result = ev.Evaluation("x", {}, ev.score(comparison, "relation"), comparison, comparison)
    rows = [line.split() for line in ev.relation_lines(result)[1:]]
    assert rows == [
        ["priority", "0", "0", "1", "0"],
        ["achievement", "0", "0", "0", "0"],
        ["context", "0", "0", "0", "1"],
        ["none", "1", "0", "0", "0"],
    ]


def test_score_of_nothing_is_zero_not_an_error():
    s = ev.score(ev.compare_ties(ties(), ties()), "relation")
    assert (s.precision, s.recall, s.f1, s.label_accuracy) == (0.0, 0.0, 0.0, 0.0)


def test_framing_claims_split_per_comparator_and_drop_non_comparisons():
    claims = pd.DataFrame(
        {
            "source_id": ["t1", "t1", "t1"],
            "start": [0, 50, 90],
            "actor": ["china", "china", "china"],
            "comparators": ["united-states;europe", None, "europe"],
            "dimension": ["investment", "investment", "investment"],
            "direction": ["actor_ahead", "unclear", "comparator_ahead"],
            "hedged": [False, False, True],
            "evidence": ["first", "second", "third"],
        }
    )
    predicted = ev.predicted_framing(claims)
    assert predicted[["comparator", "direction", "evidence"]].values.tolist() == [
        ["united-states", "actor_ahead", "first"],
        ["europe", "actor_ahead", "first"],
    ]
    gold = pd.DataFrame(
        [
            ("t1", "china", "europe", "investment", "comparator_ahead", False, "x"),
            ("t1", "china", "japan", "investment", "actor_ahead", False, "y"),
        ],
        columns=ev.GOLD_FRAMING_COLUMNS,
    )
    s = ev.score(ev.compare_framing(gold, predicted), "direction")
    assert (s.n_gold, s.n_predicted, s.n_matched, s.n_label_agree) == (2, 2, 1, 0)


def test_evaluate_and_the_command_line_on_a_tiny_set(tmp_path, capsys):
    gold = [*GOLD, ["t-en-1", "guangdong", "no-such-sector", "context", "drones", "a miss"]]
    folder = make_set(tmp_path / "tiny", gold=gold)
    result = ev.evaluate(folder)
    assert result.ties["en"].n_gold == 2
    assert result.ties["zh"].n_gold == 0
    assert result.framing.n_gold == 1
    assert set(result.comparison["language"]) == {"en"}
    assert ev.main([str(folder)]) == 0
    out = capsys.readouterr().out
    assert "tiny en: P " in out
    assert "missed    guangdong x no-such-sector (context): drones" in out
    assert "missed    framing china vs united-states on investment (unclear): End." in out


def test_command_line_reports_bad_gold_in_one_line(tmp_path, capsys):
    folder = make_set(tmp_path / "bad", gold=[[*GOLD[0][:3], "plan", *GOLD[0][4:]]])
    assert ev.main(["--summary", str(folder)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "gold_codings.csv: line 2: unknown relation 'plan'" in err


# --- the scores, printed and guarded --------------------------------------------------------


@pytest.mark.parametrize("name", SETS)
def test_scores_are_printed_and_hold_their_floors(name, results, metrics):
    result = results[name]
    for line in ev.summary_lines(result):
        metrics(line)
    floors = RECORDED[name]
    for lang in ("en", "zh"):
        s = result.ties[lang]
        assert s.f1 >= floors[lang]["f1"], f"{name} {lang} F1 {s.f1:.3f} below its floor"
        assert s.label_accuracy >= floors[lang]["relation_accuracy"], (
            f"{name} {lang} relation accuracy {s.label_accuracy:.3f} below its floor"
        )
    assert result.framing.f1 >= floors["framing"]["f1"], f"{name} framing F1 below its floor"
