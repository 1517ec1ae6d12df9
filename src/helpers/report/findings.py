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

from helpers import schemas
from helpers.compare import triangulation as compare
from helpers.engine import escape, storage
from helpers.engine.escape import markdown_cell
from helpers.report import datapackage

# The folder of report/_generated/ that the build copies next to the report, under the same
# name (_quarto.yml's report-data): the shipped tables as CSV and their datapackage.json.
DATA_FOLDER = "data"


def md_escape(value) -> str:
    """Text made safe for a Markdown table cell (any source text goes through this)."""
    return markdown_cell(value)


def markdown_table(
    df: pd.DataFrame,
    headers: Mapping[str, str],
    widths: list[int] | None = None,
    *,
    links: Mapping[str, str] | None = None,
    file_links: Mapping[str, str] | None = None,
) -> str:
    """A pipe table of ``df``'s columns named in ``headers`` (column -> header), every cell
    and header escaped (``escape.markdown_cell``).

    ``widths`` are relative column widths: pandoc reads them from the dashes of the rule
    line when a table has long rows, which keeps evidence columns wide in the PDF.
    ``links`` maps a column to the column holding its cells' URLs: each such cell links
    there (``escape.markdown_link``: http and https only); ``file_links`` likewise to a file
    shipped next to the report (``escape.markdown_file_link``: plain relative paths only).
    """
    links, file_links = links or {}, file_links or {}

    def cell(row, column):
        if column in links:
            return escape.markdown_link(row[column], row[links[column]])
        if column in file_links:
            return escape.markdown_file_link(row[column], row[file_links[column]])
        return row[column]

    rows = [[cell(row, c) for c in headers] for _, row in df.iterrows()]
    return escape.markdown_table(rows, list(headers.values()), widths)


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


def _leaders(names: list[str], singular: str, plural: str, top: int) -> str:
    """'Shanghai names the most sectors (5)' / 'Anhui and Shanghai name ... (4 each)'."""
    if not names:
        return "none"
    if len(names) == 1:
        return f"{names[0]} {singular} ({top})"
    return f"{join_names(names)} {plural} ({top} each)"


def plural(n: int, word: str, plural: str | None = None) -> str:
    """ "1 source", "3 sources" (``plural`` for irregular forms)."""
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def period_label(period: str) -> str:
    """'2025', '2026–30' (an en dash, the second year shortened when the century is shared)."""
    first, _, last = period.partition("-")
    if not last:
        return first
    return f"{first}–{last[2:] if first[:2] == last[:2] else last}"


# a source's language, and the languages its originals were written in (else the ISO code)
_LANGUAGE_NAMES = {
    "en": "English",
    "zh": "Chinese",
    "it": "Italian",
    "fr": "French",
    "de": "German",
    "es": "Spanish",
    "ja": "Japanese",
}
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


def _corpus(sources: pd.DataFrame, selection: pd.DataFrame) -> dict:
    """What the sources are: counts by kind and language, outlets, dates and periods."""
    texts = sources[sources["kind"] != "reference"]
    kinds = sources["kind"].value_counts()
    languages = texts["language"].value_counts()
    periods = sorted(set(sources["period"]))
    all_periods = sorted(set(selection["period"]))
    years = [int(y) for p in periods for y in p.split("-")]
    span = period_label(f"{min(years)}-{max(years)}") if min(years) != max(years) else str(years[0])
    n, n_all = len(sources), len(selection)
    period_list = join_names(period_label(p) for p in periods)
    if n == n_all:
        whole = {1: "the one source", 2: "both sources"}.get(n, f"all {n} sources")
        coverage = (
            f"{whole} of the manifest, {'period' if len(periods) == 1 else 'periods'} {period_list}"
        )
    else:
        coverage = (
            f"{n} of the manifest's {plural(n_all, 'source')}, "
            f"{'period' if len(periods) == 1 else 'periods'} {period_list} "
            f"(of {join_names(period_label(p) for p in all_periods)})"
        )
    lang_phrase = join_names(
        f"{_LANGUAGE_NAMES.get(code, code)} ({count})" for code, count in languages.items()
    )
    kind_phrase = join_names(
        plural(int(kinds[k]), f"{k} source")
        for k in ("primary", "secondary", "reference")
        if k in kinds
    )
    dates = sorted(sources["date"])
    return {
        "n_sources": n,
        "n_manifest_sources": n_all,
        "n_text_sources": len(texts),
        "n_primary_sources": int(kinds.get("primary", 0)),
        "n_secondary_sources": int(kinds.get("secondary", 0)),
        "n_reference_sources": int(kinds.get("reference", 0)),
        "n_languages": len(languages),
        "languages": lang_phrase,
        "kinds": kind_phrase,
        "n_outlets": int(sources["outlet"].nunique()),
        "date_first": dates[0] if dates else "",
        "date_last": dates[-1] if dates else "",
        "periods": period_list,
        "period_span": span,
        "coverage": coverage,
        "source_line": f"{plural(n, 'source')}, {span}; listed in the appendix",
        "n_text_kinds": int(texts["kind"].nunique()),
        "n_periods": len(set(texts["period"])),
        "several_sources": len(texts) > 1,
    }


