"""The issue parser: normalized bulletin text in, an Issue with its feature articles and briefs out.

Pure: it takes a string and never touches files, so every rule here is tested on strings. It reads
traditional characters as simplified (folded) and keeps the text as printed.
"""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
import difflib
import re
from dataclasses import dataclass
from functools import lru_cache, reduce
from itertools import accumulate

from indexer.coverage import with_parse_report
from indexer.errors import NotABulletin
from indexer.models import PAGE_BREAK, Article, Issue
from indexer.normalize import join_lines, single_spaced, squeeze, to_simplified
from indexer.settings import Domain
from indexer.wordseg import tokenizer_for

# Dates are printed in Arabic or, in older issues, Chinese numerals: 二〇〇八年三月三十一日. A year is
# four digits (〇, ○ U+25CB, 零 or a typed letter O for zero); months and days count in tens (三十一).
ZERO_TO_NINE = "〇○零O一二三四五六七八九"
NUMERAL_VALUES = {char: max(0, index - 3) for index, char in enumerate(ZERO_TO_NINE)}
NUMERAL_UNITS = {"十": 10, "百": 100, "千": 1000}
YEAR = rf"(?:\d{{4}}|[{ZERO_TO_NINE}]{{4}})"
MONTH = r"(?:\d{1,2}|十[一二]?|[一二三四五六七八九])"
DAY = r"(?:\d{1,2}|[一二三]?十[一二三四五六七八九]?|[一二三四五六七八九])"
SMALL_NUMBER = r"(?:\d{1,4}|[一二三四五六七八九十]{1,3})"
ISSUE_NUMBER = re.compile(rf"(?<!总)(?<!总\s)第\s*({SMALL_NUMBER})\s*期")
# 总第105期, and in some years 总105期; in Chinese numerals 总第二百七十期 or 总第二七〇期.
TOTAL_NUMBER = re.compile(rf"总\s*第?\s*(\d{{1,5}}|[{ZERO_TO_NINE}十百千]{{1,8}})\s*期")
FULL_DATE = re.compile(rf"({YEAR})\s*年\s*({MONTH})\s*月\s*({DAY})\s*日")
# A masthead that dates its issue by month alone: 二〇〇八年三月.
YEAR_MONTH = re.compile(rf"({YEAR})\s*年\s*({MONTH})\s*月(?!\s*{DAY}\s*日)")
# An event date: an optional year, then month and day ("2022 年 5 月 10 日", "5月10日", "三月五日").
EVENT_DATE = re.compile(rf"(?:({YEAR})\s*年\s*)?({MONTH})\s*月\s*({DAY})\s*日")
# A brief opens with its date, possibly a range ("5月11日-12日", "5 月 10 日至 13 日"), then a comma.
DATE_OPENING = (
    rf"(?:{YEAR}\s*年\s*)?{MONTH}\s*月\s*{DAY}\s*日(?:\s*[-—–~～至到]\s*(?:{MONTH}\s*月\s*)?{DAY}\s*日)?"
)
# Older briefs may open with "recently" instead of a date; they are dated the issue's date.
# Or with a part of a month: 本月, 月初, 5月上旬, 4月下旬, 月底; dated the part's first day (see vague_date).
# Only before a comma: a wrapped line may well start with 月底举行.
VAGUE_OPENING = rf"(?:(?:{MONTH}\s*月|本?月)\s*(?:上旬|中旬|下旬|初|中|底|末)|本月)(?=\s*[，,、：:])"
UNDATED_OPENING = rf"(?:近日|日前|近期|{VAGUE_OPENING})"
# A brief may stand behind a bullet or its number: ◇5月1日，…, （3）5月1日，…, 3.5月1日，…
BRIEF_BULLET = r"(?:(?:[-–·•●○◆◇■□▪★☆▶►※◎]|[（(]\d{1,3}[)）]|\d{1,3}[.、])\s*)?"
VAGUE_BRIEF_OPENING = re.compile(rf"^{BRIEF_BULLET}({VAGUE_OPENING})")
BRIEF_OPENING = re.compile(rf"^{BRIEF_BULLET}(?:{DATE_OPENING}|{UNDATED_OPENING})\s*[，,、：:]?\s*")
# Where one line holds several briefs: a new opening right after a closing bracket (not a brief's
# number, （3）) or a full stop.
BRIEF_BOUNDARY = re.compile(
    r"(?<=[)）】］〕\]。！？!?])(?<![（(]\d[)）])(?<![（(]\d\d[)）])(?<![（(]\d\d\d[)）])"
    rf"\s*(?={BRIEF_BULLET}(?:{DATE_OPENING}|{UNDATED_OPENING})\s*[，,、：:\s])"
)
# （市科协学会部）, (平阳县科协), 【市科协办公室】, 〔…〕, ［…］, also （供稿：…）, （来源：…）, （——…）, （…供稿）.
ATTRIBUTION_OPEN, ATTRIBUTION_CLOSE = r"（(【［\[〔〖", r"）)】］\]〕〗"
ATTRIBUTION_INSIDE = (
    rf"\s*(?:(?:供稿|来源|稿源|信息来源)\s*[:：]\s*|[-—–]{{1,2}}\s*)?"
    rf"([^{ATTRIBUTION_OPEN}{ATTRIBUTION_CLOSE}]{{2,20}}?)\s*(?:供稿)?\s*"
)
CLOSING_ATTRIBUTION = re.compile(rf"[{ATTRIBUTION_OPEN}]{ATTRIBUTION_INSIDE}[{ATTRIBUTION_CLOSE}]\s*$")
# OCR loses brackets: "…开展活动（鹿城区科协" keeps its opening one only; "…开展活动鹿城区科协)", its
# closing one only, is matched against the known departments (known_department_ending).
UNCLOSED_ATTRIBUTION = re.compile(rf"[{ATTRIBUTION_OPEN}]{ATTRIBUTION_INSIDE}$")
LAST_BRACKET = re.compile(
    rf"[{ATTRIBUTION_OPEN}{ATTRIBUTION_CLOSE}][^{ATTRIBUTION_OPEN}{ATTRIBUTION_CLOSE}]*$"
)
# Headings and titles may be bracketed or decorated: 【简讯】, ◎基层动态, ★要目★, 【市科协…调研】.
OPENING_MARKS, CLOSING_MARKS = "【[〔［◎●○◆◇■□★☆▲△▶►※", "】]〕］◎●○◆◇■□★☆▲△◀※"
HEADING_OPEN = rf"[{re.escape(OPENING_MARKS)}]*"
HEADING_CLOSE = rf"[{re.escape(CLOSING_MARKS)}]*[:：]?"
# 本期要目, 要目, 目  录, 目录, 本期目录.
TOC_HEADING = re.compile(rf"^{HEADING_OPEN}(?:本期)?(?:要目|目录){HEADING_CLOSE}$")
# 简讯, 简讯摘要, 工作简讯, 工作动态, 基层动态 and the like.
BRIEFS_HEADING = re.compile(
    rf"^{HEADING_OPEN}(?:(?:工作)?简讯(?:摘要)?|(?:工作|基层|科协|学会|县区|县市区|各地)动态){HEADING_CLOSE}$"
)
# A contents entry's list bullet or number, as word processors type them: a mark, "1." "1、" "1)",
# "（一）" "(1)", "一、", "①". A number followed by a digit is the entry's text ("5.30全国科技工作者日").
# Typed by hand the bullet may sit inside the entry's opening quote ("“★ 科创中国”温州站"): the quote stays.
TOC_BULLET_PATTERN = (
    r"\s*(?P<quote>[“‘「『\"]?)\s*"
    r"(?:[-–—·•●○◆◇■□▪▫★☆▶►▸→※*]"
    r"|\d{1,2}\s*(?:\.(?!\d)|[、)）])"
    r"|[（(]\s*(?:[一二三四五六七八九十]{1,3}|\d{1,2})\s*[)）]"
    r"|[一二三四五六七八九十]{1,3}\s*、"
    r"|[\u2460-\u2473])\s*"
)
TOC_BULLET = re.compile("^" + TOC_BULLET_PATTERN)
# A contents entry's page number, behind dot leaders (……3, ....3, ···3) or spaces (召开  2).
PAGE_REFERENCE = re.compile(r"(?:\s*(?:[.．·…‥_]\s*){2,}|\s+)\d{1,3}\s*$")
# A contents list set as a table with a number column gives the number as a paragraph of its own
# ("1", "01", "１"), or the bullet alone ("★", "一、"): it labels the entry that follows.
ENTRY_LABEL = re.compile(rf"^(?:\d{{1,2}}|{TOC_BULLET_PATTERN})$")
# A space typed between Chinese and a number ("2022 年", "开展 2022 年科普"), as office software spaces
# them on the page: typography, not part of a title.
TYPED_SPACE = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=\d)|(?<=\d)\s+(?=[\u3400-\u9fff])")
# Sentence-final punctuation, optionally closed by a quote or bracket. A paragraph that does not end
# like this and is longer than a heading was cut by a page or column break and continues below.
SENTENCE_END = re.compile(r"[。！？!?；;…]\s*[”’」』）)]*\s*$")
HEADING_MAX_CHARS = 20
# A paragraph this long that ends a sentence is running text, never a contents entry.
PROSE_MIN_CHARS = 60
# Without a 简讯 heading, this many dated lines, making up this share of what follows an article's
# department, are the briefs.
UNHEADED_BRIEFS_MIN = 3
UNHEADED_BRIEFS_SHARE = 0.6
# Without a contents list, a title is at most two lines, each this short and not ending a clause.
TITLE_MAX_CHARS = 40
TITLE_MAX_LINES = 2
TITLE_NEVER_ENDS = re.compile(r"[。；;，,：:、]\s*[”’」』）)]*\s*$")
# A contents title not in the body as listed is found by its printed heading (locate_titles) when
# difflib's ratio of their letters reaches this: two characters misread in the shortest title (17
# letters) give 0.88, a reworded verb (成功举办/隆重举办) 0.91; against every other paragraph and pair of
# paragraphs of the fixtures a title's best is 0.59 (its article's first sentence, which names it).
TITLE_SIMILARITY = 0.75
# Or when the one's letters stand whole in the other's, as when the editor shortened the heading
# (林建波赴瑞安调研科创工作, 12 of its entry's 21: ratio 0.73); the shorter at least this long and
# this share of the longer. No heading-like line of the fixtures lies in a title but 5 letters
# (科创中国试, 0.21).
CONTAINED_MIN_CHARS = 8
CONTAINED_MIN_SHARE = 0.5
# Characters either side of a line break that word segmentation looks at to tell whether the break
# falls inside a word.
WORD_WINDOW = 4
MASTHEAD_MAX_LINES = 12
# A line of the masthead's own details: its date, 第N期, 总第N期, a year, brackets and separators. A
# text box read out of place can put such lines inside the contents list.
MASTHEAD_DETAILS = re.compile(
    rf"{FULL_DATE.pattern}|{YEAR_MONTH.pattern}|{ISSUE_NUMBER.pattern}|{TOTAL_NUMBER.pattern}|{YEAR}\s*年"
)
MASTHEAD_SEPARATORS = re.compile(r"[\s()（）【】\[\]·•|/—–-]*")
PLACE_CONTEXT = 8
VAGUE_DATE = re.compile(rf"({MONTH})?\s*月\s*(上旬|中旬|下旬|初|中|底|末)?")
# The first day of each part of a month; 底 and 末 are its last day.
PART_OF_MONTH_DAY = {"上旬": 1, "初": 1, "中旬": 11, "中": 11, "下旬": 21}
# An event dated this far after the issue date belongs to the previous year (a December item in January).
FUTURE_TOLERANCE = dt.timedelta(days=31)


