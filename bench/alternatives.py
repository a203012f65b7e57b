"""The usual ways to build this search, each behind one tiny interface, so bench.run can time them alike.

    engine = ENGINES[name](index_dir)
    engine.build(docs)                                     # docs from bench.corpus
    total, top10_ids, facets = engine.query(q, county=None, date_from=None, date_to=None)

facets is {"county": {value: count}, "department": {value: count}} over everything the query matched
(filters applied), computed the way each engine is usually asked for it. Queries take words (all must
occur) and "quoted phrases"; each engine splits them with jieba as its common recipe does.

The child-process entry point (`python -m bench.alternatives build|query|tokenize|add ...`) is what bench.run
starts, so that each build's and each query process's peak memory can be read on its own.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import pickle
import re
import shutil
import sqlite3
import statistics
import sys
import time
import unicodedata
from collections.abc import Iterable
from pathlib import Path

import jieba

jieba.setLogLevel(logging.WARNING)

Facets = dict[str, dict[str, int]]
QueryResult = tuple[int, list[str], Facets]
TERM = re.compile(r'"([^"]*)"|(\S+)')
TOP = 10
FACET_SIZE = 100


def is_word(token: str) -> bool:
    """False for whitespace and punctuation, which jieba returns as tokens of their own."""
    return any(unicodedata.category(char)[0] in "LN" for char in token)


def search_tokens(text: str) -> list[str]:
    """jieba's search mode (words plus the dictionary words inside them), lowercased, punctuation dropped."""
    return [token.lower() for token in jieba.cut_for_search(text) if is_word(token)]


def query_terms(q: str) -> list[tuple[list[str], bool]]:
    """[(tokens, is_phrase)]: a quoted phrase is one term; each bare word's tokens are terms of their own."""
    terms = []
    for match in TERM.finditer(q):
        phrase, word = match.groups()
        if phrase is not None:
            tokens = search_tokens(phrase)
            if len(tokens) > 1:
                terms.append((tokens, True))
                continue
            terms.extend(([t], False) for t in tokens)
        else:
            terms.extend(([t], False) for t in search_tokens(word))
    return terms


class WhooshEngine:
    """jieba's bundled ChineseAnalyzer in a whoosh schema, written with a default ix.writer() (the common
    recipe); facets by groupedby over FieldFacets."""

    name = "whoosh + jieba ChineseAnalyzer"

    def __init__(self, index_dir: Path):
        self.index_dir = Path(index_dir)
        self._searcher = None

    @staticmethod
    def schema():
        from jieba.analyse import ChineseAnalyzer
        from whoosh.fields import ID, KEYWORD, TEXT, Schema

        analyzer = ChineseAnalyzer()
        return Schema(
            id=ID(stored=True, unique=True),
            title=TEXT(analyzer=analyzer, stored=True),
            body=TEXT(analyzer=analyzer, stored=True),
            date=ID(stored=True, sortable=True),
            county=KEYWORD(stored=True, commas=True),
            department=ID(stored=True, sortable=True),
            kind=ID(stored=True),
        )

    def build(self, docs: list[dict]) -> None:
        from whoosh import index

        self.index_dir.mkdir(parents=True, exist_ok=True)
        ix = index.create_in(str(self.index_dir), self.schema())
        writer = ix.writer()
        for doc in docs:
            writer.add_document(
                id=doc["id"],
                title=doc["title"],
                body=doc["body"],
                date=doc["date"],
                county=",".join(doc["counties"]),
                department=doc["department"] or "",
                kind=doc["kind"],
            )
        writer.commit()

    def searcher(self):
        if self._searcher is None:
            from whoosh import index
            from whoosh.qparser import MultifieldParser

            ix = index.open_dir(str(self.index_dir))
            self._searcher = ix.searcher()
            self._parser = MultifieldParser(["title", "body"], ix.schema)
        return self._searcher

    def query(self, q: str, county=None, date_from=None, date_to=None) -> QueryResult:
        from whoosh import query as wq
        from whoosh import sorting

        searcher = self.searcher()
        parsed = self._parser.parse(q)
        filters = []
        if county:
            filters.append(wq.Term("county", county))
        if date_from or date_to:
            filters.append(wq.TermRange("date", date_from, date_to))
        facets = {
            "county": sorting.FieldFacet("county", allow_overlap=True, maptype=sorting.Count),
            "department": sorting.FieldFacet("department", maptype=sorting.Count),
        }
        results = searcher.search(
            parsed, limit=TOP, filter=wq.And(filters) if filters else None, groupedby=facets
        )
        counts = {name: {k: v for k, v in results.groups(name).items() if k} for name in facets}
        # With groupedby, whoosh keeps every match in the ranked list; the page is its first ten.
        return len(results), [hit["id"] for hit in results[:TOP]], counts


