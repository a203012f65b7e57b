"""search() over the index of the real issue: recall against substring matching, phrases, filters, facets."""

from __future__ import annotations

import re

import pytest

from indexer.parse import parse_issue
from indexer.search import InvalidRequest, parse_request, search
from tests.expected import BRIEFS, FEATURES

# Names, places, organisations and topics taken from the issue, plus strings jieba splits oddly.
TERMS = [
    # people
    "林建波",
    "章秀伟",
    "姜国忠",
    "朱勇敏",
    "王媛媛",
    "黄辉",
    "陈寒艳",
    "薛月者",
    "陈纪阳",
    "沈志安",
    "金传拉",
    "周建强",
    "金振民",
    # places
    "瑞安",
    "平阳",
    "苍南",
    "龙湾",
    "乐清",
    "文成",
    "泰顺",
    "洞头",
    "鹿城",
    "瓯海",
    "龙港",
    "浙南产业集聚区",
    "金乡镇",
    "百丈漈镇",
    "东新科创园",
    "环大罗山科创走廊",
    # organisations
    "温州理工学院",
    "温州大学",
    "中国眼谷",
    "清华大学",
    "中国汽车工程学会",
    "中国睡眠研究会",
    "温州市包装联合会",
    "市科技局",
    "温州知良实业有限公司",
    "北京中关村信息谷",
    "市科协国际部",
    # topics
    "科创中国",
    "青科会",
    "孵化器",
    "大孵化集群",
    "试点城市",
    "双减",
    "全国科技活动周",
    "魔方",
    "包装机械",
    "智能装备",
    "卡脖子",
    "绿色建筑",
    "数字鸿沟",
    "一县一业一学会",
    "科技工作者",
    # sub-words and cross-word strings that segmentation can hide
    "南县",
    "产城",
    "建波",
    "科创",
    "委副书记",
    "城市建设工作",
    "5·12",
    "2022",
]


@pytest.fixture(scope="module")
def issue(seed_text, domain):
    return parse_issue(seed_text, "seed", domain)


def substring_matches(issue, term: str) -> set[str]:
    needle = re.sub(r"\s+", "", term).lower()
    return {a.id for a in issue.articles if needle in re.sub(r"\s+", "", a.title + a.body).lower()}


def run(settings, **params):
    request = parse_request({k: v if isinstance(v, list) else [v] for k, v in params.items()}, settings)
    return search(settings, request)


def ids(result) -> list[str]:
    return [hit.id for hit in result.hits]


def test_term_list_is_long_enough():
    assert len(TERMS) >= 40


@pytest.mark.parametrize("term", TERMS)
def test_recall_equals_substring_matching(indexed_settings, issue, term):
    """Every article containing the term comes back, and they fill the top ranks.

    An unquoted run that jieba splits into words (温州大学 → 温州 大学) also finds articles holding
    the words apart; those rank below.
    """
    expected = substring_matches(issue, term)
    assert expected, f"{term} should occur in the issue"
    result = run(indexed_settings, q=term, per_page="100")
    assert set(ids(result)[: len(expected)]) == expected


@pytest.mark.parametrize("term", TERMS)
def test_quoted_term_is_exactly_substring_matching(indexed_settings, issue, term):
    assert set(ids(run(indexed_settings, q=f'"{term}"', per_page="100"))) == substring_matches(issue, term)


def test_words_apart_rank_below_the_run_as_typed(indexed_settings):
    found = ids(run(indexed_settings, q="温州大学", per_page="100"))
    assert set(found[:2]) == {"270-f01", "270-f06"}
    # 270-f02 has 温州国家大学科技园: both words, never side by side.
    assert found[2:] == ["270-f02"]


def test_characters_jieba_leaves_alone_match_side_by_side(indexed_settings, issue):
    # jieba cuts 百丈漈镇 so that 漈 and 镇 stand alone: apart, 漈镇中心 would match every article
    # holding 中心 (five); together they match the one holding the run.
    assert substring_matches(issue, "漈镇中心") == {"270-b11"}
    assert ids(run(indexed_settings, q="漈镇中心", per_page="100")) == ["270-b11"]
    assert run(indexed_settings, q="多的温州").total == len(substring_matches(issue, "多的温州")) == 1


def test_counts_read_off_the_issue(indexed_settings):
    assert set(ids(run(indexed_settings, q="林建波"))) == {"270-f02", "270-f04", "270-f05", "270-f08"}
    assert set(ids(run(indexed_settings, q="姜国忠"))) == {"270-f01", "270-f04", "270-f07"}
    assert run(indexed_settings, q="人民共和国").total == 0


def test_title_matches_rank_first(indexed_settings):
    result = run(indexed_settings, q="青科会", per_page="100")
    assert set(ids(result)[:4]) == {"270-f02", "270-f03", "270-f08", "270-b03"}


