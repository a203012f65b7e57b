"""Per-request access to the settings and the search engine, and the search request built from the URL."""

from __future__ import annotations

from flask import current_app, g
from werkzeug.datastructures import MultiDict

from indexer.engine import SearchEngine
from indexer.search import SearchRequest, engine_for, parse_request
from indexer.settings import Settings


def get_settings() -> Settings:
    return current_app.extensions["bulletin"]


def get_engine() -> SearchEngine:
    """The index of the app's settings; opened on first use and shared by the worker's threads."""
    if "engine" not in g:
        g.engine = engine_for(get_settings())
    return g.engine


def search_request(args: MultiDict) -> SearchRequest:
    """The query string as a SearchRequest, the same for the pages, the CSV export and the API."""
    return parse_request({name: args.getlist(name) for name in args}, get_settings())
