"""Coding rules on small made-up texts, adjudication, and the golden test on the seed."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from helpers import schemas
from helpers.codebook.book import load_codebook
from helpers.coding.rules import code_sentences
from helpers.engine import catalogue
from helpers.engine.errors import InputError

FIXTURES = Path(__file__).parent / "fixtures" / "coding"
GOLD = Path(__file__).parent / "gold" / "seed_codings.csv"


@pytest.fixture(scope="module")
def cb():
    return load_codebook(catalogue.path("codebook"))


def make_sentences(paragraphs: list[str], source_id: str = "t", language: str = "en"):
    """A SENTENCES table from paragraphs (one a string), split simply at sentence ends."""
    split = re.compile(r"(?<=[.!?])\s+" if language == "en" else r"(?<=[。！？])")
    rows, offset = [], 0
    for p_no, paragraph in enumerate(paragraphs, start=1):
        pos = 0
        parts = [s for s in split.split(paragraph) if s.strip()]
        for s_no, sentence in enumerate(parts, start=1):
            start = offset + paragraph.index(sentence, pos)
            pos = start - offset + len(sentence)
            rows.append(
                {
                    "source_id": source_id,
                    "paragraph_id": f"{source_id}:p{p_no:02d}",
                    "sentence_id": f"{source_id}:p{p_no:02d}:s{s_no:02d}",
                    "sentence_no": s_no,
                    "language": language,
                    "start": start,
                    "end": start + len(sentence),
                    "raw_start": start,
                    "raw_end": start + len(sentence),
                    "text": sentence,
                }
            )
        offset += len(paragraph) + 1
    return schemas.SENTENCES.validate(pd.DataFrame(rows))


def ties(result, table="priority_matrix"):
    df = result[table]
    return {(r.place_id, r.sector_id): r.relation for r in df.itertuples()}


def no_ties(result):
    """(place, sector) -> modality of the codings kept for the record that are no ties: a
    negated or hypothetical statement, a caption, an event (CODING.md §4)."""
    c = result["codings"]
    c = c[c["modality"] != "asserted"]
    return {(r.place_id, r.sector_id): r.modality for r in c.itertuples()}


def test_outputs_meet_their_contracts(cb):
    sentence = "Guangdong plans to develop chips (integrated circuits)."
    out = code_sentences(make_sentences([sentence]), cb)
    schemas.MENTIONS.validate(out["mentions"])
    schemas.CODINGS.validate(out["codings"])
    schemas.PRIORITY_MATRIX.validate(out["priority_matrix"])
    assert out["mentions"]["in_parenthetical"].tolist() == [False, False, True]


def test_clauses_split_at_contrastive_joints(cb):
    out = code_sentences(
        make_sentences(
            ["Jiangsu and Hubei explore quantum computing, while Jiangsu also invests in drones."]
        ),
        cb,
    )
    assert ties(out) == {
        ("jiangsu", "quantum"): "priority",
        ("hubei", "quantum"): "priority",
        ("jiangsu", "low-altitude-economy"): "priority",
    }


def test_region_coded_at_region_level_with_named_members(cb):
    out = code_sentences(
        make_sentences(
            ["The Greater Bay Area, including Guangdong and Hong Kong, will build 6G networks."]
        ),
        cb,
    )
    codings = out["codings"].set_index("place_id")
    assert codings.loc["greater-bay-area", "place_level"] == "region"
    assert codings.loc["guangdong", "via_region"] == "greater-bay-area"
    assert codings.loc["hong-kong", "via_region"] == "greater-bay-area"
    # membership alone makes no tie: Macao is not named
    assert "macao" not in codings.index
    assert codings.loc["guangdong", "rule_id"] == "R-SENT"


def test_a_region_tie_is_no_tie_of_its_members(cb):
    out = code_sentences(
        make_sentences(
            [
                "The Greater Bay Area is doubling down on chips.",  # a declared focus
                "The Yangtze River Delta, which includes Shanghai, will build a chip cluster.",
            ]
        ),
        cb,
    )
    assert ties(out) == {
        ("greater-bay-area", "semiconductors"): "priority",
        ("yangtze-river-delta", "semiconductors"): "priority",
        ("shanghai", "semiconductors"): "priority",
    }


def test_achievement_in_parenthetical_vs_priority(cb):
    out = code_sentences(
        make_sentences(
            [
                "Hubei (which opened a biomanufacturing plant last year) and Hunan plan "
                "to support new materials."
            ]
        ),
        cb,
    )
    assert ties(out) == {
        ("hubei", "biomanufacturing"): "achievement",
        ("hubei", "new-materials"): "priority",
        ("hunan", "new-materials"): "priority",
    }


def test_negation_is_not_a_priority(cb):
    out = code_sentences(make_sentences(["Henan does not plan to develop quantum computing."]), cb)
    row = out["codings"].iloc[0]
    assert (row.modality, row.relation) == ("negated", "context")


def test_hypothetical_between_mentions_but_not_a_trailing_hedge(cb):
    out = code_sentences(
        make_sentences(
            [
                "Gansu could invest in hydrogen.",
                "Qinghai is investing in nuclear fusion, a technology that could change energy.",
            ]
        ),
        cb,
    )
    got = out["codings"].set_index("place_id")
    assert (got.loc["gansu", "modality"], got.loc["gansu", "relation"]) == (
        "hypothetical",
        "context",
    )
    assert (got.loc["qinghai", "modality"], got.loc["qinghai", "relation"]) == (
        "asserted",
        "priority",
    )


def test_topic_and_anaphora(cb):
    out = code_sentences(
        make_sentences(
            [
                "Biomedicine is a growing field. Jilin aims to expand. Shanxi wants drones.",
                "Fujian and Jiangxi were visited. They will develop photovoltaic capacity.",
            ]
        ),
        cb,
    )
    got = out["codings"].set_index(["place_id", "sector_id"])["rule_id"].to_dict()
    assert got == {
        ("jilin", "biomedicine"): "R-TOPIC",
        ("shanxi", "low-altitude-economy"): "R-SENT",
        ("fujian", "new-energy"): "R-ANAPHORA",
        ("jiangxi", "new-energy"): "R-ANAPHORA",
    }


def test_overlapping_terms_longest_wins(cb):
    out = code_sentences(
        make_sentences(["The Yangtze River Delta promotes new energy vehicle output."]), cb
    )
    assert ties(out)[("yangtze-river-delta", "vehicles")] == "priority"
    assert {sector for _, sector in ties(out)} == {"vehicles"}  # not new-energy
    assert out["mentions"]["entity_id"].tolist() == ["yangtze-river-delta", "new-energy-vehicles"]


def test_chinese_paragraphs(cb):
    lines = (FIXTURES / "zh_paragraphs.txt").read_text(encoding="utf-8").splitlines()
    out = code_sentences(make_sentences(lines, source_id="zh", language="zh"), cb)
    assert ties(out) == {
        ("shanghai", "semiconductors"): "priority",
        ("shanghai", "artificial-intelligence"): "priority",
        ("anhui", "quantum"): "priority",
    }
    assert no_ties(out) == {("zhejiang", "quantum"): "negated"}  # 浙江没有布局量子科技


def test_coding_ids_are_stable_and_output_deterministic(cb):
    s = make_sentences(["Shaanxi plans to build robots, while Ningxia explores computing power."])
    a, b = code_sentences(s, cb), code_sentences(s.iloc[::-1], cb)
    assert len(a["codings"]) >= 2 and len(a["mentions"]) >= 4  # not two empty tables
    for key in a:
        pd.testing.assert_frame_equal(a[key], b[key])


# -- the cue lexicon (codebook/cues.yaml) ------------------------------------------------------

_CUES = load_codebook(catalogue.path("codebook")).cues.cues


@pytest.mark.parametrize("cue", _CUES, ids=[f"{c.kind}:{c.cue}" for c in _CUES])
def test_every_cue_is_found_in_its_example(cb, cue):
    """Each cue of the lexicon is found in its own example sentence by the one-pass search the
    coder uses (or, for captions and place names that are no place, by the search in the
    sentence as written)."""
    if cue.kind in ("caption", "not_a_place"):
        assert cb.cues.find(cue.kind, cue.example)
        return
    index = cb.cues.index(cue.example)
    assert index.find(cue.kind), f"{cue.kind} cue {cue.cue!r} not found in {cue.example!r}"


@pytest.mark.parametrize(
    ("sentence", "relation"),
    [
        ("Sichuan proposes to grow its aviation industry.", "priority"),
        ("Hubei is gearing up to expand optical chip production.", "priority"),
        ("Anhui has identified quantum information as a key frontier.", "priority"),
        ("Officials in Fujian pledged to nurture biomedicine.", "priority"),
        ("Zhejiang will lean on private firms to spread AI.", "priority"),
        ("Jiangxi's lithium battery capacity has reached 100 gigawatt-hours.", "achievement"),
        ("Last year Hubei built three optical chip plants.", "achievement"),
        ("A humanoid robot served tea to visitors at a fair in Hangzhou.", None),  # an event
        ("Robots are assembled at a workshop in Foshan, Guangdong province.", None),  # caption
        ("湖北省出台支持人形机器人产业发展的政策措施。", "priority"),
        ("重庆市要做大做强智能网联新能源汽车产业。", "priority"),
        ("广东无人机发展势头良好。", "context"),  # 发展 in 发展势头 is no cue
        ("去年，江苏新建一批5G基站，数字化转型扎实推进。", "achievement"),
        ("合肥市新能源汽车产量突破百万辆。", "achievement"),
    ],
)
def test_relation_cues_in_context(cb, sentence, relation):
    language = "zh" if re.search(r"[\u4e00-\u9fff]", sentence) else "en"
    out = code_sentences(make_sentences([sentence], language=language), cb)
    assert set(ties(out).values()) == ({relation} if relation else set()), ties(out)
    if relation is None:  # kept for the record, if the place is one at all (not a venue)
        assert set(no_ties(out).values()) <= {"event", "caption"}


@pytest.mark.parametrize(
    "paragraphs",
    [
        ["Hunan will build computing centres.", "Chips are scarce, said a Beijing-based analyst."],
        [
            "Hunan will build computing centres.",
            "Robots sell well, a fund manager in Shanghai said.",
        ],
        ["Solar makers shut plants as Beijing steps up a campaign against price wars."],
        ["Policymakers in Beijing want fewer new solar factories."],
        ["Beijing has told provinces to stop building solar plants."],
        ["Provinces race to plan what Beijing calls future industries, such as quantum computing."],
        ["Beijing has imposed export controls on drones."],
    ],
)
def test_a_place_that_stands_for_no_policy_of_its_own_is_no_tie(cb, paragraphs):
    """A person's or firm's base and Beijing as the central government are not places that plan."""
    out = ties(code_sentences(make_sentences(paragraphs), cb))
    assert not [t for t in out if t[0] in ("beijing", "shanghai")], out


def test_the_verb_of_the_central_government_is_no_relation_of_a_province(cb):
    """ "as Beijing steps up a campaign" is Beijing's act, not the provinces' plan."""
    text = "Solar makers in Yunnan cut output as Beijing steps up a campaign against price wars."
    assert ties(code_sentences(make_sentences([text]), cb)) == {("yunnan", "new-energy"): "context"}


def test_talk_without_a_decision_is_no_priority(cb):
    text = [
        "Hainan will build rockets.",
        "Local officials have talked of a role in quantum computing.",
    ]
    out = code_sentences(make_sentences(text), cb)
    assert ("hainan", "quantum") not in ties(out)
    assert no_ties(out) == {("hainan", "quantum"): "hypothetical"}


def test_a_place_named_as_a_base_does_not_take_over_the_scope(cb):
    """A Beijing-based speaker leaves the scope with the province the text is about."""
    text = [
        "Hunan plans new computing centres.",
        "Demand is strong, said a researcher at a Beijing-based think tank.",
        "Last year the province's output of chips grew.",
    ]
    assert ties(code_sentences(make_sentences(text), cb)) == {
        ("hunan", "data-and-computing"): "priority",
        ("hunan", "semiconductors"): "achievement",
    }


@pytest.mark.parametrize(
    "sentence",
    [
        "Hubei said it would build optical chip plants.",
        "Hubei and Hunan said they would build optical chip plants.",
        "Hubei said in its 2025 work report that it would build optical chip plants.",
    ],
)
def test_would_after_a_reporting_verb_is_a_reported_plan(cb, sentence):
    """ "said it would" is the reported "will", not a hypothetical."""
    assert set(ties(code_sentences(make_sentences([sentence]), cb)).values()) == {"priority"}


def test_would_without_a_reporting_verb_stays_hypothetical(cb):
    out = code_sentences(make_sentences(["A chip fund would help Jiangxi build chip plants."]), cb)
    assert set(out["codings"]["modality"]) == {"hypothetical"}


@pytest.mark.parametrize(
    "second",
    [
        "If twenty provinces all build robot parks, most of them will fail.",
        "Not every province will build robot parks.",
        "各地纷纷布局人形机器人产业。",
    ],
)
def test_a_statement_about_provinces_in_general_takes_no_place_in_scope(cb, second):
    language = "zh" if re.search(r"[\u4e00-\u9fff]", second) else "en"
    first = "湖南将建设算力中心。" if language == "zh" else "Hunan will build computing centres."
    out = ties(code_sentences(make_sentences([first, second], language=language), cb))
    assert ("hunan", "robotics") not in out, out


@pytest.mark.parametrize(
    ("sentence", "language", "expected"),
    [
        (
            "浙江宁波已建成新材料产业集群，安徽、湖北等地正加快发展量子科技。",
            "zh",
            {
                ("zhejiang", "new-materials"): "achievement",
                ("anhui", "quantum"): "priority",
                ("hubei", "quantum"): "priority",
            },
        ),
        (
            "Hunan will build computing centres, Hubei's optical chip maker has expanded "
            "production, and Anhui has become a base for quantum computing, officials said.",
            "en",
            {
                ("hunan", "data-and-computing"): "priority",
                ("hubei", "semiconductors"): "achievement",
                ("anhui", "quantum"): "achievement",
            },
        ),
        (  # a list item without a verb of its own shares the verb before it
            "Jiangsu will build chip plants, Zhejiang drone bases.",
            "en",
            {
                ("jiangsu", "semiconductors"): "priority",
                ("zhejiang", "low-altitude-economy"): "priority",
            },
        ),
        (  # a list of places is no list of items
            "Solar makers in Inner Mongolia, Xinjiang and Sichuan plan new factories.",
            "en",
            {
                ("inner-mongolia", "new-energy"): "priority",
                ("xinjiang", "new-energy"): "priority",
                ("sichuan", "new-energy"): "priority",
            },
        ),
    ],
)
def test_list_items_with_their_own_places_and_sectors(cb, sentence, language, expected):
    """Each comma-separated item that names its own places and sectors is its own clause."""
    out = code_sentences(make_sentences([sentence], language=language), cb)
    assert ties(out) == expected


def test_a_negation_does_not_reach_into_the_contrasting_clause(cb):
    """甘肃未提及X，而是侧重发展Y: Y is the place's priority, X is negated."""
    text = "青海在相关表态中未提及人工智能，而是侧重发展氢能产业。"
    out = code_sentences(make_sentences([text], language="zh"), cb)
    assert ties(out) == {("qinghai", "hydrogen"): "priority"}
    assert no_ties(out) == {("qinghai", "artificial-intelligence"): "negated"}


