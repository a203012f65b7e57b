"""File → text: PDF (pdfminer.six), web pages (beautifulsoup4) and plain text, told apart by their bytes.

Every extractor returns normalized text (see normalize.py) and raises UnreadableFile, naming the file
and the reason, for anything it cannot read.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import json
import logging
import os
import re
import struct
import tempfile
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

from indexer.errors import UnreadableFile
from indexer.models import PAGE_BREAK, Document
from indexer.normalize import join_lines, normalize_text

if TYPE_CHECKING:
    from pdfminer.layout import LTPage

HTML_START = re.compile(
    rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|title)\b", re.I | re.S
)
HTML_TAGS = re.compile(rb"<(?:p|div|br|h[1-6]|article)\b[^>]*>", re.I)
HTML_BODY = re.compile(rb"<body\b", re.I)
META_CHARSET = re.compile(rb"""<meta\b[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# GB18030 is a superset of these (as Python names them); pages labelled GB2312 often hold GBK characters.
GB_FAMILY = {"gb2312", "gbk", "gb18030"}
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
CJK = r"\u3400-\u9fff\uf900-\ufaff"
# A line break inside a run of Chinese in page source is no space on the page (CSS Text's
# segment-break rule for East Asian wide characters).
SOURCE_BREAK_IN_CJK = re.compile(rf"(?<=[{CJK}，。；：、！？“”（）])\s*\n\s*(?=[{CJK}，。；：、！？“”（）])")
DROPPED_TAGS = ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe", "svg",
                "template", "button", "select", "input", "textarea", "title")  # fmt: skip
BLOCK_TAGS = ("p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol",
              "dt", "dd", "blockquote", "pre", "table", "tr", "td", "th", "figcaption", "hr", "header")  # fmt: skip
# A wrapped line reaches the right edge of the text column, give or take this many character widths.
FULL_LINE_SLACK = 1.5
# A gap this much wider than the gap between a paragraph's lines separates paragraphs.
PARAGRAPH_GAP_RATIO = 1.25
TEXT_CACHE_VERSION = "2"

log = logging.getLogger(__name__)


def detect_format(data: bytes) -> str:
    """Tell "pdf", "html" and "text" apart by the bytes alone: names in an archive are not to be trusted."""
    # The PDF specification lets a header sit anywhere in the first 1024 bytes.
    if b"%PDF-" in data[:1024]:
        return "pdf"
    head = data[:4096]
    if head.startswith(UTF16_BOMS):
        head = head.decode("utf-16", errors="replace").encode("utf-8")
    head = head.removeprefix(UTF8_BOM)
    if HTML_START.match(head) or HTML_BODY.search(head) or len(HTML_TAGS.findall(head)) >= 2:
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
        raise UnreadableFile(source, f"cannot read: {error.strerror or error}") from error
    if not data.strip():
        raise UnreadableFile(source, "empty file")
    kind = detect_format(data)
    if kind == "pdf":
        text, pages = cached_pdf_text(data, source, cache_dir)
        return Document(normalize_text(text), source, "pdf", pages)
    if kind == "html":
        text = html_text(decode_text(data, source, declared_charset(data)))
    else:
        text = decode_text(data, source)
    if not text.strip():
        raise UnreadableFile(source, "web page without text" if kind == "html" else "empty file")
    return Document(normalize_text(text), source, kind, 1)


def declared_charset(data: bytes) -> str | None:
    """The encoding a web page's <meta> names, if Python knows it."""
    found = META_CHARSET.search(data[:4096])
    if not found:
        return None
    try:
        name = codecs.lookup(found.group(1).decode("ascii")).name
    except (LookupError, UnicodeDecodeError):
        return None
    if name in GB_FAMILY:
        return "gb18030"
    return "utf-8-sig" if name == "utf-8" else name


def decode_text(data: bytes, source: str, declared: str | None = None) -> str:
    """UTF-8 (BOM or not), UTF-16 with a BOM, else GB18030, which covers GBK and GB2312.

    A web page's declared encoding is tried after UTF-8 (which almost never decodes text in another
    encoding by accident) and before GB18030.
    """
    if data.startswith(UTF16_BOMS):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise UnreadableFile(source, "broken UTF-16 text") from error
    if b"\x00" in data:
        raise UnreadableFile(source, "binary file, not text")
    for encoding in dict.fromkeys(("utf-8-sig", declared or "utf-8-sig", "gb18030")):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as error:
            # A download cut off inside the last character is still UTF-8; GB18030 would read
            # every byte of it, as the wrong characters.
            if (
                encoding.startswith("utf-8")
                and error.start >= len(data) - 3
                and error.reason == "unexpected end of data"
            ):
                return data[: error.start].decode(encoding)
            continue
        # GB18030 decodes many byte sequences; junk still shows as control characters.
        if len(CONTROL_CHARACTERS.findall(text)) <= len(text) // 100:
            return text
    raise UnreadableFile(source, "binary file, not UTF-8 or GB18030 text")


def html_text(markup: str) -> str:
    """The readable content of a web page, a paragraph per block, without navigation, scripts or footers."""
    # Imported here: beautifulsoup4 and its CSS engine cost a fifth of a second at start-up, and most
    # runs of `bulletin index` read no web page.
    from bs4 import BeautifulSoup, Comment

    soup = BeautifulSoup(markup, "html.parser")
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    for tag in soup.find_all(DROPPED_TAGS):
        # An article's own <header> holds its title and date, not the site's name.
        if tag.name == "header" and tag.find_parent("article"):
            continue
        tag.decompose()
    root = soup.find("article") or soup.find("main") or soup.body or soup
    for string in root.find_all(string=True):
        if "\n" in string:
            string.replace_with(SOURCE_BREAK_IN_CJK.sub("", str(string)).replace("\n", " "))
    # Sites put <br> between paragraphs far more often than inside one.
    for br in root.find_all("br"):
        br.replace_with("\n\n")
    for block in root.find_all(BLOCK_TAGS):
        block.insert_before("\n\n")
        block.insert_after("\n\n")
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
        if isinstance(cached.get("text"), str) and isinstance(cached.get("pages"), int):
            return cached["text"], cached["pages"]
    except (OSError, ValueError, AttributeError):
        pass  # no entry, or a damaged one: extract again and overwrite it
    text, pages = pdf_text(data, source)
    try:
        write_atomically(path, json.dumps({"text": text, "pages": pages}, ensure_ascii=False))
    except OSError as error:
        # The text is right; only the next run will be slower.
        log.warning("cannot cache the text of %s in %s: %s", source, path.parent, error)
    return text, pages


def write_atomically(path: Path, content: str) -> None:
    """A reader in another process sees the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False
    )
    try:
        with handle:
            handle.write(content)
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


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
