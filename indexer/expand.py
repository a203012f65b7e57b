"""Query-term expansion: the forms a query unit matches besides itself (synonyms, traditional →
simplified, pinyin, as later work fills the tables); an article holding any form matches the unit."""

from __future__ import annotations

# A unit → its other forms. Empty for now: the tables come from config.yaml and data files later. Keys
# are as query units reach expand(): normalized (normalize_query), Latin words in lower case.
SYNONYMS: dict[str, tuple[str, ...]] = {}


def expand(term: str) -> tuple[str, ...]:
    """The term first, then each other form once."""
    return tuple(dict.fromkeys((term, *SYNONYMS.get(term, ()))))
