"""One request never takes the server down: bounded requests, no 500s, no host or path leaks, and
waitress itself (over real sockets) keeps answering and adds our security headers to its own errors."""

from __future__ import annotations

import dataclasses
import http.client
import logging
import socket
import threading
from urllib.parse import urlencode

import pytest
from bs4 import BeautifulSoup
from waitress import wasyncore

from indexer.search import InvalidRequest, parse_request
from tests.test_api import api
from webui import server as web_server
from webui.app import SECURITY_HEADERS, create_app


def security_headers(headers) -> dict:
    return {name: headers.get(name) for name in SECURITY_HEADERS}


# ---------------------------------------------------------------------------- bounded requests


def test_the_measured_attack_is_a_400_not_a_quadratic_page(client):
    # 2,000 keywords (27 KB) took 48 s of CPU and answered 141 MB before the caps.
    query = urlencode([("keyword", f"k{i}") for i in range(2000)])
    data = api(client, "/api/search?" + query, status=400)
    assert data == {"error": {"code": "invalid_parameter", "message": "more than 400 parameters"}}
    page = client.get("/search?" + query)
    assert page.status_code == 400 and page.mimetype == "text/html"
    assert "这个链接的参数太多了（最多 400 个）。" in page.get_data(as_text=True)


@pytest.mark.parametrize("name", ["department", "keyword"])
def test_a_filter_takes_twenty_different_values_and_no_more(client, name):
    values = [f"值{i}" for i in range(21)]
    twenty = urlencode([(name, v) for v in values[:20] * 5])  # 100 values, 20 different
    assert api(client, "/api/search?" + twenty)["total"] == 0
    soup = BeautifulSoup(client.get("/search?" + twenty).get_data(as_text=True), "html.parser")
    assert [a.contents[1] for a in soup.select("a.chip")] == values[:20]
    data = api(client, "/api/search?" + urlencode([(name, v) for v in values]), status=400)
    assert data == {
        "error": {"code": "invalid_parameter", "message": "more than 20 different values", "param": name}
    }


def test_every_spelling_of_every_place_counts_once(client, settings):
    # 14 places, 28 spellings: within the cap of 20 because a place is one value however spelled.
    spellings = [("county", s) for place in settings.domain.places for s in place.spellings]
    officials = [("county", place.name) for place in settings.domain.places]
    assert len(spellings) == 28 and len(officials) == 14
    assert api(client, "/api/search?" + urlencode(spellings)) == api(
        client, "/api/search?" + urlencode(officials)
    )


def test_duplicate_filter_values_count_once(client):
    once = api(client, "/api/search?department=市科协学会部")
    thrice = api(client, "/api/search?" + urlencode([("department", "市科协学会部")] * 3))
    assert thrice == once and once["total"] == 7
    selected = [f for f in thrice["facets"]["department"] if f["selected"]]
    assert selected == [{"value": "市科协学会部", "count": 7, "selected": True}]


def test_a_filter_value_longer_than_forty_characters_is_refused(client):
    assert api(client, "/api/search?" + urlencode({"department": "部" * 40}))["total"] == 0
    data = api(client, "/api/search?" + urlencode({"department": "部" * 41}), status=400)
    assert data["error"] == {
        "code": "invalid_parameter",
        "message": "a value is longer than 40 characters",
        "param": "department",
    }


@pytest.mark.parametrize(
    "query, status",
    [
        ("page=500", 200),  # 500 × 20 = 10,000 results deep
        ("page=501", 400),
        ("per_page=100&page=100", 200),
        ("per_page=100&page=101", 400),
        ("per_page=1&page=10000", 200),
        ("per_page=1&page=10001", 400),
        ("page=" + "9" * 30, 400),
        ("per_page=" + "9" * 30, 400),
        ("page=" + "0" * 19 + "1", 200),
        ("page=" + "0" * 20 + "1", 400),
    ],
)
def test_pages_reach_ten_thousand_results_deep_at_most(client, query, status):
    response = client.get("/api/search?" + query)
    assert response.status_code == status
    if status == 400:
        assert response.get_json()["error"]["param"] == query.split("&")[-1].split("=")[0]


def test_pagination_stops_at_the_deepest_page_allowed(client, monkeypatch):
    from indexer import search as search_module

    monkeypatch.setattr(search_module, "MAX_RESULT_DEPTH", 6)
    soup = BeautifulSoup(client.get("/search?per_page=2").get_data(as_text=True), "html.parser")
    numbers = [
        a.get_text() for a in soup.select(".pagination a, .pagination span") if a.get_text().isdecimal()
    ]
    assert numbers == ["1", "2", "3"]
    assert client.get("/search?per_page=2&page=3").status_code == 200
    assert client.get("/search?per_page=2&page=4").status_code == 400


