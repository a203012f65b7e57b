"""PDFs of the real issue the PDF reader was not tuned to: the committed web pages and Word files opened by
LibreOffice and exported, more office layouts (the whole issue in two or three columns, a narrow gutter
with a rule, a photo with a caption box and a pull quote, an A5 page whose masthead is a table of narrow
cells), the web page printed by Chromium on A5, and fixture PDFs saved again by pdftocairo and
Ghostscript.

    .venv/bin/python tests/data/make_untuned_pdfs.py [name ...]

The words are the seed issue's (a caption and a pull quote repeat words of the article they stand in).
Needs python-docx, Pillow and Debian's libreoffice-writer, chromium, poppler-utils, ghostscript and
fonts-noto-cjk.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from tests.data.make_office_fixtures import (  # noqa: E402
    CJK_SANS,
    CJK_SERIF,
    LATIN_SANS,
    LATIN_SERIF,
    Issue,
    Style,
    W,
    add_body,
    add_text,
    convert_to_pdf,
    new_document,
    qn,
    running_text,
    seed_issue,
    set_columns,
    set_fonts,
)

UNTUNED = HERE / "untuned"
# Opened as a web page, LibreOffice takes the HTML export filter unless told to use Writer's.
HTML_TO_PDF = "pdf:writer_pdf_Export"
# Chromium, pdftocairo and Ghostscript each get this many seconds.
TOOL_TIMEOUT = 120


def from_file(source: Path, target: str = "pdf") -> Callable[[Path], Path]:
    def export(out_dir: Path) -> Path:
        return convert_to_pdf(source, out_dir, target)

    return export


def from_document(layout: Callable[[Issue], object], stem: str) -> Callable[[Path], Path]:
    def export(out_dir: Path) -> Path:
        source = out_dir / f"{stem}.docx"
        layout(seed_issue()).save(source)
        return convert_to_pdf(source, out_dir)

    return export


def masthead_and_contents(document, issue: Issue, style: Style, size: float, toc_size: float, bullet: str):
    """The masthead's lines centred, the name larger, then the contents heading and its bulleted entries."""
    for index, line in enumerate(issue.masthead):
        add_text(
            document, line, style, style.masthead_size if index == 0 else size, bold=index == 0, center=True
        )
    add_text(document, issue.toc_heading, style, toc_size, bold=True, center=True)
    for entry in issue.contents:
        add_text(document, bullet + entry, style, indent=False)


def printed_by_chromium(page: Path, page_css: str) -> Callable[[Path], Path]:
    """The web page printed by headless Chromium, with page_css (say a paper size) added to its head."""

    def export(out_dir: Path) -> Path:
        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        if chromium is None:
            raise SystemExit("chromium not found: install Debian's chromium to print the web page")
        source = out_dir / page.name
        source.write_bytes(
            page.read_bytes().replace(b"<head>", f"<head><style>{page_css}</style>".encode(), 1)
        )
        pdf = out_dir / f"{page.stem}.pdf"
        subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                f"--user-data-dir={out_dir / 'chromium-profile'}",
                "--no-pdf-header-footer",
                f"--print-to-pdf={pdf}",
                source.as_uri(),
            ],
            check=True,
            timeout=TOOL_TIMEOUT,
            capture_output=True,
        )
        return pdf

    return export


def resaved(pdf: Path, tool: str) -> Callable[[Path], Path]:
    """A fixture PDF saved again as a print dialog or a PDF tool does: pdftocairo (poppler-utils; GTK's
    print to file is cairo too) or Ghostscript's pdfwrite."""
    commands = {
        "pdftocairo": lambda target: ["pdftocairo", "-pdf", str(pdf), str(target)],
        "ghostscript": lambda target: [
            "gs",
            "-q",
            "-dNOPAUSE",
            "-dBATCH",
            "-sDEVICE=pdfwrite",
            f"-sOutputFile={target}",
            str(pdf),
        ],
    }

    def export(out_dir: Path) -> Path:
        target = out_dir / f"{pdf.stem}-{tool}.pdf"
        command = commands[tool](target)
        if shutil.which(command[0]) is None:
            raise SystemExit(f"{command[0]} not found: install Debian's poppler-utils or ghostscript")
        subprocess.run(command, check=True, timeout=TOOL_TIMEOUT, capture_output=True)
        return target

    return export


