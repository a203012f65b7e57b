"""Extracted text kept in the cache folder by the file's content hash: pdfminer, OCR and office
conversions take seconds a file, and a re-parse after a settings change should not repeat them."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from pathlib import Path

from indexer.files import write_atomically
from indexer.models import Extracted

log = logging.getLogger(__name__)


def cached_text(
    data: bytes, cache_dir: Path | None, version: str, extract: Callable[[], Extracted], source: str
) -> Extracted:
    """extract()'s result, from cache_dir/text/<sha256>.v<version>.json when an earlier run kept it."""
    if cache_dir is None:
        return extract()
    digest = hashlib.sha256(data).hexdigest()
    path = Path(cache_dir) / "text" / f"{digest}.v{version}.json"
    try:
        cached = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(cached.get("text"), str) and isinstance(cached.get("pages"), int):
            return Extracted(cached["text"], cached["pages"], cached.get("ocr") is True)
    except (OSError, ValueError, AttributeError):
        pass  # no entry, or a damaged one: extract again and overwrite it
    extracted = extract()
    entry = {"text": extracted.text, "pages": extracted.pages, "ocr": extracted.ocr}
    try:
        write_atomically(path, json.dumps(entry, ensure_ascii=False))
    except OSError as error:
        # The text is right; only the next run will be slower.
        log.warning("cannot cache the text of %s in %s: %s", source, path.parent, error)
    return extracted
