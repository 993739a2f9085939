"""What any text states outright, whatever form it came in: the HTTP status ("HTTP 429", "503 Service
Unavailable"), the call (endpoint, method), the plugin ("[Calendar]", "Teams API", "plugin=Mail"), a leading
exception or provider code name ("TimeoutError: ...", "ServiceUnavailable (503): ...") and the root cause
urllib3 names ("(Caused by NameResolutionError(...))"). Every form reader and the JSON walk share these scans.
"""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any

from lens_core.parse.endpoints import CANONICAL_PLUGINS, KNOWN_PLUGINS, normalize_plugin

MAX_MESSAGE = 2000  # characters kept of a message
SCAN = 20_000  # text heuristics read the head of long blobs (tracebacks: the tail)

# --- shared patterns, compiled once -----------------------------------------------------------
_URL = re.compile(r"\bhttps?://[^\s\"<>]+", re.I)
_METHOD_PATH = re.compile(r"\b(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\s+(https?://|/)([^\s\"<>]*)")


def clean_text(text: Any) -> str | None:
    """Collapse whitespace and cap the length; empty -> None."""
    if not isinstance(text, str):
        return None
    text = " ".join(text[: MAX_MESSAGE * 4].split())  # each whitespace run one space, ends stripped
    return text[:MAX_MESSAGE] or None


# --- free text: status codes, URLs, plugin names ------------------------------------------------
_PHRASES = sorted({s.phrase for s in HTTPStatus} | {"Gateway Time-out", "Request-URI Too Long",
                  "Client Error", "Server Error", "Unprocessable Entity"}, key=len, reverse=True)
_STATUS_PATTERNS = tuple(re.compile(p) for p in (  # case-insensitive parts marked (?i:): CamelCase must stay cased
    r"(?i:\bHTTP(?:/\d(?:\.\d)?)?\s*(?:status|error)?)\s*:?\s*([1-5]\d\d)\b",  # HTTP 429, HTTP/1.1 503
    r"(?i:\bstatus(?:[\s_-]?code)?\s*(?:of|is|was)?)\s*[:=]?\s*[\"']?([1-5]\d\d)\b",  # status code 403
    # 503 Service Unavailable, .NET's 401 (Unauthorized)
    r"\b([1-5]\d\d)\s*[-:(]?\s*(?i:" + "|".join(map(re.escape, _PHRASES)) + r")\b",
    r"\b([1-5]\d\d)\s+(?:[A-Z][a-z]+){2,}\b",  # 429 TooManyRequests (a status, then the provider's code)
    # ServiceUnavailable (503), failed (401)
    r"(?:\b(?:[A-Z][a-z]+){2,}|(?i:\b(?:error|status|code|failed|failure)))\s*\(([1-5]\d\d)\)",
    r"(?i:\b(?:returned|responded with|error code|error|code))\s*:?\s*([1-5]\d\d)\b",  # returned 500
    # go-github's "POST https://x/y: 422 Validation Failed"; a method only after a space or the start, so
    # the URL scans of two matches never overlap ("GET /GET /GET ..." stays linear)
    r"(?<![^\s\"'(\[])(?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) (?:https?://|/)\S*?: ([1-5]\d\d)\b",
))
_STATUS_LIKE = re.compile(r"[1-5]\d\d")
NOT_PLUGINS = frozenset({"graph", "rest", "web", "http", "https", "microsoft", "the", "this", "copilot",
                          "client", "server", "remote", "upstream", "backend", "azure", "openai",
                          "public", "internal", "external", "admin", "beta", "batch", "plugin", "an", "a"})
