"""The benchmark in one command: generate archives, then time jieba alone, each alternative and our engine.

    python -m bench.run [--sizes 270,2700] [--engines whoosh,fts5,tantivy,ours] [--quick]

For each size: generate the archive (bench/work/, git-ignored), parse it once (bench.corpus), then in
separate child processes, so each peak is its own: segment all text with jieba once (the floor), and
for each engine build an index and run the query mix against it. Prints markdown tables and writes
bench/results/results-<size>.json.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import pickle
import platform
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from importlib import metadata
from pathlib import Path
from urllib.parse import urlencode

import yaml

from bench import alternatives, corpus, generate, mixed_load, readings, vocabulary

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "work"
RESULTS = ROOT / "bench" / "results"
DEFAULT_SIZES = (270, 2700)
QUICK_SIZE = 30
DEFAULT_ENGINES = ("whoosh", "fts5", "tantivy", "ours")
LABELS = {
    "whoosh": alternatives.WhooshEngine.name,
    "fts5": alternatives.Fts5Engine.name,
    "tantivy": alternatives.TantivyEngine.name,
    "ours": "ours (indexer.build + indexer.search)",
}


# ==== Hook points for our own engine ==========================================================
# build_ours and query_ours call indexer.build.build_index and indexer.search.search. While those
# modules cannot be imported they raise alternatives.Unavailable, and the row is skipped with a
# "not available yet" note. Our engine reads and parses the archive itself, so its build time includes
# extraction, parsing and keyword extraction, which the alternatives get for free (see README).
#
# Besides the build and the query mix, ours gets three serving rows (bench_ours_extra):
#   - adding one new issue to the built index: bench.generate writes issue size + 1 into the archive,
#     then a fresh process runs build_index(settings) without rebuild (add_ours);
#   - HTTP throughput and latency of /api/search under `bulletin serve --index DIR`, loaded from a
#     second process with bench.load (127.0.0.1 only, fixed concurrency, bounded count and time);
#   - the serving process's peak memory (VmHWM from /proc/<pid>/status after the load);
#   - then bench.mixed_load from another process: a load that does not repeat itself, per page type.


@functools.lru_cache(maxsize=4)
def ours_settings(archive_dir: Path, index_dir: Path):
    try:
        from indexer.settings import load_settings
    except ImportError as error:
        raise alternatives.Unavailable(str(error)) from error
    return load_settings().with_overrides(
        archive_dir=Path(archive_dir), index_dir=Path(index_dir), cache_dir=ours_cache_dir(index_dir)
    )


def ours_cache_dir(index_dir: Path) -> Path:
    return Path(index_dir).with_name(Path(index_dir).name + "-cache")


def build_ours(archive_dir: Path, index_dir: Path) -> dict:
    """A cold full build of our index from the archive folder; returns what build_index reported."""
    try:
        from indexer.build import build_index
    except ImportError as error:
        raise alternatives.Unavailable(str(error)) from error
    shutil.rmtree(ours_cache_dir(index_dir), ignore_errors=True)
    report = build_index(ours_settings(Path(archive_dir), Path(index_dir)), rebuild=True)
    return {
        "issues": len(report.added),
        "failed_files": len(report.failed),
        "first_failure": " ".join(report.failed[0]) if report.failed else None,
    }


def add_ours(archive_dir: Path, index_dir: Path) -> dict:
    """An incremental build_index over an archive holding one issue more than the index."""
    try:
        from indexer.build import build_index
    except ImportError as error:
        raise alternatives.Unavailable(str(error)) from error
    report = build_index(ours_settings(Path(archive_dir), Path(index_dir)))
    return {
        "build_index_seconds": report.seconds,
        "added": report.added,
        "updated": report.updated,
        "removed": report.removed,
        "parsed_files": report.parsed_files,
        "failed": [" ".join(failure) for failure in report.failed],
    }


def query_ours(
    index_dir: Path, q: str, county=None, date_from=None, date_to=None, archive_dir: Path | None = None
) -> alternatives.QueryResult:
    """One search through the same function the CLI and the web app use, 10 hits, with facets."""
    try:
        from indexer.search import engine_for, parse_request, search
    except ImportError as error:
        raise alternatives.Unavailable(str(error)) from error
    settings = ours_settings(Path(archive_dir or index_dir), Path(index_dir))
    # Every timed search starts cold: our engine caches results and substring matches, and the
    # timed passes repeat the same queries, which would otherwise measure only the cache.
    engine_for(settings).clear_caches()
    params = {"q": [q], "per_page": [str(alternatives.TOP)]}
    for name, value in (("county", county), ("date_from", date_from), ("date_to", date_to)):
        if value:
            params[name] = [value]
    result = search(settings, parse_request(params, settings))
    facets = {
        name: {f.value: f.count for f in result.facets.get(name, ())} for name in ("county", "department")
    }
    return result.total, [hit.id for hit in result.hits], facets


class OursEngine:
    """Our engine behind the alternatives' interface; build() reads the archive, not the docs."""

    def __init__(self, index_dir: Path, archive_dir: Path | None):
        self.index_dir, self.archive_dir = Path(index_dir), archive_dir

    def build(self, docs=None) -> dict:
        return build_ours(self.archive_dir, self.index_dir)

    def query(self, q, county=None, date_from=None, date_to=None) -> alternatives.QueryResult:
        return query_ours(self.index_dir, q, county, date_from, date_to, self.archive_dir)

    def settle(self) -> None:
        """Waits for the engine's background threads (index-tables: the tables a generation's
        queries share, prepared after the first search; index-generation: a newer index opening)."""
        for thread in threading.enumerate():
            if thread.name in ("index-tables", "index-generation"):
                thread.join()


