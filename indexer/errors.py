"""Narrow exception classes: each names the file and says why it could not be used."""

from __future__ import annotations

import pickle
import struct
import zlib


class BulletinError(Exception):
    """Base of every error the indexer reports to the user as one line."""

    exit_code = 1


class UnreadableFile(BulletinError):
    """A file that cannot be turned into text: truncated, encrypted, scanned, empty or binary junk."""

    def __init__(self, source: str, reason: str):
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class ToolMissing(UnreadableFile):
    """A file that needs a program this machine lacks (LibreOffice for a .doc, Tesseract for a scan).
    The failure is not remembered: the next run reads the file again, so installing the program is all
    it takes."""


class NotABulletin(BulletinError):
    """Text that was read but carries no masthead of the publication."""

    def __init__(self, source: str, reason: str):
        super().__init__(f"{source}: not a bulletin issue: {reason}")
        self.source = source
        self.reason = reason


# Exit code of the command line for faults outside single archive files (1 is for files that failed).
EXIT_FAULT = 2


class IndexProblem(BulletinError):
    """A fault of the index folder itself: the command stops with one line and exit code 2."""

    exit_code = EXIT_FAULT


class IndexMissing(BulletinError):
    """No index in the folder yet: run `bulletin index` first."""


class IndexBusy(IndexProblem):
    """Another `bulletin index` is writing to this index folder."""


class FolderNotAnIndex(IndexProblem):
    """`bulletin index` was pointed at a folder that holds something other than its own index."""


class IndexCorrupt(IndexProblem):
    """A file of the index that does not read back as written (checksum, or whoosh cannot decode it)."""

    def __init__(self, path, reason: str):
        super().__init__(f"{path}: {reason}; the index is damaged, run `bulletin index --rebuild`")
        self.path = path
        self.reason = reason

    def __reduce__(self):
        # Raised in a worker process too, and sent back to the parent by pickle.
        return type(self), (self.path, self.reason)

    @classmethod
    def decoding(cls, path, error: BaseException) -> IndexCorrupt:
        """For what whoosh raised on bytes that are not those it wrote."""
        return cls(path, f"cannot be read ({type(error).__name__}: {error})")


class ArchiveMissing(BulletinError):
    """The archive folder to index is not there (a typo in config.yaml or --archive, a lost mount)."""

    exit_code = EXIT_FAULT


class WorkerDied(IndexProblem):
    """A worker process of `bulletin index` was killed (by the OOM killer, or a person)."""


# What reading a damaged whoosh file raises (a truncated pickle, a short struct, a broken zlib stream),
# never our own code: on an index read these mean the index is damaged.
INDEX_DAMAGE = (pickle.UnpicklingError, EOFError, struct.error, zlib.error)
