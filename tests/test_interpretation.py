"""How a query is read on the real issue: the record (department, county, issue) as searchable as the
text, synonyms, and every reading shown in the JSON, on the page and in the CLI, with its undo."""

from __future__ import annotations

import json
import re

import pytest
from bs4 import BeautifulSoup

from indexer.cli import main
from indexer.parse import parse_issue
from indexer.search import parse_request, search
from tests.expected import ARTICLES

SIGNED = {department: {a[0] for a in ARTICLES if a[3] == department} for _, _, _, department, _ in ARTICLES}
ALL_ARTICLES = {a[0] for a in ARTICLES}


def run(settings, q: str, **params):
    given = {"q": [q], "per_page": ["100"], **{k: [v] for k, v in params.items()}}
    return search(settings, parse_request(given, settings))


def ids(result) -> list[str]:
    return [hit.id for hit in result.hits]


def readings(result) -> list[dict]:
    return [reading.to_dict() for reading in result.readings]


@pytest.fixture(scope="module")
def issue(seed_text, domain):
    return parse_issue(seed_text, "seed", domain)


def holding(issue, *needles: str) -> set[str]:
    return {a.id for a in issue.articles if any(n in re.sub(r"\s+", "", a.title + a.body) for n in needles)}


def test_a_department_finds_the_articles_it_signed(indexed_settings, issue):
    assert len(SIGNED["市科协科普部"]) == 6 and len(SIGNED["市科协学会部"]) == 7
    # The attribution is cut off the text into the department: no text holds 科普部.
    assert holding(issue, "科普部") == set() and holding(issue, "学会部") == {"270-f04", "270-f07"}
    result = run(indexed_settings, "科普部")
    assert set(ids(result)) == SIGNED["市科协科普部"] and result.total == 6
    assert readings(result) == [{"text": "科普部", "as": ["department:市科协科普部"], "why": "field"}]
    assert set(ids(run(indexed_settings, "学会部"))) == SIGNED["市科协学会部"] | {"270-f04", "270-f07"}
    assert set(ids(run(indexed_settings, "市科协学会部"))) == SIGNED["市科协学会部"]
    assert set(ids(run(indexed_settings, "department:科普部"))) == SIGNED["市科协科普部"]
    assert set(ids(run(indexed_settings, "平阳县科协"))) >= SIGNED["平阳县科协"]


def test_words_of_the_text_rank_above_the_record(indexed_settings, issue):
    # 文成县科协 signs 5 briefs; 文成 is in the text of 5 articles, not all of them its own.
    in_text = holding(issue, "文成")
    by_county = {a[0] for a in ARTICLES if "文成县" in a[4]}
    result = run(indexed_settings, "文成")
    assert set(ids(result)) == in_text | by_county
    assert set(ids(result)[: len(in_text)]) == in_text


def test_county_field_and_short_forms(indexed_settings):
    ruian = {a[0] for a in ARTICLES if "瑞安市" in a[4]}
    assert set(ids(run(indexed_settings, "county:瑞安"))) == ruian
    assert set(ids(run(indexed_settings, "county:瑞安市"))) == ruian
    assert ids(run(indexed_settings, "county:火星")) == []


@pytest.mark.parametrize(
    "designator", ["第5期", "第五期", "总第270期", "2022年第5期", "issue:270", "issue:第5期"]
)
def test_an_issue_designator_finds_the_issue(indexed_settings, designator):
    result = run(indexed_settings, designator)
    assert set(ids(result)) == ALL_ARTICLES
    assert readings(result) == [
        {"text": designator.removeprefix("issue:"), "as": ["issue:2022年第5期"], "why": "field"}
    ]


@pytest.mark.parametrize("designator", ["第6期", "总第271期", "2021年第5期", "issue:271"])
def test_another_issue_finds_nothing(indexed_settings, designator):
    assert run(indexed_settings, designator).total == 0


