"""Every use of whoosh 2.7.5's internals: opening an index with segments read in place, writing
segments straight through the W3 codec, and reading its posting blocks.

whoosh is pinned and frozen, so the internals used here do not move; the version is checked once.
"""

from __future__ import annotations

import os
import pickle
import threading
import zlib
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

import whoosh
from whoosh import index as whoosh_index
from whoosh.codec import default_codec
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, WHOOSH3_HEADER_MAGIC, W3LeafMatcher, W3TermInfo
from whoosh.filedb import filetables
from whoosh.filedb.compound import CompoundStorage
from whoosh.filedb.filestore import OverlayStorage
from whoosh.filedb.structfile import BufferFile
from whoosh.system import pack_int, pack_long, pack_uint, pack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import MERGE_SMALL, LockError, SegmentWriter

from indexer import fields
from indexer.engine.bitmaps import bitmap
from indexer.engine.checksums import verify_segments, write_checksums
from indexer.engine.grams import GRAMS_EXTENSION, GramTable, gram_file_bytes
from indexer.engine.schema import (
    FACET_COLUMN,
    MATCH_TEXT_COLUMN,
    NGRAM_FIELD,
    SCORED_FIELDS,
    make_schema,
    schema_signature,
)
from indexer.errors import INDEX_DAMAGE, IndexBusy, IndexCorrupt, IndexMissing

WHOOSH_VERSION = (2, 7, 5)
TERM_INFO = W3TermInfo._struct
TABLE_LENGTHS = filetables._lengths


def check_whoosh_version(installed: tuple = whoosh.__version__) -> None:
    if tuple(installed) != WHOOSH_VERSION:
        raise ImportError(
            "bulletin-search needs whoosh-reloaded 2.7.5 (it writes and reads that version's codec "
            f"directly); whoosh {'.'.join(map(str, installed))} is installed: "
            "run `pip install whoosh-reloaded==2.7.5`"
        )


check_whoosh_version()

# A term in at least this share of a segment's articles also gets its docset stored as a bitmap.
FREQUENT_SHARE = 1 / 32
FREQUENT_MINIMUM = 64
FREQUENT_EXTENSION = ".frequent"


class _Position(threading.local):
    """A file position of one thread: the server's threads share each segment's readers, and whoosh
    reads a posting block by seek() then read() (W3LeafMatcher._goto), so one shared position let a
    thread read at another's offset (zlib.error, wrong postings)."""

    def __init__(self, start: int):
        self.value = start


class _MappedReader:
    """A read-only file over one part of the memory map of a compound segment file, reading only
    the bytes asked for, with a position per thread. peek lets pickle read ahead within the part in
    one call."""

    __slots__ = ("_source", "_start", "_end", "_here")

    def __init__(self, source, start: int, length: int):
        self._source, self._start, self._end = source, start, start + length
        self._here = _Position(start)

    def read(self, size: int = -1) -> bytes:
        here = self._here
        start = here.value
        end = self._end if size is None or size < 0 else min(start + size, self._end)
        here.value = max(start, end)
        return self._source[start:end]

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def peek(self, size: int = 0) -> bytes:
        position = self._here.value
        return self._source[position : min(position + max(size, 1), self._end)]

    def readline(self, size: int = -1) -> bytes:
        position = self._here.value
        newline = self._source.find(b"\n", position, self._end)
        end = self._end if newline < 0 else newline + 1
        if size is not None and size >= 0:
            end = min(end, position + size)
        return self.read(end - position)

    def seek(self, offset: int, whence: int = 0) -> int:
        here = self._here
        base = (self._start, here.value, self._end)[whence]
        here.value = min(max(self._start, base + offset), self._end)
        return here.value - self._start

    def tell(self) -> int:
        return self._here.value - self._start

    def close(self) -> None:
        pass


class _MappedSubfile(BufferFile):
    # whoosh's BufferFile copies the whole part into a BytesIO on opening; at 2,700 issues that is
    # ~290 MB and ~0.3 s every time a reader opens (the server, every `bulletin index`). This one
    # reads the memory map in place.
    def __init__(self, source, offset: int, length: int, name: str):
        self._buf = memoryview(source)[offset : offset + length]
        self._name = name
        self.file = _MappedReader(source, offset, length)
        self.onclose = None
        self.is_real = False
        self.is_closed = False

    def close(self) -> None:
        super().close()
        # mmap.close() fails while a view of the map is alive, and whoosh then leaves the map (and a
        # deleted segment file) to the garbage collector.
        self._buf.release()


