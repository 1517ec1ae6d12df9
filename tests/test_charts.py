"""Tests of the chart module on a small fixture of the seed's story."""

from __future__ import annotations

import functools
import json
import os
import re

import altair as alt
import pandas as pd
import pytest

from helpers import schemas
from helpers.compare import triangulation as compare
from helpers.engine import catalogue
from helpers.figures import charts, comparisons, layout, registry
from helpers.figures import describe as chart_text
from helpers.figures import export as chart_export
from helpers.figures import svg as chart_svg
from helpers.figures import tables as chart_data
from helpers.figures import theme as chart_theme
from helpers.framing.claims import load_framing_codebook

SRC = "000_5df365ae44afb922"
FRAMING_BOOK = load_framing_codebook(catalogue.path("framing_codebook"))

PLACES = pd.DataFrame(
    [
        # id, name_en, name_zh, pinyin, type, macro_region, grid_row, grid_col
        ("beijing", "Beijing", "北京", "Beijing", "municipality", "north", 2, 6),
        ("liaoning", "Liaoning", "辽宁", "Liaoning", "province", "northeast", 2, 7),
        ("jilin", "Jilin", "吉林", "Jilin", "province", "northeast", 1, 7),
        ("hebei", "Hebei", "河北", "Hebei", "province", "north", 3, 6),
        ("shanghai", "Shanghai", "上海", "Shanghai", "municipality", "east", 4, 7),
        ("jiangsu", "Jiangsu", "江苏", "Jiangsu", "province", "east", 4, 6),
        ("zhejiang", "Zhejiang", "浙江", "Zhejiang", "province", "east", 5, 6),
        ("anhui", "Anhui", "安徽", "Anhui", "province", "east", 4, 5),
        ("guangdong", "Guangdong", "广东", "Guangdong", "province", "south", 6, 5),
        ("hainan", "Hainan", "海南", "Hainan", "province", "south", 7, 4),
        ("hong-kong", "Hong Kong", "香港", "Xianggang", "sar", "south", 7, 6),
        ("sichuan", "Sichuan", "四川", "Sichuan", "province", "southwest", 5, 3),
        (
            "pearl-river-delta",
            "Pearl River Delta",
            "珠江三角洲",
            "Zhujiang Sanjiaozhou",
            "region",
            None,
            None,
            None,
        ),
    ],
    columns=["id", "name_en", "name_zh", "pinyin", "type", "macro_region", "grid_row", "grid_col"],
)
PLACES["grid_row"] = PLACES["grid_row"].astype("Int64")
PLACES["grid_col"] = PLACES["grid_col"].astype("Int64")

SECTORS = pd.DataFrame(
    [
        ("semiconductors", "Semiconductors", "半导体", 3),
        ("vehicles", "Vehicles", "汽车", 2),
        ("artificial-intelligence", "Artificial intelligence", "人工智能", 3),
        ("robotics", "Robotics", "机器人", 2),
        ("brain-computer-interfaces", "Brain-computer interfaces", "脑机接口", 1),
        ("nuclear-fusion", "Nuclear fusion", "核聚变", 1),
        ("space", "Space", "航天", 2),
        ("aviation", "Aviation", "航空", 2),
        ("marine-energy", "Marine energy", "海洋能源", 2),
        ("hydrogen", "Hydrogen", "氢能", 1),
        ("quantum", "Quantum", "量子", 1),
    ],
    columns=["sector_id", "name_en", "name_zh", "n_technologies"],
)

S_CHIPS = f"{SRC}:p02:s02"
S_BEIJING = f"{SRC}:p02:s03"
S_NEV = f"{SRC}:p03:s01"
S_AI = f"{SRC}:p04:s02"
S_AI_GD = f"{SRC}:p04:s03"
S_BCI = f"{SRC}:p05:s02"
S_SPACE = f"{SRC}:p06:s02"
S_HAINAN = f"{SRC}:p06:s03"
EVIDENCE = {
    S_CHIPS: "Among these, Shanghai (which recently inaugurated the first training center for "
    "humanoid robots), Guangdong, Zhejiang and Liaoning are at the forefront of "
    "investments.",
    S_BEIJING: "In particular, Beijing is intensifying the efforts to accelerate production.",
    S_NEV: "Passing on to electric vehicles the regions of the delta of the river of the pearls "
    "and the delta of the Yangtze river, which include Guangdong and Shanghai "
    "respectively, are confirmed leader in this area.",
    S_AI: "Beijing is focusing on the construction of two important intelligent calculation "
    "clusters.",
    S_AI_GD: "Guangdong is focusing on the application of large linguistic models (LLM).",
    S_BCI: "Provinces like Anhui and Shanghai are exploring avant-garde areas such as the "
    "brain-computer interfaces while the province of Anhui also stands out for its "
    "investments in the research on nuclear fusion.",
    S_SPACE: "Anhui is promoting an ambitious research project on an international lunar "
    "research station, while Shanghai aims to consolidate the production sector of "
    "large planes.",
    S_HAINAN: "Hainan has priority the development of marine energies with a particular focus "
    "on offshore wind energy and pilot projects for the production of green hydrogen.",
}
TIES = [
    # place, level, sector, relation, sentence
    ("shanghai", "province", "semiconductors", "priority", S_CHIPS),
    ("guangdong", "province", "semiconductors", "priority", S_CHIPS),
    ("zhejiang", "province", "semiconductors", "priority", S_CHIPS),
    ("liaoning", "province", "semiconductors", "priority", S_CHIPS),
    ("beijing", "province", "semiconductors", "priority", S_BEIJING),
    ("shanghai", "province", "robotics", "achievement", S_CHIPS),
    ("guangdong", "province", "vehicles", "context", S_NEV),
    ("shanghai", "province", "vehicles", "context", S_NEV),
    ("pearl-river-delta", "region", "vehicles", "context", S_NEV),
    ("beijing", "province", "artificial-intelligence", "priority", S_AI),
    ("guangdong", "province", "artificial-intelligence", "priority", S_AI_GD),
    ("anhui", "province", "brain-computer-interfaces", "priority", S_BCI),
    ("shanghai", "province", "brain-computer-interfaces", "priority", S_BCI),
    ("anhui", "province", "nuclear-fusion", "priority", S_BCI),
    ("anhui", "province", "space", "priority", S_SPACE),
    ("shanghai", "province", "aviation", "priority", S_SPACE),
    ("hainan", "province", "marine-energy", "priority", S_HAINAN),
    ("hainan", "province", "hydrogen", "priority", S_HAINAN),
]


