"""The atomic file writer: the old file or the new one, and nothing left behind when writing fails."""

from __future__ import annotations

import pytest

from indexer.files import replacing, write_atomically


def test_write_atomically_makes_the_folder_and_replaces_the_file(tmp_path):
    path = tmp_path / "cache" / "entry.json"
    write_atomically(path, "一")
    write_atomically(path, "二")
    assert [p.name for p in path.parent.iterdir()] == ["entry.json"]
    assert path.read_text(encoding="utf-8") == "二"


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "entry.json"
    path.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError, match="disk full"), replacing(path) as temporary:
        temporary.write_text("half", encoding="utf-8")
        raise RuntimeError("disk full")
    assert [p.name for p in tmp_path.iterdir()] == ["entry.json"]
    assert path.read_text(encoding="utf-8") == "old"
