"""Coding: sentences -> codebook mentions -> (place, sector) codings -> priority matrix.

The rules are deliberately few, general and transparent (documented with their ids in
codebook/README.md), so a reader can check every coding against its evidence sentence, and a
researcher can override any of them in the adjudications file instead of editing code.
"""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from helpers.codebook import Codebook, TermMatch
from helpers.errors import InputError
from helpers.schemas import CODINGS, MENTIONS, PRIORITY_MATRIX, RELATIONS

STRENGTH = {"priority": 3, "achievement": 2, "context": 1}

_W = r"(?<![A-Za-z])"  # English cue words start at a word start (stems may take endings)
PRIORITY_CUES = re.compile(
    _W + r"(?:plan|aim|focus|promot|invest|build(?!t)|construct|accelerat|strengthen|explor"
    r"|develop|creat|consolidat|priorit|forefront|stands? out|support)"
    r"|重点|加快|推进|建设|打造|布局|发展|培育",
    re.IGNORECASE,
)
COMPLETION_CUES = re.compile(
    _W + r"(?:inaugurated|opened|launched|completed|unveiled|built|commissioned)(?![A-Za-z])"
    r"|建成|投用|启用|落成|揭牌",
    re.IGNORECASE,
)
NEGATION = re.compile(
    _W + r"(?:not|no|never|neither|nor)(?![A-Za-z])|n't(?![A-Za-z])|没有|未|不(?!断|仅|少|同)",
    re.IGNORECASE,
)
HYPOTHETICAL = re.compile(_W + r"(?:would|could|might|may|if)(?![A-Za-z])|如果|可能", re.IGNORECASE)
CONTRASTIVE = re.compile(
    r",\s*(?:while|whereas)(?![A-Za-z])|(?<![,\w])\s*whereas(?![A-Za-z])"
    r"|;|；|，而",
    re.IGNORECASE,
)
ANAPHORA = re.compile(
    r"^\W*(?:(?:and|but|moreover|meanwhile),?\s+)?(?:these\s+(?:areas|provinces|regions|cities"
    r"|places|localities|municipalities)|they|both(?:\s+of\s+them)?)(?![A-Za-z])"
    r"|^\W*(?:这些地区|这些省份|这些省市|两地|两省)",
    re.IGNORECASE,
)
PLACE_APPOSITIVE = re.compile(
    r",\s*(?:the|a|an|home\s+to|which|where|one\s+of|known\s+as"
    r"|capital\s+of)(?![A-Za-z])",
    re.IGNORECASE,
)
SECTOR_APPOSITIVE = re.compile(r",\s*(?:a|an|which|one\s+of)(?![A-Za-z])", re.IGNORECASE)
_BEFORE_WORDS = 3


@dataclass(frozen=True)
class _Paren:
    start: int
    end: int
    anchor: TermMatch | None  # the mention the parenthetical attaches to


@dataclass(frozen=True)
class _Place:
    place_id: str
    level: str  # province | region
    via_region: str | None
    mention: TermMatch | None  # None when inherited by R-ANAPHORA


def _parentheticals(text: str, matches: list[TermMatch]) -> list[_Paren]:
    """Bracketed spans and appositives, each with the mention it attaches to."""
    spans: list[tuple[int, int]] = []
    depth, open_at = 0, 0
    for i, ch in enumerate(text):
        if ch in "(（":
            if depth == 0:
                open_at = i
            depth += 1
        elif ch in ")）" and depth:
            depth -= 1
            if depth == 0:
                spans.append((open_at, i + 1))
    if depth:
        spans.append((open_at, len(text)))
    out = [_Paren(s, e, _anchor(text, matches, s)) for s, e in spans]
    for m in matches:
        if any(p.start <= m.start < p.end for p in out):
            continue
        cue = SECTOR_APPOSITIVE if m.entity_type == "sector" else PLACE_APPOSITIVE
        head = cue.match(text, m.end)
        if not head:
            continue
        comma = text.find(",", head.end())
        end = comma if comma >= 0 else len(text.rstrip(". 。"))
        inside = [x for x in matches if m.end <= x.start < end]
        if any(x.entity_type != "sector" for x in inside):
            continue  # a list of places, not an appositive
        out.append(_Paren(m.end, end, m))
    return sorted(out, key=lambda p: p.start)


