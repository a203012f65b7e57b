"""Related articles over the real issue: exact ids, order and why in the JSON and on the page, and the
bitmap search against a plain scoring of every document."""

from __future__ import annotations

import math
import random

import pytest
from bs4 import BeautifulSoup

from indexer.engine import RelatedArticle, SearchEngine, Shared
from indexer.engine.bitmaps import bitmap
from indexer.engine.facet_table import FacetTable
from indexer.engine.related import RELATED_FACETS, related_docs
from indexer.search import engine_for
from tests.expected import ARTICLES

BY_TITLE = {a[0]: a[1] for a in ARTICLES}
LABELS = {"person": "人物", "county": "地区", "keyword": "关键词"}
# 林建波 is a keyword of 270-f05 and 270-f08 today; once the person facet is in the index he is a person
# named in four articles, which brings 270-f02 (which names him too) to the top.
LIN_JIANBO = {"facet": "person", "value": "林建波"}
RUIAN = {"facet": "county", "value": "瑞安市"}
QINGKEHUI = {"facet": "keyword", "value": "青科会"}
F02 = ("270-f02", [RUIAN, QINGKEHUI, {"facet": "keyword", "value": "科技"}])
F08 = ("270-f08", [LIN_JIANBO, QINGKEHUI])
F05_RELATED = [
    ("270-f02", [LIN_JIANBO, *F02[1]]),
    F08,
    ("270-f01", [{"facet": "keyword", "value": "创新"}]),
    ("270-f07", [RUIAN]),  # 瑞安 is also a keyword of both: named once, as the county
    ("270-f06", [RUIAN]),  # the same weight as 270-f07, and older
]
CANGNAN = {"facet": "county", "value": "苍南县"}
B29_RELATED = [
    ("270-b28", [{"facet": "keyword", "value": "慰问"}]),
    ("270-b23", [CANGNAN]),
    ("270-f08", [CANGNAN]),
    ("270-b18", [CANGNAN]),
    ("270-b05", [CANGNAN]),
]


def related_of(client, article_id: str) -> list[dict]:
    response = client.get(f"/api/articles/{article_id}")
    assert response.status_code == 200
    return response.get_json()["related"]


def why_text(why: list[dict]) -> str:
    parts = []
    for facet, label in LABELS.items():
        values = [shared["value"] for shared in why if shared["facet"] == facet]
        if values:
            parts.append(f"共同{label}：{'、'.join(values)}")
    return "；".join(parts)


def page_related(client, article_id: str) -> list[tuple[str, str, str, str]]:
    """(href, title, date, why text) of each item of the page's 相关文章."""
    soup = BeautifulSoup(client.get(f"/articles/{article_id}").get_data(as_text=True), "html.parser")
    return [
        (
            li.select_one("a")["href"],
            li.select_one("a").get_text(),
            li.select_one("time").get_text(),
            li.select_one(".related-why").get_text(),
        )
        for li in soup.select("section.related li")
    ]


@pytest.mark.parametrize(
    ("article_id", "expected"), [("270-f05", F05_RELATED), ("270-b29", B29_RELATED), ("270-b10", [])]
)
def test_related_ids_order_and_why(client, article_id, expected):
    assert [(item["id"], item["why"]) for item in related_of(client, article_id)] == expected


def test_f05_is_related_by_lin_jianbo_and_ruian(client):
    """The issue's done-when: each related article of 270-f05 shares 林建波 or 瑞安市, and says so."""
    related = related_of(client, "270-f05")
    sharing = [item["id"] for item in related if LIN_JIANBO in item["why"] or RUIAN in item["why"]]
    assert sorted(sharing) == ["270-f02", "270-f06", "270-f07", "270-f08"]
    by_id = {item["id"]: item for item in related}
    assert {"id": "270-f08", "title": BY_TITLE["270-f08"], "date": "2022-05-24"}.items() <= by_id[
        "270-f08"
    ].items()
    assert LIN_JIANBO in by_id["270-f08"]["why"]


def test_the_page_shows_what_the_json_says(client):
    for article_id in ("270-f05", "270-b29"):
        related = related_of(client, article_id)
        assert page_related(client, article_id) == [
            (f"/articles/{item['id']}", item["title"], item["date"], why_text(item["why"]))
            for item in related
        ]
    assert page_related(client, "270-b29")[0] == (
        "/articles/270-b28",
        "龙湾区开展“5.30全国科技工作者日”走访慰问活动",
        "2022-05-30",
        "共同关键词：慰问",
    )
    why_by_href = {href: why for href, _, _, why in page_related(client, "270-f05")}
    assert why_by_href["/articles/270-f02"] == "共同人物：林建波；共同地区：瑞安市；共同关键词：青科会、科技"


def test_an_article_sharing_nothing_has_no_section(client):
    assert related_of(client, "270-b10") == []
    soup = BeautifulSoup(client.get("/articles/270-b10").get_data(as_text=True), "html.parser")
    assert soup.select("section.related") == []


