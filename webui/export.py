"""Search results as CSV for journalists: every page of the result up to a cap, readable by Excel."""

from __future__ import annotations

import csv
import dataclasses
import html
import io
import re
from collections.abc import Iterator

from indexer import store
from indexer.search import Hit, SearchRequest, search
from indexer.settings import Settings
from webui.facets import KIND_LABELS

MAX_ROWS = 5000
BATCH = 500
# Excel only detects UTF-8 (and so reads Chinese) when the file starts with a byte order mark.
BOM = "\ufeff"
COLUMNS = ("编号", "标题", "日期", "类型", "部门", "县（市、区）", "关键词", "期号", "总期号", "摘要", "链接")
# A cell starting with one of these is a formula to Excel; a leading apostrophe keeps it text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
TAG = re.compile(r"</?mark>")


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _row(hit: Hit, base_url: str) -> list[str]:
    return [
        _cell(v)
        for v in (
            hit.id,
            hit.title,
            hit.date,
            KIND_LABELS.get(hit.kind, hit.kind),
            hit.department,
            "、".join(hit.counties),
            "、".join(hit.keywords),
            hit.issue["number"],
            hit.issue["total_number"],
            html.unescape(TAG.sub("", hit.snippet)),
            base_url + hit.url,
        )
    ]


def result_hits(settings: Settings, request: SearchRequest, engine: store.SearchEngine) -> Iterator[Hit]:
    """The hits of every page in the request's order, at most MAX_ROWS."""
    produced = 0
    page = 1
    while produced < MAX_ROWS:
        batch = dataclasses.replace(request, page=page, per_page=BATCH)
        hits = search(settings, batch, engine).hits
        for hit in hits[: MAX_ROWS - produced]:
            yield hit
            produced += 1
        if len(hits) < BATCH:
            return
        page += 1


def csv_text(hits: Iterator[Hit], base_url: str) -> str:
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for hit in hits:
        writer.writerow(_row(hit, base_url))
    return buffer.getvalue()
