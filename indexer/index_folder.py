"""The index folder as ours alone: the marker that claims it, the lock held while writing it, and the
swap of a rebuilt index that leaves a complete index (the old one or the new one) at every instant.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import json
import os
import re
import secrets
import shutil
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from indexer.engine import index_exists
from indexer.errors import FolderNotAnIndex, IndexBusy

MARKER_NAME = "bulletin-index.json"
MANIFEST_NAME = "bulletin-manifest.json"
AT_FDCWD = -100
RENAME_EXCHANGE = 2
# How often, and how far apart, a run turned away looks for the lock holder's process id.
HOLDER_READS = 20
HOLDER_READ_PAUSE = 0.01

Warn = Callable[[str], None]


def fault_point(name: str) -> None:
    """Dies here, as a power cut or `kill -9` would, when BULLETIN_FAULT_POINT names this point.

    Only the fault tests (tests/test_faults.py) set it.
    """
    if os.environ.get("BULLETIN_FAULT_POINT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


def is_marked(folder: Path) -> bool:
    return (folder / MARKER_NAME).is_file()


def mark(folder: Path) -> None:
    (folder / MARKER_NAME).write_text(
        json.dumps({"bulletin-search": "index folder; `bulletin index` may replace it whole"}) + "\n",
        encoding="utf-8",
    )


def is_complete(folder: Path) -> bool:
    """A build writes the manifest last and its removal deletes it first (see remove_our_folder)."""
    return is_marked(folder) and (folder / MANIFEST_NAME).is_file()


def built_by_earlier_version(folder: Path) -> bool:
    """Before the marker existed, an index folder held a whoosh index and our manifest."""
    return (folder / MANIFEST_NAME).is_file() and index_exists(folder)


def check_ours(index_dir: Path) -> None:
    """Raises FolderNotAnIndex unless the folder is absent, empty, or an index of ours."""
    if not index_dir.exists() and not index_dir.is_symlink():
        return
    if not index_dir.is_dir():
        raise FolderNotAnIndex(
            f"{index_dir}: not a folder; point --index (or index_dir in config.yaml) at a new folder"
        )
    if is_marked(index_dir) or built_by_earlier_version(index_dir) or not any(index_dir.iterdir()):
        return
    raise FolderNotAnIndex(
        f"{index_dir}: this folder holds files that are not a bulletin index, and `bulletin index` "
        "replaces its index folder whole; point --index (or index_dir in config.yaml) at a new folder"
    )


def claim(index_dir: Path) -> None:
    """Marks an index folder of ours that has no marker yet (empty, or built by an earlier version)."""
    check_ours(index_dir)
    if index_dir.is_dir() and not is_marked(index_dir):
        mark(index_dir)


def check_apart(archive_dir: Path, index_dir: Path) -> None:
    """The index must neither hold the archive nor sit inside it (its files would be read as issues)."""
    archive, index = archive_dir.resolve(), index_dir.resolve()
    if index == archive or index in archive.parents or archive in index.parents:
        raise FolderNotAnIndex(
            f"{index_dir}: the index folder would hold or sit inside the archive folder {archive_dir}; "
            "point --index (or index_dir in config.yaml) at a folder apart from it"
        )


class IndexLock:
    """One `bulletin index` at a time per index folder: an flock on `.<name>.lock` beside the folder.

    Beside it, not in it, because a rebuild replaces the folder. The kernel drops an flock when its
    holder dies, so a killed run never leaves the folder locked. The file itself stays: deleting a
    lock file lets a third run lock a new file while a second still holds the old one.
    """

    def __init__(self, index_dir: Path):
        self.index_dir = index_dir
        self.path = index_dir.parent / f".{index_dir.name}.lock"
        self.handle = None

    def __enter__(self) -> IndexLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = lock_holder(handle)
            handle.close()
            raise IndexBusy(
                f"{self.index_dir}: another `bulletin index` is running on this folder"
                + (f" (process {holder})" if holder.isdigit() else "")
                + "; wait for it to finish, then run again"
            ) from None
        handle.truncate(0)
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self.handle = handle
        return self

    def __exit__(self, *exception) -> None:
        self.handle.close()


def lock_holder(handle: TextIO) -> str:
    """The process id the lock's holder wrote. It writes it just after taking the lock, so a run that
    comes in between sees an empty file for a moment: look again briefly before giving up on it."""
    for _ in range(HOLDER_READS):
        handle.seek(0)
        holder = handle.read().strip()
        if holder:
            return holder
        time.sleep(HOLDER_READ_PAUSE)
    return ""


def new_sibling(index_dir: Path, kind: str) -> Path:
    """An empty folder `<name>.<kind>-<pid>-<random>` beside the index, made with the user's umask."""
    path = index_dir.with_name(f"{index_dir.name}.{kind}-{os.getpid()}-{secrets.token_hex(3)}")
    path.mkdir()
    return path


