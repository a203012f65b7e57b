"""Incremental indexing: archive files → parsed issues → whoosh documents, touching only what changed.

A manifest beside the index records each file's content hash and the issue it holds, and parsed issues
are cached by content hash, so an unchanged file is never read twice and a deleted duplicate costs
no re-parse of the copy that remains. It also records a fingerprint of each setting that shapes what is
stored, so an edit of config.yaml re-parses or re-analyses every issue on the next run.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from indexer import store
from indexer.analysis import ArticleAnalysis, analyze_article
from indexer.errors import BulletinError
from indexer.extract import extract_document
from indexer.models import Issue
from indexer.parse import parse_issue
from indexer.segment import domain_words, idf_table, tokenizer_for
from indexer.settings import Domain, Settings

MANIFEST_NAME = "bulletin-manifest.json"
MANIFEST_VERSION = 1
# Bump when the parser's output changes, so cached parses are redone.
PARSER_VERSION = "1"
# Bump when what analysis stores for an article changes, so every issue is written again.
ANALYSIS_VERSION = "1"
KEYWORD_COUNT = 5
# Which copy of an issue to index when several files hold it: the one with the most articles, then
# the format that carries the least layout noise.
FORMAT_PREFERENCE = {"text": 0, "html": 1, "pdf": 2}
PARALLEL_THRESHOLD = 4
IN_FLIGHT_PER_WORKER = 3
# A worker holds one segment's postings in memory; fewer, larger segments make faster searches.
ISSUES_PER_SEGMENT = 400


@dataclass
class BuildReport:
    added: list[str] = field(default_factory=list)  # issue ids
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    parsed_files: int = 0
    seconds: float = 0.0
    settings_changed: tuple[str, ...] = ()  # the fingerprinted settings that differ from the last run

    def summary(self) -> str:
        why = f"; settings changed: {', '.join(self.settings_changed)}" if self.settings_changed else ""
        return (
            f"added {len(self.added)}, updated {len(self.updated)}, removed {len(self.removed)}, "
            f"unchanged {self.unchanged}, failed {len(self.failed)} issue files "
            f"({self.parsed_files} parsed) in {self.seconds:.1f}s{why}"
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


def archive_files(archive_dir: Path) -> list[tuple[str, Path]]:
    """(name relative to the folder, path) of every file in it, leaving out hidden files and folders."""
    found = []
    for folder, subfolders, names in os.walk(archive_dir):
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        relative = Path(folder).relative_to(archive_dir).as_posix()
        prefix = "" if relative == "." else relative + "/"
        found += ((prefix + name, os.path.join(folder, name)) for name in names if not name.startswith("."))
    return [(name, Path(path)) for name, path in sorted(found) if os.path.isfile(path)]


def write_json_atomically(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, delete=False, suffix=".tmp"
    ) as handle:
        handle.write(json.dumps(data, ensure_ascii=False))
        temporary = Path(handle.name)
    os.replace(temporary, path)


def short_hash(value) -> str:
    return hashlib.sha256(json.dumps(value, ensure_ascii=False).encode("utf-8")).hexdigest()[:16]


# The settings the parser reads (user words too: county detection segments with them). The others
# fingerprinted below change only what analysis makes of a parsed issue.
PARSING_SETTINGS = (
    "parser_version",
    "publication",
    "counties",
    "zones",
    "department_pattern",
    "departments",
    "user_words",
)


def settings_fingerprints(domain: Domain) -> dict[str, str]:
    """A hash of each setting that changes what the index stores, under its name in config.yaml.
    Settings outside the domain (folders, web, search limits) never reach the index."""
    values = {
        "parser_version": PARSER_VERSION,
        "publication": domain.publication,
        "counties": [place.spellings for place in domain.places if not place.is_zone],
        "zones": [place.spellings for place in domain.places if place.is_zone],
        "department_pattern": domain.department_pattern,
        "departments": domain.departments,
        "user_words": domain.user_words,
        "keyword_stopwords": domain.keyword_stopwords,
        "analysis_version": [ANALYSIS_VERSION, store.TITLE_BOOST, KEYWORD_COUNT],
    }
    return {name: short_hash(value) for name, value in values.items()}


def parsing_fingerprint(domain: Domain) -> str:
    fingerprints = settings_fingerprints(domain)
    return short_hash([fingerprints[name] for name in PARSING_SETTINGS])


class ParseCache:
    """Parsed issues (or the reason a file failed) by file content hash and parsing settings."""

    def __init__(self, cache_dir: Path, domain: Domain):
        self.folder = cache_dir / "parsed" / parsing_fingerprint(domain)

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


# The English words jieba's TF-IDF extractor never ranks, so keywords stay what it would choose.
ENGLISH_STOP_WORDS = frozenset(
    "the of is and to in that we for an are by be as on with can if from which you it this then at "
    "have all not one has or".split()
)


class KeywordScorer:
    """jieba's TF-IDF ranking (its IDF table, its rules) over words already segmented.

    The IDF values come from segment.idf_table rather than jieba.analyse, whose import also loads
    jieba's part-of-speech tagger. The bulletin's own stock phrases (config.yaml keyword_stopwords)
    never count.
    """

    def __init__(self, domain: Domain):
        self.idf = idf_table()
        self.stopwords = ENGLISH_STOP_WORDS | set(domain.keyword_stopwords)

    def __call__(self, words: list[str]) -> list[str]:
        counts = Counter(w for w in words if len(w) > 1 and not w.isdigit() and w not in self.stopwords)
        self.idf.prepare(counts)
        values, median = self.idf.values, self.idf.median
        weight = {w: counts[w] * values.get(w, median) for w in counts}
        return sorted(counts, key=lambda w: (-weight[w], w))[:KEYWORD_COUNT]


@lru_cache(maxsize=4)
def keyword_scorer(domain: Domain) -> KeywordScorer:
    return KeywordScorer(domain)


def parse_summary(path: Path, source: str, content_hash: str, domain: Domain, cache_dir: Path) -> dict:
    """What the manifest needs of a parsed file; the issue itself stays in the cache, not in memory."""
    entry = parse_file(path, source, content_hash, domain, cache_dir)
    if "error" in entry:
        return entry
    return {
        "id": entry["issue"]["id"],
        "format": entry["format"],
        "articles": len(entry["issue"]["articles"]),
    }


def segment_chunks(tasks: list[tuple], workers: int) -> list[list[tuple]]:
    """The issues to write, split into one segment's worth each, in a multiple of the worker count
    so no core idles at the end."""
    if len(tasks) < PARALLEL_THRESHOLD or workers <= 1:
        return [tasks] if tasks else []
    count = workers * -(-len(tasks) // (workers * ISSUES_PER_SEGMENT))
    size = -(-len(tasks) // count)
    return [tasks[start : start + size] for start in range(0, len(tasks), size)]


def write_segment(index_dir: Path, tasks: list[tuple]):
    """A new whoosh segment holding the articles of these issues. Runs in worker processes."""
    builder = store.SegmentBuilder(index_dir)
    for task in tasks:
        issue, analyses = analyze_issue(*task)
        content_hash = task[3]
        for article, analysis in zip(issue.articles, analyses, strict=True):
            builder.add(*store.article_document(issue, article, analysis, content_hash))
    return builder.finish()


def analyze_issue(
    path: Path, primary: str, sources: list[str], content_hash: str, domain: Domain, cache_dir: Path
) -> tuple[Issue, list[ArticleAnalysis]]:
    """An issue from its preferred copy, with jieba's work for every article. Runs in worker processes."""
    entry = parse_file(path, primary, content_hash, domain, cache_dir)
    issue = dataclasses.replace(Issue.from_dict(entry["issue"]), source=primary, sources=tuple(sources))
    tokenizer, keywords = tokenizer_for(domain), keyword_scorer(domain)
    return issue, [analyze_article(a.title, a.body, tokenizer, keywords) for a in issue.articles]


