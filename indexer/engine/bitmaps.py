"""Document sets as Python ints used as bitmaps (bit i is docnum i): intersections, unions and counts
run at C speed over the whole archive, where frozensets probed every member one hash at a time."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

BIT = tuple(1 << i for i in range(8))
BYTE_BITS = tuple(tuple(i for i in range(8) if byte >> i & 1) for byte in range(256))


def bitmap(docnums: Iterable[int], size: int) -> int:
    return int.from_bytes(bitmap_bytes(docnums, size), "little")


def bitmap_bytes(docnums: Iterable[int], size: int) -> bytearray:
    """The bitmap as little-endian bytes, (size + 7) // 8 of them."""
    bits = bytearray((size + 7) // 8)
    for docnum in docnums:
        bits[docnum >> 3] |= BIT[docnum & 7]
    return bits


def docnums(bits: int) -> Iterator[int]:
    """The docnums of a bitmap, ascending."""
    raw = bits.to_bytes((bits.bit_length() + 7) // 8, "little")
    # A few documents spread over the archive: find their bytes at C speed, not byte by byte.
    sparse = bits.bit_count() * SPARSE_FACTOR < len(raw)
    found = ((m.start(), raw[m.start()]) for m in NONZERO_BYTE.finditer(raw)) if sparse else enumerate(raw)
    for index, byte in found:
        if byte:
            base = index << 3
            for bit in BYTE_BITS[byte]:
                yield base + bit


def listed_docnums(bits: int) -> list[int]:
    return list(docnums(bits))


NONZERO_BYTE = re.compile(rb"[^\x00]")
SPARSE_FACTOR = 16
