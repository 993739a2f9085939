"""What the API takes in: a body size limit, and JSON as the standard defines it.

Body limit: over `max_bytes` is refused with 413 before the handler parses anything. A declared
Content-Length is checked before a byte is read; a body streamed without one (chunked) is counted as it
arrives and cut off at the limit, so neither way can make the server buffer more.

Strict JSON: Python's json module accepts NaN, Infinity and 1e999 (which becomes infinity); none is JSON,
and PostgreSQL's JSON columns refuse them, so they are refused here as malformed JSON (422), as is a
body nested deeper than the decoder can go.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

TOO_LARGE = "request body over the limit of {limit:,} bytes (API_MAX_BODY_BYTES)"


class BodySizeLimit:
    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared == -1:
            await _reply(send, 400, "the Content-Length header is not a whole number")
            return
        if declared is not None and declared > self.max_bytes:
            await _reply(send, 413, TOO_LARGE.format(limit=self.max_bytes))
            return
        await self.app(scope, self._counting(receive), send)

    def _counting(self, receive: Receive) -> Receive:
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    # Raised inside the handler's body read: FastAPI re-raises HTTPExceptions from there,
                    # and the exception middleware turns it into the 413 answer.
                    raise HTTPException(413, TOO_LARGE.format(limit=self.max_bytes))
            return message

        return counted


def _content_length(scope: Scope) -> int | None:
    """The declared length, None when absent, -1 when unreadable."""
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else -1
    return None


async def _reply(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail, "error": "request_too_large" if status == 413 else "bad_request"})
    headers: list[Any] = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status == 413:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body.encode()})


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text} is too large for JSON")
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


class StrictJSONRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            # A ValueError here reaches lens_api.errors as FastAPI's 400 "error parsing the body": 422 there.
            body = await self.body()
            try:
                self._json = json.loads(body, parse_constant=_no_constant, parse_float=_finite)
            except RecursionError:  # nested deeper than Python's decoder goes: malformed for us too
                raise ValueError("nested too deeply (lens reads JSON up to several hundred levels deep)") from None
        return self._json


class StrictJSONRoute(APIRoute):
    """A route whose JSON body is parsed strictly (see the module docstring)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            return await handler(StrictJSONRequest(request.scope, request.receive))

        return strict
