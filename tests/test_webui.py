"""The HTML pages over the index of the real issue: exact results, facet clicks, twins, escaping, files."""

from __future__ import annotations

import dataclasses
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from bs4 import BeautifulSoup

from indexer.search import parse_request, search
from tests.conftest import ROOT, SEED
from tests.expected import ARTICLES, BRIEFS, FEATURE_PARAGRAPHS, FEATURES
from webui import cli as web_cli
from webui import export, records, search_page

BY_ID = {a[0]: a for a in ARTICLES}
RUIAN_IDS = {a[0] for a in ARTICLES if "瑞安市" in a[4]}
PAGES = ["/", "/search", "/search?q=科创中国&county=瑞安", "/articles/270-f01", "/issues", "/issues/270"]


def soup_of(response) -> BeautifulSoup:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/html"
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def get(client, url: str) -> BeautifulSoup:
    return soup_of(client.get(url))


def hit_ids(soup: BeautifulSoup) -> list[str]:
    return [li["data-id"] for li in soup.select("li.hit")]


def total(soup: BeautifulSoup) -> int:
    return int(soup.select_one(".total-count").get_text())


def facet_link(soup: BeautifulSoup, name: str, value: str) -> str:
    return soup.select_one(f'.facet-{name} a.facet-value[data-value="{value}"]')["href"]


def test_home_shows_the_archive_at_a_glance(client):
    soup = get(client, "/")
    stats = {s.select_one("span").get_text(): s.select_one("strong").get_text() for s in soup.select(".stat")}
    assert stats == {"期": "1", "篇文章": "37", "篇要闻": "8", "条简讯": "29", "出刊日期": "2022-05-31"}
    assert [a["href"] for a in soup.select(".issue-cards a")] == ["/issues/270"]
    assert soup.select_one("form.searchbar")["action"] == "/search"
    counties = {a.contents[0].strip(): a.select_one(".count").get_text() for a in soup.select(".pill-list a")}
    assert counties["瑞安市"] == "4" and counties["泰顺县"] == "5"


@pytest.mark.parametrize("url", PAGES)
def test_every_page_links_its_json_twin(client, url):
    soup = get(client, url)
    link = soup.select_one('link[rel="alternate"][type="application/json"]')
    twin = client.get(link["href"])
    assert link["href"].startswith("/api/")
    assert twin.status_code == 200 and twin.mimetype == "application/json"


@pytest.mark.parametrize(
    "query",
    [
        "",
        "q=科创中国",
        "q=科创中国&county=瑞安市",
        "county=瑞安&date_from=2022-05-10&date_to=2022-05-25",
        "kind=brief&sort=oldest&per_page=5&page=2",
        "keyword=青科会&county=龙湾区&county=乐清市",
        "q=林建波 OR 章秀伟&sort=newest",
    ],
)
def test_html_and_json_twins_agree(client, query):
    soup = get(client, "/search?" + query)
    data = client.get(soup.select_one('link[rel="alternate"]')["href"]).get_json()
    assert data == client.get("/api/search?" + query).get_json()
    assert hit_ids(soup) == [hit["id"] for hit in data["hits"]]
    assert total(soup) == data["total"]
    for name in ("county", "department", "kind", "year", "keyword"):
        shown = [
            (a["data-value"], int(a.select_one(".count").get_text()), "selected" in a["class"])
            for a in soup.select(f".facet-{name} a.facet-value")
        ]
        expected = [(f["value"], f["count"], f["selected"]) for f in data["facets"][name]]
        if name == "year":
            # Years filter through the date range, which the core does not flag as selected.
            shown = [(value, count, False) for value, count, _ in shown]
        assert shown == expected


