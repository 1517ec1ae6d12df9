"""A researcher's overrides of the automatic coding (``data/annotations/adjudications.csv``):
accept, reject or add a coding, each with its reason."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from helpers.codebook.book import Codebook
from helpers.coding.matrix import coding_id
from helpers.engine.errors import InputError
from helpers.engine.models import check_table, read_csv
from helpers.schemas import RELATIONS

ADJUDICATION_ACTIONS = ["accept", "reject", "add"]


def _needs(column: str, actions: list[str], wording: str) -> pa.Check:
    """A row-level rule: a row whose action is one of ``actions`` fills ``column``."""
    return pa.Check(
        lambda df: ~df["action"].isin(actions) | df[column].notna(),
        error=f"{wording} needs {column}",
    )


# The adjudications file (data/annotations/adjudications.csv): one override a row, every
# column present in this order, an empty cell missing. What a row names is looked up in
# apply_adjudications.
ADJUDICATIONS = pa.DataFrameSchema(
    {
        "action": pa.Column(str, pa.Check.isin(ADJUDICATION_ACTIONS)),
        "coding_id": pa.Column(str, nullable=True),
        "source_id": pa.Column(str, nullable=True),
        "sentence_id": pa.Column(str, nullable=True),
        "place_id": pa.Column(str, nullable=True),
        "sector_id": pa.Column(str, nullable=True),
        "relation": pa.Column(str, pa.Check.isin(RELATIONS), nullable=True),
        "reason": pa.Column(str),
    },
    checks=[
        _needs("coding_id", ["accept", "reject"], "an accept or a reject"),
        *(
            _needs(column, ["add"], "an add")
            for column in ("source_id", "sentence_id", "place_id", "sector_id", "relation")
        ),
    ],
    strict=True,
    ordered=True,
)


def apply_adjudications(
    codings: pd.DataFrame, path: Path, sentences: pd.DataFrame, codebook: Codebook
) -> pd.DataFrame:
    """Apply a researcher's accept / reject / add rows; any bad row stops with its line."""
    table = check_table(ADJUDICATIONS, read_csv(path, "adjudications file"), path)
    out = codings.copy()
    by_id = {cid: i for i, cid in enumerate(out["coding_id"])}
    sent = sentences.set_index("sentence_id")
    seen: set[str] = set()
    added = []
    for line, r in zip(table.index, table.fillna("").to_dict("records"), strict=True):
        where = f"row {line}"
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
        else:  # add
            if r["place_id"] in codebook.places:
                level = "province"
            elif r["place_id"] in codebook.regions:
                level = "region"
            else:
                raise InputError(path, f"{where}: unknown place_id {r['place_id']!r}")
            if r["sector_id"] not in codebook.sectors:
                raise InputError(path, f"{where}: unknown sector_id {r['sector_id']!r}")
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
                    "city_id": None,
                    "place_sentence_id": None,
                    "status": "added",
                    "adjudication_reason": r["reason"],
                }
            )
    if added:
        out = pd.concat([out, pd.DataFrame(added, columns=out.columns)], ignore_index=True)
    return out
