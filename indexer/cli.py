"""The `bulletin` command's indexing and searching subcommands (parse, index, search, stats).

The web UI adds `serve` on top of this parser (webui/cli.py), so the indexer never imports Flask.
"""

from __future__ import annotations

import argparse
import errno
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from indexer.build import build_index, terminal_progress
from indexer.errors import EXIT_FAULT, INDEX_DAMAGE, BulletinError, IndexCorrupt
from indexer.extract import extract_document
from indexer.parse import parse_issue
from indexer.search import InvalidRequest, SearchResult, engine_for, parse_request, search
from indexer.settings import Settings, SettingsError, load_settings

EXIT_FAILED_FILES = 1
EXIT_USAGE = 2
# What to do about the operating system's refusals, by errno.
OS_ERROR_ADVICE = {
    errno.ENOSPC: "the disk is full: free some space, then run the command again",
    errno.EDQUOT: "the disk quota is used up: free some space, then run the command again",
    errno.EROFS: "the file system is read-only: choose a writable folder (--index, or config.yaml)",
    errno.EACCES: "permission denied: give this user access, or choose another folder (--index, or config.yaml)",
    errno.EPERM: "not permitted: give this user access, or choose another folder (--index, or config.yaml)",
}


CONFIG_HELP = "config.yaml to use (default: $BULLETIN_CONFIG, else the project's)"


