"""A reference source, kept as facts coded by hand (the CSV its manifest entry names), mapped
onto the codebook: one row per fact x place x level-1 sector, with the fact's own framing."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from helpers import schemas
from helpers.compare.rows import empty_table
from helpers.engine.errors import InputError, clip
from helpers.engine.models import check_table, read_csv

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
        df = empty_table(schemas.REFERENCE_CODINGS)
    return schemas.REFERENCE_CODINGS.validate(df)
