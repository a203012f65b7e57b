"""Write the real issue as Word documents in several office layouts and export each to PDF with LibreOffice.

    .venv/bin/python tests/data/make_office_fixtures.py [layout ...]

What an archive of office-exported issues holds: list bullets and numbering the word processor types in
the contents, running headers and footers with page fields, a masthead in a table or text box, a
two-column 简讯 section, curly quotes set in a Latin font. The words are the seed issue's. Needs python-docx
and Debian's libreoffice-writer with fonts-noto-cjk.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from tests.data.make_fixtures import classify, seed_lines, squeeze  # noqa: E402

OFFICE = HERE / "office"
SOFFICE_TIMEOUT = 180
CJK_SERIF = "Noto Serif CJK SC"
CJK_SANS = "Noto Sans CJK SC"
# LibreOffice sets curly quotes in the Western font: that is what reorders them in pdfminer's output.
LATIN_SERIF = "Liberation Serif"
LATIN_SANS = "Liberation Sans"
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
SENTENCE_END = re.compile(r"[。！？；…][”’）)]*$")
DATE_OPENING = re.compile(r"^\d{1,2}月\d{1,2}日")
CJK_DIGIT = re.compile(r"(?<=[\u4e00-\u9fff])(?=\d)|(?<=\d)(?=[\u4e00-\u9fff])")


@dataclass
class Issue:
    masthead: list[str]
    toc_heading: str
    contents: list[str]
    # (title, paragraphs) per feature; a heading inside a feature is a paragraph of its own.
    features: list[tuple[str, list[str]]] = field(default_factory=list)
    briefs_heading: str = "简讯"
    briefs: list[str] = field(default_factory=list)


def seed_issue() -> Issue:
    """The seed split by its structure, with the lines its plain-text copy broke at a page or wrap rejoined."""
    roles = classify(seed_lines())
    issue = Issue(
        masthead=[text for role, text in roles if role == "masthead"],
        toc_heading=next(text for role, text in roles if role == "toc-heading"),
        contents=[text.strip() for role, text in roles if role == "toc"],
    )
    by_squeezed = {squeeze(title): title for title in issue.contents}
    for role, text in roles:
        if role == "title":
            issue.features.append((by_squeezed[squeeze(text)], []))
        elif role == "paragraph":
            paragraphs = issue.features[-1][1]
            if paragraphs and len(paragraphs[-1]) > 20 and not SENTENCE_END.search(paragraphs[-1]):
                paragraphs[-1] += text
            else:
                paragraphs.append(text)
        elif role == "briefs-heading":
            issue.briefs_heading = text
        elif role == "brief":
            if issue.briefs and not DATE_OPENING.match(text):
                issue.briefs[-1] += text
            else:
                issue.briefs.append(text)
    return issue


# -- WordprocessingML helpers -------------------------------------------------------------------------


def qn(tag: str) -> str:
    prefix, name = tag.split(":")
    assert prefix == "w"
    return f"{{{W}}}{name}"


def element(tag: str, **attributes: str):
    from lxml import etree

    node = etree.Element(qn(tag))
    for key, value in attributes.items():
        node.set(qn(f"w:{key}"), value)
    return node


def set_fonts(run, east_asian: str, latin: str, size: float | None = None, bold: bool = False) -> None:
    run.font.name = latin
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), east_asian)
    if size:
        from docx.shared import Pt

        run.font.size = Pt(size)
    run.font.bold = bold or None


def add_field(paragraph, instruction: str) -> None:
    """A PAGE or NUMPAGES field as Word writes it: begin, instruction, separate, shown value, end."""
    from docx.oxml import parse_xml

    for xml in (
        f'<w:r xmlns:w="{W}"><w:fldChar w:fldCharType="begin"/></w:r>',
        f'<w:r xmlns:w="{W}"><w:instrText xml:space="preserve"> {instruction} </w:instrText></w:r>',
        f'<w:r xmlns:w="{W}"><w:fldChar w:fldCharType="separate"/></w:r>',
        f'<w:r xmlns:w="{W}"><w:t>1</w:t></w:r>',
        f'<w:r xmlns:w="{W}"><w:fldChar w:fldCharType="end"/></w:r>',
    ):
        paragraph._p.append(parse_xml(xml))


def running_text(document, header: str | None, footer: list[str], alignment: str) -> None:
    """The first section's header and footer; in the footer "PAGE" and "NUMPAGES" are fields."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    align = getattr(WD_ALIGN_PARAGRAPH, alignment.upper())
    section = document.sections[0]
    if header:
        paragraph = section.header.paragraphs[0]
        paragraph.alignment = align
        set_fonts(paragraph.add_run(header), CJK_SANS, LATIN_SANS, 9)
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = align
    for piece in footer:
        if piece in ("PAGE", "NUMPAGES"):
            add_field(paragraph, piece)
        else:
            paragraph.add_run(piece)


