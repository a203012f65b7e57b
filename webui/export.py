"""Search results as CSV for journalists: every page of the result up to a cap, streamed, readable by Excel."""

from __future__ import annotations

import csv
import dataclasses
import html
import io
import re
import threading
from collections.abc import Callable, Iterator

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
# Exports work one batch at a time across the server: a burst of downloads then takes one thread's
# share of the interpreter (the GIL runs one thread at a time), not every thread's, and the pages asked
# for meanwhile are not slowed by it. A waiting export holds only its waitress thread.
EXPORT_TURN = threading.Lock()


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


def result_batches(settings: Settings, request: SearchRequest, engine: SearchEngine) -> Iterator[list[Hit]]:
    """The hits of every page in the request's order, at most settings.web.csv_max_rows, in batches.

    The first batch is searched here and now, so a missing index is a 503 before the download
    starts, not a file cut off after its 200; the later batches are searched as the file streams.
    """
    max_rows = settings.web.csv_max_rows
    first = search(settings, _batch(request, 1), engine).hits

    def every_batch() -> Iterator[list[Hit]]:
        hits, page, produced = first, 1, 0
        while True:
            batch = list(hits[: max_rows - produced])
            if batch:
                yield batch
            produced += len(batch)
            if len(hits) < BATCH or produced >= max_rows:
                return
            page += 1
            hits = search(settings, _batch(request, page), engine).hits

    return every_batch()


def in_turn(batches: Iterator[list[Hit]], render: Callable[[list[Hit]], str]) -> Iterator[str]:
    """Each batch searched and rendered while this export has the turn (EXPORT_TURN), which it lets go
    before the text is handed on to be sent: a slow download holds nothing."""
    while True:
        with EXPORT_TURN:
            batch = next(batches, None)
            text = None if batch is None else render(batch)
        if text is None:
            return
        yield text


def _batch(request: SearchRequest, page: int) -> SearchRequest:
    return dataclasses.replace(request, page=page, per_page=BATCH)


def csv_chunks(batches: Iterator[list[Hit]]) -> Iterator[str]:
    """The CSV text batch by batch, so an export of many rows never sits in memory whole."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    facets = _facets()

    def rows(hits: list[Hit]) -> str:
        writer.writerows(_row(hit, facets) for hit in hits)
        return _drain(buffer)

    buffer.write(BOM)
    writer.writerow(_columns())
    yield _drain(buffer)
    yield from in_turn(batches, rows)


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
