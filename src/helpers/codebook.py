"""The codebook: places, regions, sectors and technologies a researcher edits as YAML.

Loaded from ``codebook/places.yaml`` and ``codebook/sectors.yaml`` and validated on load, so a
typo in the codebook stops the pipeline with one message naming the file and the entry instead
of silently changing what gets coded. ``Codebook.find_terms`` is the one place where text is
matched against the codebook (leftmost-longest, non-overlapping).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from helpers.errors import InputError
from helpers.yamlio import read_yaml

PLACE_TYPES = ("province", "municipality", "autonomous-region", "sar")
MACRO_REGIONS = ("north", "northeast", "east", "south-central", "southwest", "northwest")
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_SEP = re.compile(r"[\s\-]+")
_EDGE_L = r"(?<![A-Za-z0-9])"
_EDGE_R = r"(?![A-Za-z0-9])"


@dataclass(frozen=True)
class Place:
    id: str
    name_en: str
    name_zh: str
    pinyin: str
    type: str
    macro_region: str
    aliases: tuple[str, ...]
    grid_row: int
    grid_col: int


@dataclass(frozen=True)
class Region:
    id: str
    name_en: str
    name_zh: str
    aliases: tuple[str, ...]
    members: tuple[str, ...]


@dataclass(frozen=True)
class Sector:
    id: str
    name_en: str
    name_zh: str
    terms: tuple[str, ...]


@dataclass(frozen=True)
class Technology:
    id: str
    sector_id: str
    name_en: str
    name_zh: str
    terms: tuple[str, ...]


class TermMatch(NamedTuple):
    """A codebook term found in a text; ``start``/``end`` are offsets into that text."""

    start: int
    end: int
    text: str
    entity_type: str  # place | region | sector
    entity_id: str  # place/region id, or technology id / sector id for a sector term
    sector_id: str | None  # level-1 sector for sector terms


def _key(term: str) -> str:
    """Normalise a term for lookup: case-folded, runs of spaces and hyphens as one space."""
    return _SEP.sub(" ", term.strip()).casefold()


def _exact_key(term: str) -> str:
    return _SEP.sub(" ", term.strip())


def _is_case_sensitive(term: str) -> bool:
    """Terms written in capitals (NEV, LLM, AI, 6G) match only as written."""
    return any(c.isalpha() for c in term) and term == term.upper() and not _CJK.search(term)


def _trie_regex(keys: list[str]) -> str:
    """One regex alternation shaped as a trie: fast, and greedy so the longest term wins."""
    trie: dict = {}
    for key in keys:
        node = trie
        for char in key:
            node = node.setdefault(char, {})
        node[""] = True

    def emit(node: dict) -> str:
        alts = [
            (r"[\s\-]+" if char == " " else re.escape(char)) + emit(child)
            for char, child in sorted(node.items())
            if char
        ]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(trie)


@dataclass(frozen=True, eq=False)
class Codebook:
    places: dict[str, Place]
    regions: dict[str, Region]
    sectors: dict[str, Sector]
    technologies: dict[str, Technology]
    _names: dict[str, tuple[str, str]] = field(repr=False)  # resolve(): key -> (type, id)
    _terms: dict[str, tuple[str, str, str | None]] = field(repr=False)  # casefold key
    _exact_terms: dict[str, tuple[str, str, str | None]] = field(repr=False)
    _patterns: tuple[re.Pattern, ...] = field(repr=False)

    def find_terms(self, text: str) -> list[TermMatch]:
        """All codebook terms in ``text``, leftmost-longest and non-overlapping, in order."""
        found = []
        for pattern in self._patterns:
            for m in pattern.finditer(text):
                hit = self._lookup(m.group())
                if hit is not None:
                    found.append((m.start(), -(m.end() - m.start()), m.end(), hit))
        found.sort()
        out: list[TermMatch] = []
        last_end = -1
        for start, _, end, (etype, eid, sid) in found:
            if start >= last_end:
                out.append(TermMatch(start, end, text[start:end], etype, eid, sid))
                last_end = end
        return out

    def _lookup(self, matched: str):
        exact, folded = _exact_key(matched), _key(matched)
        for candidate in (exact, exact[:-1], exact[:-2]):
            if candidate in self._exact_terms:
                return self._exact_terms[candidate]
        for candidate in (folded, folded[:-1], folded[:-2]):  # plural "s" / "es"
            if candidate in self._terms:
                return self._terms[candidate]
        return None

    def resolve(self, name: str) -> tuple[str, str]:
        """Map a name, alias, term or id to (entity_type, id); KeyError when unknown.

        Places and regions resolve to their own id; sector and technology names and terms
        resolve to ("sector", level-1 sector id), the unit the priority matrix compares.
        """
        key = _key(name)
        for candidate in (key, key[:-1] if key.endswith("s") else None):
            if candidate and candidate in self._names:
                return self._names[candidate]
        raise KeyError(name)

    def sector_of(self, entity_id: str) -> str:
        """Level-1 sector id for a sector or technology id."""
        if entity_id in self.sectors:
            return entity_id
        return self.technologies[entity_id].sector_id

    def places_table(self) -> pd.DataFrame:
        cols = [
            "id",
            "name_en",
            "name_zh",
            "pinyin",
            "type",
            "macro_region",
            "grid_row",
            "grid_col",
        ]
        return pd.DataFrame(
            [{c: getattr(p, c) for c in cols} for p in self.places.values()], columns=cols
        )

    def sectors_table(self) -> pd.DataFrame:
        counts = {s: 0 for s in self.sectors}
        for tech in self.technologies.values():
            counts[tech.sector_id] += 1
        rows = [
            {
                "sector_id": s.id,
                "name_en": s.name_en,
                "name_zh": s.name_zh,
                "n_technologies": counts[s.id],
            }
            for s in self.sectors.values()
        ]
        return pd.DataFrame(rows, columns=["sector_id", "name_en", "name_zh", "n_technologies"])


# -- loading and validation -----------------------------------------------------------------


def _read_yaml(path: Path, keys: tuple[str, ...]) -> dict:
    data = read_yaml(path, "codebook file")
    if not isinstance(data, dict):
        raise InputError(path, f"expected a mapping with keys {', '.join(keys)}")
    for key in keys:
        if not isinstance(data.get(key), list) or not data[key]:
            raise InputError(path, f"'{key}' must be a non-empty list")
    return data


def _entries(path: Path, data: dict, key: str, required: dict[str, type]) -> list[dict]:
    """Check each entry has its fields with the right types; return them."""
    out, seen = [], set()
    for n, entry in enumerate(data[key], start=1):
        where = f"{key} entry {n}"
        if not isinstance(entry, dict):
            raise InputError(path, f"{where}: expected a mapping")
        where = f"{key} entry {n} ({entry.get('id', '?')!r})"
        for name, kind in required.items():
            if name not in entry or entry[name] is None:
                raise InputError(path, f"{where}: missing field '{name}'")
            value = entry[name]
            if kind is list:
                if not isinstance(value, list):
                    raise InputError(path, f"{where}: '{name}' must be a list")
                for item in value:
                    if not isinstance(item, str) or not item.strip():
                        raise InputError(path, f"{where}: empty term in '{name}'")
            elif kind is int:
                if not isinstance(value, int) or isinstance(value, bool):
                    raise InputError(path, f"{where}: '{name}' must be an integer")
            elif not isinstance(value, (str, int)) or not str(value).strip():
                raise InputError(path, f"{where}: '{name}' must be a non-empty string")
        unknown = set(entry) - set(required)
        if unknown:
            raise InputError(path, f"{where}: unknown field(s) {sorted(unknown)}")
        eid = str(entry["id"])
        if not _ID.match(eid):
            raise InputError(path, f"{where}: id must be a lowercase slug")
        if eid in seen:
            raise InputError(path, f"{where}: duplicate id '{eid}'")
        seen.add(eid)
        out.append({k: (str(v) if required[k] is str else v) for k, v in entry.items()})
    return out


def load_codebook(folder: Path | str) -> Codebook:
    """Load and validate ``places.yaml`` and ``sectors.yaml`` from ``folder``."""
    folder = Path(folder)
    places_path, sectors_path = folder / "places.yaml", folder / "sectors.yaml"
    pdata = _read_yaml(places_path, ("places", "regions"))
    sdata = _read_yaml(sectors_path, ("sectors", "technologies"))
    text_f = {"id": str, "name_en": str, "name_zh": str}
    place_rows = _entries(
        places_path,
        pdata,
        "places",
        {
            **text_f,
            "pinyin": str,
            "type": str,
            "macro_region": str,
            "aliases": list,
            "grid_row": int,
            "grid_col": int,
        },
    )
    region_rows = _entries(
        places_path, pdata, "regions", {**text_f, "aliases": list, "members": list}
    )
    sector_rows = _entries(sectors_path, sdata, "sectors", {**text_f, "terms": list})
    tech_rows = _entries(
        sectors_path, sdata, "technologies", {**text_f, "sector_id": str, "terms": list}
    )

    places, tiles = {}, {}
    for r in place_rows:
        where = f"places entry {r['id']!r}"
        if r["type"] not in PLACE_TYPES:
            raise InputError(places_path, f"{where}: type must be one of {PLACE_TYPES}")
        if r["macro_region"] not in MACRO_REGIONS:
            raise InputError(places_path, f"{where}: macro_region must be one of {MACRO_REGIONS}")
        tile = (r["grid_row"], r["grid_col"])
        if tile in tiles:
            raise InputError(
                places_path, f"{where}: grid tile {tile} already used by {tiles[tile]!r}"
            )
        tiles[tile] = r["id"]
        places[r["id"]] = Place(**{**r, "aliases": tuple(r["aliases"])})
    regions = {}
    for r in region_rows:
        if r["id"] in places:
            raise InputError(places_path, f"regions entry {r['id']!r}: duplicate id (a place)")
        for member in r["members"]:
            if member not in places:
                raise InputError(
                    places_path, f"regions entry {r['id']!r}: unknown member {member!r}"
                )
        regions[r["id"]] = Region(
            **{**r, "aliases": tuple(r["aliases"]), "members": tuple(r["members"])}
        )
    sectors = {r["id"]: Sector(**{**r, "terms": tuple(r["terms"])}) for r in sector_rows}
    technologies = {}
    for r in tech_rows:
        where = f"technologies entry {r['id']!r}"
        if r["id"] in sectors:
            raise InputError(sectors_path, f"{where}: duplicate id (a sector)")
        if r["sector_id"] not in sectors:
            raise InputError(sectors_path, f"{where}: unknown parent sector_id {r['sector_id']!r}")
        technologies[r["id"]] = Technology(**{**r, "terms": tuple(r["terms"])})

    names: dict[str, tuple[str, str]] = {}
    owner: dict[str, str] = {}
    terms: dict[str, tuple[str, str, str | None]] = {}
    exact: dict[str, tuple[str, str, str | None]] = {}

    def claim(path, label, name, resolved, searched=None):
        key = _key(name)
        if not key:
            raise InputError(path, f"{label}: empty term")
        if key in owner and owner[key] != label:
            raise InputError(
                path, f"{label}: duplicate alias {name!r} (already used by {owner[key]})"
            )
        owner[key] = label
        names[key] = resolved
        if searched is not None:
            if _is_case_sensitive(name):
                exact[_exact_key(name)] = searched
            else:
                terms[key] = searched

    for p in places.values():
        label = f"place {p.id!r}"
        for name in (p.id, p.name_en, p.name_zh, p.pinyin, *p.aliases):
            claim(places_path, label, name, ("place", p.id), ("place", p.id, None))
    for g in regions.values():
        label = f"region {g.id!r}"
        claim(places_path, label, g.id, ("region", g.id))
        for name in (g.name_en, g.name_zh, *g.aliases):
            claim(places_path, label, name, ("region", g.id), ("region", g.id, None))
    for s in sectors.values():
        label = f"sector {s.id!r}"
        for name in (s.id, s.name_en, s.name_zh):
            claim(sectors_path, label, name, ("sector", s.id))
        for term in s.terms:
            claim(sectors_path, label, term, ("sector", s.id), ("sector", s.id, s.id))
    for t in technologies.values():
        label = f"technology {t.id!r}"
        for name in (t.id, t.name_en, t.name_zh):
            claim(sectors_path, label, name, ("sector", t.sector_id))
        for term in t.terms:
            claim(sectors_path, label, term, ("sector", t.sector_id), ("sector", t.id, t.sector_id))

    chinese = sorted(k for k in terms if _CJK.search(k))
    english = sorted(k for k in terms if not _CJK.search(k))
    patterns = [
        re.compile(_EDGE_L + "(?:" + _trie_regex(english) + ")(?:es|s)?" + _EDGE_R, re.IGNORECASE),
        re.compile(_EDGE_L + "(?:" + _trie_regex(sorted(exact)) + ")s?" + _EDGE_R),
    ]
    if chinese:
        patterns.append(re.compile(_trie_regex(chinese), re.IGNORECASE))
    return Codebook(places, regions, sectors, technologies, names, terms, exact, tuple(patterns))
