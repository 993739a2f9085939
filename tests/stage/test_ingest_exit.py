"""A `lens ingest` killed with SIGKILL leaves no process behind: its ingest workers exit with it, and then
multiprocessing's fork server and resource tracker (lens_core.runtime.stop_with, lens_core.ingest.parallel);
and stop_with itself ends a process when the one it watches ends, through a pidfd or by asking now and then.

Only the `lens` process itself is killed (never its process group, which would kill the helpers directly);
the test then watches its session (`lens` runs in a new one, and every helper it starts stays in it).
Processes are read from /proc, so the test runs on Linux only.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

import pytest

from lens_core.samples.generator import write_samples
from lens_core.storage.engine import open_engine
from tests.conftest import ROOT

PROC = Path("/proc")
DEADLINE_S = 300.0  # for the ingest to start its workers: a loaded machine imports slowly
GONE_WITHIN_S = 30.0  # before the watch, its helpers lived on indefinitely

pytestmark = pytest.mark.skipif(not (PROC / "self" / "stat").exists(), reason="reads processes from /proc (Linux)")


class Process(NamedTuple):
    pid: int
    parent: int
    state: str
    command: str


def in_session(session: int) -> list[Process]:
    """The live processes of a session (zombies are gone: they wait only for their parent to reap them)."""
    found = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # ended meanwhile
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (name) ": state, ppid, pgrp, session
        if int(fields[3]) == session and fields[0] != "Z":
            found.append(Process(int(entry.name), int(fields[1]), fields[0], command.strip()))
    return found


def workers_of(lens: int) -> list[Process]:
    """Processes forked by a helper of `lens` (the fork server's children: the ingest workers)."""
    processes = in_session(lens)
    helpers = {p.pid for p in processes if p.parent == lens}
    return [p for p in processes if p.parent in helpers]


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """60,000 events: tens of seconds of ingest, so that it is still running when its workers are up."""
    path = tmp_path_factory.mktemp("exit") / "big.csv"
    write_samples(path, n=60_000, seed=11)
    return path


def test_a_killed_ingest_leaves_no_worker_fork_server_or_tracker(db_url: str, big_file: Path, tmp_path: Path) -> None:
    open_engine(db_url).dispose()  # the schema first: the ingest goes straight to its file
    env = {**os.environ, "DATABASE_URL": db_url, "EMBEDDING_BACKEND": "hashing", "LOG_LEVEL": "WARNING",
           "LENS_INGEST_WORKERS": "2", "PYTHONPATH": str(ROOT)}
    lens = subprocess.Popen([sys.executable, "-m", "lens_core.cli", "ingest", str(big_file)], cwd=tmp_path, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + DEADLINE_S
        while not workers_of(lens.pid):
            if lens.poll() is not None:
                pytest.fail(f"the ingest ended before its workers started: {lens.stderr.read()}")
            if time.monotonic() > deadline:
                pytest.fail(f"no ingest worker within {DEADLINE_S:.0f} s: {in_session(lens.pid)}")
            time.sleep(0.05)
        helpers = in_session(lens.pid)
        assert any("resource_tracker" in p.command for p in helpers), helpers  # all three kinds are watched
        assert any("forkserver" in p.command and p.parent == lens.pid for p in helpers), helpers

        lens.kill()  # SIGKILL, to the `lens` process alone
        lens.wait(timeout=60)
        assert lens.returncode == -signal.SIGKILL

        deadline = time.monotonic() + GONE_WITHIN_S
        while (left := in_session(lens.pid)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert left == [], f"still running {GONE_WITHIN_S:.0f} s after `lens ingest` was killed: {left}"
    finally:
        lens.stderr.close()
        try:
            os.killpg(lens.pid, signal.SIGKILL)  # whatever a failure left behind
        except ProcessLookupError:
            pass


WATCHER = """
import os, sys, time
from lens_core import runtime
if sys.argv[2] == "poll":
    del os.pidfd_open  # as on a system without pidfds
runtime.stop_with(int(sys.argv[1]))
print("watching", flush=True)
time.sleep(600)
"""


@pytest.mark.parametrize("how", ["pidfd", "poll"])
def test_stop_with_ends_this_process_when_the_watched_one_ends(how: str) -> None:
    watched = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    watcher = subprocess.Popen([sys.executable, "-c", WATCHER, str(watched.pid), how], cwd=ROOT,
                               env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, text=True)
    try:
        assert watcher.stdout.readline() == "watching\n"
        time.sleep(1)  # the watcher may not end while the watched process runs
        assert watcher.poll() is None
        watched.kill()
        watched.wait(timeout=60)
        assert watcher.wait(timeout=GONE_WITHIN_S) == 1
    finally:
        for process in (watched, watcher):
            process.kill()
            process.wait()
        watcher.stdout.close()
