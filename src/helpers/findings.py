"""What the report says, computed from the tidy tables: key numbers and the report's tables.

The report's prose never types a number: it reads ``numbers.*`` from the YAML written here
(``{{< meta numbers.key >}}``), and its tables are Markdown files generated here. Every cell
that may hold text from a source goes through ``md_escape``, so a source cannot inject markup,
shortcodes or cross references into the report.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import yaml

from helpers import compare, schemas, storage
from helpers.escape import markdown_cell

RELATION_ORDER = {"priority": 0, "achievement": 1, "context": 2}


def md_escape(value) -> str:
    """Text made safe for a Markdown table cell (any source text goes through this)."""
    return markdown_cell(value)


def markdown_table(
    df: pd.DataFrame, headers: Mapping[str, str], widths: list[int] | None = None
) -> str:
    """A pipe table of ``df``'s columns named in ``headers`` (column -> header), every cell
    and header escaped (``escape.markdown_cell``).

    ``widths`` are relative column widths: pandoc reads them from the dashes of the rule
    line when a table has long rows, which keeps evidence columns wide in the PDF.
    """
    widths = widths or [1] * len(headers)
    head = "| " + " | ".join(md_escape(h) for h in headers.values()) + " |"
    rule = "|" + "|".join("-" * (4 * w) for w in widths) + "|"
    rows = [
        "| " + " | ".join(md_escape(row[c]) for c in headers) + " |" for _, row in df.iterrows()
    ]
    return "\n".join([head, rule, *rows]) + "\n"


class Labels:
    """Display names from the codebook: 'Shanghai (上海)', 'Semiconductors', 'Pearl River Delta'."""

    def __init__(self, codebook):
        self.codebook = codebook

    def place(self, place_id: str | None, *, chinese: bool = True) -> str:
        if place_id is None or pd.isna(place_id) or place_id == "":
            return "(general)"
        entry = self.codebook.places.get(place_id) or self.codebook.regions.get(place_id)
        if entry is None:
            return place_id
        return f"{entry.name_en} ({entry.name_zh})" if chinese else entry.name_en

    def sector(self, sector_id: str | None) -> str:
        if sector_id is None or pd.isna(sector_id) or sector_id == "":
            return "(no sector)"
        return self.codebook.sectors[sector_id].name_en


def join_names(items) -> str:
    """'A', 'A and B', 'A, B and C': a list read as prose (titles, captions, key numbers)."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _leaders(names: list[str], singular: str, plural: str, counts: pd.Series) -> str:
    """'Shanghai names the most sectors (5)' / 'Anhui and Shanghai name ... (4 each)'."""
    if not names:
        return "none"
    top = int(counts.max())
    if len(names) == 1:
        return f"{names[0]} {singular} ({top})"
    return f"{join_names(names)} {plural} ({top} each)"


