"""PDF (pdfminer.six): text by page, paragraphs regrouped from the lines' geometry, cached by content hash."""

from __future__ import annotations

import io
import logging
import re
import statistics
import struct
import unicodedata
import zlib
from collections import Counter
from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from indexer import ocr
from indexer.errors import UnreadableFile
from indexer.formats.text_cache import cached_text
from indexer.models import PAGE_BREAK, Extracted
from indexer.normalize import PAGE_FOOTER, PAGE_NUMBER, join_lines, squeeze

if TYPE_CHECKING:
    from pdfminer.layout import LTChar, LTCurve, LTPage

name = "pdf"
has_pages = True
# Of the copies of one issue, a PDF's text carries the most layout noise, so it wins only on articles.
preference = 2

# A wrapped line reaches the right edge of the text column, give or take this many character widths.
FULL_LINE_SLACK = 1.5
# A gap this much wider than the gap between a paragraph's lines separates paragraphs.
PARAGRAPH_GAP_RATIO = 1.25
# Characters join a line when they overlap its last one vertically by this share of the larger size and
# the gap between them is at most SEGMENT_GAP sizes: wider gaps are a column gutter or a tab stop.
BASELINE_OVERLAP = 0.5
# Characters of about one size (the larger at most SAME_SIZE times the smaller) whose baselines are
# BASELINE_SHIFT of their size apart no longer share a row (half of that counts as BASELINE_OVERLAP).
BASELINE_SHIFT = 0.5
SAME_SIZE = 1.25
SEGMENT_GAP = 1.2
# A gap of this many character sizes is a typed space: between Chinese (whose glyphs touch) or Latin.
CJK_SPACE = 0.2
LATIN_SPACE = 0.15
# A space glyph is a typed space only where its neighbours stand this many sizes apart.
TYPED_SPACE = 0.1
# Two columns: at least this many lines start at the right column's edge and end at the left one's,
# with a gutter of MIN_GUTTER to MAX_GUTTER character sizes between them.
COLUMN_EVIDENCE = 3
MIN_GUTTER = 0.8
MAX_GUTTER = 6.0
# Two columns are a table's cells, read row by row, when this many blocks of each start level.
TABLE_ROWS = 3
# A stroke at most MAX_STROKE high through the STRIKE_BAND of a character's box (shares of its height
# from the bottom, which holds the descent) strikes it through.
MAX_STROKE = 2.0
STRIKE_BAND = (0.2, 0.7)
# A page whose glyphs are more than this share unmapped (see unmapped) has no usable text layer; an ASCII
# glyph at least FULL_WIDTH of its size wide is a Chinese one mapped wrong (Latin W is 0.94 wide).
UNMAPPED_SHARE = 0.2
FULL_WIDTH = 0.98
# Running headers and footers sit in this share of the page height at its top and bottom.
FURNITURE_BAND = 0.075
TEXT_CACHE_VERSION = "5"
# pdf_text's reason for a PDF whose pages are only images: those are read by OCR.
NO_TEXT_LAYER = "no text layer (scanned?)"


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
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
    from pdfminer.pdfparser import PDFSyntaxError
    from pdfminer.psexceptions import PSException

    # Some fonts make pdfminer log a warning for every glyph it cannot map; one line per file is
    # what the indexer reports instead.
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    # Only pdfminer's characters are used, so its layout analysis is skipped (laparams=None): its lines
    # and boxes take a curly quote set in a Latin font for a line of its own and join lines across a
    # column gutter, so page_lines regroups the characters itself.
    pages: list[PageLines] = []
    try:
        for page in extract_pages(io.BytesIO(data), laparams=None):
            pages.append(page_lines(page))
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
    drop_running_furniture(pages)
    document_gutter = gutter([page.lines for page in pages])
    for page in pages:
        page.lines = reading_order(page.lines, document_gutter)
    texts = [paragraphs_text(page.lines) for page in pages]
    if not any(text.strip() for text in texts):
        raise UnreadableFile(source, NO_TEXT_LAYER)
    return f"\n{PAGE_BREAK}\n".join(texts), len(texts)


