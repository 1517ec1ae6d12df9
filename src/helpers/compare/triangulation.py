"""Comparison: each retelling against its reference, and the sources against each other.

A reference source survives only as facts coded by hand (the file its manifest entry names),
so it is first mapped onto the codebook (``reference_codings``); each retelling (a source whose
``retells`` names the reference) then meets it at the level of (place, level-1 sector), and every
coding of the retelling, every reference fact and every comparative framing claim lands in at
least one classified row (``triangulate``), with the evidence of both sides beside it. Then the
ties of all covered sources are counted by source and their agreement classified
(``tie_sources``, ``tie_agreement``). ``select_sources`` decides which sources the report covers.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from helpers import schemas
from helpers.engine.errors import InputError, clip
from helpers.engine.models import check_table, read_csv
from helpers.ingest.sources import period_years, source_path, valid_period

FACT_RELATIONS = ["priority", "context"]
CONFIDENCES = ["high", "medium", "low"]
_LEVEL_TYPE = {"province": "place", "region": "region"}  # place_level -> codebook entity type

# A reference's facts table (the CSV its manifest entry names): one fact a row, coded by hand.
# Places (``;``-separated) and the sector label are looked up in the codebook by
# reference_codings; an empty cell is missing.
FACTS = pa.DataFrameSchema(
    {
        "fact_id": pa.Column(str, unique=True),
        "places": pa.Column(str, nullable=True),
        "place_level": pa.Column(str, pa.Check.isin([*_LEVEL_TYPE, "general"])),
        "sector": pa.Column(str, nullable=True),
        "commitment": pa.Column(str, nullable=True),
        "relation": pa.Column(str, pa.Check.isin(FACT_RELATIONS)),
        "confidence": pa.Column(str, pa.Check.isin(CONFIDENCES)),
        "urls": pa.Column(str, nullable=True),
        # the reference's own framing of China against other powers, where a fact holds one
        # (CODING.md §7): a framing dimension id, who it puts ahead, the rivals it names
        "framing_dimension": pa.Column(str, nullable=True, required=False),
        "framing_direction": pa.Column(
            str, pa.Check.isin(schemas.DIRECTIONS), nullable=True, required=False
        ),
        "framing_comparators": pa.Column(str, nullable=True, required=False),
    },
    strict=True,
)
_FRAMING = ("framing_dimension", "framing_direction", "framing_comparators")
FACT_COLUMNS = [name for name, column in FACTS.columns.items() if column.required]


# -- the reference side ------------------------------------------------------------------------
def _read_facts(path: Path) -> pd.DataFrame:
    """The facts table, checked; empty cells are empty text. Indexed by line in the file."""
    facts = check_table(FACTS, read_csv(path, "facts table"), path, named=("fact", "fact_id"))
    return facts.fillna("")


def _fact(fact) -> str:
    """A fact as messages name it: its id and its line in the file."""
    return f"fact {clip(fact['fact_id'], 60)} (row {fact.name})"


def _fact_places(path, fact, codebook) -> list[str | None]:
    names = [n.strip() for n in fact["places"].split(";") if n.strip()]
    level = fact["place_level"]
    if level == "general":
        if names:
            raise InputError(
                path, f"{_fact(fact)}: place_level general but places {fact['places']!r}"
            )
        return [None]
    if not names:
        raise InputError(path, f"{_fact(fact)}: place_level {level} but no places")
    ids = []
    for name in names:
        try:
            etype, eid = codebook.resolve(name)
        except KeyError:
            raise InputError(path, f"{_fact(fact)}: unknown place name {name!r}") from None
        if etype != _LEVEL_TYPE[level]:
            raise InputError(
                path,
                f"{_fact(fact)}: {name!r} is a {etype} in the codebook, not a {level}",
            )
        ids.append(eid)
    return list(dict.fromkeys(ids))


def _fact_sectors(path, fact, codebook) -> list[str | None]:
    """The sector label's level-1 sector, then any further sector the commitment names.

    The facts table has one sector column, but a fact can state more (a marine-energy plan
    "with green hydrogen pilot projects" is also a hydrogen commitment); the codebook's terms
    find those in the coder's own words, so the comparison does not miss them.
    """
    sectors = []
    label = fact["sector"]
    if label:
        try:
            etype, eid = codebook.resolve(label)
        except KeyError:
            raise InputError(path, f"{_fact(fact)}: unknown sector label {label!r}") from None
        if etype != "sector":
            raise InputError(path, f"{_fact(fact)}: sector {label!r} is a {etype} in the codebook")
        sectors.append(eid)
    sectors += [
        m.sector_id
        for m in codebook.find_terms(fact["commitment"])
        if m.entity_type == "sector" and m.sector_id
    ]
    return list(dict.fromkeys(sectors)) or [None]


def _fact_framing(path, fact, framing_codebook) -> dict[str, str | None]:
    """The fact's framing fields, checked against the framing codebook (when given)."""
    found = {k: fact.get(k, "") or None for k in _FRAMING}
    dimension, direction, comparators = (found[k] for k in _FRAMING)
    if (dimension is None) != (direction is None):
        raise InputError(
            path, f"{_fact(fact)}: a framing needs both framing_dimension and framing_direction"
        )
    if comparators and dimension is None:
        raise InputError(path, f"{_fact(fact)}: framing_comparators without a framing")
    if framing_codebook is not None and dimension is not None:
        if dimension not in framing_codebook.dimensions:
            raise InputError(
                path,
                f"{_fact(fact)}: unknown framing_dimension {clip(dimension, 60)}; the framing "
                f"codebook has {sorted(framing_codebook.dimensions)}",
            )
        for actor in filter(None, (comparators or "").split(";")):
            if actor.strip() not in framing_codebook.actors:
                raise InputError(
                    path, f"{_fact(fact)}: unknown framing comparator {clip(actor, 60)}"
                )
    if comparators:
        found["framing_comparators"] = ";".join(a.strip() for a in comparators.split(";"))
    return found


