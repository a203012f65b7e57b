"""An article page as printed (CSS @media print) in headless Chromium: the text, then its source and citation."""

from __future__ import annotations

# The browser, the served app and the page come from the browser test's fixtures.
from tests.test_browser import ARTIFACTS, base_url, browser, page, pytestmark  # noqa: F401
from tests.test_citation import F05_GBT


def test_printed_article_has_no_navigation_and_ends_with_source_and_citation(page, base_url):  # noqa: F811
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(f"{base_url}/articles/270-f05")
    hidden_in_print = [
        ".masthead",
        ".footer",
        ".crumbs",
        ".issue-sidebar",
        ".prev-next",
        ".citation-downloads",
    ]
    for selector in hidden_in_print:
        assert page.locator(selector).is_visible(), selector
    page.emulate_media(media="print")
    for selector in hidden_in_print:
        assert not page.locator(selector).is_visible(), selector
    assert page.locator(".citation-text").inner_text() == F05_GBT
    assert page.locator(".citation-source").inner_text() == (
        "来源：温州科协信息 第5期（总第270期），温州科协信息-2022年第5期-总第270期.txt"
    )
    body_bottom = page.locator(".article-body").evaluate("e => e.getBoundingClientRect().bottom")
    citation_top = page.locator(".citation").evaluate("e => e.getBoundingClientRect().top")
    assert citation_top >= body_bottom
    # The article spans the page once the sidebar is gone.
    assert (
        page.locator(".article").evaluate("e => e.getBoundingClientRect().width")
        == page.viewport_size["width"]
    )
    page.screenshot(path=str(ARTIFACTS / "article-print.png"), full_page=True)
    pdf = page.pdf(format="A4")
    (ARTIFACTS / "article-print.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF-")
