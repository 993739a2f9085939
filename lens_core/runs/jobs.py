"""Background processing jobs: a `process()` run requested now, done later, followed by its database row.

    runner = JobRunner(context=build_context(settings))
    job, existing = runner.submit(options)  # a queued row (or an identical request's); returns at once
    get_job(engine=engine, job_id=job.id) # state, stage, progress 0..1, run_id or error

A job is a `PipelineJob` row, never process memory: its state survives a restart and reads the same
from every process sharing the database. The process that runs a job owns it (`owner` = "host:pid")
and keeps its `updated_at` fresh (a heartbeat, plus every progress write). A queued or running job whose
owner died is failed with a reason: at startup by `recover_jobs` (a dead pid on this host, or a row this
process owns but does not know), and by anyone after `STALE_AFTER_S` without a heartbeat.
Jobs take their embedder from the context's cache, so the model loads once per process, not once per job.
The queue is bounded (API_MAX_QUEUED_JOBS per process; beyond it BusyError) and a request identical to a
job still queued or running anywhere on the database gets that job back instead of a second run.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import socket
import threading
import time
from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from lens_core.context import AppContext
from lens_core.errors import BusyError, LensError, NotFoundError
from lens_core.runs.liveness import HEARTBEAT_S, STALE_AFTER_S, owner_id
from lens_core.runs.liveness import aware as _aware
from lens_core.runs.liveness import pid_alive as _pid_alive
from lens_core.runs.options import ProcessOptions
from lens_core.runs.pipeline import process
from lens_core.runs.progress import RunProgress
from lens_core.storage import jobs as job_store
from lens_core.storage.models import PipelineJob, utcnow

log = logging.getLogger(__name__)

ACTIVE = ("queued", "running")
# Progress callbacks can fire per embedding batch; the row is written at most this often per stage.
PROGRESS_WRITE_S = 0.5


# -- rows ---------------------------------------------------------------------------------------------


def create_job(*, engine: Engine, options: ProcessOptions, owner: str | None = None) -> PipelineJob:
    job = PipelineJob(state="queued", options=options.record(), owner=owner or owner_id())
    return job_store.insert_job(engine=engine, job=job)


def active_twin(*, engine: Engine, options: ProcessOptions) -> PipelineJob | None:
    """The oldest live job (queued or running, heartbeat fresh) asked with the same options, if any.

    Compared as stored (a JSON round trip), so a tuple and a list of the same values are one request."""
    wanted = json.loads(json.dumps(options.record()))
    now = utcnow()
    twins = [job for job in job_store.jobs_in_states(engine=engine, states=ACTIVE)
             if job.options == wanted and not _is_stale(job, now)]
    return min(twins, key=lambda job: job.id, default=None)


def get_job(*, engine: Engine, job_id: int) -> PipelineJob:
    """The job's row; a job whose owner stopped beating is failed first, so no reader sees it hang."""
    job = _read(engine, job_id)
    if job.state in ACTIVE and _is_stale(job, utcnow()):
        _fail(engine, job_id, f"abandoned: no sign of life from {job.owner} for over {STALE_AFTER_S:.0f} s")
        job = _read(engine, job_id)
    return job


def _read(engine: Engine, job_id: int) -> PipelineJob:
    job = job_store.find_job(engine=engine, job_id=job_id)
    if job is None:
        raise NotFoundError(f"job {job_id} does not exist")
    return job


def _update(engine: Engine, job_id: int, *, only_states: Collection[str] = (), **values: object) -> bool:
    """One UPDATE; with `only_states`, it applies only from those states (True when it applied)."""
    return job_store.update_job(engine=engine, job_id=job_id, only_states=only_states, **values)


def _fail(engine: Engine, job_id: int, reason: str) -> bool:
    # Only from an active state: a job that finished meanwhile keeps its real outcome.
    return _update(engine, job_id, only_states=ACTIVE, state="failed", error=reason, finished_at=utcnow())


def _is_stale(job: PipelineJob, now: datetime) -> bool:
    return now - _aware(job.updated_at) > timedelta(seconds=STALE_AFTER_S)


def heartbeat(*, engine: Engine, owner: str) -> int:
    """Refresh every active job of `owner`; returns how many rows were touched."""
    return job_store.touch_jobs(engine=engine, owner=owner, states=ACTIVE)


def recover_jobs(*, engine: Engine, live: Collection[int] = ()) -> int:
    """At startup: fail the active jobs no process is running any more; returns how many.

    A job is dead when its heartbeat is stale, or when its owner is on this host and is either a dead
    pid or this very process without the job among `live` (a previous process that had the same pid,
    as the first process of a container always has).
    """
    host, me, now = socket.gethostname(), os.getpid(), utcnow()
    active = job_store.jobs_in_states(engine=engine, states=ACTIVE)
    failed = 0
    for job in active:
        reason = _death_reason(job, host=host, me=me, live=live, now=now)
        if reason and _fail(engine, job.id, reason):
            log.warning("job %s failed at startup: %s", job.id, reason)
            failed += 1
    return failed


def _death_reason(job: PipelineJob, *, host: str, me: int, live: Collection[int], now: datetime) -> str | None:
    if _is_stale(job, now):
        return f"abandoned: no sign of life from {job.owner} for over {STALE_AFTER_S:.0f} s"
    owner_host, _, pid_text = job.owner.rpartition(":")
    if owner_host != host or not pid_text.isdigit():
        return None  # another machine's process: only its heartbeat can tell
    pid = int(pid_text)
    if pid == me and job.id not in live:
        return "abandoned: the API process that owned it restarted"
    if pid != me and not _pid_alive(pid):
        return f"abandoned: the API process {job.owner} that owned it has stopped"
    return None


