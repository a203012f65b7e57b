"""The archive's own words with their article counts, looked up by pinyin (full, toned or initials) and by
sound or one character for "did you mean"; readings come from pypinyin's phrase dictionary."""

from __future__ import annotations

import re
import threading
import unicodedata
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from indexer.analysis import CJK_CHAR
from indexer.wordseg import dictionary_tags

CJK_WORD = re.compile(rf"[{CJK_CHAR}]{{2,}}")
# Letters, each syllable optionally followed by its tone digit (0 or 5 for the neutral tone), spaces or
# apostrophes between syllables (xi'an); tone marks are taken off before this is tried.
PINYIN_UNIT = re.compile(r"(?:[a-zv]+[0-5]?[\s']*)+")
# jieba's part-of-speech tags of people (nr, nrfg, nrt), places, organisations and other proper nouns.
PROPER_TAGS = ("nr", "ns", "nt", "nz")
# Initials one letter per character; two letters match every pair of characters so spelled (jb: 举办,
# 基本, 级别 …) and are as often an abbreviation of their own (AI, VR), so initials start at three.
MIN_INITIALS = 3
# Candidates of one key ordered names first; past these, by article count alone.
TAGGED_CANDIDATES = 50
ONE_CHARACTER_MIN = 3
# Combining macron, acute, caron and grave: the four tones once a toned letter is decomposed.
TONE_MARKS = frozenset("\u0304\u0301\u030c\u0300")

# pypinyin has no surname mode (mozillazg/python-pinyin#120, #297): its data lists every reading of a
# character, this table only says which of them a surname takes where it is not the first one listed
# (tests check each is among pypinyin's readings).
SURNAME_READINGS = {
    "单": "shan", "曾": "zeng", "区": "ou", "解": "xie", "仇": "qiu", "朴": "piao", "查": "zha",
    "盖": "ge", "乐": "yue", "缪": "miao", "覃": "qin", "尉": "yu", "翟": "zhai", "秘": "bi",
    "种": "chong", "繁": "po", "折": "she", "粘": "nian", "藏": "zang", "都": "du", "六": "lu",
    "召": "shao", "员": "yun", "洗": "xian", "句": "gou",
}  # fmt: skip


@dataclass(frozen=True)
class Pinyin:
    phrases: dict[str, list[list[str]]]  # phrase → each character's toned readings
    characters: dict[int, str]  # code point → its toned readings, comma-joined
    toneless: Callable[[str], str]
    segmenter: Any  # pypinyin's longest-match phrase segmenter (cut)


def pinyin() -> Pinyin:
    """pypinyin's dictionaries, imported on first use: importing them costs ~0.2 s of CPU (its phrase
    table is ~190,000 lists), which every `bulletin index` paid without reading any pinyin."""
    # The server's first query and the background preparation of a generation both come here. Two
    # threads importing pypinyin's submodules at once can each hold a module lock the other needs,
    # and Python then raises _DeadlockError in one of them; one import at a time avoids that.
    with _importing_pinyin:
        return _imported_pinyin()


_importing_pinyin = threading.Lock()


@cache
def _imported_pinyin() -> Pinyin:
    from pypinyin.constants import PHRASES_DICT, PINYIN_DICT
    from pypinyin.contrib.tone_convert import to_normal
    from pypinyin.seg.mmseg import seg

    return Pinyin(PHRASES_DICT, PINYIN_DICT, to_normal, seg)


@lru_cache(maxsize=4096)
def toneless(syllable: str) -> str:
    return pinyin().toneless(syllable)


@cache
def phrase_reading(phrase: str) -> tuple[str, ...]:
    return tuple(toneless(readings[0]) for readings in pinyin().phrases[phrase])


@cache
def character_reading(char: str) -> str | None:
    listed = pinyin().characters.get(ord(char))
    return None if listed is None else toneless(listed.partition(",")[0])


def syllables(word: str) -> list[str]:
    """The word's reading as lazy_pinyin(word) gives it (phrase readings from pypinyin's dictionary
    by its own longest-match segmentation, else each character's first reading), at a fraction of
    its cost: lazy_pinyin converts every syllable's style anew, and a lexicon reads 100k words."""
    data = pinyin()
    if word in data.phrases:
        return list(phrase_reading(word))
    result: list[str] = []
    for piece in data.segmenter.cut(word):
        if len(piece) > 1:
            result.extend(phrase_reading(piece))
            continue
        reading = character_reading(piece)
        if reading is None:
            return []
        result.append(reading)
    return result


def surname_syllables(word: str, ordinary: list[str]) -> list[str] | None:
    """The reading with the first character read as a surname, for a word of two or three characters
    that opens with one and is not a pypinyin phrase (单田芳, not 单位 or 单位制), else None."""
    if not 2 <= len(word) <= 3:
        return None
    surname = SURNAME_READINGS.get(word[0])
    data = pinyin()
    if surname in (None, ordinary[0]) or word in data.phrases or len(next(data.segmenter.cut(word))) > 1:
        return None
    return [surname, *ordinary[1:]]