_stock_open_part = CompoundStorage.open_file


_stock_open_part = CompoundStorage.open_file


def _open_part_in_place(self, name, *args, **kwargs):
    if self._source is None or self.is_closed:
        return _stock_open_part(self, name, *args, **kwargs)
    offset, length = self.range(name)
    return _MappedSubfile(self._source, offset, length, name)


_stock_add_reader = SegmentWriter.add_reader
_stock_finalize_segment = SegmentWriter._finalize_segment


def _add_reader_with_grams(writer, reader) -> None:
    """SegmentWriter.add_reader (whoosh merging a segment into the writer's new one), with the
    segment's gram docsets gathered for the new one, numbered as whoosh numbers its documents: the
    live documents of each merged segment in turn."""
    first = writer.docnum
    _stock_add_reader(writer, reader)
    renumbered = [-1] * reader.doc_count_all()
    for rank, docnum in enumerate(reader.all_doc_ids()):
        renumbered[docnum] = first + rank
    deletions = reader.has_deletions()
    merged = writer.__dict__.setdefault("merged_grams", defaultdict(list))
    for gram, docs in open_gram_table(reader._storage, reader.segment()).docsets():
        docs = list(map(renumbered.__getitem__, docs))
        if deletions:
            docs = [docnum for docnum in docs if docnum >= 0]
        if docs:
            merged[gram] += docs


def _finalize_segment_with_grams(writer):
    """SegmentWriter._finalize_segment, the gram file of the segments it merged written first, so
    that it is assembled into the new segment's compound file."""
    merged = writer.__dict__.get("merged_grams", {})
    with writer.get_segment().create_file(writer.storage, GRAMS_EXTENSION) as handle:
        handle.write(gram_file_bytes(sorted(merged.items()), writer.docnum))
    return _stock_finalize_segment(writer)


def install_hooks() -> None:
    """Makes compound segment files read their parts in place (see _MappedSubfile), and every segment
    whoosh merges (our merge policy, or any whoosh writer's) get the merged gram file. Called by
    every function here that opens an index; whoosh's classes are shared, so this is for the process."""
    CompoundStorage.open_file = _open_part_in_place
    SegmentWriter.add_reader = _add_reader_with_grams
    SegmentWriter._finalize_segment = _finalize_segment_with_grams


# ----------------------------------------------------------------------------------------- opening


def create_index(index_dir: Path, words: Iterable[str]):
    install_hooks()
    index_dir.mkdir(parents=True, exist_ok=True)
    return whoosh_index.create_in(str(index_dir), make_schema(words))


def _open_dir(index_dir: Path, *, missing_is_error: bool = False):
    """whoosh's open_dir, or None for an index whose pickled schema names a module or class of ours
    that is gone, so it was built by an older version: its analyzers lived in indexer.store before
    indexer/engine/, and its bigrams were a whoosh field (of schema.NgramTokenizer) before grams.py."""
    install_hooks()
    try:
        if missing_is_error and not whoosh_index.exists_in(str(index_dir)):  # this unpickles too
            raise IndexMissing(f"{index_dir}: no index yet; run `bulletin index` first")
        return whoosh_index.open_dir(str(index_dir))
    except ModuleNotFoundError as error:
        if (error.name or "").startswith("indexer."):
            return None
        raise
    except AttributeError as error:
        # pickle's "Can't get attribute 'NgramTokenizer' on <module 'indexer.engine.schema' ...>"
        if "on <module 'indexer." in str(error):
            return None
        raise


def index_exists(index_dir: Path) -> bool:
    """Whether the folder holds a whoosh table of contents; only its name is looked at, so a damaged
    one counts too."""
    toc = whoosh_index.TOC._pattern(whoosh_index._DEF_INDEX_NAME)
    return index_dir.is_dir() and any(toc.match(name) for name in os.listdir(index_dir))


def open_index(index_dir: Path):
    index = _open_dir(index_dir, missing_is_error=True)
    if index is None or MATCH_TEXT_COLUMN not in index.schema or not _holds_the_facets(index.schema):
        raise IndexMissing(f"{index_dir}: the index was built by an older version; run `bulletin index`")
    return index


