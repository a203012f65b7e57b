"""Normalization: what a PDF producer or a web page printed, as a reader would type it."""

from __future__ import annotations

import pytest

from indexer.normalize import RADICALS_SUPPLEMENT, normalize_characters, normalize_text


@pytest.mark.parametrize(
    "printed, typed",
    [
        ("5 \u2f49 31 日", "5 月 31 日"),  # Kangxi radical MOON
        ("\u2ed8科会", "青科会"),  # CJK radical BLUE
        ("\u2ef0湾区", "龙湾区"),  # CJK radical C-SIMPLIFIED DRAGON
        ("\u2ed3江", "长江"),  # C-SIMPLIFIED LONG
        ("\u2ed4口", "门口"),  # C-SIMPLIFIED GATE
        ("\u2f2f作", "工作"),  # Kangxi WORK, as Chromium writes 工
        ("\u2fc5城区", "鹿城区"),  # Kangxi DEER
        ("\uf9b4", "\u9818"),  # a CJK compatibility ideograph
        ("ＡＩ与２０２２年", "AI与2022年"),
        ("（市科协）：“好”，。！？", "（市科协）：“好”，。！？"),  # Chinese punctuation stays
        ("科\u200b创\u00ad中国\ufeff", "科创中国"),
    ],
)
def test_characters(printed, typed):
    assert normalize_characters(printed) == typed


def test_supplement_table_is_complete():
    assert len(RADICALS_SUPPLEMENT) == 114
    assert all(
        "\u4e00" <= v <= "\u9fff" or "\u3400" <= v <= "\u4dbf" or v >= "\U00020000"
        for v in RADICALS_SUPPLEMENT.values()
    )


def test_page_furniture_dropped_and_pages_kept():
    text = (
        "温州科协信息\n第 5 期\n正文第一段\n— 1 —\n"
        "\f温州科协信息\n正文第二段\n- 2 -\n"
        "\f第 3 页 共 9 页\n3 / 9\n4\n最后一段\n"
    )
    assert normalize_text(text) == (
        "温州科协信息\n\n第 5 期\n\n正文第一段\n\n\f\n\n正文第二段\n\n\f\n\n最后一段\n"
    )


def test_lines_stay_lines_and_spaces_collapse():
    assert (
        normalize_text("  科技惠企\u3000 创新赋能  \r\n\r\n\r\n第二行\t\tAI  \n")
        == "科技惠企 创新赋能\n\n第二行 AI\n"
    )
