"""Autocomplete (/api/suggest) over the real issue: prefixes of the text, its pinyin and its initials."""

from __future__ import annotations

import shutil

import pytest

from indexer.build import build_index
from indexer.engine import SearchEngine
from indexer.engine import suggest as suggest_module
from indexer.engine.generation import Generation
from indexer.engine.suggest import SUGGESTIONS, SuggestIndex, text_key
from tests.conftest import SEED
from tests.test_build import next_issue
from tests.test_engine import eventually


def suggest(client, q: str) -> list[dict]:
    response = client.get("/api/suggest", query_string={"q": q})
    assert response.status_code == 200
    assert response.get_json()["q"] == q
    return response.get_json()["suggestions"]


# People rank first, and a text is suggested once, as its first kind: 林建波 is also a keyword of two.
LIN_JIANBO = {"text": "林建波", "kind": "person", "count": 4}


@pytest.mark.parametrize("q", ["lin", "LIN", "ljb", "林", "林建", "lin jian bo", "lín"])
def test_a_name_by_its_characters_pinyin_or_initials(client, q):
    assert suggest(client, q)[0] == LIN_JIANBO


def test_a_keyword_by_its_first_characters(client):
    assert suggest(client, "科创")[:3] == [
        {"text": "科创中国", "kind": "keyword", "count": 4},
        {"text": "科创", "kind": "keyword", "count": 1},
        {"text": "科创筑", "kind": "keyword", "count": 1},
    ]


@pytest.mark.parametrize("q", ["ruian", "ra", "瑞安", "瑞安市"])
def test_a_place_by_its_official_name_short_form_or_pinyin_once(client, q):
    found = suggest(client, q)
    assert found[0] == {"text": "瑞安市", "kind": "place", "count": 4}
    assert [s["text"] for s in found].count("瑞安市") == 1  # also a keyword, suggested as the place


def test_a_department_and_a_title(client):
    assert {"text": "市科协学会部", "kind": "department", "count": 7} in suggest(client, "市科协学")
    assert suggest(client, "章秀伟一行")[0] == {
        "text": "章秀伟一行抵平督导调研青科会成果谋划与落地工作",
        "kind": "title",
        "count": 1,
    }


def test_at_most_ten_ranked_by_kind_then_count(client):
    found = suggest(client, "s")
    assert len(found) == SUGGESTIONS
    kinds = ["person", "place", "department", "keyword", "title"]
    ranks = [(kinds.index(s["kind"]), -s["count"]) for s in found]
    assert ranks == sorted(ranks)


@pytest.mark.parametrize("q", ["", "   ", "zzzzqqq", "☃", "'", "%", "\\", "x" * 5000])
def test_nothing_found_or_odd_input_is_an_empty_list(client, q):
    assert suggest(client, q) == []


def test_no_q_is_an_empty_list(client):
    assert client.get("/api/suggest").get_json() == {"q": "", "suggestions": []}


@pytest.mark.parametrize(
    "q", ["科技惠企创新", "科技惠企 创新赋能——科创", "科技惠企创新赋能“科创中国”温州站", "kjhq"]
)
def test_a_title_by_its_words_whatever_spaces_and_punctuation_come_between(client, q):
    assert suggest(client, q)[0] == {
        "text": "科技惠企 创新赋能——“科创中国”温州站推介大会成功举办",
        "kind": "title",
        "count": 1,
    }


def test_a_title_whose_punctuation_joins_two_runs_in_its_match_text(client):
    # Its match text reads 保密法治: the typed title is read the same way.
    assert suggest(client, "鹿城区科协开展《保密法》法治") == [
        {"text": "鹿城区科协开展《保密法》法治教育学习会", "kind": "title", "count": 1}
    ]


OLD_TITLE = "文成县科协开展“双结对双下沉”活动"
NEW_TITLE = "文成县科协开展“双结对双下沉”回访活动"