def _sentences(c: dict, numbers: dict) -> dict:
    """Sentences whose wording depends on the corpus (one text or many, languages, kinds)."""
    n_texts = c["n_text_sources"]
    corpus = (
        f"The report covers {c['coverage']}: {c['kinds']}, from "
        f"{plural(c['n_outlets'], 'outlet')}, published between {c['date_first']} and "
        f"{c['date_last']}. "
        + (
            f"The text is in {c['languages'].split(' (')[0]}."
            if n_texts == 1
            else f"{'Both' if n_texts == 2 else f'All {n_texts}'} texts are in "
            f"{c['languages'].split(' (')[0]}."
            if c["n_languages"] == 1
            else f"The {n_texts} texts are in {c['languages']}."
        )
    )
    reference = (
        f"Each reference source is kept as data: its claims coded by hand, one row per claim "
        f"({numbers['n_reference_facts']} facts in all)."
        if c["n_reference_sources"]
        else "No reference source is present, so no text is checked against another."
    )
    differ = [w for w, n in (("kinds", c["n_text_kinds"]), ("periods", c["n_periods"])) if n > 1]
    pooled = f"{n_texts} texts" + (f" of different {' and '.join(differ)}" if differ else "")
    with_refs = (
        " and the hand-coded facts of "
        + plural(c["n_reference_sources"], "reference")
        + " (a source of the ties their facts of high confidence attest)"
        if c["n_reference_sources"]
        else ""
    )
    if n_texts == 1 and not numbers["n_corroborated_ties"]:
        limit_sources = (
            f"The report rests on one text{with_refs}; every tie is a single source's, and "
            "counts compare how often that text names provinces and sectors."
        )
    else:
        limit_sources = (
            f"The report pools {'one text' if n_texts == 1 else pooled}{with_refs}; "
            f"{numbers['n_single_source_ties']} of {numbers['n_ties']} ties rest on a single "
            f"source, and a tie named by more sources is better attested, not larger."
        )
    if c["n_languages"] > 1:
        limit_language = (
            f"The texts are in {c['languages']}; the codebook matches both languages, and a "
            f"variant it lacks in one language is missed in that language only."
        )
    else:
        language = c["languages"].split(" (")[0] or "one language"
        limit_language = (
            f"Every text is in {language}; terms the codebook lacks are missed, so a tie "
            f"absent here may still be in the sources."
        )
    if c["n_primary_sources"]:
        limit_primary = (
            f"{plural(c['n_primary_sources'], 'primary text is', 'primary texts are')} "
            f"present; the other texts retell or comment on others."
        )
    else:
        limit_primary = (
            "No primary text is present: the texts retell or comment on others, and a "
            "reference source survives only as facts coded by hand."
        )
    n_framing = numbers["n_framing_sources"]
    framing_who = "the text" if n_texts == 1 else f"{n_framing} of the {n_texts} texts"
    one = n_texts == 1 or n_framing == 1
    return {
        "texts_tie": "The text ties" if n_texts == 1 else "The texts tie",
        "framing_makes": f"{framing_who[:1].upper()}{framing_who[1:]} make{'s' if one else ''}",
        "framing_compares": f"{framing_who} compare{'s' if one else ''}",
        "corpus_sentence": corpus,
        "reference_sentence": reference,
        "limit_sources": limit_sources,
        "limit_language": limit_language,
        "limit_primary": limit_primary,
    }


