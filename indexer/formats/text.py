"""Plain text: UTF-8 (BOM or not), UTF-16 with a BOM, else GB18030 or Big5, whichever reads as Chinese.
Whatever no other format claims."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import NamedTuple

from indexer.errors import UnreadableFile
from indexer.models import Extracted
from indexer.normalize import to_simplified

name = "text"
has_pages = False
# Which copy of an issue wins when several files hold it (lowest first), after the article count:
# plain text carries the least layout noise.
preference = 0

UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
# Legacy Chinese text is GB18030 (which covers GBK and GB2312) from the mainland, or Big5 from Taiwan
# and Hong Kong: Windows' code page 950, else with Hong Kong's extra characters. Nearly every Big5 file
# decodes as GB18030 too, as the wrong characters (kana, Cyrillic, rare ideographs), and a short GB
# text may decode as Big5; the reading with more common characters wins.
GB = "gb18030"
BIG5 = ("cp950", "big5hkscs")
# Between the two readings of an issue of the fixtures, the right one holds more common characters by
# 61-64% of its non-ASCII characters, and every random stretch of 16 characters of the seed, in GB18030
# or in Big5, was read right; a line of two ideographs (第 5 期, 簡訊) can tie. Less than this share
# apart, the text is read as GB18030, the mainland's, and its file flagged.
UNDECIDED_SHARE = 0.1


class Decoded(NamedTuple):
    text: str
    doubt: str | None = None  # why the decoding may be wrong, for the parse report


@cache
def common_characters() -> frozenset[str]:
    """GB2312's first level: its 3,755 most used characters (bytes B0A1-D7F9), simplified."""
    pairs = (bytes((high, low)) for high in range(0xB0, 0xD8) for low in range(0xA1, 0xFF))
    return frozenset(pair.decode(GB) for pair in pairs if pair < b"\xd7\xfa")


def common_count(text: str) -> int:
    """How many characters of the text, read as simplified, are common ones."""
    common = common_characters()
    return sum(char in common for char in to_simplified(text))


def sniff(head: bytes) -> bool:
    """Last in formats.FORMATS: any bytes may be text; decode_text tells junk apart."""
    return True


def read(data: bytes, source: str, cache_dir: Path | None) -> Extracted:
    text, doubt = decode(data, source)
    if not text.strip():
        raise UnreadableFile(source, "empty file")
    return Extracted(text, 1, problems=(doubt,) if doubt else ())


def decode_text(data: bytes, source: str, declared: str | None = None) -> str:
    """The text alone (see decode), as web pages read it: their doubt is not reported."""
    return decode(data, source, declared).text


def decode(data: bytes, source: str, declared: str | None = None) -> Decoded:
    """UTF-8 (BOM or not), UTF-16 with a BOM, else GB18030 or Big5 (see legacy_chinese).

    A web page's declared encoding is tried after UTF-8 (which almost never decodes text in another
    encoding by accident) and before those.
    """
    if data.startswith(UTF16_BOMS):
        try:
            return Decoded(data.decode("utf-16"))
        except UnicodeDecodeError as error:
            raise UnreadableFile(source, "broken UTF-16 text") from error
    if b"\x00" in data:
        raise UnreadableFile(source, "binary file, not text")
    for encoding in dict.fromkeys(("utf-8-sig", declared or "utf-8-sig")):
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
                return Decoded(data[: error.start].decode(encoding))
            continue
        if is_text(text):
            return Decoded(text)
    return legacy_chinese(data, source)


def is_text(text: str) -> bool:
    # GB18030 and Big5 decode many byte sequences; junk still shows as control characters.
    return len(CONTROL_CHARACTERS.findall(text)) <= len(text) // 100


def strictly(data: bytes, encoding: str) -> str | None:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        return None
    return text if is_text(text) else None


def legacy_chinese(data: bytes, source: str) -> Decoded:
    """The GB18030 or the Big5 reading of the bytes, whichever holds more common characters; GB18030,
    with a doubt, when they cannot be told apart."""
    gb = strictly(data, GB)
    big5 = next((text for encoding in BIG5 if (text := strictly(data, encoding)) is not None), None)
    if gb is None or big5 is None or gb == big5:
        if gb is None and big5 is None:
            raise UnreadableFile(source, "binary file, not UTF-8 or GB18030 text")
        return Decoded(gb if gb is not None else big5)
    gb_common, big5_common = common_count(gb), common_count(big5)
    non_ascii = max(sum(not char.isascii() for char in text) for text in (gb, big5))
    if abs(gb_common - big5_common) < UNDECIDED_SHARE * non_ascii:
        return Decoded(gb, "read as GB18030 but it may be Big5: save the file as UTF-8")
    return Decoded(gb if gb_common > big5_common else big5)