# ==== The query mix ===========================================================================


def query_mix(seed: int, seed_text: str) -> list[dict]:
    """The same queries at every size: the bulletin's own terms, dictionary words the realistic
    vocabulary draws often and seldom, generated people and places at ranks of their pools' skew,
    phrases, and filters by county and date; every one asks for facet counts.

    In 270 issues (10,145 articles) they match from about 4,700 articles (科技) down to 2 (the name of
    rank 1,000)."""
    gen = generate.make_generator(seed, seed_text)
    names = gen.names
    company = generate.company_short_name(gen.companies[40])
    nouns = gen.dictionary.pools[("noun", 2)].commonest()
    mix = [
        ("common word", "科技", {}),
        ("common word", "青科会", {}),
        ("common word", "科创中国", {}),
        ("common word", "孵化器", {}),
        ("two words", "科普 乡村", {}),
        ("dictionary word, rank 10", nouns[10], {}),
        ("dictionary word, rank 1000", nouns[1000], {}),
        ("rare: company", company, {}),
        ("rare: seed word", "魔方", {}),
        ("name, most common", names[0], {}),
        ("name, rank 60", names[60], {}),
        ("name, rank 1000", names[1000], {}),
        ("place, rank 10", gen.place.items[10], {}),
        ("phrase", '"试点城市建设"', {}),
        ("phrase", '"科技教育活动乡村行"', {}),
        ("word + county", "科技", {"county": "瑞安市"}),
        ("word + rare county", "青科会", {"county": "洞头区"}),
        # Date windows inside the first 30 issues (2005-01 to 2007-06), so --quick finds something too.
        ("word + dates", "科技", {"date_from": "2006-01-01", "date_to": "2007-06-30"}),
        ("name + dates", names[0], {"date_from": "2005-01-01", "date_to": "2005-12-31"}),
        (
            "word + county + dates",
            "科创中国",
            {"county": "乐清市", "date_from": "2005-06-01", "date_to": "2015-12-31"},
        ),
        ("phrase + county", '"试点城市建设"', {"county": "苍南县"}),
    ]
    return [{"label": label, "args": {"q": q, **filters}} for label, q, filters in mix]


# ==== Child processes =========================================================================


def run_child(args: list[str], log: Path) -> dict:
    """`python -m bench.alternatives ARGS` in its own process: exit code, wall time, its peak RSS."""
    started = time.perf_counter()
    with log.open("w", encoding="utf-8") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "bench.alternatives", *args], cwd=ROOT, stderr=stderr
        )
        # wait4 gives this child's own rusage (itself and the children it reaped, e.g. a worker pool):
        # ru_maxrss is the largest single process's peak, in KiB on Linux.
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    return {
        "exit": process.returncode,
        "wall_seconds": time.perf_counter() - started,
        "peak_mb": usage.ru_maxrss / 1024,
        "log": log.read_text(encoding="utf-8").strip(),
    }