def folded(text: str) -> str:
    """The text as the patterns and settings read it: simplified (溫州科協 → 温州科协), character for
    character, so that a position in it is the same position in the text as printed.

    Every entry of OpenCC's t2s tables is as long as what it replaces (opencc 1.4: 477 phrases, 4,148
    characters, 1,002 compatibility ideographs), so this is its phrase-level conversion; should a
    table ever change a length, each character is folded alone.
    """
    simplified = to_simplified(text)
    if len(simplified) == len(text):
        return simplified
    return "".join(char if len(simple := to_simplified(char)) != 1 else simple for char in text)


def is_contents_heading(text: str) -> bool:
    return TOC_HEADING.match(squeeze(folded(text))) is not None


def is_briefs_heading(text: str) -> bool:
    return BRIEFS_HEADING.match(squeeze(folded(text))) is not None


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


def numeral_value(text: str) -> int:
    """2008, 3, 二〇〇八 → 2008, 十二 → 12, 三十一 → 31, 二百七十 → 270, 一百零五 → 105."""
    if text.isascii():
        return int(text)
    if not any(char in NUMERAL_UNITS for char in text):
        return int("".join(str(NUMERAL_VALUES[char]) for char in text))
    total = digit = 0
    for char in text:
        if char in NUMERAL_UNITS:
            total += (digit or 1) * NUMERAL_UNITS[char]
            digit = 0
        else:
            digit = NUMERAL_VALUES[char]
    return total + digit


