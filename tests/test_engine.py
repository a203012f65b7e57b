"""The engine against stock whoosh (SegmentBuilder against its writer, BM25 against its scores, in-place
reads against its copies), and generations, caches and damage."""

from __future__ import annotations

import json
import re
import shutil
import sys
import threading
import time
from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh.codec import default_codec
from whoosh.columns import VarBytesColumn
from whoosh.filedb.filestore import RamStorage

from indexer.analysis import analyze_article, keyword_scorer
from indexer.build import build_index
from indexer.engine import (
    CHECK_SECONDS,
    PAGES_RANKED,
    EngineRequest,
    Generation,
    IssueWriter,
    QueryPlan,
    SearchEngine,
    SegmentBuilder,
    article_document,
    checksums,
    create_index,
    open_index,
    ranking,
    w3,
)
from indexer.engine import generation as generation_module
from indexer.engine import schema as engine_schema
from indexer.engine.bitmaps import bitmap
from indexer.engine.generation import index_identity
from indexer.engine.schema import FACET_COLUMN, make_schema
from indexer.errors import IndexCorrupt, IndexMissing
from indexer.parse import parse_issue
from indexer.wordseg import domain_words, tokenizer_for
from tests.conftest import SEED
from tests.test_build import next_issue
from webui.app import create_app


@pytest.fixture(scope="module")
def seed_documents(seed_text, domain):
    issue = parse_issue(seed_text, "issue-270.txt", domain)
    tokenizer, keywords = tokenizer_for(domain), keyword_scorer(domain)
    return [
        (
            article,
            article_document(
                issue, article, analyze_article(article.title, article.body, tokenizer, keywords), "c0ffee"
            ),
        )
        for article in issue.articles
    ]


def write_in_two_segments(index_dir, documents, words):
    """Two segments, so document numbers restart and the reader has to offset them."""
    index = create_index(index_dir, words)
    with IssueWriter(index) as writer:
        for part in (documents[:10], documents[10:]):
            builder = SegmentBuilder(index_dir)
            for _, (document, terms) in part:
                builder.add(document, terms)
            writer.add_segment(builder.finish())
    return open_index(index_dir).reader()


@pytest.fixture(scope="module")
def two_indexes(tmp_path_factory, seed_documents, domain):
    """The real issue written once by SegmentBuilder and once by whoosh's add_document, whose
    analyzers compute the same terms from the text."""
    words = domain_words(domain)
    built = write_in_two_segments(tmp_path_factory.mktemp("built"), seed_documents, words)
    stock = create_index(tmp_path_factory.mktemp("stock"), words)
    writer = stock.writer()
    for _, (document, _) in seed_documents:
        writer.add_document(**document)
    writer.commit()
    return built, stock.reader()


def test_frequent_term_bitmaps_are_the_postings(tmp_path, seed_documents, domain, monkeypatch):
    # Every term of a 27- or 10-article segment in at least one article counts as frequent here.
    monkeypatch.setattr(w3, "FREQUENT_MINIMUM", 1)
    monkeypatch.setattr(w3, "FREQUENT_SHARE", 1 / 30)
    reader = write_in_two_segments(tmp_path, seed_documents, domain_words(domain))
    frequent = w3.SegmentTables.read(reader).frequent
    assert [len(tables["body"]) > 150 for tables in frequent] == [True, True]
    for field, term in reader.all_terms():
        if field in ("title", "body"):
            text = term.decode("utf-8")
            assert w3.posting_bits(reader, field, text, frequent) == w3.posting_bits(reader, field, text)


def postings(reader) -> dict[tuple[str, bytes], list[tuple[int, float, bytes]]]:
    found = {}
    for field, term in reader.all_terms():
        matcher = reader.postings(field, term)
        items = []
        while matcher.is_active():
            items.append((matcher.id(), round(matcher.weight(), 4), matcher.value()))
            matcher.next()
        found[field, term] = items
    return found


def test_same_terms_and_postings(two_indexes):
    built, stock = two_indexes
    built_postings, stock_postings = postings(built), postings(stock)
    assert len(stock_postings) > 1400
    assert built_postings.keys() == stock_postings.keys()
    assert built_postings == stock_postings
    # Block statistics feed whoosh's scoring shortcuts.
    for field, term in list(stock_postings)[::97]:
        built_info, stock_info = built.term_info(field, term), stock.term_info(field, term)
        assert (built_info.doc_frequency(), built_info.weight(), built_info.max_weight()) == (
            stock_info.doc_frequency(),
            stock_info.weight(),
            stock_info.max_weight(),
        )
        assert (built_info.min_length(), built_info.max_length()) == (
            stock_info.min_length(),
            stock_info.max_length(),
        )


