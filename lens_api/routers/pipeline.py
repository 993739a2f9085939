"""POST /pipeline/process starts a background job; GET /pipeline/jobs/{id} follows it (lens_core.runs.jobs);
POST /pipeline/assign gives events stored since a run to its clusters (lens_core.cluster.assign)."""

from __future__ import annotations

from fastapi import APIRouter, Body, Depends, Path
from sqlalchemy.engine import Engine

from lens_api.deps import get_engine, get_runner, get_settings_dep
from lens_api.errors import error_responses
from lens_api.limits import StrictJSONRoute
from lens_api.schemas import MAX_ID, AssignIn, AssignOut, JobAccepted, JobOut, ProcessIn
from lens_core.runs import jobs
from lens_core.cluster.assign import assign_new_events
from lens_core.config import Settings
from lens_core.runs.jobs import JobRunner
from lens_core.runs.pipeline import ProcessOptions

router = APIRouter(route_class=StrictJSONRoute, prefix="/pipeline", tags=["pipeline"], responses=error_responses(503))


@router.post("/process", status_code=202, response_model=JobAccepted, responses=error_responses(400, 413))
def start_processing(
    body: ProcessIn | None = Body(None, description="Options; an empty body runs with the server's defaults"),
    runner: JobRunner = Depends(get_runner),
    settings: Settings = Depends(get_settings_dep),
) -> JobAccepted:
    """Queue a processing run (ingested events -> clusters) and answer at once with the job's id."""
    chosen = (body or ProcessIn()).model_dump(exclude_none=True)
    options = ProcessOptions.from_settings(settings, **chosen)
    options.validate()  # ConfigError -> 422 now, not a failed job later
    job = runner.submit(options)
    return JobAccepted(job_id=job.id, state=job.state, status_url=f"/pipeline/jobs/{job.id}")


@router.post("/assign", response_model=AssignOut, responses=error_responses(400, 404, 413))
def assign_new(
    body: AssignIn | None = Body(None, description="Options; an empty body uses the latest completed run"),
    engine: Engine = Depends(get_engine),
    settings: Settings = Depends(get_settings_dep),
) -> AssignOut:
    """Assign events stored since a run to its clusters without clustering again (`lens assign`).

    Events that fit no cluster go to the run's novel bucket (label -1). Safe to repeat: an event is
    assigned once per run. Call it after ingesting to see new events in the clusters at once.
    """
    chosen = body or AssignIn()
    report = assign_new_events(
        engine=engine, settings=settings, run_id=chosen.run_id, distance_factor=chosen.distance_factor
    )
    return AssignOut.of(report)


@router.get("/jobs/{job_id}", response_model=JobOut, responses=error_responses(404))
def get_job(job_id: int = Path(ge=0, le=MAX_ID), engine: Engine = Depends(get_engine)) -> JobOut:
    """State (queued, running, completed, failed), stage, progress 0..1, and the run id once completed."""
    return JobOut.of(jobs.get_job(engine=engine, job_id=job_id))
