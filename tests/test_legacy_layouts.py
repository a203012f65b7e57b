"""Issues laid out as from 2005 to 2015: the real issue in older layouts, and each older rule on strings."""

from __future__ import annotations

import datetime as dt

import pytest

from indexer.errors import NotABulletin
from indexer.formats import extract_document
from indexer.normalize import normalize_text
from indexer.parse import event_date, numeral_value, parse_issue, split_attribution
from tests.conftest import DATA
from tests.data.make_legacy_fixtures import fixtures
from tests.expected import BRIEFS, FEATURE_PARAGRAPHS, FEATURES

LEGACY = DATA / "legacy"
NO_CONTENTS = "no 本期要目: titles found from the layout (short lines above each article's text)"
# File → (format, warnings of its parse).
LAYOUTS = {
    "issue270-2008-gb18030.txt": ("text", ()),
    "issue270-no-contents.txt": (
        "text",
        ("the masthead date 二○二二年五月 has no day: dated the month's last day", NO_CONTENTS),
    ),
    "issue270-table-gb2312.html": ("html", ()),
    # Written after the parser, each first run untuned: see the commits that added them.
    "issue270-pdftotext-2012.txt": ("text", ()),
    "issue270-2006-gbk.txt": ("text", ()),
    "issue270-links-2010-gbk.html": ("html", ()),
}
# In the pdftotext copy a page ends inside the first feature's ninth paragraph, right after a full
# stop: once normalized (indents gone) nothing tells that from the end of a paragraph.
PARAGRAPHS = {"issue270-pdftotext-2012.txt": [11, *FEATURE_PARAGRAPHS[1:]]}
MASTHEAD = "温州科协信息\n\n2008年第3期（总第105期）\n\n二〇〇八年三月三十一日\n\n"


@pytest.fixture(scope="module", params=sorted(LAYOUTS))
def legacy_issue(request, domain):
    document = extract_document(LEGACY / request.param)
    assert document.format == LAYOUTS[request.param][0]
    return request.param, parse_issue(document.text, document.source, domain)


def test_fixtures_are_what_their_generator_makes():
    assert {path.name: path.read_bytes() for path in LEGACY.iterdir()} == fixtures()


def test_masthead_of_older_layouts(legacy_issue):
    name, issue = legacy_issue
    assert (issue.id, issue.number, issue.total_number, issue.date) == ("270", 5, 270, dt.date(2022, 5, 31))
    assert issue.warnings == LAYOUTS[name][1]


def test_eight_features_titled_as_their_contents(legacy_issue):
    _, issue = legacy_issue
    got = [(a.title, a.date.isoformat(), a.department, a.counties) for a in issue.features]
    assert got == FEATURES
    assert list(issue.contents) == [title for title, *_ in FEATURES]


def test_twenty_nine_briefs(legacy_issue):
    _, issue = legacy_issue
    got = [(b.date.isoformat(), b.title, b.department, b.counties) for b in issue.briefs]
    assert got == BRIEFS
    assert [b.id for b in issue.briefs[-2:]] == ["270-b28", "270-b29"]


def test_feature_text_keeps_its_paragraphs_without_the_attribution(legacy_issue):
    name, issue = legacy_issue
    assert [len(feature.paragraphs) for feature in issue.features] == PARAGRAPHS.get(name, FEATURE_PARAGRAPHS)
    first, sixth = issue.features[0], issue.features[5]
    assert first.paragraphs[0].startswith("为扎实推进温州市“科创中国”试点城市建设")
    assert first.paragraphs[-1].endswith("形成“科创中国”线上平台和线下工作同频共振工作模式。")
    assert sixth.paragraphs[1::2] == (
        "平台聚能，明确行标行规",
        "精准排摸，梳理产业图谱",
        "探索“五连”模式，形成科技服务合力",
    )


@pytest.mark.parametrize(
    "text, value",
    [("2008", 2008), ("二〇〇八", 2008), ("二○○八", 2008), ("二零零八", 2008), ("二OO八", 2008),
     ("三", 3), ("十", 10), ("十二", 12), ("二十", 20), ("三十一", 31),
     ("二百七十", 270), ("一百零五", 105), ("一千零二", 1002), ("二七〇", 270)],
)  # fmt: skip
def test_numeral_value(text, value):
    assert numeral_value(text) == value


