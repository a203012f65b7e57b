"""Scanned issues: OCR of an image-only PDF and of image files, its cache, its flag in the JSON and on the
page, and the one line when Tesseract is missing."""

from __future__ import annotations

import datetime as dt
import io
import sys

import pytest

from bench.ocr_cer import character_error_rate
from indexer import ocr
from indexer.errors import UnreadableFile
from indexer.formats import detect_format, extract_document
from indexer.models import PAGE_BREAK
from indexer.normalize import squeeze
from indexer.parse import parse_briefs, parse_issue, parse_masthead, split_paragraphs
from tests.conftest import DATA, ROOT
from tests.expected import BRIEFS, FEATURES

sys.path.insert(0, str(DATA))
from make_scan_fixture import make_scan  # noqa: E402 - tests/data is not a package

PROBLEM = ocr.ocr_problem()
needs_tesseract = pytest.mark.skipif(PROBLEM is not None, reason=f"{PROBLEM}: {ocr.INSTALL}")
INSTALL_LINE = "apt-get install tesseract-ocr tesseract-ocr-chi-sim"


@pytest.fixture(scope="session")
def scan_workspace(tmp_path_factory):
    """The scan of the Chromium fixture, and a cache folder holding its OCR text: OCR runs once a session."""
    folder = tmp_path_factory.mktemp("scan")
    (folder / "archive").mkdir()
    return make_scan(folder / "archive" / "温州科协信息-2022年第5期-scan.pdf"), folder / "cache"


@pytest.fixture(scope="session")
def scanned(scan_workspace):
    scan, cache = scan_workspace
    return extract_document(scan, cache)


@pytest.fixture(scope="session")
def scanned_issue(scanned, domain):
    return parse_issue(scanned.text, scanned.source, domain)


@needs_tesseract
def test_scan_is_read_by_ocr_within_three_percent_character_error(scanned):
    reference = extract_document(DATA / "issue270-chromium.pdf").text
    assert (scanned.format, scanned.page_count, scanned.ocr) == ("pdf", 9, True)
    assert character_error_rate(reference, scanned.text) <= 0.03


@needs_tesseract
def test_scan_text_holds_every_feature_title(scanned):
    text = squeeze(scanned.text)
    assert [title for title, *_ in FEATURES if squeeze(title) not in text] == []


@needs_tesseract
def test_scan_parses_to_the_masthead_the_8_features_and_the_29_briefs(scanned_issue):
    issue = scanned_issue
    assert (issue.number, issue.total_number, issue.date) == (5, 270, dt.date(2022, 5, 31))
    assert list(issue.contents) == [title for title, *_ in FEATURES]
    assert [(f.title, f.date.isoformat(), f.department) for f in issue.features] == [
        (title, date, department) for title, date, department, _ in FEATURES
    ]
    # Brief titles hold a misread character here and there; their dates and departments do not.
    assert [(b.date.isoformat(), b.department) for b in issue.briefs] == [
        (date, department) for date, _, department, _ in BRIEFS
    ]
    assert issue.warnings == ()


@needs_tesseract
def test_second_read_comes_from_the_cache_without_tesseract(scan_workspace, scanned, monkeypatch):
    scan, cache = scan_workspace

    def refuse(*args, **kwargs):
        raise AssertionError("Tesseract ran again")

    monkeypatch.setattr(ocr, "page_text", refuse)
    assert extract_document(scan, cache) == scanned


def test_missing_tesseract_is_one_line_naming_what_to_install(tmp_path, monkeypatch):
    import pytesseract

    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", str(tmp_path / "no-tesseract"))
    with pytest.raises(UnreadableFile) as caught:
        extract_document(DATA / "bad" / "scanned.pdf")
    assert caught.value.reason == f"no text layer (scanned?) and Tesseract is not installed: {INSTALL_LINE}"


@needs_tesseract
def test_missing_chinese_model_is_one_line_naming_what_to_install(tmp_path, monkeypatch):
    # Tesseract looks for its models in TESSDATA_PREFIX: an empty folder is a machine without chi_sim.
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path))
    with pytest.raises(UnreadableFile) as caught:
        extract_document(DATA / "bad" / "scanned.pdf")
    assert caught.value.reason == (
        f"no text layer (scanned?) and Tesseract's chi_sim model is not installed: {INSTALL_LINE}"
    )


def test_index_without_tesseract_reports_the_scan_and_indexes_the_rest(tmp_path, monkeypatch, settings):
    import shutil

    import pytesseract

    from indexer.build import build_index
    from tests.conftest import SEED

    archive = tmp_path / "archive"
    archive.mkdir()
    shutil.copy(SEED, archive / SEED.name)
    shutil.copy(DATA / "bad" / "scanned.pdf", archive / "scan.pdf")
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", str(tmp_path / "no-tesseract"))
    report = build_index(
        settings.with_overrides(
            archive_dir=archive, index_dir=tmp_path / "index", cache_dir=tmp_path / "cache"
        ),
        rebuild=True,
        workers=1,
    )
    assert report.added == ["270"]
    assert report.failed == [
        ("scan.pdf", f"no text layer (scanned?) and Tesseract is not installed: {INSTALL_LINE}")
    ]