def key_numbers(tables: Mapping[str, pd.DataFrame], codebook, framing_book) -> dict:
    """Every number (and data-derived phrase) the report's prose uses, under ``numbers``."""
    labels = Labels(codebook)

    def place(place_id):
        return labels.place(place_id, chinese=False)

    sources, sentences = tables["sources"], tables["sentences"]
    corrections, codings = tables["corrections_applied"], tables["codings"]
    matrix, claims = tables["priority_matrix"], tables["framing_claims"]
    reference, tri = tables["reference_codings"], tables["triangulation"]

    kept = codings[codings["status"] != "rejected"]
    provinces = matrix[(matrix["place_level"] == "province")]
    priorities = provinces[provinces["relation"] == "priority"]
    per_place = (
        priorities.groupby("place_id")["sector_id"]
        .nunique()
        .sort_values(ascending=False, kind="stable")
    )
    per_sector = (
        priorities.groupby("sector_id")["place_id"]
        .nunique()
        .sort_values(ascending=False, kind="stable")
    )
    top_places = per_place[per_place == per_place.max()].index if len(per_place) else []
    top_sectors = per_sector[per_sector == per_sector.max()].index if len(per_sector) else []
    single = per_sector[per_sector == 1]
    comparative = claims[claims["comparative"]]
    comparators = sorted(
        {c for cell in comparative["comparators"].dropna() for c in cell.split(";") if c}
    )
    tied = compare.ties(tri)
    classes = tied["class"].value_counts()
    misattributed = tied[tied["class"] == "misattributed"]
    text_sources = sources[sources["kind"] != "reference"]

    numbers = {
        "n_sources": len(sources),
        "n_text_sources": len(text_sources),
        "n_reference_sources": int((sources["kind"] == "reference").sum()),
        "n_paragraphs": int(text_sources["n_paragraphs"].sum()),
        "n_sentences": len(sentences),
        "n_repairs": int((corrections["action"] == "repair").sum()),
        "n_kept_glitches": int((corrections["action"] == "keep").sum()),
        "codebook_places": len(codebook.places),
        "codebook_mainland": sum(p.type != "sar" for p in codebook.places.values()),
        "codebook_sars": sum(p.type == "sar" for p in codebook.places.values()),
        "codebook_regions": len(codebook.regions),
        "codebook_sectors": len(codebook.sectors),
        "codebook_technologies": len(codebook.technologies),
        "n_mentions": len(tables["mentions"]),
        "n_codings": len(kept),
        "n_adjudicated": int((codings["status"] != "auto").sum()),
        "n_rejected": int((codings["status"] == "rejected").sum()),
        "n_added": int((codings["status"] == "added").sum()),
        "n_ties": len(matrix),
        "n_priority_ties": int((provinces["relation"] == "priority").sum()),
        "n_achievement_ties": int((matrix["relation"] == "achievement").sum()),
        "n_region_ties": int((matrix["place_level"] == "region").sum()),
        "n_provinces_with_priority": int(priorities["place_id"].nunique()),
        "n_sectors_with_priority": int(priorities["sector_id"].nunique()),
        "top_places": join_names(labels.place(p, chinese=False) for p in top_places),
        "top_place_sectors": int(per_place.max()) if len(per_place) else 0,
        "top_places_phrase": _leaders(
            [labels.place(p, chinese=False) for p in top_places],
            "names the most sectors",
            "name the most sectors",
            per_place,
        ),
        "top_sectors": join_names(labels.sector(s) for s in top_sectors),
        "top_sector_provinces": int(per_sector.max()) if len(per_sector) else 0,
        "top_sectors_phrase": _leaders(
            [labels.sector(s) for s in top_sectors],
            "is the sector most provinces name",
            "are the sectors most provinces name",
            per_sector,
        ),
        "n_single_province_sectors": len(single),
        "single_province_bets": join_names(
            f"{labels.sector(s)} ({labels.place(priorities.loc[priorities['sector_id'] == s, 'place_id'].iloc[0], chinese=False)})"  # noqa: E501
            for s in single.index
        ),
        "n_framing_claims": len(claims),
        "n_comparative_claims": len(comparative),
        "n_hedged_comparative": int(comparative["hedged"].sum()),
        "n_flat_comparative": int((~comparative["hedged"]).sum()),
        "comparators": join_names(framing_book.actor_in_text(c) for c in comparators),
        "framing_dimensions": join_names(
            framing_book.dimension_label(d).lower()
            for d in framing_book.dimensions
            if d in set(comparative["dimension"])
        ),
        "n_reference_facts": int(reference["fact_id"].nunique()),
        "n_reference_ties": int(reference["place_id"].notna().sum()),
        "misattributions": join_names(
            f"{labels.sector(r.sector_id)} given to {place(r.article_place_id)} where the "
            f"primary names {place(r.reference_place_id)}"
            for r in misattributed.itertuples()
        ),
    }
    for cls in schemas.TRIANGULATION_CLASSES:
        numbers[f"tri_{cls}"] = int(classes.get(cls, 0))
    return {"numbers": numbers}


def _direction(book, actor: str, comparators, direction: str) -> str:
    """'China ahead', 'Europe and the United States ahead' or 'unclear'."""
    if direction == "actor_ahead":
        return f"{book.actor_in_text(actor)} ahead"
    if direction == "comparator_ahead":
        names = [book.actor_in_text(c) for c in (comparators or "").split(";") if c]
        return f"{join_names(names)} ahead"
    return direction


