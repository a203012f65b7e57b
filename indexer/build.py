"""Incremental indexing: archive files → parsed issues → whoosh documents, touching only what changed.

A manifest beside the index records each file's content hash and the issue it holds, and parsed issues
are cached by content hash, so an unchanged file is never read twice and a deleted duplicate costs
no re-parse of the copy that remains. It also records a fingerprint of each setting that shapes what is
stored, so an edit of config.yaml re-parses or re-analyses every issue on the next run.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from indexer import index_folder
from indexer.analysis import KEYWORD_COUNT, ArticleAnalysis, analyze_article, keyword_scorer
from indexer.engine import IssueWriter, SegmentBuilder, article_document, create_index, open_current_index
from indexer.errors import INDEX_DAMAGE, ArchiveMissing, BulletinError, IndexCorrupt, ToolMissing
from indexer.files import write_atomically
from indexer.formats import extract_document, format_named
from indexer.index_folder import MANIFEST_NAME, fault_point
from indexer.models import Issue
from indexer.parse import parse_issue
from indexer.settings import Domain, Settings
from indexer.wordseg import domain_words, tokenizer_for
from indexer.workers import run_in_workers

MANIFEST_VERSION = 1
# Bump when the parser's output changes, so cached parses are redone.
PARSER_VERSION = "7"
# Bump when what analysis stores for an article changes, so every issue is written again.
ANALYSIS_VERSION = "3"
# The preference of a format no longer in formats.FORMATS, named by a manifest of an earlier run.
UNKNOWN_FORMAT = 9
# Fewer tasks than this run in this process: starting worker processes would cost more than they save.
PARALLEL_THRESHOLD = 4
# A worker holds one segment's postings in memory; fewer, larger segments make faster searches.
ISSUES_PER_SEGMENT = 400

log = logging.getLogger(__name__)


@dataclass
class BuildReport:
    added: list[str] = field(default_factory=list)  # issue ids
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    flagged: list[tuple[str, str]] = field(default_factory=list)  # (file, its parse report's problems)
    parsed_files: int = 0
    seconds: float = 0.0
    settings_changed: tuple[str, ...] = ()  # the fingerprinted settings that differ from the last run

    def summary(self) -> str:
        why = f"; settings changed: {', '.join(self.settings_changed)}" if self.settings_changed else ""
        flagged = f", flagged {len(self.flagged)}" if self.flagged else ""
        return (
            f"added {len(self.added)}, updated {len(self.updated)}, removed {len(self.removed)}, "
            f"unchanged {self.unchanged}, failed {len(self.failed)}{flagged} issue files "
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
    # Its parse report's problems, kept so that every run names the file until it is fixed.
    flagged: str | None = None
    retry: bool = False  # failed for want of a program (errors.ToolMissing): read again on the next run


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def archive_files(archive_dir: Path, unreadable: list[tuple[str, str]]) -> list[tuple[str, Path]]:
    """(name relative to the folder, path) of every file in it, leaving out hidden files and folders;
    the folders that cannot be listed go to `unreadable` as (name, reason)."""

    def note(error: OSError) -> None:
        name = Path(error.filename).relative_to(archive_dir).as_posix() + "/"
        unreadable.append((name, f"cannot read the folder: {error.strerror}"))

    found = []
    for folder, subfolders, names in os.walk(archive_dir, onerror=note):
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        relative = Path(folder).relative_to(archive_dir).as_posix()
        prefix = "" if relative == "." else relative + "/"
        found += ((prefix + name, os.path.join(folder, name)) for name in names if not name.startswith("."))
    return [(name, Path(path)) for name, path in sorted(found) if os.path.isfile(path)]


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
        "analysis_version": [ANALYSIS_VERSION, KEYWORD_COUNT],
    }
    return {name: short_hash(value) for name, value in values.items()}


def parsing_fingerprint(domain: Domain) -> str:
    fingerprints = settings_fingerprints(domain)
    return short_hash([fingerprints[name] for name in PARSING_SETTINGS])


class ParseCache:
    """Parsed issues (or the reason a file failed) by file content hash and parsing settings.

    Only an optimisation: with no cache folder (None) nothing is kept, and an entry that cannot be
    written (a disk filling up) is skipped; build_index warns once if the folder is unusable.
    """

    def __init__(self, cache_dir: Path | None, domain: Domain):
        self.folder = cache_dir / "parsed" / parsing_fingerprint(domain) if cache_dir else None

    def path(self, content_hash: str) -> Path:
        return self.folder / f"{content_hash}.json"

    def get(self, content_hash: str) -> dict | None:
        if self.folder is None:
            return None
        try:
            return json.loads(self.path(content_hash).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def put(self, content_hash: str, entry: dict) -> None:
        if self.folder is None:
            return
        try:
            write_atomically(self.path(content_hash), json.dumps(entry, ensure_ascii=False))
        except OSError:
            pass  # the entry is right in memory; only a later run will parse this file again


def usable_cache_dir(cache_dir: Path, warn: index_folder.Warn) -> Path | None:
    """The cache folder if files can be written in it; otherwise None, after one warning."""
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=cache_dir):
            pass
    except OSError as error:
        warn(
            f"{cache_dir}: cannot write the cache ({error.strerror or error}); indexing goes on without "
            "it, only slower: make the folder writable or set cache_dir in config.yaml"
        )
        return None
    return cache_dir


def parse_file(path: Path, source: str, content_hash: str, domain: Domain, cache_dir: Path | None) -> dict:
    """One file into a cache entry: {"format", "issue"} or {"error"}. Runs in worker processes."""
    cache = ParseCache(cache_dir, domain)
    cached = cache.get(content_hash)
    if cached is not None:
        return cached
    try:
        document = extract_document(path, cache_dir)
        issue = parse_issue(document.text, source, domain).flagged_for(document.problems)
    except BulletinError as error:
        entry = {"error": getattr(error, "reason", str(error))}
        if isinstance(error, ToolMissing):
            return {**entry, "retry": True}  # not cached: installing the program must be enough
    else:
        if document.ocr:
            issue = issue.read_by_ocr()
        if not format_named(document.format).has_pages:
            issue = dataclasses.replace(
                issue, articles=tuple(dataclasses.replace(a, page=None) for a in issue.articles)
            )
        entry = {"format": document.format, "issue": issue.to_dict()}
    cache.put(content_hash, entry)
    return entry


def parse_summary(path: Path, source: str, content_hash: str, domain: Domain, cache_dir: Path | None) -> dict:
    """What the manifest needs of a parsed file; the issue itself stays in the cache, not in memory."""
    fault_point("parse")
    entry = parse_file(path, source, content_hash, domain, cache_dir)
    if "error" in entry:
        return entry
    report = entry["issue"]["report"]
    return {
        "id": entry["issue"]["id"],
        "format": entry["format"],
        "articles": len(entry["issue"]["articles"]),
        "flagged": "; ".join(report["problems"]) or None,
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
    builder = SegmentBuilder(index_dir)
    for task in tasks:
        issue, analyses = analyze_issue(*task)
        content_hash = task[3]
        for article, analysis in zip(issue.articles, analyses, strict=True):
            builder.add(*article_document(issue, article, analysis, content_hash))
    return builder.finish()


def analyze_issue(
    path: Path, primary: str, sources: list[str], content_hash: str, domain: Domain, cache_dir: Path | None
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
    def load(cls, path: Path) -> Manifest | None:
        """None if there is none this version can read: the index it describes is then built anew,
        since without it the issues of files deleted meanwhile could not be found."""
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            if raw.get("version") != MANIFEST_VERSION:
                return None
            manifest = cls(path)
            manifest.files = {name: FileState(**state) for name, state in raw["files"].items()}
            manifest.settings = raw.get("settings", {})
        except (OSError, ValueError, TypeError, AttributeError, KeyError):
            return None
        return manifest

    def save(self) -> None:
        files = {name: vars(state) for name, state in sorted(self.files.items())}
        write_atomically(
            self.path,
            json.dumps(
                {"version": MANIFEST_VERSION, "settings": self.settings, "files": files}, ensure_ascii=False
            ),
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
    """Which copy of an issue to index when several files hold it: one not flagged, then the one with
    the most articles, then the format preferred (see formats.Format.preference), then the first by name."""

    def preference(name: str):
        state = manifest.files[name]
        file_format = format_named(state.format)
        return (
            state.flagged is not None,
            -state.articles,
            file_format.preference if file_format else UNKNOWN_FORMAT,
            name,
        )

    return min(names, key=preference)


Progress = Callable[[int, int, str], None]


def build_index(
    settings: Settings,
    rebuild: bool = False,
    progress: Progress | None = None,
    workers: int | None = None,
    warn: index_folder.Warn | None = None,
) -> BuildReport:
    """Bring the index in line with the archive folder. Raises only for problems outside single files.

    The index folder must be absent, empty or an index of ours (else FolderNotAnIndex), one run at a
    time writes it (else IndexBusy), and `warn` hears of leftovers put right and of an unusable cache.
    """
    started = time.perf_counter()
    warn = warn or log.warning
    archive_dir, index_dir = settings.archive_dir, settings.index_dir.resolve()
    if not archive_dir.is_dir():
        raise ArchiveMissing(
            f"{archive_dir}: the archive folder does not exist; set archive_dir in config.yaml or --archive"
        )
    index_folder.check_apart(archive_dir, index_dir)
    # Checked before the lock file is made beside the folder, and again holding the lock.
    index_folder.check_ours(index_dir)
    with index_folder.IndexLock(index_dir):
        index_folder.recover(index_dir, warn)
        index_folder.claim(index_dir)
        cache_dir = usable_cache_dir(settings.cache_dir, warn)
        report = build_holding_lock(
            settings, index_dir, cache_dir, rebuild, progress, workers or os.cpu_count() or 1
        )
    report.seconds = time.perf_counter() - started
    return report


def build_holding_lock(
    settings: Settings,
    index_dir: Path,
    cache_dir: Path | None,
    rebuild: bool,
    progress: Progress | None,
    workers: int,
) -> BuildReport:
    """Updates the index in place, or builds a new one beside it and swaps it in."""
    words = domain_words(settings.domain)
    fingerprints = settings_fingerprints(settings.domain)
    index = None if rebuild else open_current_index(index_dir, words)
    previous = None if rebuild else Manifest.load(index_dir / MANIFEST_NAME)
    changed_settings = previous.changed_settings(fingerprints) if previous is not None else ()
    if index is not None and previous is not None:
        try:
            report = update_index(
                index, previous, settings, cache_dir, False, progress, workers, changed_settings
            )
        except INDEX_DAMAGE as error:
            raise IndexCorrupt.decoding(index_dir, error) from error
        # Killed here, the index holds this run's issues and the manifest not yet: the next run
        # sees the same files as changed and writes their issues again, replacing them.
        fault_point("after-commit")
        previous.settings = fingerprints
        previous.save()
        return report
    target_dir = index_folder.new_sibling(index_dir, "new")
    try:
        index_folder.mark(target_dir)
        index = create_index(target_dir, words)
        # A new user word changes the schema, so the index starts over; the old manifest still says
        # which issues it held, so they are reported as updated, and why.
        manifest = (
            previous if previous is not None and changed_settings else Manifest(target_dir / MANIFEST_NAME)
        )
        manifest.path = target_dir / MANIFEST_NAME
        report = update_index(index, manifest, settings, cache_dir, True, progress, workers, changed_settings)
        manifest.settings = fingerprints
        manifest.save()
        fault_point("before-swap")
        index_folder.swap_in(target_dir, index_dir)
    except BaseException:
        if target_dir.exists():
            with contextlib.suppress(OSError):  # else the next run removes it
                index_folder.remove_our_folder(target_dir)
        raise
    return report


def scan_archive(archive_dir: Path, previous: dict[str, FileState], report: BuildReport):
    """The archive's files with their states, and the ones whose content is new or changed."""
    current: dict[str, FileState] = {}
    changed: list[tuple[str, Path, str]] = []
    unreadable: list[tuple[str, str]] = []
    files = archive_files(archive_dir, unreadable)
    report.failed.extend(unreadable)
    # The files of a folder that cannot be listed stay as they were, rather than leave the index.
    hidden = tuple("" if folder == "./" else folder for folder, _ in unreadable)
    current.update((name, state) for name, state in previous.items() if hidden and name.startswith(hidden))
    for name, path in files:
        try:
            stat = path.stat()
            known = previous.get(name)
            if (
                known
                and not known.retry
                and known.size == stat.st_size
                and known.mtime_ns == stat.st_mtime_ns
            ):
                current[name] = known
                continue
            digest = file_hash(path)
        except OSError as error:
            report.failed.append((name, f"cannot read: {error.strerror}"))
            continue
        if known and not known.retry and known.hash == digest:
            current[name] = dataclasses.replace(known, size=stat.st_size, mtime_ns=stat.st_mtime_ns)
        else:
            current[name] = FileState(digest, stat.st_size, stat.st_mtime_ns)
            changed.append((name, path, digest))
    return current, changed


