"""The process settings a thread that prepares a generation beside the requests works under."""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

# While a generation is prepared beside the requests, a request thread back from I/O (a socket, a
# decompression) waits for the preparing thread to give up the GIL, which it does once per switch
# interval (5 ms by default). At 1 ms, the worst search during one update at 2,700 issues
# (bench.serving, distinct searches from 4 clients) came to 151-290 ms in six runs, median 178 ms,
# against 150-344 ms in nine at 5 ms, median 226 ms. It is a setting of the whole process: 1 ms for
# every request too (as the server's default, searches before an update got slower, 139-226 ms at
# worst against 93 ms), so only while a generation is prepared.
PREPARING_SWITCH_INTERVAL = 0.001

_lock = threading.Lock()
_working = 0
_saved_interval = 0.0
_collecting = False


@contextmanager
def beside_requests() -> Iterator[None]:
    """A short switch interval and no garbage collection while the block runs; at its end, what it
    made is frozen, so collections never walk it. Blocks in several threads at once keep these until
    the last one ends.

    Why no collection: a young collection walks every container made since the last one, and a
    generation's tables are tuples of ~100,000 per-document values (2.1 million references in all for
    an update at 2,700 issues). Each collection that met one held the GIL for 14-48 ms, in whichever
    request thread's allocation set it off, several times while preparing. Freezing at the end moves
    everything young to the permanent generation at no cost: the tables, and whatever the requests
    meanwhile left for collection, which stays. A search leaves none (tests/test_generation.py), a
    page a few objects."""
    global _working, _saved_interval, _collecting
    with _lock:
        if not _working:
            _saved_interval = sys.getswitchinterval()
            _collecting = gc.isenabled()
            sys.setswitchinterval(min(_saved_interval, PREPARING_SWITCH_INTERVAL))
            gc.disable()
        _working += 1
    try:
        yield
    finally:
        with _lock:
            _working -= 1
            if not _working:
                gc.freeze()
                if _collecting:
                    gc.enable()
                sys.setswitchinterval(_saved_interval)
