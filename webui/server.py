"""waitress for the web app: its limits from config.yaml, and its own error answers with our headers."""

from __future__ import annotations

import gc

from flask import Flask
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, create_server
from waitress.task import ErrorTask

from indexer.lexicon import pinyin
from indexer.normalize import to_simplified, to_traditional
from indexer.settings import WebSettings
from webui.app import SECURITY_HEADERS

IDENT = "bulletin-search"
# The longest URL that passes every cap of parse_request (20 values of 40 characters for each of three
# filters, percent-encoded) is about 25 KB; waitress's own default lets each connection hold 256 KB.
MAX_REQUEST_HEADER_SIZE = 64 * 1024
# A full collection (Python's generation 2) walks every tracked object with the GIL held, pausing every
# request: 55-70 ms at 2,700 issues with the result and stored-field caches full (0.24 s before the
# per-generation tables became tuples and plain dicts, which it leaves out). A generation is prepared
# with collection off and frozen after (engine.background.beside_requests); the server's modules and
# dictionaries (pypinyin's phrases alone are ~190,000 lists) are frozen here, and full collections come
# after this many collections of the middle generation instead of 10; the young ones stay as they are,
# a few ms each.
FULL_COLLECTION_AFTER = 1000


class SecureErrorTask(ErrorTask):
    """waitress answers a malformed request (400), an oversized header (431) or a crash (500) itself,
    without calling the app, so the app's after_request never adds its security headers to them."""

    def execute(self):
        self.response_headers.extend(SECURITY_HEADERS.items())
        super().execute()


class SecureChannel(HTTPChannel):
    error_task_class = SecureErrorTask


def make_server(app: Flask, web: WebSettings):
    """A waitress server for app on web.host:web.port (0: any free port), not yet running."""
    socket_map: dict = {}
    server = create_server(
        app,
        map=socket_map,
        host=web.host,
        port=web.port,
        threads=web.threads,
        connection_limit=web.connection_limit,
        channel_timeout=web.channel_timeout,
        # Idle connections are closed at the first cleanup after channel_timeout; checking three times
        # as often keeps their lifetime close to it (waitress checks every 30 s by default).
        cleanup_interval=max(1, web.channel_timeout // 3),
        max_request_header_size=MAX_REQUEST_HEADER_SIZE,
        ident=IDENT,
    )
    # One listening server per address (127.0.0.1 and ::1 for "localhost"); each makes the channels
    # of its connections from its channel_class.
    for listener in list(socket_map.values()):
        if isinstance(listener, BaseWSGIServer):
            listener.channel_class = SecureChannel
    return server


def serve(app: Flask, web: WebSettings) -> None:
    pinyin()  # read on first use elsewhere; here before the freeze, so its tables are frozen too
    # OpenCC builds each converter on first use, holding the GIL throughout (s2t: ~70 ms alone, 184 ms
    # seen under load), which would pause every request of the first reader whose snippet needs it.
    to_simplified("中國")
    to_traditional("中国")
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_AFTER)
    make_server(app, web).run()
