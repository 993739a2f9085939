"""Parse and fingerprint chunks of events in worker processes while the caller validates and stores.

Parsing an error blob and masking its message is pure CPU work in Python, the largest part of ingest;
one process keeps one core busy. Chunks go to a pool of worker processes and come back in order, a
few at a time (memory stays bounded on a file of millions of rows), while the calling process reads,
validates and writes to the database. That is a full-time job too (reading, validating and storing
cost about as much as parsing), so by default the pool has one worker per core but one: on 2 cores one
worker ingested 100k events 4 to 8% faster than two, which left three busy processes on two cores.
Small inputs never start a pool: the first chunk is parsed in the calling process and a pool starts
only when a second chunk arrives.

Workers are started with "spawn", never "fork": the API and the dashboard call ingest from threads,
and forking a threaded process can copy a held lock into the child. A broken pool (a worker killed)
makes the rest of the input parse in the calling process, with a warning: slower, never lost.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from lens_core.fingerprint import Fingerprinter
from lens_core.parsing import ErrorParser
from lens_core.schema import Fingerprint, ParsedError, TelemetryEvent

log = logging.getLogger(__name__)

MAX_WORKERS = 4
Parsed = list[tuple[ParsedError, Fingerprint]]
Chunk = TypeVar("Chunk", bound=list[TelemetryEvent])


def default_workers() -> int:
    """Worker processes: one per core but one (the calling process's), at most MAX_WORKERS; on one core
    none. LENS_INGEST_WORKERS overrides (0: no pool, parse in the calling process)."""
    configured = os.environ.get("LENS_INGEST_WORKERS", "").strip()
    if configured:
        try:
            return max(0, int(configured))
        except ValueError:
            log.warning("LENS_INGEST_WORKERS=%r is not a number; using the default", configured)
    return min(max((os.cpu_count() or 1) - 1, 0), MAX_WORKERS)


def parse_pairs(pairs: list[tuple[str, str]]) -> Parsed:
    """(skill_output, skill_input) -> (parsed error, fingerprint); what each worker runs."""
    parser, fingerprinter = ErrorParser(), Fingerprinter()
    out: Parsed = []
    for skill_output, skill_input in pairs:
        parsed = parser.parse(skill_output, skill_input=skill_input)
        out.append((parsed, fingerprinter.fingerprint(parsed)))
    return out


def _pairs(events: list[TelemetryEvent]) -> list[tuple[str, str]]:
    return [(event.skill_output, event.skill_input) for event in events]


def parse_chunks(chunks: Iterable[Chunk], workers: int | None = None) -> Iterator[tuple[Chunk, Parsed]]:
    """Each chunk with its parsed errors and fingerprints, in input order."""
    workers = default_workers() if workers is None else workers
    iterator = iter(chunks)
    first = next(iterator, None)
    if first is None:
        return
    second = next(iterator, None)
    if workers <= 0 or second is None:
        yield first, parse_pairs(_pairs(first))
        if second is not None:
            yield second, parse_pairs(_pairs(second))
        for chunk in iterator:
            yield chunk, parse_pairs(_pairs(chunk))
        return
    yield from _in_pool(_chain(first, second, iterator), workers)


def _chain(first: Chunk, second: Chunk, rest: Iterator[Chunk]) -> Iterator[Chunk]:
    yield first
    yield second
    yield from rest


def _in_pool(chunks: Iterator[Chunk], workers: int) -> Iterator[tuple[Chunk, Parsed]]:
    window: deque[tuple[Chunk, Future[Parsed] | None]] = deque()
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
    try:
        for chunk in chunks:
            window.append((chunk, _submit(pool, chunk)))
            if len(window) > 2 * workers:  # enough queued to keep every worker busy; no more in memory
                yield _result(window.popleft())
        while window:
            yield _result(window.popleft())
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _submit(pool: ProcessPoolExecutor, chunk: Chunk) -> Future[Parsed] | None:
    try:
        return pool.submit(parse_pairs, _pairs(chunk))
    except (BrokenProcessPool, RuntimeError):
        return None  # parsed in this process when its turn comes


def _result(item: tuple[Chunk, Future[Parsed] | None]) -> tuple[Chunk, Parsed]:
    chunk, future = item
    if future is not None:
        try:
            return chunk, future.result()
        except BrokenProcessPool:
            log.warning("an ingest worker process stopped; parsing the rest in this process")
    return chunk, parse_pairs(_pairs(chunk))