def reference_codings(
    facts_csv: Path | str, codebook, source_id: str, framing_codebook=None
) -> pd.DataFrame:
    """The facts table as REFERENCE_CODINGS: one row per fact x place x level-1 sector.

    A general fact keeps an empty place, a fact naming no sector an empty sector, so every fact
    has at least one row; a fact's framing (if any) is on each of its rows. Any defect of the
    table stops with an InputError naming the file.
    """
    path = Path(facts_csv)
    facts = _read_facts(path)
    rows = []
    for _, fact in facts.iterrows():
        places = _fact_places(path, fact, codebook)
        sectors = _fact_sectors(path, fact, codebook)
        framing = _fact_framing(path, fact, framing_codebook)
        for place in places:
            for sector in sectors:
                rid = f"{fact['fact_id']}:{place or 'general'}:{sector or 'none'}"
                rows.append(
                    {
                        "reference_id": rid,
                        "source_id": source_id,
                        "fact_id": fact["fact_id"],
                        "place_id": place,
                        "place_level": fact["place_level"],
                        "sector_id": sector,
                        "relation": fact["relation"],
                        "confidence": fact["confidence"],
                        "commitment": fact["commitment"],
                        "urls": fact["urls"],
                        **framing,
                    }
                )
    df = pd.DataFrame(rows, columns=list(schemas.REFERENCE_CODINGS.columns))
    if df.empty:
        df = _empty(schemas.REFERENCE_CODINGS)
    return schemas.REFERENCE_CODINGS.validate(df)


# -- triangulation -----------------------------------------------------------------------------
_CLASS_ORDER = {c: i for i, c in enumerate(schemas.TRIANGULATION_CLASSES)}
# The classes that count ties between a retelling and its reference (the others are framing
# claims and facts no coding can meet).
TIE_CLASSES = ["agrees", "unconfirmed", "omitted_by_article", "added_by_article", "misattributed"]
FRAMING_CLASSES = [
    "framing_agrees",
    "framing_changed",
    "framing_only_in_article",
    "framing_only_in_reference",
]
# How the classes read in charts and tables, in schemas.TRIANGULATION_CLASSES order.
CLASS_LABELS = {
    "agrees": "Agrees",
    "unconfirmed": "Unconfirmed",  # met only by a fact rebuilt from the retelling
    "omitted_by_article": "Omitted by the retelling",
    "added_by_article": "Added by the retelling",
    "misattributed": "Misattributed",
    "framing_agrees": "Framing as in the reference",
    "framing_changed": "Framing changed by the retelling",
    "framing_only_in_article": "Framing only in the retelling",
    "framing_only_in_reference": "Framing dropped by the retelling",
    "not_coded": "Not coded",
}
_COLUMNS = list(schemas.TRIANGULATION.columns)


