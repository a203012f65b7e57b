"""The archive's words by pinyin and "did you mean" candidates: Lexicon on hand lists and on the real issue."""

from __future__ import annotations

import re
import threading
import time

import pytest
from pypinyin import lazy_pinyin
from pypinyin.constants import PINYIN_DICT

from indexer import lexicon
from indexer.build import build_index
from indexer.engine import SearchEngine
from indexer.lexicon import SURNAME_READINGS, Lexicon, syllables, toneless
from indexer.parse import parse_issue
from indexer.settings import load_settings
from tests.conftest import SEED, seed_workspace
from tests.test_build import next_issue

NAMES = Lexicon.build(
    [
        ("林建波", 4),
        ("林剑冲", 9),
        ("林建", 1),
        ("实验", 30),
        ("试验", 20),
        ("石岩", 2),
        ("温州", 25),
        ("中山大学", 3),
        ("绿色", 6),
        ("举办", 40),
        ("基本", 30),
        ("单田芳", 2),
        ("单位", 50),
        ("曾国藩", 1),
        ("曾经", 12),
        ("区志航", 1),
        ("区域", 7),
        ("AI", 3),
        ("ai", 1),
        ("科协", 80),
        ("科学", 90),
        ("客谐", 1),
        ("温州大学", 5),
    ]
)


def test_build_keeps_the_larger_count_of_a_word_and_lower_cases_latin():
    assert len(NAMES) == 22
    assert NAMES.count("AI") == NAMES.count("ai") == 3
    assert "Ai" in NAMES and "林建波" in NAMES
    assert "林剑波" not in NAMES and NAMES.count("林剑波") == 0


@pytest.mark.parametrize(
    "typed", ["linjianbo", "lin jian bo", "LinJianBo", "lín jiàn bō", "lin2jian4bo1", "lin2 jian4 bo1", "ljb"]
)
def test_every_way_of_typing_a_name_finds_it(typed):
    assert NAMES.pinyin_words(typed) == [("林建波", 4)]


@pytest.mark.parametrize("typed", ["lvse", "lü se", "lu:se", "lǜsè", "lv4se4"])
def test_u_umlaut_as_v_or_u_colon(typed):
    assert NAMES.pinyin_words(typed) == [("绿色", 6)]


def test_initials_with_or_without_zh_ch_sh():
    assert NAMES.pinyin_words("zsdx") == NAMES.pinyin_words("zhshdx") == [("中山大学", 3)]
    # A tone says the letters are syllables, not initials.
    assert NAMES.pinyin_words("l2j4b1") == []


def test_names_come_first_then_article_counts():
    assert NAMES.pinyin_words("shiyan") == [("石岩", 2), ("实验", 30), ("试验", 20)]
    assert NAMES.pinyin_words("shiyan", limit=2) == [("石岩", 2), ("实验", 30)]


@pytest.mark.parametrize(
    ("typed", "word"),
    [
        ("shantianfang", "单田芳"),
        ("dantianfang", "单田芳"),  # the ordinary reading is kept
        ("stf", "单田芳"),
        ("zengguofan", "曾国藩"),
        ("ouzhihang", "区志航"),
    ],
)
def test_a_surname_reads_as_a_surname(typed, word):
    assert NAMES.pinyin_words(typed) == [(word, NAMES.count(word))]


@pytest.mark.parametrize("typed", ["shanwei", "ouyu", "zengjing"])
def test_a_word_of_pypinyins_phrase_dictionary_is_not_a_name(typed):
    # 单位, 区域, 曾经 open with a surname's character but are read as words.
    assert NAMES.pinyin_words(typed) == []


def test_the_surname_readings_are_pypinyins_own_and_not_its_first():
    for char, reading in SURNAME_READINGS.items():
        listed = [toneless(r) for r in PINYIN_DICT[ord(char)].split(",")]
        assert reading in listed[1:], char


@pytest.mark.parametrize("typed", ["ai", "AI", "l", "jb", "5g", "g20", "林建波", "wenzhu", ""])
def test_no_pinyin_for_archive_words_single_letters_two_initials_or_nothing_read_so(typed):
    assert NAMES.pinyin_words(typed) == []


