"""The one search(): a validated request in, a SearchResult out, for the CLI, the HTML pages and the JSON API."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from pathlib import Path
from typing import NamedTuple

from indexer import fields
from indexer.engine import EngineRequest, SearchEngine
from indexer.errors import BulletinError
from indexer.expand import Expander, Reading, suggestion_queries
from indexer.querylog import record_zero_result
from indexer.settings import Domain, Settings
from indexer.snippets import highlight_pattern, make_snippet
from indexer.wordseg import domain_words

SORTS = ("relevance", "newest", "oldest")
# How deep into a result a page may reach (page × per_page): the engine ranks or walks every result up
# to the last one asked for, so depth is work; no reader pages past this, and the CSV export is for bulk.
MAX_RESULT_DEPTH = 10_000
# Each value of a filter becomes a chip, and every link on the results page carries every value: the
# caps keep a page's links (and so its size and the work of building it) bounded whatever the URL.
MAX_FILTER_VALUES = 20
MAX_FILTER_VALUE_LENGTH = 40
MAX_PARAMETERS = 400
# Longer than any page number or per_page that can pass, short enough that int() is cheap.
MAX_NUMBER_DIGITS = 20
SURROGATE = re.compile(r"[\ud800-\udfff]")
# A result this small gets "did you mean" suggestions; each must find more than the query did.
SUGGEST_BELOW = 3
SUGGESTIONS = 3
FLAGS = ("literal", "explain")
DATE_FORMS = (
    (re.compile(r"^\d{4}-\d{2}-\d{2}$"), "%Y-%m-%d"),
    (re.compile(r"^\d{4}-\d{2}$"), "%Y-%m"),
    (re.compile(r"^\d{4}$"), "%Y"),
)


class InvalidRequest(BulletinError):
    """A search parameter the user got wrong; the web app answers 400 with this message."""

    def __init__(self, param: str | None, message: str):
        super().__init__(f"{param}: {message}" if param else message)
        self.param = param
        self.message = message


@dataclass(frozen=True)
class SearchRequest:
    q: str = ""
    # Facet name → its selected values (official forms), for each filter of fields.filters() given.
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20
    literal: bool = False  # the query as typed: no folding to simplified, no synonyms, pinyin or record
    explain: bool = False  # each hit says which query unit matched which field, and how

    def changed(self, **changes) -> SearchRequest:
        """The request with changes to its fields, a filter's named as its URL parameter (as in params())."""
        filters = dict(self.filters)
        for facet in fields.filters():
            if facet.name in changes:
                value = changes.pop(facet.name)
                filters[facet.name] = (
                    tuple(value) if isinstance(value, tuple | list) else (value,) if value else ()
                )
        return replace(self, filters={name: values for name, values in filters.items() if values}, **changes)

    def params(self, **changes) -> list[tuple[str, str]]:
        """The request as URL parameters (names as in the API), with changes applied; for links."""
        values = self._link_values | changes
        pairs = []
        for name, value in values.items():
            if isinstance(value, tuple | list):
                pairs.extend((name, item) for item in value)
            elif value not in (None, ""):
                pairs.append((name, str(value)))
        return pairs

    @cached_property
    def _link_values(self) -> dict[str, object]:
        # The same for each of a page's hundreds of links (its timeline's bars, its facets' values).
        return {
            "q": self.q,
            **{facet.name: self.filters.get(facet.name, ()) for facet in fields.filters()},
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
            "sort": None if self.sort == "relevance" else self.sort,
            "page": None if self.page == 1 else str(self.page),
            "per_page": None if self.per_page == 20 else str(self.per_page),
            "literal": "1" if self.literal else None,
            "explain": "1" if self.explain else None,
        }


class FacetValue(NamedTuple):
    """A facet's value and its count. A named tuple rather than a frozen dataclass: a search makes
    hundreds (a month's for each month of the result), and a frozen dataclass's __init__ costs ~15
    times as much."""

    value: str
    count: int
    selected: bool = False


