"""The old name of indexer.wordseg, left only for indexer/store.py's import while that file is split
into indexer/engine/ (issue 12); delete it once store.py is gone."""

from indexer.wordseg import tokenizer_for_words

__all__ = ["tokenizer_for_words"]