def test_a_new_generation_reads_only_what_is_new_to_it_in_pinyin(tmp_path, settings, seed_text, monkeypatch):
    archive = settings.with_overrides(
        archive_dir=tmp_path / "archive", index_dir=tmp_path / "index", cache_dir=tmp_path / "cache"
    )
    archive.archive_dir.mkdir()
    shutil.copy(SEED, archive.archive_dir / "issue-270.txt")
    build_index(archive)
    engine = SearchEngine(archive.index_dir, ())
    assert [s.to_dict() for s in engine.suggest("文成县科协开展双结对")] == [
        {"text": OLD_TITLE, "kind": "title", "count": 1}
    ]
    read: list[str] = []
    lookup_keys = suggest_module.lookup_keys
    monkeypatch.setattr(
        suggest_module, "lookup_keys", lambda text, *more: read.append(text) or lookup_keys(text, *more)
    )
    issue_271 = next_issue(seed_text).replace(OLD_TITLE, NEW_TITLE)
    (archive.archive_dir / "issue-271.txt").write_text(issue_271, encoding="utf-8")
    assert build_index(archive).added == ["271"]
    both = [
        {"text": NEW_TITLE, "kind": "title", "count": 1},
        {"text": OLD_TITLE, "kind": "title", "count": 1},
    ]
    assert eventually(lambda: [s.to_dict() for s in engine.suggest("文成县科协开展双结对")], both) == both
    # Issue 271 repeats 270's other 36 titles and its facet values: their keys come from the previous
    # generation's index. Only what is new is read: the title, and 回访, a keyword the title brings.
    assert read == ["回访", text_key(NEW_TITLE)]
    assert [s.to_dict() for s in engine.suggest("wcxkxkzsjdsxchf")] == both[:1]
    engine.close()


@pytest.mark.parametrize("tail_keys", [suggest_module.TAIL_KEYS, 1])  # new keys in the tail; folded in
def test_keys_extended_by_an_update_answer_as_keys_built_fresh(
    tmp_path, settings, seed_text, monkeypatch, tail_keys
):
    """An update that adds issue 271 (one title changed) and removes 270: the suggestions built on the
    previous generation's keys equal those built from nothing, and 270's title is no longer suggested.
    Its few new keys go in the tail, and the shared run stays the one the previous keys hold, unless
    the tail reaches TAIL_KEYS and is folded into a new one."""
    monkeypatch.setattr(suggest_module, "TAIL_KEYS", tail_keys)
    archive = settings.with_overrides(
        archive_dir=tmp_path / "archive", index_dir=tmp_path / "index", cache_dir=tmp_path / "cache"
    )
    archive.archive_dir.mkdir()
    shutil.copy(SEED, archive.archive_dir / "issue-270.txt")
    build_index(archive)
    spellings = SearchEngine(archive.index_dir, ()).expander.place_spellings
    before = Generation.open(archive.index_dir)
    previous = SuggestIndex.build(before.table, before.texts.titles, spellings)
    (archive.archive_dir / "issue-271.txt").write_text(
        next_issue(seed_text).replace(OLD_TITLE, NEW_TITLE), encoding="utf-8"
    )
    (archive.archive_dir / "issue-270.txt").unlink()
    assert build_index(archive).removed == ["270"]
    after = Generation.open(archive.index_dir)
    extended = SuggestIndex.build(after.table, after.texts.titles, spellings, previous.keys)
    fresh = SuggestIndex.build(after.table, after.texts.titles, spellings)
    assert len(extended.keys.entries) > len(fresh.keys.entries)  # 270's old title stays, uncounted
    assert previous.keys.tail.keys == ()  # built from nothing: one run
    if tail_keys > 1:
        assert extended.keys.base is previous.keys.base and 0 < len(extended.keys.tail.keys) < 100
    else:
        assert extended.keys.tail.keys == () and len(extended.keys.base.keys) == extended.keys.key_count
    assert extended.keys.key_count > previous.keys.key_count

    def title_of(docnum: int) -> str:
        return after.searcher.stored_fields(docnum)["title"]

    typed = [
        *"abcdefghijklmnopqrstuvwxyz",
        "wc",
        "wenc",
        "wcxkx",
        "ljb",
        "ra",
        *{t[:2] for t in after.texts.titles},
    ]
    for prefix in typed:
        assert extended.lookup(prefix, title_of) == fresh.lookup(prefix, title_of), prefix
    titles = [s.text for s in extended.lookup("文成县科协开展双结对", title_of)]
    assert titles == [NEW_TITLE]
    assert sum(bool(fresh.lookup(prefix, title_of)) for prefix in typed) > 20
    before.close()
    after.close()
