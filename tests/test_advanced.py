"""The advanced search form: the query string its boxes build, and the page that shows it and links to it."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qsl, urlsplit

import pytest
from bs4 import BeautifulSoup

from indexer import fields
from indexer.advanced import AdvancedQuery, build_query, filter_values, terms


@pytest.mark.parametrize(
    ("boxes", "expected"),
    [
        (
            AdvancedQuery("科创", "试点城市建设", "瑞安 平阳", "洞头"),
            '科创 "试点城市建设" (瑞安 OR 平阳) NOT 洞头',
        ),
        (AdvancedQuery(all_words="科创 中国", title_only=True), "title:科创 title:中国"),
        (
            AdvancedQuery(phrase="试点 城市", none_words="洞头", title_only=True),
            'title:"试点 城市" NOT title:洞头',
        ),
        (AdvancedQuery(any_words="瑞安"), "瑞安"),
        (AdvancedQuery(any_words="  "), ""),
        # Operators and syntax typed as words are searched for, not obeyed.
        (AdvancedQuery(all_words="科创 OR 中国"), '科创 "OR" 中国'),
        (AdvancedQuery(all_words="-洞头 +瑞安 title:科创 (a)"), '"-洞头" "+瑞安" "title:科创" "(a)"'),
        (AdvancedQuery(any_words="NOT AND"), '("NOT" OR "AND")'),
        # A quoted group in a word box stays one term; a quote inside the phrase box cannot be written.
        (AdvancedQuery(all_words='"科创 中国"  瑞安'), '"科创 中国" 瑞安'),
        (AdvancedQuery(phrase='科创"中国"'), '"科创 中国"'),
        (AdvancedQuery(none_words='洞"头'), "NOT 洞 NOT 头"),
        # Lower-case words are not operators to the parser.
        (AdvancedQuery(all_words="or not"), "or not"),
    ],
)
def test_build_query(boxes, expected):
    assert build_query(boxes) == expected


def test_terms_and_filter_values():
    assert terms('a "b  c" "" d"') == ["a", "b c", "d"]
    assert filter_values("瑞安、平阳, 苍南  洞头") == ["瑞安", "平阳", "苍南", "洞头"]
    assert filter_values(" ") == []


def _built(client, query: str) -> tuple[BeautifulSoup, list[tuple[str, str]] | None]:
    response = client.get("/advanced?" + query)
    assert response.status_code == 200
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    link = soup.select_one("a.button-link")
    return soup, parse_qsl(urlsplit(link["href"]).query) if link else None


def test_empty_form_builds_nothing_and_has_a_box_per_filter(client):
    soup, params = _built(client, "")
    assert params is None and soup.select_one(".built-query") is None
    filter_names = [f.name for f in fields.filters()]
    assert [
        box["name"] for box in soup.select("fieldset:nth-of-type(2) :is(input, select)[id^=adv-]")
    ] == filter_names
    assert {"county", "department", "kind", "keyword"} <= set(filter_names)
    # Every box has its label.
    for box in soup.select("input[id], select[id]"):
        assert soup.select_one(f'label[for="{box["id"]}"]') is not None


def test_filled_form_shows_query_total_and_link_to_its_results(client):
    soup, params = _built(
        client,
        "all=科创&phrase=试点城市建设&any=瑞安+平阳&none=洞头&county=瑞安&kind=feature&date_from=2022-05-01",
    )
    q = '科创 "试点城市建设" (瑞安 OR 平阳) NOT 洞头'
    assert soup.select_one(".built-query code").get_text() == q
    assert soup.select_one(".built-total").get_text() == "1"
    assert params == [("q", q), ("county", "瑞安市"), ("kind", "feature"), ("date_from", "2022-05-01")]
    found = client.get("/api/search", query_string=params).get_json()
    assert [hit["id"] for hit in found["hits"]] == ["270-f07"]
    # The boxes keep what was typed.
    assert soup.select_one("#adv-any")["value"] == "瑞安 平阳"
    assert soup.select_one("#adv-kind option[selected]")["value"] == "feature"


def test_title_only_and_several_filter_values(client):
    soup, params = _built(client, "all=科创&none=中国&title=1&county=瑞安、平阳")
    assert soup.select_one(".built-query code").get_text() == "title:科创 NOT title:中国"
    assert params == [("q", "title:科创 NOT title:中国"), ("county", "瑞安市"), ("county", "平阳县")]
    found = client.get("/api/search", query_string=params).get_json()
    assert [hit["id"] for hit in found["hits"]] == ["270-f05"]


def test_filters_alone_build_no_query(client):
    soup, params = _built(client, "department=市科协学会部")
    assert soup.select_one(".built-query code").get_text() == "（无检索词，只按条件筛选）"
    assert params == [("department", "市科协学会部")]
    # tests/expected.py names 市科协学会部 under 7 articles.
    assert soup.select_one(".built-total").get_text() == "7"


@pytest.mark.parametrize(
    ("query", "said", "marked"),
    [
        ("county=火星&all=科创", "没有这个县（市、区）", ["county"]),
        ("date_from=2022-13-01", "", ["date_from"]),
        ("all=" + "科" * 300, "", []),
    ],
)
def test_a_wrong_box_is_named_on_the_form_not_a_500(client, query, said, marked):
    soup, params = _built(client, query)
    assert params is None
    error = soup.select_one(".error-line").get_text()
    assert error.startswith(said) and re.search(r"（.+）$", error)
    assert [box["name"] for box in soup.select("[aria-invalid=true]")] == marked
    # What was typed stays in its box.
    assert soup.select_one("#adv-all")["value"] == dict(parse_qsl(query)).get("all", "")


def test_linked_from_every_page_with_a_search_box(client):
    for url in ("/", "/search?q=科创", "/issues"):
        soup = BeautifulSoup(client.get(url).get_data(as_text=True), "html.parser")
        assert "/advanced" in {unescape(a["href"]) for a in soup.select("a[href]")}, url