def add_numbering(document, number_id: int, format: str, text: str, font: str) -> None:
    """A one-level list definition (w:abstractNum) and its w:num: numFmt bullet or decimal."""
    from docx.oxml import parse_xml

    numbering = document.part.numbering_part.element
    abstract = parse_xml(
        f'<w:abstractNum xmlns:w="{W}" w:abstractNumId="{number_id}">'
        '<w:multiLevelType w:val="singleLevel"/>'
        f'<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="{format}"/><w:lvlText w:val="{text}"/>'
        '<w:lvlJc w:val="left"/><w:pPr><w:ind w:left="480" w:hanging="480"/></w:pPr>'
        f'<w:rPr><w:rFonts w:ascii="{font}" w:hAnsi="{font}" w:eastAsia="{font}" w:hint="eastAsia"/></w:rPr>'
        "</w:lvl></w:abstractNum>"
    )
    first_num = numbering.find(qn("w:num"))
    if first_num is not None:
        first_num.addprevious(abstract)
    else:
        numbering.append(abstract)
    numbering.append(
        parse_xml(
            f'<w:num xmlns:w="{W}" w:numId="{number_id}"><w:abstractNumId w:val="{number_id}"/></w:num>'
        )
    )


def number_paragraph(paragraph, number_id: int) -> None:
    properties = paragraph._p.get_or_add_pPr()
    numbering = element("w:numPr")
    numbering.append(element("w:ilvl", val="0"))
    numbering.append(element("w:numId", val=str(number_id)))
    properties.insert(0, numbering)


def set_columns(section, count: int) -> None:
    columns = section._sectPr.find(qn("w:cols"))
    if columns is None:
        columns = element("w:cols")
        section._sectPr.append(columns)
    columns.set(qn("w:num"), str(count))
    columns.set(qn("w:space"), "425")


def text_box(paragraph, lines: list[tuple[str, float]], width_cm: float, height_cm: float, font: str) -> None:
    """A VML text box anchored in paragraph, as older Word files carry a masthead."""
    from docx.oxml import parse_xml

    inner = "".join(
        f'<w:p><w:pPr><w:jc w:val="center"/></w:pPr><w:r><w:rPr><w:rFonts w:ascii="{font}" w:hAnsi="{font}" '
        f'w:eastAsia="{font}"/><w:sz w:val="{int(size * 2)}"/></w:rPr><w:t xml:space="preserve">{text}</w:t>'
        "</w:r></w:p>"
        for text, size in lines
    )
    paragraph._p.append(
        parse_xml(
            f'<w:r xmlns:w="{W}" xmlns:v="urn:schemas-microsoft-com:vml"><w:pict>'
            f'<v:shape id="masthead" type="#_x0000_t202" style="width:{width_cm}cm;height:{height_cm}cm" '
            'strokecolor="#b00000"><v:textbox>'
            f"<w:txbxContent>{inner}</w:txbxContent></v:textbox></v:shape></w:pict></w:r>"
        )
    )


# -- layouts ----------------------------------------------------------------------------------------------


@dataclass
class Style:
    east_asian: str
    latin: str
    size: float
    title_size: float
    masthead_size: float
    latin_quotes: bool = False


def new_document(style: Style, margins_cm: float = 2.5):
    import docx
    from docx.shared import Cm, Pt

    document = docx.Document()
    normal = document.styles["Normal"]
    normal.font.name = style.latin
    normal.font.size = Pt(style.size)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), style.east_asian)
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(margins_cm))
    section.header_distance = section.footer_distance = Cm(1.2)
    return document


CURLY_QUOTES = re.compile(r"([“”‘’])")


