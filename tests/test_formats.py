"""The real issue in every format it arrives in parses to what a careful reader writes down."""

from __future__ import annotations

import datetime as dt

import pytest

from indexer.formats import extract_document
from indexer.normalize import squeeze
from indexer.parse import parse_issue
from tests.conftest import DATA, SEED
from tests.expected import BRIEFS, FEATURES

# Where each feature starts in the PDFs (the text formats have no pages).
FEATURE_PAGES = {
    "issue270-reportlab.pdf": [1, 2, 3, 4, 5, 5, 6, 7],
    "issue270-chromium.pdf": [1, 2, 3, 4, 4, 5, 6, 7],
}
# Pages of the first and last brief.
BRIEF_PAGES = {"issue270-reportlab.pdf": (8, 9), "issue270-chromium.pdf": (7, 9)}
FILES = [SEED, *(DATA / name for name in (
    "issue270-reportlab.pdf", "issue270-chromium.pdf", "issue270.html", "issue270-gb18030.txt", "issue270-bom.txt",
))]  # fmt: skip


@pytest.fixture(scope="module", params=FILES, ids=lambda path: path.name)
def parsed(request, domain, tmp_path_factory):
    document = extract_document(request.param, tmp_path_factory.mktemp("cache"))
    return request.param.name, document, parse_issue(document.text, str(request.param), domain)


@pytest.fixture(scope="module")
def reference(domain):
    return parse_issue(SEED.read_text(encoding="utf-8"), "seed", domain)


def test_issue_metadata(parsed):
    _, _, issue = parsed
    assert (issue.id, issue.publication, issue.number, issue.total_number, issue.date) == (
        "270",
        "温州科协信息",
        5,
        270,
        dt.date(2022, 5, 31),
    )
    assert issue.warnings == ()


def test_eight_features_titled_as_in_the_contents(parsed):
    _, _, issue = parsed
    assert len(issue.features) == 8
    assert list(issue.contents) == [title for title, *_ in FEATURES]
    assert [a.title for a in issue.features] == list(issue.contents)
    got = [(a.date.isoformat(), a.department, a.counties) for a in issue.features]
    assert got == [(date, department, counties) for _, date, department, counties in FEATURES]


def test_twenty_nine_briefs(parsed):
    _, _, issue = parsed
    got = [(b.date.isoformat(), b.title, b.department, b.counties) for b in issue.briefs]
    assert got == BRIEFS


def test_text_matches_the_plain_text_copy(parsed, reference):
    # PDFs lose the spaces between Chinese characters, so compare without whitespace.
    _, _, issue = parsed
    for article, expected in zip(issue.articles, reference.articles, strict=True):
        assert article.id == expected.id
        assert [squeeze(p) for p in article.paragraphs] == [squeeze(p) for p in expected.paragraphs]


def test_pages(parsed):
    name, document, issue = parsed
    if name in FEATURE_PAGES:
        assert [a.page for a in issue.features] == FEATURE_PAGES[name]
        assert (issue.briefs[0].page, issue.briefs[-1].page) == BRIEF_PAGES[name]
        assert document.page_count == 9
    else:
        assert {a.page for a in issue.articles} == {1}


def test_a_web_page_that_may_be_big5_carries_the_doubt():
    """Too short to tell GB18030 from Big5, and without a declared charset: read as GB18030 and said,
    as a text file is (the doubt reaches the issue's parse report and flags it)."""
    from indexer.formats import html

    page = "<html><body><p>第 5 期</p><p>x</p></body></html>".encode("big5")
    extracted = html.read(page, "short.html", None)
    assert extracted.problems == ("read as GB18030 but it may be Big5: save the file as UTF-8",)
    declared = html.read(b'<html><head><meta charset="big5"></head>' + page[6:], "declared.html", None)
    assert "第 5 期" in declared.text and declared.problems == ()