def _holds_the_facets(schema) -> bool:
    """Whether the index's facet column holds the facets of fields.FACETS, each keyed by name (before
    that, the column was named "facets" and held them by position)."""
    if FACET_COLUMN not in schema:
        return False
    return getattr(schema[FACET_COLUMN].column_type, "facet_names", None) == fields.names()


# Besides INDEX_DAMAGE, what whoosh raises opening a damaged table of contents or segment (an empty
# file gives TypeError from ord(), a wrong byte gives IndexError or a failed assert).
TOC_DAMAGE = (TypeError, ValueError, KeyError, IndexError, AssertionError, AttributeError, ImportError)


@contextmanager
def decoding(index_dir: Path) -> Iterator[None]:
    """Turns what whoosh raises on bytes that are not those it wrote into IndexCorrupt."""
    try:
        yield
    except (*INDEX_DAMAGE, *TOC_DAMAGE) as error:
        raise IndexCorrupt.decoding(index_dir, error) from error


def open_current_index(index_dir: Path, words: Iterable[str]):
    """The index, if it exists and has the schema this version writes with these user words;
    otherwise None (it has to be built anew)."""
    if not index_exists(index_dir):
        return None
    try:
        with decoding(index_dir):
            index = _open_dir(index_dir)
            if index is None or schema_signature(index.schema) != schema_signature(make_schema(words)):
                return None
            # A reader reads each segment's directory and headers: a missing or truncated segment
            # file shows here, in milliseconds, even on a run with nothing to add; the checksums
            # catch bytes changed in place (about 35 ms at 270 issues).
            index.reader().close()
            verify_segments(index.storage, index._segments())
    except FileNotFoundError as error:
        raise IndexCorrupt.decoding(index_dir, error) from error
    return index


def _merge_small_verified(writer, segments):
    """whoosh's MERGE_SMALL policy, each segment checked before it is copied into the merged one
    (a damaged segment would otherwise live on in a new one with a fresh checksum)."""
    stock_add_reader = writer.add_reader

    def add_reader(reader):
        verify_segments(writer.storage, [reader.segment()])
        stock_add_reader(reader)

    writer.add_reader = add_reader
    try:
        return MERGE_SMALL(writer, segments)
    finally:
        del writer.add_reader


def open_gram_table(storage, segment) -> GramTable:
    """The segment's gram file (see grams.py), read in place from the compound file's memory map."""
    name = segment.make_filename(GRAMS_EXTENSION)
    if isinstance(storage, OverlayStorage) and storage.a.file_exists(name):  # a compound segment
        storage = storage.a
    if isinstance(storage, CompoundStorage) and getattr(storage, "_source", None) is not None:
        offset, _ = storage.range(name)
        return GramTable(storage._source, offset)
    with storage.open_file(name) as handle:
        return GramTable(handle.read(), 0)


