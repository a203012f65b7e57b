"""A deterministic synthetic archive of 温州科协信息: issues laid out exactly like the real one, their text
the seed issue's clauses with their content words replaced by words of jieba's dictionary (--vocabulary
realistic, the default) or recombined as they are (--vocabulary seed), with generated people, companies,
places, counties and departments.

    python -m bench.generate --issues 2700 --seed 1 --out bench/work/archive [--vocabulary seed]

Issue k (1-based) is 总第 k 期, dated the last day of month k counting from 2005-01 and wrapping after
SPAN_MONTHS: 270 issues are one bulletin's 22 years, 2,700 are ten bulletins' worth of the same years
(a province-wide archive), not one bulletin running to the 23rd century.
Each issue draws from its own random.Random(f"{seed}:{k}"), so the first N issues of a larger archive are
the same files as an archive of N issues, and adding issue N+1 leaves the others untouched.
"""

from __future__ import annotations

import argparse
import bisect
import calendar
import datetime as dt
import itertools
import os
import random
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import jieba

from bench.dictionary import Pool, load_dictionary

PUBLICATION = "温州科协信息"
PUBLISHER = "温州市科学技术协会编"
SYNTHETIC_MARK = "（合成数据，仅供测试）"
FIRST_YEAR = 2005
SPAN_MONTHS = 270
SEED_NAME = "温州科协信息-2022年第5期-总第270期.txt"
SEED_ENV = "BENCH_SEED_TEXT"
DEFAULT_SEED_TEXT = Path(__file__).resolve().parents[2] / "shared" / "seed" / SEED_NAME

# Most written-about first: the order is the Zipf rank.
COUNTIES = (
    ("瑞安市", "瑞安"),
    ("乐清市", "乐清"),
    ("鹿城区", "鹿城"),
    ("瓯海区", "瓯海"),
    ("苍南县", "苍南"),
    ("永嘉县", "永嘉"),
    ("平阳县", "平阳"),
    ("龙湾区", "龙湾"),
    ("龙港市", "龙港"),
    ("文成县", "文成"),
    ("泰顺县", "泰顺"),
    ("洞头区", "洞头"),
)
COUNTY_NAMES = tuple(name for name, _ in COUNTIES)
SHORT_FORM = dict(COUNTIES)
CITY_DEPARTMENTS = ("市科协学会部", "市科协科普部", "市科协国际部", "市科协办公室", "市科协组织人事部")
# City departments interleaved with the county associations, by how often they file reports.
DEPARTMENTS = (
    "市科协学会部",
    "市科协科普部",
    "瑞安市科协",
    "市科协国际部",
    "乐清市科协",
    "市科协办公室",
    "鹿城区科协",
    "瓯海区科协",
    "苍南县科协",
    "永嘉县科协",
    "平阳县科协",
    "市科协组织人事部",
    "龙湾区科协",
    "龙港市科协",
    "文成县科协",
    "泰顺县科协",
    "洞头区科协",
)

# Proper names in the seed issue, which become slots filled from the generated pools.
SEED_PEOPLE = (
    "林建波",
    "章秀伟",
    "姜国忠",
    "朱勇敏",
    "王媛媛",
    "黄辉",
    "陈寒艳",
    "薛月者",
    "陈纪阳",
    "沈志安",
    "金传拉",
    "周建强",
    "金振民",
)
SEED_COMPANIES = (
    "浙江码尚科技股份有限公司",
    "浙江欧伟机械股份有限公司",
    "浙江王派智能装备有限公司",
    "温州（平阳）佳盛乳胶制品有限公司",
    "温州(平阳)佳盛乳胶制品有限公司",
    "温州知良实业有限公司",
    "鸿基工程建设有限公司",
)

SURNAMES = "陈王林黄张李周吴郑徐金叶潘朱胡杨刘谢蔡池郭项余董卢戴薛章姜邵沈毛高夏施孙钱包麻季应缪苏倪程"
GIVEN_CHARS = (
    "建国伟波秀忠勇敏媛辉寒艳月纪阳志安传强振民海峰华明军平芳丽静磊杰涛斌超洁燕霞红云晓俊鹏飞宇浩东"
    "文琳婷颖雪梅兰娟萍清晨立新永春秋冬宏亮刚毅慧珍玲益锋展鸣翔"
)
BRAND_CHARS = "华盛宏达鑫恒瑞丰泰鸿佳聚力源天正中东海兴隆诚信康美福宝腾飞嘉和创新博远德润通顺明光辉金银豪凯欧派尚良伟基立邦星晨"
INDUSTRIES = (
    "科技",
    "机械",
    "智能装备",
    "实业",
    "电气",
    "鞋业",
    "服饰",
    "眼镜",
    "阀门",
    "汽摩配件",
    "包装机械",
    "新材料",
    "生物科技",
    "乳胶制品",
    "光电",
    "工程建设",
    "印刷",
    "制药",
)
NAME_POOL = 3000
# Mild, or the commonest clauses would recur in every article.
CLAUSE_SKEW = 0.4
COMPANY_POOL = 2000
NUMERALS = "一二三四五六七八九十"

