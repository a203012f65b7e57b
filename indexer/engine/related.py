"""Related articles: those sharing an article's people, places and keywords, rare shared values
weighing more (inverse document frequency, squared), found by splitting the archive's bitmaps."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from indexer.engine.facet_table import FacetTable

# In this order a value found under two facets is named by the first (林建波 as a person, not a keyword).
RELATED_FACETS = ("person", "county", "keyword")
# Sums of the same weights added in another order differ in their last bits; ties are ties.
SCORE_DIGITS = 9


@dataclass(frozen=True)
class Shared:
    facet: str
    value: str


@dataclass(frozen=True)
class RelatedDoc:
    docnum: int
    score: float
    shared: tuple[Shared, ...]  # rarest first


@dataclass
class _Group:
    """The documents sharing exactly these values with the article (so far)."""

    weight: float
    shared: tuple[int, ...]  # indexes into the article's values
    docs: int


def related_docs(
    table: FacetTable,
    docnum: int,
    limit: int,
    place_spellings: Mapping[str, tuple[str, ...]] | None = None,
) -> list[RelatedDoc]:
    """Up to limit other documents by the summed weight log(N / df)² of the values they share with
    docnum, ties newest first; a document sharing nothing, or only values every document has, is
    not related.

    The documents holding any shared value are split by each value in turn, rarest first, into groups
    that share exactly the same values; a group that cannot reach the limit-th best score any more is
    dropped, so the common values (a big county, 科技) split few groups.
    """
    values = _article_values(table, docnum, place_spellings or {})
    self_bit = 1 << docnum
    live = table.live.bit_count()
    weighted = []
    for shared in values:
        posting = table.postings[shared.facet][shared.value]
        others = posting & ~self_bit
        if others:
            # Squared, as in Lucene's classic more-like-this scoring: one rare value (a person in 4
            # articles) outweighs two common ones (a big county and 科技) together.
            weighted.append((math.log(live / posting.bit_count()) ** 2, shared, others))
    weighted.sort(key=lambda item: -item[0])
    remaining = sum(weight for weight, _, _ in weighted)
    union = 0
    for _, _, others in weighted:
        union |= others
    groups = [_Group(0.0, (), union)] if union else []
    sure = _sure_score(weighted, limit)
    for index, (weight, _, posting) in enumerate(weighted):
        remaining -= weight
        split = []
        for group in groups:
            inside = group.docs & posting
            if inside:
                split.append(_Group(group.weight + weight, (*group.shared, index), inside))
            if inside != group.docs:
                split.append(_Group(group.weight, group.shared, group.docs ^ inside))
        sure = max(sure, _sure_in(split, limit))
        floor = round(sure, SCORE_DIGITS)
        # Ties are kept, for the date order among them.
        groups = [group for group in split if round(group.weight + remaining, SCORE_DIGITS) >= floor]
    by_score: dict[float, list[_Group]] = {}
    for group in groups:
        score = round(group.weight, SCORE_DIGITS)
        if score > 0:
            by_score.setdefault(score, []).append(group)
    found: list[RelatedDoc] = []
    for score in sorted(by_score, reverse=True):
        tied = by_score[score]
        docs = 0
        for group in tied:
            docs |= group.docs
        for number in table.newest(docs, limit - len(found)):
            group = next(g for g in tied if g.docs & (1 << number))
            found.append(RelatedDoc(number, score, tuple(weighted[i][1] for i in group.shared)))
        if len(found) == limit:
            break
    return found


def _article_values(
    table: FacetTable, docnum: int, place_spellings: Mapping[str, tuple[str, ...]]
) -> list[Shared]:
    """The article's values of RELATED_FACETS present in the index, each once; a keyword that spells
    one of its counties (瑞安 for 瑞安市) is that county already."""
    seen: set[str] = set()
    found = []
    for facet in RELATED_FACETS:
        if facet not in table.values:
            continue
        for value in table.values[facet][docnum]:
            if value not in seen:
                seen.add(value)
                found.append(Shared(facet, value))
            if facet == "county":
                seen.update(place_spellings.get(value, ()))
    return found


def _sure_in(groups: list[_Group], limit: int) -> float:
    """A score that limit documents of the groups are sure to reach (0 if they hold fewer)."""
    enough = 0
    for group in sorted(groups, key=lambda g: -g.weight):
        enough += group.docs.bit_count()
        if enough >= limit:
            return group.weight
    return 0.0


def _sure_score(weighted: list[tuple[float, Shared, int]], limit: int) -> float:
    """A score that limit documents are sure to reach, found by intersecting the postings rarest first,
    skipping a value that would leave fewer than limit: without it, splitting by the many common
    values of a long article keeps every combination of them until the last few are split."""
    docs, score = -1, 0.0
    for weight, _, posting in weighted:
        narrower = docs & posting
        if narrower.bit_count() >= limit:
            docs, score = narrower, score + weight
    return score