@pytest.mark.parametrize(
    "masthead, expected",
    [
        ("2008年第3期（总第105期）\n\n二〇〇八年三月三十一日", (3, 105, dt.date(2008, 3, 31))),
        ("第3期 总第105期\n\n二○○八年三月三十一日", (3, 105, dt.date(2008, 3, 31))),
        ("２００８年第３期（总第１０５期） ２００８年３月３１日", (3, 105, dt.date(2008, 3, 31))),
        ("2008年第3期（总105期）\n\n二零零八年十二月三十日", (3, 105, dt.date(2008, 12, 30))),
        ("二〇〇八年第十二期 (总第114期) 二OO八年十二月十五日", (12, 114, dt.date(2008, 12, 15))),
        (
            "2008年第3期（总第105期） 温州市科学技术协会编 二〇〇八年三月三十一日",
            (3, 105, dt.date(2008, 3, 31)),
        ),
    ],
)
def test_older_mastheads(domain, masthead, expected):
    text = normalize_text(f"温州科协信息\n\n{masthead}\n\n简讯\n\n3月2日，活动开展（泰顺县科协）\n")
    issue = parse_issue(text, "t.txt", domain)
    assert (issue.number, issue.total_number, issue.date) == expected
    assert issue.warnings == ()


@pytest.mark.parametrize(
    "dated, expected",
    [
        ("二〇〇八年三月", dt.date(2008, 3, 31)),
        ("2008年2月", dt.date(2008, 2, 29)),
        ("二〇〇七年二月", dt.date(2007, 2, 28)),
    ],
)
def test_masthead_dated_by_month_alone_is_the_months_last_day(domain, dated, expected):
    text = f"温州科协信息\n\n第3期（总第105期）\n\n{dated}\n\n简讯\n\n二月二日，活动开展（泰顺县科协）\n"
    issue = parse_issue(text, "t.txt", domain)
    assert issue.date == expected
    assert issue.warnings == (f"the masthead date {dated} has no day: dated the month's last day",)
    assert issue.briefs[0].date == dt.date(expected.year, 2, 2)


def test_masthead_date_in_numerals_that_is_no_date(domain):
    with pytest.raises(NotABulletin) as caught:
        parse_issue("温州科协信息\n\n第2期（总第104期）\n\n二〇〇八年二月三十日\n\n简讯\n", "odd.txt", domain)
    assert caught.value.reason == "the masthead date 二〇〇八年二月三十日 is not a date"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("三月五日，市科协召开座谈会", dt.date(2008, 3, 5)),
        ("三月十三日下午", dt.date(2008, 3, 13)),
        ("二〇〇七年十二月二十日", dt.date(2007, 12, 20)),
        ("二月三十日无效，三月二日有效", dt.date(2008, 3, 2)),
        ("十二月三十一日", dt.date(2007, 12, 31)),
        ("十一月的计划", dt.date(2008, 3, 31)),
    ],
)
def test_event_dates_in_chinese_numerals(text, expected):
    assert event_date(text, dt.date(2008, 3, 31)) == expected


@pytest.mark.parametrize(
    "heading",
    ["目  录", "目录", "要目", "要　目", "本期目录", "本 期 要 目", "【本期要目】", "目录：", "◆本期目录◆"],
)
def test_contents_headings(domain, heading):
    text = normalize_text(
        f"{MASTHEAD}{heading}\n\n1、青科会座谈会召开\n\n青科会座谈会召开\n\n三月十三日，市科协召开座谈会。(市科协国际部)\n"
    )
    issue = parse_issue(text, "t.txt", domain)
    assert [(a.title, a.date, a.department) for a in issue.features] == [
        ("青科会座谈会召开", dt.date(2008, 3, 13), "市科协国际部")
    ]
    assert issue.warnings == ()