class Fts5Engine:
    """SQLite FTS5 (stdlib sqlite3) over space-joined jieba search-mode tokens, tokenize='unicode61';
    metadata in ordinary tables joined by rowid; facets by GROUP BY over the match."""

    name = "SQLite FTS5 + jieba tokens"

    def __init__(self, index_dir: Path):
        self.index_dir = Path(index_dir)
        self._db = None

    @property
    def path(self) -> Path:
        return self.index_dir / "articles.sqlite"

    def build(self, docs: list[dict]) -> None:
        self.index_dir.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path)
        db.executescript(
            """
            CREATE TABLE articles (
                rowid INTEGER PRIMARY KEY, id TEXT UNIQUE, kind TEXT, title TEXT, body TEXT,
                date TEXT, department TEXT
            );
            CREATE TABLE article_county (rowid INTEGER, county TEXT);
            CREATE VIRTUAL TABLE fts USING fts5(title, body, tokenize = 'unicode61');
            """
        )
        with db:
            for rowid, doc in enumerate(docs, start=1):
                db.execute(
                    "INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        rowid,
                        doc["id"],
                        doc["kind"],
                        doc["title"],
                        doc["body"],
                        doc["date"],
                        doc["department"],
                    ),
                )
                db.executemany(
                    "INSERT INTO article_county VALUES (?, ?)", [(rowid, c) for c in doc["counties"]]
                )
                db.execute(
                    "INSERT INTO fts (rowid, title, body) VALUES (?, ?, ?)",
                    (rowid, " ".join(search_tokens(doc["title"])), " ".join(search_tokens(doc["body"]))),
                )
            db.execute("CREATE INDEX article_county_county ON article_county (county, rowid)")
            db.execute("CREATE INDEX article_county_rowid ON article_county (rowid)")
            db.execute("CREATE INDEX articles_date ON articles (date)")
        db.close()

    @staticmethod
    def match_expression(q: str) -> str:
        quoted = ['"' + " ".join(tokens).replace('"', '""') + '"' for tokens, _ in query_terms(q)]
        return " AND ".join(quoted)

    def query(self, q: str, county=None, date_from=None, date_to=None) -> QueryResult:
        if self._db is None:
            self._db = sqlite3.connect(self.path)
        match = self.match_expression(q)
        if not match:
            return 0, [], {"county": {}, "department": {}}
        where, params = ["fts MATCH ?"], [match]
        if county:
            where.append("a.rowid IN (SELECT rowid FROM article_county WHERE county = ?)")
            params.append(county)
        if date_from:
            where.append("a.date >= ?")
            params.append(date_from)
        if date_to:
            where.append("a.date <= ?")
            params.append(date_to)
        matched = "FROM fts JOIN articles a ON a.rowid = fts.rowid WHERE " + " AND ".join(where)
        db = self._db
        top = [row[0] for row in db.execute(f"SELECT a.id {matched} ORDER BY bm25(fts) LIMIT {TOP}", params)]
        departments = dict(
            db.execute(f"SELECT a.department, count(*) {matched} GROUP BY a.department", params)
        )
        counties = dict(
            db.execute(
                "SELECT c.county, count(*) FROM fts JOIN articles a ON a.rowid = fts.rowid"
                " JOIN article_county c ON c.rowid = a.rowid WHERE "
                + " AND ".join(where)
                + " GROUP BY c.county",
                params,
            )
        )
        total = sum(departments.values())
        departments.pop(None, None)
        return total, top, {"county": counties, "department": departments}