def _anchor(text: str, matches: list[TermMatch], start: int) -> TermMatch | None:
    before = [m for m in matches if m.end <= start and not text[m.end : start].strip()]
    return before[-1] if before else None


def _clauses(text: str, parens: list[_Paren]) -> list[tuple[int, int]]:
    cuts = [
        m.start()
        for m in CONTRASTIVE.finditer(text)
        if not any(
            p.start <= m.start() < p.end
            for p in parens
            if p.anchor is None or text[p.start] in "(（"
        )
    ]
    bounds = [0, *cuts, len(text)]
    return [(a, b) for a, b in zip(bounds, bounds[1:], strict=False) if b > a]


def _mask(text: str, parens: list[_Paren]) -> str:
    """The text with parentheticals blanked (same length, so offsets still hold)."""
    chars = list(text)
    for p in parens:
        chars[p.start : p.end] = " " * (p.end - p.start)
    return "".join(chars)


def _clause_relation(masked: str) -> str:
    if PRIORITY_CUES.search(masked):
        return "priority"
    if COMPLETION_CUES.search(masked):
        return "achievement"
    return "context"


def _modality(masked: str, lo: int, hi: int, clause_start: int) -> str:
    """negated / hypothetical when a cue links the two mentions (text between them)."""
    between = masked[lo:hi]
    before = " ".join(masked[clause_start:lo].split()[-_BEFORE_WORDS:])
    if NEGATION.search(between) or NEGATION.search(before):
        return "negated"
    if HYPOTHETICAL.search(between):
        return "hypothetical"
    return "asserted"


def coding_id(source_id, sentence_id, place_id, sector_id, technology_id, rule_id) -> str:
    """Stable id: the same tie from the same evidence by the same rule keeps its id."""
    key = "|".join([source_id, sentence_id, place_id, sector_id, technology_id or "", rule_id])
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def _sentence_places(matches: list[TermMatch], codebook: Codebook) -> list[_Place]:
    regions = [m.entity_id for m in matches if m.entity_type == "region"]
    out = []
    for m in matches:
        if m.entity_type == "region":
            out.append(_Place(m.entity_id, "region", None, m))
        elif m.entity_type == "place":
            via = next((r for r in regions if m.entity_id in codebook.regions[r].members), None)
            out.append(_Place(m.entity_id, "province", via, m))
    return out


