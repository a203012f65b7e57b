"""The one module that talks to whoosh: analyzers, the schema, writing articles, and running a search.

Everything whoosh-specific stays here so the rest of the indexer deals in Issues, Articles and plain dicts.
The analyzers are pickled into the index with the schema, so they must stay importable from this module.
"""

from __future__ import annotations

import bisect
import copy
import json
import logging
import operator
import os
import pickle
import re
import threading
import time
import zlib
from array import array
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from itertools import accumulate, compress, repeat
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh import qparser
from whoosh import query as wq
from whoosh.analysis import Token, Tokenizer
from whoosh.codec import default_codec
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher
from whoosh.columns import VarBytesColumn
from whoosh.fields import COLUMN, ID, STORED, TEXT, Schema
from whoosh.filedb.compound import CompoundStorage
from whoosh.filedb.structfile import BufferFile
from whoosh.index import TOC, FileIndex
from whoosh.matching.wrappers import FilterMatcher
from whoosh.scoring import bm25
from whoosh.searching import Searcher
from whoosh.system import pack_uint
from whoosh.util.numeric import byte_to_length
from whoosh.writing import MERGE_SMALL, LockError

from indexer.analysis import (
    MATCH_PART_SEPARATOR,
    ArticleAnalysis,
    match_pattern,
    ngram_tokens,
    query_words,
    word_tokens,
)
from indexer.errors import INDEX_DAMAGE, IndexBusy, IndexCorrupt, IndexMissing
from indexer.segment import tokenizer_for_words

logger = logging.getLogger(__name__)

FACETS = ("county", "department", "kind", "year", "month", "keyword")
FACET_SEPARATOR = "\x1f"
VALUE_SEPARATOR = "\x1e"
TITLE_BOOST = 3.0
# The bigrams that give a substring leaf its candidates; the title's are in it too.
NGRAM_FIELD = "ngram"
# Counting a many-valued facet doc by doc is slow on a large result; past this size only the most
# frequent values of the whole archive are counted, by set intersection.
KEYWORD_SCAN_LIMIT = 3000
# Counting one facet value by bitmap costs about as much as tallying this many values doc by doc, so a
# facet with many values (months) is counted doc by doc even on a large result.
BITMAP_COUNT_COST = 40
KEYWORD_CANDIDATES = 300
RESULT_CACHE_SIZE = 512
SUBSTRING_CACHE_SIZE = 2048
# Past this many candidates, ordering by BM25 in Python costs more than a search should: title
# matches are scored, and the rest come newest first.
SCORE_LIMIT = 3000
DATE_SCAN_FACTOR = 20
# A substring leaf's candidates hold its rarest bigrams; more postings cost more than checking the texts.
CANDIDATE_GRAMS = 2
# A term in at least this share of a segment's articles also gets its docset stored as a bitmap.
FREQUENT_SHARE = 1 / 32
FREQUENT_MINIMUM = 64
FREQUENT_EXTENSION = ".frequent"
SCORED_FIELDS = ("title", "body")
# Written by the index writer: analysis.match_text of each article, utf-8.
MATCH_TEXT_COLUMN = "match_text"
# Words in more than this share of articles are left out of ranking when rarer words are present.
COMMON_TERM_SHARE = 0.1


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


def _open_part_in_place(self, name, *args, **kwargs):
    if self._source is None or self.is_closed:
        return _stock_open_part(self, name, *args, **kwargs)
    offset, length = self.range(name)
    return _MappedSubfile(self._source, offset, length, name)


CompoundStorage.open_file = _open_part_in_place


class _TupleTokenizer(Tokenizer):
    """The whoosh side of our tokenizers: our (text, position, start, end) tuples as whoosh Tokens.

    Indexing never calls these (SegmentBuilder counts terms computed in worker processes); they
    describe the fields in the schema and serve whoosh's own query-time analysis.
    """

    def tokens(self, text: str, mode: str):
        raise NotImplementedError

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode)
        for text, position, start, end in self.tokens(value, mode):
            token.text = text
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = text
            if positions:
                token.pos = start_pos + position
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token


class JiebaTokenizer(_TupleTokenizer):
    """jieba words with ordinal positions; sub-words at index time only (see analysis.word_tokens)."""

    def __init__(self, words: Iterable[str] = ()):
        self.words = tuple(words)

    def __eq__(self, other):
        return type(self) is type(other) and self.words == other.words

    def tokens(self, text: str, mode: str):
        return word_tokens(text, tokenizer_for_words(self.words), with_subwords=mode != "query")


class NgramTokenizer(_TupleTokenizer):
    """CJK bigrams and Latin words (see analysis.ngram_tokens)."""

    def __eq__(self, other):
        return type(self) is type(other)

    def tokens(self, text: str, mode: str):
        return ngram_tokens(text)


def ChineseWordAnalyzer(words: Iterable[str] = ()) -> JiebaTokenizer:  # noqa: N802 - whoosh's naming
    return JiebaTokenizer(words)


def BigramAnalyzer() -> NgramTokenizer:  # noqa: N802 - whoosh's naming
    return NgramTokenizer()


def make_schema(words: Iterable[str]) -> Schema:
    """Only what whoosh searches is indexed: the text fields, the article id (looked up) and the issue
    id (deleted by). Filters and facets run on the facets column, so the rest is only stored."""
    words = tuple(words)
    return Schema(
        id=ID(stored=True, unique=True),
        issue_id=ID(stored=True),
        kind=STORED(),
        ordinal=STORED(),
        title=TEXT(analyzer=ChineseWordAnalyzer(words), stored=True, field_boost=TITLE_BOOST, phrase=False),
        body=TEXT(analyzer=ChineseWordAnalyzer(words), stored=True, phrase=False),
        # Bigrams only find candidates for a substring; the match itself is checked on the text.
        ngram=TEXT(analyzer=BigramAnalyzer(), phrase=False),
        date=STORED(),
        department=STORED(),
        counties=STORED(),
        keywords=STORED(),
        issue_number=STORED(),
        issue_total=STORED(),
        issue_date=STORED(),
        sources=STORED(),
        page=STORED(),
        content_hash=STORED(),
        # Every facet value of the article in one column, read in one pass to build the facet table.
        facets=COLUMN(VarBytesColumn()),
        **{MATCH_TEXT_COLUMN: COLUMN(VarBytesColumn())},
    )


