"""The app factory: settings in, a FastAPI app out. Routers, error mapping and limits are wired here only.

    app = create_app(Settings(database_url="sqlite:///lens.db"))
    uvicorn.run(app)

Nothing touches the database until the first request or the startup hook, so building the app (and
importing `api`) works with the database down.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from sqlalchemy.engine import Engine

from lens_api.deps import configured_key, engine_of, read_dependencies, write_dependencies
from lens_api.errors import error_responses, install_error_handlers
from lens_api.exposure import ExposureCheck, startup_warnings
from lens_api.limits import BodySizeLimit
from lens_api.routers import clusters, export, health, ingest, patterns, pipeline, runs, stats, trends
from lens_core.config import Settings
from lens_core.context import build_context
from lens_core.errors import LensError, ReadOnlyError
from lens_core.runs.jobs import recover_jobs

log = logging.getLogger("lens_api")

DESCRIPTION = """Find, explain and rank the failure patterns in an AI assistant's telemetry.

Ingest failed responses (`/ingest`), cluster them in the background (`/pipeline/process`, then poll
`/pipeline/jobs/{id}`), and read the clusters, their evidence and the stored runs. When the server has
`LENS_API_KEY` set, every endpoint but `/health` and these docs needs it in the `X-API-Key` header (reads
too, unless the server opened them with `API_OPEN_READS=true`)."""


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> FastAPI:
    """The API over `settings` (default: get_settings()); `engine`, if given, is used instead of DATABASE_URL."""
    context = build_context(settings, engine=engine)
    settings = context.settings
    app = FastAPI(title="lens", version="0.1.0", description=DESCRIPTION, lifespan=_lifespan)
    app.state.context = context  # settings, engine (opened on first use), embedders: lens_api.deps
    app.state.runner = None  # made on the first pipeline request (lens_api.deps.get_runner)
    app.state.runner_lock = threading.Lock()
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.api_max_body_bytes)
    if configured_key(settings) is None:
        app.add_middleware(ExposureCheck)
    app.state.open_reads = _include_routers(app, settings)
    return app


def _include_routers(app: FastAPI, settings: Settings) -> list[str]:
    """Wires the routers; returns the paths that answer without the key although one is set (API_OPEN_READS)."""
    writes, reads = write_dependencies(settings), read_dependencies(settings)
    auth = error_responses(401, 403) if writes else {}
    read_auth = auth if reads else {}
    app.include_router(ingest.router, dependencies=writes, responses=auth)
    app.include_router(pipeline.build_router(), dependencies=writes, responses=auth)
    read_routers = (clusters.router, stats.router, runs.router, export.router, patterns.reads, trends.router)
    for router in read_routers:
        app.include_router(router, dependencies=reads, responses=read_auth)
    app.include_router(patterns.writes, dependencies=writes, responses=auth)
    app.include_router(health.router)

    @app.get("/", include_in_schema=False)
    def _root() -> RedirectResponse:
        return RedirectResponse("/docs")

    if reads or not writes:
        return []
    return sorted({route.path for router in read_routers for route in router.routes})


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.context.settings
    for warning in startup_warnings(settings, key_set=configured_key(settings) is not None,
                                    open_paths=app.state.open_reads):
        log.warning(warning)
    _recover(app)
    try:
        yield
    finally:
        if app.state.runner is not None:
            app.state.runner.close()


def _recover(app: FastAPI) -> None:
    """Fail the jobs a stopped process left queued or running; a database that is down is not fatal here."""
    runner = app.state.runner
    try:
        engine = engine_of(app.state.context)
        recovered = recover_jobs(engine=engine, live=runner.live if runner else ())
    except ReadOnlyError as exc:  # reads are served; the jobs stay as they are stored
        log.warning("jobs left by a stopped process are not marked failed: %s", exc)
        return
    except LensError as exc:
        log.error("database not available at startup (requests will answer 503 until it is): %s", exc)
        return
    if recovered:
        log.warning("%d job(s) left by a stopped process marked failed", recovered)
