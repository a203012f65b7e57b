"""The real issue exported to PDF by LibreOffice in three layouts (tests/data/office/), and the rules that read
them: list bullets in the contents, running headers and footers, two columns, Latin quotes, autospace."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from indexer.formats import extract_document
from indexer.formats.pdf import (
    Line,
    PageLines,
    drop_running_furniture,
    join_chars,
    paragraphs_text,
    reading_order,
)
from indexer.normalize import squeeze
from indexer.parse import Paragraph, parse_contents, parse_issue, split_attribution
from tests.expected import BRIEFS, FEATURE_PARAGRAPHS, FEATURES

OFFICE = Path(__file__).resolve().parent / "data" / "office"
LAYOUTS = {
    # layout: (pages, what it carries)
    "a": 8,  # masthead table, ★ list bullets, “★ in a quote, 第 N 页 共 M 页 footer, two-column 简讯, Latin quotes
    "b": 9,  # "1." numbered contents, spaces typed between Chinese and digits, "- N -" footer, wrapping titles
    "c": 6,  # masthead text box, ◆ typed bullets, header on the right, page number alone, two-column 简讯
    # made after the reader was done: ① typed, everything below the contents in two columns, 第N页 footer
    "d": 6,
}


@pytest.fixture(scope="module")
def documents():
    return {name: extract_document(OFFICE / f"issue270-layout-{name}.pdf") for name in LAYOUTS}


@pytest.fixture(scope="module")
def issues(documents, domain):
    return {name: parse_issue(document.text, document.source, domain) for name, document in documents.items()}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_office_pdf_masthead_and_pages(issues, documents, layout):
    issue = issues[layout]
    assert (issue.id, issue.number, issue.date.isoformat()) == ("270", 5, "2022-05-31")
    assert documents[layout].page_count == LAYOUTS[layout]
    assert issue.warnings == ()


@pytest.mark.parametrize("layout", LAYOUTS)
def test_office_pdf_features(issues, layout):
    issue = issues[layout]
    assert list(issue.contents) == [title for title, *_ in FEATURES]
    got = [(f.title, f.date.isoformat(), f.department, f.counties) for f in issue.features]
    assert got == FEATURES
    assert [len(f.paragraphs) for f in issue.features] == FEATURE_PARAGRAPHS


@pytest.mark.parametrize("layout", LAYOUTS)
def test_office_pdf_briefs(issues, layout):
    got = [(b.date.isoformat(), b.title, b.department, b.counties) for b in issues[layout].briefs]
    assert got == BRIEFS


@pytest.mark.parametrize("layout", LAYOUTS)
def test_office_pdf_feature_text_is_the_seeds(issues, domain, layout):
    from tests.data.make_office_fixtures import CJK_DIGIT, seed_issue

    typed = (lambda text: CJK_DIGIT.sub(" ", text)) if layout == "b" else str
    for (_, written), feature in zip(seed_issue().features, issues[layout].features, strict=True):
        *whole, last = [typed(text) for text in written]
        # The attribution closes the last paragraph, or stands alone (feature 2).
        closing = split_attribution(last, domain)[0]
        assert list(feature.paragraphs) == ([*whole, closing] if closing else whole)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_office_pdf_running_headers_and_footers_dropped(documents, layout):
    text = squeeze(documents[layout].text)
    assert "温州科协信息2022年第5期" not in text
    assert "页共" not in text
    assert text.count("温州科协信息") == 1  # the masthead


def test_latin_quotes_stay_in_their_line(documents):
    # LibreOffice set layout a's quotes in Liberation Serif; pdfminer's own lines put them apart.
    paragraphs = documents["a"].text.split("\n\n")
    assert "“" not in paragraphs and "”" not in paragraphs
    # One paragraph, quotes in place; the space in 科技惠企 创新赋能 was typed where the line wraps.
    opening = (
        "为扎实推进温州市“科创中国”试点城市建设，促进科技经济深度融合，更好地服务我市企业创新升级和高质量发展，"
        "5月13日下午，温州市科协举办了以“科技惠企 创新赋能”为主题的“科创中国”温州站推介大会。"
    )
    assert len([p for p in paragraphs if p.startswith(opening)]) == 1


def test_two_column_briefs_read_column_by_column(documents):
    text = documents["c"].text
    # Left column ends with 5月21日's brief (cut over two columns in a) and the right one opens with 5月23日.
    order = [text.index(f"5月{day}日，") for day in (1, 12, 15, 21, 23, 28, 30)]
    assert order == sorted(order)
    assert (
        "5月12日，凝聚护士力量·守护人类健康——温州市护理学会举办“5·12”国际护士节线上纪念活动（市科协学会部）"
        in text
    )


# -- contents bullets -----------------------------------------------------------------------------------


def contents(*lines: str) -> list[str]:
    return parse_contents([Paragraph(line, 1) for line in lines])[0]


@pytest.mark.parametrize(
    "bullet",
    ["★", "◆", "●", "■", "•", "▪", "▶", "→", "①", "1.", "1、", "（一）", "(1)", "一、", "- "],
)
def test_contents_bullet_stripped(bullet):
    first = bullet.replace("1", "2").replace("一", "二").replace("①", "②")
    assert contents(f"{bullet}科技惠企 创新赋能", f"{first} 青科会助力大孵化集群发展座谈会召开") == [
        "科技惠企 创新赋能",
        "青科会助力大孵化集群发展座谈会召开",
    ]


def test_contents_bullet_inside_opening_quote_stripped():
    assert contents(
        "★ 青科会助力大孵化集群发展座谈会召开", "“★ 科创中国”温州站——智能装备工作座谈会在平阳召开"
    ) == [
        "青科会助力大孵化集群发展座谈会召开",
        "“科创中国”温州站——智能装备工作座谈会在平阳召开",
    ]


def test_contents_number_before_a_digit_is_text():
    assert contents("● 5.30全国科技工作者日走访慰问", "● 12个项目签约") == [
        "5.30全国科技工作者日走访慰问",
        "12个项目签约",
    ]


def test_contents_unbulleted_line_continues_entry():
    assert contents("1. 青科会成果谋划与落地督导工作专班赴龙湾、", "乐清督查调研", "2. 市科协召开会议") == [
        "青科会成果谋划与落地督导工作专班赴龙湾、乐清督查调研",
        "市科协召开会议",
    ]


# -- PDF geometry ---------------------------------------------------------------------------------------


@dataclass
class Glyph:
    """What join_chars reads of pdfminer's LTChar."""

    text: str
    x0: float
    x1: float
    size: float = 10.0

    def get_text(self) -> str:
        return self.text


