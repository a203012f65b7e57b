"""File → normalized text. Each input format is a module here, told apart by the file's bytes (names in
an archive are not to be trusted); a new format is one module plus one line in FORMATS."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from indexer.errors import UnreadableFile
from indexer.formats import doc, docx, html, image, odt, pdf, text
from indexer.models import Document, Extracted
from indexer.normalize import normalize_text

# How much of the start of a file sniff() is shown.
SNIFF_BYTES = 4096


class Format(Protocol):
    """What each format module declares."""

    name: str  # kept in the manifest and in Document.format
    has_pages: bool  # whether articles keep the page they start on; a text copy's "page 1" means nothing
    preference: int  # which copy of an issue is indexed when several files hold it: the most articles, then the lowest

    def sniff(self, head: bytes) -> bool:
        """Whether the file's first SNIFF_BYTES bytes are this format's."""

    def read(self, data: bytes, source: str, cache_dir: Path | None) -> Extracted:
        """The text (pages separated by models.PAGE_BREAK) and the page count, and whether OCR read it
        (models.Extracted); UnreadableFile naming the reason if there is no text to be had."""


# In the order they are asked: the first whose sniff() says yes reads the file. Text takes any bytes.
FORMATS: list[Format] = [pdf, image, docx, odt, doc, html, text]


def detect_format(data: bytes) -> Format:
    head = data[:SNIFF_BYTES]
    return next(candidate for candidate in FORMATS if candidate.sniff(head))


def format_named(name: str | None) -> Format | None:
    """The format of a Document or a manifest entry, by its name."""
    return next((candidate for candidate in FORMATS if candidate.name == name), None)


def extract_document(path: Path, cache_dir: Path | None = None) -> Document:
    """Normalized text of one archive file (see normalize.py). Raises UnreadableFile."""
    source = str(path)
    try:
        data = Path(path).read_bytes()
    except IsADirectoryError as error:
        raise UnreadableFile(source, "is a folder, not a file") from error
    except OSError as error:
        raise UnreadableFile(source, f"cannot read: {error.strerror or error}") from error
    if not data.strip():
        raise UnreadableFile(source, "empty file")
    file_format = detect_format(data)
    extracted = file_format.read(data, source, cache_dir)
    return Document(
        normalize_text(extracted.text),
        source,
        file_format.name,
        extracted.pages,
        extracted.ocr,
        extracted.problems,
    )
