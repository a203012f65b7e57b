"""Autocomplete over a built benchmark index: the suggestion index's build time (from cold, and for an
update, on the previous generation's keys) and each lookup's time.

python -m bench.suggest ARCHIVE INDEX [OUT.json]  (reads the index only)
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

from bench.run import ours_settings
from indexer.engine.generation import Generation
from indexer.engine.suggest import SuggestIndex
from indexer.search import engine_for

# Pinyin, initials, Chinese prefixes and single letters (the widest ranges of keys).
TYPED = (
    "lin",
    "ljb",
    "科创",
    "ruian",
    "ra",
    "z",
    "x",
    "s",
    "zhe",
    "kep",
    "温州",
    "市科协",
    "青",
    "a",
    "keji",
)
ROUNDS = 20


def seconds_of(step):
    started = time.perf_counter()
    result = step()
    return round(time.perf_counter() - started, 3), result


def measure(archive: Path, index: Path) -> dict:
    load_before = [round(load, 2) for load in os.getloadavg()]
    engine = engine_for(ours_settings(archive, index))
    spellings = engine.expander.place_spellings
    open_seconds, generation = seconds_of(lambda: Generation.open(index))
    titles = generation.texts.titles

    def build(previous=None):
        return SuggestIndex.build(generation.table, titles, spellings, previous)

    cold_seconds, built = seconds_of(build)
    # An update's generation holds the previous one's facet values and titles and one issue's more
    # (under 50, a few milliseconds of pinyin): all of them known is that build's time.
    update_seconds, _ = seconds_of(lambda: build(built.keys))
    generation.close()
    engine.suggest("")  # the engine's own generation and its suggestion index, before the lookups
    timings: dict[str, list[float]] = {typed: [] for typed in TYPED}
    for _ in range(ROUNDS):
        for typed in TYPED:
            started = time.perf_counter()
            engine.suggest(typed)
            timings[typed].append((time.perf_counter() - started) * 1000)
    return {
        "load_average_before": load_before,
        "open_generation_seconds": open_seconds,
        "suggestions": len(built.keys.entries),
        "keys": built.keys.key_count,
        "build_cold_seconds": cold_seconds,
        "build_on_previous_keys_seconds": update_seconds,
        "lookup_ms": {
            typed: {"median": round(statistics.median(ms), 3), "max": round(max(ms), 3)}
            for typed, ms in timings.items()
        },
        "first_answers": {typed: [s.to_dict() for s in engine.suggest(typed)[:3]] for typed in TYPED[:5]},
    }


if __name__ == "__main__":
    result = measure(Path(sys.argv[1]), Path(sys.argv[2]))
    text = json.dumps(result, ensure_ascii=False, indent=1)
    if len(sys.argv) > 3:
        Path(sys.argv[3]).write_text(text + "\n", encoding="utf-8")
    print(text)
