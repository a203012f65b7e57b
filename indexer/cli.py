"""The `bulletin` command's indexing and searching subcommands (init, config, parse, index, search, stats,
synonyms, report).

The web UI adds `serve` on top of this parser (webui/cli.py), so the indexer never imports Flask.
"""

from __future__ import annotations

import argparse
import dataclasses
import errno
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from indexer import fields
from indexer.build import build_index
from indexer.engine import index_exists
from indexer.errors import EXIT_FAULT, INDEX_DAMAGE, BulletinError, IndexCorrupt
from indexer.expand import Reading
from indexer.formats import extract_document, format_named
from indexer.models import ParseReport
from indexer.parse import parse_issue
from indexer.querylog import log_path, zero_results
from indexer.search import FLAGS, SORTS, InvalidRequest, SearchResult, engine_for, parse_request, search
from indexer.search import stats as search_stats
from indexer.settings import (
    CONFIG_NAME,
    PACKAGED_CONFIG,
    PACKAGED_ORIGIN,
    Settings,
    SettingsError,
    load_settings,
)
from indexer.synonyms import Candidate, mine
from indexer.wordseg import use_cache_dir

EXIT_FAILED_FILES = 1
FLAGGED_ADVICE = "its text is indexed all the same; `bulletin parse` shows the report, fix the file"
EXIT_USAGE = 2
# The commands that need an index to answer at all. `serve` starts without one: its pages say that
# the index is missing until `bulletin index` has made it.
INDEX_READERS = ("search", "stats")
# What to do about the operating system's refusals, by errno.
OS_ERROR_ADVICE = {
    errno.ENOSPC: "the disk is full: free some space, then run the command again",
    errno.EDQUOT: "the disk quota is used up: free some space, then run the command again",
    errno.EROFS: "the file system is read-only: choose a writable folder (--index, or config.yaml)",
    errno.EACCES: "permission denied: give this user access, or choose another folder (--index, or config.yaml)",
    errno.EPERM: "not permitted: give this user access, or choose another folder (--index, or config.yaml)",
}


# What YAML reads as syntax inside a flow list, or at a term's start.
YAML_SPECIAL = re.compile(r"[,\[\]{}:#&*!|>'\"%@`]|^[-?\s]|\s$")
CONFIG_HELP = "settings file (default: $BULLETIN_CONFIG, else ./config.yaml, else the packaged defaults)"


class MissingFolder(BulletinError):
    """The archive or index folder the settings point at is not there."""


