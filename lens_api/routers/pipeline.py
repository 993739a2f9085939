"""POST /pipeline/process starts a background job; GET /pipeline/jobs/{id} follows it (lens_core.jobs)."""

from __future__ import annotations

from fastapi import APIRouter, Body, Depends, Path
from sqlalchemy.engine import Engine

from lens_api.deps import get_engine, get_runner, get_settings_dep
from lens_api.errors import error_responses
from lens_api.limits import StrictJSONRoute
from lens_api.schemas import MAX_ID, JobAccepted, JobOut, ProcessIn
from lens_core import jobs
from lens_core.config import Settings
from lens_core.jobs import JobRunner
from lens_core.pipeline import ProcessOptions

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


@router.get("/jobs/{job_id}", response_model=JobOut, responses=error_responses(404))
def get_job(job_id: int = Path(ge=0, le=MAX_ID), engine: Engine = Depends(get_engine)) -> JobOut:
    """State (queued, running, completed, failed), stage, progress 0..1, and the run id once completed."""
    return JobOut.of(jobs.get_job(engine=engine, job_id=job_id))
