"""File → text: PDF (pdfminer.six), web pages (beautifulsoup4) and plain text, told apart by their bytes.

Every extractor returns normalized text (see normalize.py) and raises UnreadableFile, naming the file
and the reason, for anything it cannot read.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
from pathlib import Path

from bs4 import BeautifulSoup, Comment

from indexer.errors import UnreadableFile
from indexer.models import PAGE_BREAK, Document
from indexer.normalize import join_lines, normalize_text

HTML_START = re.compile(
    rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|title)\b", re.I | re.S
)
HTML_TAGS = re.compile(rb"<(?:p|div|br|h[1-6]|body|article)\b[^>]*>", re.I)
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
CJK = r"\u3400-\u9fff\uf900-\ufaff"
# A line break inside a run of Chinese in page source is no space on the page (CSS Text's
# segment-break rule for East Asian wide characters).
SOURCE_BREAK_IN_CJK = re.compile(rf"(?<=[{CJK}，。；：、！？“”（）])\s*\n\s*(?=[{CJK}，。；：、！？“”（）])")
DROPPED_TAGS = ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe", "svg",
                "template", "button", "select", "input")  # fmt: skip
BLOCK_TAGS = ("p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol",
              "dt", "dd", "blockquote", "pre", "table", "tr", "td", "th", "figcaption", "hr")  # fmt: skip
# A wrapped line reaches the right edge of the text column, give or take this many character widths.
FULL_LINE_SLACK = 1.5
# A gap this much wider than the gap between a paragraph's lines separates paragraphs.
PARAGRAPH_GAP_RATIO = 1.25
TEXT_CACHE_VERSION = "1"


def detect_format(data: bytes) -> str:
    head = data[:4096]
    if head.lstrip().startswith(b"%PDF-"):
        return "pdf"
    if HTML_START.match(head) or len(HTML_TAGS.findall(head)) >= 2:
        return "html"
    return "text"


def extract_document(path: Path, cache_dir: Path | None = None) -> Document:
    """Normalized text of one archive file. Raises UnreadableFile."""
    source = str(path)
    try:
        data = Path(path).read_bytes()
    except IsADirectoryError as error:
        raise UnreadableFile(source, "is a folder, not a file") from error
    except OSError as error:
        raise UnreadableFile(source, f"cannot read: {error.strerror}") from error
    if not data.strip():
        raise UnreadableFile(source, "empty file")
    kind = detect_format(data)
    if kind == "pdf":
        text, pages = cached_pdf_text(data, source, cache_dir)
        return Document(normalize_text(text), source, "pdf", pages)
    text = decode_text(data, source)
    if kind == "html":
        text = html_text(text)
    return Document(normalize_text(text), source, kind, 1)


def decode_text(data: bytes, source: str) -> str:
    """UTF-8 (BOM or not), UTF-16 with a BOM, else GB18030, which covers GBK and GB2312."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise UnreadableFile(source, "broken UTF-16 text") from error
    if b"\x00" in data:
        raise UnreadableFile(source, "binary file, not text")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        # GB18030 decodes many byte sequences; junk still shows as control characters or no CJK.
        if len(CONTROL_CHARACTERS.findall(text)) > len(text) // 100:
            break
        return text
    raise UnreadableFile(source, "binary file, not UTF-8 or GB18030 text")


def html_text(markup: str) -> str:
    """The readable content of a web page, a line per block, without navigation, scripts or footers."""
    soup = BeautifulSoup(markup, "html.parser")
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    for tag in soup.find_all(DROPPED_TAGS):
        tag.decompose()
    root = soup.find("article") or soup.find("main") or soup.body or soup
    for string in root.find_all(string=True):
        if "\n" in string:
            string.replace_with(SOURCE_BREAK_IN_CJK.sub("", str(string)).replace("\n", " "))
    for br in root.find_all("br"):
        br.replace_with("\n")
    for block in root.find_all(BLOCK_TAGS):
        block.insert_before("\n")
        block.insert_after("\n")
    return root.get_text("")


# ------------------------------------------------------------------------------------------------ PDF


def cached_pdf_text(data: bytes, source: str, cache_dir: Path | None) -> tuple[str, int]:
    """pdfminer takes about a second an issue, so its text is kept by the file's content hash."""
    if cache_dir is None:
        return pdf_text(data, source)
    digest = hashlib.sha256(data).hexdigest()
    path = Path(cache_dir) / "text" / f"{digest}.v{TEXT_CACHE_VERSION}.json"
    try:
        cached = json.loads(path.read_text(encoding="utf-8"))
        return cached["text"], cached["pages"]
    except (OSError, ValueError, KeyError):
        pass
    text, pages = pdf_text(data, source)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, delete=False, suffix=".tmp"
    ) as handle:
        json.dump({"text": text, "pages": pages}, handle, ensure_ascii=False)
    os.replace(handle.name, path)
    return text, pages


def pdf_text(data: bytes, source: str) -> tuple[str, int]:
    import io

    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
    from pdfminer.pdfparser import PDFSyntaxError
    from pdfminer.psexceptions import PSException

    # Some fonts make pdfminer log a warning for every glyph it cannot map.
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    pages: list[str] = []
    try:
        for page in extract_pages(io.BytesIO(data), laparams=LAParams()):
            pages.append(page_text(page))
    except (PDFPasswordIncorrect, PDFEncryptionError) as error:
        raise UnreadableFile(source, "encrypted PDF (needs a password)") from error
    except (PDFSyntaxError, PSException) as error:
        raise UnreadableFile(source, f"damaged PDF ({type(error).__name__})") from error
    except (
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        IndexError,
        AssertionError,
        RecursionError,
    ) as error:
        # pdfminer reports some truncated or malformed files only through errors like these.
        raise UnreadableFile(source, f"damaged PDF ({type(error).__name__}: {str(error)[:60]})") from error
    if not pages:
        raise UnreadableFile(source, "damaged PDF (no pages)")
    if not any(page.strip() for page in pages):
        raise UnreadableFile(source, "no text layer (a scanned PDF?)")
    return f"\n{PAGE_BREAK}\n".join(pages), len(pages)


def page_text(page) -> str:
    """A page's text, a paragraph per line.

    pdfminer often puts every printed line in a box of its own, so paragraphs are found from the
    geometry: a line continues the one above when that one reaches the column's right edge, this one
    is not indented, and the gap between them is an ordinary line gap.
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
        continues = (
            above.x1 >= right_edge - FULL_LINE_SLACK * size
            and line.x0 <= left_edge + size * 0.5
            and 0 <= above.y0 - line.y1 <= line_gap * PARAGRAPH_GAP_RATIO + 0.5
        )
        text = line.get_text().strip()
        if continues:
            paragraphs[-1] = join_lines(paragraphs[-1], text)
        else:
            paragraphs.append(text)
    return "\n".join(paragraphs)
