"""Queries that find nothing are logged beside the index, and `bulletin report zero-results` lists them."""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import re
import shutil
import subprocess
import threading

import pytest

from indexer import querylog
from indexer.querylog import log_path, record_zero_result, zero_results
from indexer.settings import SettingsError, load_settings
from tests.conftest import seed_workspace
from tests.test_faults import mount_tmpfs
from webui.app import create_app
from webui.cli import main

# Queries the seed issue holds nothing for.
NOT_FOUND = ("林剑波", "火星移民", "海底隧道")
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
ADVICE = (
    "cannot record queries that found nothing ({}); searching goes on without it. Make the folder "
    "writable, or set search.log_zero_results: false, and restart"
)


@dataclasses.dataclass
class Site:
    """A folder holding config.yaml (index_dir: idx) and a copy of the seed issue's index."""

    folder: os.PathLike
    config: os.PathLike

    @property
    def settings(self):
        return load_settings(self.config)

    @property
    def log(self):
        return log_path(self.settings)

    def logged(self) -> list[str]:
        """The queries in the log, in order; every line whole, with its time."""
        entries = [json.loads(line) for line in self.log.read_text(encoding="utf-8").splitlines()]
        assert all(set(entry) == {"q", "time"} and TIME.fullmatch(entry["time"]) for entry in entries)
        return [entry["q"] for entry in entries]

    def edit_config(self, old: str, new: str) -> None:
        text = self.config.read_text(encoding="utf-8")
        assert text.count(old) == 1
        self.config.write_text(text.replace(old, new), encoding="utf-8")

    def cli(self, capsys, *args: str) -> tuple[int, str, str]:
        code = main([*args[:1], "--config", str(self.config), *args[1:]])
        out, err = capsys.readouterr()
        return code, out, err

    def client(self):
        return create_app(self.settings).test_client()


def new_site(folder, indexed_settings) -> Site:
    config = seed_workspace(folder)
    shutil.copytree(indexed_settings.index_dir, folder / "idx")
    return Site(folder, config)


@pytest.fixture
def site(tmp_path, indexed_settings, monkeypatch) -> Site:
    # A failure to write is remembered per process; each test starts with none.
    monkeypatch.setattr(querylog, "_failed_logs", set())
    return new_site(tmp_path, indexed_settings)


@pytest.fixture
def clock(monkeypatch):
    """The times of the next log lines: 08:00:01, 08:00:02, … on 2026-05-01."""
    seconds = itertools.count(1)
    monkeypatch.setattr(querylog, "utc_now", lambda: f"2026-05-01T08:00:{next(seconds):02d}Z")


def test_searches_that_find_nothing_are_logged_from_pages_api_and_cli(site, capsys):
    client = site.client()
    assert "没有找到" in client.get("/search?q=林剑波").get_data(as_text=True)
    assert client.get("/api/search?q=火星移民").get_json()["total"] == 0
    # Whitespace inside the query is one space; the query as typed is kept, not as interpreted.
    assert client.get("/api/search", query_string={"q": "  海底\u3000 隧道 "}).get_json()["total"] == 0
    code, out, err = site.cli(capsys, "search", "林剑波")
    assert (code, out.splitlines()[0], err) == (0, "0 results (page 1 of 1)", "")
    assert site.log == site.folder / "idx.zero-results.jsonl"
    assert site.logged() == ["林剑波", "火星移民", "海底 隧道", "林剑波"]


def test_an_index_named_through_a_link_has_one_log(site, capsys):
    (site.folder / "link").symlink_to(site.folder / "idx")
    site.edit_config("index_dir: idx", "index_dir: link")
    assert site.client().get("/api/search?q=火星移民").get_json()["total"] == 0
    assert site.cli(capsys, "search", "--index", str(site.folder / "idx"), "林剑波")[0] == 0
    assert site.log == site.folder / "idx.zero-results.jsonl"
    assert site.logged() == ["火星移民", "林剑波"]


