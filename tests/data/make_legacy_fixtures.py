"""Re-make tests/data/legacy/: the real issue in the layouts of 2005–2015, its words unchanged.

    .venv/bin/python -m tests.data.make_legacy_fixtures

Only the layout differs from archive/'s issue: mastheads on one line, dates in Chinese numerals,
contents headed 目  录 or 要目 with numbered items, or no contents at all, attributions in other
brackets, briefs headed 工作动态, 简  讯 or 基层动态, several briefs to a line, and a web page laid
out in a table as sites were around 2008. The masthead's numbers and date stay the seed's, so that
every article's own date (written without a year) means the same day as in the seed.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from tests.data.make_fixtures import classify, seed_lines

HERE = Path(__file__).resolve().parent
LEGACY = HERE / "legacy"
DIGITS = "〇一二三四五六七八九"
# A closing department, not a closing （市、区）.
ATTRIBUTION = re.compile(r"（([^（）]+(?:部|科协|办公室))）$")
DATE_OPENING = re.compile(r"^(\d{1,2})月(\d{1,2})日(?:-(\d{1,2})日)?")
PUBLICATION = "温州科协信息"


def numerals(number: int) -> str:
    """3 → 三, 12 → 十二, 31 → 三十一: a month or a day as older issues print it."""
    tens, units = divmod(number, 10)
    return (DIGITS[tens] if tens > 1 else "") + ("十" if tens else "") + (DIGITS[units] if units else "")


def year_numerals(year: int) -> str:
    return "".join(DIGITS[int(digit)] for digit in str(year))


def chinese_opening(brief: str) -> str:
    """5月11日-12日，… → 五月十一日至十二日，…"""

    def spelled(match: re.Match) -> str:
        month, day, until = match.groups()
        text = f"{numerals(int(month))}月{numerals(int(day))}日"
        return text + (f"至{numerals(int(until))}日" if until else "")

    return DATE_OPENING.sub(spelled, brief)


def rebracket(text: str, opening: str, closing: str) -> str:
    """The closing （attribution） in other brackets: rebracket(…, "【", "】") → …【市科协办公室】."""
    return ATTRIBUTION.sub(lambda match: f"{opening}{match.group(1)}{closing}", text)


def whole_briefs(briefs: list[str]) -> list[str]:
    """The seed's briefs with its wrapped lines joined: one string per brief."""
    joined: list[str] = []
    for line in briefs:
        if DATE_OPENING.match(line) or not joined:
            joined.append(line)
        else:
            joined[-1] += line
    return joined


def roles() -> list[tuple[str, str]]:
    return classify(seed_lines())


def wrapped_title(title: str) -> list[str]:
    """The lines a body title was set on: the seed marks the break with its last space."""
    return title.rsplit(" ", 1)


def issue_2008() -> str:
    """A text copy as Word saved it around 2008: one line per paragraph, indented with full-width
    spaces, CRLF line ends, the masthead's number and date on one line, 目  录 numbered 1、 2、,
    half-width (…) attributions, a 工作动态 section with three briefs to a line, every third signed 【…】."""
    lines = [PUBLICATION, f"2022年第5期（总第270期）\u3000\u3000{year_numerals(2022)}年五月三十一日"]
    lines.append("温州市科学技术协会编")
    contents = [text for role, text in roles() if role == "toc"]
    lines.append("目\u3000\u3000录")
    lines += [f"{number}、{title}" for number, title in enumerate(contents, start=1)]
    lines.append("")
    for role, text in roles():
        if role == "title":
            lines.append("\u3000" * 4 + text)
        elif role == "paragraph":
            lines.append("\u3000\u3000" + rebracket(text, "(", ")"))
    lines.append("工作动态")
    briefs = whole_briefs([text for role, text in roles() if role == "brief"])
    signed = [
        rebracket(brief, "【", "】") if number % 3 == 2 else rebracket(brief, "(", ")")
        for number, brief in enumerate(briefs)
    ]
    lines += ["\u3000\u3000" + "\u3000".join(signed[start : start + 3]) for start in range(0, len(signed), 3)]
    return "\r\n".join(lines) + "\r\n"


FEATURE_BRACKETS = [("〔", "〕"), ("（供稿：", "）"), ("［", "］"), ("【来源：", "】")]


def issue_without_contents() -> str:
    """No contents list: a masthead over four lines dated by month alone (二○○… with U+25CB), titles
    set over two lines where the seed's title broke, attributions in 〔〕, （供稿：…）, ［］ and 【来源：…】,
    and a 简  讯 section with one brief to a line, dated in Chinese numerals and signed 【…】."""
    lines = [PUBLICATION, "第5期\u3000总第270期", "温州市科学技术协会编", "二○二二年五月"]
    signatures = 0
    for role, text in roles():
        if role == "title":
            lines += wrapped_title(text)
        elif role == "paragraph":
            if ATTRIBUTION.search(text):
                text = rebracket(text, *FEATURE_BRACKETS[signatures % len(FEATURE_BRACKETS)])
                signatures += 1
            lines.append(text)
    lines.append("简\u3000\u3000讯")
    for brief in whole_briefs([text for role, text in roles() if role == "brief"]):
        lines.append(chinese_opening(rebracket(brief, "【", "】")))
    return "\n\n".join(lines) + "\n"


