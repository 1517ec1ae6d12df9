"""The coder: reads a source's sentences in order, keeping the place in scope, and codes each
sentence by the rules of ``helpers.coding.rules`` (which declares their order)."""

from __future__ import annotations

from dataclasses import dataclass, field

from helpers.codebook.book import Codebook
from helpers.codebook.cues import CueIndex
from helpers.codebook.terms import TermMatch
from helpers.coding import relations
from helpers.coding.matrix import coding_id
from helpers.coding.scope import Place, Scope, carried, new_scope, resolve, sentence_places
from helpers.coding.units import Paren, blank, clauses, is_title, parentheticals
from helpers.schemas import RELATION_RANK

_PLACED = ("place", "city", "region")
# A clause with at most this many (place, term) pairs codes each pair in turn (the definition);
# a larger one codes each tie from its first pairs (the same ties, at the cost of the ties).
_FEW_PAIRS = 64


@dataclass
class Sentence:
    """One sentence (or piece of a long one) as the rules read it."""

    sentence_id: str
    text: str
    base: dict  # the fields every coding of it shares
    matches: list[TermMatch]  # codebook terms, less the dateline's and not-a-place names
    parens: list[Paren]
    places: list[Place]  # the places it names
    caption: bool
    cue_text: CueIndex  # its cues, terms and parentheticals blanked
    before: Scope | None  # the scope before it: what a reference word in it points to
    inherited: list[Place] = field(default_factory=list)  # places it takes from the scope
    rule: str = "R-SENT"  # the rule that gave them
    topic: tuple[str, str | None] | None = None  # the paragraph's sector (R-TOPIC)
    first_in_paragraph: bool = False


@dataclass
class Clause:
    """One clause of a sentence, and what the clauses before it decided."""

    k: int  # its position in the sentence
    start: int
    end: int
    relation: str
    standing: str | None  # "caption" or "event": it states no tie
    named: list[Place]  # the places it names itself
    terms: list[TermMatch]  # its sector terms (outside parentheticals attached to a place)
    earlier: tuple[list[Place], str] | None  # the places of the last clause that had any