class SegmentBuilder:
    """Writes one whoosh segment of new articles straight through whoosh 2.7's W3 codec.

    whoosh's own writer pushes every (field, term, document) posting through a pickling external
    sort and looks up a field length per posting; most of a build went there. Here the terms
    arrive counted per document, postings gather per term in memory in document order, and each
    term's list goes to the codec a block at a time. The segment is written beside the live index
    and becomes visible only when an IssueWriter commits it. whoosh is pinned and frozen, so the
    codec internals used here do not move.
    """

    def __init__(self, index_dir: Path):
        index = open_index(index_dir)
        self.storage, self.schema = index.storage, index.schema
        self.codec = default_codec()
        self.segment = self.codec.new_segment(self.storage, index.indexname)
        self.perdoc = self.codec.per_document_writer(self.storage, self.segment)
        # field → term → [docnum, frequency, docnum, frequency, ...]
        self.counted: dict[str, dict[str, list[int]]] = {}
        # bigram → its docnums (see grams.py)
        self.grams: defaultdict[str, list[int]] = defaultdict(list)
        # field → term bytes → [(docnum, weight, value bytes), ...], for the short keyword-like fields
        self.indexed: dict[str, dict[bytes, list[tuple[int, float, bytes]]]] = {}
        self.lengths: dict[str, list[int]] = {}
        self.doc_count = 0

    def add(self, document: dict, terms: dict[str, tuple[str, ...]]) -> None:
        docnum = self.doc_count
        self.perdoc.start_doc(docnum)
        grams = self.grams
        for gram in set(terms.get(NGRAM_FIELD, ())):
            grams[gram].append(docnum)
        for name in sorted(document.keys() | terms.keys() - {NGRAM_FIELD}):
            field, value = self.schema[name], document.get(name)
            length = 0
            if name in terms:
                length = self._count(name, docnum, terms[name])
            elif value is None:
                continue
            elif field.indexed:
                by_term = self.indexed.setdefault(name, {})
                for term, frequency, weight, value_bytes in field.index(value):
                    by_term.setdefault(term, []).append((docnum, weight, value_bytes))
                    length += frequency
            if not field.scorable:
                length = 0
            self.perdoc.add_field(name, field, value if field.stored else None, length)
            if field.column_type and value is not None:
                self.perdoc.add_column_value(name, field.column_type, field.to_column_value(value))
        self.perdoc.finish_doc()
        self.doc_count += 1

    def _count(self, name: str, docnum: int, words: tuple[str, ...]) -> int:
        by_term = self.counted.setdefault(name, {})
        for term, frequency in Counter(words).items():
            postings = by_term.get(term)
            if postings is None:
                by_term[term] = [docnum, frequency]
            else:
                postings += (docnum, frequency)
        if name not in self.lengths:
            self.lengths[name] = [0] * docnum
        self.lengths[name].append(len(words))
        return len(words)

    def finish(self):
        """Writes the postings and closes the segment; returns it for IssueWriter.add_segment."""
        self.perdoc.close()
        writer = self.codec.field_writer(self.storage, self.segment)
        for name in sorted(set(self.counted) | set(self.indexed)):
            field = self.schema[name]
            writer.start_field(name, field)
            if name in self.counted:
                _write_terms(writer, self._counted_rows(field, self.counted[name], self.lengths[name]))
            else:
                _write_terms(writer, self._indexed_rows(self.indexed[name]))
            writer.finish_field()
        writer.close()
        with self.segment.create_file(self.storage, GRAMS_EXTENSION) as handle:
            handle.write(gram_file_bytes(sorted(self.grams.items()), self.doc_count))
        self._write_frequent_bitmaps()
        self.segment.set_doc_count(self.doc_count)
        if self.segment.should_assemble():
            self.segment.create_compound_file(self.storage)
            self.segment.compound = True
        write_checksums(self.storage, [self.segment])
        return self.segment

    def _write_frequent_bitmaps(self) -> None:
        """The docsets of the segment's frequent terms as bitmaps, beside the postings: decoding a
        common term's postings is most of a search's time, unpickling its bitmap is nothing."""
        threshold = max(FREQUENT_MINIMUM, self.doc_count * FREQUENT_SHARE)
        frequent = {
            name: {
                term: bitmap(postings[0::2], self.doc_count)
                for term, postings in by_term.items()
                if len(postings) >= 2 * threshold
            }
            for name, by_term in self.counted.items()
        }
        with self.segment.create_file(self.storage, FREQUENT_EXTENSION) as handle:
            handle.write(pickle.dumps(frequent, protocol=pickle.HIGHEST_PROTOCOL))

    def _counted_rows(self, field, by_term: dict[str, list[int]], lengths: list[int]) -> Iterator[tuple]:
        boost = field.format.field_boost
        lengths += [0] * (self.doc_count - len(lengths))
        for term in sorted(by_term):
            postings = by_term[term]
            docs, frequencies = postings[0::2], postings[1::2]
            weights = [frequency * boost for frequency in frequencies] if boost != 1 else frequencies
            values = list(map(pack_uint, frequencies))
            yield term.encode("utf-8"), docs, weights, values, [lengths[d] for d in docs]

    @staticmethod
    def _indexed_rows(by_term: dict[bytes, list[tuple[int, float, bytes]]]) -> Iterator[tuple]:
        for term in sorted(by_term):
            docs, weights, values = zip(*by_term[term], strict=True)
            yield term, docs, weights, values, None


