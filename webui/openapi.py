"""The OpenAPI 3 document of the JSON API, with one example response per route.

Response schemas are derived from the examples, so the two cannot drift apart; a test holds the
examples to the live responses and every /api route to this document.
"""

from __future__ import annotations

from indexer import fields
from indexer.citation import BIBTEX_MIMETYPE, RIS_MIMETYPE
from indexer.engine import RELATED_FACETS
from indexer.engine.suggest import KINDS as SUGGEST_KINDS
from indexer.engine.suggest import MAX_QUERY_LENGTH as MAX_SUGGEST_QUERY
from indexer.engine.suggest import SUGGESTIONS
from indexer.search import (
    MAX_FILTER_VALUE_LENGTH,
    MAX_FILTER_VALUES,
    MAX_PARAMETERS,
    MAX_RESULT_DEPTH,
    SORTS,
    SUGGEST_BELOW,
    last_page,
)
from indexer.settings import Settings
from webui.feeds import ATOM_MIMETYPE, FEED_SIZE

# Fields that hold null when the archive has nothing for them.
NULLABLE = {"department", "page", "file", "previous", "next", "first_issue", "last_issue", "catch_all"}
# Objects keyed by data (county → count), not by field name.
OPEN_OBJECTS = {"counties", "departments"}

SOURCE = {"file": "温州科协信息-2022年第5期-总第270期.pdf", "page": 2}
SOURCE_LINK = {
    "file": "温州科协信息-2022年第5期-总第270期.pdf",
    "page": 2,
    "url": "/source/%E6%B8%A9%E5%B7%9E%E7%A7%91%E5%8D%8F%E4%BF%A1%E6%81%AF-2022%E5%B9%B4%E7%AC%AC5%E6%9C%9F-%E6%80%BB%E7%AC%AC270%E6%9C%9F.pdf#page=2",
}
ISSUE_REF = {"id": "270", "number": 5, "total_number": 270, "date": "2022-05-31"}
SUMMARY = {
    "id": "270-f05",
    "title": "市科协党组书记、主席林建波赴瑞安调研科创工作",
    "kind": "feature",
    "date": "2022-05-17",
    "department": "市科协办公室",
    "counties": ["瑞安市"],
    "url": "/articles/270-f05",
}
CATCH_ALL = {
    "id": "270-x01",
    "title": "未归入文章的文字（第5期）",
    "kind": "unassigned",
    "date": "2022-05-31",
    "department": None,
    "counties": [],
    "url": "/articles/270-x01",
}
HIT = {
    **{k: v for k, v in SUMMARY.items() if k != "url"},
    "keywords": ["瑞安", "青科会", "林建波", "科技", "创新"],
    "people": ["林建波", "陈寒艳"],
    "issue": ISSUE_REF,
    "snippet": "5月17日上午，市科协党组书记、主席林建波一行赴<mark>瑞安</mark>东新产城科创园调研…",
    "url": "/articles/270-f05",
    "source": SOURCE,
    "ocr": False,
}
FACET_VALUE = {"value": "瑞安市", "count": 3, "selected": True}
ISSUE = {
    **ISSUE_REF,
    "year": 2022,
    "features": 8,
    "briefs": 29,
    "url": "/issues/270",
    "sources": [SOURCE_LINK],
}
RELATED = {
    "id": "270-f02",
    "title": "青科会助力大孵化集群发展座谈会召开",
    "date": "2022-05-13",
    "url": "/articles/270-f02",
    "why": [
        {"facet": "person", "value": "林建波"},
        {"facet": "county", "value": "瑞安市"},
        {"facet": "keyword", "value": "青科会"},
    ],
}
READING = {"text": "linjianbo", "as": ["林建波"], "why": "pinyin"}
SUGGESTION = {"q": "林建波", "total": 4}
EXPLAIN = {"unit": "linjianbo", "matched": "林建波", "field": "body", "how": "pinyin"}
READING_WHY = ["traditional", "synonym", "pinyin", "field"]
EXPLAIN_FIELDS = ["title", "body", "department", "county", "issue"]
EXPLAIN_HOW = ["word", "substring", "synonym", "pinyin", "record"]
EXAMPLES = {
    "/api/search": {
        "query": "linjianbo",
        "literal": False,
        "interpretation": [READING],
        "suggestions": [SUGGESTION],
        "total": 3,
        "page": 1,
        "per_page": 20,
        "hits": [HIT],
        "facets": {},  # one entry per facet, filled by _search_example
    },
    "/api/articles/{article_id}": {
        **{k: v for k, v in HIT.items() if k != "snippet"},
        "issue": {**ISSUE_REF, "url": "/issues/270"},
        "text": "5月17日上午，市科协党组书记、主席林建波一行赴瑞安东新产城科创园调研……\n温州市科协相关业务部室……陪同调研。",
        "paragraphs": ["5月17日上午，市科协党组书记、主席林建波一行赴瑞安东新产城科创园调研……"],
        "sources": [SOURCE_LINK],
        "person_roles": [
            {"name": "林建波", "role": "市科协党组书记、主席"},
            {"name": "陈寒艳", "role": "瑞安市政府副市长"},
        ],
        "citation": {
            "gbt7714": "市科协办公室. 市科协党组书记、主席林建波赴瑞安调研科创工作[J]. 温州科协信息, 2022(5): 2."
        },
        "previous": {**SUMMARY, "id": "270-f04", "url": "/articles/270-f04"},
        "next": {**SUMMARY, "id": "270-f06", "url": "/articles/270-f06"},
        "issue_articles": [SUMMARY],
        "related": [RELATED],
    },
    "/api/issues": {"issues": [ISSUE]},
    "/api/issues/{issue_id}": {
        **ISSUE,
        "articles": {"features": [SUMMARY], "briefs": [SUMMARY], "unassigned": []},
    },
    "/api/reports/ingest": {
        "issues_indexed": 270,
        "max_unassigned_share": 0.02,
        "flagged": [
            {
                **ISSUE,
                "contents_expected": 8,
                "contents_found": 7,
                "body_chars": 6791,
                "unassigned_chars": 190,
                "unassigned_share": 0.028,
                "problems": [
                    "1 of 8 contents titles not found (青科会助力大孵化集群发展座谈会召开)",
                    "2.8% of body text unassigned (190 of 6791 characters)",
                ],
                "warnings": ["本期要目 title not found in the body: 青科会助力大孵化集群发展座谈会召开"],
                "catch_all": CATCH_ALL,
            }
        ],
    },
    "/api/stats": {
        "publication": "温州科协信息",
        "issues": 1,
        "articles": 37,
        "features": 8,
        "briefs": 29,
        "first_issue": "2022-05-31",
        "last_issue": "2022-05-31",
        "counties": {"瑞安市": 4},
        "departments": {"市科协学会部": 7},
        "latest_issues": [ISSUE],
    },
}
SUGGEST_EXAMPLE = {
    "q": "lin",
    "suggestions": [
        {"text": "林建波", "kind": "keyword", "count": 4},
        {"text": "林业", "kind": "keyword", "count": 1},
    ],
}
ERROR_EXAMPLE = {
    "error": {"code": "invalid_parameter", "message": "county: unknown county: 火星", "param": "county"}
}