def test_every_json_route_is_the_view_of_an_html_page(app):
    """A page is written once: each /api GET route and its page are served by one view function."""
    rules = [rule for rule in app.url_map.iter_rules() if "GET" in rule.methods]
    pages_by_view = {}
    for rule in rules:
        if not rule.rule.startswith("/api"):
            pages_by_view.setdefault(app.view_functions[rule.endpoint], []).append(rule.rule)
    twins = {
        rule.rule: pages_by_view.get(app.view_functions[rule.endpoint])
        for rule in rules
        if rule.rule.startswith("/api") and rule.rule not in ("/api/openapi.json", "/api/suggest")
    }
    assert twins == {
        "/api/stats": ["/"],
        "/api/search": ["/search"],
        "/api/articles/<article_id>": ["/articles/<article_id>"],
        "/api/issues": ["/issues"],
        "/api/issues/<issue_id>": ["/issues/<issue_id>"],
        "/api/reports/ingest": ["/reports/ingest"],
    }


def test_county_filter_gives_exactly_the_articles_of_that_county(client):
    soup = get(client, "/search?county=瑞安市&per_page=100")
    assert set(hit_ids(soup)) == RUIAN_IDS and total(soup) == len(RUIAN_IDS) == 4
    dates = [BY_ID[i][2] for i in hit_ids(soup)]
    assert dates == sorted(dates, reverse=True)


def test_journalist_story_in_three_clicks(client):
    """瑞安 between 2022-05-10 and 2022-05-25: the county facet, the two dates, the filter button."""
    start = get(client, "/search")
    assert total(start) == 37
    county_page = get(client, facet_link(start, "county", "瑞安市"))  # click 1
    form = county_page.select_one("form#search-form")
    fields = [(i["name"], i.get("value", "")) for i in form.select("input[name]")]
    fields += [(i["name"], i.get("value", "")) for i in county_page.select('input[form="search-form"]')]
    filled = {"date_from": "2022-05-10", "date_to": "2022-05-25"}  # click 2: the date inputs
    fields = [(name, filled.get(name, value)) for name, value in fields]
    result = get(client, form["action"] + "?" + urlencode(fields))  # click 3: 按日期筛选
    assert hit_ids(result) == ["270-f06", "270-f05", "270-f02"]
    chips = [c.get_text(" ", strip=True) for c in result.select(".chip")]
    assert chips == ["县（市、区） 瑞安市 ×", "日期 2022-05-10 至 2022-05-25 ×"]


def test_clicking_a_facet_adds_then_removes_the_filter(client):
    first = get(client, "/search?q=科创中国")
    assert total(first) == 6
    narrowed = get(client, facet_link(first, "county", "瑞安市"))
    assert set(hit_ids(narrowed)) == {"270-f05", "270-f06", "270-f07"}
    assert "selected" in narrowed.select_one('.facet-county a[data-value="瑞安市"]')["class"]
    widened = get(client, facet_link(narrowed, "county", "平阳县"))
    assert set(hit_ids(widened)) == {"270-f05", "270-f06", "270-f07"}  # 平阳 adds none outside 瑞安
    back = get(client, facet_link(narrowed, "county", "瑞安市"))
    assert hit_ids(back) == hit_ids(first)


def test_chips_remove_one_filter_each(client):
    soup = get(client, "/search?q=科创中国&county=瑞安&kind=feature&date_from=2022-05-18")
    chips = {c.select_one(".chip-title").get_text(): c["href"] for c in soup.select(".chip")}
    assert set(chips) == {"搜索词", "县（市、区）", "类型", "日期"}
    assert total(get(client, chips["县（市、区）"])) == 3  # 科创中国 features from 05-18 on
    assert total(get(client, chips["日期"])) == 3
    assert total(get(client, chips["搜索词"])) == 2


def test_kind_and_year_facets_toggle(client):
    start = get(client, "/search")
    briefs = get(client, facet_link(start, "kind", "brief"))
    assert total(briefs) == 29
    assert total(get(client, facet_link(briefs, "kind", "brief"))) == 37
    year = get(client, facet_link(start, "year", "2022"))
    assert dict(parse_qsl(urlsplit(facet_link(start, "year", "2022")).query)) == {
        "date_from": "2022-01-01",
        "date_to": "2022-12-31",
    }
    assert total(year) == 37 and "selected" in year.select_one('.facet-year a[data-value="2022"]')["class"]
    assert total(get(client, facet_link(year, "year", "2022"))) == 37


