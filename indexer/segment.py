"""One jieba tokenizer per domain, with the gazetteer and the bulletin's recurring terms in its dictionary."""

from __future__ import annotations

import logging
from functools import lru_cache

import jieba

from indexer.settings import Domain

# jieba prints "Building prefix dict..." through its own logger at INFO on every process start.
jieba.setLogLevel(logging.WARNING)

# High enough that a place name beats the dictionary's words that contain it (瑞安市 over 安市).
USER_WORD_FREQUENCY = 200_000


def domain_words(domain: Domain) -> tuple[str, ...]:
    words = [spelling for place in domain.places for spelling in place.spellings]
    words.extend(domain.departments)
    words.extend(domain.user_words)
    return tuple(dict.fromkeys(words))


@lru_cache(maxsize=8)
def tokenizer_for_words(words: tuple[str, ...]) -> jieba.Tokenizer:
    """A private jieba.Tokenizer, so the global one (and other users of jieba) stay untouched."""
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for word in words:
        tokenizer.add_word(word, freq=USER_WORD_FREQUENCY)
    return tokenizer


def tokenizer_for(domain: Domain) -> jieba.Tokenizer:
    return tokenizer_for_words(domain_words(domain))
