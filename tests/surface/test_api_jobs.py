"""Pipeline jobs as database rows (lens_core.runs.jobs): they survive restarts and never hang as "running".

Each case writes the rows a dead, restarted or distant process would have left and checks what a new
API process (or any reader) makes of them, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from lens_api import create_app
from lens_core.config import Settings
from lens_core.context import build_context
from lens_core.runs import jobs
from lens_core.runs.options import ProcessOptions
from lens_core.storage.engine import open_engine
from lens_core.storage.models import PipelineJob, utcnow


def _dead_pid() -> int:
    """A pid that existed on this host and has exited."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _job(engine, owner: str, *, state: str = "running", age_s: float = 0.0) -> int:
    job = jobs.create_job(engine=engine, options=ProcessOptions.of(embedder="hashing"), owner=owner)
    table = PipelineJob.__table__
    with engine.begin() as conn:
        conn.execute(update(table).where(table.c.id == job.id)
                     .values(state=state, updated_at=utcnow() - timedelta(seconds=age_s)))
    return job.id


def test_a_restart_fails_the_jobs_of_dead_processes_and_keeps_the_rest(settings: Settings) -> None:
    engine = open_engine(settings.database_url)
    host, me = socket.gethostname(), os.getpid()
    dead = _job(engine, f"{host}:{_dead_pid()}")
    mine_unknown = _job(engine, f"{host}:{me}", state="queued")
    mine_live = _job(engine, f"{host}:{me}")
    elsewhere_fresh = _job(engine, "other-host:123")
    elsewhere_stale = _job(engine, "other-host:456", age_s=jobs.STALE_AFTER_S + 60)
    done = _job(engine, f"{host}:{_dead_pid()}", state="completed")

    assert jobs.recover_jobs(engine=engine, live={mine_live}) == 3
    state = {job_id: jobs.get_job(engine=engine, job_id=job_id) for job_id in
             (dead, mine_unknown, mine_live, elsewhere_fresh, elsewhere_stale, done)}
    assert state[dead].state == "failed" and "has stopped" in state[dead].error
    assert state[mine_unknown].state == "failed" and "restarted" in state[mine_unknown].error
    assert state[elsewhere_stale].state == "failed" and "no sign of life" in state[elsewhere_stale].error
    assert [state[j].state for j in (mine_live, elsewhere_fresh, done)] == ["running", "running", "completed"]
    engine.dispose()


def test_the_api_recovers_at_startup_and_readers_never_see_a_stale_job(settings: Settings) -> None:
    engine = open_engine(settings.database_url)
    dead = _job(engine, f"{socket.gethostname()}:{_dead_pid()}")
    with TestClient(create_app(settings, engine=engine)) as client:
        job = client.get(f"/pipeline/jobs/{dead}").json()
        assert job["state"] == "failed" and job["finished_at"] is not None
        # A job from another machine goes stale while this server runs: the read itself fails it.
        distant = _job(engine, "other-host:1", age_s=jobs.STALE_AFTER_S + 1)
        assert client.get(f"/pipeline/jobs/{distant}").json()["state"] == "failed"
    engine.dispose()


def test_heartbeat_keeps_a_job_fresh(settings: Settings) -> None:
    engine = open_engine(settings.database_url)
    owner = jobs.owner_id()
    old = _job(engine, owner, age_s=100)
    assert jobs.heartbeat(engine=engine, owner=owner) == 1
    assert utcnow() - jobs._aware(jobs.get_job(engine=engine, job_id=old).updated_at) < timedelta(seconds=5)
    engine.dispose()


def test_closing_the_runner_fails_the_jobs_still_queued(settings: Settings, monkeypatch) -> None:
    engine = open_engine(settings.database_url)
    started, release = threading.Event(), threading.Event()

    def blocking_run(job_id: int, **_: object) -> None:  # holds the one worker busy
        started.set()
        release.wait(30)

    monkeypatch.setattr(jobs, "run_job", blocking_run)
    runner = jobs.JobRunner(context=build_context(settings, engine=engine))
    first, *rest = [runner.submit(ProcessOptions.of(embedder="hashing", random_state=seed))[0].id for seed in range(3)]
    assert started.wait(30)
    assert runner.live == {first, *rest}
    runner.close()
    release.set()
    for job_id in rest:
        job = jobs.get_job(engine=engine, job_id=job_id)
        assert job.state == "failed" and "stopped before the job started" in job.error
    assert jobs.get_job(engine=engine, job_id=first).state == "queued"  # taken by the worker, not abandoned
    engine.dispose()