def _article_side(coding=None, claim=None) -> dict:
    src = coding if coding is not None else claim
    if src is None:
        return {
            k: None
            for k in (
                "article_place_id",
                "article_relation",
                "article_sentence_id",
                "article_start",
                "article_end",
                "article_evidence",
            )
        }
    return {
        "article_place_id": coding["place_id"] if coding is not None else None,
        "article_relation": coding["relation"] if coding is not None else None,
        "article_sentence_id": src["sentence_id"],
        "article_start": int(src["start"]),
        "article_end": int(src["end"]),
        "article_evidence": src["evidence"],
    }


def _reference_side(ref=None) -> dict:
    if ref is None:
        return {
            "reference_place_id": None,
            "reference_relation": None,
            "fact_id": None,
            "fact_text": None,
        }
    place = ref["place_id"]
    return {
        "reference_place_id": None if pd.isna(place) else place,
        "reference_relation": ref["relation"],
        "fact_id": ref["fact_id"],
        "fact_text": ref["commitment"],
    }


def _row(cls, sector, note, *, article: str | None, coding=None, claim=None, ref=None) -> dict:
    """One classified row; its id names the article it belongs to, so two retellings of one
    reference that both omit a fact get two rows, not one id twice."""
    key = "|".join(
        [
            cls,
            article or "",
            "" if coding is None else str(coding["coding_id"]),
            "" if claim is None else str(claim["claim_id"]),
            "" if ref is None else f"{ref['source_id']}:{ref['reference_id']}",
        ]
    )
    return {
        "row_id": hashlib.sha1(key.encode("utf-8")).hexdigest()[:16],
        "class": cls,
        "sector_id": sector,
        **_article_side(coding, claim),
        "article_source_id": article,
        **_reference_side(ref),
        "note": note,
    }


def _pairs(left: list, right: list) -> list[tuple]:
    """Pair two non-empty lists, strongest relation first (so priorities meet priorities); the
    shorter side repeats its first item, so every item of both sides appears in some pair."""
    left = sorted(left, key=lambda x: schemas.RELATION_RANK[x["relation"]])
    right = sorted(right, key=lambda x: schemas.RELATION_RANK[x["relation"]])
    n = max(len(left), len(right))
    return [
        (left[i] if i < len(left) else left[0], right[i] if i < len(right) else right[0])
        for i in range(n)
    ]


def _empty(schema) -> pd.DataFrame:
    """A zero-row frame with the schema's columns and dtypes (so it still meets the contract)."""
    dtypes = {"str": "str", "Int64": "Int64", "int64": "int64", "bool": "bool"}
    return pd.DataFrame(
        {
            name: pd.Series(dtype=dtypes.get(str(col.dtype), "str"))
            for name, col in schema.columns.items()
        }
    )


def _records(df: pd.DataFrame) -> list[dict]:
    return [dict(r) for r in df.to_dict("records")]


