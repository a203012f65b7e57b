"""The order of a result as ranking rules applied in turn, Meilisearch's bucket sort: each rule splits
a bucket of documents into better and worse buckets, or orders it outright; the next rule takes each
bucket in turn until enough documents are ordered."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cached_property

from whoosh import query as wq
from whoosh.scoring import bm25

from indexer.engine.bitmaps import BIT
from indexer.engine.plan import QueryPlan
from indexer.engine.w3 import LENGTH_OF_BYTE, BlockWanted, stored_postings, w3_blocks

# Past this many candidates, ordering by BM25 in Python costs more than a search should: title
# matches are scored, and the rest come newest first.
SCORE_LIMIT = 3000
# Words in more than this share of articles are left out of ranking when rarer words are present.
COMMON_TERM_SHARE = 0.1
# A title word's frequency counts this many times, applied here rather than written into the postings
# (as whoosh's field_boost would), so changing it needs no rebuild.
TITLE_WEIGHT = 3.0

# (docnum, BM25 score or None) in rank order.
Ordered = list[tuple[int, float | None]]


class Ranking:
    """What the rules of one search share: its plan, and the whole-word terms and their documents."""

    def __init__(self, plan: QueryPlan):
        self.plan = plan

    @cached_property
    def terms(self) -> list[wq.Term]:
        """The whole-word terms that order the result, without the very common ones (活动, 工作):
        they barely move BM25 and walking their postings is most of a search's time."""
        plan = self.plan
        terms = list(dict.fromkeys(term for leaf in plan.leaves for term in leaf.word_terms()))
        if not terms:
            return []
        frequency = {term: plan.reader.doc_frequency(term.fieldname, term.text) for term in terms}
        # A form no article holds as a word (a synonym that jieba splits) orders nothing, and would
        # pass for the rarest word below.
        terms = [term for term in terms if frequency[term]]
        if not terms:
            return []
        common = COMMON_TERM_SHARE * max(plan.reader.doc_count(), 1)
        telling = [term for term in terms if frequency[term] <= common]
        if telling:
            return telling
        rarest = min(frequency[term] for term in terms)
        return [term for term in terms if frequency[term] == rarest]

    @cached_property
    def word_docs(self) -> int:
        return self.plan.term_docs(wq.Or(self.terms)) if self.terms else 0

    @cached_property
    def title_docs(self) -> int:
        title_terms = [term for term in self.terms if term.fieldname == "title"]
        return self.plan.term_docs(wq.Or(title_terms)) if title_terms else 0


class RankingRule:
    """Yields the parts of a bucket, best first: a bitmap goes on to the next rule, a list is final."""

    def buckets(self, ranking: Ranking, docs: int, needed: int) -> Iterator[int | Ordered]:
        raise NotImplementedError


class TextBeforeRecord(RankingRule):
    """Articles matching every unit in their title or text before those some unit matched only by their
    record (the department that signed it, a county, its issue): the record weighs below the words."""

    def buckets(self, ranking: Ranking, docs: int, needed: int) -> Iterator[int | Ordered]:
        record_only = ranking.plan.record_only
        if not docs & record_only:
            yield docs
            return
        yield docs & ~record_only
        yield docs & record_only


class PreferredRun(RankingRule):
    """Articles holding a run as typed (林建波瑞安 as one string, not only its words) first."""

    def buckets(self, ranking: Ranking, docs: int, needed: int) -> Iterator[int | Ordered]:
        plan = ranking.plan
        if not plan.preferred:
            yield docs
            return
        preferred = 0
        for leaf in plan.preferred:
            preferred |= plan.substring_docs(leaf)
        yield docs & preferred
        yield docs & ~preferred


class WholeWords(RankingRule):
    """Articles holding the query's words as whole words before those holding them only as
    substrings; when too many hold them to score, those with the words in their title first."""

    def buckets(self, ranking: Ranking, docs: int, needed: int) -> Iterator[int | Ordered]:
        scorable = docs & ranking.word_docs
        if scorable.bit_count() > SCORE_LIMIT:
            yield docs & ranking.title_docs
            yield scorable & ~ranking.title_docs
        else:
            yield scorable
        yield docs & ~scorable