def glyphs(*pieces: tuple[str, float]) -> list[Glyph]:
    """Each piece's characters set 10 wide, the piece starting at its x."""
    return [Glyph(char, x + 10 * i, x + 10 * (i + 1)) for text, x in pieces for i, char in enumerate(text)]


def test_autospace_between_chinese_and_digits_is_not_a_space():
    # LibreOffice sets digits a fifth of an em away from Chinese, with no glyph in the gap.
    assert join_chars(glyphs(("于", 0), ("5", 12), ("月", 24), ("13", 36), ("日", 58))) == "于5月13日"


def test_typed_space_glyph_kept():
    assert join_chars(glyphs(("第", 0), (" ", 10), ("5", 13), (" ", 23), ("期", 26))) == "第 5 期"
    # at the end of a wrapped line, for the line that continues it
    assert join_chars(glyphs(("科技惠企", 0), (" ", 40))) == "科技惠企 "


def test_typed_space_between_chinese_and_latin_words_kept():
    assert join_chars(glyphs(("科技惠企", 0), ("创新赋能", 45))) == "科技惠企 创新赋能"
    assert join_chars(glyphs(("Page", 0), ("three", 43))) == "Page three"
    assert join_chars(glyphs(("科创", 0), ("中国", 21))) == "科创中国"


