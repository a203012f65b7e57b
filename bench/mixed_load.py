"""A realistic load on `bulletin serve` that does not repeat itself: API and HTML searches for words of
the archive itself, filtered searches, article, issue and home pages, mixed as readers mix them.

    python -m bench.mixed_load http://127.0.0.1:8000 --concurrency 8 --duration 30 --max-requests 100000

Run it as its own process (bench.run does, against `bulletin serve`), loopback only, bounded by time
and count like bench.load, whose clients it uses. Before the timed load it reads the archive's words
from the server: counties, departments and the first and last issue from /api/stats, the issues from
/api/issues, and the titles, people, keywords and ids of articles spread over the whole archive from
/api/search (newest first, 100 a page). Titles are cut into words with jieba. No search URL is sent
twice in a run; each article and issue is visited once before any is visited again.

With --csv-clients N, N more clients download /search.csv exports of the same words and counties
meanwhile, without pause: the "csv export" row, left out of the overall figures, and what it does to
the rest.

Prints one JSON object: for each page type its count, p50/p95/p99/max ms and errors (no answer, or an
answer other than 2xx), and overall requests/s.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import re
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from bench.load import NotLoopback, Samples, drive, latency_summary, loopback_target

# Page type → share of requests. Two of five searches of the API and the search page ask for pages 2–5.
MIX = (
    ("api search", 0.45),
    ("api search, filtered", 0.15),
    ("search page", 0.12),
    ("article page", 0.12),
    ("issue page", 0.10),
    ("home page", 0.06),
)
LATER_PAGE_SHARE = 0.30
LATER_PAGES = (2, 3, 4, 5)
PER_PAGE = 20
# Articles read for words before the load: this many pages of 100, spread evenly over the archive.
SAMPLED_PAGES = 15
SAMPLED_PER_PAGE = 100
MAX_DEPTH_PAGE = 100  # indexer.search.MAX_RESULT_DEPTH / SAMPLED_PER_PAGE
# A drawn search already sent is drawn again, at most this often before it is sent anyway.
REDRAWS = 50
CJK_WORD = re.compile(r"^[\u4e00-\u9fff]{2,}$")
FILTERS = ("county", "department", "date", "person")
DEFAULT_CONCURRENCY = 8
DEFAULT_SECONDS = 30.0
DEFAULT_MAX_REQUESTS = 100_000
CSV_LABEL = "csv export"
CSV_TIMEOUT = 120.0


@dataclass(frozen=True)
class Vocabulary:
    """What the archive holds, as the server reports it: the words to search and the pages to visit."""

    words: tuple[str, ...]  # from titles and keywords
    people: tuple[str, ...]
    counties: tuple[str, ...]
    departments: tuple[str, ...]
    years: tuple[int, int]  # first and last issue's year
    articles: tuple[str, ...]  # ids
    issues: tuple[str, ...]  # ids


def fetch_json(host: str, port: int, path: str, timeout: float) -> dict:
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Accept": "application/json"})
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {path}: {response.status}")
        return json.loads(body)
    finally:
        connection.close()


def title_words(titles: list[str]) -> set[str]:
    import jieba

    jieba.setLogLevel(60)  # its start-up lines would mix with the JSON on stdout's neighbour, stderr
    return {word for title in titles for word in jieba.cut(title) if CJK_WORD.match(word)}


def read_vocabulary(host: str, port: int, timeout: float) -> Vocabulary:
    stats = fetch_json(host, port, "/api/stats", timeout)
    issues = [entry["id"] for entry in fetch_json(host, port, "/api/issues", timeout)["issues"]]
    pages = min(MAX_DEPTH_PAGE, max(1, -(-stats["articles"] // SAMPLED_PER_PAGE)))
    sampled = sorted({1 + (pages - 1) * k // max(1, SAMPLED_PAGES - 1) for k in range(SAMPLED_PAGES)})
    hits = []
    for page in sampled:
        query = urlencode({"sort": "newest", "per_page": SAMPLED_PER_PAGE, "page": page})
        hits += fetch_json(host, port, f"/api/search?{query}", timeout)["hits"]
    keywords = {word for hit in hits for word in hit["keywords"] if CJK_WORD.match(word)}
    return Vocabulary(
        words=tuple(sorted(title_words([hit["title"] for hit in hits]) | keywords)),
        people=tuple(sorted({person for hit in hits for person in hit["people"]})),
        counties=tuple(stats["counties"]),
        departments=tuple(stats["departments"]),
        years=(int(stats["first_issue"][:4]), int(stats["last_issue"][:4])),
        articles=tuple(hit["id"] for hit in hits),
        issues=tuple(issues),
    )


def shuffled_forever(items: tuple[str, ...], rng: random.Random) -> Iterator[str]:
    """Every item once in a random order, then again in another."""
    while True:
        order = list(items)
        rng.shuffle(order)
        yield from order


class MixedRequests:
    """Draws (page type, path) for the load; called by one client at a time (bench.load.drive)."""

    def __init__(self, vocabulary: Vocabulary, seed: int):
        self.vocabulary = vocabulary
        self.rng = random.Random(seed)
        self.labels = [label for label, _ in MIX]
        self.weights = [share for _, share in MIX]
        self.sent: set[str] = set()
        self.articles = shuffled_forever(vocabulary.articles, self.rng)
        self.issues = shuffled_forever(vocabulary.issues, self.rng)
        self.repeated = 0  # searches sent twice after REDRAWS draws (the mix ran out of new ones)

    def __call__(self) -> tuple[str, str]:
        label = self.rng.choices(self.labels, self.weights)[0]
        if label == "article page":
            return label, "/articles/" + quote(next(self.articles))
        if label == "issue page":
            return label, "/issues/" + quote(next(self.issues))
        if label == "home page":
            return label, "/"
        prefix = "/search?" if label == "search page" else "/api/search?"
        draw: Callable[[], list[tuple[str, str]]] = (
            self.filtered if label == "api search, filtered" else self.searched
        )
        for _ in range(REDRAWS):
            path = prefix + urlencode(draw())
            if path not in self.sent:
                break
        else:
            self.repeated += 1
        self.sent.add(path)
        return label, path

    def query(self) -> str:
        """One word, two words, or a person, as readers type them."""
        words, people = self.vocabulary.words, self.vocabulary.people
        roll = self.rng.random()
        if roll < 0.6 or not people:
            return self.rng.choice(words)
        if roll < 0.85:
            return " ".join(self.rng.sample(words, 2))
        return self.rng.choice(people)

    def searched(self) -> list[tuple[str, str]]:
        params = [("q", self.query())]
        if self.rng.random() < LATER_PAGE_SHARE:
            params.append(("page", str(self.rng.choice(LATER_PAGES))))
        return params + [("per_page", str(PER_PAGE))]

    def filtered(self) -> list[tuple[str, str]]:
        """A filter by county, department, dates or person, half of them with a query too."""
        vocabulary, rng = self.vocabulary, self.rng
        params = [("q", self.query())] if rng.random() < 0.5 else []
        kind = rng.choice([f for f in FILTERS if f != "person" or vocabulary.people])
        if kind == "county":
            params.append(("county", rng.choice(vocabulary.counties)))
        elif kind == "department":
            params.append(("department", rng.choice(vocabulary.departments)))
        elif kind == "person":
            params.append(("person", rng.choice(vocabulary.people)))
        else:
            first, last = vocabulary.years
            year = rng.randint(first, last)
            month = rng.randint(1, 12)
            months = rng.randint(1, 36)
            end_year, end_month = year + (month + months - 1) // 12, (month + months - 1) % 12 + 1
            params += [("date_from", f"{year}-{month:02d}"), ("date_to", f"{end_year}-{end_month:02d}")]
        return params + [("per_page", str(PER_PAGE))]


def csv_exports(vocabulary: Vocabulary, seed: int) -> Callable[[], tuple[str, str]]:
    """Exports of a word's or a county's articles, as a journalist takes them away to a spreadsheet."""
    rng = random.Random(seed + 1)

    def draw() -> tuple[str, str]:
        if rng.random() < 0.5:
            return CSV_LABEL, "/search.csv?" + urlencode({"q": rng.choice(vocabulary.words)})
        return CSV_LABEL, "/search.csv?" + urlencode({"county": rng.choice(vocabulary.counties)})

    return draw


def page_type_row(samples: Samples, seconds: float) -> dict:
    failed = sum(count for status, count in samples.statuses.items() if not status.startswith("2"))
    return {
        "count": len(samples.latencies) + len(samples.errors),
        "per_second": len(samples.latencies) / seconds if seconds else 0.0,
        **latency_summary(samples.latencies),
        "errors": len(samples.errors) + failed,
        "statuses": samples.statuses,
        "first_error": samples.errors[0] if samples.errors else None,
    }


def mixed_load(
    base: str,
    concurrency: int = DEFAULT_CONCURRENCY,
    duration: float = DEFAULT_SECONDS,
    max_requests: int = DEFAULT_MAX_REQUESTS,
    timeout: float = 10.0,
    seed: int = 1,
    csv_clients: int = 0,
) -> dict:
    host, port, _ = loopback_target(base)
    vocabulary = read_vocabulary(host, port, timeout)
    requests = MixedRequests(vocabulary, seed)
    exports: dict[str, Samples] = {}
    exporting = threading.Thread(
        target=lambda: exports.update(
            drive(
                host, port, csv_exports(vocabulary, seed), csv_clients, duration, max_requests, CSV_TIMEOUT
            )[0]
        ),
        daemon=True,
    )
    if csv_clients:
        exporting.start()
    by_label, seconds = drive(host, port, requests, concurrency, duration, max_requests, timeout)
    if csv_clients:
        exporting.join(CSV_TIMEOUT + 10)
    everything = Samples()
    for samples in by_label.values():
        everything.latencies += samples.latencies
        everything.errors += samples.errors
        for status, count in samples.statuses.items():
            everything.statuses[status] = everything.statuses.get(status, 0) + count
    overall = page_type_row(everything, seconds)
    return {
        "target": f"http://{host}:{port}",
        "concurrency": concurrency,
        "seconds": seconds,
        "vocabulary": {
            "words": len(vocabulary.words),
            "people": len(vocabulary.people),
            "articles": len(vocabulary.articles),
            "issues": len(vocabulary.issues),
        },
        "distinct_searches": len(requests.sent),
        "repeated_searches": requests.repeated,
        "requests": overall["count"],
        "errors": overall["errors"],
        "throughput_rps": overall["per_second"],
        **{key: overall[key] for key in ("p50_ms", "p95_ms", "p99_ms", "max_ms")},
        "page_types": {
            label: page_type_row(by_label[label], seconds) for label, _ in MIX if label in by_label
        },
        "csv_clients": csv_clients,
        **({CSV_LABEL: page_type_row(exports[CSV_LABEL], seconds)} if CSV_LABEL in exports else {}),
    }


def fmt(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def markdown(result: dict) -> str:
    lines = [
        f"Mixed load (bench.mixed_load): {result['concurrency']} clients, {result['seconds']:.0f} s, "
        f"{fmt(result['throughput_rps'])} requests/s, {result['errors']} errors; "
        f"{result['distinct_searches']:,} distinct searches ({result['repeated_searches']} repeated)",
        "",
        "| page type | requests | p50 ms | p95 ms | p99 ms | max ms | errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    rows = [*result["page_types"].items(), ("all", result | {"count": result["requests"]})]
    if CSV_LABEL in result:
        rows.append((f"{CSV_LABEL} ({result['csv_clients']} more clients, not in all)", result[CSV_LABEL]))
    for label, row in rows:
        lines.append(
            f"| {label} | {row['count']:,} | {fmt(row['p50_ms'])} | {fmt(row['p95_ms'])} | "
            f"{fmt(row['p99_ms'])} | {fmt(row['max_ms'])} | {row['errors']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base", help="http://127.0.0.1:PORT (loopback only)")
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY)
    parser.add_argument("--duration", type=float, default=DEFAULT_SECONDS, help="seconds, at most 300")
    parser.add_argument("--max-requests", type=int, default=DEFAULT_MAX_REQUESTS)
    parser.add_argument("--timeout", type=float, default=10.0, help="per request, seconds")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--csv-clients", type=int, default=0, help="more clients downloading CSV exports")
    parser.add_argument("--markdown", action="store_true", help="a table instead of JSON")
    args = parser.parse_args(argv)
    try:
        result = mixed_load(
            args.base,
            args.concurrency,
            args.duration,
            args.max_requests,
            args.timeout,
            args.seed,
            args.csv_clients,
        )
    except (NotLoopback, ValueError, RuntimeError, OSError) as error:
        print(f"bench.mixed_load: {error}", file=sys.stderr)
        return 2
    print(markdown(result) if args.markdown else json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
