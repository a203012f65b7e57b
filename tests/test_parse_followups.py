"""Layouts the parser met after issue 13's first round: numbered contents tables, a contents box read
before the masthead's date, vague brief dates, dot leaders, and each rule on strings."""

from __future__ import annotations

import datetime as dt

import pytest

from indexer.errors import NotABulletin
from indexer.formats import extract_document
from indexer.normalize import join_lines, normalize_text
from indexer.parse import Paragraph, parse_contents, parse_issue
from tests.conftest import DATA
from tests.expected import BRIEFS, FEATURES

WORD = DATA / "word"
CONTENTS = [title for title, *_ in FEATURES]
HEAD = "温州科协信息\n\n第 5 期\n\n(总第 270 期)\n\n"
BRIEFS_SECTION = "简讯\n\n5月1日，文成县科协开展活动（文成县科协）\n"
BODY = (
    "科技惠企 创新赋能\n\n5月13日，市科协举办推介大会。（市科协学会部）\n\n"
    "青科会座谈会召开\n\n2022年5月13日下午，座谈会召开。（市科协国际部）\n\n" + BRIEFS_SECTION
)


def contents(*lines: str) -> list[str]:
    return parse_contents([Paragraph(line, 1) for line in lines])[0]


@pytest.mark.parametrize(
    "path",
    [
        WORD
        / "issue270-numbered-contents.docx",  # 本期要目 as a table: the number, then the title, cell by cell
        WORD / "issue270-contents-box.docx",  # 本期要目 in a text box read before the masthead's date line
        # Exported by LibreOffice: ▶ before each contents entry and brief, page numbers behind dot leaders.
        DATA / "followup" / "issue270-arrows.pdf",
    ],
    ids=lambda path: path.name,
)
def test_layouts_give_the_issue_exactly(domain, path):
    document = extract_document(path)
    issue = parse_issue(document.text, document.source, domain)
    assert (issue.id, issue.number, issue.date.isoformat(), issue.warnings) == ("270", 5, "2022-05-31", ())
    assert list(issue.contents) == CONTENTS
    assert [(a.title, a.date.isoformat(), a.department, a.counties) for a in issue.features] == FEATURES
    assert [(b.date.isoformat(), b.title, b.department, b.counties) for b in issue.briefs] == BRIEFS


@pytest.mark.parametrize("number", ["1", "01", "１", "★", "一、", "（一）"])
def test_a_number_of_its_own_labels_the_contents_entry_after_it(number):
    second = number.replace("1", "2").replace("１", "２").replace("一", "二")
    assert contents(number, "科技惠企 创新赋能", second, "青科会助力大孵化", "集群发展座谈会召开") == [
        "科技惠企 创新赋能",
        "青科会助力大孵化集群发展座谈会召开",
    ]


def test_a_table_with_numbers_before_and_page_numbers_after_each_title():
    assert contents("1", "科技惠企 创新赋能", "3", "2", "青科会座谈会召开", "5") == [
        "科技惠企 创新赋能",
        "青科会座谈会召开",
    ]


def test_a_number_column_whose_title_starts_with_a_number():
    assert contents("1", "2022青科会成果谋划", "2", "2021青科会成果落地") == [
        "2022青科会成果谋划",
        "2021青科会成果落地",
    ]


@pytest.mark.parametrize(
    "head",
    [
        HEAD + "本期要目\n\n★科技惠企 创新赋能\n\n★青科会座谈会召开\n\n2022 年 5 月 31 日\n\n",
        HEAD + "本期要目\n\n科技惠企 创新赋能\n\n青科会座谈会召开\n\n2022 年 5 月 31 日\n\n",
        "本期要目\n\n科技惠企 创新赋能\n\n青科会座谈会召开\n\n" + HEAD + "2022 年 5 月 31 日\n\n",
    ],
    ids=["bulleted", "plain", "whole-masthead-after"],
)
def test_masthead_lines_after_the_contents_before_the_first_title(domain, head):
    issue = parse_issue(head + BODY, "t.txt", domain)
    assert (issue.number, issue.total_number, issue.date, issue.warnings) == (
        5,
        270,
        dt.date(2022, 5, 31),
        (),
    )
    assert issue.contents == ("科技惠企 创新赋能", "青科会座谈会召开")
    assert [(a.title, a.date.isoformat()) for a in issue.features] == [
        ("科技惠企 创新赋能", "2022-05-13"),
        ("青科会座谈会召开", "2022-05-13"),
    ]


def test_a_date_in_the_body_is_never_the_issue_date(domain):
    with pytest.raises(NotABulletin) as caught:
        parse_issue(HEAD + "本期要目\n\n科技惠企 创新赋能\n\n青科会座谈会召开\n\n" + BODY, "t.txt", domain)
    assert caught.value.reason == "the masthead has no date"


