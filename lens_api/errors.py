"""lens_core's error tree mapped to HTTP once, here; and the guarantee that no request ends in a traceback.

Every 422 has FastAPI's validation shape (`detail: [{loc, msg, type}]`), whether pydantic or lens's
own row validation refused the input, so a client reads one shape and the OpenAPI schema stays true.
Other errors answer `{"detail": message, "error": kind}`; a 503 says only that the database is unavailable
(its host, port, user and name are the server's business: they go to the log).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from lens_api.deps import API_KEY_HEADER, Unauthorized
from lens_core.errors import (
    BusyError,
    ClusteringError,
    ConfigError,
    DependencyError,
    EmbeddingError,
    InputError,
    LensError,
    LLMError,
    NotFoundError,
    ReadOnlyError,
    RowError,
    StorageError,
)

log = logging.getLogger("lens_api")

STORAGE_DETAIL = "the database is unavailable or refused the request; the server log says why"
READ_ONLY_DETAIL = "the database is read-only: this server answers reads but stores nothing; the server log says which"

# Most specific first: the first class the error is an instance of decides.
STATUS_OF: tuple[tuple[type[LensError], int], ...] = (
    (NotFoundError, 404),
    (RowError, 422),
    (InputError, 422),
    (ConfigError, 422),  # settings the server itself cannot use are turned into StorageError in deps
    (ClusteringError, 422),
    (ReadOnlyError, 403),  # not "unavailable": asking again later changes nothing
    (StorageError, 503),
    (BusyError, 429),
    (DependencyError, 501),
    (EmbeddingError, 502),
    (LLMError, 502),
)


class ErrorOut(BaseModel):
    detail: str
    error: str | None = None


def status_of(exc: LensError) -> int:
    return next((status for cls, status in STATUS_OF if isinstance(exc, cls)), 400)


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error answers an operation can give (422 is FastAPI's own)."""
    return {code: {"model": ErrorOut} for code in codes}


def validation_body(loc: list[str | int], msg: str, kind: str) -> dict[str, Any]:
    return {"detail": [{"loc": loc, "msg": msg, "type": kind}]}


def lens_error_response(exc: LensError) -> JSONResponse:
    status = status_of(exc)
    if status == 422:
        field = getattr(exc, "field", None)
        loc: list[str | int] = ["body", field] if field else ["body"]
        return JSONResponse(validation_body(loc, getattr(exc, "reason", None) or exc.message, _kind(exc)), 422)
    if status >= 500 or isinstance(exc, StorageError):
        log.warning("%s: %s", type(exc).__name__, exc.message)
    detail = exc.message
    if isinstance(exc, StorageError):  # the message names the database: the server's business, not the caller's
        detail = READ_ONLY_DETAIL if isinstance(exc, ReadOnlyError) else STORAGE_DETAIL
    headers = {"Retry-After": str(exc.retry_after_s)} if isinstance(exc, BusyError) else None
    return JSONResponse({"detail": detail, "error": _kind(exc)}, status_code=status, headers=headers)


def _kind(exc: Exception) -> str:
    name = type(exc).__name__
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")  # RowError -> row_error


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LensError)
    async def _lens(_: Request, exc: LensError) -> JSONResponse:
        return lens_error_response(exc)

    @app.exception_handler(Unauthorized)
    async def _unauthorized(_: Request, exc: Unauthorized) -> JSONResponse:
        headers = {"WWW-Authenticate": f'ApiKey header="{API_KEY_HEADER}"'} if exc.status_code == 401 else None
        return JSONResponse({"detail": exc.message, "error": "unauthorized"}, exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        # jsonable_encoder: pydantic puts the offending input (bytes, NaN...) in each error; keep it JSON.
        errors = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in exc.errors()]
        return JSONResponse({"detail": jsonable_encoder(errors)}, status_code=422)

    @app.exception_handler(SQLAlchemyError)
    async def _database(_: Request, exc: SQLAlchemyError) -> JSONResponse:
        log.warning("database error: %s", str(getattr(exc, "orig", None) or exc).splitlines()[0:1])
        return JSONResponse({"detail": STORAGE_DETAIL, "error": "storage_error"}, status_code=503)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):
            # FastAPI's answer to a body that is not UTF-8: malformed JSON like any other, so 422.
            return JSONResponse(validation_body(["body"], f"the body is not valid JSON: {exc.__cause__}",
                                                "json_invalid"), 422)
        return JSONResponse({"detail": str(exc.detail), "error": "http_error"}, exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # A bug, not an answer: logged with its traceback for us, a generic line for the client.
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse({"detail": "internal error; the server log has the details", "error": "internal"}, 500)
