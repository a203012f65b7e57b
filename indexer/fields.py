"""The facet registry: each facet declared once, with how its values come from an article, its URL
parameter, title, canonical form, order and limit; the index, requests, CLI, OpenAPI, sidebar and CSV follow it.

Read FACETS at call time (`fields.FACETS`, not `from indexer.fields import FACETS`), so that a facet
added to it reaches every place at once.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from operator import itemgetter

from indexer.analysis import ArticleAnalysis
from indexer.models import Article, Issue
from indexer.settings import Domain

Extract = Callable[[Issue, Article, ArticleAnalysis], tuple[str, ...]]
Counts = Mapping[str, int]


class UnknownValue(ValueError):
    """A filter value the facet cannot take; its message names what is wrong."""


@dataclass(frozen=True)
class ValuesFacet:
    """A facet whose values are what the extractor returns; filtered by the URL parameter of its name."""

    name: str  # the key of its counts in the JSON, its URL parameter and its CLI flag
    title: str | None  # in the sidebar and the CSV header; None: counted in the JSON only
    values: Extract
    limit: int  # how many of its values search() returns at most
    description: str = ""  # the URL parameter's, for OpenAPI and `bulletin search --help`
    example: str = ""
    multi_valued: bool = True
    # Many values: on a large result only the values most frequent in the whole archive are counted.
    sampled: bool = False
    in_summary: bool = False  # printed under the hits by `bulletin search`
    choices: Mapping[str, str] = field(default_factory=dict)  # value → label, when only these may be given
    hint: str = "{title}一次最多选 {{max_filter_values}} 个，每个不超过 {{max_filter_value_length}} 个字。"

    @property
    def is_filter(self) -> bool:
        return True

    def canonical(self, value: str, domain: Domain) -> str:
        """The value as the index holds it, or UnknownValue."""
        return value

    def order(self, counts: Counts, domain: Domain) -> list[tuple[str, int]]:
        """Most frequent first, equal counts by value: two sorts at C speed (the second keeps the first's
        order among equal counts), where one keyed by a lambda cost a search ~0.3 ms at 270 issues."""
        return sorted(sorted(counts.items()), key=itemgetter(1), reverse=True)

    def label(self, value: str) -> str:
        return value

    def selected(self, request, value: str, flagged: bool) -> bool:
        return flagged

    def toggle(self, request, value: str, selected: bool) -> dict:
        """The parameter changes that select the value, or unselect it when it is selected."""
        current = request.filters.get(self.name, ())
        if not self.multi_valued:
            return {self.name: None if selected else value}
        return {self.name: tuple(v for v in current if v != value) if selected else (*current, value)}

    def reader_hint(self) -> str:
        """What the HTML error page tells a reader who got this parameter wrong."""
        return self.hint.format(title=self.title)


@dataclass(frozen=True)
class CountyFacet(ValuesFacet):
    """Counties by their official names; short forms (瑞安) are accepted; sorted as config.yaml lists them."""

    def canonical(self, value: str, domain: Domain) -> str:
        official = domain.canonical_place(value)
        if official is None:
            raise UnknownValue(f"unknown county: {value}")
        return official

    def order(self, counts: Counts, domain: Domain) -> list[tuple[str, int]]:
        place_order = {place.name: i for i, place in enumerate(domain.places)}
        return sorted(counts.items(), key=lambda item: (-item[1], place_order.get(item[0], 99)))


@dataclass(frozen=True)
class ChoiceFacet(ValuesFacet):
    """One value of a fixed few, each with its label."""

    multi_valued: bool = False

    def canonical(self, value: str, domain: Domain) -> str:
        if value not in self.choices:
            raise UnknownValue(f"must be one of {', '.join(self.choices)}")
        return value

    def label(self, value: str) -> str:
        return self.choices.get(value, value)


@dataclass(frozen=True)
class DatePartFacet(ValuesFacet):
    """The year or month of the article's date, newest first; filtered by date_from/date_to, not by itself."""

    label_format: str = "{}"

    @property
    def is_filter(self) -> bool:
        return False

    def order(self, counts: Counts, domain: Domain) -> list[tuple[str, int]]:
        return sorted(counts.items(), reverse=True)

    def label(self, value: str) -> str:
        return self.label_format.format(value)

    def span(self, value: str) -> tuple[dt.date, dt.date]:
        return period(value)

    def selected(self, request, value: str, flagged: bool) -> bool:
        return (request.date_from, request.date_to) == self.span(value)

    def toggle(self, request, value: str, selected: bool) -> dict:
        return date_changes(None if selected else self.span(value))