def test_achievements_told_in_the_perfect_and_with_already(cb):
    sentences = [
        ("Shaanxi has expanded its solar output.", "achievement"),
        ("Shaanxi will expand its solar output.", "priority"),
        ("陕西已聚集一批光伏企业。", "achievement"),
        ("陕西一款创新药获批上市。", "achievement"),
    ]
    for sentence, relation in sentences:
        language = "zh" if re.search(r"[\u4e00-\u9fff]", sentence) else "en"
        out = ties(code_sentences(make_sentences([sentence], language=language), cb))
        assert set(out.values()) == {relation}, (sentence, out)


@pytest.mark.parametrize(
    ("term", "sector"),
    [
        ("DRAM", "semiconductors"),
        ("memory chips", "semiconductors"),
        ("存储芯片", "semiconductors"),
        ("氢燃料电池汽车", "vehicles"),
        ("fuel cell vehicles", "vehicles"),
        ("光纤光缆", "next-generation-communications"),
        ("激光设备", "high-end-equipment"),
        ("construction machinery", "high-end-equipment"),
        ("工程机械", "high-end-equipment"),
        ("new-energy buses", "vehicles"),
        ("新能源重卡", "vehicles"),
        ("batteries", "new-energy"),  # -y -> -ies
        ("lithium batteries", "new-energy"),
        ("quantum technologies", "quantum"),
        ("advanced computing", "data-and-computing"),
        ("先进计算", "data-and-computing"),
    ],
)
def test_added_terms_name_their_sector(cb, term, sector):
    assert [m.sector_id for m in cb.find_terms(term)] == [sector]


