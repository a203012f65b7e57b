"""A new index generation takes over what it reads of unchanged segments from the one answering."""

from __future__ import annotations

import gc
import sys
import threading
import weakref

import pytest

from indexer.build import build_index
from indexer.engine import EngineRequest, SearchEngine, facet_table
from indexer.engine import generation as generation_module
from indexer.engine.background import PREPARING_SWITCH_INTERVAL, beside_requests
from indexer.engine.generation import Generation, segment_key
from indexer.search import engine_for
from indexer.settings import load_settings
from tests.conftest import SEED, finish_background_work, seed_workspace
from tests.test_build import next_issue
from tests.test_engine import eventually


@pytest.fixture
def workspace(tmp_path):
    config = seed_workspace(tmp_path)
    settings = load_settings(config)
    assert build_index(settings).added == ["270"]
    return settings


def opened(settings, previous=None) -> Generation:
    generation = Generation.open(settings.index_dir, previous=previous)
    generation.lexicon()
    return generation


def same_reading(kept: Generation, fresh: Generation) -> None:
    """What a generation built on the previous one read equals what a fresh one reads."""
    assert kept.texts == fresh.texts
    assert kept.table == fresh.table
    assert kept.table.counts == {
        facet: {value: bits.bit_count() for value, bits in by_value.items()}
        for facet, by_value in kept.table.postings.items()
    }
    assert (
        kept.segments.lengths == fresh.segments.lengths and kept.segments.frequent == fresh.segments.frequent
    )
    assert kept.lexicon()._counts == fresh.lexicon()._counts
    assert list(kept.parts) == list(fresh.parts)


def test_an_added_issue_reads_only_its_own_segment(workspace):
    before = opened(workspace)
    text = next_issue(SEED.read_text(encoding="utf-8")).replace("运维团队负责人", "运维团队负责人林雨楠")
    (workspace.archive_dir / "issue-271.txt").write_text(text, encoding="utf-8")
    assert build_index(workspace).added == ["271"]
    after, fresh = opened(workspace, previous=before), opened(workspace)
    same_reading(after, fresh)
    kept = [key for key in after.parts if key in before.parts]
    assert len(kept) == len(before.parts) == 1 and len(after.parts) == 2
    assert all(after.parts[key] is before.parts[key] for key in kept)
    assert after.lexicon().count("林雨楠") == 1 and before.lexicon().count("林雨楠") == 0
    assert after.lexicon().count("林建波") == 2 * before.lexicon().count("林建波") == 8
    for generation in (before, after, fresh):
        generation.close()


def test_an_updated_issue_reads_its_segment_again_and_counts_it_once(workspace):
    path = workspace.archive_dir / "issue-271.txt"
    path.write_text(next_issue(SEED.read_text(encoding="utf-8")), encoding="utf-8")
    build_index(workspace)
    before = opened(workspace)
    assert before.lexicon().count("林建波") == 8
    path.write_text(path.read_text(encoding="utf-8").replace("林建波", "林剑波"), encoding="utf-8")
    assert build_index(workspace).updated == ["271"]
    after, fresh = opened(workspace, previous=before), opened(workspace)
    same_reading(after, fresh)
    # The old 271's segment now has deletions: a new key, read again, its deleted articles not counted.
    assert not any(key in before.parts for key in after.parts if key[1])
    assert after.lexicon().count("林建波") == 4 and after.lexicon().count("林剑波") == 4
    leaf_keys = [segment_key(leaf) for leaf, _ in after.searcher.reader().leaf_readers()]
    assert leaf_keys == list(after.parts)
    for generation in (before, after, fresh):
        generation.close()