@needs_tesseract
def test_index_api_and_page_carry_the_ocr_flag(scan_workspace, scanned, settings, tmp_path):
    from indexer.build import build_index
    from webui.app import create_app

    scan, cache = scan_workspace
    indexed = settings.with_overrides(archive_dir=scan.parent, index_dir=tmp_path / "index", cache_dir=cache)
    report = build_index(indexed, rebuild=True, workers=1)
    assert (report.added, report.failed) == (["270"], [])
    client = create_app(indexed).test_client()
    hits = client.get("/api/search?q=科创中国&per_page=100").get_json()["hits"]
    assert hits and {hit["ocr"] for hit in hits} == {True}
    assert client.get("/api/articles/270-b01").get_json()["ocr"] is True
    page = client.get("/articles/270-b01").get_data(as_text=True)
    assert "本文由扫描件经文字识别（OCR）得到，可能有错字或漏字" in page


def test_articles_from_a_text_layer_say_ocr_false(client):
    assert client.get("/api/articles/270-f01").get_json()["ocr"] is False
    assert "文字识别（OCR）" not in client.get("/articles/270-f01").get_data(as_text=True)


@needs_tesseract
def test_bulletin_parse_shows_the_format_and_that_ocr_read_it(scan_workspace, scanned, tmp_path, capsys):
    from webui.cli import main

    scan, cache = scan_workspace
    config = tmp_path / "config.yaml"
    text = (ROOT / "config.yaml").read_text(encoding="utf-8")
    config.write_text(text.replace("cache_dir: var/cache", f"cache_dir: {cache}"), encoding="utf-8")
    assert main(["--config", str(config), "parse", str(scan)]) == 0
    assert (
        capsys.readouterr().out.splitlines()[0]
        == "温州科协信息 第5期 (总第270期) 2022-05-31 [pdf, read by OCR]"
    )