def make_codings(ties=TIES, evidence=EVIDENCE) -> pd.DataFrame:
    rows = []
    for i, (place, level, sector, relation, sentence) in enumerate(ties):
        rows.append(
            {
                "coding_id": f"c{i:03d}",
                "source_id": SRC,
                "paragraph_id": sentence.rsplit(":", 1)[0],
                "sentence_id": sentence,
                "start": 100 * i,
                "end": 100 * i + len(evidence[sentence]),
                "evidence": evidence[sentence],
                "place_id": place,
                "place_level": level,
                "sector_id": sector,
                "technology_id": None,
                "relation": relation,
                "modality": "asserted",
                "rule_id": "r-test",
                "via_region": None,
                "status": "auto",
                "adjudication_reason": None,
            }
        )
    return schemas.CODINGS.validate(pd.DataFrame(rows))


def make_matrix(ties=TIES) -> pd.DataFrame:
    rows = [
        {
            "place_id": p,
            "place_level": lvl,
            "sector_id": s,
            "relation": r,
            "n_codings": 1,
            "n_sources": 1,
            "sentence_ids": sid,
        }
        for p, lvl, s, r, sid in ties
    ]
    return schemas.PRIORITY_MATRIX.validate(pd.DataFrame(rows))


CLAIM_GAP = (
    "The capacity for implementing the Chinese government in these areas is remarkable "
    "and can create a more than significant technological gap with the United States "
    "and above all with Europe."
)
CLAIM_PACE = (
    "While the latter countries debate and implement industrial policies at a slower "
    "pace, China is quickly building innovative ecosystems and complete supply chains."
)
CLAIM_RES = (
    "China is able to mobilize human and financial resources on a large scale, thus "
    "accelerating technological development."
)


def make_claims() -> pd.DataFrame:
    specs = [
        (
            "p08:s01",
            CLAIM_RES,
            None,
            False,
            "resource-mobilisation",
            "actor_ahead",
            True,
            "is able to",
        ),
        (
            "p08:s02",
            CLAIM_GAP,
            "united-states;europe",
            True,
            "technology-gap",
            "actor_ahead",
            True,
            "can",
        ),
        (
            "p08:s03",
            CLAIM_PACE,
            "united-states;europe",
            True,
            "policy-pace",
            "actor_ahead",
            False,
            None,
        ),
        (
            "p08:s03",
            CLAIM_PACE,
            "united-states;europe",
            True,
            "supply-chains",
            "actor_ahead",
            False,
            None,
        ),
    ]
    rows = []
    for sent, text, comps, comparative, dim, direction, hedged, hedges in specs:
        sid = f"{SRC}:{sent}"
        rows.append(
            {
                "claim_id": f"{sid}:{dim}",
                "source_id": SRC,
                "paragraph_id": sid.rsplit(":", 1)[0],
                "sentence_id": sid,
                "start": 0,
                "end": len(text),
                "evidence": text,
                "actor": "china",
                "comparators": comps,
                "comparative": comparative,
                "dimension": dim,
                "direction": direction,
                "hedged": hedged,
                "hedge_terms": hedges,
                "evaluative_terms": None,
                "ranking": None,
            }
        )
    return schemas.FRAMING_CLAIMS.validate(pd.DataFrame(rows))


def make_triangulation() -> pd.DataFrame:
    specs = [
        ("agrees", "semiconductors", "shanghai", "X03"),
        ("agrees", "semiconductors", "guangdong", "X03"),
        ("agrees", "semiconductors", "zhejiang", "X03"),
        ("agrees", "semiconductors", "liaoning", "X03"),
        ("agrees", "semiconductors", "beijing", "X04"),
        ("agrees", "nuclear-fusion", "anhui", "X09"),
        ("misattributed", "aviation", "shanghai", "X11"),
        ("added_by_article", "robotics", "shanghai", None),
        ("omitted_by_article", "quantum", None, "X12"),
        ("framing_only_in_article", None, None, None),
    ]
    rows = []
    for i, (cls, sector, place, fact) in enumerate(specs):
        rows.append(
            {
                "row_id": f"t{i:02d}",
                "class": cls,
                "sector_id": sector,
                "article_place_id": place,
                "reference_place_id": place if fact else None,
                "article_relation": "priority" if place else None,
                "reference_relation": "priority" if fact else None,
                "article_source_id": SRC,
                "reference_source_id": "xinhua-2025-01-27",
                "article_sentence_id": S_CHIPS if place else None,
                "article_start": 0 if place else None,
                "article_end": 10 if place else None,
                "article_evidence": EVIDENCE[S_CHIPS] if place else None,
                "fact_id": fact,
                "fact_text": f"fact {fact}" if fact else None,
                "note": None,
            }
        )
    frame = pd.DataFrame(rows, columns=list(schemas.TRIANGULATION.columns))
    frame["article_start"] = frame["article_start"].astype("Int64")
    frame["article_end"] = frame["article_end"].astype("Int64")
    return schemas.TRIANGULATION.validate(frame)