def test_searches_that_find_something_or_nothing_asked_are_not_logged(site, capsys):
    client = site.client()
    assert client.get("/api/search?q=科创中国").get_json()["total"] == 6
    assert client.get("/search?q=%20%20").status_code == 200
    assert client.get("/api/search?q=").get_json()["total"] == 37
    assert site.cli(capsys, "search", "科创中国")[0] == 0
    # Under a filter it may be the filter that excludes: not the words' failure.
    assert client.get("/api/search?q=火星移民&county=瑞安市&kind=brief").get_json()["total"] == 0
    assert client.get("/api/search?q=火星移民&date_from=2023").get_json()["total"] == 0
    assert not site.log.exists()


def test_a_filtered_page_that_finds_nothing_logs_the_words_once(site):
    # The page asks what the words would find without the filter: that search logs them, the first not.
    page = site.client().get("/search?q=火星移民&county=瑞安市").get_data(as_text=True)
    assert "没有找到" in page
    assert site.logged() == ["火星移民"]


def test_report_lists_the_most_frequent_first_ties_most_recent_first(site, capsys, clock):
    client = site.client()
    for q in ("林剑波", "火星移民", "林剑波", "海底隧道", "林剑波", "火星移民", "海底隧道", "海底隧道"):
        assert client.get("/api/search", query_string={"q": q}).get_json()["total"] == 0
    site.cli(capsys, "search", "火星移民")
    code, out, err = site.cli(capsys, "report", "zero-results")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "count  last seen             query",
        "    3  2026-05-01T08:00:09Z  火星移民",
        "    3  2026-05-01T08:00:08Z  海底隧道",
        "    3  2026-05-01T08:00:05Z  林剑波",
    ]
    code, out, err = site.cli(capsys, "report", "zero-results", "--limit", "2", "--json")
    assert (code, err) == (0, "")
    assert json.loads(out) == [
        {"q": "火星移民", "count": 3, "last_seen": "2026-05-01T08:00:09Z"},
        {"q": "海底隧道", "count": 3, "last_seen": "2026-05-01T08:00:08Z"},
    ]


def test_report_with_no_log_yet_says_so(site, capsys):
    code, out, err = site.cli(capsys, "report", "zero-results")
    assert (code, out, err) == (0, f"no zero-result queries recorded yet ({site.log})\n", "")
    assert site.cli(capsys, "report", "zero-results", "--json") == (0, "[]\n", "")
    with pytest.raises(SystemExit) as exit:
        site.cli(capsys, "report", "zero-results", "--limit", "0")
    assert exit.value.code == 2
    assert capsys.readouterr().err.endswith("--limit: must be a whole number of at least 1, got '0'\n")


def test_report_skips_malformed_lines_and_says_how_many(site, capsys):
    good = '{"q": "火星移民", "time": "2026-05-01T08:00:01Z"}\n'
    site.log.write_bytes(
        (
            good
            + "not json\n"
            + '{"q": 7, "time": "2026-05-01T08:00:02Z"}\n'
            + '{"q": "海底隧道", "time": "yesterday"}\n'
            + '{"q": "   ", "time": "2026-05-01T08:00:03Z"}\n'
        ).encode()
        + b'{"q": "\xff", "time": "2026-05-01T08:00:04Z"}\n'
        + good.replace("01Z", "05Z").encode()
    )
    code, out, err = site.cli(capsys, "report", "zero-results")
    assert (code, err) == (0, f"bulletin: {site.log}: skipped 5 malformed lines\n")
    assert out.splitlines()[1:] == ["    2  2026-05-01T08:00:05Z  火星移民"]


def test_switched_off_in_config_nothing_is_written(site, capsys):
    site.edit_config("log_zero_results: true", "log_zero_results: false")
    assert site.settings.search.log_zero_results is False
    assert site.client().get("/api/search?q=火星移民").get_json()["total"] == 0
    assert site.cli(capsys, "search", "林剑波")[0] == 0
    assert not site.log.exists()
    assert not site.log.with_name(site.log.name + ".1").exists()


def test_switching_it_does_not_touch_the_index(site, capsys):
    site.edit_config("log_zero_results: true", "log_zero_results: false")
    code, out, err = site.cli(capsys, "index")
    assert (code, err) == (0, "")
    assert re.sub(r" in \d+\.\ds", "", out.strip()) == (
        "added 0, updated 0, removed 0, unchanged 1, failed 0 issue files (0 parsed)"
    )