def _triangulate_one(
    article: str | None,
    codings: list[dict],
    claims: list[dict],
    refs: list[dict],
    framing_codebook,
    mentions: pd.DataFrame | None,
) -> list[dict]:
    rows: list[dict] = []
    art_ties: dict[tuple, list[dict]] = {}
    for c in codings:
        art_ties.setdefault((c["place_id"], c["sector_id"]), []).append(c)
    tied_refs = [r for r in refs if not pd.isna(r["place_id"]) and not pd.isna(r["sector_id"])]
    ref_ties: dict[tuple, list[dict]] = {}
    for r in tied_refs:
        ref_ties.setdefault((r["place_id"], r["sector_id"]), []).append(r)

    # 1. The same (place, sector) tie on both sides: one row per fact, met by the retelling's
    #    strongest coding of the tie. A fact rebuilt from the retelling itself (confidence
    #    medium) cannot confirm it (CODING.md §8).
    retold: dict[str, set[str]] = {}  # fact -> the sentences that retell it (matched there)
    for tie in sorted(set(art_ties) & set(ref_ties)):
        best = min(art_ties[tie], key=lambda c: schemas.RELATION_RANK[c["relation"]])
        for r in ref_ties[tie]:
            note = "same place and sector on both sides"
            if best["relation"] != r["relation"]:
                note += (
                    f"; relation differs ({best['relation']} in the article, "
                    f"{r['relation']} in the reference)"
                )
            cls = "agrees"
            if r["confidence"] != "high":
                cls, note = "unconfirmed", note + "; the fact was rebuilt from the retelling"
            rows.append(_row(cls, tie[1], note, article=article, coding=best, ref=r))
            retold.setdefault(r["fact_id"], set()).update(c["sentence_id"] for c in art_ties[tie])

    # 2. Unmatched ties. A retelling tie that gives a fact's sector to a place the fact does
    #    not name, in the statement that retells the fact (a sentence where another place of
    #    the fact is matched, or anywhere when none is), is misattributed; the fact's own tie
    #    is then omitted all the same. Pairs are one-to-one, in (sector, place) order.
    art_left = sorted(set(art_ties) - set(ref_ties), key=lambda t: (t[1], t[0]))
    ref_left = sorted(set(ref_ties) - set(art_ties), key=lambda t: (t[1], t[0]))
    unpaired = list(ref_left)

    def retells(codings_of_tie: list[dict], ref_tie: tuple) -> bool:
        sentences = set().union(*(retold.get(r["fact_id"], set()) for r in ref_ties[ref_tie]))
        return not sentences or any(c["sentence_id"] in sentences for c in codings_of_tie)

    for a in list(art_left):
        partner = next((r for r in unpaired if r[1] == a[1] and retells(art_ties[a], r)), None)
        if partner is None:
            continue
        art_left.remove(a)
        unpaired.remove(partner)
        what = f"sector {a[1]}: the article says {a[0]}, the reference {partner[0]}"
        for c, r in _pairs(art_ties[a], ref_ties[partner]):
            rows.append(_row("misattributed", a[1], what, article=article, coding=c, ref=r))
    for tie in art_left:
        for c in art_ties[tie]:
            rows.append(
                _row(
                    "added_by_article",
                    tie[1],
                    "tie absent from the reference",
                    article=article,
                    coding=c,
                )
            )
    for tie in ref_left:
        for r in ref_ties[tie]:
            rows.append(
                _row(
                    "omitted_by_article",
                    tie[1],
                    "tie absent from the article",
                    article=article,
                    ref=r,
                )
            )

    # 3. Reference rows without a full tie.
    article_sectors: dict[str, list[dict]] = {}
    article_places: dict[str, list[dict]] = {}
    for c in codings:
        article_sectors.setdefault(c["sector_id"], []).append(c)
        article_places.setdefault(c["place_id"], []).append(c)
    placeless = _placeless_sector_sentences(mentions)
    for r in refs:
        place, sector = r["place_id"], r["sector_id"]
        if not pd.isna(place) and not pd.isna(sector):
            continue
        if pd.isna(place) and pd.isna(sector):
            rows.append(
                _row(
                    "not_coded",
                    None,
                    "the fact names neither a place nor a sector",
                    article=article,
                    ref=r,
                )
            )
        elif pd.isna(place):
            hit = placeless.get(sector)
            if hit is not None:
                rows.append(
                    _row(
                        "agrees",
                        sector,
                        "general claim; the article names the sector in a sentence with no place",
                        claim=hit,
                        ref=r,
                        article=article,
                    )
                )
            elif sector in article_sectors:
                c = article_sectors[sector][0]
                places = sorted({x["place_id"] for x in article_sectors[sector]})
                rows.append(
                    _row(
                        "agrees",
                        sector,
                        "general claim; the article ties the sector "
                        f"only to named places ({', '.join(places)})",
                        coding=c,
                        ref=r,
                        article=article,
                    )
                )
            else:
                rows.append(
                    _row(
                        "omitted_by_article",
                        sector,
                        "general claim; the article does not name the sector",
                        ref=r,
                        article=article,
                    )
                )
        else:
            if place in article_places:
                rows.append(
                    _row(
                        "agrees",
                        None,
                        "the fact names no sector; the article codes the place",
                        coding=article_places[place][0],
                        ref=r,
                        article=article,
                    )
                )
            else:
                rows.append(
                    _row(
                        "omitted_by_article",
                        None,
                        "the fact names no sector; the article does not code the place",
                        ref=r,
                        article=article,
                    )
                )

    rows += _framing_rows(article, claims, refs, framing_codebook)
    return rows


