"""bench.vocabulary: distinct CJK bigrams and jieba words at prefixes of an archive, and the Heaps fit."""

from __future__ import annotations

import pytest

from bench.vocabulary import fit_heaps, markdown, measure


def doc(issue: str, kind: str, title: str, body: str) -> dict:
    return {"issue": issue, "kind": kind, "title": title, "body": body}


# Issue 2 listed first: prefixes follow the issue numbers, not the order of the docs.
DOCS = [
    doc("2", "brief", "青年科学家在温州", "青年科学家在温州"),
    doc("1", "feature", "科技", "创新发展。ABC 2022"),
    doc("1", "brief", "科技创新", "科技创新"),
]


def test_counts_at_each_prefix():
    measured = measure(DOCS, checkpoints=(1,))
    assert measured["points"] == [
        # 科技 创新发展 科技创新: 科技 创新 新发 发展 技创; words 科技 创新 发展 (ABC and 2022 are no CJK).
        {"issues": 1, "characters": 10, "bigrams": 5, "words": 3},
        # A brief's title is its body, read once: 青年 年科 科学 学家 家在 在温 温州; 青年 科学家 在 温州.
        {"issues": 2, "characters": 18, "bigrams": 12, "words": 7},
    ]


def test_heaps_fit_recovers_the_law():
    fit = fit_heaps([(100, 20), (10_000, 200), (1_000_000, 2_000)])
    assert fit.k == pytest.approx(2.0)
    assert fit.beta == pytest.approx(0.5)


def test_no_fit_from_one_size():
    assert fit_heaps([(100, 20)]) is None
    assert measure(DOCS[:1])["heaps"] == {"bigrams": None, "words": None}


def test_markdown_table():
    assert markdown(measure(DOCS, checkpoints=(1,))) == [
        "| issues | CJK characters | distinct bigrams | distinct words |",
        "| ---: | ---: | ---: | ---: |",
        "| 1 | 10 | 5 | 3 |",
        "| 2 | 18 | 12 | 7 |",
        "",
        "Heaps' law V = K·n^β (n = CJK characters): bigrams: K = 0.162, β = 1.489; words: K = 0.109, β = 1.442.",
    ]
