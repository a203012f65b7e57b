"""The people facet over the real issue: the extractor against a careful reader's list, the facet, the
filter, person_roles in the article JSON, the CLI flag and the CSV column."""

from __future__ import annotations

import csv
import io
import json

import pytest

from indexer.analysis import analyze_article, keyword_scorer
from indexer.parse import parse_issue
from indexer.people import find_people
from indexer.wordseg import tokenizer_for
from tests.conftest import SEED
from tests.expected import PEOPLE
from tests.test_api import api
from tests.test_cli import workspace  # noqa: F401 - a fixture
from webui.cli import main

# name → number of articles naming them, most first, then by name: how the facet orders its values.
FACET_ORDER = sorted(((name, len(ids)) for name, ids in PEOPLE.items()), key=lambda item: (-item[1], item[0]))

# Report-style sentences with people, offices and places the seed issue does not have.
UNSEEN = [
    (
        "6月8日，省科协党组书记、常务副主席叶盛基一行赴永嘉调研科普工作，永嘉县副县长徐建兵陪同。",
        ("叶盛基", "徐建兵"),
    ),
    ("鹿城区科协主席何晓丹主持会议，区委常委、宣传部部长郑文伟出席并讲话。", ("何晓丹", "郑文伟")),
    ("温州医科大学附属第一医院副院长李恒教授作了题为《健康生活方式》的科普讲座。", ("李恒",)),
    ("座谈会上，乐清市科协党组书记吴晓燕介绍了该市科技工作者之家建设情况。", ("吴晓燕",)),
    ("胡海峰、周丽娟、潘志刚等3位专家获评2022年度温州市优秀科技工作者。", ("胡海峰", "周丽娟", "潘志刚")),
    ("市科技局局长方建国强调，要把青科会成果落地作为全年工作的重中之重。", ("方建国",)),
    ("龙港市委副书记、市长汤兆寅一行到龙港新城科创园调研，市科协负责人参加。", ("汤兆寅",)),
    ("中国工程院院士陈亚珠为永嘉县的中小学生讲授了一堂生动的科学课。", ("陈亚珠",)),
    ("瑞安市政府办公室、瑞安市科技局和塘下镇有关负责人一同参加调研。", ()),
    ("会后，黄振华表示，学会将继续发挥桥梁纽带作用，服务企业创新发展。", ("黄振华",)),
    # Written after the extractor, to check it: offices ending in 师 and 士长, a title after the name, a
    # two-character surname, and words that hold an office but name nobody.
    ("文成县人民医院主任医师刘晓东、护士长张美玲为村民开展义诊。", ("刘晓东", "张美玲")),
    ("温州大学校长赵敏教授作主旨报告，浙江工业大学孙建强博士作交流发言。", ("赵敏", "孙建强")),
    ("活动邀请了国家级科普专家欧阳明高为学生授课。", ("欧阳明高",)),
    ("高级工程师杨志明在培训中讲解了安全生产知识。", ("杨志明",)),
    ("专家组一致认为该项目具有较高的推广价值，医师节当天讲师团成员深入社区宣讲。", ()),
]


def test_the_extractor_finds_exactly_the_people_a_reader_finds(domain):
    issue = parse_issue(SEED.read_text(encoding="utf-8"), SEED.name, domain)
    tokenizer, keywords = tokenizer_for(domain), keyword_scorer(domain)
    found = {
        (article.id, name)
        for article in issue.articles
        for name in analyze_article(article.title, article.body, tokenizer, keywords).people
    }
    assert found == {(article_id, name) for name, ids in PEOPLE.items() for article_id in ids}


@pytest.mark.parametrize(("sentence", "people"), UNSEEN)
def test_the_extractor_on_sentences_it_was_not_built_from(domain, sentence, people):
    assert find_people("", sentence, tokenizer_for(domain))[0] == people


def test_the_offices_printed_before_names_are_kept(domain):
    names, roles = find_people(
        "", "5月17日上午，会议由市科协党组成员、副主席章秀伟主持。", tokenizer_for(domain)
    )
    assert names == ("章秀伟",)
    assert roles == (("章秀伟", "市科协党组成员、副主席"),)


def test_the_person_facet_lists_every_person_with_their_article_count(client):
    values = api(client, "/api/search")["facets"]["person"]
    assert [(value["value"], value["count"]) for value in values] == FACET_ORDER
    assert values[0] == {"value": "林建波", "count": 4, "selected": False}


def test_person_filters_exactly_to_the_articles_naming_them(client):
    data = api(client, "/api/search?person=章秀伟&per_page=100")
    assert sorted(hit["id"] for hit in data["hits"]) == ["270-b03", "270-f02"]
    data = api(client, "/api/search?person=章秀伟&person=周建强&per_page=100")
    assert sorted(hit["id"] for hit in data["hits"]) == ["270-b03", "270-b29", "270-f02"]


def test_the_article_json_keeps_the_offices_printed_before_names(client):
    assert api(client, "/api/articles/270-f05")["person_roles"] == [
        {"name": "林建波", "role": "市科协党组书记、主席"},
        {"name": "陈寒艳", "role": "瑞安市政府副市长"},
    ]
    assert api(client, "/api/articles/270-b24")["person_roles"] == []


def test_hits_and_articles_name_their_people(client):
    hits = api(client, "/api/search?person=章秀伟&sort=oldest")["hits"]
    assert [(hit["id"], hit["people"]) for hit in hits] == [
        ("270-b03", ["章秀伟"]),
        ("270-f02", ["林建波", "章秀伟"]),
    ]
    assert api(client, "/api/articles/270-f05")["people"] == ["林建波", "陈寒艳"]
    page = client.get("/articles/270-f05").data.decode()
    assert (
        '<dt>人物</dt><dd class="people"><a href="/search?person=%E6%9E%97%E5%BB%BA%E6%B3%A2">林建波</a>'
        '<span class="role">（市科协党组书记、主席）</span>、'
    ) in page


def test_the_cli_filters_by_person(workspace, capsys):  # noqa: F811 - the fixture
    _, config = workspace
    assert main([*config, "index"]) == 0
    capsys.readouterr()
    assert main(["search", *config, "--person", "姜国忠", "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)["hits"]
    assert sorted(hit["id"] for hit in hits) == ["270-f01", "270-f04", "270-f07"]


def test_the_csv_has_a_people_column(client):
    text = client.get("/search.csv?person=林建波").data.decode("utf-8").lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {row["编号"]: row["人物"] for row in rows} == {
        "270-f02": "林建波、章秀伟",
        "270-f04": "王媛媛、林建波、姜国忠",
        "270-f05": "林建波、陈寒艳",
        "270-f08": "林建波、金传拉、沈志安",
    }
