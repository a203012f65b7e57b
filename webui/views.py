"""Every page and its JSON twin: one data function per resource, served as /x (HTML) and /api/x (JSON).

Besides the twins: the CSV export, the archive's own files and the OpenAPI document.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from itertools import groupby
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    jsonify,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)

from indexer.search import SearchResult, search
from webui import advanced_page, export, feeds, records, search_page, timeline
from webui.context import get_engine, get_settings, search_request
from webui.openapi import openapi_document

pages = Blueprint("pages", __name__)
api = Blueprint("api", __name__, url_prefix="/api")


def twin(
    rule: str,
    *,
    template: str,
    name: str,
    endpoint: str | None = None,
    api_rule: str | None = None,
    api_endpoint: str | None = None,
    context: Callable[[object], dict] | None = None,
):
    """Serve the decorated data function at `rule` as `template` and at /api`rule` as JSON.

    Both rules call one view, which chooses the format only at the end (Datasette's way), so a page
    and its JSON cannot drift apart. The template gets the data as `name`, a link to the JSON twin,
    and whatever `context(data)` adds for the page alone (links, labels, layout).
    """

    def register(data_function):
        html_endpoint = endpoint or data_function.__name__
        json_endpoint = api_endpoint or html_endpoint

        @functools.wraps(data_function)
        def view(**url_values):
            data = data_function(**url_values)
            if request.blueprint == api.name:
                return jsonify(data.to_dict() if isinstance(data, SearchResult) else data)
            json_url = url_for(f"{api.name}.{json_endpoint}", **url_values)
            extra = context(data) if context else {}
            return render_template(template, **{name: data, "json_url": json_url, **extra})

        pages.add_url_rule(rule, endpoint=html_endpoint, view_func=view, methods=["GET"])
        api.add_url_rule(api_rule or rule, endpoint=json_endpoint, view_func=view, methods=["GET"])
        return data_function

    return register


@twin("/", template="home.html", name="overview", endpoint="home", api_rule="/stats", api_endpoint="stats")
def overview() -> dict:
    """The archive at a glance and the latest issues."""
    return records.archive_overview(get_settings(), get_engine())


def _relaxations(result: SearchResult, chips: list[dict]) -> list[dict]:
    """For an empty result: what each active filter's removal would find, the most helpful first."""
    settings, engine = get_settings(), get_engine()
    found = []
    for chip in chips:
        # A filter's values are alternatives: dropping one of several only narrows an empty result,
        # so such chips cost no search. That leaves one search per filter at most, however many values.
        if any(remaining for remaining in chip["changes"].values() if isinstance(remaining, tuple)):
            continue
        relaxed = result.request.changed(page=1, per_page=1, **chip["changes"])
        total = search(settings, relaxed, engine).total
        if total:
            found.append({**chip, "total": total})
    return sorted(found, key=lambda chip: -chip["total"])


def _search_page(result: SearchResult) -> dict:
    """What the search page shows beyond the result: controls and links, all built from the result."""
    search_params = result.request
    chips = search_page.chips(search_params)
    return {
        "search": search_params,
        "facet_groups": search_page.facet_groups(result),
        "chips": chips,
        "timeline": timeline.timeline(result),
        "pagination": search_page.pagination(result),
        "sorts": search_page.sorts(search_params),
        "relaxations": _relaxations(result, chips) if result.total == 0 else [],
        "readings": search_page.readings(result),
        "did_you_mean": search_page.did_you_mean(result),
        # The filters a new query or date range keeps: everything but the query, the dates and the page.
        # A new query is read afresh: literal and explain belong to the query they were asked for.
        "hidden": search_params.params(
            q=None, date_from=None, date_to=None, page=None, literal=None, explain=None
        ),
        "first_number": (search_params.page - 1) * search_params.per_page + 1,
        "csv_url": search_page.search_url(search_params, "pages.search_csv"),
        "atom_url": search_page.search_url(search_params, "pages.search_atom", sort=None, per_page=None),
        "ris_url": search_page.search_url(search_params, "pages.search_ris"),
        "json_url": search_page.search_url(search_params, "api.search", page=search_params.page),
    }


@twin("/search", template="search.html", name="result", endpoint="search", context=_search_page)
def search_results() -> SearchResult:
    """One page of hits for the query string, with the facet counts."""
    return search(get_settings(), search_request(request.args), get_engine())


@pages.route("/advanced")
def advanced():
    """The advanced search form; filled in, it shows the query it builds and links to its results."""
    return render_template("advanced.html", form=advanced_page.advanced(request.args))


def _found(record: dict | None) -> dict:
    if record is None:
        abort(404)
    return record


@twin("/articles/<article_id>", template="article.html", name="article")
def article(article_id: str) -> dict:
    """The whole article, where it came from, and the other articles of its issue."""
    return _found(records.article_record(get_engine(), article_id))


def _by_year(listing: dict) -> dict:
    entries = listing["issues"]
    return {"years": [(year, list(group)) for year, group in groupby(entries, key=lambda e: e["year"])]}


@twin("/issues", template="issues.html", name="listing", context=_by_year)
def issues() -> dict:
    """Every issue, newest first."""
    return {"issues": records.issue_list(get_engine())}


@twin("/issues/<issue_id>", template="issue.html", name="issue")
def issue(issue_id: str) -> dict:
    """An issue and its table of contents."""
    return _found(records.issue_record(get_engine(), issue_id))


@twin("/reports/ingest", template="reports.html", name="report")
def ingest_report() -> dict:
    """The issues flagged by their parse report, for staff to fix their files."""
    return records.ingest_report(get_engine())


@pages.get("/search.csv")
def search_csv():
    settings, engine = get_settings(), get_engine()
    search_params = search_request(request.args)
    batches = export.result_batches(settings, search_params, engine)
    return Response(
        stream_with_context(export.csv_chunks(batches)),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="bulletin-search.csv"'},
    )


feeds.register(pages)


# Archive HTML must not run as a page of this site: served with a sandbox, it gets no scripts and no origin.
SANDBOXED_SUFFIXES = {".html", ".htm", ".xhtml", ".svg", ".xml"}


@pages.get("/source/<path:path>")
def source(path: str):
    root = get_settings().archive_dir.resolve()
    try:
        target = (root / path).resolve(strict=True)
    except (OSError, ValueError, RuntimeError):
        abort(404)
    relative = target.relative_to(root) if target.is_relative_to(root) else None
    if relative is None or not target.is_file() or any(p.startswith(".") for p in relative.parts):
        abort(404)
    response = send_file(target, conditional=True, download_name=target.name, as_attachment=False)
    if Path(target.name).suffix.lower() in SANDBOXED_SUFFIXES:
        response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'; style-src 'unsafe-inline'"
    return response


@api.get("/openapi.json")
def openapi():
    return jsonify(openapi_document(get_settings()))


@api.get("/suggest")
def suggest():
    typed = request.args.get("q", "")
    return jsonify({"q": typed, "suggestions": [s.to_dict() for s in get_engine().suggest(typed)]})
