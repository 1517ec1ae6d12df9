"""The coder: reads a source's sentences in order, keeping the place in scope, and codes each
sentence by the rules of ``helpers.coding.rules`` (which declares their order)."""

from __future__ import annotations

from dataclasses import dataclass, field

from helpers.codebook.book import Codebook
from helpers.codebook.cues import CueIndex
from helpers.codebook.terms import TermMatch
from helpers.coding import relations
from helpers.coding.mentions import figurative, headed, locators
from helpers.coding.record import Record
from helpers.coding.scope import Place, Scope, carried, new_scope, resolve, sentence_places
from helpers.coding.ties import ClauseTies, code_ties
from helpers.coding.units import Paren, blank, clauses, is_title, parentheticals

_PLACED = ("place", "city", "region")


@dataclass(frozen=True)
class Topic:
    """A paragraph's sector (R-TOPIC): the one its first sentence names without a place, or
    one a topic marker opens ("In quantum technology, ...", 量子科技方面，...), which only a
    sector named by reference takes (``marked``)."""

    sector: str
    tech: str | None
    marked: bool


@dataclass
class Paragraph:
    """What the coder knows of a sentence's paragraph before reading it."""

    n: int  # its sentences
    first: bool  # the source's first paragraph
    ends: tuple[str, str]  # its first and last sentences
    caption: bool | None = None  # a photo caption: worked out when a sentence needs it


