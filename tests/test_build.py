"""Incremental indexing: adds, changes, deletions, duplicates across formats, failures and interruptions."""

from __future__ import annotations

import errno
import json
import os
import shutil
import time

import pytest

from indexer.build import MANIFEST_NAME, build_index
from indexer.engine import EngineRequest, SearchEngine, SegmentBuilder, create_index, open_index
from indexer.search import parse_request, search
from tests.conftest import ROOT, SEED


def next_issue(seed_text: str) -> str:
    return (
        seed_text.replace("第 5 期", "第 6 期")
        .replace("总第 270 期", "总第 271 期")
        .replace("2022 年 5 月 31 日", "2022 年 6 月 30 日")
    )


@pytest.fixture
def archive(tmp_path, settings):
    folder = tmp_path / "archive"
    folder.mkdir()
    shutil.copy(SEED, folder / "issue-270.txt")
    return settings.with_overrides(
        archive_dir=folder, index_dir=tmp_path / "index", cache_dir=tmp_path / "cache"
    )


def find(settings, q="", **params):
    request = parse_request({"q": [q], "per_page": ["100"], **{k: [v] for k, v in params.items()}}, settings)
    return search(settings, request, engine=SearchEngine(settings.index_dir, ()))


def test_first_build_then_nothing_to_do(archive):
    first = build_index(archive)
    assert (first.added, first.updated, first.removed, first.failed, first.parsed_files) == (
        ["270"],
        [],
        [],
        [],
        1,
    )
    again = build_index(archive)
    assert (again.added, again.updated, again.removed, again.unchanged, again.parsed_files) == (
        [],
        [],
        [],
        1,
        0,
    )
    assert find(archive).total == 37


def test_add_change_delete(archive, seed_text):
    build_index(archive)
    (archive.archive_dir / "issue-271.txt").write_text(next_issue(seed_text), encoding="utf-8")
    added = build_index(archive)
    assert (added.added, added.parsed_files, added.unchanged) == (["271"], 1, 1)
    assert find(archive).total == 74
    assert {hit.issue["id"] for hit in find(archive, "魔方").hits} == {"270", "271"}

    changed = next_issue(seed_text).replace("魔方还原竞速比赛", "围棋比赛")
    (archive.archive_dir / "issue-271.txt").write_text(changed, encoding="utf-8")
    updated = build_index(archive)
    assert (updated.updated, updated.added, updated.parsed_files) == (["271"], [], 1)
    assert [hit.id for hit in find(archive, "围棋").hits] == ["271-b25"]
    assert [hit.id for hit in find(archive, "魔方").hits] == ["270-b25"]

    (archive.archive_dir / "issue-271.txt").unlink()
    removed = build_index(archive)
    assert (removed.removed, removed.parsed_files) == (["271"], 0)
    assert find(archive).total == 37 and find(archive, "围棋").total == 0


def test_ids_are_stable_across_rebuild(archive):
    build_index(archive)
    before = [hit.id for hit in find(archive, sort="oldest").hits]
    rebuilt = build_index(archive, rebuild=True)
    assert rebuilt.added == ["270"] and rebuilt.parsed_files == 1
    assert [hit.id for hit in find(archive, sort="oldest").hits] == before
    assert before[:3] == ["270-b01", "270-f04", "270-b02"]


def test_the_parsed_copy_is_named_first(archive, tmp_path):
    shutil.copy(
        ROOT / "tests" / "data" / "issue270-chromium.pdf", archive.archive_dir / "a-first-by-name.pdf"
    )
    build_index(archive)
    hit = find(archive, "魔方").hits[0]
    # The text copy wins (same articles, less layout noise), so no PDF page is claimed for it.
    assert hit.source == {"file": "issue-270.txt", "page": None}
    issue = SearchEngine(archive.index_dir, ()).issues()[0]
    assert issue["sources"] == ["issue-270.txt", "a-first-by-name.pdf"]
    (archive.archive_dir / "issue-270.txt").unlink()
    build_index(archive)
    assert find(archive, "魔方").hits[0].source == {"file": "a-first-by-name.pdf", "page": 8}


def test_same_issue_in_two_files_is_indexed_once(archive):
    shutil.copy(SEED, archive.archive_dir / "copy-of-270.txt")
    report = build_index(archive)
    assert report.added == ["270"] and report.parsed_files == 2
    result = find(archive, "魔方")
    assert result.total == 1
    issues = SearchEngine(archive.index_dir, ()).issues()
    assert [(i["id"], i["sources"], i["features"], i["briefs"]) for i in issues] == [
        ("270", ["copy-of-270.txt", "issue-270.txt"], 8, 29)
    ]
    (archive.archive_dir / "copy-of-270.txt").unlink()
    after = build_index(archive)
    assert (after.updated, after.parsed_files) == (["270"], 0)
    assert SearchEngine(archive.index_dir, ()).issues()[0]["sources"] == ["issue-270.txt"]


def test_a_bad_file_fails_alone(archive):
    (archive.archive_dir / "empty.txt").write_bytes(b"")
    (archive.archive_dir / "notes.txt").write_text("今天开会。\n\n明天放假。\n", encoding="utf-8")
    report = build_index(archive)
    assert report.added == ["270"]
    assert sorted(report.failed) == [
        ("empty.txt", "empty file"),
        ("notes.txt", "the masthead does not name 温州科协信息"),
    ]
    # Still broken next time: reported again, not parsed again.
    again = build_index(archive)
    assert len(again.failed) == 2 and again.parsed_files == 0