def schema_of(example, name: str = "") -> dict:
    """A JSON Schema matching the example: every field required, nulls where NULLABLE allows them."""
    if isinstance(example, dict):
        if name in OPEN_OBJECTS and example:
            first = next(iter(example.values()))
            return {"type": "object", "additionalProperties": schema_of(first)}
        schema = {
            "type": "object",
            "properties": {key: schema_of(value, key) for key, value in example.items()},
            "required": list(example),
        }
    elif isinstance(example, list):
        schema = {"type": "array", "items": schema_of(example[0]) if example else {}}
    elif isinstance(example, bool):
        schema = {"type": "boolean"}
    elif isinstance(example, int):
        schema = {"type": "integer"}
    elif isinstance(example, float):
        schema = {"type": "number"}
    else:
        schema = {"type": "string"}
    if name in NULLABLE:
        schema["type"] = [schema["type"], "null"]
    return schema


def _parameters(settings: Settings) -> list[dict]:
    limits = settings.search
    date = {"type": "string", "pattern": r"^\d{4}(-\d{2}(-\d{2})?)?$"}
    many = {
        "type": "array",
        "items": {"type": "string", "maxLength": MAX_FILTER_VALUE_LENGTH},
        "maxItems": MAX_FILTER_VALUES,
    }

    def param(name, schema, description, example):
        return {
            "name": name,
            "in": "query",
            "required": False,
            "schema": schema,
            "description": description,
            "example": example,
            **({"style": "form", "explode": True} if schema.get("type") == "array" else {}),
        }

    return [
        param(
            "q",
            {"type": "string", "maxLength": limits.max_query_length},
            'Words in the title, the text or the record (department, county, issue such as 第5期); "exact '
            'phrase", AND / OR / NOT, title:word, department:科普部, county:瑞安, issue:总第270期. Traditional '
            "characters, synonyms and pinyin (linjianbo, ljb) are read as the archive's words; see "
            "`interpretation` in the response. Empty: every article.",
            "科创中国",
        ),
        *(_filter_parameter(param, facet, many) for facet in fields.filters()),
        param("date_from", date, "First day, inclusive: YYYY-MM-DD, YYYY-MM or YYYY.", "2022-05-10"),
        param(
            "date_to",
            date,
            "Last day, inclusive: YYYY-MM-DD, or YYYY-MM / YYYY meaning its end.",
            "2022-05-25",
        ),
        param(
            "sort",
            {"type": "string", "enum": list(SORTS), "default": "relevance"},
            "relevance (newest when q is empty), newest or oldest.",
            "newest",
        ),
        param(
            "page",
            {"type": "integer", "minimum": 1, "maximum": last_page(limits.default_per_page), "default": 1},
            f"Page number; page × per_page is at most {MAX_RESULT_DEPTH} (the maximum is for the default per_page).",
            1,
        ),
        param(
            "per_page",
            {
                "type": "integer",
                "minimum": 1,
                "maximum": limits.max_per_page,
                "default": limits.default_per_page,
            },
            "Hits per page.",
            10,
        ),
        param(
            "literal",
            {"type": "integer", "enum": [0, 1], "default": 0},
            "1: search the text as typed, with no reading (no traditional → simplified, synonyms, pinyin "
            "or record fields); the undo of `interpretation`.",
            1,
        ),
        param(
            "explain",
            {"type": "integer", "enum": [0, 1], "default": 0},
            "1: each hit gets `explain`, which query unit matched which field and how.",
            1,
        ),
    ]


