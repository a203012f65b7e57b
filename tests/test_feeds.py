"""Atom feeds of any search (/search.atom), read back with feedparser, a real feed parser."""

from __future__ import annotations

from urllib.parse import urlencode

import feedparser
from bs4 import BeautifulSoup

from tests.conftest import SEED
from tests.expected import ARTICLES

RUIAN_NEWEST_FIRST = [
    article_id
    for article_id, _title, date, _department, counties in sorted(ARTICLES, key=lambda a: a[2], reverse=True)
    if "瑞安市" in counties
]


def feed(client, query: str):
    response = client.get("/search.atom?" + query)
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    parsed = feedparser.parse(response.data)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


def test_county_feed_lists_exactly_the_ruian_articles_newest_first(client):
    assert RUIAN_NEWEST_FIRST == ["270-f07", "270-f06", "270-f05", "270-f02"]
    parsed = feed(client, urlencode({"county": "瑞安"}))
    assert [entry.link for entry in parsed.entries] == [
        f"http://localhost/articles/{article_id}" for article_id in RUIAN_NEWEST_FIRST
    ]
    assert parsed.feed.title == "温州科协信息 · 瑞安市"
    first = parsed.entries[0]
    assert first.title == "市科协领导赴瑞安平阳调研“科创中国”试点城市建设工作"
    assert first.author == "市科协学会部"
    assert first.updated == "2022-05-26T00:00:00+08:00"
    assert [tag.term for tag in first.tags] == ["瑞安市", "平阳县"]
    assert first.summary.startswith("5月26日，市科协党组成员、副主席姜国忠一行")
    assert first.id.startswith("urn:uuid:")


def test_feed_ids_are_stable_and_unique(client):
    one = feed(client, "county=瑞安")
    again = feed(client, "county=瑞安&sort=oldest&page=1")
    assert [e.id for e in one.entries] == [e.id for e in again.entries]
    assert one.feed.id == again.feed.id
    everything = feed(client, "")
    assert len({e.id for e in everything.entries}) == len(everything.entries) == 37


def test_feed_is_newest_whatever_the_sort_and_capped_at_50(client):
    oldest = feed(client, "county=瑞安&sort=oldest&per_page=1&page=3")
    assert [e.link.rsplit("/", 1)[1] for e in oldest.entries] == RUIAN_NEWEST_FIRST


def test_feed_of_a_query_with_readings(client):
    # 科創中國 in traditional characters is read as 科创中国; literal=1 turns the reading off.
    parsed = feed(client, urlencode({"q": "科創中國", "county": "瑞安"}))
    assert [e.link.rsplit("/", 1)[1] for e in parsed.entries] == ["270-f07", "270-f06", "270-f05"]
    assert "<mark>" not in parsed.entries[0].summary
    assert feed(client, urlencode({"q": "科創中國", "county": "瑞安", "literal": "1"})).entries == []


def test_bad_parameters_are_the_html_400_page_like_the_csv(client):
    for path in ("/search.atom", "/search.csv"):
        response = client.get(path + "?" + urlencode({"county": "火星", "q": "科创"}))
        assert response.status_code == 400 and response.mimetype == "text/html", path
        retry = BeautifulSoup(response.data, "html.parser").find("a", string="去掉这个参数，重新搜索")
        assert retry["href"] == path + "?" + urlencode({"q": "科创"})
    assert client.get("/search.atom?sort=random").status_code == 400


def test_every_search_page_links_its_feed(client):
    soup = BeautifulSoup(
        client.get("/search?" + urlencode({"county": "瑞安", "sort": "oldest"})).data, "html.parser"
    )
    alternate = soup.find("link", rel="alternate", type="application/atom+xml")
    visible = soup.find("a", string="订阅")
    expected = "/search.atom?" + urlencode({"county": "瑞安市"})
    assert alternate["href"] == visible["href"] == expected
    assert alternate["title"] == "订阅：瑞安市"
    assert soup.find("a", string="导出 RIS")["href"] == "/search.ris?" + urlencode(
        {"county": "瑞安市", "sort": "oldest"}
    )
    assert feed(client, expected.split("?", 1)[1]).entries[0].link.endswith("270-f07")


def test_archive_markup_in_a_feed_stays_text(tmp_path, settings):
    from indexer.build import build_index
    from webui.app import create_app

    archive = tmp_path / "archive"
    archive.mkdir()
    title = "洞头区第一届魔方还原竞速比赛成功举办"
    text = SEED.read_text(encoding="utf-8").replace(
        title, "洞头区第一届<script>alert(1)</script>魔方比赛 & 竞速"
    )
    (archive / SEED.name).write_text(text, encoding="utf-8")
    local = settings.with_overrides(
        archive_dir=archive, index_dir=tmp_path / "index", cache_dir=tmp_path / "cache"
    )
    assert build_index(local, rebuild=True).failed == []
    client = create_app(local).test_client()
    raw = client.get("/search.atom?q=魔方").get_data(as_text=True)
    assert "<script>" not in raw and "&lt;script&gt;alert(1)&lt;/script&gt;魔方比赛 &amp; 竞速" in raw
    parsed = feed(client, "q=魔方")
    assert parsed.entries[0].title == "洞头区第一届<script>alert(1)</script>魔方比赛 & 竞速"
    ris = client.get("/articles/270-b25.ris").get_data(as_text=True)
    assert "TI  - 洞头区第一届<script>alert(1)</script>魔方比赛 & 竞速\r\n" in ris


def test_control_characters_and_odd_bytes_still_make_a_valid_feed(client):
    parsed = feed(client, "q=%E7%A7%91%E5%88%9B%00%0B%E4%B8%AD%E5%9B%BD")
    assert parsed.feed.title == "温州科协信息 · 科创中国"
    assert client.get("/search.atom?q=%FF%FE").status_code in (200, 400)
