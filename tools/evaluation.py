"""How well the coding does on hand-coded texts it was not written for (tests/dev, tests/heldout).

A set is a folder with a manifest, its texts, an (empty) corrections list and two gold files
coded by hand (see tests/dev/README.md). The texts go through the real ingest and coding in
memory; both sides are reduced to the same unit, a *tie* (text, place, sector) with the
strongest relation the text gives it, and compared. ``python -m tools.evaluation tests/dev``
prints the scores and every error with its sentence, for a researcher to read.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from helpers import schemas
from helpers.codebook import book as codebook_mod
from helpers.coding import rules as coding
from helpers.engine import catalogue, paths
from helpers.engine.errors import InputError
from helpers.framing import claims as framing
from helpers.ingest import sources, text

# Strength of a relation: a tie keeps the strongest one its text gives it.
# The broad "technology-intensive industries" sector: a tie only where nothing more specific is
# named for the same (text, place), on both sides of the comparison.
CATCH_ALL = "tech-industries"

# The project's sets: tuned on (dev), and measured only (heldout).
SETS = {"dev": paths.ROOT / "tests" / "dev", "heldout": paths.ROOT / "tests" / "heldout"}

TIE_KEY = ["text_id", "place_id", "sector_id"]
TIE_COLUMNS = [*TIE_KEY, "relation", "evidence"]
FRAMING_KEY = ["text_id", "actor", "comparator", "dimension"]
GOLD_CODINGS_COLUMNS = ["text_id", "place_id", "sector_id", "relation", "evidence", "note"]
GOLD_FRAMING_COLUMNS = [*FRAMING_KEY, "direction", "hedged", "evidence"]


@dataclass(frozen=True)
class Score:
    """Precision, recall and F1 of one comparison, and accuracy of a label on its matches."""

    n_gold: int
    n_predicted: int
    n_matched: int
    n_label_agree: int

    @property
    def precision(self) -> float:
        return self.n_matched / self.n_predicted if self.n_predicted else 0.0

    @property
    def recall(self) -> float:
        return self.n_matched / self.n_gold if self.n_gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def label_accuracy(self) -> float:
        """Relation accuracy for ties, direction accuracy for framing claims."""
        return self.n_label_agree / self.n_matched if self.n_matched else 0.0


LEVELS = {False: "province", True: "region"}  # a place id is a region's or not


@dataclass(frozen=True)
class Evaluation:
    """A set's scores (ties per language and overall, framing claims) and its error rows."""

    name: str
    ties: dict[str, Score]  # provinces: "en", "zh", "all"; and "regions", all languages
    framing: Score
    comparison: pd.DataFrame  # one row per tie on either side (compare_ties)
    framing_comparison: pd.DataFrame  # one row per claim on either side (compare_framing)


# --- reading a set --------------------------------------------------------------------------


def load_set(folder: Path | str) -> tuple[list[sources.Source], dict[str, str]]:
    """The set's manifest entries and each text's raw content, checked like any source."""
    folder = Path(folder)
    entries = sources.load_manifest(folder / "manifest.yaml", folder)
    return entries, {s.id: sources.read_text(s, folder) for s in entries}


def _read_csv(path: Path, columns: list[str]) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            if reader.fieldnames != columns:
                raise InputError(
                    path,
                    f"columns must be {','.join(columns)}, got {','.join(reader.fieldnames or [])}",
                )
            return list(reader)
    except FileNotFoundError:
        raise InputError(path, "gold file not found") from None
    except UnicodeDecodeError as exc:
        raise InputError(path, f"not valid UTF-8 at byte {exc.start}") from None


def _check_rows(
    path: Path,
    rows: list[dict[str, str]],
    key: list[str],
    texts: Mapping[str, str],
    allowed: Mapping[str, Iterable[str]],
) -> None:
    seen: set[tuple] = set()
    for line, row in enumerate(rows, start=2):
        if None in row or None in row.values():
            raise InputError(path, f"line {line}: expected {len(row) - (None in row)} fields")
        for column, values in allowed.items():
            if row[column] not in values:
                raise InputError(path, f"line {line}: unknown {column} '{row[column]}'")
        if row["text_id"] not in texts:
            raise InputError(
                path, f"line {line}: text_id '{row['text_id']}' is not in the manifest"
            )
        if not row["evidence"] or row["evidence"] not in texts[row["text_id"]]:
            raise InputError(
                path, f"line {line}: evidence not found in {row['text_id']}: '{row['evidence']}'"
            )
        ident = tuple(row[k] for k in key)
        if ident in seen:
            raise InputError(path, f"line {line}: duplicate row for {', '.join(ident)}")
        seen.add(ident)


