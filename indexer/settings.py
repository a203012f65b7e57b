"""One typed settings object built from config.yaml, shared by the indexer, the CLI and the web app.

The file is found by --config, else $BULLETIN_CONFIG, else ./config.yaml, else the defaults packaged
with the code; every value is checked when it is loaded.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

import yaml

from indexer.normalize import normalize_query

CONFIG_ENV = "BULLETIN_CONFIG"
CONFIG_NAME = "config.yaml"
# The Wenzhou settings, shipped inside the package so an installed `bulletin` works from any folder;
# tests/test_settings.py holds it byte for byte equal to the repository's config.yaml.
PACKAGED_CONFIG = Path(__file__).resolve().parent / "default_config.yaml"
PACKAGED_ORIGIN = "packaged defaults"


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


def synonym_term(text: str) -> str:
    """A synonym term as query units reach the expansion: normalized as query text is, Latin in lower case."""
    return normalize_query(text).lower()


def _bounded(default, low: int | None = None, high: int | None = None):
    """A settings field whose value must lie in [low, high]; checked by load_settings."""
    return field(default=default, metadata={"range": (low, high)})


@dataclass(frozen=True)
class SearchSettings:
    max_query_length: int = _bounded(200, 1)
    default_per_page: int = _bounded(20, 1)
    max_per_page: int = _bounded(100, 1)
    log_zero_results: bool = True


@dataclass(frozen=True)
class WebSettings:
    host: str = "127.0.0.1"
    port: int = _bounded(8000, 1, 65535)
    cors_origins: tuple[str, ...] = ()
    # waitress: worker threads, open connections at most, seconds an idle connection is kept.
    threads: int = 16  # measured: see config.yaml
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
    # Groups of terms that mean the same to readers, normalized as query text is; applied at query
    # time only, so not in the Domain (whose fingerprint decides when the index is rewritten).
    synonyms: tuple[tuple[str, ...], ...] = ()
    config_path: Path | None = None
    # How config_path was found: "--config", "$BULLETIN_CONFIG", "./config.yaml" or "packaged defaults".
    config_origin: str = ""

    def with_overrides(self, **changes) -> Settings:
        """A copy with command-line flags applied; None means "not given"."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def synonym_groups(self) -> dict[str, tuple[str, ...]]:
        """Each synonym term mapped to its whole group (itself included), in the order of the file."""
        return {term: group for group in self.synonyms for term in group}


@dataclass(frozen=True)
class ConfigSource:
    path: Path
    origin: str
    base: Path  # the folder that relative paths in the file resolve against


def locate_config(path: str | os.PathLike | None = None) -> ConfigSource:
    """The settings file to use: the given path, $BULLETIN_CONFIG, ./config.yaml, the packaged defaults."""
    for given, origin in ((path, "--config"), (os.environ.get(CONFIG_ENV), f"${CONFIG_ENV}")):
        if given:
            found = Path(given).resolve()
            return ConfigSource(found, origin, found.parent)
    local = Path.cwd() / CONFIG_NAME
    if local.is_file():
        return ConfigSource(local, f"./{CONFIG_NAME}", local.parent)
    # The packaged file's paths (archive, var/index) mean folders of the site, not of the package.
    return ConfigSource(PACKAGED_CONFIG, PACKAGED_ORIGIN, Path.cwd())


TOP_LEVEL_KEYS = (
    "publication",
    "archive_dir",
    "index_dir",
    "cache_dir",
    "counties",
    "zones",
    "department_pattern",
    "departments",
    "user_words",
    "keyword_stopwords",
    "synonyms",
    "search",
    "web",
)
PUBLICATION_KEYS = ("name", "publisher")
MAX_SYNONYM_LENGTH = 40
TYPE_NAMES = {
    bool: "true or false",
    str: "a string",
    int: "a whole number",
    float: "a number",
    dict: "a mapping",
    tuple: "a list",
}


