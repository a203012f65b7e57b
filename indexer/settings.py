"""One typed settings object built from config.yaml, shared by the indexer, the CLI and the web app."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

CONFIG_ENV = "BULLETIN_CONFIG"
DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "config.yaml"


class SettingsError(ValueError):
    """config.yaml is missing, malformed, or holds a value of the wrong type."""


@dataclass(frozen=True)
class Place:
    """A county-level division or functional zone: its official name and the short forms people write."""

    name: str
    aliases: tuple[str, ...]
    is_zone: bool = False

    @property
    def spellings(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class Domain:
    """Facts about the publication that the parser and analyzer need, and nothing about files."""

    publication: str
    places: tuple[Place, ...]
    department_pattern: str
    departments: tuple[str, ...] = ()
    user_words: tuple[str, ...] = ()
    keyword_stopwords: tuple[str, ...] = ()

    def place_by_spelling(self) -> dict[str, str]:
        """Every spelling (official or short) mapped to the official name."""
        return {spelling: place.name for place in self.places for spelling in place.spellings}

    def canonical_place(self, spelling: str) -> str | None:
        return self.place_by_spelling().get(spelling.strip())

    def is_department(self, text: str) -> bool:
        return re.fullmatch(self.department_pattern, text) is not None


@dataclass(frozen=True)
class SearchSettings:
    max_query_length: int = 200
    default_per_page: int = 20
    max_per_page: int = 100


@dataclass(frozen=True)
class WebSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    cors_origins: tuple[str, ...] = ()
    # waitress: worker threads, open connections at most, seconds an idle connection is kept.
    threads: int = 8
    connection_limit: int = 200
    channel_timeout: int = 30
    csv_max_rows: int = 10_000


@dataclass(frozen=True)
class Settings:
    domain: Domain
    archive_dir: Path
    index_dir: Path
    cache_dir: Path
    search: SearchSettings = field(default_factory=SearchSettings)
    web: WebSettings = field(default_factory=WebSettings)
    config_path: Path | None = None

    def with_overrides(self, **changes) -> Settings:
        """A copy with command-line flags applied; None means "not given"."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def _require(mapping: dict, key: str, kind: type, where: str):
    value = mapping.get(key)
    if not isinstance(value, kind):
        raise SettingsError(f"{where}: '{key}' must be a {kind.__name__}, got {value!r}")
    return value


def _places(raw: object, is_zone: bool, where: str) -> list[Place]:
    if raw is None:
        return []
    if not isinstance(raw, dict):
        raise SettingsError(f"{where}: must map official names to lists of short forms")
    places = []
    for name, aliases in raw.items():
        aliases = aliases or []
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise SettingsError(f"{where}: short forms of {name} must be a list of strings")
        places.append(Place(str(name), tuple(aliases), is_zone))
    return places


def _string_list(raw: dict, key: str, where: str) -> tuple[str, ...]:
    value = raw.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SettingsError(f"{where}: '{key}' must be a list of strings")
    return tuple(value)


def _section(raw: dict, key: str, cls, where: str, tuples: tuple[str, ...] = ()):
    values = raw.get(key) or {}
    if not isinstance(values, dict):
        raise SettingsError(f"{where}: '{key}' must be a mapping")
    known = cls.__dataclass_fields__
    unknown = set(values) - set(known)
    if unknown:
        raise SettingsError(f"{where}: unknown keys in '{key}': {', '.join(sorted(unknown))}")
    defaults = cls()
    for name, value in values.items():
        expected = type(getattr(defaults, name))
        if name in tuples:
            value = tuple(value or ())
        elif not isinstance(value, expected):
            raise SettingsError(f"{where}: '{key}.{name}' must be a {expected.__name__}")
        values[name] = value
    return cls(**values)


def load_settings(path: str | os.PathLike | None = None) -> Settings:
    """Read config.yaml (the given path, else $BULLETIN_CONFIG, else the project's own)."""
    config_path = Path(path or os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG).resolve()
    where = str(config_path)
    try:
        raw = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    except OSError as error:
        raise SettingsError(f"{where}: cannot read: {error.strerror}") from error
    except yaml.YAMLError as error:
        raise SettingsError(f"{where}: not valid YAML: {error}") from error
    if not isinstance(raw, dict):
        raise SettingsError(f"{where}: must be a mapping")

    publication = _require(raw, "publication", dict, where)
    pattern = _require(raw, "department_pattern", str, where)
    try:
        re.compile(pattern)
    except re.error as error:
        raise SettingsError(f"{where}: department_pattern is not a regular expression: {error}") from error
    domain = Domain(
        publication=_require(publication, "name", str, where),
        places=tuple(_places(raw.get("counties"), False, where) + _places(raw.get("zones"), True, where)),
        department_pattern=pattern,
        departments=_string_list(raw, "departments", where),
        user_words=_string_list(raw, "user_words", where),
        keyword_stopwords=_string_list(raw, "keyword_stopwords", where),
    )
    base = config_path.parent
    return Settings(
        domain=domain,
        archive_dir=base / _require(raw, "archive_dir", str, where),
        index_dir=base / _require(raw, "index_dir", str, where),
        cache_dir=base / _require(raw, "cache_dir", str, where),
        search=_section(raw, "search", SearchSettings, where),
        web=_section(raw, "web", WebSettings, where, tuples=("cors_origins",)),
        config_path=config_path,
    )
