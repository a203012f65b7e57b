"""jieba word segmentation: one tokenizer per domain, with the gazetteer and the bulletin's recurring
terms in its dictionary, reading only the part of jieba's dictionary that the texts it segments need."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import sqlite3
import stat
import string
import tempfile
import threading
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path

import jieba
from jieba import finalseg

from indexer.files import replacing
from indexer.settings import Domain

try:
    import rjieba
except ImportError:  # jieba alone segments the same, about five times slower
    rjieba = None

# jieba prints "Building prefix dict..." through its own logger at INFO on every process start.
jieba.setLogLevel(logging.WARNING)

# High enough that a place name beats the dictionary's words that contain it (瑞安市 over 安市).
USER_WORD_FREQUENCY = 200_000
JIEBA_FOLDER = Path(jieba.__file__).parent
JIEBA_DICTIONARY = JIEBA_FOLDER / "dict.txt"
JIEBA_IDF = JIEBA_FOLDER / "analyse" / "idf.txt"
STORE_FORMAT = "3"  # 2: the name table; 3: the tag table
# SQLite's default cap on bound parameters is far above this; batches keep each statement small.
LOOKUP_BATCH = 500
# Past this much text (or this many lookups in the store) a process is doing a bulk job, and loading
# the whole dictionary once costs less than fetching entries text by text. Sooner with rjieba, which
# the whole dictionary lets segment five times faster (about ten issues).
PARTIAL_TEXT_LIMIT = 100_000 if rjieba is not None else 400_000
PARTIAL_FETCH_LIMIT = 3_000
# Entries merged into FREQ per turn of the lock by a background read of the whole dictionary: a few
# milliseconds each, so no request's segmentation waits longer than that.
MERGE_SLICE = 20_000
# The same for the IDF table, counted in distinct words looked up.
PARTIAL_WORD_LIMIT = 30_000
# The store's folder: settings.cache_dir/jieba once use_cache_dir has been called (`bulletin index`
# and `bulletin serve` do), else a folder of this user's own in the temp folder.
STORE_FOLDER = "jieba"
_configured_folder: Path | None = None
# Characters jieba-rs segments as Chinese and jieba 0.42 does not (the CJK extensions, compatibility
# ideographs, the newest unified ones): jieba returns each as a word of its own.
BEYOND_JIEBA_HAN = re.compile("([\u3400-\u4dbf\u9fd6-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f])")
# jieba's re_han_default, as a set: a membership test per single-character word costs less than a match.
JIEBA_HAN_CHARACTERS = frozenset(
    [chr(code) for code in range(0x4E00, 0x9FD6)] + list(string.ascii_letters + string.digits + "+#&._%-")
)
# A word no text can hold (a private-use character jieba never joins to another), carrying the part of
# jieba's total that jieba-rs does not count: see RouteSegmenter.
BALLAST_WORD = "\ue000"


def domain_words(domain: Domain) -> tuple[str, ...]:
    words = [spelling for place in domain.places for spelling in place.spellings]
    words.extend(domain.departments)
    words.extend(domain.user_words)
    return tuple(dict.fromkeys(words))


def read_jieba_idf() -> dict[str, float]:
    # "word value" lines, split at C speed; a word listed twice keeps its last value, as in jieba.
    fields = JIEBA_IDF.read_text(encoding="utf-8").split()
    return {word: float(value) for word, value in zip(fields[0::2], fields[1::2], strict=True)}


def use_cache_dir(cache_dir: Path) -> None:
    """Keep the dictionary store in cache_dir/jieba: for this process and the workers it forks."""
    global _configured_folder
    folder = Path(cache_dir) / STORE_FOLDER
    if folder != _configured_folder:
        _configured_folder = folder
        dictionary_store.cache_clear()
        tokenizer_for_words.cache_clear()
        idf_table.cache_clear()


def store_folder() -> Path:
    return _configured_folder if _configured_folder is not None else _temp_folder()


def _temp_folder() -> Path:
    # Per user: a name shared by every user of the machine could be made first by any of them.
    return Path(tempfile.gettempdir()) / f"bulletin-jieba-{os.getuid()}"


def _private_folder(folder: Path) -> Path:
    """The folder, made if missing with only our own permissions; OSError unless it is a real folder
    of ours that no one else may write to (else anyone could put a dictionary of theirs in it)."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    _check_ours(folder, "folder")
    return folder