def article_document(
    issue, article, analysis: ArticleAnalysis, content_hash: str
) -> tuple[dict, dict[str, tuple[str, ...]]]:
    """The whoosh document of one article, and the terms jieba found for its text fields."""
    facet_values = [
        article.kind,
        article.department or "",
        article.date.isoformat(),
        VALUE_SEPARATOR.join(article.counties),
        VALUE_SEPARATOR.join(analysis.keywords),
        issue.id,
    ]
    document = {
        "id": article.id,
        "issue_id": issue.id,
        "kind": article.kind,
        "ordinal": article.ordinal,
        "title": article.title,
        "body": article.body,
        "date": article.date.isoformat(),
        "department": article.department or "",
        "counties": ",".join(article.counties),
        "keywords": ",".join(analysis.keywords),
        "issue_number": issue.number,
        "issue_total": issue.total_number,
        "issue_date": issue.date.isoformat(),
        "sources": list(issue.sources or (issue.source,)),
        "page": article.page,
        "content_hash": content_hash,
        "facets": FACET_SEPARATOR.join(facet_values).encode("utf-8"),
        MATCH_TEXT_COLUMN: analysis.match_text.encode("utf-8"),
    }
    terms = {"title": analysis.title_words, "body": analysis.body_words, "ngram": analysis.ngrams}
    return document, terms


def create_index(index_dir: Path, words: Iterable[str]):
    index_dir.mkdir(parents=True, exist_ok=True)
    return whoosh_index.create_in(str(index_dir), make_schema(words))


def index_exists(index_dir: Path) -> bool:
    """Whether the folder holds a whoosh table of contents; only its name is looked at, so a damaged
    one counts too."""
    toc = whoosh_index.TOC._pattern(whoosh_index._DEF_INDEX_NAME)
    return index_dir.is_dir() and any(toc.match(name) for name in os.listdir(index_dir))


def open_index(index_dir: Path):
    if not whoosh_index.exists_in(str(index_dir)):
        raise IndexMissing(f"{index_dir}: no index yet; run `bulletin index` first")
    index = whoosh_index.open_dir(str(index_dir))
    if MATCH_TEXT_COLUMN not in index.schema:
        raise IndexMissing(f"{index_dir}: the index was built by an older version; run `bulletin index`")
    return index


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
            index = whoosh_index.open_dir(str(index_dir))
            if _schema_signature(index.schema) != _schema_signature(make_schema(words)):
                return None
            # A reader reads each segment's directory and headers: a missing or truncated segment
            # file shows here, in milliseconds, even on a run with nothing to add.
            index.reader().close()
    except FileNotFoundError as error:
        raise IndexCorrupt.decoding(index_dir, error) from error
    return index


def _schema_signature(schema: Schema) -> list[tuple]:
    # whoosh's column types have no equality, so Schema.__eq__ is never true across a pickle.
    return [
        (
            name,
            type(field),
            type(field.format),
            getattr(field, "analyzer", None),
            type(field.column_type),
            field.stored,
        )
        for name, field in schema.items()
    ]


# ------------------------------------------------------------------------------------------- checksums

# Beside each segment file, the size and CRC-32 it was written with. The name starts with the segment's
# id, so whoosh's cleanup deletes it together with its segment.
SUM_EXTENSION = ".sum"
CHECKSUM_BLOCK = 1 << 22
# Files this process has read back whole and found as written, by (device, inode, size, mtime).
_verified: set[tuple[int, int, int, int]] = set()


def file_checksum(path: Path) -> int:
    crc = 0
    with open(path, "rb") as handle:
        while block := handle.read(CHECKSUM_BLOCK):
            crc = zlib.crc32(block, crc)
    return crc


def _segment_files(names: Iterable[str], segments) -> list[str]:
    prefixes = tuple(segment.segment_id() + "." for segment in segments)
    return sorted(name for name in names if name.startswith(prefixes) and not name.endswith(SUM_EXTENSION))


def write_checksums(storage, segments) -> None:
    """A checksum record beside every file of the segments that has none yet (segments written by
    an older version get theirs at the next commit)."""
    folder, names = Path(storage.folder), set(storage.list())
    for name in _segment_files(names, segments):
        if name + SUM_EXTENSION in names:
            continue
        path = folder / name
        record = {"size": path.stat().st_size, "crc32": file_checksum(path)}
        temporary = folder / f"{name}{SUM_EXTENSION}.tmp"
        temporary.write_text(json.dumps(record), encoding="utf-8")
        os.replace(temporary, folder / (name + SUM_EXTENSION))


def verify_segments(storage, segments) -> None:
    """Raises IndexCorrupt for a segment file whose size or checksum is not what was written. Files
    without a record (an index from an older version) are not checked; each file once per process."""
    folder, names = Path(storage.folder), set(storage.list())
    for name in _segment_files(names, segments):
        if name + SUM_EXTENSION not in names:
            continue
        path = folder / name
        stat = path.stat()
        key = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)
        if key in _verified:
            continue
        try:
            record = json.loads((folder / (name + SUM_EXTENSION)).read_text(encoding="utf-8"))
            size, crc = int(record["size"]), int(record["crc32"])
        except (ValueError, KeyError, TypeError) as error:
            raise IndexCorrupt(folder / (name + SUM_EXTENSION), "unreadable checksum record") from error
        if stat.st_size != size:
            raise IndexCorrupt(path, f"{stat.st_size} bytes on disk, {size} written")
        if file_checksum(path) != crc:
            raise IndexCorrupt(path, "checksum mismatch, the bytes on disk are not those written")
        _verified.add(key)


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
        # field → term bytes → [(docnum, weight, value bytes), ...], for the short keyword-like fields
        self.indexed: dict[str, dict[bytes, list[tuple[int, float, bytes]]]] = {}
        self.lengths: dict[str, list[int]] = {}
        self.doc_count = 0

    def add(self, document: dict, terms: dict[str, tuple[str, ...]]) -> None:
        docnum = self.doc_count
        self.perdoc.start_doc(docnum)
        for name in sorted(document.keys() | terms.keys()):
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
                self._write_counted(writer, field, self.counted[name], self.lengths[name])
            else:
                for term in sorted(self.indexed[name]):
                    docs, weights, values = zip(*self.indexed[name][term], strict=True)
                    _write_term(writer, term, docs, weights, values, None)
            writer.finish_field()
        writer.close()
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

    def _write_counted(self, writer, field, by_term: dict[str, list[int]], lengths: list[int]) -> None:
        boost = field.format.field_boost
        lengths += [0] * (self.doc_count - len(lengths))
        for term in sorted(by_term):
            postings = by_term[term]
            docs, frequencies = postings[0::2], postings[1::2]
            weights = [frequency * boost for frequency in frequencies]
            values = list(map(pack_uint, frequencies))
            _write_term(writer, term.encode("utf-8"), docs, weights, values, [lengths[d] for d in docs])


