"""Every number, length and count of the codebook has a declared bound; a value past it is
refused on load with one line naming the file, the entry and the limit (a huge tile row or
a name of 60,000 characters would otherwise cost the charts and the coding without limit)."""

from __future__ import annotations

import pytest

from helpers.codebook.book import load_codebook
from helpers.codebook.entries import LIMITS
from helpers.engine.errors import InputError
from tests.test_codebook import _broken, _copy

HUGE = "x" * 60_000


def _many(entry: dict, n: int, **fields) -> list[dict]:
    return [_copy(entry, id=f"e{i}", **fields) for i in range(n)]


@pytest.mark.parametrize(
    "filename, edit, problem",
    [
        (
            "places.yaml",
            lambda d: d["places"][0].update(grid_row=1_000_000_000),
            "place 'beijing': field `grid_row` must be less than or equal to 30, got 1000000000",
        ),
        (
            "places.yaml",
            lambda d: d["places"][0].update(grid_col=-1),
            "place 'beijing': field `grid_col` must be greater than or equal to 0",
        ),
        (
            "sectors.yaml",
            lambda d: d["sectors"][0].update(name_en=HUGE),
            "sector 'semiconductors': field `name_en` holds 60,000 characters, more than the "
            "limit of 100",
        ),
        (
            "sectors.yaml",
            lambda d: d["sectors"][0]["terms"].append("chip " * 30),
            "sector 'semiconductors': term #11: field `terms` holds 150 characters, more than"
            " the limit",
        ),
        (
            "sectors.yaml",
            lambda d: d["sectors"][0].update(terms=[f"t{i}" for i in range(501)]),
            "sector 'semiconductors': field `terms` holds 501 items, more than the limit of 500",
        ),
        (
            "sectors.yaml",
            lambda d: d["sectors"][0].update(definition=HUGE),
            "field `definition` holds 60,000 characters, more than the limit of 1,000",
        ),
        (
            "places.yaml",
            lambda d: d["regions"][0].update(aliases=["r"] * 501),
            "region 'pearl-river-delta': field `aliases` holds 501 items",
        ),
        (
            "places.yaml",
            lambda d: d["places"][0].update(id="b" * 61),
            "field `id` holds 61 characters, more than the limit of 60",
        ),
        (
            "places.yaml",
            lambda d: d["regions"].extend(_many(d["regions"][0], LIMITS["places"])),
            "field `regions` holds 209 items, more than the limit of 200",
        ),
        (
            "cities.yaml",
            lambda d: d["cities"][0].update(note=HUGE),
            "field `note` holds 60,000 characters",
        ),
        (
            "cues.yaml",
            lambda d: d["priority"].append({"cue": "plan" + "s?" * 1000, "example": "plans"}),
            "field `cue` holds 2,004 characters, more than the limit of 2,000",
        ),
        (
            "cues.yaml",
            lambda d: d["priority"].append({"cue": "plan", "example": HUGE}),
            "field `example` holds 60,000 characters",
        ),
    ],
)
def test_a_value_past_its_bound_is_refused(tmp_path, filename, edit, problem):
    folder, path = _broken(tmp_path, filename, edit)
    with pytest.raises(InputError) as caught:
        load_codebook(folder)
    message = str(caught.value)
    assert message.startswith(str(path)) and problem in message
    assert "\n" not in message and len(message) < 400  # one line; the value is not echoed whole


def test_the_committed_codebook_is_within_its_bounds():
    cb = load_codebook(_broken.__globals__["CODEBOOK"])
    rows = [p.grid_row for p in cb.places.values()] + [p.grid_col for p in cb.places.values()]
    assert max(rows) <= LIMITS["grid"]
