"""An edit of config.yaml reaches the index on the next plain `bulletin index`, and says why."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil

import pytest

from indexer import build
from indexer.build import MANIFEST_NAME, build_index, settings_fingerprints
from indexer.formats import pdf
from indexer.settings import Domain, load_settings
from tests.conftest import DATA, ROOT, SEED
from webui.cli import main

PDF = DATA / "issue270-reportlab.pdf"
QINGKEHUI_ARTICLES = 5  # articles whose keywords include 青科会 before it becomes a stop word


@pytest.fixture
def site(tmp_path, monkeypatch):
    """A deployment folder holding config.yaml and archive/ (the seed issue as text and as PDF),
    as the current folder, indexed once."""
    archive = tmp_path / "archive"
    archive.mkdir()
    shutil.copy(SEED, archive / SEED.name)
    shutil.copy(PDF, archive / PDF.name)
    shutil.copy(ROOT / "config.yaml", tmp_path / "config.yaml")
    monkeypatch.delenv("BULLETIN_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def edit_config(site, old: str, new: str) -> None:
    config = site / "config.yaml"
    text = config.read_text(encoding="utf-8")
    assert text.count(old) == 1
    config.write_text(text.replace(old, new), encoding="utf-8")


def index(capsys) -> str:
    """`bulletin index` in the current folder; its summary line without the time taken."""
    assert main(["index"]) == 0
    return re.sub(r" in \d+\.\ds", "", capsys.readouterr().out.strip())


def articles(capsys) -> dict[str, dict]:
    assert main(["search", "--json", "--per-page", "100"]) == 0
    hits = json.loads(capsys.readouterr().out)["hits"]
    assert len(hits) == 37
    return {hit["id"]: hit for hit in hits}


def test_config_in_the_current_folder_is_used(site, capsys):
    assert index(capsys) == "added 1, updated 0, removed 0, unchanged 0, failed 0 issue files (2 parsed)"
    assert (site / "var" / "index" / MANIFEST_NAME).is_file()
    assert (site / "var" / "cache" / "text").is_dir()


def test_a_new_keyword_stop_word_rewrites_every_issue_without_parsing(site, capsys):
    index(capsys)
    before = articles(capsys)
    assert sum("青科会" in hit["keywords"] for hit in before.values()) == QINGKEHUI_ARTICLES
    edit_config(site, "keyword_stopwords: [温州,", "keyword_stopwords: [青科会, 温州,")
    assert index(capsys) == (
        "added 0, updated 1, removed 0, unchanged 0, failed 0 issue files (0 parsed); "
        "settings changed: keyword_stopwords"
    )
    after = articles(capsys)
    assert sum("青科会" in hit["keywords"] for hit in after.values()) == 0
    assert index(capsys) == "added 0, updated 0, removed 0, unchanged 1, failed 0 issue files (0 parsed)"


def test_a_new_zone_reparses_every_file(site, capsys):
    edit_config(site, "  浙南产业集聚区: [浙南集聚区]\n", "")
    index(capsys)
    assert articles(capsys)["270-f03"]["counties"] == ["龙湾区", "乐清市"]
    edit_config(site, "zones:\n", "zones:\n  浙南产业集聚区: [浙南集聚区]\n")
    assert index(capsys) == (
        "added 0, updated 1, removed 0, unchanged 0, failed 0 issue files (2 parsed); settings changed: zones"
    )
    assert articles(capsys)["270-f03"]["counties"] == ["龙湾区", "乐清市", "浙南产业集聚区"]


def test_a_new_county_short_form_reparses_every_file(site, capsys):
    edit_config(site, "  龙港市: [龙港]", "  龙港市: []")
    index(capsys)
    assert articles(capsys)["270-f06"]["counties"] == ["瑞安市", "平阳县"]
    edit_config(site, "  龙港市: []", "  龙港市: [龙港]")
    assert index(capsys) == (
        "added 0, updated 1, removed 0, unchanged 0, failed 0 issue files (2 parsed); settings changed: counties"
    )
    assert articles(capsys)["270-f06"]["counties"] == ["瑞安市", "龙港市", "平阳县"]


def test_a_changed_department_pattern_reparses_every_file(site, capsys):
    index(capsys)
    assert articles(capsys)["270-b04"]["department"] == "泰顺县科协"
    edit_config(site, "|.{1,8}科协.{0,6}|", "|")
    assert index(capsys) == (
        "added 0, updated 1, removed 0, unchanged 0, failed 0 issue files (2 parsed); "
        "settings changed: department_pattern"
    )
    after = articles(capsys)
    assert after["270-b04"]["department"] is None
    assert sum(hit["department"] is None for hit in after.values()) == 17


def test_settings_outside_the_index_change_nothing(site, capsys):
    index(capsys)
    edit_config(site, "  port: 8000", "  port: 8001")
    edit_config(site, "  default_per_page: 20", "  default_per_page: 10")
    assert index(capsys) == "added 0, updated 0, removed 0, unchanged 1, failed 0 issue files (0 parsed)"


def test_synonyms_are_for_queries_and_leave_the_index_as_it_is(site, capsys):
    index(capsys)
    edit_config(
        site, "  - [科协, 科学技术协会]\n", "  - [科协, 科学技术协会]\n  - [东新科创园, 东新产城科创园]\n"
    )
    assert index(capsys) == "added 0, updated 0, removed 0, unchanged 1, failed 0 issue files (0 parsed)"
    edit_config(site, "  - [青科会, 世界青年科学家峰会]\n", "")
    assert index(capsys) == "added 0, updated 0, removed 0, unchanged 1, failed 0 issue files (0 parsed)"
    assert load_settings().synonyms == (("科协", "科学技术协会"), ("东新科创园", "东新产城科创园"))


def test_reparsing_reads_pdf_text_from_the_cache(site, monkeypatch):
    settings = load_settings()
    assert build_index(settings, workers=1).added == ["270"]
    pdfminer_runs = []
    monkeypatch.setattr(pdf, "pdf_text", lambda data, source: pdfminer_runs.append(source))
    edit_config(site, "科协.{0,6}|.{2,12}", "科协.{0,8}|.{2,12}")
    report = build_index(load_settings(), workers=1)
    assert (report.updated, report.parsed_files, report.settings_changed) == (
        ["270"],
        2,
        ("department_pattern",),
    )
    assert pdfminer_runs == []


def test_a_failed_rewrite_leaves_the_index_and_the_fingerprints_as_they_were(site, capsys, monkeypatch):
    index(capsys)
    edit_config(site, "keyword_stopwords: [温州,", "keyword_stopwords: [青科会, 温州,")

    def broken(*arguments):
        raise OSError("disk full")

    monkeypatch.setattr(build, "write_segment", broken)
    with pytest.raises(OSError):
        build_index(load_settings(), workers=1)
    assert sum("青科会" in hit["keywords"] for hit in articles(capsys).values()) == QINGKEHUI_ARTICLES
    monkeypatch.undo()
    monkeypatch.chdir(site)
    assert index(capsys).endswith("(0 parsed); settings changed: keyword_stopwords")


def test_rebuild_does_not_blame_the_settings(site, capsys):
    index(capsys)
    edit_config(site, "keyword_stopwords: [温州,", "keyword_stopwords: [青科会, 温州,")
    assert main(["index", "--rebuild"]) == 0
    assert capsys.readouterr().out.startswith("added 1, updated 0, removed 0, unchanged 0, failed 0")


def test_an_index_from_before_fingerprints_is_redone_once(site, capsys):
    index(capsys)
    manifest = site / "var" / "index" / MANIFEST_NAME
    raw = json.loads(manifest.read_text(encoding="utf-8"))
    del raw["settings"]
    manifest.write_text(json.dumps(raw), encoding="utf-8")
    summary = index(capsys)
    assert summary.startswith("added 0, updated 1, removed 0, unchanged 0, failed 0 issue files (2 parsed)")
    assert summary.endswith("settings changed: " + ", ".join(settings_fingerprints(load_settings().domain)))
    assert index(capsys) == "added 0, updated 0, removed 0, unchanged 1, failed 0 issue files (0 parsed)"


def test_every_domain_setting_is_fingerprinted(domain):
    named = {field.name for field in dataclasses.fields(Domain)} - {"places"} | {"counties", "zones"}
    assert named <= set(settings_fingerprints(domain))