def test_a_designator_with_words(indexed_settings, issue):
    assert set(ids(run(indexed_settings, "第5期 林建波"))) == holding(issue, "林建波")
    assert ids(run(indexed_settings, "第6期 林建波")) == []


def test_quotes_and_literal_read_nothing_into_the_query(indexed_settings, issue):
    assert run(indexed_settings, '"科普部"').total == 0
    literal = run(indexed_settings, "科普部", literal="1")
    assert literal.total == 0 and literal.readings == ()
    # As text, 第 5 期 are three characters anywhere; only read as an issue do they name all 37.
    as_text = run(indexed_settings, "第5期", literal="1")
    assert as_text.readings == () and ids(as_text) == ["270-f01"]


def test_synonyms_from_the_settings(indexed_settings, issue):
    assert ("青科会", "世界青年科学家峰会") in indexed_settings.synonyms
    youth = holding(issue, "青科会", "世界青年科学家峰会")
    assert len(youth) == 6 and holding(issue, "世界青年科学家峰会") == {"270-f05"}
    result = run(indexed_settings, "世界青年科学家峰会")
    assert set(ids(result)) == youth
    assert readings(result) == [{"text": "世界青年科学家峰会", "as": ["青科会"], "why": "synonym"}]
    # Inside a longer run the term is still one unit.
    assert set(ids(run(indexed_settings, "世界青年科学家峰会瑞安"))) == youth & holding(issue, "瑞安")
    # Quoted, the phrase is only itself; literal, the same.
    assert ids(run(indexed_settings, '"世界青年科学家峰会"')) == ["270-f05"]
    assert ids(run(indexed_settings, "世界青年科学家峰会", literal="1")) == ["270-f05"]


def test_explain_says_how_each_unit_matched(indexed_settings, issue):
    result = run(indexed_settings, "世界青年科学家峰会 国际部", explain="1")
    youth = holding(issue, "青科会", "世界青年科学家峰会")
    assert set(ids(result)) == youth & (SIGNED["市科协国际部"] | holding(issue, "国际部"))
    assert set(ids(result)) == {"270-f02", "270-f03", "270-f04", "270-f08"}
    by_id = {hit.id: hit.explain for hit in result.hits}
    assert by_id["270-f03"] == (
        {"unit": "世界青年科学家峰会", "matched": "青科会", "field": "title", "how": "synonym"},
        {"unit": "世界青年科学家峰会", "matched": "青科会", "field": "body", "how": "synonym"},
        {"unit": "国际部", "matched": "市科协国际部", "field": "department", "how": "record"},
    )
    plain = run(indexed_settings, "瑞安", explain="1")
    first = plain.hits[0]
    assert first.id == "270-f05"
    assert first.explain == (
        {"unit": "瑞安", "matched": "瑞安", "field": "title", "how": "word"},
        {"unit": "瑞安", "matched": "瑞安", "field": "body", "how": "word"},
        {"unit": "瑞安", "matched": "瑞安市", "field": "county", "how": "record"},
    )
    assert run(indexed_settings, "瑞安").hits[0].explain is None


def test_the_json_carries_readings_and_suggestions(client):
    data = client.get("/api/search?q=科普部").get_json()
    assert data["interpretation"] == [{"text": "科普部", "as": ["department:市科协科普部"], "why": "field"}]
    assert data["suggestions"] == [] and data["literal"] is False
    assert "explain" not in data["hits"][0]
    explained = client.get("/api/search?q=科普部&explain=1").get_json()
    assert explained["hits"][0]["explain"][0]["field"] == "department"
    assert client.get("/api/search?q=科普部&explain=maybe").status_code == 400
    undone = client.get("/api/search?q=科普部&literal=1").get_json()
    assert undone["interpretation"] == [] and undone["total"] == 0 and undone["literal"] is True


