"""gRPC statuses as each stack prints them (Go's "rpc error: code = ... desc = ...", grpcio's StatusCode.X,
io.grpc's StatusRuntimeException, grpc-js's "14 UNAVAILABLE: ...", .NET's RpcException), read inside any form;
and the canonical codes with the HTTP status each maps to. None raises on odd input; each search is linear.
"""

from __future__ import annotations

import re

NODE_SCAN = 20_000  # characters of a text searched for grpc-js's "14 UNAVAILABLE: ..." (no literal to look for)

# Canonical codes in numeric order (google/rpc/code.proto): GRPC_CODES[14] == "UNAVAILABLE".
GRPC_CODES = ("OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
              "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
              "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED")
# The HTTP status each code maps to (code.proto's comments). For later stages: the parser never turns a
# gRPC code into a status, since no HTTP response was stated.
GRPC_HTTP_STATUS: dict[str, int] = {
    "OK": 200, "CANCELLED": 499, "UNKNOWN": 500, "INVALID_ARGUMENT": 400, "DEADLINE_EXCEEDED": 504,
    "NOT_FOUND": 404, "ALREADY_EXISTS": 409, "PERMISSION_DENIED": 403, "RESOURCE_EXHAUSTED": 429,
    "FAILED_PRECONDITION": 400, "ABORTED": 409, "OUT_OF_RANGE": 400, "UNIMPLEMENTED": 501, "INTERNAL": 500,
    "UNAVAILABLE": 503, "DATA_LOSS": 500, "UNAUTHENTICATED": 401,
}
_GRPC_ALIASES = {"CANCELED": "CANCELLED"}  # Go's codes.Canceled prints as "Canceled"
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_GRPC_GO = re.compile(r"\brpc error: code = ([A-Za-z_]{2,40}) desc = ([^\n]*)")  # Go status.Error
_GRPC_PY = re.compile(r"\bStatusCode\.([A-Z_]{2,40})\b(?:[,:] ?([^\n]*))?")  # grpcio: StatusCode.UNAVAILABLE
_GRPC_PY_DETAILS = re.compile(r"^[ \t]*details = \"([^\n]*)\"[ \t]*$", re.M)  # <_InactiveRpcError ...> field
_GRPC_JAVA = re.compile(r"\bStatus(?:Runtime)?Exception: ([A-Z_]{2,40})\b(?:: ?([^\n]*))?")  # io.grpc
_GRPC_NODE = re.compile(r"\b(\d{1,2}) ([A-Z_]{2,40}): ([^\n]*)")  # grpc-js: "14 UNAVAILABLE: No connection"
_GRPC_NET = re.compile(r"\bStatusCode=\"([A-Za-z]{2,40})\", Detail=\"([^\n]*)")  # Grpc.Core.RpcException


def grpc_code(name: str) -> str | None:
    """The canonical code a spelling names ("Unavailable", "DeadlineExceeded", "UNAVAILABLE"), else None."""
    upper = name.upper() if name.isupper() or "_" in name else _CAMEL_BOUNDARY.sub("_", name).upper()
    upper = _GRPC_ALIASES.get(upper, upper)
    return upper if upper in GRPC_HTTP_STATUS else None


def grpc_status(text: str) -> tuple[str, str | None] | None:
    """(canonical code, the status's description) that a text states, or None. Every pattern starts
    with a literal, so a search stays linear in the text."""
    if "rpc error" in text:
        match = _GRPC_GO.search(text)
        if match and grpc_code(match.group(1)):
            return grpc_code(match.group(1)), match.group(2).strip() or None  # type: ignore[return-value]
    if "StatusCode" in text:
        found = _grpc_python(text) or _grpc_dotnet(text)
        if found:
            return found
    if "Exception: " in text:
        match = _GRPC_JAVA.search(text)
        if match and grpc_code(match.group(1)):
            return grpc_code(match.group(1)), (match.group(2) or "").strip() or None  # type: ignore[return-value]
    for match in _GRPC_NODE.finditer(text, 0, NODE_SCAN):
        number, name = int(match.group(1)), match.group(2)
        if number < len(GRPC_CODES) and GRPC_CODES[number] == name:
            return name, match.group(3).strip() or None
    return None


def _grpc_python(text: str) -> tuple[str, str | None] | None:
    match = _GRPC_PY.search(text)
    if not match or not grpc_code(match.group(1)):
        return None
    details = _GRPC_PY_DETAILS.search(text)
    detail = details.group(1) if details else (match.group(2) or "").rstrip(")>")  # older "(StatusCode.X, why)"
    return grpc_code(match.group(1)), detail.strip() or None  # type: ignore[return-value]


def _grpc_dotnet(text: str) -> tuple[str, str | None] | None:
    match = _GRPC_NET.search(text)
    if not match or not grpc_code(match.group(1)):
        return None
    detail = match.group(2)
    end = detail.find('", DebugException=')
    detail = detail[:end] if end >= 0 else detail.rstrip().rstrip(")").rstrip('"')
    return grpc_code(match.group(1)), detail.strip() or None  # type: ignore[return-value]

