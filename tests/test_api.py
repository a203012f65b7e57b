"""The JSON API over the index of the real issue: exact results, one error shape, CORS, and the OpenAPI document."""

from __future__ import annotations

import dataclasses
import re
from urllib.parse import urlencode

import pytest

from indexer.search import SearchRequest, parse_request, search
from tests.expected import ARTICLES, BRIEFS, FEATURE_PARAGRAPHS, FEATURES
from webui.app import create_app

COUNTIES = sorted({county for *_, counties in ARTICLES for county in counties})
DEPARTMENTS = sorted({department for *_, department, _ in ARTICLES})


def api(client, url: str, status: int = 200) -> dict:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/json"
    return response.get_json()


def ids(data: dict) -> list[str]:
    return [hit["id"] for hit in data["hits"]]


def test_the_documented_journalist_request(client):
    data = api(client, "/api/search?county=瑞安&date_from=2022-05-10&date_to=2022-05-25")
    assert ids(data) == ["270-f06", "270-f05", "270-f02"] and data["total"] == 3


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"q": ["科创中国"]},
        {"q": ["科创中国"], "county": ["瑞安"], "per_page": ["2"], "page": ["2"]},
        {"county": ["龙湾", "乐清市"], "kind": ["feature"], "sort": ["oldest"]},
        {"keyword": ["青科会"], "date_from": ["2022-05"], "date_to": ["2022-05-20"]},
    ],
)
def test_search_is_exactly_the_search_result(client, indexed_settings, params):
    expected = search(indexed_settings, parse_request(params, indexed_settings)).to_dict()
    query = urlencode([(name, value) for name, values in params.items() for value in values])
    assert api(client, "/api/search?" + query) == expected


@pytest.mark.parametrize("county", COUNTIES)
def test_county_filter_is_exact(client, county):
    data = api(client, "/api/search?" + urlencode({"county": county, "per_page": 100}))
    assert set(ids(data)) == {a[0] for a in ARTICLES if county in a[4]}
    assert data["total"] == len(data["hits"])


@pytest.mark.parametrize("department", DEPARTMENTS)
def test_department_filter_is_exact(client, department):
    data = api(client, "/api/search?" + urlencode({"department": department, "per_page": 100}))
    assert set(ids(data)) == {a[0] for a in ARTICLES if a[3] == department}


@pytest.mark.parametrize("kind, count", [("feature", 8), ("brief", 29)])
def test_kind_filter(client, kind, count):
    data = api(client, f"/api/search?kind={kind}&per_page=100")
    assert data["total"] == count and {hit["kind"] for hit in data["hits"]} == {kind}


@pytest.mark.parametrize("article", ARTICLES, ids=[a[0] for a in ARTICLES])
def test_article_has_its_metadata_and_full_text(client, article):
    article_id, title, date, department, counties = article
    data = api(client, f"/api/articles/{article_id}")
    assert (data["id"], data["title"], data["date"], data["department"], tuple(data["counties"])) == (
        article_id,
        title,
        date,
        department,
        counties,
    )
    assert data["text"] == "\n".join(data["paragraphs"]) and data["paragraphs"]
    if article_id.startswith("270-f"):
        assert len(data["paragraphs"]) == FEATURE_PARAGRAPHS[int(article_id[-2:]) - 1]
    assert [a["id"] for a in data["issue_articles"]] == [a[0] for a in ARTICLES]
    assert data["issue"] == {
        "id": "270",
        "number": 5,
        "total_number": 270,
        "date": "2022-05-31",
        "url": "/issues/270",
    }
    assert [s["file"] for s in data["sources"]] == ["温州科协信息-2022年第5期-总第270期.txt"]


def test_issues(client):
    data = api(client, "/api/issues")
    assert [
        (i["id"], i["number"], i["total_number"], i["date"], i["features"], i["briefs"])
        for i in data["issues"]
    ] == [("270", 5, 270, "2022-05-31", 8, 29)]
    issue = api(client, "/api/issues/270")
    assert [a["title"] for a in issue["articles"]["features"]] == [f[0] for f in FEATURES]
    assert [a["title"] for a in issue["articles"]["briefs"]] == [b[1] for b in BRIEFS]


def test_stats(client):
    data = api(client, "/api/stats")
    assert (data["issues"], data["articles"], data["features"], data["briefs"]) == (1, 37, 8, 29)
    assert data["counties"]["瑞安市"] == 4 and [i["id"] for i in data["latest_issues"]] == ["270"]


