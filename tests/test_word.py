"""Word files: .docx read from its XML, .doc through LibreOffice, and LibreOffice's own .odt, all told apart
by their bytes."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import time
import zipfile
from pathlib import Path

import pytest

from indexer.build import build_index
from indexer.engine import SearchEngine
from indexer.errors import UnreadableFile
from indexer.formats import detect_format, doc, docx, extract_document, odt
from indexer.formats.docx import docx_text
from indexer.formats.odt import odt_text
from indexer.normalize import squeeze
from indexer.parse import parse_issue
from tests.conftest import DATA, SEED
from tests.expected import BRIEFS, FEATURES
from webui.cli import main

WORD = DATA / "word"
BAD = WORD / "bad"
ODT = DATA / "odt"
SOFFICE = shutil.which("soffice")
needs_soffice = pytest.mark.skipif(
    SOFFICE is None, reason="LibreOffice is not installed (apt-get install libreoffice-writer)"
)
FIXTURES = [
    pytest.param(WORD / "issue270.docx", id="python-docx"),
    pytest.param(WORD / "issue270-libreoffice.docx", id="libreoffice-docx"),
    pytest.param(WORD / "issue270-tables.docx", id="tables-docx"),
    pytest.param(WORD / "issue270.doc", id="doc", marks=needs_soffice),
    pytest.param(WORD / "issue270-rtf.doc", id="rtf-named-doc", marks=needs_soffice),
    # issue270.docx and issue270-tables.docx saved by LibreOffice as OpenDocument text.
    pytest.param(ODT / "issue270.odt", id="odt"),
    pytest.param(ODT / "issue270-tables.odt", id="tables-odt"),
]
NAMESPACES = (
    'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    'xmlns:v="urn:schemas-microsoft-com:vml" '
    'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"'
)
MISSING_SOFFICE = (
    "a Word 97-2003 or RTF file needs LibreOffice to be read: apt-get install libreoffice-writer"
)


@pytest.fixture(scope="module")
def word_cache(tmp_path_factory):
    """One text cache for the module, so that LibreOffice converts the .doc fixture once."""
    return tmp_path_factory.mktemp("word-cache")


@pytest.fixture(scope="module", params=FIXTURES)
def parsed(request, domain, word_cache):
    document = extract_document(request.param, word_cache)
    return document, parse_issue(document.text, str(request.param), domain)


@pytest.fixture(scope="module")
def reference(domain):
    return parse_issue(SEED.read_text(encoding="utf-8"), "seed", domain)


def test_eight_features_titled_as_their_contents(parsed):
    document, issue = parsed
    assert (issue.id, issue.number, issue.date.isoformat(), issue.warnings) == ("270", 5, "2022-05-31", ())
    assert list(issue.contents) == [title for title, *_ in FEATURES]
    assert [(a.title, a.date.isoformat(), a.department, a.counties) for a in issue.features] == FEATURES


def test_twenty_nine_briefs(parsed):
    _, issue = parsed
    assert [(b.date.isoformat(), b.title, b.department, b.counties) for b in issue.briefs] == BRIEFS


def test_every_paragraph_as_in_the_plain_text_copy(parsed, reference):
    _, issue = parsed
    for article, expected in zip(issue.articles, reference.articles, strict=True):
        assert (article.id, [squeeze(p) for p in article.paragraphs]) == (
            expected.id,
            [squeeze(p) for p in expected.paragraphs],
        )


def test_what_word_keeps_beside_the_text_is_left_out(parsed):
    # The masthead's text box is in the file twice (DrawingML and VML), the page number is a field in
    # the footer, the running header names the publication, a brief holds a tracked deletion and a
    # hyperlink field's code.
    document, _ = parsed
    assert document.text.count("温州科协信息") == 1
    assert document.text.startswith("温州科协信息\n\n第 5 期\n\n(总第 270 期)\n\n温州市科学技术协会编\n\n")
    assert "将于近日举行" not in document.text and "HYPERLINK" not in document.text
    assert "第 1 页" not in document.text and "\f" not in document.text
    assert document.page_count == 1


def docx_with(body: str) -> bytes:
    """A .docx whose body holds the given WordprocessingML."""
    from docx import Document
    from docx.oxml import parse_xml

    document = Document()
    section = document.element.body[-1]
    for element in parse_xml(f"<w:body {NAMESPACES}>{body}</w:body>"):
        section.addprevious(element)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def box(text: str) -> str:
    return f"<w:txbxContent><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:txbxContent>"


def anchor(content: str, relative_from: str = "paragraph", offset: int = 0) -> str:
    return (
        f'<wp:anchor><wp:positionV relativeFrom="{relative_from}"><wp:posOffset>{offset}</wp:posOffset>'
        f"</wp:positionV>{content}</wp:anchor>"
    )


def test_a_text_box_is_read_once_before_the_paragraph_it_is_anchored_in():
    anchored = (
        "<w:p><w:r><w:t>本期要目</w:t></w:r><w:r><mc:AlternateContent>"
        f'<mc:Choice Requires="wps"><w:drawing>{anchor(box("温州科协信息"))}</w:drawing></mc:Choice>'
        f"<mc:Fallback><w:pict><v:shape><v:textbox>{box('温州科协信息')}</v:textbox></v:shape></w:pict></mc:Fallback>"
        "</mc:AlternateContent></w:r></w:p>"
    )
    assert docx_text(docx_with(anchored), "x.docx") == "温州科协信息\n本期要目"


def test_a_text_box_hanging_below_its_paragraph_is_read_after_it():
    # Drawn under the masthead's date line, 20 pt below that paragraph's top (254000 EMU); the same in
    # VML; a box placed on the page, whose paragraph's place is not known without laying the page out.
    body = (
        "<w:p><w:r><w:t>2022 年 5 月 31 日</w:t></w:r>"
        f"<w:r><w:drawing>{anchor(box('本期要目'), offset=254000)}</w:drawing></w:r></w:p>"
        '<w:p><w:r><w:t>第 5 期</w:t></w:r><w:r><w:pict><v:shape style="position:absolute;margin-top:20pt">'
        f"<v:textbox>{box('要目')}</v:textbox></v:shape></w:pict></w:r></w:p>"
        f"<w:p><w:r><w:t>简讯</w:t></w:r><w:r><w:drawing>{anchor(box('页上的框'), 'page', 2423160)}</w:drawing>"
        "</w:r></w:p>"
    )
    assert docx_text(docx_with(body), "x.docx").splitlines() == [
        "2022 年 5 月 31 日",
        "本期要目",
        "第 5 期",
        "要目",
        "页上的框",
        "简讯",
    ]


def test_a_fallback_is_read_when_the_choice_holds_no_text():
    alternate = (
        '<w:p><w:r><mc:AlternateContent><mc:Choice Requires="wpc"><w:drawing/></mc:Choice>'
        f"<mc:Fallback><w:pict><v:shape><v:textbox>{box('第 5 期')}</v:textbox></v:shape></w:pict></mc:Fallback>"
        '</mc:AlternateContent></w:r></w:p><w:p><w:r><w:pict><v:shape><v:textpath string="温州科协信息"/>'
        "</v:shape></w:pict></w:r></w:p>"
    )
    assert docx_text(docx_with(alternate), "x.docx") == "第 5 期\n温州科协信息"


def test_tables_cell_by_cell_with_nested_tables_and_content_controls():
    def cell(content: str) -> str:
        return f"<w:tc>{content}</w:tc>"

    def paragraph(text: str) -> str:
        return f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>"

    nested = f"<w:tbl><w:tr>{cell(paragraph('内表甲'))}{cell(paragraph('内表乙'))}</w:tr></w:tbl>"
    body = (
        f"<w:tbl><w:tr>{cell(paragraph('第 5 期') + paragraph('(总第 270 期)'))}{cell(nested + paragraph('编'))}</w:tr>"
        f"<w:tr>{cell(paragraph('甲'))}{cell('<w:p/>')}</w:tr></w:tbl>"
        f"<w:sdt><w:sdtPr/><w:sdtContent>{paragraph('控件里的段落')}</w:sdtContent></w:sdt>"
    )
    assert docx_text(docx_with(body), "x.docx").splitlines() == [
        "第 5 期",
        "(总第 270 期)",
        "内表甲",
        "内表乙",
        "编",
        "甲",
        "控件里的段落",
    ]


def test_deleted_text_and_field_codes_are_left_out_field_results_kept_once():
    body = (
        "<w:p><w:r><w:t>5月15日，活动</w:t></w:r><w:del><w:r><w:delText>将于近日举行</w:delText></w:r></w:del>"
        "<w:ins><w:r><w:t>正式启动</w:t></w:r></w:ins>"
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> HYPERLINK "http://x" </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>（市科协学会部）</w:t></w:r>'
        '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'
        '<w:p><w:r><w:t xml:space="preserve">第 </w:t></w:r><w:fldSimple w:instr=" PAGE "><w:r><w:t>3</w:t></w:r>'
        "</w:fldSimple></w:p>"
    )
    assert docx_text(docx_with(body), "x.docx") == "5月15日，活动正式启动（市科协学会部）\n第 3"


def test_line_breaks_end_lines_page_breaks_only_end_the_line_and_indents_go():
    body = (
        "<w:p><w:r><w:t>科技惠企 创新赋能</w:t><w:br/><w:t>推介大会成功举办</w:t></w:r></w:p>"
        '<w:p><w:r><w:t>\u3000\u3000为扎实推进</w:t><w:br w:type="page"/><w:t>简讯</w:t><w:tab/><w:t>甲</w:t></w:r></w:p>'
        "<w:p/><w:p><w:r><w:t>   </w:t></w:r></w:p>"
    )
    assert docx_text(docx_with(body), "x.docx") == "科技惠企 创新赋能\n推介大会成功举办\n为扎实推进\n简讯\t甲"


def test_a_document_without_text_is_one_line():
    with pytest.raises(UnreadableFile) as caught:
        docx_text(docx_with("<w:p/>"), "blank.docx")
    assert str(caught.value) == "blank.docx: Word document without text"


def test_a_damaged_picture_costs_no_text(tmp_path, domain):
    damaged = tmp_path / "with-photo.docx"
    photo = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    relationship = (
        '<Relationship Id="rIdPhoto" Target="media/image9.png" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image"/></Relationships>'
    )
    with zipfile.ZipFile(WORD / "issue270.docx") as original, zipfile.ZipFile(damaged, "w") as copy:
        for member in original.infolist():
            content = original.read(member)
            if member.filename == "word/_rels/document.xml.rels":
                content = content.replace(b"</Relationships>", relationship.encode())
            copy.writestr(member, content)
        copy.writestr("word/media/image9.png", photo, compress_type=zipfile.ZIP_STORED)
    data = bytearray(damaged.read_bytes())
    data[data.index(photo) + 20] ^= 0xFF
    damaged.write_bytes(bytes(data))
    assert zipfile.ZipFile(damaged).testzip() == "word/media/image9.png"
    issue = parse_issue(extract_document(damaged).text, str(damaged), domain)
    assert (len(issue.features), len(issue.briefs)) == (8, 29)


def test_a_docx_named_txt_is_read_as_word(tmp_path, domain):
    renamed = tmp_path / "issue270.txt"
    renamed.write_bytes((WORD / "issue270.docx").read_bytes())
    document = extract_document(renamed)
    issue = parse_issue(document.text, str(renamed), domain)
    assert (document.format, len(issue.features), len(issue.briefs)) == ("docx", 8, 29)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("spreadsheet.xlsx", "binary file, not text"),
        ("plain.zip", "binary file, not text"),
        ("spreadsheet.xls", "an Excel workbook (.xls), not a Word document"),
        ("encrypted.docx", "encrypted Office document (needs a password)"),
        ("truncated.docx", "damaged Word file (truncated, or its ZIP is broken: File is not a zip file)"),
        ("no-document.docx", "damaged Word file (There is no item named 'word/document.xml' in the archive)"),
    ],
)
def test_other_office_files_and_damaged_word_files_are_one_line(name, reason):
    path = BAD / name
    with pytest.raises(UnreadableFile) as caught:
        extract_document(path)
    assert str(caught.value) == f"{path}: {reason}"


def test_a_truncated_doc_is_one_line(tmp_path):
    truncated = tmp_path / "truncated.doc"
    whole = (WORD / "issue270.doc").read_bytes()
    truncated.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(UnreadableFile) as caught:
        extract_document(truncated)
    assert str(caught.value) == f"{truncated}: damaged Office 97-2003 file (OLE directory index out of range)"


def test_sniffing_looks_at_the_members_not_the_zip(tmp_path):
    assert detect_format((WORD / "issue270.docx").read_bytes()) is docx
    assert detect_format((WORD / "issue270-libreoffice.docx").read_bytes()) is docx
    assert detect_format((WORD / "issue270.doc").read_bytes()) is doc
    assert detect_format((WORD / "issue270-rtf.doc").read_bytes()) is doc
    for name in ("spreadsheet.xlsx", "plain.zip"):
        assert detect_format((BAD / name).read_bytes()).name == "text"


def test_a_damaged_docx_is_one_line_from_the_command(capsys):
    path = BAD / "truncated.docx"
    assert main(["parse", str(path)]) == 1
    assert capsys.readouterr().err == (
        f"bulletin: {path}: damaged Word file (truncated, or its ZIP is broken: File is not a zip file)\n"
    )


def test_a_doc_without_libreoffice_is_one_line_naming_the_package(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(UnreadableFile) as caught:
        extract_document(WORD / "issue270.doc")
    assert caught.value.reason == MISSING_SOFFICE
    assert main(["parse", str(WORD / "issue270.doc")]) == 1
    assert capsys.readouterr().err == f"bulletin: {WORD / 'issue270.doc'}: {MISSING_SOFFICE}\n"


@needs_soffice
def test_a_converted_doc_is_cached_by_content_hash(tmp_path, word_cache, monkeypatch):
    first = extract_document(WORD / "issue270.doc", word_cache)
    renamed = tmp_path / "copy.doc"
    renamed.write_bytes((WORD / "issue270.doc").read_bytes())
    # No LibreOffice now: the text can only come from the cache.
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    again = extract_document(renamed, word_cache)
    assert (again.text, again.format) == (first.text, "doc")
    digest = hashlib.sha256(renamed.read_bytes()).hexdigest()
    assert (word_cache / "text" / f"{digest}.v{doc.TEXT_CACHE_VERSION}.json").is_file()


@needs_soffice
def test_a_doc_libreoffice_cannot_load_is_one_line(tmp_path):
    import olefile

    broken = tmp_path / "broken.doc"
    shutil.copy(WORD / "issue270.doc", broken)
    with olefile.OleFileIO(str(broken), write_mode=True) as container:
        size = container.get_size("WordDocument")
        container.write_stream("WordDocument", bytes(size))
    with pytest.raises(UnreadableFile) as caught:
        extract_document(broken)
    assert caught.value.reason == "LibreOffice could not convert it (Error: source file could not be loaded)"


def test_a_password_protected_doc_is_one_line(tmp_path):
    import olefile

    locked = tmp_path / "locked.doc"
    shutil.copy(WORD / "issue270.doc", locked)
    with olefile.OleFileIO(str(locked), write_mode=True) as container:
        fib = bytearray(container.openstream("WordDocument").read())
        fib[doc.FIB_FLAGS_OFFSET + 1] |= doc.FIB_ENCRYPTED >> 8
        container.write_stream("WordDocument", bytes(fib))
    with pytest.raises(UnreadableFile) as caught:
        extract_document(locked)
    assert caught.value.reason == "encrypted Word document (needs a password)"


def test_a_hanging_libreoffice_is_stopped(tmp_path, monkeypatch):
    # A stand-in for soffice that never finishes, and leaves a child behind as soffice.bin would.
    fake = tmp_path / "soffice"
    marker = tmp_path / "child.pid"
    fake.write_text(f"#!/bin/sh\nsleep 60 &\necho $! > {marker}\nwait\n", encoding="utf-8")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    monkeypatch.setattr(doc, "CONVERSION_TIMEOUT", 1)
    with pytest.raises(UnreadableFile) as caught:
        extract_document(WORD / "issue270.doc")
    assert caught.value.reason == "LibreOffice did not convert it within 1 s"
    child = int(marker.read_text(encoding="utf-8"))
    # SIGKILL to the group is delivered asynchronously: give the orphaned child a moment to die.
    for _ in range(100):
        if not running(child):
            break
        time.sleep(0.05)
    assert not running(child)


def running(pid: int) -> bool:
    """Whether the process is there and not a zombie waiting for init to reap it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


