"""The search page's controls as plain dicts with ready-made links: facets, chips, pages, sorts.

Each link is the current SearchRequest with one change (SearchRequest.params), so the page never
rebuilds query logic; counts come from search() as they are.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from urllib.parse import urlencode

from flask import url_for

from indexer.search import SearchRequest, SearchResult, last_page

FACET_TITLES = {
    "county": "县（市、区）",
    "department": "部门",
    "kind": "类型",
    "year": "年份",
    "keyword": "关键词",
}
KIND_LABELS = {"feature": "要闻", "brief": "简讯"}
SORT_LABELS = {"relevance": "相关度", "newest": "最新", "oldest": "最早"}
MULTI_VALUED = ("county", "department", "keyword")
FACET_SHOWN = 8  # values beyond this sit behind "更多"
PAGE_WINDOW = 2


def search_url(request: SearchRequest, endpoint: str = "pages.search", **changes) -> str:
    """The URL of `endpoint` for the request with `changes`; any filter change goes back to page 1."""
    if changes.get("page") in (None, 1):
        changes["page"] = None
    pairs = request.params(**changes)
    base = url_for(endpoint)
    return f"{base}?{'&'.join(_encoded(name, value) for name, value in pairs)}" if pairs else base


# A page's links share most of their parameters: each is percent-encoded once, not once per link.
@lru_cache(maxsize=4096)
def _encoded(name: str, value: str) -> str:
    return urlencode([(name, value)])


def _year_range(year: str) -> tuple[dt.date, dt.date]:
    return dt.date(int(year), 1, 1), dt.date(int(year), 12, 31)


def date_changes(span: tuple[dt.date, dt.date] | None) -> dict:
    if span is None:
        return {"date_from": None, "date_to": None}
    return {"date_from": span[0].isoformat(), "date_to": span[1].isoformat()}


def _toggle(request: SearchRequest, name: str, value: str, selected: bool) -> dict:
    if name in MULTI_VALUED:
        current = getattr(request, name)
        return {name: tuple(v for v in current if v != value) if selected else (*current, value)}
    if name == "kind":
        return {"kind": None if selected else value}
    if name == "year":
        return date_changes(None if selected else _year_range(value))
    raise ValueError(f"no toggle for facet {name}")


def _is_selected(request: SearchRequest, name: str, value: str, flagged: bool) -> bool:
    if name == "year":
        return (request.date_from, request.date_to) == _year_range(value)
    return flagged


def label(name: str, value: str) -> str:
    if name == "kind":
        return KIND_LABELS.get(value, value)
    if name == "year":
        return f"{value}年"
    return value


def facet_groups(result: SearchResult) -> list[dict]:
    """Facets in sidebar order: [{name, title, values: [{value, label, count, selected, toggle_url}]}]."""
    request = result.request
    groups = []
    for name, title in FACET_TITLES.items():
        values = []
        for facet in result.facets.get(name, ()):
            selected = _is_selected(request, name, facet.value, facet.selected)
            values.append(
                {
                    "value": facet.value,
                    "label": label(name, facet.value),
                    "count": facet.count,
                    "selected": selected,
                    "toggle_url": search_url(request, **_toggle(request, name, facet.value, selected)),
                }
            )
        if values:
            groups.append(
                {"name": name, "title": title, "values": values[:FACET_SHOWN], "more": values[FACET_SHOWN:]}
            )
    return groups


def chips(request: SearchRequest) -> list[dict]:
    """The active query and filters, each with the changes and the link that remove it."""
    found = []
    if request.q:
        found.append({"label": request.q, "title": "搜索词", "changes": {"q": ""}})
    for name in MULTI_VALUED:
        current = getattr(request, name)
        for value in current:
            changes = {name: tuple(v for v in current if v != value)}
            found.append({"label": value, "title": FACET_TITLES[name], "changes": changes})
    if request.kind:
        found.append({"label": label("kind", request.kind), "title": "类型", "changes": {"kind": None}})
    if request.date_from or request.date_to:
        start = request.date_from.isoformat() if request.date_from else "最早"
        end = request.date_to.isoformat() if request.date_to else "最新"
        found.append({"label": f"{start} 至 {end}", "title": "日期", "changes": date_changes(None)})
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
