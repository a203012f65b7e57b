"""The facet table against plain Python over the same documents: counts by either way of counting, and
the first documents of a set by date."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from indexer.engine import facet_table
from indexer.engine.bitmaps import bitmap
from indexer.engine.facet_table import DATE_SCAN_FACTOR, FacetTable


def dated_table(size: int, seed: int) -> FacetTable:
    """Documents over a dozen dates in random docnum order, so most documents share their date."""
    rng = random.Random(seed)
    dates = [f"2022-{rng.randint(1, 3):02d}-{rng.randint(1, 4):02d}" for _ in range(size)]
    return FacetTable(
        size=size,
        postings={},
        values={},
        issues={},
        dates=dates,
        date_order=sorted(range(size), key=lambda d: (dates[d], d)),
        month_spans=[],
        month_docs=[],
        live=bitmap(range(size), size),
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_newest_is_the_plain_order_cut_at_count_whatever_the_count(seed):
    """Newest first with ties by docnum ascending, oldest first as its reverse, for counts small enough
    that the set is walked in date order and large enough that it is sorted: every count's answer is
    the first `count` of one order, so a page is a slice of any deeper ranking."""
    table = dated_table(600, seed)
    rng = random.Random(seed)
    members = sorted(rng.sample(range(table.size), 400))
    newest = sorted(members, key=lambda d: (table.dates[d], -d), reverse=True)
    counts = (1, 5, 19, 20, 21, 40, 100)
    assert any(len(members) > count * DATE_SCAN_FACTOR for count in counts)  # walked
    assert any(len(members) <= count * DATE_SCAN_FACTOR for count in counts)  # sorted
    docs = table.bitmap(members)
    for count in counts:
        assert table.newest(docs, count) == newest[:count], count
        assert table.newest(docs, count, oldest=True) == newest[::-1][:count], count


def valued_table(size: int, seed: int) -> FacetTable:
    """Documents with none to three of sixty skewed values, the ten most frequent counted on a large set."""
    rng = random.Random(seed)
    by_doc = [
        tuple(dict.fromkeys(f"v{int(60 * rng.random() ** 2)}" for _ in range(rng.randint(0, 3))))
        for _ in range(size)
    ]
    postings = {
        value: bitmap((d for d in range(size) if value in by_doc[d]), size)
        for value in {v for values in by_doc for v in values}
    }
    frequent = sorted(postings, key=lambda value: (-postings[value].bit_count(), value))[:10]
    return FacetTable(
        size=size,
        postings={"tag": postings},
        values={"tag": by_doc},
        issues={},
        dates=[],
        date_order=[],
        month_spans=[],
        month_docs=[],
        live=bitmap(range(size), size),
        values_per_doc={"tag": sum(map(len, by_doc)) / size},
        candidates={"tag": frequent},
    )


@pytest.mark.parametrize("tally_docs", [1, 10**9])  # every set by bitmaps; every set doc by doc
@pytest.mark.parametrize("members", [0, 7, 300, 1500])  # past SAMPLED_SCAN_LIMIT: the frequent values
def test_counts_are_the_plain_tally_either_way(monkeypatch, tally_docs, members):
    monkeypatch.setattr(facet_table, "BITMAP_COUNT_DOCS", tally_docs)
    monkeypatch.setattr(facet_table, "SAMPLED_SCAN_LIMIT", 1000)
    table = valued_table(2000, members)
    chosen = random.Random(members).sample(range(table.size), members)
    plain = Counter(value for docnum in chosen for value in table.values["tag"][docnum])
    if members > 1000:
        plain = Counter({value: plain[value] for value in table.candidates["tag"]})
    counted = table.count("tag", table.bitmap(chosen))
    assert dict(counted) == dict(plain)  # zero counts too: a Counter compares them as missing
