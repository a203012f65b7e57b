"""The bigram docsets written beside each segment (indexer/engine/grams.py): the postings whoosh writes
for the same bigrams, kept through deletions and merges, and the searches they answer."""

from __future__ import annotations

import mmap
import shutil
from collections import Counter, defaultdict

import pytest
from whoosh import index as whoosh_index
from whoosh.fields import TEXT

from bench.generate import generate
from indexer.analysis import analyze_article, keyword_scorer, ngram_tokens, searchable_text
from indexer.build import build_index
from indexer.engine import (
    EngineRequest,
    IssueWriter,
    SearchEngine,
    SegmentBuilder,
    article_document,
    create_index,
    open_index,
    w3,
)
from indexer.engine import schema as engine_schema
from indexer.engine.bitmaps import docnums
from indexer.engine.grams import GramTable, gram_file_bytes
from indexer.engine.schema import NGRAM_FIELD, make_schema
from indexer.errors import IndexMissing
from indexer.parse import parse_issue
from indexer.wordseg import domain_words, tokenizer_for
from tests import test_engine
from tests.test_engine import summary, write_in_two_segments

# The real issue's documents, and an index of it (fixtures of test_engine).
seed_documents, archive = test_engine.seed_documents, test_engine.archive


class BigramTokenizer(engine_schema._TupleTokenizer):
    """The bigrams as a whoosh field, as the index held them before grams.py."""

    def tokens(self, text: str, mode: str):
        return ngram_tokens(text)


def stock_bigram_reader(index_dir, documents, words):
    """The documents written by whoosh's own writer with their bigrams as a whoosh field."""
    schema = make_schema(words)
    schema.add(NGRAM_FIELD, TEXT(analyzer=BigramTokenizer(), phrase=False))
    index = whoosh_index.create_in(str(index_dir), schema)
    writer = index.writer()
    for article, (document, _) in documents:
        writer.add_document(**document, **{NGRAM_FIELD: searchable_text(article.title, article.body)})
    writer.commit()
    return index.reader()


def test_gram_tables_hold_the_postings_whoosh_writes_for_the_bigrams(tmp_path, seed_documents, domain):
    words = domain_words(domain)
    ours = w3.SegmentTables.read(write_in_two_segments(tmp_path / "ours", seed_documents, words))
    (tmp_path / "stock").mkdir()
    stock = stock_bigram_reader(tmp_path / "stock", seed_documents, words)
    grams = [term.decode("utf-8") for term in stock.lexicon(NGRAM_FIELD)]
    assert len(grams) == 2633
    assert [table.size for table, _ in ours.grams] == [2344, 392]
    assert sorted({gram for table, _ in ours.grams for gram, _ in table.docsets()}) == grams
    for gram in grams:
        assert list(docnums(ours.gram_bits(gram))) == list(stock.postings(NGRAM_FIELD, gram).all_ids())
        assert ours.gram_frequency(gram) == stock.doc_frequency(NGRAM_FIELD, gram)
    assert (ours.gram_bits("不在"), ours.gram_frequency("不在")) == (0, 0)


@pytest.mark.parametrize("doc_count", [3, 20, 70_000])
def test_gram_table_round_trip_as_arrays_and_bitmaps(doc_count):
    # 20 documents: a gram in 5 of them is stored as a 3-byte bitmap rather than 10 bytes of docnums.
    docsets = [("a", [0]), ("ab", [1, 2]), ("中国", [0, 1, 2]), ("温州", list(range(0, doc_count, 4)))]
    table = GramTable(b"\0" * 5 + gram_file_bytes(docsets, doc_count), 5)
    assert [(gram, list(docs)) for gram, docs in table.docsets()] == docsets
    assert [table.find(gram) for gram in ("a", "ab", "中国", "温州", "", "b", "中", "温州市")] == [
        0,
        1,
        2,
        3,
        None,
        None,
        None,
        None,
    ]
    assert table.bits(2) == 0b111
    assert table.bits(3) == sum(1 << docnum for docnum in range(0, doc_count, 4))
    assert [table.count(index) for index in range(4)] == [1, 2, 3, len(range(0, doc_count, 4))]
    assert GramTable(gram_file_bytes([], 0), 0).find("中国") is None


# ------------------------------------------------------------- one archive in two layouts


