"""The one module that talks to whoosh: analyzers, the schema, writing articles, and running a search.

Everything whoosh-specific stays here so the rest of the indexer deals in Issues, Articles and plain dicts.
The analyzers are pickled into the index with the schema, so they must stay importable from this module.
"""

from __future__ import annotations

import bisect
import re
import threading
from array import array
from collections import Counter, OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh import qparser
from whoosh import query as wq
from whoosh.analysis import Token, Tokenizer
from whoosh.codec import default_codec
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.columns import VarBytesColumn
from whoosh.fields import COLUMN, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.system import pack_uint
from whoosh.writing import LockError

from indexer.analysis import (
    ArticleAnalysis,
    ngram_tokens,
    query_words,
    word_tokens,
)
from indexer.errors import BulletinError
from indexer.segment import tokenizer_for_words

FACETS = ("county", "department", "kind", "year", "month", "keyword")
FACET_SEPARATOR = "\x1f"
VALUE_SEPARATOR = "\x1e"
TITLE_BOOST = 3.0
# Counting a many-valued facet doc by doc is slow on a large result; past this size only the most
# frequent values of the whole archive are counted, by set intersection.
KEYWORD_SCAN_LIMIT = 3000
KEYWORD_CANDIDATES = 300
RESULT_CACHE_SIZE = 512
SUBSTRING_CACHE_SIZE = 2048
# Past this many candidates, ordering by BM25 in Python costs more than a search should: title
# matches are scored, and the rest come newest first.
SCORE_LIMIT = 3000
DATE_SCAN_FACTOR = 20
# Words in more than this share of articles are left out of ranking when rarer words are present.
COMMON_TERM_SHARE = 0.1


class IndexMissing(BulletinError):
    """No index in the folder yet: run `bulletin index` first."""


class IndexBusy(BulletinError):
    """Another `bulletin index` holds the writer lock."""


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
    words = tuple(words)
    return Schema(
        id=ID(stored=True, unique=True),
        issue_id=ID(stored=True),
        kind=ID(stored=True),
        ordinal=NUMERIC(stored=True),
        title=TEXT(analyzer=ChineseWordAnalyzer(words), stored=True, field_boost=TITLE_BOOST, phrase=False),
        body=TEXT(analyzer=ChineseWordAnalyzer(words), stored=True, phrase=False),
        # Bigrams only find candidates for a substring; the match itself is checked on the text.
        ngram=TEXT(analyzer=BigramAnalyzer(), phrase=False),
        date=ID(stored=True, sortable=True),
        department=ID(stored=True),
        counties=KEYWORD(stored=True, commas=True),
        keywords=KEYWORD(stored=True, commas=True),
        issue_number=NUMERIC(stored=True),
        issue_total=NUMERIC(stored=True),
        issue_date=ID(stored=True),
        sources=STORED(),
        page=STORED(),
        content_hash=ID(stored=True),
        # Every facet value of the article in one column, read in one pass to build the facet table.
        facets=COLUMN(VarBytesColumn()),
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
    }
    terms = {"title": analysis.title_words, "body": analysis.body_words, "ngram": analysis.ngrams}
    return document, terms


def create_index(index_dir: Path, words: Iterable[str]):
    index_dir.mkdir(parents=True, exist_ok=True)
    return whoosh_index.create_in(str(index_dir), make_schema(words))


def index_exists(index_dir: Path) -> bool:
    return index_dir.is_dir() and whoosh_index.exists_in(str(index_dir))


def open_index(index_dir: Path):
    if not whoosh_index.exists_in(str(index_dir)):
        raise IndexMissing(f"{index_dir}: no index yet; run `bulletin index` first")
    return whoosh_index.open_dir(str(index_dir))


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
        self.lengths.setdefault(name, [0] * docnum).append(len(words))
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
        self.segment.set_doc_count(self.doc_count)
        if self.segment.should_assemble():
            self.segment.create_compound_file(self.storage)
            self.segment.compound = True
        return self.segment

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
        segments = writer._merge_segments(None, None, True)
        if writer._added:
            segments.append(writer._finalize_segment())
        else:
            writer._close_segment()
        writer._commit_toc(segments + self._segments)
        writer._finish()


# ---------------------------------------------------------------------------------------------- queries


def _query_parser() -> qparser.QueryParser:
    parser = qparser.QueryParser("body", schema=None)
    # A "?" or "*" in Chinese text is punctuation, not a wildcard.
    parser.remove_plugin_class(qparser.WildcardPlugin)
    parser.add_plugin(qparser.PlusMinusPlugin())
    return parser