def test_an_unreadable_folder_fails_and_keeps_its_issues(archive, seed_text, monkeypatch):
    folder = archive.archive_dir / "2022"
    folder.mkdir()
    (folder / "issue-271.txt").write_text(next_issue(seed_text), encoding="utf-8")
    assert build_index(archive).added == ["270", "271"]
    real_walk = os.walk

    def walk_without_access(top, onerror=None, **options):
        # What os.walk does with a folder it may not list (root, as CI runs, may list any folder).
        for parent, subfolders, names in real_walk(top, onerror=onerror, **options):
            if "2022" in subfolders:
                subfolders.remove("2022")
                onerror(PermissionError(errno.EACCES, "Permission denied", str(folder)))
            yield parent, subfolders, names

    monkeypatch.setattr(os, "walk", walk_without_access)
    report = build_index(archive)
    assert report.failed == [("2022/", "cannot read the folder: Permission denied")]
    assert (report.removed, report.unchanged) == ([], 2)
    assert find(archive).total == 74


def test_interrupted_write_leaves_previous_index(archive, seed_text, monkeypatch):
    build_index(archive)
    manifest = (archive.index_dir / MANIFEST_NAME).read_text(encoding="utf-8")
    (archive.archive_dir / "issue-271.txt").write_text(next_issue(seed_text), encoding="utf-8")

    real_add = SegmentBuilder.add
    added = []

    def interrupted(self, document, terms):
        if added:
            raise KeyboardInterrupt
        added.append(document["id"])
        real_add(self, document, terms)

    monkeypatch.setattr(SegmentBuilder, "add", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build_index(archive)
    assert find(archive).total == 37
    assert (archive.index_dir / MANIFEST_NAME).read_text(encoding="utf-8") == manifest

    assert added == ["271-f01"]
    monkeypatch.setattr(SegmentBuilder, "add", real_add)
    assert build_index(archive).added == ["271"]
    assert find(archive).total == 74


def test_interrupted_rebuild_keeps_old_index(archive, monkeypatch):
    build_index(archive)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(SegmentBuilder, "add", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build_index(archive, rebuild=True)
    assert find(archive).total == 37
    assert [p.name for p in archive.index_dir.parent.iterdir() if p.name.startswith("index")] == ["index"]


def test_manifest_records_each_file(archive):
    build_index(archive)
    manifest = json.loads((archive.index_dir / MANIFEST_NAME).read_text(encoding="utf-8"))
    entry = manifest["files"]["issue-270.txt"]
    assert (entry["issue_id"], entry["format"], entry["articles"], entry["error"]) == (
        "270",
        "text",
        37,
        None,
    )


def test_a_running_engine_sees_the_next_index_generation(archive, seed_text):
    build_index(archive)
    engine = SearchEngine(archive.index_dir, ())
    request = EngineRequest(text="魔方")
    assert engine.search(request).total == 1
    with engine._use() as generation:
        kept = generation.results[request.cache_key()]
    # A repeated request comes from the cache: it is answered from the kept ranking, not a new one.
    assert engine.search(request) == engine.search(request)
    with engine._use() as generation:
        assert generation.results[request.cache_key()] is kept
    (archive.archive_dir / "issue-271.txt").write_text(next_issue(seed_text), encoding="utf-8")
    build_index(archive)
    # The engine notices the new generation within a check interval and opens it in the background.
    deadline = time.monotonic() + 10
    while engine.search(request).total == 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert engine.search(request).total == 2


def test_parallel_writers_build_the_same_index(archive, seed_text, monkeypatch):
    from indexer import build

    for number in range(271, 275):
        text = next_issue(seed_text).replace("总第 271 期", f"总第 {number} 期")
        (archive.archive_dir / f"issue-{number}.txt").write_text(text, encoding="utf-8")
    serial = build_index(archive, workers=1)
    expected = [(hit.id, hit.date) for hit in find(archive, "青科会", sort="oldest").hits]
    expected_facets = find(archive).facets
    # One segment per issue, written by two worker processes.
    monkeypatch.setattr(build, "ISSUES_PER_SEGMENT", 1)
    monkeypatch.setattr(build, "PARALLEL_THRESHOLD", 2)
    parallel = build_index(archive, rebuild=True, workers=2)
    assert sorted(parallel.added) == sorted(serial.added) == ["270", "271", "272", "273", "274"]
    assert len(open_index(archive.index_dir).reader().leaf_readers()) == 5
    assert [(hit.id, hit.date) for hit in find(archive, "青科会", sort="oldest").hits] == expected
    assert find(archive).total == 5 * 37
    assert find(archive).facets == expected_facets


def test_an_index_of_another_schema_is_rebuilt(archive):
    build_index(archive)
    # An index whose analyzers know other user words, as an older config.yaml would leave it (and as
    # an earlier version would: whoosh's files and the manifest, no marker).
    manifest = (archive.index_dir / MANIFEST_NAME).read_text(encoding="utf-8")
    shutil.rmtree(archive.index_dir)
    create_index(archive.index_dir, ("旧词",))
    (archive.index_dir / MANIFEST_NAME).write_text(manifest, encoding="utf-8")
    assert find(archive).total == 0
    report = build_index(archive)
    assert report.added == ["270"] and find(archive).total == 37
    assert build_index(archive).added == []