def add_text(
    document, text: str, style: Style, size: float | None = None, bold=False, center=False, indent=True
):
    """A paragraph; with style.latin_quotes its curly quotes are runs in the Latin font, as Word does
    when a quote is typed with a Western input method."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    paragraph = document.add_paragraph()
    if center:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    elif indent:
        paragraph.paragraph_format.first_line_indent = Pt(2 * (size or style.size))
    paragraph.paragraph_format.space_after = Pt(4)
    pieces = CURLY_QUOTES.split(text) if style.latin_quotes else [text]
    for piece in filter(None, pieces):
        quote = style.latin_quotes and CURLY_QUOTES.fullmatch(piece)
        set_fonts(
            paragraph.add_run(piece), style.latin if quote else style.east_asian, style.latin, size, bold
        )
    return paragraph


def add_body(document, issue: Issue, style: Style, spaced: Callable[[str], str] = str) -> None:
    from docx.shared import Pt

    for title, paragraphs in issue.features:
        heading = add_text(document, spaced(title), style, style.title_size, bold=True, center=True)
        heading.paragraph_format.space_before = Pt(14)
        heading.paragraph_format.space_after = Pt(10)
        for text in paragraphs:
            add_text(document, spaced(text), style)


def layout_a(issue: Issue) -> object:
    """Masthead in a table, ★ as a Word bullet list (one ★ typed inside the quotes), running header and
    'page N of M' footer fields, a two-column 简讯 section, curly quotes falling back to a Latin serif."""
    from docx.enum.section import WD_SECTION
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt, RGBColor

    style = Style(CJK_SERIF, LATIN_SERIF, 12, 16, 30, latin_quotes=True)
    document = new_document(style)
    running_text(
        document, "温州科协信息 2022年第5期", ["第 ", "PAGE", " 页 共 ", "NUMPAGES", " 页"], "center"
    )

    name, number, total, editor, date = issue.masthead
    table = document.add_table(rows=4, cols=2)
    table.style = document.styles["Table Grid"]
    for row, (text, size) in enumerate(((name, style.masthead_size), (number, 14), (total, 12))):
        cell = table.cell(row, 0).merge(table.cell(row, 1))
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = cell.paragraphs[0].add_run(text)
        set_fonts(run, CJK_SERIF, LATIN_SERIF, size, bold=row == 0)
        if row == 0:
            run.font.color.rgb = RGBColor(0xB0, 0, 0)
    set_fonts(table.cell(3, 0).paragraphs[0].add_run(editor), CJK_SERIF, LATIN_SERIF, 11)
    table.cell(3, 1).paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    set_fonts(table.cell(3, 1).paragraphs[0].add_run(date), CJK_SERIF, LATIN_SERIF, 11)

    add_text(
        document, issue.toc_heading, style, 15, bold=True, center=True
    ).paragraph_format.space_before = Pt(12)
    add_numbering(document, 90, "bullet", "★", CJK_SANS)
    for entry in issue.contents:
        if entry.startswith("“科创中国”温州站"):
            # Typed by hand rather than numbered: the ★ went in after the opening quote.
            paragraph = add_text(document, "“★ " + entry[1:], style, indent=False)
        else:
            paragraph = add_text(document, entry, style, indent=False)
            number_paragraph(paragraph, 90)
    add_body(document, issue, style)
    add_text(document, issue.briefs_heading, style, style.title_size, bold=True, center=True)
    briefs = document.add_section(WD_SECTION.CONTINUOUS)
    set_columns(briefs, 2)
    for text in issue.briefs:
        add_text(document, text, style, 10.5, indent=False)
    return document


def layout_b(issue: Issue) -> object:
    """Plain centred masthead, contents with automatic '1.' numbering, spaces typed between Chinese and
    digits, a '- N -' footer, large sans titles that wrap, briefs in one column."""

    style = Style(CJK_SANS, LATIN_SANS, 11, 20, 34)
    document = new_document(style, margins_cm=3.0)
    running_text(document, None, ["- ", "PAGE", " -"], "center")

    def spaced(text: str) -> str:
        return CJK_DIGIT.sub(" ", text)

    for index, line in enumerate(issue.masthead):
        add_text(
            document, line, style, style.masthead_size if index == 0 else 12, bold=index == 0, center=True
        )
    add_text(document, issue.toc_heading, style, 16, bold=True, center=True)
    add_numbering(document, 91, "decimal", "%1.", CJK_SANS)
    for entry in issue.contents:
        number_paragraph(add_text(document, entry, style, indent=False), 91)
    add_body(document, issue, style, spaced)
    add_text(document, issue.briefs_heading, style, style.title_size, bold=True, center=True)
    for text in issue.briefs:
        add_text(document, spaced(text), style, indent=False)
    return document


def layout_c(issue: Issue) -> object:
    """Masthead in a text box, ◆ typed before each contents entry, header with the issue on the right,
    the 简讯 section in two columns with a wider gap, serif body at 10.5 pt."""
    from docx.enum.section import WD_SECTION

    style = Style(CJK_SERIF, LATIN_SERIF, 10.5, 14, 28)
    document = new_document(style, margins_cm=2.0)
    running_text(document, "温州科协信息  2022年第5期（总第270期）", ["PAGE"], "right")

    name, number, total, editor, date = issue.masthead
    text_box(
        document.add_paragraph(),
        [(name, style.masthead_size), (f"{number}  {total}", 12), (editor, 11), (date, 11)],
        17,
        5.5,
        CJK_SERIF,
    )
    add_text(document, issue.toc_heading, style, 14, bold=True, center=True)
    for entry in issue.contents:
        add_text(document, "◆ " + entry, style, indent=False)
    add_body(document, issue, style)
    add_text(document, issue.briefs_heading, style, style.title_size, bold=True, center=True)
    briefs = document.add_section(WD_SECTION.CONTINUOUS)
    set_columns(briefs, 2)
    briefs._sectPr.find(qn("w:cols")).set(qn("w:space"), "720")
    for text in issue.briefs:
        add_text(document, text, style, 10, indent=False)
    return document


def layout_d(issue: Issue) -> object:
    """Made after the reader was finished, to try it on something it was not tuned to: ① numbers typed in
    the contents, the whole issue in two columns below a one-column masthead, a '第N页' footer on the
    left, Latin quotes, sans body at 10 pt."""
    from docx.enum.section import WD_SECTION

    style = Style(CJK_SANS, LATIN_SANS, 10, 13, 26, latin_quotes=True)
    document = new_document(style, margins_cm=2.2)
    running_text(document, "温州科协信息", ["第", "PAGE", "页"], "left")
    for index, line in enumerate(issue.masthead):
        add_text(
            document, line, style, style.masthead_size if index == 0 else 11, bold=index == 0, center=True
        )
    add_text(document, issue.toc_heading, style, 14, bold=True, center=True)
    for number, entry in enumerate(issue.contents):
        add_text(document, chr(0x2460 + number) + entry, style, indent=False)
    body = document.add_section(WD_SECTION.CONTINUOUS)
    set_columns(body, 2)
    add_body(document, issue, style)
    add_text(document, issue.briefs_heading, style, style.title_size, bold=True, center=True)
    for text in issue.briefs:
        add_text(document, text, style, 9.5, indent=False)
    return document


LAYOUTS: dict[str, Callable[[Issue], object]] = {"a": layout_a, "b": layout_b, "c": layout_c, "d": layout_d}


def convert_to_pdf(source: Path, out_dir: Path, target: str = "pdf") -> Path:
    """soffice --headless --convert-to pdf (or target, a filter named), with a profile of its own so
    parallel calls do not clash."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise SystemExit("soffice not found: install libreoffice-writer (Debian) to make the office PDFs")
    with tempfile.TemporaryDirectory(prefix="lo-office-") as profile:
        subprocess.run(
            [
                soffice,
                f"-env:UserInstallation=file://{profile}/{uuid.uuid4().hex}",
                "--headless",
                "--convert-to",
                target,
                "--outdir",
                str(out_dir),
                str(source),
            ],
            check=True,
            timeout=SOFFICE_TIMEOUT,
            capture_output=True,
        )
    return out_dir / f"{source.stem}.pdf"