def _framing_rows(article, claims: list[dict], refs: list[dict], framing_codebook) -> list[dict]:
    """The retelling's comparative claims against the reference's own framing, by dimension
    (CODING.md §7-8): a claim agrees when a fact frames its dimension the same way (who is
    ahead) against the rivals the claim names; it changes the framing when the reference frames
    the dimension otherwise; a claim on a dimension the reference does not frame is the
    retelling's alone, and a framing of the reference no claim takes up is dropped."""
    by_dimension: dict[str, list[dict]] = {}
    for r in refs:
        dim = r.get("framing_dimension")
        if dim and not pd.isna(dim) and r not in by_dimension.get(dim, []):
            if r["fact_id"] not in {f["fact_id"] for f in by_dimension.get(dim, [])}:
                by_dimension.setdefault(dim, []).append(r)
    rows, claimed = [], set()
    for claim in (c for c in claims if c["comparative"]):
        dim, facts = claim["dimension"], by_dimension.get(claim["dimension"], [])
        claimed.add(dim)
        said = _claim_phrase(claim, framing_codebook)
        if not facts:
            note = f"{said}; the reference does not frame this dimension"
            rows.append(_row("framing_only_in_article", None, note, claim=claim, article=article))
            continue
        rivals = set(str(claim["comparators"]).split(";"))
        same = [
            f
            for f in facts
            if f["framing_direction"] == claim["direction"]
            and rivals <= set(str(f["framing_comparators"] or "").split(";"))
        ]
        cls = "framing_agrees" if same else "framing_changed"
        ref = (same or facts)[0]
        held = "; ".join(f"{f['fact_id']}: {_fact_phrase(f, framing_codebook)}" for f in facts)
        note = f"{said}; the reference: {held}"
        rows.append(_row(cls, None, note, claim=claim, ref=ref, article=article))
    for dim in sorted(set(by_dimension) - claimed):
        for fact in by_dimension[dim]:
            note = f"{_fact_phrase(fact, framing_codebook)}; the retelling makes no claim on it"
            rows.append(_row("framing_only_in_reference", None, note, ref=fact, article=article))
    return rows


def _standing(actor: str, direction: str, rivals: list[str]) -> str:
    """Who is ahead, in words: "China ahead of Europe", "China against others, no one clearly
    ahead"."""
    against = ", ".join(rivals) or "others"
    if direction == "unclear":
        return f"{actor} against {against}, no one clearly ahead"
    return f"{actor} {'ahead of' if direction == 'actor_ahead' else 'behind'} {against}"


def _claim_phrase(claim, framing_codebook) -> str:
    """A claim as a note reads it: "technology gap: China ahead of United States, Europe"."""
    rivals = [framing_codebook.actor_label(a) for a in str(claim["comparators"]).split(";") if a]
    actor = framing_codebook.actor_label(claim["actor"])
    return (
        f"{framing_codebook.dimension_label(claim['dimension'])}: "
        f"{_standing(actor, claim['direction'], rivals)}"
    )


def _fact_phrase(fact, framing_codebook) -> str:
    """A reference framing as a note reads it (its rivals, or "others" where it names none)."""
    named = str(fact["framing_comparators"] or "")
    rivals = [framing_codebook.actor_label(a) for a in named.split(";") if a]
    actor = framing_codebook.actor_label(framing_codebook.focal_actor)
    return (
        f"{framing_codebook.dimension_label(fact['framing_dimension'])}: "
        f"{_standing(actor, fact['framing_direction'], rivals)}"
    )


def _placeless_sector_sentences(mentions: pd.DataFrame | None) -> dict[str, dict]:
    """Sector -> first sentence (as an evidence record) that names it with no place or region."""
    if mentions is None or mentions.empty:
        return {}
    with_place = set(mentions.loc[mentions["entity_type"] != "sector", "sentence_id"])
    sector_hits = mentions[
        (mentions["entity_type"] == "sector") & ~mentions["sentence_id"].isin(with_place)
    ]
    out: dict[str, dict] = {}
    for m in sector_hits.sort_values(["source_id", "sentence_id", "start"]).to_dict("records"):
        out.setdefault(
            m["sector_id"],
            {
                "claim_id": m["mention_id"],
                "source_id": m["source_id"],
                "sentence_id": m["sentence_id"],
                "start": m["start"],
                "end": m["end"],
                "evidence": m["text"],
            },
        )
    return out


