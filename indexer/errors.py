"""Narrow exception classes: each names the file and says why it could not be used."""


class BulletinError(Exception):
    """Base of every error the indexer reports to the user as one line."""


class UnreadableFile(BulletinError):
    """A file that cannot be turned into text: truncated, encrypted, scanned, empty or binary junk."""

    def __init__(self, source: str, reason: str):
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class NotABulletin(BulletinError):
    """Text that was read but carries no masthead of the publication."""

    def __init__(self, source: str, reason: str):
        super().__init__(f"{source}: not a bulletin issue: {reason}")
        self.source = source
        self.reason = reason


class IndexCorrupt(BulletinError):
    """A file of the index that does not read back as written (checksum, or whoosh cannot decode it)."""

    def __init__(self, path, reason: str):
        super().__init__(f"{path}: {reason}; the index is damaged, run `bulletin index --rebuild`")
        self.path = path
        self.reason = reason
