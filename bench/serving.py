"""Serving through updates: `bulletin serve` answering while `bulletin index` adds, updates, deletes and
rebuilds, and the engine's answers from 8 threads at once against the sequential run.

    python -m bench.run --serving --sizes 270

For each step (12 one-issue additions, one update, one delete, one rebuild) a `bulletin index` process
changes the index while a client process sends /api/search without pause; after the step the server's
totals and first 100 ids are polled until they equal a fresh engine's (what the CLI answers). Reported
per step: equal or not, seconds until equal, non-200 answers, and the slowest request between the end of
the step and the server catching up (the window in which it opens the new generation).

Then one more issue is added while the client process sends distinct searches (words of the index, alone
and in pairs: the result cache never answers them): search latency before, during and after the update,
and the seconds from the index commit (the new TOC's mtime) to the first answer from the new generation.
"""

from __future__ import annotations

import json
import multiprocessing
import random
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

from bench import generate
from bench.run import (
    ROOT,
    WORK,
    fmt,
    free_port,
    ours_settings,
    peak_rss_mb,
    query_mix,
    search_urls,
    serve_config,
    wait_until_serving,
)

ADDITIONS = 12
CATCH_UP_SECONDS = 30.0
HAMMER_CLIENTS = 4
COMPARED_QUERIES = ("", "科技", "青科会", "科创中国 乡村")
DISTINCT_SEARCHES = 60_000
POLL_SECONDS = 0.005
UPDATE_CALM_SECONDS = 5.0
RACE_THREADS = 8
RACE_SEARCHES = 800


def bulletin_command(config: Path) -> list[str]:
    script = Path(sys.executable).with_name("bulletin")
    return [
        *([str(script)] if script.exists() else [sys.executable, "-m", "webui.cli"]),
        "--config",
        str(config),
    ]


