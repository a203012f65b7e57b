"""One index generation opened whole with the tables built from it, and the identity that tells
generations apart."""

from __future__ import annotations

import os
import re
import threading
import time
from bisect import bisect_left
from collections import Counter, OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from whoosh.index import TOC, FileIndex
from whoosh.searching import Searcher

from indexer.engine.checksums import verify_segments
from indexer.engine.facet_table import FacetPart, FacetTable, MatchTexts, begins_with, leading_count
from indexer.engine.schema import SCORED_FIELDS
from indexer.engine.suggest import SuggestIndex
from indexer.engine.w3 import LeafTables, SegmentTables, decoding, open_index, stored_postings
from indexer.errors import IndexMissing
from indexer.lexicon import Lexicon

if TYPE_CHECKING:
    from indexer.engine import RankedResult
    from indexer.engine.record_fields import RecordFields

CHECK_SECONDS = 0.5
TOC_NAME = re.compile(r"^_MAIN_([0-9]+)\.toc$")
OPEN_ATTEMPTS = 5
# Documents whose stored fields are kept (~3 KB each): the same articles recur across searches, and
# bench.mixed_load at 270 issues reads 71% of its hits again within 4,096 others (45% within 2,048).
STORED_KEPT = 4096
# Words a lexicon leaves out: single characters and anything holding a digit (2022, 5g, 12日).
NOT_A_LEXICON_WORD = re.compile(r"^.$|\d")


SegmentKey = tuple[str, int]  # (segment id, deleted documents): a segment changes by deletions only


@dataclass
class SegmentPart:
    """What a generation reads from one segment: its match texts ("" for a deleted document), its facet
    values, its field lengths and frequent-term bitmaps and, once asked, its words' live article counts
    per scored field and its issues' entries. The next generation takes a part over while its segment
    and deletion count stay the same: an update writes a segment or merges a few small ones, and
    reading the rest again cost more than half of preparing a new generation at 2,700 issues
    (cProfile: facet table 4.0 s, word counts 3.2 s, match texts 0.9 s of 14.3 s)."""

    texts: MatchTexts
    facets: FacetPart
    tables: LeafTables
    words: dict[str, dict[str, int]] | None = None  # field → word → live articles holding it
    issues: dict[str, dict] | None = None  # issue id → SearchEngine's entry for it, once asked


def segment_key(leaf) -> SegmentKey:
    segment = leaf.segment()
    if segment is None:  # the reader of an index with no segment yet
        return "", 0
    return segment.segment_id(), segment.deleted_count()


def segment_parts(reader, known: dict[SegmentKey, SegmentPart]) -> dict[SegmentKey, SegmentPart]:
    """Each segment's part in docnum order: the known one if its segment is unchanged, else read."""
    parts = {}
    for leaf, _ in reader.leaf_readers():
        key = segment_key(leaf)
        parts[key] = known.get(key) or SegmentPart(
            MatchTexts.read(leaf), FacetPart.read(leaf), LeafTables.read(leaf)
        )
    return parts


def index_identity(index_dir: Path) -> tuple[int, int, int] | None:
    """(device, inode, TOC generation) of the index folder, or None while it has none. A rebuild
    swaps a new folder in by renames, so its inode tells it apart even where the generation repeats."""
    try:
        folder = os.stat(index_dir)
        generations = [int(m.group(1)) for m in map(TOC_NAME.match, os.listdir(index_dir)) if m]
    except OSError:  # between the two renames of a rebuild's swap there is no folder
        return None
    return (folder.st_dev, folder.st_ino, max(generations)) if generations else None


