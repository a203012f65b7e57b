"""Installed as a user installs it: the wheel in a fresh virtualenv, run from an empty folder."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from indexer.search import parse_request, search
from tests.conftest import ROOT

pytestmark = pytest.mark.install
SERVER_START_SECONDS = 60


def run(command: list, cwd: Path, env: dict) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read()


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, dict]:
    """The bin folder of a new virtualenv holding the wheel built from a copy of the sources, and an
    environment that points nowhere near the checkout."""
    base = tmp_path_factory.mktemp("install")
    # Built from a copy, so the checkout gets no build/ or egg-info, and only what pyproject ships counts.
    source = base / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for package in ("indexer", "webui"):
        shutil.copytree(ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "BULLETIN_CONFIG")}
    env.pop("VIRTUAL_ENV", None)
    run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", base / "dist", source], base, env
    )
    (wheel,) = (base / "dist").glob("bulletin_search-*.whl")
    run([sys.executable, "-m", "venv", base / "venv"], base, env)
    bin_dir = base / "venv" / "bin"
    run([bin_dir / "python", "-m", "pip", "install", "--quiet", wheel], base, env)
    return bin_dir, env


def test_installed_bulletin_indexes_searches_and_serves_from_an_empty_folder(
    installed, tmp_path, indexed_settings
):
    bin_dir, env = installed
    where = run(
        [bin_dir / "python", "-c", "import indexer, webui; print(indexer.__file__, webui.__file__)"],
        tmp_path,
        env,
    )
    assert all(Path(path).is_relative_to(bin_dir.parent) for path in where.split())

    folder = tmp_path / "empty"
    folder.mkdir()
    shutil.copytree(ROOT / "archive", folder / "A")
    summary = run([bin_dir / "bulletin", "index", "--archive", "A", "--index", "I"], folder, env)
    assert summary.startswith("added 1, updated 0, removed 0, unchanged 0, failed 0 issue files (1 parsed)")
    # The packaged defaults put the cache in ./var/cache of the folder the command ran in; the lock
    # file beside the index is index_folder.IndexLock's.
    assert sorted(path.name for path in folder.iterdir()) == [".I.lock", "A", "I", "var"]

    answer = json.loads(
        run([bin_dir / "bulletin", "search", "青科会", "--index", "I", "--json"], folder, env)
    )
    in_checkout = search(indexed_settings, parse_request({"q": ["青科会"]}, indexed_settings))
    assert answer == json.loads(json.dumps(in_checkout.to_dict(), ensure_ascii=False))
    assert answer["total"] == 6

    port = free_port()
    server = subprocess.Popen(
        [bin_dir / "bulletin", "serve", "--index", "I", "--port", str(port)],
        cwd=folder,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while True:
            try:
                status, page = fetch(f"http://127.0.0.1:{port}/")
                break
            except OSError:
                assert server.poll() is None, server.stderr.read().decode()
                assert time.monotonic() < deadline, "the server did not answer"
                time.sleep(0.2)
        assert status == 200 and b'href="/static/style.css' in page
        status, css = fetch(f"http://127.0.0.1:{port}/static/style.css")
        assert (status, css) == (200, (ROOT / "webui" / "static" / "style.css").read_bytes())
    finally:
        server.terminate()
        server.wait(timeout=10)
