"""The corrections list (``data/annotations/corrections.yaml``): reviewed repairs of a
source's text, and where each one lands in the raw text.

A correction names an exact text in a source and either *repairs* it (the normalised text holds
the replacement) or *keeps* it (documented and left as received). Raw files are never edited,
so the original stays recoverable; :mod:`helpers.ingest.normalise` applies them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from helpers import schemas
from helpers.engine.errors import InputError, clip
from helpers.engine.models import Model, Text, parse
from helpers.engine.yamlio import read_yaml
from helpers.ingest.sources import Source, refuse_hidden

# Bounds of the corrections list: each correction costs a search of its source, so a list of
# thousands on a large source would take the ingest stage minutes; a researcher who needs more
# has a source to re-extract, not to repair.
MAX_CORRECTIONS_PER_SOURCE = 1_000
MAX_OCCURRENCE = 10_000  # how far into a source's repeats of a text a correction may pick


class Correction(Model):
    """One entry of the corrections list; ``occurrence`` (1-based) picks among repeats.

    ``found`` is matched exactly, white space included. A keep may omit ``replacement`` (it
    stands for itself); a repair's replacement may be empty (a deletion), but it is not
    normalised again, so it must not bring back what ingest removes.
    """

    id: Text
    source: Text
    found: Annotated[str, StringConstraints(min_length=1)]
    replacement: str
    action: Literal[tuple(schemas.CORRECTION_ACTIONS)]
    reason: Text
    occurrence: Annotated[int, Field(ge=1, le=MAX_OCCURRENCE)] | None = None

    @model_validator(mode="before")
    @classmethod
    def _as_written(cls, entry: object) -> object:
        """A keep stands for itself; hidden characters are refused where they would land."""
        if not isinstance(entry, dict):
            return entry
        entry = dict(entry)
        if entry.get("action") == "keep" and entry.get("replacement") is None:
            entry["replacement"] = entry.get("found")
        # `found` may hold what it finds; a repair's replacement is not normalised again
        repair = entry.get("action") == "repair"
        if repair:  # `Text` fields refuse hidden characters themselves
            refuse_hidden(entry, ["replacement"])
        return entry

    @model_validator(mode="after")
    def _keep_is_unchanged(self) -> Correction:
        if self.action == "keep" and self.replacement != self.found:
            raise ValueError(
                "a keep leaves the text as found; drop `replacement` or make it equal to `found`"
            )
        return self


class Corrections(Model):
    """The corrections file: its one top-level key."""

    corrections: list[Correction]


def load_corrections(path: Path | str, sources: Sequence[Source] | None = None) -> list[Correction]:
    """Read and validate the corrections list (top-level key ``corrections``).

    With ``sources``, each entry must name a text source of the manifest. Whether the text is
    found is checked when it is applied (:func:`normalise`).
    """
    path = Path(path)
    data = read_yaml(path, "corrections list")
    if not isinstance(data, dict) or not isinstance(data.get("corrections"), list):
        raise InputError(path, "expected a top-level key `corrections` holding a list")
    corrections = parse(Corrections, data, path, nouns={"corrections": "correction"}).corrections

    _within_the_cap(corrections, path)
    kinds = {s.id: s.kind for s in sources} if sources is not None else None
    seen: set[str] = set()
    for c in corrections:
        if c.id in seen:
            raise InputError(path, f"duplicate correction id {clip(c.id)}")
        seen.add(c.id)
        if kinds is not None and c.source not in kinds:
            raise InputError(path, f"correction {clip(c.id)}: unknown source id {clip(c.source)}")
        if kinds is not None and kinds[c.source] == "reference":
            raise InputError(
                path,
                f"correction {clip(c.id)}: source {clip(c.source)} is a reference "
                "table, not a text; corrections apply to texts only",
            )
    return corrections


def _within_the_cap(corrections: Sequence[Correction], path: Path) -> None:
    per_source = Counter(c.source for c in corrections)
    source, n = max(per_source.items(), key=lambda kv: kv[1], default=("", 0))
    if n > MAX_CORRECTIONS_PER_SOURCE:
        raise InputError(
            path,
            f"{n:,} corrections of source {clip(source)}, more than the limit of "
            f"{MAX_CORRECTIONS_PER_SOURCE:,} per source (corrections.MAX_CORRECTIONS_PER_SOURCE)",
        )


def locate(raw_text: str, c: Correction, path: Path | str) -> tuple[int, int]:
    """The raw span of ``c``; the search stops at the hit it needs (one more tells that a text
    without ``occurrence`` is ambiguous), so a text repeated everywhere costs no more."""
    wanted = c.occurrence or 2
    hits, i = [], raw_text.find(c.found)
    while i != -1 and len(hits) < wanted:
        hits.append(i)
        i = raw_text.find(c.found, i + 1)
    if not hits:
        raise InputError(
            path, f"correction '{c.id}': text {clip(c.found)} not found in source '{c.source}'"
        )
    if c.occurrence is None and len(hits) > 1:
        raise InputError(
            path,
            f"correction '{c.id}': text {clip(c.found)} is ambiguous, found "
            f"{max(2, raw_text.count(c.found))} times in source '{c.source}'; add `occurrence`",
        )
    n = c.occurrence or 1
    if n > len(hits):
        raise InputError(
            path,
            f"correction '{c.id}': occurrence {n} asked, but {clip(c.found)} is "
            f"found {len(hits)} time(s) in source '{c.source}'",
        )
    return hits[n - 1], hits[n - 1] + len(c.found)