def _write_terms(writer, rows: Iterable[tuple]) -> None:
    """Each (term, docs, weights, values, lengths or None) row of one field, in term order, written as
    whoosh 2.7's W3 field writer writes it, byte for byte: a posting file part of 128-posting blocks
    (pickled and zlib-compressed) and a term-table row per term, the bytes written in one piece per
    field. Most terms of real text have a posting or two, so whoosh's object and method layers per
    term were a large share of writing them: an 80-issue segment of 84,000 terms wrote in 7.0 s here
    against 8.3-8.9 s through them (same machine load). What remains is the pickling and compression
    of each block; a term in one article has the block of every other such term of that article with
    the same frequency, so that block is encoded once."""
    postings = writer._postwriter
    limit, level = postings._blocklimit, postings._compression
    fixed_size = writer._format.fixed_value_size()
    postfile, table = writer._postfile, writer._tindex
    key_prefix = pack_ushort(writer._fieldid)
    post_parts: list[bytes] = []
    post_position = postfile.tell()
    table_parts: list[bytes] = []
    table_position = table.dbfile.tell()
    index_append, buckets, hash_key = table.index.append, table.buckets, table.hashfn
    last_key = table.lastkey
    # (docnum, weight, value, length) → the block of a term with that one posting, and its statistics
    lone_blocks: dict[tuple, tuple] = {}
    for term, docs, weights, values, lengths in rows:
        start = post_position
        post_parts.append(WHOOSH3_HEADER_MAGIC)
        post_position += len(WHOOSH3_HEADER_MAGIC)
        total_weight, max_weight, min_length, max_length = 0, 0, None, 0
        count = len(docs)
        for block_start in range(0, count, limit):
            block_stop = block_start + limit
            if count == 1:
                key = (docs[0], weights[0], values[0], lengths[0] if lengths else None)
                block = lone_blocks.get(key)
                if block is None:
                    block = lone_blocks[key] = _block(docs, weights, values, lengths, level, fixed_size, True)
            else:
                block = _block(
                    docs[block_start:block_stop],
                    weights[block_start:block_stop],
                    values[block_start:block_stop],
                    lengths[block_start:block_stop] if lengths else None,
                    level,
                    fixed_size,
                    block_stop >= count,
                )
            encoded, block_weight, block_max_weight, block_min, block_max = block
            # W3TermInfo.add_block
            total_weight += block_weight
            min_length = block_min if min_length is None else min(min_length, block_min)
            max_length = max(max_length, block_max)
            max_weight = max(max_weight, block_max_weight)
            post_parts.append(encoded)
            post_position += len(encoded)
        # W3TermInfo.to_bytes (never inlined: whoosh's inline limit of 1 posting is never reached)
        value = (
            TERM_INFO.pack(
                False,
                total_weight,
                count,
                0 if min_length is None else length_to_byte(min_length),
                length_to_byte(max_length),
                max_weight,
                docs[0],
                docs[-1],
            )
            + pack_long(start)
            + pack_int(post_position - start)
        )
        # OrderedHashWriter.add
        key = key_prefix + term
        if key <= last_key:
            raise ValueError(f"Keys must increase: {last_key!r}..{key!r}")
        last_key = key
        index_append(table_position)
        hashed = hash_key(key)
        buckets[hashed & 255].append((hashed, table_position))
        table_parts += (TABLE_LENGTHS.pack(len(key), len(value)), key, value)
        table_position += 8 + len(key) + len(value)
    table.lastkey = last_key
    postfile.write(b"".join(post_parts))
    table.dbfile.write(b"".join(table_parts))


def _block(ids, weights, values, lengths, level: int, fixed_size, last: bool) -> tuple:
    """One block of postings as W3PostingsWriter._write_block writes it (its length, negative for a
    term's last block, the pickled block info, the pickled and compressed ids, weights and values),
    with the block's total weight, maximum weight, and minimum and maximum lengths."""
    block_weights = array("f", weights)
    # whoosh's add_posting skips a length of 0 (`if length:`), so an empty field is no minimum.
    block_lengths = [length for length in lengths if length] if lengths else ()
    block_min, block_max = (min(block_lengths), max(block_lengths)) if block_lengths else (None, 0)
    block_max_weight = max(block_weights)
    # W3PostingsWriter._write_block and its _mini_* methods
    previous, deltas = 0, []
    for docnum in ids:
        deltas.append(docnum - previous)
        previous = docnum
    if all(weight == 1.0 for weight in block_weights):
        mini_weights = None
    elif all(weight == block_weights[0] for weight in block_weights):
        mini_weights = block_weights[0]
    else:
        mini_weights = tuple(block_weights)
    if fixed_size is None or fixed_size < 0:
        mini_values = tuple(values)
    elif fixed_size == 0:
        mini_values = None
    else:
        mini_values = b"".join(values)
    data = pickle.dumps((tuple(deltas), mini_weights, mini_values), 2)
    if level:
        data = zlib.compress(data, level)
    info = pickle.dumps(
        (len(ids), ids[-1], block_max_weight, level, length_to_byte(block_min), length_to_byte(block_max)),
        2,
    )
    block_length = len(info) + len(data)
    encoded = b"".join((pack_int(-block_length if last else block_length), info, data))
    return encoded, sum(block_weights), block_max_weight, block_min, block_max


