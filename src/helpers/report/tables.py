"""The report's tables as Markdown, by file name: priorities by place, ties by how many
sources attest them, framing claims, the triangulation and its disagreements, corrections,
sources (with their chains) and the data dictionary. Every cell is escaped (``markdown``)."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from helpers import schemas
from helpers.compare import triangulation as compare
from helpers.report.corpus import source_chains
from helpers.report.markdown import markdown_table, top_rows
from helpers.report.wording import Labels, join_names, period_label, plural


def _compared_with(book, comparators, ranking) -> str:
    """'the United States and Europe', or with the claim's ranking kept: 'the United States
    and, above all, Europe' (the singled-out comparator is ranked first)."""
    named = [a for a in (comparators if isinstance(comparators, str) else "").split(";") if a]
    if not named:
        return "none named"
    if isinstance(ranking, str) and ranking:
        first = ranking.split(";")[0]
        others = [book.actor_in_text(a) for a in named if a != first]
        return f"{join_names(others)} and, above all, {book.actor_in_text(first)}"
    return join_names(book.actor_in_text(a) for a in named)


def _direction(book, actor: str, comparators, direction: str) -> str:
    """'China ahead', 'Europe and the United States ahead' or 'unclear'."""
    if direction == "actor_ahead":
        return f"{book.actor_in_text(actor)} ahead"
    if direction == "comparator_ahead":
        names = [book.actor_in_text(c) for c in (comparators or "").split(";") if c]
        return f"{join_names(names)} ahead"
    return direction


# Column headers of the triangulation table (the figure's legend has the full labels).
_SHORT_CLASS = {
    "agrees": "Agrees",
    "unconfirmed": "Unconfirmed",
    "omitted_by_article": "Omitted",
    "added_by_article": "Added",
    "misattributed": "Misattributed",
    "framing_agrees": "Framing kept",
    "framing_changed": "Framing changed",
    "framing_only_in_article": "Framing only",
    "framing_only_in_reference": "Framing dropped",
    "not_coded": "Not coded",
}


def report_tables(tables: Mapping[str, pd.DataFrame], codebook, framing_book) -> dict[str, str]:
    """Markdown tables for the report, by file name (without .md); ``tables`` are covered."""
    labels = Labels(codebook)
    summary, discrepancies = _triangulation(tables["triangulation"], labels)
    return {
        "priorities": _priorities(tables["ties"], tables["sources"], labels),
        "ties": _ties(tables["ties"], labels),
        "framing": _framing(tables["framing_claims"], tables["sentences"], framing_book),
        "triangulation": summary,
        "discrepancies": discrepancies,
        "framing_reference": _framing_reference(tables["triangulation"]),
        "corrections": markdown_table(
            tables["corrections_applied"],
            {
                "correction_id": "Id",
                "source_id": "Source",
                "action": "Action",
                "found": "Found",
                "replacement": "Stands as",
                "reason": "Why",
            },
            [3, 3, 2, 3, 3, 7],
        ),
        "sources": _sources(tables["sources"]),
        "data_dictionary": markdown_table(
            tables["data_dictionary"],
            {"table": "Table", "column": "Column", "dtype": "Type", "description": "Description"},
            [3, 3, 2, 10],
        ),
    }


def _place(labels: Labels, place_id) -> str:
    return labels.place(place_id, chinese=False) if isinstance(place_id, str) else "—"