def add_common(parser: argparse.ArgumentParser) -> None:
    # SUPPRESS, so a subcommand's unset --config does not hide one given before the subcommand.
    parser.add_argument("--config", default=argparse.SUPPRESS, help=CONFIG_HELP)
    parser.add_argument("--index", type=Path, help="index folder (overrides config.yaml)")
    parser.set_defaults(reads_index=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bulletin", description="Search the archive of the bulletin.")
    parser.add_argument("--config", help=CONFIG_HELP)
    commands = parser.add_subparsers(dest="command", required=True)

    init = commands.add_parser("init", help="start a new site: a commented config.yaml and an empty archive/")
    init.add_argument("folder", nargs="?", type=Path, default=Path("."), help="where (default: here)")
    init.set_defaults(handler=run_init)

    config = commands.add_parser("config", help="which settings file is in use, and its folders")
    config.add_argument("--config", default=argparse.SUPPRESS, help=CONFIG_HELP)
    config.set_defaults(handler=run_config)

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
    find.add_argument(
        "query",
        nargs="*",
        help='words, "exact phrase", AND / OR / NOT, title:…, department:…, county:…, issue:…; '
        "traditional characters, synonyms and pinyin (linjianbo, ljb) are read as the archive's words",
    )
    for facet in fields.filters():
        if facet.multi_valued:
            find.add_argument(f"--{facet.name}", action="append", default=[], help=facet.description)
        else:
            find.add_argument(f"--{facet.name}", choices=tuple(facet.choices) or None, help=facet.description)
    find.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD")
    find.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD")
    find.add_argument("--sort", choices=SORTS)
    find.add_argument("--page", type=str)
    find.add_argument("--per-page", dest="per_page", type=str)
    find.add_argument(
        "--literal",
        action="store_true",
        help="search the text as typed: no traditional → simplified, synonyms, pinyin",
    )
    find.add_argument(
        "--explain", action="store_true", help="say which query unit matched which field, and how"
    )
    find.add_argument("--json", action="store_true", help="print the JSON of the web API")
    find.set_defaults(handler=run_search)

    stats = commands.add_parser("stats", help="what the index holds")
    add_common(stats)
    stats.add_argument("--json", action="store_true")
    stats.set_defaults(handler=run_stats)

    synonyms = commands.add_parser(
        "synonyms", help="the synonym groups of config.yaml, or candidates for them"
    )
    add_common(synonyms)
    synonyms.add_argument(
        "--suggest", action="store_true", help="mine candidate pairs from the index (nothing is applied)"
    )
    synonyms.add_argument(
        "--min-count", type=int, default=1, metavar="N", help="pairs stated N times or more"
    )
    synonyms.add_argument("--json", action="store_true")
    synonyms.set_defaults(handler=run_synonyms)
    report = commands.add_parser("report", help="what the search log says: the queries that found nothing")
    add_common(report)
    report.add_argument("report", choices=("zero-results",), help="which report")
    report.add_argument(
        "--limit", type=positive_int, default=20, help="how many queries at most (default 20)"
    )
    report.add_argument("--json", action="store_true", help="print JSON")
    report.set_defaults(handler=run_report)
    return parser


def positive_int(text: str) -> int:
    if not text.isdecimal() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {text!r}")
    return int(text)


def settings_from(args: argparse.Namespace) -> Settings:
    settings = load_settings(args.config)
    return settings.with_overrides(
        index_dir=getattr(args, "index", None) and args.index.resolve(),
        archive_dir=getattr(args, "archive", None) and args.archive.resolve(),
    )


def where_to_set(settings: Settings, key: str, flag: str) -> str:
    if settings.config_origin == PACKAGED_ORIGIN:
        return f"{flag}, or {key} in a {CONFIG_NAME} (`bulletin init` writes one)"
    return f"{flag}, or {key} in {settings.config_path}"


def require_folders(command: str, settings: Settings) -> None:
    if command == "index" and not settings.archive_dir.is_dir():
        raise MissingFolder(
            f"{settings.archive_dir}: no archive folder here; choose one with "
            + where_to_set(settings, "archive_dir", "--archive")
        )
    if command in INDEX_READERS and not index_exists(settings.index_dir):
        raise MissingFolder(
            f"{settings.index_dir}: no index here; build it with `bulletin index`, or choose another with "
            + where_to_set(settings, "index_dir", "--index")
        )


def run_init(args: argparse.Namespace) -> int:
    """Write what a new site needs; an existing config.yaml is left as it is."""
    config, archive = args.folder / CONFIG_NAME, args.folder / "archive"
    if config.exists():
        print(f"bulletin: {config} already exists; left as it is", file=sys.stderr)
        return EXIT_USAGE
    try:
        archive.mkdir(parents=True, exist_ok=True)
        # "x": should a config.yaml appear since the check above, it is still not overwritten.
        with config.open("x", encoding="utf-8") as handle:
            handle.write(PACKAGED_CONFIG.read_text(encoding="utf-8"))
    except OSError as error:
        print(f"bulletin: {error.filename}: cannot write: {error.strerror}", file=sys.stderr)
        return EXIT_FAILED_FILES
    print(f"wrote {config}; put the issues into {archive}/ and run `bulletin index`")
    return 0


def config_lines(settings: Settings) -> list[str]:
    return [
        f"config: {settings.config_path} ({settings.config_origin})",
        f"archive: {settings.archive_dir}",
        f"index: {settings.index_dir}",
        f"cache: {settings.cache_dir}",
    ]


def run_config(args: argparse.Namespace, settings: Settings) -> int:
    print("\n".join(config_lines(settings)))
    return 0


def run_parse(args: argparse.Namespace, settings: Settings) -> int:
    document = extract_document(args.file, settings.cache_dir)
    issue = parse_issue(document.text, str(args.file), settings.domain).flagged_for(document.problems)
    if document.ocr:
        issue = issue.read_by_ocr()
    exit_code = EXIT_FAILED_FILES if issue.report.flagged else 0
    if args.json:
        print(json.dumps(issue.to_dict(), ensure_ascii=False, indent=2))
        return exit_code
    print(
        f"{issue.publication} 第{issue.number}期 (总第{issue.total_number}期) {issue.date} [{document.format}{', read by OCR' if document.ocr else ''}]"
    )
    print(f"{len(issue.features)} features, {len(issue.briefs)} briefs")
    for article in issue.articles:
        counties = "、".join(article.counties) or "-"
        page = f" p.{article.page}" if article.page and format_named(document.format).has_pages else ""
        print(
            f"  {article.id:<9} {article.date}  {article.department or '?':<10} {counties:<16}{page}  {article.title}"
        )
    print("\n".join(report_lines(issue.report)))
    for warning in issue.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return exit_code


def report_lines(report: ParseReport) -> list[str]:
    share = f"{report.unassigned_share:.1%}"
    return [
        f"contents: {report.contents_found} of {report.contents_expected} titles found as features",
        f"body text: {report.unassigned_chars} of {report.body_chars} characters unassigned ({share})",
        *(f"flagged: {problem}" for problem in report.problems),
    ]


def say(line: str) -> None:
    print(f"bulletin: {line}", file=sys.stderr)


def terminal_progress(done: int, total: int, name: str) -> None:
    """The progress bar of `bulletin index` on a terminal: one line, redrawn in place."""
    width = 30
    filled = width * done // max(total, 1)
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {name[-40:]:<40}")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def run_index(args: argparse.Namespace, settings: Settings) -> int:
    progress = terminal_progress if sys.stderr.isatty() else None
    report = build_index(settings, rebuild=args.rebuild, progress=progress, warn=say)
    for name, reason in report.failed:
        print(f"failed: {name}: {reason}", file=sys.stderr)
    for name, problems in report.flagged:
        print(f"flagged: {name}: {problems}; {FLAGGED_ADVICE}", file=sys.stderr)
    print(report.summary())
    return EXIT_FAILED_FILES if report.failed or report.flagged else 0


def request_params(args: argparse.Namespace) -> dict[str, list[str]]:
    params = {"q": [" ".join(args.query)]}
    for facet in fields.filters():
        value = getattr(args, facet.name)
        params[facet.name] = value if facet.multi_valued else [value] if value is not None else []
    for name in ("date_from", "date_to", "sort", "page", "per_page"):
        value = getattr(args, name)
        if value is not None:
            params[name] = [value]
    for name in FLAGS:
        if getattr(args, name):
            params[name] = ["1"]
    return params


def reading_line(reading: Reading) -> str:
    joiner = " = " if reading.why == "synonym" else " → "
    return f"read {reading.text}{joiner}{' / '.join(reading.forms)} ({reading.why}); --literal to search it as typed"


def print_table(result: SearchResult) -> None:
    request = result.request
    for reading in result.readings:
        print(reading_line(reading))
    print(f"{result.total} results (page {request.page} of {result.pages})")
    for suggestion in result.suggestions:
        print(f"did you mean: {suggestion['q']} ({suggestion['total']} results)")
    for number, hit in enumerate(result.hits, start=(request.page - 1) * request.per_page + 1):
        counties = "、".join(hit.counties) or "-"
        print(f"{number:>4}. {hit.date}  {hit.title}")
        print(
            f"      {hit.kind:<7} {hit.department or '-':<10} {counties:<20} 第{hit.issue['number']}期 {hit.id}"
        )
        for match in hit.explain or ():
            print(f"      {match['unit']}: {match['matched']} in {match['field']} ({match['how']})")
    for facet in fields.FACETS:
        values = result.facets.get(facet.name, ()) if facet.in_summary else ()
        if values:
            print(f"{facet.name}: " + "  ".join(f"{v.value} {v.count}" for v in values[:8]))


def run_search(args: argparse.Namespace, settings: Settings) -> int:
    request = parse_request(request_params(args), settings)
    result = search(settings, request)
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        print_table(result)
    return 0


def run_stats(args: argparse.Namespace, settings: Settings) -> int:
    stats = search_stats(settings)
    if args.json:
        # Here, not in search.stats: the web API serves those, and must not show the server's paths.
        stats["config"] = str(settings.config_path)
        print(json.dumps(stats, ensure_ascii=False, indent=2))
        return 0
    print(
        f"{stats['issues']} issues, {stats['articles']} articles ({stats['features']} features, {stats['briefs']} briefs)"
    )
    print(f"from {stats['first_issue']} to {stats['last_issue']}")
    print("counties: " + "  ".join(f"{k} {v}" for k, v in stats["counties"].items()))
    print("departments: " + "  ".join(f"{k} {v}" for k, v in stats["departments"].items()))
    print(config_lines(settings)[0])
    return 0


def yaml_group(terms: Sequence[str]) -> str:
    """A group as a line to paste under `synonyms:` in config.yaml."""
    # A term YAML would misread in a flow list ([a, b]) goes in JSON quotes, which YAML reads as a string.
    quoted = (json.dumps(t, ensure_ascii=False) if YAML_SPECIAL.search(t) else t for t in terms)
    return f"  - [{', '.join(quoted)}]"


def suggestion_line(candidate: Candidate) -> str:
    times = "1 time" if candidate.count == 1 else f"{candidate.count} times"
    return f"{yaml_group((candidate.short, candidate.full))}   # {times}: “{candidate.example}”"


def run_synonyms(args: argparse.Namespace, settings: Settings) -> int:
    if not args.suggest:
        print("synonyms:" if settings.synonyms else "no synonyms in " + str(settings.config_path))
        for group in settings.synonyms:
            print(yaml_group(group))
        return 0
    require_folders("search", settings)  # --suggest reads the index, as `search` does
    candidates = [
        c for c in mine(engine_for(settings).texts(), settings.synonyms) if c.count >= args.min_count
    ]
    if args.json:
        print(json.dumps([c.to_dict() for c in candidates], ensure_ascii=False, indent=2))
    elif candidates:
        print("\n".join(suggestion_line(c) for c in candidates))
    else:
        stated = f" {args.min_count} times or more" if args.min_count > 1 else ""
        print(f"no candidates: the index states no pair{stated} beyond the synonyms of config.yaml")
    return 0


def run_report(args: argparse.Namespace, settings: Settings) -> int:
    queries = zero_results(settings, args.limit, warn=say)
    if args.json:
        print(json.dumps([dataclasses.asdict(query) for query in queries], ensure_ascii=False, indent=2))
        return 0
    if not queries:
        print(f"no zero-result queries recorded yet ({log_path(settings)})")
        return 0
    print(f"{'count':>5}  {'last seen':<20}  query")
    for query in queries:
        print(f"{query.count:>5}  {query.last_seen:<20}  {query.q}")
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
    if args.handler is run_init:
        return run_init(args)
    settings = None
    try:
        settings = settings_from(args)
        require_folders(args.command, settings)
        # jieba's dictionary store in the cache folder, where `bulletin index`, its workers and
        # `bulletin serve` all find the same one.
        use_cache_dir(settings.cache_dir)
        return args.handler(args, settings)
    except (InvalidRequest, MissingFolder) as error:
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