@dataclass
class Line:
    """A printed line, or its part in one column, rebuilt from its characters; y grows upwards. The
    edges are those of the column the line is in."""

    text: str
    x0: float
    x1: float
    y0: float
    y1: float
    left_edge: float = 0.0
    right_edge: float = 0.0
    column: str = "page"
    # Width of the Latin word or number the line opens with: a line above ends short when it did not fit.
    lead_width: float = 0.0
    # Its characters, spaces and struck ones included, and the id()s of those struck: to cut it at a gutter.
    chars: list = field(default_factory=list, repr=False, compare=False)
    struck: Container[int] = field(default=(), repr=False, compare=False)

    @property
    def height(self) -> float:
        return self.y1 - self.y0


@dataclass
class PageLines:
    height: float
    lines: list[Line]  # in reading order


def page_text(page: LTPage) -> str:
    """A page's text, one paragraph per line and a blank line between paragraphs (see paragraphs_text)."""
    return paragraphs_text(reading_order(page_lines(page).lines))


def page_chars(item) -> Iterator[LTChar]:
    from pdfminer.layout import LTChar

    if isinstance(item, LTChar):
        yield item
    elif isinstance(item, Iterable):
        for child in item:
            yield from page_chars(child)


def page_strokes(item) -> Iterator[LTCurve]:
    """The page's thin horizontal lines and bars: rules, underlines and strike-throughs."""
    from pdfminer.layout import LTChar, LTCurve

    if isinstance(item, LTCurve):
        if item.width > 0 and item.height <= MAX_STROKE:
            yield item
    elif isinstance(item, Iterable) and not isinstance(item, LTChar):
        for child in item:
            yield from page_strokes(child)


def struck_through(char: LTChar, strokes: list[LTCurve]) -> bool:
    """A stroke across the character's middle height: a word processor's tracked deletion, printed
    struck through, is not text. An underline runs lower, a table's rule between the lines."""
    middle = (char.x0 + char.x1) / 2
    low = char.y0 + STRIKE_BAND[0] * (char.y1 - char.y0)
    high = char.y0 + STRIKE_BAND[1] * (char.y1 - char.y0)
    return any(
        stroke.x0 <= middle <= stroke.x1 and low <= (stroke.y0 + stroke.y1) / 2 <= high for stroke in strokes
    )


def is_cjk(char: str) -> bool:
    return unicodedata.east_asian_width(char) in "WF" or char in "“”‘’"


def join_chars(chars: list[LTChar], struck: Container[int] = ()) -> str:
    """The characters of one line, with a space where one was typed: a space glyph, or a gap as wide as
    a word space between Latin text or between Chinese characters. Office software sets Chinese apart
    from digits and Latin letters (autospace) by a gap with no glyph in it: that is not a space.
    Characters whose id() is in struck are left out, without leaving a gap."""
    text = ""
    previous, typed = None, False
    for char in chars:
        glyph = char.get_text()
        if id(char) in struck:
            previous = char
            continue
        if not glyph.strip():
            typed = previous is not None
            continue
        if previous is not None:
            gap = char.x0 - previous.x1
            size = max(min(previous.size, char.size), 1.0)
            left, right = is_cjk(previous.get_text()[-1]), is_cjk(glyph[0])
            # LibreOffice also writes space glyphs over the characters around them: no gap, no space.
            if (typed and gap >= TYPED_SPACE * size) or (
                left == right and gap >= (CJK_SPACE if left else LATIN_SPACE) * size
            ):
                text += " "
        text += glyph
        previous, typed = char, False
    # A space typed where the line wrapped stays at its end, for the line joined after it.
    return text + " " if typed else text


def lead_width(chars: list[LTChar]) -> float:
    """The width of the run of ASCII letters and digits a line opens with (0 if it opens otherwise)."""
    end = None
    for char in chars:
        if not (char.get_text().isascii() and char.get_text().isalnum()):
            break
        end = char.x1
    return end - chars[0].x0 if end is not None else 0.0


