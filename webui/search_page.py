"""The search page's controls as plain dicts with ready-made links: facets, chips, pages, sorts.

Each link is the current SearchRequest with one change (SearchRequest.params), so the page never
rebuilds query logic; counts come from search() as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from urllib.parse import urlencode

from flask import g, url_for

from indexer import fields
from indexer.search import SearchRequest, SearchResult, last_page

SORT_LABELS = {"relevance": "相关度", "newest": "最新", "oldest": "最早"}
READING_LABELS = {"traditional": "繁体转简体", "synonym": "同义词", "pinyin": "拼音", "field": "档案字段"}
RECORD_FIELD_LABELS = {"department": "部门", "county": "县（市、区）", "issue": "期号"}
FACET_SHOWN = 8  # values beyond this sit behind "更多"
PAGE_WINDOW = 2
DATE_MARK = "date"  # stands for either date while the other parameters are encoded


def search_url(request: SearchRequest, endpoint: str = "pages.search", **changes) -> str:
    """The URL of `endpoint` for the request with `changes`; any filter change goes back to page 1."""
    if changes.get("page") in (None, 1):
        changes["page"] = None
    pairs = request.params(**changes)
    base = _endpoint_url(endpoint)
    return f"{base}?{'&'.join(_encoded(name, value) for name, value in pairs)}" if pairs else base


def dated_urls(request: SearchRequest) -> Callable[[str, str], str]:
    """search_url(request, date_from=..., date_to=...) as a function of the two dates: a timeline's
    hundreds of bars share every other parameter, so those are encoded once, around the dates (which
    percent-encoding leaves as they are)."""
    pairs = request.params(date_from=DATE_MARK, date_to=DATE_MARK, page=None)
    at = [name for name, _ in pairs].index("date_from")
    head = "".join(f"{_encoded(name, value)}&" for name, value in pairs[:at])
    tail = "".join(f"&{_encoded(name, value)}" for name, value in pairs[at + 2 :])
    base = f"{_endpoint_url('pages.search')}?{head}date_from="
    return lambda date_from, date_to: f"{base}{date_from}&date_to={date_to}{tail}"


def _endpoint_url(endpoint: str) -> str:
    # A page links the same few endpoints hundreds of times: url_for once each per request.
    urls = g.setdefault("endpoint_urls", {})
    if endpoint not in urls:
        urls[endpoint] = url_for(endpoint)
    return urls[endpoint]


# A page's links share most of their parameters: each is percent-encoded once, not once per link.
@lru_cache(maxsize=4096)
def _encoded(name: str, value: str) -> str:
    return urlencode([(name, value)])


def facet_groups(result: SearchResult) -> list[dict]:
    """Facets in sidebar order: [{name, title, values: [{value, label, count, selected, toggle_url}]}]."""
    request = result.request
    groups = []
    for facet in fields.shown():
        values = []
        for counted in result.facets.get(facet.name, ()):
            selected = facet.selected(request, counted.value, counted.selected)
            values.append(
                {
                    "value": counted.value,
                    "label": facet.label(counted.value),
                    "count": counted.count,
                    "selected": selected,
                    "toggle_url": search_url(request, **facet.toggle(request, counted.value, selected)),
                }
            )
        if values:
            groups.append(
                {
                    "name": facet.name,
                    "title": facet.title,
                    "values": values[:FACET_SHOWN],
                    "more": values[FACET_SHOWN:],
                }
            )
    return groups


def chips(request: SearchRequest) -> list[dict]:
    """The active query and filters, each with the changes and the link that remove it."""
    found = []
    if request.q:
        found.append({"label": request.q, "title": "搜索词", "changes": {"q": ""}})
    for facet in fields.filters():
        for value in request.filters.get(facet.name, ()):
            changes = facet.toggle(request, value, selected=True)
            found.append({"label": facet.label(value), "title": facet.title, "changes": changes})
    if request.date_from or request.date_to:
        start = request.date_from.isoformat() if request.date_from else "最早"
        end = request.date_to.isoformat() if request.date_to else "最新"
        found.append({"label": f"{start} 至 {end}", "title": "日期", "changes": fields.date_changes(None)})
    for chip in found:
        chip["remove_url"] = search_url(request, **chip["changes"])
    return found


def pagination(result: SearchResult) -> dict | None:
    request = result.request
    if result.pages <= 1 and request.page == 1:
        return None
    # Past the deepest page a request may ask for, a link would only lead to a 400.
    last = min(result.pages, last_page(request.per_page))
    shown = sorted(
        {1, last, *range(max(1, request.page - PAGE_WINDOW), min(last, request.page + PAGE_WINDOW) + 1)}
    )
    links, previous = [], 0
    for number in shown:
        if number - previous > 1:
            links.append({"gap": True})
        links.append(
            {"number": number, "current": number == request.page, "url": search_url(request, page=number)}
        )
        previous = number
    return {
        "links": links,
        "previous": search_url(request, page=min(request.page - 1, last)) if request.page > 1 else None,
        "next": search_url(request, page=request.page + 1) if request.page < last else None,
        "past_end": request.page > last,
        "last_url": search_url(request, page=last),
    }


def sorts(request: SearchRequest) -> list[dict]:
    """Relevance only means something with a query; without one, results run newest first."""
    names = ("relevance", "newest", "oldest") if request.q else ("newest", "oldest")
    current = request.sort if request.q or request.sort == "oldest" else "newest"
    return [
        {
            "label": SORT_LABELS[name],
            "current": name == current,
            "url": search_url(request, sort=None if name == "relevance" else name),
        }
        for name in names
    ]


def _form_label(form: str, why: str) -> str:
    field, _, value = form.partition(":")
    if why == "field" and field in RECORD_FIELD_LABELS:
        return f"{RECORD_FIELD_LABELS[field]}“{value}”"
    return form


def readings(result: SearchResult) -> dict | None:
    """How the query was read, each reading in words, with the link that searches the text as typed
    instead; on a literal search, the link back to the query as read."""
    request = result.request
    if request.literal:
        return {"literal": True, "url": search_url(request, literal=None)}
    if not result.readings:
        return None
    shown = [
        {
            "text": reading.text,
            "sign": "=" if reading.why == "synonym" else "→",
            "forms": "、".join(_form_label(form, reading.why) for form in reading.forms),
            "why": READING_LABELS.get(reading.why, reading.why),
        }
        for reading in result.readings
    ]
    return {"literal": False, "readings": shown, "url": search_url(request, literal="1")}


def did_you_mean(result: SearchResult) -> list[dict]:
    return [
        {
            "q": suggestion["q"],
            "total": suggestion["total"],
            "url": search_url(result.request, q=suggestion["q"], literal=None),
        }
        for suggestion in result.suggestions
    ]