def sources_for(ids) -> pd.DataFrame:
    ids = sorted(set(ids))
    return pd.DataFrame(
        {
            "source_id": ids,
            "outlet": [f"Outlet {i % 12}" for i in range(len(ids))],
            "author_outlet": [f"Outlet {i % 12}" for i in range(len(ids))],
            "period": [["2025", "2026", "2026-2030"][i % 3] for i in range(len(ids))],
            "language": "en",
            **dict.fromkeys(
                ["original_outlet", "original_language", "translated_by", "republished_by"]
            ),
            "machine_translation": False,
        }
    )


def make_ties(ties=TIES) -> pd.DataFrame:
    """The TIES table of the fixture's codings (one source, no triangulation)."""
    by_source = compare.tie_sources(make_codings(ties), make_triangulation())
    return compare.tie_agreement(by_source)


def figures(ties, codings, tie_sources, claims, tri, places=PLACES, sectors=SECTORS) -> dict:
    """Every chart of the registry with its description; titles are given (findings computes
    them)."""
    sources = sources_for(set(codings["source_id"]) | set(claims["source_id"]))
    inputs = registry.Inputs(
        tables={
            "ties": ties,
            "tie_sources": tie_sources,
            "sources": sources,
            "framing_claims": claims,
            "triangulation": tri,
        },
        places=places,
        sectors=sectors,
        framing_book=FRAMING_BOOK,
        titles={f.name: f"Title of {f.name}" for f in registry.FIGURES},
        source_line="1 source, 2025",
        triangulation_line="s",
    )
    return registry.build_all(inputs)


@pytest.fixture(scope="module")
def built():
    """Every chart with its description, built once for the module."""
    codings, tri = make_codings(), make_triangulation()
    return figures(make_ties(), codings, compare.tie_sources(codings, tri), make_claims(), tri)


def fields(spec: dict) -> dict[str, str]:
    """channel -> field of a single or layered spec's encodings."""
    found = {}
    for layer in [spec, *spec.get("layer", [])]:
        for channel, enc in layer.get("encoding", {}).items():
            if isinstance(enc, dict) and "field" in enc:
                found[channel] = enc["field"]
            elif isinstance(enc, dict) and "condition" in enc and "field" in enc["condition"]:
                found[channel] = enc["condition"]["field"]
            elif isinstance(enc, list):
                found[channel] = [e["field"] for e in enc]
    return found


def inline_rows(spec: dict) -> list[dict]:
    return [row for rows in spec["datasets"].values() for row in rows]


def test_theme_is_registered_and_active():
    assert alt.theme.active == "report"
    config = chart_theme.report_theme()["config"]
    assert "Noto Sans CJK SC" in config["font"]
    assert config["range"]["category"][:2] == ["#E69F00", "#56B4E9"]


@pytest.mark.parametrize(
    "name",
    [
        "priority_matrix",
        "consensus",
        "coverage",
        "sector_breadth",
        "tile_map",
        "periods",
        "framing_outlets",
        "framing",
        "triangulation",
    ],
)
def test_specs_validate_and_carry_the_theme(built, name):
    spec = chart_export.chart_spec(built[name][0])
    assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/v6")
    assert "Noto Sans CJK SC" in spec["config"]["font"]
    assert spec["title"]["subtitle"][0].startswith("Source:")
    assert built[name][1].strip()


def test_priority_matrix_encodings_order_and_tooltips(built):
    spec = chart_export.chart_spec(built["priority_matrix"][0])
    enc = fields(spec)
    assert enc["x"] == "sector" and enc["y"] == "place"
    assert enc["color"] == enc["shape"] == "relation"
    assert {"place", "place_zh", "sector", "relation", "evidence"} <= set(enc["tooltip"])
    assert spec["encoding"]["y"]["sort"][0] == "Shanghai"
    assert spec["encoding"]["x"]["sort"][0] == "Semiconductors"
    assert spec["title"]["text"] == ["Title of priority_matrix"]
    assert spec["title"]["subtitle"][0] == "Source: 1 source, 2025."
    # one source: every tie has one size, so size encodes nothing and has no legend
    assert spec["encoding"]["size"] == {"value": 200}
    robotics = [r for r in inline_rows(spec) if r["sector"] == "Robotics"]
    assert robotics[0]["relation"] == "achievement" and robotics[0]["place_zh"] == "上海"
    assert "humanoid robots" in robotics[0]["evidence"]


def test_descriptions_follow_the_data():
    """Drop Shanghai's ties and the description counts fewer: nothing is typed in."""
    ties = [t for t in TIES if t[0] != "shanghai"]
    codings, matrix = make_codings(ties), make_matrix(ties)
    text = chart_text.describe_priority_matrix(matrix, codings, PLACES, SECTORS)
    assert text.startswith(f"Dot matrix of {len(ties)} place-sector ties between 7 places")


def test_long_titles_and_labels_wrap_and_are_never_cut():
    long = "Guangdong-Hong Kong-Macao Greater Bay Area"
    assert chart_data.wrap(long) == "Guangdong-Hong Kong-Macao\nGreater Bay Area"
    assert chart_data.wrap("Shanghai") == "Shanghai"
    title = "A finding " * 20
    chart = charts.sector_breadth(make_matrix(), SECTORS, title=title)
    lines = chart.to_dict()["title"]["text"]
    assert len(lines) > 1 and all(len(line) <= chart_theme.TITLE_WIDTH for line in lines)
    axis = chart.to_dict()["encoding"]["y"]["axis"]
    assert axis["labelLimit"] == 0 and "split" in axis["labelExpr"]


def test_missing_evidence_fails_loudly():
    codings = make_codings()
    codings = codings[codings["sentence_id"] != S_HAINAN]
    with pytest.raises(ValueError, match="p06:s03"):
        charts.priority_matrix(make_matrix(), codings, PLACES, SECTORS, title="T")


