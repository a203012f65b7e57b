"""Re-make the Word fixtures in tests/data/word/ from the real issue in archive/.

    .venv/bin/python tests/data/make_word_fixtures.py

issue270.docx is the issue as a secretary sets it in Word (written with python-docx): the masthead's name
in a text box (Word's DrawingML shape with its VML fallback, so the text is in the file twice), the
issue number, editor and date in a table, 本期要目 as a ★ bulleted list (numbering, not typed), long
titles broken by hand (Shift+Enter) where the seed's lines wrap, bold and centred; body paragraphs
indented by format in some articles and by typed full-width spaces in others; a page break before 简讯;
a tracked insertion and deletion and a hyperlink field in the briefs; a running header and a page-number
field in the footer. LibreOffice headless then saves it again as issue270-libreoffice.docx (another
producer), as issue270.doc (Word 97-2003) and as issue270-rtf.doc (RTF under a .doc name).
issue270-tables.docx is a second layout, set in tables. bad/ holds what must not be taken for a Word issue or must fail with one line. Needs Debian's
libreoffice-writer (and libreoffice-calc for the two spreadsheets), and msoffcrypto-tool from PyPI for
encrypted.docx.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

from make_fixtures import classify, seed_lines, squeeze

HERE = Path(__file__).resolve().parent
WORD = HERE / "word"
BAD = WORD / "bad"

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NAMESPACES = (
    f'xmlns:w="{W_NS}" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
    'xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office"'
)
RED = "C00000"
BULLET_NUMBERING_ID = 90
# A paragraph of the seed ends with a full stop (perhaps closing a quote), perhaps then the attribution;
# any other line of body text was broken by a page of the PDF the seed was copied from.
PARAGRAPH_END = re.compile(r"(?:[。！？]”?(?:（[^（）]+）)?|^（[^（）]+）)$")
ATTRIBUTION_END = re.compile(r"（[^（）]+）$")
HEADING_MAX = 30
TRACKED_BRIEF = "2022年温州市“全民营养周”活动正式启动"
LINKED_WORDS = "清华大学老科协演讲团"


def issue_parts(lines: list[str]) -> dict:
    """The seed's masthead, contents, features (title as printed, paragraphs) and briefs, with the
    paragraphs that the seed's page breaks split joined again."""
    roles = classify(lines)
    contents = [text for role, text in roles if role == "toc"]
    by_squeezed = {squeeze(title): title for title in contents}
    features: list[tuple[str, str, list[str]]] = []
    briefs: list[str] = []
    for role, text in roles:
        if role == "title":
            features.append((by_squeezed[squeeze(text)], text, []))
        elif role == "paragraph":
            paragraphs = features[-1][2]
            if paragraphs and len(paragraphs[-1]) > HEADING_MAX and not PARAGRAPH_END.search(paragraphs[-1]):
                paragraphs[-1] += text
            else:
                paragraphs.append(text)
        elif role == "brief":
            if briefs and not ATTRIBUTION_END.search(briefs[-1]):
                briefs[-1] += text
            else:
                briefs.append(text)
    return {
        "masthead": [text for role, text in roles if role == "masthead"],
        "toc_heading": next(text for role, text in roles if role == "toc-heading"),
        "contents": contents,
        "features": features,
        "briefs_heading": next(text for role, text in roles if role == "briefs-heading"),
        "briefs": briefs,
    }


def hand_broken(title: str, printed: str) -> list[str]:
    """The title in the pieces the seed printed it in: a space the contents entry lacks is where the
    secretary pressed Shift+Enter."""
    for index, char in enumerate(printed):
        if char == " " and printed[:index] + printed[index + 1 :] == title:
            return [printed[:index], printed[index + 1 :]]
    return [title]