def test_what_a_generation_keeps_stays_out_of_full_collections(workspace):
    """A full garbage collection pauses every request while it walks each element of each list and
    Counter it tracks (~0.24 s at 2,700 issues before these were tuples and dicts); tuples and dicts of
    strings and numbers it stops tracking, and what a preparation made it never sees (frozen)."""
    engine = engine_for(workspace)
    result = engine.search(EngineRequest(text="科协"))
    assert result.total > 0
    assert engine.suggest("科")
    with engine._use() as generation:
        generation.lexicon().prepare()
        suggestions = engine._suggestions(generation)
        # A tuple of tuples is left out once its inner ones are, which may take a second collection.
        gc.collect()
        gc.collect()
        table, texts = generation.table, generation.texts
        kept = [
            table.dates,
            table.date_order,
            table.month_spans,
            *table.values.values(),
            *table.issues.values(),
            texts.titles,
            texts.texts,
            suggestions.keys.entries,
            suggestions.keys.ids,
            suggestions.keys.base.keys,
            suggestions.keys.base.key_entries,
            suggestions.keys.tail.keys,
            suggestions.keys.tail.key_entries,
            suggestions.counts,
            *suggestions.answers.values(),
            *(counts for part in generation.parts.values() for counts in part.words.values()),
            *(words for group in generation.lexicon()._by_length.values() for words in vars(group).values()),
            *(ranked.order for ranked in generation.results.values()),
            *(counts for ranked in generation.results.values() for counts in ranked.facets.values()),
        ]
        assert (
            len(table.dates) == table.size > 0 and len(suggestions.keys.entries) > 0 and suggestions.answers
        )
        walked = walked_by_collections()
        assert [type(value).__name__ for value in kept if id(value) in walked] == []
    engine.close()


def test_a_table_starts_from_the_join_of_the_leading_segments_it_shares(workspace, monkeypatch):
    """With segments of the seed's size counted as large, the table after an added issue starts from
    the previous table's join of its segment, and equals a table assembled from nothing."""
    monkeypatch.setattr(facet_table, "LEADING_PART_DOCS", 20)
    before = opened(workspace)
    assert [part.size for part in before.table.leading.parts] == [37]
    joined: list[int] = []
    plus, plus_words = facet_table.PartsJoined.plus, generation_module.WordTotals.plus
    monkeypatch.setattr(
        generation_module.WordTotals,
        "plus",
        lambda run, counted: joined.append(-len(counted)) or plus_words(run, counted),
    )
    monkeypatch.setattr(
        facet_table.PartsJoined, "plus", lambda run, parts: joined.append(len(parts)) or plus(run, parts)
    )
    (workspace.archive_dir / "issue-271.txt").write_text(
        next_issue(SEED.read_text(encoding="utf-8")), encoding="utf-8"
    )
    assert build_index(workspace).added == ["271"]
    after = opened(workspace, previous=before)
    # The new segment onto the previous facet join, then no small ones; the word totals likewise.
    assert joined == [1, 0, -1, 0]
    assert after.table.leading.parts[0] is before.table.leading.parts[0]
    assert after.word_totals.parts[0] is before.word_totals.parts[0]
    fresh = opened(workspace)
    same_reading(after, fresh)
    assert after.table.issues["271"] == tuple(range(37, 74))
    for generation in (before, after, fresh):
        generation.close()


def test_a_retired_generation_is_let_go_in_the_background_and_freed(workspace, monkeypatch):
    """Once an update's generation answers, the one before it is closed, emptied a piece at a time in a
    thread of its own, and freed: nothing else keeps it."""
    let_go, threads = Generation.let_go, []
    monkeypatch.setattr(
        Generation, "let_go", lambda g: threads.append(threading.current_thread().name) or let_go(g)
    )
    engine = engine_for(workspace)
    before = engine.search(EngineRequest(text="科协")).total
    assert engine.suggest("科") and before > 0
    with engine._use() as generation:
        retired = weakref.ref(generation)
        stored = weakref.ref(generation.stored)
    del generation
    (workspace.archive_dir / "issue-271.txt").write_text(
        next_issue(SEED.read_text(encoding="utf-8")), encoding="utf-8"
    )
    assert build_index(workspace).added == ["271"]
    total = eventually(lambda: engine.search(EngineRequest(text="科协")).total, 2 * before)
    assert total == 2 * before
    assert eventually(lambda: (retired(), stored()), (None, None)) == (None, None)
    assert threads == ["index-retired"]
    engine.close()


def test_an_update_reads_the_issue_entries_of_its_new_segment_only(workspace, monkeypatch):
    read: list[str] = []
    entry = SearchEngine._issue_entry
    monkeypatch.setattr(
        SearchEngine, "_issue_entry", staticmethod(lambda g, i, docs: read.append(i) or entry(g, i, docs))
    )
    engine = engine_for(workspace)
    (before,) = engine.issues()
    assert (before["id"], before["features"], before["briefs"]) == ("270", 8, 29)
    finish_background_work()  # the first generation's preparation, which reads them too
    read.clear()
    (workspace.archive_dir / "issue-271.txt").write_text(
        next_issue(SEED.read_text(encoding="utf-8")), encoding="utf-8"
    )
    assert build_index(workspace).added == ["271"]
    after = eventually(lambda: [entry["id"] for entry in engine.issues()], ["271", "270"])
    assert after == ["271", "270"] and read == ["271"]
    newest, kept = engine.issues()
    assert kept == before and newest["features"] == 8 and newest["number"] == before["number"] + 1
    fresh = SearchEngine(workspace.index_dir, ())
    assert fresh.issues() == [newest, kept]
    fresh.close()
    engine.close()