def test_unknown_sector_fails_loudly():
    with pytest.raises(ValueError, match="semiconductors"):
        charts.sector_breadth(
            make_matrix(), SECTORS[SECTORS["sector_id"] != "semiconductors"], title="T"
        )


def test_sector_breadth_counts_provinces_only():
    table = chart_data.breadth_table(make_matrix(), SECTORS).set_index("sector_id")
    assert table.loc["semiconductors", ["any_relation", "priority"]].tolist() == [5, 5]
    # Guangdong and Shanghai, not the Pearl River Delta region
    assert table.loc["vehicles", ["any_relation", "priority"]].tolist() == [2, 0]
    assert table.loc["quantum", "any_relation"] == 0
    assert table.index[0] == "semiconductors"
    assert (
        "Not drawn: the 1 sector no source in this corpus ties to a province (Quantum)."
        in chart_text.describe_sector_breadth(make_matrix(), SECTORS)
    )


def test_tile_map_positions_colours_and_grey(built):
    spec = chart_export.chart_spec(built["tile_map"][0])
    enc = fields(spec)
    assert enc["x"] == "col" and enc["y"] == "row" and enc["color"] == "n_priorities"
    assert "priority_sectors" in enc["tooltip"]
    assert {"label_en_top", "label_en_bottom", "name_zh"} <= {
        layer["encoding"]["text"]["field"] for layer in spec["layer"][1:]
    }
    rows = {r["id"]: r for r in inline_rows(spec)}
    assert "pearl-river-delta" not in rows  # regions have no tile
    assert rows["anhui"]["n_priorities"] == 3
    assert rows["anhui"]["priority_sectors"] == "Brain-computer interfaces, Nuclear fusion, Space"
    assert rows["jiangsu"]["n_priorities"] == 0
    assert (rows["hainan"]["col"], rows["hainan"]["row"]) == (4, 7)
    assert spec["layer"][0]["encoding"]["color"]["value"] == chart_theme.NO_DATA


def test_framing_standings_and_hedges(built):
    spec = chart_export.chart_spec(built["framing"][0])
    enc = fields(spec)
    assert enc["x"] == "actor" and enc["y"] == "dimension"
    assert enc["color"] == "standing" and enc["fillOpacity"] == "hedging"
    assert "evidence" in enc["tooltip"]
    rows = inline_rows(spec)
    gap = {
        r["actor"]: (r["standing"], r["hedging"])
        for r in rows
        if r["dimension"] == FRAMING_BOOK.dimension_label("technology-gap")
    }
    assert gap == {
        "China": ("ahead", "hedged"),
        "United States": ("behind", "hedged"),
        "Europe": ("behind", "hedged"),
    }
    gap = FRAMING_BOOK.dimension_label("technology-gap")
    assert f"{gap}: China ahead of Europe and United States (hedged)" in built["framing"][1]


def test_framing_comparator_ahead_flips_standing():
    claims = make_claims()
    claims.loc[claims["dimension"] == "policy-pace", "direction"] = "comparator_ahead"
    table = chart_data.framing_table(claims, FRAMING_BOOK)
    pace_label = FRAMING_BOOK.dimension_label("policy-pace")
    pace = table[table["dimension"] == pace_label].set_index("actor")["standing"]
    assert pace.to_dict() == {"China": "behind", "United States": "ahead", "Europe": "ahead"}


def test_triangulation_counts(built):
    spec = chart_export.chart_spec(built["triangulation"][0])
    enc = fields(spec)
    assert enc["y"] == "row" and enc["x"] == "n" and enc["color"] == "class_label"
    rows = {(r["row"], r["class"]): r["n"] for r in inline_rows(spec)}
    assert rows[("Semiconductors", "agrees")] == 5
    assert rows[("Aviation", "misattributed")] == 1
    assert spec["encoding"]["y"]["sort"][-1] == chart_data.NO_SECTOR
    assert "agrees 6" in built["triangulation"][1]