@dataclass
class Reading:
    """What carries from one sentence of a source to the next."""

    scope: Scope | None = None
    topic: Topic | None = None
    paragraph: str | None = None


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
    topic: Topic | None = None  # the paragraph's sector (R-TOPIC)
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
        self.record = Record()

    # -- one source -----------------------------------------------------------------------
    def code_source(self, rows) -> None:
        """Code the rows (source, paragraph, sentence, start, end, text) of one source."""
        paragraphs = self._paragraphs(rows)
        reading = Reading()
        for row in rows:
            self._code_sentence(row, reading, paragraphs[row[1]])

    def _paragraphs(self, rows) -> dict[str, Paragraph]:
        """Each paragraph's length, place in the source, and first and last sentences."""
        texts: dict[str, dict[str, str]] = {}
        for r in rows:  # a long sentence is several rows: its first piece stands for it
            texts.setdefault(r[1], {}).setdefault(r[2], r[5])
        first = rows[0][1] if rows else None
        out = {}
        for paragraph_id, sentences in texts.items():
            ends = list(sentences.values())
            out[paragraph_id] = Paragraph(len(ends), paragraph_id == first, (ends[0], ends[-1]))
        return out

    def _is_caption(self, para: Paragraph, text: str) -> bool:
        """A photo caption: a paragraph of one or two sentences, this one with a caption cue,
        or of at most ``caption_sentences`` that opens or ends with one ("... Photo: VCG")."""
        if para.n <= 2:
            return bool(self.cues.find("caption", text))
        if para.caption is None:
            para.caption = para.n <= self.rules.caption_sentences and any(
                self.cues.find("caption", t) for t in set(para.ends)
            )
        return para.caption

    def _code_sentence(self, row, reading: Reading, para: Paragraph) -> None:
        """Code one sentence, and move ``reading`` (scope, topic) past it."""
        source_id, paragraph_id, sentence_id, s_start, s_end, text = row
        first_in_paragraph = paragraph_id != reading.paragraph
        reading.paragraph = paragraph_id
        self.modality.memo.clear()
        found, matches, in_dateline, d_end, elsewhere = self._matches(text)
        parens = parentheticals(text, matches, self.rules)
        mention_parens = parentheticals(text, found, self.rules) if in_dateline else parens
        self.record.add_mentions(row, found, mention_parens)
        # The headline is no tie, but its place sets the scope. A short line without final
        # punctuation further down may be a list item ("Jiangsu: chips and AI"): coded.
        title = para.first and is_title(text, True, para.n == 1, self.rules)
        places = sentence_places(matches, self.cb)
        if first_in_paragraph:
            reading.topic = self._topic(text, matches, places)
        if not places and in_dateline and reading.scope is None:
            dl = sentence_places(in_dateline, self.cb)
            reading.scope = Scope(carried(dl, None, sentence_id), sentence_id, active=False)
        before = reading.scope  # what a reference word before its own places points to
        if places:
            reading.scope = new_scope(places, reading.scope, sentence_id)
        scope = reading.scope
        has_sector = any(m.entity_type == "sector" for m in matches)
        topical = reading.topic is not None and places and not first_in_paragraph  # R-TOPIC
        if not has_sector and not topical:
            # nothing to code; a national statement still ends the scope
            if not places and scope is not None and self.cues.find("national", text):
                scope.active = False
            return
        # A photo caption stands as its own paragraph (with, at most, its credit line).
        caption = self._is_caption(para, text)
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
        s.topic, s.first_in_paragraph = reading.topic, first_in_paragraph
        if not places and scope is not None and not title:
            s.inherited, s.rule = resolve(cue_text, matches, scope, sentence_id, self.rules)
            if (
                s.rule == "R-SCOPE"
                and first_in_paragraph
                and reading.topic
                and reading.topic.marked
            ):
                s.inherited = []  # "生物制造方面，…": a new section names its own places
        if title:
            return  # a headline is not a tie; it only sets the place
        attached = [p for p in parens if p.anchor is not None and p.anchor.entity_type in _PLACED]
        self._code_parentheticals(s, attached, blanked)
        self._code_clauses(s, attached)
        if s.inherited:
            scope.places = s.inherited

    def _matches(self, text: str):
        """The sentence's codebook matches as the rules read them: (all of them as mentions,
        those that make ties, those of its dateline, the dateline's end, the spans of
        not-a-place cues). Head nouns decide a phrase's sector; a metaphor, a dateline's
        place, a place that stands for no policy of its own and a region that only locates
        a member are no matches that tie."""
        found = figurative(text, headed(text, self.cb.find_terms(text), self.cb), self.cb)
        dateline = self.rules.dateline.match(text)
        d_end = dateline.end() if dateline else 0
        in_dateline = [m for m in found if m.start < d_end]
        matches = [m for m in found if m.start >= d_end] if in_dateline else found
        matches, elsewhere = self._own_places(text, matches)
        located = locators(text, matches, self.cb)
        if located:
            matches = [m for m in matches if (m.start, m.end) not in located]
        return found, matches, in_dateline, d_end, elsewhere

    def _topic(self, text: str, matches, places) -> Topic | None:
        """A paragraph's topic, from its first sentence (see ``Topic``)."""
        sectors = [m for m in matches if m.entity_type == "sector"]
        if not sectors:
            return None
        first = sectors[0]
        lead = self.rules.topic_before.match(text)
        after = text[first.end :].lstrip()[:1]
        if (lead and first.start == lead.end() and after in (",", "，")) or (
            first.start <= 1 and self.rules.topic_after.match(text, first.end)
        ):
            tech = None if first.entity_id in self.cb.sectors else first.entity_id
            return Topic(first.sector_id, tech, True)
        sector_ids = {m.sector_id for m in sectors}
        techs = {m.entity_id for m in sectors}
        if len(sector_ids) != 1 or places:
            return None
        tech = next(iter(techs)) if len(techs) == 1 else None
        return Topic(next(iter(sector_ids)), None if tech in self.cb.sectors else tech, False)

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
                        self.record.add(s.base, anchor, m, relation, mod, "R-PAREN")

    def _code_clauses(self, s: Sentence, attached: list[Paren]) -> None:
        """Each clause: its places by the first of ``place_rules`` that gives any, the places
        ``beside_rules`` add, then their ties to its sector terms (or to the topic)."""
        earlier: tuple[list[Place], str] | None = None
        previous = None  # the relation of the clause before, for a list item without a verb
        for k, (c_start, c_end, listed) in enumerate(
            clauses(s.text, s.parens, s.matches, self.rules, s.cue_text)
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
                at = ClauseTies(s.base, s.cue_text, clause, c.relation, c.standing, rule)
                code_ties(self.record, self.modality, self.rules, at, places, c.terms, owner)
                continue
            if s.topic is None or s.first_in_paragraph or rule != "R-SENT":
                continue
            if s.topic.marked and not self.rules.sector_reference.search(s.text, *clause):
                continue  # a marked topic: only a sector named by reference takes it
            sector, tech = s.topic.sector, s.topic.tech
            m = TermMatch(c.end, c.end, "", "sector", tech or sector, sector)
            for place in places:
                mod = relations.stated(self.modality.of(s.cue_text, place, m, clause), c.standing)
                self.record.add(s.base, place, m, c.relation, mod, "R-TOPIC")

    # -- places that are no places ----------------------------------------------------------
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
