"""Incremental indexing: archive files → parsed issues → whoosh documents, touching only what changed.

A manifest beside the index records each file's content hash and the issue it holds, and parsed issues
are cached by content hash, so an unchanged file is never read twice and a deleted duplicate costs
no re-parse of the copy that remains.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import jieba.analyse

from indexer import store
from indexer.errors import BulletinError
from indexer.extract import extract_document
from indexer.models import Issue
from indexer.parse import parse_issue
from indexer.segment import domain_words, tokenizer_for
from indexer.settings import Domain, Settings

MANIFEST_NAME = "bulletin-manifest.json"
MANIFEST_VERSION = 1
# Bump when the parser's output changes, so cached parses are redone.
PARSER_VERSION = "1"
KEYWORD_COUNT = 5
# Which copy of an issue to index when several files hold it: the one with the most articles, then
# the format that carries the least layout noise.
FORMAT_PREFERENCE = {"text": 0, "html": 1, "pdf": 2}
PARALLEL_THRESHOLD = 4


@dataclass
class BuildReport:
    added: list[str] = field(default_factory=list)  # issue ids
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    parsed_files: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"added {len(self.added)}, updated {len(self.updated)}, removed {len(self.removed)}, "
            f"unchanged {self.unchanged}, failed {len(self.failed)} issue files "
            f"({self.parsed_files} parsed) in {self.seconds:.1f}s"
        )


@dataclass
class FileState:
    hash: str
    size: int
    mtime_ns: int
    issue_id: str | None = None
    format: str | None = None
    articles: int = 0
    error: str | None = None


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def archive_files(archive_dir: Path) -> list[Path]:
    return sorted(
        path
        for path in archive_dir.rglob("*")
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(archive_dir).parts)
    )


def write_json_atomically(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, delete=False, suffix=".tmp"
    ) as handle:
        json.dump(data, handle, ensure_ascii=False)
        temporary = Path(handle.name)
    os.replace(temporary, path)


def domain_fingerprint(domain: Domain) -> str:
    return hashlib.sha256(repr((PARSER_VERSION, domain)).encode("utf-8")).hexdigest()[:16]


class ParseCache:
    """Parsed issues (or the reason a file failed) by file content hash and parser fingerprint."""

    def __init__(self, cache_dir: Path, domain: Domain):
        self.folder = cache_dir / "parsed" / domain_fingerprint(domain)

    def path(self, content_hash: str) -> Path:
        return self.folder / f"{content_hash}.json"

    def get(self, content_hash: str) -> dict | None:
        try:
            return json.loads(self.path(content_hash).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def put(self, content_hash: str, entry: dict) -> None:
        write_json_atomically(self.path(content_hash), entry)


def parse_file(path: Path, source: str, content_hash: str, domain: Domain, cache_dir: Path) -> dict:
    """One file into a cache entry: {"format", "issue"} or {"error"}. Runs in worker processes."""
    cache = ParseCache(cache_dir, domain)
    cached = cache.get(content_hash)
    if cached is not None:
        return cached
    try:
        document = extract_document(path, cache_dir)
        issue = parse_issue(document.text, source, domain)
    except BulletinError as error:
        entry = {"error": getattr(error, "reason", str(error))}
    else:
        if document.format != "pdf":
            issue = dataclasses.replace(
                issue, articles=tuple(dataclasses.replace(a, page=None) for a in issue.articles)
            )
        entry = {"format": document.format, "issue": issue.to_dict()}
    cache.put(content_hash, entry)
    return entry


class KeywordExtractor:
    """jieba's TF-IDF over the domain tokenizer; the bulletin's own stock phrases never count."""

    def __init__(self, domain: Domain):
        # Loading jieba's IDF table takes most of a second, so every extractor shares the default one's.
        self.tfidf = copy.copy(jieba.analyse.default_tfidf)
        self.tfidf.tokenizer = tokenizer_for(domain)
        self.stopwords = set(domain.keyword_stopwords)

    def __call__(self, text: str) -> list[str]:
        candidates = self.tfidf.extract_tags(text, topK=KEYWORD_COUNT + len(self.stopwords) + 10)
        useful = [w for w in candidates if w not in self.stopwords and len(w) > 1 and not w.isdigit()]
        return useful[:KEYWORD_COUNT]


@lru_cache(maxsize=4)
def keyword_extractor(domain: Domain) -> KeywordExtractor:
    return KeywordExtractor(domain)


class Manifest:
    def __init__(self, path: Path):
        self.path = path
        self.files: dict[str, FileState] = {}

    @classmethod
    def load(cls, path: Path) -> Manifest:
        manifest = cls(path)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return manifest
        if raw.get("version") == MANIFEST_VERSION:
            manifest.files = {name: FileState(**state) for name, state in raw["files"].items()}
        return manifest

    def save(self) -> None:
        files = {name: dataclasses.asdict(state) for name, state in sorted(self.files.items())}
        write_json_atomically(self.path, {"version": MANIFEST_VERSION, "files": files})

    def sources_of(self, issue_id: str) -> list[str]:
        return sorted(name for name, state in self.files.items() if state.issue_id == issue_id)


def choose_primary(names: list[str], manifest: Manifest) -> str:
    def preference(name: str):
        state = manifest.files[name]
        return (-state.articles, FORMAT_PREFERENCE.get(state.format or "", 9), name)

    return min(names, key=preference)


Progress = Callable[[int, int, str], None]


def terminal_progress(done: int, total: int, name: str) -> None:
    width = 30
    filled = width * done // max(total, 1)
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {name[-40:]:<40}")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def parse_changed(
    changed: list[tuple[str, Path, str]], settings: Settings, progress: Progress | None, workers: int
) -> dict[str, dict]:
    """Cache entries for the changed files, by file name, parsed on all cores when there are several."""
    entries: dict[str, dict] = {}
    arguments = [(path, name, digest, settings.domain, settings.cache_dir) for name, path, digest in changed]
    if len(changed) < PARALLEL_THRESHOLD or workers <= 1:
        results = (parse_file(*args) for args in arguments)
        for (name, _, _), entry in zip(changed, results, strict=True):
            entries[name] = entry
            if progress:
                progress(len(entries), len(changed), name)
        return entries
    with ProcessPoolExecutor(max_workers=workers) as pool:
        results = pool.map(parse_file, *zip(*arguments, strict=True), chunksize=4)
        for (name, _, _), entry in zip(changed, results, strict=True):
            entries[name] = entry
            if progress:
                progress(len(entries), len(changed), name)
    return entries


def fresh_index_dir(index_dir: Path) -> Path:
    """An empty sibling folder to build into; swapped in only when complete (see swap_in)."""
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=index_dir.name + ".new-", dir=index_dir.parent))


def swap_in(new_dir: Path, index_dir: Path) -> None:
    old_dir = None
    if index_dir.exists():
        old_dir = index_dir.with_name(index_dir.name + f".old-{os.getpid()}")
        os.replace(index_dir, old_dir)
    os.replace(new_dir, index_dir)
    if old_dir is not None:
        shutil.rmtree(old_dir, ignore_errors=True)


def build_index(
    settings: Settings, rebuild: bool = False, progress: Progress | None = None, workers: int | None = None
) -> BuildReport:
    """Bring the index in line with the archive folder. Raises only for problems outside single files."""
    started = time.perf_counter()
    report = BuildReport()
    archive_dir, index_dir = settings.archive_dir, settings.index_dir
    if not archive_dir.is_dir():
        raise BulletinError(f"{archive_dir}: the archive folder does not exist")
    words = domain_words(settings.domain)

    starting_over = rebuild or not store.index_exists(index_dir)
    target_dir = fresh_index_dir(index_dir) if starting_over else index_dir
    try:
        index = store.create_index(target_dir, words) if starting_over else store.open_index(index_dir)
        manifest = (
            Manifest(target_dir / MANIFEST_NAME)
            if starting_over
            else Manifest.load(index_dir / MANIFEST_NAME)
        )
        previous = dict(manifest.files)

        current: dict[str, FileState] = {}
        changed: list[tuple[str, Path, str]] = []
        for path in archive_files(archive_dir):
            name = path.relative_to(archive_dir).as_posix()
            try:
                stat = path.stat()
                known = previous.get(name)
                if known and known.size == stat.st_size and known.mtime_ns == stat.st_mtime_ns:
                    current[name] = known
                    continue
                digest = file_hash(path)
            except OSError as error:
                report.failed.append((name, f"cannot read: {error.strerror}"))
                continue
            if known and known.hash == digest:
                current[name] = dataclasses.replace(known, size=stat.st_size, mtime_ns=stat.st_mtime_ns)
            else:
                current[name] = FileState(digest, stat.st_size, stat.st_mtime_ns)
                changed.append((name, path, digest))

        entries = parse_changed(changed, settings, progress, workers or os.cpu_count() or 1)
        report.parsed_files = len(entries)
        parsed_issues: dict[str, Issue] = {}
        for name, entry in entries.items():
            state = current[name]
            if "error" in entry:
                state.error = entry["error"]
                continue
            issue = Issue.from_dict(entry["issue"])
            state.issue_id, state.format, state.articles = issue.id, entry["format"], len(issue.articles)
            parsed_issues[name] = issue
        report.failed.extend((name, state.error) for name, state in current.items() if state.error)

        affected = {
            state.issue_id
            for name, state in previous.items()
            if state.issue_id and (name not in current or current[name].hash != state.hash)
        }
        affected |= {current[name].issue_id for name in entries if current[name].issue_id}
        manifest.files = current
        old_issue_ids = {state.issue_id for state in previous.values() if state.issue_id}

        documents: list[dict] = []
        keywords = keyword_extractor(settings.domain) if affected else None
        cache = ParseCache(settings.cache_dir, settings.domain)
        for issue_id in sorted(affected):
            sources = manifest.sources_of(issue_id)
            if not sources:
                report.removed.append(issue_id)
                continue
            primary = choose_primary(sources, manifest)
            issue = parsed_issues.get(primary)
            if issue is None:
                digest = current[primary].hash
                entry = cache.get(digest) or parse_file(
                    archive_dir / primary, primary, digest, settings.domain, settings.cache_dir
                )
                issue = Issue.from_dict(entry["issue"])
            issue = dataclasses.replace(issue, source=primary, sources=tuple(sources))
            for article in issue.articles:
                documents.append(
                    store.article_document(
                        issue, article, keywords(article.title + "\n" + article.body), current[primary].hash
                    )
                )
            (report.updated if issue_id in old_issue_ids else report.added).append(issue_id)
        report.unchanged = len({s.issue_id for s in current.values() if s.issue_id} - affected)

        if affected or starting_over:
            store.replace_issues(index, documents, [] if starting_over else sorted(affected))
        manifest.path = target_dir / MANIFEST_NAME
        manifest.save()
        if starting_over:
            swap_in(target_dir, index_dir)
    except BaseException:
        if starting_over:
            shutil.rmtree(target_dir, ignore_errors=True)
        raise
    report.seconds = time.perf_counter() - started
    return report
