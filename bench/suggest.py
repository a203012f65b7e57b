"""Autocomplete over a built benchmark index: the suggestion index's build time and each lookup's time.

python -m bench.suggest ARCHIVE INDEX [OUT.json]  (reads the index only)
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

from bench.run import ours_settings
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


def measure(archive: Path, index: Path) -> dict:
    engine = engine_for(ours_settings(archive, index))
    started = time.perf_counter()
    engine.suggest("")  # opens the generation and builds its suggestion index
    build_seconds = time.perf_counter() - started
    timings: dict[str, list[float]] = {typed: [] for typed in TYPED}
    for _ in range(ROUNDS):
        for typed in TYPED:
            started = time.perf_counter()
            engine.suggest(typed)
            timings[typed].append((time.perf_counter() - started) * 1000)
    return {
        "open_and_build_seconds": round(build_seconds, 2),
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