def test_a_first_line_of_text_breaking_inside_a_word_is_no_title_line(domain):
    article = (
        "青科会成果谋划与落地督导工作专班\n\n赴龙湾、乐清、浙南产业集聚区督查调研\n\n"
        "为进一步推进 2021 青科会成果落地转化和 2022 青科会成果谋\n\n划，根据工作安排开展调研。（市科协国际部）\n\n"
    )
    issue = parse_issue(HEAD + "2022 年 5 月 31 日\n\n" + article + BRIEFS_SECTION, "t.txt", domain)
    assert [(a.title, a.paragraphs) for a in issue.features] == [
        (
            "青科会成果谋划与落地督导工作专班赴龙湾、乐清、浙南产业集聚区督查调研",
            ("为进一步推进 2021 青科会成果落地转化和 2022 青科会成果谋划，根据工作安排开展调研。",),
        )
    ]


def test_contents_entries_lose_dot_leaders_and_page_numbers():
    assert contents(
        "★科技惠企 创新赋能……3",
        "★青科会座谈会召开  2",
        "★市科协与温州理工学院对接交流....12",
        "★5.30全国科技工作者日 ··· 4",
        "★迎接2022",
    ) == [
        "科技惠企 创新赋能",
        "青科会座谈会召开",
        "市科协与温州理工学院对接交流",
        "5.30全国科技工作者日",
        "迎接2022",
    ]


@pytest.mark.parametrize("total", ["总第二百七十期", "总第二七〇期", "总第 270 期"])
def test_total_number_in_chinese_numerals(domain, total):
    head = HEAD.replace("(总第 270 期)", f"（{total}）") + "2022 年 5 月 31 日\n\n本期要目\n\n"
    issue = parse_issue(head + "科技惠企 创新赋能\n\n青科会座谈会召开\n\n" + BODY, "t.txt", domain)
    assert (issue.id, issue.number, issue.total_number, len(issue.features)) == ("270", 5, 270, 2)


@pytest.mark.parametrize("number", ["一、", "1. ", "（一）", "1、"])
def test_numbering_before_a_title_found_from_the_layout_goes(domain, number):
    text = HEAD + "2022 年 5 月 31 日\n\n" + BODY.replace("科技惠企", number + "科技惠企")
    second = number.replace("一", "二").replace("1", "2")
    issue = parse_issue(text.replace("青科会座谈会", second + "青科会座谈会"), "t.txt", domain)
    assert [a.title for a in issue.features] == ["科技惠企 创新赋能", "青科会座谈会召开"]


def test_briefs_dated_by_a_part_of_the_month_are_kept_and_dated_with_a_warning(domain):
    briefs = (
        "简讯\n\n本月，文成县科协开展活动（文成县科协）\n\n▶ 5月上旬，泰顺县举办培训（泰顺县科协）\n\n"
        "4月下旬，市科协开展调研（市科协学会部）\n\n月初，平阳县开展科普（平阳县科协）（1）5月中旬，"
        "苍南县举办讲座（苍南县科协）\n\n月底，瑞安市召开会议（瑞安市科协）\n\n5月1日，鹿城区开展活动（鹿城区科协）\n"
    )
    issue = parse_issue(HEAD + "2022 年 5 月 31 日\n\n" + briefs, "t.txt", domain)
    assert [(b.date.isoformat(), b.title, b.department) for b in issue.briefs] == [
        ("2022-05-31", "文成县科协开展活动", "文成县科协"),
        ("2022-05-01", "泰顺县举办培训", "泰顺县科协"),
        ("2022-04-21", "市科协开展调研", "市科协学会部"),
        ("2022-05-01", "平阳县开展科普", "平阳县科协"),
        ("2022-05-11", "苍南县举办讲座", "苍南县科协"),
        ("2022-05-31", "瑞安市召开会议", "瑞安市科协"),
        ("2022-05-01", "鹿城区开展活动", "鹿城区科协"),
    ]
    assert issue.warnings == (
        "简讯 1: dated 2022-05-31 from a vague date: 本月",
        "简讯 2: dated 2022-05-01 from a vague date: 5月上旬",
        "简讯 3: dated 2022-04-21 from a vague date: 4月下旬",
        "简讯 4: dated 2022-05-01 from a vague date: 月初",
        "简讯 5: dated 2022-05-11 from a vague date: 5月中旬",
        "简讯 6: dated 2022-05-31 from a vague date: 月底",
    )


def test_a_december_part_of_the_month_in_a_january_issue_is_last_year(domain):
    text = HEAD + "2022 年 1 月 31 日\n\n简讯\n\n12月下旬，文成县科协开展活动（文成县科协）\n"
    assert parse_issue(text, "t.txt", domain).briefs[0].date == dt.date(2021, 12, 21)