def test_an_empty_result_searches_once_per_filter_not_once_per_value(client, monkeypatch):
    from webui import views

    searches = []
    real_search = views.search
    monkeypatch.setattr(views, "search", lambda *a: searches.append(a[1]) or real_search(*a))
    query = urlencode([("q", "科创中国"), *[("keyword", f"词{i}") for i in range(20)], ("county", "文成")])
    soup = BeautifulSoup(client.get("/search?" + query).get_data(as_text=True), "html.parser")
    assert [a.get_text() for a in soup.select(".suggestions a")] == []
    # The page's own search, then one per filter that dropping can widen: the query and the county.
    assert len(searches) == 3


# -------------------------------------------------------------------------------- never a 500


@pytest.mark.parametrize(
    "params, expected_total",
    [
        ({"q": "qqquote0qqq"}, 0),
        ({"q": "qqquote9qqq"}, 0),
        ({"q": "QQQUOTE0QQQ"}, 0),
        ({"q": '"科创中国" qqquote1qqq'}, 0),
        ({"q": "title:qqquote0qqq"}, 0),
        ({"q": "qqquote0qqq OR 科创中国"}, 6),
        ({"q": '"qqquote0qqq" OR "科创中国"'}, 6),
        ({"date_to": "9999-12"}, 37),
        ({"date_to": "9999"}, 37),
        ({"date_to": "9999-12-31"}, 37),
        ({"date_from": "9999-12"}, 0),
        ({"date_from": "0001-01", "date_to": "0001"}, 0),
        ({"date_to": "2022-12"}, 37),
        ({"date_to": "2022-05"}, 37),
        ({"date_to": "2022-04"}, 0),
        ({"date_from": "２０２２-０５-２０", "date_to": "٢٠٢٢-٠٥"}, 18),  # as 2022-05-20 to 2022-05
        ({"page": "２"}, 37),
        ({"page": "٢"}, 37),
        ({"q": "\ud800"}, 0),  # arrives as U+FFFD: werkzeug decodes URL escapes with "replace"
        ({"department": "\x00"}, 0),
    ],
)
def test_odd_inputs_answer_results_not_500(client, params, expected_total):
    query = urlencode(params, encoding="utf-8", errors="surrogatepass")
    for url in ("/api/search?", "/search?", "/search.csv?"):
        # Read whole, so a streamed CSV's generator is closed inside its request.
        response = client.get(url + query)
        assert response.status_code == 200 and response.data, url
    assert api(client, "/api/search?" + query)["total"] == expected_total


def test_full_width_dates_read_as_ascii_ones(client):
    full_width = urlencode({"date_from": "２０２２-０５-２０", "date_to": "٢٠٢٢-٠٥"})
    assert api(client, "/api/search?" + full_width) == api(
        client, "/api/search?date_from=2022-05-20&date_to=2022-05"
    )


def test_the_placeholder_as_typed_is_searched_as_typed(client):
    either = api(client, "/api/search?" + urlencode({"q": "qqquote0qqq OR 科创中国", "sort": "newest"}))
    alone = api(client, "/api/search?" + urlencode({"q": "科创中国", "sort": "newest"}))
    assert [hit["id"] for hit in either["hits"]] == [hit["id"] for hit in alone["hits"]]
    assert either["total"] == alone["total"] == 6


@pytest.mark.parametrize("name", ["q", "department", "keyword", "county", "date_to"])
def test_a_lone_surrogate_from_the_command_line_is_a_bad_parameter(settings, name):
    with pytest.raises(InvalidRequest) as caught:
        parse_request({name: ["科\udc80"]}, settings)
    assert (caught.value.param, caught.value.message) == (name, "is not valid text")


def test_placeholders_in_concurrent_queries_never_mix(indexed_settings):
    from indexer.search import engine_for

    queries = engine_for(indexed_settings).queries
    expected = {text: queries.parse(text) for text in ('"科创中国" OR "瑞安"', '"温州" "林建波" "苍南"')}
    failures = []

    def parse_many(text):
        for _ in range(200):
            if queries.parse(text) != expected[text]:
                failures.append(text)

    threads = [threading.Thread(target=parse_many, args=(text,)) for text in expected for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


# ------------------------------------------------------------------------- no host, no path leaks


def test_csv_links_are_paths_whatever_the_host_header(client):
    response = client.get("/search.csv?county=文成", headers={"Host": "evil.example"})
    rows = response.get_data(as_text=True).strip().splitlines()
    links = [row.split(",")[-1] for row in rows[1:]]
    assert (
        links
        == [hit["url"] for hit in api(client, "/api/search?county=文成")["hits"]]
        == [
            "/articles/270-b19",
            "/articles/270-b17",
            "/articles/270-b15",
            "/articles/270-b11",
            "/articles/270-b01",
        ]
    )
    assert "evil.example" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "url, location",
    [
        ("/api//search?q=x", "/api/search?q=x"),
        ("/articles//270-f01", "/articles/270-f01"),
        ("/search//", "/search/"),
    ],
)
def test_redirects_are_paths_whatever_the_host_header(client, url, location):
    response = client.get(url, headers={"Host": "evil.example"})
    assert response.status_code == 308 and response.headers["Location"] == location


