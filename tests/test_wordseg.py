"""The partial jieba tokenizer: the same words as jieba with its whole dictionary, from a fraction of it."""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import stat
import tempfile
import threading
from pathlib import Path

import jieba
import pytest

from bench.generate import generate
from indexer import wordseg
from indexer.analysis import index_words, word_tokens
from indexer.normalize import to_simplified
from indexer.parse import parse_issue
from indexer.people import find_people
from indexer.wordseg import (
    USER_WORD_FREQUENCY,
    DictionaryStore,
    IdfTable,
    PartialTokenizer,
    dictionary_store,
    domain_words,
)

MIXED = "中华人民共和国成立，瑞安市科协学会部与苍南县、龙港市开展AI+科普（C++、5G）活动：南县不是苍南县。"


@pytest.fixture(scope="module")
def words(domain):
    return domain_words(domain)


@pytest.fixture(scope="module")
def whole(words):
    """What wordseg.py did before the store: jieba's own dictionary, loaded whole."""
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for word in words:
        tokenizer.add_word(word, freq=USER_WORD_FREQUENCY)
    return tokenizer


def partial(words) -> PartialTokenizer:
    tokenizer = PartialTokenizer(dictionary_store())
    tokenizer.add_words(words, USER_WORD_FREQUENCY)
    return tokenizer


@pytest.mark.parametrize("sample", ["seed", "mixed", "paragraphs"])
def test_partial_tokenizer_segments_exactly_like_the_whole_dictionary(sample, seed_text, words, whole):
    text = {"seed": seed_text, "mixed": MIXED, "paragraphs": seed_text[2000:2600]}[sample]
    tokenizer = partial(words)
    assert list(tokenizer.cut(text)) == list(whole.cut(text))
    assert list(tokenizer.cut(text, HMM=False)) == list(whole.cut(text, HMM=False))
    assert list(tokenizer.cut_for_search(text)) == list(whole.cut_for_search(text))
    assert list(tokenizer.tokenize(text, mode="search")) == list(whole.tokenize(text, mode="search"))
    assert index_words(text, tokenizer) == index_words(text, whole)
    assert list(word_tokens(text, tokenizer, True)) == list(word_tokens(text, whole, True))
    assert tokenizer.total == whole.total
    # It really is partial: a whole issue needs under a hundredth of the dictionary.
    assert not tokenizer.complete and len(tokenizer.FREQ) < len(whole.FREQ) / 100


def test_every_entry_fetched_is_jiebas_and_user_words_win(words, whole):
    tokenizer = partial(words)
    list(tokenizer.cut(MIXED))
    assert all(whole.FREQ[word] == count for word, count in tokenizer.FREQ.items())
    assert tokenizer.FREQ["瑞安市"] == USER_WORD_FREQUENCY
    # 学会 is a prefix of the user word 学会部 and a word of jieba's own: it keeps jieba's count.
    assert tokenizer.FREQ["学会"] == whole.FREQ["学会"] == 2639


@pytest.mark.parametrize("limit, value", [("PARTIAL_TEXT_LIMIT", 3000), ("PARTIAL_FETCH_LIMIT", 5)])
def test_past_a_limit_the_whole_dictionary_is_loaded_into_the_same_dict(
    limit, value, monkeypatch, seed_text, words, whole
):
    monkeypatch.setattr(wordseg, limit, value)
    tokenizer = partial(words)
    frequencies = tokenizer.FREQ
    first = list(tokenizer.cut(seed_text[:2000]))
    assert not tokenizer.complete
    second = list(tokenizer.cut(seed_text[2000:4000]))
    assert tokenizer.complete and tokenizer.FREQ is frequencies
    assert tokenizer.FREQ == whole.FREQ
    assert first == list(whole.cut(seed_text[:2000])) and second == list(whole.cut(seed_text[2000:4000]))


def test_a_background_read_of_the_whole_dictionary_never_holds_up_segmentation(
    monkeypatch, seed_text, words, whole
):
    tokenizer = partial(words)
    frequencies = tokenizer.FREQ
    store, release = tokenizer.store, threading.Event()
    read_whole = store.everything

    def slow_everything(table):
        assert release.wait(30)
        return read_whole(table)

    monkeypatch.setattr(store, "everything", slow_everything)
    monkeypatch.setattr(wordseg, "PARTIAL_FETCH_LIMIT", 0)
    tokenizer.read_whole_in_background()
    tokenizer.read_whole_in_background()  # once only
    reading = tokenizer._reading_whole
    # Past the limit while the read is under way: texts are still segmented, from fetched entries.
    segmented: dict[str, list[str]] = {}
    for text in (seed_text[:1500], seed_text[1500:3000]):
        cutting = threading.Thread(
            target=lambda text=text: segmented.update({text: list(tokenizer.cut(text))})
        )
        cutting.start()
        cutting.join(20)
        assert segmented.get(text) == list(whole.cut(text))
    assert not tokenizer.complete
    release.set()
    reading.join(60)
    assert tokenizer.complete and tokenizer.FREQ is frequencies and tokenizer.FREQ == whole.FREQ
    assert (tokenizer._router is not None) == (wordseg.rjieba is not None)
    assert list(tokenizer.cut(seed_text[3000:5000])) == list(whole.cut(seed_text[3000:5000]))


