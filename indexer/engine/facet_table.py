"""Per index generation, tables read from columns: every document's facet values (FacetTable) and
its match text (MatchTexts)."""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from heapq import nsmallest
from itertools import chain, groupby

from indexer import fields
from indexer.analysis import MATCH_PART_SEPARATOR
from indexer.engine.bitmaps import BIT, bitmap, docnums, listed_docnums
from indexer.engine.schema import (
    DATE_KEY,
    FACET_COLUMN,
    ISSUE_KEY,
    MATCH_TEXT_COLUMN,
    VALUE_SEPARATOR,
    decode_facets,
)

# A full garbage collection walks every element of every list, pausing all of a server's requests (at
# 2,700 issues ~0.24 s, 5.4 million of its 6.7 million references in per-document lists), but tuples
# of strings, numbers and such tuples drop out of its view: the per-document tables are tuples.

# Counting a sampled facet (fields.ValuesFacet.sampled) doc by doc is slow on a large result; past this size only the most
# frequent values of the whole archive are counted, by set intersection.
SAMPLED_SCAN_LIMIT = 3000
# Counting one facet value by bitmap costs about as much as tallying one value doc by doc for each this
# many documents of the archive (its bitmap's length): 1,212 at 270 issues, 1,439 at 2,700 (measured
# over nine searches and every facet: 0.09-0.1 µs a value tallied, 0.76 and 7.5 µs a bitmap), so a
# facet with many values (months) is counted doc by doc even on a large result.
BITMAP_COUNT_DOCS = 1300
# Docs of a result whose values are counted to tell whether tallying or bitmaps count it sooner.
VALUES_SAMPLE = 64
SAMPLED_CANDIDATES = 300
# Segments at least this large lead an index and stay as they are through additions (whoosh's merge
# policy folds only small ones together): FacetTable keeps their join for the next generation.
LEADING_PART_DOCS = 2000


def begins_with(items: Sequence, run: Sequence) -> bool:
    """Whether items begin with run's objects themselves (a join kept from the previous generation)."""
    return len(run) <= len(items) and all(a is b for a, b in zip(run, items[: len(run)], strict=True))


def leading_count(sizes: Sequence[int]) -> int:
    """How many of an index's segments, in order, lead it: each at least LEADING_PART_DOCS documents."""
    return next((i for i, size in enumerate(sizes) if size < LEADING_PART_DOCS), len(sizes))


DATE_SCAN_FACTOR = 20


def live_column_values(reader, name: str) -> Iterator[tuple[int, bytes]]:
    """(docnum, value) of a column for every live document, read a segment at a time: whoosh's
    multi-segment column reader looks up the segment of each docnum again, and all_doc_ids asks
    every segment about deletions doc by doc."""
    for leaf, base in reader.leaf_readers():
        if not leaf.has_column(name):
            continue
        deleted = leaf.is_deleted if leaf.has_deletions() else None
        for number, value in enumerate(leaf.column_reader(name)):
            if deleted is None or not deleted(number):
                yield base + number, value


@dataclass
class FacetPart:
    """One segment's facet values, its docnums counted from its first document: what
    FacetTable.assemble puts together, kept with the segment so that a new generation reads only the
    segments an update wrote (reading them all again was the largest part of preparing a new
    generation at 2,700 issues)."""

    size: int  # the segment's documents, deleted ones included
    values: dict[str, tuple[tuple[str, ...], ...]]  # facet → docnum → the doc's values
    dates: tuple[str, ...]  # by docnum; "" for deleted documents
    issues: dict[str, tuple[int, ...]]  # issue id → its docnums, ascending
    postings: dict[str, dict[str, int]]  # facet → value → bitmap
    counts: dict[str, dict[str, int]]  # facet → value → documents listing it

    @classmethod
    def read(cls, leaf) -> FacetPart:
        size = leaf.doc_count_all()
        names = fields.names()
        docs: dict[str, defaultdict[str, list[int]]] = {name: defaultdict(list) for name in names}
        values: dict[str, list[tuple[str, ...]]] = {name: [()] * size for name in names}
        issues: defaultdict[str, list[int]] = defaultdict(list)
        dates = [""] * size
        # A field's text (one value, or several joined) → its values: docs share these tuples, and
        # most texts recur, so each is split once.
        shared: dict[str, tuple[str, ...]] = {}
        for docnum, raw in live_column_values(leaf, FACET_COLUMN):
            for name, text in decode_facets(raw):
                if name == DATE_KEY:
                    dates[docnum] = text
                    continue
                if name == ISSUE_KEY:
                    issues[text].append(docnum)
                    continue
                tupled = shared.get(text)
                if tupled is None:
                    tupled = shared[text] = tuple(value for value in text.split(VALUE_SEPARATOR) if value)
                values[name][docnum] = tupled
                by_value = docs[name]
                for value in tupled:
                    by_value[value].append(docnum)
        return cls(
            size=size,
            values={name: tuple(per_doc) for name, per_doc in values.items()},
            dates=tuple(dates),
            issues={issue_id: tuple(numbers) for issue_id, numbers in issues.items()},
            postings={
                name: {value: bitmap(numbers, size) for value, numbers in by_value.items()}
                for name, by_value in docs.items()
            },
            counts={
                name: {value: len(numbers) for value, numbers in by_value.items()}
                for name, by_value in docs.items()
            },
        )


