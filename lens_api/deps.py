"""What handlers receive: the app's context (settings, engine, embedders), the job runner and the API-key checks.

The app holds one lens_core.context.AppContext (app.state.context). Its engine is opened on first use, so
that importing `api` or starting the server never fails because the database is down: requests answer
503 until it is back, and /health says why.
"""

from __future__ import annotations

import hmac
import logging

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader
from sqlalchemy.engine import Engine

from lens_core.config import Settings
from lens_core.context import AppContext
from lens_core.errors import LensError, StorageError
from lens_core.runs.jobs import JobRunner

log = logging.getLogger("lens_api")

API_KEY_HEADER = "X-API-Key"
api_key_header = APIKeyHeader(name=API_KEY_HEADER, auto_error=False, description="The server's LENS_API_KEY")


class Unauthorized(Exception):
    """No key sent (401) or a wrong one (403); mapped in lens_api.errors."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message


def engine_of(context: AppContext) -> Engine:
    """The context's engine, made (with its tables) on first use; a failure is retried on the next use."""
    try:
        return context.engine
    except StorageError:
        raise
    except LensError as exc:  # an unusable DATABASE_URL is the server's fault, not the client's
        raise StorageError(f"the database is not configured correctly: {exc}") from None


def configured_key(settings: Settings) -> str | None:
    """LENS_API_KEY, with a blank value meaning "no key" (as `LENS_API_KEY=` in a .env file)."""
    key = settings.lens_api_key.get_secret_value() if settings.lens_api_key else ""
    return key if key.strip() else None


def get_context(request: Request) -> AppContext:
    return request.app.state.context


def get_settings_dep(request: Request) -> Settings:
    return get_context(request).settings


def get_engine(request: Request) -> Engine:
    return engine_of(get_context(request))


def get_runner(request: Request) -> JobRunner:
    """The app's one job runner, made on the first pipeline request; its jobs share the context's embedders."""
    context = get_context(request)
    with request.app.state.runner_lock:
        if request.app.state.runner is None:
            engine_of(context)  # a database that is down answers 503 here, before any job is queued
            request.app.state.runner = JobRunner(context=context)
        return request.app.state.runner


def require_api_key(
    settings: Settings = Depends(get_settings_dep), sent: str | None = Security(api_key_header)
) -> None:
    """Constant-time comparison, so response timing says nothing about how much of a guess was right."""
    expected = configured_key(settings)
    if expected is None:
        return
    if not sent:
        raise Unauthorized(401, f"this endpoint needs the API key in the {API_KEY_HEADER} header")
    if not hmac.compare_digest(sent.encode("utf-8"), expected.encode("utf-8")):
        raise Unauthorized(403, f"the {API_KEY_HEADER} header does not hold the right key")


def write_dependencies(settings: Settings) -> list:
    """Writes and pipeline calls need the key whenever one is set, API_OPEN_READS or not."""
    return [Security(require_api_key)] if configured_key(settings) else []


def read_dependencies(settings: Settings) -> list:
    """Reads need it too (they return raw telemetry) unless API_OPEN_READS opens them; the schema shows which."""
    return [Security(require_api_key)] if configured_key(settings) and not settings.api_open_reads else []
