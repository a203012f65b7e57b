"""The parse report of an issue: its contents entries found as articles and the body text no article
took; a flagged issue keeps that text searchable in one catch-all article.

Pure, and independent of how the parser found the articles: it looks for what the articles hold in the
issue's whitespace-squeezed text, in order, and counts what is left.
"""

from __future__ import annotations

import bisect
import dataclasses
import re
from collections.abc import Iterator
from itertools import accumulate, groupby

from indexer.models import PAGE_BREAK, Article, Issue, ParseReport
from indexer.normalize import single_spaced, squeeze

# More of an issue's body text than this left out of its articles flags the issue: page furniture
# the normalizer did not recognise stays well below it, a dropped paragraph does not.
MAX_UNASSIGNED_SHARE = 0.02
CATCH_ALL_KIND = "unassigned"
CATCH_ALL_ORDINAL = 1
# A title in the body is followed by its article's text within this many characters; the same
# title in the contents list is followed by the next title.
TITLE_FOLLOWER_WINDOW = 40
FOLLOWER_PREFIX = 12
# A heading the parser matched to a contents entry worded otherwise spans at most this many lines
# and this many times the entry's length (a shortened entry).
HEADING_MAX_LINES = 2
HEADING_MAX_LENGTH = 2
# A section (the briefs) may open with a heading line of no more than this many characters.
SECTION_HEADING_MAX = 6
# A department closes its article, set off from the text by brackets only.
DEPARTMENT_WINDOW = 4
# Else what stands in brackets where the department would be.
ATTRIBUTION = re.compile(r"[（(【\[〔][^（）()【】\[\]〔〕]{2,20}[）)】\]〕]")
# A paragraph not found whole (a line of furniture inside it was dropped, or its text normalized) is
# looked for sentence by sentence, then in halves down to this length, each close to the last match.
MIN_FRAGMENT = 6
FRAGMENT_SLACK = 200
# How much of the missing titles a problem names, and of each warning the report keeps (the issue
# keeps them whole): a contents entry that swallowed the body makes a title, and a warning, of pages.
TITLES_SHOWN = 3
TITLE_SHOWN = 40
WARNING_SHOWN = 200
SENTENCE_END = re.compile(r"(?<=[。！？!?；;])")
# A brief opens with its date, which the parser keeps as the brief's date, not in its text:
# "5月10日，", "2022年5月11日-12日", "二〇〇八年三月五日，".
DATE_OPENING = re.compile(r"[\d〇零一二三四五六七八九十年月日\-—–~～至到，,、：:]*日[，,、：:]?$")


def _flags(marks: bytes | bytearray) -> int:
    return int.from_bytes(marks, "little")


class SqueezedDocument:
    """The issue's lines without whitespace, one after the other; each character is marked once an
    article takes it."""

    def __init__(self, text: str):
        self.lines: list[str] = []
        self.pages: list[int] = []
        for page, chunk in enumerate(text.split(PAGE_BREAK), start=1):
            for raw_line in chunk.splitlines():
                line = single_spaced(raw_line)
                if line:
                    self.lines.append(line)
                    self.pages.append(page)
        squeezed = [squeeze(line) for line in self.lines]
        self.starts = list(accumulate((len(line) for line in squeezed), initial=0))
        self.text = "".join(squeezed)
        # Letters, ideographs and digits count as text; punctuation, bullets and brackets do not.
        self.is_text = bytes(map(str.isalnum, self.text))
        self.taken = bytearray(len(self.text))
        self.in_body = bytearray(b"\x01" * len(self.text))

    def occurrences(self, needle: str, start: int, stop: int | None = None) -> Iterator[tuple[int, int]]:
        """(start, end) of each occurrence of needle between start and stop; if there is none, of its
        letters and digits with any punctuation between them, as when a PDF reader moved a quote mark
        or the parser dropped a bullet."""
        stop = len(self.text) if stop is None else min(stop, len(self.text))
        position = self.text.find(needle, start, stop) if needle else -1
        if position != -1:
            while position != -1:
                yield position, position + len(needle)
                position = self.text.find(needle, position + 1, stop)
            return
        letters = [re.escape(char) for char in needle if char.isalnum()]
        if letters:
            for match in re.compile(r"\W*".join(letters)).finditer(self.text, start, stop):
                yield match.span()

    def take(self, start: int, end: int) -> None:
        self.taken[start:end] = b"\x01" * (end - start)

    def leave_out(self, start: int, end: int) -> None:
        """Not body text: the masthead, the contents list."""
        self.in_body[start:end] = bytes(end - start)

    def leave_out_heading(self, start: int) -> None:
        """The line before start, when it is a section heading (简讯): short, and in no article."""
        line = bisect.bisect_right(self.starts, start) - 1
        if line == 0 or self.starts[line] != start:
            return
        first, end = self.starts[line - 1], start
        if not any(self.taken[first:end]) and sum(self.is_text[first:end]) <= SECTION_HEADING_MAX:
            self.leave_out(first, end)

    # The marks are bytes of 0 or 1, so counting is bitwise on whole integers rather than a Python
    # step per character (an issue holds ~10,000 characters; this was a third of parsing).
    def body_chars(self) -> int:
        return (_flags(self.is_text) & _flags(self.in_body)).bit_count()

    def unassigned(self, position: int) -> bool:
        return self.in_body[position] and not self.taken[position]

    def unassigned_chars(self) -> int:
        return (_flags(self.is_text) & _flags(self.in_body) & ~_flags(self.taken)).bit_count()

    def unassigned_parts(self) -> list[tuple[str, int]]:
        """(text, page) of the body text no article took, line by line, whole and with its spaces."""
        parts = []
        for line, text in enumerate(self.lines):
            offsets = [offset for offset, char in enumerate(text) if not char.isspace()]
            start = self.starts[line]
            runs = []
            for unassigned, group in groupby(range(start, self.starts[line + 1]), key=self.unassigned):
                run = list(group)
                if unassigned and any(self.is_text[position] for position in run):
                    runs.append(text[offsets[run[0] - start] : offsets[run[-1] - start] + 1])
            if runs:
                parts.append((" ".join(runs), self.pages[line]))
        return parts


