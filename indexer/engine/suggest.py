"""Autocomplete of one index generation: facet values and article titles found by a typed prefix of
their text, their pinyin or its initials, ranked by kind, then by article count."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from heapq import nsmallest

from indexer.analysis import CJK_CHAR
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


@dataclass(frozen=True)
class Suggestion:
    text: str
    kind: str
    count: int

    def to_dict(self) -> dict:
        return {"text": self.text, "kind": self.kind, "count": self.count}


def lookup_keys(text: str, extra_spellings: Iterable[str] = ()) -> set[str]:
    """The text and its other spellings lower-cased, each one's pinyin and initials (of its Chinese
    characters alone, so 2022年科普月 reads kepuyue too)."""
    keys: set[str] = set()
    for spelling in (text, *extra_spellings):
        keys.add(spelling.lower())
        for reading in word_readings(NOT_CJK.sub("", spelling)):
            keys.add("".join(reading))
            keys.update(initials(reading))
    keys.discard("")
    return keys


class SuggestIndex:
    """Suggestions ranked once (kind, then more articles first, then text); each lookup key points at a
    suggestion's rank, the keys sorted for a prefix search by bisection."""

    def __init__(self, ranked: list[Suggestion], keyed: Iterable[tuple[str, int]]):
        self.ranked = ranked
        pairs = sorted(set(keyed))
        self.keys = [key for key, _ in pairs]
        self.ranks = [rank for _, rank in pairs]
        ready: defaultdict[str, list[int]] = defaultdict(list)
        for key, rank in pairs:
            for length in range(1, min(READY_PREFIX_LENGTH, len(key)) + 1):
                ready[key[:length]].append(rank)
        self.ready = {prefix: sorted(set(ranks))[:SUGGESTIONS] for prefix, ranks in ready.items()}

    @classmethod
    def build(
        cls, table: FacetTable, titles: Iterable[str], place_spellings: Mapping[str, tuple[str, ...]]
    ) -> SuggestIndex:
        """From the facets of FACET_KINDS the generation has (one not in the index yet is skipped) and
        the live articles' titles, a title printed on several articles suggested once with their count."""
        found: list[tuple[Suggestion, tuple[str, ...]]] = []
        for facet, kind in FACET_KINDS.items():
            for value, docs in table.postings.get(facet, {}).items():
                spellings = place_spellings.get(value, ()) if kind == "place" else ()
                found.append((Suggestion(value, kind, docs.bit_count()), spellings))
        for title, count in Counter(title.strip() for title in titles if title.strip()).items():
            found.append((Suggestion(title, "title", count), ()))
        kind_order = {kind: order for order, kind in enumerate(KINDS)}
        found.sort(key=lambda item: (kind_order[item[0].kind], -item[0].count, item[0].text))
        # A text under several kinds (瑞安市 a place and a keyword) is suggested once, as its first kind.
        seen: set[str] = set()
        found = [item for item in found if not (item[0].text in seen or seen.add(item[0].text))]
        keyed = (
            (key, rank) for rank, (s, spellings) in enumerate(found) for key in lookup_keys(s.text, spellings)
        )
        return cls([suggestion for suggestion, _ in found], keyed)

    def lookup(self, typed: str, limit: int = SUGGESTIONS) -> list[Suggestion]:
        """The best suggestions whose text, other spelling, pinyin or initials start with what was typed
        (spaces, apostrophes and tone marks of pinyin left out)."""
        text = typed.strip()[:MAX_QUERY_LENGTH].lower()
        if not text:
            return []
        pinyin = typed_pinyin(text)
        prefix = pinyin[0] if pinyin else text
        ranks = self.ready.get(prefix) if len(prefix) <= READY_PREFIX_LENGTH else None
        if ranks is None:
            start = bisect_left(self.keys, prefix)
            end = bisect_left(self.keys, prefix + "\U0010ffff", start)
            ranks = nsmallest(limit, set(self.ranks[start:end]))
        return [self.ranked[rank] for rank in ranks[:limit]]