SENTENCE = re.compile(r"[^。！？]+[。！？]+[”’]?")
DEPARTMENT_AT_END = re.compile(r"[（(]([^（）()]{2,12})[）)]$")
BRIEF_DATE = re.compile(r"^\d{1,2}\s*月\s*\d{1,2}\s*日(?:\s*[-至]\s*\d{1,2}\s*日)?\s*[，,]")
ORDINAL_HEADING = re.compile(rf"^[{NUMERALS}]是")
# As indexer.parse has it: a line ending otherwise, and longer than a heading, was cut by a page break.
SENTENCE_END = re.compile(r"[。！？!?；;…]\s*[”’」』）)]*\s*$")
PUNCTUATION = "，。、；：！？…”’）)"
HEADING_MAX_CHARS = 20
OPENERS = ("", "", "上午", "下午")
FEATURE_NOUNS = ("活动", "座谈会", "培训班", "系列活动", "专题讲座", "现场会", "推进会")
FEATURE_VERBS = ("开展", "举办", "召开", "组织", "启动")

# ---- the realistic vocabulary ----

# The bulletin's own terms, kept wherever the seed has them: what its readers search for.
DOMAIN_WORDS = (
    "青科会",
    "科创中国",
    "科协",
    "市科协",
    "学会部",
    "科普部",
    "国际部",
    "孵化器",
    "大孵化集群",
    "试点城市",
    "一县一业一学会",
    "温州理工学院",
    "博士创新站",
    "科技",
    "科普",
    "科学",
    "学会",
    "创新",
    "乡村",
    "温州",
    "温州市",
    "科技工作者",
)
# The functional zones of config.yaml, which parse_issue reads as places like the counties: the seed
# names them, and the generator passes them on as written.
ZONES = {
    "浙南产业集聚区": "浙南产业集聚区",
    "浙南集聚区": "浙南产业集聚区",
    "温州经济技术开发区": "温州经济技术开发区",
    "经开区": "温州经济技术开发区",
}
ZONE_SPELLING = re.compile("|".join(re.escape(s) for s in sorted(ZONES, key=len, reverse=True)))
PLACE_SPELLING = re.compile(
    "|".join(
        re.escape(s) for s in sorted({*COUNTY_NAMES, *SHORT_FORM.values(), *ZONES}, key=len, reverse=True)
    )
)
# Share of the seed's content words replaced: each replacement puts two new character pairs at its
# edges, so this sets the distinct bigrams as FREQUENCY_EXPONENT sets the distinct words.
REPLACED_SHARE = 0.5
REALISTIC_NAME_POOL = 6000
REALISTIC_GIVEN_CHARS = GIVEN_CHARS + (
    "子嘉佳怡欣悦思雨诗涵梓萱宁彤可馨雅琪瑶蕾薇倩蓉娜菲露秀英凤桂淑惠巧美娇敏锦仁义礼智勤俭朝"
    "勋达坤乾元洪泽润沛宝庆兴发家荣耀德胜才良祥瑞福禄寿康乐昌盛远航帆凯旋骏驰楠森柏松杉桦梁栋"
)
PLACE_POOL = 2000
PLACE_CHARS = (
    "塘下飞云马屿桥头仙降陶山湖岭高楼芳庄林川碧莲岩坦枫鹤盛大荆虹柳白象磐石七都藤仰义双屿丽岙娄"
    "潘郭溪泽雅梧田三垟状元海城灵昆沙天河中蒲州瑶钱库宜藻墩矾站赤鳌万全水头萧腾蛟麂珊玉壶南大峃"
    "巨百丈罗筱司前北东西"
)
PLACE_SUFFIXES = ("镇", "街道", "村", "社区", "乡")
PLACE_SUFFIX_WEIGHTS = (4, 3, 4, 2, 1)
OFFICE_TITLES = (
    "主席",
    "副主席",
    "党组书记",
    "副县长",
    "副市长",
    "副区长",
    "秘书长",
    "理事长",
    "会长",
    "副会长",
    "局长",
    "副局长",
    "院长",
    "副院长",
    "主任",
    "副主任",
    "部长",
    "副部长",
    "书记",
    "副书记",
    "县长",
    "市长",
    "区长",
    "董事长",
    "总经理",
    "校长",
)
EXPERT_TITLES = ("教授", "研究员", "高级工程师", "博士", "院士", "副教授", "主任医师", "高级农艺师")
NAMED_CLAUSES = (
    "{official}出席并讲话，",
    "{official}主持会议，",
    "{official}、{official}等陪同调研，",
    "{official}一行走访了{company}，",
    "{expert}作专题报告，",
    "{expert}、{expert}现场授课，",
    "在{place}召开现场会，",
    "{place}{official}介绍了有关情况，",
    "{company}、{company}等企业负责人参加，",
    "来到{company}和{place}，",
)
# Share of sentences opening with one of NAMED_CLAUSES.
NAMED_CLAUSE_SHARE = 0.25


