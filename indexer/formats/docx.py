"""Word .docx (Office Open XML), its main document's XML walked with lxml: body, tables and text boxes
in document order, a paragraph per line; headers, footers, deleted text and field codes left out."""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
import zlib
from pathlib import Path

from lxml import etree

from indexer.errors import UnreadableFile

name = "docx"
# Word lays pages out when it shows a document; the file records only the breaks typed by hand, so a
# page number counted from them would be wrong wherever text flows onto the next page.
has_pages = False
# The author's own paragraphs, like a web page's: less layout noise than a PDF, a little more than text.
preference = 1

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
PARAGRAPH = f"{W}p"
TEXT = f"{W}t"
TEXT_BOX = f"{W}txbxContent"
# Old WordArt (VML) keeps its text in an attribute; mastheads are often set in it.
WORD_ART = "{urn:schemas-microsoft-com:vml}textpath"
ALTERNATE_CONTENT = f"{MC}AlternateContent"
BRANCHES = (f"{MC}Choice", f"{MC}Fallback")
# What a run holds besides w:t. A line break (Shift+Enter) ends a line as in html.py's <br>; a page
# break only ends the line (see has_pages).
RUN_CHARACTERS = {f"{W}tab": "\t", f"{W}ptab": "\t", f"{W}br": "\n", f"{W}cr": "\n", f"{W}noBreakHyphen": "-"}
# Not printed: tracked deletions and moves, field codes (the field's result follows as ordinary runs),
# and properties, which hold no text.
SKIPPED = frozenset(
    f"{W}{tag}" for tag in ("del", "moveFrom", "delText", "instrText", "delInstrText", "rPr", "pPr", "sectPr")
)
PACKAGE_RELATIONSHIPS = "_rels/.rels"
# The name of a ZIP member at the start of a local file header (its fixed fields are 26 bytes long).
WORD_MEMBER = re.compile(rb"PK\x03\x04.{26}word/", re.S)


def sniff(head: bytes) -> bool:
    """A ZIP archive with a word/ folder: .xlsx (xl/), .pptx (ppt/), .odt and plain ZIPs have none.
    Word, LibreOffice and python-docx write word/document.xml within the first few members."""
    return head.startswith(b"PK\x03\x04") and WORD_MEMBER.search(head) is not None


def read(data: bytes, source: str, cache_dir: Path | None) -> tuple[str, int]:
    return docx_text(data, source), 1


def docx_text(data: bytes, source: str) -> str:
    """The main document's text, a paragraph per line. Raises UnreadableFile for a damaged file."""
    lines: list[str] = []
    block_lines(main_document(data, source), lines)
    # Indents typed as spaces go: normalize_text takes an indented line for the start of a paragraph
    # and then joins the lines it sees as wrapped, which a paragraph per line must never be.
    text = "\n".join(line for line in (line.strip() for line in lines) if line)
    if not text:
        raise UnreadableFile(source, "Word document without text")
    return text


def main_document(data: bytes, source: str) -> etree._Element:
    """The root of the part the package's relationships name as its main document (word/document.xml
    as a rule). Only that part is read: a damaged picture elsewhere in the ZIP costs no text."""
    from docx.oxml.parser import parse_xml  # lxml set up not to expand entities

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            relationships = parse_xml(package.read(PACKAGE_RELATIONSHIPS))
            target = next(
                (r.get("Target", "") for r in relationships if r.get("Type", "").endswith("/officeDocument")),
                None,
            )
            if target is None:
                raise UnreadableFile(
                    source, f"damaged Word file ({PACKAGE_RELATIONSHIPS} names no main document)"
                )
            return parse_xml(package.read(posixpath.normpath(target.lstrip("/"))))
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        raise UnreadableFile(
            source, f"damaged Word file (truncated, or its ZIP is broken: {error})"
        ) from error
    except KeyError as error:
        # zipfile names the missing member: "There is no item named 'word/document.xml' in the archive".
        raise UnreadableFile(source, f"damaged Word file ({error.args[0]})") from error
    except etree.XMLSyntaxError as error:
        raise UnreadableFile(source, f"damaged Word file (its XML does not parse: {error})") from error


def block_lines(container: etree._Element, lines: list[str]) -> None:
    """Paragraphs in document order, wherever they sit: tables (row by row, cell by cell), content
    controls, text boxes."""
    for child in container:
        if child.tag == PARAGRAPH:
            paragraph_lines(child, lines)
        elif child.tag == ALTERNATE_CONTENT:
            branch = chosen_branch(child)
            if branch is not None:
                block_lines(branch, lines)
        elif child.tag not in SKIPPED:
            block_lines(child, lines)


def paragraph_lines(paragraph: etree._Element, lines: list[str]) -> None:
    """A paragraph's lines; the text boxes anchored in it go first: a box is placed by its paragraph,
    usually above or beside it (a masthead is anchored to the first paragraph below it)."""
    text: list[str] = []
    inline_text(paragraph, text, lines)
    lines.extend("".join(text).split("\n"))


def inline_text(element: etree._Element, text: list[str], box_lines: list[str]) -> None:
    for child in element:
        tag = child.tag
        if tag == TEXT:
            text.append(child.text or "")
        elif tag in RUN_CHARACTERS:
            text.append(RUN_CHARACTERS[tag])
        elif tag == TEXT_BOX:
            block_lines(child, box_lines)
        elif tag == WORD_ART:
            box_lines.append(child.get("string", ""))
        elif tag == ALTERNATE_CONTENT:
            branch = chosen_branch(child)
            if branch is not None:
                inline_text(branch, text, box_lines)
        elif tag not in SKIPPED and isinstance(tag, str):
            inline_text(child, text, box_lines)


def chosen_branch(alternate: etree._Element) -> etree._Element | None:
    """One branch of mc:AlternateContent, so that its text is read once: Word writes every text box
    twice, as a DrawingML shape (mc:Choice) and as VML for older readers (mc:Fallback). The first
    branch holding any text; a Choice this reader could not use may leave it all to the Fallback."""
    return next(
        (
            branch
            for branch in alternate
            if branch.tag in BRANCHES and next(branch.iter(TEXT, WORD_ART), None) is not None
        ),
        None,
    )