@needs_tesseract
def test_multi_page_tiff_is_read_as_an_image_scan(scan_workspace, tmp_path, domain):
    import pypdfium2

    scan, _ = scan_workspace
    document = pypdfium2.PdfDocument(scan)
    first = document[0].render(scale=200 / 72, grayscale=True).to_pil().convert("L")
    last = document[8].render(scale=200 / 72, grayscale=True).to_pil().convert("L")
    # The masthead and contents of page 1, and the last page, of briefs.
    frames = [first.crop((0, 0, first.width, first.height // 2)), last]
    tiff = tmp_path / "issue.tif"
    frames[0].save(tiff, save_all=True, append_images=frames[1:], dpi=(200, 200), compression="tiff_lzw")
    read = extract_document(tiff)
    assert (read.format, read.page_count, read.ocr) == ("image", 2, True)
    masthead, briefs_page = read.text.split(PAGE_BREAK)
    assert parse_masthead(masthead, read.source, domain)[:3] == (5, 270, dt.date(2022, 5, 31))
    briefs, warnings = parse_briefs(split_paragraphs(briefs_page), "270", dt.date(2022, 5, 31), domain)
    assert [(brief.date.isoformat(), brief.department) for brief in briefs] == [
        (date, department) for date, _, department, _ in BRIEFS[-4:]
    ]


@pytest.mark.parametrize(
    "image_format, options",
    [("PNG", {}), ("JPEG", {"quality": 60}), ("TIFF", {"compression": "tiff_lzw"})],
)
def test_image_scans_are_recognised_from_their_bytes(image_format, options):
    from PIL import Image

    data = io.BytesIO()
    Image.new("L", (8, 8), 255).save(data, image_format, **options)
    assert detect_format(data.getvalue()).name == "image"


def test_a_damaged_image_is_one_clear_reason(tmp_path):
    path = tmp_path / "cut.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    with pytest.raises(UnreadableFile) as caught:
        extract_document(path)
    assert caught.value.reason.startswith("damaged image (")


@pytest.mark.parametrize(
    "read, printed",
    [
        # chi_sim spaces out the characters of a line now and then
        ("温 州 科 协 信 息", "温州科协信息"),
        # half-width punctuation after Chinese, and brackets however their halves were read
        ("各县〈市、区) 科协, 市级学会", "各县（市、区）科协，市级学会"),
        ("工作模式。 《市科协学会部)", "工作模式。（市科协学会部）"),
        ("学习会 (鹿城区科协)", "学习会（鹿城区科协）"),
        ("开展《保密法》法治教育", "开展《保密法》法治教育"),
        # the em dash reads as two 一, the interpunct as a full stop
        ("科技惠企 创新赋能一一“科创中国”", "科技惠企 创新赋能——“科创中国”"),
        ("科技惠企 创新赋能一“科创中国”", "科技惠企 创新赋能——“科创中国”"),
        ("守护人类健康一 温州市护理学会", "守护人类健康——温州市护理学会"),
        ("凝聚护士力量.守护人类健康", "凝聚护士力量·守护人类健康"),
        # a contents bullet reads as 。
        ("。 青科会助力大孵化集群发展座谈会召开", "青科会助力大孵化集群发展座谈会召开"),
        # a 1 in a date reads as ] or l, and stray strokes stick to it
        ("5月]1]日-12日, “科技", "5月11日-12日，“科技"),
        ("2022年5月31].日", "2022年5月31日"),
        ("5月l9日", "5月19日"),
        # Latin and numbers keep their spaces and stops
        ("5.30全国科技工作者日, AI (GPT) 3.5", "5.30全国科技工作者日，AI (GPT) 3.5"),
    ],
)
def test_ocr_confusions_are_undone(read, printed):
    assert ocr.clean_text(read) == printed


def test_lines_join_into_paragraphs_by_their_geometry():
    line = ocr.Line
    lines = [
        line("本期要目", 900, 800, 1150, 850),
        # contents entries: short of the right edge, never joined
        line("青科会助力大孵化集群发展座谈会召开", 260, 1040, 960, 1085),
        line("市科协与温州理工学院就“科创中国”工作进行对接交流", 260, 1110, 1300, 1155),
        # an indented paragraph wrapped over two full lines and a short one
        line("为扎实推进温州市“科创中国”试点城市建设，", 285, 1760, 1880, 1815),
        line("市企业创新升级和高质量发展，", 202, 1830, 1860, 1885),
        line("科协等100多人参加了会议。", 202, 1900, 1000, 1955),
        # two briefs, the first filling its line: set further apart than the lines of a paragraph
        line("5月19日，市科协开展“汇聚先锋力量、共建文明城市”活动助力全国", 202, 1985, 1870, 2040),
        line("5月20日，文成科协开展科普进文化礼堂活动（文成县科协）", 202, 2070, 1500, 2125),
    ]
    assert ocr.paragraphs(lines, 55) == [
        "本期要目",
        "青科会助力大孵化集群发展座谈会召开",
        "市科协与温州理工学院就“科创中国”工作进行对接交流",
        "为扎实推进温州市“科创中国”试点城市建设，市企业创新升级和高质量发展，科协等100多人参加了会议。",
        "5月19日，市科协开展“汇聚先锋力量、共建文明城市”活动助力全国",
        "5月20日，文成科协开展科普进文化礼堂活动（文成县科协）",
    ]


@needs_tesseract
def test_scanned_pages_behind_a_typed_page_are_read_by_ocr(scan_workspace, tmp_path, domain):
    import pypdfium2

    scan, _ = scan_workspace
    mixed = pypdfium2.PdfDocument.new()
    mixed.import_pages(pypdfium2.PdfDocument(DATA / "issue270-reportlab.pdf"), [0])
    mixed.import_pages(pypdfium2.PdfDocument(scan), [8])
    path = tmp_path / "mixed.pdf"
    mixed.save(path)
    read = extract_document(path)
    assert (read.format, read.page_count, read.ocr) == ("pdf", 2, True)
    typed, scanned_page = read.text.split(PAGE_BREAK)
    assert typed == extract_document(DATA / "issue270-reportlab.pdf").text.split(PAGE_BREAK)[0]
    briefs, _ = parse_briefs(split_paragraphs(scanned_page), "270", dt.date(2022, 5, 31), domain)
    assert [(brief.date.isoformat(), brief.department) for brief in briefs] == [
        (date, department) for date, _, department, _ in BRIEFS[-4:]
    ]


@needs_tesseract
def test_a_scan_refused_for_want_of_tesseract_is_indexed_once_it_is_installed(
    scan_workspace, scanned, settings, tmp_path, monkeypatch
):
    import shutil

    import pytesseract

    from indexer.build import build_index

    scan, session_cache = scan_workspace
    indexed = settings.with_overrides(
        archive_dir=scan.parent, index_dir=tmp_path / "index", cache_dir=tmp_path / "cache"
    )
    with monkeypatch.context() as without:
        without.setattr(pytesseract.pytesseract, "tesseract_cmd", str(tmp_path / "no-tesseract"))
        first = build_index(indexed, workers=1)
    assert (first.added, [name for name, _ in first.failed]) == ([], [scan.name])
    # Tesseract is back; its text of this scan is in the session's cache, so it need not run again.
    shutil.copytree(session_cache / "text", tmp_path / "cache" / "text", dirs_exist_ok=True)
    again = build_index(indexed, workers=1)
    assert (again.added, again.failed) == (["270"], [])