def test_every_article_lists_others_only_as_a_plain_scoring_ranks_them(client, indexed_settings):
    engine = engine_for(indexed_settings)
    with engine._use() as generation:
        table = generation.table
        ids = [generation.searcher.stored_fields(d)["id"] for d in range(table.size)]
        expected = {
            ids[d]: [ids[other] for other in plain_ranking(table, d, 5, engine.expander.place_spellings)]
            for d in range(table.size)
        }
    assert len(expected) == 37
    for article_id, ranked in expected.items():
        listed = [item["id"] for item in related_of(client, article_id)]
        assert article_id not in listed
        assert listed == ranked, article_id
    # 270-f04's keywords are its own; it shares its people 林建波 and 姜国忠 with others.
    alone = {"270-b08", "270-b09", "270-b10", "270-b24", "270-b25"}
    assert {article_id for article_id, ranked in expected.items() if not ranked} == alone


def test_unknown_article_has_no_related(indexed_settings):
    assert engine_for(indexed_settings).related("270-f99") == []


def test_archive_text_in_related_is_escaped(client, monkeypatch):
    found = RelatedArticle(
        "270-f08", "<script>alert(1)</script> & 标题", "2022-05-24", (Shared("keyword", "<b>词</b>"),)
    )
    monkeypatch.setattr(SearchEngine, "related", lambda self, article_id, limit=5: [found])
    body = client.get("/articles/270-f05").get_data(as_text=True)
    assert "<script>alert" not in body and "<b>词" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; 标题" in body
    assert "共同关键词：&lt;b&gt;词&lt;/b&gt;" in body
    assert page_related(client, "270-f05") == [
        ("/articles/270-f08", "<script>alert(1)</script> & 标题", "2022-05-24", "共同关键词：<b>词</b>")
    ]


def plain_ranking(table: FacetTable, docnum: int, limit: int, place_spellings: dict) -> list[int]:
    """Every other live document scored one by one: the sum of log(N / df)² over the values it shares
    (a keyword that spells one of the article's counties not counted again), newest first among ties."""
    live = table.live.bit_count()
    weights: dict[tuple[str, str], float] = {}
    spelled: set[str] = set()
    for facet in RELATED_FACETS:
        for value in table.values.get(facet, [()] * table.size)[docnum]:
            if value in spelled or any(value == v for _, v in weights):
                continue
            weights[(facet, value)] = math.log(live / table.postings[facet][value].bit_count()) ** 2
            if facet == "county":
                spelled.update(place_spellings.get(value, ()))
    scored = []
    for other in range(table.size):
        if other == docnum or not table.dates[other]:
            continue
        score = sum(w for (facet, value), w in weights.items() if value in table.values[facet][other])
        if round(score, 9) > 0:
            scored.append((-round(score, 9), tuple(-ord(c) for c in table.dates[other]), other))
    return [other for *_, other in sorted(scored)[:limit]]


def synthetic_table(size: int, seed: int) -> FacetTable:
    """Documents with skewed random people, counties and keywords (a few common, many rare) and dates."""
    rng = random.Random(seed)
    pools = {"person": 60, "county": 6, "keyword": 120}
    values: dict[str, list[tuple[str, ...]]] = {}
    for facet, pool in pools.items():
        values[facet] = [
            tuple(dict.fromkeys(f"{facet}{int(pool * rng.random() ** 3)}" for _ in range(rng.randint(0, 5))))
            for _ in range(size)
        ]
    postings = {
        facet: {
            value: bitmap((d for d in range(size) if value in by_doc[d]), size)
            for value in {v for doc in by_doc for v in doc}
        }
        for facet, by_doc in values.items()
    }
    dates = [
        f"20{rng.randint(10, 29)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}" for _ in range(size)
    ]
    order = sorted(range(size), key=lambda d: (dates[d], d))
    return FacetTable(
        size=size,
        postings=postings,
        values=values,
        issues={},
        dates=dates,
        date_order=order,
        month_spans=[],
        month_docs=[],
        live=bitmap(range(size), size),
    )


@pytest.mark.parametrize("seed", [1, 2])
def test_the_bitmap_search_finds_what_plain_scoring_finds(seed):
    """Over 250 documents whose common values make many groups (the search drops more than half of them
    as unable to reach the top 5), it lists exactly the plain scoring's top 5 for each document."""
    table = synthetic_table(250, seed)
    for docnum in range(table.size):
        found = related_docs(table, docnum, 5)
        assert [doc.docnum for doc in found] == plain_ranking(table, docnum, 5, {}), docnum
        for doc in found:
            assert doc.shared and all(doc.docnum in docs_with(table, shared) for shared in doc.shared)


def docs_with(table: FacetTable, shared: Shared) -> set[int]:
    return {d for d in range(table.size) if shared.value in table.values[shared.facet][d]}
