"""Worker processes for `bulletin index`: tasks run on all cores, a few in flight at a time, and no
worker outlives its parent."""

from __future__ import annotations

import ctypes
import os
import signal
import threading
import time
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from indexer.errors import WorkerDied
from indexer.index_folder import fault_point

IN_FLIGHT_PER_WORKER = 3
# How often a worker looks for its parent where the kernel cannot be asked to kill it with the parent.
PARENT_POLL_SECONDS = 1.0
PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int) -> None:
    """Pool initializer: a worker must not outlive a parent killed with SIGKILL, which runs no cleanup.

    On Linux the kernel sends the worker SIGKILL when its parent dies (prctl PR_SET_PDEATHSIG);
    elsewhere a thread looks for a new parent every second. Ctrl-C is left to the parent, which
    stops the pool, so the workers print no tracebacks of their own.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        asked_kernel = libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL) == 0
    except (OSError, AttributeError):
        asked_kernel = False
    # The parent may have died before prctl took effect (then this worker already has a new parent).
    if parent != parent_pid and not process_alive(parent_pid):
        os._exit(1)
    if not asked_kernel:
        threading.Thread(target=watch_parent, args=(parent,), daemon=True).start()


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_SECONDS)
    os._exit(1)


def run_in_workers(function, argument_lists: list[tuple], workers: int, minimum: int):
    """function(*arguments) for each, in order, on all cores when there are at least `minimum` tasks.

    Only a few tasks are in flight at once, so results do not pile up unread in memory.
    """
    if len(argument_lists) < minimum or workers <= 1:
        yield from (function(*arguments) for arguments in argument_lists)
        return
    pool = ProcessPoolExecutor(max_workers=workers, initializer=die_with_parent, initargs=(os.getpid(),))
    try:
        pending = deque()
        for arguments in argument_lists:
            pending.append(pool.submit(function, *arguments))
            if len(pending) >= workers * IN_FLIGHT_PER_WORKER:
                yield pending.popleft().result()
                fault_point("workers-running")
        while pending:
            yield pending.popleft().result()
            fault_point("workers-running")
    except BrokenProcessPool as error:
        raise WorkerDied(
            "a worker process of `bulletin index` died (killed, or out of memory); the index is as it "
            "was: run `bulletin index` again"
        ) from error
    except BaseException:
        # Ctrl-C or a failed task: the running tasks are abandoned, not awaited (writing a segment
        # takes a while). The executor has no public way to stop its workers.
        for process in list((pool._processes or {}).values()):
            process.kill()
        raise
    finally:
        pool.shutdown(cancel_futures=True)