def test_exact_phrase(indexed_settings):
    assert ids(run(indexed_settings, q='"科技惠企 创新赋能"')) == ["270-f01"]
    assert ids(run(indexed_settings, q='"科技惠企创新赋能"')) == ["270-f01"]
    # Both words occur in 270-f06, but never side by side.
    assert "270-f06" in ids(run(indexed_settings, q="智能 平台", per_page="100"))
    assert ids(run(indexed_settings, q='"智能平台"')) == []


def test_boolean_syntax(indexed_settings, issue):
    with_ruian = substring_matches(issue, "瑞安")
    qingkehui = substring_matches(issue, "青科会")
    assert set(ids(run(indexed_settings, q="青科会 NOT 瑞安", per_page="100"))) == qingkehui - with_ruian
    assert set(ids(run(indexed_settings, q="青科会 -瑞安", per_page="100"))) == qingkehui - with_ruian
    assert set(ids(run(indexed_settings, q="林建波 AND 瑞安", per_page="100"))) == {"270-f02", "270-f05"}
    either = substring_matches(issue, "魔方") | substring_matches(issue, "护士")
    assert set(ids(run(indexed_settings, q="魔方 OR 护士", per_page="100"))) == either
    assert set(ids(run(indexed_settings, q="title:瑞安", per_page="100"))) == {"270-f05", "270-f07"}


@pytest.mark.parametrize(
    "odd", ["(((", '"unclosed', "AND", "NOT", "title:", "a:b:c", "***", "？？", "🙂", "\x00"]
)
def test_malformed_syntax_never_raises(indexed_settings, odd):
    result = run(indexed_settings, q=odd)
    assert result.total >= 0


def expected_by_county(county):
    features = {f"270-f{i:02d}" for i, f in enumerate(FEATURES, 1) if county in f[3]}
    briefs = {f"270-b{i:02d}" for i, b in enumerate(BRIEFS, 1) if county in b[3]}
    return features | briefs


def dates_by_id():
    dates = {f"270-f{i:02d}": f[1] for i, f in enumerate(FEATURES, 1)}
    dates.update({f"270-b{i:02d}": b[0] for i, b in enumerate(BRIEFS, 1)})
    return dates


def test_county_filter_accepts_short_and_official_names(indexed_settings):
    assert expected_by_county("瑞安市") == {"270-f02", "270-f05", "270-f06", "270-f07"}
    for spelling in ("瑞安", "瑞安市"):
        assert set(ids(run(indexed_settings, county=spelling, per_page="100"))) == expected_by_county(
            "瑞安市"
        )
    both = run(indexed_settings, county=["瑞安", "苍南县"], per_page="100")
    assert set(ids(both)) == expected_by_county("瑞安市") | expected_by_county("苍南县")


def test_journalist_question(indexed_settings):
    result = run(
        indexed_settings, county="瑞安", date_from="2022-05-10", date_to="2022-05-25", per_page="100"
    )
    assert ids(result) == ["270-f06", "270-f05", "270-f02"]


def test_department_kind_and_date_filters(indexed_settings):
    international = run(indexed_settings, department="市科协国际部", per_page="100")
    assert set(ids(international)) == {"270-f02", "270-f03", "270-f08", "270-b24"}
    assert run(indexed_settings, kind="brief").total == 29
    assert run(indexed_settings, kind="feature").total == 8
    in_range = {i for i, d in dates_by_id().items() if "2022-05-10" <= d <= "2022-05-12"}
    assert (
        set(ids(run(indexed_settings, date_from="2022-05-10", date_to="2022-05-12", per_page="100")))
        == in_range
    )
    assert len(in_range) == 8
    assert run(indexed_settings, date_from="2022-06").total == 0
    assert run(indexed_settings, date_to="2022-05").total == 37


def test_facet_counts_ignore_their_own_filter(indexed_settings):
    result = run(indexed_settings, county="瑞安")
    counties = {f.value: f.count for f in result.facets["county"]}
    for county in ("瑞安市", "苍南县", "平阳县", "文成县", "泰顺县", "龙湾区"):
        assert counties[county] == len(expected_by_county(county))
    assert counties["泰顺县"] == 5 and counties["苍南县"] == 5
    assert [f.value for f in result.facets["county"] if f.selected] == ["瑞安市"]
    departments = {f.value: f.count for f in result.facets["department"]}
    assert departments == {"市科协国际部": 1, "市科协办公室": 1, "市科协科普部": 1, "市科协学会部": 1}
    assert {f.value: f.count for f in result.facets["kind"]} == {"feature": 4}
    assert {f.value: f.count for f in result.facets["month"]} == {"2022-05": 4}