def triangulate(
    codings: pd.DataFrame,
    claims: pd.DataFrame,
    reference: pd.DataFrame,
    framing_codebook,
    mentions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Classify every article coding, reference fact and comparative framing claim.

    Each article source is compared with the whole reference on its own, at (place, level-1
    sector); rejected codings are ignored. ``mentions`` (optional, the MENTIONS table) lets a
    general reference fact agree with a sentence that names its sector without a place.
    """
    codings = codings[codings["status"] != "rejected"]
    sources = set(codings["source_id"]) | set(claims["source_id"])
    if mentions is not None:
        sources |= set(mentions["source_id"])
    sources = sorted(sources) or [None]
    refs = _records(reference.sort_values(["fact_id", "reference_id"]))
    rows: list[dict] = []
    for source in sources:
        c = codings[codings["source_id"] == source].sort_values(
            ["sentence_id", "start", "place_id", "sector_id", "coding_id"]
        )
        k = claims[claims["source_id"] == source].sort_values("claim_id")
        m = None if mentions is None else mentions[mentions["source_id"] == source]
        rows += _triangulate_one(source, _records(c), _records(k), refs, framing_codebook, m)
    if not rows:
        return schemas.TRIANGULATION.validate(_empty(schemas.TRIANGULATION))
    ref_ids = sorted(set(reference["source_id"]))
    for row in rows:
        row["reference_source_id"] = ref_ids[0] if len(ref_ids) == 1 else None
    df = pd.DataFrame(rows, columns=_COLUMNS)
    df["article_start"] = df["article_start"].astype("Int64")
    df["article_end"] = df["article_end"].astype("Int64")
    df = df.sort_values(
        by=["class", "sector_id", "article_source_id", "article_sentence_id", "fact_id", "row_id"],
        key=lambda s: s.map(_CLASS_ORDER) if s.name == "class" else s.fillna(""),
    ).reset_index(drop=True)
    return schemas.TRIANGULATION.validate(df)


def compare_sources(
    sources,
    raw_dir: Path | str,
    codings: pd.DataFrame,
    claims: pd.DataFrame,
    codebook,
    framing_codebook,
    mentions: pd.DataFrame | None = None,
    *,
    period: str = "",
    source_ids=(),
) -> dict[str, pd.DataFrame]:
    """The compare stage over the sources the report covers (``period``, ``source_ids``: see
    ``select_sources``): each reference against every retelling of it, then the ties by source
    and their agreement. ``sources`` are manifest entries (helpers.ingest.sources.Source); returns
    ``{"selection", "reference_codings", "triangulation", "tie_sources", "ties"}``, validated.

    Only articles whose ``retells`` names the reference are compared with it, so a corpus of
    stories on different events never has one story's facts counted as another's omissions.
    The reference's facts file is the one its manifest entry names (``file:``).
    """
    raw_dir = Path(raw_dir)
    selection = select_sources(sources, period, source_ids)
    chosen = set(selection.loc[selection["selected"], "source_id"])
    sources = [s for s in sources if s.id in chosen]
    codings = codings[codings["source_id"].isin(chosen)]
    claims = claims[claims["source_id"].isin(chosen)]
    refs, tris = [], []
    for ref_source in sorted((s for s in sources if s.kind == "reference"), key=lambda s: s.id):
        reference = reference_codings(
            source_path(ref_source, raw_dir), codebook, ref_source.id, framing_codebook
        )
        articles = {s.id for s in sources if s.retells == ref_source.id}
        tri = triangulate(
            codings[codings["source_id"].isin(articles)],
            claims[claims["source_id"].isin(articles)],
            reference,
            framing_codebook,
            None if mentions is None else mentions[mentions["source_id"].isin(articles)],
        )
        refs.append(reference)
        tris.append(tri)
    reference = pd.concat(refs, ignore_index=True) if refs else _empty(schemas.REFERENCE_CODINGS)
    triangulation = pd.concat(tris, ignore_index=True) if tris else _empty(schemas.TRIANGULATION)
    by_source = tie_sources(codings, triangulation, reference)
    return {
        "selection": selection,
        "reference_codings": schemas.REFERENCE_CODINGS.validate(reference),
        "triangulation": schemas.TRIANGULATION.validate(triangulation),
        "tie_sources": by_source,
        "ties": tie_agreement(by_source),
    }


def ties(triangulation: pd.DataFrame) -> pd.DataFrame:
    """The triangulation counted in ties, the unit the report states.

    Several rows can stand for one tie (two codings of one place and sector, or one coding met
    by two facts); they collapse into one row per (retelling, class, sector, article place,
    reference place), with ``n_rows``. Framing claims and uncoded facts stay one row each.
    """
    columns = [
        "article_source_id",
        "reference_source_id",
        "class",
        "sector_id",
        "article_place_id",
        "reference_place_id",
        "article_evidence",
        "fact_text",
    ]
    if triangulation.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns}).assign(
            n_rows=pd.Series(dtype="int64")
        )
    per_row = triangulation["class"].isin([*FRAMING_CLASSES, "not_coded"])
    key = (
        triangulation[
            [
                "article_source_id",
                "class",
                "sector_id",
                "article_place_id",
                "reference_place_id",
            ]
        ]
        .astype("object")
        .where(triangulation.notna(), "")
    )
    key["row"] = triangulation["row_id"].where(per_row, "")
    grouped = triangulation.assign(_key=key.agg("|".join, axis=1)).groupby("_key", sort=False)
    out = grouped.first().reset_index(drop=True)
    out["n_rows"] = grouped.size().values
    return out[[*columns, "n_rows"]]


# -- which sources the report covers ------------------------------------------------------------
def select_sources(sources, period: str = "", source_ids=()) -> pd.DataFrame:
    """The SELECTION table: a source is covered when its period lies within ``period`` (a year
    or a range; empty: any) and, when ``source_ids`` are given, its id is one of them.

    A bad parameter stops with an InputError naming pipeline.yaml's parameter.
    """
    where = "pipeline.yaml (compare stage)"
    if period and not valid_period(str(period)):
        raise InputError(where, f"parameter period {period!r} is not a year or a range of years")
    known = {s.id for s in sources}
    unknown = sorted(set(source_ids) - known)
    if unknown:
        raise InputError(where, f"parameter sources names unknown ids: {', '.join(unknown)}")
    lo, hi = period_years(str(period)) if period else (None, None)

    def covered(s) -> bool:
        first, last = period_years(s.period)
        in_period = lo is None or (lo <= first and last <= hi)
        return in_period and (not source_ids or s.id in set(source_ids))

    rows = [
        {"source_id": s.id, "period": s.period, "selected": covered(s)}
        for s in sorted(sources, key=lambda s: s.id)
    ]
    df = pd.DataFrame(rows, columns=list(schemas.SELECTION.columns))
    if not df["selected"].any():
        raise InputError(where, f"no source matches period {period!r} and sources {source_ids!r}")
    return schemas.SELECTION.validate(df)


# -- agreement between sources ---------------------------------------------------------------


def tie_sources(
    codings: pd.DataFrame, triangulation: pd.DataFrame, reference: pd.DataFrame | None = None
) -> pd.DataFrame:
    """TIE_SOURCES: each source's view of each tie, its best evidence (the first sentence with
    its strongest relation) and whether the triangulation found the source misattributing it.

    A tie is an asserted coding (CODING.md §4); a source's negation of it is kept beside the
    sources that assert it, so a contradiction shows, but a negation alone makes no tie. A
    reference's fact of high confidence counts the reference as a source of its tie (§8), its
    evidence the fact in the coder's words; a fact rebuilt from a retelling does not."""
    live = codings[codings["status"] != "rejected"]
    asserted = live[live["modality"] == "asserted"]
    facts = _attesting_facts(reference)
    stated = set(zip(asserted["place_id"], asserted["sector_id"], strict=True))
    stated |= set(zip(facts["place_id"], facts["sector_id"], strict=True))
    tie_of = pd.MultiIndex.from_arrays([live["place_id"], live["sector_id"]])
    negating = live[(live["modality"] == "negated").to_numpy() & tie_of.isin(list(stated))]
    live = pd.concat([asserted, negating])
    wrong = triangulation[triangulation["class"] == "misattributed"]
    misattributed = set(
        zip(wrong["article_source_id"], wrong["article_place_id"], wrong["sector_id"], strict=True)
    )
    rows = []
    keys = ["place_id", "sector_id", "source_id"]
    for (place, sector, source), g in live.groupby(keys, sort=True):
        g = g.assign(_rank=g["relation"].map(schemas.RELATION_RANK)).sort_values(
            ["_rank", "sentence_id", "start"], kind="stable"
        )
        best = g.iloc[0]
        rows.append(
            {
                "place_id": place,
                "place_level": best["place_level"],
                "sector_id": sector,
                "source_id": source,
                "relation": best["relation"],
                "n_codings": len(g),
                "negated": bool((g["modality"] == "negated").any()),
                "misattributed": (source, place, sector) in misattributed,
                "sentence_id": best["sentence_id"],
                "start": int(best["start"]),
                "end": int(best["end"]),
                "evidence": best["evidence"],
                "from_reference": False,
            }
        )
    rows += _reference_sources(facts)
    rows.sort(key=lambda r: (r["place_id"], r["sector_id"], r["source_id"]))
    df = pd.DataFrame(rows, columns=list(schemas.TIE_SOURCES.columns))
    if df.empty:
        df = _empty(schemas.TIE_SOURCES)
    return schemas.TIE_SOURCES.validate(df)


