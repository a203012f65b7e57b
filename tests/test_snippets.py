"""Snippets: escaped text around the longest match, every match in <mark>, spaces inside a match allowed."""

from __future__ import annotations

from indexer.snippets import SNIPPET_LEAD, highlight, highlight_pattern, make_snippet


def test_archive_text_is_escaped_around_and_inside_marks():
    pattern = highlight_pattern(["<b>"])
    assert highlight("a<b>&<B>", pattern) == "a<mark>&lt;b&gt;</mark>&amp;<mark>&lt;B&gt;</mark>"
    assert highlight("<i>", None) == "&lt;i&gt;"


def test_a_match_may_have_spaces_between_its_characters():
    pattern = highlight_pattern(["科技", "科技 创新"])
    assert highlight("推进科 技\n创新。科技", pattern) == "推进<mark>科 技\n创新</mark>。<mark>科技</mark>"
    assert highlight_pattern([" ", ""]) is None


def test_the_window_opens_before_the_first_longest_match():
    text = "甲" * 100 + "科技" + "乙" * 50 + "科技创新" + "丙  \n" * 200
    snippet = make_snippet(text, highlight_pattern(["科技", "科技创新"]), width=40)
    assert snippet == "…" + "乙" * SNIPPET_LEAD + "<mark>科技创新</mark>" + "丙 " * 3 + "…"
