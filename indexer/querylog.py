"""What people could not find: queries that found nothing, one JSON line each in a log beside the index
folder (so a rebuild, which replaces the folder whole, keeps it), for `bulletin report zero-results`."""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import json
import logging
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from indexer.settings import Settings

LOG_SUFFIX = ".zero-results.jsonl"
# Past this size the log moves to `<log>.1` (replacing the one before) and a new one starts.
MAX_LOG_BYTES = 5_000_000
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

log = logging.getLogger(__name__)
_failed_logs: set[Path] = set()
_failed_logs_lock = threading.Lock()


@dataclass(frozen=True)
class ZeroResult:
    q: str
    count: int
    last_seen: str  # ISO 8601, UTC, to the second


def log_path(settings: Settings) -> Path:
    """`<index folder>.zero-results.jsonl`, beside the index folder as its lock file is."""
    # Resolved as `bulletin index` resolves it: one log whether the folder is named through a link or not.
    index_dir = settings.index_dir.resolve()
    return index_dir.with_name(index_dir.name + LOG_SUFFIX)


def rotated_path(path: Path) -> Path:
    return path.with_name(path.name + ".1")


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).strftime(TIME_FORMAT)


def record_zero_result(settings: Settings, q: str) -> None:
    """Appends the query to the log, unless logging is switched off or the query is blank. Never
    raises: the first failure to write is one warning, and this process stops trying."""
    text = " ".join(q.split())[: settings.search.max_query_length]
    path = log_path(settings)
    if not settings.search.log_zero_results or not text or path in _failed_logs:
        return
    entry = json.dumps({"q": text, "time": utc_now()}, ensure_ascii=False) + "\n"
    try:
        _append(path, entry.encode("utf-8", "replace"))
    except OSError as error:
        _give_up(path, error)


@contextlib.contextmanager
def _appending(path: Path) -> Iterator[int]:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        yield fd
    finally:
        os.close(fd)


def _append(path: Path, line: bytes) -> None:
    # One write(2) of the whole line on an O_APPEND descriptor: Linux appends it in one piece, so the
    # lines of several threads or processes never interleave (a buffered file may split a long line).
    with _appending(path) as fd:
        size = os.fstat(fd).st_size
        full = size > 0 and size + len(line) > MAX_LOG_BYTES
        if full:
            _rotate(path, fd)
        else:
            _write_line(fd, line, path)
    if full:
        with _appending(path) as fd:
            _write_line(fd, line, path)


def _rotate(path: Path, fd: int) -> None:
    """Moves the full log (open as fd) to `.1`, unless another writer has moved it since fd was opened."""
    # The lock is on the full file and goes with fd; a writer that waited for it finds a new file at
    # the path and leaves both alone, so `.1` is never replaced by a log that had just started.
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        current = os.stat(path)
    except FileNotFoundError:
        return
    opened = os.fstat(fd)
    if (current.st_dev, current.st_ino) == (opened.st_dev, opened.st_ino):
        os.replace(path, rotated_path(path))


def _write_line(fd: int, line: bytes, path: Path) -> None:
    written = os.write(fd, line)
    if written != len(line):
        # A regular file takes less than asked only when the disk (or the file size limit) is full.
        raise OSError(errno.ENOSPC, f"wrote {written} of {len(line)} bytes, the disk is full", str(path))


def _give_up(path: Path, error: OSError) -> None:
    with _failed_logs_lock:
        if path in _failed_logs:
            return
        _failed_logs.add(path)
    log.warning(
        "%s: cannot record queries that found nothing (%s); searching goes on without it. Make the "
        "folder writable, or set search.log_zero_results: false, and restart",
        path,
        error.strerror or error,
    )


def zero_results(
    settings: Settings, limit: int = 20, warn: Callable[[str], None] | None = None
) -> list[ZeroResult]:
    """The most frequent queries of the log and its `.1`, most frequent first, ties by most recent.
    Malformed lines are skipped and counted, in one line to `warn`."""
    path = log_path(settings)
    counts: Counter[str] = Counter()
    last_seen: dict[str, dt.datetime] = {}
    malformed = 0
    for file in (rotated_path(path), path):
        try:
            data = file.read_bytes()
        except FileNotFoundError:
            continue
        for line in data.splitlines():
            entry = _parse(line)
            if entry is None:
                malformed += 1
                continue
            q, seen = entry
            counts[q] += 1
            last_seen[q] = max(seen, last_seen.get(q, seen))
    if malformed:
        (warn or log.warning)(f"{path}: skipped {malformed} malformed line{'s' if malformed > 1 else ''}")
    ranked = sorted(counts, key=lambda q: (-counts[q], -last_seen[q].timestamp(), q))
    return [ZeroResult(q, counts[q], last_seen[q].strftime(TIME_FORMAT)) for q in ranked[:limit]]


def _parse(line: bytes) -> tuple[str, dt.datetime] | None:
    try:
        entry = json.loads(line.decode("utf-8"))
        q, time = entry["q"], entry["time"]
        seen = dt.datetime.strptime(time, TIME_FORMAT).replace(tzinfo=dt.UTC)
    except (UnicodeDecodeError, ValueError, TypeError, KeyError):
        return None
    if not isinstance(q, str) or not q.strip():
        return None
    return q, seen
