"""File → text for every format the archive holds, and every bad file it must survive."""

from __future__ import annotations

import re

import pytest

from indexer import extract
from indexer.errors import UnreadableFile
from indexer.extract import detect_format, extract_document
from indexer.models import PAGE_BREAK
from tests.conftest import DATA, SEED

FORMATS = {
    "issue270-reportlab.pdf": ("pdf", 9),
    "issue270-chromium.pdf": ("pdf", 9),
    "issue270.html": ("html", 1),
    "issue270-gb18030.txt": ("text", 1),
    "issue270-bom.txt": ("text", 1),
}


def cjk(text: str) -> str:
    return "".join(re.findall(r"[\u3400-\u9fff]", text))


@pytest.fixture(scope="module")
def seed_cjk():
    return cjk(SEED.read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", FORMATS)
def test_every_format_gives_the_whole_issue(name, seed_cjk, tmp_path):
    document = extract_document(DATA / name, tmp_path)
    kind, pages = FORMATS[name]
    assert (document.format, document.page_count) == (kind, pages)
    assert document.text.count(PAGE_BREAK) == pages - 1
    # Every Chinese character of the issue, in order, and nothing else: no site chrome, no radicals.
    assert cjk(document.text) == seed_cjk
    assert not re.search(r"[\u2e80-\u2fdf]", document.text)
    assert "— 3 —" not in document.text and "版权所有" not in document.text


def test_text_files_decode_exactly():
    seed = SEED.read_text(encoding="utf-8")
    for name in ("issue270-gb18030.txt", "issue270-bom.txt"):
        assert extract_document(DATA / name).text == extract_document(SEED).text
    assert extract_document(SEED).text.startswith("温州科协信息\n\n第 5 期\n\n(总第 270 期)\n\n")
    assert len(seed) > 7000


def test_chromium_pdf_carries_radicals_that_normalization_removes():
    raw, _ = extract.pdf_text((DATA / "issue270-chromium.pdf").read_bytes(), "chromium.pdf")
    assert re.search(r"[\u2f00-\u2fdf]", raw)  # Skia writes e.g. ⼯ for 工
    assert "工作" in extract_document(DATA / "issue270-chromium.pdf").text


def test_wrapped_pdf_lines_join_into_paragraphs():
    text = extract_document(DATA / "issue270-reportlab.pdf").text
    paragraph = next(p for p in text.split("\n\n") if p.startswith("为扎实推进温州市"))
    assert paragraph.endswith("“科创中国”运营团队等100多人参加了会议。")


def test_html_keeps_content_drops_chrome():
    text = extract_document(DATA / "issue270.html").text
    assert text.startswith("温州科协信息\n\n第 5 期\n\n")
    for chrome in ("首页", "当前位置", "分享到", "dataLayer", "track()", "浙ICP备"):
        assert chrome not in text


def test_detect_format_from_bytes_not_names():
    assert detect_format(b"%PDF-1.7\n...") == "pdf"
    assert detect_format(b"<!DOCTYPE html><html><body><p>x</p>") == "html"
    assert detect_format("<p>温州</p><p>科协</p>".encode()) == "html"
    assert detect_format("温州科协信息 <b>".encode()) == "text"


@pytest.mark.parametrize(
    "name, reason",
    [
        ("truncated.pdf", "damaged PDF"),
        ("encrypted.pdf", "encrypted PDF (needs a password)"),
        ("scanned.pdf", "no text layer (a scanned PDF?)"),
        ("empty.txt", "empty file"),
        ("junk.bin", "binary file, not text"),
    ],
)
def test_bad_files_raise_one_clear_reason(name, reason):
    path = DATA / "bad" / name
    with pytest.raises(UnreadableFile) as caught:
        extract_document(path)
    assert caught.value.reason.startswith(reason)
    assert str(caught.value).startswith(f"{path}: {reason}")


def test_unreadable_paths(tmp_path):
    with pytest.raises(UnreadableFile, match="cannot read: No such file or directory"):
        extract_document(tmp_path / "missing.pdf")
    with pytest.raises(UnreadableFile, match="is a folder"):
        extract_document(tmp_path)


def test_pdf_text_is_cached_by_content_hash(tmp_path, monkeypatch):
    source = DATA / "issue270-reportlab.pdf"
    first = extract_document(source, tmp_path)
    renamed = tmp_path / "renamed.pdf"
    renamed.write_bytes(source.read_bytes())

    def refuse(*args):
        raise AssertionError("pdfminer ran again")

    monkeypatch.setattr(extract, "pdf_text", refuse)
    assert extract_document(renamed, tmp_path) == first.__class__(first.text, str(renamed), "pdf", 9)
    assert len(list((tmp_path / "text").glob("*.json"))) == 1