def initials(reading: list[str]) -> tuple[str, ...]:
    """One letter per syllable (zsw), and with zh, ch, sh written out (zhsw), as people type either."""
    first = "".join([s[0] for s in reading])
    if not any(s[1:2] == "h" and s[0] in "zcs" for s in reading):
        return (first,)
    return first, "".join([s[:2] if s[1:2] == "h" and s[0] in "zcs" else s[0] for s in reading])


def typed_pinyin(latin: str) -> tuple[str, bool] | None:
    """The letters of a unit typed as pinyin, and whether it could be initials (no tone given), or
    None unless it is pinyin letters with optional tone marks, tone digits, spaces and apostrophes."""
    decomposed = unicodedata.normalize("NFD", latin.strip().lower())
    text = "".join(c for c in decomposed if c not in TONE_MARKS)
    toned = len(text) < len(decomposed)
    text = unicodedata.normalize("NFC", text).replace("ü", "v").replace("u:", "v")
    if not text or not PINYIN_UNIT.fullmatch(text):
        return None
    toned = toned or any(c.isdigit() for c in text)
    return re.sub(r"[\s'0-5]", "", text), not toned


# A reading's words: the word itself where it is the only one (most are), else a tuple; a list per
# key cost 10 MB more per 100k words.
Words = str | tuple[str, ...]


@dataclass(frozen=True)
class _Readings:
    """The pinyin tables of the words read so far, shared by a server's generations: an update's
    lexicon reads only its new words (reading all ~45,000 of 2,700 issues took 0.95 s of CPU, pausing
    requests while a new generation was prepared). A word a lexicon no longer holds stays; lookups
    skip it."""

    full: dict[str, Words]
    initials: dict[str, Words]
    words: frozenset[str]  # the words read into the tables

    def extended(self, words: Iterable[str]) -> _Readings:
        """These tables with the CJK words among words they have not read yet."""
        full: defaultdict[str, list[str]] = defaultdict(list)
        by_initials: defaultdict[str, list[str]] = defaultdict(list)
        read = [word for word in words if word not in self.words and CJK_WORD.fullmatch(word)]
        if not read:
            return self
        for word in read:
            for reading in word_readings(word):
                full["".join(reading)].append(word)
                for key in initials(reading):
                    listed = by_initials[key]
                    # 曾 read ceng and zeng gives 曾X one key twice when X opens with zh, ch, sh.
                    if not listed or listed[-1] != word:
                        listed.append(word)
        return _Readings(
            full=with_words(self.full, full),
            initials=with_words(self.initials, by_initials),
            words=self.words | set(read),
        )


NO_READINGS = _Readings({}, {}, frozenset())


@dataclass(frozen=True)
class _Tags:
    """jieba's tags of the words looked up so far, shared by a server's generations like _Readings."""

    tags: dict[str, str]  # word → tag, for the words jieba's dictionary holds
    looked_up: frozenset[str]

    def extended(self, words: Iterable[str]) -> _Tags:
        new = [word for word in words if word not in self.looked_up]
        if not new:
            return self
        return _Tags({**self.tags, **dictionary_tags(new)}, self.looked_up | set(new))


NO_TAGS = _Tags({}, frozenset())


def words_under(table: dict[str, Words], key: str) -> tuple[str, ...]:
    found = table.get(key, ())
    return (found,) if isinstance(found, str) else found


def with_words(table: dict[str, Words], added: dict[str, list[str]]) -> dict[str, Words]:
    """A copy of table with each key's added words after its own."""
    merged = dict(table)
    for key, words in added.items():
        merged[key] = compact([*words_under(table, key), *words])
    return merged


def compact(words: list[str]) -> Words:
    return words[0] if len(words) == 1 else tuple(words)