class ArticleMatcher:
    """Walks the document once, article by article, taking each one's title, text and department."""

    def __init__(self, document: SqueezedDocument):
        self.document = document
        self.cursor = 0
        self.first_start: int | None = None
        self.kind: str | None = None

    def match(self, article: Article) -> None:
        section_starts = article.kind != self.kind
        self.kind = article.kind
        title = squeeze(article.title)
        pieces = [squeeze(p) for p in article.paragraphs]
        pieces = [piece for piece in pieces if piece and piece != title]
        department = squeeze(article.department or "")
        before = self.cursor
        start = self.find_title(title, pieces[0] if pieces else department)
        if start is not None:
            opening = (
                DATE_OPENING.search(self.document.text, before, start) if article.kind == "brief" else None
            )
            if opening:
                start = opening.start()
                self.document.take(start, self.cursor)
            if section_starts:
                self.document.leave_out_heading(start)
            if self.first_start is None:
                self.first_start = start
        for piece in pieces:
            self.take_piece(piece)
        if department and not self.take(department, DEPARTMENT_WINDOW):
            # The parser may name the department otherwise than printed (an alias made official).
            attribution = ATTRIBUTION.match(self.document.text, self.cursor)
            if attribution:
                self.document.take(*attribution.span())
                self.cursor = attribution.end()

    def find_title(self, title: str, follower: str) -> int | None:
        """The occurrence of the title that its article's text follows most closely, else the heading
        printed right above that text, else the title's first occurrence."""
        text = self.document.text
        best = None
        for start, end in self.document.occurrences(title, self.cursor):
            gap = text.find(follower[:FOLLOWER_PREFIX], end, end + TITLE_FOLLOWER_WINDOW) - end
            candidate = (gap if follower and gap >= 0 else TITLE_FOLLOWER_WINDOW, start, end)
            best = min(best or candidate, candidate)
            if not gap:
                break
        if follower and (best is None or best[0] == TITLE_FOLLOWER_WINDOW):
            heading = self.printed_heading(follower, len(title))
            best = (0, *heading) if heading else best
        if best is None:
            return None
        _, start, self.cursor = best
        self.document.take(start, self.cursor)
        return start

    def printed_heading(self, follower: str, title_length: int) -> tuple[int, int] | None:
        """(start, end) of the one or two whole lines right above the article's text, as long as a
        reworded title at most: the parser took its contents entry's title from a heading printed
        otherwise (parse.locate_titles)."""
        starts = self.document.starts
        text_start = self.document.text.find(follower[:FOLLOWER_PREFIX], self.cursor)
        line = bisect.bisect_right(starts, text_start) - 1
        if text_start == -1 or starts[line] != text_start:
            return None
        first = line
        while (
            first > max(0, line - HEADING_MAX_LINES)
            and starts[first - 1] >= self.cursor
            and text_start - starts[first - 1] <= HEADING_MAX_LENGTH * title_length
        ):
            first -= 1
        return (starts[first], text_start) if first < line else None

    def take(self, needle: str, window: int | None) -> bool:
        stop = None if window is None else self.cursor + window + len(needle)
        span = next(self.document.occurrences(needle, self.cursor, stop), None)
        if span is None:
            return False
        self.document.take(*span)
        self.cursor = span[1]
        return True

    def take_piece(self, piece: str) -> None:
        if self.take(piece, None):
            return
        for sentence in SENTENCE_END.split(piece):
            self.take_fragment(sentence)

    def take_fragment(self, fragment: str) -> None:
        if len(fragment) < MIN_FRAGMENT or self.take(fragment, FRAGMENT_SLACK):
            return
        middle = len(fragment) // 2
        self.take_fragment(fragment[:middle])
        self.take_fragment(fragment[middle:])