def _attesting_facts(reference: pd.DataFrame | None) -> pd.DataFrame:
    """A reference's facts that attest a tie: of high confidence, with a place and a sector."""
    if reference is None:
        return _empty(schemas.REFERENCE_CODINGS)
    return reference[
        (reference["confidence"] == "high")
        & reference["place_id"].notna()
        & reference["sector_id"].notna()
    ]


def _reference_sources(facts: pd.DataFrame) -> list[dict]:
    """TIE_SOURCES rows of a reference: one per (place, sector) its attesting facts name, the
    strongest relation, the first such fact as evidence (``sentence_id`` is
    ``<reference>:<fact_id>``; a fact has no offsets in a text, so 0, 0)."""
    rows = []
    keys = ["place_id", "sector_id", "source_id"]
    for (place, sector, source), g in facts.groupby(keys, sort=True):
        g = g.assign(_rank=g["relation"].map(schemas.RELATION_RANK)).sort_values(
            ["_rank", "fact_id"], kind="stable"
        )
        best = g.iloc[0]
        rows.append(
            {
                "place_id": place,
                "place_level": best["place_level"],
                "sector_id": sector,
                "source_id": source,
                "relation": best["relation"],
                "n_codings": len(g),
                "negated": False,
                "misattributed": False,
                "sentence_id": f"{source}:{best['fact_id']}",
                "start": 0,
                "end": 0,
                "evidence": best["commitment"],
                "from_reference": True,
            }
        )
    return rows