@needs_soffice
def test_bulletin_index_takes_word_files_and_a_copy_is_the_same_issue(tmp_path, settings, word_cache):
    archive = tmp_path / "archive"
    archive.mkdir()
    shutil.copy(SEED, archive / "issue-270.txt")
    for name in ("issue270.docx", "issue270-libreoffice.docx", "issue270.doc"):
        shutil.copy(WORD / name, archive / name)
    indexed = settings.with_overrides(archive_dir=archive, index_dir=tmp_path / "index", cache_dir=word_cache)
    report = build_index(indexed)
    assert (report.added, report.failed, report.parsed_files) == (["270"], [], 4)
    issues = SearchEngine(indexed.index_dir, ()).issues()
    assert [(i["id"], i["sources"], i["features"], i["briefs"]) for i in issues] == [
        ("270", ["issue-270.txt", "issue270-libreoffice.docx", "issue270.doc", "issue270.docx"], 8, 29)
    ]
    (archive / "issue-270.txt").unlink()
    again = build_index(indexed)
    assert (again.updated, again.failed) == (["270"], [])
    assert SearchEngine(indexed.index_dir, ()).issues()[0]["sources"][0] == "issue270-libreoffice.docx"


def test_bulletin_index_without_libreoffice_names_the_doc_and_goes_on(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # the command's default cache folder is ./var/cache
    archive = tmp_path / "archive"
    archive.mkdir()
    shutil.copy(WORD / "issue270.docx", archive / "issue270.docx")
    shutil.copy(WORD / "issue270.doc", archive / "issue270.doc")
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    config = ["--archive", str(archive), "--index", str(tmp_path / "index")]
    assert main(["index", *config]) == 1
    captured = capsys.readouterr()
    assert captured.err == f"failed: issue270.doc: {MISSING_SOFFICE}\n"
    assert captured.out.startswith("added 1, updated 0, removed 0, unchanged 0, failed 1")


@needs_soffice
def test_a_doc_is_read_on_the_run_after_libreoffice_is_installed(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "archive").mkdir()
    shutil.copy(WORD / "issue270.doc", tmp_path / "archive" / "issue270.doc")
    config = ["--archive", "archive", "--index", "index"]
    installed = os.environ["PATH"]
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    assert main(["index", *config]) == 1
    assert capsys.readouterr().err == f"failed: issue270.doc: {MISSING_SOFFICE}\n"
    monkeypatch.setenv("PATH", installed)
    assert main(["index", *config]) == 0
    assert capsys.readouterr().out.startswith("added 1, updated 0, removed 0, unchanged 0, failed 0")
    assert main(["index", *config]) == 0
    assert capsys.readouterr().out.startswith(
        "added 0, updated 0, removed 0, unchanged 1, failed 0 issue files (0 parsed)"
    )


# -- OpenDocument text ----------------------------------------------------------------------------------

ODF_NAMESPACES = " ".join(
    f'xmlns:{prefix}="urn:oasis:names:tc:opendocument:xmlns:{name}:1.0"'
    for prefix, name in (
        ("office", "office"),
        ("text", "text"),
        ("table", "table"),
        ("draw", "drawing"),
        ("svg", "svg-compatible"),
        ("style", "style"),
    )
)
MANIFEST = (
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
    '<manifest:file-entry manifest:full-path="/" manifest:media-type="{mimetype}"/>{entries}</manifest:manifest>'
)


def odf_with(
    body: str, mimetype: str = "application/vnd.oasis.opendocument.text", manifest_entries: str = ""
) -> bytes:
    """An OpenDocument package whose office:text holds body, a running header in styles.xml."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("mimetype", mimetype, compress_type=zipfile.ZIP_STORED)
        package.writestr(
            "META-INF/manifest.xml", MANIFEST.format(mimetype=mimetype, entries=manifest_entries)
        )
        package.writestr(
            "content.xml",
            f"<office:document-content {ODF_NAMESPACES}><office:body><office:text>{body}"
            "</office:text></office:body></office:document-content>",
        )
        package.writestr(
            "styles.xml",
            f"<office:document-styles {ODF_NAMESPACES}><office:master-styles><style:master-page>"
            "<style:header><text:p>温州科协信息 2022年第5期</text:p></style:header>"
            "</style:master-page></office:master-styles></office:document-styles>",
        )
    return buffer.getvalue()


def test_odt_paragraphs_lists_tables_and_boxes_once_without_notes_or_deletions():
    body = (
        '<text:tracked-changes><text:changed-region text:id="c1"><text:deletion>'
        "<text:p>将于近日举行</text:p></text:deletion></text:changed-region></text:tracked-changes>"
        '<text:p><draw:frame text:anchor-type="char"><svg:title>报头</svg:title><draw:text-box>'
        "<text:p>温州科协信息</text:p></draw:text-box></draw:frame>第 5 期</text:p>"
        '<text:h text:outline-level="1">科技惠企<text:s/>创新赋能<text:line-break/>推介大会<text:s text:c="3"/>成功举办</text:h>'
        "<text:list><text:list-item><text:p>甲</text:p><text:list><text:list-item><text:p>乙</text:p>"
        "</text:list-item></text:list></text:list-item></text:list>"
        "<table:table><table:table-row><table:table-cell><text:p>丙</text:p></table:table-cell>"
        "<table:table-cell><table:table><table:table-row><table:table-cell><text:p>丁</text:p></table:table-cell>"
        "</table:table-row></table:table><text:p>戊</text:p></table:table-cell></table:table-row></table:table>"
        '<text:p>5月15日，活动<text:change-start text:change-id="c1"/>正式启动<text:note text:note-class="footnote">'
        "<text:note-citation>1</text:note-citation><text:note-body><text:p>脚注</text:p></text:note-body></text:note>"
        "<office:annotation><text:p>批注</text:p></office:annotation>"
        '<text:a xlink:href="http://x" xmlns:xlink="http://www.w3.org/1999/xlink">（市科协学会部）</text:a></text:p>'
        "<text:p><draw:custom-shape><text:p>框</text:p></draw:custom-shape>简讯<text:tab/>甲<text:soft-page-break/>乙</text:p>"
    )
    assert odt_text(odf_with(body), "x.odt").splitlines() == [
        "温州科协信息",
        "第 5 期",
        "科技惠企 创新赋能",
        "推介大会   成功举办",
        "甲",
        "乙",
        "丙",
        "丁",
        "戊",
        "5月15日，活动正式启动（市科协学会部）",
        "框",
        "简讯\t甲乙",
    ]


def test_odt_is_told_from_other_opendocument_files_by_its_mimetype():
    assert detect_format((ODT / "issue270.odt").read_bytes()) is odt
    assert detect_format(odf_with("<text:p>甲</text:p>")) is odt
    for mimetype in ("spreadsheet", "presentation", "text-template"):
        other = odf_with("<text:p>甲</text:p>", f"application/vnd.oasis.opendocument.{mimetype}")
        assert detect_format(other).name == "text"
    assert detect_format((ODT / "bad" / "spreadsheet.ods").read_bytes()).name == "text"


def test_an_odt_zipped_again_with_its_mimetype_member_later_is_still_odt():
    rezipped = io.BytesIO()
    with zipfile.ZipFile(ODT / "issue270.odt") as original, zipfile.ZipFile(rezipped, "w") as copy:
        names = original.namelist()
        for name in ["META-INF/manifest.xml", "mimetype", *names[1:-1]]:
            stored = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            copy.writestr(name, original.read(name), compress_type=stored)
    data = rezipped.getvalue()
    assert not data[30:].startswith(b"mimetype")
    assert detect_format(data) is odt
    assert odt_text(data, "x.odt") == odt_text((ODT / "issue270.odt").read_bytes(), "x.odt")


def test_an_odt_named_docx_is_read_as_odt(tmp_path, domain):
    renamed = tmp_path / "issue270.docx"
    renamed.write_bytes((ODT / "issue270.odt").read_bytes())
    document = extract_document(renamed)
    issue = parse_issue(document.text, str(renamed), domain)
    assert (document.format, len(issue.features), len(issue.briefs)) == ("odt", 8, 29)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (
            (ODT / "bad" / "truncated.odt").read_bytes(),
            "damaged OpenDocument file (truncated, or its ZIP is broken: File is not a zip file)",
        ),
        (odf_with("<text:p/>"), "OpenDocument text without text"),
        (
            odf_with("<text:p>甲</text:p>").replace(b"content.xml", b"content.xmm"),
            "damaged OpenDocument file (There is no item named 'content.xml' in the archive)",
        ),
        (
            odf_with(
                "<text:p>甲</text:p>",
                manifest_entries='<manifest:file-entry manifest:full-path="content.xml"><manifest:encryption-data/>'
                "</manifest:file-entry>",
            ),
            "encrypted OpenDocument file (needs a password)",
        ),
    ],
    ids=["truncated", "blank", "no-content", "encrypted"],
)
def test_a_damaged_or_locked_odt_is_one_line(tmp_path, capsys, data, reason):
    path = tmp_path / "issue.odt"
    path.write_bytes(data)
    assert main(["parse", str(path)]) == 1
    assert capsys.readouterr().err == f"bulletin: {path}: {reason}\n"


def test_bulletin_index_takes_an_odt(tmp_path, settings):
    archive = tmp_path / "archive"
    archive.mkdir()
    shutil.copy(ODT / "issue270.odt", archive / "issue270.odt")
    indexed = settings.with_overrides(
        archive_dir=archive, index_dir=tmp_path / "index", cache_dir=tmp_path / "cache"
    )
    report = build_index(indexed)
    assert (report.added, report.failed, report.flagged) == (["270"], [], [])
    issues = SearchEngine(indexed.index_dir, ()).issues()
    assert [(i["id"], i["sources"], i["features"], i["briefs"]) for i in issues] == [
        ("270", ["issue270.odt"], 8, 29)
    ]
