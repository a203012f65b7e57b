"""axe-core (bundled by axe-playwright-python) on every kind of page: no WCAG 2 A/AA or best-practice violations."""

from __future__ import annotations

import pytest

from tests.test_browser import ARTIFACTS, CHROMIUM, base_url, browser, page  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's /usr/bin/chromium"),
]

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]

PAGES = {
    "home": "/",
    "search": "/search?q=科创中国",
    "search-empty": "/search?q=科创中国&county=洞头",
    "search-nothing": "/search?q=没有这样的词语",
    "advanced-empty": "/advanced",
    "advanced-wrong": "/advanced?county=火星",
    "advanced": "/advanced?all=科创&phrase=试点城市建设&any=瑞安+平阳&none=洞头&county=瑞安",
    "article": "/articles/270-f05",
    "issue": "/issues/270",
    "issues": "/issues",
}


def _described(violation: dict) -> str:
    targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"])
    return f"{violation['id']}: {violation['help']} ({violation['impact']}) at {targets}"


@pytest.mark.parametrize("name", PAGES)
def test_no_axe_violations(page, base_url, name):  # noqa: F811
    axe_playwright = pytest.importorskip("axe_playwright_python.sync_playwright")
    response = page.goto(base_url + PAGES[name])
    assert response.status == 200
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"a11y-{name}.png"), full_page=True)
    results = axe_playwright.Axe().run(
        page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
    )
    violations = results.response["violations"]
    print(*(_described(v) for v in violations), sep="\n")
    assert [v["id"] for v in violations] == []
