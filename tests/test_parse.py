"""The issue parser on the real seed issue and on small strings that isolate one rule each."""

from __future__ import annotations

import datetime as dt

import pytest

from indexer.errors import NotABulletin
from indexer.parse import event_date, join_broken_paragraphs, parse_issue
from tests.expected import BRIEFS, FEATURE_PARAGRAPHS, FEATURES

MASTHEAD = "温州科协信息\n\n第 1 期\n\n(总第 266 期)\n\n温州市科学技术协会编\n\n2022 年 1 月 31 日\n\n"


@pytest.fixture(scope="module")
def seed_issue(seed_text, domain):
    return parse_issue(seed_text, "seed.txt", domain)


def test_masthead(seed_issue):
    assert (seed_issue.id, seed_issue.publication, seed_issue.number, seed_issue.total_number) == (
        "270",
        "温州科协信息",
        5,
        270,
    )
    assert seed_issue.date == dt.date(2022, 5, 31)
    assert seed_issue.warnings == ()


def test_contents_are_the_feature_titles(seed_issue):
    assert list(seed_issue.contents) == [title for title, *_ in FEATURES]
    assert [a.title for a in seed_issue.features] == list(seed_issue.contents)


@pytest.mark.parametrize("ordinal", range(1, 9))
def test_feature(seed_issue, ordinal):
    article = seed_issue.features[ordinal - 1]
    title, date, department, counties = FEATURES[ordinal - 1]
    assert (article.id, article.kind, article.title) == (f"270-f{ordinal:02d}", "feature", title)
    assert (article.date.isoformat(), article.department, article.counties) == (date, department, counties)
    assert len(article.paragraphs) == FEATURE_PARAGRAPHS[ordinal - 1]


def test_feature_text_is_whole(seed_issue):
    first = seed_issue.features[0]
    assert first.paragraphs[0].startswith("为扎实推进温州市“科创中国”试点城市建设")
    # "方面发" / "挥着重要作用" were split by a page break in the source.
    assert first.paragraphs[4].endswith(
        "在建立专家企业精准对接服务机制、畅通科技服务供需通道方面发挥着重要作用。"
    )
    assert first.paragraphs[-1].endswith("形成“科创中国”线上平台和线下工作同频共振工作模式。")
    assert "（市科协学会部）" not in first.body
    headings = seed_issue.features[5].paragraphs[1::2]
    assert headings == (
        "平台聚能，明确行标行规",
        "精准排摸，梳理产业图谱",
        "探索“五连”模式，形成科技服务合力",
    )


def test_briefs(seed_issue):
    briefs = seed_issue.briefs
    assert len(briefs) == 29
    got = [(b.date.isoformat(), b.title, b.department, b.counties) for b in briefs]
    assert got == BRIEFS
    assert [b.id for b in briefs[:2]] == ["270-b01", "270-b02"]


def test_every_article_id_is_unique_and_stable(seed_text, domain, seed_issue):
    again = parse_issue(seed_text, "elsewhere.txt", domain)
    assert [a.id for a in again.articles] == [a.id for a in seed_issue.articles]
    assert len({a.id for a in seed_issue.articles}) == 37


@pytest.mark.parametrize(
    "text, expected",
    [
        ("5月13日下午", "2022-05-13"),
        ("5 月 10 日至 13 日", "2022-05-10"),
        ("5月11日-12日", "2022-05-11"),
        ("2021年11月3日", "2021-11-03"),
        ("没有日期", "2022-05-31"),
        ("2月30日无效，5月2日有效", "2022-05-02"),
    ],
)
def test_event_date(text, expected):
    assert event_date(text, dt.date(2022, 5, 31)).isoformat() == expected


def test_december_item_in_january_issue_is_last_year():
    assert event_date("12月28日", dt.date(2023, 1, 31)) == dt.date(2022, 12, 28)
    assert event_date("1月5日", dt.date(2023, 1, 31)) == dt.date(2023, 1, 5)


def test_page_split_paragraphs_rejoin_but_headings_do_not():
    long_start = "会上，大家围绕学会发展面临的问题及温州市试点城市建设目标等展开了交流研讨，纷纷表"
    assert join_broken_paragraphs([long_start, "示赞同。", "平台聚能，明确行标行规", "成立委员会。"]) == [
        long_start + "示赞同。",
        "平台聚能，明确行标行规",
        "成立委员会。",
    ]


