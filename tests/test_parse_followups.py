"""Layouts the parser met after issue 13's first round: numbered contents tables, a contents box read
before the masthead's date, vague brief dates, dot leaders, and each rule on strings."""

from __future__ import annotations

import datetime as dt

import pytest

from indexer.errors import NotABulletin
from indexer.formats import extract_document
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
    "name",
    [
        "issue270-numbered-contents.docx",  # 本期要目 as a table: the number, then the title, cell by cell
        "issue270-contents-box.docx",  # 本期要目 in a text box read before the masthead's date line
    ],
)
def test_word_layouts_give_the_issue_exactly(domain, name):
    document = extract_document(WORD / name)
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