def test_timeline_bars_narrow_the_dates_to_their_month(client):
    soup = get(client, "/search?q=科创中国")
    bars = soup.select("figure.timeline svg a.bar")
    assert len(bars) == 1 and bars[0].select_one("title").get_text() == "2022年5月：6 篇"
    params = parse_qsl(urlsplit(bars[0]["href"]).query)
    assert params == [("q", "科创中国"), ("date_from", "2022-05-01"), ("date_to", "2022-05-31")]
    month = get(client, bars[0]["href"])
    assert total(month) == 6 and "selected" in month.select_one("a.bar")["class"]


@pytest.mark.parametrize(
    "query",
    [
        "q=科创中国",
        "q=a%26b+c&county=瑞安&county=平阳&kind=brief&sort=oldest&page=2&per_page=5&literal=1&date_from=2022",
        "department=市科协学会部&explain=1&date_to=2022-05",
    ],
)
def test_a_bars_link_is_search_url_with_its_dates(app, indexed_settings, query):
    """The timeline's links, built once around the dates, are search_url's for each month: the other
    parameters kept in order and encoded alike, the page dropped."""
    request = parse_request(
        {name: [value for key, value in parse_qsl(query) if key == name] for name, _ in parse_qsl(query)},
        indexed_settings,
    )
    with app.test_request_context("/search"):
        link = search_page.dated_urls(request)
        for start, end in (("2022-05-01", "2022-05-31"), ("1999-12-01", "1999-12-31")):
            assert link(start, end) == search_page.search_url(request, date_from=start, date_to=end)
            assert "&page=" not in link(start, end)


def test_pagination_walks_every_result_once(client, indexed_settings):
    seen = []
    url = "/search?per_page=10"
    while url:
        soup = get(client, url)
        seen += hit_ids(soup)
        nxt = soup.select_one("a.page-next")
        url = nxt["href"] if nxt else None
    everything = search(indexed_settings, parse_request({"per_page": ["100"]}, indexed_settings))
    assert seen == [hit.id for hit in everything.hits] and len(seen) == 37
    assert [
        a.get_text()
        for a in get(client, "/search?per_page=10&page=2").select(".pagination a, .pagination span")
    ] == [
        "上一页",
        "1",
        "2",
        "3",
        "4",
        "下一页",
    ]


def test_page_past_the_end_offers_the_last_page(client):
    soup = get(client, "/search?per_page=10&page=9")
    assert hit_ids(soup) == [] and "结果只有 4 页" in soup.select_one(".empty").get_text()


@pytest.mark.parametrize("sort, reverse", [("newest", True), ("oldest", False)])
def test_sorting_by_date(client, sort, reverse):
    soup = get(client, f"/search?q=科创中国&sort={sort}")
    dates = [BY_ID[i][2] for i in hit_ids(soup)]
    assert dates == sorted(dates, reverse=reverse) and len(dates) == 6
    assert soup.select_one(".sorts strong").get_text() == {"newest": "最新", "oldest": "最早"}[sort]


def test_relevance_is_offered_only_with_a_query(client):
    assert [x.get_text() for x in get(client, "/search").select(".sorts a, .sorts strong")] == [
        "最新",
        "最早",
    ]
    with_query = get(client, "/search?q=瑞安").select(".sorts a, .sorts strong")
    assert [x.get_text() for x in with_query] == ["相关度", "最新", "最早"]


def test_no_results_page_suggests_removing_a_filter(client):
    soup = get(client, "/search?q=科创中国&county=文成")
    assert total(soup) == 0 and "没有找到" in soup.select_one(".empty h2").get_text()
    suggestions = [(a.get_text(), a["href"]) for a in soup.select(".suggestions a")]
    assert [text for text, _ in suggestions] == ["去掉县（市、区）“文成县”", "去掉搜索词“科创中国”"]
    assert total(get(client, suggestions[0][1])) == 6
    assert total(get(client, suggestions[1][1])) == 5


