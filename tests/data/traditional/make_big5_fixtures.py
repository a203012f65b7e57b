"""Writes the Big5 (code page 950) and GB18030 copies of the hand-written traditional issues beside
them: python tests/data/traditional/make_big5_fixtures.py."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).parent
ENCODINGS = ("big5", "gb18030")


def main() -> None:
    for source in sorted(HERE.glob("*-繁体.txt")):
        text = source.read_text(encoding="utf-8")
        for encoding in ENCODINGS:
            copy = source.with_name(f"{source.stem}-{encoding}.txt")
            copy.write_bytes(text.encode("cp950" if encoding == "big5" else encoding))
            print(copy.name)


if __name__ == "__main__":
    main()