def walked_by_collections() -> set[int]:
    """The ids of the objects a garbage collection walks: not the untracked, not the frozen."""
    return {id(value) for value in gc.get_objects()}


def test_an_update_is_prepared_with_a_short_switch_interval_and_no_collection_then_frozen(
    workspace, monkeypatch
):
    engine = engine_for(workspace)
    assert engine.search(EngineRequest(text="科协")).total > 0
    seen: list[tuple[str, float, bool]] = []
    prepare, open_generation = SearchEngine._prepare, Generation.open.__func__

    def noting(step: str) -> None:
        if threading.current_thread().name == "index-generation":
            seen.append((step, sys.getswitchinterval(), gc.isenabled()))

    monkeypatch.setattr(SearchEngine, "_prepare", lambda e, g: noting("prepare") or prepare(e, g))
    monkeypatch.setattr(
        Generation, "open", classmethod(lambda cls, *a, **k: noting("open") or open_generation(cls, *a, **k))
    )
    finish_background_work()  # the first generation's preparation, beside requests too
    before = sys.getswitchinterval()
    assert gc.isenabled()
    (workspace.archive_dir / "issue-271.txt").write_text(
        next_issue(SEED.read_text(encoding="utf-8")), encoding="utf-8"
    )
    assert build_index(workspace).added == ["271"]
    assert eventually(lambda: [entry["id"] for entry in engine.issues()], ["271", "270"]) == ["271", "270"]
    engine._opening is None or engine._opening.join()
    assert seen == [("open", PREPARING_SWITCH_INTERVAL, False), ("prepare", PREPARING_SWITCH_INTERVAL, False)]
    assert sys.getswitchinterval() == before == 0.005 and gc.isenabled()
    with engine._use() as generation:
        made = [generation, generation.table, generation.texts, generation.suggestions, generation.words]
        assert None not in made
        walked = walked_by_collections()
        assert [type(value).__name__ for value in made if id(value) in walked] == []
    engine.close()


def test_work_beside_requests_ends_when_the_last_of_several_threads_ends():
    before = sys.getswitchinterval()
    assert gc.isenabled()
    outer_made: list = []
    with beside_requests():
        assert (sys.getswitchinterval(), gc.isenabled()) == (PREPARING_SWITCH_INTERVAL, False)
        with beside_requests():
            inner_made = [object()]
        assert (sys.getswitchinterval(), gc.isenabled()) == (PREPARING_SWITCH_INTERVAL, False)
        assert id(inner_made) in walked_by_collections()  # frozen only when the last block ends
        outer_made.append(object())
    assert (sys.getswitchinterval(), gc.isenabled()) == (before, True)
    walked = walked_by_collections()
    assert id(inner_made) not in walked and id(outer_made) not in walked


def test_a_block_that_raises_still_restores_collection_and_the_interval():
    before = sys.getswitchinterval()
    with pytest.raises(KeyError), beside_requests():
        raise KeyError("a damaged segment")
    assert (sys.getswitchinterval(), gc.isenabled()) == (before, True)


def test_a_search_leaves_nothing_for_the_garbage_collector(workspace):
    """What a search made is freed as soon as it is done with, not at a collection: while a generation
    is prepared there is none, and the freeze at its end keeps whatever is left for good (a nested
    ranking function that called itself through its closure left ~340 KB a search at 2,700 issues)."""
    engine = engine_for(workspace)
    requests = [EngineRequest(text=text) for text in ("科协", "科技 活动", '"青科会"', "温州 科普")]
    requests += [EngineRequest(text="科协", sort="newest"), EngineRequest(text="科技", offset=20)]
    assert all(engine.search(request).total > 0 for request in requests)
    engine.clear_caches()
    gc.collect()
    gc.disable()
    try:
        for request in requests:
            engine.search(request)
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        left = [type(value).__name__ for value in gc.garbage]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert left == []
    engine.close()