def test_snippets_are_highlighted(client):
    soup = get(client, "/search?q=林建波")
    marks = {m.get_text() for m in soup.select(".snippet mark")}
    assert marks == {"林建波"} and len(hit_ids(soup)) == 4


@pytest.mark.parametrize("number", range(1, len(FEATURES) + 1))
def test_feature_page_shows_the_whole_article(client, number):
    article_id = f"270-f{number:02d}"
    _, title, date, department, counties = BY_ID[article_id]
    soup = get(client, f"/articles/{article_id}")
    assert soup.select_one("h1").get_text() == title
    assert len(soup.select(".article-body p")) == FEATURE_PARAGRAPHS[number - 1]
    assert soup.select_one(".article-meta time").get_text() == date
    meta = {
        row.select_one("dt").get_text(): [(a.get_text(), a["href"]) for a in row.select("dd a")]
        for row in soup.select(".article-meta > div")
    }
    assert meta["部门"] == [(department, "/search?" + urlencode({"department": department}))]
    assert meta.get("县（市、区）", []) == [(c, "/search?" + urlencode({"county": c})) for c in counties]
    for _, href in meta.get("县（市、区）", []):
        assert article_id in hit_ids(get(client, href + "&per_page=100"))
    assert meta["期号"] == [("第5期（总第270期），2022-05-31", "/issues/270")]


def test_article_page_lists_its_issue_and_source(client):
    soup = get(client, "/articles/270-b29")
    current = soup.select(".toc li.current")
    assert [li.select_one(".toc-title").get_text() for li in current] == [BY_ID["270-b29"][1]]
    listed = [a["href"] for a in soup.select(".issue-sidebar a.toc-title")]
    assert listed == [f"/articles/{a[0]}" for a in ARTICLES if a[0] != "270-b29"]
    assert soup.select_one('a[rel="prev"]')["href"] == "/articles/270-b28"
    assert soup.select_one('a[rel="next"]') is None
    source = soup.select_one("a.source-link")
    assert source.get_text() == SEED.name
    assert client.get(source["href"]).data == SEED.read_bytes()


def test_issues_by_year_and_table_of_contents(client):
    issues = get(client, "/issues")
    assert [h.get_text(" ", strip=True) for h in issues.select(".year h2")] == ["2022年 1 期"]
    assert [a["href"] for a in issues.select(".year a")] == ["/issues/270"]
    toc = get(client, "/issues/270")
    sections = toc.select(".issue-toc section")
    assert [s.select_one("h2").get_text() for s in sections] == ["要闻", "简讯"]
    assert [a.get_text() for a in sections[0].select("a.toc-title")] == [f[0] for f in FEATURES]
    assert [a.get_text() for a in sections[1].select("a.toc-title")] == [b[1] for b in BRIEFS]


@pytest.mark.parametrize(
    "url", ["/articles/270-f99", "/articles/%00", "/issues/999", "/nowhere", "/issues/270/x"]
)
def test_unknown_pages_are_friendly_404s(client, url):
    response = client.get(url)
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "找不到这个页面" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "query, param",
    [
        ("date_from=2022-13-45", "date_from"),
        ("page=-1", "page"),
        ("page=abc", "page"),
        ("page=²", "page"),
        ("per_page=1000", "per_page"),
        ("county=火星", "county"),
        ("kind=poem", "kind"),
        ("sort=random", "sort"),
        ("date_from=2022-05-20&date_to=2022-05-10", "date_from"),
        ("q=" + "科" * 201, "q"),
    ],
)
def test_bad_parameters_get_a_friendly_400_page(client, query, param):
    response = client.get("/search?county=瑞安&" + query)
    assert response.status_code == 400 and response.mimetype == "text/html"
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert soup.select_one("h1").get_text() == "请求有误"
    retry = soup.select_one(".error-links a")
    assert retry.get_text() == "去掉这个参数，重新搜索"
    assert param not in dict(parse_qsl(urlsplit(retry["href"]).query))
    assert client.get(retry["href"]).status_code in (200, 400)