def parse_masthead(head: str, source: str, domain: Domain) -> tuple[int, int, dt.date, list[str]]:
    """第N期, 总第N期, the issue date and warnings. A masthead dated by month alone (二〇〇八年三月) dates
    the issue the month's last day, as monthly issues dated in full are."""
    head = folded(head)
    if squeeze(domain.publication) not in squeeze(head):
        raise NotABulletin(source, f"the masthead does not name {domain.publication}")
    number = ISSUE_NUMBER.search(head)
    total = TOTAL_NUMBER.search(head)
    date = FULL_DATE.search(head) or YEAR_MONTH.search(head)
    missing = [name for name, match in (("第N期", number), ("总第N期", total), ("date", date)) if not match]
    if missing:
        raise NotABulletin(source, f"the masthead has no {', '.join(missing)}")
    year, month, *day = (numeral_value(group) for group in date.groups())
    warnings = []
    try:
        if not day:
            day = [calendar.monthrange(year, month)[1]]
            warnings.append(f"the masthead date {date.group(0)} has no day: dated the month's last day")
        issue_date = dt.date(year, month, *day)
    except ValueError as error:
        raise NotABulletin(source, f"the masthead date {date.group(0)} is not a date") from error
    return numeral_value(number.group(1)), numeral_value(total.group(1)), issue_date, warnings