def small_issue(body: str) -> str:
    return MASTHEAD + body


def test_title_broken_across_lines_with_stray_spaces(domain):
    text = small_issue(
        "本 期 要 目\n\n- 市科协党组书记、主席林建波赴苍南调研青科会\n\n"
        "市科协党组书记、主席 林建波赴苍南\n\n调研 青科会\n\n"
        "1月12日上午，林建波一行赴苍南调研。\n\n（市科协国际部）\n"
    )
    issue = parse_issue(text, "t.txt", domain)
    (article,) = issue.articles
    assert article.title == "市科协党组书记、主席林建波赴苍南调研青科会"
    assert article.paragraphs == ("1月12日上午，林建波一行赴苍南调研。",)
    assert (article.department, article.counties, article.date) == (
        "市科协国际部",
        ("苍南县",),
        dt.date(2022, 1, 12),
    )


def test_counties_are_whole_words(domain):
    text = small_issue(
        "本期要目\n\n- 论文成果发布会召开\n\n论文成果发布会召开\n\n1月5日，论文成果发布会在市区召开。（市科协学会部）\n"
    )
    (article,) = parse_issue(text, "t.txt", domain).articles
    assert article.counties == ()


def test_a_county_whose_full_name_jieba_cuts_short(domain):
    text = small_issue(
        "本期要目\n\n- 座谈会召开\n\n座谈会召开\n\n1月5日，乐清市委召开座谈会，瑞安市府办参加。（市科协学会部）\n"
    )
    (article,) = parse_issue(text, "t.txt", domain).articles
    assert article.counties == ("瑞安市", "乐清市")


def test_december_brief_and_wrapped_brief_line(domain):
    text = small_issue(
        "简讯\n\n12月30日，文成科协开展科普进文化礼堂\n\n活动（文成县科协）\n\n1月4日，瑞安举办年会（瑞安市科协）\n"
    )
    briefs = parse_issue(text, "t.txt", domain).briefs
    assert [(b.date, b.title, b.department, b.counties) for b in briefs] == [
        (dt.date(2021, 12, 30), "文成科协开展科普进文化礼堂活动", "文成县科协", ("文成县",)),
        (dt.date(2022, 1, 4), "瑞安举办年会", "瑞安市科协", ("瑞安市",)),
    ]


def test_issue_without_contents_falls_back_to_attributions(domain):
    text = small_issue(
        "青科会座谈会召开\n\n1月13日，市科协召开座谈会。（市科协国际部）\n\n简讯\n\n1月1日，活动开展（泰顺县科协）\n"
    )
    issue = parse_issue(text, "t.txt", domain)
    assert [(a.kind, a.title, a.department) for a in issue.articles] == [
        ("feature", "青科会座谈会召开", "市科协国际部"),
        ("brief", "活动开展", "泰顺县科协"),
    ]
    assert issue.warnings == (
        "no 本期要目: titles found from the layout (short lines above each article's text)",
    )


@pytest.mark.parametrize(
    "text, reason",
    [
        ("", "no text"),
        ("今天天气很好。\n\n我们去公园散步。\n", "the masthead does not name 温州科协信息"),
        ("温州科协信息\n\n第 5 期\n\n2022 年 5 月 31 日\n\n简讯\n", "the masthead has no 总第N期"),
        (
            "温州科协信息\n\n第 5 期\n\n(总第 270 期)\n\n2022 年 5 月 31 日\n",
            "no articles found after the masthead",
        ),
    ],
)
def test_not_a_bulletin(domain, text, reason):
    with pytest.raises(NotABulletin) as caught:
        parse_issue(text, "odd.txt", domain)
    assert caught.value.reason == reason
    assert str(caught.value) == f"odd.txt: not a bulletin issue: {reason}"


def test_any_four_digit_year(domain):
    text = (
        MASTHEAD.replace("2022 年 1 月 31 日", "2105 年 3 月 31 日")
        + "简讯\n\n2105年3月2日，活动开展（泰顺县科协）\n"
    )
    issue = parse_issue(text, "t.txt", domain)
    assert issue.date == dt.date(2105, 3, 31) and issue.briefs[0].date == dt.date(2105, 3, 2)