def zipf_cumulative(count: int, exponent: float) -> list[float]:
    weights = [1.0 / (rank**exponent) for rank in range(1, count + 1)]
    return list(itertools.accumulate(weights))


@dataclass(frozen=True)
class Slot:
    """A place in a mined clause where a generated value goes."""

    kind: str  # person, company, county, county_org, date, year; realistic only: official, expert, place
    value: str  # the seed's value (person, company or official county name), or a spacing pattern
    short: bool = False  # county written in its short form
    extra: str = ""  # date: the range part's spacing; year: offset from the issue year


@dataclass(frozen=True)
class Phrase:
    """A stretch of seed text as words (realistic vocabulary): each word with the pool its
    replacements come from, or None where the word stays (function words, the bulletin's own terms)."""

    words: tuple[tuple[str, Pool | None], ...]

    def __len__(self) -> int:
        """Characters of the seed's wording, as len() of the text it stands for."""
        return sum(len(word) for word, _ in self.words)


Template = tuple  # of str, Phrase and Slot


def _slot_pattern() -> re.Pattern:
    spellings = sorted(
        [(name, name, False) for name, _ in COUNTIES] + [(short, name, True) for name, short in COUNTIES],
        key=lambda item: -len(item[0]),
    )
    county = "|".join(re.escape(s) for s, _, _ in spellings)
    return re.compile(
        "(?P<company>" + "|".join(re.escape(c) for c in SEED_COMPANIES) + ")"
        "|(?P<person>" + "|".join(re.escape(p) for p in sorted(SEED_PEOPLE, key=len, reverse=True)) + ")"
        rf"|(?P<county_org>(?:{county})科协)"
        rf"|(?P<county>{county})"
        r"|(?P<date>\d{1,2}(\s*)月(\s*)\d{1,2}(\s*)日(?:(\s*[-至]\s*)\d{1,2}(\s*)日)?)"
        r"|(?P<year>20(?:1\d|2[0-2]))(?=\s*(?:年|青科会))"
    )


SLOTS = _slot_pattern()
COUNTY_SPELLINGS = {name: (name, False) for name, _ in COUNTIES} | {
    short: (name, True) for name, short in COUNTIES
}


def make_template(text: str) -> Template:
    parts: list = []
    last = 0
    for match in SLOTS.finditer(text):
        if match.start() > last:
            parts.append(text[last : match.start()])
        kind = match.lastgroup
        found = match.group(kind)
        if kind == "county_org":
            official, short = COUNTY_SPELLINGS[found[:-2]]
            parts.append(Slot("county_org", official, short))
        elif kind == "county":
            official, short = COUNTY_SPELLINGS[found]
            parts.append(Slot("county", official, short))
        elif kind == "date":
            space = match.group(match.re.groupindex["date"] + 1) or ""
            ranged = match.group(match.re.groupindex["date"] + 4)
            parts.append(Slot("date", space, extra=ranged or ""))
        elif kind == "year":
            parts.append(Slot("year", "", extra=str(2022 - int(found))))
        else:
            parts.append(Slot(kind, found))
        last = match.end()
    if last < len(text):
        parts.append(text[last:])
    return tuple(parts)


def split_clauses(sentence: str) -> list[str]:
    """Split at ，；： outside quotes and brackets, keeping each delimiter on its clause."""
    clauses, depth, start = [], 0, 0
    for index, char in enumerate(sentence):
        if char in "“（(《‘":
            depth += 1
        elif char in "”）)》’":
            depth = max(0, depth - 1)
        elif char in "，；：" and depth == 0:
            clauses.append(sentence[start : index + 1])
            start = index + 1
    if start < len(sentence):
        clauses.append(sentence[start:])
    return [c for c in clauses if c.strip()]


def undated(template: Template) -> bool:
    return not any(isinstance(part, Slot) and part.kind == "date" for part in template)


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


@dataclass
class Vocabulary:
    """What the seed issue offers to recombine, as templates with slots."""

    openings: list[Template]
    middles: list[Template]
    closings: list[Template]
    sentences: list[Template]  # single-clause sentences, used whole
    headings: list[Template]
    titles: list[Template]
    briefs: list[Template]
    quoted: list[str]


