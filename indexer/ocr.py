"""Scanned pages to text: Tesseract's simplified-Chinese model through pytesseract, PDF pages rendered by
pypdfium2 (no poppler), paragraphs regrouped from the lines' geometry and Tesseract's usual confusions undone."""

from __future__ import annotations

import csv
import io
import os
import re
import statistics
import subprocess
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice

from indexer.errors import ToolMissing, UnreadableFile
from indexer.models import PAGE_BREAK
from indexer.normalize import join_lines, squeeze

LANGUAGE = "chi_sim"
INSTALL = "apt-get install tesseract-ocr tesseract-ocr-chi-sim"
# Pages are rendered (and image scans of a lower resolution scaled up) to this resolution: of 200, 250
# and 300 dpi, 250 gave the lowest character error rate on the scan fixture (bench/ocr_cer.py).
RENDER_DPI = 250
# Tesseract's default page segmentation (psm 3) finds the columns and blocks itself: a page holds a
# masthead, a boxed contents list, headings and body text. A page that takes longer than this is given up.
PAGE_TIMEOUT_SECONDS = 300
# Tesseract runs as a subprocess per page; two at a time keep both cores busy. Each runs on one
# thread: its own OpenMP threads only contend with the other page.
PARALLEL_PAGES = 2
# A scan with fewer characters than this read from it holds no text (a photo, a blank page).
MIN_CHARACTERS = 20
# A line this many times as high as the page's usual line is a heading or display type, read again on
# its own (see reread_line) scaled to each of REREAD_HEIGHTS times the usual line height, with
# REREAD_MARGIN of its height around it.
LARGER_TYPE = 1.1
REREAD_HEIGHTS = (1.0, 0.85, 0.7, 0.55)
REREAD_MARGIN = 0.3
# A line continues the one above when that one reaches the text's right edge, give or take this many
# character heights, and lies at most this much further below than the page's usual line pitch.
FULL_LINE_SLACK = 1.5
PITCH_SLACK = 1.12
# A line with a closing bracket and no opening one lost it (an attribution's （), or a wide gap
# inside it is where Tesseract dropped what it could not read (the dash ——): it is read again on its own.
UNOPENED_BRACKET = re.compile(r"^[^(（〈]*[)）]")
WIDE_GAP = re.compile(r"\S[ \t]{2,}\S")
# How many lines above and below give the right edge a line is measured against: a skewed scan's
# edge drifts down the page.
EDGE_WINDOW = 6

CJK = r"\u3400-\u9fff"
CJK_OR_PUNCTUATION = CJK + r"\u3000-\u303f\uff01-\uff0f\uff1a-\uff1f“”‘’—…·"
SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{CJK_OR_PUNCTUATION}])[ \t]+(?=[{CJK_OR_PUNCTUATION}])")
SPACE_AROUND_PUNCTUATION = re.compile(r"[ \t]*([，。、；：！？“”（）《》])[ \t]*")
# A list bullet printed before a contents entry reads as 。 o e ° or ·.
BULLET = re.compile(rf"^[。oe°·•●*]\s+(?=[{CJK}“])")
# The em dash —— reads as two 一, or as one 一 before the space where its second half was, or before
# an opening quote (a numeral 一 is not followed by either in this prose).
DOUBLE_DASH = re.compile(rf"一一|(?<=[{CJK}])一(?:[ \t]+(?=[{CJK}“])|(?=“))")
# Brackets around Chinese, however their halves were read: 〈市、区) 《市科协学会部) (总第 270 期).
BRACKETED = re.compile(rf"[(（〈][ \t]*([^()（）〈〉《》\n]*[{CJK}][^()（）〈〉《》\n]*?)[ \t]*[)）〉]")
BOOK_TITLE_MISREAD = re.compile(rf"《([^()（）〈〉《》\n]*[{CJK}][^()（）〈〉《》\n]*?)[ \t]*[)）]")
HALF_WIDTH_AFTER_CJK = re.compile(rf"(?<=[{CJK}”’）])[ \t]*([,;:!?])[ \t]*")
FULL_WIDTH = {",": "，", ";": "；", ":": "：", "!": "！", "?": "？"}
INTERPUNCT = re.compile(rf"(?<=[{CJK}])[.·][ \t]*(?=[{CJK}])")
# A month or day in a date, with the strokes a 1 is misread as (] | l I) and stray dots and brackets.
DATE_PART = re.compile(
    r"(?<=[年月\d])([\d\]\[|lI.,:]{1,5})(?=[ \t]*[月日])|(?<![\d])([\d\]\[|lI]{1,3})(?=[ \t]*月)"
)
# The page number between dashes, "— 1 —", often reads as 一 1 一 or - 1 -.
PAGE_NUMBER_LINE = re.compile(r"^[一—\-–_~=]+\s*\d{1,4}\s*[一—\-–_~=]+$")