def unmarked(text: str) -> str:
    """The squeezed text without the brackets or decoration around it: 【标题】 → 标题."""
    return squeeze(text).lstrip(OPENING_MARKS).rstrip(CLOSING_MARKS)


def without_bullet(entry: str, bullet: re.Match | None) -> str:
    """The contents entry without the list bullet or number TOC_BULLET found in it, keeping its quote."""
    return without_typed_spaces(bullet.group("quote") + entry[bullet.end() :] if bullet else entry)


def without_typed_spaces(title: str) -> str:
    return TYPED_SPACE.sub("", title)


def is_masthead_line(text: str, publication: str) -> bool:
    """A line holding nothing but the publication's name and the masthead's details (see MASTHEAD_DETAILS)."""
    text = squeeze(folded(text))
    rest = MASTHEAD_DETAILS.sub("", text.replace(squeeze(publication), ""))
    return rest != text and MASTHEAD_SEPARATORS.fullmatch(rest) is not None


def parse_contents(paragraphs: list[Paragraph], publication: str = "") -> tuple[list[str], int, list[str]]:
    """The 本期要目 titles, the index of the first paragraph after them and the masthead's lines met
    among them.

    Entries end where the first title comes round again at the start of the body. A text box read out
    of place can put the contents before the masthead's date line: masthead lines up to there (and no
    further, so that no date in the body is taken for the issue's) are no entries. When the first
    heading is printed otherwise (misread by OCR, reworded), the first paragraph of prose ends them:
    the body begins at the lines above it that resemble the first title, else at the last line.
    """
    entries: list[str] = []
    entry_lines: list[int] = []
    masthead: list[str] = []
    bulleted = None
    labelled = False
    for index, paragraph in enumerate(paragraphs):
        text = paragraph.text
        if is_briefs_heading(text):
            return entries, index, masthead
        if ENTRY_LABEL.match(text):
            bulleted = labelled = True
            continue
        if is_masthead_line(text, publication):
            masthead.append(text)
            continue
        if entries and (bare := unmarked(folded(text))) and squeeze(folded(entries[0])).startswith(bare):
            return entries, index, masthead
        if len(entries) > 1 and is_prose(text):
            body_start = first_heading_line(paragraphs, entry_lines, entries[0])
            titles, _, masthead = parse_contents(paragraphs[:body_start], publication)
            return titles, body_start, masthead
        entry_lines.append(index)
        text = PAGE_REFERENCE.sub("", text)
        bullet = TOC_BULLET.match(text)
        if bulleted is None:
            bulleted = bool(bullet)
        if bullet or labelled or not bulleted or not entries:
            entries.append(without_bullet(text, bullet))
        else:
            entries[-1] = join_lines(entries[-1], text)
        labelled = False
    return entries, len(paragraphs), masthead


def is_prose(text: str) -> bool:
    """A paragraph of running text, which no contents entry is: long, and ending a sentence."""
    return len(squeeze(text)) >= PROSE_MIN_CHARS and bool(SENTENCE_END.search(text))


def first_heading_line(paragraphs: list[Paragraph], entry_lines: list[int], first_title: str) -> int:
    """Which of the lines read as contents before the first prose paragraph begins the first article:
    the first after the first entry that, alone or with the next (a wrapped heading), resembles the
    first title; else the last line, a heading of one line."""
    for position, line in enumerate(entry_lines[1:], start=1):
        following = entry_lines[position + 1 : position + 2]
        for heading in (paragraphs[line].text, " ".join(paragraphs[i].text for i in [line, *following])):
            if resembles(first_title, heading) is not None:
                return line
    return entry_lines[-1]


