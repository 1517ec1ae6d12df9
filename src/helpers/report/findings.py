"""What the report says, computed from the tidy tables: key numbers and the report's tables.

The report's prose never types a number: it reads ``numbers.*`` from the YAML written here
(``{{< meta numbers.key >}}``), and its tables are Markdown files (``tables``). Every cell
that may hold text from a source goes through ``md_escape``, so a source cannot inject markup,
shortcodes or cross references into the report.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import yaml

from helpers import schemas
from helpers.compare import triangulation as compare
from helpers.engine import storage
from helpers.report import datapackage
from helpers.report.corpus import authors, corpus_numbers, corpus_sentences
from helpers.report.markdown import DATA_FOLDER, markdown_table, md_escape
from helpers.report.tables import report_tables
from helpers.report.titles import chart_titles
from helpers.report.wording import Labels, counted, join_names, noun, period_label, plural, verb


def _leaders(names: list[str], singular: str, plural: str, top: int) -> str:
    """'Shanghai names the most sectors (5)' / 'Anhui and Shanghai name ... (4 each)'."""
    if not names:
        return "none"
    if len(names) == 1:
        return f"{names[0]} {singular} ({top})"
    return f"{join_names(names)} {plural} ({top} each)"


_SELECTED = ("sources", "paragraphs", "sentences", "corrections_applied", "mentions", "codings")


def covered(tables: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The tables restricted to the sources the report covers (the ``selection`` table).

    Every finding, chart and table reads this one restriction; the compare stage already wrote
    the triangulation and the ties over the covered sources only.
    """
    selection = tables["selection"]
    chosen = set(selection.loc[selection["selected"], "source_id"])
    out = dict(tables)
    for name in (*_SELECTED, "framing_claims", "reference_codings", "tie_sources"):
        if name in out:
            out[name] = out[name][out[name]["source_id"].isin(chosen)].reset_index(drop=True)
    return out