@pytest.mark.parametrize(
    "heading",
    [
        "简讯",
        "简  讯",
        "【简讯】",
        "[简讯]",
        "简讯摘要",
        "工作动态",
        "基层动态",
        "工作简讯",
        "科协动态",
        "◎ 基层动态",
        "★简讯★",
        "■工作动态",
    ],
)
def test_briefs_headings(domain, heading):
    text = normalize_text(f"{MASTHEAD}{heading}\n\n三月二日，泰顺县科协开展活动(泰顺县科协)\n")
    (brief,) = parse_issue(text, "t.txt", domain).articles
    assert (brief.kind, brief.title, brief.date, brief.department) == (
        "brief",
        "泰顺县科协开展活动",
        dt.date(2008, 3, 2),
        "泰顺县科协",
    )


@pytest.mark.parametrize(
    "closing",
    ["(平阳县科协)", "（平阳县科协)", "【平阳县科协】", "〔平阳县科协〕", "［平阳县科协］", "[平阳县科协]",
     "（供稿：平阳县科协）", "【来源：平阳县科协】", "（来源: 平阳县科协）", "（——平阳县科协）", "（平阳县科协供稿）",
     "（ 平阳县科协 供稿 ）"],
)  # fmt: skip
def test_attributions_in_other_brackets(domain, closing):
    assert split_attribution(f"活动圆满结束。{closing}", domain) == ("活动圆满结束。", "平阳县科协")


@pytest.mark.parametrize("closing", ["（市、区）", "(见附件)", "【详见附件】", "——平阳县科协"])
def test_what_is_no_attribution(domain, closing):
    assert split_attribution(f"活动圆满结束{closing}", domain) == (f"活动圆满结束{closing}", None)


def test_several_briefs_on_one_line(domain):
    text = normalize_text(
        MASTHEAD + "工作动态\n\n"
        "三月一日，文成县科协开展活动(文成县科协)　三月九日，喜报！我市入选试点【市科协科普部】三月十日-十二日，"
        "平阳举办年会。三月十三日，泰顺县开展宣传活动（泰顺县科协）\n\n"
        "三月十四日，活动延续到三月二十日，圆满结束（鹿城区科协） 3月21日，洞头区举办比赛〔洞头区科协〕\n"
    )
    got = [(b.date.day, b.title, b.department, b.counties) for b in parse_issue(text, "t.txt", domain).briefs]
    assert got == [
        (1, "文成县科协开展活动", "文成县科协", ("文成县",)),
        (9, "喜报！我市入选试点", "市科协科普部", ()),
        (10, "平阳举办年会。", None, ("平阳县",)),
        (13, "泰顺县开展宣传活动", "泰顺县科协", ("泰顺县",)),
        (14, "活动延续到三月二十日，圆满结束", "鹿城区科协", ("鹿城区",)),
        (21, "洞头区举办比赛", "洞头区科协", ("洞头区",)),
    ]


def test_a_line_of_briefs_wrapped_inside_a_date_is_joined_before_it_is_split(domain):
    # LibreOffice set the 2008-style text copy as a PDF and wrapped a line of three briefs between
    # "5月11" and "日-12日"; splitting before joining left two briefs inside the first (27 of 29).
    text = normalize_text(
        MASTHEAD + "工作动态\n\n"
        "5月10日，泰顺县科协开展志愿服务活动(泰顺县科协) 5月11\n\n"
        "日-12日，科技教育活动走进苍南县金乡镇(市科协科普部) 5月11\n\n"
        "日-12日，温州市科协到泰顺县开展考核工作【泰顺县科协】\n"
    )
    got = [(b.date.day, b.title, b.department) for b in parse_issue(text, "t.txt", domain).briefs]
    assert got == [
        (10, "泰顺县科协开展志愿服务活动", "泰顺县科协"),
        (11, "科技教育活动走进苍南县金乡镇", "市科协科普部"),
        (11, "温州市科协到泰顺县开展考核工作", "泰顺县科协"),
    ]


def test_brief_dated_as_a_range_in_numerals(domain):
    text = MASTHEAD + "简讯\n\n三月十一日至十二日，科技教育活动走进苍南县（市科协科普部）\n"
    (brief,) = parse_issue(text, "t.txt", domain).briefs
    assert (brief.date, brief.title, brief.counties) == (
        dt.date(2008, 3, 11),
        "科技教育活动走进苍南县",
        ("苍南县",),
    )


