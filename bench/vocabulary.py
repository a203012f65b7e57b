"""How many distinct terms an archive's articles hold, as the index sees them: distinct CJK character
bigrams and distinct jieba words, at growing prefixes of the archive, with a Heaps'-law fit
V = K·n^β (n = CJK characters read so far) for each.

    python -m bench.vocabulary DIR        # an archive folder of plain-text issues (bench.generate's)

The index writes a posting list per distinct term, so these counts, not the characters alone, say
what an archive costs it.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import jieba

from bench import corpus

CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")
# Prefix sizes (issues) measured besides the archive's own size.
CHECKPOINTS = (3, 10, 30, 100, 270, 1000, 2700)


@dataclass(frozen=True)
class Point:
    issues: int
    characters: int  # CJK characters of the articles read so far
    bigrams: int
    words: int


@dataclass(frozen=True)
class Heaps:
    """V = k·n^beta, fitted by least squares on log V against log n."""

    k: float
    beta: float


def article_text(doc: dict) -> str:
    """What the index reads of an article: a brief's title is its body."""
    return doc["body"] if doc["kind"] == "brief" else f"{doc['title']}\n{doc['body']}"


def fit_heaps(points: list[tuple[int, int]]) -> Heaps | None:
    """The fit of (n, V) pairs; None with fewer than two distinct n."""
    pairs = [(math.log(n), math.log(v)) for n, v in points if n > 0 and v > 0]
    if len({x for x, _ in pairs}) < 2:
        return None
    mean_x = sum(x for x, _ in pairs) / len(pairs)
    mean_y = sum(y for _, y in pairs) / len(pairs)
    beta = sum((x - mean_x) * (y - mean_y) for x, y in pairs) / sum((x - mean_x) ** 2 for x, _ in pairs)
    return Heaps(math.exp(mean_y - beta * mean_x), beta)


def measure(docs: list[dict], checkpoints: tuple[int, ...] = CHECKPOINTS) -> dict:
    """Counts over the first issues (by number) at each checkpoint below the archive's size and at its
    size, and the two fits. docs as bench.corpus gives them."""
    by_issue: dict[int, list[dict]] = {}
    for doc in docs:
        by_issue.setdefault(int(doc["issue"]), []).append(doc)
    stops = {size for size in checkpoints if size < len(by_issue)} | {len(by_issue)}
    bigrams: set[str] = set()
    words: set[str] = set()
    characters = 0
    points: list[Point] = []
    for count, number in enumerate(sorted(by_issue), start=1):
        for doc in by_issue[number]:
            text = article_text(doc)
            for run in CJK_RUN.findall(text):
                characters += len(run)
                bigrams.update(run[i : i + 2] for i in range(len(run) - 1))
            words.update(word for word in jieba.cut(text) if CJK_RUN.search(word))
        if count in stops:
            points.append(Point(count, characters, len(bigrams), len(words)))
    fits = {
        "bigrams": fit_heaps([(p.characters, p.bigrams) for p in points]),
        "words": fit_heaps([(p.characters, p.words) for p in points]),
    }
    return {
        "points": [asdict(p) for p in points],
        "heaps": {name: asdict(fit) if fit else None for name, fit in fits.items()},
    }


def markdown(measured: dict) -> list[str]:
    lines = [
        "| issues | CJK characters | distinct bigrams | distinct words |",
        "| ---: | ---: | ---: | ---: |",
    ]
    lines += [
        f"| {p['issues']:,} | {p['characters']:,} | {p['bigrams']:,} | {p['words']:,} |"
        for p in measured["points"]
    ]
    fits = [
        f"{name}: K = {fit['k']:.3g}, β = {fit['beta']:.3f}"
        for name, fit in measured["heaps"].items()
        if fit is not None
    ]
    if fits:
        lines += ["", "Heaps' law V = K·n^β (n = CJK characters): " + "; ".join(fits) + "."]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("archive", type=Path, help="folder of plain-text issues")
    args = parser.parse_args(argv)
    jieba.setLogLevel(jieba.logging.WARNING)
    print("\n".join(markdown(measure(corpus.load_archive(args.archive)))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
