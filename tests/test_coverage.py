"""Nothing lost silently: every issue's parse report, the flagged issue's catch-all article, and the
flag as `bulletin index`, `bulletin parse`, the index and /reports/ingest show it."""

from __future__ import annotations

import dataclasses
import json
import shutil

import pytest
from bs4 import BeautifulSoup

from indexer.build import build_index
from indexer.cli import FLAGGED_ADVICE
from indexer.coverage import MAX_UNASSIGNED_SHARE, with_parse_report
from indexer.formats import extract_document
from indexer.models import Issue, ParseReport
from indexer.normalize import squeeze
from indexer.parse import parse_issue
from indexer.search import parse_request, search
from tests.conftest import DATA, SEED, seed_workspace
from tests.expected import FEATURES
from tests.test_api import key_shape, open_keys
from webui.app import create_app
from webui.cli import main

FIRST_TITLE_IN_BODY = "科技惠企 创新赋能——“科创中国”温州站 推介大会成功举办"
FIRST_TITLE_RENAMED = "温州站推介会上的四件事"
# Only in the first feature's text.
FIRST_FEATURE_PHRASE = "典型经验交流，营造争先创业氛围"
THIRD_TITLE_IN_BODY = "青科会成果谋划与落地督导工作专班 赴龙湾、乐清、浙南产业集聚区督查调研"
THIRD_FEATURE_PHRASE = "朱勇敏带领督查调研组一行"
PROSE = "这段说明没有日期，也不是哪一篇文章的文字，" * 8 + "解析器读简讯时会把它跳过。"
SCRIPT_TITLE = "<script>alert(1)</script>青科会助力大孵化集群发展座谈会召开"
SCRIPT_LINE = "<script>alert('简讯')</script>"
BRIEF_AFTER_PROSE = "5月9日，喜报！"
# Every fixture of the real issue: 6,798 characters of body text, each in an article.
CLEAN_REPORT = ParseReport(
    contents_expected=8, contents_found=8, body_chars=6798, unassigned_chars=0, problems=(), warnings=()
)


def replaced_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def first_title_renamed(seed_text: str) -> str:
    """The seed with its first feature's title changed in the body only, as a careless edit would."""
    return replaced_once(seed_text, f"\n{FIRST_TITLE_IN_BODY}\n", f"\n{FIRST_TITLE_RENAMED}\n")


def prose_among_briefs(seed_text: str) -> str:
    """An undated paragraph after a brief that has its department: the parser skips it."""
    return replaced_once(seed_text, f"\n{BRIEF_AFTER_PROSE}", f"\n{PROSE}\n\n{BRIEF_AFTER_PROSE}")


def renumbered(seed_text: str, month: int) -> str:
    """The seed as the issue of another month of 2022: 第N期 (总第265+N期), dated that month."""
    return (
        seed_text.replace("第 5 期", f"第 {month} 期")
        .replace("总第 270 期", f"总第 {265 + month} 期")
        .replace("2022 年 5 月 31 日", f"2022 年 {month} 月 28 日")
    )


def issue_272_with_script(seed_text: str) -> str:
    """Another issue whose second contents entry and one undated line carry markup."""
    text = renumbered(seed_text, 7)
    text = replaced_once(text, f"- {FEATURES[1][0]}\n", f"- {SCRIPT_TITLE}\n")
    return replaced_once(text, f"\n{BRIEF_AFTER_PROSE}", f"\n{SCRIPT_LINE}\n\n{BRIEF_AFTER_PROSE}")


def text_chars(text: str) -> int:
    return sum(char.isalnum() for char in text)


def catch_all(issue: Issue):
    found = [article for article in issue.articles if article.kind == "unassigned"]
    return found[0] if found else None


# The report of each rendering of the real issue -----------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "issue270-bom.txt",
        "issue270-gb18030.txt",
        "issue270.html",
        "issue270-reportlab.pdf",
        "issue270-chromium.pdf",
    ],
)
def test_todays_fixtures_are_covered_whole(domain, tmp_path, name):
    document = extract_document(DATA / name, tmp_path)
    issue = parse_issue(document.text, name, domain)
    assert issue.report == CLEAN_REPORT
    assert (catch_all(issue), len(issue.articles)) == (None, 37)