def test_same_stored_fields_lengths_and_columns(two_indexes):
    built, stock = two_indexes
    assert built.doc_count() == stock.doc_count() == 37
    assert [built.stored_fields(d) for d in range(37)] == [stock.stored_fields(d) for d in range(37)]
    for field in ("title", "body"):
        assert built.field_length(field) == stock.field_length(field)
        assert [built.doc_field_length(d, field) for d in range(37)] == [
            stock.doc_field_length(d, field) for d in range(37)
        ]
    assert list(built.column_reader(FACET_COLUMN)) == list(stock.column_reader(FACET_COLUMN))
    assert list(built.column_reader("match_text")) == list(stock.column_reader("match_text"))


def stock_index(index_dir, seed_documents, words, title_boost: float):
    """The real issue written by whoosh's own writer, the title weighted by whoosh's field_boost."""
    schema = make_schema(words)
    schema["title"].format.field_boost = title_boost
    index = whoosh_index.create_in(str(index_dir), schema)
    writer = index.writer()
    for _, (document, _) in seed_documents:
        writer.add_document(**document)
    writer.commit()
    return index


@pytest.fixture(scope="module")
def built_generation(tmp_path_factory, seed_documents, domain):
    index_dir = tmp_path_factory.mktemp("built-for-scores")
    write_in_two_segments(index_dir, seed_documents, domain_words(domain))
    return Generation.open(index_dir)


@pytest.mark.parametrize("title_weight", [1.0, ranking.TITLE_WEIGHT, 5.5])
@pytest.mark.parametrize(
    "words", [("科技",), ("科技", "创新"), ("青科会", "温州", "人才"), ("科创中国", "平阳", "乡村", "活动")]
)
def test_bm25_scores_are_whooshs_scores(
    tmp_path, built_generation, seed_documents, domain, monkeypatch, words, title_weight
):
    """Our scores, the title weight applied at query time to unweighted postings, are whoosh's BM25F
    scores on an index whoosh wrote with that weight as the title's field_boost: changing the weight
    needs no rebuild of ours."""
    from whoosh import query as wq

    monkeypatch.setattr(ranking, "TITLE_WEIGHT", title_weight)
    generation = built_generation
    searcher, table = generation.searcher, generation.table
    terms = [wq.Term(field, word) for field in ("title", "body") for word in words]
    assert len(generation.segments.lengths["body"]) == searcher.doc_count_all()
    plan = QueryPlan(searcher, table, generation.texts, generation.segments, {})
    ours = {
        searcher.stored_fields(docnum)["id"]: score
        for docnum, score in ranking.bm25_scores(plan, terms, table.live).items()
    }
    stock = stock_index(tmp_path, seed_documents, domain_words(domain), title_weight)
    with stock.searcher() as whoosh_searcher:
        whooshs = {hit["id"]: hit.score for hit in whoosh_searcher.search(wq.Or(terms), limit=None)}
    assert len(whooshs) > 3
    assert ours.keys() == whooshs.keys()
    assert all(abs(ours[i] - whooshs[i]) < 1e-9 for i in ours)


@pytest.fixture(scope="module")
def many_blocks_generation(tmp_path_factory, seed_documents, domain):
    """The real issue's articles nine times over in two segments: a common word's postings fill
    several blocks of 128 in the second one."""
    index_dir = tmp_path_factory.mktemp("many-blocks")
    write_in_two_segments(index_dir, seed_documents * 9, domain_words(domain))
    return Generation.open(index_dir)


@pytest.mark.parametrize(
    ("chosen", "blocks_decoded"),
    [
        (range(0, 333, 41), 11),  # a few spread over both segments: every block holds one
        (range(150, 170), 5),  # a run in the middle of the second segment
        (range(5, 15), 9),  # across the boundary of the segments
        ([332], 2),  # the last article alone
    ],
)
def test_bm25_scores_of_a_few_articles_are_their_scores_among_all(
    many_blocks_generation, chosen, blocks_decoded
):
    """Scoring a narrowed search decodes only the posting blocks that hold its articles: the scores
    are those of scoring every article, to the last bit, and blocks are skipped."""
    from whoosh import query as wq

    generation = many_blocks_generation
    searcher, table = generation.searcher, generation.table
    terms = [wq.Term(field, word) for field in ("title", "body") for word in ("科技", "温州", "人才")]
    plan = QueryPlan(searcher, table, generation.texts, generation.segments, {})
    leaf, offset = searcher.reader().leaf_readers()[1]
    blocks = list(w3.w3_blocks(w3.stored_postings(leaf, "body", "科技")))
    assert (offset, len(blocks)) == (10, 2)
    everyone = ranking.bm25_scores(plan, terms, table.live)
    decoded = []
    stock_read_data = w3.W3LeafMatcher._read_data
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(w3.W3LeafMatcher, "_read_data", lambda m: decoded.append(1) or stock_read_data(m))
        few = ranking.bm25_scores(plan, terms, bitmap(chosen, table.size))
    assert few == {docnum: everyone[docnum] for docnum in chosen if docnum in everyone}
    assert len(few) >= 1
    all_blocks = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(w3.W3LeafMatcher, "_read_data", lambda m: all_blocks.append(1) or stock_read_data(m))
        ranking.bm25_scores(plan, terms, table.live)
    assert (len(decoded), len(all_blocks)) == (blocks_decoded, 11)