def _write_term(writer, term: bytes, docs, weights, values, lengths) -> None:
    """One term's postings, in document order, through the W3 postings writer a block at a time:
    the per-posting add_posting() with its type checks is the slow part of whoosh's own path."""
    writer.start_term(term)
    postings = writer._postwriter
    limit = postings._blocklimit
    for start in range(0, len(docs), limit):
        if start:
            postings._write_block()
        stop = start + limit
        postings._ids = array("I", docs[start:stop])
        postings._weights = array("f", weights[start:stop])
        postings._values = list(values[start:stop])
        postings._maxweight = max(postings._weights)
        if lengths:
            block_lengths = lengths[start:stop]
            postings._minlength, postings._maxlength = min(block_lengths), max(block_lengths)
    writer.finish_term()


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


# ---------------------------------------------------------------------------------------------- queries


def _query_parser() -> qparser.QueryParser:
    parser = qparser.QueryParser("body", schema=None)
    # A "?" or "*" in Chinese text is punctuation, not a wildcard.
    parser.remove_plugin_class(qparser.WildcardPlugin)
    parser.add_plugin(qparser.PlusMinusPlugin())
    return parser


class SubstringLeaf(wq.Query):
    """One unit of the user's query: articles whose `part` ("title" or "text") contains `text`.

    Matching is exact substring matching (see QueryPlan.substring_docs). `words` are the same text
    as the word analyzer sees it: articles holding them as whole words in `word_fields` rank first.
    A `preferred` leaf does not restrict the result; its articles rank above the others.
    """

    def __init__(
        self, part: str, text: str, words: tuple[str, ...], word_fields: tuple[str, ...], preferred=False
    ):
        self.part, self.text, self.words = part, text, tuple(words)
        self.word_fields = tuple(word_fields)
        self.preferred = preferred
        self.boost = 1.0

    def _key(self):
        return (self.part, self.text, self.words, self.word_fields, self.preferred)

    def __eq__(self, other):
        return type(self) is type(other) and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def __repr__(self):
        return f"SubstringLeaf({self.part!r}, {self.text!r}, words={self.words!r})"

    def field(self):
        return NGRAM_FIELD

    def is_leaf(self):
        return True

    def normalize(self):
        return self

    def grams(self) -> list[str]:
        return [gram for gram, *_ in ngram_tokens(self.text)]

    def word_terms(self) -> list[wq.Term]:
        return [wq.Term(name, word) for name in self.word_fields for word in self.words]


QUOTE = re.compile(r'(:?)"([^"]*)"')
# whoosh turns a quoted single word into a plain Term, losing the quotes; a placeholder keeps them.
QUOTE_PLACEHOLDER = re.compile(r"qqquote(\d+)qqq")


# The placeholder is plain text a user can type too; what the user typed that looks like one is stashed
# as itself, so every placeholder in the parsed query is one of ours.
STASHED = re.compile(QUOTE.pattern + "|" + QUOTE_PLACEHOLDER.pattern, re.IGNORECASE)


def _stash_quotes(text: str) -> tuple[str, list[str]]:
    quoted: list[str] = []

    def stash(match: re.Match) -> str:
        is_quote = match.group(2) is not None
        quoted.append(match.group(2) if is_quote else match.group(0))
        placeholder = f"qqquote{len(quoted) - 1}qqq"
        if not is_quote:
            return placeholder
        return f":{placeholder}" if match.group(1) else f" {placeholder} "

    return STASHED.sub(stash, text), quoted