def last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def bench_engine(engine: str, work: Path, archive: Path, docs_path: Path, queries: Path, repeat: int) -> dict:
    index = work / f"index-{engine}"
    build_out, query_out = work / f"build-{engine}.json", work / f"query-{engine}.json"
    common = ["--index", str(index), "--archive", str(archive)]
    build = run_child(
        ["build", engine, *common, "--docs", str(docs_path), "--out", str(build_out)],
        work / f"build-{engine}.log",
    )
    if build["exit"] == alternatives.UNAVAILABLE_EXIT:
        print(f"  {engine}: not available yet — {last_line(build['log'])}", file=sys.stderr)
        return {"available": False, "note": last_line(build["log"])}
    if build["exit"] != 0:
        print(f"  {engine}: build failed — {last_line(build['log'])}", file=sys.stderr)
        return {"available": True, "error": f"build: {last_line(build['log'])}"}
    built = json.loads(build_out.read_text(encoding="utf-8"))
    print(f"  {engine}: built in {built['seconds']:.1f}s, peak {build['peak_mb']:.0f} MB", file=sys.stderr)
    query = run_child(
        [
            "query",
            engine,
            *common,
            "--queries",
            str(queries),
            "--repeat",
            str(repeat),
            "--out",
            str(query_out),
        ],
        work / f"query-{engine}.log",
    )
    row = {
        "available": True,
        "build_seconds": built["seconds"],
        "build_peak_mb": build["peak_mb"],
        "index_mb": built["index_bytes"] / 1e6,
        "build_info": {k: v for k, v in built.items() if k not in ("seconds", "index_bytes")},
    }
    if query["exit"] != 0:
        print(f"  {engine}: queries failed — {last_line(query['log'])}", file=sys.stderr)
        return row | {"error": f"query: {last_line(query['log'])}"}
    answered = json.loads(query_out.read_text(encoding="utf-8"))
    print(
        f"  {engine}: queries p50 {answered['p50_ms']:.1f} ms, p95 {answered['p95_ms']:.1f} ms",
        file=sys.stderr,
    )
    return row | {
        "query_p50_ms": answered["p50_ms"],
        "query_p95_ms": answered["p95_ms"],
        "query_calls": answered["calls"],
        "query_peak_mb": query["peak_mb"],
        "queries": answered["queries"],
    }


# ==== Ours only: one new issue, and serving over HTTP =========================================

LOAD_CONCURRENCY = 4
LOAD_SECONDS = 20.0
LOAD_MAX_REQUESTS = 20_000
SERVER_START_SECONDS = 120.0


def bench_add_issue(
    size: int,
    seed: int,
    seed_text: str,
    work: Path,
    archive: Path,
    generator_vocabulary: str = generate.DEFAULT_VOCABULARY,
) -> dict:
    """Write issue size + 1 into the archive and time an incremental build of ours in a fresh process."""
    (path,) = generate.generate(
        size + 1, seed, archive, seed_text, first=size + 1, vocabulary=generator_vocabulary
    )
    out = work / "add-ours.json"
    common = ["--index", str(work / "index-ours"), "--archive", str(archive)]
    child = run_child(["add", "ours", *common, "--out", str(out)], work / "add-ours.log")
    if child["exit"] != 0:
        print(f"  ours: adding one issue failed — {last_line(child['log'])}", file=sys.stderr)
        return {"file": path.name, "error": last_line(child["log"])}
    added = json.loads(out.read_text(encoding="utf-8"))
    expected = [str(size + 1)]
    row = {
        "file": path.name,
        "process_seconds": child["wall_seconds"],
        "peak_mb": child["peak_mb"],
        **added,
        "expected_added": expected,
        "as_expected": added["added"] == expected and added["parsed_files"] == 1,
    }
    print(
        f"  ours: one new issue in {added['build_index_seconds']:.2f}s (process {child['wall_seconds']:.2f}s), "
        f"added {added['added']}, parsed {added['parsed_files']} file(s)",
        file=sys.stderr,
    )
    return row


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve_config(work: Path, archive: Path, index: Path) -> Path:
    """config.yaml with the folders pointed at this size's bench folders (absolute, so they need no base)."""
    config = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    config.update(archive_dir=str(archive), index_dir=str(index), cache_dir=str(ours_cache_dir(index)))
    path = work / "serve-config.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def wait_until_serving(process: subprocess.Popen, base: str) -> float:
    """Seconds until GET /api/stats answers 200; raises if the server exits or never answers."""
    started = time.perf_counter()
    while time.perf_counter() - started < SERVER_START_SECONDS:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode} before answering")
        try:
            with urllib.request.urlopen(f"{base}/api/stats", timeout=5) as response:
                if response.status == 200:
                    return time.perf_counter() - started
        except OSError:
            pass  # not listening yet
        time.sleep(0.2)
    raise RuntimeError(f"no answer from {base}/api/stats within {SERVER_START_SECONDS:.0f}s")