# -- running ------------------------------------------------------------------------------------------


class _Progress:
    """process()'s progress -> the job row's stage and overall progress, throttled."""

    def __init__(self, engine: Engine, job_id: int) -> None:
        self.engine, self.job_id = engine, job_id
        self._stage: str | None = None
        self._written = 0.0

    def __call__(self, step: RunProgress) -> None:
        now = time.monotonic()
        if step.stage == self._stage and now - self._written < PROGRESS_WRITE_S and step.fraction < 1.0:
            return
        self._stage, self._written = step.stage, now
        _update(self.engine, self.job_id, stage=step.stage, progress=round(step.overall, 4))


def run_job(job_id: int, *, context: AppContext, options: ProcessOptions) -> None:
    """Run one queued job to its end and record the outcome on its row; never raises once the context's
    engine is open (the runner's is: it was opened to queue the job)."""
    engine = context.engine
    try:
        if not _update(engine, job_id, only_states=("queued",), state="running", stage="load", progress=0.0):
            log.info("job %s is no longer queued; not running it", job_id)
            return
        outcome = process(engine=engine, settings=context.settings, options=options,
                          embedder=context.embedder(options.embedder), progress=_Progress(engine, job_id))
        _update(engine, job_id, state="completed", progress=1.0, run_id=outcome.run_id, error=None,
                finished_at=utcnow())
    except LensError as exc:
        _record_failure(engine, job_id, str(exc))
    except Exception as exc:  # noqa: BLE001 - a worker thread has no caller: the row is where it is reported
        log.exception("job %s failed unexpectedly", job_id)
        _record_failure(engine, job_id, f"{type(exc).__name__}: {exc}")


def _record_failure(engine: Engine, job_id: int, reason: str) -> None:
    log.warning("job %s failed: %s", job_id, reason)
    try:
        _update(engine, job_id, state="failed", error=reason, finished_at=utcnow())
    except Exception:  # noqa: BLE001 - database gone too: the heartbeat stops and staleness fails the job
        log.exception("could not record the failure of job %s", job_id)


class JobRunner:
    """Runs submitted jobs one at a time on a daemon thread and keeps their heartbeat.

    One at a time because a run already uses the machine's cores; other requests wait as "queued", at
    most `max_jobs` of them with the running one: each is a whole run's CPU, so a client told "busy" can
    come back later, while a queue of thousands would never drain.
    Threads start on the first submit and stop on `close()`; a later submit starts fresh ones (each pair
    has its own queue and stop flag, so a worker still finishing a job never takes the new work).
    """

    def __init__(self, *, context: AppContext, max_jobs: int | None = None) -> None:
        self.context = context
        self.engine = context.engine
        self.max_jobs = max_jobs or context.settings.api_max_queued_jobs
        self.owner = owner_id()
        self._lock = threading.Lock()
        self._submitting = threading.Lock()
        self._live: set[int] = set()
        self._queue: queue.Queue[tuple[int, ProcessOptions] | None] | None = None
        self._stop = threading.Event()

    @property
    def live(self) -> set[int]:
        with self._lock:
            return set(self._live)

    def submit(self, options: ProcessOptions) -> tuple[PipelineJob, bool]:
        """Queue a job for `options`; returns it and whether it is an identical request's job that was
        already queued or running (then nothing new is queued). BusyError when the queue is full."""
        with self._submitting:  # one check-then-insert at a time, so two identical requests make one job
            twin = active_twin(engine=self.engine, options=options)
            if twin is not None:
                return twin, True
            if len(self.live) >= self.max_jobs:
                raise BusyError(f"{len(self.live)} processing jobs are queued or running, the most this server "
                                f"holds (API_MAX_QUEUED_JOBS); ask again when one has finished")
            job = create_job(engine=self.engine, options=options, owner=self.owner)
            with self._lock:
                self._live.add(job.id)
                if self._queue is None:
                    self._start()
                assert self._queue is not None
                self._queue.put((job.id, options))
        return job, False

    def _start(self) -> None:
        self._queue, self._stop = queue.Queue(), threading.Event()
        threading.Thread(target=self._work, args=(self._queue,), name="lens-job-worker", daemon=True).start()
        threading.Thread(target=self._beat, args=(self._stop,), name="lens-job-heartbeat", daemon=True).start()

    def _work(self, jobs: queue.Queue[tuple[int, ProcessOptions] | None]) -> None:
        while (item := jobs.get()) is not None:
            job_id, options = item
            try:
                run_job(job_id, context=self.context, options=options)
            finally:
                with self._lock:
                    self._live.discard(job_id)

    def _beat(self, stop: threading.Event) -> None:
        while not stop.wait(HEARTBEAT_S):
            try:
                heartbeat(engine=self.engine, owner=self.owner)
            except Exception:  # noqa: BLE001 - a missed beat is retried; staleness needs many in a row
                log.warning("job heartbeat failed", exc_info=True)

    def close(self) -> None:
        """Stop taking work: jobs still queued are failed; the one running finishes on its thread."""
        with self._lock:
            jobs, self._queue = self._queue, None
            self._stop.set()
        if jobs is None:
            return
        while True:
            try:
                item = jobs.get_nowait()
            except queue.Empty:
                break
            if item is not None:
                self._abandon(item[0])
        jobs.put(None)

    def _abandon(self, job_id: int) -> None:
        try:
            _fail(self.engine, job_id, "the API process stopped before the job started")
        except Exception:  # noqa: BLE001 - shutting down with the database gone: staleness fails it later
            log.warning("could not mark job %s failed", job_id, exc_info=True)
        with self._lock:
            self._live.discard(job_id)
