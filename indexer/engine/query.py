"""The user's query syntax (AND, OR, NOT, "phrase", title:) into whoosh queries of substring leaves."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable

from whoosh import qparser
from whoosh import query as wq

from indexer.analysis import ngram_tokens, query_words
from indexer.engine.schema import NGRAM_FIELD
from indexer.expand import expand
from indexer.normalize import normalize_query
from indexer.wordseg import tokenizer_for_words


def _query_parser() -> qparser.QueryParser:
    parser = qparser.QueryParser("body", schema=None)
    # A "?" or "*" in Chinese text is punctuation, not a wildcard.
    parser.remove_plugin_class(qparser.WildcardPlugin)
    parser.add_plugin(qparser.PlusMinusPlugin())
    return parser


class SubstringLeaf(wq.Query):
    """One unit of the user's query: articles whose `part` ("title" or "text") contains `text`.

    Matching is exact substring matching (see QueryPlan.substring_docs). `words` are the same text
    as the word analyzer sees it: articles holding them as whole words in `word_fields` rank first.
    A `preferred` leaf does not restrict the result; its articles rank above the others.
    """

    def __init__(
        self, part: str, text: str, words: tuple[str, ...], word_fields: tuple[str, ...], preferred=False
    ):
        self.part, self.text, self.words = part, text, tuple(words)
        self.word_fields = tuple(word_fields)
        self.preferred = preferred
        self.boost = 1.0

    def _key(self):
        return (self.part, self.text, self.words, self.word_fields, self.preferred)

    def __eq__(self, other):
        return type(self) is type(other) and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def __repr__(self):
        return f"SubstringLeaf({self.part!r}, {self.text!r}, words={self.words!r})"

    def field(self):
        return NGRAM_FIELD

    def is_leaf(self):
        return True

    def normalize(self):
        return self

    def grams(self) -> list[str]:
        return [gram for gram, *_ in ngram_tokens(self.text)]

    def word_terms(self) -> list[wq.Term]:
        return [wq.Term(name, word) for name in self.word_fields for word in self.words]


QUOTE = re.compile(r'(:?)"([^"]*)"')
# whoosh turns a quoted single word into a plain Term, losing the quotes; a placeholder keeps them.
QUOTE_PLACEHOLDER = re.compile(r"qqquote(\d+)qqq")


# The placeholder is plain text a user can type too; what the user typed that looks like one is stashed
# as itself, so every placeholder in the parsed query is one of ours.
STASHED = re.compile(QUOTE.pattern + "|" + QUOTE_PLACEHOLDER.pattern, re.IGNORECASE)


def _stash_quotes(text: str) -> tuple[str, list[str]]:
    quoted: list[str] = []

    def stash(match: re.Match) -> str:
        is_quote = match.group(2) is not None
        quoted.append(match.group(2) if is_quote else match.group(0))
        placeholder = f"qqquote{len(quoted) - 1}qqq"
        if not is_quote:
            return placeholder
        return f":{placeholder}" if match.group(1) else f" {placeholder} "

    return STASHED.sub(stash, text), quoted


class QueryBuilder:
    """User query syntax (AND, OR, NOT, "phrase", title:) into whoosh queries with substring recall.

    The text is normalized as document text is (normalize_query), and each unit expanded once
    (indexer.expand): its forms become an Or of leaves.
    """

    def __init__(self, words: Iterable[str]):
        self.words = tuple(words)
        self.parser = _query_parser()
        self._quoted: list[str] = []

    def parse(self, text: str) -> tuple[wq.Query, list[str]]:
        """The query and the strings to highlight. Empty text means every article."""
        text = normalize_query(text)
        if not text:
            return wq.Every(), []
        # The server's threads share this builder: each parse expands with its own copy, so one
        # query's stashed quotes are never read by another's.
        builder = copy.copy(self)
        text, builder._quoted = _stash_quotes(text)
        try:
            parsed = self.parser.parse(text)
        except Exception:  # noqa: BLE001 - whoosh's parser raises assorted errors on odd syntax
            parsed = wq.NullQuery
        highlights: list[str] = []
        built = builder._expand(parsed, highlights, negated=False)
        if built is wq.NullQuery:
            plain = wq.And([wq.Term("body", part) for part in text.split()])
            built = builder._expand(plain, highlights, False)
        return built, list(dict.fromkeys(h for h in highlights if h))

    def _expand(self, node: wq.Query, highlights: list[str], negated: bool) -> wq.Query:
        if isinstance(node, wq.Term):
            quoted = QUOTE_PLACEHOLDER.fullmatch(str(node.text))
            if quoted:
                return self._leaf(
                    node.fieldname, self._quoted[int(quoted.group(1))], True, highlights, negated
                )
            text = QUOTE_PLACEHOLDER.sub(lambda m: self._quoted[int(m.group(1))], str(node.text))
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

    def _leaf(
        self, field_name: str, text: str, quoted: bool, highlights: list[str], negated: bool
    ) -> wq.Query:
        if field_name == "title":
            part, word_fields = "title", ["title"]
        elif field_name in ("body", "text", "content"):
            part, word_fields = "text", ["title", "body"]
        else:
            # "http://x" or "5:30" is not a field prefix we know: search the whole text.
            text = f"{field_name}:{text}"
            part, word_fields = "text", ["title", "body"]
        tokenizer = tokenizer_for_words(self.words)
        if quoted:
            units = [(text, query_words(text, tokenizer))]
            all_units = 1
        else:
            units = [(word, [word]) for word in query_words(text, tokenizer)]
            all_units = len(units)
            if any(len(word) > 1 for word, _ in units):
                # jieba leaves unknown names in single characters (盛派 → 盛 派); as separate units they
                # would match almost every article and cost a lexicon scan each. The run as typed
                # still ranks first through the preferred leaf below.
                units = [(word, words) for word, words in units if len(word) > 1 or word.isascii()]
        parts = []
        for unit, words in units:
            if not any(True for _ in ngram_tokens(unit)):
                continue
            forms = expand(unit)
            if not negated:
                highlights.extend(forms)
                if not quoted and len(units) > 1:
                    highlights.append(text)
            leaves = [SubstringLeaf(part, unit, tuple(words), tuple(word_fields))]
            for form in forms[1:]:
                form_words = query_words(form, tokenizer) if quoted else [form]
                leaves.append(SubstringLeaf(part, form, tuple(form_words), tuple(word_fields)))
            # An article holding any form of the unit matches it.
            parts.append(leaves[0] if len(leaves) == 1 else wq.Or(leaves))
        if not parts:
            return wq.NullQuery
        if quoted or (len(parts) == 1 and all_units == 1):
            return parts[0]
        # An unquoted run such as 林建波瑞安 matches when all its words occur anywhere, but the
        # articles holding the run itself, as typed, rank above the rest.
        whole = SubstringLeaf(part, text, (), tuple(word_fields), preferred=True)
        return wq.AndMaybe(wq.And(parts) if len(parts) > 1 else parts[0], whole)