class Coder:
    """Codes one sentence at a time, in reading order, keeping the place scope of its source.

    ``place_rules`` and ``beside_rules`` are the ordered rules of ``helpers.coding.rules``."""

    def __init__(self, codebook: Codebook, place_rules: tuple, beside_rules: tuple):
        self.cb = codebook
        self.cues = codebook.cues
        self.rules = codebook.rules
        self.place_rules, self.beside_rules = place_rules, beside_rules
        self.modality = relations.Modality(codebook.rules)
        self.codings: dict[str, dict] = {}
        self.mentions: list[dict] = []
        self._mentioned: dict[str, int] = {}

    # -- one source -----------------------------------------------------------------------
    def code_source(self, rows) -> None:
        """Code the rows (source, paragraph, sentence, start, end, text) of one source."""
        scope: Scope | None = None
        topic: tuple[str, str | None] | None = None
        paragraph = None
        per_paragraph: dict[str, int] = {}
        for r in dict.fromkeys((r[1], r[2]) for r in rows):  # a long sentence is several rows
            per_paragraph[r[0]] = per_paragraph.get(r[0], 0) + 1
        first_paragraph = rows[0][1] if rows else None
        for row in rows:
            paragraph_id = row[1]
            first_in_paragraph = paragraph_id != paragraph
            paragraph = paragraph_id
            scope, topic = self._code_sentence(
                row,
                scope,
                topic,
                first_in_paragraph,
                paragraph_id == first_paragraph,
                per_paragraph[paragraph_id],
            )

    def _code_sentence(self, row, scope, topic, first_in_paragraph, in_first, n_in_paragraph):
        """Code one sentence; returns the scope and the paragraph's topic after it."""
        source_id, paragraph_id, sentence_id, s_start, s_end, text = row
        self.modality.memo.clear()
        found = self.cb.find_terms(text)
        dateline = self.rules.dateline.match(text)
        d_end = dateline.end() if dateline else 0
        in_dateline = [m for m in found if m.start < d_end]
        matches = [m for m in found if m.start >= d_end] if in_dateline else found
        matches, elsewhere = self._own_places(text, matches)
        parens = parentheticals(text, matches, self.rules)
        mention_parens = parentheticals(text, found, self.rules) if in_dateline else parens
        self._record_mentions(source_id, paragraph_id, sentence_id, s_start, found, mention_parens)
        # The headline is no tie, but its place sets the scope. A short line without final
        # punctuation further down may be a list item ("Jiangsu: chips and AI"): coded.
        title = in_first and is_title(text, True, n_in_paragraph == 1, self.rules)
        places = sentence_places(matches, self.cb)
        has_sector = any(m.entity_type == "sector" for m in matches)
        if first_in_paragraph:
            topic = self._topic(matches, places)
        if not places and in_dateline and scope is None:
            dl = sentence_places(in_dateline, self.cb)
            scope = Scope(carried(dl, None, sentence_id), sentence_id, active=False)
        before = scope  # what a reference word before this sentence's own places points to
        if places:
            scope = new_scope(places, scope, sentence_id)
        topical = topic is not None and places and not first_in_paragraph  # R-TOPIC
        if not has_sector and not topical:
            # nothing to code; a national statement still ends the scope
            if not places and scope is not None and self.cues.find("national", text):
                scope.active = False
            return scope, topic
        # A photo caption stands as its own paragraph (with, at most, its credit line).
        caption = n_in_paragraph <= 2 and bool(self.cues.find("caption", text))
        # a verb of the central government or of a speaker's base is no relation here
        blanked = blank(text, [(m.start, m.end) for m in matches] + [(0, d_end)] + elsewhere)
        cue_text = self.cues.index(blank(blanked, [(p.start, p.end) for p in parens]))
        base = dict(
            source_id=source_id,
            paragraph_id=paragraph_id,
            sentence_id=sentence_id,
            start=int(s_start),
            end=int(s_end),
            evidence=text,
        )
        s = Sentence(sentence_id, text, base, matches, parens, places, caption, cue_text, before)
        s.topic, s.first_in_paragraph = topic, first_in_paragraph
        if not places and scope is not None and not title:
            s.inherited, s.rule = resolve(cue_text, matches, scope, sentence_id, self.rules)
        if title:
            return scope, topic  # a headline is not a tie; it only sets the place
        attached = [p for p in parens if p.anchor is not None and p.anchor.entity_type in _PLACED]
        self._code_parentheticals(s, attached, blanked)
        self._code_clauses(s, attached)
        if s.inherited:
            scope.places = s.inherited
        return scope, topic

    def _topic(self, matches, places) -> tuple[str, str | None] | None:
        """A paragraph's topic: the one sector its first sentence names, with no place."""
        sector_ids = {m.sector_id for m in matches if m.entity_type == "sector"}
        techs = {m.entity_id for m in matches if m.entity_type == "sector"}
        if len(sector_ids) != 1 or places:
            return None
        tech = next(iter(techs)) if len(techs) == 1 else None
        return next(iter(sector_ids)), None if tech in self.cb.sectors else tech

    # -- the rules ------------------------------------------------------------------------
    def _code_parentheticals(self, s: Sentence, attached: list[Paren], blanked: str) -> None:
        """R-PAREN: a sector term inside a parenthetical attached to a place ties to it only;
        the cues inside parentheticals are read for this rule alone."""
        cue_all = self.cues.index(blanked) if attached else s.cue_text
        for p in attached:
            anchors = [x for x in s.places if x.mention == p.anchor]
            achieved = not s.caption and cue_all.find("achievement", p.start, p.end)
            relation = "achievement" if achieved else "context"
            for m in s.matches:
                if m.entity_type == "sector" and p.start <= m.start < p.end:
                    for anchor in anchors:
                        mod = self.modality.of(cue_all, anchor, m, (p.start, p.end))
                        mod = relations.stated(mod, "caption" if s.caption else None)
                        self.add(s.base, anchor, m, relation, mod, "R-PAREN")

    def _code_clauses(self, s: Sentence, attached: list[Paren]) -> None:
        """Each clause: its places by the first of ``place_rules`` that gives any, the places
        ``beside_rules`` add, then their ties to its sector terms (or to the topic)."""
        earlier: tuple[list[Place], str] | None = None
        previous = None  # the relation of the clause before, for a list item without a verb
        for k, (c_start, c_end, listed) in enumerate(
            clauses(s.text, s.parens, s.matches, self.rules)
        ):
            terms = [
                m
                for m in s.matches
                if c_start <= m.start < c_end
                and m.entity_type == "sector"
                and not any(p.start <= m.start < p.end for p in attached)
            ]
            relation = relations.relation(s.cue_text, c_start, c_end, s.caption)
            event = s.cue_text.find("event", c_start, c_end)
            if listed and relation == "context" and not event:
                relation = previous or relation  # "Jiangsu will build chips, Zhejiang AI"
            previous = relation
            # a caption, or an event that merely shows a product, states no tie (§4)
            standing = ("caption" if s.caption else "event") if s.caption or event else None
            named = [x for x in s.places if c_start <= x.mention.start < c_end]
            c = Clause(k, c_start, c_end, relation, standing, named, terms, earlier)
            found = next((f for rule in self.place_rules if (f := rule(s, c))), None)
            places, rule = found or ([], "R-SENT")
            if places:
                earlier = (places, rule)
            placed = [(places, rule)]
            placed += [f for rule_of in self.beside_rules if (f := rule_of(s, c, places, rule))]
            self._code_placed(s, c, placed)

    def _code_placed(self, s: Sentence, c: Clause, placed: list[tuple[list[Place], str]]):
        """The ties of a clause's places: to its sector terms (R-SENT, R-REGION), or, in a
        clause without one, to the paragraph's topic (R-TOPIC)."""
        owner = relations.paired(s.text, placed[0][0], c.terms)
        clause = (c.start, c.end)
        for places, rule in placed:
            if c.terms:
                ties = (c.relation, c.standing, rule)
                self._code_ties(s.base, s.cue_text, clause, places, c.terms, owner, ties)
                continue
            if s.topic is None or s.first_in_paragraph or rule != "R-SENT":
                continue
            sector, tech = s.topic
            m = TermMatch(c.end, c.end, "", "sector", tech or sector, sector)
            for place in places:
                mod = relations.stated(self.modality.of(s.cue_text, place, m, clause), c.standing)
                self.add(s.base, place, m, c.relation, mod, "R-TOPIC")

    def _code_ties(self, base, cue_text, clause, places, terms, owner, ties) -> None:
        """Every place x sector term of a clause, one tie at a time.

        Each tie (a place id and a sector or technology) is coded from the first of its
        (place mention, term) pairs in reading order, or, when the clause holds a negation or a
        hypothetical cue, from its first asserted pair (a later asserted pair outranks an
        earlier negated one). So the work is the ties' and not the pairs': a clause that
        names one place and one sector a thousand times is one tie. At most ``pairs_per_tie``
        pairs are judged for one tie, and a clause makes at most ``ties_per_clause`` ties
        (codebook/rules.yaml)."""
        relation, standing, rule = ties
        judged: dict[tuple, str] = {}  # members of a region share their mention

        def judge(place: Place, m: TermMatch) -> str:
            key = (place.mention, m)
            if key not in judged:
                mod = self.modality.of(cue_text, place, m, clause)
                judged[key] = relations.stated(mod, standing)
            return judged[key]

        few = min(_FEW_PAIRS, self.rules.ties_per_clause)  # so the cap on ties cannot bind
        if len(places) * len(terms) <= few:  # most clauses: every pair, as defined
            for place in places:
                for m in terms:
                    if m not in owner or owner[m] is place.mention:
                        self.add(base, place, m, relation, judge(place, m), rule)
            return
        uncertain = any(cue_text.find(kind, *clause) for kind in relations.UNCERTAIN)
        search = uncertain and standing is None and relation != "context"
        by_place: dict[tuple, list[tuple[int, Place]]] = {}
        for i, place in enumerate(places):
            region_named = place.via_region and place.mention.entity_type == "region"
            by_place.setdefault((place.place_id, region_named), []).append((i, place))
        by_tie: dict[tuple, tuple[list, dict]] = {}  # (sector, technology) -> unowned, owned
        for j, m in enumerate(terms):
            free, owned = by_tie.setdefault((m.sector_id, m.entity_id), ([], {}))
            holder = owner.get(m)
            (free if holder is None else owned.setdefault(id(holder), [])).append((j, m))
        chosen = []
        for group in by_place.values():
            for free, owned in by_tie.values():
                pairs = _pairs_in_order(group, free, owned)
                first = next(pairs, None)
                if first is None:
                    continue
                best = first
                if search and judge(first[2], first[3]) != "asserted":
                    for n, pair in enumerate(pairs, start=2):
                        if n > self.rules.pairs_per_tie:
                            break
                        if judge(pair[2], pair[3]) == "asserted":
                            best = pair
                            break
                chosen.append((first[:2], best))
        chosen.sort(key=lambda c: c[0])
        for _, (_, _, place, m) in chosen[: self.rules.ties_per_clause]:
            self.add(base, place, m, relation, judge(place, m), rule)

    # -- output ---------------------------------------------------------------------------
    def add(self, base, place: Place, term: TermMatch, relation, modality, rule):
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

    def _own_places(self, text: str, matches: list[TermMatch]):
        """The matches less place names that stand for no policy of that place: inside or
        touching a `not_a_place` cue ("a Beijing-based analyst", "policymakers in Beijing");
        they stay mentions. Also returns the cues' spans, whose words are no relation cues
        ("as Beijing steps up a campaign")."""
        if not any(m.entity_type in ("place", "city") for m in matches):
            return matches, []
        spans = [h.span() for h in self.cues.finditer("not_a_place", text)]
        if not spans:
            return matches, []
        kept = [
            m
            for m in matches
            if m.entity_type not in ("place", "city")
            or not any(a <= m.end and m.start <= b for a, b in spans)
        ]
        return kept, spans

    def _record_mentions(self, source_id, paragraph_id, sentence_id, s_start, matches, parens):
        first = self._mentioned.get(sentence_id, 0) + 1  # numbered on across a long sentence
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


def _pairs_in_order(group, free, owned):
    """The (place mention, term) pairs of one tie, in reading order (place first, then term):
    a term a pairing signal gives to a place (``owned``) pairs with that place only."""
    for i, place in group:
        mine = owned.get(id(place.mention), ())
        if not free:
            for j, m in mine:
                yield i, j, place, m
            continue
        if not mine:
            for j, m in free:
                yield i, j, place, m
            continue
        for j, m in sorted([*free, *mine]):
            yield i, j, place, m
