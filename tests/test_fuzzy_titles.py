"""A contents title printed otherwise above its article (shortened, misread by OCR, a quote mark
lost) is found by that heading; an attribution that lost one bracket still names its department."""

from __future__ import annotations

import dataclasses

import pytest

from indexer.parse import Paragraph, locate_titles, parse_issue, resembles, split_attribution
from tests.expected import BRIEFS, FEATURES
from tests.test_coverage import CLEAN_REPORT, catch_all, replaced_once

ENTRIES = [title for title, *_ in FEATURES]
DIFFERS = "本期要目 title differs from the heading in the body: "
NOT_FOUND = "本期要目 title not found in the body: "


@pytest.fixture(scope="module")
def clean(domain, seed_text):
    return parse_issue(seed_text, "clean.txt", domain)


# Similarity of a contents entry and a printed heading, on strings --------------------------------


@pytest.mark.parametrize(
    ("entry", "heading", "ratio"),
    [
        # The editor shortened the heading: 12 of the entry's 21 letters, wholly inside it.
        ("市科协党组书记、主席林建波赴瑞安调研科创工作", "林建波赴瑞安调研科创工作", 24 / 33),
        # Or the contents entry.
        ("林建波赴瑞安调研科创工作", "市科协党组书记、主席林建波 赴瑞安调研科创工作", 24 / 33),
        # OCR misread two characters (谈 → 读, 召 → 名).
        ("青科会助力大孵化集群发展座谈会召开", "青科会助力大孵化集群发展座读会名开", 30 / 34),
        # A quote mark, a dash or a space lost or moved: only letters and digits are compared.
        ("“科创中国”温州站——智能装备工作座谈会在平阳召开", "科创中国”温州站—智能装备工作座谈会 在平阳召开", 1.0),
    ],
)  # fmt: skip
def test_a_heading_that_resembles_its_entry(entry, heading, ratio):
    assert resembles(entry, heading) == pytest.approx(ratio)


@pytest.mark.parametrize(
    ("entry", "heading"),
    [
        # Its first words only: 10 of 22 letters, less than half.
        ("市科协与温州理工学院就“科创中国”工作进行对接交流", "市科协与温州理工学院"),
        # Wholly inside, but 4 letters.
        ("科创中国", "“科创中国”试点城市建设推进会"),
        ("市科协领导赴瑞安平阳调研“科创中国”试点城市建设工作", "姜国忠一行走访东新科创园和佳盛乳胶"),
    ],
)
def test_a_heading_that_does_not(entry, heading):
    assert resembles(entry, heading) is None


def paragraphs(*texts: str) -> list[Paragraph]:
    return [Paragraph(text, 1) for text in texts]


def test_a_misread_heading_is_found_between_the_titles_around_it(domain):
    body = paragraphs(
        "青科会助力大孵化集群发展座读会名开",
        "5月13日下午，座谈会召开。",
        "市科协与温州理工学院就“科创中国”工作进行对接交流",
        "5月5日，对接交流。",
    )
    assert locate_titles(body, ENTRIES[1:4:2], domain) == (
        [(ENTRIES[1], 0, 1, 0), (ENTRIES[3], 2, 3, 0)],
        [],
        [(ENTRIES[1], "青科会助力大孵化集群发展座读会名开")],
    )


def test_a_heading_wrapped_over_two_lines_is_found_whole(domain):
    body = paragraphs(
        "青科会成果谋划与落地督导工作专班", "赴龙湾、乐清、浙南产业集聚区督查调", "为进一步推进。"
    )
    assert locate_titles(body, [ENTRIES[2]], domain) == (
        [(ENTRIES[2], 0, 2, 0)],
        [],
        [(ENTRIES[2], "青科会成果谋划与落地督导工作专班赴龙湾、乐清、浙南产业集聚区督查调")],
    )


