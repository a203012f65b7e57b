"""Finding config.yaml, checking it into one typed Settings object, and starting a new site."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.settings import PACKAGED_CONFIG, SettingsError, load_settings
from tests.conftest import ROOT
from webui.cli import main


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
            "publication: must be a mapping, got ['温州']",
        ),
        (
            ("  name: 温州科协信息", "  nmae: 温州科协信息"),
            "publication.nmae: unknown key; did you mean 'name'?",
        ),
        (
            ("  max_per_page: 100", "  max_per_page: many"),
            "search.max_per_page: must be a whole number, got 'many'",
        ),
        (("  瑞安市: [瑞安]", "  瑞安市: 瑞安"), "counties.瑞安市: must be a list of strings, got '瑞安'"),
        (
            ("  default_per_page: 20", "  default_per_page: 0"),
            "search.default_per_page: must be at least 1, got 0",
        ),
        (
            ("  default_per_page: 20", "  default_per_page: 1000"),
            "search.default_per_page: must be at most search.max_per_page (100), got 1000",
        ),
        (("  port: 8000", "  port: 99999"), "web.port: must be from 1 to 65535, got 99999"),
        (("  port: 8000", "  port: 0"), "web.port: must be from 1 to 65535, got 0"),
        (("  port: 8000", "  port: yes"), "web.port: must be a whole number, got True"),
        (
            ("  cors_origins: []", "  cors_origins: https://a.example"),
            "web.cors_origins: must be a list of strings, got 'https://a.example'",
        ),
        (("  port: 8000", "  port: 8000\n  prot: 8001"), "web.prot: unknown key; did you mean 'port'?"),
        (("zones:", "zone:"), "zone: unknown key; did you mean 'zones'?"),
        (
            ("web:", "colour: red\nweb:"),
            "colour: unknown key; known keys: publication, archive_dir, index_dir, cache_dir, counties, zones, "
            "department_pattern, departments, user_words, keyword_stopwords, synonyms, search, web",
        ),
        (
            ("departments: [", "departments: 市科协办公室 # ["),
            "departments: must be a list of strings, got '市科协办公室'",
        ),
        (
            ("archive_dir: archive", "archive_dir: [archive]"),
            "archive_dir: must be a string, got ['archive']",
        ),
    ],
)
def test_bad_config_is_one_line_naming_the_file_and_the_key(tmp_path, change, message):
    config = tmp_path / "config.yaml"
    text = (ROOT / "config.yaml").read_text(encoding="utf-8")
    assert text.count(change[0]) == 1
    config.write_text(text.replace(change[0], change[1]), encoding="utf-8")
    with pytest.raises(SettingsError) as caught:
        load_settings(config)
    assert str(caught.value) == f"{config}: {message}"


def test_bad_department_pattern(tmp_path):
    config = tmp_path / "config.yaml"
    text = (ROOT / "config.yaml").read_text(encoding="utf-8")
    config.write_text(text.replace("department_pattern: '", "department_pattern: '(("), encoding="utf-8")
    with pytest.raises(SettingsError) as caught:
        load_settings(config)
    assert str(caught.value).startswith(f"{config}: department_pattern: not a regular expression: ")
    assert "\n" not in str(caught.value)


def test_missing_config(tmp_path):
    with pytest.raises(SettingsError) as caught:
        load_settings(tmp_path / "nope.yaml")
    assert str(caught.value) == f"{tmp_path / 'nope.yaml'}: cannot read: No such file or directory"


@pytest.fixture
def elsewhere(tmp_path, monkeypatch):
    """An empty current folder outside the checkout, with no $BULLETIN_CONFIG."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    monkeypatch.delenv("BULLETIN_CONFIG", raising=False)
    monkeypatch.chdir(folder)
    return folder


