"""Who can reach the API without the key, said in the log: at start-up, when binding, and on the first request
that shows the server is reachable from another machine.

The API serves raw telemetry (prompts, plugin outputs, answers) and starts runs that cost CPU and LLM tokens,
so an open door is worth a warning every time the process starts. `uvicorn api:app --host ...` binds without
telling the app where, so the address a request arrived on (the ASGI scope's `server`) is the one sure sign.
"""

from __future__ import annotations

import ipaddress
import logging
from typing import Any

from lens_core.config import Settings, is_loopback

log = logging.getLogger("lens_api")

NO_KEY_RISK = ("anyone who can reach this server can read every stored event (raw prompts and outputs), write "
               "events and start runs")


def startup_warnings(settings: Settings, *, key_set: bool, open_paths: list[str]) -> list[str]:
    """What the start-up log says about access: no key at all, or a key with reads opened explicitly."""
    if not key_set:
        return [f"LENS_API_KEY is not set: {NO_KEY_RISK}; keep the server on 127.0.0.1 or set a key"]
    if settings.api_open_reads:
        return ["API_OPEN_READS is true: these reads answer without the key, raw telemetry included: "
                + ", ".join(open_paths)]
    return []


def bind_warning(host: str, *, key_set: bool) -> str | None:
    """The warning for binding to `host`, or None when it is loopback or a key guards the API."""
    if key_set or is_loopback(host):
        return None
    return f"binding to {host}, which other machines can reach, without LENS_API_KEY: {NO_KEY_RISK}"


class ExposureCheck:
    """ASGI middleware, installed only when no key is set: warns once when a request arrives on an address
    other than loopback (the server was bound there, whatever API_HOST says)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.warned = False

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if not self.warned and scope["type"] == "http" and scope.get("server"):
            host = str(scope["server"][0])
            if _is_address(host) and not is_loopback(host):
                self.warned = True
                log.warning("a request arrived on %s, so this server is reachable from other machines, and "
                            "LENS_API_KEY is not set: %s", host, NO_KEY_RISK)
        await self.app(scope, receive, send)


def _is_address(host: str) -> bool:
    """TestClient's "testserver" and other names say nothing about the interface; only addresses do."""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True