def test_the_real_issue_is_covered_whole(domain, seed_text):
    issue = parse_issue(seed_text, SEED.name, domain)
    assert issue.report == CLEAN_REPORT
    assert issue.to_dict()["report"] == {
        "contents_expected": 8,
        "contents_found": 8,
        "body_chars": 6798,
        "unassigned_chars": 0,
        "problems": [],
        "warnings": [],
        "flagged": False,
    }
    assert Issue.from_dict(json.loads(json.dumps(issue.to_dict()))) == issue


# What the report counts, on the parsed issue with articles taken away --------------------------


def test_a_lost_feature_is_counted_and_kept_whole(domain, seed_text):
    issue = parse_issue(seed_text, SEED.name, domain)
    lost = issue.articles[0]
    reported = with_parse_report(dataclasses.replace(issue, articles=issue.articles[1:]), seed_text)
    assert reported.report == ParseReport(
        contents_expected=8,
        contents_found=7,
        body_chars=6798,
        unassigned_chars=1075,
        problems=(
            "1 of 8 contents titles not found (科技惠企 创新赋能——“科创中国”温州站推介大会成功举办)",
            "15.8% of body text unassigned (1075 of 6798 characters)",
        ),
    )
    # The count is the feature's own text: its title as printed, its paragraphs, its department.
    assert text_chars(FIRST_TITLE_IN_BODY + "".join(lost.paragraphs) + lost.department) == 1075
    kept = catch_all(reported)
    assert (kept.id, kept.kind, kept.title, kept.date.isoformat(), kept.page) == (
        "270-x01",
        "unassigned",
        "未归入文章的文字（第5期）",
        "2022-05-31",
        1,
    )
    assert kept.paragraphs[0] == FIRST_TITLE_IN_BODY
    assert squeeze("".join(kept.paragraphs)) == squeeze(
        FIRST_TITLE_IN_BODY + "".join(lost.paragraphs) + "（市科协学会部）"
    )
    assert reported.articles[:-1] == issue.articles[1:]


def without(issue: Issue, lost) -> Issue:
    return dataclasses.replace(issue, articles=tuple(a for a in issue.articles if a not in lost))


def test_a_lost_brief_is_counted_but_under_the_threshold_not_flagged(domain, seed_text):
    issue = parse_issue(seed_text, SEED.name, domain)
    brief = issue.briefs[1]
    reported = with_parse_report(without(issue, [brief]), seed_text)
    # "5月9日，喜报！…（市科协科普部）": its date, text and department.
    assert reported.report == dataclasses.replace(CLEAN_REPORT, unassigned_chars=40)
    assert text_chars("5月9日" + brief.title + brief.department) == 40
    assert (reported.report.flagged, catch_all(reported)) == (False, None)


def test_two_percent_is_the_line(domain, seed_text):
    assert 134 / 6798 < MAX_UNASSIGNED_SHARE < 136 / 6798
    issue = parse_issue(seed_text, SEED.name, domain)
    under = with_parse_report(without(issue, issue.briefs[16:20]), seed_text)
    assert (under.report.unassigned_chars, under.report.problems, catch_all(under)) == (134, (), None)
    lost = issue.briefs[7:11]
    over = with_parse_report(without(issue, lost), seed_text)
    assert (over.report.unassigned_chars, over.report.problems) == (
        136,
        ("2.0% of body text unassigned (136 of 6798 characters)",),
    )
    # Each brief as printed, on the lines it was printed on (one wraps).
    assert len(catch_all(over).paragraphs) == 5
    assert squeeze(catch_all(over).body) == "".join(
        squeeze(f"{b.date.month}月{b.date.day}日，{b.title}（{b.department}）") for b in lost
    )


def test_the_report_is_made_anew_not_added_to(domain, seed_text):
    text = prose_among_briefs(seed_text)
    issue = parse_issue(text, "prose.txt", domain)
    assert with_parse_report(issue, text) == issue


# Through the parser ---------------------------------------------------------------------------