def test_both_provinces_is_a_back_reference_not_provinces_in_general(cb):
    text = ["Jiangsu and Zhejiang signed a pact.", "Both provinces will build drone bases."]
    out = ties(code_sentences(make_sentences(text), cb))
    assert out == {
        ("jiangsu", "low-altitude-economy"): "priority",
        ("zhejiang", "low-altitude-economy"): "priority",
    }


def test_negation_after_a_place_that_follows_its_term(cb):
    text = "Chips, for which Jiangsu set no target this year, were discussed."
    out = code_sentences(make_sentences([text]), cb)
    assert out["codings"]["modality"].tolist() == ["negated"]
    assert ties(out) == {}  # a negated statement is no tie
    # a hedge after the term (describing the technology) does not count
    out = code_sentences(make_sentences(["Henan plans robots that could one day cook."]), cb)
    assert ties(out) == {("henan", "robotics"): "priority"}


def test_hypothetical_on_both_sides_in_chinese(cb):
    text = "如果核聚变研究取得突破，安徽、四川等地可能率先受益。"
    out = code_sentences(make_sentences([text], language="zh"), cb)
    assert ties(out) == {}
    assert no_ties(out) == {
        ("anhui", "nuclear-fusion"): "hypothetical",
        ("sichuan", "nuclear-fusion"): "hypothetical",
    }