def test_the_page_shows_the_reading_and_its_undo(client):
    soup = BeautifulSoup(client.get("/search?q=科普部").get_data(as_text=True), "html.parser")
    reading = soup.select_one(".readings")
    assert reading.get_text(" ", strip=True).startswith("已理解为： 科普部 → 部门“市科协科普部” （档案字段）")
    undo = reading.select_one("a.reading-undo")
    assert undo.get_text() == "只搜索原文“科普部”"
    assert undo["href"] == "/search?q=%E7%A7%91%E6%99%AE%E9%83%A8&literal=1"
    literal = BeautifulSoup(client.get(undo["href"]).get_data(as_text=True), "html.parser")
    assert literal.select_one(".total-count").get_text() == "0"
    back = literal.select_one(".readings a")
    assert back.get_text() == "恢复自动理解" and back["href"] == "/search?q=%E7%A7%91%E6%99%AE%E9%83%A8"


def test_the_reading_is_escaped(client):
    page = client.get("/search?q=<b>科普部</b>").get_data(as_text=True)
    assert "<b>科普部" not in page


def test_the_cli_json_is_the_api_json(indexed_settings, client, capsys):
    args = [
        "search",
        "--config",
        str(indexed_settings.config_path),
        "--index",
        str(indexed_settings.index_dir),
    ]
    assert main([*args, "--json", "科普部"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == client.get("/api/search?q=科普部").get_json()
    assert main([*args, "科普部"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == (
        "read 科普部 → department:市科协科普部 (field); --literal to search it as typed"
    )
    assert main([*args, "--literal", "科普部"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "0 results (page 1 of 1)"


LIN = {"270-f02", "270-f04", "270-f05", "270-f08"}


def test_the_seed_names_lin_jianbo_in_four_articles(issue):
    assert holding(issue, "林建波") == LIN


@pytest.mark.parametrize(
    "typed", ["linjianbo", "LinJianbo", "lin jian bo", "lín jiàn bō", "lin2 jian4 bo1", "ljb"]
)
def test_pinyin_finds_the_name(indexed_settings, typed):
    result = run(indexed_settings, typed)
    assert set(ids(result)[:4]) == LIN
    assert readings(result)[0]["as"][0] == "林建波" and readings(result)[0]["why"] == "pinyin"
    assert readings(result)[0]["text"] == typed


def test_pinyin_beside_other_words(indexed_settings, issue):
    result = run(indexed_settings, "linjianbo 苍南")
    assert set(ids(result)) == LIN & holding(issue, "苍南")
    assert readings(result) == [{"text": "linjianbo", "as": ["林建波"], "why": "pinyin"}]
    # In the title only: 林建波 is in the titles of two of the four.
    titled = run(indexed_settings, "title:linjianbo")
    assert set(ids(titled)) == {"270-f05", "270-f08"} and readings(titled)[0]["as"] == ["林建波"]
    assert run(indexed_settings, "department:linjianbo").readings == ()
    # The operators bind to a spelling as to a word.
    assert set(ids(run(indexed_settings, "瑞安 -linjianbo"))) == holding(issue, "瑞安") - LIN
    # Alone, a negation is read as the word itself, as -瑞安 is.
    assert set(ids(run(indexed_settings, "-linjianbo"))) == LIN
    assert set(ids(run(indexed_settings, "NOT linjianbo"))) == ALL_ARTICLES - LIN
    assert set(ids(run(indexed_settings, "(linjianbo OR 科普部)"))) == LIN | SIGNED["市科协科普部"]
    # Quoted or literal, Latin letters are only themselves.
    assert run(indexed_settings, '"linjianbo"').total == 0
    literal = run(indexed_settings, "linjianbo", literal="1")
    assert literal.total == 0 and literal.readings == ()


def test_a_homophone_finds_nothing_and_suggests_the_name(indexed_settings, client):
    result = run(indexed_settings, "林剑波")
    assert result.total == 0 and result.readings == ()
    assert result.suggestions == ({"q": "林建波", "total": 4},)
    # The rest of the query is kept as typed, and the count is what the suggested query finds.
    assert run(indexed_settings, "林剑波 瑞安").suggestions == ({"q": "林建波 瑞安", "total": 2},)
    assert client.get("/api/search?q=林剑波").get_json()["suggestions"] == [{"q": "林建波", "total": 4}]
    page = BeautifulSoup(client.get("/search?q=林剑波").get_data(as_text=True), "html.parser")
    offer = page.select_one(".did-you-mean")
    assert offer.get_text(strip=True) == "您是不是要找：林建波（4 篇）"
    assert offer.a["href"] == "/search?q=%E6%9E%97%E5%BB%BA%E6%B3%A2"
    # A query that finds enough gets none.
    assert run(indexed_settings, "林建波").suggestions == ()


def test_traditional_characters_find_what_simplified_find(indexed_settings, client):
    simplified = run(indexed_settings, "科创中国")
    traditional = run(indexed_settings, "科創中國")
    assert ids(traditional) == ids(simplified) and simplified.total == 6
    assert readings(traditional) == [{"text": "科創中國", "as": ["科创中国"], "why": "traditional"}]
    # Quotes keep character normalization: still folded, and still shown.
    assert ids(run(indexed_settings, '"科創中國"')) == ids(run(indexed_settings, '"科创中国"'))
    assert readings(run(indexed_settings, '"科創中國"')) == readings(traditional)
    data = client.get("/api/search?q=科創中國").get_json()
    assert data["interpretation"] == [{"text": "科創中國", "as": ["科创中国"], "why": "traditional"}]
    # Literal: the characters as typed, which this simplified archive does not hold.
    assert run(indexed_settings, "科創中國", literal="1").total == 0


@pytest.fixture(scope="module")
def latin_archive(tmp_path_factory, settings, seed_text):
    """The real issue, and the next one saying "Wenzhou" in a feature."""
    from indexer.build import build_index
    from tests.conftest import SEED
    from tests.test_build import next_issue

    base = tmp_path_factory.mktemp("latin")
    folder = base / "archive"
    folder.mkdir()
    (folder / "issue-270.txt").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    assert seed_text.count("运维团队负责人") == 1
    (folder / "issue-271.txt").write_text(
        next_issue(seed_text).replace("运维团队负责人", "Wenzhou运维团队负责人"), encoding="utf-8"
    )
    indexed = settings.with_overrides(archive_dir=folder, index_dir=base / "index", cache_dir=base / "cache")
    assert build_index(indexed).added == ["270", "271"]
    return indexed


def test_a_latin_word_of_the_archive_is_not_read_as_pinyin(latin_archive):
    result = run(latin_archive, "wenzhou")
    assert ids(result) == ["271-f01"] and result.readings == ()
    # A spelling that is no Latin word of the archive still is: 林建波 in both issues.
    assert run(latin_archive, "linjianbo").total == 8


def test_a_literal_search_that_finds_nothing_is_not_logged(indexed_settings, tmp_path):
    from indexer.querylog import zero_results

    logged = indexed_settings.with_overrides(index_dir=indexed_settings.index_dir)
    before = {entry.q: entry.count for entry in zero_results(logged)}
    assert run(logged, "科普部", literal="1").total == 0
    assert run(logged, "林剑波").total == 0
    after = {entry.q: entry.count for entry in zero_results(logged)}
    assert after.get("科普部", 0) == before.get("科普部", 0)
    assert after["林剑波"] == before.get("林剑波", 0) + 1


def test_a_simplified_query_is_marked_in_an_article_printed_in_traditional(settings, tmp_path):
    from indexer.build import build_index
    from tests.test_traditional import TRADITIONAL

    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / TRADITIONAL.name).write_bytes(TRADITIONAL.read_bytes())
    indexed = settings.with_overrides(
        archive_dir=archive, index_dir=tmp_path / "index", cache_dir=tmp_path / "cache"
    )
    assert build_index(indexed).failed == []
    (hit,) = run(indexed, "数字经济专场").hits
    assert "<mark>數字經濟專場</mark>" in hit.snippet
    (literal,) = run(indexed, "數字經濟專場", literal="1").hits
    assert "<mark>數字經濟專場</mark>" in literal.snippet
