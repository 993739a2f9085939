"""Is the process that owns a row still alive? Shared by background jobs (jobs.py) and runs (queries).

A row being worked on carries its owner, "host:pid", and a heartbeat time that the owner keeps fresh
(`beating`). The owner is gone when its pid no longer exists on this host (`stopped_here`: a SIGKILL,
a crash, a closed terminal), or, wherever it ran, when its heartbeat is older than STALE_AFTER_S.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

log = logging.getLogger(__name__)

HEARTBEAT_S = 10.0
# Several missed heartbeats: long enough that a busy (GIL-bound) process is not declared dead.
STALE_AFTER_S = 120.0


def owner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def aware(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; every time lens stores is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by another user
    return True


def is_stale(last_seen: datetime | None, now: datetime, after: float = STALE_AFTER_S) -> bool:
    return last_seen is None or now - aware(last_seen) > timedelta(seconds=after)


def stopped_here(owner: str, *, host: str | None = None, me: int | None = None) -> bool:
    """True when `owner` ran on this host and its pid is gone. Another host's process, or this very
    process, is never judged by pid: only a stale heartbeat can tell those."""
    owner_host, _, pid_text = owner.rpartition(":")
    if owner_host != (host or socket.gethostname()) or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    return pid != (me or os.getpid()) and not pid_alive(pid)


@contextmanager
def beating(beat: Callable[[], object], every: float = HEARTBEAT_S) -> Iterator[None]:
    """Call `beat` every `every` seconds on a daemon thread while the block runs (a missed beat is logged)."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(every):
            try:
                beat()
            except Exception:  # retried on the next beat; staleness needs many misses in a row
                log.warning("heartbeat failed", exc_info=True)

    thread = threading.Thread(target=loop, name="lens-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5.0)