def test_new_energy_is_not_found_inside_new_energy_vehicles(cb):
    out = code_sentences(
        make_sentences(["Anhui will grow new-energy vehicles and its new energy industry."]), cb
    )
    assert ties(out) == {("anhui", "vehicles"): "priority", ("anhui", "new-energy"): "priority"}
    out = code_sentences(make_sentences(["安徽将发展新能源汽车。"], language="zh"), cb)
    assert ties(out) == {("anhui", "vehicles"): "priority"}


# -- places across sentences ------------------------------------------------------------------


def codings_by_sector(out):
    return out["codings"].set_index("sector_id")


def test_a_reference_before_a_place_of_its_own_sentence_points_back(cb):
    """The first clause's "The province" is the place in scope, not the city named after it."""
    out = code_sentences(
        make_sentences(
            [
                "Anhui province will pour money into quantum information this year.",
                "The province also pledged to nurture a hydrogen industry, while its capital "
                "Hefei is set to expand a nuclear fusion research facility.",
            ]
        ),
        cb,
    )
    got = codings_by_sector(out)
    assert got.loc["hydrogen", "place_id"] == "anhui"
    assert got.loc["hydrogen", "rule_id"] == "R-REF"
    assert got.loc["hydrogen", "place_sentence_id"] == "t:p01:s01"
    assert got.loc["nuclear-fusion", "city_id"] == "hefei"
    assert got.loc["nuclear-fusion", "rule_id"] == "R-SENT"


@pytest.mark.parametrize(
    ("paragraphs", "language"),
    [
        (
            [
                "Chongqing",
                "The municipality aims to build a hydrogen corridor with neighbouring Sichuan.",
            ],
            "en",
        ),
        (["重庆", "该市将与四川共建氢能走廊。"], "zh"),
    ],
)
def test_a_reference_word_before_a_named_partner_is_the_subject(cb, paragraphs, language):
    """The reference word is the clause's subject; the place after it is a partner: both."""
    out = code_sentences(make_sentences(paragraphs, language=language), cb)
    got = {(r.place_id, r.rule_id) for r in out["codings"].itertuples()}
    assert got == {("chongqing", "R-REF"), ("sichuan", "R-SENT")}