@pytest.mark.parametrize(
    ("title_weight", "first"),
    [(0.0, ["270-f01", "270-b05", "270-b11"]), (ranking.TITLE_WEIGHT, ["270-b20", "270-f01", "270-b14"])],
)
def test_the_title_weight_applies_at_query_time(indexed_settings, monkeypatch, title_weight, first):
    # The same index ranked with another weight: 270-b20 holds 科技 in its short title.
    monkeypatch.setattr(ranking, "TITLE_WEIGHT", title_weight)
    result = SearchEngine(indexed_settings.index_dir, ()).search(EngineRequest(text="科技", limit=3))
    assert [hit["id"] for hit in result.hits] == first


def test_segment_parts_are_read_in_place_like_whooshs_copies(two_indexes):
    import io
    import pickle

    # Every part of a segment file reads the same through the memory map as through whoosh's copy.
    storage = two_indexes[0].leaf_readers()[0][0]._storage.a
    assert isinstance(storage, w3.CompoundStorage)
    for name in storage.list():
        part = storage.open_file(name)
        assert isinstance(part, w3._MappedSubfile)
        assert part.read() == w3._stock_open_part(storage, name).read()
    data = pickle.dumps({"blocks": list(range(300)), "name": "段"}, 2) + b"one\ntwo\n" + bytes(range(40))
    mapped, copied = w3._MappedReader(b"head" + data + b"tail", 4, len(data)), io.BytesIO(data)
    for reader in (mapped, copied):
        assert pickle.load(reader) == {"blocks": list(range(300)), "name": "段"}
    for call, arguments in [
        ("tell", ()),
        ("readline", ()),
        ("readline", (2,)),
        ("readline", ()),
        ("read", (5,)),
        ("seek", (-3, 2)),
        ("read", ()),
        ("read", (4,)),
        ("seek", (2, 0)),
        ("seek", (5, 1)),
        ("read", (3,)),
        ("seek", (0, 2)),
        ("readline", ()),
    ]:
        assert getattr(mapped, call)(*arguments) == getattr(copied, call)(*arguments), (call, arguments)


def test_each_thread_reads_a_mapped_part_at_its_own_position():
    data = bytes(range(256))
    reader = w3._MappedReader(b"head" + data, 4, len(data))
    other_seeked = threading.Event()
    found = []

    def other():
        reader.seek(200)
        other_seeked.set()
        found.append(reader.read(2))

    reader.seek(10)
    thread = threading.Thread(target=other)
    thread.start()
    other_seeked.wait(5)
    thread.join(5)
    # whoosh reads a posting block by seek() then read(); another thread's seek in between used to
    # move this one to its offset.
    assert (reader.tell(), reader.read(3), found) == (10, bytes([10, 11, 12]), [bytes([200, 201])])


