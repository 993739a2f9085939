"""The job queue's queries: pipeline_jobs rows (lens_core.runs.jobs decides what they mean).

Every write sets `updated_at`, the job's heartbeat; a conditional update applies only from the given
states and says whether it applied, so a job that finished meanwhile keeps its real outcome.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from lens_core.storage.models import PipelineJob, utcnow


def insert_job(*, engine: Engine, job: PipelineJob) -> PipelineJob:
    """Store a new job row; returns it with its id."""
    with Session(engine) as session:
        session.add(job)
        session.commit()
        session.refresh(job)
        return job


def find_job(*, engine: Engine, job_id: int) -> PipelineJob | None:
    with Session(engine) as session:
        return session.get(PipelineJob, job_id)


def update_job(*, engine: Engine, job_id: int, only_states: Collection[str] = (), **values: Any) -> bool:
    """One UPDATE; with `only_states`, it applies only from those states (True when it applied)."""
    table = PipelineJob.__table__
    stmt = update(table).where(table.c.id == job_id)
    if only_states:
        stmt = stmt.where(table.c.state.in_(list(only_states)))
    with engine.begin() as conn:
        return conn.execute(stmt.values(updated_at=utcnow(), **values)).rowcount > 0


def touch_jobs(*, engine: Engine, owner: str, states: Collection[str]) -> int:
    """Refresh `updated_at` of `owner`'s jobs in `states`; returns how many rows were touched."""
    table = PipelineJob.__table__
    stmt = (update(table).where(table.c.owner == owner, table.c.state.in_(list(states)))
            .values(updated_at=utcnow()))
    with engine.begin() as conn:
        return conn.execute(stmt).rowcount


def jobs_in_states(*, engine: Engine, states: Collection[str]) -> list[PipelineJob]:
    with Session(engine) as session:
        stmt = select(PipelineJob).where(PipelineJob.state.in_(list(states)))  # type: ignore[attr-defined]
        return list(session.execute(stmt).scalars().all())