def ocr_problem() -> str | None:
    """Why OCR cannot run on this machine, or None. pytesseract's get_languages caches its first answer
    for the life of the process, so the check asks tesseract itself."""
    import pytesseract

    command = pytesseract.pytesseract.tesseract_cmd
    try:
        listing = subprocess.run([command, "--list-langs"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return "Tesseract is not installed"
    if LANGUAGE not in (listing.stdout + listing.stderr).split():
        return f"Tesseract's {LANGUAGE} model is not installed"
    return None


def ocr_images(images: Iterable, source: str) -> tuple[str, int]:
    """The text of scanned page images (pages separated by models.PAGE_BREAK, as pdf_text gives them)
    and the page count. UnreadableFile when Tesseract is missing or finds no text."""
    pages = read_pages(images, source)
    if not pages:
        raise UnreadableFile(source, "damaged scan (no pages)")
    if sum(len(squeeze(page)) for page in pages) < MIN_CHARACTERS:
        raise UnreadableFile(source, "no text layer (scanned?), and OCR found no text on its pages")
    return f"\n{PAGE_BREAK}\n".join(pages), len(pages)


def read_pages(images: Iterable, source: str) -> list[str]:
    """page_text of each image, PARALLEL_PAGES at a time (so that only that many pages are held
    rendered). UnreadableFile when Tesseract is missing or fails."""
    import pytesseract

    problem = ocr_problem()
    if problem:
        raise ToolMissing(source, f"no text layer (scanned?) and {problem}: {INSTALL}")
    pages: list[str] = []
    images = iter(images)
    try:
        with one_thread_per_tesseract(), ThreadPoolExecutor(PARALLEL_PAGES) as pool:
            while batch := list(islice(images, PARALLEL_PAGES)):
                pages += pool.map(page_text, batch)
    except (pytesseract.TesseractError, RuntimeError) as error:
        # RuntimeError is pytesseract's timeout.
        raise UnreadableFile(source, f"OCR failed on a page: {str(error)[:80]}") from error
    return pages


def pdf_page_images(data: bytes, source: str, numbers: Iterable[int] | None = None) -> Iterator:
    """Each page of a PDF (or those numbered, from 0) as a grey image at RENDER_DPI."""
    import pypdfium2

    try:
        document = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as error:
        raise UnreadableFile(source, f"damaged PDF ({error})") from error
    try:
        for index in range(len(document)) if numbers is None else numbers:
            page = document[index]
            yield page.render(scale=RENDER_DPI / 72, grayscale=True).to_pil().convert("L")
            page.close()
    except pypdfium2.PdfiumError as error:
        raise UnreadableFile(source, f"damaged PDF ({error})") from error
    finally:
        document.close()


@contextmanager
def one_thread_per_tesseract() -> Iterator[None]:
    """Tesseract's subprocesses inherit the environment; OMP_THREAD_LIMIT keeps each on one thread."""
    previous = os.environ.get("OMP_THREAD_LIMIT")
    os.environ["OMP_THREAD_LIMIT"] = "1"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("OMP_THREAD_LIMIT", None)
        else:
            os.environ["OMP_THREAD_LIMIT"] = previous


@dataclass
class Line:
    text: str
    left: int
    top: int
    right: int
    bottom: int

    @property
    def height(self) -> int:
        return self.bottom - self.top


def page_text(image) -> str:
    """One page image's text: a paragraph per line, a blank line between paragraphs."""
    import pytesseract

    # One Tesseract run gives the text (with the spaces it saw) and the boxes of its lines.
    text, tsv = pytesseract.run_and_get_multiple_output(
        image, extensions=["txt", "tsv"], lang=LANGUAGE, timeout=PAGE_TIMEOUT_SECONDS
    )
    lines = page_lines(text, tsv)
    if not lines:
        return ""
    size = statistics.median(line.height for line in lines)
    lefts = sorted(line.left for line in lines)
    rights = sorted(line.right for line in lines)
    column = (lefts[len(lines) // 10], rights[-1 - len(lines) // 10])
    for line in lines:
        if doubtful(line, size, column):
            line.text = reread_line(image, line, size)
        line.text = clean_text(line.text)
    return "\n\n".join(clean_text(paragraph) for paragraph in paragraphs(lines, size))


def doubtful(line: Line, size: float, column: tuple[int, int]) -> bool:
    """Whether a line is worth reading again on its own: larger type or a centred line (the masthead and
    headings, whose titles must come through exactly), a closing bracket without its opening one, or a
    wide gap inside the line, where Tesseract dropped what it could not read (the dash ——, mostly)."""
    left, right = column
    centred = (
        line.left - left > 1.5 * size
        and right - line.right > 1.5 * size
        and abs(line.left + line.right - left - right) < 2 * size
    )
    return (
        centred
        or line.height > LARGER_TYPE * size
        or WIDE_GAP.search(line.text) is not None
        or UNOPENED_BRACKET.search(line.text) is not None
    )


def reread_line(image, line: Line, size: float) -> str:
    """A doubtful line read again on its own at REREAD_HEIGHTS; the reading most of them agree on (the
    first of the best, on a tie). Within the page Tesseract misreads the masthead's widely spaced
    characters (温州科协信息 as 温州科协信和有) and drops a heading's dash and brackets, and bold headings
    read differently at every scale (召开 as 台开 or 如开): the majority is right more often than any one scale."""
    import pytesseract
    from PIL import Image

    margin = int(line.height * REREAD_MARGIN)
    crop = image.crop((line.left - margin, line.top - margin, line.right + margin, line.bottom + margin))
    readings = []
    for height in REREAD_HEIGHTS:
        scale = min(1.0, height * size / line.height)
        scaled = crop.resize(
            (round(crop.width * scale), round(crop.height * scale)), Image.Resampling.LANCZOS
        )
        reading = pytesseract.image_to_string(
            scaled, lang=LANGUAGE, config="--psm 7", timeout=PAGE_TIMEOUT_SECONDS
        ).strip()
        readings.append(reading)
    readings.append(line.text)
    votes = Counter(squeeze(reading) for reading in readings if squeeze(reading))
    if not votes:
        return line.text
    agreed = votes.most_common(1)[0][0]
    return next(reading for reading in readings if squeeze(reading) == agreed)


def page_lines(text: str, tsv: str) -> list[Line]:
    """Tesseract's text lines with their boxes; a line of its text is taken with the box whose words spell it."""
    boxes: dict[tuple, list] = {}
    words: dict[tuple, str] = {}
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        key = (row["page_num"], row["block_num"], row["par_num"], row["line_num"])
        if row["level"] == "4":
            left, top = int(row["left"]), int(row["top"])
            boxes[key] = [left, top, left + int(row["width"]), top + int(row["height"])]
        elif row["level"] == "5" and row["text"].strip():
            words[key] = words.get(key, "") + row["text"]
    spelled = [(squeeze(spelling), key) for key, spelling in words.items() if key in boxes]
    lines, cursor = [], 0
    for raw in text.splitlines():
        wanted = squeeze(raw)
        if not wanted:
            continue
        match = next((i for i in range(cursor, len(spelled)) if spelled[i][0] == wanted), None)
        if match is None:
            continue  # a line the two outputs do not share is noise (Tesseract skips it in one)
        cursor = match + 1
        key = spelled[match][1]
        lines.append(Line(raw.strip(), *boxes[key]))
    return [line for line in lines if not PAGE_NUMBER_LINE.match(line.text)]


def paragraphs(lines: list[Line], size: float) -> list[str]:
    """Lines joined into paragraphs by their geometry, as pdf.page_text does for a text layer: a line
    continues the one above when that one reaches the right edge, this one is not indented, and the
    distance between them is the page's usual line pitch (paragraphs are set further apart)."""
    pitches = sorted(line.bottom - above.bottom for above, line in zip(lines, lines[1:], strict=False))
    pitch = pitches[len(pitches) // 4] if pitches else 0
    texts = [lines[0].text]
    for index in range(1, len(lines)):
        above, line = lines[index - 1], lines[index]
        nearby = lines[max(0, index - EDGE_WINDOW) : index + EDGE_WINDOW]
        right_edge = max(other.right for other in nearby)
        wrapped = (
            above.right >= right_edge - FULL_LINE_SLACK * size
            and line.left <= above.left + size / 2
            and 0 < line.bottom - above.bottom <= pitch * PITCH_SLACK
        )
        if wrapped:
            texts[-1] = join_lines(texts[-1], line.text)
        else:
            texts.append(line.text)
    return texts


def date_part(match: re.Match) -> str:
    """A month or day as printed: the misread 1s restored where that makes a day of a month (]1] as 11),
    else the strokes after the digits dropped as noise (31]. as 31)."""
    part = match.group(0)
    if part.isdigit():
        return part
    part = re.sub(r"[.,:]", "", part)
    for candidate in (part, part.rstrip("][|lI")):
        as_ones = re.sub(r"[\]\[|lI]", "1", candidate)
        if as_ones.isdigit() and 1 <= int(as_ones) <= 31:
            return as_ones
    return re.sub(r"\D", "", part) or match.group(0)


def clean_text(line: str) -> str:
    """A line of Tesseract's chi_sim output as printed: no spaces between Chinese characters, Chinese
    punctuation where Chinese text has it, the dash and brackets it misreads restored, no list bullet."""
    line = BULLET.sub("", line.strip())
    line = DATE_PART.sub(date_part, line)
    line = DOUBLE_DASH.sub("——", line)
    line = BRACKETED.sub(r"（\1）", line)
    line = BOOK_TITLE_MISREAD.sub(r"（\1）", line)
    line = HALF_WIDTH_AFTER_CJK.sub(lambda match: FULL_WIDTH[match.group(1)], line)
    line = INTERPUNCT.sub("·", line)
    line = SPACE_AROUND_PUNCTUATION.sub(r"\1", line)
    if len(SPACE_BETWEEN_CJK.findall(line)) * 2 > len(re.findall(f"[{CJK}]", line)):
        # Tesseract spaced out every character of the line.
        line = SPACE_BETWEEN_CJK.sub("", line)
    return line
