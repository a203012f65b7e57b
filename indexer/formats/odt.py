"""OpenDocument text (.odt, LibreOffice's own format): content.xml walked with lxml, a paragraph per line,
tables cell by cell and text boxes once; headers and footers (in styles.xml), notes, comments and
tracked deletions left out."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

from lxml import etree

from indexer.errors import UnreadableFile
from indexer.formats.docx import damaged_package_reasons
from indexer.models import Extracted

name = "odt"
# As in a .docx, pages are laid out when the document is shown; the file does not know them.
has_pages = False
preference = 1

MIMETYPE = b"application/vnd.oasis.opendocument.text"
TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
DRAW = "{urn:oasis:names:tc:opendocument:xmlns:drawing:1.0}"
SVG = "{urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0}"
MANIFEST = "{urn:oasis:names:tc:opendocument:xmlns:manifest:1.0}"
PARAGRAPHS = (f"{TEXT}p", f"{TEXT}h")
SPACES, TAB, LINE_BREAK = f"{TEXT}s", f"{TEXT}tab", f"{TEXT}line-break"
# Not printed in the text: deleted text kept for change tracking, footnotes and endnotes, comments,
# a shape's alternative text, and form controls.
SKIPPED = frozenset(
    (
        f"{TEXT}tracked-changes",
        f"{TEXT}note",
        f"{OFFICE}annotation",
        f"{OFFICE}annotation-end",
        f"{SVG}title",
        f"{SVG}desc",
        f"{OFFICE}forms",
    )
)
# A generated index (a table of contents) keeps its entry templates in a *-source element beside the
# entries themselves.
INDEX_SOURCE_SUFFIX = "-source"
# The local file header of a ZIP member: signature, version, flags, method, time, date, crc, sizes,
# name length, extra length (30 bytes), then the name.
LOCAL_HEADER = struct.Struct("<4s5H3L2H")
STORED = 0
# The parser behind content.xml: no entities expanded, nothing fetched.
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)


def sniff(head: bytes) -> bool:
    """An OpenDocument ZIP whose mimetype member, stored uncompressed, says text: a spreadsheet (.ods)
    or a presentation (.odp) says otherwise. The format wants that member first; a file zipped again
    by hand may have it after a member or two, which LibreOffice still opens, so the members in the
    head are walked."""
    position = 0
    while head.startswith(b"PK\x03\x04", position) and position + LOCAL_HEADER.size <= len(head):
        *_, method, _, _, _, size, _, name_length, extra_length = LOCAL_HEADER.unpack_from(head, position)
        name_start = position + LOCAL_HEADER.size
        start = name_start + name_length + extra_length
        if head[name_start : name_start + name_length] == b"mimetype":
            return method == STORED and head[start : start + size] == MIMETYPE
        # A member written with its sizes after it (0 here) cannot be stepped over.
        if size == 0 and method != STORED:
            return False
        position = start + size
    return False


def read(data: bytes, source: str, cache_dir: Path | None) -> Extracted:
    return Extracted(odt_text(data, source), 1)


def odt_text(data: bytes, source: str) -> str:
    """The body's text, a paragraph per line. Raises UnreadableFile for a damaged or encrypted file."""
    lines: list[str] = []
    for body in content(data, source).iter(f"{OFFICE}text"):
        block_lines(body, lines)
    text = "\n".join(line for line in (line.strip() for line in lines) if line)
    if not text:
        raise UnreadableFile(source, "OpenDocument text without text")
    return text


def content(data: bytes, source: str) -> etree._Element:
    with damaged_package_reasons(source, "OpenDocument file"), zipfile.ZipFile(io.BytesIO(data)) as package:
        manifest = etree.fromstring(package.read("META-INF/manifest.xml"), PARSER)
        if next(manifest.iter(f"{MANIFEST}encryption-data"), None) is not None:
            raise UnreadableFile(source, "encrypted OpenDocument file (needs a password)")
        return etree.fromstring(package.read("content.xml"), PARSER)


def skipped(element: etree._Element) -> bool:
    return (
        not isinstance(element.tag, str)
        or element.tag in SKIPPED
        or element.tag.endswith(INDEX_SOURCE_SUFFIX)
    )


def block_lines(container: etree._Element, lines: list[str]) -> None:
    """Paragraphs and headings in document order, wherever they sit: lists, tables (row by row, cell by
    cell), sections, frames anchored to the page, generated indexes."""
    for child in container:
        if child.tag in PARAGRAPHS:
            paragraph_lines(child, lines)
        elif not skipped(child):
            block_lines(child, lines)


def paragraph_lines(paragraph: etree._Element, lines: list[str]) -> None:
    """A paragraph's text boxes (frames and shapes anchored in it), then its own lines."""
    text: list[str] = []
    inline_text(paragraph, text, lines)
    lines.extend("".join(text).split("\n"))


def inline_text(element: etree._Element, text: list[str], boxes: list[str]) -> None:
    text.append(element.text or "")
    for child in element:
        tag = child.tag
        if tag == SPACES:
            text.append(" " * int(child.get(f"{TEXT}c", "1")))
        elif tag == TAB:
            text.append("\t")
        elif tag == LINE_BREAK:
            text.append("\n")
        elif isinstance(tag, str) and tag.startswith(DRAW):
            block_lines(child, boxes)
        elif not skipped(child):
            inline_text(child, text, boxes)
        text.append(child.tail or "")
