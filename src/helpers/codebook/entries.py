"""The codebook's entries (places, regions, cities, categories, sectors, technologies) and
its files' models, each with declared bounds on every number, length and count: a value past
a bound would cost the coding or the charts without limit, so it is refused on load."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from helpers.engine.errors import clip
from helpers.engine.models import Items, Model, NonEmpty, Text

PLACE_TYPES = ("province", "municipality", "autonomous-region", "sar")
MACRO_REGIONS = ("north", "northeast", "east", "south-central", "southwest", "northwest")
CITY_LEVELS = ("prefecture", "named-area")
_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")

# The bounds, declared once (codebook/README.md lists them): lengths in characters, counts in
# entries of one list.
LIMITS = {
    "id": 60,  # an entry's id
    "name": 100,  # a name, alias, term, member or other id named
    "prose": 1000,  # a definition, example, note or reason
    "cue": 2000,  # a cue of cues.yaml (a regular expression may be long)
    "grid": 30,  # the largest tile-map row or column
    "names": 500,  # aliases, terms or members of one entry
    "places": 200,  # places, and regions (each is a row of the tables and a tile of the map)
    "entries": 20000,  # entries of another list of a file (sectors, cities, cues of a kind)
}


def at_most(limit: str) -> BeforeValidator:
    """Refuse, before anything else is checked, a text or list longer than ``LIMITS[limit]``."""
    bound = LIMITS[limit]

    def check(value: object, info: ValidationInfo) -> object:
        if isinstance(value, (str, list, tuple)) and len(value) > bound:
            unit = "characters" if isinstance(value, str) else "items"
            field = f"field `{info.field_name}`" if info.field_name else "the value"
            raise ValueError(
                f"{field} holds {len(value):,} {unit}, more than the limit of {bound:,}"
            )
        return value

    return BeforeValidator(check)


def _slug(value: str) -> str:
    if not _ID.fullmatch(value):
        raise ValueError(f"id {clip(value)} must be a lowercase slug (a-z, 0-9, single hyphens)")
    return value


# An entry's id: stable, lowercase, hyphenated (it lands in table rows and other files).
Slug = Annotated[Text, AfterValidator(_slug), at_most("id")]
# A name, alias or term (or an id named by another entry): searched in texts or printed.
Name = Annotated[Text, at_most("name")]
# Prose a person reads: a definition, an example, a note.
Prose = Annotated[Text, at_most("prose")]
# Names, aliases, terms or ids, in a YAML list (may be empty).
Names = Annotated[Items[Name], at_most("names")]
# A tile-map position: 0 is the north row or the west column.
Grid = Annotated[int, Field(ge=0, le=LIMITS["grid"])]


def Entries(entry, limit: str = "entries"):  # noqa: N802 (a type alias with a parameter)
    """A file's non-empty list of ``entry``, bounded in length."""
    return Annotated[NonEmpty[list[entry]], at_most(limit)]


class Place(Model):
    """A provincial-level division (``places`` of places.yaml)."""

    id: Slug
    name_en: Name
    name_zh: Name
    pinyin: Name
    type: Literal[PLACE_TYPES]
    macro_region: Literal[MACRO_REGIONS]
    aliases: Names
    grid_row: Grid  # the tile map's row (0 = north) and column (0 = west)
    grid_col: Grid


class Region(Model):
    """A named group of places (``regions`` of places.yaml)."""

    id: Slug
    name_en: Name
    name_zh: Name
    aliases: Names
    members: Names  # place ids
    # a pair of places written as one name (深港, "Shenzhen and Hong Kong"), not a region of its
    # own: a mention of it names each member (CODING.md §1 counts regions, not such pairs)
    names_members: bool = False