_PLUGIN_API = re.compile(r"\b(To Do|[A-Z][A-Za-z]+)\s+(?:API|[Pp]lugin)\b")  # "To Do API"
_PLUGIN_KV = re.compile(r"\bplugin(?:[_ ]?name)?\s*[=:]\s*[\"']?([A-Za-z][\w-]*)", re.I)  # plugin=Calendar
_PLUGIN_CAMEL = re.compile(r"\b([A-Z][A-Za-z]+)Plugin\b")  # CalendarPlugin
_PLUGIN_BRACKET = re.compile(r"\[(" + "|".join(map(re.escape, KNOWN_PLUGINS)) + r")\]", re.I)
LOG_PREFIX = re.compile(
    r"^(?:[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ [\w./-]+(?:\[\d+\])?:\s+)?"  # BSD syslog: date host prog[pid]:
    r"(?:\[?\d{4}-\d\d-\d\d[T ][\d:.,]+(?:Z|[+-]\d\d:?\d\d)?\]?\s*)?"  # timestamp
    r"(?:\[?(?:ERROR|ERR|WARN|WARNING|CRITICAL|FATAL|INFO|DEBUG)\]?:?\s+)?"  # level
    r"(?:\[([A-Za-z][A-Za-z _-]{0,30})\]:?\s*)?"  # [Plugin] tag (no digits: "[req-42]" is no plugin)
)
_LEADING_NAME = re.compile(r"^([A-Za-z_][\w.]{0,120})\s*(?:\(([1-5]\d\d)\))?\s*:(?!:)\s*(.*)$", re.S)
_EXC_NAME = re.compile(r"^(?:[A-Za-z_]\w*\.)*[A-Z]\w*(?:Error|Exception|Timeout|Fault|Failure|Exit|Interrupt)$")
_CODE_NAME = re.compile(r"^(?:[A-Z][a-z0-9]+){2,}$|^[a-z]+(?:_[a-z]+)+$")  # ServiceUnavailable, invalid_grant


def find_status(text: str) -> int | None:
    """The HTTP status a text states ("HTTP 429", "status code 403", "503 Service Unavailable")."""
    if not _STATUS_LIKE.search(text):
        return None  # every pattern needs one: one cheap scan instead of six
    for pattern in _STATUS_PATTERNS:
        match = pattern.search(text)
        if match:
            return int(match.group(1))
    return None


def _find_endpoint(text: str) -> tuple[str | None, str | None]:
    """(endpoint, method): "POST /me/sendMail" or the first URL in the text."""
    if "/" not in text:
        return None, None  # both patterns need one
    call = _METHOD_PATH.search(text)
    if call:
        return _trim_url(call.group(2) + call.group(3)), call.group(1)
    url = _URL.search(text)
    return (_trim_url(url.group(0)) if url else None), None


def _trim_url(url: str) -> str:
    url = url.rstrip(".,;:!?'\"]")
    return url[:-1] if url.endswith(")") and "(" not in url else url


def _find_plugin(text: str) -> str | None:
    if "[" not in text and "API" not in text and "plugin" not in text.lower():
        return None  # what each pattern needs: "[Calendar]", "Teams API", "plugin=", "CalendarPlugin"
    for pattern in (_PLUGIN_BRACKET, _PLUGIN_KV, _PLUGIN_CAMEL, _PLUGIN_API):
        for match in pattern.finditer(text):
            if match.group(1).lower() not in NOT_PLUGINS:
                return normalize_plugin(match.group(1))
    return None


def scan_text(text: str) -> dict[str, Any]:
    """Fields any text may state outright: status, endpoint, method, plugin."""
    return {"status_code": find_status(text[:SCAN]), **scan_call(text)}


def scan_call(text: str) -> dict[str, Any]:
    """What a text says about the call: endpoint, method, plugin."""
    head = text[:SCAN]
    endpoint, method = _find_endpoint(head)
    return {"endpoint": endpoint, "http_method": method, "plugin": _find_plugin(head)}


def leading_name(text: str) -> tuple[dict[str, Any], str] | None:
    """ "TimeoutError: ..." -> type; "ServiceUnavailable (503): ..." -> code and status."""
    match = _LEADING_NAME.match(text[:SCAN])
    if not match:
        return None
    name, status, rest = match.groups()
    if _EXC_NAME.match(name):
        found: dict[str, Any] = {"error_type": name}
    elif _CODE_NAME.match(name) and name.lower() not in CANONICAL_PLUGINS:
        found = {"error_code": name}
    else:
        return None
    if status:
        found["status_code"] = int(status)
    return found, rest


# urllib3 and requests name the real failure inside their own: "Max retries exceeded with url: /x (Caused by
# NameResolutionError(...))". That inner class is the root cause, the outer one (ConnectionError) its carrier.
_CAUSED_BY = re.compile(r"\(Caused by ([A-Za-z_][\w.]{0,120}(?:Error|Exception|Timeout))\(")


def caused_by(message: str | None) -> str | None:
    if not message or "(Caused by " not in message:
        return None
    match = _CAUSED_BY.search(message[:SCAN])
    return match.group(1) if match else None