def page_lines(page: LTPage) -> PageLines:
    """The page's characters grouped into lines by vertical overlap and horizontal adjacency, top to bottom."""
    # Space glyphs take part (join_chars keeps a typed space) but do not count for a line's extent.
    chars = sorted((c for c in page_chars(page) if c.x1 > c.x0), key=lambda c: (c.x0, -c.y1))
    printed = [c for c in chars if c.get_text().strip()]
    if sum(map(unmapped, printed)) > UNMAPPED_SHARE * len(printed):
        # Its text layer is garbage: the page reads as one without text, which OCR can read.
        return PageLines(page.height, [])
    strokes = list(page_strokes(page))
    struck = {id(c) for c in chars if struck_through(c, strokes)}
    level_boxes(chars)
    groups: list[list[LTChar]] = []
    for char in chars:
        best, best_overlap = None, BASELINE_OVERLAP
        for group in groups:
            last = group[-1]
            size = max(min(last.size, char.size), 1.0)
            if not -0.5 * size <= char.x0 - last.x1 <= SEGMENT_GAP * size:
                continue
            overlap = shared_row(last, char)
            if overlap >= best_overlap:
                best, best_overlap = group, overlap
        if best is None:
            groups.append([char])
        else:
            best.append(char)
    lines = [line for group in groups if (line := make_line(group, struck)) is not None]
    lines.sort(key=lambda line: (-line.y1, line.x0))
    return PageLines(page.height, lines)


def unmapped(char: LTChar) -> bool:
    """A glyph whose font maps it to no character, or to an ASCII one though it is as wide as it is
    high: Ghostscript's copies re-encode Chinese glyphs so, and pdfminer reads (cid:12) or '#'."""
    text = char.get_text()
    return text.startswith("(cid:") or (text.isascii() and char.x1 - char.x0 >= FULL_WIDTH * char.size)


def baseline(char: LTChar) -> float | None:
    """Where an upright character stands: its origin in the text matrix. None for rotated text."""
    a, b, c, d, _, f = char.matrix
    return f if b == 0 and c == 0 and a > 0 and d > 0 else None


def level_boxes(chars: list[LTChar]) -> None:
    """Set every upright character's box where the page's commonest font has it relative to the
    baseline: fonts whose metrics pdfminer reads otherwise (a Latin quote in LibreOffice's copies, the
    digits in pdftocairo's) would stand higher or lower than the line they are in."""
    fonts = Counter(c.fontname for c in chars if baseline(c) is not None and c.get_text().strip())
    if not fonts:
        return
    common = fonts.most_common(1)[0][0]
    reference = [c for c in chars if c.fontname == common and baseline(c) is not None]
    bottom = statistics.median((c.y0 - baseline(c)) / max(c.size, 1.0) for c in reference)
    for char in chars:
        origin = baseline(char)
        if origin is not None and char.fontname != common:
            height = char.y1 - char.y0
            char.y0 = origin + bottom * max(char.size, 1.0)
            char.y1 = char.y0 + height


def shared_row(last: LTChar, char: LTChar) -> float:
    """How much two characters share a row, as a share of the larger's size. Of one size (within
    SAME_SIZE), the baseline decides: the boxes pdfminer draws from two fonts' metrics may stand a line
    apart on one baseline (pdftocairo's copies). Of sizes apart, the boxes' overlap by the larger size
    does: a line of small print beside a large title's descent is a line of its own."""
    small, large = sorted((max(last.size, 1.0), max(char.size, 1.0)))
    here, there = baseline(last), baseline(char)
    if here is not None and there is not None and large <= SAME_SIZE * small:
        return 1.0 - abs(here - there) / (BASELINE_SHIFT * small)
    return (min(last.y1, char.y1) - max(last.y0, char.y0)) / large