def write_config(path: Path, publication: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = (ROOT / "config.yaml").read_text(encoding="utf-8")
    path.write_text(text.replace("name: 温州科协信息", f"name: {publication}"), encoding="utf-8")
    return path


def test_discovery_order(elsewhere, tmp_path, monkeypatch):
    packaged = load_settings()
    assert (packaged.config_path, packaged.config_origin) == (PACKAGED_CONFIG, "packaged defaults")
    assert packaged.domain.publication == "温州科协信息"

    write_config(elsewhere / "config.yaml", "本地科协信息")
    local = load_settings()
    assert (local.config_origin, local.domain.publication) == ("./config.yaml", "本地科协信息")
    assert local.config_path == elsewhere / "config.yaml"

    monkeypatch.setenv("BULLETIN_CONFIG", str(write_config(tmp_path / "env" / "site.yaml", "环境科协信息")))
    from_env = load_settings()
    assert (from_env.config_origin, from_env.domain.publication) == ("$BULLETIN_CONFIG", "环境科协信息")
    assert from_env.archive_dir == tmp_path / "env" / "archive"

    flag = load_settings(write_config(tmp_path / "flag" / "c.yaml", "旗帜科协信息"))
    assert (flag.config_origin, flag.domain.publication) == ("--config", "旗帜科协信息")
    assert flag.index_dir == tmp_path / "flag" / "var" / "index"


def test_packaged_defaults_resolve_paths_against_the_current_folder(elsewhere):
    settings = load_settings()
    assert (settings.archive_dir, settings.index_dir, settings.cache_dir) == (
        elsewhere / "archive",
        elsewhere / "var" / "index",
        elsewhere / "var" / "cache",
    )


def test_packaged_defaults_are_the_repository_config():
    # One text in two places: the top-level file for the checkout, the packaged copy for installs.
    assert PACKAGED_CONFIG.read_bytes() == (ROOT / "config.yaml").read_bytes()


def test_config_command_names_the_file_in_use(elsewhere, capsys):
    assert main(["config"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"config: {PACKAGED_CONFIG} (packaged defaults)",
        f"archive: {elsewhere / 'archive'}",
        f"index: {elsewhere / 'var' / 'index'}",
        f"cache: {elsewhere / 'var' / 'cache'}",
    ]
    write_config(elsewhere / "config.yaml", "本地科协信息")
    assert main(["config"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == f"config: {elsewhere / 'config.yaml'} (./config.yaml)"


def test_init_starts_a_site_and_never_overwrites(elsewhere, capsys):
    assert main(["init", "site"]) == 0
    site = elsewhere / "site"
    assert capsys.readouterr().out == (
        f"wrote {Path('site') / 'config.yaml'}; put the issues into {Path('site') / 'archive'}/ "
        "and run `bulletin index`\n"
    )
    assert sorted(path.name for path in site.iterdir()) == ["archive", "config.yaml"]
    assert list((site / "archive").iterdir()) == []
    assert (site / "config.yaml").read_bytes() == PACKAGED_CONFIG.read_bytes()
    assert load_settings(site / "config.yaml").archive_dir == site / "archive"

    (site / "config.yaml").write_text("# ours\n", encoding="utf-8")
    assert main(["init", "site"]) == 2
    assert (
        capsys.readouterr().err == f"bulletin: {Path('site') / 'config.yaml'} already exists; left as it is\n"
    )
    assert (site / "config.yaml").read_text(encoding="utf-8") == "# ours\n"


def test_init_needs_no_readable_config(elsewhere, capsys):
    (elsewhere / "config.yaml").write_text("web: [", encoding="utf-8")
    assert main(["init", "new"]) == 0
    assert (elsewhere / "new" / "config.yaml").is_file()


def test_missing_archive_folder_is_one_line_and_exit_2(elsewhere, capsys):
    assert main(["index"]) == 2
    assert capsys.readouterr().err == (
        f"bulletin: {elsewhere / 'archive'}: no archive folder here; choose one with --archive, "
        "or archive_dir in a config.yaml (`bulletin init` writes one)\n"
    )
    write_config(elsewhere / "config.yaml", "本地科协信息")
    assert main(["index", "--archive", "nowhere"]) == 2
    assert capsys.readouterr().err == (
        f"bulletin: {elsewhere / 'nowhere'}: no archive folder here; choose one with --archive, "
        f"or archive_dir in {elsewhere / 'config.yaml'}\n"
    )
    assert not (elsewhere / "var").exists()


def test_missing_index_is_one_line_and_exit_2(elsewhere, capsys):
    assert main(["stats", "--index", "idx"]) == 2
    assert capsys.readouterr().err == (
        f"bulletin: {elsewhere / 'idx'}: no index here; build it with `bulletin index`, or choose another "
        "with --index, or index_dir in a config.yaml (`bulletin init` writes one)\n"
    )


def test_init_keeps_an_existing_archive(elsewhere, capsys):
    (elsewhere / "archive").mkdir()
    (elsewhere / "archive" / "issue.txt").write_text("第5期", encoding="utf-8")
    assert main(["init"]) == 0
    assert (elsewhere / "archive" / "issue.txt").read_text(encoding="utf-8") == "第5期"
    assert load_settings().config_origin == "./config.yaml"