def report_tables(tables: Mapping[str, pd.DataFrame], codebook, framing_book) -> dict[str, str]:
    """Markdown tables for the report, by file name (without .md)."""
    labels = Labels(codebook)

    def place(place_id) -> str:
        return labels.place(place_id, chinese=False) if isinstance(place_id, str) else "—"

    matrix = tables["priority_matrix"]
    by_place = (
        matrix.assign(
            place=matrix["place_id"].map(labels.place),
            level=matrix["place_level"],
            item=[
                f"{labels.sector(s)}{'' if r == 'priority' else f' ({r})'}"
                for s, r in zip(matrix["sector_id"], matrix["relation"], strict=True)
            ],
            order=matrix["relation"].map(RELATION_ORDER),
        )
        .sort_values(["place", "order", "item"])
        .groupby(["place", "level"], sort=False)
        .agg(sectors=("item", "; ".join), n=("item", "size"))
        .reset_index()
        .sort_values(["level", "n", "place"], ascending=[False, False, True], kind="stable")
    )
    claims = tables["framing_claims"].sort_values(["sentence_id", "dimension"])
    several_sources = claims["source_id"].nunique() > 1
    claims = claims.assign(
        where=[
            sid if several_sources else sid.removeprefix(f"{src}:")
            for sid, src in zip(claims["sentence_id"], claims["source_id"], strict=True)
        ],
        comparators_=claims["comparators"]
        .fillna("")
        .map(
            lambda c: (
                join_names(framing_book.actor_in_text(a) for a in c.split(";") if a) or "none named"
            )
        ),
        hedge=claims["hedged"].map({True: "hedged", False: "flat"}),
        direction_=[
            _direction(framing_book, actor, comparators, direction)
            for actor, comparators, direction in zip(
                claims["actor"], claims["comparators"], claims["direction"], strict=True
            )
        ],
        dimension_=claims["dimension"].map(framing_book.dimension_label),
    )
    tri = compare.ties(tables["triangulation"])
    tri = tri.assign(sector=tri["sector_id"].map(labels.sector))
    summary = (
        tri.pivot_table(
            index="sector", columns="class", values="n_rows", aggfunc="size", fill_value=0
        )
        .reindex(columns=[c for c in compare.CLASS_LABELS if c in set(tri["class"])], fill_value=0)
        .reset_index()
    )
    problems = tri[tri["class"].isin(["misattributed", "omitted_by_article", "added_by_article"])]
    problems = problems.assign(
        class_=problems["class"].map(compare.CLASS_LABELS),
        article=problems["article_place_id"].map(place),
        primary=problems["reference_place_id"].map(place),
        fact=problems["fact_text"].fillna("—"),
    ).sort_values(["class_", "sector", "article", "primary"])
    # A SHA-256 cannot wrap in a PDF cell; in two halves it fits (read them as one string).
    sources = tables["sources"].assign(
        sha=tables["sources"]["sha256"].map(lambda h: f"{h[:32]} {h[32:]}")
    )
    return {
        "priorities": markdown_table(
            by_place,
            {"place": "Province or region", "level": "Level", "n": "Ties", "sectors": "Sectors"},
            [4, 2, 1, 9],
        ),
        "framing": markdown_table(
            claims,
            {
                "where": "Sentence",
                "dimension_": "Dimension",
                "comparators_": "Compared with",
                "direction_": "Direction",
                "hedge": "Hedged",
                "evidence": "Evidence",
            },
            [2, 3, 3, 2, 2, 10],
        ),
        "triangulation": markdown_table(
            summary,
            {
                "sector": "Sector",
                **{c: label for c, label in compare.CLASS_LABELS.items() if c in summary.columns},
            },
            [4] + [1] * (len(summary.columns) - 1),
        ),
        "discrepancies": markdown_table(
            problems,
            {
                "class_": "Class",
                "sector": "Sector",
                "article": "Article",
                "primary": "Primary",
                "fact": "Primary source's fact",
            },
            [2, 3, 2, 2, 8],
        ),
        "corrections": markdown_table(
            tables["corrections_applied"],
            {
                "correction_id": "Id",
                "action": "Action",
                "found": "Found",
                "replacement": "Stands as",
                "reason": "Why",
            },
            [3, 1, 3, 3, 8],
        ),
        "sources": markdown_table(
            sources,
            {
                "source_id": "Id",
                "outlet": "Outlet",
                "date": "Date",
                "kind": "Kind",
                "language": "Lang.",
                "sha": "SHA-256 (two halves)",
            },
            [4, 4, 2, 2, 1, 6],
        ),
        "data_dictionary": markdown_table(
            tables["data_dictionary"],
            {"table": "Table", "column": "Column", "dtype": "Type", "description": "Description"},
            [3, 3, 2, 10],
        ),
    }


def provenance_markdown(record: Mapping) -> str:
    """The run's parameters, versions and commit as a Markdown table for the appendix."""
    rows = [("Git commit", record["commit"]), ("Python", record["python"])]
    rows += [(f"{name}", version) for name, version in sorted(record["packages"].items())]
    rows += [
        (f"Parameter {stage}.{k}", v)
        for stage, params in sorted(record["parameters"].items())
        for k, v in sorted(params.items())
    ]
    rows += [
        ("Renderer", record.get("renderer", "")),
        ("SOURCE_DATE_EPOCH", record.get("source_date_epoch", "")),
    ]
    return markdown_table(
        pd.DataFrame(rows, columns=["what", "value"]), {"what": "What", "value": "Value"}, [2, 5]
    )


def write_report_inputs(
    tables: Mapping[str, pd.DataFrame],
    codebook,
    framing_book,
    folder: Path,
    captions: Mapping[str, str],
) -> None:
    """Write numbers.yml (key numbers and figure captions) and tables/*.md for the report.

    Strings are Markdown-escaped: Quarto reads metadata values as Markdown.
    """
    meta = key_numbers(tables, codebook, framing_book)
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
