"""The coding manual's rules (../shared/CODING.md) on short texts written for them.

Each case is made up, in the styles that real news texts use, and coded by the manual first:
the head noun decides the sector (§2), a region that only locates a province is no place of
its own (§1), "the province of X" names X and points at no earlier place (§5), a sector
named by reference takes the paragraph's topic, and a standing strength is an achievement
(§4). Simplified and traditional characters are coded alike (§6).
"""

from __future__ import annotations

import pytest

from helpers.codebook.book import load_codebook
from helpers.coding.rules import code_sentences
from helpers.engine import catalogue
from tests.test_coding import make_sentences, ties


@pytest.fixture(scope="module")
def cb():
    return load_codebook(catalogue.path("codebook"))


def coded(cb, paragraphs: list[str], language: str) -> dict[tuple[str, str], str]:
    return ties(code_sentences(make_sentences(paragraphs, language=language), cb))


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("湖北将加快发展高端AI芯片和合成生物。", "zh", {"semiconductors", "biomanufacturing"}),
        ("江西要突破一批量子芯片和人形机器人技术。", "zh", {"semiconductors", "robotics"}),
        (
            "Hunan will mass-produce AI chips and develop synthetic biology.",
            "en",
            {"semiconductors", "biomanufacturing"},
        ),
        ("河北将推动氢能重卡和氢能公交规模化应用。", "zh", {"vehicles"}),
        (
            "Jilin sold 900,000 cars last year, 400,000 of them new-energy models.",
            "en",
            {"vehicles"},
        ),
    ],
)
def test_the_head_noun_decides_the_sector(cb, text, language, expected):
    assert {sector for _, sector in coded(cb, [text], language)} == expected


def test_a_region_that_locates_a_province_is_no_place_of_its_own(cb):
    got = coded(cb, ["Northeast China's Jilin Province plans to expand robotics."], "en")
    assert got == {("jilin", "robotics"): "priority"}
    got = coded(cb, ["Southwest China's Sichuan Province will build more drones."], "en")
    assert set(got) == {("sichuan", "low-altitude-economy")}


def test_the_province_of_x_names_x_and_points_at_no_earlier_place(cb):
    got = coded(
        cb,
        [
            "Hubei and Hunan have identified quantum computing as a frontier.",
            "Local governments tend to build on their strengths. The central province of "
            "Henan is advancing a satellite project.",
        ],
        "en",
    )
    assert ("henan", "space") in got
    assert ("hubei", "space") not in got and ("hunan", "space") not in got


@pytest.mark.parametrize(
    ("paragraph", "language", "places"),
    [
        (
            "量子科技方面，合肥企业集聚，初步构建完整生态链。天津、重庆也在围绕场景出台相关产业政策。",
            "zh",
            {"anhui", "tianjin", "chongqing"},
        ),
        (
            "量子科技方面，合肥企業集聚，初步構建完整生態鏈。天津、重慶也在圍繞場景出台相關產業政策。",
            "zh",
            {"anhui", "tianjin", "chongqing"},
        ),
        (
            "In quantum technology, Hefei hosts a third of the country's firms. Tianjin and "
            "Chongqing have also issued policies for the industry.",
            "en",
            {"anhui", "tianjin", "chongqing"},
        ),
    ],
)
def test_a_sector_named_by_reference_takes_the_paragraphs_topic(cb, paragraph, language, places):
    got = coded(cb, [paragraph], language)
    assert {p for p, s in got if s == "quantum"} == places
    assert got[("tianjin", "quantum")] == "priority"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("生物制造领域，深圳是合成生物产业高地。", "zh"),
        ("In biomanufacturing, Shenzhen is a highland for synthetic biology.", "en"),
        ("Shenzhen hosts a third of the country's synthetic biology firms.", "en"),
    ],
)
def test_a_standing_strength_is_an_achievement(cb, text, language):
    assert coded(cb, [text], language) == {("guangdong", "biomanufacturing"): "achievement"}


def test_a_new_science_named_as_an_industry_is_coded(cb):
    assert ("hong-kong", "data-and-computing") in coded(
        cb, ["香港將推動AI和數據科學產業發展。"], "zh"
    )


