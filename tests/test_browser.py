"""End to end in headless Chromium: the app served by waitress, driven by Playwright like a journalist would."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's /usr/bin/chromium"),
]


@pytest.fixture(scope="module")
def base_url(app):
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    # Every request must stay on this machine: no CDN, no fonts from the web.
    outside = []
    page.on("request", lambda r: r.url.startswith("http://127.0.0.1") or outside.append(r.url))
    yield page
    context.close()
    assert outside == []


def hit_ids(page) -> list[str]:
    return page.locator("li.hit").evaluate_all("items => items.map(item => item.dataset.id)")


def test_search_facet_page_two_and_article(page, base_url, client):
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(f"{base_url}/search?per_page=2")
    page.fill("form#search-form input[name=q]", "科创中国")
    page.press("form#search-form input[name=q]", "Enter")
    page.wait_for_url("**/search?q=*")
    assert page.locator(".total-count").inner_text() == "6"

    page.click('.facet-county a[data-value="瑞安市"]')
    page.wait_for_url("**county=*")
    assert page.locator(".total-count").inner_text() == "3"
    first_page = hit_ids(page)
    page.screenshot(path=str(ARTIFACTS / "search-results.png"), full_page=True)

    page.click(".pagination a.page-next")
    page.wait_for_url("**page=2*")
    second_page = hit_ids(page)
    expected = client.get("/api/search?q=科创中国&county=瑞安&per_page=3").get_json()
    assert first_page + second_page == [hit["id"] for hit in expected["hits"]]
    assert set(first_page + second_page) == {"270-f05", "270-f06", "270-f07"} and len(second_page) == 1
    page.screenshot(path=str(ARTIFACTS / "search-page-2.png"), full_page=True)

    title = page.locator("li.hit .hit-title a").first.inner_text()
    page.click("li.hit .hit-title a")
    page.wait_for_url(f"**/articles/{second_page[0]}")
    assert page.locator("h1").inner_text() == title
    assert page.locator(".article-body p").count() >= 3
    page.screenshot(path=str(ARTIFACTS / "article.png"), full_page=True)


def test_journalist_story_in_three_clicks(page, base_url):
    page.goto(f"{base_url}/search")
    page.click('.facet-county a[data-value="瑞安市"]')
    page.wait_for_url("**county=*")
    page.fill('input[name="date_from"]', "2022-05-10")
    page.fill('input[name="date_to"]', "2022-05-25")
    page.click("button.button-secondary")
    page.wait_for_url("**date_to=2022-05-25*")
    assert hit_ids(page) == ["270-f06", "270-f05", "270-f02"]
    page.screenshot(path=str(ARTIFACTS / "journalist-story.png"), full_page=True)


def test_home_and_narrow_screen(page, base_url):
    page.goto(base_url + "/")
    assert page.locator(".stat strong").first.inner_text() == "1"
    page.screenshot(path=str(ARTIFACTS / "home.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base_url}/search?q=瑞安")
    # Nothing may overflow sideways on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(ARTIFACTS / "search-phone.png"), full_page=True)


def test_pinyin_reading_its_undo_and_did_you_mean(page, base_url):
    page.goto(f"{base_url}/search")
    page.fill("form#search-form input[name=q]", "linjianbo")
    page.press("form#search-form input[name=q]", "Enter")
    page.wait_for_url("**/search?q=linjianbo*")
    assert page.locator(".total-count").inner_text() == "4"
    assert page.locator(".readings").inner_text().startswith("已理解为：linjianbo → 林建波（拼音）")
    page.screenshot(path=str(ARTIFACTS / "search-reading.png"), full_page=True)
    page.click("a.reading-undo")
    page.wait_for_url("**literal=1")
    assert page.locator(".total-count").inner_text() == "0"

    # A new query typed on the literal page is read again.
    page.fill("form#search-form input[name=q]", "林剑波")
    page.press("form#search-form input[name=q]", "Enter")
    page.wait_for_url("**/search?q=*")
    assert "literal" not in page.url
    assert page.locator(".did-you-mean").inner_text() == "您是不是要找：林建波（4 篇）"
    page.screenshot(path=str(ARTIFACTS / "search-did-you-mean.png"), full_page=True)
    page.click(".did-you-mean a")
    page.wait_for_url("**/search?q=*")
    assert page.locator(".total-count").inner_text() == "4"


# The articles naming 林建波: two hold him as a keyword; the person facet, once merged, finds all four.
LIN_JIANBO_ARTICLES = {
    "keyword": {"270-f05", "270-f08"},
    "person": {"270-f02", "270-f04", "270-f05", "270-f08"},
}


def test_autocomplete_by_pinyin_picked_with_the_keyboard(page, base_url):
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(f"{base_url}/search")
    box = page.locator("form#search-form input[name=q]")
    box.press_sequentially("lin")
    page.wait_for_selector("#suggest-list [role=option]")
    assert box.get_attribute("aria-expanded") == "true"
    options = page.locator("#suggest-list [role=option]")
    assert options.first.get_attribute("data-text") == "林建波"
    page.screenshot(path=str(ARTIFACTS / "suggest-open.png"))

    box.press("ArrowDown")
    box.press("ArrowDown")
    box.press("ArrowUp")
    assert box.get_attribute("aria-activedescendant") == options.first.get_attribute("id")
    assert options.first.get_attribute("aria-selected") == "true"
    kind = options.first.get_attribute("data-kind")
    box.press("Enter")
    param = {"person": "person", "keyword": "keyword"}[kind]
    page.wait_for_url(f"**/search?{param}=*")
    assert set(hit_ids(page)) == LIN_JIANBO_ARTICLES[kind]
    assert page.locator(".total-count").inner_text() == str(len(LIN_JIANBO_ARTICLES[kind]))
    page.screenshot(path=str(ARTIFACTS / "suggest-picked.png"), full_page=True)

    box = page.locator("form#search-form input[name=q]")
    box.press_sequentially("ruian")
    page.wait_for_selector("#suggest-list [role=option]")
    box.press("Escape")
    assert box.get_attribute("aria-expanded") == "false"
    assert page.locator("#suggest-list").is_hidden()
