"""The `bulletin` console script: the indexer's subcommands plus `serve`."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Sequence

from indexer import cli as indexer_cli
from indexer.settings import Settings
from indexer.wordseg import read_dictionary_ahead


def run_serve(args: argparse.Namespace, settings: Settings) -> int:
    from webui.app import create_app

    web = dataclasses.replace(
        settings.web,
        host=args.host or settings.web.host,
        port=args.port or settings.web.port,
        threads=args.threads or settings.web.threads,
    )
    settings = settings.with_overrides(web=web)
    app = create_app(settings)
    read_dictionary_ahead(settings.domain)
    print(f"serving {settings.index_dir} on http://{web.host}:{web.port}/", file=sys.stderr)
    if args.debug:
        app.run(host=web.host, port=web.port, debug=True)
    else:
        from webui import server

        server.serve(app, web)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = indexer_cli.build_parser()
    commands = next(action for action in parser._actions if isinstance(action, argparse._SubParsersAction))
    serve = commands.add_parser("serve", help="serve the web UI and JSON API")
    indexer_cli.add_common(serve)
    serve.add_argument("--host", help="address to listen on (default from config.yaml: 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default from config.yaml)")
    serve.add_argument("--threads", type=int, help="worker threads (default from config.yaml: 16)")
    serve.add_argument("--debug", action="store_true", help="Flask's debug server instead of waitress")
    serve.set_defaults(handler=run_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    return indexer_cli.main(argv, build_parser())


if __name__ == "__main__":
    sys.exit(main())
