"""A scan of the Chromium fixture as a scanner without OCR makes it: an image-only PDF.

    .venv/bin/python tests/data/make_scan_fixture.py OUT.pdf

The scan is not committed: at JPEG quality 60 it takes 2.9 MB (325 KB a page of dense Chinese text),
and JPEG 2000 small enough to commit (1.5 MB) reads worse. tests/test_ocr.py makes it once per session.

Each page of issue270-chromium.pdf is rasterised at 200 dpi in grey, turned slightly (0.6° and -0.4° on
alternate pages, as paper lies in a feeder), and stored as a JPEG (quality 60) in a PDF with no text
layer. The Chromium PDF's own text layer is the reference the OCR is measured
against (tests/test_ocr.py, bench/ocr_cer.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "issue270-chromium.pdf"
DPI = 200
ROTATIONS = (0.6, -0.4)
JPEG_QUALITY = 60


def scanned_pages(source: Path) -> list:
    import pypdfium2
    from PIL import Image

    pages = []
    document = pypdfium2.PdfDocument(source)
    for index in range(len(document)):
        image = document[index].render(scale=DPI / 72, grayscale=True).to_pil().convert("L")
        angle = ROTATIONS[index % len(ROTATIONS)]
        image = image.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
        pages.append(image)
    document.close()
    return pages


def make_scan(path: Path, source: Path = SOURCE) -> Path:
    pages = scanned_pages(source)
    # No dates in the file keep it byte-identical from one run to the next.
    pages[0].save(
        path,
        save_all=True,
        append_images=pages[1:],
        resolution=DPI,
        quality=JPEG_QUALITY,
        title="issue270 scan",
        creationDate=None,
        modDate=None,
    )
    return path


if __name__ == "__main__":
    scan = make_scan(Path(sys.argv[1]))
    print(f"{scan}: {scan.stat().st_size:,} bytes")
