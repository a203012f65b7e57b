"""Re-make the fixtures of the parser's follow-ups: more Word layouts, an office PDF and the OpenDocument copies.

    .venv/bin/python tests/data/make_followup_fixtures.py

word/issue270-numbered-contents.docx sets 本期要目 as a two-column table, the entry's number in a cell
of its own (1, 2, …). word/issue270-contents-box.docx draws 本期要目 in a text box placed on the page
and anchored in the masthead's date paragraph, as a LibreOffice round trip leaves it: read in file
order, the contents come before the date line. followup/issue270-arrows.pdf is an office layout
exported by LibreOffice: ▶ typed before each contents entry and brief, page numbers behind dot leaders.
odt/ holds the Word fixtures issue270.docx and
issue270-tables.docx saved by LibreOffice as .odt, and odt/bad/ what must not be read as one (a
spreadsheet, an OpenDocument ZIP too, and a truncated .odt). Needs Debian's libreoffice-writer and -calc.
"""

from __future__ import annotations

from pathlib import Path

from make_fixtures import seed_lines
from make_office_fixtures import (
    CJK_SERIF,
    LATIN_SERIF,
    Style,
    add_body,
    add_text,
    convert_to_pdf,
    new_document,
    running_text,
    seed_issue,
)
from make_word_fixtures import (
    BULLET_NUMBERING_ID,
    NAMESPACES,
    WORD,
    add_star_bullets,
    heading,
    issue_parts,
    libreoffice,
)

HERE = Path(__file__).resolve().parent
FOLLOWUP = HERE / "followup"
ODT = HERE / "odt"
ODT_BAD = ODT / "bad"


def masthead_and_body(document, parts: dict, contents) -> None:
    """The masthead a line a paragraph, contents(document, date paragraph) where the contents go, the
    features and the briefs."""
    *head, date = parts["masthead"]
    for line in head:
        document.add_paragraph(line)
    contents(document, document.add_paragraph(date))
    for title, _, paragraphs in parts["features"]:
        heading(document, [title])
        for text in paragraphs:
            document.add_paragraph(text)
    heading(document, [parts["briefs_heading"]])
    for brief in parts["briefs"]:
        document.add_paragraph(brief)


def numbered_contents_docx(parts: dict, path: Path) -> None:
    from docx import Document

    def contents(document, _) -> None:
        heading(document, [parts["toc_heading"]])
        table = document.add_table(rows=0, cols=2)
        for number, title in enumerate(parts["contents"], start=1):
            number_cell, title_cell = table.add_row().cells
            number_cell.text, title_cell.text = str(number), title

    document = Document()
    masthead_and_body(document, parts, contents)
    document.save(str(path))


def page_placed_box(heading_text: str, entries: list[str]) -> str:
    """A DrawingML text box placed on the page (not relative to its anchor paragraph): a heading and
    ★ bulleted entries."""
    bullet = f'<w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="{BULLET_NUMBERING_ID}"/></w:numPr></w:pPr>'
    content = f"<w:p><w:r><w:t>{heading_text}</w:t></w:r></w:p>" + "".join(
        f"<w:p>{bullet}<w:r><w:t>{text}</w:t></w:r></w:p>" for text in entries
    )
    size = 'cx="5400000" cy="2700000"'
    return (
        f"<w:r {NAMESPACES}><w:drawing>"
        '<wp:anchor distT="0" distB="0" distL="0" distR="0" simplePos="0" relativeHeight="2" behindDoc="0" '
        'locked="0" layoutInCell="1" allowOverlap="1"><wp:simplePos x="0" y="0"/>'
        '<wp:positionH relativeFrom="page"><wp:posOffset>900000</wp:posOffset></wp:positionH>'
        '<wp:positionV relativeFrom="page"><wp:posOffset>3600000</wp:posOffset></wp:positionV>'
        f'<wp:extent {size}/><wp:wrapTopAndBottom/><wp:docPr id="7" name="Frame 7"/><a:graphic>'
        '<a:graphicData uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"><wps:wsp>'
        f'<wps:cNvSpPr txBox="1"/><wps:spPr><a:xfrm><a:off x="0" y="0"/><a:ext {size}/></a:xfrm>'
        '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></wps:spPr>'
        f"<wps:txbx><w:txbxContent>{content}</w:txbxContent></wps:txbx><wps:bodyPr/>"
        "</wps:wsp></a:graphicData></a:graphic></wp:anchor></w:drawing></w:r>"
    )


def contents_box_docx(parts: dict, path: Path) -> None:
    from docx import Document
    from docx.oxml import parse_xml

    def contents(document, date_paragraph) -> None:
        date_paragraph._p.append(parse_xml(page_placed_box(parts["toc_heading"], parts["contents"])))

    document = Document()
    add_star_bullets(document)
    masthead_and_body(document, parts, contents)
    document.save(str(path))


def arrows_docx(path: Path) -> None:
    """An office layout with ▶ typed before each contents entry and each brief, and the contents' page
    numbers behind a dot leader (a right tab stop), as the table of contents of a word processor."""
    from docx.enum.text import WD_TAB_ALIGNMENT, WD_TAB_LEADER
    from docx.shared import Cm

    issue = seed_issue()
    style = Style(CJK_SERIF, LATIN_SERIF, 11, 16, 30)
    document = new_document(style)
    running_text(document, None, ["第 ", "PAGE", " 页"], "center")
    for index, line in enumerate(issue.masthead):
        add_text(
            document, line, style, style.masthead_size if index == 0 else 12, bold=index == 0, center=True
        )
    add_text(document, issue.toc_heading, style, 14, bold=True, center=True)
    for page, entry in enumerate(issue.contents, start=2):
        paragraph = add_text(document, f"▶ {entry}\t{page // 2}", style, indent=False)
        paragraph.paragraph_format.tab_stops.add_tab_stop(Cm(16), WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS)
    add_body(document, issue, style)
    add_text(document, issue.briefs_heading, style, style.title_size, bold=True, center=True)
    for text in issue.briefs:
        add_text(document, f"▶ {text}", style, indent=False)
    document.save(str(path))


def main() -> None:
    ODT_BAD.mkdir(parents=True, exist_ok=True)
    FOLLOWUP.mkdir(exist_ok=True)
    arrows_docx(FOLLOWUP / "issue270-arrows.docx")
    convert_to_pdf(FOLLOWUP / "issue270-arrows.docx", FOLLOWUP)
    parts = issue_parts(seed_lines())
    numbered_contents_docx(parts, WORD / "issue270-numbered-contents.docx")
    contents_box_docx(parts, WORD / "issue270-contents-box.docx")
    for name in ("issue270.docx", "issue270-tables.docx"):
        libreoffice(WORD / name, ODT / name.replace(".docx", ".odt"), "writer8")
    whole = (ODT / "issue270.odt").read_bytes()
    (ODT_BAD / "truncated.odt").write_bytes(whole[: len(whole) // 2])
    table = ODT_BAD / "table.csv"
    table.write_text("日期,活动\n5月1日,文成县科协开展活动\n", encoding="utf-8")
    libreoffice(table, ODT_BAD / "spreadsheet.ods", "calc8")
    table.unlink()


if __name__ == "__main__":
    main()