def text_box_xml(text: str) -> str:
    """A run holding a floating text box as Word 2010 and later write it: a DrawingML shape, and the
    same box in VML for older readers."""
    paragraph = (
        f'<w:p><w:pPr><w:jc w:val="center"/></w:pPr><w:r><w:rPr><w:rFonts w:eastAsia="SimHei"/><w:b/>'
        f'<w:color w:val="{RED}"/><w:sz w:val="72"/></w:rPr><w:t>{text}</w:t></w:r></w:p>'
    )
    width, height = 4320000, 900000
    return (
        f'<w:r {NAMESPACES}><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing>'
        '<wp:anchor distT="0" distB="0" distL="114300" distR="114300" simplePos="0" relativeHeight="251659264" '
        'behindDoc="0" locked="0" layoutInCell="1" allowOverlap="1"><wp:simplePos x="0" y="0"/>'
        '<wp:positionH relativeFrom="margin"><wp:align>center</wp:align></wp:positionH>'
        '<wp:positionV relativeFrom="paragraph"><wp:posOffset>0</wp:posOffset></wp:positionV>'
        f'<wp:extent cx="{width}" cy="{height}"/><wp:effectExtent l="0" t="0" r="0" b="0"/><wp:wrapTopAndBottom/>'
        '<wp:docPr id="1" name="Text Box 1"/><wp:cNvGraphicFramePr/><a:graphic>'
        '<a:graphicData uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"><wps:wsp>'
        f'<wps:cNvSpPr txBox="1"/><wps:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{width}" cy="{height}"/></a:xfrm>'
        '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom><a:noFill/><a:ln><a:noFill/></a:ln></wps:spPr>'
        f"<wps:txbx><w:txbxContent>{paragraph}</w:txbxContent></wps:txbx>"
        '<wps:bodyPr rot="0" vert="horz" wrap="square" anchor="ctr"><a:noAutofit/></wps:bodyPr>'
        "</wps:wsp></a:graphicData></a:graphic></wp:anchor></w:drawing></mc:Choice><mc:Fallback><w:pict>"
        '<v:shape id="Text Box 1" o:spid="_x0000_s1026" type="#_x0000_t202" filled="f" stroked="f" '
        'style="position:absolute;margin-left:0;margin-top:0;width:340.15pt;height:70.85pt;z-index:251659264;'
        'mso-position-horizontal:center;mso-position-horizontal-relative:margin">'
        f"<v:textbox><w:txbxContent>{paragraph}</w:txbxContent></v:textbox></v:shape></w:pict></mc:Fallback>"
        "</mc:AlternateContent></w:r>"
    )


def add_star_bullets(document) -> None:
    """A ★ bullet list definition, as Word's bullet library makes one."""
    from docx.oxml import parse_xml

    numbering = document.part.numbering_part.element
    abstract = parse_xml(
        f'<w:abstractNum xmlns:w="{W_NS}" w:abstractNumId="{BULLET_NUMBERING_ID}">'
        '<w:multiLevelType w:val="hybridMultilevel"/><w:lvl w:ilvl="0"><w:start w:val="1"/>'
        '<w:numFmt w:val="bullet"/><w:lvlText w:val="★"/><w:lvlJc w:val="left"/>'
        '<w:pPr><w:ind w:left="420" w:hanging="420"/></w:pPr>'
        '<w:rPr><w:rFonts w:ascii="SimSun" w:eastAsia="SimSun" w:hAnsi="SimSun" w:hint="eastAsia"/></w:rPr>'
        "</w:lvl></w:abstractNum>"
    )
    # The schema wants every w:abstractNum before the first w:num.
    first_num = numbering.find(f"{{{W_NS}}}num")
    first_num.addprevious(abstract)
    numbering.append(
        parse_xml(
            f'<w:num xmlns:w="{W_NS}" w:numId="{BULLET_NUMBERING_ID}">'
            f'<w:abstractNumId w:val="{BULLET_NUMBERING_ID}"/></w:num>'
        )
    )


def bulleted(paragraph) -> None:
    from docx.oxml import parse_xml

    properties = paragraph._p.get_or_add_pPr()
    properties.insert(
        0,
        parse_xml(
            f'<w:numPr xmlns:w="{W_NS}"><w:ilvl w:val="0"/><w:numId w:val="{BULLET_NUMBERING_ID}"/></w:numPr>'
        ),
    )