@pytest.mark.parametrize(
    "second",
    [
        "A joint quantum laboratory, floated last year, was not on the agenda.",
        "Hubei's report says little about quantum technology.",
        "报告没有对量子科技提出具体目标。",
    ],
)
def test_a_negated_predicate_after_the_term_is_no_tie(cb, second):
    language = "zh" if re.search(r"[\u4e00-\u9fff]", second) else "en"
    first = "湖北省发布了政府工作报告。" if language == "zh" else "Hubei published its plan."
    out = code_sentences(make_sentences([first, second], language=language), cb)
    assert ties(out) == {}
    assert no_ties(out) == {("hubei", "quantum"): "negated"}


@pytest.mark.parametrize(
    ("paragraphs", "language"),
    [
        (
            [
                "Yunnan will grow solar power.",
                "Guangxi plans more electric buses.",
                "Xinjiang listed wind power among its priorities.",
                "None of the three set a target for semiconductors.",
            ],
            "en",
        ),
        (
            [
                "云南将发展光伏产业。",
                "广西计划发展新能源汽车。",
                "新疆将建设风电基地。",
                "三地均未提出芯片目标。",
            ],
            "zh",
        ),
    ],
)
def test_a_numbered_plural_stands_for_the_last_places_named(cb, paragraphs, language):
    out = code_sentences(make_sentences(paragraphs, language=language), cb)
    chips = {p: r for (p, s), r in no_ties(out).items() if s == "semiconductors"}
    assert chips == {"yunnan": "negated", "guangxi": "negated", "xinjiang": "negated"}
    assert not [s for _, s in ties(out) if s == "semiconductors"]


def test_a_negation_after_dan_stays_in_its_clause(cb):
    out = code_sentences(
        make_sentences(
            ["湖南还将积极发展低空经济，但报告并未提出具体的空域开放时间表。"], language="zh"
        ),
        cb,
    )
    assert ties(out) == {("hunan", "low-altitude-economy"): "priority"}


def test_a_sector_listed_among_the_tasks_is_a_priority(cb):
    out = code_sentences(
        make_sentences(["Guangdong listed offshore wind among the year's tasks."]), cb
    )
    assert ties(out) == {("guangdong", "marine-energy"): "priority"}


def test_singular_references_take_the_place_in_scope(cb):
    out = code_sentences(
        make_sentences(
            [
                "Shaanxi's governor presented the work report on Monday.",
                "The province will build a commercial space base. Drones come next, he added.",
                "The capital will also fund quantum labs.",
            ]
        ),
        cb,
    )
    got = codings_by_sector(out)
    assert got.loc["space", "rule_id"] == "R-REF"
    assert got.loc["space", "place_sentence_id"] == "t:p01:s01"
    assert got.loc["quantum", "place_id"] == "shaanxi"
    assert set(got["place_id"]) == {"shaanxi"}


def test_place_less_sentence_with_a_cue_inherits_the_scope(cb):
    out = code_sentences(
        make_sentences(["Hunan unveiled its plan.", "Advanced materials will be a focus."]), cb
    )
    row = codings_by_sector(out).loc["new-materials"]
    assert (row["place_id"], row["rule_id"], row["relation"]) == ("hunan", "R-SCOPE", "priority")
    # without a cue or a reference word, a place-less sentence is not given the place
    out = code_sentences(make_sentences(["Hunan unveiled its plan.", "Graphene is light."]), cb)
    assert out["codings"].empty


def test_a_national_statement_ends_the_scope(cb):
    out = code_sentences(
        make_sentences(
            ["Gansu unveiled its plan.", "China will lay out quantum technology early."]
        ),
        cb,
    )
    assert out["codings"].empty
    out = code_sentences(
        make_sentences(["Gansu unveiled its plan.", "国家将前瞻布局量子科技。"]), cb
    )
    assert out["codings"].empty


def test_speaker_tags_yield_to_a_national_statement_but_place_words_do_not(cb):
    def sectors(*paragraphs):
        out = code_sentences(make_sentences(list(paragraphs)), cb)
        return set(zip(out["codings"]["place_id"], out["codings"]["sector_id"], strict=True))

    first = "Jilin presented its plan on Monday."
    assert sectors(first, "China will build 6G networks, he said.") == set()
    assert sectors(first, "Robots will get funds, he said.") == {("jilin", "robotics")}
    assert sectors(first, "The province's electric car output is the largest in China.") == {
        ("jilin", "vehicles")
    }
    # a national word after the sector term does not end the scope, but nothing is carried
    # into that sentence without a place word
    assert sectors(first, "AI output rose nationwide, according to the ministry.") == set()
    assert sectors(first, "AI output rose nationwide.", "Robots will get funds, he said.") == {
        ("jilin", "robotics")
    }
    zh = code_sentences(
        make_sentences(
            ["吉林省政府工作报告发布。", "新建3家国家级集成电路创新中心。"], language="zh"
        ),
        cb,
    )
    assert set(zh["codings"]["place_id"]) == {"jilin"}  # 国家级 is a designation, not the nation


