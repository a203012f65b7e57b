"""Web pages: the readable content (beautifulsoup4), decoded by the charset its <meta> declares."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from indexer.errors import UnreadableFile
from indexer.formats.text import UTF8_BOM, UTF16_BOMS, decode
from indexer.models import Extracted

name = "html"
has_pages = False
preference = 1

HTML_START = re.compile(
    rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|title)\b", re.I | re.S
)
HTML_TAGS = re.compile(rb"<(?:p|div|br|h[1-6]|article)\b[^>]*>", re.I)
HTML_BODY = re.compile(rb"<body\b", re.I)
META_CHARSET = re.compile(rb"""<meta\b[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
# GB18030 is a superset of these (as Python names them); pages labelled GB2312 often hold GBK characters.
GB_FAMILY = {"gb2312", "gbk", "gb18030"}
CJK = r"\u3400-\u9fff\uf900-\ufaff"
# A line break inside a run of Chinese in page source is no space on the page (CSS Text's
# segment-break rule for East Asian wide characters).
SOURCE_BREAK_IN_CJK = re.compile(rf"(?<=[{CJK}，。；：、！？“”（）])\s*\n\s*(?=[{CJK}，。；：、！？“”（）])")
DROPPED_TAGS = ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe", "svg",
                "template", "button", "select", "input", "textarea", "title")  # fmt: skip
BLOCK_TAGS = ("p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol",
              "dt", "dd", "blockquote", "pre", "table", "tr", "td", "th", "figcaption", "hr", "header")  # fmt: skip


def sniff(head: bytes) -> bool:
    """Markup at the start, a <body>, or at least two block tags, in whatever Unicode encoding."""
    if head.startswith(UTF16_BOMS):
        head = head.decode("utf-16", errors="replace").encode("utf-8")
    head = head.removeprefix(UTF8_BOM)
    return bool(HTML_START.match(head) or HTML_BODY.search(head) or len(HTML_TAGS.findall(head)) >= 2)


def read(data: bytes, source: str, cache_dir: Path | None) -> Extracted:
    decoded = decode(data, source, declared_charset(data))
    text = html_text(decoded.text)
    if not text.strip():
        raise UnreadableFile(source, "web page without text")
    return Extracted(text, 1, problems=(decoded.doubt,) if decoded.doubt else ())


def declared_charset(data: bytes) -> str | None:
    """The encoding a web page's <meta> names, if Python knows it."""
    found = META_CHARSET.search(data[:4096])
    if not found:
        return None
    try:
        encoding = codecs.lookup(found.group(1).decode("ascii")).name
    except (LookupError, UnicodeDecodeError):
        return None
    if encoding in GB_FAMILY:
        return "gb18030"
    return "utf-8-sig" if encoding == "utf-8" else encoding


def html_text(markup: str) -> str:
    """The readable content of a web page, a paragraph per block, without navigation, scripts or footers."""
    # Imported here: beautifulsoup4 and its CSS engine cost a fifth of a second at start-up, and most
    # runs of `bulletin index` read no web page.
    from bs4 import BeautifulSoup, Comment

    soup = BeautifulSoup(markup, "html.parser")
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    for tag in soup.find_all(DROPPED_TAGS):
        # An article's own <header> holds its title and date, not the site's name.
        if tag.name == "header" and tag.find_parent("article"):
            continue
        tag.decompose()
    root = soup.find("article") or soup.find("main") or soup.body or soup
    for string in root.find_all(string=True):
        if "\n" in string:
            string.replace_with(SOURCE_BREAK_IN_CJK.sub("", str(string)).replace("\n", " "))
    # Sites put <br> between paragraphs far more often than inside one.
    for br in root.find_all("br"):
        br.replace_with("\n\n")
    for block in root.find_all(BLOCK_TAGS):
        block.insert_before("\n\n")
        block.insert_after("\n\n")
    return root.get_text("")
