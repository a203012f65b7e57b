"""Words of jieba's own dictionary (`jieba/dict.txt`: word, frequency, part of speech) for the realistic
vocabulary of bench.generate: each seed word a class stands for, and pools to draw its replacements
from, by that frequency.
"""

from __future__ import annotations

import bisect
import itertools
import random
import re
from dataclasses import dataclass
from pathlib import Path

import jieba

# Parts of speech whose words carry an article's subject; the rest (particles, pronouns, numerals,
# prepositions, conjunctions, locatives) are the seed's own and stay. Names (nr), places (ns) and
# organisations (nt) come from the generated pools instead.
WORD_CLASSES = {
    "n": "noun",
    "nz": "noun",
    "vn": "verbal noun",
    "v": "verb",
    "a": "adjective",
    "ad": "adjective",
    "an": "adjective",
    "d": "adverb",
    "i": "idiom",
    "l": "idiom",
}
WORD_LENGTHS = (2, 3, 4)
# Below this a dictionary word is a rarity of the corpus jieba counted, not of institutional prose.
MIN_FREQUENCY = 20
# Steepens the dictionary's frequencies: a bulletin returns to the same few hundred words far more
# than the news jieba counted does. With REPLACED_SHARE 0.5 this gives 270 issues about 127,000
# distinct bigrams and 17,500 distinct words (1.5 and 1.0 give 150,000+ and 25,000+; 2.0, 14,000 words).
FREQUENCY_EXPONENT = 1.7
# Characters that would let a drawn word be read as something the layout means: a date (月, 日),
# an issue number (期), a department (科协) or the bulletin's vague brief openings (近期).
RESERVED = re.compile(r"[月日期]|科协|近期|^[市县区镇乡村]|[市县区]$")
SIMPLIFIED = re.compile(r"^[\u4e00-\u9fa5]+$")


def dictionary_path() -> Path:
    return Path(jieba.__file__).with_name("dict.txt")


def is_simplified(word: str) -> bool:
    """Only characters of GB 2312, the simplified set the bulletin is typed in."""
    try:
        word.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return SIMPLIFIED.match(word) is not None


@dataclass
class Pool:
    """Words of one class and length, drawn with probability proportional to frequency^exponent."""

    words: list[str]
    cumulative: list[float]

    def draw(self, rng: random.Random) -> str:
        return self.words[bisect.bisect(self.cumulative, rng.random() * self.cumulative[-1])]

    def commonest(self) -> list[str]:
        """The words, the most likely drawn first."""
        weights = [high - low for low, high in itertools.pairwise([0.0, *self.cumulative])]
        return [word for _, word in sorted(zip(weights, self.words, strict=True), key=lambda pair: -pair[0])]


@dataclass
class Dictionary:
    """The class of every dictionary word, and the pools to replace a word of a class and length."""

    classes: dict[str, str]
    pools: dict[tuple[str, int], Pool]

    def replacement_pool(self, word: str) -> Pool | None:
        word_class = self.classes.get(word)
        return self.pools.get((word_class, len(word))) if word_class else None


def load_dictionary(forbidden: re.Pattern) -> Dictionary:
    """Every word of jieba's dictionary with a content class; pools hold those fit to print, that is
    common enough, simplified, and matching neither RESERVED nor forbidden (the place names)."""
    classes: dict[str, str] = {}
    entries: dict[tuple[str, int], list[tuple[str, float]]] = {}
    with dictionary_path().open(encoding="utf-8") as lines:
        for line in lines:
            word, frequency, tag = line.split()
            word_class = WORD_CLASSES.get(tag)
            if word_class is None:
                continue
            classes[word] = word_class
            if (
                len(word) in WORD_LENGTHS
                and int(frequency) >= MIN_FREQUENCY
                and is_simplified(word)
                and not RESERVED.search(word)
                and not forbidden.search(word)
            ):
                entries.setdefault((word_class, len(word)), []).append(
                    (word, int(frequency) ** FREQUENCY_EXPONENT)
                )
    pools = {
        key: Pool([word for word, _ in words], list(itertools.accumulate(weight for _, weight in words)))
        for key, words in sorted(entries.items())
    }
    return Dictionary(classes, pools)
