"""Normalization: what a PDF producer or a web page printed, as a reader would type it."""

from __future__ import annotations

import unicodedata

import pytest

from indexer.normalize import (
    RADICALS_SUPPLEMENT,
    join_lines,
    normalize_characters,
    normalize_text,
)


@pytest.mark.parametrize(
    "printed, typed",
    [
        ("5 \u2f49 31 日", "5 月 31 日"),  # ⽉ Kangxi radical MOON
        ("\u2ed8科会", "青科会"),  # ⻘ CJK radical BLUE
        ("\u2ef0湾区", "龙湾区"),  # ⻰ CJK radical C-SIMPLIFIED DRAGON
        ("\u2ed3江", "长江"),  # ⻓ C-SIMPLIFIED LONG
        ("\u2ec5证", "见证"),  # ⻅ C-SIMPLIFIED SEE
        ("\u2ed4口", "门口"),  # ⻔ C-SIMPLIFIED GATE
        ("\u2edb险", "风险"),  # ⻛ C-SIMPLIFIED WIND
        ("\u2ef3山", "龟山"),  # ⻳ one of the two NFKC does map
        ("\u2f2f作", "工作"),  # ⼯ Kangxi WORK, as Chromium writes 工
        ("\u2fc5城区", "鹿城区"),  # ⿅ Kangxi DEER
        ("\u2f24会", "大会"),  # ⼤ Kangxi BIG
        ("\uf9b4", "\u9818"),  # a CJK compatibility ideograph
        ("\u2e80", "\u2e80"),  # REPEAT has no ideograph: left alone
        ("ＡＩ与２０２２年", "AI与2022年"),
        ("（市科协）：“好”，。！？；、", "（市科协）：“好”，。！？；、"),  # Chinese punctuation stays
        ("科\u200b创\u00ad中国\ufeff\u2060", "科创中国"),
        ("a\r\nb\rc", "a\nb\nc"),
    ],
)
def test_characters(printed, typed):
    assert normalize_characters(printed) == typed


def test_supplement_table_is_complete():
    assigned = [c for c in map(chr, range(0x2E80, 0x2F00)) if unicodedata.name(c, "")]
    assert len(assigned) == 115
    assert sorted(RADICALS_SUPPLEMENT) == [c for c in assigned if c != "\u2e80"]
    assert all(unicodedata.name(v).startswith("CJK UNIFIED IDEOGRAPH") for v in RADICALS_SUPPLEMENT.values())
    # Where NFKC knows the answer, the table agrees with it.
    assert RADICALS_SUPPLEMENT["\u2e9f"] == unicodedata.normalize("NFKC", "\u2e9f") == "母"
    assert RADICALS_SUPPLEMENT["\u2ef3"] == unicodedata.normalize("NFKC", "\u2ef3") == "龟"


def test_full_width_space_and_runs_of_spaces():
    assert (
        normalize_text("  科技惠企\u3000 创新赋能  \n\n\t第二行\t\tAI  \n")
        == "科技惠企 创新赋能\n\n第二行 AI\n"
    )


@pytest.mark.parametrize(
    "left, right, joined",
    [
        ("科技经济深", "度融合", "科技经济深度融合"),
        ("the quick brown", "fox", "the quick brown fox"),
        ("总第", "270 期", "总第270 期"),
        ("2022", "年", "2022年"),
        ("100", "200", "100 200"),
        ("“科创中国”", "试点", "“科创中国”试点"),
    ],
)
def test_join_lines(left, right, joined):
    assert join_lines(left, right) == joined


def test_wrapped_lines_join_within_a_paragraph():
    text = (
        "温州科协信息\n第 5 期\n\n"
        "为扎实推进温州市“科创中国”试点城市建设，促进科\n"
        "技经济深度融合，更好地服务我市企业创新升级和高\n"
        "质量发展。\n\n"
        "The meeting was held in Wenzhou on May 13, with\n"
        "100 guests.\n"
    )
    assert normalize_text(text) == (
        "温州科协信息\n\n第 5 期\n\n"
        "为扎实推进温州市“科创中国”试点城市建设，促进科技经济深度融合，更好地服务我市企业创新升级和高质量发展。\n\n"
        "The meeting was held in Wenzhou on May 13, with 100 guests.\n"
    )