def mine(seed_text: str) -> Vocabulary:
    lines = [line.strip() for line in seed_text.splitlines() if line.strip()]
    toc_at = next(i for i, line in enumerate(lines) if squeeze(line) == "本期要目")
    titles = []
    index = toc_at + 1
    while lines[index].startswith("- "):
        titles.append(lines[index][2:].strip())
        index += 1
    briefs_at = next(i for i, line in enumerate(lines) if squeeze(line) == "简讯")
    squeezed_titles = {squeeze(t) for t in titles}

    paragraphs: list[str] = []
    for line in lines[index:briefs_at]:
        if squeeze(line) in squeezed_titles:
            continue
        line = DEPARTMENT_AT_END.sub("", line).strip()
        if not line:
            continue
        # Rejoin what the seed's page breaks split.
        if paragraphs and len(paragraphs[-1]) > HEADING_MAX_CHARS and not SENTENCE_END.search(paragraphs[-1]):
            paragraphs[-1] += line
        else:
            paragraphs.append(line)

    vocabulary = Vocabulary([], [], [], [], [], [make_template(t) for t in titles], [], [])
    for paragraph in paragraphs:
        if len(paragraph) <= HEADING_MAX_CHARS or ORDINAL_HEADING.match(paragraph):
            vocabulary.headings.append(make_template(ORDINAL_HEADING.sub("", paragraph)))
            continue
        for sentence in SENTENCE.findall(paragraph):
            clauses = split_clauses(sentence.strip())
            if len(clauses) == 1:
                vocabulary.sentences.append(make_template(clauses[0]))
                continue
            vocabulary.openings.append(make_template(clauses[0]))
            vocabulary.middles.extend(make_template(c) for c in clauses[1:-1])
            vocabulary.closings.append(make_template(clauses[-1]))

    brief_lines: list[str] = []
    for line in lines[briefs_at + 1 :]:
        if BRIEF_DATE.match(line) or not brief_lines:
            brief_lines.append(line)
        else:
            brief_lines[-1] += line
    for line in brief_lines:
        text = DEPARTMENT_AT_END.sub("", BRIEF_DATE.sub("", line)).strip()
        vocabulary.briefs.append(make_template(text))
        vocabulary.titles.append(make_template(text))
    # Campaign and event names, from the headlines only: the body's quotes are mostly slogans.
    headlines = "\n".join(titles + brief_lines)
    vocabulary.quoted = sorted(
        {q for q in re.findall(r"“([^“”]{4,12})”", headlines) if not re.search(r"\d", q)}
    )
    return vocabulary


def person_names(
    rng: random.Random, count: int, given_chars: str = GIVEN_CHARS, unfit: re.Pattern | None = None
) -> list[str]:
    """Distinct surname + given name; none that unfit finds in."""
    surnames = list(SURNAMES)
    surname_weights = list(itertools.accumulate(1.0 / (r + 2) for r in range(len(surnames))))
    names: dict[str, None] = {}
    while len(names) < count:
        surname = rng.choices(surnames, cum_weights=surname_weights)[0]
        given = "".join(rng.choice(given_chars) for _ in range(1 if rng.random() < 0.3 else 2))
        if unfit is None or not unfit.search(surname + given):
            names[surname + given] = None
    return list(names)


def company_names(rng: random.Random, count: int) -> list[str]:
    # One company per brand, and brands are two distinct characters.
    if count > len(BRAND_CHARS) * (len(BRAND_CHARS) - 1) * 2 // 3:
        raise ValueError(f"cannot make {count} distinct brands from {len(BRAND_CHARS)} characters")
    companies: dict[str, None] = {}
    brands: set[str] = set()
    while len(companies) < count:
        brand = "".join(rng.sample(BRAND_CHARS, 2))
        if brand in brands:
            continue
        brands.add(brand)
        prefix = rng.choice(("浙江", "温州", "温州", ""))
        suffix = "股份有限公司" if rng.random() < 0.3 else "有限公司"
        companies[f"{prefix}{brand}{rng.choice(INDUSTRIES)}{suffix}"] = None
    return list(companies)


def company_short_name(company: str) -> str:
    """码尚科技 from 浙江码尚科技股份有限公司: how people search for a company."""
    core = company.removeprefix("浙江").removeprefix("温州")
    return core.removesuffix("股份有限公司").removesuffix("有限公司")


class Picker:
    """Draws from a list with a Zipf-like skew: the first items are common, the tail is rare."""

    def __init__(self, items, exponent: float = 1.0):
        self.items = list(items)
        self.cumulative = zipf_cumulative(len(self.items), exponent)
        self.total = self.cumulative[-1]

    def __call__(self, rng: random.Random):
        return self.items[bisect.bisect(self.cumulative, rng.random() * self.total)]


@dataclass(frozen=True)
class Intended:
    """An article as the generator wrote it, for checking what a parser makes of the issue."""

    kind: str  # feature or brief
    title: str
    date: dt.date
    department: str
    counties: tuple[str, ...]