@dataclass(frozen=True)
class Hit:
    id: str
    title: str
    kind: str
    date: str
    department: str | None
    counties: tuple[str, ...]
    keywords: tuple[str, ...]
    issue: dict
    snippet: str
    source: dict
    ocr: bool = False  # the text was read by OCR from a scan and may hold misread characters
    # Every facet's values of the article (fields.FACETS), for the CSV; not in the JSON.
    facets: dict[str, tuple[str, ...]] = field(default_factory=dict)
    explain: tuple[dict, ...] | None = None  # with explain=1: how the query matched this article

    @property
    def url(self) -> str:
        return f"/articles/{self.id}"

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "title": self.title,
            "kind": self.kind,
            "date": self.date,
            "department": self.department,
            "counties": list(self.counties),
            "keywords": list(self.keywords),
            "people": list(self.facets.get("person", ())),
            "issue": self.issue,
            "snippet": self.snippet,
            "url": self.url,
            "source": self.source,
            "ocr": self.ocr,
            **({"explain": list(self.explain)} if self.explain is not None else {}),
        }


@dataclass(frozen=True)
class SearchResult:
    request: SearchRequest
    total: int
    hits: tuple[Hit, ...]
    facets: dict[str, tuple[FacetValue, ...]] = field(default_factory=dict)
    readings: tuple[Reading, ...] = ()  # how the query was read besides its literal text
    suggestions: tuple[dict, ...] = ()  # {"q", "total"}: queries that find more, for a small result

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.request.per_page))

    def to_dict(self) -> dict:
        return {
            "query": self.request.q,
            "literal": self.request.literal,
            "interpretation": [reading.to_dict() for reading in self.readings],
            "suggestions": list(self.suggestions),
            "total": self.total,
            "page": self.request.page,
            "per_page": self.request.per_page,
            "hits": [hit.to_dict() for hit in self.hits],
            "facets": {
                name: [{"value": f.value, "count": f.count, "selected": f.selected} for f in values]
                for name, values in self.facets.items()
            },
        }


