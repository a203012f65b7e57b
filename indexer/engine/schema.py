"""The index schema and the whoosh document of an article.

The schema, analyzers included, is pickled into the index, so the analyzers must stay importable from
this module; an index whose schema names another module is rebuilt (see w3.open_current_index).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from whoosh.analysis import Token, Tokenizer
from whoosh.columns import VarBytesColumn
from whoosh.fields import COLUMN, ID, STORED, TEXT, Schema

from indexer.analysis import ArticleAnalysis, ngram_tokens, word_tokens
from indexer.wordseg import tokenizer_for_words

FACETS = ("county", "department", "kind", "year", "month", "keyword")
FACET_SEPARATOR = "\x1f"
VALUE_SEPARATOR = "\x1e"
# The bigrams that give a substring leaf its candidates; the title's are in it too.
NGRAM_FIELD = "ngram"
SCORED_FIELDS = ("title", "body")
# Written by the index writer: analysis.match_text of each article, utf-8.
MATCH_TEXT_COLUMN = "match_text"


class _TupleTokenizer(Tokenizer):
    """The whoosh side of our tokenizers: our (text, position, start, end) tuples as whoosh Tokens.

    Indexing never calls these (SegmentBuilder counts terms computed in worker processes); they
    describe the fields in the schema and serve whoosh's own query-time analysis.
    """

    def tokens(self, text: str, mode: str):
        raise NotImplementedError

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode)
        for text, position, start, end in self.tokens(value, mode):
            token.text = text
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = text
            if positions:
                token.pos = start_pos + position
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token


class JiebaTokenizer(_TupleTokenizer):
    """jieba words with ordinal positions; sub-words at index time only (see analysis.word_tokens)."""

    def __init__(self, words: Iterable[str] = ()):
        self.words = tuple(words)

    def __eq__(self, other):
        return type(self) is type(other) and self.words == other.words

    def tokens(self, text: str, mode: str):
        return word_tokens(text, tokenizer_for_words(self.words), with_subwords=mode != "query")


class NgramTokenizer(_TupleTokenizer):
    """CJK bigrams and Latin words (see analysis.ngram_tokens)."""

    def __eq__(self, other):
        return type(self) is type(other)

    def tokens(self, text: str, mode: str):
        return ngram_tokens(text)


def ChineseWordAnalyzer(words: Iterable[str] = ()) -> JiebaTokenizer:  # noqa: N802 - whoosh's naming
    return JiebaTokenizer(words)


def BigramAnalyzer() -> NgramTokenizer:  # noqa: N802 - whoosh's naming
    return NgramTokenizer()


def make_schema(words: Iterable[str]) -> Schema:
    """Only what whoosh searches is indexed: the text fields, the article id (looked up) and the issue
    id (deleted by). Filters and facets run on the facets column, so the rest is only stored."""
    words = tuple(words)
    return Schema(
        id=ID(stored=True, unique=True),
        issue_id=ID(stored=True),
        kind=STORED(),
        ordinal=STORED(),
        title=TEXT(analyzer=ChineseWordAnalyzer(words), stored=True, phrase=False),
        body=TEXT(analyzer=ChineseWordAnalyzer(words), stored=True, phrase=False),
        # Bigrams only find candidates for a substring; the match itself is checked on the text.
        ngram=TEXT(analyzer=BigramAnalyzer(), phrase=False),
        date=STORED(),
        department=STORED(),
        counties=STORED(),
        keywords=STORED(),
        issue_number=STORED(),
        issue_total=STORED(),
        issue_date=STORED(),
        sources=STORED(),
        page=STORED(),
        content_hash=STORED(),
        # Every facet value of the article in one column, read in one pass to build the facet table.
        facets=COLUMN(VarBytesColumn()),
        **{MATCH_TEXT_COLUMN: COLUMN(VarBytesColumn())},
    )


def article_document(
    issue, article, analysis: ArticleAnalysis, content_hash: str
) -> tuple[dict, dict[str, tuple[str, ...]]]:
    """The whoosh document of one article, and the terms jieba found for its text fields."""
    facet_values = [
        article.kind,
        article.department or "",
        article.date.isoformat(),
        VALUE_SEPARATOR.join(article.counties),
        VALUE_SEPARATOR.join(analysis.keywords),
        issue.id,
    ]
    document = {
        "id": article.id,
        "issue_id": issue.id,
        "kind": article.kind,
        "ordinal": article.ordinal,
        "title": article.title,
        "body": article.body,
        "date": article.date.isoformat(),
        "department": article.department or "",
        "counties": ",".join(article.counties),
        "keywords": ",".join(analysis.keywords),
        "issue_number": issue.number,
        "issue_total": issue.total_number,
        "issue_date": issue.date.isoformat(),
        "sources": list(issue.sources or (issue.source,)),
        "page": article.page,
        "content_hash": content_hash,
        "facets": FACET_SEPARATOR.join(facet_values).encode("utf-8"),
        MATCH_TEXT_COLUMN: analysis.match_text.encode("utf-8"),
    }
    terms = {"title": analysis.title_words, "body": analysis.body_words, "ngram": analysis.ngrams}
    return document, terms


def schema_signature(schema: Schema) -> list[tuple]:
    # whoosh's column types have no equality, so Schema.__eq__ is never true across a pickle.
    return [
        (
            name,
            type(field),
            type(field.format),
            getattr(field, "analyzer", None),
            type(field.column_type),
            field.stored,
            # A boost multiplies the weights written into the postings.
            getattr(field.format, "field_boost", 1.0),
        )
        for name, field in schema.items()
    ]