def test_a_server_reads_the_dictionary_ahead_on_its_own_tokenizer(monkeypatch, domain, words, whole):
    tokenizer = partial(words)
    monkeypatch.setattr(wordseg, "tokenizer_for", lambda d: tokenizer if d is domain else None)
    wordseg.read_dictionary_ahead(domain)
    tokenizer._reading_whole.join(60)
    assert tokenizer.complete and tokenizer.FREQ == whole.FREQ


def test_a_failed_background_read_leaves_the_limit_to_load_it(monkeypatch, caplog, seed_text, words, whole):
    tokenizer = partial(words)

    def broken():
        raise RuntimeError("disk gone")

    monkeypatch.setattr(tokenizer, "_whole_rows", broken)
    with caplog.at_level(logging.WARNING):
        tokenizer.read_whole_in_background()
        tokenizer._reading_whole.join(30)
    assert "reading jieba's dictionary in the background: disk gone" in caplog.text
    monkeypatch.undo()
    monkeypatch.setattr(wordseg, "PARTIAL_FETCH_LIMIT", 0)
    list(tokenizer.cut(seed_text[:200]))
    list(tokenizer.cut(seed_text[200:400]))
    assert tokenizer.complete and tokenizer.FREQ == whole.FREQ


def test_dictionary_tags_come_from_the_store_as_from_jiebas_file(monkeypatch):
    words = ["实验", "温州", "林建波", "青科会", "B超", "科协", "中华人民共和国"]
    tagged = {"实验": "vn", "温州": "ns", "B超": "n", "科协": "j", "中华人民共和国": "ns"}
    assert wordseg.dictionary_tags(words) == tagged
    everything = wordseg.read_jieba_tags()
    assert len(everything) == 349_045 and everything["实验"] == "vn"
    sample = list(everything)[::97]
    assert wordseg.dictionary_tags(sample) == {word: everything[word] for word in sample}
    monkeypatch.setattr(wordseg, "dictionary_store", lambda: None)
    assert wordseg.dictionary_tags(words) == tagged


def test_idf_table_gives_jiebas_values_in_part_and_whole(monkeypatch):
    import jieba.analyse

    jiebas = jieba.analyse.default_tfidf
    table = IdfTable(dictionary_store())
    assert table.median == jiebas.median_idf
    table.prepare(["科协", "科普", "不是一个词"])
    assert table.values == {"科协": jiebas.idf_freq["科协"], "科普": jiebas.idf_freq["科普"]}
    monkeypatch.setattr(wordseg, "PARTIAL_WORD_LIMIT", 10)
    table.prepare([f"词{n}" for n in range(20)])
    assert table.complete and table.values == jiebas.idf_freq


def test_a_damaged_store_is_written_again(tmp_path, words, whole):
    path = tmp_path / "store.sqlite"
    path.write_bytes(b"not a database")
    store = DictionaryStore.open(path)
    assert store.total == whole.total - USER_WORD_FREQUENCY * len(words)
    assert dict(store.lookup("freq", ["学会", "学会部", "不是一个词"])) == {"学会": 2639}


def test_without_a_store_the_tokenizer_loads_jieba_whole(monkeypatch, tmp_path, caplog, words, whole):
    # A temporary folder that is not a folder: the store can be neither read nor written there.
    blocked = tmp_path / "file"
    blocked.write_text("")
    monkeypatch.setattr(DictionaryStore, "default_path", staticmethod(lambda: blocked / "store.sqlite"))
    with caplog.at_level(logging.WARNING):
        assert wordseg.dictionary_store.__wrapped__() is None
    assert "jieba dictionary store unavailable" in caplog.text
    monkeypatch.setattr(wordseg, "dictionary_store", lambda: None)
    tokenizer = wordseg.tokenizer_for_words.__wrapped__(words)
    assert type(tokenizer) is jieba.Tokenizer and tokenizer.FREQ == whole.FREQ
    assert list(tokenizer.cut(MIXED)) == list(whole.cut(MIXED))
    assert isinstance(wordseg.idf_table.__wrapped__(), wordseg.FullIdfTable)


