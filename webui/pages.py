"""The HTML pages: home, search (with its CSV export), articles, issues, and the archive's own files."""

from __future__ import annotations

import dataclasses
from itertools import groupby
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)

from indexer.search import SearchRequest, SearchResult, search
from webui import archive, export, facets
from webui.context import get_engine, get_settings, search_request

bp = Blueprint("pages", __name__)


@bp.get("/")
def home():
    overview = archive.archive_overview(get_settings(), get_engine())
    return render_template("home.html", overview=overview, json_url=url_for("api.stats"))


def _suggestions(result: SearchResult, chips: list[dict]) -> list[dict]:
    """For an empty result: what each active filter's removal would find, the most helpful first."""
    settings, engine = get_settings(), get_engine()
    found = []
    for chip in chips:
        # A filter's values are alternatives: dropping one of several only narrows an empty result,
        # so such chips cost no search. That leaves one search per filter at most, however many values.
        if any(remaining for remaining in chip["changes"].values() if isinstance(remaining, tuple)):
            continue
        relaxed = dataclasses.replace(result.request, page=1, per_page=1, **chip["changes"])
        total = search(settings, relaxed, engine).total
        if total:
            found.append({**chip, "total": total})
    return sorted(found, key=lambda chip: -chip["total"])


@bp.get("/search", endpoint="search")
def search_page():
    search_params = search_request(request.args)
    result = search(get_settings(), search_params, get_engine())
    chips = facets.chips(search_params)
    return render_template(
        "search.html",
        result=result,
        search=search_params,
        facet_groups=facets.facet_groups(result),
        chips=chips,
        timeline=facets.timeline(result),
        pagination=facets.pagination(result),
        sorts=facets.sorts(search_params),
        suggestions=_suggestions(result, chips) if result.total == 0 else [],
        hidden=_hidden_fields(search_params),
        first_number=(search_params.page - 1) * search_params.per_page + 1,
        kind_labels=facets.KIND_LABELS,
        csv_url=facets.search_url(search_params, "pages.search_csv"),
        json_url=facets.search_url(search_params, "api.search", page=search_params.page),
    )


def _hidden_fields(search_params: SearchRequest) -> list[tuple[str, str]]:
    """The filters a new query or date range keeps: everything but the query, the dates and the page."""
    return search_params.params(q=None, date_from=None, date_to=None, page=None)


@bp.get("/search.csv")
def search_csv():
    settings, engine = get_settings(), get_engine()
    search_params = search_request(request.args)
    hits = export.result_hits(settings, search_params, engine)
    return Response(
        stream_with_context(export.csv_chunks(hits)),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="bulletin-search.csv"'},
    )


@bp.get("/articles/<article_id>")
def article(article_id: str):
    record = archive.article_record(get_engine(), article_id)
    if record is None:
        abort(404)
    return render_template(
        "article.html",
        article=record,
        kind_labels=facets.KIND_LABELS,
        json_url=url_for("api.article", article_id=article_id),
    )


@bp.get("/issues")
def issues():
    entries = archive.issue_list(get_engine())
    years = [(year, list(group)) for year, group in groupby(entries, key=lambda e: e["year"])]
    return render_template("issues.html", years=years, json_url=url_for("api.issues"))


@bp.get("/issues/<issue_id>")
def issue(issue_id: str):
    record = archive.issue_record(get_engine(), issue_id)
    if record is None:
        abort(404)
    return render_template(
        "issue.html",
        issue=record,
        kind_labels=facets.KIND_LABELS,
        json_url=url_for("api.issue", issue_id=issue_id),
    )


# Archive HTML must not run as a page of this site: served with a sandbox, it gets no scripts and no origin.
SANDBOXED_SUFFIXES = {".html", ".htm", ".xhtml", ".svg", ".xml"}


@bp.get("/source/<path:path>")
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