def add_common(parser: argparse.ArgumentParser) -> None:
    # SUPPRESS, so a subcommand's unset --config does not hide one given before the subcommand.
    parser.add_argument("--config", default=argparse.SUPPRESS, help=CONFIG_HELP)
    parser.add_argument("--index", type=Path, help="index folder (overrides config.yaml)")
    parser.set_defaults(reads_index=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bulletin", description="Search the archive of the bulletin.")
    parser.add_argument("--config", help=CONFIG_HELP)
    commands = parser.add_subparsers(dest="command", required=True)

    parse = commands.add_parser("parse", help="show what the parser sees in one file")
    parse.add_argument("file", type=Path)
    parse.add_argument("--config", default=argparse.SUPPRESS, help=CONFIG_HELP)
    parse.add_argument("--json", action="store_true", help="print JSON")
    parse.set_defaults(handler=run_parse)

    index = commands.add_parser("index", help="index new and changed files of the archive folder")
    add_common(index)
    index.add_argument("--archive", type=Path, help="archive folder (overrides config.yaml)")
    index.add_argument("--rebuild", action="store_true", help="start the index over")
    index.set_defaults(handler=run_index)

    find = commands.add_parser("search", help="search the index")
    add_common(find)
    find.add_argument("query", nargs="*", help='words, "exact phrase", AND / OR / NOT, title:…')
    find.add_argument("--county", action="append", default=[], help="county (repeatable; short forms work)")
    find.add_argument("--department", action="append", default=[], help="department (repeatable)")
    find.add_argument("--keyword", action="append", default=[], help="keyword (repeatable)")
    find.add_argument("--kind", choices=("feature", "brief"))
    find.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD")
    find.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD")
    find.add_argument("--sort", choices=("relevance", "newest", "oldest"))
    find.add_argument("--page", type=str)
    find.add_argument("--per-page", dest="per_page", type=str)
    find.add_argument("--json", action="store_true", help="print the JSON of the web API")
    find.set_defaults(handler=run_search)

    stats = commands.add_parser("stats", help="what the index holds")
    add_common(stats)
    stats.add_argument("--json", action="store_true")
    stats.set_defaults(handler=run_stats)
    return parser


def settings_from(args: argparse.Namespace) -> Settings:
    settings = load_settings(args.config)
    return settings.with_overrides(
        index_dir=getattr(args, "index", None) and args.index.resolve(),
        archive_dir=getattr(args, "archive", None) and args.archive.resolve(),
    )


def run_parse(args: argparse.Namespace, settings: Settings) -> int:
    document = extract_document(args.file, settings.cache_dir)
    issue = parse_issue(document.text, str(args.file), settings.domain)
    if args.json:
        print(json.dumps(issue.to_dict(), ensure_ascii=False, indent=2))
        return 0
    print(
        f"{issue.publication} 第{issue.number}期 (总第{issue.total_number}期) {issue.date} [{document.format}]"
    )
    print(f"{len(issue.features)} features, {len(issue.briefs)} briefs")
    for article in issue.articles:
        counties = "、".join(article.counties) or "-"
        page = f" p.{article.page}" if article.page and document.format == "pdf" else ""
        print(
            f"  {article.id:<9} {article.date}  {article.department or '?':<10} {counties:<16}{page}  {article.title}"
        )
    for warning in issue.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def say(line: str) -> None:
    print(f"bulletin: {line}", file=sys.stderr)


def run_index(args: argparse.Namespace, settings: Settings) -> int:
    progress = terminal_progress if sys.stderr.isatty() else None
    report = build_index(settings, rebuild=args.rebuild, progress=progress, warn=say)
    for name, reason in report.failed:
        print(f"failed: {name}: {reason}", file=sys.stderr)
    print(report.summary())
    return EXIT_FAILED_FILES if report.failed else 0


def request_params(args: argparse.Namespace) -> dict[str, list[str]]:
    params = {
        "q": [" ".join(args.query)],
        "county": args.county,
        "department": args.department,
        "keyword": args.keyword,
    }
    for name in ("kind", "date_from", "date_to", "sort", "page", "per_page"):
        value = getattr(args, name)
        if value is not None:
            params[name] = [value]
    return params


def print_table(result: SearchResult) -> None:
    request = result.request
    print(f"{result.total} results (page {request.page} of {result.pages})")
    for number, hit in enumerate(result.hits, start=(request.page - 1) * request.per_page + 1):
        counties = "、".join(hit.counties) or "-"
        print(f"{number:>4}. {hit.date}  {hit.title}")
        print(
            f"      {hit.kind:<7} {hit.department or '-':<10} {counties:<20} 第{hit.issue['number']}期 {hit.id}"
        )
    for name in ("county", "department", "year"):
        values = result.facets.get(name, ())
        if values:
            print(f"{name}: " + "  ".join(f"{v.value} {v.count}" for v in values[:8]))


def run_search(args: argparse.Namespace, settings: Settings) -> int:
    request = parse_request(request_params(args), settings)
    result = search(settings, request)
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        print_table(result)
    return 0


def archive_stats(settings: Settings) -> dict:
    engine = engine_for(settings)
    issues = engine.issues()
    everything = search(settings, parse_request({"per_page": ["1"]}, settings))
    kinds = {f.value: f.count for f in everything.facets["kind"]}
    dates = sorted(issue["date"] for issue in issues)
    return {
        "issues": len(issues),
        "articles": everything.total,
        "features": kinds.get("feature", 0),
        "briefs": kinds.get("brief", 0),
        "first_issue": dates[0] if dates else None,
        "last_issue": dates[-1] if dates else None,
        "counties": {f.value: f.count for f in everything.facets["county"]},
        "departments": {f.value: f.count for f in everything.facets["department"]},
    }


def run_stats(args: argparse.Namespace, settings: Settings) -> int:
    stats = archive_stats(settings)
    if args.json:
        print(json.dumps(stats, ensure_ascii=False, indent=2))
        return 0
    print(
        f"{stats['issues']} issues, {stats['articles']} articles ({stats['features']} features, {stats['briefs']} briefs)"
    )
    print(f"from {stats['first_issue']} to {stats['last_issue']}")
    print("counties: " + "  ".join(f"{k} {v}" for k, v in stats["counties"].items()))
    print("departments: " + "  ".join(f"{k} {v}" for k, v in stats["departments"].items()))
    return 0


def os_error_line(error: OSError, where: Path | None) -> str:
    """One line naming the file (or else the folder being worked on) and what to do."""
    name = error.filename or where
    reason = error.strerror or str(error)
    advice = OS_ERROR_ADVICE.get(error.errno)
    return (f"{name}: {reason}" if name else reason) + (f"; {advice}" if advice else "")


def main(argv: Sequence[str] | None = None, parser: argparse.ArgumentParser | None = None) -> int:
    parser = parser or build_parser()
    args = parser.parse_args(argv)
    settings = None
    try:
        settings = settings_from(args)
        return args.handler(args, settings)
    except InvalidRequest as error:
        say(str(error))
        return EXIT_USAGE
    except BulletinError as error:
        say(str(error))
        return error.exit_code
    except SettingsError as error:
        say(str(error))
        return EXIT_FAILED_FILES
    except OSError as error:
        say(os_error_line(error, settings and settings.index_dir))
        return EXIT_FAULT
    except INDEX_DAMAGE as error:
        if not getattr(args, "reads_index", False) or settings is None:
            raise
        say(str(IndexCorrupt.decoding(settings.index_dir, error)))
        return EXIT_FAULT
    except KeyboardInterrupt:
        say("interrupted; the index is as it was before this run")
        return 130
