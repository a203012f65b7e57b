"""Tokens of the jieba word analyzer and the CJK bigram analyzer, and what whoosh makes of them."""

from __future__ import annotations

import random

import pytest

from indexer import analysis
from indexer.analysis import (
    MATCH_PART_SEPARATOR,
    KeywordScorer,
    index_words,
    match_pattern,
    ngram_tokens,
    query_units,
    word_tokens,
)
from indexer.engine.schema import ChineseWordAnalyzer
from indexer.wordseg import tokenizer_for


def ngram_terms(text: str) -> list[str]:
    """The bigrams analyze_article stores for a text."""
    return analysis._run_ngrams(analysis._match_runs(text))


def match_text(title: str, body: str) -> str:
    """The match text analyze_article stores for an article."""
    return analysis._match_text([(title, analysis._match_runs(analysis.searchable_text(title, body)))])


@pytest.fixture(scope="module")
def jieba_tokenizer(domain):
    return tokenizer_for(domain)


def test_positions_count_words_and_subwords_share_them(jieba_tokenizer):
    tokens = list(word_tokens("中华人民共和国成立", jieba_tokenizer, with_subwords=True))
    assert ("中华人民共和国", 0, 0, 7) in tokens
    assert ("人民", 0, 2, 4) in tokens and ("共和国", 0, 4, 7) in tokens
    assert tokens[-1] == ("成立", 1, 7, 9)


def test_query_side_has_no_subwords(jieba_tokenizer):
    assert [t[0] for t in word_tokens("中华人民共和国成立", jieba_tokenizer, with_subwords=False)] == [
        "中华人民共和国",
        "成立",
    ]


def test_single_characters_latin_and_numbers_kept_punctuation_dropped(jieba_tokenizer):
    words = [
        (t[0], t[1]) for t in word_tokens("市科协与 AI 团队，2022年", jieba_tokenizer, with_subwords=False)
    ]
    assert words == [("市科协", 0), ("与", 1), ("ai", 2), ("团队", 3), ("2022", 4), ("年", 5)]


def test_query_units_join_characters_jieba_leaves_alone_side_by_side(jieba_tokenizer):
    # An unknown company name: jieba cuts 润银 into two single characters.
    assert query_units("润银制药", jieba_tokenizer) == [("润银", ["润", "银"]), ("制药", ["制药"])]
    # A character alone between words stays alone, and so do characters a space keeps apart.
    assert query_units("瑞安的科技", jieba_tokenizer) == [
        ("瑞安", ["瑞安"]),
        ("的", ["的"]),
        ("科技", ["科技"]),
    ]
    assert query_units("润 银", jieba_tokenizer) == [("润", ["润"]), ("银", ["银"])]
    assert query_units("a股 5g", jieba_tokenizer) == [("a", ["a"]), ("股", ["股"]), ("5g", ["5g"])]


def test_domain_words_stay_whole(jieba_tokenizer):
    words = [
        t[0] for t in word_tokens("青科会助力科创中国，赴瑞安平阳调研", jieba_tokenizer, with_subwords=False)
    ]
    assert words == ["青科会", "助力", "科创中国", "赴", "瑞安", "平阳", "调研"]


def test_bigrams_cross_spaces_but_not_punctuation():
    assert list(ngram_tokens("科技惠企 创新")) == [
        ("科技", 0, 0, 2),
        ("技惠", 1, 1, 3),
        ("惠企", 2, 2, 4),
        ("企创", 3, 3, 6),
        ("创新", 4, 5, 7),
    ]
    assert [t[0] for t in ngram_tokens("龙，AI-2022年")] == ["龙", "ai", "2022", "年"]


def test_whoosh_tokenizers_report_positions_and_offsets(domain):
    analyzer = ChineseWordAnalyzer(("青科会",))
    tokens = [
        (t.text, t.pos, t.startchar, t.endchar) for t in analyzer("青科会召开", positions=True, chars=True)
    ]
    assert tokens == [("青科会", 0, 0, 3), ("召开", 1, 3, 5)]
    query_side = [t.text for t in analyzer("中华人民共和国", mode="query")]
    assert query_side == ["中华人民共和国"]
    assert ChineseWordAnalyzer(("a",)) == ChineseWordAnalyzer(("a",)) != ChineseWordAnalyzer(("b",))


