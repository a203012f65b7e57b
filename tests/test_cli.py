"""The `bulletin` command: parse, index, search and stats, as staff run them."""

from __future__ import annotations

import json

import pytest

from tests.conftest import SEED, seed_workspace
from webui.cli import main


@pytest.fixture
def workspace(tmp_path):
    config = seed_workspace(tmp_path)
    return tmp_path, ["--config", str(config)]


def test_parse_prints_what_the_parser_sees(capsys):
    assert main(["parse", str(SEED)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "温州科协信息 第5期 (总第270期) 2022-05-31 [text]"
    assert lines[1] == "8 features, 29 briefs"
    assert lines[2].split() == [
        "270-f01",
        "2022-05-13",
        "市科协学会部",
        "-",
        "科技惠企",
        "创新赋能——“科创中国”温州站推介大会成功举办",
    ]
    assert len(lines) == 2 + 37 + 2
    assert lines[-2:] == [
        "contents: 8 of 8 titles found as features",
        "body text: 0 of 6798 characters unassigned (0.0%)",
    ]


def test_parse_json(capsys):
    assert main(["parse", str(SEED), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["total_number"], len(data["articles"]), data["articles"][-1]["id"]) == (270, 37, "270-b29")


def test_parse_bad_file_is_one_line(tmp_path, capsys):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    assert main(["parse", str(empty)]) == 1
    assert capsys.readouterr().err == f"bulletin: {empty}: empty file\n"


def test_index_search_stats(workspace, capsys):
    folder, config = workspace
    assert main([*config, "index"]) == 0
    assert capsys.readouterr().out.startswith("added 1, updated 0, removed 0, unchanged 0, failed 0")
    assert (
        main(
            [
                "search",
                *config,
                "科创中国",
                "--county",
                "瑞安",
                "--from",
                "2022-05-10",
                "--to",
                "2022-05-25",
                "--sort",
                "newest",
                "--json",
            ]
        )
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert [hit["id"] for hit in data["hits"]] == ["270-f06", "270-f05"]
    assert data["total"] == 2
    assert main(["search", *config, "魔方"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "1 results (page 1 of 1)"
    assert out[1].split() == ["1.", "2022-05-28", "洞头区第一届魔方还原竞速比赛成功举办"]
    assert main(["stats", *config, "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert (stats["issues"], stats["articles"], stats["features"], stats["briefs"]) == (1, 37, 8, 29)
    assert (stats["first_issue"], stats["last_issue"]) == ("2022-05-31", "2022-05-31")


def test_index_reports_failures_and_exits_non_zero(workspace, capsys):
    folder, config = workspace
    (folder / "archive" / "junk.bin").write_bytes(bytes(range(256)) * 4)
    assert main([*config, "index"]) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith("failed: junk.bin: ")
    assert "added 1," in captured.out and "failed 1" in captured.out


def test_flags_override_config(workspace, tmp_path, capsys):
    folder, config = workspace
    other = tmp_path / "elsewhere"
    assert main(["index", *config, "--index", str(other)]) == 0
    assert (other / "bulletin-manifest.json").exists() and not (folder / "idx").exists()
    capsys.readouterr()
    assert (
        main(["search", *config, "--index", str(other), "--kind", "brief", "--json", "--per-page", "1"]) == 0
    )
    assert json.loads(capsys.readouterr().out)["total"] == 29


def test_bad_search_parameters_are_one_line(workspace, capsys):
    folder, config = workspace
    main([*config, "index"])
    capsys.readouterr()
    assert main(["search", *config, "x", "--county", "火星"]) == 2
    assert capsys.readouterr().err == "bulletin: county: unknown county: 火星\n"


def test_search_without_index(workspace, capsys):
    folder, config = workspace
    assert main(["search", *config, "x"]) == 2
    assert capsys.readouterr().err == (
        f"bulletin: {folder / 'idx'}: no index here; build it with `bulletin index`, or choose another"
        f" with --index, or index_dir in {folder / 'config.yaml'}\n"
    )


def test_search_over_a_damaged_index_is_one_line(workspace, capsys):
    folder, config = workspace
    assert main([*config, "index"]) == 0
    segment = next((folder / "idx").glob("MAIN_*.seg"))
    segment.write_bytes(segment.read_bytes()[: segment.stat().st_size // 2])
    capsys.readouterr()
    assert main(["search", *config, "魔方"]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("bulletin: ")
    assert lines[0].endswith("the index is damaged, run `bulletin index --rebuild`")
