"""Crashes and restarts, on SQLite and PostgreSQL: real `lens` processes are SIGKILLed mid-work.

- an ingest killed mid-file leaves a consistent database holding whole chunks of that file (a chunk is
  one transaction), and ingesting the file again stores the rest, every row exactly once;
- a `lens process` killed mid-run is shown as failed, with the reason, by the next reader (CLI, API),
  while the API keeps serving the previous completed run.

Every wait polls with a generous deadline: how long a step takes never decides the outcome.
"""

from __future__ import annotations

import csv
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text, update
from sqlalchemy.engine import Engine

from lens_api import create_app
from lens_core.config import Settings
from lens_core.ingest.ingestor import CHUNK_SIZE, ingest_file
from lens_core.samples.generator import write_samples
from lens_core.storage import queries
from lens_core.storage.engine import make_engine, open_engine
from lens_core.storage.models import PipelineRun, utcnow
from tests.conftest import ROOT

T = TypeVar("T")
LENS = [sys.executable, "-m", "lens_core.cli"]
DEADLINE_S = 300.0
STAGE_STOPPED = re.compile(r"the process running it stopped \(killed or crashed\) during (\w+)")


def lens_env(db_url: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": db_url, "EMBEDDING_BACKEND": "hashing", "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT)}


def start_lens(args: list[str], db_url: str, cwd: Path) -> subprocess.Popen:
    # A session of its own, so that the kill reaches its ingest worker processes too.
    return subprocess.Popen(LENS + args, cwd=cwd, env=lens_env(db_url), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def run_lens(args: list[str], db_url: str, cwd: Path) -> subprocess.CompletedProcess:
    result = subprocess.run(LENS + args, check=False, cwd=cwd, env=lens_env(db_url), capture_output=True,
                            text=True, timeout=DEADLINE_S)
    assert result.returncode == 0, result.stderr
    return result


def wait_for(check: Callable[[], T | None], what: str, proc: subprocess.Popen | None = None) -> T:
    """Poll `check` until it returns something; fails if `proc` exits first or the deadline passes."""
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"the process ended before {what}: {proc.communicate()}")
        time.sleep(0.05)
    pytest.fail(f"no {what} within {DEADLINE_S:.0f} s")


def kill(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGKILL)  # no handler, no cleanup, no last write
    proc.communicate(timeout=60)
    assert proc.returncode == -9


def scalar(engine: Engine, sql: str) -> object:
    with engine.connect() as conn:
        return conn.execute(text(sql)).scalar_one()


# -- ingest ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """60,000 events as CSV (about 20 s to ingest on SQLite) and their evaluation_ids."""
    path = tmp_path_factory.mktemp("crash") / "big.csv"
    write_samples(path, n=60_000, seed=11)
    with path.open(newline="", encoding="utf-8") as handle:
        ids = [row["evaluation_id"] for row in csv.DictReader(handle)]
    assert len(ids) == len(set(ids)) == 60_000
    return path, ids


def written_bytes(engine: Engine) -> int:
    """How much an ingest has written so far: SQLite's WAL, or PostgreSQL's heap file."""
    if engine.dialect.name == "sqlite":
        wal = Path(f"{engine.url.database}-wal")
        return wal.stat().st_size if wal.exists() else 0
    return int(scalar(engine, "SELECT pg_relation_size('telemetry_events')"))


def assert_consistent(engine: Engine) -> None:
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalars().all() == ["ok"]
            assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
    orphans = scalar(engine, "SELECT count(*) FROM telemetry_events e LEFT JOIN failure_fingerprints f "
                             "ON f.hash = e.fingerprint WHERE f.hash IS NULL")
    assert orphans == 0


def test_an_ingest_killed_midway_leaves_a_consistent_database_and_can_be_rerun(
    db_url: str, tmp_path: Path, big_sample: tuple[Path, list[str]]
) -> None:
    path, ids = big_sample
    open_engine(db_url).dispose()  # the schema first, so that what the ingest writes is its file alone
    watcher = make_engine(db_url)
    proc = start_lens(["ingest", str(path)], db_url, tmp_path)
    wait_for(lambda: written_bytes(watcher) > 4_000_000, "rows being written", proc)
    kill(proc)

    assert_consistent(watcher)
    kept = scalar(watcher, "SELECT count(*) FROM telemetry_events")
    assert kept < len(ids) and kept % CHUNK_SIZE == 0  # whole chunks only: each is one transaction

    result = run_lens(["ingest", str(path)], db_url, tmp_path)
    assert f"{path.name}: {len(ids) - kept} accepted, {kept} duplicates, 0 rejected" in result.stdout
    assert_consistent(watcher)
    with watcher.connect() as conn:
        stored = conn.execute(text("SELECT evaluation_id FROM telemetry_events")).scalars().all()
    assert len(stored) == len(ids) and set(stored) == set(ids)  # each exactly once
    watcher.dispose()


