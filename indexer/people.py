"""People named in an article: jieba's person-name tags (nr) refined by the bulletin's own patterns
(an office printed before the name, a name before 一行/指出/表示, names listed with 、), as bare names."""

from __future__ import annotations

import re
from functools import lru_cache

import jieba
import jieba.posseg

# Common single-character surnames (百家姓, the frequent ones): jieba tags many non-names nr
# (惠企, 高水平, company names such as 欧伟), and a name that starts otherwise is rare in the bulletin.
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
    "章翁瞿应池施包洪柯季缪虞麻厉滕郑鲍倪俞裘娄卓詹谷项楼温骆岑阮祝谈戚"
)
# Two-character surnames, tried before the single ones (欧阳明高 is not 欧 + 阳明高).
COMPOUND_SURNAMES = ("欧阳", "诸葛", "司马", "上官", "司徒", "端木", "皇甫", "夏侯", "慕容", "公孙", "令狐")
SURNAME = f"(?:{'|'.join(COMPOUND_SURNAMES)}|[{SURNAMES}])"
CJK = r"\u4e00-\u9fff"

# An office as printed right before a name: 主席林建波, 副院长黄辉, 县委副书记周建强, 副组长朱勇敏.
OFFICE = (
    r"(?:主席|书记|主任|委员|负责人|总经理|董事长|理事长|秘书长|会长|教授|研究员|院士|专家|"
    r"[医技讲教]师|工程师|[市县区镇乡局处院校所部组厅省馆站社队科士]长)"
)
# After a name: what the bulletin writes next (一行, 指出 ...), a title printed after it, or a clause end.
STRONG_CUE = r"(?:一行|指出|表示|介绍|强调|带队|带领|主持|首先|简要|代表|要求|希望|教授|院士|博士|研究员|说)"
CUE = rf"(?:{STRONG_CUE}|及|和|等|在|对|为|参加|出席|陪同|[，、。；：）)\s]|$)"
OFFICE_NAME = re.compile(rf"{OFFICE}(?P<name>{SURNAME}[{CJK}]{{1,2}}?)(?={CUE})")
# The office itself: back from the name to the start of its clause.
ROLE_START = re.compile(r"[，。；：！？（(\n]")
# Words that open the clause but are not the office: 会议由……主持.
ROLE_LEAD = re.compile(r"^(?:会议|会|活动|座谈会|仪式)?由")
STRONG_CUE_AT = re.compile(STRONG_CUE)
WINDOW_MARGIN = 4
MAY_HOLD_NAME = re.compile(rf"{SURNAME}[{CJK}]{{1,2}}(?:{STRONG_CUE}|(?=、{SURNAME}))")
NOT_A_NAME = re.compile(r"(?:[省市县区镇乡村]|科协|学会|公司|中心)$")
MAX_ROLE_LENGTH = 40


@lru_cache(maxsize=4)
def _tagger(tokenizer: jieba.Tokenizer) -> jieba.posseg.POSTokenizer:
    return jieba.posseg.POSTokenizer(tokenizer)


def _role(text: str, name_start: int) -> str | None:
    """The office printed before the name, from its clause start: 市科协党组书记、主席."""
    clause_start = max((m.end() for m in ROLE_START.finditer(text, 0, name_start)), default=0)
    role = ROLE_LEAD.sub("", text[clause_start:name_start].strip())
    if not role or len(role) > MAX_ROLE_LENGTH or not re.search(rf"{OFFICE}$", role):
        return None
    return role


def _add_tagged_names(clause: str, tokenizer: jieba.Tokenizer, names: dict[str, None]) -> None:
    """jieba's person names in a clause that a cue confirms: a word after, or a list with 、."""
    tagged = list(_tagger(tokenizer).cut(clause))
    ends, position = [], 0
    for pair in tagged:
        position += len(pair.word)
        ends.append(position)
    candidates = {
        i
        for i, pair in enumerate(tagged)
        if pair.flag.startswith("nr")  # nrfg, nrt: names jieba knows
        and 2 <= len(pair.word) <= 4
        and re.fullmatch(rf"{SURNAME}[{CJK}]{{1,2}}", pair.word)
        and not NOT_A_NAME.search(pair.word)
    }
    for i in sorted(candidates):
        if STRONG_CUE_AT.match(clause, ends[i]):
            names.setdefault(tagged[i].word)
    # Names listed with 、: two tagged names next to each other, or one next to a name found.
    for i in sorted(candidates):
        for step in (-1, 1):
            j = i + 2 * step
            if 0 <= j < len(tagged) and tagged[i + step].word == "、":
                if j in candidates or tagged[j].word in names:
                    names.setdefault(tagged[i].word)


def find_people(
    title: str, body: str, tokenizer: jieba.Tokenizer
) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """The bare names of the people an article names (in order of first mention) and the office
    printed before each name, the first time one is."""
    names: dict[str, None] = {}
    roles: dict[str, str] = {}
    for text in (title, body):
        for match in OFFICE_NAME.finditer(text):
            name = match.group("name")
            if NOT_A_NAME.search(name):
                continue
            names.setdefault(name)
            role = _role(text, match.start("name"))
            if role and name not in roles:
                roles[name] = role
        # Tagging costs ten times cutting (jieba's HMM over every tag): only short windows around
        # what could be a name that a cue confirms.
        for match in MAY_HOLD_NAME.finditer(text):
            window = text[max(0, match.start() - WINDOW_MARGIN) : match.end() + WINDOW_MARGIN]
            _add_tagged_names(window, tokenizer, names)
    # A name cut short elsewhere (林建 of 林建波) is the longer name.
    kept = tuple(n for n in names if not any(o != n and o.startswith(n) for o in names))
    return kept, tuple((n, roles[n]) for n in kept if n in roles)