class Manifest:
    def __init__(self, path: Path):
        self.path = path
        self.files: dict[str, FileState] = {}
        self.settings: dict[str, str] = {}  # settings_fingerprints of the run that wrote the index

    @classmethod
    def load(cls, path: Path) -> Manifest:
        manifest = cls(path)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return manifest
        if raw.get("version") == MANIFEST_VERSION:
            manifest.files = {name: FileState(**state) for name, state in raw["files"].items()}
            manifest.settings = raw.get("settings", {})
        return manifest

    def save(self) -> None:
        files = {name: vars(state) for name, state in sorted(self.files.items())}
        write_json_atomically(
            self.path, {"version": MANIFEST_VERSION, "settings": self.settings, "files": files}
        )

    def changed_settings(self, fingerprints: dict[str, str]) -> tuple[str, ...]:
        """The settings that differ from the ones this manifest's index was built with (every one,
        for a manifest written before fingerprints were kept); none for an empty index."""
        if not self.files:
            return ()
        return tuple(name for name, value in fingerprints.items() if self.settings.get(name) != value)

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


def run_in_workers(function, argument_lists: list[tuple], workers: int, minimum: int = PARALLEL_THRESHOLD):
    """function(*arguments) for each, in order, on all cores when there are at least `minimum` tasks.

    Only a few tasks are in flight at once, so results do not pile up unread in memory.
    """
    if len(argument_lists) < minimum or workers <= 1:
        yield from (function(*arguments) for arguments in argument_lists)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        pending = deque()
        for arguments in argument_lists:
            pending.append(pool.submit(function, *arguments))
            if len(pending) >= workers * IN_FLIGHT_PER_WORKER:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


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
    archive_dir, index_dir = settings.archive_dir, settings.index_dir
    if not archive_dir.is_dir():
        raise BulletinError(f"{archive_dir}: the archive folder does not exist")
    workers = workers or os.cpu_count() or 1
    words = domain_words(settings.domain)
    fingerprints = settings_fingerprints(settings.domain)
    previous = Manifest(index_dir / MANIFEST_NAME) if rebuild else Manifest.load(index_dir / MANIFEST_NAME)
    changed_settings = previous.changed_settings(fingerprints)
    index = None if rebuild else store.open_current_index(index_dir, words)
    starting_over = index is None
    target_dir = fresh_index_dir(index_dir) if starting_over else index_dir
    try:
        if starting_over:
            index = store.create_index(target_dir, words)
        # A new user word changes the schema, so the index starts over; the old manifest still says
        # which issues it held, so they are reported as updated, and why.
        manifest = previous if changed_settings or not starting_over else Manifest(target_dir / MANIFEST_NAME)
        report = update_index(index, manifest, settings, starting_over, progress, workers, changed_settings)
        manifest.path = target_dir / MANIFEST_NAME
        manifest.settings = fingerprints
        manifest.save()
        if starting_over:
            swap_in(target_dir, index_dir)
    except BaseException:
        if starting_over:
            shutil.rmtree(target_dir, ignore_errors=True)
        raise
    report.seconds = time.perf_counter() - started
    return report