class TantivyEngine:
    """tantivy-py over whitespace-joined jieba search-mode tokens (its default tokenizer splits them
    again on the spaces); facets by a terms aggregation on raw fast fields."""

    name = "tantivy-py + jieba tokens"

    def __init__(self, index_dir: Path):
        self.index_dir = Path(index_dir)
        self._index = None

    @staticmethod
    def schema():
        import tantivy

        builder = tantivy.SchemaBuilder()
        builder.add_text_field("id", stored=True, tokenizer_name="raw")
        builder.add_text_field("title")
        builder.add_text_field("body")
        builder.add_text_field("county", fast=True, tokenizer_name="raw")
        builder.add_text_field("department", fast=True, tokenizer_name="raw")
        builder.add_text_field("kind", tokenizer_name="raw")
        builder.add_date_field("date", indexed=True, fast=True)
        # The original text, for snippets: stored, not indexed.
        builder.add_bytes_field("source", stored=True)
        return builder.build()

    def build(self, docs: list[dict]) -> None:
        import tantivy

        self.index_dir.mkdir(parents=True, exist_ok=True)
        index = tantivy.Index(self.schema(), path=str(self.index_dir))
        writer = index.writer()
        for doc in docs:
            document = tantivy.Document()
            document.add_text("id", doc["id"])
            document.add_text("title", " ".join(search_tokens(doc["title"])))
            document.add_text("body", " ".join(search_tokens(doc["body"])))
            for county in doc["counties"]:
                document.add_text("county", county)
            if doc["department"]:
                document.add_text("department", doc["department"])
            document.add_text("kind", doc["kind"])
            document.add_date("date", dt.datetime.fromisoformat(doc["date"]))
            original = {"title": doc["title"], "body": doc["body"]}
            document.add_bytes("source", json.dumps(original, ensure_ascii=False).encode("utf-8"))
            writer.add_document(document)
        writer.commit()
        writer.wait_merging_threads()

    def query(self, q: str, county=None, date_from=None, date_to=None) -> QueryResult:
        import tantivy

        if self._index is None:
            self._index = tantivy.Index.open(str(self.index_dir))
            self._searcher = self._index.searcher()
        index, searcher, schema = self._index, self._searcher, self._index.schema
        text = " ".join('"' + " ".join(tokens) + '"' for tokens, _ in query_terms(q))
        if not text:
            return 0, [], {"county": {}, "department": {}}
        clauses = [
            (tantivy.Occur.Must, index.parse_query(text, ["title", "body"], conjunction_by_default=True))
        ]
        if county:
            clauses.append((tantivy.Occur.Must, tantivy.Query.term_query(schema, "county", county)))
        if date_from or date_to:
            bounds = [dt.datetime.fromisoformat(d) if d else None for d in (date_from, date_to)]
            clauses.append(
                (
                    tantivy.Occur.Must,
                    tantivy.Query.range_query(schema, "date", tantivy.FieldType.Date, *bounds),
                )
            )
        query = tantivy.Query.boolean_query(clauses)
        result = searcher.search(query, TOP)
        top = [searcher.doc(address)["id"][0] for _, address in result.hits]
        aggregations = searcher.aggregate(
            query,
            {name: {"terms": {"field": name, "size": FACET_SIZE}} for name in ("county", "department")},
        )
        facets = {
            name: {b["key"]: b["doc_count"] for b in aggregations[name]["buckets"]}
            for name in ("county", "department")
        }
        return result.count, top, facets


ENGINES = {"whoosh": WhooshEngine, "fts5": Fts5Engine, "tantivy": TantivyEngine}