def make_line(group: list[LTChar], struck: Container[int]) -> Line | None:
    """The line of a group of characters, None if none of them is printed."""
    glyphs = [c for c in group if c.get_text().strip() and id(c) not in struck]
    if not glyphs:
        return None
    return Line(
        join_chars(group, struck),
        min(c.x0 for c in glyphs),
        max(c.x1 for c in glyphs),
        # A Latin quote's box sits lower than the Chinese around it: the line is where most glyphs are.
        statistics.median(c.y0 for c in glyphs),
        statistics.median(c.y1 for c in glyphs),
        lead_width=lead_width(glyphs),
        chars=group,
        struck=struck,
    )


def cut_at_gutter(line: Line, right_start: float) -> list[Line]:
    """A line whose characters jump a gutter's width to the right column's edge, as two lines: in a table
    a cell's line may end closer to the next cell than a column's."""
    printed = [c for c in line.chars if c.get_text().strip()]
    for before, char in zip(printed, printed[1:], strict=False):
        size = max(min(before.size, char.size), 1.0)
        if abs(char.x0 - right_start) <= 1 and char.x0 - before.x1 >= MIN_GUTTER * size:
            cut = line.chars.index(char)
            left = [c for c in line.chars[:cut] if c.x0 < before.x1]
            parts = [make_line(left, line.struck), make_line(line.chars[cut:], line.struck)]
            return [part for part in parts if part is not None]
    return [line]


def side_by_side(lines: list[Line], right_start: float) -> list[float]:
    """The right ends of lines that share their row with a line starting at right_start, a gutter's
    width to its right: the evidence of two columns. A heading in one column shifts the rows of the
    other by up to half a line: a row is shared when the lines' middles are less than a line apart."""
    right = [line for line in lines if abs(line.x0 - right_start) <= 1]
    ends = []
    for line in lines:
        size = max(line.height, 1.0)
        if not right_start - MAX_GUTTER * size <= line.x1 <= right_start - MIN_GUTTER * size:
            continue
        if any(abs(line.y0 + line.y1 - other.y0 - other.y1) / 2 < size for other in right):
            ends.append(line.x1)
    return ends


def gutter(pages: list[list[Line]]) -> tuple[float, float] | None:
    """(right edge of the left column, left edge of the right column) where lines start at one x in
    the middle of the page beside lines that end a gutter's width left of it, on several rows."""
    lines = [line for page in pages for line in page]
    if not lines:
        return None
    left = min(line.x0 for line in lines)
    width = max(line.x1 for line in lines) - left
    starts = Counter(round(line.x0) for line in lines if left + width * 0.3 < line.x0 < left + width * 0.7)
    for start, count in starts.most_common(3):
        if count < COLUMN_EVIDENCE:
            break
        right_start = min(line.x0 for line in lines if round(line.x0) == start)
        ends = [end for page in pages for end in side_by_side(page, right_start)]
        if len(ends) >= COLUMN_EVIDENCE:
            # A justified column's lines end at its edge: the commonest end, a hanging comma aside.
            return Counter(round(end) for end in ends).most_common(1)[0][0], right_start
    return None


def reading_order(lines: list[Line], document_gutter: tuple[float, float] | None = None) -> list[Line]:
    """Lines top to bottom, except where the page has two columns: a run of lines none of which
    crosses the gutter is read left column first, then right. The gutter is the document's, so that a
    page holding just the first rows of a two-column section is read by it too."""
    if not lines:
        return []
    page_left, page_right = min(line.x0 for line in lines), max(line.x1 for line in lines)
    split = document_gutter if document_gutter is not None else gutter([lines])
    if split is not None and not side_by_side(lines, split[1]):
        split = None
    if split is None:
        return blocks_order(lines, page_left, page_right)
    left_end, right_start = split
    ordered: list[Line] = []
    run: dict[str, list[Line]] = {"left": [], "right": []}

    def close_run() -> None:
        ordered.extend(table_rows(run["left"], run["right"]) or run["left"] + run["right"])
        run["left"], run["right"] = [], []

    for line in (part for whole in lines for part in cut_at_gutter(whole, right_start)):
        if line.x0 >= right_start - 1:
            line.column, line.left_edge, line.right_edge = "right", right_start, page_right
        elif line.x1 < min(right_start - 1, left_end + FULL_LINE_SLACK * max(line.height, 1.0)):
            # Punctuation may hang past a column's edge; a centred heading ending in the gutter is no
            # left-column line.
            line.column, line.left_edge, line.right_edge = "left", page_left, left_end
        else:
            line.left_edge, line.right_edge = page_left, page_right
            close_run()
            ordered.append(line)
            continue
        run[line.column].append(line)
    close_run()
    return ordered