def peak_rss_mb(pid: int) -> float | None:
    """VmHWM, the process's peak resident set so far, from /proc (Linux)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def search_urls(base: str, mix: list[dict]) -> list[str]:
    return [
        f"{base}/api/search?" + urlencode({**query["args"], "per_page": alternatives.TOP}) for query in mix
    ]


def bench_serving(work: Path, archive: Path, mix: list[dict]) -> dict:
    """`bulletin serve` on ours' index, loaded by bench.load from another process over the query mix."""
    index = work / "index-ours"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # The `bulletin` console script when the project is installed; the same main() through -m otherwise.
    script = Path(sys.executable).with_name("bulletin")
    command = [
        *([str(script)] if script.exists() else [sys.executable, "-m", "webui.cli"]),
        "--config",
        str(serve_config(work, archive, index)),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--index",
        str(index),
    ]
    log = work / "serve-ours.log"
    with log.open("w", encoding="utf-8") as server_log:
        server = subprocess.Popen(command, cwd=ROOT, stdout=server_log, stderr=subprocess.STDOUT)
        try:
            ready_seconds = wait_until_serving(server, base)
            load = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "bench.load",
                    *search_urls(base, mix),
                    "--concurrency",
                    str(LOAD_CONCURRENCY),
                    "--duration",
                    str(LOAD_SECONDS),
                    "--max-requests",
                    str(LOAD_MAX_REQUESTS),
                ],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=False,
            )
            peak_mb = peak_rss_mb(server.pid)
            mixed = bench_mixed_load(base)
        except RuntimeError as error:
            print(f"  ours: serving failed — {error}", file=sys.stderr)
            return {"error": str(error), "log": last_line(log.read_text(encoding="utf-8"))}
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    if load.returncode != 0:
        print(f"  ours: HTTP load failed — {last_line(load.stderr)}", file=sys.stderr)
        return {"error": f"load: {last_line(load.stderr)}", "server_peak_mb": peak_mb}
    loaded = json.loads(load.stdout)
    print(
        f"  ours: HTTP {loaded['throughput_rps']:.0f} req/s, p50 {fmt(loaded['p50_ms'])} ms, "
        f"p95 {fmt(loaded['p95_ms'])} ms, {loaded['errors']} errors, server peak {fmt(peak_mb, 0)} MB",
        file=sys.stderr,
    )
    return {"ready_seconds": ready_seconds, "server_peak_mb": peak_mb, **loaded, "mixed": mixed}