class Article:
    """Fills slots for one article, keeping each seed person, company and county mapped to one value."""

    def __init__(self, gen: Generator, rng: random.Random, year: int, month: int, focus: str | None):
        self.gen, self.rng, self.year, self.month = gen, rng, year, month
        self.last_day = calendar.monthrange(year, month)[1]
        self.people: dict[str, str] = {}
        self.companies: dict[str, str] = {}
        self.counties: dict[str, str] = {}
        self.zones: set[str] = set()
        self.offices: dict[str, str] = {}
        self.focus = focus
        self.department: str | None = None

    def county(self, seed_county: str) -> str:
        if seed_county not in self.counties:
            used = set(self.counties.values())
            if self.focus and self.focus not in used:
                chosen = self.focus
            else:
                chosen = self.gen.county(self.rng)
                for _ in range(6):
                    if chosen not in used:
                        break
                    chosen = self.gen.county(self.rng)
            self.counties[seed_county] = chosen
        return self.counties[seed_county]

    def person(self, seed_person: str) -> str:
        """Distinct seed people stay distinct people within one article."""
        if seed_person not in self.people:
            used = set(self.people.values())
            chosen = self.gen.person(self.rng)
            while chosen in used:
                chosen = self.gen.person(self.rng)
            self.people[seed_person] = chosen
        return self.people[seed_person]

    def places(self) -> tuple[str, ...]:
        """The counties the article names, its department's county among them, in COUNTIES order, then
        the zones its text names."""
        named = set(self.counties.values())
        if self.department and self.department not in CITY_DEPARTMENTS:
            named.add(self.department.removesuffix("科协"))
        return tuple(county for county in COUNTY_NAMES if county in named) + tuple(sorted(self.zones))

    def office(self, person: str) -> str:
        """The title printed before a person's name: one person holds one office in an article."""
        if person not in self.offices:
            self.offices[person] = self.gen.office(self.rng)
        return self.offices[person]

    def day(self) -> int:
        return self.rng.randint(1, self.last_day)

    def date(self, space: str, ranged: str, day: int | None = None) -> str:
        day = day or self.day()
        text = f"{self.month}{space}月{space}{day}{space}日"
        if ranged:
            end = min(self.last_day, day + self.rng.randint(1, 3))
            if end > day:
                text += f"{ranged}{end}{space}日"
        return text

    def fill(self, template: Template) -> str:
        out = []
        for part in template:
            if isinstance(part, str):
                out.append(part)
                continue
            if isinstance(part, Phrase):
                out.append(self.gen.phrase(self.rng, part))
                continue
            kind = part.kind
            if kind == "person":
                out.append(self.person(part.value))
            elif kind == "official":
                out.append(self.office(self.person(part.value)) + self.person(part.value))
            elif kind == "expert":
                out.append(self.person(part.value) + self.gen.expertise(self.rng))
            elif kind == "place":
                out.append(self.gen.place(self.rng))
            elif kind == "company":
                if part.value not in self.companies:
                    self.companies[part.value] = self.gen.company(self.rng)
                out.append(self.companies[part.value])
            elif kind == "county":
                county = self.county(part.value)
                out.append(SHORT_FORM[county] if part.short else county)
            elif kind == "county_org":
                if self.department in CITY_DEPARTMENTS:
                    out.append("市科协")
                else:
                    county = self.county(part.value)
                    out.append((SHORT_FORM[county] if part.short else county) + "科协")
            elif kind == "date":
                out.append(self.date(part.value, part.extra))
            elif kind == "year":
                out.append(str(self.year - int(part.extra)))
        text = "".join(out)
        self.zones.update(ZONES[spelling] for spelling in ZONE_SPELLING.findall(text))
        return text