class IssueWriter:
    """Deletes articles by issue and adds segments built by SegmentBuilder, all in one commit.

    whoosh writes the new table of contents last, so a crash or Ctrl-C before the commit leaves the
    previous index readable (segments written meanwhile are unreferenced and cleaned up by the next
    commit); the with-block cancels the writer on any exception.
    """

    def __init__(self, index):
        try:
            self._writer = index.writer(timeout=2.0)
        except LockError as error:
            raise IndexBusy(f"{index.storage.folder}: another indexer is writing to this index") from error
        self._segments = []

    def delete_issue(self, issue_id: str) -> None:
        self._writer.delete_by_term("issue_id", issue_id)

    def add_segment(self, segment) -> None:
        self._segments.append(segment)

    def __enter__(self) -> IssueWriter:
        return self

    def __exit__(self, kind, error, traceback) -> None:
        if kind is not None:
            self._writer.cancel()
            return
        # SegmentWriter.commit, with the built segments added to the table of contents: the merge
        # policy folds small old segments together and leaves the large ones alone.
        writer = self._writer
        try:
            with decoding(Path(writer.storage.folder)):
                segments = writer._merge_segments(_merge_small_verified, None, True)
                if writer._added:
                    segments.append(writer._finalize_segment())
                else:
                    writer._close_segment()
                segments += self._segments
                write_checksums(writer.storage, segments)
        except BaseException:
            writer.cancel()
            raise
        writer._commit_toc(segments)
        writer._finish()


# ------------------------------------------------------------------------------------ posting blocks


@dataclass(frozen=True)
class LeafTables:
    """What SegmentTables reads of one segment, the same for as long as the segment lives (deleted
    documents included), so a server's next generation takes it over for a segment it still has:
    reading the length columns doc by doc through whoosh cost ~0.4 s at 2,700 issues."""

    frequent: dict[str, dict[str, int]]  # field → term → bitmap
    lengths: dict[str, bytes]  # field → length byte by docnum

    @classmethod
    def read(cls, leaf) -> LeafTables:
        segment = leaf.segment()
        if segment is None:  # the reader of an index with no segment yet
            return cls(frequent={}, lengths={name: b"" for name in SCORED_FIELDS})
        frequent: dict[str, dict[str, int]] = {}
        storage, name = leaf._storage, segment.make_filename(FREQUENT_EXTENSION)
        if storage.file_exists(name):
            with storage.open_file(name) as handle:
                frequent = pickle.loads(handle.read())
        # else a segment whoosh merged: its postings are read instead
        lengths = {}
        for field_name in SCORED_FIELDS:
            column_name = f"_{field_name}_len"
            if leaf._perdoc.has_column(column_name):
                lengths[field_name] = bytes(leaf._perdoc.column_reader(column_name, LENGTHS_COLUMN))
            else:
                lengths[field_name] = bytes(leaf.doc_count_all())
        return cls(frequent=frequent, lengths=lengths)


