"""What reading the query costs (issue 14): each kind of reading timed through search(), cold, and the
reading step alone (QueryBuilder.parse), plus the once-per-generation tables it builds on first use.

    python -m bench.readings --archive DIR --index DIR --out FILE [--repeat N] [--seed S]

bench.run starts it as its own process after ours' query mix, on the same index.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from pathlib import Path

from pypinyin import Style, lazy_pinyin

from bench import generate

TIMED_PASSES = 5


def reading_mix(seed: int, seed_text: str) -> list[tuple[str, str]]:
    """(label, query) for each kind of reading, on words the generated archive holds."""
    name = generate.make_generator(seed, seed_text).names[0]
    syllables = lazy_pinyin(name)
    initials = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER))
    # One character off: no archive word, so the result is empty and "did you mean" runs.
    misspelt = name[:-1] + ("剑" if name[-1] != "剑" else "波")
    return [
        ("word as typed (no reading)", "青科会"),
        ("department in the box", "科普部"),
        ("field syntax", "county:瑞安"),
        ("issue designator", "第5期"),
        ("running number", "总第270期"),
        ("synonym", "世界青年科学家峰会"),
        ("traditional", "科創中國"),
        ("pinyin, full", "".join(syllables)),
        ("pinyin, spaced", " ".join(syllables)),
        ("pinyin, initials", initials),
        ("name one character off (did you mean)", misspelt),
        ("latin, no reading", "AI"),
    ]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def run(archive: Path, index: Path, seed: int, seed_text: str, repeat: int) -> dict:
    from bench.run import ours_settings
    from indexer.engine.generation import word_frequencies
    from indexer.lexicon import Lexicon
    from indexer.search import engine_for, parse_request, search

    settings = ours_settings(archive, index)
    engine = engine_for(settings)
    # The first search opens the generation; its tables are then built in a background thread.
    started = time.perf_counter()
    search(settings, parse_request({}, settings))
    for thread in threading.enumerate():
        if thread.name == "index-tables":
            thread.join()
    prepared_seconds = time.perf_counter() - started
    with engine._use() as generation:  # noqa: SLF001 - the benchmark times each table on its own
        steps = {}
        started = time.perf_counter()
        lexicon = Lexicon.build(word_frequencies(generation.searcher.reader()))
        steps["words"] = time.perf_counter() - started
        started = time.perf_counter()
        lexicon.readings()
        steps["pinyin"] = time.perf_counter() - started
        started = time.perf_counter()
        lexicon.one_character_off("")
        steps["one_character"] = time.perf_counter() - started
        generation.record_fields = None
        started = time.perf_counter()
        engine._record_fields(generation)  # noqa: SLF001
        steps["record"] = time.perf_counter() - started

    rows = []
    for label, q in reading_mix(seed, seed_text):
        request = parse_request({"q": [q], "per_page": ["10"]}, settings)
        search(settings, request)  # warm-up: imports, OpenCC's tables, jieba's first use of a word
        searches, parses = [], []
        for _ in range(repeat):
            engine.clear_caches()
            started = time.perf_counter()
            result = search(settings, request)
            searches.append((time.perf_counter() - started) * 1000)
            with engine._use() as generation:  # noqa: SLF001
                started = time.perf_counter()
                engine.queries.parse(q, lexicon=generation.lexicon)
                parses.append((time.perf_counter() - started) * 1000)
        rows.append(
            {
                "label": label,
                "q": q,
                "total": result.total,
                "readings": [reading.to_dict() for reading in result.readings],
                "suggestions": list(result.suggestions),
                "search_median_ms": statistics.median(searches),
                "search_p95_ms": percentile(searches, 0.95),
                "reading_median_ms": statistics.median(parses),
            }
        )
        print(f"  {label}: {q} → {result.total}, {statistics.median(searches):.1f} ms", file=sys.stderr)
    searches_all = [row["search_median_ms"] for row in rows]
    return {
        "lexicon_words": len(lexicon),
        "open_and_prepare_seconds": prepared_seconds,
        "table_seconds": steps,
        "p50_ms": statistics.median(searches_all),
        "p95_ms": percentile(searches_all, 0.95),
        "queries": rows,
    }


def markdown(readings: dict) -> list[str]:
    lines = [
        "| ours, reading the query (issue 14) | total | search median ms | p95 ms | reading step ms | read as |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for row in readings["queries"]:
        read = "; ".join(f"{r['text']} → {'、'.join(r['as'])} ({r['why']})" for r in row["readings"])
        if row["suggestions"]:
            read += "; did you mean " + "、".join(f"{s['q']} ({s['total']})" for s in row["suggestions"])
        lines.append(
            f"| {row['label']}: {row['q']} | {row['total']:,} | {row['search_median_ms']:.1f} | "
            f"{row['search_p95_ms']:.1f} | {row['reading_median_ms']:.2f} | {read or '–'} |"
        )
    steps = readings["table_seconds"]
    lines.append(
        f"| once per index generation, before it answers: the lexicon's {readings['lexicon_words']:,} words "
        f"{steps['words']:.2f} s, their pinyin {steps['pinyin']:.2f} s, one-character lists "
        f"{steps['one_character']:.2f} s, the record table {steps['record']:.2f} s; opening and all of it, "
        f"wall | | {readings['open_and_prepare_seconds']:.2f} s | | | |"
    )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--archive", type=Path, required=True)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seed-text", help="the real issue the generator mines")
    parser.add_argument("--repeat", type=int, default=TIMED_PASSES)
    args = parser.parse_args(argv)
    seed_text = generate.read_seed_text(args.seed_text)
    result = run(args.archive, args.index, args.seed, seed_text, args.repeat)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    print("\n".join(markdown(result)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