def table_rows(left: list[Line], right: list[Line]) -> list[Line] | None:
    """The lines of two columns row by row if they are the cells of a table: every block (see blocks)
    of one column starts level with one of the other, on TABLE_ROWS rows or more. None if not."""
    left_blocks, right_blocks = blocks(left), blocks(right)
    if min(len(left_blocks), len(right_blocks)) < TABLE_ROWS or abs(len(left_blocks) - len(right_blocks)) > 1:
        return None
    fewer, more = sorted((left_blocks, right_blocks), key=len)
    if not all(any(abs(block[0].y1 - other[0].y1) <= 1 for other in more) for block in fewer):
        return None
    rows = sorted(left_blocks + right_blocks, key=lambda block: (-round(block[0].y1), block[0].x0))
    return [line for block in rows for line in block]


def overlap(low0: float, high0: float, low1: float, high1: float) -> float:
    return min(high0, high1) - max(low0, low1)


def line_gaps(lines: list[Line], below: dict[int, list[int]]) -> dict[int, float]:
    """The tightest gap per size (rounded height) between a line and the nearest line under it."""
    gaps: dict[int, float] = {}
    for index, under in below.items():
        for other in under:
            gap = lines[index].y0 - lines[other].y1
            size = round(lines[other].height)
            if gap >= 1 and size == round(lines[index].height):
                gaps[size] = min(gap, gaps.get(size, gap))
    return gaps


def blocks(lines: list[Line]) -> list[list[Line]]:
    """Lines (top to bottom) grouped into blocks, each a paragraph, a table cell or a text box: a line
    continues the block of the line above it when their x ranges overlap, the gap between them is an
    ordinary line gap, and neither has another such neighbour (a line over two cells ends its block)."""
    near: dict[int, list[int]] = {index: [] for index in range(len(lines))}
    for index, line in enumerate(lines):
        for other in range(index + 1, len(lines)):
            under = lines[other]
            gap = line.y0 - under.y1
            if gap >= -1 and overlap(line.x0, line.x1, under.x0, under.x1) > 0:
                near[index].append(other)
    gaps = line_gaps(lines, near)
    fallback = min(gaps.values(), default=0.0)

    def ordinary(index: int, other: int) -> bool:
        size = max(lines[other].height, 1.0)
        gap = lines[index].y0 - lines[other].y1
        # A line gap is narrower than a line, whatever the tightest gap on the page.
        return gap <= min(gaps.get(round(size), fallback) * PARAGRAPH_GAP_RATIO + 0.5, size)

    below = {index: [other for other in near[index] if ordinary(index, other)] for index in near}
    above: dict[int, list[int]] = {index: [] for index in near}
    for index, under in below.items():
        for other in under:
            above[other].append(index)
    block_of: dict[int, list[Line]] = {}
    found: list[list[Line]] = []
    for index, line in enumerate(lines):
        over = above[index]
        if len(over) == 1 and len(below[over[0]]) == 1:
            block_of[index] = block_of[over[0]]
            block_of[index].append(line)
        else:
            block_of[index] = [line]
            found.append(block_of[index])
    return found