@dataclass
class SegmentTables:
    """Per index generation: each segment's frequent-term bitmaps (see SegmentBuilder) and gram
    table (see grams.py), and each scored field's length bytes for all documents, as whoosh stores
    them for BM25."""

    frequent: list[dict[str, dict[str, int]]]  # by leaf reader: field → term → bitmap
    lengths: dict[str, bytes]  # field → length byte by docnum
    grams: list[tuple[GramTable, int]]  # by leaf reader: its gram table, its first docnum

    @classmethod
    def read(cls, reader, leaves: Sequence[LeafTables] | None = None) -> SegmentTables:
        """The reader's tables; leaves: each leaf reader's LeafTables, already read."""
        if not reader.doc_count_all():  # an index without segments
            return cls(frequent=[], lengths={name: b"" for name in SCORED_FIELDS}, grams=[])
        pairs = reader.leaf_readers()
        if leaves is None:
            leaves = [LeafTables.read(leaf) for leaf, _ in pairs]
        return cls(
            frequent=[tables.frequent for tables in leaves],
            lengths={name: b"".join(tables.lengths[name] for tables in leaves) for name in SCORED_FIELDS},
            grams=[(open_gram_table(leaf._storage, leaf.segment()), offset) for leaf, offset in pairs],
        )

    def gram_bits(self, gram: str) -> int:
        """The documents holding the bigram, deleted ones included, as a bitmap."""
        bits = 0
        for table, offset in self.grams:
            index = table.find(gram)
            if index is not None:
                bits |= table.bits(index) << offset
        return bits

    def gram_frequency(self, gram: str) -> int:
        """How many documents hold the bigram, deleted ones included (as whoosh's doc_frequency)."""
        found = ((table, table.find(gram)) for table, _ in self.grams)
        return sum(table.count(index) for table, index in found if index is not None)


# whoosh keeps a field length as one byte; a scorer asks for 1 when the byte is 0.
LENGTH_OF_BYTE = (1, *(byte_to_length(byte) for byte in range(1, 256)))


def posting_bits(reader, field: str, text: str, frequent: list[dict] | None = None) -> int:
    """Every document number in a term's postings as a bitmap, a block at a time.

    whoosh's own all_ids() steps through a Python generator per posting. Here the id blocks of
    whoosh 2.7's W3 codec (pinned, frozen) are read directly, and each block of up to 128 sorted ids
    becomes one small int summed at C speed, shifted into place once.
    """
    bits = 0
    for index, (leaf, offset) in enumerate(reader.leaf_readers()):
        stored = frequent[index].get(field, {}).get(text) if frequent else None
        if stored is not None:
            bits |= stored << offset
            continue
        if (field, text) not in leaf:
            continue
        matcher = stored_postings(leaf, field, text)
        blocks = _w3_id_blocks(matcher) if isinstance(matcher, W3LeafMatcher) else [matcher.all_ids()]
        for block in blocks:
            ids = list(block)
            if ids:
                first = ids[0]
                bits |= sum(map(ONE.__lshift__, map(first.__rsub__, ids))) << (offset + first)
    return bits


ONE = 1


def stored_postings(leaf, field: str, text: str):
    """The term's postings as stored, deleted documents included. Where the segment has deletions,
    whoosh's postings() wraps them in a FilterMatcher, which has none of the W3 block attributes read
    here and moves its child past the deleted documents the postings open with as it is made (past
    all of them when every one is deleted: the lexicon then counted a re-indexed issue's words twice).
    So the matcher comes from the segment's terms, as postings() makes it before wrapping it."""
    if not leaf.has_deletions():
        return leaf.postings(field, text)
    return leaf._terms.matcher(field, leaf._text_to_bytes(field, text), leaf.schema[field].format)


def _w3_id_blocks(matcher: W3LeafMatcher, wanted: BlockWanted = None) -> Iterator[Iterable[int]]:
    """The docnums of each block; with `wanted`, only of the blocks it wants (see w3_blocks), the
    others passed over on their headers, never decompressed."""
    low = 0
    while matcher.is_active():
        # A block's header holds its last docnum; the one before it ended below its first.
        high = matcher._maxid
        if wanted is None or wanted(low, high):
            if matcher._data is None:
                matcher._read_data()
            ids = matcher._data[0]
            yield ids if matcher._byteids else accumulate(ids)
        low = high + 1
        matcher._next_block()


# wanted(low, high): whether a block of postings whose docnums all lie in low..high is needed.
BlockWanted = Callable[[int, int], bool] | None


def w3_blocks(
    matcher: W3LeafMatcher, wanted: BlockWanted = None
) -> Iterator[tuple[Iterable[int], Iterable[float]]]:
    """(docnums, weights) a block at a time, decoded as W3LeafMatcher decodes them: a block stores
    no weights when all are 1.0, and one number when all are equal. With `wanted`, a block it does
    not want is skipped undecoded."""
    for ids in _w3_id_blocks(matcher, wanted):
        weights = matcher._data[1]
        if weights is None or isinstance(weights, float):
            weights = array("f", [1.0 if weights is None else weights]) * matcher._blocklength
        yield ids, weights
