"""The Flask app factory: blueprints, one error shape, security headers and CORS for the API."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

from flask import Flask, current_app, jsonify, render_template, request
from flask.templating import Environment
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed

from indexer import fields
from indexer.errors import IndexBusy, IndexCorrupt, IndexMissing
from indexer.search import (
    MAX_FILTER_VALUE_LENGTH,
    MAX_FILTER_VALUES,
    MAX_PARAMETERS,
    MAX_RESULT_DEPTH,
    InvalidRequest,
)
from indexer.settings import Settings
from webui.context import get_settings

READ_METHODS = ("GET", "HEAD")
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# On every answer: the app's own (after_request) and waitress's error answers (webui/server.py).
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
# What a reader sees for a parameter the core refused; the JSON API keeps the core's message. A
# filter's hint is its facet's (fields.FACETS).
PARAM_HINTS = {
    "q": "搜索词太长了，请缩短到 {max_query_length} 个字以内。",
    "sort": "排序只能是相关度（relevance）、最新（newest）或最早（oldest）。",
    "date_from": "起始日期应写成 2022-05-10、2022-05 或 2022 这样的形式，且不能晚于截止日期。",
    "date_to": "截止日期应写成 2022-05-25、2022-05 或 2022 这样的形式。",
    "page": "页码应是正整数，且最多翻到第 {max_result_depth} 条结果。",
    "per_page": "每页条数应是 1 到 {max_per_page} 之间的整数。",
}
TOO_MANY_PARAMETERS_HINT = "这个链接的参数太多了（最多 {max_parameters} 个）。"
STATUS_TITLES = {
    400: "请求有误",
    404: "找不到这个页面",
    405: "不支持这种请求方式",
    500: "服务器出错了",
    503: "搜索暂时不可用",
}


class RecordEnvironment(Environment):
    """Jinja for templates that read records as plain dicts (`bar.url`, `article.title`): a dict's item
    is looked up first. Jinja tries the attribute first, and each miss raises an AttributeError: a
    search page's 270 timeline bars cost half its rendering in those. A key never hides a dict's
    method except where the dict has that key (which is why templates write group["values"])."""

    def getattr(self, obj, attribute: str):
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


def create_app(settings: Settings) -> Flask:
    """The web app over the index named by `settings`; the index opens on the first request, not here."""
    app = Flask(__name__)
    app.jinja_environment = RecordEnvironment
    # The typed settings go to an extension slot, never into app.config key by key.
    app.extensions["bulletin"] = settings
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    app.url_map.strict_slashes = False
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    from webui import views

    app.register_blueprint(views.pages)
    app.register_blueprint(views.api)

    app.context_processor(_template_globals)
    app.before_request(_only_reads)
    app.after_request(_security_headers)
    app.after_request(_relative_location)
    app.after_request(_cors)
    app.register_error_handler(InvalidRequest, _invalid_request)
    app.register_error_handler(IndexMissing, _index_unavailable)
    app.register_error_handler(IndexBusy, _index_unavailable)
    app.register_error_handler(IndexCorrupt, _index_unavailable)
    app.register_error_handler(HTTPException, _http_error)
    return app


def _wants_json() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def _template_globals() -> dict:
    settings = get_settings()
    return {
        "publication": settings.domain.publication,
        "max_query_length": settings.search.max_query_length,
        "query": request.args.get("q", "")[: settings.search.max_query_length],
        "json_url": None,
        "kind_labels": fields.facet("kind").choices,
    }


def _only_reads():
    if request.method not in READ_METHODS:
        raise MethodNotAllowed(valid_methods=list(READ_METHODS))


def _security_headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _relative_location(response):
    """werkzeug writes a redirect's Location (such as //search → /search) with the request's Host
    header, which the client chose; the path alone keeps the reader on this site."""
    location = response.headers.get("Location")
    if location:
        parts = urlsplit(location)
        # One leading slash: "//host/x" would name another host.
        path = "/" + parts.path.lstrip("/")
        response.headers["Location"] = urlunsplit(("", "", path, parts.query, parts.fragment))
    return response


def _cors(response):
    """Only the origins config.yaml lists may read the API from a browser; pages are never shared."""
    if not _wants_json():
        return response
    origins = get_settings().web.cors_origins
    if origins:
        response.vary.add("Origin")
    origin = request.headers.get("Origin")
    if origin and origin in origins:
        response.headers["Access-Control-Allow-Origin"] = origin
    return response


def _error(status: int, code: str, message: str, page_message: str, param: str | None = None):
    if _wants_json():
        body = {"code": code, "message": message}
        if param:
            body["param"] = param
        return jsonify({"error": body}), status
    retry_url = None
    if param:
        # The same request without the parameter at fault, so the reader is one click from results.
        kept = [(k, v) for k, v in request.args.items(multi=True) if k not in (param, "page")]
        retry_url = request.path + ("?" + urlencode(kept) if kept else "")
    page = render_template(
        "error.html",
        status=status,
        title=STATUS_TITLES.get(status, "出错了"),
        message=page_message,
        param=param,
        retry_url=retry_url,
    )
    return page, status


def invalid_request_hint(error: InvalidRequest) -> str:
    """What a reader is told to do about the parameter they got wrong, in their language."""
    limits = get_settings().search
    if error.param is None:
        hint = TOO_MANY_PARAMETERS_HINT
    else:
        facet_hints = {facet.name: facet.reader_hint() for facet in fields.filters()}
        hint = {**PARAM_HINTS, **facet_hints}.get(error.param, "请检查这个参数。")
    hint = hint.format(
        max_query_length=limits.max_query_length,
        max_per_page=limits.max_per_page,
        max_result_depth=MAX_RESULT_DEPTH,
        max_filter_values=MAX_FILTER_VALUES,
        max_filter_value_length=MAX_FILTER_VALUE_LENGTH,
        max_parameters=MAX_PARAMETERS,
    )
    return hint


def _invalid_request(error: InvalidRequest):
    return _error(400, "invalid_parameter", error.message, invalid_request_hint(error), param=error.param)


def _index_unavailable(error: IndexMissing | IndexBusy | IndexCorrupt):
    current_app.logger.error("%s", error)
    # The body is public, so it names no folder; the operator finds the folder on stderr.
    if isinstance(error, IndexBusy):
        message = "the index is being written; try again shortly"
    elif isinstance(error, IndexCorrupt):
        message = "the index is damaged; run bulletin index --rebuild"
    else:
        message = "the index is not built yet; run bulletin index"
    return _error(503, "index_unavailable", message, "索引尚未建立或正在重建，请稍后再试。")


def _http_error(error: HTTPException):
    if isinstance(error, InternalServerError):
        return _error(500, "internal_error", "internal server error", "请稍后再试，或告诉管理员。")
    status = error.code or 500
    code = {404: "not_found", 405: "method_not_allowed"}.get(status, "http_error")
    message = {404: "no such resource"}.get(status, error.description or error.name)
    page_message = {404: "这个地址没有内容。可以从首页或期刊列表重新找起。"}.get(status, "")
    body, status = _error(status, code, message, page_message)
    headers = {"Allow": ", ".join(READ_METHODS)} if isinstance(error, MethodNotAllowed) else {}
    return body, status, headers