class SubstringLeaf(wq.Query):
    """One unit of the user's query: articles whose text contains `text`, in `field`'s bigrams.

    Matching is exact substring matching (see SearchEngine.substring_docs). `words` are the same text
    as the word analyzer sees it: articles holding them as whole words in `word_fields` rank first.
    A `preferred` leaf does not restrict the result; its articles rank above the others.
    """

    def __init__(
        self, field: str, text: str, words: tuple[str, ...], word_fields: tuple[str, ...], preferred=False
    ):
        self.ngram_field, self.text, self.words = field, text, tuple(words)
        self.word_fields = tuple(word_fields)
        self.preferred = preferred
        self.boost = 1.0

    def _key(self):
        return (self.ngram_field, self.text, self.words, self.word_fields, self.preferred)

    def __eq__(self, other):
        return type(self) is type(other) and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def __repr__(self):
        return f"SubstringLeaf({self.ngram_field!r}, {self.text!r}, words={self.words!r})"

    def field(self):
        return self.ngram_field

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


def _stash_quotes(text: str) -> tuple[str, list[str]]:
    quoted: list[str] = []

    def stash(match: re.Match) -> str:
        quoted.append(match.group(2))
        placeholder = f"qqquote{len(quoted) - 1}qqq"
        return f":{placeholder}" if match.group(1) else f" {placeholder} "

    return QUOTE.sub(stash, text), quoted


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
        text, self._quoted = _stash_quotes(text)
        try:
            parsed = self.parser.parse(text)
        except Exception:  # noqa: BLE001 - whoosh's parser raises assorted errors on odd syntax
            parsed = wq.NullQuery
        highlights: list[str] = []
        built = self._expand(parsed, highlights, negated=False)
        if built is wq.NullQuery:
            plain = wq.And([wq.Term("body", part) for part in text.split()])
            built = self._expand(plain, highlights, False)
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
            substring_field, word_fields = "title_ngram", ["title"]
        elif field_name in ("body", "text", "content"):
            substring_field, word_fields = "ngram", ["title", "body"]
        else:
            # "http://x" or "5:30" is not a field prefix we know: search the whole text.
            text = f"{field_name}:{text}"
            substring_field, word_fields = "ngram", ["title", "body"]
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
            parts.append(SubstringLeaf(substring_field, unit, tuple(words), tuple(word_fields)))
        if not parts:
            return wq.NullQuery
        if quoted or (len(parts) == 1 and all_units == 1):
            return parts[0]
        # An unquoted run such as 林建波瑞安 matches when all its words occur anywhere, but the
        # articles holding the run itself, as typed, rank above the rest.
        whole = SubstringLeaf(substring_field, text, (), tuple(word_fields), preferred=True)
        return wq.AndMaybe(wq.And(parts) if len(parts) > 1 else parts[0], whole)


# ----------------------------------------------------------------------------------------------- facets


