"""Each segment's bigram docsets (schema.NGRAM_FIELD) in one file of our own beside its whoosh files.

The bigrams are read only as docsets (which articles hold this gram, and how many), never scored, yet
whoosh's W3 codec spent ~100-140 µs of Python per term writing them: the ngram field held most of a
segment's distinct terms and ~60% of writing its postings. Here a segment's grams are written in
one pass as a few packed arrays, and read in place from the segment's memory map by binary search.

Layout (native byte order, each section padded to 8 bytes):
    header      MAGIC, docnum width (2 or 4 bytes), doc count, gram count
    key ends    uint32 per gram: end of its utf-8 key in the keys section (keys sorted, so by
                code point)
    counts      uint32 per gram: the documents holding it (deleted ones included, as whoosh counts)
    data ends   uint64 per gram: end of its docset in the data section
    keys        the grams' utf-8 bytes, one after the other
    data        per gram, its docnums as an array of the width, or a bitmap of the segment's
                documents where that is smaller (a common gram)
"""

from __future__ import annotations

import struct
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from functools import cached_property
from itertools import accumulate

from indexer.engine.bitmaps import bitmap_bytes, docnums

GRAMS_EXTENSION = ".grams"
MAGIC = b"BSGRAMS1"
HEADER = struct.Struct("=8sIII4x")  # magic, width, doc count, gram count; 24 bytes
WIDTH_TYPE = {2: "H", 4: "I"}
KEY_END, COUNT, DATA_END = struct.Struct("=I"), struct.Struct("=I"), struct.Struct("=Q")
# Every SAMPLE_STEP-th key is kept in memory: a lookup bisects those at C speed, then reads a few keys.
SAMPLE_STEP = 64


def _padded(size: int) -> int:
    return -(-size // 8) * 8


def docnum_width(doc_count: int) -> int:
    return 2 if doc_count <= 1 << 16 else 4


def _stored_as_bitmap(count: int, width: int, doc_count: int) -> bool:
    return count * width > (doc_count + 7) // 8


def gram_file_bytes(docsets: Iterable[tuple[str, list[int]]], doc_count: int) -> bytes:
    """The file of a segment of doc_count documents from (gram, its ascending docnums), grams in
    ascending order."""
    width = docnum_width(doc_count)
    type_code = WIDTH_TYPE[width]
    keys, counts, data = [], array("I"), []
    for gram, docs in docsets:
        keys.append(gram.encode("utf-8"))
        counts.append(len(docs))
        if _stored_as_bitmap(len(docs), width, doc_count):
            data.append(bitmap_bytes(docs, doc_count))
        else:
            data.append(array(type_code, docs).tobytes())
    key_ends = array("I", accumulate(map(len, keys)))
    data_ends = array("Q", accumulate(map(len, data)))
    parts = [HEADER.pack(MAGIC, width, doc_count, len(keys))]
    for section in (key_ends.tobytes(), counts.tobytes(), data_ends.tobytes(), b"".join(keys)):
        parts += (section, bytes(_padded(len(section)) - len(section)))
    parts += data
    return b"".join(parts)


class GramTable:
    """One segment's gram file, read in place: a lookup bisects a sample of its keys in memory (every
    SAMPLE_STEP-th, ~0.3 MB at 400,000 grams, read at the first lookup), then reads six more keys.
    `source` is the memory map of the compound segment file (or the file's bytes), the table
    starting at `base`."""

    def __init__(self, source, base: int):
        magic, self.width, self.doc_count, self.size = HEADER.unpack_from(source, base)
        if magic != MAGIC:
            raise ValueError(f"not a gram table: {bytes(magic)!r}")
        self.source = source
        self._key_ends = base + HEADER.size
        self._counts = self._key_ends + _padded(4 * self.size)
        self._data_ends = self._counts + _padded(4 * self.size)
        self._keys = self._data_ends + _padded(8 * self.size)
        key_bytes = self._end(KEY_END, self._key_ends, self.size - 1) if self.size else 0
        self._data = self._keys + _padded(key_bytes)

    def _end(self, table: struct.Struct, start: int, index: int) -> int:
        """Entry `index` of a table of ends; the end before the first is 0."""
        return table.unpack_from(self.source, start + table.size * index)[0] if index >= 0 else 0

    def _raw(self, index: int) -> bytes:
        start = self._end(DATA_END, self._data_ends, index - 1)
        return self.source[self._data + start : self._data + self._end(DATA_END, self._data_ends, index)]

    def key(self, index: int) -> bytes:
        start = self._end(KEY_END, self._key_ends, index - 1)
        return self.source[self._keys + start : self._keys + self._end(KEY_END, self._key_ends, index)]

    @cached_property
    def _sample(self) -> list[bytes]:
        ends = array("I")
        ends.frombytes(self.source[self._key_ends : self._key_ends + 4 * self.size])
        keys, source = self._keys, self.source
        return [
            source[keys + (ends[index - 1] if index else 0) : keys + ends[index]]
            for index in range(0, self.size, SAMPLE_STEP)
        ]

    def find(self, gram: str) -> int | None:
        """The gram's index in the table, or None."""
        key = gram.encode("utf-8")
        block = bisect_right(self._sample, key) - 1
        if block < 0:
            return None
        low = block * SAMPLE_STEP
        index = bisect_left(range(self.size), key, low, min(low + SAMPLE_STEP, self.size), key=self.key)
        return index if index < self.size and self.key(index) == key else None

    def count(self, index: int) -> int:
        return COUNT.unpack_from(self.source, self._counts + 4 * index)[0]

    def bits(self, index: int) -> int:
        """The gram's docset as a bitmap of the segment's docnums."""
        raw = self._raw(index)
        if _stored_as_bitmap(self.count(index), self.width, self.doc_count):
            return int.from_bytes(raw, "little")
        return int.from_bytes(bitmap_bytes(array(WIDTH_TYPE[self.width], raw), self.doc_count), "little")

    def docsets(self) -> Iterator[tuple[str, Iterable[int]]]:
        """Every (gram, its docnums), in gram order."""
        for index in range(self.size):
            raw = self._raw(index)
            if _stored_as_bitmap(self.count(index), self.width, self.doc_count):
                docs: Iterable[int] = docnums(int.from_bytes(raw, "little"))
            else:
                docs = array(WIDTH_TYPE[self.width], raw)
            yield self.key(index).decode("utf-8"), docs
