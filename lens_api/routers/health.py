"""GET /health: is the database reachable, is the embedding model there. Never shows URLs or keys."""

from __future__ import annotations

import logging
from importlib import metadata

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from lens_api.deps import engine_of
from lens_api.schemas import Check, Health
from lens_core.config import Settings
from lens_core.embed.minilm import bundled_model_path
from lens_core.errors import LensError
from lens_core.storage import stats

router = APIRouter(tags=["health"])
log = logging.getLogger("lens_api")


@router.get("/health", response_model=Health, responses={503: {"model": Health}})
def health(request: Request) -> JSONResponse:
    """200 when the database answers (status "degraded" if the model is missing); 503 when it does not."""
    settings: Settings = request.app.state.context.settings
    database = _database(request)
    model = model_check(settings)
    status = "unavailable" if not database.ok else ("ok" if model.ok else "degraded")
    body = Health(status=status, database=database, model=model, embedding_backend=settings.embedding_backend,
                  version=_version())
    return JSONResponse(body.model_dump(mode="json"), status_code=200 if database.ok else 503)


def _database(request: Request) -> Check:
    try:
        engine = engine_of(request.app.state.context)
        stats.ping(engine=engine)
    except LensError as exc:
        log.warning("health: %s", exc)  # the detail (host, driver message) goes to the log only
        return Check(ok=False, detail="not reachable; the server log says why")
    return Check(ok=True, detail=f"{engine.dialect.name} answers")


def model_check(settings: Settings) -> Check:
    """Whether the configured backend can embed, judged without loading a model or calling a service."""
    backend = settings.embedding_backend
    if backend == "minilm":
        try:
            bundled_model_path()
        except LensError as exc:
            return Check(ok=False, detail=str(exc))
        return Check(ok=True, detail="all-MiniLM-L6-v2 model files present")
    if backend == "openai":
        if settings.openai_api_key is None:
            return Check(ok=False, detail="EMBEDDING_BACKEND is openai but OPENAI_API_KEY is not set")
        return Check(ok=True, detail=f"openai configured ({settings.embedding_model}); not called by this check")
    return Check(ok=True, detail=f"{backend} needs no model")


def _version() -> str:
    try:
        return metadata.version("lens")
    except metadata.PackageNotFoundError:
        return "dev"
