"""The issue parser: normalized bulletin text in, an Issue with its feature articles and briefs out.

Pure: it takes a string and never touches files, so every rule here is tested on strings.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate

from indexer.errors import NotABulletin
from indexer.models import PAGE_BREAK, Article, Issue
from indexer.normalize import join_lines, single_spaced, squeeze
from indexer.settings import Domain
from indexer.wordseg import tokenizer_for

ISSUE_NUMBER = re.compile(r"(?<!总)(?<!总\s)第\s*(\d{1,4})\s*期")
TOTAL_NUMBER = re.compile(r"总\s*第\s*(\d{1,5})\s*期")
FULL_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
# An event date: an optional year, then month and day ("2022 年 5 月 10 日", "5月10日").
EVENT_DATE = re.compile(r"(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月\s*(\d{1,2})\s*日")
# A brief opens with its date, possibly a range ("5月11日-12日", "5 月 10 日至 13 日"), then a comma.
BRIEF_OPENING = re.compile(
    r"^(?:\d{4}\s*年\s*)?\d{1,2}\s*月\s*\d{1,2}\s*日"
    r"(?:\s*[-—–~～至到]\s*(?:\d{1,2}\s*月\s*)?\d{1,2}\s*日)?\s*[，,、：:]?\s*"
)
CLOSING_ATTRIBUTION = re.compile(r"[（(]\s*([^（）()]{2,20}?)\s*[）)]\s*$")
TOC_HEADING = re.compile(r"^本\s*期\s*要\s*目\s*[:：]?$")
BRIEFS_HEADING = re.compile(r"^[【\[]?\s*简\s*讯\s*[】\]]?$")
# A contents entry's list bullet or number, as word processors type them: a mark, "1." "1、" "1)",
# "（一）" "(1)", "一、", "①". A number followed by a digit is the entry's text ("5.30全国科技工作者日").
# Typed by hand the bullet may sit inside the entry's opening quote ("“★ 科创中国”温州站"): the quote stays.
TOC_BULLET = re.compile(
    r"^\s*(?P<quote>[“‘「『\"]?)\s*"
    r"(?:[-–—·•●○◆◇■□▪▫★☆▶►▸→※*]"
    r"|\d{1,2}\s*(?:\.(?!\d)|[、)）])"
    r"|[（(]\s*(?:[一二三四五六七八九十]{1,3}|\d{1,2})\s*[)）]"
    r"|[一二三四五六七八九十]{1,3}\s*、"
    r"|[\u2460-\u2473])\s*"
)
# A space typed between Chinese and a number ("2022 年", "开展 2022 年科普"), as office software spaces
# them on the page: typography, not part of a title.
TYPED_SPACE = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=\d)|(?<=\d)\s+(?=[\u3400-\u9fff])")
# Sentence-final punctuation, optionally closed by a quote or bracket. A paragraph that does not end
# like this and is longer than a heading was cut by a page or column break and continues below.
SENTENCE_END = re.compile(r"[。！？!?；;…]\s*[”’」』）)]*\s*$")
HEADING_MAX_CHARS = 20
MASTHEAD_MAX_LINES = 12
PLACE_CONTEXT = 8
# An event dated this far after the issue date belongs to the previous year (a December item in January).
FUTURE_TOLERANCE = dt.timedelta(days=31)


@dataclass
class Paragraph:
    text: str
    page: int


def split_paragraphs(text: str) -> list[Paragraph]:
    """Every non-empty line is a paragraph; form feeds advance the page number."""
    paragraphs = []
    page = 1
    for chunk in text.split(PAGE_BREAK):
        for line in chunk.splitlines():
            line = single_spaced(line)
            if line:
                paragraphs.append(Paragraph(line, page))
        page += 1
    return paragraphs


def continues_below(paragraph: str) -> bool:
    return len(squeeze(paragraph)) > HEADING_MAX_CHARS and not SENTENCE_END.search(paragraph)


def join_broken_paragraphs(paragraphs: list[str]) -> list[str]:
    """Rejoin paragraphs split by a page or line break; Chinese joins with no space."""
    joined: list[str] = []
    for paragraph in paragraphs:
        if joined and continues_below(joined[-1]):
            joined[-1] = join_lines(joined[-1], paragraph)
        else:
            joined.append(paragraph)
    return joined


def parse_masthead(head: str, source: str, domain: Domain) -> tuple[int, int, dt.date]:
    if squeeze(domain.publication) not in squeeze(head):
        raise NotABulletin(source, f"the masthead does not name {domain.publication}")
    number = ISSUE_NUMBER.search(head)
    total = TOTAL_NUMBER.search(head)
    date = FULL_DATE.search(head)
    missing = [name for name, match in (("第N期", number), ("总第N期", total), ("date", date)) if not match]
    if missing:
        raise NotABulletin(source, f"the masthead has no {', '.join(missing)}")
    try:
        issue_date = dt.date(*(int(group) for group in date.groups()))
    except ValueError as error:
        raise NotABulletin(source, f"the masthead date {date.group(0)} is not a date") from error
    return int(number.group(1)), int(total.group(1)), issue_date


def without_bullet(entry: str, bullet: re.Match | None) -> str:
    """The contents entry without the list bullet or number TOC_BULLET found in it, keeping its quote."""
    return without_typed_spaces(bullet.group("quote") + entry[bullet.end() :] if bullet else entry)


def without_typed_spaces(title: str) -> str:
    return TYPED_SPACE.sub("", title)


def parse_contents(paragraphs: list[Paragraph]) -> tuple[list[str], int]:
    """The 本期要目 titles and the index of the first paragraph after them.

    Entries end where the first title comes round again at the start of the body.
    """
    entries: list[str] = []
    bulleted = None
    for index, paragraph in enumerate(paragraphs):
        text = paragraph.text
        if BRIEFS_HEADING.match(squeeze(text)):
            return entries, index
        if entries and squeeze(entries[0]).startswith(squeeze(text)):
            return entries, index
        bullet = TOC_BULLET.match(text)
        if bulleted is None:
            bulleted = bool(bullet)
        if bullet or not bulleted or not entries:
            entries.append(without_bullet(text, bullet))
        else:
            entries[-1] = join_lines(entries[-1], text)
    return entries, len(paragraphs)


class SqueezedText:
    """Paragraphs concatenated without whitespace; origin() maps a character back to its paragraph."""

    def __init__(self, paragraphs: list[Paragraph]):
        self.paragraphs = [paragraph.text for paragraph in paragraphs]
        squeezed = [squeeze(text) for text in self.paragraphs]
        self.starts = list(accumulate((len(text) for text in squeezed), initial=0))[:-1]
        self.text = "".join(squeezed)

    def origin(self, position: int) -> tuple[int, int]:
        """(paragraph index, character index in it) of the squeezed text's character at position."""
        # Empty paragraphs share their start with the next one; the last of them holds the character.
        index = bisect.bisect_right(self.starts, position) - 1
        wanted, seen = position - self.starts[index], -1
        for offset, char in enumerate(self.paragraphs[index]):
            seen += not char.isspace()
            if seen == wanted:
                return index, offset
        raise IndexError(position)

    def find_title(self, title: str, start: int) -> int:
        """The first match at a paragraph start, else the first match anywhere, else -1."""
        needle = squeeze(title)
        first = position = self.text.find(needle, start)
        while position != -1:
            if self.origin(position)[1] == 0:
                return position
            position = self.text.find(needle, position + 1)
        return first