def test_the_log_outlives_a_rebuild_of_the_index(site, capsys, clock):
    assert site.client().get("/api/search?q=火星移民").get_json()["total"] == 0
    code, out, err = site.cli(capsys, "index", "--rebuild")
    assert (code, err) == (0, "")
    assert out.startswith("added 1, updated 0, removed 0, unchanged 0, failed 0 issue files (1 parsed)")
    assert site.cli(capsys, "report", "zero-results")[1].splitlines()[1:] == [
        "    1  2026-05-01T08:00:01Z  火星移民"
    ]


@pytest.mark.parametrize("value", ["maybe", "1"])
def test_the_setting_is_true_or_false(site, value):
    site.edit_config("log_zero_results: true", f"log_zero_results: {value}")
    with pytest.raises(SettingsError) as error:
        load_settings(site.config)
    shown = repr(value if value == "maybe" else 1)
    assert str(error.value) == f"{site.config}: search.log_zero_results: must be true or false, got {shown}"


def one_warning(caplog) -> str:
    warnings = [record.getMessage() for record in caplog.records if record.name == "indexer.querylog"]
    assert len(warnings) == 1
    return warnings[0]


@pytest.fixture
def tmpfs_site(tmp_path, indexed_settings, monkeypatch):
    """A site on a small file system of its own (4 MB), unmounted afterwards."""
    monkeypatch.setattr(querylog, "_failed_logs", set())
    folder = tmp_path / "small-disk"
    mount_tmpfs(folder, "4m")
    yield new_site(folder, indexed_settings)
    subprocess.run(["umount", "--lazy", str(folder)], capture_output=True)


def test_a_read_only_folder_does_not_stop_searching(tmpfs_site, caplog, capsys):
    client = tmpfs_site.client()
    subprocess.run(["mount", "-o", "remount,ro", str(tmpfs_site.folder)], check=True)
    for q in NOT_FOUND:
        response = client.get("/search", query_string={"q": q})
        assert response.status_code == 200 and "没有找到" in response.get_data(as_text=True)
    assert client.get("/api/search?q=科创中国").get_json()["total"] == 6
    assert site_cli_search_total(tmpfs_site, capsys) == "0 results (page 1 of 1)"
    assert one_warning(caplog) == f"{tmpfs_site.log}: " + ADVICE.format("Read-only file system")
    assert not tmpfs_site.log.exists()


def site_cli_search_total(site: Site, capsys) -> str:
    code, out, _ = site.cli(capsys, "search", "火星移民")
    assert code == 0
    return out.splitlines()[0]


def test_a_full_disk_does_not_stop_searching(tmpfs_site, caplog, capsys):
    client = tmpfs_site.client()
    assert client.get("/api/search?q=科创中国").get_json()["total"] == 6
    with (tmpfs_site.folder / "filler").open("wb") as filler, pytest.raises(OSError, match="No space"):
        while True:
            filler.write(b"\0" * 65536)
            filler.flush()
    for q in NOT_FOUND:
        assert client.get("/api/search", query_string={"q": q}).get_json()["total"] == 0
    assert site_cli_search_total(tmpfs_site, capsys) == "0 results (page 1 of 1)"
    assert one_warning(caplog) == f"{tmpfs_site.log}: " + ADVICE.format("No space left on device")
    assert tmpfs_site.log.read_bytes() == b""


def settings_with_query_length(site: Site, max_query_length: int):
    settings = site.settings
    search = dataclasses.replace(settings.search, max_query_length=max_query_length)
    return dataclasses.replace(settings, search=search)


def test_the_log_rotates_once_past_its_cap(site, monkeypatch):
    monkeypatch.setattr(querylog, "utc_now", lambda: "2026-05-01T08:00:00Z")
    settings = site.settings
    line = len(json.dumps({"q": "查询1", "time": "2026-05-01T08:00:00Z"}, ensure_ascii=False).encode()) + 1
    monkeypatch.setattr(querylog, "MAX_LOG_BYTES", 3 * line)
    for number in range(1, 8):
        record_zero_result(settings, f"查询{number}")
        if number == 4:
            assert site.logged() == ["查询4"]
            assert read_queries(site.log.with_name(site.log.name + ".1")) == ["查询1", "查询2", "查询3"]
    # The second rotation replaces the first one's file: one old file is kept.
    assert site.logged() == ["查询7"]
    assert read_queries(site.log.with_name(site.log.name + ".1")) == ["查询4", "查询5", "查询6"]
    assert [result.q for result in zero_results(settings)] == ["查询4", "查询5", "查询6", "查询7"]