def tie_agreement(by_source: pd.DataFrame) -> pd.DataFrame:
    """TIES: one row per (place, sector) from TIE_SOURCES, with how the sources agree.

    ``agreement`` is, in this order: *contradicted* when one source gives the tie as a priority
    and another negates it; *misattributed* when every source behind it misattributes it;
    *corroborated* when two or more sources have it; *single_source* otherwise.
    """
    rows = []
    for (place, sector), g in by_source.groupby(["place_id", "sector_id"], sort=True):
        priority = set(g.loc[g["relation"] == "priority", "source_id"])
        negating = set(g.loc[g["negated"], "source_id"])
        if any(a != b for a in priority for b in negating):
            agreement = "contradicted"
        elif g["misattributed"].all():
            agreement = "misattributed"
        elif len(g) > 1:
            agreement = "corroborated"
        else:
            agreement = "single_source"
        rows.append(
            {
                "place_id": place,
                "place_level": g["place_level"].iloc[0],
                "sector_id": sector,
                "relation": min(g["relation"], key=schemas.RELATION_RANK.__getitem__),
                "n_codings": int(g["n_codings"].sum()),
                "n_sources": len(g),
                "source_ids": ";".join(sorted(g["source_id"])),
                "n_priority_sources": len(priority),
                "n_negating_sources": len(negating),
                "n_misattributing_sources": int(g["misattributed"].sum()),
                "agreement": agreement,
                "sentence_ids": ";".join(g.sort_values("source_id")["sentence_id"]),
            }
        )
    df = pd.DataFrame(rows, columns=list(schemas.TIES.columns))
    if df.empty:
        df = _empty(schemas.TIES)
    return schemas.TIES.validate(df)