class Lexicon:
    """Words of the archive (Latin lower-cased) with the number of articles holding each. The pinyin
    and one-character tables are built on first use, each once: two threads that both find one missing
    both build it, and either result is the same."""

    def __init__(self, counts: dict[str, int], earlier: Lexicon | None = None):
        self._counts = counts
        self._readings: _Readings | None = None
        self._by_length: dict[int, _SortedWords] | None = None
        self._tags: _Tags | None = None
        # What an earlier lexicon (the generation answering while this one's is prepared) has read.
        self._earlier_readings = earlier._readings if earlier is not None else None
        self._earlier_tags = earlier._tags if earlier is not None else None

    @classmethod
    def build(cls, words: Iterable[tuple[str, int]], earlier: Lexicon | None = None) -> Lexicon:
        """The words with their counts; earlier: a lexicon whose tables this one's extend."""
        counts: dict[str, int] = {}
        for word, count in words:
            word = word.lower()
            if count > counts.get(word, 0):
                counts[word] = count
        return cls(counts, earlier)

    def __contains__(self, word: str) -> bool:
        return word.lower() in self._counts

    def __len__(self) -> int:
        return len(self._counts)

    def count(self, word: str) -> int:
        return self._counts.get(word.lower(), 0)

    def pinyin_words(self, latin: str, limit: int = 5) -> list[tuple[str, int]]:
        """The archive's CJK words read as latin spells them in full or by initials: names, places and
        organisations first, then full readings before initials, then by article count. [] for an
        archive word (AI), a single letter, or a spelling no archive word is read as."""
        typed = typed_pinyin(latin)
        if typed is None or latin.lower() in self or typed[0] in self:
            return []
        letters, could_be_initials = typed
        if len(letters) < 2:
            return []
        readings = self.readings()
        found = {word: True for word in words_under(readings.full, letters) if word in self._counts}
        if could_be_initials and len(letters) >= MIN_INITIALS:
            for word in words_under(readings.initials, letters):
                if word in self._counts:
                    found.setdefault(word, False)
        by_count = sorted(found, key=lambda w: (not found[w], -self._counts[w], w))[:TAGGED_CANDIDATES]
        if len(by_count) > 1:
            by_count.sort(key=lambda w: (not self.is_proper(w), not found[w], -self._counts[w], w))
        return [(word, self._counts[word]) for word in by_count[:limit]]

    def similar(self, word: str, limit: int = 5) -> list[tuple[str, int]]:
        """Archive words read the same (toneless) as word, then those differing from it in one
        character, each group by article count. Only a CJK word has either. Two-character words get
        homophones only: one character of two changed is another word (科协, 科技), not a slip."""
        if not CJK_WORD.fullmatch(word):
            return []
        readings = self.readings()
        sounding = {
            w for key in word_keys(word) for w in words_under(readings.full, key) if w in self._counts
        }
        sounding.discard(word)
        one_off: set[str] = set()
        if len(word) >= ONE_CHARACTER_MIN:
            one_off = self.one_character_off(word) - sounding
        ordered = sorted(sounding, key=self._by_count) + sorted(one_off, key=self._by_count)
        return [(w, self._counts[w]) for w in ordered[:limit]]

    def _by_count(self, word: str) -> tuple[int, str]:
        return -self._counts[word], word

    def readings(self) -> _Readings:
        if self._readings is None:
            self._readings = (self._earlier_readings or NO_READINGS).extended(self._counts)
            self._earlier_readings = None
        return self._readings

    def prepare(self) -> None:
        """Build the lookup tables now (a server does it when it opens an index generation), so no
        reader's first pinyin query or "did you mean" waits for them."""
        self.readings()
        self.one_character_off("")
        self.is_proper("")

    def one_character_off(self, word: str) -> set[str]:
        """Archive words of word's length differing from it in one character. Such a word shares
        word's first half or its second half whole, so two sorted lists (of the words, and of the
        words reversed) give the candidates by bisection: a wildcard key per character would cost
        four times the memory (40 MB for 100k words)."""
        if self._by_length is None:
            self._by_length = by_length(self._counts)
        sorted_words = self._by_length.get(len(word))
        if sorted_words is None:
            return set()
        half = len(word) // 2
        candidates = set(starting_with(sorted_words.forward, word[:half]))
        candidates.update(other[::-1] for other in starting_with(sorted_words.backward, word[half:][::-1]))
        return {other for other in candidates if sum(map(str.__ne__, other, word)) == 1}

    def is_proper(self, word: str) -> bool:
        """Whether the word is a name: tagged as a person, place, organisation or other proper noun in
        jieba's dictionary, or not in it at all (a name or term jieba found in this archive, 林建波,
        or one the settings add, 青科会)."""
        if self._tags is None:
            self._tags = (self._earlier_tags or NO_TAGS).extended(self._counts)
            self._earlier_tags = None
        tag = self._tags.tags.get(word)
        return tag is None or tag.startswith(PROPER_TAGS)


def word_readings(word: str) -> list[list[str]]:
    ordinary = syllables(word)
    if not ordinary or word[0] not in SURNAME_READINGS:
        return [ordinary] if ordinary else []
    surname = surname_syllables(word, ordinary)
    return [ordinary] if surname is None else [ordinary, surname]


def word_keys(word: str) -> list[str]:
    return ["".join(reading) for reading in word_readings(word)]


@dataclass
class _SortedWords:
    # Tuples, which a full garbage collection leaves out where it walks a list's every word.
    forward: tuple[str, ...]
    backward: tuple[str, ...]  # each word reversed


def by_length(counts: Iterable[str]) -> dict[int, _SortedWords]:
    groups: defaultdict[int, list[str]] = defaultdict(list)
    for word in counts:
        if len(word) >= ONE_CHARACTER_MIN and CJK_WORD.fullmatch(word):
            groups[len(word)].append(word)
    return {
        length: _SortedWords(tuple(sorted(words)), tuple(sorted(word[::-1] for word in words)))
        for length, words in groups.items()
    }


def starting_with(sorted_words: Sequence[str], prefix: str) -> Iterator[str]:
    index = bisect_left(sorted_words, prefix)
    while index < len(sorted_words) and sorted_words[index].startswith(prefix):
        yield sorted_words[index]
        index += 1
