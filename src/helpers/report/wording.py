"""English for counts and lists, in one place: a noun agrees with its number ("1 source",
"3 sources"), a verb with its subject ("1 text names", "2 texts name"), a list reads as prose.

Every sentence of the report that depends on a count goes through these few functions, so a
rule of agreement is written once. The project's lock does not hold ``inflect`` (the library
a report would use for this); once it does, ``plural_noun`` and ``plural_verb`` become calls
to ``inflect.engine().plural_noun`` and ``.plural_verb`` and nothing else changes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

# the few words the report uses whose plural is not "+s"
_IRREGULAR_NOUNS = {"this": "these", "that": "those", "its": "their", "it": "they"}
_IRREGULAR_VERBS = {"is": "are", "was": "were", "has": "have", "does": "do"}


def plural_noun(noun: str) -> str:
    """The plural of a noun or noun phrase (its last word): 'source' -> 'sources',
    'province-sector priority' -> 'province-sector priorities', 'more tie' -> 'more ties'."""
    head, _, last = noun.rpartition(" ")
    if last in _IRREGULAR_NOUNS:
        form = _IRREGULAR_NOUNS[last]
    elif re.search(r"[^aeiou]y$", last):
        form = last[:-1] + "ies"
    elif re.search(r"(s|x|z|ch|sh)$", last):
        form = last + "es"
    else:
        form = last + "s"
    return f"{head} {form}" if head else form


def plural_verb(verb: str) -> str:
    """The plural of a verb in the third person singular: 'names' -> 'name', 'is' -> 'are'."""
    if verb in _IRREGULAR_VERBS:
        return _IRREGULAR_VERBS[verb]
    if re.search(r"(ss|x|z|ch|sh|o)es$", verb):
        return verb[:-2]
    if re.search(r"\w[^aeiou]ies$", verb):  # 'carries' -> 'carry'; 'ties', 'lies' keep 'ie'
        return verb[:-3] + "y"
    return verb[:-1] if verb.endswith("s") else verb


def noun(n: int, word: str) -> str:
    """The noun for ``n`` of them, without the number: 'source' or 'sources'."""
    return word if n == 1 else plural_noun(word)


def verb(n: int, singular: str) -> str:
    """The verb for a subject of ``n``: 'names' for 1, 'name' for any other number."""
    return singular if n == 1 else plural_verb(singular)


def plural(n: int, word: str, plural: str | None = None) -> str:
    """'1 source', '3 sources' (``plural`` for a form the rules do not give)."""
    return f"{n} {word if n == 1 else (plural or plural_noun(word))}"


def counted(n: int, word: str, singular_verb: str) -> str:
    """A count as the subject of a verb: '1 source names', '2 sources name', '0 ties are'."""
    return f"{plural(n, word)} {verb(n, singular_verb)}"


def whole(n: int, word: str) -> str:
    """All of ``n`` things, as a reader says it: 'the one source', 'both sources', 'all 3
    sources'."""
    if n == 1:
        return f"the one {word}"
    return f"both {plural_noun(word)}" if n == 2 else f"all {n} {plural_noun(word)}"


def join_names(items: Iterable[str]) -> str:
    """'A', 'A and B', 'A, B and C': a list read as prose (titles, captions, key numbers)."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def period_label(period: str) -> str:
    """'2025', '2026–30' (an en dash, the second year shortened when the century is shared)."""
    first, _, last = period.partition("-")
    if not last:
        return first
    return f"{first}–{last[2:] if first[:2] == last[:2] else last}"


# a source's language, and the languages its originals were written in (else the ISO code)
LANGUAGE_NAMES = {
    "en": "English",
    "zh": "Chinese",
    "it": "Italian",
    "fr": "French",
    "de": "German",
    "es": "Spanish",
    "ja": "Japanese",
}


def language_name(code) -> str:
    """'English' for 'en'; an unknown code stays the code."""
    return LANGUAGE_NAMES.get(code, code)


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


def capital(text: str) -> str:
    """The text with its first letter upper case (the rest untouched: 'all 3 texts' -> 'All 3
    texts', 'the one source' -> 'The one source')."""
    return text[:1].upper() + text[1:]