@dataclass
class FacetTable:
    """Facet values of every live document, built once per index generation from the facets column."""

    postings: dict[str, dict[str, frozenset[int]]]
    dates: list[str]  # by docnum; "" for deleted documents
    date_order: list[tuple[str, int]]  # (date, docnum), oldest first
    live: frozenset[int]
    keyword_candidates: list[str] = field(default_factory=list)

    @classmethod
    def build(cls, reader) -> FacetTable:
        column = reader.column_reader("facets") if reader.has_column("facets") else None
        values: dict[str, dict[str, set[int]]] = {name: {} for name in (*FACETS, "issue")}
        dates = [""] * reader.doc_count_all()
        live = set()
        for docnum in reader.all_doc_ids():
            raw = column[docnum].decode("utf-8")
            kind, department, date, counties, keywords, issue_id = raw.split(FACET_SEPARATOR)
            live.add(docnum)
            dates[docnum] = date
            single = {
                "kind": kind,
                "department": department,
                "year": date[:4],
                "month": date[:7],
                "issue": issue_id,
            }
            for name, value in single.items():
                if value:
                    values[name].setdefault(value, set()).add(docnum)
            for name, joined in (("county", counties), ("keyword", keywords)):
                for value in joined.split(VALUE_SEPARATOR) if joined else ():
                    values[name].setdefault(value, set()).add(docnum)
        postings = {name: {v: frozenset(d) for v, d in by_value.items()} for name, by_value in values.items()}
        keyword_sizes = sorted(postings["keyword"].items(), key=lambda item: (-len(item[1]), item[0]))
        return cls(
            postings=postings,
            dates=dates,
            date_order=sorted((dates[d], d) for d in live),
            live=frozenset(live),
            keyword_candidates=[value for value, _ in keyword_sizes[:KEYWORD_CANDIDATES]],
        )

    def union(self, facet: str, values: Iterable[str]) -> frozenset[int]:
        by_value = self.postings[facet]
        docs: set[int] = set()
        for value in values:
            docs |= by_value.get(value, frozenset())
        return frozenset(docs)

    def date_range(self, date_from: str | None, date_to: str | None) -> frozenset[int]:
        low = bisect.bisect_left(self.date_order, (date_from or "", -1))
        high = bisect.bisect_right(self.date_order, ((date_to or "9999-99-99"), 1 << 62))
        return frozenset(docnum for _, docnum in self.date_order[low:high])

    def count(self, facet: str, docs: frozenset[int] | set[int]) -> Counter:
        if facet == "keyword" and len(docs) > KEYWORD_SCAN_LIMIT:
            postings = self.postings["keyword"]
            return Counter({value: len(docs & postings[value]) for value in self.keyword_candidates})
        counts = Counter()
        for value, posting in self.postings[facet].items():
            shared = len(posting & docs) if len(posting) < len(docs) else len(docs & posting)
            if shared:
                counts[value] = shared
        return counts

    def newest(self, docs: frozenset[int] | set[int], count: int, oldest: bool = False) -> list[int]:
        """The first `count` of docs by date (newest first, or oldest first), ties by docnum."""
        if len(docs) <= count * DATE_SCAN_FACTOR:
            ordered = sorted(docs, key=lambda d: (self.dates[d], -d), reverse=True)
            return ordered[::-1][:count] if oldest else ordered[:count]
        # A large set: walk the archive in date order and stop once enough are found.
        walk = self.date_order if oldest else reversed(self.date_order)
        found = []
        for _, docnum in walk:
            if docnum in docs:
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


def posting_ids(reader, field: str, text: str) -> frozenset[int]:
    """Every document number in a term's postings, a block at a time.

    whoosh's own all_ids() steps through a Python generator per posting; reading the decoded id
    blocks of whoosh 2.7's W3 codec (pinned, frozen) is several times faster on common terms.
    """
    docs: list[int] = []
    for leaf, offset in reader.leaf_readers():
        if (field, text) not in leaf:
            continue
        matcher = leaf.postings(field, text)
        if not isinstance(matcher, W3LeafMatcher):
            docs.extend(offset + docnum for docnum in matcher.all_ids())
            continue
        while matcher.is_active():
            if matcher._ids is None:
                matcher._read_ids()
            block = matcher._ids[matcher._i :]
            docs.extend(block if offset == 0 else (offset + docnum for docnum in block))
            matcher._next_block()
    return frozenset(docs)


