"""Shared fixtures: the real seed issue, the settings, and the fixture archive under tests/data/."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from indexer.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
SEED = next((ROOT / "archive").glob("温州科协信息-2022年第5期-总第270期.txt"))


def seed_workspace(folder: Path) -> Path:
    """The config.yaml of a workspace in folder: archive/ holding the seed issue, the index and cache inside."""
    archive = folder / "archive"
    archive.mkdir()
    shutil.copy(SEED, archive / SEED.name)
    config = folder / "config.yaml"
    text = (ROOT / "config.yaml").read_text(encoding="utf-8")
    config.write_text(
        text.replace("index_dir: var/index", "index_dir: idx").replace(
            "cache_dir: var/cache", "cache_dir: cache"
        ),
        encoding="utf-8",
    )
    return config


@pytest.fixture(scope="session")
def settings():
    return load_settings(ROOT / "config.yaml")


@pytest.fixture(scope="session")
def domain(settings):
    return settings.domain


@pytest.fixture(scope="session")
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def indexed_settings(tmp_path_factory, settings):
    """Settings whose index holds the repo's archive/ (the real issue), built once per test session."""
    from indexer.build import build_index

    base = tmp_path_factory.mktemp("seed-index")
    indexed = settings.with_overrides(
        archive_dir=ROOT / "archive", index_dir=base / "index", cache_dir=base / "cache"
    )
    report = build_index(indexed, rebuild=True)
    assert report.failed == [] and report.added == ["270"]
    return indexed


@pytest.fixture(scope="session")
def app(indexed_settings):
    """The web app over the seed index (webui.create_app), shared by the web tests."""
    from webui.app import create_app

    return create_app(indexed_settings)


@pytest.fixture
def client(app):
    return app.test_client()


BACKGROUND_THREADS = ("index-tables", "index-generation", "index-retired")


def finish_background_work() -> None:
    """Waits for the engines' background threads (a generation's preparation, an update's opening, a
    retired generation let go): a test that patches what they call must not see another test's."""
    for thread in threading.enumerate():
        if thread.name in BACKGROUND_THREADS:
            thread.join()


@pytest.fixture(autouse=True)
def no_background_work_left():
    yield
    finish_background_work()