def test_chinese_report_names_its_province_only_in_the_title(cb):
    out = code_sentences(
        make_sentences(
            [
                "河南：做大做强新材料产业",
                "报告提出，全省将培育壮大新材料产业。",
                "加快发展生物医药和低空经济。",
                "本省还将前瞻布局氢能。",
            ],
            language="zh",
        ),
        cb,
    )
    got = codings_by_sector(out)
    assert set(got["place_id"]) == {"henan"}
    assert got.loc["biomedicine", "rule_id"] == "R-SCOPE"
    assert got.loc["hydrogen", "rule_id"] == "R-REF"
    assert set(got["place_sentence_id"]) == {"t:p01:s01"}
    assert "t:p01:s01" not in set(got["sentence_id"])  # the title itself is no tie


def test_a_carried_place_holds_for_every_clause_of_a_list(cb):
    out = code_sentences(
        make_sentences(
            [
                "福建省政府工作报告发布。",
                "我省将加快发展集成电路；培育壮大人工智能；前瞻布局氢能。",
            ],
            language="zh",
        ),
        cb,
    )
    got = codings_by_sector(out)
    assert set(got["place_id"]) == {"fujian"} and set(got["rule_id"]) == {"R-REF"}
    assert set(got.index) == {"semiconductors", "artificial-intelligence", "hydrogen"}


def test_list_items_without_final_punctuation_are_coded(cb):
    out = code_sentences(
        make_sentences(
            [
                "Provincial plans at a glance",
                "Jiangsu: integrated circuits",
                "Hubei will fund lasers.",
            ]
        ),
        cb,
    )
    assert ("jiangsu", "semiconductors") in ties(out)


def test_avoiding_an_investment_is_no_priority(cb):
    text = "Jiangxi was told to avoid duplicating investment in AI."
    out = code_sentences(make_sentences([text]), cb)
    assert ties(out) == {}
    assert no_ties(out) == {("jiangxi", "artificial-intelligence"): "negated"}


def test_a_headline_alone_is_not_a_tie(cb):
    out = code_sentences(make_sentences(["Yunnan bets on drones", "Officials met on Monday."]), cb)
    assert out["codings"].empty


def test_cities_and_named_areas_code_as_their_province_and_keep_the_city(cb):
    out = code_sentences(
        make_sentences(
            [
                "Hefei will build a quantum park.",
                "Xiong'an New Area will host satellite makers.",
                "临港新片区将加快发展海洋装备。",
            ]
        ),
        cb,
    )
    got = out["codings"].set_index("sector_id")
    assert (got.loc["quantum", "place_id"], got.loc["quantum", "city_id"]) == ("anhui", "hefei")
    assert got.loc["space", "place_id"] == "hebei"
    assert got.loc["marine-equipment", "place_id"] == "shanghai"
    assert "city" in set(out["mentions"]["entity_type"])


def test_dateline_city_is_not_a_tie_but_resolves_the_city(cb):
    out = code_sentences(
        make_sentences(
            ["WUHAN, March 3 -- Robots drew crowds at a fair.", "The city will fund optical chips."]
        ),
        cb,
    )
    assert ties(out) == {("hubei", "semiconductors"): "priority"}


@pytest.mark.parametrize(
    "dateline",
    ["WUHAN, March 3 -- ", "WUHAN, March 3 (Xinhua) -- ", "Wuhan (AFP) - ", "新华社武汉3月3日电 "],
)
def test_datelines_of_several_agencies(cb, dateline):
    out = code_sentences(make_sentences([dateline + "Robots drew crowds at a fair."]), cb)
    assert out["codings"].empty  # the dateline's city is where the story was filed


def test_province_abbreviation_compounds_name_regions(cb):
    out = code_sentences(make_sentences(["湘鄂赣将共建光伏产业链。"], language="zh"), cb)
    # a compound of province abbreviations names the region, not a tie of each member
    assert {p for p, _ in ties(out)} == {"middle-yangtze"}


def test_a_caption_is_no_tie(cb):
    out = code_sentences(
        make_sentences(["A worker checks chips at a workshop in Wuxi, Jiangsu province."]), cb
    )
    assert ties(out) == {}
    assert no_ties(out) == {("jiangsu", "semiconductors"): "caption"}


def test_region_reference_and_plural_anaphora(cb):
    out = code_sentences(
        make_sentences(
            [
                "The Beijing-Tianjin-Hebei region will build a computing hub.",
                "Tianjin will add hydrogen, while Hebei adds drones.",
                "The region will also set up a fund for biomanufacturing.",
            ]
        ),
        cb,
    )
    bio = out["codings"][out["codings"]["sector_id"] == "biomanufacturing"]
    assert set(bio["place_id"]) == {"beijing-tianjin-hebei"}
    assert set(bio["rule_id"]) == {"R-REF"}


def test_catch_all_sector_counts_only_without_a_specific_one(cb):
    out = code_sentences(
        make_sentences(
            [
                "Hubei will develop strategic emerging industries such as optical chips.",
                "Qinghai will develop strategic emerging industries.",
            ]
        ),
        cb,
    )
    assert ties(out) == {
        ("hubei", "semiconductors"): "priority",
        ("qinghai", "tech-industries"): "priority",
    }
    assert "tech-industries" in set(out["codings"]["sector_id"])  # kept, for a reader


# -- adjudication -----------------------------------------------------------------------------

HEADER = "action,coding_id,source_id,sentence_id,place_id,sector_id,relation,reason\n"