def event_date(text: str, issue_date: dt.date) -> dt.date:
    for match in EVENT_DATE.finditer(text):
        year, month, day = match.groups()
        try:
            date = dt.date(int(year) if year else issue_date.year, int(month), int(day))
        except ValueError:
            continue
        if not year and date > issue_date + FUTURE_TOLERANCE:
            date = date.replace(year=date.year - 1)
        return date
    return issue_date


def split_attribution(paragraph: str, domain: Domain) -> tuple[str, str | None]:
    """("正文……", "市科协学会部") from "正文……（市科协学会部）"."""
    match = CLOSING_ATTRIBUTION.search(paragraph)
    if match and domain.is_department(squeeze(match.group(1))):
        return paragraph[: match.start()].rstrip(), squeeze(match.group(1))
    return paragraph, None


@lru_cache(maxsize=8)
def place_pattern(domain: Domain) -> re.Pattern:
    spellings = sorted(domain.place_by_spelling(), key=len, reverse=True)
    return re.compile("|".join(re.escape(s) for s in spellings))


def counties_in(text: str, department: str | None, domain: Domain) -> tuple[str, ...]:
    """Places named as whole words (论文成果 is not 文成), plus the place a county-level department belongs to."""
    official = domain.place_by_spelling()
    tokenizer = tokenizer_for(domain)
    found = set()
    # Segmenting only a few characters around each candidate costs a fraction of segmenting the
    # article, and jieba's choice there is the same: its dictionary paths rarely reach further.
    for match in place_pattern(domain).finditer(text):
        if official[match.group(0)] in found:
            continue
        start = max(0, match.start() - PLACE_CONTEXT)
        window = text[start : match.end() + PLACE_CONTEXT]
        target, offset = match.start() - start, 0
        for word in tokenizer.cut(window, HMM=False):
            if offset >= target:
                if offset == target and word == match.group(0):
                    found.add(official[word])
                break
            offset += len(word)
    if department:
        for spelling, name in official.items():
            if department.startswith(spelling):
                found.add(name)
    return tuple(place.name for place in domain.places if place.name in found)