@pytest.mark.parametrize(
    "q",
    [
        "\x00",
        'a"b',
        '"科创',
        "(",
        ")",
        "title:",
        "title:(",
        "😀",
        "科创中国 😀",
        "OR",
        "NOT",
        "-",
        "*",
        "?",
        "<b>",
    ],
)
def test_odd_queries_render_a_page(client, q):
    response = client.get("/search?" + urlencode({"q": q}))
    assert response.status_code == 200


def test_archive_markup_is_escaped(tmp_path, settings):
    """A title with <script> and a paragraph with <img onerror> show as text, never as markup."""
    from indexer.build import build_index
    from webui.app import create_app

    archive = tmp_path / "archive"
    archive.mkdir()
    text = SEED.read_text(encoding="utf-8")
    title = "洞头区第一届魔方还原竞速比赛成功举办"
    assert text.count(title) == 1
    text = text.replace(title, "洞头区第一届<script>alert(1)</script>魔方比赛 & 竞速")
    text = text.replace("市科协召开青科会助力", "市科协召开<img src=x onerror=alert(2)>青科会助力")
    (archive / SEED.name).write_text(text, encoding="utf-8")
    local = settings.with_overrides(
        archive_dir=archive, index_dir=tmp_path / "index", cache_dir=tmp_path / "cache"
    )
    assert build_index(local, rebuild=True).failed == []
    client = create_app(local).test_client()
    pages = {
        "search": "/search?q=魔方",
        "article": "/articles/270-b25",
        "issue": "/issues/270",
        "search-img": "/search?q=青科会助力",
        "article-img": "/articles/270-f02",
    }
    for name, url in pages.items():
        body = client.get(url).get_data(as_text=True)
        assert "<script>" not in body and "<img" not in body, name
    article = client.get("/articles/270-b25").get_data(as_text=True)
    assert "洞头区第一届&lt;script&gt;alert(1)&lt;/script&gt;魔方比赛 &amp; 竞速" in article
    found = get(client, "/search?q=魔方")
    assert found.select_one(".hit-title").get_text() == "洞头区第一届<script>alert(1)</script>魔方比赛 & 竞速"
    assert [m.get_text() for m in found.select(".snippet mark")] == ["魔方"]
    img = client.get("/search?q=青科会助力").get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(2)&gt;" in img


@pytest.mark.parametrize(
    "path",
    [
        "/source/../config.yaml",
        "/source/%2e%2e/config.yaml",
        "/source/..%2fconfig.yaml",
        "/source/%2Fetc%2Fpasswd",
        "/source/" + str(ROOT / "config.yaml"),
        "/source/",
        "/source/.",
        "/source/missing.txt",
        "/source/%00",
        "/source/a%00b.txt",
    ],
)
def test_source_serves_only_files_inside_the_archive(client, path):
    response = client.get(path, follow_redirects=True)
    assert response.status_code == 404
    assert b"department_pattern" not in response.data and b"root:" not in response.data


def test_source_refuses_links_and_dotfiles_leading_out(tmp_path, indexed_settings):
    from webui.app import create_app

    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / "issue.txt").write_text("ok", encoding="utf-8")
    (archive / ".secret").write_text("hidden", encoding="utf-8")
    (archive / "escape.txt").symlink_to(ROOT / "config.yaml")
    (archive / "folder").mkdir()
    client = create_app(dataclasses.replace(indexed_settings, archive_dir=archive)).test_client()
    assert client.get("/source/issue.txt").data == b"ok"
    for name in (".secret", "escape.txt", "folder", "folder/"):
        assert client.get(f"/source/{name}").status_code == 404, name


def test_archive_html_is_sandboxed(tmp_path, indexed_settings):
    from webui.app import create_app

    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / "issue.html").write_text("<script>alert(1)</script>", encoding="utf-8")
    client = create_app(dataclasses.replace(indexed_settings, archive_dir=archive)).test_client()
    response = client.get("/source/issue.html")
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"].startswith("sandbox")