def scan_archive(archive_dir: Path, previous: dict[str, FileState], report: BuildReport):
    """The archive's files with their states, and the ones whose content is new or changed."""
    current: dict[str, FileState] = {}
    changed: list[tuple[str, Path, str]] = []
    for name, path in archive_files(archive_dir):
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
    return current, changed


def update_index(
    index,
    manifest: Manifest,
    settings: Settings,
    starting_over: bool,
    progress,
    workers: int,
    changed_settings: tuple[str, ...] = (),
):
    """Parse what changed, then re-analyze and rewrite only the issues it touches, in one commit.
    After a change of settings, every file is parsed again (if a parsing setting changed) and every
    issue rewritten."""
    report = BuildReport(settings_changed=changed_settings)
    previous = dict(manifest.files)
    current, changed = scan_archive(settings.archive_dir, previous, report)
    if any(name in PARSING_SETTINGS for name in changed_settings):
        # A PDF's extracted text comes from the text cache; only the parse is done again.
        fresh = {name for name, _, _ in changed}
        for name, state in current.items():
            if name not in fresh:
                current[name] = FileState(state.hash, state.size, state.mtime_ns)
                changed.append((name, settings.archive_dir / name, state.hash))

    # Phase 1: extract and parse the changed files (cached by content hash).
    arguments = [(path, name, digest, settings.domain, settings.cache_dir) for name, path, digest in changed]
    parsed = 0
    for (name, _, _), summary in zip(changed, run_in_workers(parse_summary, arguments, workers), strict=True):
        parsed += 1
        state = current[name]
        if "error" in summary:
            state.error = summary["error"]
        else:
            state.issue_id, state.format, state.articles = (
                summary["id"],
                summary["format"],
                summary["articles"],
            )
        if progress:
            progress(parsed, len(changed), f"parsing {name}")
    report.parsed_files = parsed
    report.failed.extend((name, state.error) for name, state in current.items() if state.error)

    changed_names = {name for name, _, _ in changed}
    affected = {current[name].issue_id for name in changed_names if current[name].issue_id}
    affected |= {
        state.issue_id
        for name, state in previous.items()
        if state.issue_id and (name not in current or current[name].hash != state.hash or changed_settings)
    }
    if changed_settings:
        affected |= {state.issue_id for state in current.values() if state.issue_id}
    manifest.files = current
    known_before = {state.issue_id for state in previous.values() if state.issue_id}
    report.unchanged = len({s.issue_id for s in current.values() if s.issue_id} - affected)

    # Phase 2: analyze each touched issue once, from its preferred copy, into new segments (in workers).
    to_write = []
    for issue_id in sorted(affected):
        sources = manifest.sources_of(issue_id)
        if not sources:
            report.removed.append(issue_id)
            continue
        primary = choose_primary(sources, manifest)
        # The file the articles were parsed from comes first: its page numbers are the ones stored.
        ordered_sources = [primary, *(name for name in sources if name != primary)]
        path = settings.archive_dir / primary
        to_write.append(
            (path, primary, ordered_sources, current[primary].hash, settings.domain, settings.cache_dir)
        )
        (report.updated if issue_id in known_before else report.added).append(issue_id)

    if not (affected or starting_over):
        return report
    with store.IssueWriter(index) as writer:
        if not starting_over:
            for issue_id in sorted(affected):
                writer.delete_issue(issue_id)
        chunks = segment_chunks(to_write, workers)
        arguments = [(Path(index.storage.folder), chunk) for chunk in chunks]
        done = 0
        for chunk, segment in zip(
            chunks, run_in_workers(write_segment, arguments, workers, minimum=2), strict=True
        ):
            writer.add_segment(segment)
            done += len(chunk)
            if progress:
                progress(done, len(to_write), f"indexed issue {chunk[-1][1]}")
    return report
