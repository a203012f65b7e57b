"""Autocomplete of one index generation: facet values and article titles found by a typed prefix of
their text, their pinyin or its initials, ranked by kind, then by article count."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from heapq import merge, nsmallest
from itertools import chain, repeat
from typing import TypeVar

from indexer.analysis import CJK_CHAR, MATCH_UNIT_SEPARATOR, match_pattern
from indexer.engine.facet_table import FacetTable
from indexer.lexicon import initials, typed_pinyin, word_readings

# Facet → the kind its values are suggested as, in the order kinds rank; titles come last.
FACET_KINDS = {"person": "person", "county": "place", "department": "department", "keyword": "keyword"}
KINDS = (*FACET_KINDS.values(), "title")
TITLE = KINDS.index("title")
SUGGESTIONS = 10
MAX_QUERY_LENGTH = 40
# Prefixes this short, or finding more keys than READY_KEYS, match thousands of entries (every title
# read "z…"): their answers are kept, once worked out, for the generation.
READY_PREFIX_LENGTH = 2
READY_KEYS = 2000
NOT_CJK = re.compile(rf"[^{CJK_CHAR}]+")
# What a text key keeps: the letters the match text keeps (analysis.NGRAM_UNIT), nothing between them.
NOT_KEPT = re.compile(rf"[^{CJK_CHAR}a-z0-9]+")
# In a title's match text, its forms (as printed, then simplified) meet at a doubled separator.
FORM_SEPARATOR = MATCH_UNIT_SEPARATOR * 2
SORT_STEP = 20_000
# Keys an update adds are kept apart from the shared run until there are this many (an addition at
# 2,700 issues brings a few hundred), so most updates copy none of the ~290,000 keys.
TAIL_KEYS = 20_000

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
    """sorted(items), as sorts of SORT_STEP items merged: one sort of the ~280,000 keys of 2,700 issues is
    a single C call holding the GIL 0.1-0.5 s, pausing a server's requests; the merge lets them run
    between items, and costs no more CPU."""
    listed = list(items)
    return list(merge(*(sorted(listed[i : i + SORT_STEP]) for i in range(0, len(listed), SORT_STEP))))


# An entry: (its kind's place in KINDS, its text key, what names it). A facet value names itself; a
# title is named by its match title, which may hold more than its text key (its simplified form).
Entry = tuple[int, str, str]


@dataclass(frozen=True)
class SortedKeys:
    """Lookup keys in order, each with its entry's id, for a prefix search by bisection."""

    keys: tuple[str, ...]
    key_entries: tuple[int, ...]  # the entry id of each key

    def found(self, prefix: str) -> tuple[int, ...]:
        """The entry ids of the keys that start with prefix."""
        start = bisect_left(self.keys, prefix)
        return self.key_entries[start : bisect_left(self.keys, prefix + "\U0010ffff", start)]

    def merged(self, pairs: list[tuple[str, int]]) -> SortedKeys:
        """These keys and the sorted (key, entry id) pairs; a new key goes after the equal keys already
        there, whose entries are older, the runs between them copied at C speed."""
        if not self.keys:
            return SortedKeys(tuple(key for key, _ in pairs), tuple(entry_id for _, entry_id in pairs))
        key_runs: list[Iterable[str]] = []
        id_runs: list[Iterable[int]] = []
        start = 0
        for key, entry_id in pairs:
            end = bisect_right(self.keys, key, start)
            key_runs += (self.keys[start:end], (key,))
            id_runs += (self.key_entries[start:end], (entry_id,))
            start = end
        key_runs.append(self.keys[start:])
        id_runs.append(self.key_entries[start:])
        return SortedKeys(tuple(chain.from_iterable(key_runs)), tuple(chain.from_iterable(id_runs)))

    def pairs(self) -> list[tuple[str, int]]:
        return list(zip(self.keys, self.key_entries, strict=True))


NO_KEYS = SortedKeys((), ())


@dataclass(frozen=True)
class SuggestKeys:
    """Every entry a server has met in its index generations, each with its lookup keys, sorted for a
    prefix search by bisection. Generations share it, and an update's generation extends the one
    answering with the facet values and titles that are new to it: reading every entry's pinyin and
    sorting its ~280,000 keys again took 1.8 s of CPU at 2,700 issues, pausing requests meanwhile. An
    entry an update removes stays, and a generation that does not count it never suggests it.

    The keys are in two runs: the large one generations share and a tail of what updates added since,
    folded into it once the tail holds TAIL_KEYS. Merging an update's few hundred keys into one run
    made new tuples of all ~290,000 keys and their ids, 32 ms of CPU and most of an update's
    suggestion build at 2,700 issues. Tuples and a dict of tuples: a full garbage collection walks
    neither (facet_table says why)."""

    entries: tuple[Entry, ...]  # entry id → entry
    ids: dict[tuple[int, str], int]  # (kind, name) → entry id
    base: SortedKeys
    tail: SortedKeys = NO_KEYS

    @classmethod
    def empty(cls) -> SuggestKeys:
        return cls((), {}, NO_KEYS)

    @property
    def key_count(self) -> int:
        return len(self.base.keys) + len(self.tail.keys)

    def found(self, prefix: str) -> tuple[set[int], int]:
        """The ids of the entries with a key that starts with prefix, and how many keys do."""
        in_base, in_tail = self.base.found(prefix), self.tail.found(prefix)
        return {*in_base, *in_tail}, len(in_base) + len(in_tail)

    def extended(self, new: list[tuple[Entry, set[str]]]) -> SuggestKeys:
        """These keys and the new entries with theirs."""
        if not new:
            return self
        first = len(self.entries)
        pairs = sorted_in_steps(
            (key, entry_id) for entry_id, (_, keys) in enumerate(new, start=first) for key in keys
        )
        entries = self.entries + tuple(entry for entry, _ in new)
        ids = dict(self.ids)
        for entry_id, ((kind, _, name), _) in enumerate(new, start=first):
            ids[kind, name] = entry_id
        tail = self.tail.merged(pairs)
        if not self.base.keys:  # built from nothing: the one run
            return SuggestKeys(entries, ids, tail)
        if len(tail.keys) >= TAIL_KEYS:
            return SuggestKeys(entries, ids, self.base.merged(tail.pairs()))
        return SuggestKeys(entries, ids, self.base, tail)


