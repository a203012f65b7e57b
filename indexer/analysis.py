"""Chinese text into search tokens, without whoosh: jieba words with ordinal positions, and CJK bigrams.

Each token is (text, position, start_char, end_char). Positions count words, not characters, so phrase
queries work; character offsets are kept for highlighting.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import jieba

Token = tuple[str, int, int, int]

CJK_CHAR = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
# A CJK run may contain spaces: PDFs and web pages break titles with stray spaces, and a user who types
# "科技惠企创新赋能" still means "科技惠企 创新赋能".
NGRAM_UNIT = re.compile(rf"(?P<cjk>[{CJK_CHAR}](?:\s*[{CJK_CHAR}])*)|(?P<latin>[A-Za-z0-9]+)")


def is_word(text: str) -> bool:
    """False for whitespace and punctuation, which jieba returns as tokens of their own."""
    return any(unicodedata.category(char)[0] in "LN" for char in text)


def word_tokens(text: str, tokenizer: jieba.Tokenizer, with_subwords: bool) -> Iterator[Token]:
    """jieba words in precise mode; with_subwords adds the dictionary words inside longer words.

    The sub-words share their parent's position, so 中华人民共和国 is found by 人民 and 共和国 while a
    phrase query still sees one position per word. The query side asks without sub-words.
    """
    frequencies = tokenizer.FREQ
    position = 0
    for word, start, end in tokenizer.tokenize(text, HMM=True):
        if not is_word(word):
            continue
        yield word.lower(), position, start, end
        if with_subwords and len(word) > 2:
            for size in (2, 3):
                for offset in range(len(word) - size + 1):
                    part = word[offset : offset + size]
                    if frequencies.get(part) and part != word:
                        yield part, position, start + offset, start + offset + size
        position += 1


def ngram_tokens(text: str) -> Iterator[Token]:
    """Overlapping CJK bigrams (a lone character as itself) and lowercased Latin words and numbers.

    Any string of two or more CJK characters in the text is a run of consecutive bigrams here, so a
    phrase query over bigrams finds exactly the texts that contain the string, whatever jieba makes of it.
    """
    position = 0
    for match in NGRAM_UNIT.finditer(text):
        if match.group("latin"):
            yield match.group(0).lower(), position, match.start(), match.end()
            position += 1
            continue
        chars = [(match.start() + i, c) for i, c in enumerate(match.group(0)) if not c.isspace()]
        if len(chars) == 1:
            offset, char = chars[0]
            yield char, position, offset, offset + 1
            position += 1
            continue
        for (left_offset, left), (right_offset, right) in zip(chars, chars[1:], strict=False):
            yield left + right, position, left_offset, right_offset + 1
            position += 1


def query_words(text: str, tokenizer: jieba.Tokenizer) -> list[str]:
    """The words of one unquoted query term, as the index side would see them without sub-words."""
    return [word for word, *_ in word_tokens(text, tokenizer, with_subwords=False)]


class PreAnalyzed(str):
    """Text whose tokens were computed ahead (in a worker process), handed to whoosh as a field value.

    It is a str because whoosh replays a tuple or list value as one token per item at consecutive
    positions; the analyzer sees this class and replays its tokens, positions and offsets instead.
    """

    tokens: tuple[Token, ...]

    def __new__(cls, text: str, tokens: Iterable[Token]):
        value = super().__new__(cls, text)
        value.tokens = tuple(tokens)
        return value

    def __reduce__(self):
        return PreAnalyzed, (str(self), self.tokens)


@dataclass(frozen=True)
class ArticleAnalysis:
    """Everything the index needs from jieba for one article, computed in one pass over its text."""

    title_words: PreAnalyzed
    body_words: PreAnalyzed
    title_ngrams: PreAnalyzed
    ngrams: PreAnalyzed
    keywords: tuple[str, ...]


def searchable_text(title: str, body: str) -> str:
    return title + "\n" + body


def analyze_article(
    title: str, body: str, tokenizer: jieba.Tokenizer, keywords: Callable[[list[str]], list[str]]
) -> ArticleAnalysis:
    body_words = PreAnalyzed(body, word_tokens(body, tokenizer, with_subwords=True))
    title_words = PreAnalyzed(title, word_tokens(title, tokenizer, with_subwords=True))
    text = searchable_text(title, body)
    return ArticleAnalysis(
        title_words=title_words,
        body_words=body_words,
        title_ngrams=PreAnalyzed(title, ngram_tokens(title)),
        ngrams=PreAnalyzed(text, ngram_tokens(text)),
        keywords=tuple(keywords(whole_words(title_words.tokens) + whole_words(body_words.tokens))),
    )


def whole_words(tokens: tuple[Token, ...]) -> list[str]:
    """The words themselves, without the sub-words that follow them at the same position."""
    words, previous = [], -1
    for text, position, _, _ in tokens:
        if position != previous:
            words.append(text)
            previous = position
    return words


# The bigram field's phrase semantics as plain text, so a candidate is verified with one substring test:
# runs (CJK without inner whitespace, Latin and digits lowercased) between single spaces.
MATCH_UNIT_SEPARATOR = " "
# Between the title's match text and the whole article's, so `title:` verifies against the title alone.
MATCH_PART_SEPARATOR = "\n"


def _match_runs(text: str) -> list[str]:
    runs: list[str] = []
    for match in NGRAM_UNIT.finditer(text):
        if match.group("latin"):
            runs.append(match.group(0).lower())
            continue
        run = "".join(char for char in match.group(0) if not char.isspace())
        if len(run) > 1 and runs and len(runs[-1]) > 1 and runs[-1][-1] == run[0]:
            # The bigrams of 科技 then 技术 are the bigrams of 科技术: one run, so one string.
            runs[-1] += run[1:]
        else:
            runs.append(run)
    return runs


def _joined_runs(text: str) -> str:
    return MATCH_UNIT_SEPARATOR + MATCH_UNIT_SEPARATOR.join(_match_runs(text)) + MATCH_UNIT_SEPARATOR


def match_text(title: str, body: str) -> str:
    """An article as its title's runs, then the whole text's runs (see match_pattern)."""
    return _joined_runs(title) + MATCH_PART_SEPARATOR + _joined_runs(searchable_text(title, body))


def match_pattern(text: str) -> str:
    """What a text's part of match_text contains exactly when its ngram_tokens hold the query's
    tokens at consecutive positions. A Latin word or a lone character must be a whole run, so it
    keeps its separators; a CJK run may start or end inside a longer one."""
    runs = _match_runs(text)
    if not runs:
        return ""
    whole = [run.isascii() or len(run) == 1 for run in (runs[0], runs[-1])]
    return (
        (MATCH_UNIT_SEPARATOR if whole[0] else "")
        + MATCH_UNIT_SEPARATOR.join(runs)
        + (MATCH_UNIT_SEPARATOR if whole[1] else "")
    )