def test_contents_that_name_the_briefs_section(domain):
    text = (
        MASTHEAD + "目录\n\n1、青科会座谈会召开\n\n2、工作动态\n\n青科会座谈会召开\n\n"
        "三月十三日，市科协召开座谈会。(市科协国际部)\n\n工作动态\n\n三月二日，泰顺县科协开展活动(泰顺县科协)\n"
    )
    issue = parse_issue(text, "t.txt", domain)
    assert [(a.kind, a.title) for a in issue.articles] == [
        ("feature", "青科会座谈会召开"),
        ("brief", "泰顺县科协开展活动"),
    ]
    assert (issue.contents, issue.warnings) == (("青科会座谈会召开",), ())


def test_without_contents_a_title_wraps_over_two_short_lines(domain):
    text = (
        MASTHEAD + "内部资料 注意保存\n\n科技惠企 创新赋能——“科创中国”温州站\n\n推介大会成功举办\n\n"
        "三月十三日下午，温州市科协举办推介大会。会议采用线上+线下的形式召开，各县（市、区）科协参加了会议。\n\n"
        "平台聚能，明确行标行规\n\n成立委员会。〔市科协学会部〕\n\n"
        "向科技工作者致敬！\n\n三月三十日，我市成立首个创新平台科协。（供稿：市科协办公室）\n"
    )
    issue = parse_issue(text, "t.txt", domain)
    assert [(a.title, a.paragraphs, a.date, a.department) for a in issue.features] == [
        (
            "科技惠企 创新赋能——“科创中国”温州站推介大会成功举办",
            (
                "三月十三日下午，温州市科协举办推介大会。会议采用线上+线下的形式召开，各县（市、区）科协参加了会议。",
                "平台聚能，明确行标行规",
                "成立委员会。",
            ),
            dt.date(2008, 3, 13),
            "市科协学会部",
        ),
        (
            "向科技工作者致敬！",
            ("三月三十日，我市成立首个创新平台科协。",),
            dt.date(2008, 3, 30),
            "市科协办公室",
        ),
    ]
    assert issue.warnings == (NO_CONTENTS, "a line above a title was not an article: 内部资料 注意保存")


def test_without_contents_a_long_first_line_is_still_the_title(domain):
    long_title = "市科协党组书记、主席林建波一行赴苍南调研青科会成果落地转化和“科创中国”试点城市建设工作情况"
    text = MASTHEAD + f"{long_title}\n\n三月二十四日，林建波一行赴苍南调研。（市科协国际部）\n"
    (feature,) = parse_issue(text, "t.txt", domain).features
    assert (feature.title, feature.paragraphs, feature.counties) == (
        long_title,
        ("三月二十四日，林建波一行赴苍南调研。",),
        ("苍南县",),
    )


def test_undated_briefs_opening_with_recently(domain):
    text = (
        MASTHEAD
        + "简讯\n\n三月二日，泰顺县科协开展活动（泰顺县科协）近日，平阳县科协举办年会【平阳县科协】\n\n"
        "日前，文成县科协开展科普进文化礼堂\n\n活动（文成县科协）\n\n编辑：张三\n"
    )
    issue = parse_issue(text, "t.txt", domain)
    assert [(b.date, b.title, b.department) for b in issue.briefs] == [
        (dt.date(2008, 3, 2), "泰顺县科协开展活动", "泰顺县科协"),
        (dt.date(2008, 3, 31), "平阳县科协举办年会", "平阳县科协"),
        (dt.date(2008, 3, 31), "文成县科协开展科普进文化礼堂活动", "文成县科协"),
    ]
    assert issue.warnings == ("简讯: skipped an undated line: 编辑：张三",)


