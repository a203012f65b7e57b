"""The facet registry: a facet added to fields.FACETS reaches the index, the JSON, the CLI, OpenAPI,
the sidebar and the CSV with no other change."""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import Counter
from urllib.parse import quote

import pytest
from bs4 import BeautifulSoup

from indexer import fields
from indexer.settings import load_settings
from tests.conftest import seed_workspace
from webui.app import create_app
from webui.cli import main

INITIAL = fields.ValuesFacet(
    "initial",
    "部门首字",
    lambda issue, article, analysis: (article.department[0],) if article.department else (),
    limit=3,
    description="First character of the reporting department.",
    example="市",
)
SEED_INITIALS = [("市", 20), ("泰", 5), ("文", 4)]  # the limit of 3 cuts 苍 3, 平 2, 鹿, 洞 and 龙 1


@pytest.fixture
def with_initial(tmp_path, monkeypatch):
    """A config over the seed issue, indexed while fields.FACETS holds the throwaway facet."""
    monkeypatch.setattr(fields, "FACETS", (*fields.FACETS, INITIAL))
    config = seed_workspace(tmp_path)
    assert main(["--config", str(config), "index"]) == 0
    return config


def test_a_registered_facet_is_counted_and_filters_in_the_json(with_initial):
    client = create_app(load_settings(with_initial)).test_client()
    data = client.get("/api/search").get_json()
    assert list(data["facets"]) == [
        "county",
        "department",
        "kind",
        "year",
        "month",
        "keyword",
        "person",
        "initial",
    ]
    assert [(f["value"], f["count"], f["selected"]) for f in data["facets"]["initial"]] == [
        (value, count, False) for value, count in SEED_INITIALS
    ]
    narrowed = client.get("/api/search?initial=洞").get_json()
    assert (narrowed["total"], [hit["id"] for hit in narrowed["hits"]]) == (1, ["270-b25"])
    assert narrowed["facets"]["initial"][-1] == {"value": "洞", "count": 1, "selected": True}


def test_a_registered_facet_is_a_cli_flag(with_initial, capsys):
    capsys.readouterr()
    assert main(["search", "--config", str(with_initial), "--initial", "洞", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["total"], [hit["id"] for hit in data["hits"]]) == (1, ["270-b25"])


def test_a_registered_facet_is_an_openapi_parameter(with_initial):
    document = create_app(load_settings(with_initial)).test_client().get("/api/openapi.json").get_json()
    operation = document["paths"]["/api/search"]["get"]
    (parameter,) = [p for p in operation["parameters"] if p["name"] == "initial"]
    assert (parameter["description"], parameter["example"]) == (INITIAL.description, ["市"])
    facets = operation["responses"]["200"]["content"]["application/json"]["schema"]["properties"]["facets"]
    assert "initial" in facets["required"]


def test_a_registered_facet_is_in_the_sidebar_chips_and_csv(with_initial):
    client = create_app(load_settings(with_initial)).test_client()
    soup = BeautifulSoup(client.get("/search").data, "html.parser")
    group = soup.select_one("section.facet-initial")
    assert group.select_one("h2, h3").get_text(strip=True) == "部门首字"
    values = [
        (a["data-value"], a.select_one(".count").get_text(), a["href"]) for a in group.select("a.facet-value")
    ]
    assert values == [
        (value, str(count), f"/search?initial={quote(value)}") for value, count in SEED_INITIALS
    ]
    narrowed = BeautifulSoup(client.get("/search?initial=洞").data, "html.parser")
    chips = [(chip.select_one(".chip-title").get_text(), chip["href"]) for chip in narrowed.select("a.chip")]
    assert chips == [("部门首字", "/search")]
    csv_text = client.get("/search.csv?initial=洞").data.decode("utf-8-sig")
    header, row = csv_text.splitlines()[:2]
    assert header == "编号,标题,日期,县（市、区）,部门,类型,关键词,人物,部门首字,期号,总期号,摘要,链接"
    assert row.startswith("270-b25,") and ",洞," in row


@pytest.mark.parametrize(
    ("value", "span"),
    [
        ("2022", (dt.date(2022, 1, 1), dt.date(2022, 12, 31))),
        ("2024-02", (dt.date(2024, 2, 1), dt.date(2024, 2, 29))),
        ("2022-12", (dt.date(2022, 12, 1), dt.date(2022, 12, 31))),
    ],
)
def test_a_date_part_spans_its_whole_year_or_month(value, span):
    assert fields.facet("month").span(value) == span


def test_county_short_forms_become_official_names_and_strangers_are_refused(domain):
    county = fields.facet("county")
    assert county.canonical("瑞安", domain) == "瑞安市"
    with pytest.raises(fields.UnknownValue, match="^unknown county: 火星$"):
        county.canonical("火星", domain)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_values_are_ordered_most_frequent_first_and_equal_counts_by_value(seed, domain):
    rng = random.Random(seed)
    counts = Counter({f"v{rng.randint(0, 500)}": rng.randint(0, 6) for _ in range(300)})
    expected = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    assert fields.facet("keyword").order(counts, domain) == expected
    assert fields.facet("person").order(Counter({"乙": 2, "甲": 2, "丙": 3, "丁": 0}), domain) == [
        ("丙", 3),
        ("乙", 2),
        ("甲", 2),
        ("丁", 0),
    ]