def test_facets_over_everything(indexed_settings):
    result = run(indexed_settings)
    departments = {f.value: f.count for f in result.facets["department"]}
    assert departments == {
        "市科协学会部": 7,
        "市科协科普部": 6,
        "市科协国际部": 4,
        "泰顺县科协": 5,
        "文成县科协": 4,
        "苍南县科协": 3,
        "市科协办公室": 3,
        "平阳县科协": 2,
        "鹿城区科协": 1,
        "洞头区科协": 1,
        "龙湾区科协": 1,
    }
    assert sum(departments.values()) == 37  # every article has exactly one department
    assert {f.value: f.count for f in result.facets["kind"]} == {"brief": 29, "feature": 8}
    keywords = {f.value: f.count for f in result.facets["keyword"]}
    assert keywords["青科会"] >= 4 and "市科协" not in keywords


def test_sorting_and_paging(indexed_settings):
    newest = run(indexed_settings, sort="newest", per_page="100")
    dates = [hit.date for hit in newest.hits]
    assert dates == sorted(dates, reverse=True) and dates[0] == "2022-05-30"
    oldest = run(indexed_settings, sort="oldest", per_page="5")
    assert oldest.hits[0].date == "2022-05-01" and oldest.hits[0].id == "270-b01"
    last_page = run(indexed_settings, per_page="10", page="4")
    assert len(last_page.hits) == 7 and last_page.total == 37
    assert run(indexed_settings, page="5", per_page="10").hits == ()
    pages = [ids(run(indexed_settings, per_page="10", page=str(p))) for p in range(1, 5)]
    assert len({i for page in pages for i in page}) == 37


def test_snippets_are_escaped_and_highlighted(indexed_settings):
    hit = run(indexed_settings, q="林建波 瑞安").hits[0]
    assert hit.id == "270-f05"
    assert "<mark>林建波</mark>" in hit.snippet and "<mark>瑞安</mark>" in hit.snippet
    brief = run(indexed_settings, q="保密法").hits[0]
    assert brief.snippet == "鹿城区科协开展《<mark>保密法</mark>》法治教育学习会"


def test_hit_json_shape(indexed_settings):
    data = run(indexed_settings, q="魔方").to_dict()
    assert data["query"] == "魔方" and data["total"] == 1 and data["page"] == 1 and data["per_page"] == 20
    (hit,) = data["hits"]
    assert {k: hit[k] for k in ("id", "title", "kind", "date", "department", "counties", "url")} == {
        "id": "270-b25",
        "title": "洞头区第一届魔方还原竞速比赛成功举办",
        "kind": "brief",
        "date": "2022-05-28",
        "department": "洞头区科协",
        "counties": ["洞头区"],
        "url": "/articles/270-b25",
    }
    assert hit["issue"] == {"id": "270", "number": 5, "total_number": 270, "date": "2022-05-31"}
    assert hit["source"] == {"file": "温州科协信息-2022年第5期-总第270期.txt", "page": None}
    assert set(data["facets"]) == {"county", "department", "kind", "year", "month", "keyword", "person"}
    assert data["facets"]["county"] == [{"value": "洞头区", "count": 1, "selected": False}]


@pytest.mark.parametrize(
    "params, param",
    [
        ({"county": ["火星"]}, "county"),
        ({"kind": ["story"]}, "kind"),
        ({"sort": ["best"]}, "sort"),
        ({"page": ["0"]}, "page"),
        ({"page": ["abc"]}, "page"),
        ({"page": ["²"]}, "page"),
        ({"per_page": ["101"]}, "per_page"),
        ({"date_from": ["2022-13-45"]}, "date_from"),
        ({"date_from": ["2022-06-01"], "date_to": ["2022-05-01"]}, "date_from"),
        ({"q": ["科" * 201]}, "q"),
        ({"page": ["1", "2"]}, "page"),
    ],
)
def test_invalid_requests(settings, params, param):
    with pytest.raises(InvalidRequest) as caught:
        parse_request(params, settings)
    assert caught.value.param == param


def test_huge_results_rank_title_matches_then_newest(indexed_settings, issue, monkeypatch):
    from indexer.engine import SearchEngine, ranking

    monkeypatch.setattr(ranking, "SCORE_LIMIT", 2)
    engine = SearchEngine(indexed_settings.index_dir, ())
    result = search(
        indexed_settings, parse_request({"q": ["青科会"], "per_page": ["100"]}, indexed_settings), engine
    )
    found = [hit.id for hit in result.hits]
    in_title = {a.id for a in issue.articles if "青科会" in a.title}
    assert in_title == {"270-f02", "270-f03", "270-f08", "270-b03"}
    assert set(found[:4]) == in_title
    dates = [hit.date for hit in result.hits[4:]]
    assert dates == sorted(dates, reverse=True) and len(found) == len(substring_matches(issue, "青科会"))