def make_layout(name: str, out_dir: Path = OFFICE) -> tuple[Path, Path]:
    """The .docx of layout name in out_dir and its PDF beside it."""
    out_dir.mkdir(parents=True, exist_ok=True)
    document = LAYOUTS[name](seed_issue())
    # A fixed creation time keeps the file the same from run to run.
    document.core_properties.created = document.core_properties.modified = _ISSUE_TIME
    document.core_properties.title = "温州科协信息 2022年第5期"
    source = out_dir / f"issue270-layout-{name}.docx"
    document.save(source)
    pdf = convert_to_pdf(source, out_dir)
    data = re.sub(rb"(/(?:Creation|Mod)Date\(D:)\d{14}", rb"\g<1>20220531000000", pdf.read_bytes())
    pdf.write_bytes(data)
    return source, pdf


def _issue_time():
    import datetime as dt

    return dt.datetime(2022, 5, 31, tzinfo=dt.UTC)


_ISSUE_TIME = _issue_time()


def main(names: list[str]) -> None:
    for name in names or LAYOUTS:
        source, pdf = make_layout(name)
        print(f"{source.name} {source.stat().st_size} bytes -> {pdf.name} {pdf.stat().st_size} bytes")


if __name__ == "__main__":
    main(sys.argv[1:])
