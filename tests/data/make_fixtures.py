"""Re-make the test fixtures in tests/data/ from the real issue in archive/.

    .venv/bin/python tests/data/make_fixtures.py

Every format a bulletin arrives in: a web page, PDFs from two producers (reportlab with a built-in CID
font, and headless Chromium with Noto CJK), GB18030 and UTF-8-with-BOM text, and the bad inputs the
indexer must survive. Needs Debian's chromium and fonts-noto-cjk for the Chromium PDF.
"""

from __future__ import annotations

import html
import random
import re
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SEED = next((ROOT / "archive").glob("温州科协信息-2022年第5期-总第270期.txt"))
BAD = HERE / "bad"
# What office tools that look glyphs up by shape write instead of 月, 青 and 龙: a Kangxi radical
# (U+2F49) and two CJK Radicals Supplement code points (U+2ED8, U+2EF0).
RADICAL_SUBSTITUTES = {"月": "\u2f49", "青": "\u2ed8", "龙": "\u2ef0"}
BRIEF_LINE = re.compile(r"^\d{1,2}月\d{1,2}日")


def seed_lines() -> list[str]:
    return [line.strip() for line in SEED.read_text(encoding="utf-8").splitlines() if line.strip()]


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def classify(lines: list[str]) -> list[tuple[str, str]]:
    """(role, text) per line: masthead, toc-heading, toc, title, paragraph, briefs-heading, brief."""
    toc_at = next(i for i, line in enumerate(lines) if squeeze(line) == "本期要目")
    titles = []
    index = toc_at + 1
    while lines[index].startswith("- "):
        titles.append(squeeze(lines[index][2:]))
        index += 1
    roles = [("masthead", line) for line in lines[:toc_at]]
    roles.append(("toc-heading", lines[toc_at]))
    roles += [("toc", line[2:]) for line in lines[toc_at + 1 : index]]
    in_briefs = False
    for line in lines[index:]:
        if squeeze(line) == "简讯":
            in_briefs = True
            roles.append(("briefs-heading", line))
        elif in_briefs:
            roles.append(("brief", line))
        elif squeeze(line) in titles:
            roles.append(("title", line))
        else:
            roles.append(("paragraph", line))
    return roles


PRINT_CSS = """
body { font-family: "Noto Serif CJK SC", "Noto Sans CJK SC", serif; margin: 0 auto; max-width: 46em;
       line-height: 1.7; color: #222; }
.masthead { text-align: center; border-bottom: 3px double #b00; margin-bottom: 1.5em; }
.masthead h1 { color: #b00; font-size: 2.2em; letter-spacing: .3em; margin: .2em 0; }
.masthead p { margin: .2em 0; }
.toc { border: 1px solid #ccc; padding: .5em 1.5em; }
h2 { font-size: 1.25em; text-align: center; margin: 1.6em 0 .8em; }
article p { text-indent: 2em; margin: .4em 0; text-align: justify; }
.briefs li { list-style: none; margin: .3em 0; }
@media print { .site-header, .site-nav, .breadcrumbs, .related, .site-footer, .share { display: none; } }
"""