@pytest.fixture
def adjudicate(cb, tmp_path):
    sentences = make_sentences(["Shaanxi plans to build robots and chips."])

    def run(body: str):
        path = tmp_path / "adjudications.csv"
        path.write_text(HEADER + body, encoding="utf-8")
        return code_sentences(sentences, cb, path), path

    return run


def test_adjudication_accept_reject_add(adjudicate):
    auto, _ = adjudicate("")
    ids = auto["codings"].set_index("sector_id")["coding_id"]
    out, _ = adjudicate(
        f"accept,{ids['robotics']},,,,,,checked by hand\n"
        f"reject,{ids['semiconductors']},,,,,,chips are a component here\n"
        "add,,t,t:p01:s01,tibet,quantum,context,reader test\n"
    )
    got = out["codings"].set_index("sector_id")
    assert got.loc["robotics", "status"] == "accepted"
    assert got.loc["semiconductors", "status"] == "rejected"
    assert got.loc["quantum", "status"] == "added"
    assert got.loc["quantum", "adjudication_reason"] == "reader test"
    assert set(ties(out)) == {("shaanxi", "robotics"), ("tibet", "quantum")}
    schemas.CODINGS.validate(out["codings"])


@pytest.mark.parametrize(
    "body, problem",
    [
        (
            "accept,0000000000000000,,,,,,why\n",
            "row 2: coding_id '0000000000000000' does not exist",
        ),
        ("add,,t,t:p01:s01,atlantis,quantum,priority,why\n", "row 2: unknown place_id"),
        ("add,,t,t:p01:s01,tibet,warp-drive,priority,why\n", "row 2: unknown sector_id"),
        ("add,,t,t:p01:s01,tibet,quantum,priority,\n", "row 2: reason is required"),
        ("add,,t,t:p09:s01,tibet,quantum,priority,why\n", "row 2: unknown sentence"),
        ("delete,,t,t:p01:s01,tibet,quantum,priority,why\n", "row 2: unknown action 'delete'"),
    ],
)
def test_adjudication_bad_rows(adjudicate, body, problem):
    with pytest.raises(InputError) as err:
        adjudicate(body)
    assert str(err.value).startswith(str(err.value.path)) and "adjudications.csv" in str(err.value)
    assert problem in str(err.value)


@pytest.mark.parametrize(
    "body, problem",
    [
        ("add,,t,t:p01:s01,tibet,quantum,wish,why\n", "row 2: unknown relation 'wish'"),
        ("add,,t,t:p01:s01,tibet,quantum,,why\n", "row 2: an add needs relation"),
        ("add,,t,,tibet,quantum,context,why\n", "row 2: an add needs sentence_id"),
        ("reject,,,,,,,why\n", "row 2: an accept or a reject needs coding_id"),
        ("reject,x,,,,,wish,why\n", "row 2: unknown relation 'wish'"),  # not only for an add
        ("add,,t,t:p01:s01,tibet,quantum,context,   \n", "row 2: reason is required"),
        (
            "add,,t,t:p01:s01,tibet,quantum,context,ok\nadd,,t,t:p01:s01,tibet,space,,why\n",
            "row 3: an add needs relation",
        ),
        ("add,,t,t:p01:s01,tibet,quantum,context,why,extra\n", "row 2: 9 cells, but the header"),
        ("\naccept,0000000000000000,,,,,,why\n", "row 3: coding_id '0000000000000000'"),
    ],
)
def test_adjudication_rows_the_schema_refuses(adjudicate, body, problem):
    with pytest.raises(InputError) as err:
        adjudicate(body)
    assert "\n" not in str(err.value) and problem in str(err.value), str(err.value)


@pytest.mark.parametrize(
    "header, problem",
    [
        (HEADER.replace(",reason", ""), "missing column(s): 'reason'"),
        (HEADER.replace("reason", "reason,note"), "unknown column(s): 'note'"),
        (HEADER.replace("place_id,sector_id", "sector_id,place_id"), "columns out of order"),
    ],
)
def test_adjudication_columns_are_declared(cb, tmp_path, header, problem):
    path = tmp_path / "adjudications.csv"
    path.write_text(header, encoding="utf-8")
    with pytest.raises(InputError) as err:
        code_sentences(make_sentences(["Shaanxi plans to build robots."]), cb, path)
    assert str(err.value).startswith(f"{path}: {problem}"), str(err.value)
    assert "expected columns in this order: action, coding_id," in str(err.value)


def test_a_missing_adjudications_file_is_named(cb, tmp_path):
    path = tmp_path / "adjudications.csv"
    with pytest.raises(InputError, match="adjudications file not found"):
        code_sentences(make_sentences(["Shaanxi plans to build robots."]), cb, path)


def test_committed_adjudications_file_is_header_only():
    assert catalogue.path("adjudications").read_text(encoding="utf-8") == HEADER


# -- golden test ------------------------------------------------------------------------------