def test_list_items_and_indented_lines_start_paragraphs():
    text = (
        "本期要目\n"
        "- 科技惠企 创新赋能——“科创中国”温州站推介大会成功举办\n"
        "- 青科会助力大孵化集群发展座谈会召开成功召开成功召开\n\n"
        "\u3000\u3000一是典型经验交流，营造争先创业氛围，营造争先创\n"
        "业氛围。\n"
        "\u3000\u3000二是创新机制。\n"
    )
    assert normalize_text(text) == (
        "本期要目\n\n"
        "- 科技惠企 创新赋能——“科创中国”温州站推介大会成功举办\n\n"
        "- 青科会助力大孵化集群发展座谈会召开成功召开成功召开\n\n"
        "一是典型经验交流，营造争先创业氛围，营造争先创业氛围。\n\n"
        "二是创新机制。\n"
    )


def test_text_without_paragraph_marks_keeps_every_line():
    # One paragraph a line and no blank lines: nothing says a line was wrapped.
    text = "5月13日，市科协召开会议。\n5月17日，林建波赴瑞安调研。\n5月18日，座谈会在平阳召开。\n"
    assert normalize_text(text) == text.replace("\n", "\n\n")[:-1]


def test_paragraph_per_line_text_is_not_joined():
    # The seed's shape: lines far longer than a printed line are whole paragraphs already.
    long = "为进一步激发温州市“科创中国”试点城市建设工作活力" * 4
    assert normalize_text(f"标题\n\n{long}\n{long}\n") == f"标题\n\n{long}\n\n{long}\n"


@pytest.mark.parametrize(
    "footer", ["— 3 —", "- 3 -", "–3–", "第 3 页", "第3页 共12页", "第 3 页，共 12 页", "Page 3 of 12"]
)
def test_footers_dropped_anywhere(footer):
    assert normalize_text(f"甲段\n\n{footer}\n\n乙段\n") == "甲段\n\n乙段\n"


def test_bare_page_numbers_dropped_only_at_page_edges():
    text = "温州科协信息\n\n正文\n\n3\n\n2022\n\n末段\n\n3 / 12\n\f4\n\n次页\n\n5\n"
    assert normalize_text(text) == "温州科协信息\n\n正文\n\n3\n\n2022\n\n末段\n\n\f\n\n次页\n"


def test_running_header_dropped_after_the_first_page():
    text = (
        "温州科协信息\n第 5 期\n正文第一段\n— 1 —\n"
        "\f温州科协信息\n正文第二段\n- 2 -\n"
        "\f温 州 科 协 信 息 2022 年第 5 期\n第 3 页 共 9 页\n3 / 9\n最后一段\n"
        "\f温州科协信息工作会议召开\n"
    )
    assert normalize_text(text) == (
        "温州科协信息\n\n第 5 期\n\n正文第一段\n\n\f\n\n正文第二段\n\n\f\n\n最后一段\n\n\f\n\n"
        "温州科协信息工作会议召开\n"
    )


def test_running_header_found_whatever_spaces_a_pdf_put_in_the_masthead():
    # Letter-spaced with en spaces (U+2002) on the first page, the masthead once kept them, and so
    # never matched a later page's header; it is squeezed as the parser squeezes the publication.
    text = "温\u2002州\u2002科\u2002协\u2002信\u2002息\n正文第一段\n\f温州科协信息 第 5 期\n正文第二段\n"
    assert normalize_text(text) == (
        "温\u2002州\u2002科\u2002协\u2002信\u2002息\n\n正文第一段\n\n\f\n\n正文第二段\n"
    )


def test_page_breaks_are_lines_of_their_own_and_never_joined():
    text = "温州科协信息\n\n城市建设，发\f挥着重要作用\f\f末页\n"
    assert normalize_text(text) == (
        "温州科协信息\n\n城市建设，发\n\n\f\n\n挥着重要作用\n\n\f\n\n\f\n\n末页\n"
    )
    assert normalize_text(text).count("\f") == 3


def test_seed_issue_keeps_its_shape(seed_text):
    normalized = normalize_text(seed_text)
    assert normalized.startswith("温州科协信息\n\n第 5 期\n\n(总第 270 期)\n\n")
    assert "\n\n\n" not in normalized and "\f" not in normalized
    expected = [line.strip() for line in seed_text.splitlines() if line.strip()]
    assert normalized.split("\n\n") == expected[:-1] + [expected[-1] + "\n"]