def issue_html(lines: list[str]) -> str:
    """A web page of the issue as a city association's site would publish it, site chrome included."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        "<title>温州科协信息 2022年第5期 - 温州市科学技术协会</title>",
        f"<style>{PRINT_CSS}</style>",
        "<script>window.dataLayer = window.dataLayer || []; function track(){ /* 统计代码 */ }</script>",
        "</head><body>",
        "<!-- 站点统计：请勿删除 -->",
        "<noscript>请启用浏览器的 JavaScript 功能</noscript>",
        '<header class="site-header"><a href="/">温州市科学技术协会</a> <span>温州科协官方网站</span>'
        '<form class="search" action="/search"><input name="q" placeholder="站内搜索"><button>搜索</button></form>'
        "</header>",
        '<nav class="site-nav"><a href="/">首页</a> <a href="/news">科协要闻</a> <a href="/xinxi">温州科协信息</a>'
        ' <a href="/kepu">科普工作</a> <a href="/xuehui">学会工作</a></nav>',
        '<div class="breadcrumbs">当前位置：首页 &gt; 温州科协信息 &gt; 2022年</div>',
        "<main><article>",
        "<!-- 正文开始 -->",
    ]
    roles = classify(lines)
    masthead = [text for role, text in roles if role == "masthead"]
    parts.append(f'<div class="masthead"><h1>{html.escape(masthead[0])}</h1>')
    parts += [f"<p>{html.escape(text)}</p>" for text in masthead[1:]]
    parts.append("</div>")
    open_list = None
    for role, text in roles:
        if role in ("toc", "brief"):
            if open_list != role:
                parts.append(f'<ul class="{role}s">' if role == "brief" else '<ul class="toc">')
                open_list = role
            parts.append(f"<li>{html.escape(text)}</li>")
            continue
        if open_list:
            parts.append("</ul>")
            open_list = None
        if role in ("toc-heading", "title", "briefs-heading"):
            parts.append(f"<h2>{html.escape(text)}</h2>")
        elif role == "paragraph":
            parts.append(f"<p>{html.escape(text)}</p>")
    if open_list:
        parts.append("</ul>")
    parts += [
        "</article></main>",
        '<aside class="related"><h3>相关链接</h3><ul><li><a href="/xinxi/269">温州科协信息 2022年第4期</a></li>'
        "</ul></aside>",
        '<div class="share">分享到：微信 微博</div>',
        '<footer class="site-footer"><p>版权所有 © 温州市科学技术协会 浙ICP备00000000号</p>'
        '<p><a href="/">首页</a> | <a href="/about">关于我们</a> | <a href="/contact">联系我们</a></p></footer>',
        "<script>track();</script>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def reportlab_pdf(lines: list[str], path: Path, encrypt: str | None = None) -> None:
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    body = ParagraphStyle(
        "body", fontName="STSong-Light", fontSize=12, leading=20, wordWrap="CJK", spaceAfter=6
    )
    centered = ParagraphStyle("centered", parent=body, alignment=TA_CENTER)
    title = ParagraphStyle("title", parent=centered, fontSize=15, leading=22, spaceBefore=10, spaceAfter=10)
    masthead = ParagraphStyle("masthead", parent=centered, fontSize=26, leading=36)

    def substitute(role: str, text: str) -> str:
        # Radicals only where the line stands alone: the built-in CID font has no glyphs for them, and
        # their fallback metrics would move pdfminer's paragraph boxes elsewhere.
        if role in ("masthead", "toc"):
            text = "".join(RADICAL_SUBSTITUTES.get(char, char) for char in text)
        # STSong-Light has no middle dot; an office tool falls back to a Latin font for it, as here.
        return html.escape(text).replace("·", '<font name="Helvetica">·</font>')

    def furniture(canvas, document) -> None:
        canvas.saveState()
        canvas.setFont("STSong-Light", 10)
        canvas.drawCentredString(A4[0] / 2, 12 * mm, f"— {document.page} —")
        if document.page > 1:
            canvas.drawCentredString(A4[0] / 2, A4[1] - 12 * mm, "温州科协信息")
        canvas.restoreState()

    story = []
    for role, text in classify(lines):
        text = substitute(role, text)
        if role == "masthead":
            story.append(Paragraph(text, masthead if not story else centered))
        elif role in ("toc-heading", "title", "briefs-heading"):
            story.append(Paragraph(text, title))
        elif role == "toc":
            story.append(Paragraph("- " + text, body))
        else:
            story.append(Paragraph(text, body))
        if role == "masthead" and len(story) == 1:
            story.append(Spacer(1, 6))
    document = SimpleDocTemplate(
        str(path),
        pagesize=A4,
        leftMargin=25 * mm,
        rightMargin=25 * mm,
        topMargin=22 * mm,
        bottomMargin=22 * mm,
        title="温州科协信息 2022年第5期",
        author="温州市科学技术协会",
        invariant=1,
        encrypt=encrypt,
    )
    document.build(story, onFirstPage=furniture, onLaterPages=furniture)


def chromium_pdf(page_html: Path, path: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=shutil.which("chromium") or "/usr/bin/chromium",
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],  # fmt: skip
        )
        page = browser.new_page()
        page.goto(page_html.as_uri())
        page.emulate_media(media="print")
        page.pdf(
            path=str(path),
            format="A4",
            margin={"top": "20mm", "bottom": "20mm", "left": "20mm", "right": "20mm"},
            display_header_footer=True,
            header_template="<span></span>",
            footer_template='<div style="font-size:9px;width:100%;text-align:center">— <span class="pageNumber">'
            "</span> —</div>",
        )
        browser.close()
    # Skia stamps the time of printing; a fixed date keeps the file the same from run to run. Same
    # length, so the cross-reference offsets stay right.
    data = re.sub(rb"(/(?:Creation|Mod)Date \(D:)\d{14}", rb"\g<1>20220531000000", path.read_bytes())
    path.write_bytes(data)


def scanned_pdf(path: Path) -> None:
    """A page with drawings and no text layer, as a scanner without OCR makes."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    drawing = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    generator = random.Random(3)
    for _ in range(400):
        x, y = generator.uniform(50, 540), generator.uniform(50, 790)
        drawing.rect(x, y, generator.uniform(2, 30), generator.uniform(1, 4), fill=1, stroke=0)
    drawing.showPage()
    drawing.save()


def main() -> None:
    lines = seed_lines()
    text = SEED.read_text(encoding="utf-8")
    BAD.mkdir(exist_ok=True)
    (HERE / "issue270-gb18030.txt").write_bytes(text.encode("gb18030"))
    (HERE / "issue270-bom.txt").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    page = HERE / "issue270.html"
    page.write_text(issue_html(lines), encoding="utf-8")
    reportlab_pdf(lines, HERE / "issue270-reportlab.pdf")
    chromium_pdf(page, HERE / "issue270-chromium.pdf")

    whole = (HERE / "issue270-reportlab.pdf").read_bytes()
    (BAD / "truncated.pdf").write_bytes(whole[: len(whole) // 2])
    reportlab_pdf(lines[:20], BAD / "encrypted.pdf", encrypt="secret")
    scanned_pdf(BAD / "scanned.pdf")
    (BAD / "empty.txt").write_bytes(b"")
    (BAD / "junk.bin").write_bytes(random.Random(7).randbytes(4096))
    (BAD / "not-a-bulletin.txt").write_text(
        "关于开展2022年度科普讲解大赛的通知\n\n各县（市、区）科协：\n\n为提升科普讲解水平，现将有关事项通知如下。\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
