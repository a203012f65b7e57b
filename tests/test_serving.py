"""A running server over an index that `bulletin index` changes: additions, an update, a deletion, a
rebuild and a merge, each answered as the CLI answers within seconds, with no failed request meanwhile."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from urllib.parse import urlencode

import pytest
import waitress

from indexer.build import build_index
from indexer.engine import SearchEngine, open_index
from indexer.search import parse_request, search
from indexer.wordseg import domain_words
from tests import test_engine
from tests.test_build import next_issue
from webui.app import create_app

# The index of the real issue in tmp_path.
archive = test_engine.archive
CATCH_UP_SECONDS = 10.0
QUERIES = ("", "科技", "魔方", "围棋", "青科会")


def issue_text(seed_text: str, number: int) -> str:
    return next_issue(seed_text).replace("总第 271 期", f"总第 {number} 期")


class Server:
    """waitress serving the web app on a free loopback port, in a thread of this process."""

    def __init__(self, settings):
        self.server = waitress.create_server(create_app(settings), host="127.0.0.1", port=0, threads=4)
        self.base = f"http://127.0.0.1:{self.server.effective_port}"
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()

    def get(self, path: str, **params) -> tuple[int, dict | None]:
        url = f"{self.base}{path}" + (f"?{urlencode(params)}" if params else "")
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, None

    def close(self) -> None:
        self.server.close()
        self.thread.join(5)


class Hammer:
    """A client sending searches without pause, counting answers other than 200."""

    def __init__(self, server: Server):
        self.server, self.failures, self.requests = server, [], 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self) -> None:
        while not self.stopping.is_set():
            query = QUERIES[self.requests % len(QUERIES)]
            status, _ = self.server.get("/api/search", q=query, page=str(1 + self.requests % 3))
            self.requests += 1
            if status != 200:
                self.failures.append((query, status))

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(30)


def cli_answers(settings) -> dict:
    """What a fresh process (the CLI) answers: totals and first 100 ids, and each issue's articles."""
    engine = SearchEngine(settings.index_dir, domain_words(settings.domain))
    try:
        found = {}
        for query in QUERIES:
            request = parse_request({"q": [query], "per_page": ["100"]}, settings)
            result = search(settings, request, engine)
            found[query] = (result.total, [hit.id for hit in result.hits])
        for issue in sorted({entry["id"] for entry in engine.issues()} | {"271", "272", "273", "274"}):
            articles = engine.issue_articles(issue)
            found[issue] = (
                [a["id"] for a in articles if a["kind"] == "feature"],
                [a["id"] for a in articles if a["kind"] == "brief"],
            )
        return found
    finally:
        engine.close()


def served_answers(server: Server, expected: dict) -> dict:
    found = {}
    for key in expected:
        if key in QUERIES:
            status, body = server.get("/api/search", q=key, per_page="100")
            found[key] = (body["total"], [hit["id"] for hit in body["hits"]]) if status == 200 else status
        else:
            status, body = server.get(f"/api/issues/{key}")
            articles = body["articles"] if status == 200 else {"features": [], "briefs": []}
            found[key] = tuple([a["id"] for a in articles[kind]] for kind in ("features", "briefs"))
    return found


def caught_up(server: Server, settings) -> tuple[dict, dict]:
    """The server's answers once they equal the CLI's, or its last ones after CATCH_UP_SECONDS."""
    expected = cli_answers(settings)
    deadline = time.monotonic() + CATCH_UP_SECONDS
    while (found := served_answers(server, expected)) != expected and time.monotonic() < deadline:
        time.sleep(0.1)
    return found, expected


@pytest.fixture
def served(archive):
    server = Server(archive)
    yield archive, server
    server.close()


def test_serving_through_additions_an_update_a_deletion_a_rebuild_and_a_merge(served, seed_text):
    settings, server = served
    folder = settings.archive_dir
    hammer = Hammer(server)

    def step(name: str) -> None:
        found, expected = caught_up(server, settings)
        assert found == expected, name

    try:
        step("start")
        for number in (271, 272, 273):
            (folder / f"issue-{number}.txt").write_text(issue_text(seed_text, number), encoding="utf-8")
            assert build_index(settings).added == [str(number)]
            step(f"issue {number} added")
        changed = issue_text(seed_text, 272).replace("魔方还原竞速比赛", "围棋比赛")
        (folder / "issue-272.txt").write_text(changed, encoding="utf-8")
        assert build_index(settings).updated == ["272"]
        step("issue 272 updated")
        (folder / "issue-271.txt").unlink()
        assert build_index(settings).removed == ["271"]
        step("issue 271 deleted")
        (folder / "issue-274.txt").write_text(issue_text(seed_text, 274), encoding="utf-8")
        assert sorted(build_index(settings, rebuild=True).added) == ["270", "272", "273", "274"]
        step("rebuilt")
        (folder / "issue-273.txt").unlink()
        build_index(settings)
        # whoosh's own merge of every segment into one, as its merge policy does after many additions.
        open_index(settings.index_dir).optimize()
        assert len(open_index(settings.index_dir).reader().leaf_readers()) == 1
        step("merged")
    finally:
        hammer.stop()
    assert hammer.requests > 20
    assert hammer.failures == []
