"""The search page's timeline: an SVG bar of results per month, each bar a link narrowing the dates to it."""

from __future__ import annotations

from indexer.fields import period
from indexer.search import SearchResult
from webui.search_page import dated_urls


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
    bar_url = dated_urls(result.request)
    bars = []
    for index, month in enumerate(months):
        count = counts.get(month, 0)
        height = max(2.0, plot * count / peak) if count else 0.0
        span = period(month)
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
                "url": bar_url(span[0].isoformat(), span[1].isoformat()) if count else None,
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
