"""How a query is read: its text normalized and folded to simplified characters, and each unit's other
forms (synonyms, the archive's words for a pinyin spelling, an issue designator); every reading that
changes what is searched is kept as a Reading, so the pages and the JSON can show it and undo it."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

from indexer.normalize import normalize_query, to_simplified, to_traditional
from indexer.parse import numeral_value

TRADITIONAL, SYNONYM, PINYIN, FIELD = "traditional", "synonym", "pinyin", "field"
# The record fields an unqualified query unit also matches, and the field prefixes a query may use.
RECORD_FIELDS = ("department", "county", "issue")
# A record field matches a unit of at least this many characters: one character (市, 部) is inside
# nearly every department and county name.
RECORD_MIN_CHARS = 2
# Pinyin spellings with their tone marks; a digit after a syllable is its tone too (lin2).
PINYIN_LETTERS = "a-zA-ZāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüÜêÊ"
# A word after a field prefix is the field's value, which only title: searches as text (title:linjianbo).
# A colon only in u: (ü typed without the key).
LATIN_WORD = re.compile(
    rf"(?:(?<=title:)|(?<![\w:]))[{PINYIN_LETTERS}](?:u:|[{PINYIN_LETTERS}1-5])*(?![\w:])"
)
# whoosh's operators are never pinyin, and a run of Latin words is not read across them.
OPERATORS = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"})
# At most this many words are read together as one spelling (lin jian bo is three).
MAX_PINYIN_WORDS = 6
# How many of the archive's words one pinyin spelling is searched as, best first.
PINYIN_FORMS = 5
# 第5期, 总第270期, 2022年第5期, 第五期: an issue of the bulletin, matched against the issue's record.
ISSUE_DESIGNATOR = re.compile(
    r"(?:(?P<year>(?:19|20)\d{2})\s*年\s*)?(?P<total>总\s*)?第\s*"
    r"(?P<number>\d{1,4}|[〇○零一二三四五六七八九十百]{1,6})\s*期"
)


class Lexicon(Protocol):
    """The archive's own words (indexer.lexicon.Lexicon), as the readings use them."""

    def __contains__(self, word: str) -> bool: ...

    def pinyin_words(self, latin: str, limit: int = 5) -> list[tuple[str, int]]: ...

    def similar(self, word: str, limit: int = 5) -> list[tuple[str, int]]: ...


@dataclass(frozen=True)
class Reading:
    """One way the query was read besides its literal text: `text` as typed, searched `forms` too."""

    text: str
    forms: tuple[str, ...]
    why: str  # TRADITIONAL, SYNONYM, PINYIN or FIELD

    def to_dict(self) -> dict:
        return {"text": self.text, "as": list(self.forms), "why": self.why}


@dataclass(frozen=True)
class IssueRef:
    """An issue as a query names it: its number in the year, its running number, or both with a year."""

    number: int | None = None
    total: int | None = None
    year: int | None = None

    def matches(self, number: int, total: int, year: int) -> bool:
        return (
            (self.number is None or self.number == number)
            and (self.total is None or self.total == total)
            and (self.year is None or self.year == year)
        )

    def label(self) -> str:
        if self.total is not None:
            return f"总第{self.total}期"
        return f"{self.year}年第{self.number}期" if self.year else f"第{self.number}期"


def issue_ref(text: str) -> IssueRef | None:
    """The issue a designator such as 总第270期 or 2022年第五期 names, or None for other text."""
    match = ISSUE_DESIGNATOR.fullmatch(text.strip())
    if match is None:
        return None
    value = numeral_value(match.group("number").replace("○", "〇"))
    year = int(match.group("year")) if match.group("year") else None
    return IssueRef(total=value, year=year) if match.group("total") else IssueRef(number=value, year=year)


def fold(text: str) -> str:
    """A term as queries and documents are compared: normalized, in simplified characters, Latin lower-cased."""
    return to_simplified(normalize_query(text)).lower()