def parse_brief(
    text: str, ordinal: int, page: int, issue_id: str, issue_date: dt.date, domain: Domain
) -> Article:
    opening = BRIEF_OPENING.match(text)
    date = event_date(opening.group(0), issue_date)
    rest, department = split_attribution(text[opening.end() :], domain)
    title = without_typed_spaces(single_spaced(rest))
    return Article(
        id=f"{issue_id}-b{ordinal:02d}",
        kind="brief",
        ordinal=ordinal,
        title=title,
        paragraphs=(title,),
        date=date,
        department=department,
        counties=counties_in(title, department, domain),
        page=page,
    )


def parse_briefs(paragraphs: list[Paragraph], issue_id: str, issue_date: dt.date, domain: Domain):
    """Every dated line is one brief; an undated line continues the brief above it (a wrapped line)."""
    lines: list[Paragraph] = []
    warnings = []
    for paragraph in paragraphs:
        if BRIEF_OPENING.match(paragraph.text):
            lines.append(Paragraph(paragraph.text, paragraph.page))
        elif lines and split_attribution(lines[-1].text, domain)[1] is None:
            lines[-1].text = join_lines(lines[-1].text, paragraph.text)
        else:
            warnings.append(f"简讯: skipped an undated line: {paragraph.text[:30]}")
    briefs = [
        parse_brief(line.text, ordinal, line.page, issue_id, issue_date, domain)
        for ordinal, line in enumerate(lines, start=1)
    ]
    warnings += [f"简讯 {b.ordinal}: no closing department" for b in briefs if b.department is None]
    return briefs, warnings


def make_feature(
    title: str,
    body: list[Paragraph],
    ordinal: int,
    page: int,
    issue_id: str,
    issue_date: dt.date,
    domain: Domain,
) -> Article:
    texts = join_broken_paragraphs([p.text for p in body])
    department = None
    if texts:
        last, department = split_attribution(texts[-1], domain)
        texts[-1:] = [last] if last else []
    return Article(
        id=f"{issue_id}-f{ordinal:02d}",
        kind="feature",
        ordinal=ordinal,
        title=title,
        paragraphs=tuple(texts),
        date=event_date("\n".join(texts), issue_date),
        department=department,
        counties=counties_in(title + "\n" + "\n".join(texts), department, domain),
        page=page,
    )


def locate_titles(body: list[Paragraph], titles: list[str]):
    """(title, first paragraph index, paragraph index where its text starts, char offset) for each found title."""
    squeezed = SqueezedText(body)
    found, missing = [], []
    cursor = 0
    for title in titles:
        position = squeezed.find_title(title, cursor)
        if position == -1:
            missing.append(title)
            continue
        end = position + len(squeeze(title))
        start_paragraph = squeezed.origin(position)[0]
        if end < len(squeezed.text):
            after_paragraph, after_char = squeezed.origin(end)
        else:
            after_paragraph, after_char = len(body), 0
        found.append((title, start_paragraph, after_paragraph, after_char))
        cursor = end
    return found, missing