def test_similar_same_reading_first_then_one_character_off():
    assert NAMES.similar("林剑波") == [("林建波", 4), ("林剑冲", 9)]
    assert NAMES.similar("林建波") == []  # 林剑冲 is two characters off
    assert NAMES.similar("林剑波", limit=1) == [("林建波", 4)]


@pytest.mark.parametrize("typed", ["湿州大学", "温洲大学", "温州太学", "温州大雪"])
def test_one_character_off_in_either_half(typed):
    assert NAMES.similar(typed) == [("温州大学", 5)]


def test_two_characters_off_is_not_similar():
    assert NAMES.similar("温洲太学") == NAMES.similar("湿洲大学") == []
    assert NAMES.similar("文州大雪") == [("温州大学", 5)]  # read the same


def test_similar_two_characters_only_by_sound():
    # 科协 and 科学 differ in one character of two: another word, not a slip.
    assert NAMES.similar("科协") == [("客谐", 1)]
    assert NAMES.similar("温洲") == [("温州", 25)]


def test_similar_of_latin_or_a_single_character_is_empty():
    assert NAMES.similar("ai") == NAMES.similar("林") == []


def test_readings_match_lazy_pinyin(seed_text):
    words = {w for w in re.findall(r"[\u4e00-\u9fff]{2,8}", seed_text)}
    assert len(words) > 300
    assert {w: syllables(w) for w in words} == {w: lazy_pinyin(w) for w in words}


# ----------------------------------------------------------------------- on the real issue's index


@pytest.fixture(scope="module")
def seed_lexicon(indexed_settings) -> Lexicon:
    return SearchEngine(indexed_settings.index_dir, ()).lexicon()


@pytest.fixture(scope="module")
def articles_with_linjianbo(seed_text, domain) -> int:
    articles = parse_issue(seed_text, "seed", domain).articles
    return sum("林建波" in article.title + article.body for article in articles)


def test_the_lexicon_counts_articles(seed_lexicon, articles_with_linjianbo):
    assert articles_with_linjianbo == 4
    assert seed_lexicon.count("林建波") == articles_with_linjianbo
    # Sub-words are words too; numbers and single characters are not.
    assert "科创" in seed_lexicon and "2022" not in seed_lexicon and "市" not in seed_lexicon


@pytest.mark.parametrize("typed", ["linjianbo", "lin jian bo", "lín jiàn bō", "lin2jian4bo1", "ljb"])
def test_pinyin_finds_linjianbo_in_the_issue(seed_lexicon, articles_with_linjianbo, typed):
    assert seed_lexicon.pinyin_words(typed)[0] == ("林建波", articles_with_linjianbo)


def test_did_you_mean_linjianbo(seed_lexicon, articles_with_linjianbo):
    assert "林剑波" not in seed_lexicon
    assert seed_lexicon.similar("林剑波")[0] == ("林建波", articles_with_linjianbo)


@pytest.fixture(scope="module")
def latin_archive(tmp_path_factory):
    """The real issue, and the next one saying "Wenzhou" and "AI" in a feature."""
    config = seed_workspace(tmp_path_factory.mktemp("lexicon"))
    seed_text = SEED.read_text(encoding="utf-8")
    assert seed_text.count("运维团队负责人") == 1
    text = next_issue(seed_text).replace("运维团队负责人", "Wenzhou AI运维团队负责人")
    (config.parent / "archive" / "issue-271.txt").write_text(text, encoding="utf-8")
    indexed = load_settings(config)
    assert build_index(indexed).added == ["270", "271"]
    return indexed


def test_latin_words_of_the_archive_stay_as_typed(seed_lexicon, latin_archive):
    assert seed_lexicon.pinyin_words("wenzhou")[0][0] == "温州"
    lexicon = SearchEngine(latin_archive.index_dir, ()).lexicon()
    assert lexicon.count("wenzhou") == lexicon.count("ai") == 1
    assert lexicon.pinyin_words("Wenzhou") == lexicon.pinyin_words("wenzhou") == []
    assert lexicon.pinyin_words("AI") == []


def test_a_reindexed_issue_counts_once(latin_archive):
    path = latin_archive.archive_dir / "issue-271.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("Wenzhou AI", "AI"), encoding="utf-8")
    report = build_index(latin_archive)
    assert report.updated == ["271"]
    lexicon = SearchEngine(latin_archive.index_dir, ()).lexicon()
    assert lexicon.count("林建波") == 8
    assert "wenzhou" not in lexicon and lexicon.count("ai") == 1