class Generator:
    """The seed vocabulary: the seed issue's clauses recombined as they are."""

    def __init__(self, seed: int, seed_text: str):
        self.seed = seed
        self.vocabulary = vocab = self.prepare(mine(seed_text))
        rng = random.Random(seed)
        self.names = self.person_names(rng)
        self.companies = company_names(rng, COMPANY_POOL)
        self.person = Picker(self.names, 1.1)
        self.company = Picker(self.companies, 1.0)
        self.county = Picker(COUNTY_NAMES, 1.0)
        self.department = Picker(DEPARTMENTS, 1.0)

        def shuffled(items):
            items = list(items)
            rng.shuffle(items)
            return items

        # Clauses are skewed too, so some phrases are everywhere and others turn up now and then.
        self.opening = Picker(shuffled(vocab.openings), CLAUSE_SKEW)
        self.undated_opening = Picker(
            shuffled(t for t in vocab.openings if undated(t) and len(t) == 1 and len(t[0]) > 4),
            CLAUSE_SKEW,
        )
        self.middle = Picker(shuffled(vocab.middles), CLAUSE_SKEW)
        self.closing = Picker(shuffled(vocab.closings), CLAUSE_SKEW)
        self.whole = Picker(shuffled(vocab.sentences), CLAUSE_SKEW)
        self.heading = Picker(shuffled(vocab.headings), 0.5)
        self.title_template = Picker(shuffled(vocab.titles), 0.7)
        self.brief_template = Picker(shuffled(vocab.briefs), 0.9)
        self.quoted = Picker(shuffled(vocab.quoted), 1.0)

    def prepare(self, vocabulary: Vocabulary) -> Vocabulary:
        return vocabulary

    def person_names(self, rng: random.Random) -> list[str]:
        return person_names(rng, NAME_POOL)

    # ---- pieces ----

    def sentence(self, article: Article, first: bool = False) -> str:
        rng = article.rng
        if not first and rng.random() < 0.08:
            return article.fill(self.whole(rng))
        parts = [self.undated_opening(rng) if first else self.opening(rng)]
        parts += [self.middle(rng) for _ in range(rng.choice((0, 1, 1, 2, 2, 3)))]
        parts.append(self.closing(rng))
        return "".join(article.fill(p) for p in parts)

    def paragraph(self, article: Article, sentences: int) -> str:
        return "".join(self.sentence(article) for _ in range(sentences))

    def new_title(self, article: Article) -> str:
        rng = article.rng
        if rng.random() < 0.35:
            subject = self.subject(article)
            return f"{subject}{rng.choice(FEATURE_VERBS)}“{self.quoted(rng)}”{rng.choice(FEATURE_NOUNS)}"
        return article.fill(self.title_template(rng))

    def subject(self, article: Article) -> str:
        department = article.department or ""
        if department in CITY_DEPARTMENTS or not department:
            return article.rng.choice(("市科协", "温州市科协", "市科协", "市级学会"))
        county = department.removesuffix("科协")
        return article.rng.choice((department, county, SHORT_FORM[county] + "科协"))

    def feature(
        self, rng: random.Random, year: int, month: int, taken: set[str]
    ) -> tuple[Intended, list[str]]:
        """(what it is, paragraphs); the last paragraph ends with the closing attribution."""
        department = self.department(rng)
        focus = department.removesuffix("科协") if department not in CITY_DEPARTMENTS else self.county(rng)
        article = Article(self, rng, year, month, focus)
        article.department = department
        title = self.new_title(article)
        for _ in range(5):
            if squeeze(title) not in taken:
                break
            title = self.new_title(article)
        taken.add(squeeze(title))

        target = rng.randint(600, 1500)
        day = article.day()
        opening = article.date("", "", day) + rng.choice(OPENERS) + "，"
        paragraphs = [
            opening + self.sentence(article, first=True) + self.paragraph(article, rng.randint(0, 2))
        ]
        size = len(paragraphs[0])
        sections = rng.randint(2, 4) if rng.random() < 0.25 else 0
        ordinal_style = rng.random() < 0.6
        section = 0
        while size < target:
            if sections and section < sections and (len(paragraphs) == 1 or rng.random() < 0.5):
                heading = article.fill(self.heading(rng))
                if ordinal_style:
                    heading = f"{NUMERALS[section]}是{heading}"
                paragraphs.append(heading)
                section += 1
            # Sentences run about 80 characters; the last paragraph stops near the target length.
            text = self.paragraph(article, max(1, min(rng.randint(2, 5), (target - size) // 80)))
            paragraphs.append(text)
            size += len(text)
        paragraphs[-1] += f"（{department}）"
        return Intended("feature", title, dt.date(year, month, day), department, article.places()), paragraphs

    def brief(self, rng: random.Random, year: int, month: int, day: int) -> tuple[Intended, str]:
        """(what it is, its line: date, text and attribution)."""
        template = self.brief_template(rng) if rng.random() < 0.5 else None
        if template and isinstance(template[0], Slot) and template[0].kind in ("county", "county_org"):
            # A county as the subject: its own association reports it.
            department = self.county(rng) + "科协"
        else:
            department = self.department(rng)
        focus = department.removesuffix("科协") if department not in CITY_DEPARTMENTS else None
        article = Article(self, rng, year, month, focus)
        article.department = department
        if template:
            text = article.fill(template)
        else:
            noun = rng.choice(FEATURE_NOUNS)
            text = f"{self.subject(article)}{rng.choice(FEATURE_VERBS)}“{self.quoted(rng)}”{noun}"
        date = article.date("", "-" if rng.random() < 0.08 else "", day)
        intended = Intended("brief", text, dt.date(year, month, day), department, article.places())
        return intended, f"{date}，{text}（{department}）"

    # ---- layout ----

    def issue(self, total: int) -> tuple[str, str]:
        """(file name, text) of issue 总第 total 期."""
        name, text, _ = self.planned_issue(total)
        return name, text

    def planned_issue(self, total: int) -> tuple[str, str, list[Intended]]:
        """(file name, text, its articles as written) of issue 总第 total 期."""
        months = (total - 1) % SPAN_MONTHS
        year, month = FIRST_YEAR + months // 12, months % 12 + 1
        last_day = calendar.monthrange(year, month)[1]
        rng = random.Random(f"{self.seed}:{total}")
        features: list[tuple[Intended, list[str]]] = []
        taken: set[str] = set()
        for _ in range(round(rng.triangular(5, 10, 8))):
            features.append(self.feature(rng, year, month, taken))
        days = sorted(rng.randint(1, last_day) for _ in range(round(rng.triangular(20, 40, 30))))
        briefs = [self.brief(rng, year, month, day) for day in days]

        blocks = [
            "",
            PUBLICATION,
            f"第 {month} 期",
            f"(总第 {total} 期)",
            PUBLISHER,
            f"{year} 年 {month} 月 {last_day} 日",
            SYNTHETIC_MARK,
            "本 期 要 目",
            "\n".join(f"- {intended.title}" for intended, _ in features),
        ]
        for intended, paragraphs in features:
            blocks.append(self.broken_title(rng, intended.title))
            for index, paragraph in enumerate(paragraphs):
                last = index == len(paragraphs) - 1
                if last and rng.random() < 0.12:
                    # The attribution on a line of its own, as when it falls onto the next page.
                    at = paragraph.rindex("（")
                    blocks += self.page_broken(rng, paragraph[:at])
                    blocks.append(paragraph[at:])
                else:
                    blocks += self.page_broken(rng, paragraph)
        blocks.append("简讯")
        for _, brief in briefs:
            blocks += self.wrapped_brief(rng, brief)
        name = f"{PUBLICATION}-{year}年第{month}期-总第{total}期.txt"
        return name, "\n\n".join(blocks), [intended for intended, _ in features + briefs]

    @staticmethod
    def broken_title(rng: random.Random, title: str) -> str:
        """Now and then a stray space where the PDF wrapped the title line, as in the seed."""
        if len(title) > 14 and rng.random() < 0.3:
            at = rng.randint(len(title) // 2, len(title) - 4)
            if not title[at - 1].isspace() and not title[at].isspace():
                return f"{title[:at]} {title[at:]}"
        return title

    @staticmethod
    def page_broken(rng: random.Random, paragraph: str) -> list[str]:
        """A page break in mid-sentence splits a paragraph in two, as in the seed."""
        if len(paragraph) < 80 or rng.random() > 0.12:
            return [paragraph]
        at = rng.randint(30, len(paragraph) - 10)
        while at < len(paragraph) - 5 and (
            SENTENCE_END.search(paragraph[:at]) or paragraph[at] in PUNCTUATION or paragraph[at - 1].isspace()
        ):
            at += 1
        if SENTENCE_END.search(paragraph[:at]) or paragraph[at] in PUNCTUATION:
            return [paragraph]
        return [paragraph[:at], paragraph[at:]]

    @staticmethod
    def wrapped_brief(rng: random.Random, brief: str) -> list[str]:
        """A long brief wrapped onto a second line before its attribution, as in the seed."""
        body_end = brief.rindex("（")
        if body_end < 32 or rng.random() > 0.06:
            return [brief]
        at = rng.randint(24, body_end - 2)
        left = brief[:at]
        if SENTENCE_END.search(left) or brief[at] in PUNCTUATION or brief[at].isdigit() or left[-1].isspace():
            return [brief]
        return [brief[:at], brief[at:]]


class RealisticGenerator(Generator):
    """The realistic vocabulary: the seed's clauses as sentence frames, their nouns, verbs, adjectives,
    adverbs and idioms replaced by words of the same class and length drawn from jieba's dictionary by
    frequency; the function words, punctuation and the bulletin's own terms stay. Sentences now and
    then open with an official, an expert, a company or a place from the generated pools."""

    def __init__(self, seed: int, seed_text: str):
        self.dictionary = load_dictionary(PLACE_SPELLING)
        # A tokenizer of our own: the bulletin's terms added to it must not change jieba's default one.
        self.tokenizer = jieba.Tokenizer()
        for word in DOMAIN_WORDS:
            self.tokenizer.add_word(word)
        super().__init__(seed, seed_text)
        rng = random.Random(f"{seed}:realistic")
        self.place = Picker(place_names(rng, PLACE_POOL), 1.0)
        self.office = Picker(OFFICE_TITLES, 0.8)
        self.expertise = Picker(EXPERT_TITLES, 1.0)
        self.named_clause = Picker([make_clause(text) for text in NAMED_CLAUSES], 0.5)

    def prepare(self, vocabulary: Vocabulary) -> Vocabulary:
        def frames(templates: list[Template]) -> list[Template]:
            return [tuple(self.to_phrase(p) if isinstance(p, str) else p for p in t) for t in templates]

        return Vocabulary(
            frames(vocabulary.openings),
            frames(vocabulary.middles),
            frames(vocabulary.closings),
            frames(vocabulary.sentences),
            frames(vocabulary.headings),
            frames(vocabulary.titles),
            frames(vocabulary.briefs),
            vocabulary.quoted,
        )

    def to_phrase(self, text: str) -> Phrase:
        words: list[tuple[str, Pool | None]] = []
        for word in self.tokenizer.cut(text, HMM=False):
            pool = None if word in DOMAIN_WORDS else self.dictionary.replacement_pool(word)
            if pool is None and words and words[-1][1] is None:
                words[-1] = (words[-1][0] + word, None)
            else:
                words.append((word, pool))
        return Phrase(tuple(words))

    def phrase(self, rng: random.Random, phrase: Phrase) -> str:
        return "".join(
            pool.draw(rng) if pool is not None and rng.random() < REPLACED_SHARE else word
            for word, pool in phrase.words
        )

    def person_names(self, rng: random.Random) -> list[str]:
        return person_names(rng, REALISTIC_NAME_POOL, REALISTIC_GIVEN_CHARS, PLACE_SPELLING)

    def sentence(self, article: Article, first: bool = False) -> str:
        text = super().sentence(article, first)
        if article.rng.random() < NAMED_CLAUSE_SHARE:
            return article.fill(self.named_clause(article.rng)) + text
        return text


def make_clause(text: str) -> Template:
    """A template from text with {official}, {expert}, {company} and {place} slots; each slot of a
    clause is a different one."""
    parts: list = []
    for index, piece in enumerate(re.split(r"\{(\w+)\}", text)):
        if index % 2 == 0:
            if piece:
                parts.append(piece)
        else:
            parts.append(Slot(piece, f"{piece}-{index}"))
    return tuple(parts)


def place_names(rng: random.Random, count: int) -> list[str]:
    """Towns, streets, villages and communities: two characters of Wenzhou's place names and a suffix."""
    names: dict[str, None] = {}
    while len(names) < count:
        name = "".join(rng.sample(PLACE_CHARS, 2)) + rng.choices(PLACE_SUFFIXES, PLACE_SUFFIX_WEIGHTS)[0]
        if not PLACE_SPELLING.search(name):
            names[name] = None
    return list(names)


VOCABULARIES = {"realistic": RealisticGenerator, "seed": Generator}
DEFAULT_VOCABULARY = "realistic"


def make_generator(seed: int, seed_text: str, vocabulary: str = DEFAULT_VOCABULARY) -> Generator:
    return VOCABULARIES[vocabulary](seed, seed_text)


def read_seed_text(path: str | os.PathLike | None = None) -> str:
    candidate = Path(path or os.environ.get(SEED_ENV) or DEFAULT_SEED_TEXT)
    try:
        return candidate.read_text(encoding="utf-8")
    except OSError as error:
        raise SystemExit(
            f"{candidate}: cannot read the seed issue ({error.strerror}); pass --seed-text"
        ) from None


def generate(
    issues: int,
    seed: int,
    out: Path,
    seed_text: str | None = None,
    first: int = 1,
    vocabulary: str = DEFAULT_VOCABULARY,
) -> list[Path]:
    """Write issues first..issues into out; returns the paths written."""
    text = seed_text if seed_text is not None else read_seed_text()
    generator = make_generator(seed, text, vocabulary)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for total in range(first, issues + 1):
        name, text = generator.issue(total)
        path = out / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--issues", type=int, required=True, help="how many monthly issues, from 2005-01")
    parser.add_argument("--seed", type=int, default=1, help="random seed; the same seed gives the same files")
    parser.add_argument("--out", type=Path, required=True, help="folder to write the issue files into")
    parser.add_argument("--seed-text", help=f"the real issue to mine (default: {DEFAULT_SEED_TEXT})")
    parser.add_argument(
        "--vocabulary",
        choices=tuple(VOCABULARIES),
        default=DEFAULT_VOCABULARY,
        help="realistic: the seed's sentence frames filled with jieba dictionary words; "
        "seed: the seed's clauses recombined as they are (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    paths = generate(
        args.issues, args.seed, args.out, read_seed_text(args.seed_text), vocabulary=args.vocabulary
    )
    size = sum(p.stat().st_size for p in paths)
    print(
        f"wrote {len(paths)} issues ({size / 1e6:.1f} MB) to {args.out} in {time.perf_counter() - started:.1f}s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