def parse_features(
    body: list[Paragraph], titles: list[str], issue_id: str, issue_date: dt.date, domain: Domain
):
    located, missing = locate_titles(body, titles)
    warnings = [f"本期要目 title not found in the body: {title}" for title in missing]
    features = []
    for ordinal, (title, start, after_paragraph, after_char) in enumerate(located, start=1):
        stop = located[ordinal][1] if ordinal < len(located) else len(body)
        paragraphs = list(body[after_paragraph:stop])
        if after_char and paragraphs:
            remainder = body[after_paragraph].text[after_char:].strip()
            paragraphs[0] = Paragraph(remainder, body[after_paragraph].page)
            if not remainder:
                paragraphs.pop(0)
        features.append(
            make_feature(title, paragraphs, ordinal, body[start].page, issue_id, issue_date, domain)
        )
    return features, warnings


def parse_features_without_contents(
    body: list[Paragraph], issue_id: str, issue_date: dt.date, domain: Domain
):
    """No 本期要目: each article is a title paragraph followed by text up to its closing attribution."""
    features = []
    current: list[Paragraph] = []
    for paragraph in body:
        current.append(paragraph)
        if split_attribution(paragraph.text, domain)[1] and len(current) > 1:
            title, *rest = current
            features.append(
                make_feature(title.text, rest, len(features) + 1, title.page, issue_id, issue_date, domain)
            )
            current = []
    warnings = ["no 本期要目: titles taken from the first line of each article"]
    if current:
        warnings.append(f"text after the last attribution was not an article: {current[0].text[:30]}")
    return features, warnings


def masthead_end(paragraphs: list[Paragraph]) -> int:
    """Without 本期要目, the masthead ends at its date line, which comes within the first lines."""
    for index, paragraph in enumerate(paragraphs[:MASTHEAD_MAX_LINES]):
        if FULL_DATE.search(paragraph.text):
            return index + 1
    return min(len(paragraphs), MASTHEAD_MAX_LINES)


def parse_issue(text: str, source: str, domain: Domain) -> Issue:
    """Parse one issue's normalized text. Raises NotABulletin when there is no masthead."""
    paragraphs = split_paragraphs(text)
    if not paragraphs:
        raise NotABulletin(source, "no text")
    toc_index = next((i for i, p in enumerate(paragraphs) if TOC_HEADING.match(squeeze(p.text))), None)
    head_end = toc_index if toc_index is not None else masthead_end(paragraphs)
    number, total_number, issue_date = parse_masthead(
        "\n".join(p.text for p in paragraphs[:head_end]), source, domain
    )
    issue_id = str(total_number)

    briefs_index = next(
        (i for i, p in enumerate(paragraphs) if i >= head_end and BRIEFS_HEADING.match(squeeze(p.text))),
        len(paragraphs),
    )
    if toc_index is not None:
        titles, body_start = parse_contents(paragraphs[toc_index + 1 : briefs_index])
        body = paragraphs[toc_index + 1 + body_start : briefs_index]
        features, warnings = parse_features(body, titles, issue_id, issue_date, domain)
    else:
        titles = []
        features, warnings = parse_features_without_contents(
            paragraphs[head_end:briefs_index], issue_id, issue_date, domain
        )
    briefs, brief_warnings = parse_briefs(paragraphs[briefs_index + 1 :], issue_id, issue_date, domain)
    if not features and not briefs:
        raise NotABulletin(source, "no articles found after the masthead")
    return Issue(
        id=issue_id,
        publication=domain.publication,
        number=number,
        total_number=total_number,
        date=issue_date,
        contents=tuple(titles) or tuple(f.title for f in features),
        articles=tuple(features + briefs),
        source=source,
        sources=(source,),
        warnings=tuple(warnings + brief_warnings),
    )