@pytest.mark.parametrize(
    "query, param",
    [
        ("q=" + "x" * 201, "q"),
        ("q=" + "x" * 100_000, "q"),
        ("page=-1", "page"),
        ("page=abc", "page"),
        ("page=0", "page"),
        ("page=²", "page"),
        ("page=1&page=2", "page"),
        ("per_page=1000", "per_page"),
        ("per_page=0", "per_page"),
        ("date_from=2022-13-45", "date_from"),
        ("date_from=2022-02-30", "date_from"),
        ("date_to=yesterday", "date_to"),
        ("date_from=2022-05-20&date_to=2022-05-10", "date_from"),
        ("county=火星", "county"),
        ("county=%00", "county"),
        ("kind=poem", "kind"),
        ("sort=random", "sort"),
    ],
)
def test_bad_parameters_are_400_with_one_error_shape(client, query, param):
    data = api(client, "/api/search?" + query, status=400)
    assert set(data) == {"error"} and set(data["error"]) == {"code", "message", "param"}
    assert data["error"]["code"] == "invalid_parameter" and data["error"]["param"] == param


@pytest.mark.parametrize(
    "params, expected_total",
    [
        ({"q": "\x00"}, 0),
        ({"q": "a\x00b"}, 0),
        ({"q": '"科创'}, 7),
        ({"q": "("}, 0),
        ({"q": ")"}, 0),
        ({"q": "title:"}, 0),
        ({"q": "title:("}, 0),
        ({"q": "😀"}, 0),
        ({"q": "科创中国 😀"}, 6),
        ({"q": "NOT"}, 0),
        ({"q": "OR OR"}, 0),
        ({"q": "*?"}, 0),
        ({"q": "x" * 200}, 0),
        ({"county": ""}, 37),
        ({"department": "火星"}, 0),
        ({"keyword": "😀"}, 0),
        ({"page": "１"}, 37),
        ({"unknown": "ignored"}, 37),
    ],
)
def test_odd_inputs_never_fail(client, params, expected_total):
    assert api(client, "/api/search?" + urlencode(params))["total"] == expected_total


@pytest.mark.parametrize(
    "url", ["/api/articles/nope", "/api/articles/%00", "/api/issues/999", "/api/nothing", "/api"]
)
def test_unknown_ids_are_404_in_the_same_shape(client, url):
    assert api(client, url, status=404) == {"error": {"code": "not_found", "message": "no such resource"}}


def test_methods_other_than_get_are_405_in_the_same_shape(client):
    response = client.post("/api/search")
    assert response.status_code == 405 and response.get_json()["error"]["code"] == "method_not_allowed"


def test_query_length_is_capped_by_the_settings(client, indexed_settings):
    limit = indexed_settings.search.max_query_length
    assert api(client, "/api/search?" + urlencode({"q": "科" * limit}))["total"] == 0
    assert (
        api(client, "/api/search?" + urlencode({"q": "科" * (limit + 1)}), status=400)["error"]["param"]
        == "q"
    )


def test_json_is_utf8_not_escaped(client):
    assert "瑞安市".encode() in client.get("/api/search?county=瑞安").data


