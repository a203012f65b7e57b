"""The index schema and the whoosh document of an article.

The schema, analyzers included, is pickled into the index, so the analyzers must stay importable from
this module; an index whose schema names another module is rebuilt (see w3.open_current_index).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from whoosh.analysis import Token, Tokenizer
from whoosh.columns import VarBytesColumn
from whoosh.fields import COLUMN, ID, STORED, TEXT, Schema

from indexer import fields
from indexer.analysis import ArticleAnalysis, word_tokens
from indexer.wordseg import tokenizer_for_words

# Every facet's values of an article in one column, keyed by facet name:
# name NAME_SEPARATOR value VALUE_SEPARATOR value … FACET_SEPARATOR name …
FACET_COLUMN = "facet_values"
FACET_SEPARATOR = "\x1f"
VALUE_SEPARATOR = "\x1e"
NAME_SEPARATOR = "\x1d"
# Beside the facets, the facet table reads these from the column (the names cannot be a facet's).
DATE_KEY = "@date"
ISSUE_KEY = "@issue"
# The bigrams that give a substring leaf its candidates, the title's among them: not a whoosh field
# but a file of docsets beside each segment (see grams.py). A substring is checked on the text.
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


class FacetColumn(VarBytesColumn):
    """The facet column, naming the facets it holds: pickled with the schema, so an index written
    with another facet list has another schema signature and is rebuilt."""

    def __init__(self, facet_names: Iterable[str] = ()):
        super().__init__()
        self.facet_names = tuple(facet_names)


def ChineseWordAnalyzer(words: Iterable[str] = ()) -> JiebaTokenizer:  # noqa: N802 - whoosh's naming
    return JiebaTokenizer(words)


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
        date=STORED(),
        department=STORED(),
        counties=STORED(),
        keywords=STORED(),
        person_roles=STORED(),
        issue_number=STORED(),
        issue_total=STORED(),
        issue_date=STORED(),
        sources=STORED(),
        page=STORED(),
        ocr=STORED(),
        content_hash=STORED(),
        # The issue's parse report, on its first article only (see SearchEngine._issue_entry).
        parse_report=STORED(),
        # Every facet value of the article in one column, read in one pass to build the facet table.
        **{FACET_COLUMN: COLUMN(FacetColumn(fields.names()))},
        **{MATCH_TEXT_COLUMN: COLUMN(VarBytesColumn())},
    )


def article_document(
    issue, article, analysis: ArticleAnalysis, content_hash: str
) -> tuple[dict, dict[str, tuple[str, ...]]]:
    """The whoosh document of one article, and the terms jieba found for its text fields with its
    bigrams (see NGRAM_FIELD)."""
    facet_values = {DATE_KEY: (article.date.isoformat(),), ISSUE_KEY: (issue.id,)}
    for facet in fields.FACETS:
        facet_values[facet.name] = facet.values(issue, article, analysis)
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
        "person_roles": [list(pair) for pair in analysis.person_roles],
        "issue_number": issue.number,
        "issue_total": issue.total_number,
        "issue_date": issue.date.isoformat(),
        "sources": list(issue.sources or (issue.source,)),
        "page": article.page,
        "ocr": article.ocr,
        "content_hash": content_hash,
        FACET_COLUMN: encode_facets(facet_values),
        MATCH_TEXT_COLUMN: analysis.match_text.encode("utf-8"),
    }
    if issue.report is not None and article is issue.articles[0]:
        document["parse_report"] = issue.report.to_dict()
    terms = {"title": analysis.title_words, "body": analysis.body_words, NGRAM_FIELD: analysis.ngrams}
    return document, terms


def encode_facets(facet_values: dict[str, tuple[str, ...]]) -> bytes:
    pieces = (name + NAME_SEPARATOR + VALUE_SEPARATOR.join(values) for name, values in facet_values.items())
    return FACET_SEPARATOR.join(pieces).encode("utf-8")


def decode_facets(raw: bytes) -> Iterator[tuple[str, str]]:
    """(name, its values joined by VALUE_SEPARATOR) of a facet column value."""
    for piece in raw.decode("utf-8").split(FACET_SEPARATOR):
        name, _, text = piece.partition(NAME_SEPARATOR)
        yield name, text


def schema_signature(schema: Schema) -> list[tuple]:
    # whoosh's column types have no equality, so Schema.__eq__ is never true across a pickle.
    return [
        (
            name,
            type(field),
            type(field.format),
            getattr(field, "analyzer", None),
            type(field.column_type),
            getattr(field.column_type, "facet_names", None),
            field.stored,
            # A boost multiplies the weights written into the postings.
            getattr(field.format, "field_boost", 1.0),
        )
        for name, field in schema.items()
    ]
