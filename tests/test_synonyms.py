"""Synonym groups in config.yaml, and the short/full name pairs `bulletin synonyms --suggest` mines."""

from __future__ import annotations

import json

import pytest

from indexer.search import engine_for
from indexer.settings import SettingsError, load_settings
from indexer.synonyms import Candidate, mine, statements
from tests.conftest import ROOT, SEED, seed_workspace
from webui.cli import main

SHIPPED_GROUPS = "synonyms:\n  - [青科会, 世界青年科学家峰会]\n  - [科协, 科学技术协会]\n"


def config_with(folder, groups: str):
    config = folder / "config.yaml"
    text = (ROOT / "config.yaml").read_text(encoding="utf-8")
    assert text.count(SHIPPED_GROUPS) == 1
    config.write_text(text.replace(SHIPPED_GROUPS, groups), encoding="utf-8")
    return config


def test_the_shipped_groups(settings):
    assert settings.synonyms == (("青科会", "世界青年科学家峰会"), ("科协", "科学技术协会"))
    assert settings.synonym_groups() == {
        "青科会": ("青科会", "世界青年科学家峰会"),
        "世界青年科学家峰会": ("青科会", "世界青年科学家峰会"),
        "科协": ("科协", "科学技术协会"),
        "科学技术协会": ("科协", "科学技术协会"),
    }


def test_terms_are_normalized_as_queries_are(tmp_path):
    # Full-width Latin, a Kangxi radical (⽣, U+2F63) and layout spaces, as pasted from a PDF.
    config = config_with(
        tmp_path, "synonyms:\n  - [ＡＩ, 人工智能]\n  - [' 科普  基地 ', 科普教育基地, 科⽣]\n"
    )
    assert load_settings(config).synonyms == (("ai", "人工智能"), ("科普 基地", "科普教育基地", "科生"))


@pytest.mark.parametrize("groups", ["synonyms:\n", "synonyms: []\n", ""])
def test_no_synonyms(tmp_path, groups):
    settings = load_settings(config_with(tmp_path, groups))
    assert settings.synonyms == () and settings.synonym_groups() == {}


@pytest.mark.parametrize(
    "groups, message",
    [
        (
            "synonyms: 青科会\n",
            "synonyms: must be a list of groups such as [青科会, 世界青年科学家峰会], got '青科会'",
        ),
        (
            "synonyms:\n  青科会: 世界青年科学家峰会\n",
            "synonyms: must be a list of groups such as [青科会, 世界青年科学家峰会], got {'青科会': '世界青年科学家峰会'}",
        ),
        (
            "synonyms:\n  - [科协, 科学技术协会]\n  - 青科会\n",
            "synonyms[1]: must be a list of terms such as [青科会, 世界青年科学家峰会], got '青科会'",
        ),
        ("synonyms:\n  - [青科会]\n", "synonyms[0]: a group needs at least 2 terms, got ['青科会']"),
        ("synonyms:\n  - []\n", "synonyms[0]: a group needs at least 2 terms, got []"),
        ("synonyms:\n  - [青科会, 2022]\n", "synonyms[0][1]: must be a string, got 2022"),
        ("synonyms:\n  - [青科会, [峰会]]\n", "synonyms[0][1]: must be a string, got ['峰会']"),
        ("synonyms:\n  - [青科会, '']\n", "synonyms[0][1]: must not be empty"),
        ("synonyms:\n  - ['\u3000', 青科会]\n", "synonyms[0][0]: must not be empty"),
        (
            "synonyms:\n  - [青科会, " + "科" * 41 + "]\n",
            f"synonyms[0][1]: must be at most 40 characters, got 41: '{'科' * 41}'",
        ),
        ("synonyms:\n  - [青科会, 峰会, 青科会]\n", "synonyms[0][2]: 青科会 is already in this group"),
        ("synonyms:\n  - [AI, ａｉ]\n", "synonyms[0][1]: ai is already in this group"),
        (
            "synonyms:\n  - [科协, 科学技术协会]\n  - [青科会, 峰会]\n  - [中国科协, 科协]\n",
            "synonyms[2][1]: 科协 is already in synonyms[0]; a term belongs to one group, "
            "so put these terms into that group",
        ),
    ],
)
def test_bad_synonyms_are_one_line_naming_the_entry(tmp_path, groups, message):
    config = config_with(tmp_path, groups)
    with pytest.raises(SettingsError) as caught:
        load_settings(config)
    assert str(caught.value) == f"{config}: {message}"