def test_a_writer_late_to_rotate_leaves_the_new_log_alone(site, monkeypatch):
    line = len(json.dumps({"q": "查询1", "time": "2026-05-01T08:00:00Z"}, ensure_ascii=False).encode()) + 1
    monkeypatch.setattr(querylog, "MAX_LOG_BYTES", 3 * line)
    settings = site.settings
    for number in range(1, 4):
        record_zero_result(settings, f"查询{number}")
    # A second writer found the log full, and another rotated it before this one took the lock.
    late = os.open(site.log, os.O_WRONLY | os.O_APPEND)
    record_zero_result(settings, "查询4")
    try:
        querylog._rotate(site.log, late)
    finally:
        os.close(late)
    assert site.logged() == ["查询4"]
    assert read_queries(site.log.with_name(site.log.name + ".1")) == ["查询1", "查询2", "查询3"]


def read_queries(path) -> list[str]:
    return [json.loads(line)["q"] for line in path.read_text(encoding="utf-8").splitlines()]


def test_zero_results_counts_across_the_rotated_file_and_caps_the_query(site):
    settings = settings_with_query_length(site, 4)
    site.log.with_name(site.log.name + ".1").write_text(
        '{"q": "火星移民", "time": "2026-04-30T23:59:59Z"}\n', encoding="utf-8"
    )
    record_zero_result(settings, "火星移民计划")
    (result,) = zero_results(settings)
    assert (result.q, result.count) == ("火星移民", 2)
    assert result.last_seen > "2026-04-30T23:59:59Z"


def append_from_threads(settings, threads: int, lines: int, length: int) -> None:
    """Each thread appends `lines` queries of its own character repeated `length` times, all at once."""
    start = threading.Barrier(threads)

    def append(number: int) -> None:
        start.wait()
        for _ in range(lines):
            record_zero_result(settings, chr(0x4E00 + number) * length)

    workers = [threading.Thread(target=append, args=(number,)) for number in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


def logged_lines(site: Site) -> list[tuple[str, int]]:
    """Each line of the log and its `.1` as (the query's one character, its length); fails on a torn line."""
    found = []
    for path in (site.log.with_name(site.log.name + ".1"), site.log):
        if path.exists():
            found += [(q[0], len(q)) for q in read_queries(path) if len(set(q)) == 1]
    return found


def test_appends_from_threads_are_whole_lines(site):
    # 12 KB a line, past a buffered file's 8 KB: written in pieces, such lines would interleave.
    settings = settings_with_query_length(site, 4000)
    append_from_threads(settings, threads=8, lines=25, length=4000)
    lines = logged_lines(site)
    assert len(lines) == len(site.log.read_bytes().splitlines()) == 200
    assert sorted(set(lines)) == [(chr(0x4E00 + number), 4000) for number in range(8)]
    assert all(lines.count((chr(0x4E00 + number), 4000)) == 25 for number in range(8))


def test_appends_from_threads_rotate_without_tearing_lines(site, monkeypatch):
    line = (
        len(json.dumps({"q": "一" * 1000, "time": "2026-05-01T08:00:00Z"}, ensure_ascii=False).encode()) + 1
    )
    monkeypatch.setattr(querylog, "MAX_LOG_BYTES", 20 * line)
    append_from_threads(settings_with_query_length(site, 1000), threads=8, lines=40, length=1000)
    rotated = site.log.with_name(site.log.name + ".1")
    total_lines = len(site.log.read_bytes().splitlines()) + len(rotated.read_bytes().splitlines())
    assert len(logged_lines(site)) == total_lines
    # A writer that found room writes one line; at most the 8 of them at once go past the cap.
    assert 0 < site.log.stat().st_size <= 28 * line
    assert 20 * line <= rotated.stat().st_size <= 28 * line