class SqueezedText:
    """Paragraphs concatenated without whitespace; origin() maps a character back to its paragraph."""

    def __init__(self, paragraphs: list[Paragraph]):
        self.paragraphs = [paragraph.text for paragraph in paragraphs]
        squeezed = [squeeze(folded(text)) for text in self.paragraphs]
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

    def starts_paragraph(self, position: int) -> bool:
        """Whether the character at position opens its paragraph (after any 【 or ◆)."""
        index, offset = self.origin(position)
        return not squeeze(self.paragraphs[index][:offset]).lstrip(OPENING_MARKS)

    def find_title(self, title: str, start: int) -> int:
        """The first match at a paragraph start (after any 【 or ◆), else the first match anywhere, else -1."""
        needle = squeeze(folded(title))
        first = position = self.text.find(needle, start)
        while position != -1:
            if self.starts_paragraph(position):
                return position
            position = self.text.find(needle, position + 1)
        return first


def vague_date(opening: str, issue_date: dt.date) -> dt.date | None:
    """The date a brief opening with a part of a month stands for (5月上旬 → May 1st, 月底 → the
    issue month's last day, 本月 → the issue date), or None for any other opening."""
    vague = VAGUE_BRIEF_OPENING.match(opening)
    if vague is None:
        return None
    month_text, part = VAGUE_DATE.search(vague.group(1)).groups()
    if part is None:
        return issue_date
    month = numeral_value(month_text) if month_text else issue_date.month
    year = issue_date.year - (month > issue_date.month + 1)
    day = PART_OF_MONTH_DAY.get(part) or calendar.monthrange(year, month)[1]
    return dt.date(year, month, day)


def event_date(text: str, issue_date: dt.date) -> dt.date:
    for match in EVENT_DATE.finditer(text):
        year, month, day = (numeral_value(group) if group else None for group in match.groups())
        try:
            date = dt.date(year or issue_date.year, month, day)
        except ValueError:
            continue
        if not year and date > issue_date + FUTURE_TOLERANCE:
            date = date.replace(year=date.year - 1)
        return date
    return issue_date


@lru_cache(maxsize=8)
def known_departments(domain: Domain) -> frozenset[str]:
    """The departments the settings name (市科协学会部) and each county's association (鹿城区科协, 文成科协)."""
    return frozenset((*domain.departments, *(spelling + "科协" for spelling in domain.place_by_spelling())))


@lru_cache(maxsize=8)
def known_department_ending(domain: Domain) -> re.Pattern:
    """A known department before a closing bracket that ends the text."""
    names = sorted(known_departments(domain), key=len, reverse=True)
    alternatives = "|".join(re.escape(name) for name in names)
    return re.compile(rf"({alternatives})\s*(?:供稿)?\s*[{ATTRIBUTION_CLOSE}]\s*$")


def split_attribution(paragraph: str, domain: Domain) -> tuple[str, str | None]:
    """("正文……", "市科协学会部") from "正文……（市科协学会部）", "正文……【供稿：市科协学会部】" and the like.

    With one bracket lost (by OCR) the department must be one the settings know: any text may end
    in a bracket, and department_pattern takes "开展活动鹿城区科协" for a department too.
    """
    readable = folded(paragraph)
    match = CLOSING_ATTRIBUTION.search(readable)
    if match and domain.is_department(squeeze(match.group(1))):
        return paragraph[: match.start()].rstrip(), squeeze(match.group(1))
    unclosed = UNCLOSED_ATTRIBUTION.search(readable)
    if unclosed and squeeze(unclosed.group(1)) in known_departments(domain):
        return paragraph[: unclosed.start()].rstrip(), squeeze(unclosed.group(1))
    unopened = known_department_ending(domain).search(readable)
    if unopened:
        # A bracket opened before the name holds more than the name: （龙湾区、鹿城区科协).
        last_bracket = LAST_BRACKET.search(readable, 0, unopened.start())
        if last_bracket is None or last_bracket.group(0)[0] not in ATTRIBUTION_OPEN:
            return paragraph[: unopened.start()].rstrip(), unopened.group(1)
    return paragraph, None


@lru_cache(maxsize=8)
def place_pattern(domain: Domain) -> re.Pattern:
    spellings = sorted(domain.place_by_spelling(), key=len, reverse=True)
    return re.compile("|".join(re.escape(s) for s in spellings))


def counties_in(text: str, department: str | None, domain: Domain) -> tuple[str, ...]:
    """Places named as whole words (论文成果 is not 文成), plus the place a county-level department belongs to."""
    official = domain.place_by_spelling()
    tokenizer = tokenizer_for(domain)
    text = folded(text)
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
                # The longest spelling matches first, but jieba may cut a shorter one there as the
                # word: 乐清市委 is 乐清/市委, 瑞安市府办 is 瑞安/市府/办.
                if offset == target and word in official and match.group(0).startswith(word):
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
    date = vague_date(opening.group(0), issue_date) or event_date(opening.group(0), issue_date)
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