class WordsBM25(RankingRule):
    """A bucket of whole-word matches by BM25, as whoosh scores them; too large a bucket, or one
    without the words, goes on unordered."""

    def buckets(self, ranking: Ranking, docs: int, needed: int) -> Iterator[int | Ordered]:
        if docs & ~ranking.word_docs or docs.bit_count() > SCORE_LIMIT:
            yield docs
            return
        scores = bm25_scores(ranking.plan, ranking.terms, docs)
        yield sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:needed]


class Newest(RankingRule):
    """Newest first, ties by document number; the last rule, so it orders whatever reaches it."""

    def buckets(self, ranking: Ranking, docs: int, needed: int) -> Iterator[int | Ordered]:
        yield [(docnum, None) for docnum in ranking.plan.table.newest(docs, needed)]


RELEVANCE_RULES: tuple[RankingRule, ...] = (
    TextBeforeRecord(),
    PreferredRun(),
    WholeWords(),
    WordsBM25(),
    Newest(),
)


def ranked(
    plan: QueryPlan, docs: int, count: int, rules: tuple[RankingRule, ...] = RELEVANCE_RULES
) -> Ordered:
    """The first `count` of docs, each bucket split by the rules in turn; the last rule must order."""
    order: Ordered = []
    if docs:
        _sort_into(order, Ranking(plan), rules, docs, 0, count)
    return order[:count]


def _sort_into(
    order: Ordered, ranking: Ranking, rules: tuple[RankingRule, ...], bucket: int, depth: int, count: int
) -> None:
    # A module function rather than one nested in ranked(): a nested function that calls itself holds
    # itself through its closure, a cycle that kept each search's ranking and plan until a garbage
    # collection (~340 KB a search at 2,700 issues).
    for part in rules[depth].buckets(ranking, bucket, count - len(order)):
        if len(order) >= count:
            return
        if isinstance(part, list):
            order.extend(part[: count - len(order)])
        elif part:
            _sort_into(order, ranking, rules, part, depth + 1, count)


def bm25_scores(plan: QueryPlan, terms: list[wq.Term], group: int) -> dict[int, float]:
    """Each document of group scored as whoosh scores an Or of the terms (BM25F: its bm25(), its
    statistics, the weights and field lengths it stores, a title's weights times TITLE_WEIGHT as
    its field_boost would have written them), reading only the terms' postings rather than walking
    whoosh's matchers over every posting to filter most of them away."""
    searcher, size = plan.searcher, plan.table.size
    members = group.to_bytes((size + 7) // 8, "little")
    model = searcher.weighting
    scores: dict[int, float] = {}
    for term in terms:
        field, text = term.fieldname, term.text
        idf, average = searcher.idf(field, text), searcher.avg_field_length(field) or 1
        lengths = plan.segments.lengths[field]
        field_weight = TITLE_WEIGHT if field == "title" else 1.0
        # A term's score depends only on the posting's weight and the length byte: a few dozen
        # pairs among thousands of postings, each worked out once.
        by_weight_and_length: dict[tuple[float, int], float] = {}
        for leaf, offset in searcher.reader().leaf_readers():
            if (field, text) not in leaf:
                continue
            for ids, weights in w3_blocks(stored_postings(leaf, field, text), _holding_any(group, offset)):
                for docnum, weight in zip(ids, weights, strict=True):
                    number = offset + docnum
                    if members[number >> 3] & BIT[number & 7]:
                        key = (weight, lengths[number])
                        score = by_weight_and_length.get(key)
                        if score is None:
                            length = LENGTH_OF_BYTE[key[1]]
                            score = bm25(idf, weight * field_weight, length, average, model.B, model.K1)
                            by_weight_and_length[key] = score
                        scores[number] = scores.get(number, 0.0) + score
    return scores


def _holding_any(group: int, offset: int) -> BlockWanted:
    """Whether a block of a segment whose documents start at `offset` may hold a document of group:
    a search narrowed by date, county or a rare phrase scores a few documents among a common word's
    many postings, and most of its blocks hold none of them, so are never decoded."""

    def wanted(low: int, high: int) -> bool:
        return bool(group >> (offset + low) & ((2 << (high - low)) - 1))

    return wanted