@pytest.mark.parametrize("url", PAGES + ["/api/search", "/articles/nope"])
def test_security_headers_and_no_inline_code(client, url):
    response = client.get(url)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    body = response.get_data(as_text=True)
    # Scripts only as our own files (the autocomplete), never inline.
    own_script = '<script src="/static/suggest.js" defer></script>'
    assert body.count("<script") == body.count(own_script) == (url != "/api/search")
    assert "style=" not in body and "http://" not in body and "https://" not in body


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
@pytest.mark.parametrize("url", ["/", "/search", "/api/search", "/source/x.txt"])
def test_only_reads_are_allowed(client, method, url):
    response = client.open(url, method=method)
    assert response.status_code == 405 and response.headers["Allow"] == "GET, HEAD"


def test_head_requests_work(client):
    response = client.head("/search?q=瑞安")
    assert response.status_code == 200 and response.data == b""


def test_static_css_is_local(client):
    soup = get(client, "/")
    assert [link["href"] for link in soup.select('link[rel="stylesheet"]')] == ["/static/style.css"]
    assert client.get("/static/style.css").status_code == 200


def test_templates_read_a_dicts_item_first_and_anything_else_as_jinja_does(app):
    template = app.jinja_env.from_string(
        "{{ d.items }} {{ d.title }} {{ d.missing is undefined }} {{ e.items() | list | length }} {{ s.upper() }}"
    )
    # An item named like a dict's method is the item: the lookup never tries the attribute first.
    assert template.render(d={"items": 3, "title": "标题"}, e={"a": 1}, s="x") == "3 标题 True 1 X"


def test_home_and_issue_pages_are_worked_out_once_per_index_generation(
    tmp_path, settings, seed_text, monkeypatch
):
    from indexer import search as search_module
    from indexer.build import build_index
    from tests.test_build import next_issue
    from tests.test_engine import eventually
    from webui.app import create_app

    folder = tmp_path / "archive"
    folder.mkdir()
    (folder / "issue-270.txt").write_text(seed_text, encoding="utf-8")
    indexed = settings.with_overrides(
        archive_dir=folder, index_dir=tmp_path / "index", cache_dir=tmp_path / "cache"
    )
    build_index(indexed)
    computed = []
    monkeypatch.setattr(
        search_module, "_stats", lambda s, e, real=search_module._stats: computed.append(1) or real(s, e)
    )
    issue_pages = []
    monkeypatch.setattr(
        records, "_summary", lambda stored, real=records._summary: issue_pages.append(1) or real(stored)
    )
    client = create_app(indexed).test_client()

    def figures() -> tuple:
        overview = client.get("/api/stats").get_json()
        glance = {
            s.select_one("span").get_text(): s.select_one("strong").get_text()
            for s in get(client, "/").select(".stat")
        }
        latest = [issue["id"] for issue in overview["latest_issues"]]
        return (
            overview["issues"],
            overview["articles"],
            glance["篇文章"],
            latest,
            client.get("/api/issues/271").status_code,
        )

    assert [figures() for _ in range(3)] == [(1, 37, "37", ["270"], 404)] * 3
    assert len(computed) == 1
    assert [a["id"] for a in client.get("/api/issues/270").get_json()["articles"]["features"]][:2] == [
        "270-f01",
        "270-f02",
    ]
    client.get("/issues/270")
    client.get("/articles/270-b01")
    assert len(issue_pages) == 37  # each article summarised once, for the issue page and the article page
    (folder / "issue-271.txt").write_text(next_issue(seed_text), encoding="utf-8")
    build_index(indexed)
    # The generation answering keeps its figures while the next one opens in the background.
    assert figures() == (1, 37, "37", ["270"], 404) and len(computed) == 1
    assert eventually(figures, (2, 74, "74", ["271", "270"], 200)) == (2, 74, "74", ["271", "270"], 200)
    assert len(computed) == 2


def test_csv_exports_every_result_with_a_bom(client):
    response = client.get("/search.csv?county=瑞安")
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff编号,标题,日期")
    rows = text.strip().splitlines()[1:]
    assert {row.split(",")[0] for row in rows} == RUIAN_IDS


