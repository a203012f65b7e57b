"""People named in an article: words jieba's HMM joined or its dictionary tags as names (nr), refined by the bulletin's own patterns
(an office printed before the name, a name before 一行/指出/表示, names listed with 、), as bare names."""

from __future__ import annotations

import re
from itertools import accumulate

import jieba

from indexer.wordseg import is_dictionary_name

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
# A dictionary word more frequent than this is not the given name after a lone surname (向 + 大家).
RARE_WORD = 100
# Characters that end a clause's word rather than a name (吴明 + 的).
NOT_A_GIVEN_NAME = set("的了在和与及等对为是也都就把被从向到由将并或")
NAME_SHAPE = re.compile(rf"{SURNAME}[{CJK}]{{1,2}}")


def _may_be_name(word: str, tokenizer: jieba.Tokenizer) -> bool:
    """Shaped as a name, and either a name in jieba's dictionary or no dictionary word at all (a word
    jieba's HMM joined from unknown characters: 林建波, 章秀伟)."""
    if not NAME_SHAPE.fullmatch(word) or NOT_A_NAME.search(word):
        return False
    return not tokenizer.FREQ.get(word) or is_dictionary_name(word)


def _role(text: str, name_start: int) -> str | None:
    """The office printed before the name, from its clause start: 市科协党组书记、主席."""
    clause_start = max((m.end() for m in ROLE_START.finditer(text, 0, name_start)), default=0)
    role = ROLE_LEAD.sub("", text[clause_start:name_start].strip())
    if not role or len(role) > MAX_ROLE_LENGTH or not re.search(rf"{OFFICE}$", role):
        return None
    return role


def _join_split_names(words: list[str], tokenizer: jieba.Tokenizer) -> list[str]:
    """A name jieba cut in two, as one word where what follows confirms it (a cue or a list with 、):
    a surname alone before a rare word (胡 + 海峰) or an unknown two characters before one more
    (吴明 + 红). jieba's tagger joins these with its part-of-speech HMM; a plain cut does not."""
    joined: list[str] = []
    i = 0
    while i < len(words):
        if i + 2 < len(words) or (i + 1 < len(words) and joined and joined[-1] == "、"):
            first, second = words[i], words[i + 1]
            after = words[i + 2] if i + 2 < len(words) else ""
            confirmed = bool(STRONG_CUE_AT.match(after)) or after == "、" or (joined and joined[-1] == "、")
            split = (
                len(first) == 1 and first in SURNAMES and (tokenizer.FREQ.get(second) or 0) < RARE_WORD
            ) or (
                len(first) == 2
                and len(second) == 1
                and not tokenizer.FREQ.get(first)
                and second not in NOT_A_GIVEN_NAME
            )
            if confirmed and split and NAME_SHAPE.fullmatch(first + second):
                joined.append(first + second)
                i += 2
                continue
        joined.append(words[i])
        i += 1
    return joined


def _add_confirmed_names(clause: str, tokenizer: jieba.Tokenizer, names: dict[str, None]) -> None:
    """Words of a clause that may be names and that a cue confirms: a word after, or a list with 、."""
    words = _join_split_names(list(tokenizer.cut(clause, HMM=True)), tokenizer)
    ends = list(accumulate(map(len, words)))
    candidates = {i for i, word in enumerate(words) if _may_be_name(word, tokenizer)}
    for i in sorted(candidates):
        if STRONG_CUE_AT.match(clause, ends[i]):
            names.setdefault(words[i])
    # Names listed with 、: two candidates next to each other, or one next to a name found.
    for i in sorted(candidates):
        for step in (-1, 1):
            j = i + 2 * step
            if 0 <= j < len(words) and words[i + step] == "、":
                if j in candidates or words[j] in names:
                    names.setdefault(words[i])


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
        # Only short windows around what could be a name that a cue confirms are cut.
        for match in MAY_HOLD_NAME.finditer(text):
            window = text[max(0, match.start() - WINDOW_MARGIN) : match.end() + WINDOW_MARGIN]
            _add_confirmed_names(window, tokenizer, names)
    # A name cut short elsewhere (林建 of 林建波) is the longer name.
    kept = tuple(n for n in names if not any(o != n and o.startswith(n) for o in names))
    return kept, tuple((n, roles[n]) for n in kept if n in roles)