def test_each_list_item_keeps_its_own_place_when_later_items_name_no_sector(cb):
    got = coded(
        cb,
        ["内蒙古延伸煤化工至化工新材料，河南做强钢铁、食品等产业，黑龙江推进粮食精深加工。"],
        "zh",
    )
    assert got == {("inner-mongolia", "new-materials"): "priority"}


def test_a_caption_of_several_sentences_is_no_tie(cb):
    got = coded(
        cb,
        [
            "Engineers adjust the arm of an inspection robot on March 3, 2025, in Wuhu, East "
            "China's Anhui Province. The plant makes 2,000 units a year. Photo: VCG",
            "Anhui held its first meeting of the year on Monday.",
        ],
        "en",
    )
    assert got == {}


def test_achievements_that_show_a_potential_are_achievements(cb):
    got = coded(
        cb,
        [
            "Jilin's achievements in advanced materials demonstrate its potential to become "
            "a leader."
        ],
        "en",
    )
    assert got == {("jilin", "new-materials"): "achievement"}


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        (
            "Fujian will build chip plants, Guizhou will curb unfair competition and Gansu "
            "will repair its roads.",
            "en",
            {("fujian", "semiconductors"): "priority"},
        ),
        (
            "From Hubei's support for Wuhan's optical chip makers, to Hunan's reform of its "
            "state firms, and then to Jiangxi's campaign for cleaner rivers, provinces set "
            "out their tasks.",
            "en",
            {("hubei", "semiconductors"): "priority"},
        ),
        (
            "福建将建设芯片工厂，贵州将整治不正当竞争，甘肃将修缮道路。",
            "zh",
            {("fujian", "semiconductors"): "priority"},
        ),
        # an item with no predicate of its own shares the one before (§3: ellipsis)
        (
            "Fujian will build chip plants, Guizhou too.",
            "en",
            {("fujian", "semiconductors"): "priority", ("guizhou", "semiconductors"): "priority"},
        ),
    ],
)
def test_a_list_item_with_its_own_predicate_keeps_its_place_without_a_sector(
    cb, text, language, expected
):
    assert coded(cb, [text], language) == expected


@pytest.mark.parametrize(
    ("paragraphs", "language", "expected"),
    [
        # a result told by 问世, 涌现, 研发成功, 打破…垄断 is an achievement (§4)
        (["陕西省科技厅发布成果清单。", "一批光子芯片产品相继问世。"], "zh", "achievement"),
        (["陕西省科技厅发布成果清单。", "一批智能语音企业竞相涌现。"], "zh", "achievement"),
        (["陕西省科技厅发布成果清单。", "首台国产光刻设备研发成功。"], "zh", "achievement"),
        (["陕西省科技厅發布成果清單。", "該省量子通信技術處於國際領先水平。"], "zh", "achievement"),
    ],
)
def test_results_of_the_past_are_achievements(cb, paragraphs, language, expected):
    got = coded(cb, paragraphs, language)
    assert got and set(got.values()) == {expected}, got


def test_a_national_lab_or_a_national_ranking_does_not_end_the_province_in_scope(cb):
    got = coded(
        cb,
        [
            "湖北省发布报告。",
            "全国重点实验室达到45家，3家高新区位列全国50强。",
            "存储芯片产品竞相涌现。",
        ],
        "zh",
    )
    assert got == {("hubei", "semiconductors"): "achievement"}


@pytest.mark.parametrize(
    ("text", "sector"),
    [
        ("香港將推動可持續航空燃料的研發。", "new-energy"),  # the head noun is the fuel (§2)
        ("香港將推動永續航空燃料的研發。", "new-energy"),  # Hong Kong and Taiwan usage
        ("安徽将加快建设智能语音产业集群。", "artificial-intelligence"),
        ("深圳将推动鸿蒙生态发展。", "software"),
        ("江西将推动动力电池回收产业发展。", "green-industries"),
    ],
)
def test_sector_vocabulary_of_both_scripts(cb, text, sector):
    assert {s for _, s in coded(cb, [text], "zh")} == {sector}
