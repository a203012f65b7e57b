"""Traditional characters: OpenCC's phrase-level t2s, and articles in traditional characters indexed in
both scripts beside the seed issue (tests/data/traditional/, written by hand, not converted by OpenCC)."""

from __future__ import annotations

import shutil

import pytest

from indexer.analysis import analyze_article, keyword_scorer, match_pattern
from indexer.build import build_index
from indexer.normalize import to_simplified
from indexer.search import engine_for, parse_request, search
from indexer.wordseg import tokenizer_for
from tests.conftest import DATA, SEED

TRADITIONAL = DATA / "traditional" / "温州科协信息-2022年第6期-总第271期-繁体.txt"
SEED_KECHUANG = {"270-f01", "270-f04", "270-f05", "270-f06", "270-f07", "270-f08"}


@pytest.mark.parametrize(
    "traditional, simplified, one_character_at_a_time",
    [
        ("頭髮", "头发", "头发"),
        ("乾燥", "干燥", "干燥"),
        # 乾 is 干 only in some words: alone, the character table gets the emperor and the trigram wrong.
        ("乾隆", "乾隆", "干隆"),
        ("乾坤", "乾坤", "干坤"),
        ("瞭解", "了解", "瞭解"),
        ("瞭望", "瞭望", "瞭望"),
        ("反覆", "反复", "反覆"),
        ("顛覆", "颠覆", "颠覆"),
        ("科創中國", "科创中国", "科创中国"),
    ],
)
def test_to_simplified_converts_phrases_not_characters(traditional, simplified, one_character_at_a_time):
    assert to_simplified(traditional) == simplified
    assert "".join(map(to_simplified, traditional)) == one_character_at_a_time


def test_simplified_text_comes_back_unchanged(seed_text):
    assert to_simplified(seed_text) == seed_text
    assert (
        to_simplified("著名 显著 土著 乾隆 皇后 余姚 瞭望 慰藉 AI 5G")
        == "著名 显著 土著 乾隆 皇后 余姚 瞭望 慰藉 AI 5G"
    )


@pytest.fixture(scope="module")
def analyze(domain):
    tokenizer, keywords = tokenizer_for(domain), keyword_scorer(domain)
    return lambda title, body: analyze_article(title, body, tokenizer, keywords)


def test_traditional_article_has_simplified_words_and_both_scripts_bigrams(analyze):
    analysis = analyze("茶葉乾燥技術", "推廣新型乾燥設備。")
    assert analysis.title_words == ("茶叶", "干燥", "技术")
    assert analysis.body_words == ("推广", "新型", "干燥设备", "干燥", "设备")
    assert {"茶葉", "葉乾", "乾燥", "茶叶", "叶干", "干燥"} <= set(analysis.ngrams)
    assert (
        analysis.match_text
        == " 茶葉乾燥技術  茶叶干燥技术 \n 茶葉乾燥技術推廣新型乾燥設備  茶叶干燥技术推广新型干燥设备 "
    )


def test_simplified_article_is_analysed_once(analyze):
    analysis = analyze("科技周", "推进 AI 发展")
    assert analysis.match_text == " 科技周 \n 科技周推进 ai 发展 "
    assert analysis.ngrams == ("科技", "技周", "周推", "推进", "ai", "发展")


def test_no_match_across_the_two_scripts(analyze):
    # Each script's runs hold 後來 and abc; only the seam between them reads "後來 abc".
    text = analyze("", "abc 後來").match_text
    assert " abc 後來 " in text and " abc 后来 " in text
    assert match_pattern("後來 abc") not in text
    assert match_pattern("後來") in text and match_pattern("后来") in text


@pytest.fixture(scope="module")
def traditional_settings(tmp_path_factory, settings):
    """An index of the seed issue and the hand-written traditional issue 271."""
    base = tmp_path_factory.mktemp("traditional-index")
    archive = base / "archive"
    archive.mkdir()
    for source in (SEED, TRADITIONAL):
        shutil.copy(source, archive / source.name)
    indexed = settings.with_overrides(archive_dir=archive, index_dir=base / "index", cache_dir=base / "cache")
    report = build_index(indexed, rebuild=True)
    assert report.failed == [] and sorted(report.added) == ["270", "271"]
    return indexed


def found(settings, query: str) -> list[str]:
    request = parse_request({"q": [query], "per_page": ["100"]}, settings)
    return [hit.id for hit in search(settings, request).hits]


def test_simplified_query_finds_the_traditional_article(traditional_settings):
    assert set(found(traditional_settings, "科创中国")) == SEED_KECHUANG | {"271-f01"}
    assert found(traditional_settings, "数字经济专场") == ["271-f01"]
    assert found(traditional_settings, "茶叶干燥") == ["271-f03"]
    assert found(traditional_settings, '"成果转化座谈会"') == ["271-f02"]


def test_traditional_query_finds_the_traditional_article(traditional_settings):
    # Forms whose simplified spelling only issue 271 holds: the result is the same whether or not
    # the query side converts the query too.
    assert found(traditional_settings, "數字經濟專場") == ["271-f01"]
    assert found(traditional_settings, "茶葉乾燥") == ["271-f03"]
    assert found(traditional_settings, "科普進社區") == ["271-b01"]


def test_traditional_article_is_stored_and_shown_as_printed(traditional_settings):
    request = parse_request({"q": ["数字经济专场"]}, traditional_settings)
    (hit,) = search(traditional_settings, request).hits
    assert hit.title == "「科創中國」溫州站數字經濟專場對接會在鹿城舉辦"
    assert "數字經濟專場" in hit.snippet and "数字经济" not in hit.snippet
    article = engine_for(traditional_settings).article("271-f01")
    assert article["title"] == hit.title
    paragraphs = TRADITIONAL.read_text(encoding="utf-8").split("\n\n")
    assert article["body"] == paragraphs[8] + "\n" + paragraphs[9].removesuffix("（市科協學會部）")
    assert article["department"] == "市科協學會部"


@pytest.mark.parametrize("query", ["科创中国", "青科会", "林建波", "瑞安", "科技工作者", "科普"])
def test_seed_results_for_simplified_queries_are_unchanged(indexed_settings, traditional_settings, query):
    seed_only = found(indexed_settings, query)
    with_traditional = found(traditional_settings, query)
    assert seed_only
    assert sorted(i for i in with_traditional if i.startswith("270-")) == sorted(seed_only)