def split_brief_lines(paragraphs: list[Paragraph]) -> list[Paragraph]:
    """Older issues run several briefs on one line: each dated opening after a closing bracket or a
    full stop starts a line of its own."""
    return [
        Paragraph(piece, paragraph.page)
        for paragraph in paragraphs
        for piece in BRIEF_BOUNDARY.split(paragraph.text)
    ]


def parse_briefs(paragraphs: list[Paragraph], issue_id: str, issue_date: dt.date, domain: Domain):
    """Every dated line is one brief; an undated line continues the brief above it (a wrapped line).

    Wrapped lines are joined before a line is split into its briefs: a page can wrap a line of several
    briefs inside the next one's date ("…（泰顺县科协） 5月11" / "日-12日，…").
    """
    joined: list[Paragraph] = []
    for paragraph in paragraphs:
        if (
            joined
            and not BRIEF_OPENING.match(paragraph.text)
            and split_attribution(joined[-1].text, domain)[1] is None
        ):
            joined[-1] = Paragraph(join_lines(joined[-1].text, paragraph.text), joined[-1].page)
        else:
            joined.append(paragraph)
    lines: list[Paragraph] = []
    warnings = []
    for line in split_brief_lines(joined):
        if BRIEF_OPENING.match(line.text):
            lines.append(line)
        else:
            warnings.append(f"简讯: skipped an undated line: {line.text[:30]}")
    briefs = [
        parse_brief(line.text, ordinal, line.page, issue_id, issue_date, domain)
        for ordinal, line in enumerate(lines, start=1)
    ]
    warnings += [
        f"简讯 {brief.ordinal}: dated {brief.date.isoformat()} from a vague date: {vague.group(1)}"
        for brief, line in zip(briefs, lines, strict=True)
        if (vague := VAGUE_BRIEF_OPENING.match(line.text))
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


def letters_of(text: str) -> str:
    """Letters, ideographs and digits only: quotes, dashes and spaces are what PDFs drop or move."""
    return "".join(char for char in text if char.isalnum())


def resembles(entry: str, heading: str) -> float | None:
    """How closely a printed heading resembles a contents entry (difflib's ratio of their letters),
    or None when it is no rewording of it (see TITLE_SIMILARITY and CONTAINED_MIN_SHARE)."""
    entry_letters, heading_letters = letters_of(folded(entry)), letters_of(folded(heading))
    ratio = difflib.SequenceMatcher(None, entry_letters, heading_letters, autojunk=False).ratio()
    shorter, longer = sorted((entry_letters, heading_letters), key=len)
    shortened = (
        len(shorter) >= CONTAINED_MIN_CHARS
        and len(shorter) >= CONTAINED_MIN_SHARE * len(longer)
        and shorter in longer
    )
    return ratio if ratio >= TITLE_SIMILARITY or shortened else None


def is_heading_like(text: str, domain: Domain) -> bool:
    """A paragraph that may be (a line of) a printed heading: a title line that ends no sentence."""
    return is_title_line(text, domain) and not SENTENCE_END.search(text)


def find_heading(
    body: list[Paragraph], entry: str, start: int, stop: int, domain: Domain
) -> tuple[int, int, str] | None:
    """(first paragraph, paragraph after it, heading) of the printed heading between start and stop
    most like the contents entry: one paragraph or a heading wrapped over two, followed by text."""
    best: tuple[float, int, int, str] | None = None
    for first in range(start, stop):
        for after in range(first + 1, min(first + TITLE_MAX_LINES, stop - 1) + 1):
            if not is_heading_like(body[after - 1].text, domain):
                break
            heading = reduce(join_lines, (paragraph.text for paragraph in body[first:after]))
            ratio = resembles(entry, heading)
            if ratio is not None and (best is None or ratio > best[0]):
                best = (ratio, first, after, heading)
    return best[1:] if best else None


def locate_titles(body: list[Paragraph], titles: list[str], domain: Domain):
    """(title, first paragraph index, paragraph index where its text starts, char offset) for each found
    title, the titles not found, and (title, heading) of those found by their printed heading only.

    A title not in the body as listed, or only inside a paragraph (an article's first sentence often
    repeats its title), is looked for among the headings between the titles found before and after it
    (find_heading); its article keeps the contents entry's wording, as the issue's contents list and
    its parse report name it.
    """
    squeezed = SqueezedText(body)
    located: list[tuple[str, int, int, int] | None] = []
    inside_paragraph = []
    cursor = 0
    for title in titles:
        position = squeezed.find_title(title, cursor)
        inside_paragraph.append(position != -1 and not squeezed.starts_paragraph(position))
        if position == -1:
            located.append(None)
            continue
        end = position + len(squeeze(title))
        start_paragraph = squeezed.origin(position)[0]
        if end < len(squeezed.text):
            after_paragraph, after_char = squeezed.origin(end)
        else:
            after_paragraph, after_char = len(body), 0
        located.append((title, start_paragraph, after_paragraph, after_char))
        cursor = end
    differing = []
    for index, title in enumerate(titles):
        if located[index] is not None and not inside_paragraph[index]:
            continue
        before = next((found for found in reversed(located[:index]) if found), None)
        start = before[2] + bool(before[3]) if before else 0
        stop = next((found[1] for found in located[index + 1 :] if found), len(body))
        heading = find_heading(body, title, start, stop, domain)
        if heading:
            first, after, printed = heading
            located[index] = (title, first, after, 0)
            differing.append((title, printed))
    missing = [title for title, found in zip(titles, located, strict=True) if found is None]
    return [found for found in located if found], missing, differing


def parse_features(
    body: list[Paragraph], titles: list[str], issue_id: str, issue_date: dt.date, domain: Domain
):
    located, missing, differing = locate_titles(body, titles, domain)
    warnings = [f"本期要目 title differs from the heading in the body: {a} / {b}" for a, b in differing]
    warnings += [f"本期要目 title not found in the body: {title}" for title in missing]
    features = []
    for ordinal, (title, start, after_paragraph, after_char) in enumerate(located, start=1):
        stop = located[ordinal][1] if ordinal < len(located) else len(body)
        paragraphs = list(body[after_paragraph:stop])
        if after_char and paragraphs:
            remainder = body[after_paragraph].text[after_char:].strip().lstrip(CLOSING_MARKS).lstrip()
            paragraphs[0] = Paragraph(remainder, body[after_paragraph].page)
            if not remainder:
                paragraphs.pop(0)
        features.append(
            make_feature(title, paragraphs, ordinal, body[start].page, issue_id, issue_date, domain)
        )
    return features, warnings


def is_title_line(text: str, domain: Domain) -> bool:
    """A line that may be (part of) a title: short, not ending a sentence or clause, no attribution."""
    return (
        len(squeeze(text)) <= TITLE_MAX_CHARS
        and not TITLE_NEVER_ENDS.search(text)
        and split_attribution(text, domain)[1] is None
    )


def breaks_inside_word(left: str, right: str, domain: Domain) -> bool:
    """Whether the break between two lines falls inside a word, as jieba segments the text around it."""
    before, after = squeeze(folded(left))[-WORD_WINDOW:], squeeze(folded(right))[:WORD_WINDOW]
    offset = 0
    for word in tokenizer_for(domain).cut(before + after, HMM=False):
        if offset + len(word) > len(before):
            return offset < len(before)
        offset += len(word)
    return False


def split_title(
    block: list[Paragraph], domain: Domain
) -> tuple[list[Paragraph], list[Paragraph], list[Paragraph]]:
    """(stray lines, title lines, body) of an article's paragraphs without a contents list.

    The title is the last one or two title-like lines before the first line of text (a title wraps
    over two lines); shorter lines above them are left over, say a masthead's 内部资料.
    """
    lead = 0
    while lead < len(block) - 1 and is_title_line(block[lead].text, domain):
        lead += 1
    # A paragraph's first line can be as short as a title's (digits are narrower than Chinese, so a
    # line holding them is cut short): a line that breaks inside a word (谋 / 划，…) goes on below,
    # so it is text, whereas a title ends with its last word.
    if lead >= TITLE_MAX_LINES and breaks_inside_word(block[lead - 1].text, block[lead].text, domain):
        lead -= 1
    if lead == 0:
        return [], block[:1], block[1:]
    start = max(0, lead - TITLE_MAX_LINES)
    return block[:start], block[start:lead], block[lead:]


def parse_features_without_contents(
    body: list[Paragraph], issue_id: str, issue_date: dt.date, domain: Domain
):
    """No 本期要目: each article is its title lines followed by text up to its closing attribution."""
    features = []
    warnings = (
        ["no 本期要目: titles found from the layout (short lines above each article's text)"] if body else []
    )
    current: list[Paragraph] = []
    for paragraph in body:
        current.append(paragraph)
        if split_attribution(paragraph.text, domain)[1] and len(current) > 1:
            stray, title_lines, rest = split_title(current, domain)
            warnings += [f"a line above a title was not an article: {line.text[:30]}" for line in stray]
            title = reduce(join_lines, (line.text for line in title_lines))
            # Numbered as a contents list would number it: 一、科技惠企…, 1. 科技惠企….
            title = without_bullet(title, TOC_BULLET.match(title))
            features.append(
                make_feature(
                    title, rest, len(features) + 1, title_lines[0].page, issue_id, issue_date, domain
                )
            )
            current = []
    if current:
        warnings.append(f"text after the last attribution was not an article: {current[0].text[:30]}")
    return features, warnings


def masthead_end(paragraphs: list[Paragraph]) -> int:
    """Without 本期要目, the masthead ends at its date line, which comes within the first lines."""
    for index, paragraph in enumerate(paragraphs[:MASTHEAD_MAX_LINES]):
        if FULL_DATE.search(paragraph.text) or YEAR_MONTH.search(paragraph.text):
            return index + 1
    return min(len(paragraphs), MASTHEAD_MAX_LINES)


def briefs_heading(paragraphs: list[Paragraph], head_end: int) -> int:
    """Index of the briefs section's heading: the first one followed by a dated line (a contents list
    may name the section too), else the first one, else past the end."""
    headings = [
        index for index in range(head_end, len(paragraphs)) if is_briefs_heading(paragraphs[index].text)
    ]
    dated = (i for i in headings if i + 1 < len(paragraphs) and BRIEF_OPENING.match(paragraphs[i + 1].text))
    return next(dated, headings[0] if headings else len(paragraphs))


def briefs_section(paragraphs: list[Paragraph], head_end: int, domain: Domain) -> tuple[int, int, list[str]]:
    """Where the articles end and the briefs begin, and a warning if that was found without a heading.

    A missing 简讯 heading used to leave the briefs as the tail of the last feature, joined into one
    paragraph under the last brief's department: a run of dated lines right after an article's
    closing department is the briefs section all the same.
    """
    heading = briefs_heading(paragraphs, head_end)
    if heading < len(paragraphs):
        return heading, heading + 1, []
    dated_from = [0] * (len(paragraphs) + 1)
    for index in range(len(paragraphs) - 1, -1, -1):
        dated_from[index] = dated_from[index + 1] + bool(BRIEF_OPENING.match(paragraphs[index].text))
    for index in range(head_end + 1, len(paragraphs)):
        dated = dated_from[index]
        if (
            BRIEF_OPENING.match(paragraphs[index].text)
            and dated >= UNHEADED_BRIEFS_MIN
            and dated >= UNHEADED_BRIEFS_SHARE * (len(paragraphs) - index)
            and split_attribution(paragraphs[index - 1].text, domain)[1]
        ):
            return (
                index,
                index,
                ["no 简讯 heading: the dated lines after an article's department are read as briefs"],
            )
    return len(paragraphs), len(paragraphs), []


def parse_issue(text: str, source: str, domain: Domain) -> Issue:
    """Parse one issue's normalized text. Raises NotABulletin when there is no masthead."""
    paragraphs = split_paragraphs(text)
    if not paragraphs:
        raise NotABulletin(source, "no text")
    toc_index = next((i for i, p in enumerate(paragraphs) if is_contents_heading(p.text)), None)
    head_end = toc_index if toc_index is not None else masthead_end(paragraphs)
    head = [p.text for p in paragraphs[:head_end]]
    articles_end, briefs_start, section_warnings = briefs_section(paragraphs, head_end, domain)
    if toc_index is not None:
        titles, body_start, masthead_lines = parse_contents(
            paragraphs[toc_index + 1 : articles_end], domain.publication
        )
        head += masthead_lines
        # A contents list may name the briefs section too; it is no feature to look for.
        titles = [title for title in titles if not is_briefs_heading(title)]
        body = paragraphs[toc_index + 1 + body_start : articles_end]
    else:
        titles, body = [], paragraphs[head_end:articles_end]
    number, total_number, issue_date, warnings = parse_masthead("\n".join(head), source, domain)
    issue_id = str(total_number)
    if toc_index is not None:
        features, feature_warnings = parse_features(body, titles, issue_id, issue_date, domain)
    else:
        features, feature_warnings = parse_features_without_contents(body, issue_id, issue_date, domain)
    briefs, brief_warnings = parse_briefs(paragraphs[briefs_start:], issue_id, issue_date, domain)
    brief_warnings = section_warnings + brief_warnings
    if not features and not briefs:
        raise NotABulletin(source, "no articles found after the masthead")
    issue = Issue(
        id=issue_id,
        publication=domain.publication,
        number=number,
        total_number=total_number,
        date=issue_date,
        contents=tuple(titles) or tuple(f.title for f in features),
        articles=tuple(features + briefs),
        source=source,
        sources=(source,),
        warnings=tuple(warnings + feature_warnings + brief_warnings),
    )
    return with_parse_report(issue, text)