class _Reader:
    """Checks one loaded YAML document, raising SettingsError with the file and the key at fault."""

    def __init__(self, where: str):
        self.where = where

    def fail(self, key: str, problem: str) -> SettingsError:
        return SettingsError(f"{self.where}: {key}: {problem}")

    def reject_unknown(self, mapping: dict, known: tuple[str, ...], prefix: str = "") -> None:
        for key in mapping:
            if key not in known:
                close = difflib.get_close_matches(str(key), known, n=1)
                hint = f"did you mean '{close[0]}'?" if close else "known keys: " + ", ".join(known)
                raise self.fail(f"{prefix}{key}", f"unknown key; {hint}")

    def value(self, mapping: dict, key: str, kind: type, name: str | None = None, required: bool = True):
        name = name or key
        value = mapping.get(key)
        if value is None and not required:
            return None
        # YAML reads yes/no as booleans, and bool is an int to Python: neither is a port number.
        wrong_int = kind in (int, float) and isinstance(value, bool)
        if wrong_int or not isinstance(value, (int, float) if kind is float else kind):
            raise self.fail(name, f"must be {TYPE_NAMES.get(kind, kind.__name__)}, got {value!r}")
        return value

    def mapping(self, raw: dict, key: str) -> dict:
        value = raw.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(key, f"must be a mapping, got {value!r}")
        return value

    def strings(self, value, name: str) -> tuple[str, ...]:
        # A string where a list belongs would otherwise be read one character per item.
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self.fail(name, f"must be a list of strings, got {value!r}")
        return tuple(value)

    def synonyms(self, value) -> tuple[tuple[str, ...], ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            raise self.fail(
                "synonyms", f"must be a list of groups such as [青科会, 世界青年科学家峰会], got {value!r}"
            )
        # A term in two groups is refused rather than the groups merged: merging would make every
        # term of one group match every term of the other, an equivalence nobody wrote down (科协 in
        # a group with 科学技术协会 and in one with 中国科协 would make those two the same).
        group_of: dict[str, int] = {}
        groups = []
        for number, group in enumerate(value):
            name = f"synonyms[{number}]"
            if not isinstance(group, list):
                raise self.fail(
                    name, f"must be a list of terms such as [青科会, 世界青年科学家峰会], got {group!r}"
                )
            if len(group) < 2:
                raise self.fail(name, f"a group needs at least 2 terms, got {group!r}")
            terms = [self.synonym(term, f"{name}[{place}]") for place, term in enumerate(group)]
            for place, term in enumerate(terms):
                if term in terms[:place]:
                    raise self.fail(f"{name}[{place}]", f"{term} is already in this group")
                if term in group_of:
                    raise self.fail(
                        f"{name}[{place}]",
                        f"{term} is already in synonyms[{group_of[term]}]; a term belongs to one group, "
                        "so put these terms into that group",
                    )
                group_of[term] = number
            groups.append(tuple(terms))
        return tuple(groups)

    def synonym(self, term, name: str) -> str:
        if not isinstance(term, str):
            raise self.fail(name, f"must be a string, got {term!r}")
        normalized = synonym_term(term)
        if not normalized:
            raise self.fail(name, "must not be empty")
        if len(normalized) > MAX_SYNONYM_LENGTH:
            raise self.fail(
                name, f"must be at most {MAX_SYNONYM_LENGTH} characters, got {len(normalized)}: {term!r}"
            )
        return normalized

    def places(self, raw: dict, key: str, is_zone: bool) -> list[Place]:
        places = []
        for name, aliases in self.mapping(raw, key).items():
            if not isinstance(name, str):
                raise self.fail(f"{key}.{name}", "the official name must be a string")
            places.append(Place(name, self.strings(aliases, f"{key}.{name}"), is_zone))
        return places

    def section(self, raw: dict, key: str, cls):
        values = self.mapping(raw, key)
        known = tuple(item.name for item in fields(cls))
        self.reject_unknown(values, known, prefix=f"{key}.")
        defaults, checked = cls(), {}
        for item in fields(cls):
            if item.name not in values:
                continue
            name, expected = f"{key}.{item.name}", type(getattr(defaults, item.name))
            if expected is tuple:
                checked[item.name] = self.strings(values[item.name], name)
                continue
            value = self.value(values, item.name, expected, name)
            low, high = item.metadata.get("range", (None, None))
            if (low is not None and value < low) or (high is not None and value > high):
                bounds = f"from {low} to {high}" if high is not None else f"at least {low}"
                raise self.fail(name, f"must be {bounds}, got {value!r}")
            checked[item.name] = value
        return cls(**checked)


def load_settings(path: str | os.PathLike | None = None) -> Settings:
    """Read and check the settings file (see locate_config for which one)."""
    source = locate_config(path)
    where = str(source.path)
    try:
        raw = yaml.safe_load(source.path.read_text(encoding="utf-8"))
    except OSError as error:
        raise SettingsError(f"{where}: cannot read: {error.strerror}") from error
    except yaml.YAMLError as error:
        raise SettingsError(f"{where}: not valid YAML: {error}") from error
    if not isinstance(raw, dict):
        raise SettingsError(f"{where}: must be a mapping of settings")
    read = _Reader(where)
    read.reject_unknown(raw, TOP_LEVEL_KEYS)

    publication = read.value(raw, "publication", dict)
    read.reject_unknown(publication, PUBLICATION_KEYS, prefix="publication.")
    read.value(publication, "publisher", str, "publication.publisher", required=False)
    pattern = read.value(raw, "department_pattern", str)
    try:
        re.compile(pattern)
    except re.error as error:
        raise read.fail("department_pattern", f"not a regular expression: {error}") from error
    domain = Domain(
        publication=read.value(publication, "name", str, "publication.name"),
        places=tuple(read.places(raw, "counties", False) + read.places(raw, "zones", True)),
        department_pattern=pattern,
        departments=read.strings(raw.get("departments"), "departments"),
        user_words=read.strings(raw.get("user_words"), "user_words"),
        keyword_stopwords=read.strings(raw.get("keyword_stopwords"), "keyword_stopwords"),
    )
    search = read.section(raw, "search", SearchSettings)
    if search.default_per_page > search.max_per_page:
        raise read.fail(
            "search.default_per_page",
            f"must be at most search.max_per_page ({search.max_per_page}), got {search.default_per_page}",
        )
    return Settings(
        domain=domain,
        archive_dir=source.base / read.value(raw, "archive_dir", str),
        index_dir=source.base / read.value(raw, "index_dir", str),
        cache_dir=source.base / read.value(raw, "cache_dir", str),
        search=search,
        web=read.section(raw, "web", WebSettings),
        synonyms=read.synonyms(raw.get("synonyms")),
        config_path=source.path,
        config_origin=source.origin,
    )
