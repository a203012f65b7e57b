"""A bounded HTTP load on a server on this machine: fixed concurrency, a request cap and a time cap.

    python -m bench.load "http://127.0.0.1:8000/api/search?q=科技" [more URLs...] \\
        --concurrency 4 --duration 10 --max-requests 2000

Run it as its own process (bench.run will, against `bulletin serve`), so the client's CPU and memory
are not the server's. Only loopback addresses are accepted: this is a benchmark, never a load on
anything else. Each worker thread keeps one HTTP/1.1 connection open and cycles through the URLs.
Prints one JSON object: requests, errors, throughput and latency percentiles.
"""

from __future__ import annotations

import argparse
import http.client
import ipaddress
import itertools
import json
import statistics
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

LOOPBACK_NAMES = ("localhost",)
MAX_CONCURRENCY = 64
MAX_DURATION = 300.0
MAX_REQUESTS = 1_000_000


class NotLoopback(ValueError):
    """The target is not on this machine's loopback interface."""


def loopback_target(url: str) -> tuple[str, int, str]:
    """(host, port, path with query) of a loopback http:// URL, or NotLoopback."""
    parts = urlsplit(url)
    if parts.scheme != "http":
        raise NotLoopback(f"{url}: only plain http:// on the loopback interface")
    host = parts.hostname or ""
    if host not in LOOPBACK_NAMES:
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise NotLoopback(f"{url}: {host} is not a loopback address (127.0.0.0/8, ::1, localhost)")
    if host == "localhost":
        host = "127.0.0.1"
    path = quote(parts.path or "/", safe="/%") + (
        f"?{quote(parts.query, safe='=&%+')}" if parts.query else ""
    )
    return host, parts.port or 80, path


@dataclass
class Samples:
    """What the clients saw for one kind of request: latencies (ms) of answered requests, their status
    codes, and the requests that got no answer."""

    latencies: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def drive(
    host: str,
    port: int,
    next_request: Callable[[], tuple[str, str]],
    concurrency: int,
    duration: float,
    max_requests: int,
    timeout: float,
) -> tuple[dict[str, Samples], float]:
    """GET next_request()'s (label, path) from `concurrency` threads, each on one kept-open HTTP/1.1
    connection, until `duration` seconds have passed or `max_requests` have been sent. next_request is
    called under a lock, so it need not be thread-safe. Returns the samples by label and the seconds."""
    concurrency = max(1, min(concurrency, MAX_CONCURRENCY))
    duration = max(0.1, min(duration, MAX_DURATION))
    max_requests = max(1, min(max_requests, MAX_REQUESTS))
    tickets = itertools.count()  # next() on a count is atomic under the GIL
    lock = threading.Lock()
    samples: dict[str, Samples] = {}
    started = time.perf_counter()
    deadline = started + duration

    def worker() -> None:
        connection = http.client.HTTPConnection(host, port, timeout=timeout)
        try:
            while time.perf_counter() < deadline and next(tickets) < max_requests:
                with lock:
                    label, path = next_request()
                sent = time.perf_counter()
                try:
                    connection.request("GET", path, headers={"Accept": "application/json"})
                    response = connection.getresponse()
                    response.read()
                    status = str(response.status)
                except (OSError, http.client.HTTPException) as error:
                    connection.close()
                    connection = http.client.HTTPConnection(host, port, timeout=timeout)
                    with lock:
                        samples.setdefault(label, Samples()).errors.append(f"{type(error).__name__}: {error}")
                    continue
                elapsed = (time.perf_counter() - sent) * 1000
                with lock:
                    seen = samples.setdefault(label, Samples())
                    seen.latencies.append(elapsed)
                    seen.statuses[status] = seen.statuses.get(status, 0) + 1
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(duration + timeout + 5)
    return samples, time.perf_counter() - started


def latency_summary(latencies: list[float]) -> dict:
    """p50, p95, p99 and the slowest of latencies in ms (None for none)."""
    cuts = statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) > 1 else None
    only = latencies[0] if latencies else None
    return {
        "p50_ms": statistics.median(latencies) if latencies else None,
        "p95_ms": cuts[94] if cuts else only,
        "p99_ms": cuts[98] if cuts else only,
        "max_ms": max(latencies) if latencies else None,
    }


def http_load(
    urls: str | list[str],
    concurrency: int = 4,
    duration: float = 10.0,
    max_requests: int = 2000,
    timeout: float = 10.0,
) -> dict:
    """GET the URLs round-robin from `concurrency` threads until `duration` seconds have passed or
    `max_requests` have been sent, whichever comes first."""
    urls = [urls] if isinstance(urls, str) else list(urls)
    if not urls:
        raise ValueError("no URLs to load")
    targets = [loopback_target(url) for url in urls]
    if len({(host, port) for host, port, _ in targets}) != 1:
        raise ValueError("all URLs must address the same server")
    host, port, _ = targets[0]
    paths = itertools.cycle([path for _, _, path in targets])
    by_label, seconds = drive(
        host, port, lambda: ("all", next(paths)), concurrency, duration, max_requests, timeout
    )
    seen = by_label.get("all", Samples())
    ok = sum(count for status, count in seen.statuses.items() if status.startswith("2"))
    return {
        "target": f"http://{host}:{port}",
        "urls": len(urls),
        "concurrency": max(1, min(concurrency, MAX_CONCURRENCY)),
        "seconds": seconds,
        "requests": len(seen.latencies) + len(seen.errors),
        "ok": ok,
        "statuses": seen.statuses,
        "errors": len(seen.errors),
        "first_error": seen.errors[0] if seen.errors else None,
        "throughput_rps": len(seen.latencies) / seconds if seconds else 0.0,
        **latency_summary(seen.latencies),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("urls", nargs="+", help="http://127.0.0.1:PORT/... (loopback only)")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds, at most 300")
    parser.add_argument("--max-requests", type=int, default=2000)
    parser.add_argument("--timeout", type=float, default=10.0, help="per request, seconds")
    args = parser.parse_args(argv)
    try:
        result = http_load(args.urls, args.concurrency, args.duration, args.max_requests, args.timeout)
    except (NotLoopback, ValueError) as error:
        print(f"bench.load: {error}", file=sys.stderr)
        return 2
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
