"""The advanced search form: its boxes (one per filter facet, read from indexer.fields) and what they build."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

from indexer import fields
from indexer.advanced import AdvancedQuery, build_query, filter_values
from indexer.search import InvalidRequest, SearchResult, search
from webui import search_page
from webui.context import get_engine, get_settings, search_request

WORD_BOXES = (
    ("all", "包含全部这些词", "科创 试点"),
    ("phrase", "包含完整短语", "试点城市建设"),
    ("any", "包含任一这些词", "瑞安 平阳"),
    ("none", "不包含这些词", "洞头"),
)


def filter_boxes(args: MultiDict, wrong: str | None = None) -> list[dict]:
    """A box for each filter the search takes (a choice list for a facet of fixed choices)."""
    return [
        {
            "name": facet.name,
            "title": facet.title or facet.name,
            "example": facet.example,
            "choices": dict(facet.choices),
            "value": " ".join(args.getlist(facet.name)),
            "wrong": facet.name == wrong,
        }
        for facet in fields.filters()
    ]


def advanced(args: MultiDict) -> dict:
    """The form as filled in, and once anything is filled in: the query, the search URL and its total."""
    words = AdvancedQuery(
        all_words=args.get("all", ""),
        phrase=args.get("phrase", ""),
        any_words=args.get("any", ""),
        none_words=args.get("none", ""),
        title_only=bool(args.get("title")),
    )
    q = build_query(words)
    params = MultiDict([("q", q)] if q else [])
    for facet in fields.filters():
        for value in args.getlist(facet.name):
            for one in filter_values(value):
                params.add(facet.name, one)
    for name in ("date_from", "date_to"):
        if args.get(name):
            params.add(name, args[name])
    page = {
        "words": [
            {"name": n, "label": label, "example": e, "value": args.get(n, "")} for n, label, e in WORD_BOXES
        ],
        "title_only": words.title_only,
        "filters": filter_boxes(args),
        "date_from": args.get("date_from", ""),
        "date_to": args.get("date_to", ""),
        "q": q,
        "built": bool(params),
        "error": None,
        "error_param": None,
        "search_url": None,
        "total": None,
    }
    if not params:
        return page
    try:
        request = search_request(params)
    except InvalidRequest as error:
        # Imported here: webui.app imports the views, which import this module.
        from webui.app import invalid_request_hint

        return {
            **page,
            "filters": filter_boxes(args, wrong=error.param),
            "error": invalid_request_hint(error),
            "error_detail": error.message,
            "error_param": error.param,
        }
    found: SearchResult = search(get_settings(), request.changed(per_page=1), get_engine())
    return {**page, "search_url": search_page.search_url(request), "total": found.total}
