"""What a sentence's codebook matches stand for, before any tie is made: the head noun of a
phrase decides its sector (CODING.md §2), a region that only locates the province after it is
no place of its own (§1), and a sector term used as a metaphor names no sector. Each reads
its words from codebook/rules.yaml (``head_nouns``, ``region_locators``, ``figurative_terms``).
"""

from __future__ import annotations

import re

from helpers.codebook.book import Codebook
from helpers.codebook.terms import TermMatch

_QUOTES = {"「": "」", "“": "”", '"': '"', "『": "』", "‘": "’"}
_OF = re.compile(r"\s+of\s", re.IGNORECASE)


def headed(text: str, matches: list[TermMatch], cb: Codebook) -> list[TermMatch]:
    """The matches with a sector term and the head noun right after it (rules.yaml
    ``head_nouns``) read as one term of the head's sector: 氢能重卡 and "new-energy models"
    are vehicles, 量子芯片 and "AI chips" semiconductors. A head that is itself a term is
    taken into the phrase; a coordinate compound (航空航天) has no head noun and stays two."""
    if not any(m.entity_type == "sector" for m in matches):
        return matches
    out: list[TermMatch] = []
    skip = -1
    for n, m in enumerate(matches):
        if n == skip:
            continue
        nxt = matches[n + 1] if n + 1 < len(matches) else None
        out.append(m)
        if m.entity_type != "sector":
            continue
        head = cb.rules.heads.match(text, m.end, nxt.end if nxt is not None else len(text))
        if not head:
            continue
        word = head.group(1).casefold()
        for target, after in cb.rules.head_of.get(word, ()):
            if after and m.sector_id not in after:
                continue
            end = head.end()
            if nxt is not None and end > nxt.start:  # the head is the next term: taken in
                if nxt.entity_type != "sector" or end != nxt.end:
                    continue
                skip = n + 1
            out[-1] = TermMatch(
                m.start, end, text[m.start : end], "sector", target, cb.sector_of(target)
            )
            break
    return out


def figurative(text: str, matches: list[TermMatch], cb: Codebook) -> list[TermMatch]:
    """The matches less a figurative term (rules.yaml): alone inside quotation marks
    (「聚變」) or followed by "of" ("a fusion of ideas")."""
    words = cb.rules.figurative
    if not words:
        return matches
    keep = []
    for m in matches:
        if m.entity_type == "sector" and m.text.casefold() in words:
            before, after = text[m.start - 1 : m.start], text[m.end : m.end + 1]
            if before in _QUOTES and _QUOTES[before] == after:
                continue
            if _OF.match(text, m.end):
                continue
        keep.append(m)
    return keep


def locators(text: str, matches: list[TermMatch], cb: Codebook) -> list[tuple[int, int]]:
    """Spans of the regions that only locate the member right after them ("Northeast
    China's Jilin Province", "East China's Anhui Province"): no place of the sentence."""
    spans = []
    for m, nxt in zip(matches, matches[1:], strict=False):
        if m.entity_type != "region" or nxt.entity_type not in ("place", "city"):
            continue
        province = nxt.entity_id if nxt.entity_type == "place" else nxt.sector_id
        joint = cb.rules.locator.fullmatch(text, m.end, nxt.start)
        if joint and province in cb.regions[m.entity_id].members:
            spans.append((m.start, m.end))
    return spans
