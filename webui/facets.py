"""The search page's controls as plain dicts with ready-made links: facets, chips, timeline, pages, sorts.

Each link is the current SearchRequest with one change (SearchRequest.params), so the page never
rebuilds query logic; counts come from search() as they are.
"""

from __future__ import annotations

import calendar
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


def _month_range(month: str) -> tuple[dt.date, dt.date]:
    year, number = int(month[:4]), int(month[5:7])
    return dt.date(year, number, 1), dt.date(year, number, calendar.monthrange(year, number)[1])


def _date_changes(span: tuple[dt.date, dt.date] | None) -> dict:
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
        return _date_changes(None if selected else _year_range(value))
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
        found.append({"label": f"{start} 至 {end}", "title": "日期", "changes": _date_changes(None)})
    for chip in found:
        chip["remove_url"] = search_url(request, **chip["changes"])
    return found


def _months(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:7])
    months = []
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


TIMELINE_WIDTH = 720
TIMELINE_HEIGHT = 150
TIMELINE_TOP = 18  # room for the counts above the bars
TIMELINE_AXIS = 44  # room for two lines of labels under the axis
TIMELINE_MIN_SLOTS = 12  # one month alone is drawn as a bar, not as a wall
LABEL_EVERY_MONTH = 12
COUNT_ABOVE_BARS = 24
TICK_ROOM = 60


def timeline(result: SearchResult) -> dict | None:
    """Bars of results per month, every month of the span drawn; each bar narrows the dates to its month."""
    counts = {f.value: f.count for f in result.facets.get("month", ()) if f.count}
    if not counts:
        return None
    months = _months(min(counts), max(counts))
    peak = max(counts.values())
    slot = TIMELINE_WIDTH / max(len(months), TIMELINE_MIN_SLOTS)
    gap = max(slot * 0.25, 1.0) if len(months) < 120 else 0.5
    axis = TIMELINE_HEIGHT - TIMELINE_AXIS
    plot = axis - TIMELINE_TOP
    bars = []
    for index, month in enumerate(months):
        count = counts.get(month, 0)
        height = max(2.0, plot * count / peak) if count else 0.0
        span = _month_range(month)
        year, number = int(month[:4]), int(month[5:])
        starts_year = number == 1 or index == 0
        if len(months) <= LABEL_EVERY_MONTH:
            # Every month labelled, with the year on a second line where it starts.
            tick, year_tick = f"{number}月", (f"{year}年" if starts_year else None)
        else:
            tick, year_tick = (str(year) if starts_year else None), None
        x = index * slot + gap / 2
        width = max(slot - gap, 0.5)
        # Labels start at their bar, centre under it when every month has one, and never run off an edge.
        if len(months) <= LABEL_EVERY_MONTH:
            tick_x, anchor = x + width / 2, "middle"
        elif x > TIMELINE_WIDTH - TICK_ROOM:
            tick_x, anchor = TIMELINE_WIDTH, "end"
        else:
            tick_x, anchor = x, "start"
        bars.append(
            {
                "month": month,
                "label": f"{year}年{number}月",
                "count": count,
                "x": round(x, 2),
                "y": round(axis - height, 2),
                "width": round(width, 2),
                "height": round(height, 2),
                "center": round(x + width / 2, 2),
                "show_count": bool(count) and len(months) <= COUNT_ABOVE_BARS,
                "selected": (result.request.date_from, result.request.date_to) == span,
                "url": search_url(result.request, **_date_changes(span)) if count else None,
                "tick": tick,
                "tick_x": round(tick_x, 2),
                "tick_anchor": anchor,
                "year_tick": year_tick,
            }
        )
    first, last = bars[0]["label"], bars[-1]["label"]
    return {
        "width": TIMELINE_WIDTH,
        "height": TIMELINE_HEIGHT,
        "axis_y": axis,
        "label_y": axis + 19,
        "year_y": axis + 38,
        "bars": bars,
        "caption": first if first == last else f"{first} 至 {last}",
    }


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