def test_a_renamed_first_title_leaves_the_text_to_the_catch_all(domain, seed_text):
    issue = parse_issue(first_title_renamed(seed_text), "renamed.txt", domain)
    # The contents end at the first paragraph of prose; the renamed heading above it begins the body,
    # resembles no entry, and its article's text is what no article took.
    assert [feature.title for feature in issue.features] == [title for title, *_ in FEATURES[1:]]
    assert len(issue.briefs) == 29
    report = issue.report
    assert (report.contents_found, report.body_chars, report.unassigned_chars) == (7, 6786, 1063)
    assert report.problems[1] == "15.7% of body text unassigned (1063 of 6786 characters)"
    kept = catch_all(issue)
    assert kept.paragraphs[0] == FIRST_TITLE_RENAMED
    assert FIRST_FEATURE_PHRASE in kept.body
    assert text_chars(kept.body) == 1063


def test_a_renamed_middle_title_leaves_its_text_in_the_feature_before(domain, seed_text):
    # Worded unlike its entry: a heading that resembles it is found (tests/test_fuzzy_titles.py).
    text = replaced_once(seed_text, THIRD_TITLE_IN_BODY, "督查调研组走访龙湾乐清浙南三地")
    issue = parse_issue(text, "renamed.txt", domain)
    assert issue.report == ParseReport(
        contents_expected=8,
        contents_found=7,
        body_chars=6781,
        unassigned_chars=0,
        problems=(
            "1 of 8 contents titles not found (青科会成果谋划与落地督导工作专班赴龙湾、乐清、浙南产业集聚区督查调研)",
        ),
        warnings=(
            "本期要目 title not found in the body: 青科会成果谋划与落地督导工作专班赴龙湾、乐清、浙南产业集聚区督查调研",
        ),
    )
    # Flagged, but nothing to keep aside: the parser gave the orphaned text to the feature before it.
    assert catch_all(issue) is None
    assert THIRD_FEATURE_PHRASE in issue.features[1].body


def test_prose_the_parser_skips_is_flagged_and_kept(domain, seed_text):
    issue = parse_issue(prose_among_briefs(seed_text), "prose.txt", domain)
    assert (len(issue.features), len(issue.briefs)) == (8, 29)
    assert issue.report == ParseReport(
        contents_expected=8,
        contents_found=8,
        body_chars=6962,
        unassigned_chars=164,
        problems=("2.4% of body text unassigned (164 of 6962 characters)",),
        warnings=(f"简讯: skipped an undated line: {PROSE[:30]}",),
    )
    assert text_chars(PROSE) == 164
    assert catch_all(issue).paragraphs == (PROSE,)


# Indexed, flagged, and shown ------------------------------------------------------------------

RENAMED_PROBLEMS = (
    "1 of 8 contents titles not found (科技惠企 创新赋能——“科创中国”温州站推介大会成功举办); "
    "15.7% of body text unassigned (1063 of 6786 characters)"
)
# Titles are cut at 40 characters.
SCRIPT_PROBLEM = "1 of 8 contents titles not found (<script>alert(1)</script>青科会助力大孵化集群发展座谈…)"


@pytest.fixture(scope="module")
def flagged_site(tmp_path_factory, settings):
    """An index of three issues: 270 with its first title renamed, 271 clean, 272 with markup."""
    seed_text = SEED.read_text(encoding="utf-8")
    base = tmp_path_factory.mktemp("flagged")
    archive = base / "archive"
    archive.mkdir()
    (archive / "270-renamed.txt").write_text(first_title_renamed(seed_text), encoding="utf-8")
    (archive / "271.txt").write_text(renumbered(seed_text, 6), encoding="utf-8")
    (archive / "272-script.txt").write_text(issue_272_with_script(seed_text), encoding="utf-8")
    site = settings.with_overrides(archive_dir=archive, index_dir=base / "index", cache_dir=base / "cache")
    return site, build_index(site, workers=1)


@pytest.fixture(scope="module")
def flagged_client(flagged_site):
    return create_app(flagged_site[0]).test_client()


def hit_ids(site, **params) -> set[str]:
    request = parse_request({"per_page": ["100"], **{k: [v] for k, v in params.items()}}, site)
    return {hit.id for hit in search(site, request).hits}


def test_flagged_issues_are_indexed_and_named(flagged_site):
    _, report = flagged_site
    assert (report.added, report.failed) == (["270", "271", "272"], [])
    assert report.flagged == [("270-renamed.txt", RENAMED_PROBLEMS), ("272-script.txt", SCRIPT_PROBLEM)]