class SuggestIndex:
    """One generation's suggestions: the shared SuggestKeys with this generation's article count for
    each entry (0: not in it). A lookup ranks the entries its prefix finds by kind, then more articles
    first, then text; a title is shown as printed, read from its first article the first time a lookup
    returns it. The answers of short prefixes, which find thousands of entries, are kept."""

    def __init__(self, keys: SuggestKeys, counts: tuple[int, ...], match_titles: Sequence[str]):
        self.keys = keys
        self.counts = counts  # entry id → articles
        self.match_titles = match_titles  # docnum → match title ("" for a deleted one)
        self.answers: dict[str, tuple[int, ...]] = {}  # prefix → its best entry ids, kept
        self.printed: dict[int, str] = {}  # entry id of a title → the title as printed

    @classmethod
    def build(
        cls,
        table: FacetTable,
        match_titles: Sequence[str],
        place_spellings: Mapping[str, tuple[str, ...]],
        previous: SuggestKeys | None = None,
    ) -> SuggestIndex:
        """From the facets of FACET_KINDS the generation has (one not in the index yet is skipped) and
        the titles' part of each article's match text ("" for a deleted one), a title printed on several
        articles suggested once with their count. previous: the keys of the generation answering, so
        that only what is new to it is read in pinyin and sorted in."""
        known = previous or SuggestKeys.empty()

        def counted() -> Iterator[tuple[int, dict[str, int]]]:
            """(kind, name → articles) of what the generation has to suggest."""
            for facet, kind in FACET_KINDS.items():
                yield KINDS.index(kind), table.counts.get(facet, {})
            # Counted a slice at a time: one Counter of the ~100,000 titles of 2,700 issues is a single
            # C call that held the GIL ~40 ms while a server prepared a new generation.
            titles: Counter[str] = Counter()
            for start in range(0, len(match_titles), SORT_STEP):
                titles.update(match_titles[start : start + SORT_STEP])
            titles.pop("", None)
            yield TITLE, titles

        def new_entry(kind: int, name: str) -> tuple[Entry, set[str]] | None:
            if kind != TITLE:
                spellings = place_spellings.get(name, ()) if KINDS[kind] == "place" else ()
                return (kind, name, name), lookup_keys(name, spellings)
            forms = title_forms(name)
            return ((kind, forms[0], name), lookup_keys(forms[0], forms[1:])) if forms else None

        by_entry = [0] * len(known.entries)
        new: list[tuple[Entry, set[str]]] = []
        new_counts: list[int] = []
        for kind, counts in counted():
            # Each name's entry is looked up at C speed (map over the dict's get), not in this loop:
            # ~75,000 names at 2,700 issues, every update.
            for name, count, entry_id in zip(
                counts, counts.values(), map(known.ids.get, zip(repeat(kind), counts)), strict=True
            ):
                if entry_id is not None:
                    by_entry[entry_id] = count
                elif (made := new_entry(kind, name)) is not None:
                    new.append(made)
                    new_counts.append(count)
        keys = known.extended(new)
        return cls(keys, tuple(by_entry + new_counts), match_titles)

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
        best = self.answers.get(prefix)
        if best is None:
            entry_ids, keys_found = self.keys.found(prefix)
            best = self._best(entry_ids)
            if len(prefix) <= READY_PREFIX_LENGTH or keys_found > READY_KEYS:
                self.answers[prefix] = best
        return [self._shown(entry_id, printed_title) for entry_id in best[:limit]]

    def _best(self, entry_ids: set[int]) -> tuple[int, ...]:
        """The SUGGESTIONS best of the entries this generation counts, a text under several kinds (瑞安市
        a place and a keyword) once, as its first kind."""
        entries, counts = self.keys.entries, self.counts
        # A text is under at most len(KINDS) entries, so this many hold SUGGESTIONS distinct texts.
        ranked = nsmallest(
            SUGGESTIONS * len(KINDS),
            ((entries[i][0], -counts[i], entries[i][1], i) for i in entry_ids if counts[i]),
        )
        seen: set[str] = set()
        return tuple(i for _, _, text, i in ranked if not (text in seen or seen.add(text)))[:SUGGESTIONS]

    def _shown(self, entry_id: int, printed_title: Callable[[int], str]) -> Suggestion:
        kind, text, name = self.keys.entries[entry_id]
        count = self.counts[entry_id]
        if kind != TITLE:
            return Suggestion(text, KINDS[kind], count)
        printed = self.printed.get(entry_id)
        if printed is None:
            # Two threads that both find it unread both read it, and either is the same.
            printed = self.printed[entry_id] = printed_title(self.match_titles.index(name)).strip()
        return Suggestion(printed, "title", count)
