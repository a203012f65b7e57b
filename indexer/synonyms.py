"""Candidate synonym pairs mined from the archive's own prose: where a text states a short form of a
name (世界青年科学家峰会（以下简称“青科会”）, 温州市科学技术协会（市科协）, 青科会（世界青年科学家峰会）)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import jieba

from indexer.settings import MAX_SYNONYM_LENGTH, synonym_term

jieba.setLogLevel(logging.WARNING)

MAX_SHORT = 10
MAX_FULL = MAX_SYNONYM_LENGTH  # a longer full name could not be pasted into config.yaml
EXCERPT_CONTEXT = 8
QUOTES = {"“": "”", "「": "」", "『": "』", '"': '"', "‘": "’", "'": "'", "《": "》"}
CLOSING_QUOTES = {close: open_ for open_, close in QUOTES.items()}
QUOTE_CHARS = "".join(QUOTES) + "".join(QUOTES.values())
QUOTED = re.compile("|".join(f"{re.escape(o)}[^{re.escape(c)}]*{re.escape(c)}" for o, c in QUOTES.items()))
BRACKET = re.compile(r"[（(]([^（）()\n]{1,60})[）)]")
# Said inside the bracket or after a comma: the short form follows (全称 …: the full name follows).
SHORT_MARKER = re.compile(r"(?:以下简称|下文简称|以下称|下称|简称|又称|亦称|俗称)为?\s*[：:]?\s*")
FULL_MARKER = re.compile(r"(?:全称|全名)为?\s*[：:]?\s*")
# Outside a bracket the markers that also start ordinary words (以下称号, 全称赞) need a quote after them.
OPEN_MARKER = re.compile(
    r"[，,]?\s*(?:(?P<short>(?:以下|下文)?简称)为?\s*[：:]?\s*(?=[^\s，,。；;：:])"
    r"|(?P<short_quoted>以下称|下称|又称|亦称|俗称)为?\s*[：:]?\s*(?=[“「『\"‘《])"
    r"|(?P<full>全称|全名)为?\s*[：:]?\s*(?=[“「『\"‘《]))"
)
# What ends the phrase a name is read from, looking back from its bracket: sentence and clause
# punctuation, brackets, and a line end (each paragraph is a line).
BOUNDARY = set("。，,；;：:、！!？?（）()【】\n\t…—")
# The characters a term may hold besides CJK ideographs, Latin letters and digits.
TERM = re.compile(r"[\u3400-\u9fff\uf900-\ufaffA-Za-z0-9·\- ]+")
CJK_OR_LATIN = re.compile(r"[\u3400-\u9fffA-Za-z]")
# jieba parts of speech that may stand in a name left of where the short form's characters start:
# nouns (n, nr, ns, nt, nz…), abbreviations (j), distinguishing words (b), verbal nouns (vn), set
# phrases (l, i), Latin (eng). Verbs, prepositions, particles, numerals, pronouns, adverbs and time
# words (召开, 在, 的, 第二届, 我市, 近日) end the name instead.
NAME_TAGS = ("n", "j", "b", "vn", "l", "eng")


@dataclass(frozen=True)
class Candidate:
    short: str
    full: str
    count: int  # how many times the archive states the pair
    example: str  # where it was first stated, a short excerpt

    def to_dict(self) -> dict:
        return {"short": self.short, "full": self.full, "count": self.count, "example": self.example}


@dataclass(frozen=True)
class Statement:
    short: str
    full: str
    start: int
    end: int


def mine(texts: Iterable[str], known: Iterable[Iterable[str]] = ()) -> list[Candidate]:
    """The pairs the texts state, most often stated first (then in the order first met), leaving out
    pairs whose two terms are already in one group of `known`."""
    group_of = {term: number for number, group in enumerate(known) for term in map(synonym_term, group)}
    counts: dict[tuple[str, str], int] = {}
    examples: dict[tuple[str, str], str] = {}
    for text in texts:
        for statement in statements(text):
            key = (statement.short, statement.full)
            if key[0] in group_of and group_of[key[0]] == group_of.get(key[1]):
                continue
            counts[key] = counts.get(key, 0) + 1
            examples.setdefault(key, excerpt(text, statement.start, statement.end))
    order = {key: place for place, key in enumerate(counts)}
    ranked = sorted(counts, key=lambda key: (-counts[key], order[key]))
    return [Candidate(short, full, counts[short, full], examples[short, full]) for short, full in ranked]


def statements(text: str) -> list[Statement]:
    """Every pair of short form and full name the text states, in the order they stand."""
    found = []
    brackets = list(BRACKET.finditer(text))
    for bracket in brackets:
        statement = _bracketed(text, bracket)
        if statement is not None:
            found.append(statement)
    inside = [range(b.start(), b.end()) for b in brackets]
    for marker in OPEN_MARKER.finditer(text):
        if not any(marker.start() in span for span in inside):
            statement = _unbracketed(text, marker)
            if statement is not None:
                found.append(statement)
    return sorted(found, key=lambda s: s.start)


def _bracketed(text: str, bracket: re.Match) -> Statement | None:
    content, start, end = bracket.group(1).strip(), bracket.start(), bracket.end()
    if marked := SHORT_MARKER.match(content):
        short = _term(_unquoted(content[marked.end() :]), MAX_SHORT)
        full = short and _full_before(text, start, short, stated=True)
        return full and _statement(short, full[0], full[1], end)
    if marked := FULL_MARKER.match(content):
        full_name = _term(_unquoted(content[marked.end() :]), MAX_FULL)
        short = full_name and _short_before(text, start, full_name, stated=True)
        return short and _statement(short[0], full_name, short[1], end)
    # No marker: only the short form's characters standing in order in the full name tell an
    # abbreviation (温州市科学技术协会（市科协）) from what else a bracket holds after a name: a
    # place (温州（瑞安）), a department signing (（市科协学会部）), a title (（人才办）), a date.
    bare = _term(_unquoted(content), MAX_FULL)
    if bare is None or re.search(r"\d", bare):
        return None
    if len(bare) <= MAX_SHORT and (full := _full_before(text, start, bare, stated=False)):
        return _statement(bare, full[0], full[1], end)
    if short := _short_before(text, start, bare, stated=False):
        return _statement(short[0], bare, short[1], end)
    return None


def _unbracketed(text: str, marker: re.Match) -> Statement | None:
    """世界青年科学家峰会，简称青科会 / 青科会，全称“世界青年科学家峰会”."""
    after = marker.end()
    stated, end = _stated_after(text, after)
    if marker.group("full"):
        full_name = _term(stated, MAX_FULL)
        short = full_name and _short_before(text, marker.start(), full_name, stated=True)
        return short and _statement(short[0], full_name, short[1], end)
    short = _term(stated, MAX_SHORT)
    full = short and _full_before(text, marker.start(), short, stated=True)
    return full and _statement(short, full[0], full[1], end)


def _stated_after(text: str, start: int) -> tuple[str, int]:
    """The term right after a marker outside brackets: a quoted one, else up to the next punctuation."""
    if text[start : start + 1] in QUOTES:
        close = text.find(QUOTES[text[start]], start + 1)
        return (text[start + 1 : close], close + 1) if close > 0 else ("", start)
    run = TERM.match(text, start)
    return (run.group(0), run.end()) if run else ("", start)


def _statement(short: str, full: str, start: int, end: int) -> Statement | None:
    short, full = synonym_term(short), synonym_term(full)
    if len(short) >= len(full) or short in full or not CJK_OR_LATIN.search(short):
        return None
    return Statement(short, full, start, end)


def _unquoted(text: str) -> str:
    text = text.strip()
    if len(text) > 2 and QUOTES.get(text[0]) == text[-1]:
        text = text[1:-1]
    return text


def _term(text: str, longest: int) -> str | None:
    text = text.strip()
    return text if 2 <= len(text) <= longest and TERM.fullmatch(text) else None


def _phrase_before(text: str, end: int) -> tuple[int, str]:
    """Where the phrase before `end` starts, and the phrase: back to clause punctuation or to an
    opening quote left open, at most MAX_FULL characters of it counted without quotes."""
    start, unclosed, kept = end, [], 0
    while start > 0 and kept < MAX_FULL:
        char = text[start - 1]
        if char in CLOSING_QUOTES and not (char in QUOTES and unclosed and unclosed[-1] == char):
            unclosed.append(CLOSING_QUOTES[char])
        elif char in QUOTES:
            if not unclosed or unclosed[-1] != char:
                break
            unclosed.pop()
        elif char in BOUNDARY and not unclosed:
            break
        else:
            kept += 1
        start -= 1
    return start, text[start:end]


def _pieces(phrase: str) -> list[tuple[str, str]]:
    """(word, part of speech): a quoted span is one name, whatever its words."""
    pieces = []
    last = 0
    for match in QUOTED.finditer(phrase):
        pieces += _tagged(phrase[last : match.start()])
        pieces.append((match.group(0), "nz"))
        last = match.end()
    return pieces + _tagged(phrase[last:])


@lru_cache(maxsize=4096)
def _tagged_cached(text: str) -> tuple[tuple[str, str], ...]:
    # Imported here: its tables cost every `bulletin` command and the server 0.4 s and 50 MB at import.
    import jieba.posseg

    return tuple((pair.word, pair.flag) for pair in jieba.posseg.cut(text))


def _tagged(text: str) -> list[tuple[str, str]]:
    return list(_tagged_cached(text)) if text else []


def _in_order(short: str, full: str) -> int | None:
    """Where short's first character stands in full when its characters are matched in order from
    the right (the latest such start), or None if they do not all stand there in order."""
    position = len(full)
    for char in reversed(short):
        position = full.rfind(char, 0, position)
        if position < 0:
            return None
    return position


def _full_before(text: str, end: int, short: str, stated: bool) -> tuple[str, int] | None:
    """The full name that ends at `end`, and where it starts.

    The phrase back to the punctuation is trimmed to whole jieba words: the name keeps every word
    from the one holding the short form's first character (matched in order from the right: the
    characters of 青科会 in 世界青年科学家峰会, of 市科协 in 温州市科学技术协会), so no word an
    abbreviation draws on is cut off, and reaches further left over name-like words only (世界 in
    世界青年…, not 召开 or 第二届). Without a marker such as 简称, the characters in order are the only
    evidence that the bracket holds an abbreviation at all, so a phrase without them gives nothing.
    """
    start, phrase = _phrase_before(text, end)
    anchor = _in_order(synonym_term(short), _strip_quotes(phrase).lower())
    if anchor is None and not stated:
        return None
    pieces = _pieces(phrase)
    offsets, position = [], 0
    for word, _ in pieces:
        offsets.append(position)
        position += len(_strip_quotes(word))
    first = len(pieces) if anchor is None else max(i for i, offset in enumerate(offsets) if offset <= anchor)
    while first > 0 and pieces[first - 1][1].startswith(NAME_TAGS):
        first -= 1
    if first == len(pieces):
        return None
    name = "".join(word for word, _ in pieces[first:])
    return _strip_quotes(name), start + sum(len(word) for word, _ in pieces[:first])


def _short_before(text: str, end: int, full: str, stated: bool) -> tuple[str, int] | None:
    """The short form that ends at `end` (青科会 in 召开青科会（世界青年科学家峰会）), and where it starts:
    a quoted term, else the longest tail whose characters stand in order in the full name (or with
    a marker such as 全称, the last jieba word)."""
    start, phrase = _phrase_before(text, end)
    if phrase[-1:] in CLOSING_QUOTES:
        opening = phrase.rfind(CLOSING_QUOTES[phrase[-1]], 0, len(phrase) - 1)
        short = _term(phrase[opening + 1 : -1], MAX_SHORT) if opening >= 0 else None
        if short and (stated or _in_order(synonym_term(short), synonym_term(full)) is not None):
            return short, start + opening
        return None
    longest = 0
    for length in range(1, min(len(phrase), MAX_SHORT) + 1):
        if _in_order(synonym_term(phrase[-length:]), synonym_term(full)) is None:
            break
        longest = length
    if longest < 2 and stated:
        words = _tagged(phrase)
        longest = len(words[-1][0]) if words else 0
    short = _term(phrase[len(phrase) - longest :], MAX_SHORT) if longest >= 2 else None
    return (short, end - longest) if short else None


def _strip_quotes(text: str) -> str:
    return text.translate({ord(char): None for char in QUOTE_CHARS})


def excerpt(text: str, start: int, end: int) -> str:
    """The statement with a little of its line on either side, marked … where the line goes on."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    left, right = max(line_start, start - EXCERPT_CONTEXT), min(line_end, end + EXCERPT_CONTEXT)
    return ("…" if left > line_start else "") + text[left:right] + ("…" if right < line_end else "")