def test_spaces_typed_between_chinese_and_numbers_left_out_of_titles(domain):
    text = (
        "温州科协信息\n\n第 5 期\n\n(总第 270 期)\n\n2022 年 5 月 31 日\n\n本期要目\n\n1. 2022 青科会筹备会召开\n\n"
        "2022 青科会筹备会召开\n\n5 月 9 日，会议召开。（市科协学会部）\n\n简讯\n\n"
        "5 月 10 日，泰顺县科协开展 2022 年科普助力乡村振兴活动（泰顺县科协）\n"
    )
    issue = parse_issue(text, "spaced.txt", domain)
    assert [(a.title, a.date.isoformat()) for a in issue.articles] == [
        ("2022青科会筹备会召开", "2022-05-09"),
        ("泰顺县科协开展2022年科普助力乡村振兴活动", "2022-05-10"),
    ]


def line(text: str, x0: float, x1: float, top: float, height: float = 10.0) -> Line:
    return Line(text, x0, x1, top - height, top)


def test_running_header_and_page_numbers_dropped_by_position():
    pages = [
        PageLines(
            842,
            [
                line("温州科协信息 2022年第5期", 200, 400, 810),
                line("温州科协信息 2022年第5期", 72, 520, 700),  # the same words in the text stay
                line(f"第 {n} 页 共 3 页", 250, 350, 40),
            ],
        )
        for n in (1, 2, 3)
    ]
    pages[2].lines.append(line("- 3 -", 280, 300, 25))
    pages[2].lines.append(line("3", 500, 505, 820))
    drop_running_furniture(pages)
    assert [[x.text for x in page.lines] for page in pages] == [["温州科协信息 2022年第5期"]] * 3


def test_line_in_the_margin_band_on_one_page_only_kept():
    pages = [PageLines(842, [line("会议强调", 72, 200, 815)]), PageLines(842, [line("正文", 72, 200, 700)])]
    drop_running_furniture(pages)
    assert [x.text for x in pages[0].lines] == ["会议强调"]


def test_two_columns_read_left_then_right_and_page_wide_lines_in_place():
    rows = [line("全宽正文第一行全宽正文第一行", 72, 520, 700), line("简讯", 280, 310, 680)]
    for row in range(4):
        top = 660 - 15 * row
        rows += [line(f"左{row}", 72, 290, top), line(f"右{row}", 310, 520, top - 2)]
    rows.append(line("全宽正文最后一行全宽正文", 72, 520, 580))
    rows.sort(key=lambda x: -x.y1)
    assert [x.text for x in reading_order(rows)] == [
        "全宽正文第一行全宽正文第一行",
        "简讯",
        "左0",
        "左1",
        "左2",
        "左3",
        "右0",
        "右1",
        "右2",
        "右3",
        "全宽正文最后一行全宽正文",
    ]


def test_line_ending_short_of_a_number_that_did_not_fit_continues():
    above = Line("为进一步推进2021青科会成果落地转化和", 95, 275, 690, 700, 72, 300)
    below = Line(
        "2022青科会成果谋划，根据青科会成果谋划与落地督导工作专班", 72, 250, 676, 686, 72, 300, lead_width=22
    )
    short = Line("会议召开。", 72, 122, 662, 672, 72, 300)
    assert paragraphs_text([above, below, short]).split("\n\n") == [
        "为进一步推进2021青科会成果落地转化和2022青科会成果谋划，根据青科会成果谋划与落地督导工作专班",
        "会议召开。",
    ]


def test_short_lines_ending_alike_are_not_columns():
    # Paragraph ends and centred lines of one page: no row holds two of them side by side.
    rows = [line(f"短行{row}", 72, 290, 700 - 40 * row) for row in range(4)]
    rows += [line(f"居中{row}", 310, 400, 680 - 40 * row) for row in range(4)]
    rows.sort(key=lambda x: -x.y1)
    assert [x.text for x in reading_order(rows)] == [x.text for x in rows]


# -- the generator ----------------------------------------------------------------------------------------


@pytest.mark.skipif(
    shutil.which("soffice") is None, reason="soffice not installed (Debian libreoffice-writer)"
)
def test_generator_makes_a_pdf_that_parses(tmp_path, domain):
    from tests.data.make_office_fixtures import make_layout

    source, pdf = make_layout("b", tmp_path)
    assert source.name == "issue270-layout-b.docx"
    issue = parse_issue(extract_document(pdf).text, str(pdf), domain)
    assert [f.title for f in issue.features] == [title for title, *_ in FEATURES]
    assert len(issue.briefs) == 29
