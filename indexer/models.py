"""The data that flows through the indexer: extracted documents, issues and their articles."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field, replace
from typing import NamedTuple

PAGE_BREAK = "\f"


class Extracted(NamedTuple):
    """What a format's read() gives: the text (pages separated by PAGE_BREAK), the page count, and
    whether the text was read from page images by OCR. A plain (text, pages) pair means no OCR."""

    text: str
    pages: int
    ocr: bool = False


@dataclass(frozen=True)
class Document:
    """Text extracted from one archive file. PDF page breaks are kept as form feeds."""

    text: str
    source: str
    format: str  # "pdf", "html" or "text"
    page_count: int = 1
    ocr: bool = False  # read from page images by OCR, so it may hold misread characters


@dataclass(frozen=True)
class Article:
    id: str
    kind: str  # "feature" or "brief"
    ordinal: int
    title: str
    paragraphs: tuple[str, ...]
    date: dt.date
    department: str | None
    counties: tuple[str, ...]
    page: int | None = None
    ocr: bool = False  # the text was read by OCR from a scan

    @property
    def body(self) -> str:
        return "\n".join(self.paragraphs)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["date"] = self.date.isoformat()
        data["paragraphs"] = list(self.paragraphs)
        data["counties"] = list(self.counties)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Article:
        return cls(
            **{
                **data,
                "date": dt.date.fromisoformat(data["date"]),
                "paragraphs": tuple(data["paragraphs"]),
                "counties": tuple(data["counties"]),
            }
        )


@dataclass(frozen=True)
class Issue:
    id: str
    publication: str
    number: int
    total_number: int
    date: dt.date
    contents: tuple[str, ...]
    articles: tuple[Article, ...]
    source: str
    sources: tuple[str, ...] = field(default=())
    warnings: tuple[str, ...] = field(default=())

    def read_by_ocr(self) -> Issue:
        """The issue with every article marked as read by OCR."""
        return replace(self, articles=tuple(replace(article, ocr=True) for article in self.articles))

    @property
    def features(self) -> tuple[Article, ...]:
        return tuple(a for a in self.articles if a.kind == "feature")

    @property
    def briefs(self) -> tuple[Article, ...]:
        return tuple(a for a in self.articles if a.kind == "brief")

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "publication": self.publication,
            "number": self.number,
            "total_number": self.total_number,
            "date": self.date.isoformat(),
            "contents": list(self.contents),
            "source": self.source,
            "sources": list(self.sources or (self.source,)),
            "articles": [a.to_dict() for a in self.articles],
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_dict(cls, data: dict) -> Issue:
        return cls(
            id=data["id"],
            publication=data["publication"],
            number=data["number"],
            total_number=data["total_number"],
            date=dt.date.fromisoformat(data["date"]),
            contents=tuple(data["contents"]),
            articles=tuple(Article.from_dict(a) for a in data["articles"]),
            source=data["source"],
            sources=tuple(data.get("sources") or ()),
            warnings=tuple(data.get("warnings") or ()),
        )