class City(Model):
    """A prefecture-level city or named area; a mention of it codes as its province."""

    id: Slug
    name_zh: Name
    name_en: Name
    province: Name  # a place id
    level: Literal[CITY_LEVELS]
    adcode: Name | None = None
    aliases: Names
    match_zh: bool = True  # whether name_zh / name_en are searched (aliases always are)
    match_en: bool = True
    note: Prose | None = None

    @field_validator("adcode", mode="before")
    @classmethod
    def _unquoted(cls, value: object) -> object:
        """An unquoted YAML adcode (130100) is a number; it is the code's text."""
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class Category(Model):
    """An official category of sectors (``categories`` of sectors.yaml)."""

    id: Slug
    name_en: Name
    name_zh: Name


class Sector(Model):
    """The coding unit, defined as a codebook entry a second coder could apply by hand."""

    id: Slug
    name_en: Name
    name_zh: Name
    category: Name  # a category id
    definition: Prose
    example: Prose
    counter_example: Prose
    terms: Names
    formerly: Names = ()  # ids it had before, so older adjudications still resolve
    priority_fallback: bool = False


class Technology(Model):
    """A group of terms under a sector (``technologies`` of sectors.yaml)."""

    id: Slug
    sector_id: Name
    name_en: Name
    name_zh: Name
    terms: Names
    formerly: Names = ()


def _unique_ids(noun: str, entries: list) -> set[str]:
    """The ids of a file's entries; an id given twice is refused."""
    ids: set[str] = set()
    for entry in entries:
        if entry.id in ids:
            raise ValueError(f"{noun} {clip(entry.id)}: duplicate id")
        ids.add(entry.id)
    return ids


class PlacesFile(Model):
    """places.yaml."""

    places: Entries(Place, "places")
    regions: Entries(Region, "places")

    @model_validator(mode="after")
    def _consistent(self) -> PlacesFile:
        places = _unique_ids("place", self.places)
        _unique_ids("region", self.regions)
        tiles: dict[tuple[int, int], str] = {}
        for p in self.places:
            tile = (p.grid_row, p.grid_col)
            if tile in tiles:
                raise ValueError(
                    f"place {clip(p.id)}: grid tile {tile} already used by {clip(tiles[tile])}"
                )
            tiles[tile] = p.id
        for g in self.regions:
            if g.id in places:
                raise ValueError(f"region {clip(g.id)}: duplicate id (a place)")
            for member in g.members:
                if member not in places:
                    raise ValueError(f"region {clip(g.id)}: unknown member {clip(member)}")
        return self


class SectorsFile(Model):
    """sectors.yaml."""

    categories: Entries(Category)
    sectors: Entries(Sector)
    technologies: Entries(Technology)

    @model_validator(mode="after")
    def _consistent(self) -> SectorsFile:
        categories = _unique_ids("category", self.categories)
        sectors = _unique_ids("sector", self.sectors)
        _unique_ids("technology", self.technologies)
        for s in self.sectors:
            if s.category not in categories:
                raise ValueError(f"sector {clip(s.id)}: unknown category {clip(s.category)}")
        for t in self.technologies:
            if t.id in sectors:
                raise ValueError(f"technology {clip(t.id)}: duplicate id (a sector)")
            if t.sector_id not in sectors:
                raise ValueError(
                    f"technology {clip(t.id)}: unknown parent sector_id {clip(t.sector_id)}"
                )
        return self


class Gazetteer(Model):
    """Where cities.yaml came from: the datasets and their versions, and the script."""

    datasets: dict[Name, Name]
    script: Name


class Dropped(Model):
    """A city name the gazetteer script left out, and why."""

    name: Name
    city: Name
    province: Name
    reason: Prose


class CitiesFile(Model):
    """cities.yaml (generated by tools/make_gazetteer.py)."""

    source: Gazetteer | None = None
    cities: Entries(City)
    dropped: Annotated[list[Dropped], at_most("entries")] = []

    @model_validator(mode="after")
    def _consistent(self) -> CitiesFile:
        _unique_ids("city", self.cities)
        return self
