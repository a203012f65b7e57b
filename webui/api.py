"""The JSON API: the same parameters and the same data as the pages, as JSON."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, request

from indexer.search import search
from webui import archive
from webui.context import get_engine, get_settings, search_request
from webui.openapi import openapi_document

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/search", endpoint="search")
def search_results():
    result = search(get_settings(), search_request(request.args), get_engine())
    return jsonify(result.to_dict())


@bp.get("/articles/<article_id>")
def article(article_id: str):
    record = archive.article_record(get_engine(), article_id)
    if record is None:
        abort(404)
    return jsonify(record)


@bp.get("/issues")
def issues():
    return jsonify({"issues": archive.issue_list(get_engine())})


@bp.get("/issues/<issue_id>")
def issue(issue_id: str):
    record = archive.issue_record(get_engine(), issue_id)
    if record is None:
        abort(404)
    return jsonify(record)


@bp.get("/stats")
def stats():
    return jsonify(archive.archive_overview(get_settings(), get_engine()))


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document(get_settings()))