def blocks_order(lines: list[Line], page_left: float, page_right: float) -> list[Line]:
    """Lines top to bottom, except where blocks stand side by side (the cells of a table row, a text
    box beside the text): each block is read whole, left to right, and its lines are wrapped within its
    own edges."""
    ordered: list[Line] = []
    band: list[list[Line]] = []
    band_bottom = 0.0

    def close_band() -> None:
        if len(band) == 1:
            for line in band[0]:
                line.left_edge, line.right_edge = page_left, page_right
            ordered.extend(band[0])
            return
        # Blocks whose x ranges overlap are one above the other; the rest stand side by side.
        stacks: list[list[list[Line]]] = []
        for block in sorted(band, key=lambda b: min(line.x0 for line in b)):
            left, right = min(line.x0 for line in block), max(line.x1 for line in block)
            for line in block:
                line.left_edge, line.right_edge = left, right
            if stacks and left < max(line.x1 for b in stacks[-1] for line in b):
                stacks[-1].append(block)
            else:
                stacks.append([block])
        for number, stack in enumerate(stacks):
            for block in sorted(stack, key=lambda b: -b[0].y1):
                for line in block:
                    line.column = f"block {number}"
                ordered.extend(block)

    for block in blocks(lines):
        top, bottom = block[0].y1, min(line.y0 for line in block)
        if band and top - band_bottom >= BASELINE_OVERLAP * max(block[0].height, 1.0):
            band.append(block)
            band_bottom = min(band_bottom, bottom)
        else:
            if band:
                close_band()
            band, band_bottom = [block], bottom
    if band:
        close_band()
    return ordered


def furniture_key(line: Line) -> str:
    return re.sub(r"\d+", "#", squeeze(line.text))


def drop_running_furniture(pages: list[PageLines]) -> None:
    """Drop running headers and footers: lines in the top or bottom band of a page that are page
    numbers, or that recur (numbers aside) in the bands of other pages."""

    def in_band(line: Line, page: PageLines) -> bool:
        band = page.height * FURNITURE_BAND
        return line.y0 >= page.height - band or line.y1 <= band

    seen = Counter(
        key for page in pages for key in {furniture_key(line) for line in page.lines if in_band(line, page)}
    )
    for page in pages:
        page.lines = [
            line
            for line in page.lines
            if not (
                in_band(line, page)
                and (
                    seen[furniture_key(line)] > 1
                    or PAGE_FOOTER.match(squeeze(line.text))
                    or PAGE_NUMBER.match(squeeze(line.text))
                )
            )
        ]


def paragraphs_text(lines: list[Line]) -> str:
    """Lines regrouped into paragraphs, one per line and a blank line between paragraphs.

    pdfminer's text boxes are not paragraphs for every producer, so they are found from the geometry:
    a line continues the one above when that one reaches its column's right edge, this one is not
    indented, and the gap between them is an ordinary line gap. Nothing is joined from one column to the
    next: a column may end with a paragraph, and the parser rejoins a paragraph that a break cut.
    A centred heading wraps differently: its next line is centred under a full one, in the same size.
    """
    if not lines:
        return ""
    # The tightest spacing between lines of one size is the one between the lines of a paragraph in
    # that size. Per size: a masthead set in a table packs its rows of other sizes tighter.
    gaps: dict[int, float] = {}
    for above, below in zip(lines, lines[1:], strict=False):
        gap = above.y0 - below.y1
        if above.column == below.column and round(above.height) == round(below.height) and gap >= 1:
            gaps[round(below.height)] = min(gap, gaps.get(round(below.height), gap))
    fallback_gap = min(gaps.values(), default=0.0)
    paragraphs = [lines[0].text]
    for above, line in zip(lines, lines[1:], strict=False):
        size = max(line.height, 1.0)
        gap = above.y0 - line.y1
        full = above.x1 + line.lead_width >= above.right_edge - FULL_LINE_SLACK * size
        line_gap = gaps.get(round(line.height), fallback_gap)
        ordinary_gap = 0 <= gap <= line_gap * PARAGRAPH_GAP_RATIO + 0.5
        wrapped = full and line.x0 <= line.left_edge + size * 0.5 and ordinary_gap
        wrapped_heading = (
            full
            and line.x0 > line.left_edge + size * 0.5
            and abs((above.x0 + above.x1) - (line.x0 + line.x1)) <= size
            and abs(above.height - line.height) < 0.5
            and 0 <= gap <= size
        )
        if wrapped or wrapped_heading:
            paragraphs[-1] = join_lines(paragraphs[-1], line.text)
        else:
            paragraphs.append(line.text)
    return "\n\n".join(paragraphs)