def test_names_are_told_by_the_dictionary_tags_without_the_tagger():
    """实验 is a verb-noun in jieba's dictionary, 温州 a place; 林建波 and 青科会 are not in it at all
    (found by jieba in the archive, or added by the settings), which makes them names too."""
    lexicon = Lexicon.build([("实验", 9), ("温州", 3), ("林建波", 4), ("青科会", 6)])
    assert [lexicon.is_proper(word) for word in ("实验", "温州", "林建波", "青科会")] == [
        False,
        True,
        True,
        True,
    ]


def test_pypinyin_is_imported_by_one_thread_at_a_time(monkeypatch):
    """Two threads importing pypinyin's submodules at once can deadlock on Python's module locks."""
    inside, most = [], []

    def slow_import():
        inside.append(1)
        most.append(len(inside))
        time.sleep(0.05)
        inside.pop()
        return "tables"

    monkeypatch.setattr(lexicon, "_imported_pinyin", slow_import)
    results = []
    threads = [threading.Thread(target=lambda: results.append(lexicon.pinyin())) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["tables"] * 4
    assert max(most) == 1


def test_a_reindexed_issues_old_articles_are_not_counted(tmp_path):
    """The re-indexed issue's old segment is all deleted; whoosh's filtered postings of it read as
    empty, which had the lexicon take nothing off and count 林建波 in 8 articles, not 4."""
    settings = load_settings(seed_workspace(tmp_path))
    assert build_index(settings).added == ["270"]
    path = settings.archive_dir / "issue-271.txt"
    path.write_text(next_issue(SEED.read_text(encoding="utf-8")), encoding="utf-8")
    assert build_index(settings).added == ["271"]  # a segment of its own, its articles first in it
    assert SearchEngine(settings.index_dir, ()).lexicon().count("林建波") == 8
    path.write_text(path.read_text(encoding="utf-8").replace("林建波", "林剑波"), encoding="utf-8")
    assert build_index(settings).updated == ["271"]
    lexicon = SearchEngine(settings.index_dir, ()).lexicon()
    assert lexicon.count("林建波") == 4 and lexicon.count("林剑波") == 4


def test_a_lexicon_built_on_an_earlier_one_reads_only_its_new_words(monkeypatch):
    """An update's lexicon extends the tables of the generation answering: it reads the pinyin and tags
    of its new words alone, answers as a lexicon built from nothing, and never offers a word it lost."""
    earlier = Lexicon.build([("林建波", 4), ("科协", 10), ("曾经", 3), ("温州理工学院", 2)])
    earlier.prepare()
    words = [("林剑波", 2), ("科协", 11), ("曾经", 3), ("温州理工学院", 2), ("林间", 1)]
    read: list[str] = []
    word_readings = lexicon.word_readings
    monkeypatch.setattr(lexicon, "word_readings", lambda word: read.append(word) or word_readings(word))
    looked_up: list[str] = []
    dictionary_tags = lexicon.dictionary_tags
    monkeypatch.setattr(lexicon, "dictionary_tags", lambda new: looked_up.extend(new) or dictionary_tags(new))
    later = Lexicon.build(words, earlier)
    later.prepare()
    assert read == ["林剑波", "林间"] and looked_up == ["林剑波", "林间"]
    fresh = Lexicon.build(words)
    fresh.prepare()
    assert later.pinyin_words("linjianbo") == fresh.pinyin_words("linjianbo") == [("林剑波", 2)]
    assert later.pinyin_words("ljb") == fresh.pinyin_words("ljb") == [("林剑波", 2)]
    assert later.similar("林剑波") == fresh.similar("林剑波") == []
    assert later.pinyin_words("cengjing") == fresh.pinyin_words("cengjing") == [("曾经", 3)]
    assert later.pinyin_words("wzlgxy") == fresh.pinyin_words("wzlgxy") == [("温州理工学院", 2)]
    assert later.similar("温州理工学校") == fresh.similar("温州理工学校") == [("温州理工学院", 2)]
    assert [later.is_proper(w) for w, _ in words] == [fresh.is_proper(w) for w, _ in words]
    assert earlier.pinyin_words("linjianbo") == [("林建波", 4)]