def whole_issue_in_two_columns(issue: Issue) -> object:
    """Masthead, contents, features and briefs all in two justified columns, serif 10.5 pt."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    style = Style(CJK_SERIF, LATIN_SERIF, 10.5, 13, 24)
    document = new_document(style, margins_cm=2.0)
    set_columns(document.sections[0], 2)
    masthead_and_contents(document, issue, style, 11, 13, "■")
    add_body(document, issue, style)
    add_text(document, issue.briefs_heading, style, style.title_size, bold=True, center=True)
    for text in issue.briefs:
        add_text(document, text, style, 10, indent=False)
    for paragraph in document.paragraphs:
        if paragraph.alignment is None:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    return document


def two_columns_narrow_gutter(issue: Issue) -> object:
    """The two-column issue with a gutter of 0.3 cm and a rule in it, a running header and a 第N页 footer."""
    document = whole_issue_in_two_columns(issue)
    columns = document.sections[0]._sectPr.find(qn("w:cols"))
    columns.set(qn("w:space"), "170")
    columns.set(qn("w:sep"), "1")
    running_text(document, "温州科协信息 2022年第5期", ["第", "PAGE", "页"], "center")
    return document


def three_columns(issue: Issue) -> object:
    """The two-column issue set in three columns."""
    document = whole_issue_in_two_columns(issue)
    set_columns(document.sections[0], 3)
    return document


def grey_photo() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("L", (320, 200), 200)
    ImageDraw.Draw(image).rectangle((40, 40, 280, 160), fill=120)
    data = io.BytesIO()
    image.save(data, "PNG")
    return data.getvalue()


def floating_box(paragraph, lines: list[str], left_pt: float, width_pt: float, height_pt: float, size: float):
    """A VML text box floating at left_pt from the margin, text wrapping around it (square)."""
    from docx.oxml import parse_xml

    inner = "".join(
        f'<w:p><w:r><w:rPr><w:rFonts w:ascii="{LATIN_SANS}" w:hAnsi="{LATIN_SANS}" w:eastAsia="{CJK_SANS}"/>'
        f'<w:sz w:val="{int(size * 2)}"/></w:rPr><w:t xml:space="preserve">{text}</w:t></w:r></w:p>'
        for text in lines
    )
    paragraph._p.append(
        parse_xml(
            f'<w:r xmlns:w="{W}" xmlns:v="urn:schemas-microsoft-com:vml" '
            'xmlns:w10="urn:schemas-microsoft-com:office:word"><w:pict>'
            f'<v:shape type="#_x0000_t202" style="position:absolute;margin-left:{left_pt}pt;margin-top:0;'
            f'width:{width_pt}pt;height:{height_pt}pt;z-index:1" strokecolor="#808080"><v:textbox>'
            f'<w:txbxContent>{inner}</w:txbxContent></v:textbox><w10:wrap type="square"/></v:shape>'
            "</w:pict></w:r>"
        )
    )


def photo_caption_and_pull_quote(issue: Issue) -> object:
    """One column; in the first feature a photo with its caption in a text box beside it, and in the
    second a pull quote in a box the text wraps around, both repeating words of their article."""
    from docx.shared import Cm

    style = Style(CJK_SANS, LATIN_SANS, 11, 16, 30)
    document = new_document(style)
    masthead_and_contents(document, issue, style, 12, 15, "● ")
    features = issue.features
    add_body(document, Issue(issue.masthead, issue.toc_heading, issue.contents, features[:1]), style)
    photo = document.paragraphs[-2]
    photo.add_run().add_picture(io.BytesIO(grey_photo()), width=Cm(6))
    floating_box(photo, ["“科创中国”温州站推介大会"], 200, 140, 40, 9)
    add_body(document, Issue(issue.masthead, issue.toc_heading, issue.contents, features[1:2]), style)
    floating_box(document.paragraphs[-3], ["“青科会是我市科技创新的一张金名片”"], 300, 150, 70, 14)
    add_body(document, Issue(issue.masthead, issue.toc_heading, issue.contents, features[2:]), style)
    add_text(document, issue.briefs_heading, style, style.title_size, bold=True, center=True)
    for text in issue.briefs:
        add_text(document, text, style, indent=False)
    return document


def a5_with_masthead_cells(issue: Issue) -> object:
    """A5 pages; the masthead a one-row table of four narrow cells whose words wrap."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    style = Style(CJK_SERIF, LATIN_SERIF, 9, 12, 20)
    document = new_document(style, margins_cm=1.5)
    section = document.sections[0]
    section.page_width, section.page_height = Cm(14.8), Cm(21)
    name, number, total, _, date = issue.masthead
    table = document.add_table(rows=1, cols=4)
    table.style = document.styles["Table Grid"]
    table.autofit = False
    for cell, text, width, size in zip(
        table.rows[0].cells, (name, number, total, date), (4.6, 1.5, 2.2, 2.4), (18, 10, 10, 10), strict=True
    ):
        cell.width = Cm(width)
        paragraph = cell.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        set_fonts(paragraph.add_run(text), CJK_SERIF, LATIN_SERIF, size, bold=text == name)
    add_text(document, issue.toc_heading, style, 12, bold=True, center=True)
    for number_, entry in enumerate(issue.contents, 1):
        add_text(document, f"{number_}. {entry}", style, indent=False)
    add_body(document, issue, style)
    add_text(document, issue.briefs_heading, style, style.title_size, bold=True, center=True)
    for text in issue.briefs:
        add_text(document, text, style, indent=False)
    return document