def test_running_header_with_chinese_numerals_is_dropped():
    text = normalize_text(
        "温州科协信息\n\n第三期\n\n三月五日，市科协召开座谈会。\n\n- 1 -\n\f\n"
        "温州科协信息 二〇〇八年第三期\n\n会议由副主席主持。\n\n- 2 -\n"
    )
    assert text == "温州科协信息\n\n第三期\n\n三月五日，市科协召开座谈会。\n\n\f\n\n会议由副主席主持。\n"


def test_a_bullet_without_a_space_opens_a_line_of_its_own():
    full = "◆青科会成果谋划与落地督导工作专班赴龙湾、乐清、浙南产业集聚区督查调研"
    text = normalize_text(f"    本期目录\n{full}\n◆市科协与温州理工学院就“科创中国”工作进行对接交流\n")
    assert text.split("\n\n") == ["本期目录", full, "◆市科协与温州理工学院就“科创中国”工作进行对接交流\n"]


def test_a_wrapped_line_may_start_with_a_middle_dot_or_a_zero():
    first = "凝聚护士力量守护人类健康温州市护理学会举办国际护士节线上纪念活动，时间为二"
    text = normalize_text(f"    {first}\n○○八年五月十二日\n    {first}\n·守护人类健康。\n")
    assert text.split("\n\n") == [first + "○○八年五月十二日", first + "·守护人类健康。\n"]


def test_titles_in_brackets_end_the_contents_and_are_found_in_the_body(domain):
    text = (
        MASTHEAD + "本期要目\n\n1.青科会座谈会召开\n\n2.市科协赴苍南调研\n\n【青科会座谈会召开】\n\n"
        "三月十三日，市科协召开座谈会，会后市科协赴苍南调研。（市科协国际部）\n\n"
        "◆市科协赴苍南调研◆ 三月二十四日，林建波一行赴苍南调研。（市科协国际部）\n"
    )
    issue = parse_issue(text, "t.txt", domain)
    assert [(a.title, a.paragraphs) for a in issue.features] == [
        ("青科会座谈会召开", ("三月十三日，市科协召开座谈会，会后市科协赴苍南调研。",)),
        ("市科协赴苍南调研", ("三月二十四日，林建波一行赴苍南调研。",)),
    ]
    assert issue.warnings == ()


def test_briefs_behind_bullets(domain):
    text = normalize_text(
        MASTHEAD
        + "简讯\n\n◇三月一日，文成县科协开展活动（文成县科协）◇三月二日，泰顺县举办年会（泰顺县科协）\n\n"
        "● 近日，平阳县科协举办培训（平阳县科协）\n\n- 3月5日，洞头区举办比赛（洞头区科协）\n\n"
        "（6）3月6日，龙湾区开展慰问（龙湾区科协）（7）3月7日，瑞安举办年会（瑞安市科协）\n\n"
        "8.3月8日，乐清举办讲座（乐清市科协）9、3月9日，永嘉开展活动（永嘉县科协）\n"
    )
    got = [(b.date.day, b.title, b.department) for b in parse_issue(text, "t.txt", domain).briefs]
    assert got == [
        (1, "文成县科协开展活动", "文成县科协"),
        (2, "泰顺县举办年会", "泰顺县科协"),
        (31, "平阳县科协举办培训", "平阳县科协"),
        (5, "洞头区举办比赛", "洞头区科协"),
        (6, "龙湾区开展慰问", "龙湾区科协"),
        (7, "瑞安举办年会", "瑞安市科协"),
        (8, "乐清举办讲座", "乐清市科协"),
        (9, "永嘉开展活动", "永嘉县科协"),
    ]


def test_pdftotext_copy_without_contents(domain):
    document = extract_document(LEGACY / "issue270-pdftotext-no-contents.txt")
    issue = parse_issue(document.text, document.source, domain)
    assert [(a.title, a.date.isoformat(), a.department, a.counties) for a in issue.features] == FEATURES
    assert [(b.date.isoformat(), b.title, b.department, b.counties) for b in issue.briefs] == BRIEFS
    # The third feature's first line of text, cut short by its digits, was its title's second line.
    assert issue.features[2].paragraphs[0].startswith("为进一步推进 2021 青科会成果落地转化")
    assert (issue.warnings, issue.report.unassigned_chars) == ((NO_CONTENTS,), 0)