def _filter_parameter(param, facet: fields.ValuesFacet, many: dict) -> dict:
    if facet.multi_valued:
        return param(facet.name, many, facet.description, [facet.example])
    schema = {"type": "string", "enum": list(facet.choices)} if facet.choices else {"type": "string"}
    return param(facet.name, schema, facet.description, facet.example)


def _search_example() -> dict:
    example = EXAMPLES["/api/search"]
    return {**example, "facets": {facet.name: [FACET_VALUE] for facet in fields.FACETS}}


def _search_response() -> dict:
    """The search response, with what the example alone cannot say: the enums, and `explain`, which a
    hit has only when explain=1 was asked."""
    response = _response("One page of hits and the facet counts", _search_example())
    schema = response["content"]["application/json"]["schema"]["properties"]
    reading = schema["interpretation"]["items"]["properties"]
    reading["why"]["enum"] = READING_WHY
    schema["interpretation"]["description"] = (
        "How the query was read besides its literal text: traditional characters as simplified, a "
        "synonym group, a pinyin spelling as the archive's words, a word found in the record (department, "
        "county, issue). Search again with literal=1 to undo every reading."
    )
    schema["suggestions"]["description"] = (
        f"For a result of fewer than {SUGGEST_BELOW} hits: the query with a word replaced by an archive "
        "word that sounds the same or differs by one character, with its total; never applied by itself. "
        "Present, possibly empty, on every response."
    )
    explain = schema_of([EXPLAIN])
    explain["items"]["properties"]["field"]["enum"] = EXPLAIN_FIELDS
    explain["items"]["properties"]["how"]["enum"] = EXPLAIN_HOW
    explain["description"] = "Only with explain=1: each way a query unit matched this hit."
    schema["hits"]["items"]["properties"]["explain"] = explain
    return response