def leftover_siblings(index_dir: Path) -> list[Path]:
    """`<name>.new-*` and `<name>.old-*` folders of ours: marked, empty, or an earlier version's."""
    pattern = re.compile(re.escape(index_dir.name) + r"\.(?:new|old)-.+")
    if not index_dir.parent.is_dir():
        return []
    found = []
    for path in sorted(index_dir.parent.iterdir()):
        if not pattern.fullmatch(path.name) or path.is_symlink() or not path.is_dir():
            continue
        if is_marked(path) or index_exists(path) or not any(path.iterdir()):
            found.append(path)
    return found


def remove_our_folder(folder: Path) -> None:
    """Deletes an index folder of ours: the manifest first (so a half-deleted folder is never taken for
    a complete index), the marker last (so a half-deleted folder is still known as ours)."""
    (folder / MANIFEST_NAME).unlink(missing_ok=True)
    for path in folder.iterdir():
        if path.name == MARKER_NAME:
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    (folder / MARKER_NAME).unlink(missing_ok=True)
    folder.rmdir()


def recover(index_dir: Path, warn: Warn) -> None:
    """Finishes what an interrupted run left, and says so in one line: with no index in place, puts a
    complete one there (the new one of a swap cut between its two renames, else the old one), and
    removes the other leftover folders. Call it holding the IndexLock: no other run uses them then."""
    leftovers = leftover_siblings(index_dir)
    if not leftovers:
        return
    done = []
    if not index_dir.exists() and not index_dir.is_symlink():
        complete = [p for p in leftovers if is_complete(p)]
        if complete:
            chosen = max(complete, key=lambda p: (".new-" in p.name, (p / MANIFEST_NAME).stat().st_mtime_ns))
            os.replace(chosen, index_dir)
            leftovers.remove(chosen)
            done.append(f"put in place the index from {chosen.name}")
    for folder in leftovers:
        remove_our_folder(folder)
    if leftovers:
        done.append("removed " + ", ".join(folder.name for folder in leftovers))
    warn(f"{index_dir}: " + "; ".join(done) + ", left by an interrupted run")


def exchange(first: Path, second: Path) -> bool:
    """Swaps two folders in one step (Linux renameat2 RENAME_EXCHANGE); False where the system or the
    file system has no such call."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    if renameat2(AT_FDCWD, os.fsencode(first), AT_FDCWD, os.fsencode(second), RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(second))


def swap_in(new_dir: Path, index_dir: Path) -> None:
    """Puts a complete new index in the old one's place. Where folders can be exchanged in one step,
    the index folder is never missing, even for a moment; elsewhere it takes two renames. Killed at
    any point, the next run finds a complete index: at its name, or in `.new-*` or `.old-*`, from
    where recover puts it in place."""
    if index_dir.exists() and exchange(new_dir, index_dir):
        # Killed here, `.new-*` holds the old index: complete and ours, the next run removes it.
        fault_point("swap-after-exchange")
        with contextlib.suppress(OSError):  # the new index is in place; the next run removes the old
            remove_our_folder(new_dir)
        return
    old_dir = None
    if index_dir.exists():
        old_dir = new_sibling(index_dir, "old")
        # rename(2) replaces an empty folder, so the old index takes the name made just above.
        os.replace(index_dir, old_dir)
        fault_point("swap-between-renames")
    os.replace(new_dir, index_dir)
    fault_point("swap-after-renames")
    if old_dir is not None:
        with contextlib.suppress(OSError):
            remove_our_folder(old_dir)
