"""The data that flows through the indexer: extracted documents, issues and their articles."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field, replace
from typing import NamedTuple

PAGE_BREAK = "\f"


class Extracted(NamedTuple):
    """What a format's read() gives: the text (pages separated by PAGE_BREAK), the page count,
    whether the text was read from page images by OCR, and what makes the text doubtful (an encoding
    guessed between two), which flags its issue."""

    text: str
    pages: int
    ocr: bool = False
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class Document:
    """Text extracted from one archive file. PDF page breaks are kept as form feeds."""

    text: str
    source: str
    format: str  # "pdf", "html" or "text"
    page_count: int = 1
    ocr: bool = False  # read from page images by OCR, so it may hold misread characters
    problems: tuple[str, ...] = ()  # see Extracted


@dataclass(frozen=True)
class Article:
    id: str
    kind: str  # "feature", "brief" or "unassigned" (coverage.py's catch-all of text no article took)
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
class ParseReport:
    """How much of an issue the parser took into articles (see coverage.py), and what it warned of.
    Characters count letters, ideographs and digits of the body: the text after the masthead, the
    contents list left out."""

    contents_expected: int
    contents_found: int  # contents entries that are the title of a feature
    body_chars: int
    unassigned_chars: int  # body characters in no article but the catch-all
    problems: tuple[str, ...] = ()  # why the issue is flagged; none when it is not
    warnings: tuple[str, ...] = ()  # the parser's

    @property
    def flagged(self) -> bool:
        return bool(self.problems)

    @property
    def unassigned_share(self) -> float:
        return self.unassigned_chars / self.body_chars if self.body_chars else 0.0

    def to_dict(self) -> dict:
        return {
            **asdict(self),
            "problems": list(self.problems),
            "warnings": list(self.warnings),
            "flagged": self.flagged,
        }

    @classmethod
    def from_dict(cls, data: dict) -> ParseReport:
        return cls(
            contents_expected=data["contents_expected"],
            contents_found=data["contents_found"],
            body_chars=data["body_chars"],
            unassigned_chars=data["unassigned_chars"],
            problems=tuple(data["problems"]),
            warnings=tuple(data["warnings"]),
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
    report: ParseReport | None = None

    def flagged_for(self, problems: tuple[str, ...]) -> Issue:
        """The issue with its parse report flagged for problems of the file it was read from."""
        if not problems or self.report is None:
            return self
        return replace(self, report=replace(self.report, problems=problems + self.report.problems))

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
            "report": self.report.to_dict() if self.report else None,
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
            report=ParseReport.from_dict(data["report"]) if data.get("report") else None,
        )
