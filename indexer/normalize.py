"""Text as printed, whatever produced it: radicals as ideographs, full-width ASCII as ASCII, no page furniture.

Pure string functions; the extractors call normalize_text on every text they return, and the parser
relies on its shape: one paragraph per line, a blank line between paragraphs, a line holding only a
form feed between pages.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from indexer.models import PAGE_BREAK

# CJK Radicals Supplement code points and the ideographs they stand for, from Unicode's
# EquivalentUnifiedIdeograph.txt (U+2E81..U+2EF3; U+2E80 and U+2E9A have none). PDF producers that
# look glyphs up by shape emit these instead of the ideographs, and NFKC maps only two of them.
RADICALS_SUPPLEMENT = dict(
    (chr(int(radical, 16)), chr(int(ideograph, 16)))
    for pair in (
        "2E81:5382 2E82:4E5B 2E83:4E5A 2E84:4E59 2E85:4EBB 2E86:5182 2E87:20628 2E88:5200 "
        "2E89:5202 2E8A:535C 2E8B:353E 2E8C:5C0F 2E8D:5C0F 2E8E:5140 2E8F:5C23 2E90:5C22 "
        "2E91:21BC2 2E92:5DF3 2E93:5E7A 2E94:5F51 2E95:5F50 2E96:5FC4 2E97:5FC3 2E98:624C "
        "2E99:6535 2E9B:65E1 2E9C:65E5 2E9D:6708 2E9E:6B7A 2E9F:6BCD 2EA0:6C11 2EA1:6C35 "
        "2EA2:6C3A 2EA3:706C 2EA4:722B 2EA5:722B 2EA6:4E2C 2EA7:725B 2EA8:72AD 2EA9:738B "
        "2EAA:24D14 2EAB:76EE 2EAC:793A 2EAD:793B 2EAE:25AD7 2EAF:7CF9 2EB0:7E9F 2EB1:7F53 "
        "2EB2:7F52 2EB3:34C1 2EB4:5197 2EB5:2626B 2EB6:7F8A 2EB7:2634C 2EB8:2634B 2EB9:8002 "
        "2EBA:8080 2EBB:807F 2EBC:8089 2EBD:26951 2EBE:8279 2EBF:8279 2EC0:8279 2EC1:864E "
        "2EC2:8864 2EC3:8980 2EC4:897F 2EC5:89C1 2EC6:89D2 2EC7:278B2 2EC8:8BA0 2EC9:8D1D "
        "2ECA:27FB7 2ECB:8F66 2ECC:8FB6 2ECD:8FB6 2ECE:8FB6 2ECF:9091 2ED0:9485 2ED1:9577 "
        "2ED2:9578 2ED3:957F 2ED4:95E8 2ED5:28E0F 2ED6:961D 2ED7:96E8 2ED8:9752 2ED9:97E6 "
        "2EDA:9875 2EDB:98CE 2EDC:98DE 2EDD:98DF 2EDE:2967F 2EDF:98E0 2EE0:9963 2EE1:29810 "
        "2EE2:9A6C 2EE3:9AA8 2EE4:9B3C 2EE5:9C7C 2EE6:9E1F 2EE7:5364 2EE8:9EA6 2EE9:9EC4 "
        "2EEA:9EFE 2EEB:6589 2EEC:9F50 2EED:6B6F 2EEE:9F7F 2EEF:7ADC 2EF0:9F99 2EF1:9F9C "
        "2EF2:4E80 2EF3:9F9F "
    ).split()
    for radical, ideograph in [pair.split(":")]
)
KANGXI_RADICALS = range(0x2F00, 0x2FE0)
COMPATIBILITY_IDEOGRAPHS = range(0xF900, 0xFB00)
# The full-width full stop goes with them: it is no Chinese punctuation but the point of １．５ and of
# a numbered item, １．科技惠企, as older word processors typed it.
FULL_WIDTH_ALPHANUMERIC = re.compile(r"[０-９Ａ-Ｚａ-ｚ．]")
INVISIBLE = re.compile("[\u00ad\u200b-\u200d\u2060\ufeff]")
SPACES = re.compile(r"[ \t\u00a0\u3000]+")
BLANK_LINE = re.compile(r"\n[ \t\u00a0\u3000]*\n")
# Page furniture that cannot be mistaken for text: "— 3 —", "- 3 -", "第 3 页", "第3页 共12页", "Page 3 of 12".
PAGE_FOOTER = re.compile(
    r"^(?:[-—–－~～·]+\s*\d{1,4}\s*[-—–－~～·]+"
    r"|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?"
    r"|(?i:page)\s*\d{1,4}(?:\s*(?i:of)\s*\d{1,4})?)$"
)
# "3 / 12" and a bare page number are furniture only at the top or bottom of a page: a lone "2022"
# or "3" inside the text is something else.
PAGE_NUMBER = re.compile(r"^(?:\d{1,4}\s*/\s*\d{1,4}|\d{1,3})$")
# A line opening a list item or indented as a paragraph start is never the tail of a wrapped line.
# Bullets that never occur in running text need no space after them (◆市科协…); a dash, a middle dot
# or ○ (a zero in 二○○八) may open a wrapped line's tail, so they count only with a space.
LIST_ITEM = re.compile(
    r"^(?:[-–—·○*]\s|[•●◆◇■□▪★☆▶►◎]|\d{1,2}(?:[、)）]|\.(?!\d))|[（(][一二三四五六七八九十\d]{1,3}[)）]"
    r"|[一二三四五六七八九十]{1,3}、)"
)
INDENTED = re.compile(r"^(?:\u3000|[ \t\u00a0]{2,}|\t)")
INDENTED_LINE = re.compile(r"^(?:\u3000|[ \t\u00a0]{2,}|\t)[ \t\u00a0\u3000]*\S", re.M)
# What may follow the publication name in a running header (or the masthead): issue number, date,
# in older issues in Chinese numerals (二〇〇八年第三期).
ISSUE_DETAILS = re.compile(r"[\s\d〇○零一二三四五六七八九十百千年月日期第总号()（）·•|/—–-]*")
ISSUE_DETAILS_TAIL = re.compile(ISSUE_DETAILS.pattern + "$")
# A line broken by layout fills its line: within this share of the page's widest line. Pages whose
# widest line is longer than any printed line (display columns, a CJK character counts two) hold one
# paragraph per line, and nothing on them is joined.
FULL_LINE_SHARE = 0.8
MAX_PRINTED_LINE = 120


def _character(char: str) -> str:
    code = ord(char)
    if code in KANGXI_RADICALS or code in COMPATIBILITY_IDEOGRAPHS:
        return unicodedata.normalize("NFKC", char)
    return RADICALS_SUPPLEMENT.get(char, char)


IDEOGRAPH_TABLE = {
    code: _character(chr(code))
    for code in (*range(0x2E80, 0x2FE0), *range(0xF900, 0xFB00))
    if _character(chr(code)) != chr(code)
}


def normalize_characters(text: str) -> str:
    """Radicals and compatibility ideographs to ideographs; full-width letters, digits and ． to ASCII.

    Chinese punctuation （），。：；！？ stays full-width: it is what the bulletin prints and what the
    parser looks for. That is why this is not NFKC over the whole text.
    """
    text = INVISIBLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = text.translate(IDEOGRAPH_TABLE)
    return FULL_WIDTH_ALPHANUMERIC.sub(lambda m: chr(ord(m.group(0)) - 0xFEE0), text)


WHITESPACE = re.compile(r"\s+")


def squeeze(text: str) -> str:
    """The text without whitespace: layout spaces Chinese out at random, so strings compare squeezed."""
    return WHITESPACE.sub("", text)


def single_spaced(text: str) -> str:
    """Each run of whitespace as one space, none at either end."""
    return WHITESPACE.sub(" ", text).strip()


def normalize_query(text: str) -> str:
    """Query text as document text is normalized (normalize_characters), on one line: a query typed
    with full-width letters or pasted from a PDF with radicals finds the text as indexed."""
    return SPACES.sub(" ", normalize_characters(text).replace("\n", " ")).strip()


@cache
def _traditional_to_simplified():
    # Imported and built on first use (7-50 ms, warm or cold): most CLI runs never convert anything.
    # The converter is shared by the web server's threads without a lock: OpenCC's Converter::Convert is
    # const and thread-safe (its maintainer, BYVoid/OpenCC#231, with a unit test for it). The
    # "tofu risk" tables would turn ~900 rare characters into ones most fonts lack (six of them
    # beyond the CJK ranges analysis indexes), so they stay as they are, on both sides alike.
    import opencc

    return opencc.OpenCC("t2s", include_tofu_risk_dictionaries=False)


@cache
def _simplified_to_traditional():
    import opencc

    return opencc.OpenCC("s2t", include_tofu_risk_dictionaries=False)


def to_traditional(text: str) -> str:
    """Simplified characters as traditional (OpenCC s2t), the printed form a simplified query most
    likely matches in an article printed in traditional characters; for highlighting it."""
    if text.isascii():
        return text
    return _simplified_to_traditional().convert(text)


def to_simplified(text: str) -> str:
    """Traditional characters as simplified, phrase by phrase (OpenCC t2s): 頭髮 → 头发 but 乾隆 stays.

    Simplified text comes back as it was, but for a few variant spellings (藉口 → 借口)."""
    if text.isascii():
        return text
    return _traditional_to_simplified().convert(text)


def tidy_line(line: str) -> str:
    return SPACES.sub(" ", line).strip()


# A number Chinese text wrapped in the middle: its digits touch a Chinese character on either side.
NUMBER_END_IN_CHINESE = re.compile(r"[\u3400-\u9fff]\d+$")
NUMBER_START_IN_CHINESE = re.compile(r"^\d+[\u3400-\u9fff]")


def join_lines(left: str, right: str) -> str:
    """Two pieces of one wrapped line: Chinese joins directly, Latin words and numbers keep a space,
    but a number that Chinese text wrapped (推进2 / 021青科会) is one number again."""
    if (
        left
        and right
        and left[-1].isascii()
        and right[0].isascii()
        and left[-1].isalnum()
        and right[0].isalnum()
        and not (
            left[-1].isdigit()
            and right[0].isdigit()
            and (NUMBER_END_IN_CHINESE.search(left) or NUMBER_START_IN_CHINESE.match(right))
        )
    ):
        return f"{left} {right}"
    return left + right


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _is_running_header(line: str, masthead: str | None) -> bool:
    if not masthead:
        return False
    squeezed = squeeze(line)
    return squeezed.startswith(masthead) and ISSUE_DETAILS.fullmatch(squeezed[len(masthead) :]) is not None


def _page_lines(page: str, masthead: str | None) -> list[tuple[str, str]]:
    """(raw, tidy) per line, page furniture turned into blank lines so that it also ends a paragraph."""
    lines = [(raw, tidy_line(raw)) for raw in page.split("\n")]

    def furniture(line: str, at_edge: bool) -> bool:
        return bool(PAGE_FOOTER.match(line) or (at_edge and PAGE_NUMBER.match(line)))

    def peel() -> int | None:
        """Blank the furniture off the top and bottom of the page; the first line left, if any."""
        first = None
        for order in (range(len(lines)), range(len(lines) - 1, -1, -1)):
            for i in order:
                if lines[i][1] and not furniture(lines[i][1], at_edge=True):
                    first = i if first is None else first
                    break
                lines[i] = (lines[i][0], "")
        return first

    first = peel()
    if first is not None and _is_running_header(lines[first][1], masthead):
        lines[first] = (lines[first][0], "")
        peel()
    return [(raw, "" if furniture(line, at_edge=False) else line) for raw, line in lines]


def _paragraphs(lines: list[tuple[str, str]], joins: bool) -> list[str]:
    """Blank lines end paragraphs; a line that fills the page's width continues on the next line."""
    # A line longer than any printed line (a text copy with a paragraph per line) rules out
    # wrapping before any width is measured.
    wrapping = joins and all(len(line) <= MAX_PRINTED_LINE for _, line in lines)
    widths = [display_width(line) for _, line in lines] if wrapping else [0] * len(lines)
    widest = max(widths, default=0)
    wrapping = wrapping and widest <= MAX_PRINTED_LINE
    paragraphs: list[str] = []
    previous, previous_width = "", 0
    for (raw, line), width in zip(lines, widths, strict=True):
        continues = (
            wrapping
            and previous
            and line
            and previous_width >= FULL_LINE_SHARE * widest
            and not LIST_ITEM.match(line)
            and not INDENTED.match(raw)
        )
        if continues:
            paragraphs[-1] = join_lines(paragraphs[-1], line)
        elif line:
            paragraphs.append(line)
        previous, previous_width = line, width
    return paragraphs


def normalize_text(text: str) -> str:
    """Normalized characters, one paragraph per line separated by blank lines, pages by a form feed line.

    Page numbers and the running header (the publication's name from the first page's first line,
    perhaps with the issue or date, at the top of a later page) are dropped. Lines that a layout broke
    inside a paragraph are joined, if the text marks its paragraphs at all (blank lines or indents);
    otherwise every line is a paragraph. Paragraphs are never joined across a page break: the parser
    does that, because only it knows which paragraph is a heading.
    """
    text = normalize_characters(text)
    joins = bool(BLANK_LINE.search(text) or INDENTED_LINE.search(text))
    masthead = None
    parts: list[str] = []
    for number, page in enumerate(text.split(PAGE_BREAK)):
        lines = _page_lines(page, masthead if number else None)
        if number == 0:
            first = next((line for _, line in lines if line), "")
            masthead = ISSUE_DETAILS_TAIL.sub("", squeeze(first)) or None
        else:
            parts.append(PAGE_BREAK)
        parts += _paragraphs(lines, joins)
    return "\n\n".join(parts) + "\n"
