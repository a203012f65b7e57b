"""bench.generate: the issues it writes parse back, through indexer.parse.parse_issue, into exactly the
articles it meant; the seed vocabulary writes the same bytes as before the realistic one existed."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from bench import generate
from indexer.parse import parse_issue
from tests.conftest import SEED

# Issue 2 names 乐清市委, issue 270 starts the wrap after SPAN_MONTHS over again (2027-06).
CHECKED_ISSUES = (1, 2, 3, 270)
# sha256 of issues 1 and 270 (seed 1) as the seed vocabulary wrote them before the realistic one.
SEED_VOCABULARY_SHA256 = {
    1: "ea6071bdebef2484decfe865436db5f2c52baabf53e74d6bb317606b898ff843",
    270: "5ce5e783f211de4f892d3c1112ea7c51515ef34e8dd800c1764119d238a08629",
}


@pytest.fixture(scope="module")
def seed_text():
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def realistic(seed_text):
    return generate.make_generator(1, seed_text, "realistic")


@pytest.fixture(scope="module")
def parsed(realistic, domain):
    """{issue number: (the articles as generated, the issue as parse_issue reads it)}"""
    issues = {}
    for total in CHECKED_ISSUES:
        name, text, intended = realistic.planned_issue(total)
        issues[total] = (intended, parse_issue(text, name, domain))
    return issues


@pytest.mark.parametrize("total", CHECKED_ISSUES)
def test_realistic_issue_parses_as_generated(parsed, total):
    intended, issue = parsed[total]
    assert issue.id == str(total)
    assert issue.warnings == ()
    assert [(a.kind, a.title, a.date, a.department) for a in issue.articles] == [
        (i.kind, i.title, i.date, i.department) for i in intended
    ]


def test_realistic_issue_counts_and_dates(parsed):
    counts = {
        total: (
            sum(a.kind == "feature" for a in issue.articles),
            sum(a.kind == "brief" for a in issue.articles),
        )
        for total, (_, issue) in parsed.items()
    }
    assert counts == {
        total: (sum(i.kind == "feature" for i in intended), sum(i.kind == "brief" for i in intended))
        for total, (intended, _) in parsed.items()
    }
    assert {total: issue.date for total, (_, issue) in parsed.items()} == {
        1: dt.date(2005, 1, 31),
        2: dt.date(2005, 2, 28),
        3: dt.date(2005, 3, 31),
        270: dt.date(2027, 6, 30),
    }


def counties(parsed) -> tuple[dict, dict]:
    """({article id: counties as generated}, {article id: counties as parsed})"""
    generated, found = {}, {}
    for intended, issue in parsed.values():
        for article, meant in zip(issue.articles, intended, strict=True):
            generated[article.id], found[article.id] = set(meant.counties), set(article.counties)
    return generated, found


def test_realistic_counties_parse_as_generated(parsed):
    generated, found = counties(parsed)
    assert found == generated


def test_same_seed_same_bytes_and_issue_k_independent_of_n(tmp_path, seed_text):
    three = generate.generate(3, 7, tmp_path / "three", seed_text)
    five = generate.generate(5, 7, tmp_path / "five", seed_text)
    assert [p.name for p in three] == [p.name for p in five[:3]]
    assert [p.read_bytes() for p in three] == [p.read_bytes() for p in five[:3]]
    (again,) = generate.generate(5, 7, tmp_path / "again", seed_text, first=5)
    assert again.read_bytes() == five[4].read_bytes()


@pytest.mark.parametrize("total", sorted(SEED_VOCABULARY_SHA256))
def test_seed_vocabulary_unchanged(seed_text, total):
    _, text = generate.make_generator(1, seed_text, "seed").issue(total)
    assert hashlib.sha256(text.encode("utf-8")).hexdigest() == SEED_VOCABULARY_SHA256[total]
