"""A parsed query evaluated to a document bitmap: boolean algebra on bitmaps, substring leaves checked
on the match texts."""

from __future__ import annotations

import operator
from collections import OrderedDict
from collections.abc import Callable
from contextlib import suppress
from itertools import compress, repeat

from whoosh import query as wq

from indexer.analysis import match_pattern
from indexer.engine.bitmaps import docnums
from indexer.engine.facet_table import FacetTable, MatchTexts
from indexer.engine.query import RecordLeaf, SubstringLeaf, Unit
from indexer.engine.record_fields import SHOWN_VALUES, RecordFields
from indexer.engine.w3 import SegmentTables, posting_bits
from indexer.expand import FIELD, Reading

SUBSTRING_CACHE_SIZE = 2048
# A substring leaf's candidates hold its rarest bigrams; more postings cost more than checking the texts.
CANDIDATE_GRAMS = 2


class QueryPlan:
    """Evaluates a parsed query to a set of documents, one plan per search; ranking.ranked orders them.

    Boolean structure is bitmap algebra here rather than whoosh matchers, so a substring leaf can take
    its shortcut: an article holding the leaf as an indexed word contains it for sure, and only the
    remaining candidates (all bigrams present) need a look at their match text.
    """

    def __init__(
        self,
        searcher,
        table: FacetTable,
        texts: MatchTexts,
        segments: SegmentTables,
        cache: OrderedDict,
        records: Callable[[], RecordFields] | None = None,
    ):
        self.searcher, self.table, self.texts, self.segments = searcher, table, texts, segments
        self.cache = cache
        self.records = records
        self.reader = searcher.reader()
        self.leaves: list[SubstringLeaf] = []
        self.preferred: list[SubstringLeaf] = []
        # The units the result was matched by (not those negated), for explaining a hit.
        self.units: list[Unit | RecordLeaf] = []
        # Documents a unit matched only by their record: they rank below the text's matches.
        self.record_only = 0
        # Record values each unit matched, shown as readings ("科普部" as department 市科协科普部).
        self.record_matches: dict[RecordLeaf, list[tuple[str, str, int]]] = {}
        # (unit as typed, its record leaf, the documents only the record brought in), for readings().
        self.record_readings: list[tuple[str, RecordLeaf, int]] = []
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
        if isinstance(node, Unit):
            return self.unit_docs(node, negated)
        if isinstance(node, RecordLeaf):
            docs = self.record_docs(node)
            if not negated:
                self.units.append(node)
                self._read_as_record(node, node.text, docs)
            return docs
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

    def unit_docs(self, unit: Unit, negated: bool) -> int:
        docs = 0
        for leaf in unit.leaves:
            docs |= self.docs(leaf, negated)
        if unit.record is None:
            if not negated:
                self.units.append(unit)
            return docs
        by_record = self.record_docs(unit.record)
        if not negated:
            self.units.append(unit)
            added = by_record & ~docs
            self.record_only |= added
            if added:
                self._read_as_record(unit.record, unit.text, added)
        return docs | by_record

    def record_docs(self, leaf: RecordLeaf) -> int:
        if self.records is None:
            return 0
        records = self.records()
        matches = [
            (field, value, bits)
            for field in leaf.fields
            for value, bits in records.matches(field, leaf.text, leaf.issue)
        ]
        self.record_matches[leaf] = matches
        docs = 0
        for _, _, bits in matches:
            docs |= bits
        return docs & self.table.live

    def _read_as_record(self, leaf: RecordLeaf, typed: str, docs: int) -> None:
        self.record_readings.append((typed, leaf, docs))

    def readings(self, result: int) -> list[Reading]:
        """For each unit, the record values that brought documents of the result in: 科普部 →
        department:市科协科普部."""
        readings = []
        for typed, leaf, docs in self.record_readings:
            shown = [
                f"{field}:{value}"
                for field, value, bits in self.record_matches.get(leaf, ())
                if bits & docs & result
            ]
            if shown:
                # Issues of several bulletins in one folder share their labels (2022年第5期).
                readings.append(Reading(typed, tuple(dict.fromkeys(shown))[:SHOWN_VALUES], FIELD))
        return readings

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
        rarest_first = sorted(set(grams), key=self.segments.gram_frequency)
        candidates = self.table.live
        for gram in rarest_first[:CANDIDATE_GRAMS]:
            candidates &= self.segments.gram_bits(gram)
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