def code_sentences(
    sentences: pd.DataFrame, codebook: Codebook, adjudications_path: Path | str | None = None
) -> dict[str, pd.DataFrame]:
    """Code a SENTENCES table: returns mentions, codings (adjudicated) and priority_matrix."""
    order = sentences.sort_values(["source_id", "start"], kind="stable")
    mentions, codings = [], {}
    topic: tuple[str, str | None] | None = None
    prev_places: list[_Place] = []
    paragraph = None
    for row in zip(
        order["source_id"],
        order["paragraph_id"],
        order["sentence_id"],
        order["start"],
        order["end"],
        order["text"],
        strict=True,
    ):
        source_id, paragraph_id, sentence_id, s_start, s_end, text = row
        matches = codebook.find_terms(text)
        parens = _parentheticals(text, matches)
        first_in_paragraph = paragraph_id != paragraph
        paragraph = paragraph_id
        for n, m in enumerate(matches, start=1):
            mentions.append(
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
        places = _sentence_places(matches, codebook)
        if first_in_paragraph:
            sector_ids = {m.sector_id for m in matches if m.entity_type == "sector"}
            techs = {m.entity_id for m in matches if m.entity_type == "sector"}
            topic = None
            if len(sector_ids) == 1 and not places:
                tech = next(iter(techs)) if len(techs) == 1 else None
                topic = (next(iter(sector_ids)), None if tech in codebook.sectors else tech)
            prev_places = []
        inherited = prev_places if not places and ANAPHORA.match(text) else []
        prev_places = places or inherited

        masked = _mask(text, parens)
        base = dict(
            source_id=source_id,
            paragraph_id=paragraph_id,
            sentence_id=sentence_id,
            start=int(s_start),
            end=int(s_end),
            evidence=text,
        )

        def add(
            place: _Place,
            sector_id,
            technology_id,
            relation,
            modality,
            rule,
            base=base,
            source_id=source_id,
            sentence_id=sentence_id,
        ):
            if modality != "asserted":
                relation = "context"
            cid = coding_id(source_id, sentence_id, place.place_id, sector_id, technology_id, rule)
            old = codings.get(cid)
            if old and STRENGTH[old["relation"]] >= STRENGTH[relation]:
                return
            codings[cid] = {
                "coding_id": cid,
                **base,
                "place_id": place.place_id,
                "place_level": place.level,
                "sector_id": sector_id,
                "technology_id": technology_id,
                "relation": relation,
                "modality": modality,
                "rule_id": rule,
                "via_region": place.via_region,
                "status": "auto",
                "adjudication_reason": None,
            }

        def tech_of(m: TermMatch):
            return None if m.entity_id == m.sector_id else m.entity_id

        attached = {
            id(p): p
            for p in parens
            if p.anchor is not None and p.anchor.entity_type in ("place", "region")
        }
        for p in attached.values():  # R-PAREN
            anchor = next(x for x in places if x.mention == p.anchor)
            relation = "achievement" if COMPLETION_CUES.search(text, p.start, p.end) else "context"
            for m in matches:
                if m.entity_type == "sector" and p.start <= m.start < p.end:
                    mod = _modality(text, p.start, m.start, p.start)
                    add(anchor, m.sector_id, tech_of(m), relation, mod, "R-PAREN")

        for k, (c_start, c_end) in enumerate(_clauses(text, parens)):
            inside = [m for m in matches if c_start <= m.start < c_end]
            own = [
                m
                for m in inside
                if m.entity_type == "sector"
                and not any(p.start <= m.start < p.end for p in attached.values())
            ]
            c_places = [x for x in places if c_start <= x.mention.start < c_end]
            rule = "R-SENT"
            if not c_places and k == 0 and inherited:
                c_places, rule = inherited, "R-ANAPHORA"
            relation = _clause_relation(masked[c_start:c_end])
            for place in c_places:
                if own:
                    for m in own:
                        if place.mention is None:
                            lo, hi = c_start, m.start
                        else:
                            lo = min(place.mention.end, m.end)
                            hi = max(place.mention.start, m.start)
                        mod = _modality(masked, lo, hi, c_start)
                        add(place, m.sector_id, tech_of(m), relation, mod, rule)
                elif topic is not None and not first_in_paragraph:
                    lo = place.mention.end if place.mention else c_start
                    mod = _modality(masked, lo, c_end, c_start)
                    add(
                        place,
                        topic[0],
                        topic[1],
                        relation,
                        mod,
                        "R-TOPIC" if rule == "R-SENT" else rule,
                    )

    mentions_df = pd.DataFrame(mentions, columns=list(MENTIONS.columns))
    codings_df = pd.DataFrame(list(codings.values()), columns=list(CODINGS.columns))
    if adjudications_path is not None:
        codings_df = apply_adjudications(codings_df, Path(adjudications_path), sentences, codebook)
    return {
        "mentions": mentions_df,
        "codings": codings_df,
        "priority_matrix": priority_matrix(codings_df),
    }


def priority_matrix(codings: pd.DataFrame) -> pd.DataFrame:
    """Per (place, sector): the strongest relation among codings that were not rejected."""
    live = codings[codings["status"] != "rejected"].sort_values(
        ["source_id", "start"], kind="stable"
    )
    rows = []
    for (place_id, sector_id), g in live.groupby(["place_id", "sector_id"], sort=True):
        rows.append(
            {
                "place_id": place_id,
                "place_level": g["place_level"].iloc[0],
                "sector_id": sector_id,
                "relation": max(g["relation"], key=STRENGTH.__getitem__),
                "n_codings": len(g),
                "n_sources": g["source_id"].nunique(),
                "sentence_ids": ";".join(dict.fromkeys(g["sentence_id"])),
            }
        )
    return pd.DataFrame(rows, columns=list(PRIORITY_MATRIX.columns))


ADJUDICATION_COLUMNS = [
    "action",
    "coding_id",
    "source_id",
    "sentence_id",
    "place_id",
    "sector_id",
    "relation",
    "reason",
]


def apply_adjudications(
    codings: pd.DataFrame, path: Path, sentences: pd.DataFrame, codebook: Codebook
) -> pd.DataFrame:
    """Apply a researcher's accept / reject / add rows; any bad row stops with its line."""
    if not path.exists():
        raise InputError(path, "adjudications file not found")
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames != ADJUDICATION_COLUMNS:
            raise InputError(
                path,
                f"columns must be {','.join(ADJUDICATION_COLUMNS)}; found "
                f"{','.join(reader.fieldnames or [])}",
            )
        rows = list(reader)
    out = codings.copy()
    by_id = {cid: i for i, cid in enumerate(out["coding_id"])}
    sent = sentences.set_index("sentence_id")
    seen: set[str] = set()
    added = []
    for line, r in enumerate(rows, start=2):
        r = {k: (v or "").strip() for k, v in r.items()}
        where = f"row {line}"
        if not r["reason"]:
            raise InputError(path, f"{where}: reason is required")
        action = r["action"]
        if action in ("accept", "reject"):
            cid = r["coding_id"]
            if cid not in by_id:
                raise InputError(path, f"{where}: coding_id {cid!r} does not exist")
            if cid in seen:
                raise InputError(path, f"{where}: coding_id {cid!r} adjudicated twice")
            seen.add(cid)
            i = by_id[cid]
            out.iloc[i, out.columns.get_loc("status")] = (
                "accepted" if action == "accept" else "rejected"
            )
            out.iloc[i, out.columns.get_loc("adjudication_reason")] = r["reason"]
        elif action == "add":
            if r["place_id"] in codebook.places:
                level = "province"
            elif r["place_id"] in codebook.regions:
                level = "region"
            else:
                raise InputError(path, f"{where}: unknown place_id {r['place_id']!r}")
            if r["sector_id"] not in codebook.sectors:
                raise InputError(path, f"{where}: unknown sector_id {r['sector_id']!r}")
            if r["relation"] not in RELATIONS:
                raise InputError(path, f"{where}: relation must be one of {RELATIONS}")
            if (
                r["sentence_id"] not in sent.index
                or sent.loc[r["sentence_id"], "source_id"] != r["source_id"]
            ):
                raise InputError(
                    path,
                    f"{where}: unknown sentence {r['sentence_id']!r} of source {r['source_id']!r}",
                )
            s = sent.loc[r["sentence_id"]]
            cid = coding_id(
                r["source_id"], r["sentence_id"], r["place_id"], r["sector_id"], None, "ADJ-ADD"
            )
            if cid in by_id or cid in seen:
                raise InputError(path, f"{where}: this coding was already added")
            seen.add(cid)
            added.append(
                {
                    "coding_id": cid,
                    "source_id": r["source_id"],
                    "paragraph_id": s["paragraph_id"],
                    "sentence_id": r["sentence_id"],
                    "start": int(s["start"]),
                    "end": int(s["end"]),
                    "evidence": s["text"],
                    "place_id": r["place_id"],
                    "place_level": level,
                    "sector_id": r["sector_id"],
                    "technology_id": None,
                    "relation": r["relation"],
                    "modality": "asserted",
                    "rule_id": "ADJ-ADD",
                    "via_region": None,
                    "status": "added",
                    "adjudication_reason": r["reason"],
                }
            )
        else:
            raise InputError(path, f"{where}: action must be accept, reject or add, not {action!r}")
    if added:
        out = pd.concat([out, pd.DataFrame(added, columns=out.columns)], ignore_index=True)
    return out