class QueryPlan:
    """Evaluates a parsed query to a set of documents, then orders them; one per search.

    Boolean structure is set algebra here rather than whoosh matchers, so a substring leaf can take
    its shortcut: an article holding the leaf as an indexed word contains it for sure, and only the
    remaining candidates (all bigrams present) need whoosh's slow positional phrase check.
    """

    def __init__(self, searcher, table: FacetTable, cache: OrderedDict):
        self.searcher, self.table, self.cache = searcher, table, cache
        self.leaves: list[SubstringLeaf] = []
        self.preferred: list[SubstringLeaf] = []

    def term_docs(self, query: wq.Query) -> frozenset[int]:
        if isinstance(query, wq.Term):
            return posting_ids(self.searcher.reader(), query.fieldname, query.text) & self.table.live
        if isinstance(query, wq.Or) and all(isinstance(q, wq.Term) for q in query.subqueries):
            docs = frozenset().union(
                *(posting_ids(self.searcher.reader(), q.fieldname, q.text) for q in query.subqueries)
            )
            return docs & self.table.live
        return frozenset(self.searcher.docs_for_query(query)) & self.table.live

    def docs(self, node: wq.Query, negated: bool = False) -> frozenset[int]:
        live = self.table.live
        if isinstance(node, wq.Every):
            return live
        if node is wq.NullQuery or isinstance(node, type(wq.NullQuery)):
            return frozenset()
        if isinstance(node, SubstringLeaf):
            if not negated:
                self.leaves.append(node)
            return self.substring_docs(node)
        if isinstance(node, wq.Not):
            return live - self.docs(node.query, not negated)
        if isinstance(node, wq.AndNot):
            return self.docs(node.a, negated) - self.docs(node.b, not negated)
        if isinstance(node, wq.AndMaybe):
            if isinstance(node.b, SubstringLeaf) and node.b.preferred and not negated:
                self.preferred.append(node.b)
            return self.docs(node.a, negated)
        if isinstance(node, wq.And):
            result = live
            for child in node.subqueries:
                result = result & self.docs(child, negated)
            return result
        if isinstance(node, wq.Or):
            result = frozenset()
            for child in node.subqueries:
                result = result | self.docs(child, negated)
            return result
        return self.term_docs(node)

    def substring_docs(self, leaf: SubstringLeaf) -> frozenset[int]:
        key = (leaf.ngram_field, leaf.text, leaf.words, leaf.word_fields)
        if key in self.cache:
            self.cache.move_to_end(key)
            return self.cache[key]
        docs = self._substring_docs(leaf)
        self.cache[key] = docs
        if len(self.cache) > SUBSTRING_CACHE_SIZE:
            self.cache.popitem(last=False)
        return docs

    def _substring_docs(self, leaf: SubstringLeaf) -> frozenset[int]:
        grams = leaf.grams()
        if not grams:
            return frozenset()
        if len(grams) == 1:
            gram = grams[0]
            if len(gram) == 1 and not gram.isascii():
                # A lone character is indexed inside bigrams, as their first or second character.
                return self.term_docs(
                    wq.Or(
                        [
                            wq.Term(leaf.ngram_field, gram),
                            wq.Prefix(leaf.ngram_field, gram),
                            wq.Wildcard(leaf.ngram_field, "?" + gram),
                        ]
                    )
                )
            return self.term_docs(wq.Term(leaf.ngram_field, gram))
        reader = self.searcher.reader()
        rarest_first = sorted(set(grams), key=lambda g: reader.doc_frequency(leaf.ngram_field, g))
        candidates = self.term_docs(wq.Term(leaf.ngram_field, rarest_first[0]))
        for gram in rarest_first[1:]:
            if not candidates:
                return frozenset()
            candidates = candidates & self.term_docs(wq.Term(leaf.ngram_field, gram))
        certain = frozenset()
        if len(leaf.words) == 1 and leaf.words[0] == "".join(leaf.text.split()).lower():
            certain = candidates & self.term_docs(wq.Or(leaf.word_terms()))
        return certain | self.phrase_check(leaf.ngram_field, grams, candidates - certain)

    def phrase_check(self, field: str, grams: list[str], docs: frozenset[int]) -> frozenset[int]:
        """The docs in which the grams stand at consecutive positions, read straight off the postings
        (whoosh's span machinery does the same generically, several times slower)."""
        if not docs:
            return frozenset()
        postings = {gram: self.searcher.postings(field, gram) for gram in set(grams)}
        found = set()
        for docnum in sorted(docs):
            positions = {}
            for gram, matcher in postings.items():
                if matcher.is_active() and matcher.id() < docnum:
                    matcher.skip_to(docnum)
                if not matcher.is_active() or matcher.id() != docnum:
                    break
                positions[gram] = matcher.value_as("positions")
            else:
                starts = set(positions[grams[0]])
                for offset, gram in enumerate(grams[1:], start=1):
                    starts &= {p - offset for p in positions[gram]}
                    if not starts:
                        break
                if starts:
                    found.add(docnum)
        return frozenset(found)

    def ranking_terms(self) -> list[wq.Term]:
        """The whole-word terms that order the result, without the very common ones (活动, 工作):
        they barely move BM25 and walking their postings is most of a search's time."""
        terms = list(dict.fromkeys(term for leaf in self.leaves for term in leaf.word_terms()))
        if not terms:
            return []
        reader = self.searcher.reader()
        frequency = {term: reader.doc_frequency(term.fieldname, term.text) for term in terms}
        common = COMMON_TERM_SHARE * max(reader.doc_count(), 1)
        telling = [term for term in terms if frequency[term] <= common]
        if telling:
            return telling
        rarest = min(frequency.values())
        return [term for term in terms if frequency[term] == rarest]

    def ranked(self, final: frozenset[int], count: int) -> list[tuple[int, float | None]]:
        """The first `count` of final: articles holding a typed run as a whole first, then those with
        whole-word matches by BM25 (title words weigh more), then the rest newest first."""
        tiers = [final]
        if self.preferred:
            preferred = frozenset().union(*(self.substring_docs(leaf) for leaf in self.preferred)) & final
            tiers = [preferred, final - preferred]
        terms = self.ranking_terms()
        word_docs = self.term_docs(wq.Or(terms)) if terms else frozenset()
        title_terms = [t for t in terms if t.fieldname == "title"]
        title_docs = self.term_docs(wq.Or(title_terms)) if title_terms else frozenset()
        order: list[tuple[int, float | None]] = []
        for tier in tiers:
            scorable = tier & word_docs
            if len(scorable) > SCORE_LIMIT:
                groups = [tier & title_docs, scorable - title_docs, tier - scorable]
            else:
                groups = [scorable, tier - scorable]
            for group in groups:
                if len(order) >= count or not group:
                    continue
                needed = count - len(order)
                if group is not groups[-1] and len(group) <= SCORE_LIMIT:
                    results = self.searcher.search(wq.Or(terms), filter=set(group), limit=needed)
                    order.extend((hit.docnum, hit.score) for hit in results)
                else:
                    order.extend((docnum, None) for docnum in self.table.newest(group, needed))
        return order[:count]


