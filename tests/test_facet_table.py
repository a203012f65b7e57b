"""The facet table against plain Python over the same documents: counts by either way of counting, and
the first documents of a set by date."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Sequence

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


def tag_table(by_doc: Sequence[tuple[str, ...]], frequent: int = 0) -> FacetTable:
    """A table of one facet, "tag", with these values per document; its `frequent` most frequent values
    counted on a large set."""
    size, holding = len(by_doc), defaultdict(list)
    for docnum, values in enumerate(by_doc):
        for value in values:
            holding[value].append(docnum)
    postings = {value: bitmap(docnums, size) for value, docnums in holding.items()}
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
        candidates={
            "tag": sorted(postings, key=lambda value: (-postings[value].bit_count(), value))[:frequent]
        },
    )


def valued_table(size: int, seed: int) -> FacetTable:
    """Documents with none to three of sixty skewed values, the ten most frequent counted on a large set."""
    rng = random.Random(seed)
    by_doc = [
        tuple(dict.fromkeys(f"v{int(60 * rng.random() ** 2)}" for _ in range(rng.randint(0, 3))))
        for _ in range(size)
    ]
    return tag_table(by_doc, frequent=10)


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


class ReadCounted(tuple):
    """A facet's per-document values that count how many docs were read."""

    reads = 0

    def __getitem__(self, docnum):
        ReadCounted.reads += 1
        return super().__getitem__(docnum)


def test_a_result_of_docs_with_many_values_is_counted_by_bitmaps(monkeypatch):
    """The archive holds ~1.4 values a doc, so the average says tally 400 docs doc by doc; these docs
    hold 40 values each, which a sample of them shows, and bitmaps count them sooner."""
    monkeypatch.setattr(facet_table, "BITMAP_COUNT_DOCS", 1000)
    size, crowded = 40_000, range(0, 40_000, 100)
    by_doc = [(f"v{docnum % 50}",) for docnum in range(size)]
    for docnum in crowded:
        by_doc[docnum] = tuple(f"v{n}" for n in range(40))
    table = tag_table(ReadCounted(by_doc))
    assert table.values_per_doc["tag"] < 1.4
    plain = Counter(value for docnum in crowded for value in by_doc[docnum])
    ReadCounted.reads = 0
    assert table.count("tag", table.bitmap(crowded)) == dict(plain)
    assert 0 < ReadCounted.reads <= 2 * facet_table.VALUES_SAMPLE  # the sample only
    ordinary = range(1, 40_000, 100)
    ReadCounted.reads = 0
    assert table.count("tag", table.bitmap(ordinary)) == dict(Counter(by_doc[d][0] for d in ordinary))
    assert ReadCounted.reads >= len(ordinary)  # tallied doc by doc


def test_facets_that_count_the_same_docs_list_them_once(monkeypatch):
    monkeypatch.setattr(facet_table, "BITMAP_COUNT_DOCS", 1)  # every facet doc by doc
    listed: list[int] = []
    listed_docnums = facet_table.listed_docnums
    monkeypatch.setattr(
        facet_table, "listed_docnums", lambda docs: listed.append(docs) or listed_docnums(docs)
    )
    table = valued_table(2000, 300)
    for name in ("other", "third"):
        table.postings[name], table.values[name] = table.postings["tag"], table.values["tag"]
        table.values_per_doc[name] = table.values_per_doc["tag"]
    some, fewer = table.bitmap(range(0, 2000, 7)), table.bitmap(range(0, 2000, 14))
    counted = table.count_each({"tag": some, "other": some, "third": fewer})
    assert listed == [some, fewer]
    assert counted["tag"] == counted["other"] == table.count("tag", some) != counted["third"]
    assert counted["third"] == table.count("tag", fewer)
