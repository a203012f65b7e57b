"""PDF (pdfminer.six): text by page, paragraphs regrouped from the lines' geometry, cached by content hash."""

from __future__ import annotations

import io
import logging
import struct
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

from indexer import ocr
from indexer.errors import UnreadableFile
from indexer.formats.text_cache import cached_text
from indexer.models import PAGE_BREAK, Extracted
from indexer.normalize import join_lines

if TYPE_CHECKING:
    from pdfminer.layout import LTPage

name = "pdf"
has_pages = True
# Of the copies of one issue, a PDF's text carries the most layout noise, so it wins only on articles.
preference = 2

# A wrapped line reaches the right edge of the text column, give or take this many character widths.
FULL_LINE_SLACK = 1.5
# A gap this much wider than the gap between a paragraph's lines separates paragraphs.
PARAGRAPH_GAP_RATIO = 1.25
TEXT_CACHE_VERSION = "2"
# pdf_text's reason for a PDF whose pages are only images: those are read by OCR.
NO_TEXT_LAYER = "no text layer (scanned?)"

log = logging.getLogger(__name__)


def sniff(head: bytes) -> bool:
    # The PDF specification lets a header sit anywhere in the first 1024 bytes.
    return b"%PDF-" in head[:1024]


def read(data: bytes, source: str, cache_dir: Path | None) -> Extracted:
    """The text and page count (see pdf_text), or of a PDF without a text layer, what OCR reads on its
    pages (see ocr.py). pdfminer takes about a second an issue and OCR seconds a page, so the text is
    kept in cache_dir by the file's content hash."""
    return cached_text(data, cache_dir, TEXT_CACHE_VERSION, lambda: text_or_ocr(data, source), source)


def text_or_ocr(data: bytes, source: str) -> Extracted:
    """The text layer; the pages without one (a scanned issue, or scanned pages behind a typed cover)
    read by OCR."""
    try:
        text, count = pdf_text(data, source)
    except UnreadableFile as error:
        if error.reason != NO_TEXT_LAYER:
            raise
        text, count = ocr.ocr_images(ocr.pdf_page_images(data, source), source)
        return Extracted(text, count, ocr=True)
    pages = text.split(f"\n{PAGE_BREAK}\n")
    scanned = [number for number, page in enumerate(pages) if not page.strip()]
    if not scanned:
        return Extracted(text, count)
    for number, page in zip(
        scanned, ocr.read_pages(ocr.pdf_page_images(data, source, scanned), source), strict=True
    ):
        pages[number] = page
    return Extracted(f"\n{PAGE_BREAK}\n".join(pages), count, ocr=True)


def pdf_text(data: bytes, source: str) -> tuple[str, int]:
    """Text of every page, a paragraph per line, pages separated by form feeds; and the page count."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
    from pdfminer.pdfparser import PDFSyntaxError
    from pdfminer.psexceptions import PSException

    # Some fonts make pdfminer log a warning for every glyph it cannot map; one line per file is
    # what the indexer reports instead.
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    # pdfminer's text boxes are not taken as paragraphs: no line_margin makes them so for both fixture
    # producers (at 0.7 reportlab's boxes match 115 of 119 paragraphs but Chromium's 64 of 115; at 0.8,
    # 113 and 87). page_text regroups the lines by their geometry instead, so the defaults do.
    laparams = LAParams()
    pages: list[str] = []
    try:
        for page in extract_pages(io.BytesIO(data), laparams=laparams):
            pages.append(page_text(page))
    except (PDFPasswordIncorrect, PDFEncryptionError) as error:
        raise UnreadableFile(source, "encrypted PDF (needs a password)") from error
    except (PDFSyntaxError, PSException) as error:
        raise UnreadableFile(source, f"damaged PDF ({type(error).__name__})") from error
    except (
        struct.error,
        zlib.error,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        IndexError,
        AssertionError,
        ZeroDivisionError,
        OverflowError,
        RecursionError,
    ) as error:
        # pdfminer reports some truncated or malformed files only through errors like these.
        raise UnreadableFile(source, f"damaged PDF ({type(error).__name__}: {str(error)[:60]})") from error
    if not pages:
        raise UnreadableFile(source, "damaged PDF (no pages)")
    if not any(page.strip() for page in pages):
        raise UnreadableFile(source, "no text layer (scanned?)")
    return f"\n{PAGE_BREAK}\n".join(pages), len(pages)


def page_text(page: LTPage) -> str:
    """A page's text, one paragraph per line and a blank line between paragraphs.

    pdfminer often puts every printed line in a box of its own, so paragraphs are found from the
    geometry: a line continues the one above when that one reaches the column's right edge, this one
    is not indented, and the gap between them is an ordinary line gap. A centred heading wraps
    differently: its next line is centred under a full one, in the same size.
    """
    from pdfminer.layout import LTTextContainer, LTTextLine

    lines = [
        line
        for box in page
        if isinstance(box, LTTextContainer)
        for line in box
        if isinstance(line, LTTextLine) and line.get_text().strip()
    ]
    if not lines:
        return ""
    right_edge = max(line.x1 for line in lines)
    left_edge = min(line.x0 for line in lines)
    # The tightest spacing on the page is the one between the lines of a paragraph.
    gaps = [
        above.y0 - below.y1
        for above, below in zip(lines, lines[1:], strict=False)
        if above.y0 - below.y1 >= 1
    ]
    line_gap = min(gaps, default=0.0)
    paragraphs = [lines[0].get_text().strip()]
    for above, line in zip(lines, lines[1:], strict=False):
        size = max(line.height, 1.0)
        gap = above.y0 - line.y1
        full = above.x1 >= right_edge - FULL_LINE_SLACK * size
        wrapped = (
            full and line.x0 <= left_edge + size * 0.5 and 0 <= gap <= line_gap * PARAGRAPH_GAP_RATIO + 0.5
        )
        wrapped_heading = (
            full
            and line.x0 > left_edge + size
            and abs((above.x0 + above.x1) - (line.x0 + line.x1)) <= size
            and abs(above.height - line.height) < 0.5
            and 0 <= gap <= size
        )
        text = line.get_text().strip()
        if wrapped or wrapped_heading:
            paragraphs[-1] = join_lines(paragraphs[-1], text)
        else:
            paragraphs.append(text)
    return "\n\n".join(paragraphs)