@pytest.fixture(scope="module")
def generated_documents(tmp_path_factory, seed_text, domain):
    """Six generated issues, each as its documents (article, (whoosh document, terms))."""
    folder = tmp_path_factory.mktemp("generated")
    tokenizer, keywords = tokenizer_for(domain), keyword_scorer(domain)
    issues = []
    for path in generate(6, 3, folder, seed_text):
        issue = parse_issue(path.read_text(encoding="utf-8"), path.name, domain)
        issues.append(
            [
                (
                    article,
                    article_document(
                        issue,
                        article,
                        analyze_article(article.title, article.body, tokenizer, keywords),
                        "c0ffee",
                    ),
                )
                for article in issue.articles
            ]
        )
    return issues


def add_segment(writer, index_dir, documents) -> None:
    builder = SegmentBuilder(index_dir)
    for _, (document, terms) in documents:
        builder.add(document, terms)
    writer.add_segment(builder.finish())


def issue_id(documents) -> str:
    return documents[0][1][0]["issue_id"]


@pytest.fixture(scope="module")
def two_layouts(tmp_path_factory, generated_documents, domain):
    """The same live articles (issues 1, 2, 3, 5, 6 of six) as one fresh segment, and as what
    re-indexing leaves: segments merged by whoosh's policy, deleted articles both dropped by the
    merge and still in place; and the segment counts of the second before and after its merge."""
    words = domain_words(domain)
    kept = [issue for index, issue in enumerate(generated_documents) if index != 3]
    one = tmp_path_factory.mktemp("one-segment")
    with IssueWriter(create_index(one, words)) as writer:
        add_segment(writer, one, [document for issue in kept for document in issue])
    many = tmp_path_factory.mktemp("merged")
    first, second, *others = generated_documents
    # Small segments of issues 1 and 2 mixed, which the merge policy folds (five at a time).
    mixed = [document for pair in zip(first, second, strict=False) for document in pair]
    mixed += first[len(second) :] + second[len(first) :]
    with IssueWriter(create_index(many, words)) as writer:
        for start in range(0, len(mixed), 3):
            add_segment(writer, many, mixed[start : start + 3])
        for issue in others:
            add_segment(writer, many, issue)
    before = len(open_index(many)._segments())
    # Issue 2 re-indexed: its first copy is deleted, and this commit's merge folds small segments.
    with IssueWriter(open_index(many)) as writer:
        writer.delete_issue(issue_id(second))
        add_segment(writer, many, second)
    after = len(open_index(many)._segments())
    with IssueWriter(open_index(many)) as writer:
        writer.delete_issue(issue_id(generated_documents[3]))
    return one, many, kept, (before, after)


def live_ids_by_gram(reader, tables) -> dict[str, set[str]]:
    ids = [reader.stored_fields(docnum)["id"] for docnum in range(reader.doc_count_all())]
    live = set(reader.all_doc_ids())
    found = defaultdict(set)
    for table, offset in tables.grams:
        for gram, docs in table.docsets():
            found[gram].update(ids[offset + docnum] for docnum in docs if offset + docnum in live)
    return {gram: held for gram, held in found.items() if held}


def test_merged_and_deleted_layout_holds_each_gram_in_the_same_live_articles(two_layouts):
    one, many, kept, (before, after) = two_layouts
    readers = [open_index(folder).reader() for folder in (one, many)]
    # Five small segments merged into one (and the new one added), deletions left in the others.
    deleted = [leaf.doc_count_all() - leaf.doc_count() for leaf, _ in readers[1].leaf_readers()]
    assert (before - after, sum(map(bool, deleted)) > 1) == (5 - 1 - 1, True)
    assert readers[1].doc_count() == readers[0].doc_count() == sum(map(len, kept))
    expected = defaultdict(set)
    for issue in kept:
        for article, (_, terms) in issue:
            for gram in terms[NGRAM_FIELD]:
                expected[gram].add(article.id)
    for reader in readers:
        tables = w3.SegmentTables.read(reader)
        # Read in place from each compound segment file's memory map, not copied.
        assert {type(table.source) for table, _ in tables.grams} == {mmap.mmap}
        assert live_ids_by_gram(reader, tables) == expected


def test_whoosh_merging_every_segment_merges_the_gram_files(two_layouts, tmp_path):
    _, many, kept, _ = two_layouts
    shutil.copytree(many, tmp_path / "index")
    open_index(tmp_path / "index").optimize()
    reader = open_index(tmp_path / "index").reader()
    assert (len(reader.leaf_readers()), reader.has_deletions()) == (1, False)
    expected = live_ids_by_gram(open_index(many).reader(), w3.SegmentTables.read(open_index(many).reader()))
    assert live_ids_by_gram(reader, w3.SegmentTables.read(reader)) == expected