@dataclass(eq=False)
class Generation:
    """One index generation opened whole, with the tables and caches built from it. Requests hold it
    while they use it; the last one out of a retired generation closes its files."""

    identity: tuple[int, int, int]
    searcher: Searcher
    table: FacetTable
    texts: MatchTexts
    segments: SegmentTables
    parts: dict[SegmentKey, SegmentPart]
    results: OrderedDict[tuple, RankedResult] = field(default_factory=OrderedDict)
    substrings: OrderedDict[tuple, int] = field(default_factory=OrderedDict)
    stored: OrderedDict[int, dict] = field(default_factory=OrderedDict)  # docnum → stored fields, recent
    storing: threading.Lock = field(default_factory=threading.Lock)  # held while `stored` changes
    issue_entries: list[dict] | None = None  # SearchEngine.issues(), newest first, read once
    record_fields: RecordFields | None = None  # built at the first query that matches records
    words: Lexicon | None = None  # SearchEngine.lexicon(), read on first use
    earlier_words: Lexicon | None = None  # the previous generation's, whose tables words extends
    word_totals: WordTotals | None = None  # of the leading large segments, once the lexicon is read
    earlier_word_totals: WordTotals | None = None  # the previous generation's, to start from
    suggestions: SuggestIndex | None = None  # SearchEngine.suggest(), built once
    suggesting: threading.Lock = field(default_factory=threading.Lock)  # held while it is built
    memo: dict = field(default_factory=dict)  # SearchEngine.per_generation(): key → value
    users: int = 0
    retired: bool = False
    closed: bool = False

    @classmethod
    def open(cls, index_dir: Path, previous: Generation | None = None) -> Generation:
        """The newest generation of the folder, its segment files checked against their checksums;
        what it reads of segments the previous generation has too is taken from that one."""
        for attempt in range(OPEN_ATTEMPTS):
            identity = index_identity(index_dir)
            if identity is None:
                raise IndexMissing(f"{index_dir}: no index yet; run `bulletin index` first")
            try:
                return cls._open(index_dir, identity, previous)
            except FileNotFoundError:
                # A commit deleted this generation's TOC or a merged segment meanwhile: take the next.
                if attempt == OPEN_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    @classmethod
    def _open(
        cls, index_dir: Path, identity: tuple[int, int, int], previous: Generation | None
    ) -> Generation:
        index = open_index(index_dir)
        with decoding(index_dir):
            toc = TOC.read(index.storage, index.indexname, gen=identity[2])
            verify_segments(index.storage, toc.segments)
            reader = FileIndex._reader(index.storage, toc.schema, toc.segments, toc.generation)
            try:
                parts = segment_parts(reader, previous.parts if previous is not None else {})
                return cls(
                    identity=identity,
                    searcher=Searcher(reader, fromindex=index),
                    table=FacetTable.assemble(
                        (part.facets for part in parts.values()),
                        previous.table if previous is not None else None,
                    ),
                    texts=MatchTexts.joined(part.texts for part in parts.values()),
                    segments=SegmentTables.read(reader, [part.tables for part in parts.values()]),
                    parts=parts,
                    earlier_words=previous.words if previous is not None else None,
                    earlier_word_totals=previous.word_totals if previous is not None else None,
                )
            except BaseException:
                reader.close()
                raise

    def stored_fields(self, docnum: int) -> dict:
        """A document's stored fields, the recently read ones kept (STORED_KEPT). Shared: never change it."""
        with self.storing:
            stored = self.stored.get(docnum)
            if stored is not None:
                self.stored.move_to_end(docnum)
                return stored
        stored = self.searcher.stored_fields(docnum)
        with self.storing:
            self.stored[docnum] = stored
            if len(self.stored) > STORED_KEPT:
                self.stored.popitem(last=False)
        return stored

    def lexicon(self) -> Lexicon:
        # Two threads that both find none both read it, and either is the same.
        if self.words is None:
            totals, leading = word_totals(self.searcher.reader(), self.parts, self.earlier_word_totals)
            words = (pair for by_word in totals.values() for pair in by_word.items())
            self.words, self.word_totals = Lexicon.build(words, self.earlier_words), leading
            self.earlier_words = self.earlier_word_totals = None
        return self.words

    def close(self) -> None:
        self.searcher.close()

    def let_go(self) -> None:
        """Drop what the closed generation holds a piece at a time, for a background thread: freeing it
        whole holds the GIL throughout, pausing every request (~170 ms at 2,700 issues with full caches;
        results 22 ms, stored fields 20 ms, suggestions 55 ms, segment parts 59 ms, shared in part
        with the next generation)."""
        for kept in (self.results, self.stored, self.substrings, self.memo):
            while kept:
                kept.popitem()
        for name in (
            "suggestions",
            "words",
            "word_totals",
            "record_fields",
            "issue_entries",
            "texts",
            "table",
            "segments",
            "parts",
        ):
            setattr(self, name, None)
            time.sleep(0)  # lets the requests' threads take the GIL between pieces