class Expander:
    """The settings' share of reading a query: synonym groups and the county names people write."""

    def __init__(self, synonyms: Iterable[Iterable[str]] = (), places: Iterable[tuple[str, ...]] = ()):
        groups: dict[str, tuple[str, ...]] = {}
        for group in synonyms:
            members = tuple(dict.fromkeys(fold(term) for term in group if fold(term)))
            # A term in two groups takes both: the groups merge for it, as a reader would expect.
            for term in members:
                groups[term] = tuple(dict.fromkeys((*groups.get(term, ()), *members)))
        self.groups = groups
        terms = sorted((term for term in groups if len(term) > 1), key=len, reverse=True)
        self.protected = re.compile(
            "|".join([ISSUE_DESIGNATOR.pattern, *(re.escape(term) for term in terms)]), re.IGNORECASE
        )
        # Official county name → every spelling of it (瑞安市 → 瑞安市, 瑞安).
        self.place_spellings = {spellings[0]: tuple(spellings) for spellings in places if spellings}

    def fold_query(self, text: str, literal: bool) -> tuple[str, list[Reading]]:
        """The query normalized; unless literal, in simplified characters, each changed word a Reading."""
        text = normalize_query(text)
        if literal:
            return text, []
        simplified = to_simplified(text)
        if simplified == text:
            return text, []
        typed, folded = text.split(" "), simplified.split(" ")
        if len(typed) != len(folded):
            return simplified, [Reading(text, (simplified,), TRADITIONAL)]
        readings = [
            Reading(before.strip('"'), (after.strip('"'),), TRADITIONAL)
            for before, after in zip(typed, folded, strict=True)
            if before != after
        ]
        return simplified, readings

    @staticmethod
    def highlighted(forms: list[str]) -> list[str]:
        """The forms to mark in a snippet: each as searched, then in traditional characters, as an
        article printed in them shows it (an article is searched in simplified form, shown as printed)."""
        return list(dict.fromkeys([*forms, *map(to_traditional, forms)]))

    def synonyms(self, unit: str) -> tuple[str, ...]:
        """The other members of the unit's synonym groups."""
        return tuple(term for term in self.groups.get(unit.lower(), ()) if term != unit.lower())

    def protected_spans(self, text: str) -> Iterator[tuple[int, int]]:
        """Where the text holds a synonym term or an issue designator, which jieba must not split:
        世界青年科学家峰会 would reach the synonym table as 世界 青年 科学家 峰会."""
        if not self.groups and "期" not in text:
            return
        for match in self.protected.finditer(text):
            yield match.start(), match.end()


def pinyin_spans(text: str, lexicon: Lexicon | None) -> list[tuple[int, int, tuple[str, ...]]]:
    """(start, end, words) of each run of Latin words that spells the archive's words in pinyin
    (linjianbo, lin jian bo, lín jiàn bō, ljb), longest run first from the left; a Latin word of the
    archive (AI) or a run that spells nothing is left as it is."""
    if lexicon is None:
        return []
    words = [match for match in LATIN_WORD.finditer(text) if match.group(0) not in OPERATORS]
    # Words separated by spaces alone may be one spelling; anything else between them ends it.
    joined = [
        not text[left.end() : right.start()].strip() for left, right in zip(words, words[1:], strict=False)
    ]
    spans, i = [], 0
    while i < len(words):
        last = i
        while last + 1 < len(words) and last - i + 1 < MAX_PINYIN_WORDS and joined[last]:
            last += 1
        for j in range(last + 1, i, -1):
            start, end = words[i].start(), words[j - 1].end()
            found = lexicon.pinyin_words(text[start:end], limit=PINYIN_FORMS)
            if found:
                spans.append((start, end, tuple(word for word, _ in found)))
                i = j
                break
        else:
            i += 1
    return spans


def suggestion_queries(text: str, lexicon: Lexicon | None, limit: int = 3) -> list[str]:
    """Queries to offer for one that found nothing: the text with one of its Chinese runs (or a part
    of one) replaced by an archive word that sounds the same or differs by one character, the rest of
    the query kept as typed."""
    if lexicon is None:
        return []
    found: dict[str, int] = {}
    for match in re.finditer(r"[\u3400-\u9fff]{2,}", text):
        run = match.group(0)
        if run in lexicon:
            continue
        for size in range(min(len(run), 8), 1, -1):
            for offset in range(len(run) - size + 1):
                part = run[offset : offset + size]
                if size < len(run) and part in lexicon:
                    continue
                for word, count in lexicon.similar(part, limit=limit):
                    replaced = text[: match.start() + offset] + word + text[match.start() + offset + size :]
                    found[replaced] = max(found.get(replaced, 0), count)
            if found:
                break
    ordered = sorted(found, key=lambda q: -found[q])
    return ordered[:limit]