# -- process --------------------------------------------------------------------------------------------


def running_run(engine: Engine) -> PipelineRun | None:
    """The running run once it is past loading (so it has stopped somewhere worth naming)."""
    with engine.connect() as conn:
        row = conn.execute(text("SELECT id, stage FROM pipeline_runs WHERE status = 'running'")).first()
    if row is None or row.stage in (None, "load"):
        return None
    return queries.get_run(engine=engine, run_id=row.id)


def test_a_process_killed_midrun_is_failed_and_the_previous_run_is_still_served(db_url: str, tmp_path: Path) -> None:
    sample = tmp_path / "telemetry.csv"
    write_samples(sample, n=3000, seed=5)
    engine = open_engine(db_url)
    ingest_file(sample, engine=engine)
    run_lens(["process", "--embedder", "hashing"], db_url, tmp_path)
    previous = queries.latest_run(engine=engine)
    assert previous is not None and previous.status == "completed"

    # Another view: new texts to embed and new UMAP reductions, seconds of work to interrupt.
    proc = start_lens(["process", "--embedder", "hashing", "--view", "intent"], db_url, tmp_path)
    running = wait_for(lambda: running_run(engine), "run past its load stage", proc)
    kill(proc)
    assert running.owner == f"{socket.gethostname()}:{proc.pid}" and running.heartbeat_at is not None

    # The API is the first reader after the kill: it fails the run, and still serves the completed one.
    settings = Settings(_env_file=None, database_url=db_url, embedding_backend="hashing")
    with TestClient(create_app(settings)) as client:
        shown = client.get(f"/runs/{running.id}").json()
        assert shown["status"] == "failed" and shown["finished_at"] is not None
        stage = STAGE_STOPPED.fullmatch(shown["error"]).group(1)
        assert stage in ("embed", "reduce", "cluster", "map", "describe", "store")
        assert [r["run_id"] for r in client.get("/runs").json()] == [running.id, previous.id]
        top = client.get("/clusters/top").json()
        assert top and {c["run_id"] for c in top} == {previous.id}
        assert client.get("/stats/overview").json()["latest_run"]["run_id"] == previous.id

    listed = run_lens(["runs"], db_url, tmp_path).stdout.splitlines()
    assert listed[0].startswith(f"run {running.id} [failed]") and f"during {stage}" in listed[0]
    assert listed[1].startswith(f"run {previous.id} [completed]")
    engine.dispose()


# -- who is judged gone ---------------------------------------------------------------------------------


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_fail_stale_runs_fails_only_runs_whose_process_is_gone(engine: Engine) -> None:
    host, now = socket.gethostname(), utcnow()
    cases = {  # owner, seconds since the last heartbeat, stage -> failed?
        "dead pid here": (f"{host}:{_dead_pid()}", 1, "reduce", True),
        "this process": (f"{host}:{os.getpid()}", 1, "embed", False),
        "live pid here": (f"{host}:{os.getppid()}", 1, "embed", False),
        "another host, beating": ("elsewhere:12", 30, "cluster", False),
        "another host, silent": ("elsewhere:12", 600, "cluster", True),
        "before migrations": ("", None, None, True),  # no owner, no heartbeat: judged by its age
    }
    ids = {}
    for name, (owner, age, stage, _) in cases.items():
        run = queries.create_run(engine=engine, run=PipelineRun(algorithm="hdbscan", view="error", embedder="x"))
        beat = now - timedelta(seconds=age) if age is not None else None
        created = now - timedelta(seconds=age if age is not None else 3600)
        with engine.begin() as conn:
            conn.execute(update(PipelineRun.__table__).where(PipelineRun.__table__.c.id == run.id)
                         .values(owner=owner, heartbeat_at=beat, stage=stage, created_at=created))
        ids[name] = run.id

    failed = queries.fail_stale_runs(engine=engine)

    assert sorted(failed) == sorted(ids[name] for name, case in cases.items() if case[3])
    runs = {r.id: r for r in queries.list_runs(engine=engine)}
    assert runs[ids["dead pid here"]].error == "the process running it stopped (killed or crashed) during reduce"
    assert runs[ids["another host, silent"]].error.endswith("no sign of life from elsewhere:12 for over 120 s")
    assert "during an unknown stage" in runs[ids["before migrations"]].error
    assert runs[ids["this process"]].status == runs[ids["live pid here"]].status == "running"
    assert queries.fail_stale_runs(engine=engine) == []  # failed once; a finished run is never touched
