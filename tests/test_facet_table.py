"""The facet table's date order: the first documents of a set by date, against a plain sort of the set."""

from __future__ import annotations

import random

import pytest

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