def test_svg_has_english_and_chinese_labels(built, tmp_path):
    paths = chart_export.export_chart(
        built["tile_map"][0], "tile_map", tmp_path, built["tile_map"][1], png=True
    )
    svg = paths["svg"].read_text(encoding="utf-8")
    for label in ["Shanghai", "上海", "Hainan", "海南", "Title of tile_map"]:
        assert label in svg
    matrix = chart_export.export_chart(built["priority_matrix"][0], "m", tmp_path, "x")
    assert "Semiconductors" in matrix["svg"].read_text(encoding="utf-8")
    assert paths["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_exports_are_byte_identical(built, tmp_path):
    chart, text = built["framing"]
    first = chart_export.export_chart(chart, "framing", tmp_path / "a", text)
    second = chart_export.export_chart(
        comparisons.framing(
            make_claims(), FRAMING_BOOK, title="Title of framing", source="1 source, 2025"
        ),
        "framing",
        tmp_path / "b",
        chart_text.describe_framing(
            make_claims(), FRAMING_BOOK, sources_for(make_claims()["source_id"])
        ),
    )
    assert sorted(p.name for p in first.values()) == [
        "framing.html",
        "framing.svg",
        "framing.vl.json",
    ]  # no PNG unless asked
    for key in first:
        assert first[key].read_bytes() == second[key].read_bytes(), key
    assert not [p for p in (tmp_path / "a").iterdir() if p.name.endswith(".tmp")]


def test_html_snippet_escapes_hostile_evidence(tmp_path):
    hostile = "Shanghai plans chips. </script><script>alert(1)</script> <!-- x"
    evidence = {**EVIDENCE, S_CHIPS: hostile}
    matrix, codings = make_matrix(), make_codings(evidence=evidence)
    chart = charts.priority_matrix(matrix, codings, PLACES, SECTORS, title="T")
    description = 'Matrix "quoted" <b>bold</b> & ' + hostile
    html = chart_export.export_chart(chart, "matrix", tmp_path, description)["html"].read_text()
    assert html.startswith("```{=html}\n") and html.endswith("\n```\n")
    body = html[len("```{=html}\n") : -len("```\n")]
    # exactly one script element: the evidence cannot close it or open another
    assert body.count("<script") == 1 and body.count("</script>") == 1
    assert "<!--" not in body
    assert 'role="img"' in body and 'id="chart-matrix"' in body
    label = re.search(r'aria-label="([^"]*)"', body).group(1)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in label and "&quot;quoted&quot;" in label
    escaped = "\\u003c/script\\u003e\\u003cscript\\u003ealert(1)\\u003c/script\\u003e \\u003c!-- x"
    assert escaped in body
    # the spec in the script still parses back to the same evidence
    spec_text = body[
        body.index("vegaEmbed(") + len('vegaEmbed("#chart-matrix", ') : body.rindex(', {"actions"')
    ]
    spec = json.loads(spec_text)
    assert any(r["evidence"].startswith(hostile) for r in inline_rows(spec))
    assert "cdn" not in body.lower() and "http" not in body.split("vegaEmbed")[0]


def test_export_needs_a_description(built, tmp_path):
    with pytest.raises(ValueError, match="description"):
        chart_export.export_chart(built["framing"][0], "framing", tmp_path, "  ")
    assert not list(tmp_path.iterdir())


def test_vega_bundle_is_inline_and_cached_by_version(tmp_path):
    bundle = chart_export.vega_bundle_html(cache=tmp_path)
    (cached,) = tmp_path.iterdir()
    assert chart_export.VL_VERSION in cached.name and cached.read_text(encoding="utf-8") == bundle
    assert chart_export.vega_bundle_html(cache=tmp_path) == bundle  # read back, not rebuilt
    assert bundle.startswith("<script>") and bundle.rstrip().endswith("</script>")
    assert bundle.count("</script") == 1
    assert "window.vegaEmbed" in bundle


def test_missing_cjk_font_fails_loudly(tmp_path):
    with pytest.raises(RuntimeError, match="no CJK font"):
        chart_theme.cjk_font_dir([tmp_path])
    (tmp_path / "NotoSansCJK-Regular.ttc").write_bytes(b"")
    assert chart_theme.cjk_font_dir([tmp_path / "missing", tmp_path]) == tmp_path


def test_places_with_regions_from_the_codebook():
    from types import SimpleNamespace

    region = SimpleNamespace(
        id="pearl-river-delta",
        name_en="Pearl River Delta",
        name_zh="珠江三角洲",
        aliases=(),
        members=("guangdong",),
    )
    book = SimpleNamespace(
        places_table=lambda: PLACES[PLACES["type"] != "region"].copy(),
        regions={"pearl-river-delta": region},
    )
    table = chart_data.places_with_regions(book)
    assert table["id"].is_unique and "pearl-river-delta" in set(table["id"])
    delta = table.set_index("id").loc["pearl-river-delta"]
    assert delta["type"] == "region" and pd.isna(delta["grid_row"])
    tiles = chart_data.tile_table(make_matrix(), table, SECTORS)
    assert "pearl-river-delta" not in set(tiles["id"])


def test_exported_specs_validate_against_the_vega_lite_json_schema(built, tmp_path):
    """The .vl.json files on disk (not only Altair's objects) meet the Vega-Lite schema."""
    import jsonschema
    from altair.vegalite.v6.schema import load_schema

    validator = jsonschema.Draft7Validator(load_schema())
    for name, (chart, description) in built.items():
        path = chart_export.export_chart(chart, name, tmp_path, description)["spec"]
        errors = list(validator.iter_errors(json.loads(path.read_text(encoding="utf-8"))))
        assert not errors, f"{name}: {errors[0].message}"
    broken = {"mark": "no-such-mark", "data": {"values": []}}
    assert list(validator.iter_errors(broken))  # the validator does reject a bad spec


# The tests that read synthetic_svgs run on one worker, which converts each figure once.
SYNTHETIC_SVGS = pytest.mark.xdist_group("synthetic_svgs")


@functools.cache
def synthetic_figures(n_sources: int) -> dict:
    """Every figure over ``n_sources`` synthetic sources, with the real codebook's places and
    sectors (the longest names included), each source a retelling with framing claims."""
    import random

    from helpers.codebook.book import load_codebook

    book = load_codebook(catalogue.path("codebook"))
    places, sectors = chart_data.places_with_regions(book), book.sectors_table()
    rng = random.Random(n_sources)
    place_ids, sector_ids = sorted(places["id"]), sorted(sectors["sector_id"])
    level = dict(zip(places["id"], places["type"], strict=True))
    codings, tri, claims = [], [], []
    for i in range(n_sources):
        src = f"synthetic-source-{i:04d}"
        for j in range(rng.randint(3, 12)):
            place, sector = rng.choice(place_ids), rng.choice(sector_ids)
            sid = f"{src}:p01:s{j + 1:02d}"
            codings.append(
                {
                    "coding_id": f"{src}-{j}",
                    "source_id": src,
                    "paragraph_id": f"{src}:p01",
                    "sentence_id": sid,
                    "start": 0,
                    "end": 20,
                    "evidence": f"{place} plans {sector}.",
                    "place_id": place,
                    "place_level": "region" if level[place] == "region" else "province",
                    "sector_id": sector,
                    "technology_id": None,
                    "relation": rng.choice(schemas.RELATIONS),
                    "modality": rng.choice(["asserted", "asserted", "negated"]),
                    "rule_id": "r",
                    "via_region": None,
                    "status": "auto",
                    "adjudication_reason": None,
                }
            )
            tri.append(
                {
                    "row_id": f"{src}-t{j}",
                    "class": rng.choice(schemas.TRIANGULATION_CLASSES[:4]),
                    "sector_id": sector,
                    "article_place_id": place,
                    "reference_place_id": place,
                    "article_source_id": src,
                    "reference_source_id": "reference",
                    "article_evidence": "e",
                    "fact_text": "f",
                }
            )
        claims.append(
            {
                **make_claims().iloc[1].to_dict(),
                "claim_id": f"{src}:p09:s01:technology-gap",
                "source_id": src,
                "sentence_id": f"{src}:p09:s01",
                "paragraph_id": f"{src}:p09",
            }
        )
    codings = schemas.CODINGS.validate(pd.DataFrame(codings))
    tri = pd.DataFrame(tri, columns=list(schemas.TRIANGULATION.columns))
    tri["article_start"] = tri["article_start"].astype("Int64")
    tri["article_end"] = tri["article_end"].astype("Int64")
    by_source = compare.tie_sources(codings, tri)
    return figures(
        compare.tie_agreement(by_source),
        codings,
        by_source,
        pd.DataFrame(claims),
        tri,
        places=places,
        sectors=sectors,
    )


@SYNTHETIC_SVGS
@pytest.mark.parametrize("n_sources", [1, 8, 200])
def test_every_figure_fits_the_a4_text_width(n_sources):
    """No SVG wider than 780 px (627 px of A4 text width, shrunk to no less than 80 %), and no
    axis label cut where it could wrap."""
    for name, (_, svg) in synthetic_svgs(n_sources).items():
        description = synthetic_figures(n_sources)[name][1]
        width = float(re.search(r'<svg[^>]*\swidth="([\d.]+)"', svg).group(1))
        assert width <= chart_theme.MAX_WIDTH, f"{name} with {n_sources} sources: {width} px"
        assert "…" not in svg, f"{name}: a label is cut"
        assert description.strip()


def test_a_selection_without_retellings_or_claims_still_has_its_figures():
    """Empty triangulation and framing tables draw a figure that says why it is empty."""
    no_tri = make_triangulation().iloc[0:0]
    no_claims = make_claims().iloc[0:0]
    for chart, text in [
        (comparisons.triangulation(no_tri, SECTORS, title="T"), "retells"),
        (comparisons.framing(no_claims, FRAMING_BOOK, title="T"), "framing claim"),
        (
            comparisons.framing_outlets(no_claims, sources_for([SRC]), FRAMING_BOOK, title="T"),
            "comparator",
        ),
    ]:
        spec = chart_export.chart_spec(chart)
        assert text in inline_rows(spec)[0]["message"]
    assert "no text" in chart_text.describe_triangulation(no_tri, SECTORS)
    assert compare.ties(no_tri).empty


# -- SVG conversion: stable ids, workers, cache (helpers.figures.svg) ---------------------------
def gradient_spec(title: str) -> dict:
    """A small chart with a colour gradient legend (Vega numbers gradients per process)."""
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "title": title,
        "data": {"values": [{"a": "上海", "b": 1}, {"a": "Beijing", "b": 3}]},
        "mark": "rect",
        "encoding": {
            "x": {"field": "a", "type": "nominal"},
            "color": {"field": "b", "type": "quantitative"},
        },
    }


