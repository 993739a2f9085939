"""Run ingest's CPU work (lens_core.ingest.prepare) on chunks in worker processes, results in order.

Validating, parsing an error blob and masking its message is pure CPU work in Python, most of ingest;
one process keeps one core busy. Chunks go to a pool of worker processes and come back in order, a
few at a time (memory stays bounded on a file of millions of rows), while the calling process reads
the file and writes to the database. Small inputs never start a pool: the first chunk is prepared in
the calling process and a pool starts only when a second chunk arrives.

Workers come from a fork server (where the platform has one; "spawn" elsewhere), never from a plain
fork: the API and the dashboard call ingest from threads, and forking a threaded process can copy a held
lock into the child. The fork server is a single-threaded process started once per calling process; it
imports WORKER_MODULES once, and each worker is forked from it ready to run. Workers do not run the
caller's main script again, as multiprocessing otherwise makes them (lens_core.runtime's lazy main: under a
caller that imports the clustering stack at the top, that cost seconds of CPU per worker per ingest).
Workers end with the calling process, even one killed with SIGKILL (lens_core.runtime.stop_with); the
fork server and multiprocessing's resource tracker then exit by themselves.
A broken pool (a worker killed) makes the rest of the input run in the calling process, with a warning:
slower, never lost.
"""

from __future__ import annotations

import functools
import logging
import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.context import BaseContext
from typing import TypeVar

from lens_core import runtime

log = logging.getLogger(__name__)

MAX_WORKERS = 4
# Imported once, in the fork server: every worker forked from it has them. lens_core.runtime first: its
# import keeps the workers from running the caller's main script again (see install_lazy_main there).
WORKER_MODULES = ("lens_core.runtime", "lens_core.ingest.prepare")
In = TypeVar("In")
Out = TypeVar("Out")


def default_workers() -> int:
    """Worker processes: one per core, at most MAX_WORKERS; on one core none (the work runs in the
    calling process). LENS_INGEST_WORKERS overrides (0: no pool)."""
    configured = os.environ.get("LENS_INGEST_WORKERS", "").strip()
    if configured:
        try:
            return max(0, int(configured))
        except ValueError:
            log.warning("LENS_INGEST_WORKERS=%r is not a number; using the default", configured)
    cores = os.cpu_count() or 1
    return 0 if cores <= 1 else min(cores, MAX_WORKERS)


def warm_up(workers: int | None = None) -> None:
    """Start the fork server now, in the background, for a pool that is about to be needed (a large file,
    while it is read): the pool then forks its workers at once instead of waiting for the server to
    import WORKER_MODULES. The server lives as long as this process, as it does once a pool has run."""
    workers = default_workers() if workers is None else workers
    if workers > 0 and _context().get_start_method() == "forkserver":
        threading.Thread(target=_start_fork_server, name="lens-fork-server", daemon=True).start()


def _start_fork_server() -> None:
    try:
        from multiprocessing import forkserver  # POSIX only: imported where there is one

        forkserver.ensure_running()
    except Exception:  # the pool will try again, and run the chunks here if it cannot
        log.debug("the fork server could not start ahead of the pool", exc_info=True)


def map_chunks(function: Callable[[In], Out], chunks: Iterable[In], workers: int | None = None) -> Iterator[Out]:
    """function(chunk) for each chunk, in input order; `function` must pickle (a module-level function,
    or a functools.partial of one)."""
    workers = default_workers() if workers is None else workers
    iterator = iter(chunks)
    first = next(iterator, None)
    if first is None:
        return
    second = next(iterator, None)
    if workers <= 0 or second is None:
        yield function(first)
        if second is not None:
            yield function(second)
        for chunk in iterator:
            yield function(chunk)
        return
    yield from _in_pool(function, _chain(first, second, iterator), workers)


def _chain(first: In, second: In, rest: Iterator[In]) -> Iterator[In]:
    yield first
    yield second
    yield from rest


def _in_pool(function: Callable[[In], Out], chunks: Iterator[In], workers: int) -> Iterator[Out]:
    """Chunks through a pool, in order. The pool starts in a thread, and until its workers are up (the
    fork server, unless warm_up started it, first imports WORKER_MODULES) the chunks run in this process
    instead of waiting for it."""
    starting: Future[ProcessPoolExecutor | None] = Future()
    starter = threading.Thread(target=_start_pool, args=(workers, starting), name="lens-ingest-pool", daemon=True)
    starter.start()
    window: deque[tuple[In, Future[Out] | None]] = deque()
    try:
        for chunk in chunks:
            if not starting.done():
                yield function(chunk)  # nothing is queued yet, so the order is kept
                continue
            pool = starting.result()
            window.append((chunk, _submit(pool, function, chunk) if pool else None))
            if len(window) > 2 * workers:  # enough queued to keep every worker busy; no more in memory
                yield _result(function, window.popleft())
        while window:
            yield _result(function, window.popleft())
    finally:
        starter.join()
        pool = starting.result()
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _start_pool(workers: int, starting: Future[ProcessPoolExecutor | None]) -> None:
    """Start the pool and its workers; the future gets it, or None if it could not start."""
    pool = None
    try:
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=_context(), initializer=runtime.stop_with,
                                   initargs=(os.getpid(),))
        pool.submit(int).result()  # returns once the workers run (all start with the first task)
    except Exception as exc:  # noqa: BLE001  (no pool: the chunks run in this process, as without one)
        log.warning("ingest worker processes could not start (%s); working in this process", exc)
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        pool = None
    starting.set_result(pool)


@functools.cache
def _context() -> BaseContext:
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")  # Windows
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(WORKER_MODULES))
    return context


def _submit(pool: ProcessPoolExecutor, function: Callable[[In], Out], chunk: In) -> Future[Out] | None:
    try:
        return pool.submit(function, chunk)
    except (BrokenProcessPool, RuntimeError):
        return None  # run in this process when its turn comes


def _result(function: Callable[[In], Out], item: tuple[In, Future[Out] | None]) -> Out:
    chunk, future = item
    if future is not None:
        try:
            return future.result()
        except BrokenProcessPool:
            log.warning("an ingest worker process stopped; doing the rest in this process")
        except Exception:  # e.g. a Python caller's value that does not pickle: this chunk runs here
            log.debug("a chunk could not go through a worker; running it in this process", exc_info=True)
    return function(chunk)