def _one(params: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = [v for v in params.get(name, ()) if v is not None and v.strip() != ""]
    if len(values) > 1:
        raise InvalidRequest(name, "give this parameter once")
    return values[0].strip() if values else None


def _integer(params, name: str, default: int, low: int, high: int) -> int:
    raw = _one(params, name)
    if raw is None:
        return default
    # isdecimal, not isdigit: int() takes full-width "１" (typed with a Chinese IME) but not "²".
    if not raw.isdecimal() or len(raw) > MAX_NUMBER_DIGITS:
        raise InvalidRequest(name, f"must be a whole number from {low} to {high}")
    value = int(raw)
    if not low <= value <= high:
        raise InvalidRequest(name, f"must be a whole number from {low} to {high}")
    return value


def _date(params, name: str) -> dt.date | None:
    raw = _one(params, name)
    if raw is None:
        return None
    # Full-width digits (２０２２-０５, as a Chinese IME types them) read as the same date; strptime
    # took some and refused others.
    raw = "".join(str(unicodedata.decimal(char)) if char.isdecimal() else char for char in raw)
    for pattern, form in DATE_FORMS:
        if pattern.match(raw):
            try:
                parsed = dt.datetime.strptime(raw, form).date()
            except ValueError:
                break
            if name == "date_to" and form != "%Y-%m-%d":
                # "2022-05" as an upper bound means the end of May.
                parsed = fields.period(raw)[1]
            return parsed
    raise InvalidRequest(name, "must be a date: YYYY-MM-DD, YYYY-MM or YYYY")


def _flag(params, name: str) -> bool:
    raw = _one(params, name)
    if raw is None or raw.lower() in ("0", "false", "no"):
        return False
    if raw.lower() in ("1", "true", "yes"):
        return True
    raise InvalidRequest(name, "must be 1 or 0")


def _check_sizes(params: Mapping[str, Sequence[str]]) -> None:
    """Refuse a request too large to answer cheaply, before any of its values is looked at twice."""
    if sum(len(values) for values in params.values()) > MAX_PARAMETERS:
        raise InvalidRequest(None, f"more than {MAX_PARAMETERS} parameters")
    for name, values in params.items():
        # A lone surrogate (from a command line, or a decoder that lets one through) cannot be
        # encoded as UTF-8: it would fail in the index lookup or in the answer, so refuse it here.
        if any(SURROGATE.search(value) for value in values if value):
            raise InvalidRequest(name, "is not valid text")


def _filter_values(params: Mapping[str, Sequence[str]], facet: fields.ValuesFacet, domain: Domain) -> tuple:
    """The distinct non-empty values of a filter in their official forms and the order given, each at
    most so long, so many; a single-valued facet's parameter is given once."""
    name = facet.name
    given = params.get(name, ())
    if not facet.multi_valued:
        one = _one(params, name)
        given = () if one is None else (one,)
    found: dict[str, None] = {}
    for value in given:
        value = value.strip()
        if not value:
            continue
        if len(value) > MAX_FILTER_VALUE_LENGTH:
            raise InvalidRequest(name, f"a value is longer than {MAX_FILTER_VALUE_LENGTH} characters")
        try:
            found[facet.canonical(value, domain)] = None
        except fields.UnknownValue as error:
            raise InvalidRequest(name, str(error)) from None
        if len(found) > MAX_FILTER_VALUES:
            raise InvalidRequest(name, f"more than {MAX_FILTER_VALUES} different values")
    return tuple(found)


def parse_request(params: Mapping[str, Sequence[str]], settings: Settings) -> SearchRequest:
    """URL or command-line parameters (name → list of values) into a SearchRequest, or InvalidRequest.

    The one place where the size of a request is bounded: the pages, the CSV export, the JSON API and
    the CLI all come through here, so no caller can build links or searches from an unbounded request.
    """
    _check_sizes(params)
    limits = settings.search
    q = " ".join(v for v in params.get("q", ()) if v).strip()
    if len(q) > limits.max_query_length:
        raise InvalidRequest("q", f"longer than {limits.max_query_length} characters")

    filters = {}
    for facet in fields.filters():
        values = _filter_values(params, facet, settings.domain)
        if values:
            filters[facet.name] = values
    sort = _one(params, "sort") or "relevance"
    if sort not in SORTS:
        raise InvalidRequest("sort", f"must be one of {', '.join(SORTS)}")
    date_from, date_to = _date(params, "date_from"), _date(params, "date_to")
    if date_from and date_to and date_from > date_to:
        raise InvalidRequest("date_from", "is after date_to")
    per_page = _integer(params, "per_page", limits.default_per_page, 1, limits.max_per_page)
    return SearchRequest(
        q=q,
        filters=filters,
        date_from=date_from,
        date_to=date_to,
        sort=sort,
        page=_integer(params, "page", 1, 1, last_page(per_page)),
        per_page=per_page,
        literal=_flag(params, "literal"),
        explain=_flag(params, "explain"),
    )


def last_page(per_page: int) -> int:
    """The deepest page a request may ask for at this page size."""
    return MAX_RESULT_DEPTH // per_page


@lru_cache(maxsize=4)
def _engine(index_dir: Path, domain: Domain, synonyms: tuple[tuple[str, ...], ...]) -> SearchEngine:
    places = tuple(place.spellings for place in domain.places)
    return SearchEngine(index_dir, domain_words(domain), Expander(synonyms, places))


def engine_for(settings: Settings) -> SearchEngine:
    """The search engine of the settings' index, shared by every caller in this process."""
    return _engine(settings.index_dir, settings.domain, settings.synonyms)


def _split(value: str) -> tuple[str, ...]:
    return tuple(v for v in value.split(",") if v) if value else ()


def hit_from_stored(stored: dict, pattern: re.Pattern | None) -> Hit:
    return Hit(
        id=stored["id"],
        title=stored["title"],
        kind=stored["kind"],
        date=stored["date"],
        department=stored.get("department") or None,
        counties=_split(stored.get("counties", "")),
        keywords=_split(stored.get("keywords", "")),
        issue={
            "id": stored["issue_id"],
            "number": stored["issue_number"],
            "total_number": stored["issue_total"],
            "date": stored["issue_date"],
        },
        snippet=make_snippet(stored["body"], pattern),
        source={"file": stored["sources"][0] if stored["sources"] else None, "page": stored.get("page")},
        ocr=bool(stored.get("ocr")),
        facets=stored.get("facets", {}),
        explain=tuple(stored["explain"]) if "explain" in stored else None,
    )


def _facet_values(
    facet: fields.ValuesFacet, counts, selected: tuple[str, ...], domain: Domain
) -> tuple[FacetValue, ...]:
    ordered = facet.order(counts, domain)[: facet.limit]
    values = [FacetValue(value, count, value in selected) for value, count in ordered]
    # A selected value stays visible (with its count) so it can be removed even when it has no hits.
    shown = {v.value for v in values}
    values += [FacetValue(value, counts.get(value, 0), True) for value in selected if value not in shown]
    return tuple(values)


def _engine_request(request: SearchRequest, **changes) -> EngineRequest:
    return replace(
        EngineRequest(
            text=request.q,
            filters=request.filters,
            date_from=request.date_from.isoformat() if request.date_from else None,
            date_to=request.date_to.isoformat() if request.date_to else None,
            sort=request.sort if request.q.strip() else ("oldest" if request.sort == "oldest" else "newest"),
            offset=(request.page - 1) * request.per_page,
            limit=request.per_page,
            literal=request.literal,
            explain=request.explain,
        ),
        **changes,
    )


def did_you_mean(engine: SearchEngine, request: SearchRequest, total: int) -> tuple[dict, ...]:
    """For a result of fewer than SUGGEST_BELOW articles: the query with a word replaced by an archive
    word that sounds the same or differs by one character, each with what it finds under the same
    filters, when that is more; never applied by itself."""
    if total >= SUGGEST_BELOW or not request.q.strip():
        return ()
    text, _ = engine.expander.fold_query(request.q, request.literal)
    found = []
    for q in suggestion_queries(text, engine.lexicon(), limit=SUGGESTIONS):
        count = engine.search(_engine_request(request, text=q, offset=0, limit=1, explain=False)).total
        if count > total:
            found.append({"q": q, "total": count})
    return tuple(sorted(found, key=lambda suggestion: -suggestion["total"]))


def search(settings: Settings, request: SearchRequest, engine: SearchEngine | None = None) -> SearchResult:
    engine = engine or engine_for(settings)
    filters = request.filters
    raw = engine.search(_engine_request(request))
    pattern = highlight_pattern(raw.highlights)
    facets = {
        facet.name: _facet_values(facet, raw.facets[facet.name], filters.get(facet.name, ()), settings.domain)
        for facet in fields.FACETS
    }
    # Only words that found nothing in the whole archive: under a filter it may be the filter that
    # excludes (and the page's searches without it would count the words again). A literal search is
    # the undo of a reading, not what the reader was looking for.
    unfiltered = not (filters or request.date_from or request.date_to)
    if raw.total == 0 and request.q.strip() and unfiltered and not request.literal:
        record_zero_result(settings, request.q)
    return SearchResult(
        request=request,
        total=raw.total,
        hits=tuple(hit_from_stored(stored, pattern) for stored in raw.hits),
        facets=facets,
        readings=tuple(dict.fromkeys(raw.readings)),
        suggestions=did_you_mean(engine, request, raw.total),
    )


def stats(settings: Settings) -> dict:
    """What the index holds, for `bulletin stats` and the web overview: counts, first and last issue,
    articles by county and department; worked out once per index generation."""
    engine = engine_for(settings)
    # A copy: a caller that adds to it (the CLI adds the config's path) must not add to the next one's.
    return dict(engine.per_generation("stats", lambda: _stats(settings, engine)))


def _stats(settings: Settings, engine: SearchEngine) -> dict:
    issues = engine.issues()
    everything = search(settings, parse_request({"per_page": ["1"]}, settings), engine)
    kinds = {f.value: f.count for f in everything.facets["kind"]}
    dates = sorted(issue["date"] for issue in issues)
    return {
        "issues": len(issues),
        "articles": everything.total,
        "features": kinds.get("feature", 0),
        "briefs": kinds.get("brief", 0),
        "first_issue": dates[0] if dates else None,
        "last_issue": dates[-1] if dates else None,
        "counties": {f.value: f.count for f in everything.facets["county"]},
        "departments": {f.value: f.count for f in everything.facets["department"]},
    }