def _priorities(ties: pd.DataFrame, sources: pd.DataFrame, labels: Labels) -> str:
    """Places, regions first, each with its sectors (relation, sources and agreement noted)."""
    several = (sources["kind"] != "reference").sum() > 1

    def item(row) -> str:
        notes = [] if row.relation == "priority" else [row.relation]
        if several:
            notes.append(plural(row.n_sources, "source"))
        if row.agreement in ("contradicted", "misattributed"):
            notes.append(row.agreement)
        name = labels.sector(row.sector_id)
        return f"{name} ({', '.join(notes)})" if notes else name

    by_place = (
        ties.assign(
            place=ties["place_id"].map(labels.place),
            level=ties["place_level"],
            item=[item(r) for r in ties.itertuples()],
            order=ties["relation"].map(schemas.RELATION_RANK),
            sources=ties["source_ids"].str.split(";"),
        )
        .sort_values(["place", "order", "item"])
        .groupby(["place", "level"], sort=False)
        .agg(
            sectors=("item", "; ".join),
            n=("item", "size"),
            source_ids=("sources", lambda s: "; ".join(sorted({x for ids in s for x in ids}))),
        )
        .reset_index()
        .sort_values(["level", "n", "place"], ascending=[False, False, True], kind="stable")
    )
    by_place, note = top_rows(
        by_place,
        "places",
        "ties",
        rule="regions before provinces, each by number of ties and then by name",
    )
    headers = {
        "place": "Province or region",
        "level": "Level",
        "n": "Ties",
        "sectors": "Sectors",
        "source_ids": "Sources",
    }
    return markdown_table(by_place, headers, [4, 2, 1, 8, 4]) + note


def _ties(ties: pd.DataFrame, labels: Labels) -> str:
    """Every tie, the best attested first, with its agreement and sources."""
    attested = ties.sort_values(
        ["n_sources", "place_id", "sector_id"], ascending=[False, True, True]
    ).assign(
        place=lambda d: d["place_id"].map(lambda p: _place(labels, p)),
        sector=lambda d: d["sector_id"].map(labels.sector),
        agreement_=lambda d: d["agreement"].str.replace("_", " "),
        sources=lambda d: d["source_ids"].str.replace(";", "; "),
    )
    attested, note = top_rows(
        attested,
        "ties",
        "ties",
        rule="by the number of sources that code them, then by place and sector",
        group="place_id",
        unit="place",
    )
    headers = {
        "place": "Place",
        "sector": "Sector",
        "relation": "Strongest relation",
        "n_sources": "Sources",
        "agreement_": "Agreement",
        "sources": "Source ids",
    }
    return markdown_table(attested, headers, [3, 3, 2, 1, 2, 6]) + note


def pdf_pages(sentences: pd.DataFrame) -> dict[str, int]:
    """Sentence id -> the PDF page it starts on, for the sentences of PDF sources."""
    if "page" not in sentences:
        return {}
    paged = sentences[sentences["page"].notna()]
    return dict(zip(paged["sentence_id"], paged["page"].astype(int), strict=True))


def _where(sentence_id: str, source_id: str, several: bool, pages: Mapping[str, int]) -> str:
    """A sentence as a reader finds it: its id (without the source's when there is one
    source), and the PDF page when the source is a PDF: 'p05:s02 (PDF page 3)'."""
    where = sentence_id if several else sentence_id.removeprefix(f"{source_id}:")
    page = pages.get(sentence_id)
    return where if page is None else f"{where} (PDF page {page})"


def _framing(claims: pd.DataFrame, sentences: pd.DataFrame, framing_book) -> str:
    """The framing claims in sentence order: compared with whom (ranking kept), direction,
    hedge and the evidence, with the PDF page of a PDF's sentence."""
    claims = claims.sort_values(["sentence_id", "dimension"])
    several_sources = claims["source_id"].nunique() > 1
    pages = pdf_pages(sentences)
    claims = claims.assign(
        where=[
            _where(sid, src, several_sources, pages)
            for sid, src in zip(claims["sentence_id"], claims["source_id"], strict=True)
        ],
        comparators_=[
            _compared_with(framing_book, comparators, ranking)
            for comparators, ranking in zip(claims["comparators"], claims["ranking"], strict=True)
        ],
        hedge=claims["hedged"].map({True: "hedged", False: "flat"}),
        direction_=[
            _direction(framing_book, actor, comparators, direction)
            for actor, comparators, direction in zip(
                claims["actor"], claims["comparators"], claims["direction"], strict=True
            )
        ],
        dimension_=claims["dimension"].map(framing_book.dimension_label),
    )
    claims, note = top_rows(
        claims,
        "framing claims",
        "framing_claims",
        rule="in the order of the sentences that make them",
        group="source_id",
        unit="source",
    )
    headers = {
        "where": "Sentence",
        "dimension_": "Dimension",
        "comparators_": "Compared with",
        "direction_": "Direction",
        "hedge": "Hedged",
        "evidence": "Evidence",
    }
    return markdown_table(claims, headers, [2, 3, 3, 2, 2, 10]) + note