def period(value: str) -> tuple[dt.date, dt.date]:
    """The first and last day of a year (YYYY) or month (YYYY-MM)."""
    year_text, _, month_text = value.partition("-")
    year = int(year_text)
    if not month_text:
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    month = int(month_text)
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def date_changes(span: tuple[dt.date, dt.date] | None) -> dict:
    """The parameter changes that set the date range to span, or clear it."""
    if span is None:
        return {"date_from": None, "date_to": None}
    return {"date_from": span[0].isoformat(), "date_to": span[1].isoformat()}


def _one_or_none(value: str | None) -> tuple[str, ...]:
    return (value,) if value else ()


# In this order in the JSON's facets object and in the sidebar.
FACETS: tuple[ValuesFacet, ...] = (
    CountyFacet(
        "county",
        "县（市、区）",
        lambda issue, article, analysis: tuple(article.counties),
        limit=50,
        description="County (official name or short form, e.g. 瑞安); repeat for any of several.",
        example="瑞安",
        in_summary=True,
        hint="没有这个县（市、区），或一次选了超过 {{max_filter_values}} 个。",
    ),
    ValuesFacet(
        "department",
        "部门",
        lambda issue, article, analysis: _one_or_none(article.department),
        limit=40,
        description="Reporting department; repeat for any of several.",
        example="市科协学会部",
        in_summary=True,
    ),
    ChoiceFacet(
        "kind",
        "类型",
        lambda issue, article, analysis: (article.kind,),
        limit=3,
        description="feature (要闻), brief (简讯), or unassigned: the text of a flagged issue that no article took.",
        example="feature",
        choices={"feature": "要闻", "brief": "简讯", "unassigned": "未归类文字"},
        hint="类型只能是“要闻”（feature）、“简讯”（brief）或“未归类文字”（unassigned）。",
    ),
    DatePartFacet(
        "year",
        "年份",
        lambda issue, article, analysis: (article.date.isoformat()[:4],),
        limit=100,
        in_summary=True,
        label_format="{}年",
    ),
    DatePartFacet(
        "month", None, lambda issue, article, analysis: (article.date.isoformat()[:7],), limit=1200
    ),
    ValuesFacet(
        "keyword",
        "关键词",
        lambda issue, article, analysis: tuple(analysis.keywords),
        limit=25,
        description="Keyword as listed in the keyword facet; repeat for any of several.",
        example="青科会",
        sampled=True,
    ),
    ValuesFacet(
        "person",
        "人物",
        lambda issue, article, analysis: analysis.people,
        limit=30,
        description="Person named in the article (bare name, e.g. 林建波); repeat for any of several.",
        example="林建波",
        sampled=True,
    ),
)


def names() -> tuple[str, ...]:
    return tuple(facet.name for facet in FACETS)


def facet(name: str) -> ValuesFacet:
    for candidate in FACETS:
        if candidate.name == name:
            return candidate
    raise KeyError(name)


def filters() -> tuple[ValuesFacet, ...]:
    """The facets a request filters by, each with its URL parameter."""
    return tuple(candidate for candidate in FACETS if candidate.is_filter)


def shown() -> tuple[ValuesFacet, ...]:
    """The facets of the sidebar and the CSV, in order."""
    return tuple(candidate for candidate in FACETS if candidate.title)
