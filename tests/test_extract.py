"""File → text for every format the archive holds, and every bad file it must survive."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import types
from pathlib import Path

import pytest

from indexer import formats
from indexer.build import MANIFEST_NAME, build_index
from indexer.errors import UnreadableFile
from indexer.formats import detect_format, extract_document, pdf
from indexer.formats.html import html_text
from indexer.formats.text import decode_text
from indexer.models import PAGE_BREAK, Document, Extracted
from indexer.normalize import normalize_text, squeeze
from indexer.search import parse_request, search
from tests.conftest import DATA, SEED

# name: (format, pages, whether the 本期要目 entries keep their "- " marker)
FORMATS = {
    "issue270-reportlab.pdf": ("pdf", 9, True),
    "issue270-chromium.pdf": ("pdf", 9, False),  # printed from the web page: list bullets are drawings
    "issue270.html": ("html", 1, False),
    "issue270-gb18030.txt": ("text", 1, True),
    "issue270-bom.txt": ("text", 1, True),
}
# The page each feature's heading is on, in the order of 本期要目.
FEATURE_PAGES = {
    "issue270-reportlab.pdf": [1, 2, 3, 4, 5, 5, 6, 7],
    "issue270-chromium.pdf": [1, 2, 3, 4, 4, 5, 6, 7],
}
SEED_TEXT = SEED.read_text(encoding="utf-8")
SEED_LINES = [line.strip() for line in SEED_TEXT.splitlines() if line.strip()]


def cjk(text: str) -> str:
    return "".join(re.findall(r"[\u3400-\u9fff]", text))


TITLES = [squeeze(line[2:]) for line in SEED_LINES if line.startswith("- ")]
BRIEFS_AT = SEED_LINES.index("简讯")
BRIEFS: list[str] = []
for line in SEED_LINES[BRIEFS_AT + 1 :]:
    if re.match(r"\d{1,2}月\d{1,2}日", line):
        BRIEFS.append(squeeze(line))
    else:  # two briefs are cut by a page break in the seed
        BRIEFS[-1] += squeeze(line)


def test_seed_facts():
    assert len(TITLES) == 8 and len(BRIEFS) == 29
    assert len(cjk(SEED_TEXT)) == 6767


@pytest.fixture(scope="module")
def documents(tmp_path_factory) -> dict[str, Document]:
    cache = tmp_path_factory.mktemp("cache")
    return {name: extract_document(DATA / name, cache) for name in FORMATS}


@pytest.mark.parametrize("name", FORMATS)
def test_format_and_pages(documents, name):
    document = documents[name]
    kind, pages, _ = FORMATS[name]
    assert (document.format, document.page_count, document.source) == (kind, pages, str(DATA / name))
    assert document.text.count(PAGE_BREAK) == pages - 1


@pytest.mark.parametrize("name", FORMATS)
def test_every_format_gives_the_whole_issue_and_nothing_else(documents, name):
    text = documents[name].text
    expected = SEED_TEXT if FORMATS[name][2] else re.sub(r"(?m)^- ", "", SEED_TEXT)
    # Every printed character in order: nothing lost, no site chrome, no page furniture.
    assert squeeze(text.replace(PAGE_BREAK, "")) == squeeze(expected)
    assert cjk(text) == cjk(SEED_TEXT)
    assert not re.search(
        r"[\u2e80-\u2fdf\uf900-\ufaff\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\u200b\u00ad]", text
    )


@pytest.mark.parametrize("name", FORMATS)
def test_titles_and_briefs_are_whole_paragraphs(documents, name):
    paragraphs = [squeeze(p).removeprefix("-") for p in documents[name].text.split("\n\n")]
    for title in TITLES:
        assert paragraphs.count(title) == 2, title  # in 本期要目 and over the article
    squeezed = squeeze(documents[name].text.replace(PAGE_BREAK, ""))
    for brief in BRIEFS:
        assert brief in squeezed, brief


@pytest.mark.parametrize("name", FORMATS)
def test_output_shape(documents, name):
    text = documents[name].text
    assert text.startswith("温州科协信息\n\n第 5 期\n\n(总第 270 期)\n\n") or text.startswith(
        "温 州 科 协 信 息\n\n第 5 期\n\n(总第 270 期)\n\n"  # Chromium keeps the masthead's letter-spacing
    )
    assert text.endswith("（苍南县科协）\n") and "\n\n\n" not in text
    for line in text.split("\n"):
        assert line == PAGE_BREAK or (line == line.strip() and "  " not in line)
    assert text.count(PAGE_BREAK) == text.count(f"\n\n{PAGE_BREAK}\n\n")


@pytest.mark.parametrize("name", FEATURE_PAGES)
def test_feature_headings_pages(documents, name):
    pages = [[squeeze(p) for p in page.split("\n\n")] for page in documents[name].text.split(PAGE_BREAK)]
    starts = [max(number for number, page in enumerate(pages, 1) if title in page) for title in TITLES]
    assert starts == FEATURE_PAGES[name]
    assert "温州科协信息" not in "".join("".join(page) for page in pages[1:])  # running headers gone


def test_pdf_paragraphs_joined_from_wrapped_lines(documents):
    for name in FEATURE_PAGES:
        paragraphs = documents[name].text.split("\n\n")
        paragraph = next(p for p in paragraphs if p.startswith("为扎实推进温州市"))
        assert paragraph.endswith("“科创中国”运营团队等100多人参加了会议。")
        assert "青科会成果谋划与落地督导工作专班 赴龙湾、乐清、浙南产业集聚区督查调研" in paragraphs


def test_chromium_pdf_carries_radicals_that_normalization_removes():
    raw, pages = pdf.pdf_text((DATA / "issue270-chromium.pdf").read_bytes(), "chromium.pdf")
    assert pages == 9
    radicals = re.findall(r"[\u2e80-\u2fdf]", raw)
    assert len(radicals) == 727
    # Skia writes e.g. ⼯ for 工 (Kangxi) and ⻘ for 青, ⻰ for 龙 (Supplement, which NFKC leaves alone).
    assert {"\u2f2f", "\u2ed8", "\u2ef0", "\u2ed3", "\u2ec5", "\u2ed4"} <= set(radicals)


def test_text_files_decode_to_exactly_the_seed():
    for name in ("issue270-gb18030.txt", "issue270-bom.txt"):
        assert decode_text((DATA / name).read_bytes(), name) == SEED_TEXT
        assert extract_document(DATA / name).text == extract_document(SEED).text


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-16-le"])
def test_utf16_with_a_bom(tmp_path, encoding):
    bom = {"utf-16-be": b"\xfe\xff", "utf-16-le": b"\xff\xfe"}.get(encoding, b"")
    path = tmp_path / "issue.txt"
    path.write_bytes(bom + SEED_TEXT.encode(encoding))
    assert extract_document(path).text == extract_document(SEED).text


def test_utf8_cut_inside_the_last_character_is_still_utf8(tmp_path):
    path = tmp_path / "cut.txt"
    path.write_bytes(SEED_TEXT.encode("utf-8").rstrip()[:-1])
    assert extract_document(path).text == extract_document(SEED).text[:-2] + "\n"


def test_html_declared_charset(tmp_path):
    page = '<html><head><meta http-equiv="Content-Type" content="text/html; charset=big5"></head>'
    path = tmp_path / "big5.html"
    path.write_bytes((page + "<body><p>溫州科協資訊</p><p>第 5 期</p></body></html>").encode("big5"))
    assert extract_document(path).text == "溫州科協資訊\n\n第 5 期\n"
    path.write_bytes(
        '<meta charset="gb2312"><p>温州科协信息</p><p>第 5 期</p>'.encode("gb18030")
    )  # fmt: skip
    assert extract_document(path).text == "温州科协信息\n\n第 5 期\n"


def test_html_keeps_content_drops_chrome():
    text = extract_document(DATA / "issue270.html").text
    assert text.startswith("温州科协信息\n\n第 5 期\n\n")
    for chrome in ("首页", "当前位置", "分享到", "dataLayer", "track()", "浙ICP备", "站内搜索", "相关链接", "JavaScript", "站点统计"):  # fmt: skip
        assert chrome not in text


def test_html_blocks_breaks_and_article_header():
    markup = """<!doctype html><title>站名</title><body><header>网站名称</header>
    <main><article><header><h1>科技惠企
    创新赋能</h1><p>2022 年 5 月 31 日</p></header>
    <div>第一段<br>第二段<br/>第三段 with <b>bold</b>
    text</div><ul><li>甲</li><li>乙</li></ul><!-- 注释 --><footer>责任编辑</footer></article></main></body>"""
    # A source line break between Chinese characters is no space on the page; <br> ends a paragraph.
    assert normalize_text(html_text(markup)) == (
        "科技惠企创新赋能\n\n2022 年 5 月 31 日\n\n第一段\n\n第二段\n\n第三段 with bold text\n\n甲\n\n乙\n"
    )


@pytest.mark.parametrize(
    "data, kind",
    [
        (b"%PDF-1.7\n...", "pdf"),
        (b"\r\n%PDF-1.4\n", "pdf"),
        (b"<!DOCTYPE html><html><body><p>x</p>", "html"),
        (b"\xef\xbb\xbf<!doctype html>", "html"),
        ("<!doctype html>".encode("utf-16"), "html"),
        (b"<!-- saved --><html>", "html"),
        ("<body>温州科协信息".encode(), "html"),
        ("<p>温州</p><p>科协</p>".encode(), "html"),
        ("温州科协信息 <b>".encode(), "text"),
        ("温州科协信息\n\n第 5 期".encode("gb18030"), "text"),
    ],
)
def test_detect_format_from_bytes_not_names(data, kind):
    assert detect_format(data).name == kind


@pytest.mark.parametrize(
    "name, reason",
    [
        ("truncated.pdf", "damaged PDF ("),
        ("encrypted.pdf", "encrypted PDF (needs a password)"),
        ("scanned.pdf", "no text layer (scanned?)"),
        ("empty.txt", "empty file"),
        ("junk.bin", "binary file, not text"),
    ],
)
def test_bad_files_raise_one_clear_reason(name, reason):
    path = DATA / "bad" / name
    with pytest.raises(UnreadableFile) as caught:
        extract_document(path)
    assert caught.value.reason.startswith(reason)
    assert caught.value.source == str(path)
    assert str(caught.value).startswith(f"{path}: {reason}")


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"   \n\t\n", "empty file"),
        (b"\xef\xbb\xbf", "empty file"),
        ("<html><body><nav>首页</nav><script>x()</script></body></html>".encode(), "web page without text"),
        (bytes(range(1, 32)) * 20, "binary file, not UTF-8 or GB18030 text"),
        (b"%PDF-1.4\n%%EOF\n", "damaged PDF ("),
    ],
)
def test_more_bad_bytes(tmp_path, data, reason):
    path = tmp_path / "file"
    path.write_bytes(data)
    with pytest.raises(UnreadableFile, match=re.escape(f"{path}: {reason}")):
        extract_document(path)


def test_not_a_bulletin_is_still_readable_text():
    document = extract_document(DATA / "bad" / "not-a-bulletin.txt")
    assert (document.format, document.page_count) == ("text", 1)
    assert document.text.startswith("关于开展2022年度科普讲解大赛的通知\n\n各县（市、区）科协：\n\n")


def test_unreadable_paths(tmp_path):
    with pytest.raises(UnreadableFile, match="missing.pdf: cannot read: No such file or directory"):
        extract_document(tmp_path / "missing.pdf")
    with pytest.raises(UnreadableFile, match="is a folder"):
        extract_document(tmp_path)


def test_permission_denied(tmp_path, monkeypatch):
    path = tmp_path / "locked.txt"
    path.write_text("温州科协信息", encoding="utf-8")

    # Tests may run as root, who can read a file whatever its mode.
    def denied(self: Path) -> bytes:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))

    monkeypatch.setattr(Path, "read_bytes", denied)
    with pytest.raises(UnreadableFile, match="locked.txt: cannot read: Permission denied"):
        extract_document(path)


def test_pdf_text_is_cached_by_content_hash(tmp_path, monkeypatch):
    import pdfminer.high_level

    source = DATA / "issue270-reportlab.pdf"
    first = extract_document(source, tmp_path)
    renamed = tmp_path / "renamed.pdf"
    renamed.write_bytes(source.read_bytes())

    def refuse(*args, **kwargs):
        raise AssertionError("pdfminer ran again")

    monkeypatch.setattr(pdfminer.high_level, "extract_pages", refuse)
    again = extract_document(renamed, tmp_path)
    assert again == Document(first.text, str(renamed), "pdf", 9)
    assert [p.name for p in (tmp_path / "text").iterdir()] == [
        f"{hashlib.sha256(source.read_bytes()).hexdigest()}.v{pdf.TEXT_CACHE_VERSION}.json"
    ]


def test_damaged_cache_entry_is_replaced(tmp_path):
    source = DATA / "issue270-reportlab.pdf"
    first = extract_document(source, tmp_path)
    (entry,) = (tmp_path / "text").iterdir()
    entry.write_text('{"text": 3', encoding="utf-8")
    assert extract_document(source, tmp_path) == first
    assert extract_document(source, tmp_path) == first
    assert list((tmp_path / "text").iterdir()) == [entry]


def test_unwritable_cache_still_gives_the_text(tmp_path, caplog):
    blocked = tmp_path / "cache"
    blocked.write_text("a file where the cache folder should be", encoding="utf-8")
    document = extract_document(DATA / "issue270-reportlab.pdf", blocked)
    assert document.page_count == 9 and "cannot cache the text" in caplog.text


def test_bad_pdfs_are_not_cached(tmp_path):
    with pytest.raises(UnreadableFile):
        extract_document(DATA / "bad" / "truncated.pdf", tmp_path)
    assert not (tmp_path / "text").exists() or not list((tmp_path / "text").iterdir())


def test_pdfminer_glyph_warnings_silenced():
    import logging

    extract_document(Path(DATA / "issue270-reportlab.pdf"))
    assert logging.getLogger("pdfminer").level == logging.ERROR


def test_a_new_format_is_one_module_and_one_line_in_formats(tmp_path, settings, monkeypatch):
    # A throwaway RTF-like format, known by its magic prefix: registered through FORMATS alone, it is
    # sniffed, read and indexed, and its own attributes decide which copy wins and whether pages count.
    rtf = types.ModuleType("rtf")
    rtf.name, rtf.has_pages, rtf.preference = "rtf", True, -1
    rtf.sniff = lambda head: head.startswith(b"{\\rtf1")
    rtf.read = lambda data, source, cache_dir: Extracted(data.removeprefix(b"{\\rtf1").decode("utf-8"), 1)
    monkeypatch.setattr(formats, "FORMATS", [rtf, *formats.FORMATS])
    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / "issue-270.txt").write_text(SEED_TEXT, encoding="utf-8")
    (archive / "z-issue-270.rtf").write_bytes(b"{\\rtf1" + SEED_TEXT.encode("utf-8"))
    site = settings.with_overrides(
        archive_dir=archive, index_dir=tmp_path / "index", cache_dir=tmp_path / "cache"
    )

    report = build_index(site, workers=1)

    assert (report.added, report.failed) == (["270"], [])
    files = json.loads((site.index_dir / MANIFEST_NAME).read_text(encoding="utf-8"))["files"]
    assert {name: (state["format"], state["articles"]) for name, state in files.items()} == {
        "z-issue-270.rtf": ("rtf", 37),
        "issue-270.txt": ("text", 37),
    }
    result = search(site, parse_request({"q": ["魔方"]}, site))
    assert [(hit.id, hit.source) for hit in result.hits] == [
        ("270-b25", {"file": "z-issue-270.rtf", "page": 1})
    ]
