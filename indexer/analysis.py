"""Chinese text into search tokens, without whoosh: jieba words with ordinal positions, and CJK bigrams.

Each token is (text, position, start_char, end_char). Positions count words, not characters, so phrase
queries work; character offsets are kept for highlighting.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from weakref import WeakKeyDictionary

import jieba

from indexer.normalize import squeeze, to_simplified
from indexer.people import find_people
from indexer.settings import Domain
from indexer.wordseg import idf_table

Token = tuple[str, int, int, int]
KEYWORD_COUNT = 5

CJK_CHAR = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
# A CJK run may contain spaces: PDFs and web pages break titles with stray spaces, and a user who types
# "科技惠企创新赋能" still means "科技惠企 创新赋能".
NGRAM_UNIT = re.compile(rf"(?P<cjk>[{CJK_CHAR}](?:\s*[{CJK_CHAR}])*)|(?P<latin>[A-Za-z0-9]+)")


# Letters and numbers of any script (Unicode categories L and N): \w without the underscore.
WORD_CHARACTER = re.compile(r"[^\W_]")


def is_word(text: str) -> bool:
    """False for whitespace and punctuation, which jieba returns as tokens of their own."""
    return WORD_CHARACTER.search(text) is not None


def subwords(word: str, frequencies: dict[str, int]) -> Iterator[tuple[str, int]]:
    """The dictionary words of two or three characters inside a longer word, with their offsets."""
    if len(word) > 2:
        for size in (2, 3):
            for offset in range(len(word) - size + 1):
                part = word[offset : offset + size]
                if part != word and frequencies.get(part):
                    yield part, offset


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
        if with_subwords:
            for part, offset in subwords(word, frequencies):
                yield part, position, start + offset, start + offset + len(part)
        position += 1


def index_words(text: str, tokenizer: jieba.Tokenizer) -> tuple[list[str], list[str]]:
    """The terms word_tokens(with_subwords=True) gives, without positions and offsets, which
    indexing does not need and which cost a generator step per word; and the words alone."""
    known = _word_terms.setdefault(tokenizer, {})
    if len(known) > WORD_TERMS_LIMIT:
        known.clear()
    terms, words = [], []
    for word in tokenizer.cut(text, HMM=True):
        word_terms = known.get(word)
        if word_terms is None:
            word_terms = known[word] = _terms_of(word, tokenizer.FREQ)
        if word_terms:
            words.append(word_terms[0])
            terms += word_terms
    return terms, words


# The terms of each word a tokenizer has cut, as the same words recur article after article. A word's
# sub-words stay the same: the FREQ entries inside it were there once a text holding it was cut.
_word_terms: WeakKeyDictionary[jieba.Tokenizer, dict[str, tuple[str, ...]]] = WeakKeyDictionary()
WORD_TERMS_LIMIT = 500_000


def _terms_of(word: str, frequencies: dict[str, int]) -> tuple[str, ...]:
    """The word lowercased and its sub-words; nothing for punctuation and whitespace."""
    if not is_word(word):
        return ()
    return (word.lower(), *(part for part, _ in subwords(word, frequencies)))


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


def _run_ngrams(runs: list[str]) -> list[str]:
    """The texts of ngram_tokens over these runs, built a run at a time."""
    # A Latin run is one term; a CJK run is its bigrams, or itself if one character. Runs that
    # _match_runs joined (科技 + 技术) give the same bigrams joined as apart.
    terms: list[str] = []
    for run in runs:
        terms.extend(map(str.__add__, run[:-1], run[1:]) if len(run) > 1 and not run.isascii() else (run,))
    return terms


def query_words(text: str, tokenizer: jieba.Tokenizer) -> list[str]:
    """The words of one unquoted query term, as the index side would see them without sub-words."""
    return [word for word, *_ in word_tokens(text, tokenizer, with_subwords=False)]


def query_units(text: str, tokenizer: jieba.Tokenizer) -> list[tuple[str, list[str]]]:
    """(unit, its words) of one unquoted query term: jieba's words, except that characters jieba
    leaves standing alone side by side are one unit. jieba splits a name it does not know into
    single characters (润银制药 → 润 银 制药); apart, 润 and 银 would each match almost anything."""
    units: list[tuple[str, list[str]]] = []
    joined_end = -1
    for word, _, start, end in word_tokens(text, tokenizer, with_subwords=False):
        alone = len(word) == 1 and not word.isascii()
        if alone and start == joined_end:
            unit, words = units[-1]
            units[-1] = (unit + word, [*words, word])
        else:
            units.append((word, [word]))
        joined_end = end if alone else -1
    return units


@dataclass(frozen=True)
class ArticleAnalysis:
    """Everything the index needs from jieba for one article, computed in one pass over its text:
    the terms of each field as whoosh would count them (sub-words included) and the keywords."""

    title_words: tuple[str, ...]
    body_words: tuple[str, ...]
    ngrams: tuple[str, ...]
    keywords: tuple[str, ...]
    match_text: str  # see _match_text()
    people: tuple[str, ...] = ()  # bare names, see people.find_people()
    person_roles: tuple[tuple[str, str], ...] = ()  # (name, office printed before it)


def searchable_text(title: str, body: str) -> str:
    return title + "\n" + body


def analyze_article(
    title: str, body: str, tokenizer: jieba.Tokenizer, keywords: Callable[[list[str]], list[str]]
) -> ArticleAnalysis:
    """An article in traditional characters is analysed as simplified too (normalize.to_simplified):
    its words are the simplified text's, its bigrams and match text hold both forms, so a search in
    either script finds it. Title and body themselves are stored as printed."""
    simple_title, simple_body = to_simplified(title), to_simplified(body)
    title_terms, title_words = index_words(simple_title, tokenizer)
    body_terms, body_words = index_words(simple_body, tokenizer)
    runs = _match_runs(searchable_text(title, body))
    forms = [(title, runs)]
    ngrams = _run_ngrams(runs)
    if simple_title != title or simple_body != body:
        simple_runs = _match_runs(searchable_text(simple_title, simple_body))
        forms.append((simple_title, simple_runs))
        printed = set(ngrams)
        ngrams += [gram for gram in _run_ngrams(simple_runs) if gram not in printed]
    people, person_roles = find_people(simple_title, simple_body, tokenizer)
    return ArticleAnalysis(
        title_words=tuple(title_terms),
        body_words=tuple(body_terms),
        ngrams=tuple(ngrams),
        keywords=tuple(keywords(title_words + body_words)),
        match_text=_match_text(forms),
        people=people,
        person_roles=person_roles,
    )


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
        run = squeeze(match.group(0))
        if len(run) > 1 and runs and len(runs[-1]) > 1 and runs[-1][-1] == run[0]:
            # The bigrams of 科技 then 技术 are the bigrams of 科技术: one run, so one string.
            runs[-1] += run[1:]
        else:
            runs.append(run)
    return runs


def _joined_runs(runs: list[str]) -> str:
    return MATCH_UNIT_SEPARATOR + MATCH_UNIT_SEPARATOR.join(runs) + MATCH_UNIT_SEPARATOR


def _match_text(forms: list[tuple[str, list[str]]]) -> str:
    """An article as its title's runs, then the whole text's runs (see match_pattern), in each of its
    forms: (title, runs of title and body) as printed, then simplified if that differs. Each form's
    runs start and end with a separator, so two meet at a double one, which no pattern holds: nothing
    matches across two forms."""
    titles = "".join(_joined_runs(_match_runs(title)) for title, _ in forms)
    return titles + MATCH_PART_SEPARATOR + "".join(_joined_runs(runs) for _, runs in forms)


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


# The English words jieba's TF-IDF extractor never ranks, so keywords stay what it would choose.
ENGLISH_STOP_WORDS = frozenset(
    "the of is and to in that we for an are by be as on with can if from which you it this then at "
    "have all not one has or".split()
)


class KeywordScorer:
    """jieba's TF-IDF ranking (its IDF table, its rules) over words already segmented.

    The IDF values come from wordseg.idf_table rather than jieba.analyse, whose import also loads
    jieba's part-of-speech tagger. The bulletin's own stock phrases (config.yaml keyword_stopwords)
    never count.
    """

    def __init__(self, domain: Domain):
        self.idf = idf_table()
        self.stopwords = ENGLISH_STOP_WORDS | set(domain.keyword_stopwords)

    def __call__(self, words: list[str]) -> list[str]:
        counts = Counter(w for w in words if len(w) > 1 and not w.isdigit() and w not in self.stopwords)
        self.idf.prepare(counts)
        values, median = self.idf.values, self.idf.median
        weight = {w: counts[w] * values.get(w, median) for w in counts}
        return sorted(counts, key=lambda w: (-weight[w], w))[:KEYWORD_COUNT]


@lru_cache(maxsize=4)
def keyword_scorer(domain: Domain) -> KeywordScorer:
    return KeywordScorer(domain)
