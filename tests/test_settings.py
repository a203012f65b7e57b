"""config.yaml into one typed Settings object."""

from __future__ import annotations

import pytest

from indexer.settings import SettingsError, load_settings
from tests.conftest import ROOT


def test_project_config(settings):
    assert settings.domain.publication == "温州科协信息"
    counties = [p.name for p in settings.domain.places if not p.is_zone]
    assert counties == [
        "鹿城区", "龙湾区", "瓯海区", "洞头区", "瑞安市", "乐清市",
        "龙港市", "永嘉县", "平阳县", "苍南县", "文成县", "泰顺县",
    ]  # fmt: skip
    assert settings.domain.canonical_place("瑞安") == "瑞安市"
    assert settings.domain.canonical_place("浙南集聚区") == "浙南产业集聚区"
    assert settings.domain.canonical_place("上海") is None
    assert settings.archive_dir == ROOT / "archive"
    assert settings.index_dir == ROOT / "var" / "index"
    assert settings.search.max_query_length == 200 and settings.search.max_per_page == 100


@pytest.mark.parametrize("text", ["市科协学会部", "平阳县科协", "文成科协", "市科协办公室", "温州市护理学会"])
def test_departments(settings, text):
    assert settings.domain.is_department(text)


@pytest.mark.parametrize("text", ["市、区", "5·12", "2022年5月"])
def test_not_departments(settings, text):
    assert not settings.domain.is_department(text)


def test_paths_resolve_relative_to_the_file_and_env_chooses_it(tmp_path, monkeypatch):
    config = tmp_path / "other.yaml"
    text = (
        (ROOT / "config.yaml")
        .read_text(encoding="utf-8")
        .replace("archive_dir: archive", "archive_dir: issues")
    )
    config.write_text(text.replace("温州科协信息", "丽水科协信息"), encoding="utf-8")
    monkeypatch.setenv("BULLETIN_CONFIG", str(config))
    other = load_settings()
    assert other.archive_dir == tmp_path / "issues"
    assert other.domain.publication == "丽水科协信息"


@pytest.mark.parametrize(
    "change, message",
    [
        (
            ("  name: 温州科协信息\n  publisher: 温州市科学技术协会", "  - 温州"),
            "'publication' must be a dict",
        ),
        (
            ("department_pattern: '", "department_pattern: '(("),
            "department_pattern is not a regular expression",
        ),
        (("  max_per_page: 100", "  max_per_page: many"), "'search.max_per_page' must be a int"),
        (("  port: 8000", "  port: 8000\n  colour: red"), "unknown keys in 'web': colour"),
        (("  瑞安市: [瑞安]", "  瑞安市: 瑞安"), "short forms of 瑞安市 must be a list of strings"),
    ],
)
def test_bad_config_is_one_clear_error(tmp_path, change, message):
    config = tmp_path / "config.yaml"
    text = (ROOT / "config.yaml").read_text(encoding="utf-8")
    assert change[0] in text
    config.write_text(text.replace(change[0], change[1]), encoding="utf-8")
    with pytest.raises(SettingsError) as caught:
        load_settings(config)
    assert message in str(caught.value) and str(config) in str(caught.value)


def test_missing_config(tmp_path):
    with pytest.raises(SettingsError, match="cannot read"):
        load_settings(tmp_path / "nope.yaml")