def key_numbers(tables: Mapping[str, pd.DataFrame], codebook, framing_book) -> dict:
    """Every number (and data-derived phrase) the report's prose, chart titles and captions
    use, under ``numbers``. ``tables`` are the covered tables (``covered``)."""
    labels = Labels(codebook)

    def place(place_id):
        return labels.place(place_id, chinese=False)

    sources, sentences = tables["sources"], tables["sentences"]
    corrections, codings = tables["corrections_applied"], tables["codings"]
    ties, claims = tables["ties"], tables["framing_claims"]
    reference, tri = tables["reference_codings"], tables["triangulation"]
    corpus = _corpus(sources, tables["selection"])

    kept = codings[codings["status"] != "rejected"]
    provinces = ties[ties["place_level"] == "province"]
    priorities = provinces[provinces["relation"] == "priority"]
    per_place, per_sector = priority_counts(ties)
    top_places, top_place_n = leaders(per_place)
    top_sectors, top_sector_n = leaders(per_sector)
    single = per_sector[per_sector == 1]
    comparative = claims[claims["comparative"]]
    comparators = sorted(
        {c for cell in comparative["comparators"].dropna() for c in cell.split(";") if c}
    )
    tied = compare.ties(tri)
    classes = tied["class"].value_counts()
    misattributed = tied[tied["class"] == "misattributed"]
    text_sources = sources[sources["kind"] != "reference"]
    retellings = sorted(set(tri["article_source_id"].dropna()))
    agreement = ties["agreement"].value_counts()
    most = ties.sort_values(["n_sources", "place_id", "sector_id"], ascending=[False, True, True])
    best = most.iloc[0] if len(most) else None
    several = len(ties) and int(ties["n_sources"].max()) > 1  # some tie has two sources

    def bet(sector_id):
        (who,) = priorities.loc[priorities["sector_id"] == sector_id, "place_id"].unique()
        return f"{labels.sector(sector_id)} ({place(who)})"

    def misattribution(r) -> str:
        text = (
            f"{labels.sector(r.sector_id)} given to {place(r.article_place_id)} where the "
            f"reference names {place(r.reference_place_id)}"
        )
        return f"{text} ({r.article_source_id})" if len(retellings) > 1 else text

    numbers = {
        **{k: v for k, v in corpus.items() if k != "several_sources"},
        "n_paragraphs": int(text_sources["n_paragraphs"].sum()),
        "n_sentences": len(sentences),
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
        "n_codings": len(kept),
        "n_adjudicated": int((codings["status"] != "auto").sum()),
        "n_rejected": int((codings["status"] == "rejected").sum()),
        "n_added": int((codings["status"] == "added").sum()),
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
        "n_corroborated_ties": int(agreement.get("corroborated", 0)),
        "n_contradicted_ties": int(agreement.get("contradicted", 0)),
        "n_misattributed_only_ties": int(agreement.get("misattributed", 0)),
        "n_single_source_ties": int(agreement.get("single_source", 0)),
        "n_priority_ties_corroborated": int(
            ((ties["relation"] == "priority") & (ties["n_priority_sources"] > 1)).sum()
        ),
        "max_sources_per_tie": int(best["n_sources"]) if best is not None else 0,
        "best_attested_tie": (
            f"{place(best['place_id'])} and {labels.sector(best['sector_id'])}"
            if best is not None
            else "none"
        ),
        "agreement_sentence": (
            f"{plural(int(agreement.get('corroborated', 0)), 'tie is', 'ties are')} attested "
            f"by two or more sources (at most {int(best['n_sources'])}, for "
            f"{place(best['place_id'])} and {labels.sector(best['sector_id'])}), "
            f"{int(agreement.get('contradicted', 0))} contradicted (a priority in one source, "
            f"negated in another) and {int(agreement.get('single_source', 0))} named by a "
            f"single source."
            if several and best is not None
            else "Every tie comes from one source, so none is corroborated by another."
        ),
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
        "n_reference_facts": int(reference["fact_id"].nunique()),
        "n_reference_ties": int(reference["place_id"].notna().sum()),
        "n_retellings": len(retellings),
        "retellings_phrase": (
            "no text retells a reference source in this corpus"
            if not retellings
            else "one retelling is checked against its reference"
            if len(retellings) == 1
            else f"{len(retellings)} retellings are each checked against their reference"
        ),
        "misattributions": join_names(misattribution(r) for r in misattributed.itertuples())
        or "none",
    }
    for cls in schemas.TRIANGULATION_CLASSES:
        numbers[f"tri_{cls}"] = int(classes.get(cls, 0))
    numbers.update(_sentences(corpus, numbers))
    numbers["framing_outlets_phrase"] = _framing_outlets(claims, sources, framing_book)
    numbers["triangulation_sentence"] = _triangulation_sentence(numbers)
    n_refs = int(tri["reference_source_id"].nunique())
    numbers["triangulation_source_line"] = (
        f"{plural(len(retellings), 'retelling')} checked against "
        f"{plural(n_refs, 'reference')}; listed in the appendix"
    )
    numbers["periods_phrase"] = _period_leaders(tables["tie_sources"], sources, labels)
    return {"numbers": numbers, "titles": chart_titles(numbers, tables, framing_book)}