def test_cors_only_for_configured_origins_and_only_on_the_api(indexed_settings):
    web = dataclasses.replace(indexed_settings.web, cors_origins=("http://tools.example",))
    client = create_app(dataclasses.replace(indexed_settings, web=web)).test_client()
    allowed = client.get("/api/search", headers={"Origin": "http://tools.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "http://tools.example"
    assert "Origin" in allowed.headers["Vary"]
    other = client.get("/api/search", headers={"Origin": "http://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    page = client.get("/search", headers={"Origin": "http://tools.example"})
    assert "Access-Control-Allow-Origin" not in page.headers
    error = client.get("/api/search?page=x", headers={"Origin": "http://tools.example"})
    assert error.status_code == 400 and error.headers["Access-Control-Allow-Origin"] == "http://tools.example"


def test_no_cors_by_default(client):
    response = client.get("/api/search", headers={"Origin": "http://tools.example"})
    assert "Access-Control-Allow-Origin" not in response.headers


# ------------------------------------------------------------------------------------------- OpenAPI


def openapi_path(rule: str) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule)


def key_shape(value):
    """The keys of every object in a JSON value; lists of objects by their first, other lists and leaves by kind."""
    if isinstance(value, dict):
        return {key: key_shape(item) for key, item in value.items()}
    if isinstance(value, list):
        objects = [item for item in value if isinstance(item, dict)]
        return [key_shape(objects[0])] if objects else "list"
    return None


def open_keys(shape, names=("counties", "departments")):
    """Data-keyed objects (county → count) compare by their values only."""
    if isinstance(shape, dict):
        return {
            key: (
                {"*": open_keys(next(iter(item.values())))}
                if key in names and isinstance(item, dict)
                else open_keys(item)
            )
            for key, item in shape.items()
        }
    if isinstance(shape, list):
        return [open_keys(item) for item in shape]
    return shape


@pytest.fixture(scope="module")
def document(app):
    return api(app.test_client(), "/api/openapi.json")


# Routes beside the JSON API that the document also holds: the feed and the citation downloads.
DOWNLOAD_SUFFIXES = (".atom", ".ris", ".bib")


def test_openapi_documents_every_api_route_and_nothing_else(app, document):
    routes = {
        openapi_path(rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api") or rule.rule.endswith(DOWNLOAD_SUFFIXES)
    }
    assert routes == set(document["paths"])
    assert document["openapi"].startswith("3.")
    for path, item in document["paths"].items():
        assert set(item) == {"get"}, path


@pytest.mark.parametrize(
    "path, url, bad_url",
    [
        ("/search.atom", "/search.atom?county=瑞安", "/search.atom?county=火星"),
        ("/search.ris", "/search.ris?county=瑞安", "/search.ris?county=火星"),
        ("/articles/{article_id}.ris", "/articles/270-f05.ris", "/articles/nope.ris"),
        ("/articles/{article_id}.bib", "/articles/270-f05.bib", "/articles/nope.bib"),
    ],
)
def test_documented_downloads_have_the_live_types(client, document, path, url, bad_url):
    responses = document["paths"][path]["get"]["responses"]
    live = client.get(url)
    assert live.status_code == 200 and [live.mimetype] == list(responses["200"]["content"])
    bad = client.get(bad_url)
    assert [str(bad.status_code)] == [status for status in responses if status != "200"]
    assert [bad.mimetype] == list(responses[str(bad.status_code)]["content"])


def test_search_downloads_take_the_search_parameters(document):
    search_parameters = document["paths"]["/api/search"]["get"]["parameters"]
    for path in ("/search.atom", "/search.ris"):
        assert document["paths"][path]["get"]["parameters"] == search_parameters, path


def test_openapi_parameters_are_the_search_parameters(document):
    documented = [p["name"] for p in document["paths"]["/api/search"]["get"]["parameters"]]
    fields = [field.name for field in dataclasses.fields(SearchRequest)]
    assert fields == [
        "q",
        "filters",
        "date_from",
        "date_to",
        "sort",
        "page",
        "per_page",
        "literal",
        "explain",
    ]
    assert documented == ["q", "county", "department", "kind", "keyword", "person", *fields[2:]]


def test_every_documented_parameter_is_accepted(client, document):
    for parameter in document["paths"]["/api/search"]["get"]["parameters"]:
        example = parameter["example"]
        values = example if isinstance(example, list) else [example]
        query = urlencode([(parameter["name"], value) for value in values])
        assert client.get("/api/search?" + query).status_code == 200, parameter["name"]
        assert client.get(f"/api/search?{parameter['name']}=%E2%98%83%E2%98%83").status_code in (200, 400)


def test_documented_limits_are_enforced(client, document):
    parameters = {p["name"]: p["schema"] for p in document["paths"]["/api/search"]["get"]["parameters"]}
    for name in ("page", "per_page"):
        high = parameters[name]["maximum"]
        assert client.get(f"/api/search?{name}={high}").status_code == 200
        assert client.get(f"/api/search?{name}={high + 1}").status_code == 400
    length = parameters["q"]["maxLength"]
    assert client.get("/api/search?" + urlencode({"q": "x" * (length + 1)})).status_code == 400
    for value in parameters["kind"]["enum"]:
        assert client.get(f"/api/search?kind={value}").status_code == 200
    for value in parameters["sort"]["enum"]:
        assert client.get(f"/api/search?sort={value}").status_code == 200


@pytest.mark.parametrize(
    "path, url",
    [
        # A query with hits, a reading (科协 as a synonym and a department), a suggestion (林建波) and a
        # person (周建强), so every facet has a value.
        ("/api/search", "/api/search?q=林剑波 OR 洞头区科协 OR 周建强"),
        ("/api/articles/{article_id}", "/api/articles/270-f05"),
        ("/api/issues", "/api/issues"),
        ("/api/issues/{issue_id}", "/api/issues/270"),
        ("/api/stats", "/api/stats"),
    ],
)
def test_documented_examples_have_the_live_shape(client, document, path, url):
    response = document["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
    live = api(client, url)
    assert open_keys(key_shape(response["example"])) == open_keys(key_shape(live))
    assert response["schema"]["required"] == list(live)


@pytest.mark.parametrize(
    "url, reference",
    [
        ("/api/search?county=火星", "BadParameter"),
        ("/api/articles/nope", "NotFound"),
    ],
)
def test_documented_errors_have_the_live_shape(client, document, url, reference):
    example = document["components"]["responses"][reference]["content"]["application/json"]["example"]
    live = client.get(url).get_json()
    assert key_shape(example) == key_shape(live)