def test_the_503_names_no_folder_but_the_log_does(tmp_path, settings, caplog):
    missing = tmp_path / "no-index"
    client = create_app(settings.with_overrides(index_dir=missing)).test_client()
    with caplog.at_level(logging.ERROR):
        data = api(client, "/api/search", status=503)
        page = client.get("/search")
    assert data == {
        "error": {"code": "index_unavailable", "message": "the index is not built yet; run bulletin index"}
    }
    assert page.status_code == 503 and str(tmp_path) not in page.get_data(as_text=True)
    assert f"{missing}: no index yet; run `bulletin index` first" in caplog.text


@pytest.mark.parametrize(
    "url, status",
    [
        ("/", 200),
        ("/search.csv", 200),
        ("/api/search?page=0", 400),
        ("/search?" + urlencode([("keyword", "x")] * 401), 400),
        ("/nowhere", 404),
        ("/api/nothing", 404),
    ],
)
def test_every_app_answer_carries_the_security_headers(client, url, status):
    response = client.get(url)
    assert response.status_code == status and response.data
    assert security_headers(response.headers) == SECURITY_HEADERS


# ------------------------------------------------------------------------- waitress, over sockets


@pytest.fixture
def serve(indexed_settings):
    """Start a real waitress server (webui.server.make_server) on a free port; stopped afterwards."""
    started = []

    def start(**web_changes):
        web = dataclasses.replace(indexed_settings.web, port=0, **web_changes)
        server = web_server.make_server(create_app(indexed_settings.with_overrides(web=web)), web)
        stop = threading.Event()

        def run():
            # server.run() loops until the process ends; this loop stops, and closes, in its own thread.
            while not stop.is_set():
                wasyncore.loop(timeout=0.05, map=server._map, count=1)
            server.task_dispatcher.shutdown()
            wasyncore.close_all(server._map)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        started.append((stop, thread))
        return server.effective_port

    yield start
    for stop, thread in started:
        stop.set()
        thread.join(timeout=10)


OVERSIZED_HEADER = b"GET /search HTTP/1.1\r\nHost: x\r\nX-Big: "


def raw_exchange(port: int, request: bytes) -> tuple[int, dict, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(request)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in header_lines)
    return int(status_line.split()[1]), headers, body


def get(port: int, url: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", url)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize(
    "request_bytes, status",
    [
        (b"GET /search HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", 400),
        # Exactly the limit and not a byte more: waitress stops reading there, and bytes left unread
        # would make the kernel reset the connection before the answer is read.
        (OVERSIZED_HEADER + b"a" * (web_server.MAX_REQUEST_HEADER_SIZE - len(OVERSIZED_HEADER)), 431),
    ],
)
def test_waitress_own_errors_carry_the_security_headers(serve, request_bytes, status):
    port = serve()
    answered, headers, body = raw_exchange(port, request_bytes)
    assert answered == status
    assert security_headers(headers) == SECURITY_HEADERS
    assert b"(generated by bulletin-search)" in body


def test_a_header_under_the_limit_reaches_the_app(serve):
    port = serve()
    request = b"GET /api/search?per_page=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Big: "
    answered, headers, _ = raw_exchange(port, request + b"a" * (60 * 1024) + b"\r\n\r\n")
    assert answered == 200 and headers["Content-Type"] == "application/json"


def test_slow_headers_do_not_lock_everyone_out(serve):
    """120 connections that never finish their header: the finding took waitress's default limit (100
    connections, idle ones kept 120 s) and the server answered no one. With a limit of 20 and a
    channel_timeout of 1 s, the idle ones are closed and a normal request is answered."""
    port = serve(connection_limit=20, channel_timeout=1)
    idle = []
    try:
        for _ in range(120):
            connection = socket.create_connection(("127.0.0.1", port), timeout=30)
            connection.sendall(b"GET /search HTTP/1.1\r\nHost: x\r\n")
            idle.append(connection)
        status, body = get(port, "/api/search?per_page=1")
    finally:
        for connection in idle:
            connection.close()
    assert status == 200 and b'"total": 37' in body.replace(b'"total":37', b'"total": 37')


def test_idle_connections_under_the_configured_limit_leave_room(serve, settings):
    assert (settings.web.threads, settings.web.connection_limit, settings.web.channel_timeout) == (
        16,
        200,
        30,
    )
    port = serve()
    idle = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(120)]
    try:
        for connection in idle:
            connection.sendall(b"GET /search HTTP/1.1\r\nHost: x\r\n")
        status, _ = get(port, "/api/stats")
    finally:
        for connection in idle:
            connection.close()
    assert status == 200
