"""More causes of error seen on real news texts, each on a short text made up for it and
coded by the manual (../shared/CODING.md) before the rules: a national statement quoted in a
provincial story (§1, §5), "the report" in a province's story (§5), terms of the codebook
(§2), a metaphor and an event (§4)."""

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
    ("paragraphs", "language"),
    [
        (
            [
                "Anhui will expand its quantum industry, the governor said.",
                '"We will foster embodied intelligence and 6G," the State Council\'s '
                "government work report said. It also pledged support for chips.",
            ],
            "en",
        ),
        (
            [
                "安徽将做大做强量子科技产业。",
                "国务院政府工作报告提出，要培育具身智能、6G等未来产业。报告还提出，要加快发展集成电路。",
            ],
            "zh",
        ),
        (
            [
                "安徽将做大做强量子科技产业。",
                "全国已建成5G基站400多万个，人工智能产业规模持续扩大。",
            ],
            "zh",
        ),
    ],
)
def test_a_national_statement_in_a_provincial_story_ends_the_provinces_scope(
    cb, paragraphs, language
):
    assert coded(cb, paragraphs, language) == {("anhui", "quantum"): "priority"}


@pytest.mark.parametrize(
    ("paragraphs", "language"),
    [
        (
            [
                "Anhui released its government work report on Monday.",
                "The province belongs to the Yangtze River Delta, a cluster of carmakers.",
                "The report pledges to build quantum laboratories.",
            ],
            "en",
        ),
        (
            [
                "安徽省发布政府工作报告。",
                "长三角地区汇聚了大批汽车企业。",
                "报告提出，要加快建设量子实验室。",
            ],
            "zh",
        ),
    ],
)
def test_the_report_in_a_provinces_story_is_the_provinces(cb, paragraphs, language):
    got = coded(cb, paragraphs, language)
    assert got.get(("anhui", "quantum")) == "priority"
    assert ("yangtze-river-delta", "quantum") not in got


@pytest.mark.parametrize(
    ("text", "language", "sector"),
    [
        ("内蒙古将发展绿色先进能源。", "zh", "new-energy"),
        ("黑龙江将做强农机装备产业。", "zh", "high-end-equipment"),
        ("Guizhou will invest in high-tech fields.", "en", "tech-industries"),
        ("山西将加快发展高技术制造业。", "zh", "tech-industries"),
    ],
)
def test_terms_of_the_codebook(cb, text, language, sector):
    assert {s for _, s in coded(cb, [text], language)} == {sector}


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("香港與深圳的創意碰撞出「聚變」。", "zh"),
        ("Hong Kong's film festival is a fusion of ideas.", "en"),
        ("The Hunan governor received the microphone from a humanoid robot.", "en"),
    ],
)
def test_a_metaphor_or_an_event_with_a_product_is_no_tie(cb, text, language):
    assert coded(cb, [text], language) == {}


@pytest.mark.parametrize(
    ("paragraphs", "language"),
    [
        (["安徽将发展量子科技。", "生物制造方面，生物制造被视为颠覆性技术，发展目标明确。"], "zh"),
        (
            [
                "Anhui will develop quantum technology.",
                "In biomanufacturing, fermentation plants are the target of new funds.",
            ],
            "en",
        ),
    ],
)
def test_a_section_opened_by_a_topic_marker_takes_no_place_from_the_scope_alone(
    cb, paragraphs, language
):
    assert coded(cb, paragraphs, language) == {("anhui", "quantum"): "priority"}
    # a reference word still points back
    referred = [paragraphs[0], paragraphs[1].replace("，生物制造", "，该省生物制造")]
    if language == "zh":
        assert ("anhui", "biomanufacturing") in coded(cb, referred, language)


def test_in_a_clause_of_pairs_a_term_no_place_owns_goes_to_the_places_before_it(cb):
    got = coded(
        cb,
        [
            "江苏和上海将深化合作。",
            "两地将联合发展人工智能，推动合肥的集成电路和杭州的机器人产业发展。",
        ],
        "zh",
    )
    assert set(got) == {
        ("jiangsu", "artificial-intelligence"),
        ("shanghai", "artificial-intelligence"),
        ("anhui", "semiconductors"),
        ("zhejiang", "robotics"),
    }