def _check_ours(path: Path, what: str) -> None:
    status = path.lstat()
    is_kind = stat.S_ISDIR(status.st_mode) if what == "folder" else stat.S_ISREG(status.st_mode)
    if not is_kind or status.st_uid != os.getuid() or status.st_mode & 0o022:
        raise PermissionError(
            f"{path}: not a {what} of this user's that only this user may write; "
            "the jieba dictionary store is not read from there (remove it, or set cache_dir in config.yaml)"
        )


class DictionaryStore:
    """jieba's prefix dictionary (FREQ and its total), its IDF table and the words it tags as person
    names, in a SQLite file in a folder of ours, keyed by the jieba version and the dictionary files
    it was made from."""

    def __init__(self, path: Path):
        self.path = path
        self._connection_pid: int | None = None
        self._open_connection: sqlite3.Connection | None = None
        self.total, self.median_idf = self._read_meta()

    @staticmethod
    def default_path() -> Path:
        stats = [(p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in (JIEBA_DICTIONARY, JIEBA_IDF)]
        key = repr((STORE_FORMAT, jieba.__version__, stats)).encode("utf-8")
        return store_folder() / f"bulletin-jieba-{hashlib.sha256(key).hexdigest()[:16]}.sqlite"

    @classmethod
    def open(cls, path: Path | None = None) -> DictionaryStore:
        """The store at path (by default the one for the installed jieba), written first if missing
        or unreadable. Raises OSError or sqlite3.Error when it can be neither read nor written."""
        path = path or cls.default_path()
        _private_folder(path.parent)
        if path.exists():
            _check_ours(path, "file")
        try:
            return cls(path)
        except sqlite3.Error:
            pass
        if cls.copy_from_temp_folder(path):
            try:
                return cls(path)
            except sqlite3.Error:
                pass
        cls.write(path)
        return cls(path)

    @staticmethod
    def copy_from_temp_folder(path: Path) -> bool:
        """Copy the store of the same name from this user's temp folder, if one is there and ours.

        A process without a cache_dir (build_index called directly, as the benchmark does) leaves its
        store there; the same name means the same tables, copied in milliseconds, not built in seconds.
        """
        source = _temp_folder() / path.name
        if source == path or not source.is_file():
            return False
        try:
            _check_ours(source.parent, "folder")
            _check_ours(source, "file")
        except OSError:
            return False
        with replacing(path) as temporary:
            shutil.copyfile(source, temporary)
        return True

    @staticmethod
    def write(path: Path) -> None:
        """Copy jieba's tables into a new file."""
        tokenizer = jieba.Tokenizer()
        tokenizer.initialize()
        idf = read_jieba_idf()
        values = sorted(idf.values())
        with replacing(path) as temporary:
            with sqlite3.connect(temporary) as connection:
                connection.executescript(
                    "CREATE TABLE meta (total INTEGER, median_idf REAL);"
                    "CREATE TABLE freq (word TEXT PRIMARY KEY, count INTEGER) WITHOUT ROWID;"
                    "CREATE TABLE idf (word TEXT PRIMARY KEY, value REAL) WITHOUT ROWID;"
                    "CREATE TABLE name (word TEXT PRIMARY KEY, count INTEGER) WITHOUT ROWID;"
                    "CREATE TABLE tag (word TEXT PRIMARY KEY, tag TEXT) WITHOUT ROWID;"
                )
                connection.execute(
                    "INSERT INTO meta VALUES (?, ?)", (tokenizer.total, values[len(values) // 2])
                )
                connection.executemany("INSERT INTO freq VALUES (?, ?)", tokenizer.FREQ.items())
                connection.executemany("INSERT INTO idf VALUES (?, ?)", idf.items())
                connection.executemany("INSERT INTO name VALUES (?, ?)", read_jieba_names().items())
                connection.executemany("INSERT INTO tag VALUES (?, ?)", read_jieba_tags().items())
            connection.close()

    def _connection(self) -> sqlite3.Connection:
        # Opened once per process and kept: a forked worker must not use its parent's connection,
        # and an open connection keeps reading even if a temp-folder cleaner deletes the file.
        # Callers serialize their lookups (PartialTokenizer holds a lock), so threads may share it.
        if self._connection_pid != os.getpid():
            self._open_connection = sqlite3.connect(
                f"{self.path.as_uri()}?mode=ro&immutable=1", uri=True, check_same_thread=False
            )
            self._connection_pid = os.getpid()
        return self._open_connection

    def _read_meta(self) -> tuple[int, float]:
        if not self.path.is_file():
            raise sqlite3.OperationalError(f"{self.path}: no such file")
        row = self._connection().execute("SELECT total, median_idf FROM meta").fetchone()
        if row is None:
            raise sqlite3.DatabaseError(f"{self.path}: empty")
        return row

    def lookup(self, table: str, keys: Iterable[str]) -> list[tuple[str, float]]:
        """The (key, value) rows of these keys that the table has."""
        keys, rows = list(keys), []
        connection = self._connection()
        for start in range(0, len(keys), LOOKUP_BATCH):
            batch = keys[start : start + LOOKUP_BATCH]
            marks = ",".join("?" * len(batch))
            rows += connection.execute(f"SELECT * FROM {table} WHERE word IN ({marks})", batch)
        return rows

    def everything(self, table: str) -> list[tuple[str, float]]:
        # On a connection of its own: a thread reading a whole table (PartialTokenizer's background
        # read) must not share the connection that other threads' lookups use meanwhile.
        connection = sqlite3.connect(f"{self.path.as_uri()}?mode=ro&immutable=1", uri=True)
        try:
            return connection.execute(f"SELECT * FROM {table}").fetchall()
        finally:
            connection.close()


class PartialTokenizer(jieba.Tokenizer):
    """A jieba.Tokenizer whose FREQ holds the dictionary entries of the texts it has been given
    (and the user words), fetched from a DictionaryStore before each text is segmented.

    jieba's dictionary is about 500,000 entries (its words and every prefix of them), and
    unmarshalling them takes about a second: most of the time of indexing one new issue or of
    starting the server. Segmenting a text only ever looks up substrings of it, so jieba sees the
    same entries for the text in hand as with its whole dictionary, and segments it the same way.
    Once a process has segmented enough text, the whole dictionary is loaded after all.

    FREQ stays one dict object throughout, filled in place, because callers keep a reference to it
    for sub-word lookups.
    """

    def __init__(self, store: DictionaryStore):
        super().__init__()
        self.store = store
        self.total = store.total
        self.initialized = True
        self.complete = False
        self._resolved: set[str] = set()
        self._text_seen = self._fetches = 0
        self._fetch_lock = threading.Lock()
        self._router: RouteSegmenter | None = None
        self._reading_whole: threading.Thread | None = None

    def add_words(self, words: Iterable[str], frequency: int) -> None:
        words = list(words)
        # add_word gives a prefix frequency 0 unless FREQ has it, so the prefixes must be there first.
        self._fetch({word[:end] for word in words for end in range(1, len(word) + 1)})
        for word in words:
            self.add_word(word, freq=frequency)

    def cut(self, sentence, cut_all=False, HMM=True, use_paddle=False):
        self.prepare(sentence)
        if self._router is not None and not cut_all:
            words = self._router.cut(sentence, HMM)
            if words is not None:
                return iter(words)
        return super().cut(sentence, cut_all, HMM, use_paddle)

    def prepare(self, text: str) -> None:
        """Make FREQ hold every dictionary entry that is a substring of text: all that jieba's
        get_DAG walk (and the HMM and search-mode checks) can look up while segmenting it."""
        if self.complete:
            return
        with self._fetch_lock:
            if self.complete:
                return
            self._text_seen += len(text)
            if (
                self._text_seen > PARTIAL_TEXT_LIMIT or self._fetches > PARTIAL_FETCH_LIMIT
            ) and self._reading_whole is None:
                self._load_everything()
                return
            frequencies, length = self.FREQ, len(text)
            starts = range(length)
            size = 1
            while starts:
                self._fetch({text[start : start + size] for start in starts} - self._resolved)
                # Like get_DAG, a start is extended while what it has so far is a dictionary prefix.
                starts = [s for s in starts if s + size < length and text[s : s + size] in frequencies]
                size += 1

    def _fetch(self, keys: set[str]) -> None:
        if not keys or self.complete:
            return
        try:
            rows = self.store.lookup("freq", keys)
        except sqlite3.Error as error:
            self._load_everything(jiebas_own_entries(error))
            return
        frequencies = self.FREQ
        for word, count in rows:
            frequencies.setdefault(word, count)
        self._resolved |= keys
        self._fetches += 1

    def read_whole_in_background(self) -> None:
        """Read the whole dictionary in a thread of its own, merging it into FREQ a slice at a time,
        while segmentation goes on fetching what each text needs. A server starts this at once:
        otherwise the request that crosses a partial limit reads the dictionary itself, holding the
        lock every other request's segmentation waits on. With a new index generation being prepared
        beside it, that read took 8.6 s at 2,700 issues (bench.serving), four requests waiting on it."""
        with self._fetch_lock:
            if self.complete or self._reading_whole is not None:
                return
            self._reading_whole = threading.Thread(
                target=self._read_whole, name="jieba-dictionary", daemon=True
            )
            self._reading_whole.start()

    def _read_whole(self) -> None:
        try:
            rows = self._whole_rows()
            for start in range(0, len(rows), MERGE_SLICE):
                with self._fetch_lock:
                    self._merge(rows[start : start + MERGE_SLICE])
            # Read without the lock: FREQ now holds every entry of the store, so fetches only find
            # entries it has, and no other thread changes its size while the router reads it.
            router = self._route_segmenter()
            with self._fetch_lock:
                self._finish(router)
        except Exception as error:  # noqa: BLE001 - a background thread; the lock path loads it instead
            logging.getLogger(__name__).warning("reading jieba's dictionary in the background: %s", error)
            with self._fetch_lock:
                self._reading_whole = None

    def _load_everything(self, rows: list[tuple[str, int]] | None = None) -> None:
        """The whole dictionary (the store's rows unless given) at once, by the thread holding the lock."""
        self._merge(self._whole_rows() if rows is None else rows)
        self._finish(self._route_segmenter())

    def _whole_rows(self) -> list[tuple[str, int]]:
        try:
            return self.store.everything("freq")
        except sqlite3.Error as error:
            return jiebas_own_entries(error)

    def _merge(self, rows: Iterable[tuple[str, int]]) -> None:
        frequencies = self.FREQ
        for word, count in rows:
            frequencies.setdefault(word, count)

    def _route_segmenter(self) -> RouteSegmenter | None:
        return None if rjieba is None else RouteSegmenter(self.FREQ, self.total)

    def _finish(self, router: RouteSegmenter | None) -> None:
        self.complete = True
        self._resolved = set()
        self._router = router


def jiebas_own_entries(error: sqlite3.Error) -> list[tuple[str, int]]:
    """The store failed mid-way (deleted or damaged under a running process): the whole dictionary
    from jieba itself, the same entries."""
    logging.getLogger(__name__).warning("jieba dictionary store failed (%s); loading it whole", error)
    whole = jieba.Tokenizer()
    whole.initialize()
    return list(whole.FREQ.items())


class RouteSegmenter:
    """jieba's segmentation of a text from jieba-rs (rjieba), word for word, about five times faster.

    jieba-rs finds the same route through the same dictionary (the same DAG, the same log-probability
    sums, ties to the longer word), so it is given jieba's very entries and total. It differs from
    jieba in two places, so it is asked for the route alone (no HMM) and the rest is jieba's own:
    its Chinese character class is wider (those characters are split off first, as jieba returns
    them alone), and its HMM breaks ties and splits letters and digits otherwise (2021-2025, 科国国国创).
    The runs of single characters the route leaves go through jieba's finalseg as in jieba's __cut_DAG.
    """

    def __init__(self, frequencies: dict[str, int], total: int):
        self.frequencies = frequencies
        self.engine = rjieba.Jieba.empty()
        add, added = self.engine.add_word, 0
        for word, count in frequencies.items():
            if count:  # jieba's zero entries are prefixes, which its route never takes
                add(word, count, None)
                added += count
        # jieba's total counts a word as often as it was added (dict.txt lists B超 twice, user words
        # may be there already); jieba-rs counts a word once. The total weighs every word of a route.
        if total > added:
            add(BALLAST_WORD, total - added, None)

    def route_words(self, text: str) -> list[str]:
        """jieba's words without the HMM (cut(HMM=False))."""
        if not BEYOND_JIEBA_HAN.search(text):
            return self.engine.cut(text, False)
        words: list[str] = []
        for index, piece in enumerate(BEYOND_JIEBA_HAN.split(text)):
            if index % 2:
                words.append(piece)
            elif piece:
                words += self.engine.cut(piece, False)
        return words

    def cut(self, text: str, hmm: bool) -> list[str] | None:
        """jieba's words, or None where the route cannot be read back from them: a run of letters or
        digits that is also a dictionary word may be one step of the route or several."""
        words = self.route_words(text)
        if not hmm:
            return words
        frequencies, han = self.frequencies, JIEBA_HAN_CHARACTERS
        result: list[str] = []
        pending = ""  # single-character steps of the route, as jieba's __cut_DAG collects them
        for word in words:
            if len(word) == 1:
                if word in han:
                    pending += word
                    continue
            elif word.isascii() and word.isalnum():
                # Without the HMM jieba joins single letters and digits; a dictionary word may be one step.
                if frequencies.get(word):
                    return None
                pending += word
                continue
            if pending:
                self._add_unjoined(pending, result)
                pending = ""
            result.append(word)
        if pending:
            self._add_unjoined(pending, result)
        return result

    def _add_unjoined(self, run: str, result: list[str]) -> None:
        if len(run) == 1:
            result.append(run)
        elif self.frequencies.get(run):
            result += run
        elif finalseg.Force_Split_Words:  # jieba's del_word changes what its HMM returns
            result += finalseg.cut(run)
        else:
            result += hmm_words(run)


@lru_cache(maxsize=1 << 16)
def hmm_words(run: str) -> tuple[str, ...]:
    """jieba's HMM words of a run of characters its dictionary leaves unjoined; the same runs (names,
    terms it does not know) come back article after article."""
    return tuple(finalseg.cut(run))


class IdfTable:
    """jieba's IDF values for the words asked about, from the store; the whole table once a process
    has asked about many words."""

    def __init__(self, store: DictionaryStore):
        self.store = store
        self.median = store.median_idf
        self.values: dict[str, float] = {}
        self.complete = False
        self._resolved: set[str] = set()

    def prepare(self, words: Iterable[str]) -> None:
        if self.complete:
            return
        unknown = set(words) - self._resolved
        try:
            if len(self._resolved) + len(unknown) <= PARTIAL_WORD_LIMIT:
                self.values.update(self.store.lookup("idf", unknown))
                self._resolved |= unknown
                return
            whole = self.store.everything("idf")
        except sqlite3.Error as error:
            logging.getLogger(__name__).warning("jieba IDF store failed (%s); reading it whole", error)
            whole = read_jieba_idf()
        self.values.update(whole)
        self.complete = True
        self._resolved = set()


class FullIdfTable:
    """jieba's IDF table read whole from its package data, for when the store is unavailable."""

    def __init__(self):
        self.values = read_jieba_idf()
        ordered = sorted(self.values.values())
        self.median = ordered[len(ordered) // 2]

    def prepare(self, words: Iterable[str]) -> None:
        pass


@lru_cache(maxsize=1)
def dictionary_store() -> DictionaryStore | None:
    try:
        return DictionaryStore.open()
    except (OSError, sqlite3.Error) as error:
        logging.getLogger(__name__).warning(
            "jieba dictionary store unavailable (%s); loading it whole", error
        )
        return None


@lru_cache(maxsize=8)
def tokenizer_for_words(words: tuple[str, ...]) -> jieba.Tokenizer:
    """A private jieba.Tokenizer, so the global one (and other users of jieba) stay untouched."""
    store = dictionary_store()
    if store is None:
        tokenizer = jieba.Tokenizer()
        tokenizer.initialize()
        for word in words:
            tokenizer.add_word(word, freq=USER_WORD_FREQUENCY)
        return tokenizer
    tokenizer = PartialTokenizer(store)
    tokenizer.add_words(words, USER_WORD_FREQUENCY)
    return tokenizer


def tokenizer_for(domain: Domain) -> jieba.Tokenizer:
    return tokenizer_for_words(domain_words(domain))


def read_dictionary_ahead(domain: Domain) -> None:
    """For a process that runs on (a server): the domain's tokenizer reads jieba's whole dictionary in
    the background now, rather than a request reading it once enough distinct text has come."""
    tokenizer = tokenizer_for(domain)
    if isinstance(tokenizer, PartialTokenizer):
        tokenizer.read_whole_in_background()


def jieba_dictionary_lines() -> Iterator[tuple[str, str, str]]:
    """(word, count, tag) of each line of jieba's dictionary file."""
    with open(JIEBA_DICTIONARY, encoding="utf-8") as dictionary:
        for line in dictionary:
            word, count, tag = (line.split() + ["", ""])[:3]
            yield word, count, tag


def read_jieba_names() -> dict[str, int]:
    """The words jieba's dictionary tags as person names (nr, nrfg, nrt), with their counts."""
    return {word: int(count) for word, count, tag in jieba_dictionary_lines() if tag.startswith("nr")}


def read_jieba_tags() -> dict[str, str]:
    """Each word of jieba's dictionary with its part-of-speech tag (a word listed twice: its last)."""
    return {word: tag for word, _, tag in jieba_dictionary_lines()}


def dictionary_tags(words: Iterable[str]) -> dict[str, str]:
    """jieba's part-of-speech tag of each of the words its dictionary holds, looked up in the store.
    Reading the dictionary file for them instead holds the GIL 150-200 ms at a time (measured while a
    server prepares a new generation, pausing its requests); jieba.posseg would load the whole
    dictionary again with its tagger (118 MB more for a server over 2,700 issues, and 1-4 s)."""
    store = dictionary_store()
    if store is None:
        wanted = set(words)
        return {word: tag for word, tag in read_jieba_tags().items() if word in wanted}
    return dict(store.lookup("tag", words))


@lru_cache(maxsize=1)
def _names_read_whole() -> frozenset[str]:
    return frozenset(read_jieba_names())


@lru_cache(maxsize=1 << 16)
def is_dictionary_name(word: str) -> bool:
    """Whether jieba's dictionary tags the word as a person's name: one lookup in the store, not the
    1-2 s of reading the whole tagged dictionary (as jieba.posseg does) in every worker."""
    store = dictionary_store()
    if store is None:
        return word in _names_read_whole()
    return bool(store.lookup("name", [word]))


@lru_cache(maxsize=1)
def idf_table() -> IdfTable | FullIdfTable:
    store = dictionary_store()
    return FullIdfTable() if store is None else IdfTable(store)