def convert(specs: dict, cache=None, workers=None) -> dict[str, str]:
    return chart_svg.to_svg(
        specs,
        vl_version=chart_export.VL_VERSION,
        font_dir=chart_theme.cjk_font_dir(),
        cache=cache,
        workers=workers,
    )


def test_stable_ids_renumber_definitions_and_uses_but_not_text():
    svg = (
        '<svg><defs><linearGradient id="gradient_7"/><clipPath id="clip12"/></defs>'
        '<path fill="url(#gradient_7)" clip-path="url(#clip12)"/>'
        '<path stroke="url(#gradient_9)"/><linearGradient id="gradient_9"/>'
        '<text aria-label="gradient_7">url(#gradient_7) id="clip12"</text></svg>'
    )
    assert chart_svg.stable_ids(svg) == (
        '<svg><defs><linearGradient id="gradient_0"/><clipPath id="clip1"/></defs>'
        '<path fill="url(#gradient_0)" clip-path="url(#clip1)"/>'
        '<path stroke="url(#gradient_1)"/><linearGradient id="gradient_1"/>'
        '<text aria-label="gradient_7">url(#gradient_7) id="clip12"</text></svg>'
    )


def test_a_figure_svg_does_not_depend_on_what_its_process_converted_before():
    font_dir = chart_theme.cjk_font_dir()
    first = chart_svg.convert_here(gradient_spec("A"), chart_export.VL_VERSION, font_dir)
    for title in ("B", "C"):  # Vega's own counters move on in this process
        chart_svg.convert_here(gradient_spec(title), chart_export.VL_VERSION, font_dir)
    again = chart_svg.convert_here(gradient_spec("A"), chart_export.VL_VERSION, font_dir)
    assert again == first and 'id="gradient_0"' in first and "url(#gradient_0)" in first


def test_workers_write_the_same_svgs_as_one_process(built):
    specs = {name: chart_export.chart_spec(chart) for name, (chart, _) in built.items()}
    specs["gradient"] = gradient_spec("G")
    font_dir = chart_theme.cjk_font_dir()
    serial = {
        name: chart_svg.convert_here(spec, chart_export.VL_VERSION, font_dir)
        for name, spec in specs.items()
    }
    workers = chart_svg.Workers(chart_export.VL_VERSION, font_dir, 2)
    procs = list(workers.procs)
    assert len(procs) == 2
    assert convert(specs, workers=workers) == serial
    assert [proc.is_alive() for proc in procs] == [False, False]  # done, and gone
    assert not workers.procs


