"""Faults of `bulletin index`: folders that are not ours, kills at chosen moments, dead workers, a full
disk, read-only folders, a busy or damaged index. Each ends in one line and leaves a complete index."""

from __future__ import annotations

import errno
import fcntl
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from indexer import index_folder
from indexer.build import build_index
from indexer.engine import SegmentBuilder, open_index
from indexer.index_folder import MARKER_NAME
from tests.conftest import ROOT
from webui.cli import main

# LATER: enough new files for the parse phase to run in worker processes (build.PARALLEL_THRESHOLD).
FIRST, LATER = (270, 271, 272), (273, 274, 275, 276)
MANY = FIRST + LATER
WITHOUT_EXCHANGE = (
    "import sys; from indexer import index_folder; index_folder.exchange = lambda first, second: False; "
    "from webui.cli import main; sys.exit(main(sys.argv[1:]))"
)


def issue_text(seed_text: str, total_number: int) -> str:
    return seed_text.replace("总第 270 期", f"总第 {total_number} 期")


def expected_ids(numbers) -> list[str]:
    suffixes = [f"f{n:02d}" for n in range(1, 9)] + [f"b{n:02d}" for n in range(1, 30)]
    return sorted(f"{number}-{suffix}" for number in numbers for suffix in suffixes)


def indexed_ids(index_dir: Path) -> list[str]:
    return sorted(fields["id"] for fields in open_index(index_dir).reader().all_stored_fields())


class Project:
    """An archive, a config.yaml and the index folder it names, as a user would have them."""

    def __init__(self, folder: Path, seed_text: str):
        self.folder, self.seed_text = folder, seed_text
        self.archive, self.index, self.cache = folder / "archive", folder / "var" / "index", folder / "cache"
        self.archive.mkdir()
        self.config = folder / "config.yaml"
        text = (ROOT / "config.yaml").read_text(encoding="utf-8")
        text = text.replace("index_dir: var/index", f"index_dir: {self.index}")
        text = text.replace("cache_dir: var/cache", f"cache_dir: {self.cache}")
        # Never the project's own index: these tests kill runs and damage indexes.
        assert f"index_dir: {self.index}" in text and f"cache_dir: {self.cache}" in text
        self.config.write_text(text, encoding="utf-8")

    def use_index(self, index: Path) -> None:
        self.config.write_text(
            self.config.read_text(encoding="utf-8").replace(
                f"index_dir: {self.index}", f"index_dir: {index}"
            ),
            encoding="utf-8",
        )
        self.index = index

    def add(self, *numbers: int) -> None:
        for number in numbers:
            path = self.archive / f"issue-{number}.txt"
            path.write_text(issue_text(self.seed_text, number), encoding="utf-8")

    def settings(self, settings):
        return settings.with_overrides(archive_dir=self.archive, index_dir=self.index, cache_dir=self.cache)

    def run(self, *args: str, fault: str | None = None, exchange: bool = True) -> subprocess.CompletedProcess:
        """`bulletin --config … ARGS` in a process of its own, dying at the fault point if one is named;
        without `exchange`, a rebuild is swapped in by two renames, as where renameat2 is missing."""
        env = {key: value for key, value in os.environ.items() if key != "BULLETIN_FAULT_POINT"}
        if fault:
            env["BULLETIN_FAULT_POINT"] = fault
        start = ["-m", "webui.cli"] if exchange else ["-c", WITHOUT_EXCHANGE]
        command = [sys.executable, *start, "--config", str(self.config), *args]
        return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)

    def run_here(self, capsys, *args: str) -> subprocess.CompletedProcess:
        """The same in this process: quicker, for the runs that are not to be killed."""
        capsys.readouterr()
        code = main(["--config", str(self.config), *args])
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(args, code, out, err)

    def siblings(self) -> list[str]:
        """What lies beside the index folder other than the index and its lock file."""
        return sorted(p.name for p in self.index.parent.iterdir() if p.name not in ("index", ".index.lock"))


@pytest.fixture
def project(tmp_path, seed_text):
    return Project(tmp_path, seed_text)


def one_line(stderr: str) -> str:
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


# ----------------------------------------------------------------------------- folders that are not ours