def _article_response() -> dict:
    response = _response("The article", EXAMPLES["/api/articles/{article_id}"])
    related = response["content"]["application/json"]["schema"]["properties"]["related"]
    related["description"] = (
        "Up to 5 other articles, of any issue, sharing this one's people, counties and keywords, the most "
        "specific first (a value in few articles weighs more); `why` lists the shared values, rarest first."
    )
    related["items"]["properties"]["why"]["items"]["properties"]["facet"]["enum"] = list(RELATED_FACETS)
    return response


def _suggest_parameter() -> dict:
    return {
        "name": "q",
        "in": "query",
        "required": False,
        "schema": {"type": "string"},
        "description": f"What was typed so far; only its first {MAX_SUGGEST_QUERY} characters are read, "
        "and an empty q gets no suggestions.",
        "example": "lin",
    }


def _suggest_response() -> dict:
    response = _response("The suggestions, best first", SUGGEST_EXAMPLE)
    schema = response["content"]["application/json"]["schema"]["properties"]["suggestions"]
    schema["maxItems"] = SUGGESTIONS
    schema["items"]["properties"]["kind"]["enum"] = list(SUGGEST_KINDS)
    schema["description"] = (
        "kind person, place, department or keyword: search with that filter (place: county=text); "
        "title: an article title, count the articles printed under it."
    )
    return response


def _response(description: str, example: dict) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": schema_of(example), "example": example}},
    }


def _error(description: str) -> dict:
    return {"$ref": "#/components/responses/" + description}


def _path_param(name: str, description: str, example: str) -> dict:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
        "description": description,
        "example": example,
    }


def _download(operation_id: str, summary: str, mimetype: str, parameters: list[dict], errors: dict) -> dict:
    """A route that answers with a file, not JSON; its errors are the site's HTML error page."""
    return {
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "parameters": parameters,
            "responses": {
                "200": {"description": summary, "content": {mimetype: {"schema": {"type": "string"}}}},
                **{
                    status: {
                        "description": description,
                        "content": {"text/html": {"schema": {"type": "string"}}},
                    }
                    for status, description in errors.items()
                },
            },
        }
    }


def _download_paths(settings: Settings) -> dict:
    """The feed and the citation downloads: beside the JSON API, for feed readers and reference managers."""
    bad_parameter = {"400": "A parameter is malformed or out of range (the HTML error page)"}
    not_found = {"404": "No article with this id (the HTML error page)"}
    article_id = [_path_param("article_id", "Article id", "270-f05")]
    return {
        "/search.atom": _download(
            "search_atom",
            f"Atom 1.0 feed of the newest {FEED_SIZE} articles of a search (any /api/search parameters; "
            "sort, page and per_page are checked but the feed is always the newest first)",
            ATOM_MIMETYPE,
            _parameters(settings),
            bad_parameter,
        ),
        "/search.ris": _download(
            "search_ris",
            "Every article of a search as RIS records, in the search's order, capped like the CSV export",
            RIS_MIMETYPE,
            _parameters(settings),
            bad_parameter,
        ),
        "/articles/{article_id}.ris": _download(
            "article_ris", "The article's RIS record", RIS_MIMETYPE, article_id, not_found
        ),
        "/articles/{article_id}.bib": _download(
            "article_bibtex", "The article's BibTeX entry", BIBTEX_MIMETYPE, article_id, not_found
        ),
    }