def test_a_failing_figure_fails_the_export_in_one_line_and_writes_nothing(built, tmp_path):
    chart, text = built["framing"]
    chart_export.start_converters(2)
    bad = alt.Chart(pd.DataFrame({"a": [1]})).mark_point().encode(x="a:Q")
    bad_spec = {"mark": "no-such-mark", "data": {"values": []}}
    with pytest.MonkeyPatch.context() as mp:
        real = chart_export.chart_spec
        mp.setattr(chart_export, "chart_spec", lambda c: bad_spec if c is bad else real(c))
        with pytest.raises(chart_svg.ExportError) as failed:
            chart_export.export_charts(
                {"framing": (chart, text), "broken": (bad, "A broken chart")},
                tmp_path / "figures",
                cache=None,
            )
    message = str(failed.value)
    assert message.startswith("figure 'broken': SVG export failed: ") and "\n" not in message
    assert not (tmp_path / "figures").exists()


def test_a_worker_that_dies_fails_the_export_in_one_line():
    workers = chart_svg.Workers(chart_export.VL_VERSION, chart_theme.cjk_font_dir(), 1)
    workers.procs[0].kill()
    workers.procs[0].join()  # dead before the figure is handed over: no race with the kill
    with pytest.raises(
        chart_svg.ExportError, match=r"^figure 'a': SVG export failed: every SVG worker stopped$"
    ):
        workers.results({"a": gradient_spec("A")})
    assert not workers.procs


def test_the_svg_cache_reuses_same_specs_and_reconverts_changed_ones(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    specs = {"a": gradient_spec("A"), "b": gradient_spec("B")}
    first = convert(specs, cache=cache)
    assert len(list(cache.glob("*.json"))) == 2

    converted: list[str] = []
    real = chart_svg.convert_here

    def counting(spec, *args):
        converted.append(spec["title"])
        return real(spec, *args)

    monkeypatch.setattr(chart_svg, "convert_here", counting)
    assert convert(specs, cache=cache) == first and converted == []  # both reused
    changed = {**specs, "b": gradient_spec("B, edited")}
    again = convert(changed, cache=cache)
    assert converted == ["B, edited"] and again["a"] == first["a"]
    assert again["b"] == real(changed["b"], chart_export.VL_VERSION, chart_theme.cjk_font_dir())


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[: len(text) // 2],  # torn write
        lambda text: text.replace("<svg", "<svg onload='x()'", 1),  # edited: hash mismatch
        lambda text: "not json",
        lambda text: json.dumps({"svg": "<svg/>"}),  # no key, no hash
    ],
)
def test_a_damaged_svg_cache_entry_is_ignored_and_replaced(tmp_path, damage):
    cache = tmp_path / "cache"
    specs = {"a": gradient_spec("A")}
    good = convert(specs, cache=cache)
    (entry,) = cache.glob("*.json")
    entry.write_text(damage(entry.read_text(encoding="utf-8")), encoding="utf-8")
    assert convert(specs, cache=cache) == good
    assert json.loads(entry.read_text(encoding="utf-8"))["svg"] == good["a"]


def test_the_svg_cache_key_follows_versions_and_font_files(tmp_path):
    fonts = tmp_path / "fonts"
    fonts.mkdir()
    (fonts / "A.otf").write_bytes(b"font")
    spec = gradient_spec("A")
    key = chart_svg.cache_key(spec, chart_svg.environment("6.4", fonts))
    assert key == chart_svg.cache_key(spec, chart_svg.environment("6.4", fonts))
    assert key != chart_svg.cache_key(spec, chart_svg.environment("6.3", fonts))
    assert key != chart_svg.cache_key(gradient_spec("B"), chart_svg.environment("6.4", fonts))
    (fonts / "B.otf").write_bytes(b"another font")
    assert key != chart_svg.cache_key(spec, chart_svg.environment("6.4", fonts))


def test_the_svg_cache_keeps_the_most_recently_used_entries(tmp_path, monkeypatch):
    monkeypatch.setattr(chart_svg, "CACHE_ENTRIES", 2)
    for i, key in enumerate(["k1", "k2", "k3"]):
        chart_svg.store(tmp_path, key, f"<svg>{key}</svg>")
        os.utime(tmp_path / f"{key}.json", ns=(i * 10**9, i * 10**9))
    chart_svg.store(tmp_path, "k4", "<svg>k4</svg>")
    assert sorted(p.stem for p in tmp_path.glob("*.json")) == ["k3", "k4"]


def test_figures_converted_ahead_are_collected_and_a_changed_one_is_converted_anew(
    built, tmp_path, monkeypatch
):
    monkeypatch.setattr(chart_export, "SVG_CACHE", None)
    figures = {name: built[name] for name in ("framing", "tile_map", "priority_matrix")}
    chart_export.start_converters(2)
    chart_export.convert_ahead(figures)
    changed = {**figures, "framing": (figures["framing"][0].properties(title="Changed"), "x")}
    written = chart_export.export_charts(changed, tmp_path, cache=None)
    font_dir = chart_theme.cjk_font_dir()
    for name, (chart, _) in changed.items():
        expected = chart_svg.convert_here(
            chart_export.chart_spec(chart), chart_export.VL_VERSION, font_dir
        )
        assert written[name]["svg"].read_text(encoding="utf-8") == expected, name
    assert "Changed" in written["framing"]["svg"].read_text(encoding="utf-8")
    assert chart_export._converters is None  # used once, and ended


