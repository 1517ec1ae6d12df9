"""What the coding keeps: the codings (one a tie, sentence and rule, the strongest relation)
and the mentions of codebook terms, as rows of the CODINGS and MENTIONS tables."""

from __future__ import annotations

from helpers.codebook.terms import TermMatch
from helpers.coding.matrix import coding_id
from helpers.coding.scope import Place
from helpers.coding.units import Paren
from helpers.schemas import RELATION_RANK


class Record:
    """The codings and mentions of every source coded so far."""

    def __init__(self):
        self.codings: dict[str, dict] = {}
        self.mentions: list[dict] = []
        self._mentioned: dict[str, int] = {}

    def add(self, base: dict, place: Place, term: TermMatch, relation, modality, rule) -> None:
        """Keep a coding; of one tie from one sentence by one rule, the strongest relation."""
        if modality != "asserted":
            relation = "context"
        if rule == "R-SENT" and place.via_region and place.mention.entity_type == "region":
            rule = "R-REGION"  # a member named through a pair's name (`names_members`)
        sector_id = term.sector_id
        tech = None if term.entity_id == term.sector_id else term.entity_id
        cid = coding_id(
            base["source_id"], base["sentence_id"], place.place_id, sector_id, tech, rule
        )
        old = self.codings.get(cid)
        if old and RELATION_RANK[old["relation"]] <= RELATION_RANK[relation]:
            return
        self.codings[cid] = {
            "coding_id": cid,
            **base,
            "place_id": place.place_id,
            "place_level": place.level,
            "sector_id": sector_id,
            "technology_id": tech,
            "relation": relation,
            "modality": modality,
            "rule_id": rule,
            "via_region": place.via_region,
            "city_id": place.city_id,
            "place_sentence_id": place.set_by,
            "status": "auto",
            "adjudication_reason": None,
        }

    def add_mentions(self, row, matches: list[TermMatch], parens: list[Paren]) -> None:
        """The codebook terms of one sentence (or piece of one), numbered on across pieces."""
        source_id, paragraph_id, sentence_id, s_start = row[:4]
        first = self._mentioned.get(sentence_id, 0) + 1
        self._mentioned[sentence_id] = first - 1 + len(matches)
        for n, m in enumerate(matches, start=first):
            self.mentions.append(
                {
                    "mention_id": f"{sentence_id}:m{n:02d}",
                    "source_id": source_id,
                    "paragraph_id": paragraph_id,
                    "sentence_id": sentence_id,
                    "start": int(s_start) + m.start,
                    "end": int(s_start) + m.end,
                    "text": m.text,
                    "entity_type": m.entity_type,
                    "entity_id": m.entity_id,
                    "sector_id": m.sector_id,
                    "in_parenthetical": any(p.start <= m.start < p.end for p in parens),
                }
            )