@dataclass(frozen=True)
class PartsJoined:
    """The facet parts of a run of segments put together, docnums counted from the run's first.
    FacetTable.assemble keeps the join of an index's leading large segments for the next generation:
    an update adds a segment behind them and whoosh merges only small ones, so the next table starts
    from it instead of shifting every value's bitmap of every segment again (~0.4 s at 2,700 issues)."""

    parts: tuple[FacetPart, ...]
    size: int
    values: dict[str, tuple[tuple[str, ...], ...]]
    postings: dict[str, dict[str, int]]
    counts: dict[str, dict[str, int]]
    issues: dict[str, tuple[int, ...]]
    dates: tuple[str, ...]
    by_date: dict[str, tuple[int, ...]]  # date → its live docnums, ascending
    month_bits: dict[str, int]  # month (2022-05) → its live documents
    live: int

    @classmethod
    def empty(cls) -> PartsJoined:
        names = fields.names()
        values: dict[str, tuple] = {name: () for name in names}
        return cls(
            (), 0, values, {name: {} for name in names}, {name: {} for name in names}, {}, (), {}, {}, 0
        )

    def plus(self, parts: Sequence[FacetPart]) -> PartsJoined:
        """This run with parts after it."""
        if not parts:
            return self
        names = fields.names()
        values = {name: list(self.values[name]) for name in names}
        postings = {name: dict(self.postings[name]) for name in names}
        counts = {name: dict(self.counts[name]) for name in names}
        issues: dict[str, list[int] | tuple[int, ...]] = dict(self.issues)
        dates = list(self.dates)
        by_date, month_bits, live = dict(self.by_date), dict(self.month_bits), self.live
        base = self.size
        for part in parts:
            added: defaultdict[str, list[int]] = defaultdict(list)
            for number, date in enumerate(part.dates):
                if date:
                    added[date].append(base + number)
            by_month: defaultdict[str, list[int]] = defaultdict(list)
            for date, numbers in added.items():
                by_date[date] = (*by_date.get(date, ()), *numbers)
                by_month[date[:7]] += numbers
            for month, numbers in by_month.items():
                bits = bitmap(numbers, base + part.size)
                month_bits[month] = month_bits.get(month, 0) | bits
                live |= bits
            for name in names:
                values[name] += part.values[name]
                combined = postings[name]
                for value, bits in part.postings[name].items():
                    combined[value] = combined.get(value, 0) | bits << base
                tally = counts[name]
                for value, count in part.counts[name].items():
                    tally[value] = tally.get(value, 0) + count
            for issue_id, numbers in part.issues.items():
                issues[issue_id] = (*issues.get(issue_id, ()), *(base + number for number in numbers))
            dates += part.dates
            base += part.size
        return PartsJoined(
            parts=self.parts + tuple(parts),
            size=base,
            values={name: tuple(per_doc) for name, per_doc in values.items()},
            postings=postings,
            counts=counts,
            issues=issues,
            dates=tuple(dates),
            by_date=by_date,
            month_bits=month_bits,
            live=live,
        )