def test_a_running_header_with_the_total_number_in_chinese_numerals_is_dropped():
    text = "温州科协信息\n\n甲\f温州科协信息 总第二百七十期\n\n乙\n"
    assert normalize_text(text) == "温州科协信息\n\n甲\n\n\f\n\n乙\n"


def test_a_number_wrapped_inside_chinese_text_is_one_number_again(domain):
    assert join_lines("为进一步推进2", "021青科会") == "为进一步推进2021青科会"
    assert join_lines("in 2021", "2022 was") == "in 2021 2022 was"
    assert join_lines("推进2", "AI融合") == "推进2 AI融合"
    document = extract_document(DATA / "legacy" / "issue270-pdftotext-no-contents.txt")
    third = parse_issue(document.text, document.source, domain).features[2]
    assert "朱勇敏代表专班对三地在推进2021青科会成果落地转化工作中" in third.paragraphs[1]


def test_a_wrapped_line_starting_with_a_part_of_the_month_continues_its_brief(domain):
    briefs = "简讯\n\n5月20日，平阳县科协筹备科普活动，将于\n\n月底举行（平阳县科协）\n"
    issue = parse_issue(HEAD + "2022 年 5 月 31 日\n\n" + briefs, "t.txt", domain)
    assert [(b.date.isoformat(), b.title) for b in issue.briefs] == [
        ("2022-05-20", "平阳县科协筹备科普活动，将于月底举行")
    ]
    assert issue.warnings == ()


# -- a first heading printed otherwise ends the contents at the first prose --------------------------

FIRST_HEADING = "科技惠企 创新赋能——“科创中国”温州站 推介大会成功举办"


@pytest.mark.parametrize(
    "printed",
    [
        "科枝惠企 创新赋能——“科创中国”刘州站 推介大会成功举办",  # OCR: two characters misread
        "科枝惠企 创新赋能——“科创中国”刘州站\n\n推介大会成功举办",  # and wrapped over two lines
    ],
)
def test_a_misread_first_heading_ends_the_contents_at_the_first_prose(domain, seed_text, printed):
    # The contents used to end only where the first title came round again letter for letter: the
    # whole body was read as contents, 0 features.
    text = seed_text.replace(f"\n{FIRST_HEADING}\n", f"\n{printed}\n", 1)
    issue = parse_issue(text, "misread.txt", domain)
    assert [feature.title for feature in issue.features] == [title for title, *_ in FEATURES]
    assert len(issue.briefs) == 29
    assert issue.features[0].paragraphs[0].startswith("为扎实推进温州市“科创中国”试点城市建设")
    assert not issue.report.flagged


def test_a_heading_like_nothing_in_the_contents_begins_the_body_by_itself(domain):
    lines = ["- 科技惠企推介大会成功举办", "- 青科会座谈会召开", "全然不同的标题", "正文" * 40 + "。"]
    entries, body_start, _ = parse_contents([Paragraph(line, 1) for line in lines])
    assert (entries, body_start) == (["科技惠企推介大会成功举办", "青科会座谈会召开"], 2)


def test_contents_entries_are_never_taken_for_prose():
    long_entry = (
        "- 市科协党组书记、主席林建波赴苍南调研青科会和“科创中国”试点城市建设并召开座谈会听取意见建议。"
    )
    lines = ["- 第一篇的标题", long_entry, "第一篇的标题", "正文" * 40 + "。"]
    entries, body_start, _ = parse_contents([Paragraph(line, 1) for line in lines])
    assert (len(entries), body_start) == (2, 2)


def test_briefs_without_their_heading_are_still_briefs(domain, seed_text):
    # Without "简讯" the 29 briefs were glued onto the last feature as one paragraph, under the last
    # brief's department, and nothing said so.
    text = seed_text.replace("\n简讯\n", "\n", 1)
    issue = parse_issue(text, "unheaded.txt", domain)
    assert [(b.date.isoformat(), b.title, b.department, b.counties) for b in issue.briefs] == [
        tuple(brief) for brief in BRIEFS
    ]
    assert [(f.title, f.department) for f in issue.features] == [(f[0], f[2]) for f in FEATURES]
    assert issue.warnings == (
        "no 简讯 heading: the dated lines after an article's department are read as briefs",
    )


def test_a_feature_opening_with_a_date_is_no_briefs_section(domain):
    text = normalize_text(
        "温州科协信息\n\n第 5 期\n\n（总第 270 期）\n\n2022 年 5 月 31 日\n\n"
        "青科会座谈会召开\n\n5月13日下午，市科协召开座谈会。\n\n5月14日，又开了一次。（市科协国际部）\n\n"
        "市科协赴瑞安调研\n\n5月17日，林建波赴瑞安调研。（市科协办公室）\n"
    )
    issue = parse_issue(text, "t.txt", domain)
    assert ([f.title for f in issue.features], issue.briefs) == (["青科会座谈会召开", "市科协赴瑞安调研"], ())