def test_a_folder_of_files_is_refused_and_kept(project, capsys):
    project.add(270)
    files = project.folder / "notes"
    files.mkdir()
    (files / "minutes.txt").write_text("会议纪要", encoding="utf-8")
    assert main(["--config", str(project.config), "index", "--index", str(files)]) == 2
    assert capsys.readouterr().err == (
        f"bulletin: {files}: this folder holds files that are not a bulletin index, and `bulletin index` "
        "replaces its index folder whole; point --index (or index_dir in config.yaml) at a new folder\n"
    )
    assert [p.name for p in files.iterdir()] == ["minutes.txt"]
    assert (files / "minutes.txt").read_text(encoding="utf-8") == "会议纪要"
    assert main(["--config", str(project.config), "index", "--rebuild", "--index", str(files)]) == 2
    assert [p.name for p in files.iterdir()] == ["minutes.txt"]
    # Nothing was made beside it either (not even the lock file).
    assert sorted(p.name for p in project.folder.iterdir()) == ["archive", "config.yaml", "notes"]


def test_index_dir_in_config_naming_a_folder_of_files_is_refused(project, capsys):
    project.add(270)
    project.index.mkdir(parents=True)
    (project.index / "keep.txt").write_text("x", encoding="utf-8")
    assert main(["--config", str(project.config), "index"]) == 2
    assert "this folder holds files that are not a bulletin index" in one_line(capsys.readouterr().err)
    assert [p.name for p in project.index.iterdir()] == ["keep.txt"]


@pytest.mark.parametrize("where", ["archive", ".", "archive/sub"])
def test_the_archive_and_the_folders_around_it_are_refused(project, capsys, monkeypatch, where):
    project.add(270)
    monkeypatch.chdir(project.folder)
    assert main(["--config", str(project.config), "index", "--index", where, "--rebuild"]) == 2
    line = one_line(capsys.readouterr().err)
    assert line.startswith(f"bulletin: {(project.folder / where).resolve()}: the index folder would hold")
    assert [p.name for p in project.archive.iterdir()] == ["issue-270.txt"]
    assert sorted(p.name for p in project.folder.iterdir()) == ["archive", "config.yaml"]


def test_a_file_is_not_an_index_folder(project, capsys):
    project.add(270)
    note = project.folder / "note.txt"
    note.write_text("x", encoding="utf-8")
    assert main(["--config", str(project.config), "index", "--index", str(note)]) == 2
    assert one_line(capsys.readouterr().err).startswith(f"bulletin: {note}: not a folder;")
    assert note.read_text(encoding="utf-8") == "x"


def test_a_missing_archive_folder_is_one_line_and_makes_nothing(project, capsys):
    missing = project.folder / "no-such-archive"
    assert main(["--config", str(project.config), "index", "--archive", str(missing)]) == 2
    assert capsys.readouterr().err == (
        f"bulletin: {missing}: no archive folder here; choose one with --archive, or archive_dir in"
        f" {project.config}\n"
    )
    assert sorted(p.name for p in project.folder.iterdir()) == ["archive", "config.yaml"]


def test_an_empty_folder_and_an_earlier_versions_index_are_ours(project, settings, capsys):
    project.add(270)
    project.index.mkdir(parents=True)
    assert main(["--config", str(project.config), "index"]) == 0
    assert (project.index / MARKER_NAME).is_file()
    # As an earlier version left it: whoosh's files and the manifest, no marker.
    (project.index / MARKER_NAME).unlink()
    project.add(271)
    assert main(["--config", str(project.config), "index"]) == 0
    assert (project.index / MARKER_NAME).is_file()
    assert indexed_ids(project.index) == expected_ids((270, 271))
    assert main(["--config", str(project.config), "index", "--rebuild"]) == 0
    assert indexed_ids(project.index) == expected_ids((270, 271))
    assert capsys.readouterr().err == ""


# ----------------------------------------------------------------------------- kills at chosen moments


def build_first(project, settings) -> None:
    project.add(*FIRST)
    build_index(project.settings(settings), workers=1)
    assert indexed_ids(project.index) == expected_ids(FIRST)


@pytest.mark.parametrize("point", ["parse", "before-commit", "after-commit"])
def test_an_update_killed_at_any_point_is_finished_by_the_next_run(project, settings, point, capsys):
    build_first(project, settings)
    project.add(273)
    (project.archive / "issue-271.txt").unlink()
    killed = project.run("index", fault=point)
    assert killed.returncode == -signal.SIGKILL
    # The old index or the new one, never a mixture.
    assert indexed_ids(project.index) in (expected_ids(FIRST), expected_ids((270, 272, 273)))
    again = project.run_here(capsys, "index")
    assert (again.returncode, again.stderr) == (0, "")
    assert indexed_ids(project.index) == expected_ids((270, 272, 273))
    assert project.run_here(capsys, "index").stdout.startswith("added 0, updated 0, removed 0, unchanged 3")


