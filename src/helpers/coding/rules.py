"""Coding: sentences -> codebook mentions -> (place, sector) codings -> priority matrix.

The rules are deliberately few, general and transparent (documented with their ids in
codebook/README.md), so a reader can check every coding against its evidence sentence, and a
researcher can override any of them in the adjudications file instead of editing code. Words that
decide a relation are data (codebook/cues.yaml, codebook/rules.yaml). A source is read in order,
keeping the place in scope, so a sentence that names no place ("The province will ...", 该市还将…)
is tied to the place its text is about, and the coding records the sentence that named it.

The order in which the rules apply to a sentence, declared here once:

1. What the codebook matches stand for (``mentions``): a head noun decides a phrase's sector,
   a region that only locates its member and a metaphor are no matches that tie. A headline
   and a dateline make no tie; they set the place in scope (``units``, ``scope``).
2. ``R-PAREN``: a sector inside a parenthetical attached to a place ties to that place only.
3. The sentence is cut into clauses (``units.clauses``); each clause takes its places from the
   first of ``PLACE_RULES`` that gives any, and ``BESIDE_RULES`` may add a subject to them.
4. Those places tie to the clause's sector terms (``R-SENT``, or ``R-REGION`` for a pair of
   places written as one name), with the clause's relation and each pair's modality
   (``relations``); a clause without a sector term ties them to the paragraph's topic
   (``R-TOPIC``).
5. Adjudications are applied last (``adjudication``), then the priority matrix (``matrix``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from helpers.codebook.book import Codebook
from helpers.codebook.script import for_matching
from helpers.coding.adjudication import ADJUDICATIONS, apply_adjudications
from helpers.coding.coder import Clause, Coder, Sentence
from helpers.coding.matrix import counted, priority_matrix
from helpers.coding.scope import Place, referred
from helpers.coding.units import is_title, unit_spans
from helpers.schemas import CODINGS, MENTIONS

__all__ = [
    "ADJUDICATIONS",
    "BESIDE_RULES",
    "PLACE_RULES",
    "code_sentences",
    "counted",
    "is_title",
    "priority_matrix",
    "unit_spans",
]

Found = tuple[list[Place], str] | None


def named_in_clause(s: Sentence, c: Clause) -> Found:
    """R-SENT: the places the clause names itself."""
    return (c.named, "R-SENT") if c.named else None


def inherited_by_sentence(s: Sentence, c: Clause) -> Found:
    """R-REF, R-ANAPHORA, R-SCOPE: a sentence that names no place takes the place in scope
    (through a reference word, a plural, or the scope alone) in its first clause."""
    return (s.inherited, s.rule) if c.k == 0 and s.inherited else None


def first_clause_reference(s: Sentence, c: Clause) -> Found:
    """R-REF: "The province pledged A, while its capital Hefei ...": a reference word of a
    first clause points back, though a later clause names a place of its own."""
    if c.k != 0 or not s.places or s.before is None:
        return None
    places, rule = referred(s.cue_text, s.before, s.sentence_id, c.start, c.end)
    return (places, rule) if places else None


def earlier_clause(s: Sentence, c: Clause) -> Found:
    """ "X will build A; it will also fund B": a clause with a relation cue and no place takes
    the places of the last clause of the sentence that had any."""
    return c.earlier if c.earlier and c.relation != "context" else None


# Where a clause's places come from: the first of these that gives any.
PLACE_RULES = (named_in_clause, inherited_by_sentence, first_clause_reference, earlier_clause)


def reference_subject(s: Sentence, c: Clause, places: list[Place], rule: str) -> Found:
    """R-REF beside R-SENT: "The municipality will build a corridor with neighbouring
    Sichuan", 该市将与成都共建…: a reference word before the first clause's first place is
    its subject, the place in scope, beside the places it names."""
    if c.k != 0 or rule != "R-SENT" or not places or s.before is None:
        return None
    first = min(x.mention.start for x in places)
    subject, ref_rule = referred(s.cue_text, s.before, s.sentence_id, c.start, first)
    named = {x.place_id for x in places}
    return [x for x in subject if x.place_id not in named], ref_rule


# Places a clause codes beside those of PLACE_RULES.
BESIDE_RULES = (reference_subject,)


def code_sentences(
    sentences: pd.DataFrame, codebook: Codebook, adjudications_path: Path | str | None = None
) -> dict[str, pd.DataFrame]:
    """Code a SENTENCES table: returns mentions, codings (adjudicated) and priority_matrix.

    Sentences are matched in a simplified copy of the same length (``script.for_matching``);
    evidence and mention text are then those of the text as written. A sentence longer than
    ``unit_chars`` (rules.yaml) is coded in pieces (``units.unit_spans``), each piece the
    evidence of its codings."""
    order = sentences.sort_values(["source_id", "start"], kind="stable")
    coder = Coder(codebook, PLACE_RULES, BESIDE_RULES)
    columns = ["source_id", "paragraph_id", "sentence_id", "start", "end", "text"]
    rows = list(zip(*(order[c].tolist() for c in columns), strict=True))
    written = {row[2]: (row[3], row[5]) for row in rows}
    by_source: dict[str, list] = {}
    for source_id, paragraph_id, sentence_id, s_start, s_end, text in rows:
        matching = for_matching(text)
        spans = unit_spans(matching, codebook.find_terms, codebook.rules.unit_chars)
        for a, b in spans:
            end = s_end if len(spans) == 1 else s_start + b
            unit = (source_id, paragraph_id, sentence_id, s_start + a, end, matching[a:b])
            by_source.setdefault(source_id, []).append(unit)
    for source_rows in by_source.values():
        coder.code_source(source_rows)
    for m in coder.record.mentions:
        s_start, text = written[m["sentence_id"]]
        m["text"] = text[m["start"] - s_start : m["end"] - s_start]
    for c in coder.record.codings.values():
        s_start, text = written[c["sentence_id"]]
        whole = c["start"] == s_start and c["end"] - c["start"] >= len(text)
        c["evidence"] = text if whole else text[c["start"] - s_start : c["end"] - s_start]
    mentions_df = pd.DataFrame(coder.record.mentions, columns=list(MENTIONS.columns))
    codings_df = pd.DataFrame(list(coder.record.codings.values()), columns=list(CODINGS.columns))
    if adjudications_path is not None:
        codings_df = apply_adjudications(codings_df, Path(adjudications_path), sentences, codebook)
    return {
        "mentions": mentions_df,
        "codings": codings_df,
        "priority_matrix": priority_matrix(codings_df, codebook.fallback_sectors()),
    }
