"""Plain text: UTF-8 (BOM or not), UTF-16 with a BOM, else GB18030. Whatever no other format claims."""

from __future__ import annotations

import re
from pathlib import Path

from indexer.errors import UnreadableFile
from indexer.models import Extracted

name = "text"
has_pages = False
# Which copy of an issue wins when several files hold it (lowest first), after the article count:
# plain text carries the least layout noise.
preference = 0

UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def sniff(head: bytes) -> bool:
    """Last in formats.FORMATS: any bytes may be text; decode_text tells junk apart."""
    return True


def read(data: bytes, source: str, cache_dir: Path | None) -> Extracted:
    text = decode_text(data, source)
    if not text.strip():
        raise UnreadableFile(source, "empty file")
    return Extracted(text, 1)


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