def word_frequencies(reader, parts: dict[SegmentKey, SegmentPart] | None = None) -> Iterator[tuple[str, int]]:
    """(word, live articles holding it) for each field of SCORED_FIELDS, sub-words included; the lexicon
    keeps the larger of a word's title and body counts. Each segment's counts are read once and kept
    in its part (when parts are given)."""
    totals, _ = word_totals(reader, parts)
    for by_word in totals.values():
        yield from by_word.items()


@dataclass(frozen=True)
class WordTotals:
    """Each scored field's words with their live articles over a run of segments' parts. A generation
    keeps the totals of its leading large segments, as FacetTable keeps their facet join, and the next
    one adds only the segments after them: adding up every segment's counts for each generation cost
    ~0.14 s of CPU at 2,700 issues."""

    parts: tuple[SegmentPart | None, ...]
    totals: dict[str, dict[str, int]]  # field → word → live articles

    def plus(self, counted: list[tuple[SegmentPart | None, dict[str, dict[str, int]]]]) -> WordTotals:
        if not counted:
            return self
        totals = {field_name: dict(self.totals.get(field_name, {})) for field_name in SCORED_FIELDS}
        for _, counts in counted:
            for field_name, by_word in totals.items():
                if not by_word:
                    by_word.update(counts[field_name])  # the first: copied at C speed
                    continue
                for word, count in counts[field_name].items():
                    by_word[word] = by_word.get(word, 0) + count
        return WordTotals(self.parts + tuple(part for part, _ in counted), totals)


NO_WORDS = WordTotals((), {})


def word_totals(
    reader, parts: dict[SegmentKey, SegmentPart] | None = None, earlier: WordTotals | None = None
) -> tuple[dict[str, dict[str, int]], WordTotals]:
    """Each scored field's words with their live articles, and the totals of the leading large segments
    (see WordTotals) for the next generation; earlier: the previous generation's, to start from."""
    counted = []
    for leaf, _ in reader.leaf_readers():
        part = None if parts is None else parts.get(segment_key(leaf))
        if part is None or part.words is None:
            counts = segment_word_counts(leaf)
            if part is not None:
                part.words = counts  # two threads that both find none both count, and either is the same
        else:
            counts = part.words
        counted.append((part, counts))
    large = leading_count([0 if part is None else part.facets.size for part, _ in counted])
    start = NO_WORDS
    if earlier is not None and begins_with([part for part, _ in counted[:large]], earlier.parts):
        start = earlier
    leading = start.plus(counted[len(start.parts) : large])
    return leading.plus(counted[large:]).totals, leading


def segment_word_counts(leaf) -> dict[str, dict[str, int]]:
    """One segment's words with the live articles holding each, per field of SCORED_FIELDS. A term's
    document frequency counts deleted documents until a merge drops them (a re-indexed issue would
    count twice): those are taken off."""
    deleted = sorted(set(range(leaf.doc_count_all())).difference(leaf.all_doc_ids()))
    by_field = {}
    for field_name in SCORED_FIELDS:
        counts: Counter[str] = Counter()
        for raw, info in leaf.iter_field(field_name):
            word = raw.decode("utf-8")
            if not NOT_A_LEXICON_WORD.search(word):
                counts[word] += live_frequency(leaf, field_name, raw, info, deleted)
        # A plain dict of words and numbers drops out of the garbage collector's view; a Counter, like
        # any subclass, is walked word by word in every full collection (~0.7 million references).
        by_field[field_name] = dict(counts)
    return by_field


def live_frequency(leaf, field_name: str, raw: bytes, info, deleted: list[int]) -> int:
    """The term's document frequency less its deleted documents (deleted: sorted docnums). Postings
    cost ~0.2 ms a term to read, so only a term whose docnum range holds a deleted one reads them."""
    low, high = info.min_id(), info.max_id()
    index = bisect_left(deleted, low)
    if index == len(deleted) or deleted[index] > high:
        return info.doc_frequency()
    if low == high:
        return 0
    postings = set(stored_postings(leaf, field_name, raw).all_ids())
    return info.doc_frequency() - len(postings.intersection(deleted))