def contents_list(document: SqueezedDocument, titles: list[str], start: int, stop: int) -> tuple[int, int]:
    """The contents list: from start, where its first entry is, to the last of the entries that are
    titles of features, looked for in order before stop; bullets and numbers between them go with them."""
    end = start
    for title in titles:
        span = next(document.occurrences(title, end, stop), None)
        if span is not None:
            end = span[1]
    return start, end


def catch_all_article(issue: Issue, paragraphs: list[tuple[str, int]]) -> Article:
    return Article(
        id=f"{issue.id}-x{CATCH_ALL_ORDINAL:02d}",
        kind=CATCH_ALL_KIND,
        ordinal=CATCH_ALL_ORDINAL,
        title=f"未归入文章的文字（第{issue.number}期）",
        paragraphs=tuple(text for text, _ in paragraphs),
        date=issue.date,
        department=None,
        counties=(),
        page=paragraphs[0][1],
    )


def cut(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def shortened(titles: tuple[str, ...]) -> str:
    """A few titles, each cut short: an entry that swallowed the body can run to pages."""
    listed = [cut(title, TITLE_SHOWN) for title in titles[:TITLES_SHOWN]]
    return "、".join(listed) + ("、…" if len(titles) > TITLES_SHOWN else "")


def problems_of(
    contents: tuple[str, ...], missing: tuple[str, ...], unassigned: int, body: int
) -> tuple[str, ...]:
    problems = []
    if missing:
        problems.append(f"{len(missing)} of {len(contents)} contents titles not found ({shortened(missing)})")
    if body and unassigned / body > MAX_UNASSIGNED_SHARE:
        problems.append(
            f"{unassigned / body:.1%} of body text unassigned ({unassigned} of {body} characters)"
        )
    return tuple(problems)


def with_parse_report(issue: Issue, text: str) -> Issue:
    """The issue with its parse report; a flagged issue also gets a catch-all article of the body
    text no article took. Given an issue that has one, the report is made anew."""
    articles = tuple(article for article in issue.articles if article.kind != CATCH_ALL_KIND)
    document = SqueezedDocument(text)
    matcher = ArticleMatcher(document)
    for article in articles:
        matcher.match(article)
    body_start = matcher.first_start if matcher.first_start is not None else len(document.text)

    titles = {squeeze(article.title) for article in issue.features}
    entries = [squeeze(entry) for entry in issue.contents]
    missing = tuple(
        entry for entry, squeezed in zip(issue.contents, entries, strict=True) if squeezed not in titles
    )
    # The masthead ends where the contents list starts, or without one where the first article does.
    # The list ends with the last entry that is a feature's title: entries after it (one may have
    # swallowed the body) count as body text.
    listed = next(document.occurrences(entries[0], 0), None) if entries else None
    masthead_end = min(listed[0], body_start) if listed else body_start
    document.leave_out(0, masthead_end)
    document.leave_out(
        *contents_list(document, [e for e in entries if e in titles], masthead_end, body_start)
    )

    body, unassigned = document.body_chars(), document.unassigned_chars()
    problems = problems_of(issue.contents, missing, unassigned, body)
    report = ParseReport(
        contents_expected=len(issue.contents),
        contents_found=len(issue.contents) - len(missing),
        body_chars=body,
        unassigned_chars=unassigned,
        problems=problems,
        warnings=tuple(cut(warning, WARNING_SHOWN) for warning in issue.warnings),
    )
    leftover = document.unassigned_parts() if problems else []
    if leftover:
        articles = (*articles, catch_all_article(issue, leftover))
    return dataclasses.replace(issue, articles=articles, report=report)
