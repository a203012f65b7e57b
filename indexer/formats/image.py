"""Scans delivered as images (PNG, JPEG, TIFF, a multi-page TIFF holding a whole issue), read by OCR."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

from indexer import ocr
from indexer.errors import UnreadableFile
from indexer.formats.text_cache import cached_text
from indexer.models import Extracted

name = "image"
has_pages = True
# OCR misreads characters, so any other copy of the same issue is preferred to a scan.
preference = 3

SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")
# Bumped when OCR reads differently, so that cached text is read again.
TEXT_CACHE_VERSION = "ocr1"


def sniff(head: bytes) -> bool:
    return head.startswith(SIGNATURES)


def read(data: bytes, source: str, cache_dir: Path | None) -> Extracted:
    """What OCR reads on every page of the image, kept in cache_dir by the file's content hash."""

    def extract() -> Extracted:
        text, pages = ocr.ocr_images(page_images(data, source), source)
        return Extracted(text, pages, ocr=True)

    return cached_text(data, cache_dir, TEXT_CACHE_VERSION, extract, source)


def page_images(data: bytes, source: str) -> Iterator:
    """Each frame of the image in grey, scaled up to ocr.RENDER_DPI if it says it was scanned at less."""
    from PIL import Image, ImageSequence, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            for frame in ImageSequence.Iterator(image):
                grey = frame.convert("L")
                dpi = frame.info.get("dpi", (0, 0))[0]
                if 0 < dpi < ocr.RENDER_DPI:
                    scale = ocr.RENDER_DPI / dpi
                    size = (round(grey.width * scale), round(grey.height * scale))
                    grey = grey.resize(size, Image.Resampling.LANCZOS)
                yield grey
    except (UnidentifiedImageError, OSError, ValueError, EOFError) as error:
        raise UnreadableFile(source, f"damaged image ({type(error).__name__}: {str(error)[:60]})") from error