@pytest.mark.parametrize(
    "point, exchange, notice",
    [
        ("before-commit", True, "removed index.new-"),
        ("before-swap", True, "removed index.new-"),
        ("swap-after-exchange", True, "removed index.new-"),
        ("swap-between-renames", False, "put in place the index from index.new-"),
        ("swap-after-renames", False, "removed index.old-"),
    ],
)
def test_a_rebuild_killed_at_any_point_leaves_a_complete_index(
    project, settings, point, exchange, notice, capsys
):
    build_first(project, settings)
    project.add(273)
    killed = project.run("index", "--rebuild", fault=point, exchange=exchange)
    assert killed.returncode == -signal.SIGKILL
    assert project.siblings() and all(
        name.startswith(("index.new-", "index.old-")) for name in project.siblings()
    )
    again = project.run_here(capsys, "index")
    assert again.returncode == 0
    assert notice in one_line(again.stderr)
    assert project.siblings() == []
    assert indexed_ids(project.index) == expected_ids((*FIRST, 273))


def test_a_rebuild_is_swapped_in_without_a_moment_with_no_index(project, settings, tmp_path, monkeypatch):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir(), second.mkdir()
    if not index_folder.exchange(first, second):
        pytest.skip("no renameat2(RENAME_EXCHANGE) here: the swap takes two renames")
    build_first(project, settings)
    before = project.index.stat().st_ino
    renamed = []
    real_replace = os.replace

    def replace(source, target):
        renamed.append({Path(source), Path(target)})
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", replace)
    build_index(project.settings(settings), rebuild=True, workers=1)
    assert [pair for pair in renamed if project.index in pair] == []
    assert project.index.stat().st_ino != before
    assert indexed_ids(project.index) == expected_ids(FIRST)
    assert project.siblings() == []


def test_leftovers_of_ours_are_removed_and_others_kept(project, settings, capsys):
    build_first(project, settings)
    ours = project.index.parent / "index.new-123-abcdef"
    ours.mkdir()
    (ours / MARKER_NAME).write_text("{}", encoding="utf-8")
    (ours / "MAIN_x.seg").write_bytes(b"0" * 100)
    empty = project.index.parent / "index.old-124-abcdef"
    empty.mkdir()
    # As an earlier version's killed rebuild left it: whoosh's files, no marker.
    earlier = project.index.parent / "index.new-k2j3h4g5"
    earlier.mkdir()
    (earlier / "_MAIN_1.toc").write_bytes(b"toc")
    someone_elses = project.index.parent / "index.new-mine"
    someone_elses.mkdir()
    (someone_elses / "plan.txt").write_text("x", encoding="utf-8")
    result = project.run_here(capsys, "index")
    assert result.returncode == 0
    assert one_line(result.stderr) == (
        f"bulletin: {project.index}: removed index.new-123-abcdef, index.new-k2j3h4g5, index.old-124-abcdef, "
        "left by an interrupted run"
    )
    assert project.siblings() == ["index.new-mine"]
    assert (someone_elses / "plan.txt").read_text(encoding="utf-8") == "x"


# ----------------------------------------------------------------------------- worker processes


