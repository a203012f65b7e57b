"""One index generation opened whole with the tables built from it, and the identity that tells
generations apart."""

from __future__ import annotations

import os
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from whoosh.index import TOC, FileIndex
from whoosh.searching import Searcher

from indexer.engine.checksums import verify_segments
from indexer.engine.facet_table import FacetTable, MatchTexts
from indexer.engine.w3 import SegmentTables, decoding, open_index
from indexer.errors import IndexMissing

if TYPE_CHECKING:
    from indexer.engine import EngineResult
    from indexer.engine.record_fields import RecordFields

CHECK_SECONDS = 0.5
TOC_NAME = re.compile(r"^_MAIN_([0-9]+)\.toc$")
OPEN_ATTEMPTS = 5


def index_identity(index_dir: Path) -> tuple[int, int, int] | None:
    """(device, inode, TOC generation) of the index folder, or None while it has none. A rebuild
    swaps a new folder in by renames, so its inode tells it apart even where the generation repeats."""
    try:
        folder = os.stat(index_dir)
        generations = [int(m.group(1)) for m in map(TOC_NAME.match, os.listdir(index_dir)) if m]
    except OSError:  # between the two renames of a rebuild's swap there is no folder
        return None
    return (folder.st_dev, folder.st_ino, max(generations)) if generations else None


@dataclass(eq=False)
class Generation:
    """One index generation opened whole, with the tables and caches built from it. Requests hold it
    while they use it; the last one out of a retired generation closes its files."""

    identity: tuple[int, int, int]
    searcher: Searcher
    table: FacetTable
    texts: MatchTexts
    segments: SegmentTables
    results: OrderedDict[tuple, EngineResult] = field(default_factory=OrderedDict)
    substrings: OrderedDict[tuple, int] = field(default_factory=OrderedDict)
    issue_entries: list[dict] | None = None  # SearchEngine.issues(), newest first, read once
    record_fields: RecordFields | None = None  # built at the first query that matches records
    users: int = 0
    retired: bool = False
    closed: bool = False

    @classmethod
    def open(cls, index_dir: Path) -> Generation:
        """The newest generation of the folder, its segment files checked against their checksums."""
        for attempt in range(OPEN_ATTEMPTS):
            identity = index_identity(index_dir)
            if identity is None:
                raise IndexMissing(f"{index_dir}: no index yet; run `bulletin index` first")
            try:
                return cls._open(index_dir, identity)
            except FileNotFoundError:
                # A commit deleted this generation's TOC or a merged segment meanwhile: take the next.
                if attempt == OPEN_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    @classmethod
    def _open(cls, index_dir: Path, identity: tuple[int, int, int]) -> Generation:
        index = open_index(index_dir)
        with decoding(index_dir):
            toc = TOC.read(index.storage, index.indexname, gen=identity[2])
            verify_segments(index.storage, toc.segments)
            reader = FileIndex._reader(index.storage, toc.schema, toc.segments, toc.generation)
            try:
                return cls(
                    identity=identity,
                    searcher=Searcher(reader, fromindex=index),
                    table=FacetTable.build(reader),
                    texts=MatchTexts.read(reader),
                    segments=SegmentTables.read(reader),
                )
            except BaseException:
                reader.close()
                raise

    def close(self) -> None:
        self.searcher.close()