def test_csv_export_streams_and_is_capped_by_config(indexed_settings, monkeypatch):
    from webui.app import create_app

    monkeypatch.setattr(export, "BATCH", 3)
    capped = indexed_settings.with_overrides(web=dataclasses.replace(indexed_settings.web, csv_max_rows=7))
    response = create_app(capped).test_client().get("/search.csv?sort=oldest")
    assert response.status_code == 200 and response.is_streamed
    rows = response.data.decode("utf-8").strip().splitlines()
    everything = search(capped, parse_request({"sort": ["oldest"], "per_page": ["7"]}, capped))
    assert [row.split(",")[0] for row in rows[1:]] == [hit.id for hit in everything.hits]


def test_csv_export_streams_exact_rows_batch_by_batch_and_lets_other_exports_run_between(app, monkeypatch):
    import csv
    import io
    import threading

    monkeypatch.setattr(export, "BATCH", 2)
    streamed = app.test_client().get("/search.csv?county=瑞安&sort=oldest", buffered=False)
    chunks = iter(streamed.response)
    header, first_batch = next(chunks), next(chunks)
    assert (
        header == "\ufeff编号,标题,日期,县（市、区）,部门,类型,关键词,人物,期号,总期号,摘要,链接\r\n".encode()
    )
    # Between two batches the export holds no turn: a whole other export runs meanwhile.
    other = {}
    thread = threading.Thread(
        target=lambda: other.update(body=app.test_client().get("/search.csv?q=魔方").data)
    )
    thread.start()
    thread.join(10)
    assert not thread.is_alive()
    assert [row[0] for row in csv.reader(io.StringIO(other["body"].decode("utf-8-sig")))] == [
        "编号",
        "270-b25",
    ]
    rows = list(csv.reader(io.StringIO((first_batch + b"".join(chunks)).decode("utf-8"))))
    streamed.close()
    without_snippets = [row[:10] + row[11:] for row in rows]
    assert without_snippets == [
        [
            "270-f02",
            "青科会助力大孵化集群发展座谈会召开",
            "2022-05-13",
            "龙湾区、瓯海区、瑞安市、乐清市、温州经济技术开发区",
            "市科协国际部",
            "要闻",
            "孵化器、青科会、大孵化集群、助力、科技",
            "林建波、章秀伟",
            "5",
            "270",
            "/articles/270-f02",
        ],
        [
            "270-f05",
            "市科协党组书记、主席林建波赴瑞安调研科创工作",
            "2022-05-17",
            "瑞安市",
            "市科协办公室",
            "要闻",
            "瑞安、青科会、林建波、科技、创新",
            "林建波、陈寒艳",
            "5",
            "270",
            "/articles/270-f05",
        ],
        [
            "270-f06",
            "“科创中国”温州站——智能装备工作座谈会在平阳召开",
            "2022-05-20",
            "瑞安市、龙港市、平阳县",
            "市科协科普部",
            "要闻",
            "包装、机械、科创中国、产业、技术",
            "",
            "5",
            "270",
            "/articles/270-f06",
        ],
        [
            "270-f07",
            "市科协领导赴瑞安平阳调研“科创中国”试点城市建设工作",
            "2022-05-26",
            "瑞安市、平阳县",
            "市科协学会部",
            "要闻",
            "姜国忠、科创中国、瑞安、试点城市、汽车",
            "姜国忠、薛月者、陈纪阳",
            "5",
            "270",
            "/articles/270-f07",
        ],
    ]
    assert [row[10][:12] for row in rows] == [
        "5月13日下午，为贯彻落",
        "5月17日上午，市科协党",
        "为加快推进温州包装机械产",
        "5月26日，市科协党组成",
    ]


def test_export_batches_are_not_kept_among_recent_results(indexed_settings):
    from indexer.engine import CACHED_HITS_AT_MOST, EngineRequest
    from indexer.search import engine_for

    engine = engine_for(indexed_settings)
    engine.clear_caches()
    engine.search(EngineRequest(text="科协", limit=export.BATCH))
    engine.search(EngineRequest(limit=CACHED_HITS_AT_MOST))
    with engine._use() as generation:
        assert [key[0] for key in generation.results] == [""]


