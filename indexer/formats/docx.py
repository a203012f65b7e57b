"""Word .docx (Office Open XML), its main document's XML walked with lxml: body, tables and text boxes
in document order, a paragraph per line; headers, footers, deleted text and field codes left out."""

from __future__ import annotations

import contextlib
import io
import posixpath
import re
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

from lxml import etree

from indexer.errors import UnreadableFile
from indexer.models import Extracted

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
VML = "{urn:schemas-microsoft-com:vml}"
# Old WordArt (VML) keeps its text in an attribute; mastheads are often set in it.
WORD_ART = f"{VML}textpath"
# Floating shapes: DrawingML's anchor, and the VML shapes Word 2007 and the fallbacks use for text boxes.
WP = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}"
DRAWING_ANCHOR = f"{WP}anchor"
VML_SHAPES = (f"{VML}shape", f"{VML}rect", f"{VML}roundrect")
# A floating box this far or more below the top of its anchor paragraph is below that paragraph's first
# line: one line of body text, 12 pt (in EMU for DrawingML, 12700 to the point).
BELOW_ANCHOR_POINTS = 12
EMU_PER_POINT = 12700
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


def read(data: bytes, source: str, cache_dir: Path | None) -> Extracted:
    return Extracted(docx_text(data, source), 1)


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


@contextlib.contextmanager
def damaged_package_reasons(source: str, kind: str) -> Iterator[None]:
    """What goes wrong reading an office package (a ZIP of XML parts), as one UnreadableFile reason."""
    try:
        yield
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        raise UnreadableFile(source, f"damaged {kind} (truncated, or its ZIP is broken: {error})") from error
    except KeyError as error:
        # zipfile names the missing member: "There is no item named 'word/document.xml' in the archive".
        raise UnreadableFile(source, f"damaged {kind} ({error.args[0]})") from error
    except etree.XMLSyntaxError as error:
        raise UnreadableFile(source, f"damaged {kind} (its XML does not parse: {error})") from error


def main_document(data: bytes, source: str) -> etree._Element:
    """The root of the part the package's relationships name as its main document (word/document.xml
    as a rule). Only that part is read: a damaged picture elsewhere in the ZIP costs no text."""
    from docx.oxml.parser import parse_xml  # lxml set up not to expand entities

    with damaged_package_reasons(source, "Word file"), zipfile.ZipFile(io.BytesIO(data)) as package:
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
    """A paragraph's lines, with the text boxes anchored in it: before its text, unless a box hangs
    below the paragraph's first line (see hangs_below)."""
    text: list[str] = []
    below: list[str] = []
    inline_text(paragraph, text, lines, below)
    lines.extend("".join(text).split("\n"))
    lines.extend(below)


def inline_text(element: etree._Element, text: list[str], boxes: list[str], below: list[str]) -> None:
    """The paragraph's own text into text; the lines of the text boxes met on the way into boxes."""
    for child in element:
        tag = child.tag
        if tag == TEXT:
            text.append(child.text or "")
        elif tag in RUN_CHARACTERS:
            text.append(RUN_CHARACTERS[tag])
        elif tag == TEXT_BOX:
            block_lines(child, boxes)
        elif tag == WORD_ART:
            boxes.append(child.get("string", ""))
        elif tag == ALTERNATE_CONTENT:
            branch = chosen_branch(child)
            if branch is not None:
                inline_text(branch, text, boxes, below)
        elif tag == DRAWING_ANCHOR or tag in VML_SHAPES:
            inline_text(child, text, below if hangs_below(child) else boxes, below)
        elif tag not in SKIPPED and isinstance(tag, str):
            inline_text(child, text, boxes, below)


def hangs_below(shape: etree._Element) -> bool:
    """Whether a floating shape is placed a line or more below the top of the paragraph it is anchored
    in, and so read after that paragraph. Word anchors a box to the paragraph at its top edge: a box
    drawn under the masthead's date line hangs from that line, while a masthead box at the top of the
    page sits at its paragraph's top and pushes the paragraph's text below it."""
    if shape.tag == DRAWING_ANCHOR:
        position = shape.find(f"{WP}positionV")
        if position is None or position.get("relativeFrom") not in ("paragraph", "line"):
            return False
        offset = position.findtext(f"{WP}posOffset", "").strip()
        return offset.lstrip("-").isdigit() and int(offset) >= BELOW_ANCHOR_POINTS * EMU_PER_POINT
    # VML: "position:absolute;margin-top:36pt;mso-position-vertical-relative:text" (text: the paragraph).
    style = dict(
        (name.strip(), value.strip())
        for name, _, value in (item.partition(":") for item in shape.get("style", "").split(";"))
    )
    if style.get("mso-position-vertical-relative", "text") not in ("text", "line"):
        return False
    top = style.get("margin-top", "0").removesuffix("pt")
    try:
        return float(top) >= BELOW_ANCHOR_POINTS
    except ValueError:
        return False


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
