"""Codebook terms in text: the normalised keys terms are looked up by, and the one regex
shape (a trie) every term list is compiled into, so the longest term wins at each position."""

from __future__ import annotations

import re
from typing import NamedTuple

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_SEP = re.compile(r"[\s\-]+")
EDGE_L = r"(?<![A-Za-z0-9])"
EDGE_R = r"(?![A-Za-z0-9])"


class TermMatch(NamedTuple):
    """A codebook term found in a text; ``start``/``end`` are offsets into that text."""

    start: int
    end: int
    text: str
    entity_type: str  # place | city | region | sector
    entity_id: str  # place/region/city id, or technology id / sector id for a sector term
    sector_id: str | None  # level-1 sector for sector terms; the province id for a city


Y_PLURAL = re.compile(r"[^aeiou\s]y$")  # a consonant before a final y: -ies in the plural


def term_key(term: str) -> str:
    """Normalise a term for lookup: case-folded, runs of spaces and hyphens as one space."""
    return _SEP.sub(" ", term.strip()).casefold()


def exact_key(term: str) -> str:
    return _SEP.sub(" ", term.strip())


def is_case_sensitive(term: str) -> bool:
    """Terms written in capitals (NEV, LLM, AI, 6G) match only as written."""
    return any(c.isalpha() for c in term) and term == term.upper() and not _CJK.search(term)


def trie_regex(keys: list[str]) -> str:
    """One regex alternation shaped as a trie: fast, and greedy so the longest term wins."""
    trie: dict = {}
    for key in keys:
        node = trie
        for char in key:
            node = node.setdefault(char, {})
        node[""] = True

    def emit(node: dict) -> str:
        alts = [
            (r"[\s\-]+" if char == " " else re.escape(char)) + emit(child)
            for char, child in sorted(node.items())
            if char
        ]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(trie)