def test_a_heading_is_looked_for_only_between_its_neighbours_and_above_text(domain):
    # The second entry's heading stands before the first's: out of order, so not taken; a heading
    # with no text below it is none either.
    body = paragraphs(
        "市科协与温州理工学院就科创中国工作进行对接交流",
        "正文。",
        "青科会助力大孵化集群发展座谈会召开",
        "正文。",
        "青科会助力大孵化集群发展座读会名开",
    )
    assert locate_titles(body, ENTRIES[1:4:2], domain) == ([(ENTRIES[1], 2, 3, 0)], [ENTRIES[3]], [])


# On the seed: each heading printed otherwise, the issue parses as the clean one ----------------

RESEMBLING_HEADINGS = {
    "shortened": (
        "\n市科协党组书记、主席林建波 赴瑞安调研科创工作\n",
        "\n林建波赴瑞安调研科创工作\n",
        "林建波赴瑞安调研科创工作",
    ),
    "two characters misread": (
        "\n青科会助力大孵化集群发展座谈会召开\n",
        "\n青科会助力大孵化集群发展座读会名开\n",
        "青科会助力大孵化集群发展座读会名开",
    ),
    "a quote mark dropped": (
        "\n“科创中国”温州站——智能装备工作座谈会 在平阳召开\n",
        "\n科创中国”温州站——智能装备工作座谈会 在平阳召开\n",
        "科创中国”温州站——智能装备工作座谈会 在平阳召开",
    ),
    # The first article: its heading's first line ends the contents list, and the parse report must
    # still tell the contents list from the body.
    "the first heading wrapped, its second line misread": (
        "\n科技惠企 创新赋能——“科创中国”温州站 推介大会成功举办\n",
        "\n科技惠企 创新赋能——“科创中国”温州站\n推介大会成功举力\n",
        "科技惠企 创新赋能——“科创中国”温州站推介大会成功举力",
    ),
}


@pytest.mark.parametrize("case", RESEMBLING_HEADINGS)
def test_a_heading_printed_otherwise_is_found(domain, seed_text, clean, case):
    old, new, printed = RESEMBLING_HEADINGS[case]
    issue = parse_issue(replaced_once(seed_text, old, new), "otherwise.txt", domain)
    # Titled as the contents list has it, the printed heading in no article's text, every article
    # with the text, date, department and page of the clean issue.
    assert issue.articles == clean.articles
    assert [feature.title for feature in issue.features] == ENTRIES
    entry = next(title for title in ENTRIES if title.replace(" ", "")[-4:] in old.replace(" ", ""))
    assert issue.warnings == (f"{DIFFERS}{entry} / {printed}",)
    assert issue.report == dataclasses.replace(
        CLEAN_REPORT,
        body_chars=CLEAN_REPORT.body_chars + sum(c.isalnum() for c in new) - sum(c.isalnum() for c in old),
        warnings=issue.warnings,
    )
    assert (issue.report.flagged, catch_all(issue)) == (False, None)


def test_a_heading_entirely_different_is_not_found_and_flagged(domain, seed_text, clean):
    heading = "姜国忠一行走访东新科创园和佳盛乳胶"
    text = replaced_once(seed_text, f"\n{ENTRIES[6]}\n", f"\n{heading}\n")
    issue = parse_issue(text, "different.txt", domain)
    assert [feature.title for feature in issue.features] == ENTRIES[:6] + ENTRIES[7:]
    assert issue.warnings == (f"{NOT_FOUND}{ENTRIES[6]}",)
    assert issue.report.problems == (f"1 of 8 contents titles not found ({ENTRIES[6]})",)
    assert issue.report.flagged
    # Its text is kept, in the feature before it, behind that feature's own.
    before = issue.features[5].body
    assert before.startswith(clean.features[5].body[:-1])
    assert f"{heading}{clean.features[6].paragraphs[0]}" in before


