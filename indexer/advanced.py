"""The advanced search form's fields into the ordinary query string (indexer.engine.query's syntax)."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A quoted group or a run of anything but spaces and quotes: what a user types into one box.
TERM = re.compile(r'"([^"]*)"|([^\s"]+)')
# Words the query parser reads as operators, and a term that starts with - or + or holds syntax characters:
# such a word typed into a box is quoted so that it is searched for, not obeyed.
OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"}
SYNTAX = re.compile(r"^[-+]|[\s():\[\]{}^~<>\'\\]")


@dataclass(frozen=True)
class AdvancedQuery:
    all_words: str = ""
    phrase: str = ""
    any_words: str = ""
    none_words: str = ""
    title_only: bool = False


def terms(text: str) -> list[str]:
    """What one box holds: its words, a "quoted group" kept as one term; stray quotes dropped."""
    found = []
    for match in TERM.finditer(text):
        term = (match.group(1) if match.group(1) is not None else match.group(2)).strip()
        if term:
            found.append(" ".join(term.split()))
    return found


def quoted(term: str, title_only: bool = False) -> str:
    """The term as the query syntax reads it literally: quoted when it would otherwise be syntax."""
    written = f'"{term}"' if term in OPERATORS or SYNTAX.search(term) else term
    return f"title:{written}" if title_only else written


def build_query(fields: AdvancedQuery) -> str:
    """The ordinary query string: all words (AND), "the phrase", (any OR words), NOT each unwanted word."""
    title = fields.title_only
    parts = [quoted(term, title) for term in terms(fields.all_words)]
    phrase = " ".join(fields.phrase.replace('"', " ").split())
    if phrase:
        parts.append(f'title:"{phrase}"' if title else f'"{phrase}"')
    alternatives = [quoted(term, title) for term in terms(fields.any_words)]
    if len(alternatives) == 1:
        parts.append(alternatives[0])
    elif alternatives:
        parts.append(f"({' OR '.join(alternatives)})")
    parts += [f"NOT {quoted(term, title)}" for term in terms(fields.none_words)]
    return " ".join(parts)


def filter_values(text: str) -> list[str]:
    """A filter box's values: separated by spaces, commas or 、 (as a list of names is written)."""
    return [value for value in re.split(r"[\s,，、;；]+", text) if value]