def raw_runs(paragraph, xml: str) -> None:
    from docx.oxml import parse_xml

    for element in parse_xml(f"<w:p {NAMESPACES}>{xml}</w:p>"):
        paragraph._p.append(element)


def text_run(text: str) -> str:
    return f'<w:r><w:t xml:space="preserve">{text}</w:t></w:r>'


def field_run(kind: str, instruction: str = "") -> str:
    if instruction:
        return f'<w:r><w:instrText xml:space="preserve">{instruction}</w:instrText></w:r>'
    return f'<w:r><w:fldChar w:fldCharType="{kind}"/></w:r>'


def write_brief(document, brief: str) -> None:
    paragraph = document.add_paragraph()
    if TRACKED_BRIEF in brief:
        # Track changes left on: "将于近日举行" replaced by "正式启动".
        before, after = brief.split("正式启动")
        revision = 'w:author="办公室" w:date="2022-05-30T09:00:00Z"'
        raw_runs(
            paragraph,
            text_run(before)
            + f'<w:del w:id="901" {revision}><w:r><w:delText>将于近日举行</w:delText></w:r></w:del>'
            + f'<w:ins w:id="902" {revision}>{text_run("正式启动")}</w:ins>'
            + text_run(after),
        )
    elif LINKED_WORDS in brief:
        # Pasted from a web page: the link arrives as a HYPERLINK field, code and result.
        before, after = brief.split(LINKED_WORDS)
        raw_runs(
            paragraph,
            text_run(before)
            + field_run("begin")
            + field_run("", ' HYPERLINK "https://www.tsinghua.edu.cn/" ')
            + field_run("separate")
            + text_run(LINKED_WORDS)
            + field_run("end")
            + text_run(after),
        )
    else:
        paragraph.add_run(brief)


def heading(document, pieces: list[str], size: int = 16):
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.space_before = Pt(12)
    paragraph.paragraph_format.space_after = Pt(6)
    for index, piece in enumerate(pieces):
        run = paragraph.add_run(piece)
        run.bold = True
        run.font.size = Pt(size)
        if index < len(pieces) - 1:
            run.add_break()
    return paragraph


def secretary_docx(parts: dict, path: Path) -> None:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.oxml import parse_xml
    from docx.shared import Cm, Pt, RGBColor

    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.6)
    section.header.paragraphs[0].text = "温州科协信息 2022年第5期"
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    raw_runs(
        footer,
        text_run("第 ")
        + '<w:fldSimple w:instr=" PAGE "><w:r><w:t>1</w:t></w:r></w:fldSimple>'
        + text_run(" 页"),
    )
    add_star_bullets(document)

    name, number, total, editor, date = parts["masthead"]
    anchor = document.paragraphs[0] if document.paragraphs else document.add_paragraph()
    anchor._p.append(parse_xml(text_box_xml(name)))
    table = document.add_table(rows=1, cols=3)
    cells = table.rows[0].cells
    cells[0].paragraphs[0].add_run(number).bold = True
    cells[0].add_paragraph(total)
    cells[1].paragraphs[0].add_run(editor)
    cells[2].paragraphs[0].add_run(date)
    cells[1].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    cells[2].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for cell in cells:
        cell.paragraphs[0].runs[0].font.color.rgb = RGBColor.from_string(RED)

    heading(document, [parts["toc_heading"]])
    for title in parts["contents"]:
        bulleted(document.add_paragraph(title))

    for number, (title, printed, paragraphs) in enumerate(parts["features"], start=1):
        heading(document, hand_broken(title, printed))
        for text in paragraphs:
            paragraph = document.add_paragraph()
            if len(text) <= HEADING_MAX and not text.startswith("（"):
                paragraph.add_run(text).bold = True
            elif number % 2:
                paragraph.paragraph_format.first_line_indent = Pt(24)
                paragraph.add_run(text)
            else:
                paragraph.add_run("\u3000\u3000" + text)
            if text.startswith("（"):
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT

    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    heading(document, [parts["briefs_heading"]])
    for brief in parts["briefs"]:
        write_brief(document, brief)
    document.core_properties.author = "温州市科学技术协会"
    document.core_properties.title = "温州科协信息 2022年第5期"
    document.save(str(path))