def _triangulation_sentence(numbers: Mapping) -> str:
    """The key finding on retellings, worded for none, one or several."""
    n = numbers["n_retellings"]
    if n == 0:
        return "No text in this corpus retells a reference source, so none is checked."
    one = n == 1
    counts = (
        f"{'it agrees with its reference' if one else 'together they agree with their references'}"
        f" on {numbers['tri_agrees']}, omit{'s' if one else ''} "
        f"{numbers['tri_omitted_by_article']}, add{'s' if one else ''} "
        f"{numbers['tri_added_by_article']} and misattribute{'s' if one else ''} "
        f"{numbers['tri_misattributed']}"
    )
    text = (
        f"{'One retelling is' if one else f'{n} retellings are each'} checked against "
        f"{'its' if one else 'their'} reference. Counted in ties of a place (or a general "
        f"statement) to a sector, {counts}"
    )
    if numbers["tri_misattributed"]:
        text += f": {numbers['misattributions']}"
    if numbers["tri_unconfirmed"]:
        met = numbers["tri_unconfirmed"]
        text += (
            f". {plural(met, 'more tie meets', 'more ties meet')} only facts the reference "
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


def authors(sources: pd.DataFrame) -> dict[str, str]:
    """Source id -> the outlet whose words (and framing) the text carries (CODING.md §7): the
    original's outlet for a translation or republication, else the outlet itself."""
    return dict(zip(sources["source_id"], sources["author_outlet"], strict=True))


def source_chains(sources: pd.DataFrame) -> pd.Series:
    """Who wrote each source and who passed it on: 'Adnkronos (Italian), machine-translated
    into English by morningexpress.in'; the outlet alone when it wrote the text itself."""

    def chain(row) -> str:
        if pd.isna(row["original_outlet"]):
            return row["outlet"]
        language = _LANGUAGE_NAMES.get(row["original_language"], row["original_language"])
        text = f"{row['original_outlet']}" + (f" ({language})" if language else "")
        if not pd.isna(row["translated_by"]):
            how = "machine-translated" if row["machine_translation"] else "translated"
            into = _LANGUAGE_NAMES.get(row["language"], row["language"])
            text += f", {how} into {into} by {join_names(row['translated_by'].split(';'))}"
        if not pd.isna(row["republished_by"]):
            text += f", republished by {join_names(row['republished_by'].split(';'))}"
        return text

    return sources.apply(chain, axis=1) if len(sources) else sources["outlet"]


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


def chart_titles(numbers: Mapping, tables: Mapping[str, pd.DataFrame], framing_book) -> dict:
    """Each figure's title: a finding stated once, from the same values as the prose."""
    tri = compare.ties(tables["triangulation"])
    n_tri = int(tri["class"].isin(compare.TIE_CLASSES).sum())
    claims = tables["framing_claims"]
    focal = claims[claims["actor"] == framing_book.focal_actor]
    who = "The text puts" if numbers["n_text_sources"] == 1 else "The texts put"
    return {
        "priority_matrix": (
            f"{numbers['top_places_phrase']}; "
            + plural(
                numbers["n_priority_ties"],
                "province-sector priority",
                "province-sector priorities",
            )
        ),
        "sector_breadth": numbers["top_sectors_phrase"],
        "tile_map": numbers["top_places_phrase"],
        "consensus": (
            f"{plural(numbers['n_corroborated_ties'], 'tie is', 'ties are')} attested by two or "
            f"more sources"
        ),
        "coverage": _coverage_title(tables["tie_sources"]),
        "framing": (
            f"{who} {framing_book.actor_in_text(framing_book.focal_actor)} ahead in "
            f"{int((focal['direction'] == 'actor_ahead').sum())} of "
            f"{plural(len(focal), 'claim')} about it; {int(claims['hedged'].sum())} hedged"
        ),
        "framing_outlets": numbers["framing_outlets_phrase"],
        "periods": numbers["periods_phrase"],
        "triangulation": (
            f"{'The retelling agrees' if numbers['n_retellings'] == 1 else 'Retellings agree'} "
            f"with {'its' if numbers['n_retellings'] == 1 else 'their'} reference on "
            f"{numbers['tri_agrees']} of {plural(n_tri, 'tie')}"
        ),
    }


def _coverage_title(tie_sources: pd.DataFrame) -> str:
    """'1 source names 7 provinces and 2 regions': what the sources x places figure counts."""
    n = int(tie_sources["source_id"].nunique())
    levels = tie_sources.groupby("place_level")["place_id"].nunique()
    places = join_names(
        plural(int(levels[level]), level, f"{level}s")
        for level in ("province", "region")
        if level in levels
    )
    return f"{plural(n, 'source names', 'sources name')} {places or 'no place'}"


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


TOP_ROWS = 40  # rows a report table shows before it points to the full CSV


def _top(
    df: pd.DataFrame, what: str, table: str, *, rule: str, group: str | None = None, unit: str = ""
) -> tuple[pd.DataFrame, str]:
    """At most TOP_ROWS rows of ``df`` (already in the order ``rule`` describes) and a note
    that says by what rule they were chosen and links the full table shipped with the report
    (``data/<table>.csv``); empty when all fit.

    With ``group`` (a column), whole groups are kept, in the order they first appear: all of
    a ``unit``'s rows or none (the first group whole even when it alone is longer).
    """
    if len(df) <= TOP_ROWS:
        return df, ""
    if group is None:
        shown, kept = df.head(TOP_ROWS), ""
    else:
        sizes = df.groupby(group, sort=False).size()
        chosen, total = [], 0
        for key, size in sizes.items():
            if chosen and total + size > TOP_ROWS:
                break
            chosen.append(key)
            total += size
        shown = df[df[group].isin(chosen)]
        kept = f", every {unit} whole ({plural(len(chosen), unit)} of {len(sizes)})"
    link = escape.markdown_file_link(f"{DATA_FOLDER}/{table}.csv", f"{DATA_FOLDER}/{table}.csv")
    note = escape.markdown_text(
        f"Shown: the first {len(shown)} of {len(df)} {what}, {rule}{kept}. All are in"
    )
    return shown, f"\n{note} {link}{escape.markdown_text('.')}\n"


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


def _framing_reference_table(triangulation: pd.DataFrame) -> str:
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


def report_tables(tables: Mapping[str, pd.DataFrame], codebook, framing_book) -> dict[str, str]:
    """Markdown tables for the report, by file name (without .md); ``tables`` are covered."""
    labels = Labels(codebook)

    def place(place_id) -> str:
        return labels.place(place_id, chinese=False) if isinstance(place_id, str) else "—"

    ties = tables["ties"]
    several = (tables["sources"]["kind"] != "reference").sum() > 1

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
    by_place, priorities_note = _top(
        by_place,
        "places",
        "ties",
        rule="regions before provinces, each by number of ties and then by name",
    )
    attested = ties.sort_values(
        ["n_sources", "place_id", "sector_id"], ascending=[False, True, True]
    ).assign(
        place=lambda d: d["place_id"].map(place),
        sector=lambda d: d["sector_id"].map(labels.sector),
        agreement_=lambda d: d["agreement"].str.replace("_", " "),
        sources=lambda d: d["source_ids"].str.replace(";", "; "),
    )
    attested, attested_note = _top(
        attested,
        "ties",
        "ties",
        rule="by the number of sources that code them, then by place and sector",
        group="place_id",
        unit="place",
    )
    claims = tables["framing_claims"].sort_values(["sentence_id", "dimension"])
    several_sources = claims["source_id"].nunique() > 1
    claims = claims.assign(
        where=[
            sid if several_sources else sid.removeprefix(f"{src}:")
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
    claims, framing_note = _top(
        claims,
        "framing claims",
        "framing_claims",
        rule="in the order of the sentences that make them",
        group="source_id",
        unit="source",
    )
    tri = compare.ties(tables["triangulation"])
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
        article=problems["article_place_id"].map(place),
        primary=problems["reference_place_id"].map(place),
        fact=problems["fact_text"].fillna("—"),
    ).sort_values(["article_source_id", "class_", "sector", "article", "primary"])
    problems, problems_note = _top(
        problems,
        "disagreements",
        "triangulation",
        rule="by retelling, class, sector and place",
        group="article_source_id",
        unit="retelling",
    )
    # Ids, URLs and checksums wrap by layout (styles.typ, styles.css), never by inserted
    # characters, so what a reader copies out of the report is the id, URL or checksum.
    sources = tables["sources"].assign(
        outlet=source_chains(tables["sources"]),
        period_=tables["sources"]["period"].map(period_label),
    )
    corrections = tables["corrections_applied"]
    return {
        "priorities": markdown_table(
            by_place,
            {
                "place": "Province or region",
                "level": "Level",
                "n": "Ties",
                "sectors": "Sectors",
                "source_ids": "Sources",
            },
            [4, 2, 1, 8, 4],
        )
        + priorities_note,
        "ties": markdown_table(
            attested,
            {
                "place": "Place",
                "sector": "Sector",
                "relation": "Strongest relation",
                "n_sources": "Sources",
                "agreement_": "Agreement",
                "sources": "Source ids",
            },
            [3, 3, 2, 1, 2, 6],
        )
        + attested_note,
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
        )
        + framing_note,
        "triangulation": markdown_table(
            summary,
            {
                "article_source_id": "Retelling",
                "reference_source_id": "Reference",
                **{c: _SHORT_CLASS[c] for c in present},
            },
            [3, 3] + [2] * len(present),
        ),
        "discrepancies": markdown_table(
            problems,
            {
                "article_source_id": "Retelling",
                "class_": "Class",
                "sector": "Sector",
                "article": "Retelling says",
                "primary": "Reference says",
                "fact": "Reference fact",
            },
            [3, 2, 3, 2, 2, 7],
        )
        + problems_note,
        "framing_reference": _framing_reference_table(tables["triangulation"]),
        "corrections": markdown_table(
            corrections,
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
        "sources": markdown_table(
            sources,
            {
                "source_id": "Id",
                "outlet": "Written by",
                "date": "Published",
                "period_": "Period",
                "kind": "Kind",
                "language": "Lang",
                "url": "URL",
                "sha256": "SHA-256",
            },
            [4, 3, 3, 2, 3, 2, 6, 4],
            links={"url": "url"},
        ),
        "data_dictionary": markdown_table(
            tables["data_dictionary"],
            {"table": "Table", "column": "Column", "dtype": "Type", "description": "Description"},
            [3, 3, 2, 10],
        ),
    }


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
