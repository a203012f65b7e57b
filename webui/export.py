"""Search results as CSV for journalists: every page of the result up to a cap, streamed, readable by Excel."""

from __future__ import annotations

import csv
import dataclasses
import html
import io
import re
from collections.abc import Iterator

from indexer import fields
from indexer.engine import SearchEngine
from indexer.search import Hit, SearchRequest, search
from indexer.settings import Settings

BATCH = 500
# Excel only detects UTF-8 (and so reads Chinese) when the file starts with a byte order mark.
BOM = "\ufeff"
LEADING_COLUMNS = ("编号", "标题", "日期")
TRAILING_COLUMNS = ("期号", "总期号", "摘要", "链接")
# A cell starting with one of these is a formula to Excel; a leading apostrophe keeps it text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
TAG = re.compile(r"</?mark>")


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _columns() -> tuple[str, ...]:
    """Besides the article's own, a column for each facet the sidebar shows (fields.shown())."""
    return LEADING_COLUMNS + tuple(facet.title for facet in _facets()) + TRAILING_COLUMNS


def _facets() -> tuple[fields.ValuesFacet, ...]:
    # The date's year and month would repeat its own column.
    return tuple(facet for facet in fields.shown() if not isinstance(facet, fields.DatePartFacet))


def _row(hit: Hit, facets: tuple[fields.ValuesFacet, ...]) -> list[str]:
    facet_cells = ("、".join(map(facet.label, hit.facets.get(facet.name, ()))) for facet in facets)
    return [
        _cell(v)
        for v in (
            hit.id,
            hit.title,
            hit.date,
            *facet_cells,
            hit.issue["number"],
            hit.issue["total_number"],
            plain_snippet(hit),
            # The site's own path: a host taken from the request's Host header could be anyone's.
            hit.url,
        )
    ]


def plain_snippet(hit: Hit) -> str:
    """The hit's snippet as plain text: no <mark> tags, no HTML entities."""
    return html.unescape(TAG.sub("", hit.snippet))


def result_hits(settings: Settings, request: SearchRequest, engine: SearchEngine) -> Iterator[Hit]:
    """The hits of every page in the request's order, at most settings.web.csv_max_rows.

    The first batch is searched here and now, so a missing index is a 503 before the download
    starts, not a file cut off after its 200; the later batches are searched as the file streams.
    """
    max_rows = settings.web.csv_max_rows
    first = search(settings, _batch(request, 1), engine).hits

    def every_hit() -> Iterator[Hit]:
        hits, page, produced = first, 1, 0
        while True:
            for hit in hits[: max_rows - produced]:
                yield hit
                produced += 1
            if len(hits) < BATCH or produced >= max_rows:
                return
            page += 1
            hits = search(settings, _batch(request, page), engine).hits

    return every_hit()


def _batch(request: SearchRequest, page: int) -> SearchRequest:
    return dataclasses.replace(request, page=page, per_page=BATCH)


def csv_chunks(hits: Iterator[Hit]) -> Iterator[str]:
    """The CSV text batch by batch, so an export of many rows never sits in memory whole."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow(_columns())
    facets = _facets()
    for count, hit in enumerate(hits, 1):
        writer.writerow(_row(hit, facets))
        if count % BATCH == 0:
            yield _drain(buffer)
    yield _drain(buffer)


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