def distinct_queries(reader, count: int) -> list[str]:
    """Real words of the index's bodies, each its own query, so every search reads postings."""
    words = sorted(
        term.decode("utf-8")
        for field, term in reader.all_terms()
        if field == "body" and len(term.decode("utf-8")) > 1
    )
    return words[:: max(1, len(words) // count)][:count]


def answers(engine, queries: list[str]) -> dict[str, tuple]:
    found = {}
    for text in queries:
        result = engine.search(EngineRequest(text=text, limit=10))
        found[text] = (result.total, [(hit["id"], hit["score"]) for hit in result.hits])
    return found


def in_threads(work, shares: list) -> list[str]:
    """work(share) in a thread per share, switching threads every microsecond rather than every 5 ms,
    so a race shows up in every run instead of once in thousands of searches; the errors raised."""
    failures = []

    def run(share):
        try:
            work(share)
        except Exception as error:  # noqa: BLE001 - every failure is reported
            failures.append(repr(error))

    threads = [threading.Thread(target=run, args=(share,)) for share in shares]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        sys.setswitchinterval(interval)
    return failures


def test_threads_searching_at_once_get_the_sequential_answers(indexed_settings):
    engine = SearchEngine(indexed_settings.index_dir, ())
    queries = distinct_queries(open_index(indexed_settings.index_dir).reader(), 400)
    assert len(queries) == 400
    sequential = answers(engine, queries)
    engine.clear_caches()
    found = {}
    assert (
        in_threads(lambda share: found.update(answers(engine, share)), [queries[n::8] for n in range(8)])
        == []
    )
    assert found == sequential


# ------------------------------------------------------------------- generations, checksums, damage


@pytest.fixture
def archive(tmp_path, settings):
    folder = tmp_path / "archive"
    folder.mkdir()
    shutil.copy(SEED, folder / "issue-270.txt")
    indexed = settings.with_overrides(
        archive_dir=folder, index_dir=tmp_path / "index", cache_dir=tmp_path / "cache"
    )
    build_index(indexed)
    return indexed


def eventually(probe, expected, seconds: float = 10.0):
    """probe() once it returns expected, or its last answer after `seconds`."""
    deadline = time.monotonic() + seconds
    while (found := probe()) != expected and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


def summary(engine, text: str = "") -> tuple[int, list[str]]:
    result = engine.search(EngineRequest(text=text, sort="newest", limit=100))
    return result.total, [hit["id"] for hit in result.hits]


def mapped_files(folder) -> list[str]:
    with open("/proc/self/maps", encoding="utf-8") as maps:
        return sorted({line.split(maxsplit=5)[-1].strip() for line in maps if str(folder) in line})


def test_an_update_is_served_as_a_fresh_engine_answers(archive, seed_text):
    (archive.archive_dir / "issue-271.txt").write_text(next_issue(seed_text), encoding="utf-8")
    build_index(archive)
    engine = SearchEngine(archive.index_dir, ())
    assert summary(engine)[0] == 74
    changed = next_issue(seed_text).replace("魔方还原竞速比赛", "围棋比赛")
    (archive.archive_dir / "issue-271.txt").write_text(changed, encoding="utf-8")
    assert build_index(archive).updated == ["271"]
    # whoosh's refresh() kept the replaced articles beside the new ones (111 articles, 魔方 twice).
    assert eventually(lambda: summary(engine, "魔方"), (1, ["270-b25"])) == (1, ["270-b25"])
    assert summary(engine) == summary(SearchEngine(archive.index_dir, ()))
    assert summary(engine)[0] == 74 and summary(engine, "围棋") == (1, ["271-b25"])
    assert [len(engine.issue_articles(issue)) for issue in ("270", "271")] == [37, 37]
    entry, articles = engine.issue("271")
    assert (entry["features"], entry["briefs"], len(articles)) == (8, 29, 37)
    assert entry == next(e for e in engine.issues() if e["id"] == "271")
    assert engine.issue("999") is None


def test_a_per_generation_value_is_worked_out_once_and_again_for_the_next_generation(archive, seed_text):
    engine = SearchEngine(archive.index_dir, ())
    computed = []

    def articles() -> int:
        computed.append(summary(engine)[0])
        return computed[-1]

    assert [engine.per_generation("articles", articles) for _ in range(3)] == [37, 37, 37]
    assert computed == [37]
    (archive.archive_dir / "issue-271.txt").write_text(next_issue(seed_text), encoding="utf-8")
    build_index(archive)
    # The generation answering still keeps its value while the next one opens in the background.
    assert engine.per_generation("articles", articles) == 37 and computed == [37]
    assert eventually(lambda: engine.per_generation("articles", articles), 74) == 74
    assert engine.per_generation("articles", articles) == 74 and computed == [37, 74]
    # A value of each generation: the old one's is not the new one's.
    assert engine.per_generation("other key", lambda: "other") == "other"


def test_engine_calls_inside_a_per_generation_value_answer_from_its_generation(archive, seed_text):
    engine = SearchEngine(archive.index_dir, ())
    assert summary(engine)[0] == 37
    (archive.archive_dir / "issue-271.txt").write_text(next_issue(seed_text), encoding="utf-8")
    build_index(archive)
    time.sleep(CHECK_SECONDS)
    seen = []

    def both_counts() -> tuple[int, int]:
        first = summary(engine)[0]
        # However long this takes, the generation it is kept with answers every call inside it.
        eventually(lambda: summary(SearchEngine(archive.index_dir, ()))[0], 74)
        time.sleep(CHECK_SECONDS * 3)
        seen.append(len(engine.issues()))
        return first, summary(engine)[0]

    assert engine.per_generation("counts", both_counts) == (37, 37) and seen == [1]
    assert eventually(lambda: summary(engine)[0], 74) == 74
    assert engine.per_generation("counts", both_counts) == (74, 74) and seen == [1, 2]


def test_a_rebuild_is_served_and_the_old_files_are_let_go(archive, seed_text):
    engine = SearchEngine(archive.index_dir, ())
    assert summary(engine)[0] == 37
    old_files = mapped_files(archive.index_dir)
    assert len(old_files) == 1 and old_files[0].endswith(".seg")
    (archive.archive_dir / "issue-270.txt").rename(archive.archive_dir / "issue-271.txt")
    (archive.archive_dir / "issue-271.txt").write_text(next_issue(seed_text), encoding="utf-8")
    assert build_index(archive, rebuild=True).added == ["271"]
    # Same TOC generation number as before: only the folder's inode tells the new index apart.
    assert eventually(lambda: summary(engine)[1][0][:4], "271-") == "271-"
    assert summary(engine) == summary(SearchEngine(archive.index_dir, ()))
    assert engine.issue_articles("270") == []
    # The old generation's memory map of its (deleted) segment file is closed once no search uses it.
    assert eventually(lambda: old_files[0] in mapped_files(archive.index_dir), False) is False


def segment_file(index_dir) -> Path:
    (found,) = sorted(index_dir.glob("MAIN_*.seg"))
    return found


def flip_byte(path: Path, at: float) -> None:
    """Damages the file as a fresh process (bulletin index, bulletin serve) would find it. This process
    may have checked the file already, and checks a file once by its inode, size and mtime: rewritten
    within the same tick of the kernel's coarse file clock, the damaged file kept all three, and a
    full test run once merged it unchecked."""
    data = bytearray(path.read_bytes())
    data[int(len(data) * at)] ^= 0xFF
    path.write_bytes(bytes(data))
    checksums._verified.clear()


def test_a_flipped_byte_in_a_segment_file_is_named(archive, capsys):
    from indexer.cli import main

    damaged = segment_file(archive.index_dir)
    assert json.loads(damaged.with_name(damaged.name + ".sum").read_text())["size"] == damaged.stat().st_size
    flip_byte(damaged, 0.5)
    with pytest.raises(IndexCorrupt) as raised:
        Generation.open(archive.index_dir)
    assert str(raised.value) == (
        f"{damaged}: checksum mismatch, the bytes on disk are not those written; "
        "the index is damaged, run `bulletin index --rebuild`"
    )
    assert main(["search", "--index", str(archive.index_dir), "科技"]) == 2
    assert capsys.readouterr().err == f"bulletin: {raised.value}\n"
    # A server started over the damaged index answers 503 and names no file.
    client = create_app(archive).test_client()
    answer = client.get("/api/search?q=科技")
    assert answer.status_code == 503
    assert answer.get_json() == {
        "error": {
            "code": "index_unavailable",
            "message": "the index is damaged; run bulletin index --rebuild",
        }
    }
    assert build_index(archive, rebuild=True).added == ["270"]
    assert summary(SearchEngine(archive.index_dir, ()))[0] == 37


def test_a_damaged_next_generation_leaves_the_running_one_answering(archive, seed_text, caplog):
    engine = SearchEngine(archive.index_dir, ())
    before = summary(engine)
    # Asked after the build, the engine would already open the new generation, intact, in the background.
    running = segment_file_of(engine)
    (archive.archive_dir / "issue-271.txt").write_text(next_issue(seed_text), encoding="utf-8")
    build_index(archive)
    (new,) = set(archive.index_dir.glob("MAIN_*.seg")) - {running}
    flip_byte(new, 0.3)
    time.sleep(CHECK_SECONDS)
    assert summary(engine) == before  # notices the new generation and tries it in the background
    assert eventually(lambda: len(caplog.records), 1) == 1
    assert str(new) in caplog.records[0].getMessage() and "--rebuild" in caplog.records[0].getMessage()
    time.sleep(CHECK_SECONDS)
    assert summary(engine) == before and len(caplog.records) == 1  # not tried again


def segment_file_of(engine) -> Path:
    with engine._use() as generation:
        (leaf,) = [leaf for leaf, _ in generation.searcher.reader().leaf_readers()]
        return engine.index_dir / leaf.segment().make_filename(".seg")


def test_an_index_without_checksums_opens_and_gets_them_at_the_next_commit(archive, seed_text):
    for record in archive.index_dir.glob("*.sum"):
        record.unlink()
    assert summary(SearchEngine(archive.index_dir, ()))[0] == 37
    (archive.archive_dir / "issue-271.txt").write_text(next_issue(seed_text), encoding="utf-8")
    build_index(archive)
    segments = sorted(path.name for path in archive.index_dir.glob("MAIN_*.seg"))
    assert len(segments) == 2
    assert sorted(path.name for path in archive.index_dir.glob("*.sum")) == [s + ".sum" for s in segments]


def test_a_segment_whoosh_cannot_decode_is_reported_as_damaged(archive):
    for record in archive.index_dir.glob("*.sum"):
        record.unlink()
    damaged = segment_file(archive.index_dir)
    damaged.write_bytes(damaged.read_bytes()[:-40])  # cuts into the compound file's directory
    with pytest.raises(IndexCorrupt) as raised:
        Generation.open(archive.index_dir)
    assert str(raised.value).startswith(f"{archive.index_dir}: cannot be read (")
    assert str(raised.value).endswith("run `bulletin index --rebuild`")


def test_a_damaged_segment_is_not_merged_into_a_new_one(tmp_path, seed_documents, domain):
    words = domain_words(domain)
    index = create_index(tmp_path, words)
    with IssueWriter(index) as writer:
        for start in range(0, 36, 6):  # six small segments: the next commit's merge policy folds them
            builder = SegmentBuilder(tmp_path)
            for _, (document, terms) in seed_documents[start : start + 6]:
                builder.add(document, terms)
            writer.add_segment(builder.finish())
    segments = sorted(tmp_path.glob("MAIN_*.seg"))
    assert len(segments) == 6
    # The policy folds the first five (by size, then in order) and leaves the sixth.
    damaged = tmp_path / open_index(tmp_path)._segments()[1].make_filename(".seg")
    flip_byte(damaged, 0.5)
    builder = SegmentBuilder(tmp_path)
    builder.add(*seed_documents[36][1])
    with pytest.raises(IndexCorrupt, match=re.escape(str(damaged))):
        with IssueWriter(open_index(tmp_path)) as writer:
            writer.add_segment(builder.finish())
    assert set(segments) <= set(tmp_path.glob("MAIN_*.seg"))  # the commit did not happen
    assert open_index(tmp_path).doc_count() == 36


def test_ranking_reads_a_segment_with_deleted_articles(archive, seed_text):
    (archive.archive_dir / "issue-271.txt").write_text(next_issue(seed_text), encoding="utf-8")
    build_index(archive, rebuild=True)  # both issues in one segment
    (archive.archive_dir / "issue-271.txt").unlink()
    assert build_index(archive).removed == ["271"]
    engine = SearchEngine(archive.index_dir, ())
    # whoosh hands a segment with deletions out as a FilterMatcher, which ranking could not read.
    result = engine.search(EngineRequest(text="魔方"))
    assert (result.total, [hit["id"] for hit in result.hits]) == (1, ["270-b25"])
    assert result.hits[0]["score"] > 0


def test_an_index_with_the_positional_facet_column_is_refused_then_rebuilt_once(archive, monkeypatch):
    # Before indexer/fields.py, the facet column was a plain VarBytesColumn holding values by position.
    with monkeypatch.context() as patched:
        patched.setattr(engine_schema, "FacetColumn", lambda names: VarBytesColumn())
        patched.setattr(w3, "_holds_the_facets", lambda schema: True)
        assert build_index(archive, rebuild=True).added == ["270"]
    with pytest.raises(IndexMissing, match="built by an older version; run `bulletin index`"):
        SearchEngine(archive.index_dir, ()).search(EngineRequest())
    assert build_index(archive).added == ["270"]
    assert build_index(archive).unchanged == 1
    assert summary(SearchEngine(archive.index_dir, ()))[0] == 37


def test_an_index_whose_schema_names_the_old_module_is_rebuilt_once(archive):
    # Before indexer/engine/, the analyzers pickled into the schema lived in indexer.store.
    (toc,) = archive.index_dir.glob("_MAIN_*.toc")
    written = toc.read_bytes()
    # The word analyzer and the facet column.
    assert written.count(b"indexer.engine.schema\n") == 2
    toc.write_bytes(written.replace(b"indexer.engine.schema\n", b"indexer.store\n"))
    with pytest.raises(IndexMissing, match="built by an older version; run `bulletin index`"):
        SearchEngine(archive.index_dir, ()).search(EngineRequest())
    assert build_index(archive).added == ["270"]
    assert build_index(archive).unchanged == 1
    assert summary(SearchEngine(archive.index_dir, ()))[0] == 37


def test_another_whoosh_version_is_refused_in_one_line():
    w3.check_whoosh_version((2, 7, 5))
    with pytest.raises(ImportError) as raised:
        w3.check_whoosh_version((2, 7, 4))
    assert str(raised.value) == (
        "bulletin-search needs whoosh-reloaded 2.7.5 (it writes and reads that version's codec directly); "
        "whoosh 2.7.4 is installed: run `pip install whoosh-reloaded==2.7.5`"
    )


def test_the_in_place_reader_is_installed_by_opening_an_index_not_by_importing(indexed_settings):
    import subprocess

    script = (
        "import sys; from pathlib import Path\n"
        "from whoosh.filedb.compound import CompoundStorage\n"
        "stock = CompoundStorage.open_file\n"
        "from indexer import engine, search, build\n"
        "print(CompoundStorage.open_file is stock)\n"
        "engine.open_index(Path(sys.argv[1])).reader().close()\n"
        "print(CompoundStorage.open_file is engine.w3._open_part_in_place)\n"
    )
    ran = subprocess.run(
        [sys.executable, "-c", script, str(indexed_settings.index_dir)], capture_output=True, text=True
    )
    assert (ran.returncode, ran.stdout, ran.stderr) == (0, "True\nTrue\n", "")


def test_a_new_generation_is_installed_with_its_lookup_tables_built(archive, seed_text):
    """Pinyin, "did you mean" and the record need tables built once per generation: an update builds
    them before the new generation answers, so no reader's query waits for them."""
    engine = SearchEngine(archive.index_dir, ())
    assert summary(engine)[0] == 37
    (archive.archive_dir / "issue-271.txt").write_text(next_issue(seed_text), encoding="utf-8")
    build_index(archive)
    time.sleep(CHECK_SECONDS)
    assert eventually(lambda: summary(engine)[0], 74) == 74
    with engine._use() as generation:
        assert generation.words is not None and generation.words._readings is not None
        assert generation.record_fields is not None
        assert [entry.total for entry in generation.record_fields.issues] == [271, 270]
    assert engine.lexicon().count("林建波") == 8


def test_searches_answer_from_the_old_generation_until_the_new_one_is_prepared(
    archive, seed_text, monkeypatch
):
    """An update's generation is opened and prepared once, in a background thread; until it is ready
    every search answers from the previous generation, exactly, without waiting for it."""
    engine = SearchEngine(archive.index_dir, ())
    texts = ("", "科技", "魔方", "青科会")
    before = {text: summary(engine, text) for text in texts}
    assert before[""][0] == 37 and before["魔方"] == (1, ["270-b25"])
    release, preparing, prepared = threading.Event(), threading.Event(), []
    prepare = engine._prepare

    def held(generation):
        prepared.append(generation.identity)
        preparing.set()
        release.wait(60)
        prepare(generation)

    monkeypatch.setattr(engine, "_prepare", held)
    (archive.archive_dir / "issue-271.txt").write_text(next_issue(seed_text), encoding="utf-8")
    build_index(archive)
    time.sleep(CHECK_SECONDS)
    assert summary(engine) == before[""]  # due for a check: notices the new generation
    assert preparing.wait(10)
    answered = []

    def ask() -> None:
        for _ in range(3):
            time.sleep(CHECK_SECONDS)  # each round finds a check due while the preparation is held
            engine.clear_caches()
            answered.append({text: summary(engine, text) for text in texts})

    askers = [threading.Thread(target=ask) for _ in range(4)]
    for asker in askers:
        asker.start()
    for asker in askers:
        asker.join(30)
    assert not any(asker.is_alive() for asker in askers) and not release.is_set()
    assert answered == [before] * 12
    assert prepared == [index_identity(archive.index_dir)]  # never a second preparation of it
    release.set()
    assert eventually(lambda: summary(engine)[0], 74) == 74
    fresh = SearchEngine(archive.index_dir, ())
    assert {text: summary(engine, text) for text in texts} == {text: summary(fresh, text) for text in texts}
    assert summary(engine, "魔方") == (2, ["270-b25", "271-b25"])
    assert len(prepared) == 1


def test_terms_are_written_byte_for_byte_as_whoosh_writes_them(seed_documents, tmp_path):
    """w3._write_terms against whoosh's own per-posting field writer, on the real issue's terms and on
    terms long enough for several blocks (equal, unequal and unit weights; with and without lengths)."""
    builder = SegmentBuilder(create_index(tmp_path, ()).storage.folder)
    for _, (document, terms) in seed_documents:
        builder.add(document, terms)
    schema = builder.schema
    many = list(range(0, 900, 3))
    fields = [
        (name, list(builder._counted_rows(schema[name], builder.counted[name], builder.lengths[name])))
        for name in sorted(builder.counted)
    ] + [(name, list(builder._indexed_rows(builder.indexed[name]))) for name in sorted(builder.indexed)]
    fields.append(
        (
            "zz_body",
            [
                (b"equal", many, [2] * len(many), [b"\x00\x00\x00\x02"] * len(many), [7] * len(many)),
                (b"mixed", many, [1 + d % 5 for d in many], [b"\x00\x00\x00\x01"] * len(many), many),
                (b"units", many[:200], [1] * 200, [b"\x00\x00\x00\x01"] * 200, [d % 300 for d in many[:200]]),
            ],
        )
    )
    assert sum(len(rows) for _, rows in fields) > 1400

    def write(rows_writer) -> dict[str, bytes]:
        storage, codec = RamStorage(), default_codec()
        segment = codec.new_segment(storage, "MAIN")
        writer = codec.field_writer(storage, segment)
        for name, rows in fields:
            writer.start_field(name, schema["body" if name == "zz_body" else name])
            rows_writer(writer, rows)
            writer.finish_field()
        writer.close()
        return {name.rpartition(".")[2]: storage.open_file(name).read() for name in storage.list()}

    def whoosh_writes(writer, rows):
        for term, docs, weights, values, lengths in rows:
            writer.start_term(term)
            for i, docnum in enumerate(docs):
                writer.add(docnum, float(weights[i]), values[i], lengths[i] if lengths else None)
            writer.finish_term()

    ours, stock = write(w3._write_terms), write(whoosh_writes)
    assert sorted(ours) == ["pst", "trm"]
    assert ours == stock


def page_ids(result) -> list[str]:
    return [hit["id"] for hit in result.hits]


@pytest.mark.parametrize(
    "text, sort, explain, third_page",
    [
        ("", "newest", False, ["270-b22", "270-b23", "270-f08", "270-b19"]),
        ("科协", "relevance", False, ["270-b04", "270-b06", "270-b19", "270-f04"]),
        ("科协", "relevance", True, ["270-b04", "270-b06", "270-b19", "270-f04"]),
    ],
)
def test_a_later_page_is_a_slice_of_the_first_pages_ranking(
    indexed_settings, text, sort, explain, third_page
):
    """Page 1 keeps its search ranked PAGES_RANKED pages deep: page 3 is sliced from it and equals
    page 3 searched by a fresh engine, hit for hit (scores and explanations too); a page past that
    depth ranks the search again, deeper, and equals its fresh search too."""
    kept = SearchEngine(indexed_settings.index_dir, ())
    first = kept.search(EngineRequest(text=text, sort=sort, explain=explain, limit=4))
    third = kept.search(EngineRequest(text=text, sort=sort, explain=explain, offset=8, limit=4))
    with kept._use() as generation:
        (ranked,) = generation.results.values()
    assert len(ranked.order) == 4 * PAGES_RANKED < first.total
    fresh = SearchEngine(indexed_settings.index_dir, ())
    assert third == fresh.search(EngineRequest(text=text, sort=sort, explain=explain, offset=8, limit=4))
    assert page_ids(third) == third_page
    assert all(("explain" in hit) == explain for hit in third.hits)
    assert (third.total, third.facets) == (first.total, first.facets)

    past = kept.search(EngineRequest(text=text, sort=sort, explain=explain, offset=24, limit=4))
    with kept._use() as generation:
        (ranked,) = generation.results.values()
    assert len(ranked.order) == 28
    assert past == fresh.search(EngineRequest(text=text, sort=sort, explain=explain, offset=24, limit=4))
    assert page_ids(past) != page_ids(third) and len(past.hits) == 4


def test_kept_stored_fields_are_whooshs_and_stay_as_read(indexed_settings, monkeypatch):
    """Hits read through the kept stored fields equal whoosh's own, only the last STORED_KEPT are kept,
    and what a hit adds (its score, facets) never reaches the kept copy."""
    monkeypatch.setattr(generation_module, "STORED_KEPT", 3)
    engine = SearchEngine(indexed_settings.index_dir, ())
    first = engine.search(EngineRequest(text="科协", limit=10))
    again = engine.search(EngineRequest(text="科协", offset=5, limit=5))
    assert again.hits == first.hits[5:]
    with engine._use() as generation:
        kept = dict(generation.stored)
        searcher = generation.searcher
        assert list(kept) == [searcher.document_number(id=hit["id"]) for hit in first.hits[7:]]
        assert all(stored == searcher.stored_fields(docnum) for docnum, stored in kept.items())
    assert all("score" not in stored and "facets" not in stored for stored in kept.values())
    assert [hit["id"] for hit in first.hits[:3]] == ["270-b15", "270-b01", "270-b08"]
