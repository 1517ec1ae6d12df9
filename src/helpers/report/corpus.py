"""What the corpus is, in words: its counts by kind, language and period, the sentences whose
wording depends on them (one text or many, one language or several), and who wrote each source
(the chain from an original to the file: CODING.md §7 credits framing to the original author)."""

from __future__ import annotations

import pandas as pd

from helpers.report.wording import (
    capital,
    counted,
    join_names,
    language_name,
    noun,
    period_label,
    plural,
    verb,
    whole,
)


def corpus_numbers(sources: pd.DataFrame, selection: pd.DataFrame) -> dict:
    """What the sources are: counts by kind and language, outlets, dates and periods."""
    texts = sources[sources["kind"] != "reference"]
    kinds = sources["kind"].value_counts()
    languages = texts["language"].value_counts()
    periods = sorted(set(sources["period"]))
    all_periods = sorted(set(selection["period"]))
    years = [int(y) for p in periods for y in p.split("-")]
    span = period_label(f"{min(years)}-{max(years)}") if min(years) != max(years) else str(years[0])
    n, n_all = len(sources), len(selection)
    period_list = f"{noun(len(periods), 'period')} {join_names(period_label(p) for p in periods)}"
    if n == n_all:
        coverage = f"{whole(n, 'source')} of the manifest, {period_list}"
    else:
        coverage = (
            f"{n} of the manifest's {plural(n_all, 'source')}, {period_list} "
            f"(of {join_names(period_label(p) for p in all_periods)})"
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
        "languages": join_names(
            f"{language_name(code)} ({count})" for code, count in languages.items()
        ),
        "kinds": join_names(
            plural(int(kinds[k]), f"{k} source")
            for k in ("primary", "secondary", "reference")
            if k in kinds
        ),
        "n_outlets": int(sources["outlet"].nunique()),
        "date_first": dates[0] if dates else "",
        "date_last": dates[-1] if dates else "",
        "periods": join_names(period_label(p) for p in periods),
        "period_span": span,
        "coverage": coverage,
        "source_line": f"{plural(n, 'source')}, {span}; listed in the appendix",
        "n_text_kinds": int(texts["kind"].nunique()),
        "n_periods": len(set(texts["period"])),
    }


def _corpus_sentence(c: dict) -> str:
    """'The report covers ...: 1 secondary source ..., from 2 outlets, published between ...'
    and the texts' language: 'The text is in English', 'Both texts are ...', 'The 3 texts are
    in English (2) and Chinese (1)'."""
    n_texts = c["n_text_sources"]
    head = (
        f"The report covers {c['coverage']}: {c['kinds']}, from "
        f"{plural(c['n_outlets'], 'outlet')}, published between {c['date_first']} and "
        f"{c['date_last']}. "
    )
    language = c["languages"].split(" (")[0]
    if n_texts == 1:
        return head + f"The text is in {language}."
    if c["n_languages"] == 1:
        return head + f"{capital(whole(n_texts, 'text'))} are in {language}."
    return head + f"The {n_texts} texts are in {c['languages']}."


def _limit_sources(c: dict, numbers: dict) -> str:
    """The limit of resting on these texts (and references): how many ties one source alone
    names, or that every tie is the one text's."""
    n_texts, n_refs = c["n_text_sources"], c["n_reference_sources"]
    differ = [w for w, n in (("kinds", c["n_text_kinds"]), ("periods", c["n_periods"])) if n > 1]
    pooled = f"{n_texts} texts" + (f" of different {' and '.join(differ)}" if differ else "")
    with_refs = (
        f" and the hand-coded facts of {plural(n_refs, 'reference')} (a source of the ties "
        "their facts of high confidence attest)"
        if n_refs
        else ""
    )
    if n_texts == 1 and not numbers["n_corroborated_ties"]:
        return (
            f"The report rests on one text{with_refs}; every tie is a single source's, and "
            "counts compare how often that text names provinces and sectors."
        )
    return (
        f"The report pools {'one text' if n_texts == 1 else pooled}{with_refs}; "
        f"{numbers['n_single_source_ties']} of {numbers['n_ties']} ties rest on a single "
        f"source, and a tie named by more sources is better attested, not larger."
    )


def _limit_language(c: dict) -> str:
    if c["n_languages"] > 1:
        return (
            f"The texts are in {c['languages']}; the codebook matches both languages, and a "
            f"variant it lacks in one language is missed in that language only."
        )
    language = c["languages"].split(" (")[0] or "one language"
    return (
        f"Every text is in {language}; terms the codebook lacks are missed, so a tie "
        f"absent here may still be in the sources."
    )


def corpus_sentences(c: dict, numbers: dict) -> dict:
    """Sentences whose wording depends on the corpus (one text or many, languages, kinds)."""
    n_texts, n_framing = c["n_text_sources"], numbers["n_framing_sources"]
    if c["n_primary_sources"]:
        limit_primary = (
            f"{counted(c['n_primary_sources'], 'primary text', 'is')} present; the other texts "
            "retell or comment on others."
        )
    else:
        limit_primary = (
            "No primary text is present: the texts retell or comment on others, and a "
            "reference source survives only as facts coded by hand."
        )
    framing_who = "the text" if n_texts == 1 else f"{n_framing} of the {n_texts} texts"
    subject = 1 if n_texts == 1 or n_framing == 1 else n_framing  # the verb agrees with it
    return {
        "texts_tie": f"The {noun(n_texts, 'text')} {verb(n_texts, 'ties')}",
        "framing_makes": f"{capital(framing_who)} {verb(subject, 'makes')}",
        "framing_compares": f"{framing_who} {verb(subject, 'compares')}",
        "corpus_sentence": _corpus_sentence(c),
        "reference_sentence": (
            "Each reference source is kept as data: its claims coded by hand, one row per "
            f"claim ({numbers['n_reference_facts']} facts in all)."
            if c["n_reference_sources"]
            else "No reference source is present, so no text is checked against another."
        ),
        "limit_sources": _limit_sources(c, numbers),
        "limit_language": _limit_language(c),
        "limit_primary": limit_primary,
    }


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
        language = language_name(row["original_language"])
        text = f"{row['original_outlet']}" + (f" ({language})" if language else "")
        if not pd.isna(row["translated_by"]):
            how = "machine-translated" if row["machine_translation"] else "translated"
            into = language_name(row["language"])
            text += f", {how} into {into} by {join_names(row['translated_by'].split(';'))}"
        if not pd.isna(row["republished_by"]):
            text += f", republished by {join_names(row['republished_by'].split(';'))}"
        return text

    return sources.apply(chain, axis=1) if len(sources) else sources["outlet"]