class SearchEngine:
    """Keeps one searcher and one facet table per index generation, shared by the threads of a server."""

    def __init__(self, index_dir: Path, words: Iterable[str]):
        self.index_dir = Path(index_dir)
        self.queries = QueryBuilder(words)
        self._lock = threading.Lock()
        self._index = None
        self._searcher = None
        self._table: FacetTable | None = None
        # Recent results by request; a new index generation empties it.
        self._results: OrderedDict[tuple, EngineResult] = OrderedDict()
        self._substrings: OrderedDict[tuple, frozenset[int]] = OrderedDict()

    def _current(self):
        with self._lock:
            if self._index is None:
                self._index = open_index(self.index_dir)
            if self._searcher is None:
                self._searcher = self._index.searcher()
                self._table = FacetTable.build(self._searcher.reader())
            elif not self._searcher.up_to_date():
                self._searcher = self._searcher.refresh()
                self._table = FacetTable.build(self._searcher.reader())
                self._results.clear()
                self._substrings.clear()
            return self._searcher, self._table

    def clear_caches(self) -> None:
        """Forget recent results and substring matches (benchmarks measure searches from cold)."""
        with self._lock:
            self._results.clear()
            self._substrings.clear()

    def close(self) -> None:
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
            self._searcher = self._table = self._index = None

    def search(self, request: EngineRequest) -> EngineResult:
        searcher, table = self._current()
        key = request.cache_key()
        with self._lock:
            if key in self._results:
                self._results.move_to_end(key)
                return self._results[key]
        result = self._search(searcher, table, request)
        with self._lock:
            self._results[key] = result
            if len(self._results) > RESULT_CACHE_SIZE:
                self._results.popitem(last=False)
        return result

    def _search(self, searcher, table: FacetTable, request: EngineRequest) -> EngineResult:
        query, highlights = self.queries.parse(request.text)
        plan = QueryPlan(searcher, table, self._substrings)
        matched = plan.docs(query)

        restrictions: dict[str, frozenset[int]] = {}
        for facet, values in request.filters.items():
            if values:
                restrictions[facet] = table.union(facet, values)
        if request.date_from or request.date_to:
            restrictions["date"] = table.date_range(request.date_from, request.date_to)

        def restricted(docs: frozenset[int], skip: str | None = None) -> frozenset[int]:
            for facet, allowed in restrictions.items():
                if facet != skip:
                    docs = docs & allowed
            return docs

        final = restricted(matched)
        facets = {facet: table.count(facet, restricted(matched, skip=facet)) for facet in FACETS}
        end = request.offset + request.limit
        if request.offset >= len(final):
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
        return EngineResult(total=len(final), hits=hits, facets=facets, highlights=highlights)

    def article(self, article_id: str) -> dict | None:
        searcher, _ = self._current()
        return searcher.document(id=article_id)

    def issue_articles(self, issue_id: str) -> list[dict]:
        searcher, table = self._current()
        docs = table.postings["issue"].get(issue_id, frozenset())
        articles = [dict(searcher.stored_fields(d)) for d in docs]
        return sorted(articles, key=lambda a: (a["kind"] != "feature", a["ordinal"]))

    def issues(self) -> list[dict]:
        """One entry per issue: its metadata from its first article, and its article counts."""
        searcher, table = self._current()
        entries = []
        for issue_id, docs in table.postings["issue"].items():
            first = searcher.stored_fields(min(docs))
            features = len(docs & table.postings["kind"].get("feature", frozenset()))
            entries.append(
                {
                    "id": issue_id,
                    "number": first["issue_number"],
                    "total_number": first["issue_total"],
                    "date": first["issue_date"],
                    "sources": first["sources"],
                    "features": features,
                    "briefs": len(docs) - features,
                }
            )
        return sorted(entries, key=lambda e: (e["date"], e["total_number"]), reverse=True)