# Sentences in the style of the association's reports, written without looking at the miner's rules.
@pytest.mark.parametrize(
    "sentence, pairs",
    [
        (
            "2021年11月，首届世界青年科学家峰会（以下简称“青科会”）在温州开幕。",
            [("青科会", "世界青年科学家峰会")],
        ),
        (
            "近日，浙江省科学技术协会（简称“省科协”）公布了省级学会创新服务站名单。",
            [("省科协", "浙江省科学技术协会")],
        ),
        ("组建院士专家工作站（下称「院士站」）12家。", [("院士站", "院士专家工作站")]),
        (
            "温州市青少年科技教育协会（市青科协）组织开展青少年科技创新大赛。",
            [("市青科协", "温州市青少年科技教育协会")],
        ),
        ("瑞安市科学技术协会，简称瑞安市科协，成立于1958年。", [("瑞安市科协", "瑞安市科学技术协会")]),
        ("温州市科学技术协会，以下简称市科协，是科技工作者之家。", [("市科协", "温州市科学技术协会")]),
        ("省科协（浙江省科学技术协会）党组书记一行来温调研。", [("省科协", "浙江省科学技术协会")]),
        ("青科会，全称“世界青年科学家峰会”，每年在温州举办。", [("青科会", "世界青年科学家峰会")]),
        (
            "温州市老科技工作者协会（以下简称'市老科协'）召开会员代表大会。",
            [("市老科协", "温州市老科技工作者协会")],
        ),
        (
            "大力实施“科技助力共同富裕”行动（以下简称『助富行动』），成效明显。",
            [("助富行动", "科技助力共同富裕行动")],
        ),
        ("依托温州市科技创新服务中心（科创中心）开展服务。", [("科创中心", "温州市科技创新服务中心")]),
        ("组织专家开展科技特派员（科特派）服务活动。", [("科特派", "科技特派员")]),
        (
            "The World Young Scientist Summit (WYSS) was held in Wenzhou.",
            [("wyss", "world young scientist summit")],
        ),
        # Brackets that hold no short form: a date, a person's title or position, a department
        # signing, a county, a place in a name, a second office, a list of divisions, a format.
        ("5月20日，会议在市科协召开（2022年5月20日）。", []),
        ("会议由市科协副主席张三（正高级工程师）主持。", []),
        ("市科协党组书记、主席林建波（右二）一行。", []),
        ("市科协党组成员、副主席姜国忠（市科协学会部）出席活动。", []),
        ("助力企业破解技术难题，提升人才队伍质量。（市科协学会部）", []),
        ("平阳县开展科普助力乡村振兴活动（平阳县科协）", []),
        ("东新产城科创园（瑞安市）是瑞安科技城的核心区。", []),
        ("林建波一行首先察看了温州（瑞安）智能汽车零部件特色产业工程师协同创新中心。", []),
        ("市委组织部（人才办）、市科技局有关负责人陪同调研。", []),
        ("全市各县（市、区）科协负责人参加会议。", []),
        ("市科协召开全市科协系统工作会议（视频会议）。", []),
        ("“全国科技工作者日”（5·30）期间，各地开展走访慰问。", []),
        # A short form that is only the end of the name (峰会, 中心, 永嘉) is a text's local shorthand;
        # as a synonym every 峰会 would mean this one.
        ("召开世界青年科学家峰会（以下简称“峰会”）筹备会。", []),
        ("会上，中国科协青少年科技中心（以下简称中心）有关负责人作专题辅导。", []),
        ("永嘉县（永嘉）科技馆接待参观学生200余人次。", []),
        # 以下称 that is no marker.
        ("获得以下称号：优秀学会。", []),
    ],
)
def test_statements_in_report_prose(sentence, pairs):
    assert [(s.short, s.full) for s in statements(sentence)] == pairs


def test_pairs_are_counted_ranked_and_known_ones_left_out():
    texts = [
        "温州医科大学（温医大）附属医院开展义诊。\n温州市科学技术协会（市科协）召开全委会。",
        "依托温州医科大学（以下简称“温医大”）开展培训。",
        "世界青年科学家峰会（青科会）在温州举办。",
    ]
    assert mine(texts) == [
        Candidate("温医大", "温州医科大学", 2, "温州医科大学（温医大）附属医院开展义诊…"),
        Candidate("市科协", "温州市科学技术协会", 1, "温州市科学技术协会（市科协）召开全委会。"),
        Candidate("青科会", "世界青年科学家峰会", 1, "世界青年科学家峰会（青科会）在温州举办。"),
    ]
    known = (("世界青年科学家峰会", "青科会"), ("温医大", "温州医科大学附属医院"))
    assert [(c.short, c.full) for c in mine(texts, known)] == [
        ("温医大", "温州医科大学"),
        ("市科协", "温州市科学技术协会"),
    ]