@functools.cache
def synthetic_svgs(n_sources: int) -> dict[str, tuple[dict, str]]:
    """Each synthetic figure's Vega-Lite spec and SVG, converted once for the module."""
    import vl_convert as vlc

    chart_theme.register_cjk_font()
    out = {}
    for name, (chart, _) in synthetic_figures(n_sources).items():
        spec = chart_export.chart_spec(chart)
        out[name] = (spec, vlc.vegalite_to_svg(spec, vl_version=chart_export.VL_VERSION))
    return out


@SYNTHETIC_SVGS
@pytest.mark.parametrize("n_sources", [1, 8, 200])
def test_no_two_labels_of_a_figure_overlap(n_sources):
    """Every text line of every figure (axis labels, tile names, legends, titles) has a box of
    its own: wrapped labels get rows tall enough, tile names fit their tile."""
    from svgtext import overlapping_labels

    for name, (_, svg) in synthetic_svgs(n_sources).items():
        assert overlapping_labels(svg) == [], f"{name} with {n_sources} sources"


def test_label_boxes_find_an_overprint():
    """The overlap check does find two labels printed over each other (and rotated ones)."""
    from svgtext import overlapping_labels, text_boxes

    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg"><g transform="translate(10,20)">'
        '<text transform="translate(0,0)" font-size="10px">Inner</text>'
        '<text transform="translate(2,4)" font-size="11px">内蒙古</text>'
        '<text transform="translate(200,50) rotate(-90)" font-size="10px">Upright</text>'
        "</g></svg>"
    )
    assert overlapping_labels(svg) == ["'Inner' over '内蒙古'"]
    upright = text_boxes(svg)[2]
    assert upright.y1 - upright.y0 > upright.x1 - upright.x0  # rotated: tall, not wide


def _encodings(spec: dict) -> list[tuple[str, dict]]:
    return [
        (channel, enc)
        for layer in [spec, *spec.get("layer", [])]
        for channel, enc in layer.get("encoding", {}).items()
        if isinstance(enc, dict)
    ]


@SYNTHETIC_SVGS
@pytest.mark.parametrize("n_sources", [1, 8])
def test_every_encoded_field_has_a_legend_and_counts_read_as_whole_numbers(n_sources):
    """A field drawn by colour, shape, size or fill has a legend on at least one channel; a
    count axis has whole-number ticks ending at or above the largest bar; a count legend
    reaches the largest value drawn."""
    legend_channels = {"color", "fill", "stroke", "shape", "size", "opacity", "fillOpacity"}
    for name, (spec, _) in synthetic_svgs(n_sources).items():
        fields_with, fields_without = set(), set()
        for channel, enc in _encodings(spec):
            enc = enc.get("condition", enc) if "field" not in enc else enc
            if channel not in legend_channels or "field" not in enc:
                continue
            (fields_without if enc.get("legend", {}) is None else fields_with).add(enc["field"])
            values = (enc.get("legend") or {}).get("values")
            rows = inline_rows(spec)
            if values and enc.get("type") == "quantitative":
                top = max(r[enc["field"]] for r in rows if r.get(enc["field"]) is not None)
                assert max(values) >= top, f"{name}: legend {values} stops below {top}"
                assert all(float(v).is_integer() for v in values), name
        assert fields_without <= fields_with, (
            f"{name}: no legend for {fields_without - fields_with}"
        )
        for channel, enc in _encodings(spec):
            ticks = ((enc.get("axis") or {}) if channel in ("x", "y") else {}).get("values")
            if ticks:
                assert all(float(t).is_integer() for t in ticks), name
                assert len(set(ticks)) == len(ticks), f"{name}: ticks {ticks}"


def test_count_ticks_are_whole_distinct_and_reach_the_top():
    assert layout.count_ticks(1) == [0, 1]
    assert layout.count_ticks(5) == [0, 1, 2, 3, 4, 5]
    assert layout.count_ticks(17) == [0, 5, 10, 15, 20]
    assert layout.count_ticks(0) == [0, 1]
    scale, legend = layout.count_legend(5)
    assert legend.values[-1] == 5 and scale.domain == [0, 5]


def test_the_breadth_chart_draws_only_named_sectors_and_names_the_rest_in_its_caption(built):
    spec = chart_export.chart_spec(built["sector_breadth"][0])
    drawn = {r["sector"].replace("\n", " ") for r in inline_rows(spec)}
    table = chart_data.breadth_table(make_ties(), SECTORS)
    named = set(table.loc[table["any_relation"] > 0, "sector"])
    assert drawn == named
    unnamed = set(table.loc[table["any_relation"] == 0, "sector"])
    caption = built["sector_breadth"][1]
    assert unnamed and all(sector in caption for sector in unnamed)
    assert "Not drawn" in caption


@SYNTHETIC_SVGS
def test_no_figure_text_is_smaller_than_10_px():
    """Drawn at its size (the HTML scrolls a wide chart rather than shrink it), every text of
    every figure is at least 10 px."""
    for name, (_, svg) in synthetic_svgs(8).items():
        sizes = [float(s) for s in re.findall(r'font-size="([\d.]+)px"', svg)]
        assert sizes and min(sizes) >= 10, f"{name}: {min(sizes)} px"


def test_the_framing_caption_names_only_the_actors_present_and_who_wrote_the_claims():
    claims = make_claims()
    sources = sources_for(claims["source_id"]).assign(
        original_outlet="Adnkronos",
        original_language="it",
        translated_by="morningexpress.in",
        machine_translation=True,
    )
    caption = chart_text.describe_framing(claims, FRAMING_BOOK, sources)
    involved = set(claims["actor"]) | {
        c for cell in claims["comparators"].dropna() for c in cell.split(";")
    }
    for actor in FRAMING_BOOK.actors:
        assert (FRAMING_BOOK.actor_in_text(actor) in caption) == (actor in involved), actor
    assert caption.endswith(
        "Claims written by Adnkronos (Italian), machine-translated into English by "
        "morningexpress.in."
    )