def load_gold(folder: Path | str, texts: Mapping[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``gold_codings.csv`` and ``gold_framing.csv`` of a set, checked against its texts.

    Relations, directions and ``hedged`` must be known values, every evidence an exact piece of
    its text, and no tie or claim listed twice; place, sector and actor ids are free (the gold
    may use ids the codebook does not have yet: they then count as misses).
    """
    folder = Path(folder)
    path = folder / "gold_codings.csv"
    rows = _read_csv(path, GOLD_CODINGS_COLUMNS)
    _check_rows(path, rows, TIE_KEY, texts, {"relation": schemas.RELATION_RANK})
    ties = pd.DataFrame(rows, columns=GOLD_CODINGS_COLUMNS)

    path = folder / "gold_framing.csv"
    rows = _read_csv(path, GOLD_FRAMING_COLUMNS)
    _check_rows(
        path,
        rows,
        FRAMING_KEY,
        texts,
        {"direction": schemas.DIRECTIONS, "hedged": ("true", "false")},
    )
    claims = pd.DataFrame(rows, columns=GOLD_FRAMING_COLUMNS)
    claims["hedged"] = claims["hedged"] == "true"
    return ties, claims


# --- predicting ----------------------------------------------------------------------------


def predict(
    folder: Path | str,
    codebook_dir: Path | str | None = None,
    framing_path: Path | str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Ingest and code a set in memory: its codings and its framing claims, as the build would."""
    folder = Path(folder)
    tables = text.ingest(folder / "manifest.yaml", folder / "corrections.yaml", folder)
    codebook_dir = codebook_dir or catalogue.path("codebook")
    framing_path = framing_path or catalogue.path("framing_codebook")
    coded = coding.code_sentences(tables["sentences"], codebook_mod.load_codebook(codebook_dir))
    claims = framing.extract_claims(
        tables["sentences"], framing.load_framing_codebook(framing_path)
    )
    return coded["codings"], claims


def predicted_ties(codings: pd.DataFrame) -> pd.DataFrame:
    """Codings that are ties (rejected and non-asserted ones dropped: a negated or
    hypothetical statement, a caption, an event) as tie rows; the evidence is the coding's
    sentence."""
    kept = codings[(codings["status"] != "rejected") & (codings["modality"] == "asserted")]
    kept = kept.sort_values(["source_id", "start"], kind="stable")
    return pd.DataFrame(
        {
            "text_id": kept["source_id"],
            "place_id": kept["place_id"],
            "sector_id": kept["sector_id"],
            "relation": kept["relation"],
            "evidence": kept["evidence"],
        }
    ).reset_index(drop=True)


def predicted_framing(claims: pd.DataFrame) -> pd.DataFrame:
    """Comparative claims, one row per comparator; a claim naming no comparator is dropped."""
    rows = []
    for claim in claims.sort_values(["source_id", "start"], kind="stable").itertuples():
        named = claim.comparators if isinstance(claim.comparators, str) else ""
        for comparator in named.split(";"):
            if comparator:
                rows.append(
                    (
                        claim.source_id,
                        claim.actor,
                        comparator,
                        claim.dimension,
                        claim.direction,
                        bool(claim.hedged),
                        claim.evidence,
                    )
                )
    out = pd.DataFrame(rows, columns=GOLD_FRAMING_COLUMNS)
    return out.drop_duplicates(FRAMING_KEY, keep="first", ignore_index=True)


# --- reducing and comparing ----------------------------------------------------------------


def reduce_ties(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows of (text, place, sector, relation, evidence) -> one row per tie.

    A region is a place of its own level (CODING.md §1): its ties are compared as the region's,
    never as its members'. Each tie keeps its strongest relation (and the first evidence
    giving it); the catch-all sector is dropped for a (text, place) that has a more specific
    one. The same reduction is applied to the gold and to the predictions.
    """
    out = rows[TIE_COLUMNS].reset_index(drop=True)
    out["_rank"] = out["relation"].map(schemas.RELATION_RANK)
    out["_order"] = range(len(out))
    out = out.sort_values(["_rank", "_order"], kind="stable")  # strongest first
    out = out.drop_duplicates(TIE_KEY, keep="first")
    specific = out["sector_id"] != CATCH_ALL
    has_specific = specific.groupby([out["text_id"], out["place_id"]]).transform("any")
    out = out[specific | ~has_specific].drop(columns=["_rank", "_order"])
    return out.sort_values(TIE_KEY, kind="stable", ignore_index=True)


def _outer(gold: pd.DataFrame, predicted: pd.DataFrame, key: list[str], label: str) -> pd.DataFrame:
    both = gold[[*key, label, "evidence"]].merge(
        predicted[[*key, label, "evidence"]],
        on=key,
        how="outer",
        suffixes=("_gold", "_predicted"),
        indicator=True,
    )
    both["outcome"] = both.pop("_merge").map(
        {"both": "matched", "left_only": "missed", "right_only": "spurious"}
    )
    return both.sort_values(key, kind="stable", ignore_index=True)


def compare_ties(gold: pd.DataFrame, predicted: pd.DataFrame) -> pd.DataFrame:
    """Reduced gold and predicted ties side by side: outcome matched, missed or spurious."""
    return _outer(gold, predicted, TIE_KEY, "relation")


def compare_framing(gold: pd.DataFrame, predicted: pd.DataFrame) -> pd.DataFrame:
    """Gold and predicted comparisons side by side, on (text, actor, comparator, dimension)."""
    return _outer(gold, predicted, FRAMING_KEY, "direction")


def score(comparison: pd.DataFrame, label: str) -> Score:
    """Counts of a side-by-side comparison; ``label`` is the column whose agreement is scored."""
    outcome = comparison["outcome"]
    matched = comparison[outcome == "matched"]
    return Score(
        n_gold=int((outcome != "spurious").sum()),
        n_predicted=int((outcome != "missed").sum()),
        n_matched=len(matched),
        n_label_agree=int((matched[f"{label}_gold"] == matched[f"{label}_predicted"]).sum()),
    )


def evaluate(
    folder: Path | str,
    codebook_dir: Path | str | None = None,
    framing_path: Path | str | None = None,
) -> Evaluation:
    """Run a set through ingest and coding and score it against its gold."""
    folder = Path(folder)
    entries, texts = load_set(folder)
    gold_ties, gold_claims = load_gold(folder, texts)
    codebook_dir = codebook_dir or catalogue.path("codebook")
    codings, claims = predict(folder, codebook_dir, framing_path)
    comparison = compare_ties(reduce_ties(gold_ties), reduce_ties(predicted_ties(codings)))
    language = {s.id: s.language for s in entries}
    comparison.insert(1, "language", comparison["text_id"].map(language))
    regions = set(codebook_mod.load_codebook(codebook_dir).regions)
    comparison.insert(3, "level", comparison["place_id"].map(lambda p: LEVELS[p in regions]))
    # Provincial-level places are the places counted (CODING.md §1); regions apart.
    provinces = comparison[comparison["level"] == "province"]
    ties = {
        lang: score(provinces[provinces["language"] == lang], "relation") for lang in ("en", "zh")
    }
    ties["all"] = score(provinces, "relation")
    ties["regions"] = score(comparison[comparison["level"] == "region"], "relation")
    framing_comparison = compare_framing(gold_claims, predicted_framing(claims))
    return Evaluation(
        name=folder.name,
        ties=ties,
        framing=score(framing_comparison, "direction"),
        comparison=comparison,
        framing_comparison=framing_comparison,
    )


# --- printing ------------------------------------------------------------------------------


def summary_lines(result: Evaluation) -> list[str]:
    """One line per language and for the framing claims, as the test summary prints them."""
    lines = []
    for lang, s in result.ties.items():
        lines.append(
            f"{result.name} {lang}: P {s.precision:.2f} R {s.recall:.2f} F1 {s.f1:.2f} "
            f"relation-acc {s.label_accuracy:.2f} (gold {s.n_gold}, predicted {s.n_predicted}, "
            f"matched {s.n_matched})"
        )
    f = result.framing
    lines.append(
        f"{result.name} framing: P {f.precision:.2f} R {f.recall:.2f} F1 {f.f1:.2f} "
        f"direction-acc {f.label_accuracy:.2f} (gold {f.n_gold}, predicted {f.n_predicted}, "
        f"matched {f.n_matched})"
    )
    return lines


def relation_lines(result: Evaluation) -> list[str]:
    """Gold relation (rows) against coded relation (columns), all languages; "none" is a miss."""
    ties = result.comparison
    names = list(schemas.RELATIONS)
    table = pd.crosstab(
        ties["relation_gold"].fillna("none"), ties["relation_predicted"].fillna("none")
    ).reindex(index=[*names, "none"], columns=[*names, "none"], fill_value=0)
    width = max(len(n) for n in table.columns) + 2
    lines = [
        f"{result.name} relations, gold \\ coded".ljust(30)
        + "".join(f"{c:>{width}}" for c in table.columns)
    ]
    for gold, row in table.iterrows():
        lines.append(f"  {gold}".ljust(30) + "".join(f"{n:>{width}}" for n in row))
    return lines


def text_lines(result: Evaluation) -> list[str]:
    """One line of scores per text: where a set's errors come from."""
    lines = []
    provinces = result.comparison[result.comparison["level"] == "province"]
    for text_id, rows in provinces.groupby("text_id", sort=True):
        s = score(rows, "relation")
        lines.append(
            f"  {text_id} ({rows['language'].iloc[0]}): P {s.precision:.2f} R {s.recall:.2f} "
            f"F1 {s.f1:.2f} relation-acc {s.label_accuracy:.2f} "
            f"(gold {s.n_gold}, predicted {s.n_predicted}, matched {s.n_matched})"
        )
    return lines


def error_lines(result: Evaluation) -> list[str]:
    """Every missed, spurious or mislabelled tie and claim, per text, with its evidence."""
    lines = []
    ties = result.comparison
    wrong_relation = (ties["outcome"] == "matched") & (
        ties["relation_gold"] != ties["relation_predicted"]
    )
    ties = ties[(ties["outcome"] != "matched") | wrong_relation]
    claims = result.framing_comparison
    wrong_direction = (claims["outcome"] == "matched") & (
        claims["direction_gold"] != claims["direction_predicted"]
    )
    claims = claims[(claims["outcome"] != "matched") | wrong_direction]
    for text_id in sorted(set(ties["text_id"]) | set(claims["text_id"])):
        lines.append(f"== {text_id}")
        lines += _errors(ties[ties["text_id"] == text_id], "relation", "relation  ", _tie_name)
        lines += _errors(claims[claims["text_id"] == text_id], "direction", "direction ", _claim)
    return lines


def _tie_name(row) -> str:
    return f"{row.place_id} x {row.sector_id}"


def _claim(row) -> str:
    return f"framing {row.actor} vs {row.comparator} on {row.dimension}"


def _errors(rows: pd.DataFrame, label: str, wrong: str, name) -> list[str]:
    """One line per missed, spurious or mislabelled row (``label``: relation or direction)."""
    out = []
    for row in rows.itertuples():
        gold, coded = getattr(row, f"{label}_gold"), getattr(row, f"{label}_predicted")
        if row.outcome == "missed":
            out.append(f"  missed    {name(row)} ({gold}): {row.evidence_gold}")
        elif row.outcome == "spurious":
            out.append(f"  spurious  {name(row)} ({coded}): {row.evidence_predicted}")
        else:
            out.append(
                f"  {wrong}{name(row)}: gold {gold}, coded {coded}: {row.evidence_predicted}"
            )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.evaluation",
        description="Score the coding against hand-coded sets of texts and list its errors.",
    )
    parser.add_argument("folders", nargs="+", type=Path, help="set folders, e.g. tests/dev")
    parser.add_argument("--summary", action="store_true", help="scores only, no error listing")
    parser.add_argument("--per-text", action="store_true", help="also one line of scores a text")
    args = parser.parse_args(argv)
    try:
        results = [evaluate(folder) for folder in args.folders]
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for result in results:
        print("\n".join(summary_lines(result)))
    for result in results:
        if args.per_text:
            print(f"\n{result.name} by text:\n" + "\n".join(text_lines(result)))
        print("\n" + "\n".join(relation_lines(result)))
    if not args.summary:
        for result in results:
            print(f"\nErrors in {result.name}:")
            print("\n".join(error_lines(result)) or "  none")
    return 0


if __name__ == "__main__":
    sys.exit(main())