def tables_docx(parts: dict, path: Path) -> None:
    """Another layout, set in tables: the masthead in a one-cell frame, 本期要目 in a one-column table
    (a row per title), and 简讯 in a two-column table filled row by row."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    document = Document()
    frame = document.add_table(rows=1, cols=1, style="Table Grid").rows[0].cells[0]
    frame.paragraphs[0].add_run(parts["masthead"][0]).bold = True
    for line in parts["masthead"][1:]:
        frame.add_paragraph(line).alignment = WD_ALIGN_PARAGRAPH.CENTER
    heading(document, [parts["toc_heading"]])
    contents = document.add_table(rows=0, cols=1, style="Table Grid")
    for title in parts["contents"]:
        contents.add_row().cells[0].text = title
    for title, _, paragraphs in parts["features"]:
        heading(document, [title])
        for text in paragraphs:
            document.add_paragraph(text)
    heading(document, [parts["briefs_heading"]])
    briefs = document.add_table(rows=0, cols=2)
    for left in range(0, len(parts["briefs"]), 2):
        row = briefs.add_row().cells
        for cell, brief in zip(row, parts["briefs"][left : left + 2], strict=False):
            cell.text = brief
    document.save(str(path))


def libreoffice(source: Path, target: Path, filter_name: str) -> None:
    """source converted by LibreOffice headless with the named export filter, in a throwaway profile."""
    with tempfile.TemporaryDirectory(prefix="lo-word-fixtures-") as folder:
        work = Path(folder)
        shutil.copy(source, work / f"in{source.suffix}")
        subprocess.run(
            [
                "soffice",
                f"-env:UserInstallation={(work / 'profile').as_uri()}",
                "--headless",
                "--norestore",
                "--convert-to",
                f"{target.suffix[1:]}:{filter_name}",
                "--outdir",
                str(work / "out"),
                str(work / f"in{source.suffix}"),
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
        shutil.move(work / "out" / f"in{target.suffix}", target)


def encrypted_docx(source: Path, target: Path) -> None:
    """A password-protected .docx: an OLE2 file holding an EncryptedPackage stream."""
    import msoffcrypto.format.ooxml

    with source.open("rb") as plain, target.open("wb") as encrypted:
        msoffcrypto.format.ooxml.OOXMLFile(plain).encrypt("secret", encrypted)


def zip_without(source: Path, member: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as copy:
        for item in original.infolist():
            if item.filename != member:
                copy.writestr(item, original.read(item))
    return buffer.getvalue()


def main() -> None:
    WORD.mkdir(exist_ok=True)
    BAD.mkdir(exist_ok=True)
    parts = issue_parts(seed_lines())
    docx_path = WORD / "issue270.docx"
    secretary_docx(parts, docx_path)
    libreoffice(docx_path, WORD / "issue270-libreoffice.docx", "MS Word 2007 XML")
    libreoffice(docx_path, WORD / "issue270.doc", "MS Word 97")
    # Word's "Rich Text Format" under a .doc name, as old archives hold many.
    libreoffice(docx_path, WORD / "issue270-rtf.doc", "Rich Text Format")
    tables_docx(parts, WORD / "issue270-tables.docx")

    whole = docx_path.read_bytes()
    (BAD / "truncated.docx").write_bytes(whole[: len(whole) // 2])
    (BAD / "no-document.docx").write_bytes(zip_without(docx_path, "word/document.xml"))
    encrypted_docx(docx_path, BAD / "encrypted.docx")
    table = BAD / "table.csv"
    table.write_text("日期,活动\n5月1日,文成县科协开展活动\n", encoding="utf-8")
    libreoffice(table, BAD / "spreadsheet.xlsx", "Calc MS Excel 2007 XML")
    libreoffice(table, BAD / "spreadsheet.xls", "MS Excel 97")
    table.unlink()
    with zipfile.ZipFile(BAD / "plain.zip", "w", zipfile.ZIP_DEFLATED) as plain:
        plain.writestr("温州科协信息-2022年第5期.txt", "\n".join(seed_lines()))


if __name__ == "__main__":
    main()
