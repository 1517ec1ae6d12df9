"""Which sources the report covers: the compare stage's ``period`` and ``sources`` parameters."""

from __future__ import annotations

import pandas as pd

from helpers import schemas
from helpers.engine.errors import InputError
from helpers.ingest.sources import period_years, valid_period


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