class QueryBuilder:
    """User query syntax (AND, OR, NOT, "phrase", title:) into whoosh queries with substring recall."""

    def __init__(self, words: Iterable[str]):
        self.words = tuple(words)
        self.parser = _query_parser()
        self._quoted: list[str] = []

    def parse(self, text: str) -> tuple[wq.Query, list[str]]:
        """The query and the strings to highlight. Empty text means every article."""
        text = text.strip()
        if not text:
            return wq.Every(), []
        # The server's threads share this builder: each parse expands with its own copy, so one
        # query's stashed quotes are never read by another's.
        builder = copy.copy(self)
        text, builder._quoted = _stash_quotes(text)
        try:
            parsed = self.parser.parse(text)
        except Exception:  # noqa: BLE001 - whoosh's parser raises assorted errors on odd syntax
            parsed = wq.NullQuery
        highlights: list[str] = []
        built = builder._expand(parsed, highlights, negated=False)
        if built is wq.NullQuery:
            plain = wq.And([wq.Term("body", part) for part in text.split()])
            built = builder._expand(plain, highlights, False)
        return built, list(dict.fromkeys(h for h in highlights if h))

    def _expand(self, node: wq.Query, highlights: list[str], negated: bool) -> wq.Query:
        if isinstance(node, wq.Term):
            quoted = QUOTE_PLACEHOLDER.fullmatch(str(node.text))
            if quoted:
                return self._leaf(
                    node.fieldname, self._quoted[int(quoted.group(1))], True, highlights, negated
                )
            text = QUOTE_PLACEHOLDER.sub(lambda m: self._quoted[int(m.group(1))], str(node.text))
            return self._leaf(node.fieldname, text, False, highlights, negated)
        if isinstance(node, wq.Phrase):
            return self._leaf(node.fieldname, " ".join(node.words), True, highlights, negated)
        if isinstance(node, wq.Not):
            return wq.Not(self._expand(node.query, highlights, True))
        if isinstance(node, wq.AndNot):
            return wq.AndNot(
                self._expand(node.a, highlights, negated), self._expand(node.b, highlights, True)
            )
        if node.is_leaf():
            # Ranges, prefixes and the like: read their text as plain words.
            return self._leaf(
                "body", " ".join(str(t) for _, t in node.iter_all_terms()), False, highlights, negated
            )
        return node.apply(lambda child: self._expand(child, highlights, negated)).normalize()

    def _leaf(
        self, field_name: str, text: str, quoted: bool, highlights: list[str], negated: bool
    ) -> wq.Query:
        if field_name == "title":
            part, word_fields = "title", ["title"]
        elif field_name in ("body", "text", "content"):
            part, word_fields = "text", ["title", "body"]
        else:
            # "http://x" or "5:30" is not a field prefix we know: search the whole text.
            text = f"{field_name}:{text}"
            part, word_fields = "text", ["title", "body"]
        tokenizer = tokenizer_for_words(self.words)
        if quoted:
            units = [(text, query_words(text, tokenizer))]
            all_units = 1
        else:
            units = [(word, [word]) for word in query_words(text, tokenizer)]
            all_units = len(units)
            if any(len(word) > 1 for word, _ in units):
                # jieba leaves unknown names in single characters (盛派 → 盛 派); as separate units they
                # would match almost every article and cost a lexicon scan each. The run as typed
                # still ranks first through the preferred leaf below.
                units = [(word, words) for word, words in units if len(word) > 1 or word.isascii()]
        parts = []
        for unit, words in units:
            if not any(True for _ in ngram_tokens(unit)):
                continue
            if not negated:
                highlights.append(unit)
                if not quoted and len(units) > 1:
                    highlights.append(text)
            parts.append(SubstringLeaf(part, unit, tuple(words), tuple(word_fields)))
        if not parts:
            return wq.NullQuery
        if quoted or (len(parts) == 1 and all_units == 1):
            return parts[0]
        # An unquoted run such as 林建波瑞安 matches when all its words occur anywhere, but the
        # articles holding the run itself, as typed, rank above the rest.
        whole = SubstringLeaf(part, text, (), tuple(word_fields), preferred=True)
        return wq.AndMaybe(wq.And(parts) if len(parts) > 1 else parts[0], whole)


# ----------------------------------------------------------------------------------------------- facets

# Document sets are Python ints used as bitmaps (bit i is docnum i): intersections, unions and counts
# run at C speed over the whole archive, where frozensets probed every member one hash at a time.
BIT = tuple(1 << i for i in range(8))
BYTE_BITS = tuple(tuple(i for i in range(8) if byte >> i & 1) for byte in range(256))