def priority_counts(ties: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Priority sectors per province and provinces per priority sector: the one count behind
    every "most" the report states (key findings, chart titles, captions)."""
    provinces = ties[(ties["place_level"] == "province") & (ties["relation"] == "priority")]
    per_place = provinces.groupby("place_id")["sector_id"].nunique()
    per_sector = provinces.groupby("sector_id")["place_id"].nunique()
    order = {"ascending": [False, True]}
    per_place = per_place.rename("n").reset_index().sort_values(["n", "place_id"], **order)
    per_sector = per_sector.rename("n").reset_index().sort_values(["n", "sector_id"], **order)
    return per_place.set_index("place_id")["n"], per_sector.set_index("sector_id")["n"]


def leaders(counts: pd.Series) -> tuple[list[str], int]:
    """The ids with the highest count (sorted) and that count; ([], 0) when there is none."""
    if counts.empty:
        return [], 0
    top = int(counts.max())
    return sorted(counts[counts == top].index), top


def key_numbers(tables: Mapping[str, pd.DataFrame], codebook, framing_book) -> dict:
    """Every number (and data-derived phrase) the report's prose, chart titles and captions
    use, under ``numbers``. ``tables`` are the covered tables (``covered``)."""
    labels = Labels(codebook)
    sources, claims = tables["sources"], tables["framing_claims"]
    corpus = corpus_numbers(sources, tables["selection"])
    numbers = {
        **corpus,
        **_processing_numbers(tables, codebook),
        **_tie_numbers(tables["ties"], labels),
        **_agreement_numbers(tables["ties"], labels),
        **_framing_numbers(claims, framing_book),
        **_triangulation_numbers(tables["triangulation"], tables["reference_codings"], labels),
    }
    numbers.update(corpus_sentences(corpus, numbers))
    numbers["framing_outlets_phrase"] = _framing_outlets(claims, sources, framing_book)
    numbers["triangulation_sentence"] = _triangulation_sentence(numbers)
    numbers["periods_phrase"] = _period_leaders(tables["tie_sources"], sources, labels)
    return {"numbers": numbers, "titles": chart_titles(numbers, tables, framing_book)}


def _processing_numbers(tables: Mapping[str, pd.DataFrame], codebook) -> dict:
    """What ingest, the codebook and coding did: paragraphs, repairs, codebook sizes, codings."""
    sources, codings = tables["sources"], tables["codings"]
    corrections = tables["corrections_applied"]
    return {
        "n_paragraphs": int(sources.loc[sources["kind"] != "reference", "n_paragraphs"].sum()),
        "n_sentences": len(tables["sentences"]),
        "n_repairs": int((corrections["action"] == "repair").sum()),
        "n_kept_glitches": int((corrections["action"] == "keep").sum()),
        "codebook_places": len(codebook.places),
        "codebook_mainland": sum(p.type != "sar" for p in codebook.places.values()),
        "codebook_sars": sum(p.type == "sar" for p in codebook.places.values()),
        "codebook_regions": len(codebook.regions),
        "codebook_cities": len(codebook.cities),
        "codebook_categories": len(codebook.categories),
        "codebook_cues": len(codebook.cues.cues),
        "codebook_sectors": len(codebook.sectors),
        "codebook_technologies": len(codebook.technologies),
        "n_mentions": len(tables["mentions"]),
        "n_codings": int((codings["status"] != "rejected").sum()),
        "n_adjudicated": int((codings["status"] != "auto").sum()),
        "n_rejected": int((codings["status"] == "rejected").sum()),
        "n_added": int((codings["status"] == "added").sum()),
    }


def _tie_numbers(ties: pd.DataFrame, labels: Labels) -> dict:
    """The ties counted by level and relation, and which provinces and sectors lead."""
    priorities = ties[(ties["place_level"] == "province") & (ties["relation"] == "priority")]
    per_place, per_sector = priority_counts(ties)
    top_places, top_place_n = leaders(per_place)
    top_sectors, top_sector_n = leaders(per_sector)
    single = per_sector[per_sector == 1]

    def place(place_id):
        return labels.place(place_id, chinese=False)

    def bet(sector_id):
        (who,) = priorities.loc[priorities["sector_id"] == sector_id, "place_id"].unique()
        return f"{labels.sector(sector_id)} ({place(who)})"

    return {
        "n_ties": len(ties),
        "n_priority_ties": len(priorities),
        "n_achievement_ties": int((ties["relation"] == "achievement").sum()),
        "n_region_ties": int((ties["place_level"] == "region").sum()),
        "n_provinces_with_priority": int(priorities["place_id"].nunique()),
        "n_sectors_with_priority": int(priorities["sector_id"].nunique()),
        "top_places": join_names(place(p) for p in top_places),
        "top_place_sectors": top_place_n,
        "top_places_phrase": _leaders(
            [place(p) for p in top_places],
            "names the most sectors as priorities",
            "name the most sectors as priorities",
            top_place_n,
        ),
        "top_sectors": join_names(labels.sector(s) for s in top_sectors),
        "top_sector_provinces": top_sector_n,
        "top_sectors_phrase": _leaders(
            [labels.sector(s) for s in top_sectors],
            "is the sector most provinces name as a priority",
            "are the sectors most provinces name as a priority",
            top_sector_n,
        ),
        "n_single_province_sectors": len(single),
        "single_province_bets": join_names(bet(s) for s in sorted(single.index)) or "none",
    }


def _agreement_numbers(ties: pd.DataFrame, labels: Labels) -> dict:
    """How the sources agree on the ties: corroborated, contradicted, single-source."""
    agreement = ties["agreement"].value_counts()
    most = ties.sort_values(["n_sources", "place_id", "sector_id"], ascending=[False, True, True])
    best = most.iloc[0] if len(most) else None
    several = len(ties) and int(ties["n_sources"].max()) > 1  # some tie has two sources
    n_corroborated = int(agreement.get("corroborated", 0))
    best_tie = (
        f"{labels.place(best['place_id'], chinese=False)} and {labels.sector(best['sector_id'])}"
        if best is not None
        else "none"
    )
    return {
        "n_corroborated_ties": n_corroborated,
        "n_contradicted_ties": int(agreement.get("contradicted", 0)),
        "n_misattributed_only_ties": int(agreement.get("misattributed", 0)),
        "n_single_source_ties": int(agreement.get("single_source", 0)),
        "n_priority_ties_corroborated": int(
            ((ties["relation"] == "priority") & (ties["n_priority_sources"] > 1)).sum()
        ),
        "max_sources_per_tie": int(best["n_sources"]) if best is not None else 0,
        "best_attested_tie": best_tie,
        "agreement_sentence": (
            f"{counted(n_corroborated, 'tie', 'is')} attested by two or more sources (at most "
            f"{int(best['n_sources'])}, for {best_tie}), "
            f"{int(agreement.get('contradicted', 0))} contradicted (a priority in one source, "
            f"negated in another) and {int(agreement.get('single_source', 0))} named by a "
            f"single source."
            if several and best is not None
            else "Every tie comes from one source, so none is corroborated by another."
        ),
    }


def _framing_numbers(claims: pd.DataFrame, framing_book) -> dict:
    """The framing claims counted: comparative, hedged, against whom and on what."""
    comparative = claims[claims["comparative"]]
    comparators = sorted(
        {c for cell in comparative["comparators"].dropna() for c in cell.split(";") if c}
    )
    return {
        "n_framing_claims": len(claims),
        "n_comparative_claims": len(comparative),
        "n_hedged_comparative": int(comparative["hedged"].sum()),
        "n_flat_comparative": int((~comparative["hedged"]).sum()),
        "n_framing_sources": int(claims["source_id"].nunique()),
        "comparators": join_names(framing_book.actor_in_text(c) for c in comparators) or "none",
        "framing_dimensions": join_names(
            framing_book.dimension_label(d).lower()
            for d in framing_book.dimensions
            if d in set(comparative["dimension"])
        )
        or "no dimension",
    }


def _triangulation_numbers(tri: pd.DataFrame, reference: pd.DataFrame, labels: Labels) -> dict:
    """Each retelling against its reference, counted in ties (``compare.ties``) by class."""
    tied = compare.ties(tri)
    classes = tied["class"].value_counts()
    retellings = sorted(set(tri["article_source_id"].dropna()))
    n = len(retellings)

    def misattribution(r) -> str:
        text = (
            f"{labels.sector(r.sector_id)} given to "
            f"{labels.place(r.article_place_id, chinese=False)} where the reference names "
            f"{labels.place(r.reference_place_id, chinese=False)}"
        )
        return f"{text} ({r.article_source_id})" if n > 1 else text

    misattributed = tied[tied["class"] == "misattributed"]
    n_refs = int(tri["reference_source_id"].nunique())
    numbers = {
        "n_reference_facts": int(reference["fact_id"].nunique()),
        "n_reference_ties": int(reference["place_id"].notna().sum()),
        "n_retellings": n,
        "retellings_phrase": (
            "no text retells a reference source in this corpus"
            if not n
            else "one retelling is checked against its reference"
            if n == 1
            else f"{n} retellings are each checked against their reference"
        ),
        "misattributions": join_names(misattribution(r) for r in misattributed.itertuples())
        or "none",
        "triangulation_source_line": (
            f"{plural(n, 'retelling')} checked against {plural(n_refs, 'reference')}; listed "
            "in the appendix"
        ),
    }
    for cls in schemas.TRIANGULATION_CLASSES:
        numbers[f"tri_{cls}"] = int(classes.get(cls, 0))
    return numbers


def _triangulation_sentence(numbers: Mapping) -> str:
    """The key finding on retellings, worded for none, one or several."""
    n = numbers["n_retellings"]
    if n == 0:
        return "No text in this corpus retells a reference source, so none is checked."
    one = n == 1
    subject = "it agrees with its reference" if one else "together they agree with their references"
    counts = (
        f"{subject} on {numbers['tri_agrees']}, {verb(n, 'omits')} "
        f"{numbers['tri_omitted_by_article']}, {verb(n, 'adds')} "
        f"{numbers['tri_added_by_article']} and {verb(n, 'misattributes')} "
        f"{numbers['tri_misattributed']}"
    )
    text = (
        f"{'One retelling is' if one else f'{n} retellings are each'} checked against "
        f"{noun(n, 'its')} reference. Counted in ties of a place (or a general "
        f"statement) to a sector, {counts}"
    )
    if numbers["tri_misattributed"]:
        text += f": {numbers['misattributions']}"
    if numbers["tri_unconfirmed"]:
        met = numbers["tri_unconfirmed"]
        text += (
            f". {counted(met, 'more tie', 'meets')} only facts the reference "
            f"was rebuilt with from the retelling itself, which cannot confirm it"
        )
    return text + "."


def _period_leaders(tie_sources: pd.DataFrame, sources: pd.DataFrame, labels: Labels) -> str:
    """'By period, the most provinces name Semiconductors in 2025 (5), ...' (as a priority)."""
    period = dict(zip(sources["source_id"], sources["period"], strict=True))
    rows = tie_sources[
        (tie_sources["place_level"] == "province") & (tie_sources["relation"] == "priority")
    ]
    counts = rows.assign(period=rows["source_id"].map(period)).groupby(["period", "sector_id"])
    counts = counts["place_id"].nunique()
    parts = []
    for p, by_sector in counts.groupby(level=0, sort=True):
        top, n = leaders(by_sector.droplevel(0))
        parts.append(f"{join_names(labels.sector(s) for s in top)} in {period_label(p)} ({n})")
    if not parts:
        return "By period, no province names a priority"
    return "By period, the most provinces name " + join_names(parts)


def _framing_outlets(claims: pd.DataFrame, sources: pd.DataFrame, book) -> str:
    """'2 outlets compare China with the United States, 3 with Europe' (the outlets that wrote
    the claims: a translation carries the framing of the outlet it translates)."""
    outlet = authors(sources)
    against: dict[str, set] = {}
    for row in claims[claims["comparative"]].itertuples(index=False):
        for comparator in [c for c in str(row.comparators or "").split(";") if c]:
            against.setdefault(comparator, set()).add(outlet.get(row.source_id, row.source_id))
    if not against:
        return "No outlet compares China with another power"
    parts = [
        f"{plural(len(against[a]), 'outlet')} with {book.actor_in_text(a)}"
        for a in book.actors
        if a in against
    ]
    first, rest = parts[0], parts[1:]
    focal = book.actor_in_text(book.focal_actor)
    verb = "compares" if first.startswith("1 ") else "compare"
    return f"{first.replace(' with ', f' {verb} {focal} with ', 1)}" + "".join(
        f", {p}" for p in rest
    )


def write_report_inputs(
    tables: Mapping[str, pd.DataFrame],
    found: Mapping[str, Mapping],
    codebook,
    framing_book,
    folder: Path,
    captions: Mapping[str, str],
) -> None:
    """Write numbers.yml (``found``: the key numbers and chart titles from ``key_numbers``, and
    the figure captions) and tables/*.md for the report.

    Strings are Markdown-escaped: Quarto reads metadata values as Markdown.
    """
    meta = {group: dict(values) for group, values in found.items()}
    meta["captions"] = dict(captions)
    meta = {
        group: {k: md_escape(v) if isinstance(v, str) else v for k, v in values.items()}
        for group, values in meta.items()
    }
    storage.write_text(
        folder / "numbers.yml", yaml.safe_dump(meta, allow_unicode=True, sort_keys=True)
    )
    for name, text in report_tables(tables, codebook, framing_book).items():
        storage.write_text(folder / "tables" / f"{name}.md", text)
    datapackage.write_data_package(tables, folder / DATA_FOLDER)
    files = datapackage.files_table(tables).assign(
        rows=lambda d: d["rows"].map(lambda n: "" if pd.isna(n) else f"{int(n):,}"),
        link=lambda d: f"{DATA_FOLDER}/" + d["file"],
        file=lambda d: f"{DATA_FOLDER}/" + d["file"],
    )
    storage.write_text(
        folder / "tables" / "data_files.md",
        markdown_table(
            files,
            {"file": "File", "rows": "Rows", "description": "What it holds"},
            [3, 1, 8],
            file_links={"file": "link"},
        ),
    )