# ---- child processes started by bench.run ----


def directory_size(path: Path) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


def tokenize_all(docs: Iterable[dict]) -> dict:
    """The irreducible work: segmenting every article's text once with jieba, after jieba is loaded."""
    jieba.initialize()
    chars = tokens = 0
    started = time.perf_counter()
    for doc in docs:
        text = doc["title"] + "\n" + doc["body"]
        chars += len(text)
        tokens += len(list(jieba.cut(text)))
    return {"seconds": time.perf_counter() - started, "chars": chars, "tokens": tokens}


def open_engine(name: str, index_dir: Path, archive_dir: Path | None = None):
    if name == "ours":
        from bench.run import OursEngine

        return OursEngine(index_dir, archive_dir)
    return ENGINES[name](index_dir)


def run_queries(engine, queries: list[dict], repeat: int) -> dict:
    """One untimed warm-up pass over the mix, then `repeat` timed passes; answers from the last pass."""
    for query in queries:
        engine.query(**query["args"])
    # Ours prepares its lookup tables in a background thread after its first search (~5 s of
    # Python at 2,700 issues); the passes wait for it, or they time that one-off work holding the
    # interpreter lock half the time (p95 98.6 ms against 33 ms once it is done).
    getattr(engine, "settle", lambda: None)()
    timings: list[float] = []
    per_query: list[list[float]] = [[] for _ in queries]
    answers: list = [None] * len(queries)
    for _ in range(repeat):
        for index, query in enumerate(queries):
            started = time.perf_counter()
            answers[index] = engine.query(**query["args"])
            elapsed = (time.perf_counter() - started) * 1000
            timings.append(elapsed)
            per_query[index].append(elapsed)
    cuts = statistics.quantiles(timings, n=20, method="inclusive")
    return {
        "p50_ms": statistics.median(timings),
        "p95_ms": cuts[18],
        "calls": len(timings),
        "queries": [
            {
                "label": query["label"],
                **query["args"],
                "median_ms": statistics.median(per_query[index]),
                "total": answer[0],
                "top10": answer[1],
                "facets": answer[2],
            }
            for index, (query, answer) in enumerate(zip(queries, answers, strict=True))
        ],
    }


class Unavailable(Exception):
    """The engine cannot run here yet (our own engine before its modules exist)."""


UNAVAILABLE_EXIT = 3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="One benchmark step in its own process (see bench.run).")
    parser.add_argument("step", choices=("tokenize", "build", "query", "add"))
    parser.add_argument("engine", nargs="?", choices=(*ENGINES, "ours"))
    parser.add_argument("--docs", type=Path, help="pickled docs from bench.corpus")
    parser.add_argument("--archive", type=Path, help="the archive folder (our engine reads files itself)")
    parser.add_argument("--index", type=Path)
    parser.add_argument("--queries", type=Path, help="JSON list of {label, args}")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)

    try:
        if args.step == "tokenize":
            result = tokenize_all(pickle.loads(args.docs.read_bytes()))
        elif args.step == "build":
            if args.index.exists():
                shutil.rmtree(args.index)
            engine = open_engine(args.engine, args.index, args.archive)
            docs = pickle.loads(args.docs.read_bytes()) if args.engine != "ours" else None
            jieba.initialize()
            started = time.perf_counter()
            result = engine.build(docs) or {}
            result["seconds"] = time.perf_counter() - started
            result["index_bytes"] = directory_size(args.index)
        elif args.step == "add":
            from bench.run import add_ours

            result = add_ours(args.archive, args.index)
        else:
            engine = open_engine(args.engine, args.index, args.archive)
            queries = json.loads(args.queries.read_text(encoding="utf-8"))
            result = run_queries(engine, queries, args.repeat)
    except Unavailable as error:
        print(f"{args.engine}: not available yet ({error})", file=sys.stderr)
        return UNAVAILABLE_EXIT
    args.out.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