def test_a_store_deleted_under_a_running_process_still_answers(tmp_path, seed_text, words, whole):
    copy = tmp_path / "store.sqlite"
    shutil.copyfile(dictionary_store().path, copy)
    tokenizer = PartialTokenizer(DictionaryStore(copy))
    tokenizer.add_words(words, USER_WORD_FREQUENCY)
    assert list(tokenizer.cut(seed_text[:500])) == list(whole.cut(seed_text[:500]))
    copy.unlink()
    assert list(tokenizer.cut(seed_text[500:1500])) == list(whole.cut(seed_text[500:1500]))
    assert not tokenizer.complete


def test_a_failing_store_falls_back_to_jiebas_own_dictionary(monkeypatch, caplog, seed_text, words, whole):
    import jieba.analyse

    tokenizer, table = partial(words), IdfTable(dictionary_store())

    def broken(*arguments):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(DictionaryStore, "lookup", broken)
    with caplog.at_level(logging.WARNING):
        assert list(tokenizer.cut(seed_text[:800])) == list(whole.cut(seed_text[:800]))
        table.prepare(["科协"])
    assert tokenizer.complete and tokenizer.FREQ == whole.FREQ
    assert table.complete and table.values == jieba.analyse.default_tfidf.idf_freq
    assert "jieba dictionary store failed (disk I/O error)" in caplog.text
    assert "jieba IDF store failed (disk I/O error)" in caplog.text


@pytest.fixture
def restore_store_folder():
    """use_cache_dir is process-wide: put the folder back, and forget stores and tokenizers made here."""
    before = wordseg._configured_folder
    yield
    wordseg._configured_folder = before
    for cached in (wordseg.dictionary_store, wordseg.tokenizer_for_words, wordseg.idf_table):
        cached.cache_clear()


def test_bulletin_keeps_the_store_in_the_configured_cache_folder(
    tmp_path, restore_store_folder, monkeypatch, words, whole
):
    from tests.conftest import ROOT, SEED
    from webui.cli import main

    # The session's store in the temp folder is copied, not built again.
    session_folder = dictionary_store().path.parent
    monkeypatch.setattr(wordseg, "_temp_folder", lambda: session_folder)
    monkeypatch.setattr(DictionaryStore, "write", staticmethod(lambda path: pytest.fail("built again")))
    config = tmp_path / "config.yaml"
    text = (ROOT / "config.yaml").read_text(encoding="utf-8")
    config.write_text(
        text.replace("cache_dir: var/cache", f"cache_dir: {tmp_path / 'cache'}"), encoding="utf-8"
    )
    assert main(["--config", str(config), "parse", str(SEED)]) == 0
    folder = tmp_path / "cache" / "jieba"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    [store_file] = folder.iterdir()
    assert dictionary_store().path == store_file and store_file.stat().st_uid == os.getuid()
    assert list(wordseg.tokenizer_for_words(words).cut(MIXED)) == list(whole.cut(MIXED))


def test_without_a_cache_folder_the_store_sits_in_a_private_temp_folder(restore_store_folder):
    wordseg._configured_folder = None
    folder = Path(tempfile.gettempdir()) / f"bulletin-jieba-{os.getuid()}"
    assert DictionaryStore.default_path().parent == folder
    assert DictionaryStore.open().path.parent == folder
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def _refused(path, caplog, monkeypatch) -> str:
    monkeypatch.setattr(DictionaryStore, "default_path", staticmethod(lambda: path))
    with caplog.at_level(logging.WARNING):
        assert wordseg.dictionary_store.__wrapped__() is None
    return caplog.text


def test_a_store_folder_of_another_user_is_not_trusted(tmp_path, caplog, monkeypatch):
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o700)
    shutil.copyfile(dictionary_store().path, folder / "store.sqlite")
    # As if someone else had made the folder first: its owner is not the user running bulletin.
    monkeypatch.setattr(os, "getuid", lambda: folder.stat().st_uid + 1)
    text = _refused(folder / "store.sqlite", caplog, monkeypatch)
    assert f"{folder}: not a folder of this user's that only this user may write" in text


@pytest.mark.parametrize("mode", [0o777, 0o1777, 0o720, 0o702])
def test_a_store_folder_others_may_write_is_not_trusted(tmp_path, caplog, monkeypatch, mode):
    folder = tmp_path / "open"
    folder.mkdir()
    folder.chmod(mode)
    shutil.copyfile(dictionary_store().path, folder / "store.sqlite")
    text = _refused(folder / "store.sqlite", caplog, monkeypatch)
    assert f"{folder}: not a folder of this user's" in text