def update_index(
    index,
    manifest: Manifest,
    settings: Settings,
    cache_dir: Path | None,
    starting_over: bool,
    progress: Progress | None,
    workers: int,
    changed_settings: tuple[str, ...] = (),
) -> BuildReport:
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
    arguments = [(path, name, digest, settings.domain, cache_dir) for name, path, digest in changed]
    parsed = 0
    for (name, _, _), summary in zip(
        changed, run_in_workers(parse_summary, arguments, workers, PARALLEL_THRESHOLD), strict=True
    ):
        parsed += 1
        state = current[name]
        if "error" in summary:
            state.error, state.retry = summary["error"], summary.get("retry", False)
        else:
            state.issue_id, state.format, state.articles, state.flagged = (
                summary["id"],
                summary["format"],
                summary["articles"],
                summary["flagged"],
            )
        if progress:
            progress(parsed, len(changed), f"parsing {name}")
    report.parsed_files = parsed
    report.failed.extend((name, state.error) for name, state in current.items() if state.error)
    report.flagged.extend((name, state.flagged) for name, state in current.items() if state.flagged)

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
        to_write.append((path, primary, ordered_sources, current[primary].hash, settings.domain, cache_dir))
        (report.updated if issue_id in known_before else report.added).append(issue_id)

    if not (affected or starting_over):
        return report
    with IssueWriter(index) as writer:
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
        fault_point("before-commit")
    return report