def test_text_no_article_took_is_found_in_the_catch_all(flagged_site):
    site, _ = flagged_site
    assert hit_ids(site, q=f'"{FIRST_FEATURE_PHRASE}"') == {"270-x01", "271-f01", "272-f01"}
    assert hit_ids(site, q=f'"{FIRST_TITLE_RENAMED}"') == {"270-x01"}
    assert hit_ids(site, kind="unassigned") == {"270-x01", "272-x01"}


def test_index_names_a_flagged_file_on_every_run_until_it_is_fixed(tmp_path, capsys, seed_text):
    config = seed_workspace(tmp_path)
    issue_file = tmp_path / "archive" / SEED.name
    issue_file.write_text(first_title_renamed(seed_text), encoding="utf-8")
    flagged_line = f"flagged: {SEED.name}: {RENAMED_PROBLEMS}; {FLAGGED_ADVICE}\n"
    index = ["--config", str(config), "index"]
    assert main(index) == 1
    out, err = capsys.readouterr()
    assert err == flagged_line
    assert out.startswith(
        "added 1, updated 0, removed 0, unchanged 0, failed 0, flagged 1 issue files (1 parsed)"
    )
    assert main(index) == 1
    out, err = capsys.readouterr()
    assert err == flagged_line
    assert out.startswith(
        "added 0, updated 0, removed 0, unchanged 1, failed 0, flagged 1 issue files (0 parsed)"
    )
    shutil.copy(SEED, issue_file)
    assert main(index) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.startswith("added 0, updated 1, removed 0, unchanged 0, failed 0 issue files (1 parsed)")


def test_a_clean_copy_is_indexed_before_a_flagged_one_with_more_articles(tmp_path, settings, seed_text):
    archive = tmp_path / "archive"
    archive.mkdir()
    shutil.copy(SEED, archive / "270.txt")
    (archive / "270-prose.txt").write_text(prose_among_briefs(seed_text), encoding="utf-8")
    site = settings.with_overrides(
        archive_dir=archive, index_dir=tmp_path / "index", cache_dir=tmp_path / "cache"
    )
    report = build_index(site, workers=1)
    assert report.flagged == [("270-prose.txt", "2.4% of body text unassigned (164 of 6962 characters)")]
    # The flagged copy has 38 articles (its catch-all), the clean one 37.
    assert hit_ids(site, q=PROSE[:8]) == set()
    assert len(hit_ids(site)) == 37


