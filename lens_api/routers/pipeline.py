"""POST /pipeline/process starts a background job; GET /pipeline/jobs/{id} follows it (lens_core.runs.jobs);
POST /pipeline/assign gives events stored since a run to its clusters (lens_core.cluster.assign)."""

from __future__ import annotations

from typing import Any, Optional

from fastapi import APIRouter, Body, Depends, Path
from sqlalchemy.engine import Engine

from lens_api.deps import get_engine, get_runner, get_settings_dep
from lens_api.errors import error_responses
from lens_api.limits import StrictJSONRoute
from lens_api.schemas import MAX_ID, AssignIn, AssignOut, JobAccepted, JobOut, process_in_model
from lens_core.cluster.assign import assign_new_events
from lens_core.config import Settings
from lens_core.runs import jobs
from lens_core.runs.jobs import JobRunner
from lens_core.runs.options import ProcessOptions

router = APIRouter(route_class=StrictJSONRoute, prefix="/pipeline", tags=["pipeline"], responses=error_responses(503))


def add_process_route(target: APIRouter) -> None:
    """POST /pipeline/process, its body generated from the registry as it is when the app is built."""
    process_in = process_in_model()

    def start_processing(
        body: Any = Body(None, description="Options; an empty body runs with the server's defaults"),
        runner: JobRunner = Depends(get_runner),
        settings: Settings = Depends(get_settings_dep),
    ) -> JobAccepted:
        """Queue a processing run (ingested events -> clusters) and answer at once with the job's id.

        A request identical to a job still queued or running gets that job (`existing`: true); when the
        server holds API_MAX_QUEUED_JOBS jobs already, 429 with Retry-After."""
        chosen = body.model_dump(exclude_none=True) if body is not None else {}
        options = ProcessOptions.of(settings, **chosen)  # ConfigError -> 422 now, not a failed job later
        job, existing = runner.submit(options)
        return JobAccepted(job_id=job.id, state=job.state, status_url=f"/pipeline/jobs/{job.id}", existing=existing)

    # The body's model exists only now: FastAPI reads it from the annotation, so it is set as an object.
    start_processing.__annotations__["body"] = Optional[process_in]
    target.add_api_route("/pipeline/process", start_processing, methods=["POST"], status_code=202,
                         response_model=JobAccepted, responses=error_responses(400, 413, 429))


def build_router() -> APIRouter:
    """This module's routes with the process body of the registry as it is now (see create_app)."""
    built = APIRouter(route_class=StrictJSONRoute, tags=["pipeline"], responses=error_responses(503))
    add_process_route(built)
    built.include_router(router)
    return built


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
