"""Character error rate and time of OCR on a scan made from the Chromium fixture (tests/data/make_scan_fixture.py).

    .venv/bin/python -m bench.ocr_cer [--dpi 250 300] [--parallel 1 2]

The reference is the fixture's own text layer; both texts are normalized and stripped of whitespace,
and the rate is the edit distance between them over the reference's length.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

from rapidfuzz.distance import Levenshtein

from indexer import ocr
from indexer.formats import extract_document
from indexer.normalize import normalize_text, squeeze

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"


def character_error_rate(reference: str, read: str) -> float:
    """Edits (insertions, deletions, substitutions) turning the reference into the text read, over the
    reference's length; whitespace does not count (layout spaces Chinese out at random)."""
    expected = squeeze(normalize_text(reference))
    return Levenshtein.distance(expected, squeeze(normalize_text(read))) / max(len(expected), 1)


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(scan: Path, dpi: int, parallel: int) -> dict:
    sys.path.insert(0, str(ROOT))
    from indexer.parse import parse_issue
    from indexer.settings import load_settings
    from tests.expected import FEATURES

    ocr.RENDER_DPI, ocr.PARALLEL_PAGES = dpi, parallel
    reference = extract_document(DATA / "issue270-chromium.pdf").text
    started, cpu = time.perf_counter(), children_cpu_seconds()
    text, pages = ocr.ocr_images(ocr.pdf_page_images(scan.read_bytes(), str(scan)), str(scan))
    wall, cpu = time.perf_counter() - started, children_cpu_seconds() - cpu
    issue = parse_issue(normalize_text(text), str(scan), load_settings(ROOT / "config.yaml").domain)
    titles = [title for title, *_ in FEATURES]
    return {
        "dpi": dpi,
        "parallel_pages": parallel,
        "pages": pages,
        "character_error_rate": round(character_error_rate(reference, text), 4),
        "feature_titles_in_text": sum(squeeze(title) in squeeze(text) for title in titles),
        "features_parsed": sum(feature.title in titles for feature in issue.features),
        "briefs_parsed": len(issue.briefs),
        "seconds_per_page": round(wall / pages, 2),
        "tesseract_cpu_seconds_per_page": round(cpu / pages, 2),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dpi", type=int, nargs="+", default=[ocr.RENDER_DPI])
    parser.add_argument("--parallel", type=int, nargs="+", default=[ocr.PARALLEL_PAGES])
    args = parser.parse_args(argv)
    sys.path.insert(0, str(DATA))
    from make_scan_fixture import make_scan

    problem = ocr.ocr_problem()
    if problem:
        sys.exit(f"{problem}: {ocr.INSTALL}")
    with tempfile.TemporaryDirectory() as folder:
        scan = make_scan(Path(folder) / "scan.pdf")
        for dpi in args.dpi:
            for parallel in args.parallel:
                print(json.dumps(measure(scan, dpi, parallel)), flush=True)


if __name__ == "__main__":
    main()
