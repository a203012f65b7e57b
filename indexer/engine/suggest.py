"""Autocomplete of one index generation: facet values and article titles found by a typed prefix of
their text, their pinyin or its initials, ranked by kind, then by article count."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from heapq import merge, nsmallest
from typing import TypeVar

from indexer.analysis import CJK_CHAR, MATCH_UNIT_SEPARATOR, match_pattern
from indexer.engine.facet_table import FacetTable
from indexer.lexicon import initials, typed_pinyin, word_readings

# Facet → the kind its values are suggested as, in the order kinds rank; titles come last.
FACET_KINDS = {"person": "person", "county": "place", "department": "department", "keyword": "keyword"}
KINDS = (*FACET_KINDS.values(), "title")
SUGGESTIONS = 10
MAX_QUERY_LENGTH = 40
# Prefixes this short match thousands of keys (every title read "z…"): their answers are kept ready.
READY_PREFIX_LENGTH = 2
NOT_CJK = re.compile(rf"[^{CJK_CHAR}]+")
# What a text key keeps: the letters the match text keeps (analysis.NGRAM_UNIT), nothing between them.
NOT_KEPT = re.compile(rf"[^{CJK_CHAR}a-z0-9]+")
# In a title's match text, its forms (as printed, then simplified) meet at a doubled separator.
FORM_SEPARATOR = MATCH_UNIT_SEPARATOR * 2
SORT_STEP = 20_000

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Suggestion:
    text: str
    kind: str
    count: int

    def to_dict(self) -> dict:
        return {"text": self.text, "kind": self.kind, "count": self.count}


def text_key(text: str) -> str:
    """The text as its match text holds it (analysis.match_pattern), its runs joined: lower-cased, only
    Chinese characters, Latin letters and digits, so spaces and punctuation never stop a prefix
    (科技惠企创新 finds 科技惠企 创新赋能——“科创中国”…). Runs that share a character at the join are one
    there, as in the match text (《保密法》法治 is 保密法治)."""
    return NOT_KEPT.sub("", match_pattern(text))


def lookup_keys(text: str, extra_spellings: Iterable[str] = ()) -> set[str]:
    """The text key of the text and of its other spellings, each one's pinyin and initials (of its
    Chinese characters alone, so 2022年科普月 reads kepuyue too)."""
    keys: set[str] = set()
    for spelling in (text, *extra_spellings):
        key = text_key(spelling)
        keys.add(key)
        for reading in word_readings(NOT_CJK.sub("", key)):
            keys.add("".join(reading))
            keys.update(initials(reading))
    keys.discard("")
    return keys


def title_forms(match_title: str) -> list[str]:
    """The text keys of a title's forms from its part of analysis.match_text (the title's runs, as
    printed, then simplified where that differs): the match texts are read for every generation anyway,
    where the stored titles cost a decompression of every article."""
    return [key for key in (NOT_KEPT.sub("", form) for form in match_title.split(FORM_SEPARATOR)) if key]


def sorted_in_steps(items: Iterable[T]) -> list[T]:
    """sorted(items), as sorts of SORT_STEP items merged: one sort of the ~60,000 keys of 2,700 issues is
    a single C call holding the GIL 0.1-0.5 s, pausing a server's requests while a new generation is
    prepared; the merge lets them run between items, and costs no more CPU."""
    listed = list(items)
    return list(merge(*(sorted(listed[i : i + SORT_STEP]) for i in range(0, len(listed), SORT_STEP))))


class SuggestIndex:
    """Suggestions ranked once (kind, then more articles first, then text); each lookup key points at a
    suggestion's rank, the keys sorted for a prefix search by bisection. A title is ranked by its text
    key and shown as printed, read from its first article the first time a lookup returns it."""

    def __init__(
        self, ranked: list[Suggestion], keyed: Iterable[tuple[str, int]], titles: dict[int, tuple[str, int]]
    ):
        # (text, kind, count) tuples, not Suggestion objects: a full garbage collection leaves tuples
        # of strings and numbers out, but spent ~90 ms on the ~73,000 objects of 2,700 issues.
        self.ranked = tuple((suggestion.text, suggestion.kind, suggestion.count) for suggestion in ranked)
        self.titles = titles  # rank → (match title, docnum of an article printing it)
        self.printed: dict[int, Suggestion] = {}
        pairs = sorted_in_steps(set(keyed))
        # Tuples: a full garbage collection walks every element of a list (facet_table says why).
        self.keys = tuple(key for key, _ in pairs)
        self.ranks = tuple(rank for _, rank in pairs)
        ready: defaultdict[str, list[int]] = defaultdict(list)
        for key, rank in pairs:
            for length in range(1, min(READY_PREFIX_LENGTH, len(key)) + 1):
                ready[key[:length]].append(rank)
        self.ready = {prefix: tuple(sorted(set(ranks))[:SUGGESTIONS]) for prefix, ranks in ready.items()}

    @classmethod
    def build(
        cls,
        table: FacetTable,
        match_titles: Sequence[str],
        place_spellings: Mapping[str, tuple[str, ...]],
        known: Mapping[str, Iterable[str]] | None = None,
    ) -> SuggestIndex:
        """From the facets of FACET_KINDS the generation has (one not in the index yet is skipped) and
        the titles' part of each article's match text ("" for a deleted one), a title printed on several
        articles suggested once with their count. known: a previous build's title_keys(), so the
        titles of an update's earlier issues are not read in pinyin again."""
        known = known or {}
        # (suggestion, its other spellings, (match title, docnum) of a title)
        found: list[tuple[Suggestion, tuple[str, ...], tuple[str, int] | None]] = []
        for facet, kind in FACET_KINDS.items():
            for value, docs in table.postings.get(facet, {}).items():
                spellings = place_spellings.get(value, ()) if kind == "place" else ()
                found.append((Suggestion(value, kind, docs.bit_count()), spellings, None))
        counts = Counter(match_titles)
        counts.pop("", None)
        first_article = {title: docnum for docnum, title in reversed(list(enumerate(match_titles)))}
        for match_title, count in counts.items():
            forms = title_forms(match_title)
            if forms:
                title = (match_title, first_article[match_title])
                found.append((Suggestion(forms[0], "title", count), tuple(forms[1:]), title))
        kind_order = {kind: order for order, kind in enumerate(KINDS)}
        # Sorted in steps like the keys (one sort of ~75,000 at 2,700 issues held the GIL ~0.1 s while
        # a server prepared a new generation); the position breaks ties as a stable sort would.
        ranking = sorted_in_steps(
            (kind_order[suggestion.kind], -suggestion.count, suggestion.text, position)
            for position, (suggestion, _, _) in enumerate(found)
        )
        found = [found[position] for *_, position in ranking]
        # A text under several kinds (瑞安市 a place and a keyword) is suggested once, as its first kind.
        seen: set[str] = set()
        found = [item for item in found if not (item[0].text in seen or seen.add(item[0].text))]

        def keys(suggestion: Suggestion, spellings: tuple[str, ...], title: tuple[str, int] | None):
            reused = known.get(title[0]) if title is not None else None
            return lookup_keys(suggestion.text, spellings) if reused is None else reused

        keyed = ((key, rank) for rank, item in enumerate(found) for key in keys(*item))
        titles = {rank: title for rank, (_, _, title) in enumerate(found) if title is not None}
        return cls([suggestion for suggestion, _, _ in found], keyed, titles)

    def title_keys(self) -> dict[str, list[str]]:
        """Each title's lookup keys by its match title, for the next generation's build."""
        by_rank: defaultdict[int, list[str]] = defaultdict(list)
        for key, rank in zip(self.keys, self.ranks, strict=True):
            if rank in self.titles:
                by_rank[rank].append(key)
        return {self.titles[rank][0]: keys for rank, keys in by_rank.items()}

    def lookup(
        self, typed: str, printed_title: Callable[[int], str], limit: int = SUGGESTIONS
    ) -> list[Suggestion]:
        """The best suggestions whose text, other spelling, pinyin or initials start with what was typed
        (spaces, apostrophes and tone marks of pinyin left out); printed_title reads an article's title."""
        text = typed.strip()[:MAX_QUERY_LENGTH].lower()
        pinyin = typed_pinyin(text) if text else None
        prefix = pinyin[0] if pinyin else text_key(text)
        if not prefix:
            return []
        ranks = self.ready.get(prefix) if len(prefix) <= READY_PREFIX_LENGTH else None
        if ranks is None:
            start = bisect_left(self.keys, prefix)
            end = bisect_left(self.keys, prefix + "\U0010ffff", start)
            ranks = nsmallest(limit, set(self.ranks[start:end]))
        return [self._shown(rank, printed_title) for rank in ranks[:limit]]

    def _shown(self, rank: int, printed_title: Callable[[int], str]) -> Suggestion:
        title = self.titles.get(rank)
        if title is None:
            return Suggestion(*self.ranked[rank])
        shown = self.printed.get(rank)
        if shown is None:
            # Two threads that both find it unread both read it, and either is the same.
            _, kind, count = self.ranked[rank]
            shown = self.printed[rank] = Suggestion(printed_title(title[1]).strip(), kind, count)
        return shown