def test_jobs_take_their_embedder_from_the_apps_context_so_a_model_loads_once(
    settings: Settings, monkeypatch
) -> None:
    """Each job used to build its own embedder, so a MiniLM model loaded again for every run; the runner
    now asks the app's context, which builds one per backend for the process (assign-on-arrival too)."""
    from lens_core.embed import hashing
    from lens_core.ingest.ingestor import ingest_records
    from lens_core.samples.generator import generate

    built = []
    real = hashing.HashingEmbedder
    # The registry imports its row\'s class when building, so the patched one is what gets built.
    monkeypatch.setattr(hashing, "HashingEmbedder", lambda **options: built.append(options) or real(**options))
    engine = open_engine(settings.database_url)
    ingest_records(generate(80, seed=5)[0], engine=engine)
    app = create_app(settings, engine=engine)
    with TestClient(app) as client:
        for _ in range(2):
            job_id = client.post("/pipeline/process", json={"embedder": "hashing"}).json()["job_id"]
            deadline = time.monotonic() + 120
            while (job := client.get(f"/pipeline/jobs/{job_id}").json())["state"] in jobs.ACTIVE:
                assert time.monotonic() < deadline, job
                time.sleep(0.1)
            assert job["state"] == "completed", job
        event = {**generate(1, seed=9)[0][0], "evaluation_id": "arrived-after-two-runs"}
        assert client.post("/ingest/event?assign=true", json=event).json()["assignment"]["events"] == 1
    assert len(built) == 1  # two jobs and one assignment on arrival, one embedder
    assert app.state.runner.context is app.state.context
    engine.dispose()


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch):
    """The runner's one worker held busy by its first job until `release` is set; no job ever finishes."""
    started, release = threading.Event(), threading.Event()

    def blocking_run(job_id: int, **_: object) -> None:
        started.set()
        release.wait(30)

    monkeypatch.setattr(jobs, "run_job", blocking_run)
    yield started, release
    release.set()


def test_an_identical_request_gets_the_job_still_queued_or_running(settings: Settings, held) -> None:
    engine = open_engine(settings.database_url)
    runner = jobs.JobRunner(context=build_context(settings, engine=engine))
    one, two = ProcessOptions.of(embedder="hashing"), ProcessOptions.of(embedder="hashing", random_state=7)
    first, existing = runner.submit(one)
    assert not existing and held[0].wait(30)  # the worker has it
    again, existing = runner.submit(ProcessOptions.of(embedder="hashing"))  # equal options, built anew
    assert (again.id, existing) == (first.id, True)
    other, existing = runner.submit(two)  # other options: queued behind the first
    assert other.id != first.id and not existing
    assert runner.submit(two)[0].id == other.id
    assert runner.live == {first.id, other.id}

    # A finished job, or one whose owner stopped beating, is no twin: the request gets a job of its own.
    jobs._update(engine, first.id, state="completed")
    abandoned = _job(engine, "other-host:9", state="queued", age_s=jobs.STALE_AFTER_S + 60)
    third, existing = runner.submit(one)
    assert not existing and third.id not in (first.id, abandoned)
    # A live twin queued by another API process on the same database is found as well.
    jobs._update(engine, third.id, state="completed")
    distant = _job(engine, "other-host:10", state="queued")
    twin, existing = runner.submit(one)
    assert (twin.id, existing) == (distant, True)
    runner.close()
    engine.dispose()


def test_the_queue_is_bounded_and_says_so(settings: Settings, held) -> None:
    bounded = settings.model_copy(update={"api_max_queued_jobs": 2})
    engine = open_engine(settings.database_url)
    with TestClient(create_app(bounded, engine=engine)) as client:
        accepted = [client.post("/pipeline/process", json={"embedder": "hashing", "random_state": seed})
                    for seed in (1, 2)]
        assert [r.status_code for r in accepted] == [202, 202]
        full = client.post("/pipeline/process", json={"embedder": "hashing", "random_state": 3})
        assert full.status_code == 429 and full.headers["Retry-After"].isdigit()
        assert full.json()["error"] == "busy_error" and "API_MAX_QUEUED_JOBS" in full.json()["detail"]
        # An identical request is not a new job: it gets its twin even when the queue is full.
        twin = client.post("/pipeline/process", json={"embedder": "hashing", "random_state": 1})
        assert twin.status_code == 202 and twin.json()["existing"] is True
        assert twin.json()["job_id"] == accepted[0].json()["job_id"] and accepted[0].json()["existing"] is False
        held[1].set()  # the held jobs end (as far as the runner knows): room again
        deadline = time.monotonic() + 30
        while client.app.state.runner.live and time.monotonic() < deadline:
            time.sleep(0.05)
        assert client.post("/pipeline/process", json={"embedder": "hashing", "random_state": 3}).status_code == 202
    engine.dispose()
