"""Each segment file's size and CRC-32 as written, kept beside it and checked before it is read."""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable
from pathlib import Path

from indexer.errors import IndexCorrupt
from indexer.files import write_atomically

# Beside each segment file, the size and CRC-32 it was written with. The name starts with the segment's
# id, so whoosh's cleanup deletes it together with its segment.
SUM_EXTENSION = ".sum"
CHECKSUM_BLOCK = 1 << 22
# Files this process has read back whole and found as written, by (device, inode, size, mtime).
_verified: set[tuple[int, int, int, int]] = set()


def file_checksum(path: Path) -> int:
    crc = 0
    with open(path, "rb") as handle:
        while block := handle.read(CHECKSUM_BLOCK):
            crc = zlib.crc32(block, crc)
    return crc


def _segment_files(names: Iterable[str], segments) -> list[str]:
    prefixes = tuple(segment.segment_id() + "." for segment in segments)
    return sorted(name for name in names if name.startswith(prefixes) and not name.endswith(SUM_EXTENSION))


def write_checksums(storage, segments) -> None:
    """A checksum record beside every file of the segments that has none yet (segments written by
    an older version get theirs at the next commit)."""
    folder, names = Path(storage.folder), set(storage.list())
    for name in _segment_files(names, segments):
        if name + SUM_EXTENSION in names:
            continue
        path = folder / name
        record = {"size": path.stat().st_size, "crc32": file_checksum(path)}
        # The temporary file's name starts with a dot, so neither whoosh nor _segment_files takes a
        # left-over one for a segment file.
        write_atomically(folder / (name + SUM_EXTENSION), json.dumps(record))


def verify_segments(storage, segments) -> None:
    """Raises IndexCorrupt for a segment file whose size or checksum is not what was written. Files
    without a record (an index from an older version) are not checked; each file once per process."""
    folder, names = Path(storage.folder), set(storage.list())
    for name in _segment_files(names, segments):
        if name + SUM_EXTENSION not in names:
            continue
        path = folder / name
        stat = path.stat()
        key = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)
        if key in _verified:
            continue
        try:
            record = json.loads((folder / (name + SUM_EXTENSION)).read_text(encoding="utf-8"))
            size, crc = int(record["size"]), int(record["crc32"])
        except (ValueError, KeyError, TypeError) as error:
            raise IndexCorrupt(folder / (name + SUM_EXTENSION), "unreadable checksum record") from error
        if stat.st_size != size:
            raise IndexCorrupt(path, f"{stat.st_size} bytes on disk, {size} written")
        if file_checksum(path) != crc:
            raise IndexCorrupt(path, "checksum mismatch, the bytes on disk are not those written")
        _verified.add(key)