def test_csv_export_of_the_whole_archive_fits_the_default_cap(client, settings):
    assert settings.web.csv_max_rows == 10_000
    rows = client.get("/search.csv").data.decode("utf-8").strip().splitlines()
    assert len(rows) == 1 + 37


@pytest.mark.parametrize("value, cell", [("=1+1", "'=1+1"), ("-x", "'-x"), ("@a", "'@a"), ("瑞安", "瑞安")])
def test_csv_cells_never_start_a_formula(value, cell):
    assert export._cell(value) == cell


def test_csv_link_keeps_the_filters(client):
    soup = get(client, "/search?q=科创中国&county=瑞安&per_page=2&page=2")
    link = soup.find("a", string="导出 CSV")["href"]
    assert parse_qsl(urlsplit(link).query) == [("q", "科创中国"), ("county", "瑞安市"), ("per_page", "2")]


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["serve"], ("waitress", "127.0.0.1", 8000)),
        (["serve", "--host", "0.0.0.0", "--port", "8123"], ("waitress", "0.0.0.0", 8123)),
        (["serve", "--debug", "--port", "8124"], ("flask", "127.0.0.1", 8124)),
    ],
)
def test_serve_runs_waitress_unless_debug(monkeypatch, tmp_path, argv, expected):
    from flask import Flask

    from webui import server

    calls = []
    monkeypatch.setattr(server, "serve", lambda app, web: calls.append(("waitress", web.host, web.port, app)))
    monkeypatch.setattr(Flask, "run", lambda app, host, port, debug: calls.append(("flask", host, port, app)))
    index = tmp_path / "elsewhere"
    assert web_cli.main([*argv, "--index", str(index)]) == 0
    (kind, host, port, app) = calls[0]
    assert (kind, host, port) == expected
    assert app.extensions["bulletin"].index_dir == index.resolve()


def test_article_and_issue_pages_agree_with_their_json(client):
    article = get(client, "/articles/270-f03")
    data = client.get("/api/articles/270-f03").get_json()
    listed = [a["href"].rsplit("/", 1)[1] for a in article.select(".issue-sidebar a.toc-title")]
    assert listed == [a["id"] for a in data["issue_articles"] if a["id"] != "270-f03"]
    assert [p.get_text() for p in article.select(".article-body p")] == data["paragraphs"]
    issue = get(client, "/issues/270")
    toc = client.get("/api/issues/270").get_json()["articles"]
    assert [a["href"] for a in issue.select(".issue-toc a.toc-title")] == [
        a["url"] for a in toc["features"] + toc["briefs"]
    ]
    issues = get(client, "/issues")
    assert [a["href"] for a in issues.select(".year a")] == [
        i["url"] for i in client.get("/api/issues").get_json()["issues"]
    ]


def test_pdf_sources_open_at_the_article_page(app):
    from webui.records import source_links

    with app.test_request_context("/"):
        links = source_links(["第5期.pdf", "第5期.txt"], 3)
    assert links == [
        {"file": "第5期.pdf", "page": 3, "url": "/source/%E7%AC%AC5%E6%9C%9F.pdf#page=3"},
        {"file": "第5期.txt", "page": None, "url": "/source/%E7%AC%AC5%E6%9C%9F.txt"},
    ]


def test_a_missing_index_is_a_503_not_a_crash(tmp_path, settings):
    from webui.app import create_app

    client = create_app(settings.with_overrides(index_dir=tmp_path / "no-index")).test_client()
    page = client.get("/search")
    assert page.status_code == 503 and "索引尚未建立" in page.get_data(as_text=True)
    assert client.get("/api/search").get_json()["error"]["code"] == "index_unavailable"
    assert client.get("/").status_code == 503


def test_a_huge_query_is_refused_politely(client):
    response = client.get("/search?" + urlencode({"q": "科创" * 50_000}))
    assert response.status_code == 400 and "搜索词太长" in response.get_data(as_text=True)