def bench_mixed_load(base: str) -> dict:
    """bench.mixed_load against the running server, in its own process, with its default 8 clients for 30 s."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.mixed_load", base],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        print(f"  ours: mixed load failed — {last_line(done.stderr)}", file=sys.stderr)
        return {"error": last_line(done.stderr)}
    mixed = json.loads(done.stdout)
    print(
        f"  ours: mixed load {mixed['throughput_rps']:.0f} req/s, p95 {fmt(mixed['p95_ms'])} ms, "
        f"{mixed['errors']} errors",
        file=sys.stderr,
    )
    return mixed


def bench_readings(work: Path, archive: Path, seed: int, repeat: int) -> dict:
    """bench.readings in its own process on ours' index: each kind of query reading, timed cold."""
    out = work / "readings-ours.json"
    command = [
        sys.executable,
        "-m",
        "bench.readings",
        "--archive",
        str(archive),
        "--index",
        str(work / "index-ours"),
    ]
    with (work / "readings-ours.log").open("w", encoding="utf-8") as log:
        done = subprocess.run(
            [*command, "--out", str(out), "--seed", str(seed), "--repeat", str(repeat)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=log,
            check=False,
        )
    if done.returncode != 0:
        note = last_line((work / "readings-ours.log").read_text(encoding="utf-8"))
        print(f"  ours: timing the query readings failed — {note}", file=sys.stderr)
        return {"error": note}
    return json.loads(out.read_text(encoding="utf-8"))


def run_bulletin(config: Path, *args: str) -> dict:
    """`bulletin --config CONFIG ARGS` in a fresh process: exit code, wall seconds, CPU seconds (user and
    system, its worker processes included) and its last line of output."""
    from bench.serving import bulletin_command

    started = time.perf_counter()
    process = subprocess.Popen(
        [*bulletin_command(config), *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    process.stdout.close()
    return {
        "exit": process.returncode,
        "wall_seconds": time.perf_counter() - started,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "summary": last_line(output),
    }


def process_cpu_seconds(pid: int) -> float | None:
    """User and system CPU seconds a running process has used so far (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def first_search_answer(config: Path, query: str) -> dict:
    """`bulletin serve` started in a fresh process, asked /api/search for query every 20 ms until it
    answers 200: seconds from the start, and the CPU seconds the server had used by then."""
    from bench.serving import bulletin_command

    port = free_port()
    url = f"http://127.0.0.1:{port}/api/search?" + urlencode({"q": query, "per_page": alternatives.TOP})
    started = time.perf_counter()
    server = subprocess.Popen(
        [*bulletin_command(config), "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while time.perf_counter() - started < SERVER_START_SECONDS and server.poll() is None:
            try:
                with urllib.request.urlopen(url, timeout=SERVER_START_SECONDS) as response:
                    if response.status == 200:
                        return {
                            "seconds": time.perf_counter() - started,
                            "cpu_seconds": process_cpu_seconds(server.pid),
                        }
            except OSError:
                time.sleep(0.02)  # not listening yet
        return {"error": f"no answer within {SERVER_START_SECONDS:.0f}s (exit {server.poll()})"}
    finally:
        server.terminate()
        server.wait(30)


def bench_whole_processes(
    size: int,
    seed: int,
    seed_text: str,
    work: Path,
    archive: Path,
    generator_vocabulary: str = generate.DEFAULT_VOCABULARY,
) -> dict:
    """What a user waits for, each a fresh `bulletin` process on its own index and an empty cache folder:
    `index --rebuild` of the archive, `index` adding issue size + 2 to it, and `serve` until its first
    answer to a search."""
    index = work / "index-cli"
    shutil.rmtree(index, ignore_errors=True)
    shutil.rmtree(ours_cache_dir(index), ignore_errors=True)
    config = serve_config(work, archive, index)
    rebuild = run_bulletin(config, "index", "--rebuild")
    generate.generate(size + 2, seed, archive, seed_text, first=size + 2, vocabulary=generator_vocabulary)
    add = run_bulletin(config, "index")
    first_answer = first_search_answer(config, "科技")
    print(
        f"  ours, whole processes: rebuild {rebuild['wall_seconds']:.1f}s (CPU {rebuild['cpu_seconds']:.1f}s), "
        f"one new issue {add['wall_seconds']:.2f}s (CPU {add['cpu_seconds']:.2f}s), serve to first answer "
        f"{fmt(first_answer.get('seconds'), 2)}s",
        file=sys.stderr,
    )
    return {"rebuild": rebuild, "add_one_issue": add, "serve_first_answer": first_answer}


def bench_ours_extra(
    size: int,
    seed: int,
    seed_text: str,
    work: Path,
    archive: Path,
    mix: list[dict],
    repeat: int,
    generator_vocabulary: str = generate.DEFAULT_VOCABULARY,
) -> dict:
    """Time the query readings and serve the index of `size` issues first, then add one issue to it
    (the archive then holds size + 1); then the whole `bulletin` processes on an index of their own."""
    return {
        "readings": bench_readings(work, archive, seed, repeat),
        "http": bench_serving(work, archive, mix),
        "add_one_issue": bench_add_issue(size, seed, seed_text, work, archive, generator_vocabulary),
        "whole_processes": bench_whole_processes(size, seed, seed_text, work, archive, generator_vocabulary),
    }


def vocabulary_suffix(vocabulary: str) -> str:
    """The old generator's results and work folders are kept apart from the realistic ones."""
    return "" if vocabulary == generate.DEFAULT_VOCABULARY else f"-{vocabulary}"


def bench_size(
    size: int,
    engines: list[str],
    seed: int,
    seed_text: str,
    repeat: int,
    generator_vocabulary: str = generate.DEFAULT_VOCABULARY,
) -> dict:
    work = WORK / f"size-{size}{vocabulary_suffix(generator_vocabulary)}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    archive = work / "archive"
    print(f"== {size} issues ({work})", file=sys.stderr)

    started = time.perf_counter()
    paths = generate.generate(size, seed, archive, seed_text, vocabulary=generator_vocabulary)
    generate_seconds = time.perf_counter() - started
    started = time.perf_counter()
    docs = corpus.load_archive(archive)
    parse_seconds = time.perf_counter() - started
    docs_path = work / "docs.pickle"
    docs_path.write_bytes(pickle.dumps(docs, protocol=pickle.HIGHEST_PROTOCOL))
    queries = work / "queries.json"
    mix = query_mix(seed, seed_text)
    queries.write_text(json.dumps(mix, ensure_ascii=False, indent=1), encoding="utf-8")
    print(
        f"  generated in {generate_seconds:.1f}s, parsed {len(docs)} articles in {parse_seconds:.1f}s",
        file=sys.stderr,
    )
    started = time.perf_counter()
    terms = vocabulary.measure(docs)
    print(
        f"  distinct terms counted in {time.perf_counter() - started:.1f}s: "
        f"{terms['points'][-1]['bigrams']:,} bigrams, {terms['points'][-1]['words']:,} words",
        file=sys.stderr,
    )

    floor_out = work / "tokenize.json"
    floor = run_child(["tokenize", "--docs", str(docs_path), "--out", str(floor_out)], work / "tokenize.log")
    if floor["exit"] != 0:
        raise SystemExit(f"jieba tokenizing failed: {last_line(floor['log'])}")
    tokenized = json.loads(floor_out.read_text(encoding="utf-8"))
    print(f"  jieba alone: {tokenized['seconds']:.1f}s, peak {floor['peak_mb']:.0f} MB", file=sys.stderr)

    engine_rows = {
        engine: bench_engine(engine, work, archive, docs_path, queries, repeat) for engine in engines
    }
    ours = engine_rows.get("ours", {})
    if ours.get("available") and "build_seconds" in ours:
        ours.update(bench_ours_extra(size, seed, seed_text, work, archive, mix, repeat, generator_vocabulary))

    return {
        "size": size,
        "seed": seed,
        "archive": {
            "issues": len(paths),
            "bytes": sum(p.stat().st_size for p in paths),
            "articles": len(docs),
            "features": sum(d["kind"] == "feature" for d in docs),
            "briefs": sum(d["kind"] == "brief" for d in docs),
            "chars": tokenized["chars"],
        },
        "generate_seconds": generate_seconds,
        "generator_vocabulary": generator_vocabulary,
        "parse_seconds": parse_seconds,
        "vocabulary": terms,
        "jieba": {
            "seconds": tokenized["seconds"],
            "tokens": tokenized["tokens"],
            "chars_per_second": tokenized["chars"] / tokenized["seconds"],
            "peak_mb": floor["peak_mb"],
        },
        "query_repeat": repeat,
        "engines": engine_rows,
    }


# ==== Report ==================================================================================


def fmt(value, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def ratio(row: dict, jieba_row: dict) -> float | None:
    seconds = row.get("build_seconds")
    return None if seconds is None else seconds / jieba_row["seconds"]


def ours_extra_markdown(ours: dict) -> list[str]:
    """Ours' rows the alternatives do not have: one new issue, and serving /api/search over HTTP."""
    lines = ["| ours, updating and serving | value |", "| --- | ---: |", *whole_process_rows(ours)]
    add = ours.get("add_one_issue", {})
    if "error" in add:
        lines.append(f"| one new issue | failed: {add['error']} |")
    elif add:
        check = "as expected" if add["as_expected"] else f"expected {add['expected_added']}"
        lines += [
            f"| one new issue: build_index s (incremental, {add['file']}) | {fmt(add['build_index_seconds'], 2)} |",
            f"| one new issue: whole fresh process s (Python, imports, jieba start-up) | {fmt(add['process_seconds'], 2)} |",
            f"| one new issue: added, parsed files | {add['added']}, {add['parsed_files']} ({check}) |",
        ]
    http = ours.get("http", {})
    if "error" in http:
        lines.append(f"| HTTP /api/search | failed: {http['error']} |")
    elif http:
        lines += [
            f"| HTTP /api/search: {http['concurrency']} clients, {http['seconds']:.0f} s, requests/s | "
            f"{fmt(http['throughput_rps'])} |",
            f"| HTTP /api/search: p50 / p95 ms | {fmt(http['p50_ms'], 2)} / {fmt(http['p95_ms'], 2)} |",
            f"| HTTP /api/search: requests, errors | {http['requests']:,}, {http['errors']} |",
            f"| HTTP server peak MB (VmHWM after the load) | {fmt(http['server_peak_mb'], 0)} |",
        ]
        mixed = http.get("mixed")
        if mixed:
            failed = "error" in mixed
            lines += ["", f"Mixed load failed: {mixed['error']}" if failed else mixed_load.markdown(mixed)]
    return lines


def whole_process_rows(ours: dict) -> list[str]:
    runs = ours.get("whole_processes")
    if not runs:
        return []
    rows = []
    for key, label in (
        ("rebuild", "`bulletin index --rebuild`, fresh process, empty cache: wall s (CPU s)"),
        ("add_one_issue", "`bulletin index` adding one issue, fresh process: wall s (CPU s)"),
    ):
        run = runs[key]
        note = "" if run["exit"] == 0 else f" (exit {run['exit']}: {run['summary']})"
        rows.append(f"| {label} | {fmt(run['wall_seconds'], 2)} ({fmt(run['cpu_seconds'], 2)}){note} |")
    first = runs["serve_first_answer"]
    label = "`bulletin serve`, from its start to its first answer to a search: s (server CPU s)"
    if "error" in first:
        rows.append(f"| {label} | failed: {first['error']} |")
    else:
        rows.append(f"| {label} | {fmt(first['seconds'], 2)} ({fmt(first['cpu_seconds'], 2)}) |")
    return rows


def markdown(result: dict) -> str:
    archive, jieba_row = result["archive"], result["jieba"]
    lines = [
        f"### {result['size']} issues: {archive['articles']:,} articles "
        f"({archive['features']:,} features, {archive['briefs']:,} briefs), "
        f"{archive['chars'] / 1e6:.1f} M characters, {archive['bytes'] / 1e6:.1f} MB of text, "
        f"{result.get('generator_vocabulary', 'seed')} vocabulary",
        "",
        f"Generated in {result['generate_seconds']:.1f} s; parsed (bench.corpus) in {result['parse_seconds']:.1f} s. "
        f"Queries: {result['query_repeat']} timed passes over the mix after one warm-up.",
        "",
        "Distinct terms, each a posting list in an index (bench.vocabulary; words are jieba.cut's):",
        "",
        *vocabulary.markdown(result["vocabulary"]),
        "",
        "| engine | build s | × floor | build peak MB | index MB | query p50 ms | query p95 ms | query peak MB |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| jieba.cut over all text, once (floor) | {fmt(jieba_row['seconds'])} | 1.0 | "
        f"{fmt(jieba_row['peak_mb'], 0)} | – | – | – | – |",
    ]
    for engine, row in result["engines"].items():
        label = LABELS.get(engine, engine)
        if not row.get("available"):
            lines.append(f"| {label} | not available yet | | | | | | |")
            continue
        note = f" ({row['error']})" if "error" in row else ""
        failed = row.get("build_info", {}).get("failed_files")
        if failed:
            note += f" ({failed} files failed to index: {row['build_info']['first_failure']})"
        lines.append(
            f"| {label}{note} | {fmt(row.get('build_seconds'))} | {fmt(ratio(row, jieba_row), 2)} | "
            f"{fmt(row.get('build_peak_mb'), 0)} | "
            f"{fmt(row.get('index_mb'))} | {fmt(row.get('query_p50_ms'), 2)} | "
            f"{fmt(row.get('query_p95_ms'), 2)} | {fmt(row.get('query_peak_mb'), 0)} |"
        )
    ours = result["engines"].get("ours", {})
    if "http" in ours or "add_one_issue" in ours:
        lines += ["", *ours_extra_markdown(ours)]
    if ours.get("readings", {}).get("queries"):
        lines += ["", *readings.markdown(ours["readings"])]
    answered = [e for e, row in result["engines"].items() if row.get("queries")]
    if answered:
        lines += [
            "",
            "Matches per query (total hits; the engines segment and match differently):",
            "",
            "| query | " + " | ".join(answered) + " |",
            "| --- | " + " | ".join("---:" for _ in answered) + " |",
        ]
        first = result["engines"][answered[0]]["queries"]
        for index, query in enumerate(first):
            filters = ", ".join(f"{k}={query[k]}" for k in ("county", "date_from", "date_to") if query.get(k))
            label = f"{query['label']}: {query['q']}" + (f" [{filters}]" if filters else "")
            totals = [str(result["engines"][e]["queries"][index]["total"]) for e in answered]
            lines.append(f"| {label} | " + " | ".join(totals) + " |")
    return "\n".join(lines)


def machine() -> dict:
    versions = {}
    for package in ("jieba", "whoosh-reloaded", "tantivy"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    versions["sqlite"] = sqlite3.sqlite_version
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "versions": versions,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default=",".join(map(str, DEFAULT_SIZES)), help="issue counts, comma-separated"
    )
    parser.add_argument("--engines", default=",".join(DEFAULT_ENGINES), help="comma-separated")
    parser.add_argument(
        "--quick", action="store_true", help=f"one small archive ({QUICK_SIZE} issues), 3 passes"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5, help="timed passes over the query mix")
    parser.add_argument("--seed-text", help="the real issue the generator mines")
    parser.add_argument(
        "--vocabulary",
        choices=tuple(generate.VOCABULARIES),
        default=generate.DEFAULT_VOCABULARY,
        help="the archive's text: realistic (dictionary words by frequency) or seed (the seed's clauses "
        "recombined, the old generator, for comparison; results-<size>-seed.json)",
    )
    parser.add_argument(
        "--serving",
        action="store_true",
        help="only ours serving through updates and 8 threads against the sequential run (bench.serving)",
    )
    args = parser.parse_args(argv)

    sizes = [QUICK_SIZE] if args.quick else [int(s) for s in args.sizes.split(",") if s.strip()]
    repeat = 3 if args.quick else args.repeat
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = set(engines) - set(DEFAULT_ENGINES)
    if unknown:
        parser.error(f"unknown engines: {', '.join(sorted(unknown))}")
    seed_text = generate.read_seed_text(args.seed_text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    if args.serving:
        from bench import serving

        for size in sizes:
            result = serving.bench_serving(size, args.seed, seed_text) | {"machine": machine()}
            path = RESULTS / f"serving-{size}.json"
            path.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
            print(serving.markdown(result))
            print(f"\n(wrote {path.relative_to(ROOT)})\n")
        return 0
    for size in sizes:
        result = bench_size(size, engines, args.seed, seed_text, repeat, args.vocabulary)
        result["machine"] = machine()
        path = RESULTS / f"results-{size}{vocabulary_suffix(args.vocabulary)}.json"
        path.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(markdown(result))
        print(f"\n(wrote {path.relative_to(ROOT)})\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