def bitmap(docnums: Iterable[int], size: int) -> int:
    bits = bytearray((size + 7) // 8)
    for docnum in docnums:
        bits[docnum >> 3] |= BIT[docnum & 7]
    return int.from_bytes(bits, "little")


def docnums(bits: int) -> Iterator[int]:
    """The docnums of a bitmap, ascending."""
    raw = bits.to_bytes((bits.bit_length() + 7) // 8, "little")
    # A few documents spread over the archive: find their bytes at C speed, not byte by byte.
    sparse = bits.bit_count() * SPARSE_FACTOR < len(raw)
    found = ((m.start(), raw[m.start()]) for m in NONZERO_BYTE.finditer(raw)) if sparse else enumerate(raw)
    for index, byte in found:
        if byte:
            base = index << 3
            for bit in BYTE_BITS[byte]:
                yield base + bit


NONZERO_BYTE = re.compile(rb"[^\x00]")
SPARSE_FACTOR = 16


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
class FacetTable:
    """Facet values of every live document, built once per index generation from the facets column."""

    size: int  # docnums run from 0 to size - 1
    postings: dict[str, dict[str, int]]  # facet → value → bitmap
    values: dict[str, list[tuple[str, ...]]]  # facet → docnum → the doc's values, for small results
    issues: dict[str, tuple[int, ...]]  # issue id → its docnums, ascending
    dates: list[str]  # by docnum; "" for deleted documents
    date_order: list[int]  # live docnums by (date, docnum)
    month_spans: list[tuple[int, int]]  # each month's slice of date_order, in date order
    live: int
    values_per_doc: dict[str, float] = field(default_factory=dict)
    keyword_candidates: list[str] = field(default_factory=list)

    @classmethod
    def build(cls, reader) -> FacetTable:
        size = reader.doc_count_all()
        docs: dict[str, defaultdict[str, list[int]]] = {name: defaultdict(list) for name in FACETS}
        values: dict[str, list[tuple[str, ...]]] = {name: [()] * size for name in FACETS}
        issues: defaultdict[str, list[int]] = defaultdict(list)
        dates = [""] * size
        # A field's text (one value, or several joined) → its values: docs share these tuples, and
        # most texts recur, so each is split once.
        shared: dict[str, tuple[str, ...]] = {}
        for docnum, raw in live_column_values(reader, "facets"):
            kind, department, date, counties, keywords, issue_id = raw.decode("utf-8").split(FACET_SEPARATOR)
            dates[docnum] = date
            issues[issue_id].append(docnum)
            fields = (("county", counties), ("department", department), ("kind", kind))
            for name, text in fields + (("year", date[:4]), ("month", date[:7]), ("keyword", keywords)):
                tupled = shared.get(text)
                if tupled is None:
                    tupled = shared[text] = tuple(value for value in text.split(VALUE_SEPARATOR) if value)
                values[name][docnum] = tupled
                by_value = docs[name]
                for value in tupled:
                    by_value[value].append(docnum)
        postings = {
            name: {value: bitmap(numbers, size) for value, numbers in by_value.items()}
            for name, by_value in docs.items()
        }
        live_count = max(1, sum(1 for date in dates if date))
        occurrences = {name: sum(map(len, by_value.values())) for name, by_value in docs.items()}
        keyword_sizes = sorted(docs["keyword"].items(), key=lambda item: (-len(item[1]), item[0]))
        date_order = sorted((docnum for docnum in range(size) if dates[docnum]), key=lambda d: (dates[d], d))
        month_spans, start = [], 0
        for end in range(1, len(date_order) + 1):
            if end == len(date_order) or dates[date_order[end]][:7] != dates[date_order[start]][:7]:
                month_spans.append((start, end))
                start = end
        return cls(
            size=size,
            postings=postings,
            values=values,
            issues={issue_id: tuple(numbers) for issue_id, numbers in issues.items()},
            dates=dates,
            date_order=date_order,
            month_spans=month_spans,
            live=bitmap(date_order, size),
            values_per_doc={name: occurrences[name] / live_count for name in FACETS},
            keyword_candidates=[value for value, _ in keyword_sizes[:KEYWORD_CANDIDATES]],
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
        whole = [(start, end) for start, end in self.month_spans if low <= start and end <= high]
        if not whole:
            return self.bitmap(order[low:high])
        docs = self.bitmap(order[low : whole[0][0]] + order[whole[-1][1] : high])
        months = self.postings["month"]
        for start, _ in whole:
            docs |= months[self.dates[order[start]][:7]]
        return docs

    def count(self, facet: str, docs: int) -> Counter:
        """Every value's count in docs; on a large result, only the keywords most frequent overall."""
        size = docs.bit_count()
        candidates = self.keyword_candidates if facet == "keyword" and size > KEYWORD_SCAN_LIMIT else None
        bitmaps = len(candidates if candidates is not None else self.postings[facet])
        if size * self.values_per_doc[facet] <= bitmaps * BITMAP_COUNT_COST:
            # Docs share their value tuples, so tally the tuples at C speed, then their values.
            counts = Counter()
            for values, shared in Counter(map(self.values[facet].__getitem__, docnums(docs))).items():
                for value in values:
                    counts[value] += shared
            return counts if candidates is None else Counter({value: counts[value] for value in candidates})
        postings = self.postings[facet]
        if candidates is not None:
            return Counter({value: (docs & postings[value]).bit_count() for value in candidates})
        counts = Counter()
        for value, posting in postings.items():
            shared = (posting & docs).bit_count()
            if shared:
                counts[value] = shared
        return counts

    def newest(self, docs: int, count: int, oldest: bool = False) -> list[int]:
        """The first `count` of docs by date (newest first, or oldest first), ties by docnum."""
        if docs.bit_count() <= count * DATE_SCAN_FACTOR:
            ordered = sorted(docnums(docs), key=lambda d: (self.dates[d], -d), reverse=True)
            return ordered[::-1][:count] if oldest else ordered[:count]
        # A large set: walk the archive in date order, testing bits of a bytes copy, until enough.
        raw = docs.to_bytes((self.size + 7) // 8, "little")
        walk = self.date_order if oldest else reversed(self.date_order)
        found = []
        for docnum in walk:
            if raw[docnum >> 3] & BIT[docnum & 7]:
                found.append(docnum)
                if len(found) == count:
                    break
        return found


@dataclass
class EngineRequest:
    """What the engine needs: text query, filters as official values, sort and the slice wanted."""

    text: str = ""
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    date_from: str | None = None
    date_to: str | None = None
    sort: str = "relevance"
    offset: int = 0
    limit: int = 20

    def cache_key(self) -> tuple:
        filters = tuple(sorted((name, tuple(values)) for name, values in self.filters.items() if values))
        return (self.text, filters, self.date_from, self.date_to, self.sort, self.offset, self.limit)


@dataclass
class EngineResult:
    total: int
    hits: list[dict]  # stored fields, plus "score"
    facets: dict[str, Counter]
    highlights: list[str]


@dataclass
class SegmentTables:
    """Per index generation: each segment's frequent-term bitmaps (see SegmentBuilder), and each
    scored field's length bytes for all documents, as whoosh stores them for BM25."""

    frequent: list[dict[str, dict[str, int]]]  # by leaf reader: field → term → bitmap
    lengths: dict[str, bytes]  # field → length byte by docnum

    @classmethod
    def read(cls, reader) -> SegmentTables:
        frequent, lengths = [], {name: [] for name in SCORED_FIELDS}
        if not reader.doc_count_all():  # an index without segments
            return cls(frequent=[], lengths={name: b"" for name in SCORED_FIELDS})
        for leaf, _ in reader.leaf_readers():
            storage, name = leaf._storage, leaf.segment().make_filename(FREQUENT_EXTENSION)
            if storage.file_exists(name):
                with storage.open_file(name) as handle:
                    frequent.append(pickle.loads(handle.read()))
            else:  # a segment whoosh merged: its postings are read instead
                frequent.append({})
            for field_name in SCORED_FIELDS:
                column_name = f"_{field_name}_len"
                if leaf._perdoc.has_column(column_name):
                    column = bytes(leaf._perdoc.column_reader(column_name, LENGTHS_COLUMN))
                else:
                    column = bytes(leaf.doc_count_all())
                lengths[field_name].append(column)
        return cls(frequent=frequent, lengths={name: b"".join(parts) for name, parts in lengths.items()})


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
    """The term's postings as stored, deleted documents included: whoosh wraps them in a FilterMatcher
    when the segment has deletions, which has none of the W3 block attributes read here; every
    caller intersects with the live documents anyway."""
    matcher = leaf.postings(field, text)
    return matcher.child if isinstance(matcher, FilterMatcher) else matcher


def _w3_id_blocks(matcher: W3LeafMatcher) -> Iterator[Iterable[int]]:
    while matcher.is_active():
        if matcher._data is None:
            matcher._read_data()
        ids = matcher._data[0]
        yield ids if matcher._byteids else accumulate(ids)
        matcher._next_block()


def _w3_blocks(matcher: W3LeafMatcher) -> Iterator[tuple[Iterable[int], Iterable[float]]]:
    """(docnums, weights) a block at a time, decoded as W3LeafMatcher decodes them: a block stores
    no weights when all are 1.0, and one number when all are equal."""
    for ids in _w3_id_blocks(matcher):
        weights = matcher._data[1]
        if weights is None or isinstance(weights, float):
            weights = array("f", [1.0 if weights is None else weights]) * matcher._blocklength
        yield ids, weights


@dataclass
class MatchTexts:
    """Every document's analysis.match_text, split into the title's and the whole text's; "" if deleted."""

    titles: list[str]
    texts: list[str]

    @classmethod
    def read(cls, reader) -> MatchTexts:
        titles, texts = [""] * reader.doc_count_all(), [""] * reader.doc_count_all()
        for docnum, raw in live_column_values(reader, MATCH_TEXT_COLUMN):
            titles[docnum], _, texts[docnum] = raw.decode("utf-8").partition(MATCH_PART_SEPARATOR)
        return cls(titles=titles, texts=texts)

    def part(self, name: str) -> list[str]:
        return self.titles if name == "title" else self.texts


class QueryPlan:
    """Evaluates a parsed query to a set of documents, then orders them; one per search.

    Boolean structure is bitmap algebra here rather than whoosh matchers, so a substring leaf can take
    its shortcut: an article holding the leaf as an indexed word contains it for sure, and only the
    remaining candidates (all bigrams present) need a look at their match text.
    """

    def __init__(
        self, searcher, table: FacetTable, texts: MatchTexts, segments: SegmentTables, cache: OrderedDict
    ):
        self.searcher, self.table, self.texts, self.segments = searcher, table, texts, segments
        self.cache = cache
        self.reader = searcher.reader()
        self.leaves: list[SubstringLeaf] = []
        self.preferred: list[SubstringLeaf] = []
        # Ranking asks again for the word postings the leaves read.
        self._terms: dict[tuple[str, str], int] = {}

    def term_bits(self, field: str, text: str) -> int:
        key = (field, text)
        if key not in self._terms:
            self._terms[key] = (
                posting_bits(self.reader, field, text, self.segments.frequent) & self.table.live
            )
        return self._terms[key]

    def term_docs(self, query: wq.Query) -> int:
        if isinstance(query, wq.Term):
            return self.term_bits(query.fieldname, query.text)
        if isinstance(query, wq.Or) and all(isinstance(q, wq.Term) for q in query.subqueries):
            docs = 0
            for term in query.subqueries:
                docs |= self.term_bits(term.fieldname, term.text)
            return docs
        return self.table.bitmap(self.searcher.docs_for_query(query)) & self.table.live

    def docs(self, node: wq.Query, negated: bool = False) -> int:
        live = self.table.live
        if isinstance(node, wq.Every):
            return live
        if node is wq.NullQuery or isinstance(node, type(wq.NullQuery)):
            return 0
        if isinstance(node, SubstringLeaf):
            if not negated:
                self.leaves.append(node)
            return self.substring_docs(node)
        if isinstance(node, wq.Not):
            return live & ~self.docs(node.query, not negated)
        if isinstance(node, wq.AndNot):
            return self.docs(node.a, negated) & ~self.docs(node.b, not negated)
        if isinstance(node, wq.AndMaybe):
            if isinstance(node.b, SubstringLeaf) and node.b.preferred and not negated:
                self.preferred.append(node.b)
            return self.docs(node.a, negated)
        if isinstance(node, wq.And):
            result = live
            for child in node.subqueries:
                result &= self.docs(child, negated)
            return result
        if isinstance(node, wq.Or):
            result = 0
            for child in node.subqueries:
                result |= self.docs(child, negated)
            return result
        return self.term_docs(node)

    def substring_docs(self, leaf: SubstringLeaf) -> int:
        key = (leaf.part, leaf.text, leaf.words, leaf.word_fields)
        cached = self.cache.get(key)
        # The server's threads share the cache without a lock: another may evict a key in between.
        if cached is not None:
            with suppress(KeyError):
                self.cache.move_to_end(key)
            return cached
        docs = self._substring_docs(leaf)
        self.cache[key] = docs
        if len(self.cache) > SUBSTRING_CACHE_SIZE:
            with suppress(KeyError):
                self.cache.popitem(last=False)
        return docs

    def _substring_docs(self, leaf: SubstringLeaf) -> int:
        grams = leaf.grams()
        if not grams:
            return 0
        texts = self.texts.part(leaf.part)
        if len(grams) == 1 and len(grams[0]) == 1 and not grams[0].isascii():
            # A lone character is indexed only inside bigrams; the texts hold it wherever it stands.
            return self.holding(grams[0], texts, self.table.live)
        rarest_first = sorted(set(grams), key=lambda g: self.reader.doc_frequency(NGRAM_FIELD, g))
        candidates = self.table.live
        for gram in rarest_first[:CANDIDATE_GRAMS]:
            candidates &= self.term_bits(NGRAM_FIELD, gram)
        if len(grams) == 1 and leaf.part == "text":
            return candidates
        certain = 0
        if len(grams) > 1 and len(leaf.words) == 1 and leaf.words[0] == "".join(leaf.text.split()).lower():
            certain = candidates & self.term_docs(wq.Or(leaf.word_terms()))
        return certain | self.holding(match_pattern(leaf.text), texts, candidates & ~certain)

    def holding(self, pattern: str, texts: list[str], candidates: int) -> int:
        """The candidates whose text holds pattern, tested at C speed (map over str.__contains__)
        rather than a Python step per text; the bitmap is built from the shorter of hits and misses."""
        numbers = list(docnums(candidates))
        holds = list(map(str.__contains__, map(texts.__getitem__, numbers), repeat(pattern)))
        if 2 * holds.count(True) <= len(numbers):
            return self.table.bitmap(compress(numbers, holds))
        return candidates & ~self.table.bitmap(compress(numbers, map(operator.not_, holds)))

    def ranking_terms(self) -> list[wq.Term]:
        """The whole-word terms that order the result, without the very common ones (活动, 工作):
        they barely move BM25 and walking their postings is most of a search's time."""
        terms = list(dict.fromkeys(term for leaf in self.leaves for term in leaf.word_terms()))
        if not terms:
            return []
        frequency = {term: self.reader.doc_frequency(term.fieldname, term.text) for term in terms}
        common = COMMON_TERM_SHARE * max(self.reader.doc_count(), 1)
        telling = [term for term in terms if frequency[term] <= common]
        if telling:
            return telling
        rarest = min(frequency.values())
        return [term for term in terms if frequency[term] == rarest]

    def bm25_scores(self, terms: list[wq.Term], group: int) -> dict[int, float]:
        """Each document of group scored as whoosh scores an Or of the terms (BM25F: its bm25(), its
        statistics, the weights and field lengths it stores), reading only the terms' postings rather
        than walking whoosh's matchers over every posting to filter most of them away."""
        searcher, size = self.searcher, self.table.size
        members = group.to_bytes((size + 7) // 8, "little")
        model = searcher.weighting
        scores: dict[int, float] = {}
        for term in terms:
            field, text = term.fieldname, term.text
            idf, average = searcher.idf(field, text), searcher.avg_field_length(field) or 1
            lengths = self.segments.lengths[field]
            for leaf, offset in searcher.reader().leaf_readers():
                if (field, text) not in leaf:
                    continue
                for ids, weights in _w3_blocks(stored_postings(leaf, field, text)):
                    for docnum, weight in zip(ids, weights, strict=True):
                        number = offset + docnum
                        if members[number >> 3] & BIT[number & 7]:
                            length = LENGTH_OF_BYTE[lengths[number]]
                            score = bm25(idf, weight, length, average, model.B, model.K1)
                            scores[number] = scores.get(number, 0.0) + score
        return scores

    def ranked(self, final: int, count: int) -> list[tuple[int, float | None]]:
        """The first `count` of final: articles holding a typed run as a whole first, then those with
        whole-word matches by BM25 (title words weigh more), then the rest newest first."""
        tiers = [final]
        if self.preferred:
            preferred = 0
            for leaf in self.preferred:
                preferred |= self.substring_docs(leaf)
            preferred &= final
            tiers = [preferred, final & ~preferred]
        terms = self.ranking_terms()
        word_docs = self.term_docs(wq.Or(terms)) if terms else 0
        title_terms = [t for t in terms if t.fieldname == "title"]
        title_docs = self.term_docs(wq.Or(title_terms)) if title_terms else 0
        order: list[tuple[int, float | None]] = []
        for tier in tiers:
            scorable = tier & word_docs
            if scorable.bit_count() > SCORE_LIMIT:
                groups = [tier & title_docs, scorable & ~title_docs, tier & ~scorable]
            else:
                groups = [scorable, tier & ~scorable]
            for index, group in enumerate(groups):
                if len(order) >= count or not group:
                    continue
                needed = count - len(order)
                if index < len(groups) - 1 and group.bit_count() <= SCORE_LIMIT:
                    scores = self.bm25_scores(terms, group)
                    order.extend(sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:needed])
                else:
                    order.extend((docnum, None) for docnum in self.table.newest(group, needed))
        return order[:count]


# A server looks for a new index generation at most this often: a stat of the folder and a listing.
CHECK_SECONDS = 0.5
TOC_NAME = re.compile(r"^_MAIN_([0-9]+)\.toc$")
OPEN_ATTEMPTS = 5


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
    results: OrderedDict[tuple, EngineResult] = field(default_factory=OrderedDict)
    substrings: OrderedDict[tuple, int] = field(default_factory=OrderedDict)
    users: int = 0
    retired: bool = False
    closed: bool = False

    @classmethod
    def open(cls, index_dir: Path) -> Generation:
        """The newest generation of the folder, its segment files checked against their checksums."""
        for attempt in range(OPEN_ATTEMPTS):
            identity = index_identity(index_dir)
            if identity is None:
                raise IndexMissing(f"{index_dir}: no index yet; run `bulletin index` first")
            try:
                return cls._open(index_dir, identity)
            except FileNotFoundError:
                # A commit deleted this generation's TOC or a merged segment meanwhile: take the next.
                if attempt == OPEN_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    @classmethod
    def _open(cls, index_dir: Path, identity: tuple[int, int, int]) -> Generation:
        index = open_index(index_dir)
        with decoding(index_dir):
            toc = TOC.read(index.storage, index.indexname, gen=identity[2])
            verify_segments(index.storage, toc.segments)
            reader = FileIndex._reader(index.storage, toc.schema, toc.segments, toc.generation)
            try:
                return cls(
                    identity=identity,
                    searcher=Searcher(reader, fromindex=index),
                    table=FacetTable.build(reader),
                    texts=MatchTexts.read(reader),
                    segments=SegmentTables.read(reader),
                )
            except BaseException:
                reader.close()
                raise

    def close(self) -> None:
        self.searcher.close()


class SearchEngine:
    """Answers from the newest complete index generation, shared by the threads of a server.

    Each generation is opened fresh (whoosh's refresh() reuses readers and kept old segments in the
    new reader) in a background thread, while the previous one keeps answering; only a request that
    finds no generation at all waits for one.
    """

    def __init__(self, index_dir: Path, words: Iterable[str]):
        self.index_dir = Path(index_dir)
        self.queries = QueryBuilder(words)
        self._lock = threading.Lock()
        self._first_open = threading.Lock()
        self._generation: Generation | None = None
        self._opening: threading.Thread | None = None
        self._checked = 0.0
        self._failed: tuple | None = None

    @contextmanager
    def _use(self) -> Iterator[Generation]:
        generation = self._acquire()
        try:
            yield generation
        finally:
            self._release(generation)

    def _acquire(self) -> Generation:
        now = time.monotonic()
        with self._lock:
            current = self._generation
            due = current is not None and now - self._checked >= CHECK_SECONDS
            if due:
                self._checked = now
            elif current is not None:
                current.users += 1
                return current
        if current is not None:
            identity = index_identity(self.index_dir)
            if identity is not None and identity not in (current.identity, self._failed):
                self._open_in_background()
            with self._lock:
                current = self._generation
                if current is not None:
                    current.users += 1
                    return current
        return self._open_first()

    def _open_first(self) -> Generation:
        with self._first_open:
            with self._lock:
                if self._generation is not None:
                    self._generation.users += 1
                    return self._generation
            generation = Generation.open(self.index_dir)
            self._install(generation, users=1)
            return generation

    def _open_in_background(self) -> None:
        with self._lock:
            if self._opening is not None:
                return
            self._opening = threading.Thread(target=self._open_next, name="index-generation", daemon=True)
            self._opening.start()

    def _open_next(self) -> None:
        target = index_identity(self.index_dir)
        try:
            self._install(Generation.open(self.index_dir))
        except OSError:
            pass  # the folder changed while opening; the next check tries again
        except Exception as error:  # noqa: BLE001 - this thread has no caller to raise to
            # A damaged generation stays unused, the previous one answers; said once, not retried.
            self._failed = target
            logger.warning("%s; still serving the previous index generation", error)
        finally:
            with self._lock:
                self._opening = None

    def _install(self, generation: Generation, users: int = 0) -> None:
        with self._lock:
            generation.users = users
            previous, self._generation = self._generation, generation
            self._checked = time.monotonic()
            if previous is not None:
                previous.retired = True
        if previous is not None:
            self._release(previous, taken=0)

    def _release(self, generation: Generation, taken: int = 1) -> None:
        with self._lock:
            generation.users -= taken
            closing = generation.retired and not generation.users and not generation.closed
            generation.closed |= closing
        if closing:
            generation.close()

    def clear_caches(self) -> None:
        """Forget recent results and substring matches (benchmarks measure searches from cold)."""
        with self._lock:
            if self._generation is not None:
                self._generation.results.clear()
                self._generation.substrings.clear()

    def close(self) -> None:
        opening = self._opening
        if opening is not None:
            opening.join()
        with self._lock:
            generation, self._generation = self._generation, None
            if generation is not None:
                generation.retired = True
        if generation is not None:
            self._release(generation, taken=0)

    def search(self, request: EngineRequest) -> EngineResult:
        key = request.cache_key()
        with self._use() as generation:
            with self._lock:
                if key in generation.results:
                    generation.results.move_to_end(key)
                    return generation.results[key]
            result = self._search(generation, request)
            with self._lock:
                generation.results[key] = result
                if len(generation.results) > RESULT_CACHE_SIZE:
                    generation.results.popitem(last=False)
            return result

    def _search(self, generation: Generation, request: EngineRequest) -> EngineResult:
        searcher, table = generation.searcher, generation.table
        query, highlights = self.queries.parse(request.text)
        plan = QueryPlan(searcher, table, generation.texts, generation.segments, generation.substrings)
        matched = plan.docs(query)

        restrictions: dict[str, int] = {}
        for facet, values in request.filters.items():
            if values:
                restrictions[facet] = table.union(facet, values)
        if request.date_from or request.date_to:
            restrictions["date"] = table.date_range(request.date_from, request.date_to)

        def restricted(docs: int, skip: str | None = None) -> int:
            for facet, allowed in restrictions.items():
                if facet != skip:
                    docs = docs & allowed
            return docs

        final = restricted(matched)
        facets = {facet: table.count(facet, restricted(matched, skip=facet)) for facet in FACETS}
        end = request.offset + request.limit
        total = final.bit_count()
        if request.offset >= total:
            order: list[tuple[int, float | None]] = []
        elif request.sort == "relevance" and plan.leaves:
            order = plan.ranked(final, end)
        else:
            order = [(d, None) for d in table.newest(final, end, oldest=request.sort == "oldest")]
        hits = []
        for docnum, score in order[request.offset : end]:
            stored = dict(searcher.stored_fields(docnum))
            stored["score"] = score
            hits.append(stored)
        return EngineResult(total=total, hits=hits, facets=facets, highlights=highlights)

    def article(self, article_id: str) -> dict | None:
        with self._use() as generation:
            return generation.searcher.document(id=article_id)

    def issue_articles(self, issue_id: str) -> list[dict]:
        with self._use() as generation:
            return self._issue_articles(generation, issue_id)

    def issue(self, issue_id: str) -> tuple[dict, list[dict]] | None:
        """An issue's entry (as in issues()) and its articles, both from one generation, so a page
        never mixes the index before and after an update."""
        with self._use() as generation:
            docs = generation.table.issues.get(issue_id)
            if not docs:
                return None
            return self._issue_entry(generation, issue_id, docs), self._issue_articles(generation, issue_id)

    def issues(self) -> list[dict]:
        """One entry per issue: its metadata from its first article, and its article counts."""
        with self._use() as generation:
            entries = [self._issue_entry(generation, i, docs) for i, docs in generation.table.issues.items()]
        return sorted(entries, key=lambda e: (e["date"], e["total_number"]), reverse=True)

    @staticmethod
    def _issue_articles(generation: Generation, issue_id: str) -> list[dict]:
        searcher = generation.searcher
        articles = [dict(searcher.stored_fields(d)) for d in generation.table.issues.get(issue_id, ())]
        return sorted(articles, key=lambda a: (a["kind"] != "feature", a["ordinal"]))

    @staticmethod
    def _issue_entry(generation: Generation, issue_id: str, docs: list[int]) -> dict:
        first = generation.searcher.stored_fields(docs[0])
        kinds = generation.table.values["kind"]
        features = sum(kinds[docnum] == ("feature",) for docnum in docs)
        return {
            "id": issue_id,
            "number": first["issue_number"],
            "total_number": first["issue_total"],
            "date": first["issue_date"],
            "sources": first["sources"],
            "features": features,
            "briefs": len(docs) - features,
        }