def hammer(urls: list[str], stop, out: str) -> None:
    """Runs in its own process: GET the URLs round-robin from a few threads until stop is set, and
    write (start time, milliseconds, status) of every request."""
    records: list[tuple[float, float, int]] = []
    lock = threading.Lock()

    def client(offset: int) -> None:
        index = offset
        while not stop.is_set():
            url = urls[index % len(urls)]
            index += HAMMER_CLIENTS
            started = time.time()
            try:
                with urllib.request.urlopen(url, timeout=30) as response:
                    response.read()
                    status = response.status
            except urllib.error.HTTPError as error:
                status = error.code
            except OSError:
                status = 0
            with lock:
                records.append((started, (time.time() - started) * 1000, status))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(HAMMER_CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    Path(out).write_text(json.dumps(records), encoding="utf-8")


def percentile(ordered: list[float], share: int) -> float | None:
    return ordered[min(len(ordered) - 1, len(ordered) * share // 100)] if ordered else None


def fetch(url: str) -> dict | None:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return json.loads(response.read())
    except (OSError, ValueError):
        return None


def cli_answers(settings) -> dict[str, tuple[int, list[str]]]:
    """Totals and first 100 ids from a freshly opened engine, as `bulletin search` answers."""
    from indexer.search import _engine, parse_request, search

    # A new engine made as engine_for makes the CLI's and the server's (config.yaml's synonyms included:
    # without them 青科会 finds 2 articles fewer), not the one this process has cached.
    engine = _engine.__wrapped__(settings.index_dir, settings.domain, settings.synonyms)
    try:
        found = {}
        for query in COMPARED_QUERIES:
            result = search(settings, parse_request({"q": [query], "per_page": ["100"]}, settings), engine)
            found[query] = (result.total, [hit.id for hit in result.hits])
        return found
    finally:
        engine.close()


def served_answers(base: str) -> dict[str, tuple[int, list[str]] | None]:
    found = {}
    for query in COMPARED_QUERIES:
        body = fetch(f"{base}/api/search?" + urlencode({"q": query, "per_page": 100}))
        found[query] = None if body is None else (body["total"], [hit["id"] for hit in body["hits"]])
    return found


def run_step(name: str, command: list[str], settings, base: str) -> dict:
    started = time.time()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    indexed = time.time()
    expected = cli_answers(settings)
    while (found := served_answers(base)) != expected and time.time() - indexed < CATCH_UP_SECONDS:
        time.sleep(0.1)
    caught_up = time.time()
    row = {
        "step": name,
        "index_exit": done.returncode,
        "index_summary": done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-200:],
        "index_seconds": indexed - started,
        "equal": found == expected,
        "catch_up_seconds": caught_up - indexed,
        "articles": expected[""][0],
        "window": (started, indexed, caught_up),
    }
    print(
        f"  {name}: {'equal' if row['equal'] else 'DIFFERENT'} after {row['catch_up_seconds']:.2f}s "
        f"({row['articles']} articles)",
        file=sys.stderr,
    )
    return row


def serving_through_updates(size: int, seed: int, seed_text: str, work: Path) -> dict:
    archive, index = work / "archive", work / "index"
    generate.generate(size, seed, archive, seed_text)
    config = serve_config(work, archive, index)
    settings = ours_settings(archive, index)
    command = bulletin_command(config)
    subprocess.run([*command, "index", "--rebuild"], cwd=ROOT, capture_output=True, check=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    urls = [url + "&page=2" for url in search_urls(base, query_mix(seed, seed_text))]
    urls += search_urls(base, query_mix(seed, seed_text))
    records_path = work / "hammer.json"
    steps = []
    with serving_and_hammering(command, port, work / "serve.log", urls, records_path) as (server, client):
        wait_until_serving(server, base)
        client.start()
        time.sleep(1.0)
        added = []
        for number in range(size + 1, size + ADDITIONS + 1):
            added += generate.generate(number, seed, archive, seed_text, first=number)
            steps.append(run_step(f"add issue {number}", [*command, "index"], settings, base))
        updated = added[4]
        updated.write_text(updated.read_text(encoding="utf-8").replace("科技", "科学", 3), encoding="utf-8")
        steps.append(run_step(f"update {updated.name}", [*command, "index"], settings, base))
        deleted = added[2]
        deleted.unlink()
        steps.append(run_step(f"delete {deleted.name}", [*command, "index"], settings, base))
        steps.append(run_step("rebuild", [*command, "index", "--rebuild"], settings, base))
        server_peak_mb = peak_rss_mb(server.pid)
    records = json.loads(records_path.read_text(encoding="utf-8")) if records_path.exists() else []
    opening_windows = []
    for row in steps:
        started, indexed, caught_up = row.pop("window")
        opening_windows.append((indexed, caught_up))
        during = [r for r in records if started <= r[0] <= caught_up]
        opening = sorted(r[1] for r in records if indexed <= r[0] <= caught_up)
        row["requests"] = len(during)
        row["non_200"] = sum(1 for r in during if r[2] != 200)
        row["slowest_ms_while_opening"] = opening[-1] if opening else None
        row["p95_ms_while_opening"] = percentile(opening, 95)
    # The same figures for requests outside every opening window: what this machine gives anyway.
    elsewhere = sorted(r[1] for r in records if not any(low <= r[0] <= high for low, high in opening_windows))
    statuses = [r[2] for r in records]
    return {
        "steps": steps,
        "requests": len(records),
        "non_200": sum(1 for s in statuses if s != 200),
        "slowest_ms": max((r[1] for r in records), default=None),
        "elsewhere_p95_ms": percentile(elsewhere, 95),
        "elsewhere_slowest_ms": elsewhere[-1] if elsewhere else None,
        "all_equal": all(row["equal"] for row in steps),
        "server_peak_mb": server_peak_mb,
    }


def distinct_searches(settings, seed: int) -> list[str]:
    """DISTINCT_SEARCHES query texts, each asked once: the index's body words alone, then in pairs, shuffled."""
    from indexer.engine import SearchEngine
    from indexer.wordseg import domain_words

    engine = SearchEngine(settings.index_dir, domain_words(settings.domain))
    with engine._use() as generation:
        reader = generation.searcher.reader()
        words = sorted(
            {
                t.decode("utf-8")
                for f, t in reader.all_terms()
                if f == "body" and len(t) > 3 and not t.isdigit()
            }
        )
    engine.close()
    shuffle = random.Random(seed)
    shuffle.shuffle(words)
    pairs = (f"{a} {b}" for a, b in zip(words, words[1:] + words[:1], strict=True))
    texts = [*words, *pairs][:DISTINCT_SEARCHES]
    shuffle.shuffle(texts)
    return texts


def latency(records: list[tuple[float, float, int]]) -> dict:
    ordered = sorted(r[1] for r in records)
    return {
        "requests": len(ordered),
        "non_200": sum(1 for r in records if r[2] != 200),
        "p50_ms": percentile(ordered, 50),
        "p99_ms": percentile(ordered, 99),
        "worst_ms": ordered[-1] if ordered else None,
    }


def newest_toc_mtime(index: Path) -> float:
    return max(path.stat().st_mtime for path in index.glob("_MAIN_*.toc"))


def searches_through_one_update(number: int, seed: int, seed_text: str, work: Path, calm: float) -> dict:
    """`bulletin serve` on the work folder's index, sent distinct searches from HAMMER_CLIENTS threads of
    another process for `calm` seconds, then while `bulletin index` adds issue `number`, then for `calm`
    seconds after the new generation first answers."""
    archive, index = work / "archive", work / "index"
    config = serve_config(work, archive, index)
    settings = ours_settings(archive, index)
    command = bulletin_command(config)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    urls = [
        f"{base}/api/search?" + urlencode({"q": text, "per_page": 10})
        for text in distinct_searches(settings, seed)
    ]
    everything = f"{base}/api/search?q=&per_page=1"
    records_path = work / "hammer-update.json"
    with serving_and_hammering(command, port, work / "serve-update.log", urls, records_path) as (
        server,
        client,
    ):
        wait_until_serving(server, base)
        old_total = fetch(everything)["total"]
        # A suggestion waits for the start-up generation's preparation in the background to finish, so
        # "before" is a server at rest, not one still preparing its first generation.
        fetch(f"{base}/api/suggest?q=%E7%A7%91")
        client.start()
        time.sleep(calm)
        generate.generate(number, seed, archive, seed_text, first=number)
        index_started = time.time()
        done = subprocess.run([*command, "index"], cwd=ROOT, capture_output=True, text=True, check=False)
        committed = newest_toc_mtime(index)
        while (body := fetch(everything)) is not None and body["total"] == old_total:
            if time.time() - committed > CATCH_UP_SECONDS:
                break
            time.sleep(POLL_SECONDS)
        answered = time.time()
        new_total = None if body is None else body["total"]
        time.sleep(calm)
    records = json.loads(records_path.read_text(encoding="utf-8")) if records_path.exists() else []
    before = [r for r in records if r[0] + r[1] / 1000 < index_started]
    after = [r for r in records if r[0] > answered]
    during = [r for r in records if r[0] + r[1] / 1000 >= index_started and r[0] <= answered]
    return {
        "issue": number,
        "index_exit": done.returncode,
        "index_to_commit_seconds": committed - index_started,
        "articles_before": old_total,
        "articles_after": new_total,
        "commit_to_new_answer_seconds": answered - committed,
        "distinct_searches": len(urls),
        "wrapped": len(records) > len(urls),
        "before": latency(before),
        "during": latency(during),
        "after": latency(after),
    }


def threads_against_sequential(settings) -> dict:
    """RACE_SEARCHES distinct searches (real words of the index, caches cleared) run one after another,
    then again split over RACE_THREADS threads of one engine: errors, and answers that differ."""
    from indexer.engine import EngineRequest, SearchEngine
    from indexer.wordseg import domain_words

    engine = SearchEngine(settings.index_dir, domain_words(settings.domain))
    with engine._use() as generation:
        reader = generation.searcher.reader()
        words = sorted({t.decode("utf-8") for f, t in reader.all_terms() if f == "body" and len(t) > 3})
    queries = words[:: max(1, len(words) // RACE_SEARCHES)][:RACE_SEARCHES]

    def answer(text: str) -> tuple:
        result = engine.search(EngineRequest(text=text, limit=10))
        return result.total, [(hit["id"], hit["score"]) for hit in result.hits]

    started = time.perf_counter()
    sequential = {text: answer(text) for text in queries}
    sequential_seconds = time.perf_counter() - started
    engine.clear_caches()
    parallel, errors = {}, []

    def run(share: list[str]) -> None:
        for text in share:
            try:
                parallel[text] = answer(text)
            except Exception as error:  # noqa: BLE001 - counted and reported
                errors.append(f"{type(error).__name__}: {error}")

    threads = [threading.Thread(target=run, args=(queries[n::RACE_THREADS],)) for n in range(RACE_THREADS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    engine.close()
    return {
        "threads": RACE_THREADS,
        "searches": len(queries),
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
        "different": sum(1 for text in queries if parallel.get(text) != sequential[text]),
        "sequential_seconds": sequential_seconds,
        "threaded_seconds": time.perf_counter() - started,
    }


@contextmanager
def serving_and_hammering(command: list[str], port: int, log_path: Path, urls: list[str], records_path: Path):
    """`bulletin serve` on port, and a hammering client process (not yet started) that writes its
    records to records_path; both are stopped on the way out."""
    with log_path.open("w", encoding="utf-8") as log:
        server = subprocess.Popen(
            [*command, "serve", "--host", "127.0.0.1", "--port", str(port)], cwd=ROOT, stdout=log, stderr=log
        )
        context = multiprocessing.get_context("spawn")
        stop = context.Event()
        client = context.Process(target=hammer, args=(urls, stop, str(records_path)))
        try:
            yield server, client
        finally:
            stop.set()
            if client.pid is not None:
                client.join(60)
            server.terminate()
            server.wait(30)


def bench_serving(size: int, seed: int, seed_text: str) -> dict:
    work = WORK / f"serving-{size}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    print(f"== serving through updates, {size} issues ({work})", file=sys.stderr)
    updates = serving_through_updates(size, seed, seed_text, work)
    # The steps left issues size+1 … size+ADDITIONS in the archive, less the deleted one.
    update = searches_through_one_update(size + ADDITIONS + 1, seed, seed_text, work, UPDATE_CALM_SECONDS)
    during = update["during"]
    print(
        f"  distinct searches through one update: worst {fmt(during['worst_ms'], 0)} ms during it, "
        f"new generation answering {update['commit_to_new_answer_seconds']:.2f}s after the commit",
        file=sys.stderr,
    )
    race = threads_against_sequential(ours_settings(work / "archive", work / "index"))
    print(
        f"  {race['threads']} threads x {race['searches']} searches: {race['errors']} errors, "
        f"{race['different']} different answers",
        file=sys.stderr,
    )
    return {"size": size, "seed": seed, "updates": updates, "one_update": update, "threads": race}


def markdown(result: dict) -> str:
    updates, race = result["updates"], result["threads"]
    lines = [
        f"### Serving through updates, {result['size']} issues",
        "",
        "| step | index s | server = CLI | caught up s | requests | non-200 | while opening: p95 / slowest ms |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for row in updates["steps"]:
        lines.append(
            f"| {row['step']} ({row['articles']:,} articles) | {row['index_seconds']:.1f} | "
            f"{'yes' if row['equal'] else 'NO'} | {row['catch_up_seconds']:.2f} | {row['requests']:,} | "
            f"{row['non_200']} | {fmt(row['p95_ms_while_opening'], 0)} / {fmt(row['slowest_ms_while_opening'], 0)} |"
        )
    lines += [
        "",
        f"All steps equal: {'yes' if updates['all_equal'] else 'NO'}; {updates['requests']:,} requests, "
        f"{updates['non_200']} non-200, slowest {fmt(updates['slowest_ms'], 0)} ms; outside the opening windows "
        f"p95 {fmt(updates['elsewhere_p95_ms'], 0)} ms, slowest {fmt(updates['elsewhere_slowest_ms'], 0)} ms; server peak "
        f"{updates['server_peak_mb'] or 0:.0f} MB (VmHWM; two generations are open while one replaces the other).",
        "",
        *one_update_markdown(result["one_update"]),
        "",
        f"{race['threads']} threads × {race['searches']} distinct uncached searches: {race['errors']} errors, "
        f"{race['different']} answers different from the sequential run "
        f"(sequential {race['sequential_seconds']:.1f} s, threaded {race['threaded_seconds']:.1f} s).",
    ]
    return "\n".join(lines)


def one_update_markdown(update: dict) -> list[str]:
    lines = [
        f"Distinct searches (never answered from the result cache) from {HAMMER_CLIENTS} client threads while "
        f"`bulletin index` adds issue {update['issue']} ({update['articles_before']:,} → "
        f"{update['articles_after']:,} articles; index exit {update['index_exit']}, commit "
        f"{update['index_to_commit_seconds']:.1f} s after it started): the new generation answered "
        f"{update['commit_to_new_answer_seconds']:.2f} s after the commit.",
        "",
        "| searches | requests | non-200 | p50 ms | p99 ms | worst ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for window, label in (
        ("before", "before the update"),
        ("during", "from `bulletin index` starting to the new generation's first answer"),
        ("after", "after it"),
    ):
        row = update[window]
        lines.append(
            f"| {label} | {row['requests']:,} | {row['non_200']} | {fmt(row['p50_ms'], 0)} | "
            f"{fmt(row['p99_ms'], 0)} | {fmt(row['worst_ms'], 0)} |"
        )
    return lines