def openapi_document(settings: Settings) -> dict:
    publication = settings.domain.publication
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{publication} archive search API",
            "version": "1.0.0",
            "description": (
                f"Full-text search over the archive of {publication}. Read-only: GET (and HEAD) only. "
                "The HTML pages take the same parameters; each links its JSON twin. "
                'Errors: {"error": {"code", "message"}} with HTTP 400 for a bad parameter (plus "param"), '
                f"or for more than {MAX_PARAMETERS} parameters in all (no param), "
                "404 for an unknown id, 503 while the index is missing."
            ),
        },
        "paths": {
            "/api/search": {
                "get": {
                    "operationId": "search",
                    "summary": "Search articles, with facet counts",
                    "description": "Example: /api/search?county=瑞安&date_from=2022-05-10&date_to=2022-05-25",
                    "parameters": _parameters(settings),
                    "responses": {
                        "200": _search_response(),
                        "400": _error("BadParameter"),
                    },
                }
            },
            "/api/articles/{article_id}": {
                "get": {
                    "operationId": "article",
                    "summary": "One article with its full text, the other articles of its issue and related articles",
                    "parameters": [
                        _path_param(
                            "article_id",
                            "Article id: issue, f (feature), b (brief) or x (unassigned), ordinal",
                            "270-f05",
                        )
                    ],
                    "responses": {
                        "200": _article_response(),
                        "404": _error("NotFound"),
                    },
                }
            },
            "/api/issues": {
                "get": {
                    "operationId": "issues",
                    "summary": "Every issue, newest first",
                    "responses": {"200": _response("The issues", EXAMPLES["/api/issues"])},
                }
            },
            "/api/issues/{issue_id}": {
                "get": {
                    "operationId": "issue",
                    "summary": "One issue and its table of contents: features, then briefs",
                    "parameters": [_path_param("issue_id", "Issue id: its running (总第) number", "270")],
                    "responses": {
                        "200": _response("The issue", EXAMPLES["/api/issues/{issue_id}"]),
                        "404": _error("NotFound"),
                    },
                }
            },
            "/api/stats": {
                "get": {
                    "operationId": "stats",
                    "summary": "The archive at a glance: counts, date span, latest issues",
                    "responses": {"200": _response("Archive statistics", EXAMPLES["/api/stats"])},
                }
            },
            "/api/reports/ingest": {
                "get": {
                    "operationId": "ingest_report",
                    "summary": "The issues flagged when indexed: a contents title not found, or more than "
                    "max_unassigned_share of the body text in no article (kept in the catch_all article)",
                    "responses": {"200": _response("The flagged issues", EXAMPLES["/api/reports/ingest"])},
                }
            },
            "/api/suggest": {
                "get": {
                    "operationId": "suggest",
                    "summary": "Autocomplete: up to 10 people, places, departments, keywords and titles "
                    "whose text, pinyin or pinyin initials start with q (lin, ljb or 林 → 林建波), ranked by kind, "
                    "then by article count; a text is suggested once, as its first kind",
                    "parameters": [_suggest_parameter()],
                    "responses": {"200": _suggest_response()},
                }
            },
            "/api/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document",
                    "responses": {
                        "200": {"description": "OpenAPI 3.1 document", "content": {"application/json": {}}}
                    },
                }
            },
            **_download_paths(settings),
        },
        "components": {
            "responses": {
                "BadParameter": _response("A parameter is malformed or out of range", ERROR_EXAMPLE),
                "NotFound": _response(
                    "No article or issue with this id",
                    {"error": {"code": "not_found", "message": "no such resource"}},
                ),
            }
        },
    }
