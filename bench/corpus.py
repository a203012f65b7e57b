"""The benchmark's documents: the articles of an archive of plain-text issues, as flat dicts.

A doc is {"id", "kind", "title", "body", "date" (ISO), "counties" (list), "department", "issue"}.

TO BE REPLACED by indexer.parse.parse_issue: the tiny parser below reads only the layout that
bench.generate writes (and the seed issue). Swapping it is a change to load_archive alone:

    issue = parse_issue(text, path.name, load_settings().domain)
    docs.extend(article_doc(issue.id, article) for article in issue.articles)

`python -m bench.corpus DIR` compares the two parsers on an archive, which checks the generator too.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from bench.generate import SENTENCE_END
from indexer.settings import load_settings

ISSUE_NUMBER = re.compile(r"(?<!总)第\s*(\d+)\s*期")
TOTAL_NUMBER = re.compile(r"总第\s*(\d+)\s*期")
FULL_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
EVENT_DATE = re.compile(r"(\d{1,2})\s*月\s*(\d{1,2})\s*日")
BRIEF_OPENING = re.compile(r"^\d{1,2}\s*月\s*\d{1,2}\s*日(?:\s*[-至]\s*\d{1,2}\s*日)?\s*[，,]\s*")
ATTRIBUTION = re.compile(r"[（(]\s*((?:市科协|[^（）()]{2,4}科协)[^（）()]{0,6})\s*[）)]\s*$")
# The gazetteer (counties, then functional zones) comes from config.yaml, like the real parser's.
DOMAIN = load_settings().domain
SPELLINGS = sorted(DOMAIN.place_by_spelling().items(), key=lambda item: -len(item[0]))
PLACE_ORDER = [place.name for place in DOMAIN.places]
HEADING_MAX_CHARS = 20


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def split_attribution(text: str) -> tuple[str, str | None]:
    match = ATTRIBUTION.search(text)
    if match:
        return text[: match.start()].rstrip(), squeeze(match.group(1))
    return text, None


def counties_in(text: str, department: str | None) -> list[str]:
    """Substring matches (no word boundaries: that is the real parser's job), plus the department's county."""
    found = {name for spelling, name in SPELLINGS if spelling in text}
    if department:
        found |= {name for spelling, name in SPELLINGS if department.startswith(spelling)}
    return [name for name in PLACE_ORDER if name in found]


def event_date(text: str, year: int, fallback: str) -> str:
    match = EVENT_DATE.search(text)
    if not match:
        return fallback
    return f"{year:04d}-{int(match.group(1)):02d}-{int(match.group(2)):02d}"


def rejoin(lines: list[str]) -> list[str]:
    """Paragraphs cut by a page break: a long line that does not end a sentence continues below."""
    paragraphs: list[str] = []
    for line in lines:
        last = paragraphs[-1] if paragraphs else ""
        if last and len(squeeze(last)) > HEADING_MAX_CHARS and not SENTENCE_END.search(last):
            paragraphs[-1] = last + line
        else:
            paragraphs.append(line)
    return paragraphs


def parse_issue_text(text: str, source: str) -> list[dict]:
    """The articles of one generated issue. Raises ValueError when the layout is not the bulletin's."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    squeezed = [squeeze(line) for line in lines]
    try:
        toc = squeezed.index("本期要目")
        briefs_at = squeezed.index("简讯")
    except ValueError:
        raise ValueError(f"{source}: no 本期要目 or 简讯") from None
    head = "\n".join(lines[:toc])
    number, total, date = ISSUE_NUMBER.search(head), TOTAL_NUMBER.search(head), FULL_DATE.search(head)
    if not (number and total and date):
        raise ValueError(f"{source}: no masthead")
    issue_id = total.group(1)
    year = int(date.group(1))
    issue_date = f"{year:04d}-{int(date.group(2)):02d}-{int(date.group(3)):02d}"

    titles = []
    index = toc + 1
    while index < briefs_at and lines[index].startswith("- "):
        titles.append(lines[index][2:].strip())
        index += 1
    starts = []
    for title in titles:
        target = squeeze(title)
        while index < briefs_at and squeezed[index] != target:
            index += 1
        if index == briefs_at:
            raise ValueError(f"{source}: title not found in the body: {title}")
        starts.append(index)
        index += 1

    docs = []
    for ordinal, (title, start) in enumerate(zip(titles, starts, strict=True), start=1):
        stop = starts[ordinal] if ordinal < len(starts) else briefs_at
        paragraphs = rejoin(lines[start + 1 : stop])
        department = None
        if paragraphs:
            last, department = split_attribution(paragraphs[-1])
            paragraphs[-1:] = [last] if last else []
        body = "\n".join(paragraphs)
        docs.append(
            {
                "id": f"{issue_id}-f{ordinal:02d}",
                "kind": "feature",
                "title": title,
                "body": body,
                "date": event_date(body, year, issue_date),
                "counties": counties_in(title + "\n" + body, department),
                "department": department,
                "issue": issue_id,
            }
        )

    briefs: list[str] = []
    for line in lines[briefs_at + 1 :]:
        if BRIEF_OPENING.match(line) or not briefs:
            briefs.append(line)
        else:
            briefs[-1] += line
    for ordinal, line in enumerate(briefs, start=1):
        opening = BRIEF_OPENING.match(line)
        rest, department = split_attribution(line[opening.end() :] if opening else line)
        docs.append(
            {
                "id": f"{issue_id}-b{ordinal:02d}",
                "kind": "brief",
                "title": rest,
                "body": rest,
                "date": event_date(line[: opening.end()] if opening else "", year, issue_date),
                "counties": counties_in(rest, department),
                "department": department,
                "issue": issue_id,
            }
        )
    return docs


def issue_files(archive_dir: Path) -> list[Path]:
    return sorted(archive_dir.glob("*.txt"))


def load_archive(archive_dir: Path) -> list[dict]:
    docs: list[dict] = []
    for path in issue_files(archive_dir):
        docs.extend(parse_issue_text(path.read_text(encoding="utf-8"), path.name))
    return docs


def article_doc(issue_id: str, article) -> dict:
    """An indexer.models.Article as a benchmark doc (for when parse_issue replaces the parser above)."""
    return {
        "id": article.id,
        "kind": article.kind,
        "title": article.title,
        "body": article.body,
        "date": article.date.isoformat(),
        "counties": list(article.counties),
        "department": article.department,
        "issue": issue_id,
    }


def compare(archive_dir: Path) -> int:
    """How often this parser and indexer.parse.parse_issue disagree on the archive's articles."""
    from indexer.parse import parse_issue

    domain = DOMAIN
    mismatches = {"missing": 0, "title": 0, "body": 0, "date": 0, "department": 0, "counties": 0}
    total = warnings = 0
    for path in issue_files(archive_dir):
        text = path.read_text(encoding="utf-8")
        issue = parse_issue(text, path.name, domain)
        warnings += len(issue.warnings)
        ours = {doc["id"]: doc for doc in parse_issue_text(text, path.name)}
        for article in issue.articles:
            total += 1
            theirs = article_doc(issue.id, article)
            mine = ours.get(article.id)
            if mine is None:
                mismatches["missing"] += 1
                continue
            for key in ("title", "body", "date", "department", "counties"):
                if squeeze(str(mine[key])) != squeeze(str(theirs[key])):
                    mismatches[key] += 1
    print(f"{total} articles; parse_issue warnings: {warnings}; disagreements: {mismatches}")
    return 0 if not any(mismatches.values()) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Compare bench.corpus with indexer.parse on an archive.")
    parser.add_argument("archive", type=Path)
    return compare(parser.parse_args(argv).archive)


if __name__ == "__main__":
    sys.exit(main())