def test_a_store_file_others_may_write_or_a_link_is_not_trusted(tmp_path, caplog, monkeypatch):
    writable = tmp_path / "writable.sqlite"
    shutil.copyfile(dictionary_store().path, writable)
    writable.chmod(0o666)
    assert f"{writable}: not a file of this user's" in _refused(writable, caplog, monkeypatch)
    link = tmp_path / "link.sqlite"
    link.symlink_to(dictionary_store().path)
    assert f"{link}: not a file of this user's" in _refused(link, caplog, monkeypatch)


def test_a_store_in_the_temp_folder_is_copied_only_if_ours(tmp_path, monkeypatch):
    source = dictionary_store().path
    target = tmp_path / "cache" / source.name
    target.parent.mkdir(mode=0o700)
    monkeypatch.setattr(wordseg, "_temp_folder", lambda: source.parent)
    with monkeypatch.context() as someone_else:
        someone_else.setattr(os, "getuid", lambda: source.stat().st_uid + 1)
        assert not DictionaryStore.copy_from_temp_folder(target) and not target.exists()
    assert DictionaryStore.copy_from_temp_folder(target)
    assert target.read_bytes() == source.read_bytes()


# Where jieba-rs on its own segments otherwise than jieba: characters beyond jieba's Chinese class
# (㐀, 鿖, 𠀁, and the compatibility ideographs), letters and digits its HMM joins (2021-2025, 5.30a), ties its HMM breaks the other
# way (科国国国创, 开岩岩岩展).
JIEBA_RS_DIFFERS = (
    "在2021-2025年期间，鹿城区开展“5.30a全国科技工作者日”，汇报了2_0项，20_1aaa6年",
    "温州“科国国国创中国”平台，开岩岩岩展科普，瑞安市科蠍蠍蠍协，逪逪逪浙江鿖易動動動省",
    "00，㐀㐀㐀《《《1cc月，周𠀁𠀁𠀁”主题，\uf900\uf900宣传\r\n做B超和CT，3.5.6版",
)


@pytest.fixture(scope="module")
def routed(words):
    """A tokenizer past the partial limit: the whole dictionary, segmented through rjieba."""
    tokenizer = partial(words)
    tokenizer.prepare("字" * (wordseg.PARTIAL_TEXT_LIMIT + 1))
    assert isinstance(tokenizer._router, wordseg.RouteSegmenter)
    return tokenizer


def archive_texts(seed_text, domain, folder: Path) -> list[str]:
    """The simplified titles and bodies analysis segments: the real issue's, and a generated archive's."""
    generate(issues=12, seed=3, out=folder, seed_text=seed_text)
    issues = [parse_issue(seed_text, "seed", domain)]
    issues += [
        parse_issue(path.read_text(encoding="utf-8"), path.name, domain) for path in sorted(folder.iterdir())
    ]
    return [
        to_simplified(text)
        for issue in issues
        for article in issue.articles
        for text in (article.title, article.body)
    ]


def test_rjieba_gives_jiebas_index_words_and_people(routed, whole, seed_text, domain, tmp_path):
    texts = archive_texts(seed_text, domain, tmp_path)
    assert len(texts) > 400
    for text in texts:
        assert index_words(text, routed) == index_words(text, whole)
        assert find_people(text[:40], text, routed) == find_people(text[:40], text, whole)


@pytest.mark.parametrize("text", JIEBA_RS_DIFFERS)
def test_rjieba_is_read_as_jieba_where_it_segments_otherwise(routed, whole, text):
    assert routed._router.engine.cut(text, True) != list(whole.cut(text))
    for hmm in (True, False):
        assert list(routed.cut(text, HMM=hmm)) == list(whole.cut(text, HMM=hmm))
    assert list(routed.tokenize(text)) == list(whole.tokenize(text))


def test_a_user_word_of_letters_leaves_the_text_to_jieba(words):
    """Without the HMM jieba joins single letters, so AI may be one step of the route or two."""
    with_letters = (*words, "AI")
    tokenizer = partial(with_letters)
    tokenizer.prepare("字" * (wordseg.PARTIAL_TEXT_LIMIT + 1))
    assert tokenizer._router.cut("用AI和5G赋能科普", True) is None
    assert list(tokenizer.cut("用AI和5G赋能科普")) == ["用", "AI", "和", "5G", "赋能", "科普"]