RENDERINGS: dict[str, Callable[[Path], Path]] = {
    "links-2010-libreoffice": from_file(HERE / "legacy" / "issue270-links-2010-gbk.html", HTML_TO_PDF),
    "table-gb2312-libreoffice": from_file(HERE / "legacy" / "issue270-table-gb2312.html", HTML_TO_PDF),
    "web-page-libreoffice": from_file(HERE / "issue270.html", HTML_TO_PDF),
    "docx-libreoffice": from_file(HERE / "word" / "issue270.docx"),
    "rtf-libreoffice": from_file(HERE / "word" / "issue270-rtf.doc"),
    "tables-libreoffice": from_file(HERE / "word" / "issue270-tables.docx"),
    "two-columns": from_document(whole_issue_in_two_columns, "two-columns"),
    "photo-and-quote": from_document(photo_caption_and_pull_quote, "photo-and-quote"),
    "a5-masthead-cells": from_document(a5_with_masthead_cells, "a5-masthead-cells"),
    "two-columns-narrow-gutter": from_document(two_columns_narrow_gutter, "two-columns-narrow-gutter"),
    "three-columns": from_document(three_columns, "three-columns"),
    "web-page-a5-chromium": printed_by_chromium(HERE / "issue270.html", "@page { size: A5; margin: 1cm }"),
    "layout-c-pdftocairo": resaved(HERE / "office" / "issue270-layout-c.pdf", "pdftocairo"),
    "links-2010-pdftocairo": resaved(UNTUNED / "issue270-links-2010-libreoffice.pdf", "pdftocairo"),
    "layout-a-ghostscript": resaved(HERE / "office" / "issue270-layout-a.pdf", "ghostscript"),
}


def make(name: str, out_dir: Path = UNTUNED) -> Path:
    """The rendering's PDF in out_dir as issue270-<name>.pdf, its creation time fixed."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="untuned-") as work:
        pdf = RENDERINGS[name](Path(work))
        data = re.sub(rb"(/(?:Creation|Mod)Date\(D:)\d{14}", rb"\g<1>20220531000000", pdf.read_bytes())
    target = out_dir / f"issue270-{name}.pdf"
    target.write_bytes(data)
    return target


def main(names: list[str]) -> None:
    for name in names or RENDERINGS:
        pdf = make(name)
        print(f"{pdf.name} {pdf.stat().st_size} bytes")


if __name__ == "__main__":
    main(sys.argv[1:])
