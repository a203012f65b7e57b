"""The search engine over a whoosh index: the one package that imports whoosh. SearchEngine answers
from the newest index generation; the names other modules use are exported here."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from indexer import fields
from indexer.engine import ranking
from indexer.engine.background import beside_requests
from indexer.engine.explain import explain_hit
from indexer.engine.generation import CHECK_SECONDS, Generation, index_identity
from indexer.engine.plan import QueryPlan
from indexer.engine.query import QueryBuilder, SubstringLeaf
from indexer.engine.record_fields import IssueNumbers, RecordFields
from indexer.engine.related import RELATED_FACETS, RelatedDoc, Shared, related_docs
from indexer.engine.schema import article_document
from indexer.engine.suggest import SuggestIndex, Suggestion, SuggestKeys
from indexer.engine.w3 import (
    IssueWriter,
    SegmentBuilder,
    create_index,
    index_exists,
    open_current_index,
    open_index,
)
from indexer.expand import Expander, Reading
from indexer.lexicon import Lexicon

__all__ = [
    "CHECK_SECONDS",
    "EngineRequest",
    "EngineResult",
    "Generation",
    "IssueWriter",
    "QueryBuilder",
    "QueryPlan",
    "RELATED_FACETS",
    "RelatedArticle",
    "SearchEngine",
    "Shared",
    "SegmentBuilder",
    "SubstringLeaf",
    "article_document",
    "create_index",
    "index_exists",
    "open_current_index",
    "open_index",
]

logger = logging.getLogger(__name__)

# A kept result is its count, facets and ranked docnums (~13 KB at 270 issues, ~36 KB at 2,700: 75 MB
# when full), not its hits' text: a reader's words recur after a thousand other searches
# (bench.mixed_load at 270 issues reuses 15% of its searches with 2,048 kept, 6% with 512).
RESULT_CACHE_SIZE = 2048
# A search asking for more hits than a page shows (the exports' batches of 500) is not kept: it would
# keep thousands of ranked documents, and an export never asks for the same batch twice.
CACHED_HITS_AT_MOST = 100
# A result is kept ranked this many pages deep, so the next pages a reader turns to (and the API's
# pages 2–5) are slices of the first one's work, not searches of their own.
PAGES_RANKED = 5
T = TypeVar("T")


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
    literal: bool = False  # the text as typed: no traditional characters folded, no synonyms, no pinyin
    explain: bool = False  # each hit says which unit matched which field, and how

    def cache_key(self) -> tuple:
        """What the answer depends on besides the slice: every page of a search shares one key."""
        filters = tuple(sorted((name, tuple(values)) for name, values in self.filters.items() if values))
        return (self.text, filters, self.date_from, self.date_to, self.sort, self.literal, self.explain)


@dataclass
class EngineResult:
    total: int
    hits: list[dict]  # stored fields, plus "score" (and "explain" when asked for)
    facets: dict[str, dict[str, int]]  # facet → value → documents
    highlights: list[str]
    readings: list[Reading] = field(default_factory=list)


@dataclass
class RankedResult:
    """A search's answer for any of its pages: the count, facets and readings, and the result's first
    documents in rank order, from which a page is a slice."""

    total: int
    # (docnum, score), the first of the result in rank order; a tuple, which a full garbage collection
    # leaves out (facet_table says why), where a server keeps 2,048 of these
    order: tuple[tuple[int, float | None], ...]
    facets: dict[str, dict[str, int]]
    highlights: list[str]
    readings: list[Reading]
    plan: QueryPlan | None = None  # kept for an explaining search, which explains each hit it shows

    def covers(self, end: int) -> bool:
        """Whether the slice up to `end` lies within the documents ranked."""
        return end <= len(self.order) or len(self.order) >= self.total


@dataclass(frozen=True)
class RelatedArticle:
    id: str
    title: str
    date: str
    why: tuple[Shared, ...]  # the values it shares, rarest first


class SearchEngine:
    """Answers from the newest complete index generation, shared by the threads of a server.

    Each generation is opened fresh (whoosh's refresh() reuses readers and kept old segments in the
    new reader) in a background thread, while the previous one keeps answering; only a request that
    finds no generation at all waits for one.
    """

    def __init__(self, index_dir: Path, words: Iterable[str], expander: Expander | None = None):
        self.index_dir = Path(index_dir)
        self.expander = expander or Expander()
        self.queries = QueryBuilder(words, self.expander)
        self._lock = threading.Lock()
        self._first_open = threading.Lock()
        self._generation: Generation | None = None
        self._opening: threading.Thread | None = None
        self._checked = 0.0
        self._failed: tuple | None = None
        self._pinned = threading.local()  # the generation per_generation() computes from, per thread

    @contextmanager
    def _use(self) -> Iterator[Generation]:
        pinned = getattr(self._pinned, "generation", None)
        if pinned is not None:
            yield pinned  # held by the per_generation() call around this one
            return
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
            with beside_requests():
                generation = Generation.open(self.index_dir)
            self._install(generation, users=1)
            with self._lock:
                generation.users += 1  # held by the preparing thread until it is done
            threading.Thread(
                target=self._prepare, args=(generation,), name="index-tables", daemon=True
            ).start()
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
            with beside_requests():
                generation = Generation.open(self.index_dir, previous=self._generation)
                generation.users = 1
                self._prepare(generation)
                self._install(generation)
        except OSError:
            pass  # the folder changed while opening; the next check tries again
        except Exception as error:  # noqa: BLE001 - this thread has no caller to raise to
            # A damaged generation stays unused, the previous one answers; said once, not retried.
            self._failed = target
            logger.warning("%s; still serving the previous index generation", error)
        finally:
            with self._lock:
                self._opening = None

    def _prepare(self, generation: Generation) -> None:
        """Build what queries that read pinyin, suggest or match the record need of a generation,
        holding one use of it; a new generation is installed only once this is done, so an update
        never makes a reader wait for it."""
        try:
            with beside_requests():
                generation.lexicon().prepare()
                self._record_fields(generation)
                self._suggestions(generation)
        except Exception as error:  # noqa: BLE001 - a background thread; queries build them on demand
            logger.warning("preparing the lexicon of %s: %s", self.index_dir, error)
        finally:
            self._release(generation)

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
            threading.Thread(target=generation.let_go, name="index-retired", daemon=True).start()

    def per_generation(self, key: Hashable, compute: Callable[[], T]) -> T:
        """compute()'s value, worked out once per index generation: a page's figures (the home page's
        counts, an issue's contents) that would otherwise be worked out again for every request, from
        data no generation ever changes. Every engine call inside compute() answers from the generation
        the value is kept with, so a new generation gets its own. The value is shared: never change it.
        Two threads that both find none compute it both, and either is the same."""
        with self._use() as generation:
            if key not in generation.memo:
                outer = getattr(self._pinned, "generation", None)
                self._pinned.generation = generation
                try:
                    value = compute()
                finally:
                    self._pinned.generation = outer
                generation.memo.setdefault(key, value)
            return generation.memo[key]

    def clear_caches(self) -> None:
        """Forget recent results, substring matches and stored fields (benchmarks measure searches from
        cold)."""
        with self._lock:
            if self._generation is not None:
                self._generation.results.clear()
                self._generation.substrings.clear()
                with self._generation.storing:
                    self._generation.stored.clear()

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
        end = request.offset + request.limit
        kept = request.limit <= CACHED_HITS_AT_MOST
        key = request.cache_key()
        with self._use() as generation:
            ranked = None
            if kept:
                with self._lock:
                    ranked = generation.results.get(key)
                    if ranked is not None:
                        generation.results.move_to_end(key)
            if ranked is None or not ranked.covers(end):
                depth = max(end, request.limit * PAGES_RANKED) if kept else end
                ranked = self._rank(generation, request, depth)
                if kept:
                    with self._lock:
                        generation.results[key] = ranked
                        generation.results.move_to_end(key)
                        if len(generation.results) > RESULT_CACHE_SIZE:
                            generation.results.popitem(last=False)
            hits = []
            for docnum, score in ranked.order[request.offset : end]:
                stored = _stored_with_facets(generation, docnum)
                stored["score"] = score
                if ranked.plan is not None:
                    stored["explain"] = explain_hit(ranked.plan, docnum)
                hits.append(stored)
            return EngineResult(
                total=ranked.total,
                hits=hits,
                facets=ranked.facets,
                highlights=ranked.highlights,
                readings=ranked.readings,
            )

    def _rank(self, generation: Generation, request: EngineRequest, depth: int) -> RankedResult:
        """The request's result counted and faceted, its first `depth` documents ranked."""
        searcher, table = generation.searcher, generation.table
        parsed = self.queries.parse(request.text, lexicon=generation.lexicon, literal=request.literal)
        plan = QueryPlan(
            searcher,
            table,
            generation.texts,
            generation.segments,
            generation.substrings,
            records=lambda: self._record_fields(generation),
        )
        matched = plan.docs(parsed.query)

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
        facets = table.count_each({facet: restricted(matched, skip=facet) for facet in table.postings})
        total = final.bit_count()
        if request.offset >= total:
            order: list[tuple[int, float | None]] = []
        elif request.sort == "relevance" and plan.leaves:
            order = ranking.ranked(plan, final, depth)
        else:
            order = [(d, None) for d in table.newest(final, depth, oldest=request.sort == "oldest")]
        return RankedResult(
            total=total,
            order=tuple(order),
            facets=facets,
            highlights=parsed.highlights,
            readings=parsed.readings + plan.readings(matched),
            plan=plan if request.explain else None,
        )

    def _record_fields(self, generation: Generation) -> RecordFields:
        if generation.record_fields is None:
            issues = [
                IssueNumbers(entry["id"], entry["number"], entry["total_number"], int(entry["date"][:4]))
                for entry in self._issue_entries(generation)
            ]
            generation.record_fields = RecordFields(generation.table, issues, self.expander.place_spellings)
        return generation.record_fields

    def _suggestions(self, generation: Generation) -> SuggestIndex:
        if generation.suggestions is None:
            # A request that comes while _prepare builds it waits for that build, not a second one.
            with generation.suggesting:
                if generation.suggestions is None:
                    generation.suggestions = SuggestIndex.build(
                        generation.table,
                        generation.texts.titles,
                        self.expander.place_spellings,
                        self._answering_keys(generation),
                    )
        return generation.suggestions

    def _answering_keys(self, generation: Generation) -> SuggestKeys | None:
        """The suggestion keys of the generation answering until this one is ready: an update shares
        most of its facet values and titles."""
        previous = self._generation
        if previous is None or previous is generation or previous.suggestions is None:
            return None
        return previous.suggestions.keys

    def suggest(self, typed: str) -> list[Suggestion]:
        """Up to ten facet values and titles of the current generation that start with what was typed."""
        with self._use() as generation:
            searcher = generation.searcher
            return self._suggestions(generation).lookup(typed, lambda d: searcher.stored_fields(d)["title"])

    def texts(self) -> Iterator[str]:
        """Each live article's title and body as stored, one generation throughout (for mining)."""
        with self._use() as generation:
            for stored in generation.searcher.reader().all_stored_fields():
                yield f"{stored['title']}\n{stored['body']}"

    def lexicon(self) -> Lexicon:
        """The words of the current generation's titles and bodies with their article counts."""
        with self._use() as generation:
            return generation.lexicon()

    def article(self, article_id: str) -> dict | None:
        with self._use() as generation:
            docnum = generation.searcher.document_number(id=article_id)
            return None if docnum is None else _stored_with_facets(generation, docnum)

    def related(self, article_id: str, limit: int = 5) -> list[RelatedArticle]:
        """Other articles, of any issue, sharing the article's people, counties and keywords, the
        most specific first; [] for an unknown id."""
        with self._use() as generation:
            searcher = generation.searcher
            docnum = searcher.document_number(id=article_id)
            if docnum is None:
                return []
            found: list[RelatedDoc] = related_docs(
                generation.table, docnum, limit, self.expander.place_spellings
            )
            related = []
            for doc in found:
                stored = searcher.stored_fields(doc.docnum)
                related.append(RelatedArticle(stored["id"], stored["title"], stored["date"], doc.shared))
            return related

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
            # Copies: a caller that changes an entry must not change the next caller's.
            return [dict(entry) for entry in self._issue_entries(generation)]

    def _issue_entries(self, generation: Generation) -> list[dict]:
        # The home page asks twice (its latest issues and search.stats), each a stored-fields
        # read per issue; a generation never changes, so they are read once. Two threads that
        # both find none read them both, and either list is the same.
        if generation.issue_entries is None:
            entries: dict[str, dict] = {}
            base = 0
            for part in generation.parts.values():
                # An issue's articles are written to one segment and merges move segments whole, so
                # a segment's entries hold for as long as it does: the next generation reads only
                # its new segments' issues (all 2,700 cost ~0.3 s of CPU while it was prepared).
                if part.issues is None:
                    part.issues = {
                        issue_id: self._issue_entry(generation, issue_id, [base + docnum for docnum in docs])
                        for issue_id, docs in part.facets.issues.items()
                    }
                for issue_id, entry in part.issues.items():
                    if issue_id in entries:  # not written so, but counted whole if it ever is
                        entry = self._issue_entry(generation, issue_id, generation.table.issues[issue_id])
                    entries[issue_id] = entry
                base += part.facets.size
            ordered = sorted(entries.values(), key=lambda e: (e["date"], e["total_number"]), reverse=True)
            generation.issue_entries = ordered
        return generation.issue_entries

    @staticmethod
    def _issue_articles(generation: Generation, issue_id: str) -> list[dict]:
        searcher = generation.searcher
        articles = [dict(searcher.stored_fields(d)) for d in generation.table.issues.get(issue_id, ())]
        # Features, briefs, then the catch-all: the kind facet's order.
        kinds = {kind: order for order, kind in enumerate(fields.facet("kind").choices)}
        return sorted(articles, key=lambda a: (kinds.get(a["kind"], len(kinds)), a["ordinal"]))

    @staticmethod
    def _issue_entry(generation: Generation, issue_id: str, docs: list[int]) -> dict:
        # An issue's articles are written together, in its order, and segments merge in docnum order:
        # the first docnum is its first article, which holds the parse report.
        first = generation.searcher.stored_fields(docs[0])
        kinds = generation.table.values["kind"]
        return {
            "id": issue_id,
            "number": first["issue_number"],
            "total_number": first["issue_total"],
            "date": first["issue_date"],
            "sources": first["sources"],
            "features": sum(kinds[docnum] == ("feature",) for docnum in docs),
            "briefs": sum(kinds[docnum] == ("brief",) for docnum in docs),
            "report": first.get("parse_report"),
        }


def _stored_with_facets(generation: Generation, docnum: int) -> dict:
    """A document's stored fields and its values of every facet (people are only in the facet table)."""
    stored = dict(generation.stored_fields(docnum))
    stored["facets"] = {name: by_doc[docnum] for name, by_doc in generation.table.values.items()}
    return stored