def queries(generated_documents) -> list[str]:
    """Rare and common bigrams, substrings, phrases, titles, negations, Latin words of the archive."""
    counts = Counter(
        gram for issue in generated_documents for _, (_, terms) in issue for gram in set(terms[NGRAM_FIELD])
    )
    by_count = [gram for gram, _ in counts.most_common() if len(gram) == 2 and not gram.isascii()]
    bodies = [article.body for issue in generated_documents for article, _ in issue]
    substrings = [body[start : start + size] for body in bodies[::9] for start, size in ((10, 3), (40, 5))]
    common, rare = by_count[:6], by_count[-6:]
    return [
        *common,
        *rare,
        *substrings,
        *(f'"{text}"' for text in substrings[:4]),
        *(f"title:{gram}" for gram in common[:3]),
        f"{common[0]} -{common[1]}",
        f"{rare[0]} OR {common[2]}",
        "科创中国",
        "青科会",
        "ai",
    ]


def found(engine, text: str) -> tuple[int, list[str]]:
    """The total and the ids found; articles of one day come in document order, which the layouts
    do not share."""
    total, ids = summary(engine, text)
    return total, sorted(ids)


def test_both_layouts_find_the_same_articles_for_every_search(two_layouts, generated_documents):
    one, many, *_ = two_layouts
    fresh, merged = SearchEngine(one, ()), SearchEngine(many, ())
    answers = [found(fresh, text) for text in queries(generated_documents)]
    assert sum(1 for total, _ in answers if total) >= 40
    assert [found(merged, text) for text in queries(generated_documents)] == answers


def ranked(engine, text: str) -> tuple[int, list[tuple[str, float]]]:
    result = engine.search(EngineRequest(text=text, limit=100))
    return result.total, [(hit["id"], hit["score"]) for hit in result.hits]


@pytest.mark.parametrize("layout", [0, 1])
def test_searches_answer_as_from_the_bigram_postings(two_layouts, generated_documents, monkeypatch, layout):
    """Each search answered from the gram tables is the one answered from each article's bigrams as
    the analysis gave them (what whoosh's postings held), ranked alike."""
    folder = two_layouts[layout]
    reader = open_index(folder).reader()
    expected = defaultdict(set)
    for issue in generated_documents:
        for article, (_, terms) in issue:
            for gram in terms[NGRAM_FIELD]:
                expected[gram].add(article.id)
    docnum_of = {reader.stored_fields(docnum)["id"]: docnum for docnum in reader.all_doc_ids()}
    texts = queries(generated_documents)
    answers = [ranked(SearchEngine(folder, ()), text) for text in texts]

    def from_analysis(self, gram: str) -> int:
        return sum(1 << docnum_of[id_] for id_ in expected.get(gram, ()) if id_ in docnum_of)

    monkeypatch.setattr(w3.SegmentTables, "gram_bits", from_analysis)
    monkeypatch.setattr(w3.SegmentTables, "gram_frequency", lambda self, gram: len(expected.get(gram, ())))
    assert [ranked(SearchEngine(folder, ()), text) for text in texts] == answers


def test_an_index_with_the_bigrams_as_a_whoosh_field_is_refused_then_rebuilt_once(archive, monkeypatch):
    # Before grams.py, the schema held the bigrams as a field of schema.NgramTokenizer.
    BigramTokenizer.__module__, BigramTokenizer.__qualname__ = engine_schema.__name__, "NgramTokenizer"
    older_schema = make_schema

    def with_bigram_field(words):
        schema = older_schema(words)
        schema.add(NGRAM_FIELD, TEXT(analyzer=BigramTokenizer(), phrase=False))
        return schema

    try:
        with monkeypatch.context() as patched:
            patched.setattr(engine_schema, "NgramTokenizer", BigramTokenizer, raising=False)
            patched.setattr(w3, "make_schema", with_bigram_field)
            assert build_index(archive, rebuild=True).added == ["270"]
    finally:
        BigramTokenizer.__module__, BigramTokenizer.__qualname__ = __name__, "BigramTokenizer"
    with pytest.raises(IndexMissing, match="built by an older version; run `bulletin index`"):
        SearchEngine(archive.index_dir, ()).search(EngineRequest())
    assert build_index(archive).added == ["270"]
    assert build_index(archive).unchanged == 1
    assert summary(SearchEngine(archive.index_dir, ()))[0] == 37
    assert summary(SearchEngine(archive.index_dir, ()), "科创")[0] == 7