def test_the_seed_issue_states_no_pair(indexed_settings):
    """The real issue writes both 青科会 and 世界青年科学家峰会 (and 东新产城科创园 / 东新科创园) but
    never says that one stands for the other, and each of its brackets holds something else."""
    texts = list(engine_for(indexed_settings).texts())
    assert len(texts) == 37
    assert (sum("青科会" in t for t in texts), sum("世界青年科学家峰会" in t for t in texts)) == (6, 1)
    assert sum(t.count("（") + t.count("(") for t in texts) == 13
    assert mine(texts) == []


EDITS = (
    ("5月17日上午，市科协党组书记", "5月17日上午，温州市科学技术协会（市科协）党组书记"),
    (
        "赴瑞安东新产城科创园调研科技创新和世界青年科学家峰会工作",
        "赴瑞安东新产城科创园（以下简称“东新科创园”）调研科技创新和世界青年科学家峰会（以下简称“青科会”）工作",
    ),
    (
        "温州市科学技术协会、温州市包装联合会包装机械委员会",
        "温州市科学技术协会（市科协）、温州市包装联合会（以下简称“市包联”）包装机械委员会",
    ),
)


@pytest.fixture(scope="module")
def stated_site(tmp_path_factory):
    """The seed issue with four pairs stated in it (one of them configured), indexed."""
    config = seed_workspace(tmp_path_factory.mktemp("stated"))
    issue = config.parent / "archive" / SEED.name
    text = issue.read_text(encoding="utf-8")
    for old, new in EDITS:
        assert text.count(old) == 1
        text = text.replace(old, new)
    issue.write_text(text, encoding="utf-8")
    assert main(["--config", str(config), "index"]) == 0
    return config


def test_suggest_prints_lines_to_paste(stated_site, capsys):
    capsys.readouterr()
    assert main(["--config", str(stated_site), "synonyms", "--suggest"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "  - [市科协, 温州市科学技术协会]   # 2 times: “5月17日上午，温州市科学技术协会（市科协）党组书记、主席林…”",
        "  - [东新科创园, 瑞安东新产城科创园]   # 1 time: “…主席林建波一行赴瑞安东新产城科创园（以下简称“东新科创园”）调研科技创新和世…”",
        "  - [市包联, 温州市包装联合会]   # 1 time: “…协会（市科协）、温州市包装联合会（以下简称“市包联”）包装机械委员会、…”",
    ]


def test_suggest_min_count_and_json(stated_site, capsys):
    capsys.readouterr()
    assert main(["--config", str(stated_site), "synonyms", "--suggest", "--min-count", "2", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {
            "short": "市科协",
            "full": "温州市科学技术协会",
            "count": 2,
            "example": "5月17日上午，温州市科学技术协会（市科协）党组书记、主席林…",
        }
    ]
    assert main(["--config", str(stated_site), "synonyms", "--suggest", "--min-count", "3"]) == 0
    assert capsys.readouterr().out == (
        "no candidates: the index states no pair 3 times or more beyond the synonyms of config.yaml\n"
    )


def test_without_suggest_the_configured_groups(stated_site, capsys):
    capsys.readouterr()
    assert main(["--config", str(stated_site), "synonyms"]) == 0
    assert capsys.readouterr().out == SHIPPED_GROUPS


def test_suggest_without_an_index_is_one_line(tmp_path, capsys):
    config = seed_workspace(tmp_path)
    assert main(["--config", str(config), "synonyms", "--suggest"]) == 2
    assert capsys.readouterr().err == (
        f"bulletin: {tmp_path / 'idx'}: no index here; build it with `bulletin index`, "
        f"or choose another with --index, or index_dir in {config}\n"
    )


def test_without_suggest_and_without_groups(tmp_path, capsys):
    config = config_with(tmp_path, "")
    assert main(["--config", str(config), "synonyms"]) == 0
    assert capsys.readouterr().out == f"no synonyms in {config}\n"