def test_seed_against_hand_annotation(cb, metrics):
    from helpers.ingest import text

    sentences = text.ingest(
        catalogue.path("manifest"), catalogue.path("corrections"), catalogue.path("raw")
    )["sentences"]
    seed = sentences[sentences["source_id"] == "morningexpress-2025-01"]
    matrix = code_sentences(seed, cb)["priority_matrix"]
    predicted = set(zip(matrix["place_id"], matrix["sector_id"], matrix["relation"], strict=True))
    gold_df = pd.read_csv(GOLD)
    gold = set(zip(gold_df["place_id"], gold_df["sector_id"], gold_df["relation"], strict=True))
    assert len(gold_df) == len(gold) == 22
    # A region's tie is the region's (CODING.md §1): no member gets it by membership.
    hits = len(predicted & gold)
    precision, recall = hits / len(predicted), hits / len(gold)
    report = (
        f"seed coding: precision {precision:.3f}, recall {recall:.3f} "
        f"({hits} of {len(predicted)} predicted, {len(gold)} gold); "
        f"missed {sorted(gold - predicted)}; extra {sorted(predicted - gold)}"
    )
    metrics(report)
    assert precision >= 0.95 and recall >= 0.95, report


# -- throughput -------------------------------------------------------------------------------


def test_synthetic_corpus_is_valid_deterministic_and_coded(cb):
    """The benchmark corpus (speed itself is checked by `make bench`, not by a timed test)."""
    from tools.synthetic import synthetic_sentences

    a = synthetic_sentences(20, seed=1, codebook=cb)
    pd.testing.assert_frame_equal(a, synthetic_sentences(20, seed=1, codebook=cb))
    schemas.SENTENCES.validate(a)
    words = a.groupby("source_id")["text"].apply(lambda t: sum(len(x.split()) for x in t))
    assert words.between(400, 460).all()
    out = code_sentences(a, cb)
    assert len(out["codings"]) > len(a)  # two clauses a sentence, most tie


def test_traditional_characters_are_coded_as_simplified_with_evidence_as_written(cb):
    simplified = ["广东省将加快发展集成电路和人工智能，上海将布局脑机接口。"]
    traditional = ["廣東省將加快發展積體電路和人工智慧，上海將布局腦機介面。"]
    out_s = code_sentences(make_sentences(simplified, language="zh"), cb)
    out_t = code_sentences(make_sentences(traditional, language="zh"), cb)
    assert (
        ties(out_t)
        == ties(out_s)
        == {
            ("guangdong", "semiconductors"): "priority",
            ("guangdong", "artificial-intelligence"): "priority",
            ("shanghai", "brain-computer-interfaces"): "priority",
        }
    )
    assert set(out_t["codings"]["evidence"]) == set(traditional)
    mentions = out_t["mentions"]
    assert "腦機介面" in set(mentions["text"]) and "積體電路" in set(mentions["text"])
    for m in mentions.itertuples():
        assert traditional[0][m.start : m.end] == m.text  # offsets into the text as written


def test_matching_copy_keeps_the_length_and_leaves_simplified_text_alone():
    from helpers.codebook.script import for_matching

    assert for_matching("上海将布局脑机接口，信息软件。") == "上海将布局脑机接口，信息软件。"
    assert for_matching("Shanghai will lead on chips.") == "Shanghai will lead on chips."
    for text in ["積體電路", "資料中心與雲端運算", "臺灣的晶片產業", "軟體"]:
        assert len(for_matching(text)) == len(text)
    assert for_matching("積體電路與晶片") == "集成电路与芯片"


def test_a_pairing_signal_pairs_and_never_crosses(cb):
    zh = code_sentences(
        make_sentences(
            ["从合肥的量子计算到上海的脑机接口，从深圳的人形机器人到北京的6G，各地竞相布局。"],
            language="zh",
        ),
        cb,
    )
    assert {p for p in ties(zh)} == {
        ("anhui", "quantum"),
        ("shanghai", "brain-computer-interfaces"),
        ("guangdong", "robotics"),
        ("beijing", "next-generation-communications"),
    }
    zh2 = code_sentences(
        make_sentences(["广东的“AI+机器人”、浙江的低空经济将加快发展。"], language="zh"), cb
    )
    assert set(ties(zh2)) == {
        ("guangdong", "artificial-intelligence"),
        ("guangdong", "robotics"),
        ("zhejiang", "low-altitude-economy"),
    }
    en = code_sentences(
        make_sentences(
            [
                "Hefei's quantum computers and Shanghai's brain-computer interface cluster will "
                "get new funds."
            ]
        ),
        cb,
    )
    assert set(ties(en)) == {("anhui", "quantum"), ("shanghai", "brain-computer-interfaces")}


def test_without_a_pairing_signal_every_place_takes_every_sector(cb):
    out = code_sentences(
        make_sentences(["Anhui and Zhejiang plan quantum labs and robot parks."]), cb
    )
    assert set(ties(out)) == {
        (p, s) for p in ("anhui", "zhejiang") for s in ("quantum", "robotics")
    }


def test_the_venue_of_a_meeting_is_no_place_of_its_statements(cb):
    out = code_sentences(
        make_sentences(
            ["全会在北京举行，审议通过了规划建议。国家发展改革委介绍，建议提出加快发展低空经济。"],
            language="zh",
        ),
        cb,
    )
    assert ties(out) == {}
    en = code_sentences(
        make_sentences(["Officials said at a forum in Hong Kong that chips come first."]), cb
    )
    assert ties(en) == {}
