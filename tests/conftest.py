"""Shared fixtures: the real seed issue, the settings, and the fixture archive under tests/data/."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
SEED = next((ROOT / "archive").glob("温州科协信息-2022年第5期-总第270期.txt"))


@pytest.fixture(scope="session")
def settings():
    return load_settings(ROOT / "config.yaml")


@pytest.fixture(scope="session")
def domain(settings):
    return settings.domain


@pytest.fixture(scope="session")
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")