def processes_with(text: str) -> list[int]:
    """Live processes whose command line holds the text (a zombie's command line is empty)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                if text.encode() in Path("/proc", entry, "cmdline").read_bytes():
                    found.append(int(entry))
            except OSError:
                continue
    return found


needs_two_workers = pytest.mark.skipif(
    (os.cpu_count() or 1) < 2 or not Path("/proc/self/cmdline").exists(),
    reason="needs two cores (bulletin index runs one worker per core) and /proc",
)


@needs_two_workers
def test_a_killed_worker_ends_the_run_in_one_line(project, settings, capsys):
    build_first(project, settings)
    project.add(*LATER)
    # Every worker kills itself as it starts to parse a file.
    result = project.run("index", fault="parse")
    assert result.returncode == 2
    assert one_line(result.stderr) == (
        "bulletin: a worker process of `bulletin index` died (killed, or out of memory); the index is as "
        "it was: run `bulletin index` again"
    )
    assert indexed_ids(project.index) == expected_ids(FIRST)
    assert project.run_here(capsys, "index").returncode == 0
    assert indexed_ids(project.index) == expected_ids(MANY)


@needs_two_workers
def test_workers_die_with_a_killed_parent(project, capsys):
    project.add(*MANY)
    result = project.run("index", "--rebuild", fault="workers-running")
    assert result.returncode == -signal.SIGKILL
    # The kernel kills them at once; the deadline only keeps a failing test from hanging.
    deadline = time.monotonic() + 20
    while processes_with(str(project.config)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_with(str(project.config)) == []
    again = project.run_here(capsys, "index")
    assert again.returncode == 0 and "removed index.new-" in one_line(again.stderr)
    assert indexed_ids(project.index) == expected_ids(MANY)


# ----------------------------------------------------------------------------- a busy, full, read-only or damaged index


@pytest.mark.parametrize("rebuild", [False, True])
def test_a_second_run_is_refused_while_one_holds_the_lock(project, settings, capsys, rebuild):
    build_first(project, settings)
    project.add(273)
    with (project.index.parent / ".index.lock").open("a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held.truncate(0)
        held.write("4242\n")
        held.flush()
        assert main(["--config", str(project.config), "index", *(["--rebuild"] if rebuild else [])]) == 2
    assert capsys.readouterr().err == (
        f"bulletin: {project.index}: another `bulletin index` is running on this folder (process 4242); "
        "wait for it to finish, then run again\n"
    )
    assert indexed_ids(project.index) == expected_ids(FIRST)
    assert project.siblings() == []


def test_two_runs_at_once_leave_one_index(project, settings):
    project.add(*MANY)
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "webui.cli", "--config", str(project.config), "index", "--rebuild"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outcomes = sorted((run.wait(timeout=120), run.communicate()[1]) for run in runs)
    # The second either found the first one running or started after it had finished.
    assert outcomes[0] == (0, "")
    if outcomes[1][0] != 0:
        assert outcomes[1][0] == 2
        assert one_line(outcomes[1][1]).startswith(
            f"bulletin: {project.index}: another `bulletin index` is running on this folder (process "
        )
    assert indexed_ids(project.index) == expected_ids(MANY)
    assert project.siblings() == []


def test_an_unwritable_cache_is_skipped_with_one_warning(project, capsys):
    project.add(270)
    project.cache.write_text("a file where the cache folder should be", encoding="utf-8")
    assert main(["--config", str(project.config), "index"]) == 0
    assert one_line(capsys.readouterr().err).startswith(
        f"bulletin: {project.cache}: cannot write the cache (File exists); indexing goes on without it"
    )
    assert indexed_ids(project.index) == expected_ids((270,))


def test_a_full_disk_is_one_line(project, settings, capsys, monkeypatch):
    build_first(project, settings)
    project.add(273)

    def disk_full(self):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self.storage.folder) + "/MAIN_x.seg")

    monkeypatch.setattr(SegmentBuilder, "finish", disk_full)
    for args in (["index"], ["index", "--rebuild"]):
        assert main(["--config", str(project.config), *args]) == 2
        line = one_line(capsys.readouterr().err)
        assert line.endswith(
            "MAIN_x.seg: No space left on device; the disk is full: free some space, then run the command again"
        )
    assert indexed_ids(project.index) == expected_ids(FIRST)
    assert project.siblings() == []


def mount_tmpfs(folder: Path, size: str) -> None:
    if os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root (CI runs as root)")
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")


@pytest.fixture
def small_disk(tmp_path):
    folder = tmp_path / "small-disk"
    yield folder
    # Lazily: a failed in-process build may still hold files open on it.
    subprocess.run(["umount", "--lazy", str(folder)], capture_output=True)


def test_a_really_full_disk_keeps_the_old_index(project, settings, small_disk):
    build_first(project, settings)
    # Room for one index of three issues, not for a second one beside it: sized from the index itself,
    # so the test holds whatever the index format costs.
    size = sum(path.stat().st_size for path in project.index.rglob("*") if path.is_file())
    mount_tmpfs(small_disk, f"{size * 3 // 2 // 1024 + 64}k")
    shutil.copytree(project.index, small_disk / "index")
    project.use_index(small_disk / "index")
    assert indexed_ids(project.index) == expected_ids(FIRST)
    result = project.run("index", "--rebuild")
    assert result.returncode == 2
    line = one_line(result.stderr)
    assert line.startswith(f"bulletin: {small_disk}/index")
    assert line.endswith(
        "No space left on device; the disk is full: free some space, then run the command again"
    )
    assert indexed_ids(project.index) == expected_ids(FIRST)
    assert project.siblings() == []


def test_a_read_only_index_folder_is_one_line(project, settings, small_disk, capsys):
    # Root may write anywhere, whatever the modes say: for root, the file system itself is read-only.
    as_root = os.geteuid() == 0
    if as_root:
        mount_tmpfs(small_disk, "8m")
        project.use_index(small_disk / "index")
    build_first(project, settings)
    project.add(273)
    if as_root:
        subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
        expected = "Read-only file system; the file system is read-only: choose a writable folder"
    else:
        project.index.chmod(0o555), project.index.parent.chmod(0o555)
        expected = "Permission denied; permission denied: give this user access"
    for args in (["index"], ["index", "--rebuild"]):
        result = project.run_here(capsys, *args)
        assert result.returncode == 2
        assert expected in one_line(result.stderr)
    assert indexed_ids(project.index) == expected_ids(FIRST)


@pytest.mark.parametrize("damage", ["truncated segment", "missing segment", "empty table of contents"])
def test_a_damaged_index_says_rebuild(project, settings, damage, capsys):
    build_first(project, settings)
    segment = next(project.index.glob("MAIN_*.seg"))
    if damage == "truncated segment":
        segment.write_bytes(segment.read_bytes()[: segment.stat().st_size // 2])
    elif damage == "missing segment":
        segment.unlink()
    else:
        next(project.index.glob("_MAIN_*.toc")).write_bytes(b"")
    # Found with nothing to add as well as with a new issue.
    for new_issue in (None, 273):
        if new_issue:
            project.add(new_issue)
        result = project.run_here(capsys, "index")
        assert result.returncode == 2
        line = one_line(result.stderr)
        assert line.startswith(f"bulletin: {project.index}: cannot be read (")
        assert line.endswith("); the index is damaged, run `bulletin index --rebuild`")
    rebuilt = project.run_here(capsys, "index", "--rebuild")
    assert (rebuilt.returncode, rebuilt.stderr) == (0, "")
    assert indexed_ids(project.index) == expected_ids((*FIRST, 273))


def test_a_flipped_byte_stops_bulletin_index_even_with_nothing_to_add(project, settings, capsys):
    build_first(project, settings)
    segment = max(project.index.glob("MAIN_*.seg"), key=lambda path: path.stat().st_size)
    data = bytearray(segment.read_bytes())
    data[len(data) // 2] ^= 0xFF
    segment.write_bytes(bytes(data))
    result = project.run_here(capsys, "index")
    assert result.returncode == 2
    assert one_line(result.stderr) == (
        f"bulletin: {segment}: checksum mismatch, the bytes on disk are not those written; "
        "the index is damaged, run `bulletin index --rebuild`"
    )
    rebuilt = project.run_here(capsys, "index", "--rebuild")
    assert (rebuilt.returncode, rebuilt.stderr) == (0, "")
    assert indexed_ids(project.index) == expected_ids(FIRST)


# ----------------------------------------------------------------------------- long random variants


@pytest.mark.slow_faults
def test_kills_at_random_moments_never_leave_a_half_written_index(project, settings):
    """`pytest -m slow_faults`: sixty kills at random moments of updates and rebuilds."""
    project.add(*MANY)
    build_index(project.settings(settings), workers=1)
    numbers = set(MANY)
    rng = random.Random(10)
    command = [sys.executable, "-m", "webui.cli", "--config", str(project.config), "index"]
    # Kills fall within a run of the kind started, however fast this machine runs them.
    durations = {}
    for kind in ([], ["--rebuild"]):
        started = time.perf_counter()
        subprocess.run([*command, *kind], cwd=ROOT, stderr=subprocess.DEVNULL, check=True)
        durations[bool(kind)] = time.perf_counter() - started
    killed = 0
    for round_number in range(60):
        before = sorted(numbers)
        if rng.random() < 0.6 or len(numbers) <= 3:
            number = rng.choice(sorted(set(range(270, 290)) - numbers))
            project.add(number)
            numbers.add(number)
        else:
            number = rng.choice(sorted(numbers))
            (project.archive / f"issue-{number}.txt").unlink()
            numbers.remove(number)
        rebuild = ["--rebuild"] if rng.random() < 0.4 else []
        process = subprocess.Popen([*command, *rebuild], cwd=ROOT, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.1, 0.9) * durations[bool(rebuild)])
        process.send_signal(signal.SIGKILL)
        killed += process.wait() == -signal.SIGKILL
        if project.index.exists():
            assert indexed_ids(project.index) in (expected_ids(before), expected_ids(numbers)), round_number
        finished = project.run("index")
        assert finished.returncode == 0, finished.stderr
        assert indexed_ids(project.index) == expected_ids(numbers)
        assert project.siblings() == []
        assert processes_with(str(project.config)) == []
    # Most runs were cut short, not killed after they had finished.
    assert killed >= 30
