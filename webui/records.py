"""Articles, issues and the archive overview as plain dicts: one shape for the HTML pages and the JSON API."""

from __future__ import annotations

from pathlib import PurePosixPath

from flask import url_for

from indexer.coverage import CATCH_ALL_KIND, MAX_UNASSIGNED_SHARE
from indexer.engine import SearchEngine
from indexer.search import hit_from_stored
from indexer.search import stats as archive_stats
from indexer.settings import Settings
from webui import feeds

SUMMARY_FIELDS = ("id", "title", "kind", "date", "department", "counties", "url")
LATEST_ISSUES = 6


def source_links(files: list[str], page: int | None) -> list[dict]:
    """Links to the archive files an issue came from; a PDF's link opens at the article's page."""
    links = []
    for name in files:
        url = url_for("pages.source", path=name)
        is_pdf = PurePosixPath(name).suffix.lower() == ".pdf"
        if page and is_pdf:
            url += f"#page={page}"
        links.append({"file": name, "page": page if is_pdf else None, "url": url})
    return links


def _summary(stored: dict) -> dict:
    hit = hit_from_stored(stored, None).to_dict()
    return {name: hit[name] for name in SUMMARY_FIELDS}


def article_record(engine: SearchEngine, article_id: str) -> dict | None:
    """The whole article, where it came from, and the other articles of its issue in issue order."""
    stored = engine.article(article_id)
    if stored is None:
        return None
    record = hit_from_stored(stored, None).to_dict()
    del record["snippet"]
    record["issue"]["url"] = url_for("pages.issue", issue_id=stored["issue_id"])
    record["text"] = stored["body"]
    record["paragraphs"] = [p for p in stored["body"].split("\n") if p.strip()]
    record["sources"] = source_links(stored["sources"], stored.get("page"))
    record["person_roles"] = [{"name": name, "role": role} for name, role in stored.get("person_roles", [])]
    record["citation"] = feeds.citation(record)
    siblings = issue_contents(engine, stored["issue_id"])[1]
    # None only when an update removed the article between the two reads.
    position = next((i for i, s in enumerate(siblings) if s["id"] == article_id), None)
    record["previous"] = siblings[position - 1] if position else None
    record["next"] = siblings[position + 1] if position is not None and position + 1 < len(siblings) else None
    record["issue_articles"] = siblings
    record["related"] = related_articles(engine, article_id)
    return record


def related_articles(engine: SearchEngine, article_id: str) -> list[dict]:
    """Other articles sharing the article's people, counties and keywords, most specific first; each
    `why` lists the shared values, rarest first."""
    return [
        {
            "id": found.id,
            "title": found.title,
            "date": found.date,
            "url": url_for("pages.article", article_id=found.id),
            "why": [{"facet": shared.facet, "value": shared.value} for shared in found.why],
        }
        for found in engine.related(article_id)
    ]


def _issue_entry(entry: dict) -> dict:
    return {
        "id": entry["id"],
        "number": entry["number"],
        "total_number": entry["total_number"],
        "date": entry["date"],
        "year": int(entry["date"][:4]),
        "features": entry["features"],
        "briefs": entry["briefs"],
        "url": url_for("pages.issue", issue_id=entry["id"]),
        "sources": source_links(entry["sources"], None),
    }


def issue_list(engine: SearchEngine) -> list[dict]:
    """Every issue, newest first."""
    return [_issue_entry(entry) for entry in engine.issues()]


def issue_contents(engine: SearchEngine, issue_id: str) -> tuple[dict, list[dict]]:
    """A known issue's entry (as in engine.issues()) and its articles' summaries in issue order, both
    read once per index generation: a table of contents shows no article's text, and an article page
    shows its issue's. Shared by every request: never changed."""

    def read() -> tuple[dict, list[dict]]:
        entry, stored = engine.issue(issue_id) or ({}, [])
        return entry, [_summary(s) for s in stored]

    return engine.per_generation(("issue contents", issue_id), read)


def issue_record(engine: SearchEngine, issue_id: str) -> dict | None:
    """An issue's metadata and its table of contents: features, then briefs, each in printed order."""
    # Only issues of the index are kept per generation, not every id a client makes up.
    if issue_id not in engine.per_generation(
        "issue ids", lambda: frozenset(e["id"] for e in engine.issues())
    ):
        return None
    entry, articles = issue_contents(engine, issue_id)
    record = _issue_entry(entry)
    record["articles"] = {
        "features": [a for a in articles if a["kind"] == "feature"],
        "briefs": [a for a in articles if a["kind"] == "brief"],
        "unassigned": [a for a in articles if a["kind"] == CATCH_ALL_KIND],
    }
    return record


def _flagged_entry(engine: SearchEngine, entry: dict) -> dict:
    report = entry["report"]
    catch_all = [a for a in issue_contents(engine, entry["id"])[1] if a["kind"] == CATCH_ALL_KIND]
    return {
        **_issue_entry(entry),
        "contents_expected": report["contents_expected"],
        "contents_found": report["contents_found"],
        "body_chars": report["body_chars"],
        "unassigned_chars": report["unassigned_chars"],
        "unassigned_share": round(report["unassigned_chars"] / report["body_chars"], 4)
        if report["body_chars"]
        else 0.0,
        "problems": report["problems"],
        "warnings": report["warnings"],
        "catch_all": catch_all[0] if catch_all else None,
    }


def ingest_report(engine: SearchEngine) -> dict:
    """The issues whose parse report flags them (a contents title not found, too much text in no
    article), newest first, with what staff need to fix their files."""
    entries = engine.issues()
    flagged = [entry for entry in entries if entry["report"] and entry["report"]["flagged"]]
    return {
        "issues_indexed": len(entries),
        "max_unassigned_share": MAX_UNASSIGNED_SHARE,
        "flagged": [_flagged_entry(engine, entry) for entry in flagged],
    }


def archive_overview(settings: Settings, engine: SearchEngine) -> dict:
    """The archive at a glance (the CLI's `bulletin stats`) and the latest issues; the figures are
    worked out once per index generation, the links for each request."""
    figures, latest = engine.per_generation(
        "overview", lambda: (archive_stats(settings), engine.issues()[:LATEST_ISSUES])
    )
    return {
        "publication": settings.domain.publication,
        **figures,
        "latest_issues": [_issue_entry(entry) for entry in latest],
    }