@pytest.mark.parametrize(
    "text",
    [
        "中华人民共和国成立，温州市科协召开2022年 科技 工作会议。",
        "5G基站 ABC-def 科技\u3000惠企 创新",
        "科",
        "",
        "，。",
    ],
)
def test_index_terms_are_the_analyzers_terms(text, jieba_tokenizer):
    terms, words = index_words(text, jieba_tokenizer)
    assert terms == [t[0] for t in word_tokens(text, jieba_tokenizer, with_subwords=True)]
    assert words == [t[0] for t in word_tokens(text, jieba_tokenizer, with_subwords=False)]
    assert ngram_terms(text) == [t[0] for t in ngram_tokens(text)]


def test_index_terms_of_the_whole_issue(seed_text, jieba_tokenizer):
    terms, _ = index_words(seed_text, jieba_tokenizer)
    assert terms == [t[0] for t in word_tokens(seed_text, jieba_tokenizer, with_subwords=True)]
    assert len(ngram_terms(seed_text)) == len(list(ngram_tokens(seed_text))) > 5000
    assert ngram_terms(seed_text) == [t[0] for t in ngram_tokens(seed_text)]


def bigram_phrase_matches(query: str, text: str) -> bool:
    """The old definition of a substring match: the query's bigram tokens at consecutive positions."""
    wanted = [token for token, *_ in ngram_tokens(query)]
    tokens = [token for token, *_ in ngram_tokens(text)]
    return any(tokens[i : i + len(wanted)] == wanted for i in range(len(tokens) - len(wanted) + 1))


def matches(query: str, title: str, body: str, part: str = "text") -> bool:
    title_part, _, text_part = match_text(title, body).partition(MATCH_PART_SEPARATOR)
    return match_pattern(query) in (title_part if part == "title" else text_part)


@pytest.mark.parametrize(
    "query, title, body, expected",
    [
        ("科技惠企 创新赋能", "", "科技惠企创新赋能", True),
        ("科技惠企创新赋能", "", "科技惠企 创新\n赋能", True),
        ("5g", "", "15g 网络", False),
        ("5G", "", "推进5G网络", True),
        ("5g网络", "", "15g网络", False),
        ("网络5g", "", "网络5g1", False),
        ("科技，创新", "", "科技、创新", True),
        ("科技，创新", "", "科技创新", False),
        ("科技，技术", "", "科技术", True),
        ("科技术", "", "科技；技术", True),
        ("科", "", "科技", False),
        ("科，技", "", "科 ，技", True),
        ("科，技", "", "科技", False),
        ("abc", "", "ABC def", True),
        ("科技创新", "", "科技。创新", False),
    ],
)
def test_match_text_keeps_bigram_phrase_semantics(query, title, body, expected):
    assert matches(query, title, body) is expected
    assert bigram_phrase_matches(query, title + "\n" + body) is expected


def test_title_part_holds_the_title_alone():
    assert matches("科技", "科技周", "正文", part="title")
    assert not matches("正文", "科技周", "正文", part="title")
    # The whole text runs on from the title into the body, as the bigram field does.
    assert matches("技周正", "科技周", "正文")
    assert not matches("技周正", "科技周", "正文", part="title")


def test_match_text_agrees_with_bigram_phrases_on_random_texts():
    rng = random.Random(7)
    alphabet = ["科", "技", "术", "5", "g", "G", "15", " ", "，", "\n", "a"]
    compared = 0
    for _ in range(20000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
        query = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 6)))
        tokens = [token for token, *_ in ngram_tokens(query)]
        if not tokens:
            continue
        if len(tokens) == 1 and len(tokens[0]) == 1 and not tokens[0].isascii():
            continue  # a lone character matches anywhere; the engine scans for it directly
        compared += 1
        assert matches(query, "", text) == bigram_phrase_matches(query, "\n" + text), (query, text)
    assert compared > 5000


def test_keyword_scorer_reads_jiebas_idf_table(domain):
    import jieba.analyse

    scorer, jiebas = KeywordScorer(domain), jieba.analyse.default_tfidf
    assert scorer.idf.median == jiebas.median_idf
    scorer.idf.prepare(jiebas.idf_freq)
    assert scorer.idf.values == jiebas.idf_freq
    assert set(jiebas.stop_words) <= scorer.stopwords