def test_parse_shows_the_report_and_exits_1_when_flagged(tmp_path, capsys, seed_text):
    path = tmp_path / "renamed.txt"
    path.write_text(first_title_renamed(seed_text), encoding="utf-8")
    assert main(["parse", str(path)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == "7 features, 29 briefs"
    assert lines[-5].split() == ["270-x01", "2022-05-31", "?", "-", "未归入文章的文字（第5期）"]
    assert lines[-4:] == [
        "contents: 7 of 8 titles found as features",
        "body text: 1063 of 6786 characters unassigned (15.7%)",
        *(f"flagged: {problem}" for problem in RENAMED_PROBLEMS.split("; ")),
    ]
    assert main(["parse", str(path), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert (data["report"]["flagged"], data["report"]["unassigned_chars"]) == (True, 1063)
    assert data["articles"][-1]["id"] == "270-x01"


def test_the_ingest_report_lists_flagged_issues(flagged_client):
    data = flagged_client.get("/api/reports/ingest").get_json()
    assert (data["issues_indexed"], data["max_unassigned_share"]) == (3, MAX_UNASSIGNED_SHARE)
    first, second = data["flagged"]
    assert [first["id"], second["id"]] == ["272", "270"]
    assert {
        key: second[key] for key in ("contents_expected", "contents_found", "body_chars", "unassigned_chars")
    } == {
        "contents_expected": 8,
        "contents_found": 7,
        "body_chars": 6786,
        "unassigned_chars": 1063,
    }
    assert (second["unassigned_share"], second["problems"]) == (0.1566, RENAMED_PROBLEMS.split("; "))
    assert (second["catch_all"]["id"], second["catch_all"]["url"]) == ("270-x01", "/articles/270-x01")
    assert [source["file"] for source in second["sources"]] == ["270-renamed.txt"]
    assert (first["problems"], first["warnings"]) == (
        [SCRIPT_PROBLEM],
        [
            f"本期要目 title not found in the body: {SCRIPT_TITLE}",
            f"简讯: skipped an undated line: {SCRIPT_LINE}",
        ],
    )
    assert first["catch_all"]["id"] == "272-x01"


def test_the_ingest_report_has_its_documented_shape(flagged_client):
    document = flagged_client.get("/api/openapi.json").get_json()
    response = document["paths"]["/api/reports/ingest"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]
    live = flagged_client.get("/api/reports/ingest").get_json()
    assert open_keys(key_shape(response["example"])) == open_keys(key_shape(live))
    assert response["schema"]["required"] == list(live)


def test_the_ingest_page_escapes_what_the_files_hold(flagged_client):
    response = flagged_client.get("/reports/ingest?q=<script>alert(2)</script>")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    soup = BeautifulSoup(html, "html.parser")
    assert [script.get("src") for script in soup.find_all("script")] == ["/static/suggest.js"]  # ours alone
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    items = soup.select("li.flagged")
    assert [item.h2.a["href"] for item in items] == ["/issues/272", "/issues/270"]
    assert [li.get_text() for li in items[0].select("ul.problems li")] == [SCRIPT_PROBLEM]
    assert [li.get_text() for li in items[0].select("details.warnings li")][
        1
    ] == f"简讯: skipped an undated line: {SCRIPT_LINE}"
    assert items[1].select_one("dl.coverage").get_text(" ", strip=True) == (
        "要目标题 找到 7 / 8 未归入文章的文字 1063 / 6786 字（15.7%） · 查看"
    )


def test_the_catch_all_is_on_its_issue_page(flagged_client):
    soup = BeautifulSoup(flagged_client.get("/issues/270").get_data(as_text=True), "html.parser")
    links = [a["href"] for a in soup.select(".issue-toc a.toc-title")]
    assert links[-1] == "/articles/270-x01" and len(links) == 37
    article = flagged_client.get("/articles/270-x01")
    assert article.status_code == 200 and FIRST_FEATURE_PHRASE in article.get_data(as_text=True)
    # Last in its issue, after the briefs; and neither a feature nor a brief.
    data = flagged_client.get("/api/articles/270-x01").get_json()
    assert (data["previous"]["id"], data["next"], data["kind"]) == ("270-b29", None, "unassigned")
    entry = next(e for e in flagged_client.get("/api/issues").get_json()["issues"] if e["id"] == "270")
    assert (entry["features"], entry["briefs"]) == (7, 29)


def test_nothing_flagged_is_said_so(client):
    assert client.get("/api/reports/ingest").get_json() == {
        "issues_indexed": 1,
        "max_unassigned_share": MAX_UNASSIGNED_SHARE,
        "flagged": [],
    }
    soup = BeautifulSoup(client.get("/reports/ingest").get_data(as_text=True), "html.parser")
    assert soup.select("li.flagged") == [] and soup.select_one("p.empty") is not None
    home = BeautifulSoup(client.get("/").get_data(as_text=True), "html.parser")
    assert home.select_one("footer a[href='/reports/ingest']").get_text() == "解析报告"


def test_a_department_named_otherwise_than_printed_still_closes_its_article(domain, seed_text):
    issue = parse_issue(seed_text, SEED.name, domain)
    renamed = dataclasses.replace(
        issue, articles=tuple(dataclasses.replace(a, department="温州市科学技术协会") for a in issue.articles)
    )
    assert with_parse_report(renamed, seed_text).report == CLEAN_REPORT


def test_punctuation_moved_by_a_pdf_reader_does_not_hide_a_title(domain, seed_text):
    """The titles as the parser reports them, in text whose quote marks and bullets stand elsewhere."""
    issue = parse_issue(seed_text, SEED.name, domain)
    text = replaced_once(
        seed_text,
        "- 市科协党组书记、主席林建波赴苍南调研青科会和“科创中国”试点城市建设\n",
        "- 市科协党组书记、主席林建波赴苍南调研青科会和“★ 科创中国”试点城市建设\n",
    )
    text = replaced_once(
        text,
        "\n“科创中国”温州站——智能装备工作座谈会 在平阳召开\n",
        "\n“科创中国温州站”——智能装备工作座谈会 在平阳召开\n",
    )
    assert with_parse_report(issue, text).report == CLEAN_REPORT