def issue_table_page() -> str:
    """A web page laid out in a table, as sites were around 2008, declared GB2312: the masthead's cells
    on one row, 要目 numbered １．, titles in <b>, paragraphs indented with &nbsp; and split by <br>,
    attributions （供稿：…）, briefs under 基层动态 two to a <br> line."""
    cell = '<tr><td align="{align}">{content}</td></tr>'
    rows = [
        cell.format(align="center", content=f'<font size="6" color="#CC0000"><b>{PUBLICATION}</b></font>'),
        '<tr><td align="center"><table width="100%"><tr><td>2022年第5期（总第270期）</td>'
        "<td>温州市科学技术协会编</td><td>二〇二二年五月三十一日</td></tr></table></td></tr>",
    ]
    contents = [text for role, text in roles() if role == "toc"]
    numbered = "<br>".join(
        f"{chr(0xFF10 + number)}．{html.escape(title)}" for number, title in enumerate(contents, start=1)
    )
    rows.append(cell.format(align="left", content=f"<b>要\u3000目</b><br>{numbered}"))
    paragraphs: list[str] = []

    def flush() -> None:
        if paragraphs:
            rows.append(cell.format(align="left", content="<br>".join(paragraphs)))
            paragraphs.clear()

    for role, text in roles():
        if role == "title":
            flush()
            rows.append(cell.format(align="center", content=f"<b>{html.escape(text)}</b>"))
        elif role == "paragraph":
            paragraphs.append("&nbsp;" * 4 + html.escape(rebracket(text, "（供稿：", "）")))
    flush()
    rows.append(cell.format(align="left", content="<b>基层动态</b>"))
    briefs = [
        html.escape(brief) for brief in whole_briefs([text for role, text in roles() if role == "brief"])
    ]
    pairs = ["&nbsp;&nbsp;".join(briefs[start : start + 2]) for start in range(0, len(briefs), 2)]
    rows.append(cell.format(align="left", content="<br>".join(pairs)))
    return (
        '<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html; charset=gb2312">\n'
        f"<title>{PUBLICATION}</title>\n</head>\n"
        '<body bgcolor="#FFFFFF">\n<table width="760" border="0" align="center" cellpadding="4">\n'
        + "\n".join(rows)
        + "\n</table>\n</body>\n</html>\n"
    )


LINE_CHARS = 38
PAGE_LINES = 44


def wrapped(text: str, indent: str) -> list[str]:
    """A paragraph broken into printed lines of LINE_CHARS characters, its first line indented."""
    text = indent + text
    return [text[start : start + LINE_CHARS] for start in range(0, len(text), LINE_CHARS)]


def issue_pdftotext() -> str:
    """Written after the parser, and not tuned to: what pdftotext makes of a 2012 PDF. Lines broken
    where the page broke them, paragraphs marked only by an indent, titles centred with spaces, pages
    split by form feeds under a running header 温州科协信息 2022年第5期 and over a footer - N -,
    本期目录 with ◆ bullets, attributions （… 供稿）, briefs under ◎ 基层动态."""
    lines = [
        " " * 14 + PUBLICATION,
        "2022年第5期（总第270期）" + " " * 12 + "2022年5月31日",
        " " * 10 + "温州市科学技术协会编",
    ]
    lines.append(" " * 16 + "本期目录")
    lines += [f"◆{text}" for role, text in roles() if role == "toc"]
    for role, text in roles():
        if role == "title":
            lines += [" " * 4 + part for part in wrapped(text, "")]
        elif role == "paragraph":
            lines += wrapped(rebracket(text, "（", " 供稿）"), "    ")
    lines.append(" " * 16 + "◎ 基层动态")
    for brief in whole_briefs([text for role, text in roles() if role == "brief"]):
        lines += wrapped(brief, "")
    pages = [lines[start : start + PAGE_LINES] for start in range(0, len(lines), PAGE_LINES)]
    return "\f".join(
        "\n".join(([f"{PUBLICATION} 2022年第5期"] if number > 1 else []) + page + ["", f"- {number} -", ""])
        for number, page in enumerate(pages, start=1)
    )