@dataclass
class FacetTable:
    """Facet values of every live document, built once per index generation from the facets column."""

    size: int  # docnums run from 0 to size - 1
    postings: dict[str, dict[str, int]]  # facet → value → bitmap
    values: dict[str, tuple[tuple[str, ...], ...]]  # facet → docnum → the doc's values, for small results
    issues: dict[str, tuple[int, ...]]  # issue id → its docnums, ascending
    dates: tuple[str, ...]  # by docnum; "" for deleted documents
    date_order: tuple[int, ...]  # live docnums by (date, docnum)
    month_spans: tuple[tuple[int, int], ...]  # each month's slice of date_order, in date order
    month_docs: tuple[int, ...]  # each month's documents, as month_spans
    live: int
    values_per_doc: dict[str, float] = field(default_factory=dict)
    candidates: dict[str, tuple[str, ...]] = field(default_factory=dict)  # sampled facet → its counted values
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # facet → value → live documents
    leading: PartsJoined | None = field(default=None, compare=False, repr=False)  # see PartsJoined

    @classmethod
    def assemble(cls, parts: Iterable[FacetPart], earlier: FacetTable | None = None) -> FacetTable:
        """The table of a reader whose segments' parts these are, in docnum order; earlier: the table
        of the generation answering, whose join of leading large segments this one may start from."""
        parts = list(parts)
        large = leading_count([part.size for part in parts])
        reused = PartsJoined.empty()
        if (
            earlier is not None
            and earlier.leading is not None
            and begins_with(parts[:large], earlier.leading.parts)
        ):
            reused = earlier.leading
        leading = reused.plus(parts[len(reused.parts) : large])
        joined = leading.plus(parts[large:])
        names = fields.names()
        size, postings, counts, dates = joined.size, joined.postings, joined.counts, joined.dates
        candidates = {
            facet.name: tuple(
                value
                for _, value in nsmallest(
                    SAMPLED_CANDIDATES, ((-count, value) for value, count in counts[facet.name].items())
                )
            )
            for facet in fields.FACETS
            if facet.sampled
        }
        # The live documents by (date, docnum), from the join's docnums grouped by date: sorting every
        # document by date again was a single C call that held the GIL ~0.3 s at 2,700 issues.
        by_date = joined.by_date
        ordered_dates = sorted(by_date)
        date_order = tuple(chain.from_iterable(by_date[date] for date in ordered_dates))
        month_spans, month_docs, start = [], [], 0
        for month, month_dates in groupby(ordered_dates, key=lambda date: date[:7]):
            end = start + sum(len(by_date[date]) for date in month_dates)
            month_spans.append((start, end))
            month_docs.append(joined.month_bits[month])
            start = end
        live_count = max(1, len(date_order))
        return cls(
            size=size,
            postings=postings,
            values=joined.values,
            issues=joined.issues,
            dates=dates,
            date_order=date_order,
            month_spans=tuple(month_spans),
            month_docs=tuple(month_docs),
            live=joined.live,
            values_per_doc={name: sum(counts[name].values()) / live_count for name in names},
            candidates=candidates,
            counts=counts,
            leading=leading,
        )

    def bitmap(self, docnums: Iterable[int]) -> int:
        return bitmap(docnums, self.size)

    def union(self, facet: str, values: Iterable[str]) -> int:
        by_value = self.postings[facet]
        docs = 0
        for value in values:
            docs |= by_value.get(value, 0)
        return docs

    def date_range(self, date_from: str | None, date_to: str | None) -> int:
        """Whole months by their bitmaps, the days at either edge one by one."""
        order = self.date_order
        low = bisect.bisect_left(order, date_from or "", key=self.dates.__getitem__)
        high = bisect.bisect_right(order, date_to or "9999-99-99", key=self.dates.__getitem__)
        whole = [i for i, (start, end) in enumerate(self.month_spans) if low <= start and end <= high]
        if not whole:
            return self.bitmap(order[low:high])
        docs = self.bitmap(
            order[low : self.month_spans[whole[0]][0]] + order[self.month_spans[whole[-1]][1] : high]
        )
        for month in whole:
            docs |= self.month_docs[month]
        return docs

    def count(
        self, facet: str, docs: int, listing: Callable[[int], list[int]] = listed_docnums
    ) -> dict[str, int]:
        """Every value's count in docs; on a large result, only a sampled facet's values most frequent
        overall. A plain dict: a server keeps thousands of these with its recent results, and a full
        garbage collection walks a Counter's every entry, but not a dict of strings and numbers."""
        size = docs.bit_count()
        candidates = self.candidates.get(facet) if size > SAMPLED_SCAN_LIMIT else None
        by_bitmaps = len(candidates if candidates is not None else self.postings[facet]) * self.size
        if size * self.values_per_doc[facet] * BITMAP_COUNT_DOCS <= by_bitmaps:
            listed = listing(docs)
            # A result's articles may hold more values than the archive's average (long ones name ~5
            # people, the archive ~1 an article), so a sample of its own docs decides.
            sample = listed[:: max(1, len(listed) // VALUES_SAMPLE)]
            per_doc = sum(map(len, map(self.values[facet].__getitem__, sample))) / max(1, len(sample))
            if size * per_doc * BITMAP_COUNT_DOCS <= by_bitmaps:
                # Every value of every doc through Counter at C speed. Tallying the docs' value tuples
                # first and their values in a loop cost five times as much where the tuples are mostly
                # distinct (people, keywords).
                counts = Counter(chain.from_iterable(map(self.values[facet].__getitem__, listed)))
                return dict(counts) if candidates is None else {value: counts[value] for value in candidates}
        postings = self.postings[facet]
        if candidates is not None:
            return {value: (docs & postings[value]).bit_count() for value in candidates}
        found = {}
        for value, posting in postings.items():
            shared = (posting & docs).bit_count()
            if shared:
                found[value] = shared
        return found

    def count_each(self, docs_by_facet: dict[str, int]) -> dict[str, dict[str, int]]:
        """count() of each facet in its docs, listing the docnums of each distinct docs once: with no
        filter, every facet counts the same docs."""
        listed: dict[int, list[int]] = {}

        def listing(docs: int) -> list[int]:
            if docs not in listed:
                listed[docs] = listed_docnums(docs)
            return listed[docs]

        return {facet: self.count(facet, docs, listing) for facet, docs in docs_by_facet.items()}

    def newest(self, docs: int, count: int, oldest: bool = False) -> list[int]:
        """The first `count` of docs by date: newest first with ties by docnum ascending, or oldest first
        as the exact reverse. The same whatever `count`, so a page is a slice of any deeper ranking."""
        dates = self.dates
        if docs.bit_count() <= count * DATE_SCAN_FACTOR:
            ordered = sorted(docnums(docs), key=lambda d: (dates[d], -d), reverse=True)
            return ordered[::-1][:count] if oldest else ordered[:count]
        # A large set: walk the archive in date order, testing bits of a bytes copy, until enough and
        # the last date's documents are all found; the walk runs ties the other way, so they are sorted.
        raw = docs.to_bytes((self.size + 7) // 8, "little")
        walk = self.date_order if oldest else reversed(self.date_order)
        found: list[int] = []
        for docnum in walk:
            if len(found) >= count and dates[docnum] != dates[found[-1]]:
                break
            if raw[docnum >> 3] & BIT[docnum & 7]:
                found.append(docnum)
        found.sort(key=lambda d: (dates[d], -d), reverse=not oldest)
        return found[:count]


@dataclass
class MatchTexts:
    """Every document's analysis.match_text, split into the title's and the whole text's; "" if deleted."""

    titles: tuple[str, ...]
    texts: tuple[str, ...]

    @classmethod
    def read(cls, reader) -> MatchTexts:
        titles, texts = [""] * reader.doc_count_all(), [""] * reader.doc_count_all()
        for docnum, raw in live_column_values(reader, MATCH_TEXT_COLUMN):
            titles[docnum], _, texts[docnum] = raw.decode("utf-8").partition(MATCH_PART_SEPARATOR)
        return cls(titles=tuple(titles), texts=tuple(texts))

    @classmethod
    def joined(cls, parts: Iterable[MatchTexts]) -> MatchTexts:
        """The match texts of segments read one by one (read(leaf)), in docnum order."""
        titles: list[str] = []
        texts: list[str] = []
        for part in parts:
            titles += part.titles
            texts += part.texts
        return cls(titles=tuple(titles), texts=tuple(texts))

    def part(self, name: str) -> tuple[str, ...]:
        return self.titles if name == "title" else self.texts