def test_a_paragraph_that_merely_names_a_title_is_not_its_heading(domain, seed_text):
    # The fourth article's heading is reworded beyond recognition; the third one's text then names
    # the title in a sentence (ratio 0.94, but it ends like a sentence) and in a sub-heading of its
    # first words (10 of 22 letters).
    subheading, sentence = "市科协与温州理工学院", "会后，市科协与温州理工学院就科创中国工作进行了对接交流。"
    text = replaced_once(seed_text, f"\n{ENTRIES[3]}\n", "\n理工学院来访座谈\n")
    text = replaced_once(
        text, "\n督查调研组一行还实地走访", f"\n{subheading}\n\n{sentence}\n\n督查调研组一行还实地走访"
    )
    issue = parse_issue(text, "mentions.txt", domain)
    assert [feature.title for feature in issue.features] == ENTRIES[:3] + ENTRIES[4:]
    assert issue.warnings == (f"{NOT_FOUND}{ENTRIES[3]}",)
    third = issue.features[2].paragraphs
    assert third[2:4] == (subheading, sentence) and "理工学院来访座谈" in issue.features[2].body


def test_a_misread_heading_is_preferred_to_the_title_repeated_in_the_first_sentence(domain, seed_text, clean):
    text = replaced_once(seed_text, *RESEMBLING_HEADINGS["two characters misread"][:2])
    text = replaced_once(text, "5月13日下午，为贯彻", f"5月13日下午，{ENTRIES[1]}。为贯彻")
    issue = parse_issue(text, "repeated.txt", domain)
    second = issue.features[1]
    assert second.paragraphs[0].startswith(f"5月13日下午，{ENTRIES[1]}。为贯彻")
    assert second.paragraphs[1:] == clean.features[1].paragraphs[1:]
    assert issue.features[0] == clean.features[0]
    assert issue.warnings == (f"{DIFFERS}{ENTRIES[1]} / 青科会助力大孵化集群发展座读会名开",)
    assert (issue.report.unassigned_chars, issue.report.flagged) == (0, False)


# An attribution with one bracket lost -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "department"),
    [
        ("开展活动鹿城区科协)", "鹿城区科协"),
        ("开展活动（鹿城区科协", "鹿城区科协"),
        ("开展活动。（ 鹿城区科协 ", "鹿城区科协"),
        ("开展活动市科协学会部）", "市科协学会部"),
        ("开展活动文成科协】", "文成科协"),
        ("开展活动（来源：苍南县科协", "苍南县科协"),
    ],
)
def test_an_attribution_with_one_bracket_names_a_known_department(domain, text, department):
    assert split_attribution(text, domain) == (text[:4] + ("。" if "。" in text else ""), department)


@pytest.mark.parametrize(
    "text",
    [
        "活动在线上举行(线上)",
        "活动圆满结束(2022)",
        # department_pattern would take 开展培训科协 for a department; with one bracket it must be known.
        "开展培训科协)",
        "开展活动（温州市护理学会",
        "举办讲座（第二部",
        # The bracket opened before the department holds more than it.
        "活动（参加的有龙湾区科技局、瓯海区科技局、鹿城区科技局和鹿城区科协)",
        "会议决定成立鹿城区科协",
    ],
)
def test_text_ending_in_a_bracket_is_not_cut(domain, text):
    assert split_attribution(text, domain) == (text, None)


@pytest.mark.parametrize("closing", ["鹿城区科协)", "（鹿城区科协"])
def test_a_brief_whose_attribution_lost_a_bracket(domain, seed_text, clean, closing):
    text = replaced_once(seed_text, "法治教育学习会（鹿城区科协）", f"法治教育学习会{closing}")
    issue = parse_issue(text, "bracket.txt", domain)
    brief = issue.briefs[7]
    assert (brief.date.isoformat(), brief.title, brief.department, brief.counties) == BRIEFS[7]
    assert issue.articles == clean.articles
    assert issue.report == CLEAN_REPORT


def test_a_feature_whose_attribution_lost_a_bracket(domain, seed_text, clean):
    text = replaced_once(seed_text, "高光时刻。（市科协学会部）", "高光时刻。市科协学会部)")
    issue = parse_issue(text, "bracket.txt", domain)
    assert issue.features[3].department == FEATURES[3][2] == "市科协学会部"
    assert (issue.articles, issue.report) == (clean.articles, CLEAN_REPORT)