def _triangulation(triangulation: pd.DataFrame, labels: Labels) -> tuple[str, str]:
    """The triangulation's counts by retelling and class, and its disagreements listed
    (misattributed, omitted and added ties, with the reference fact's text)."""
    tri = compare.ties(triangulation)
    tri = tri.assign(sector=tri["sector_id"].map(labels.sector))
    # framing has a table of its own (framing_reference)
    present = [
        c
        for c in compare.CLASS_LABELS
        if c in set(tri["class"]) and c not in compare.FRAMING_CLASSES
    ]
    summary = (
        tri.pivot_table(
            index="article_source_id",
            columns="class",
            values="n_rows",
            aggfunc="size",
            fill_value=0,
        )
        .reindex(columns=present, fill_value=0)
        .reset_index()
        .merge(
            tri.groupby("article_source_id")["reference_source_id"].first().reset_index(),
            on="article_source_id",
        )
    )
    problems = tri[tri["class"].isin(["misattributed", "omitted_by_article", "added_by_article"])]
    problems = problems.assign(
        class_=problems["class"].map(compare.CLASS_LABELS),
        article=problems["article_place_id"].map(lambda p: _place(labels, p)),
        primary=problems["reference_place_id"].map(lambda p: _place(labels, p)),
        fact=problems["fact_text"].fillna("—"),
    ).sort_values(["article_source_id", "class_", "sector", "article", "primary"])
    problems, note = top_rows(
        problems,
        "disagreements",
        "triangulation",
        rule="by retelling, class, sector and place",
        group="article_source_id",
        unit="retelling",
    )
    summary_md = markdown_table(
        summary,
        {
            "article_source_id": "Retelling",
            "reference_source_id": "Reference",
            **{c: _SHORT_CLASS[c] for c in present},
        },
        [3, 3] + [2] * len(present),
    )
    headers = {
        "article_source_id": "Retelling",
        "class_": "Class",
        "sector": "Sector",
        "article": "Retelling says",
        "primary": "Reference says",
        "fact": "Reference fact",
    }
    return summary_md, markdown_table(problems, headers, [3, 2, 3, 2, 2, 7]) + note


def _framing_reference(triangulation: pd.DataFrame) -> str:
    """Each retelling's comparative claims against its reference's own framing (kept, changed,
    the retelling's alone, dropped), with both sides' words."""
    rows = triangulation[triangulation["class"].isin(compare.FRAMING_CLASSES)]
    rows = rows.assign(
        class_=rows["class"].map(compare.CLASS_LABELS),
        order=rows["class"].map({c: i for i, c in enumerate(compare.FRAMING_CLASSES)}),
        said=rows["article_evidence"].fillna("—"),
        fact=[
            f"{f}: {t}" if isinstance(f, str) else "—"
            for f, t in zip(rows["fact_id"], rows["fact_text"], strict=True)
        ],
    ).sort_values(["article_source_id", "order", "row_id"], na_position="last")
    return markdown_table(
        rows,
        {
            "article_source_id": "Retelling",
            "class_": "Class",
            "note": "Comparison",
            "said": "The retelling's sentence",
            "fact": "The reference's fact",
        },
        [3, 2, 5, 5, 5],
    )


def _sources(sources: pd.DataFrame) -> str:
    """The sources with who wrote them (the chain) and their checksums."""
    # Ids, URLs and checksums wrap by layout (styles.typ, styles.css), never by inserted
    # characters, so what a reader copies out of the report is the id, URL or checksum.
    sources = sources.assign(
        outlet=source_chains(sources), period_=sources["period"].map(period_label)
    )
    headers = {
        "source_id": "Id",
        "outlet": "Written by",
        "date": "Published",
        "period_": "Period",
        "kind": "Kind",
        "language": "Lang",
        "url": "URL",
        "sha256": "SHA-256",
    }
    return markdown_table(sources, headers, [4, 3, 3, 2, 3, 2, 6, 4], links={"url": "url"})