def issue_2006() -> str:
    """Written last, and not tuned to: a GBK text copy as typed around 2006. The publication's name
    letter-spaced, 第五期 in numerals, titles in 【】, attributions （…　供稿） with a full-width space,
    briefs under 简讯 each behind a ◇."""
    lines = ["温 州 科 协 信 息", "第五期（总第270期）", "温州市科学技术协会编　　二○二二年五月三十一日"]
    lines.append("本期要目")
    lines += [
        f"{number}.{text}"
        for number, (role, text) in enumerate((pair for pair in roles() if pair[0] == "toc"), start=1)
    ]
    for role, text in roles():
        if role == "title":
            lines.append(f"【{text}】")
        elif role == "paragraph":
            lines.append("\u3000\u3000" + rebracket(text, "（", "\u3000供稿）"))
    lines.append("简讯")
    lines += [f"◇{brief}" for brief in whole_briefs([text for role, text in roles() if role == "brief"])]
    return "\r\n".join(lines) + "\r\n"


def issue_links_page() -> str:
    """Written last, and not tuned to: a 2010 web page declared GBK. The masthead in four table cells,
    the contents an <ol> of links, titles in <strong> broken by <br> where the seed's title broke,
    attributions right-aligned in a paragraph of their own, briefs numbered （1） （2） in the text."""
    cells = "".join(f"<td>{text}</td>" for text in (PUBLICATION, "第5期", "总第270期", "2022年5月31日"))
    parts = [f'<table border="1"><tr>{cells}</tr></table>', "<p><strong>本期要目</strong></p>", "<ol>"]
    titles = [text for role, text in roles() if role == "toc"]
    parts += [f'<li><a href="#t{n}">{html.escape(t)}</a></li>' for n, t in enumerate(titles, start=1)]
    parts.append("</ol>")
    anchor = 0
    for role, text in roles():
        if role == "title":
            anchor += 1
            lines = "<br>".join(html.escape(line) for line in wrapped_title(text))
            parts.append(f'<p align="center"><a name="t{anchor}"></a><strong>{lines}</strong></p>')
        elif role == "paragraph":
            body = ATTRIBUTION.sub("", text)
            if body:
                parts.append(f"<p>&nbsp;&nbsp;&nbsp;&nbsp;{html.escape(body)}</p>")
            if body != text:
                parts.append(f'<p align="right">{html.escape(text[len(body) :])}</p>')
    parts.append("<p><strong>简 讯</strong></p>")
    briefs = whole_briefs([text for role, text in roles() if role == "brief"])
    parts += [f"<p>（{n}）{html.escape(brief)}</p>" for n, brief in enumerate(briefs, start=1)]
    return (
        '<html><head><meta charset="gbk"><title>温州科协信息 第5期</title></head><body>\n'
        + "\n".join(parts)
        + "\n</body></html>\n"
    )


def issue_pdftotext_without_contents() -> str:
    """Written last, and not tuned to: the 2012 pdftotext copy without its contents list, titles
    centred over two lines where the seed's title broke, attributions in 〔〕, briefs under 工作动态
    dated in Chinese numerals. Lines are cut at LINE_CHARS characters, not at the page's width, so a
    line holding digits is narrower than the others."""
    lines = [" " * 14 + PUBLICATION, " " * 8 + "第5期\u3000\u3000总第270期"]
    lines += [" " * 6 + "温州市科学技术协会编\u3000二〇二二年五月三十一日", ""]
    for role, text in roles():
        if role == "title":
            lines += [" " * 10 + part for part in wrapped_title(text)]
        elif role == "paragraph":
            lines += wrapped(rebracket(text, "〔", "〕"), "    ")
    lines.append(" " * 16 + "工作动态")
    for brief in whole_briefs([text for role, text in roles() if role == "brief"]):
        lines += wrapped(chinese_opening(rebracket(brief, "(", ")")), "")
    pages = [lines[start : start + PAGE_LINES] for start in range(0, len(lines), PAGE_LINES)]
    return "\f".join(
        "\n".join([*page, "", f"— {number} —", ""]) for number, page in enumerate(pages, start=1)
    )


# File name → bytes; what the tests expect of each is in tests/test_legacy_layouts.py.
def fixtures() -> dict[str, bytes]:
    return {
        "issue270-2008-gb18030.txt": issue_2008().encode("gb18030"),
        "issue270-no-contents.txt": issue_without_contents().encode("utf-8"),
        "issue270-table-gb2312.html": issue_table_page().encode("gb18030"),
        "issue270-pdftotext-2012.txt": issue_pdftotext().encode("utf-8"),
        "issue270-2006-gbk.txt": issue_2006().encode("gbk"),
        "issue270-links-2010-gbk.html": issue_links_page().encode("gbk"),
        "issue270-pdftotext-no-contents.txt": issue_pdftotext_without_contents().encode("utf-8"),
    }


def main() -> None:
    LEGACY.mkdir(exist_ok=True)
    for name, data in fixtures().items():
        (LEGACY / name).write_bytes(data)


if __name__ == "__main__":
    main()
