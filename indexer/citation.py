"""How to cite an article: GB/T 7714-2015 text, an RIS record and a BibTeX entry, pure string formatting."""

from __future__ import annotations

import re
from dataclasses import dataclass

# BibTeX's special characters, each as the text it must be written as.
BIBTEX_ESCAPES = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
BIBTEX_SPECIAL = re.compile("|".join(map(re.escape, BIBTEX_ESCAPES)))
# A line break inside a value would end an RIS tag or a BibTeX field early.
LINE_BREAKS = re.compile(r"\s*[\r\n]+\s*")
# RIS (the format's specification) ends every line with CR LF.
RIS_EOL = "\r\n"
RIS_MIMETYPE = "application/x-research-info-systems"
BIBTEX_MIMETYPE = "application/x-bibtex"


@dataclass(frozen=True)
class CitedArticle:
    id: str
    title: str
    department: str | None
    date: str  # the article's own date, YYYY-MM-DD
    issue_number: int  # the year's number, 第N期
    issue_total: int  # the running number, 总第N期
    page: int | None  # the page of the printed issue, when the source file has pages
    publication: str
    url: str  # absolute

    @classmethod
    def from_record(cls, record: dict, publication: str, url: str) -> CitedArticle:
        """From an article as the JSON API shows it (a search hit or the article record)."""
        return cls(
            id=record["id"],
            title=record["title"],
            department=record["department"],
            date=record["date"],
            issue_number=record["issue"]["number"],
            issue_total=record["issue"]["total_number"],
            page=record["source"]["page"],
            publication=publication,
            url=url,
        )

    @property
    def year(self) -> str:
        return self.date[:4]


def _one_line(text: str) -> str:
    return LINE_BREAKS.sub(" ", text).strip()


def gbt7714(article: CitedArticle) -> str:
    """The reference as GB/T 7714-2015 writes a serial article: 主要责任者. 题名[J]. 刊名, 年(期): 页码.

    The department that wrote the item is its corporate author; without one the entry starts with the
    title, as the standard has it for works without an author. The bulletin has no volume, so the form
    is the standard's 年(期) without 卷, with the year's 第N期 as 期: that is the number printed with the
    year on the masthead, and year plus it names one issue. 总第N期 (a running count since the first
    issue) has no slot in the standard and would read as a volume if put there, so it is left out.
    No URL: the site's address depends on where it is served, and with a URL the standard also
    asks for [引用日期], which would make the text differ by the day it is copied.
    """
    author = f"{_one_line(article.department)}. " if article.department else ""
    pages = f": {article.page}" if article.page else ""
    return (
        f"{author}{_one_line(article.title)}[J]. {article.publication}, "
        f"{article.year}({article.issue_number}){pages}."
    )


def ris(article: CitedArticle) -> str:
    """One RIS record (TY … ER), each line ending in CR LF."""
    tags = [
        ("TY", "JOUR"),
        # A corporate author: RIS's AU holds it as written, without splitting into family/given names.
        *([("AU", _one_line(article.department))] if article.department else []),
        ("TI", _one_line(article.title)),
        ("T2", article.publication),
        ("PY", article.year),
        ("DA", article.date.replace("-", "/")),
        ("IS", str(article.issue_number)),
        *([("SP", str(article.page))] if article.page else []),
        ("N1", f"总第{article.issue_total}期"),
        ("LA", "zh"),
        ("UR", article.url),
        ("ID", article.id),
        ("ER", ""),
    ]
    return "".join(f"{tag}  - {value}{RIS_EOL}" for tag, value in tags)


def _bibtex_value(text: str) -> str:
    return BIBTEX_SPECIAL.sub(lambda match: BIBTEX_ESCAPES[match.group()], _one_line(text))


def bibtex(article: CitedArticle) -> str:
    """One @article entry; the department in double braces, so BibTeX keeps it whole as a corporate author."""
    fields = [
        *([("author", "{" + _bibtex_value(article.department) + "}")] if article.department else []),
        ("title", _bibtex_value(article.title)),
        ("journal", _bibtex_value(article.publication)),
        ("year", article.year),
        ("number", str(article.issue_number)),
        *([("pages", str(article.page))] if article.page else []),
        ("date", article.date),
        ("note", f"总第{article.issue_total}期"),
        ("url", article.url),
        ("langid", "chinese"),
    ]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    key = re.sub(r"[^A-Za-z0-9-]", "", article.id)
    return f"@article{{bulletin-{key},\n{body}\n}}\n"
