"""The user's query syntax (AND, OR, NOT, "phrase", title:) into whoosh queries of substring leaves."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from whoosh import qparser
from whoosh import query as wq

from indexer.analysis import ngram_tokens, query_units, query_words
from indexer.engine.schema import NGRAM_FIELD
from indexer.expand import (
    PINYIN,
    RECORD_FIELDS,
    RECORD_MIN_CHARS,
    SYNONYM,
    Expander,
    IssueRef,
    Lexicon,
    Reading,
    issue_ref,
    pinyin_spans,
)
from indexer.wordseg import tokenizer_for_words


def _query_parser() -> qparser.QueryParser:
    parser = qparser.QueryParser("body", schema=None)
    # A "?" or "*" in Chinese text is punctuation, not a wildcard.
    parser.remove_plugin_class(qparser.WildcardPlugin)
    parser.add_plugin(qparser.PlusMinusPlugin())
    return parser


class _OwnLeaf(wq.Query):
    """A query node of ours that whoosh treats as a leaf: equal by `_key()`, already normal."""

    boost = 1.0

    def _key(self) -> tuple:
        raise NotImplementedError

    def __eq__(self, other):
        return type(self) is type(other) and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def __repr__(self):
        return f"{type(self).__name__}{self._key()!r}"

    def is_leaf(self):
        return True

    def normalize(self):
        return self


class SubstringLeaf(_OwnLeaf):
    """One unit of the user's query: articles whose `part` ("title" or "text") contains `text`.

    Matching is exact substring matching (see QueryPlan.substring_docs). `words` are the same text
    as the word analyzer sees it: articles holding them as whole words in `word_fields` rank first.
    A `preferred` leaf does not restrict the result; its articles rank above the others.
    """

    def __init__(
        self,
        part: str,
        text: str,
        words: tuple[str, ...],
        word_fields: tuple[str, ...],
        preferred=False,
        how: str = "",
    ):
        self.part, self.text, self.words = part, text, tuple(words)
        self.word_fields = tuple(word_fields)
        self.preferred = preferred
        self.how = how  # "" for the text as typed, else the Reading.why that gave this form

    def _key(self):
        return (self.part, self.text, self.words, self.word_fields, self.preferred, self.how)

    def field(self):
        return NGRAM_FIELD

    def grams(self) -> list[str]:
        return [gram for gram, *_ in ngram_tokens(self.text)]

    def word_terms(self) -> list[wq.Term]:
        return [wq.Term(name, word) for name in self.word_fields for word in self.words]


class RecordLeaf(_OwnLeaf):
    """Articles whose record (department, counties, issue) holds `text` in one of `fields`, or whose
    issue is `issue`."""

    def __init__(self, text: str, fields: tuple[str, ...], issue: IssueRef | None = None):
        self.text, self.fields, self.issue = text, tuple(fields), issue

    def _key(self):
        return (self.text, self.fields, self.issue)

    def field(self):
        return None


class Unit(_OwnLeaf):
    """One unit of the query with every form it matches: `leaves` in the text (the unit as typed, then
    its synonyms or the words its pinyin spells), and the record, which ranks below the text."""

    def __init__(self, text: str, leaves: Iterable[SubstringLeaf], record: RecordLeaf | None = None):
        self.text, self.leaves, self.record = text, tuple(leaves), record

    def _key(self):
        return (self.text, self.leaves, self.record)

    def field(self):
        return NGRAM_FIELD


@dataclass
class ParsedQuery:
    query: wq.Query
    highlights: list[str]
    readings: list[Reading] = field(default_factory=list)


QUOTE = re.compile(r'(:?)"([^"]*)"')
# whoosh turns a quoted single word into a plain Term, losing the quotes; a placeholder keeps them.
QUOTE_PLACEHOLDER = re.compile(r"qqquote(\d+)qqq")


# The placeholder is plain text a user can type too; what the user typed that looks like one is stashed
# as itself, so every placeholder in the parsed query is one of ours.
STASHED = re.compile(QUOTE.pattern + "|" + QUOTE_PLACEHOLDER.pattern, re.IGNORECASE)
PLACEHOLDER_SPLIT = re.compile(r"(qqquote\d+qqq)")
LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f]")
QUOTED, AS_TYPED, SPELLED = "quoted", "as typed", "pinyin"


@dataclass(frozen=True)
class Stashed:
    kind: str  # QUOTED, AS_TYPED (a placeholder look-alike the user typed) or SPELLED (pinyin)
    text: str
    words: tuple[str, ...] = ()  # the archive's words a pinyin spelling stands for


def _stash_quotes(text: str) -> tuple[str, list[Stashed]]:
    stashed: list[Stashed] = []

    def stash(match: re.Match) -> str:
        is_quote = match.group(2) is not None
        stashed.append(Stashed(QUOTED, match.group(2)) if is_quote else Stashed(AS_TYPED, match.group(0)))
        placeholder = f"qqquote{len(stashed) - 1}qqq"
        if not is_quote:
            return placeholder
        return f":{placeholder}" if match.group(1) else f" {placeholder} "

    return STASHED.sub(stash, text), stashed


def _stash_pinyin(text: str, stashed: list[Stashed], lexicon: Lexicon | None) -> str:
    """Each run of Latin words outside quotes that spells archive words in pinyin becomes one
    placeholder, so the parser keeps lin jian bo together and jieba never splits lín into letters."""
    pieces = []
    for piece in PLACEHOLDER_SPLIT.split(text):
        if QUOTE_PLACEHOLDER.fullmatch(piece):
            pieces.append(piece)
            continue
        last = 0
        for start, end, words in pinyin_spans(piece, lexicon):
            stashed.append(Stashed(SPELLED, piece[start:end], words))
            # Spaces keep the placeholder a term of its own, but not after -, + or ( or title:, which
            # bind to it.
            opening = "" if piece[start - 1 : start] in ("-", "+", "(", ":") else " "
            pieces += [piece[last:start], f"{opening}qqquote{len(stashed) - 1}qqq "]
            last = end
        pieces.append(piece[last:])
    return "".join(pieces)


class QueryBuilder:
    """User query syntax (AND, OR, NOT, "phrase", title:, department:, county:, issue:) into whoosh
    queries of units, each matched by substring in the text and, unqualified, in the record.

    The text is read once (indexer.expand): normalized and folded to simplified characters, pinyin
    spellings and synonyms turned into the archive's words, issue designators into issues; each
    reading is returned beside the query. A literal query is only normalized.
    """

    def __init__(self, words: Iterable[str], expander: Expander | None = None):
        self.words = tuple(words)
        self.expander = expander or Expander()
        self.parser = _query_parser()
        self._stashed: list[Stashed] = []
        self._readings: list[Reading] = []
        self._literal = False

    def parse(
        self, text: str, lexicon: Callable[[], Lexicon | None] = lambda: None, literal: bool = False
    ) -> ParsedQuery:
        """The query, the strings to highlight and the readings. Empty text means every article."""
        text, readings = self.expander.fold_query(text, literal)
        if not text:
            return ParsedQuery(wq.Every(), [], readings)
        # The server's threads share this builder: each parse expands with its own copy, so one
        # query's stashed quotes are never read by another's.
        builder = copy.copy(self)
        builder._literal, builder._readings = literal, readings
        text, builder._stashed = _stash_quotes(text)
        if not literal and LATIN_LETTER.search(QUOTE_PLACEHOLDER.sub("", text)):
            text = _stash_pinyin(text, builder._stashed, lexicon())
        try:
            parsed = self.parser.parse(text)
        except Exception:  # noqa: BLE001 - whoosh's parser raises assorted errors on odd syntax
            parsed = wq.NullQuery
        highlights: list[str] = []
        built = builder._expand(parsed, highlights, negated=False)
        if built is wq.NullQuery:
            # A lone negation (-瑞安) is no query to whoosh: its words are read as plain words.
            plain = wq.And([wq.Term("body", part.lstrip("+-") or part) for part in text.split()])
            built = builder._expand(plain, highlights, False)
        highlights = [h for h in highlights if h]
        if not literal:
            highlights = self.expander.highlighted(highlights)
        return ParsedQuery(built, list(dict.fromkeys(highlights)), builder._readings)

    def _expand(self, node: wq.Query, highlights: list[str], negated: bool) -> wq.Query:
        if isinstance(node, wq.Term):
            placeholder = QUOTE_PLACEHOLDER.fullmatch(str(node.text))
            if placeholder:
                stashed = self._stashed[int(placeholder.group(1))]
                if stashed.kind == SPELLED:
                    return self._spelled(node.fieldname, stashed, highlights, negated)
                return self._leaf(node.fieldname, stashed.text, True, highlights, negated)
            text = QUOTE_PLACEHOLDER.sub(lambda m: self._stashed[int(m.group(1))].text, str(node.text))
            return self._leaf(node.fieldname, text, False, highlights, negated)
        if isinstance(node, wq.Phrase):
            return self._leaf(node.fieldname, " ".join(node.words), True, highlights, negated)
        if isinstance(node, wq.Not):
            return wq.Not(self._expand(node.query, highlights, True))
        if isinstance(node, wq.AndNot):
            return wq.AndNot(
                self._expand(node.a, highlights, negated), self._expand(node.b, highlights, True)
            )
        if node.is_leaf():
            # Ranges, prefixes and the like: read their text as plain words.
            return self._leaf(
                "body", " ".join(str(t) for _, t in node.iter_all_terms()), False, highlights, negated
            )
        return node.apply(lambda child: self._expand(child, highlights, negated)).normalize()

    @staticmethod
    def _part(field_name: str) -> tuple[str, tuple[str, ...]]:
        return ("title", ("title",)) if field_name == "title" else ("text", ("title", "body"))

    def _units(self, text: str) -> tuple[list[tuple[str, list[str], bool]], int]:
        """(unit, its words, whole) of unquoted text: jieba's words, but a synonym term or an issue
        designator whole, as typed; and how many units there were before lone characters left."""
        tokenizer = tokenizer_for_words(self.words)
        pieces, last = [], 0
        spans = [] if self._literal else list(self.expander.protected_spans(text))
        for start, end in spans:
            pieces += [(text[last:start], False), (text[start:end], True)]
            last = end
        pieces.append((text[last:], False))
        units = []
        for piece, whole in pieces:
            if whole:
                # Ranked as one word, as its synonyms are (see _leaf): jieba's parts of 世界青年科学家峰会
                # or of 第5期 are common words whose postings cost more to score than they tell.
                units.append((piece.lower(), [piece.lower()], True))
            else:
                units += [(unit, words, False) for unit, words in query_units(piece, tokenizer)]
        all_units = len(units)
        if any(len(unit) > 1 for unit, _, _ in units):
            # A character standing alone between words (瑞安的科技) would match almost every
            # article and cost a lexicon scan. The run as typed still ranks first (see _leaf).
            units = [(unit, words, whole) for unit, words, whole in units if len(unit) > 1 or unit.isascii()]
        return units, all_units

    @staticmethod
    def _record(field_name: str, text: str) -> wq.Query:
        """department:科普部, county:瑞安, issue:总第270期 (or issue:270, the running number)."""
        text = text.strip()
        issue = issue_ref(text) if field_name == "issue" else None
        if field_name == "issue" and issue is None and text.isdecimal():
            issue = IssueRef(total=int(text))
        if field_name == "issue" and issue is None:
            return wq.NullQuery
        return RecordLeaf(text.lower(), (field_name,), issue)

    def _leaf(
        self, field_name: str, text: str, quoted: bool, highlights: list[str], negated: bool
    ) -> wq.Query:
        if field_name in RECORD_FIELDS:
            return self._record(field_name, text)
        if field_name not in ("title", "body", "text", "content"):
            # "http://x" or "5:30" is not a field prefix we know: search the whole text.
            text = f"{field_name}:{text}"
            field_name = "body"
        part, word_fields = self._part(field_name)
        tokenizer = tokenizer_for_words(self.words)
        if quoted:
            units, all_units = [(text, query_words(text, tokenizer), True)], 1
        else:
            units, all_units = self._units(text)
        parts = []
        for unit, words, _ in units:
            if not any(True for _ in ngram_tokens(unit)):
                continue
            leaves = [SubstringLeaf(part, unit, tuple(words), word_fields)]
            record = None
            if not quoted and not self._literal:
                synonyms = self.expander.synonyms(unit)
                if synonyms:
                    self._readings.append(Reading(unit, synonyms, SYNONYM))
                # A synonym ranks as one word: split into jieba's words (世界 青年 科学家 峰会), its
                # common parts would outscore the unit as typed.
                leaves += [SubstringLeaf(part, form, (form,), word_fields, how=SYNONYM) for form in synonyms]
                issue = issue_ref(unit)
                if issue is not None:
                    record = RecordLeaf(unit, ("issue",), issue)
                elif part == "text" and len(unit) >= RECORD_MIN_CHARS:
                    record = RecordLeaf(unit.lower(), ("department", "county"))
            if not negated:
                highlights.extend(leaf.text for leaf in leaves)
                if not quoted and len(units) > 1:
                    highlights.append(text)
            parts.append(Unit(unit, leaves, record))
        if not parts:
            return wq.NullQuery
        if quoted or (len(parts) == 1 and all_units == 1):
            return parts[0]
        # An unquoted run such as 林建波瑞安 matches when all its words occur anywhere, but the
        # articles holding the run itself, as typed, rank above the rest.
        whole = SubstringLeaf(part, text, (), tuple(word_fields), preferred=True)
        return wq.AndMaybe(wq.And(parts) if len(parts) > 1 else parts[0], whole)

    def _spelled(self, field_name: str, stashed: Stashed, highlights: list[str], negated: bool) -> wq.Query:
        """A pinyin spelling: the archive's words it spells, the best of them ranked first."""
        part, word_fields = self._part(field_name)
        self._readings.append(Reading(stashed.text, stashed.words, PINYIN))
        if not negated:
            highlights.extend(stashed.words)
        leaves = [SubstringLeaf(part, word, (word,), word_fields, how=PINYIN) for word in stashed.words]
        unit = Unit(stashed.text, leaves)
        if len(leaves) == 1:
            return unit
        best = SubstringLeaf(part, stashed.words[0], (), word_fields, preferred=True)
        return wq.AndMaybe(unit, best)
