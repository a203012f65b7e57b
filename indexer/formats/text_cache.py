"""Text extracted from a file, kept in cache_dir by the file's content hash: for the formats slow to read."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from pathlib import Path

from indexer.files import write_atomically

log = logging.getLogger(__name__)


def cached_text(
    data: bytes, source: str, cache_dir: Path | None, version: str, extract: Callable[[], tuple[str, int]]
) -> tuple[str, int]:
    """extract()'s text and page count, from cache_dir/text/ when an earlier run kept them. version
    names the extractor: bump it when its output changes, so older entries are not used."""
    if cache_dir is None:
        return extract()
    digest = hashlib.sha256(data).hexdigest()
    path = Path(cache_dir) / "text" / f"{digest}.{version}.json"
    try:
        cached = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(cached.get("text"), str) and isinstance(cached.get("pages"), int):
            return cached["text"], cached["pages"]
    except (OSError, ValueError, AttributeError):
        pass  # no entry, or a damaged one: extract again and overwrite it
    text, pages = extract()
    try:
        write_atomically(path, json.dumps({"text": text, "pages": pages}, ensure_ascii=False))
    except OSError as error:
        # The text is right; only the next run will be slower.
        log.warning("cannot cache the text of %s in %s: %s", source, path.parent, error)
    return text, pages
