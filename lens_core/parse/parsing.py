"""ErrorParser: what a skill_output says about a failure, whatever shape it arrived in.

Forms: "json" (an object, or a JSON string of one), "traceback" (Python), "stacktrace" (JVM, .NET,
Node.js, Go panics), "xml" (S3 / AWS / SOAP error bodies), "html" (gateway error pages), "text" (log
lines) and "empty"; a gRPC status is read inside any of them (those readers live in `parse_forms`).
A field the blob does not state stays None: the parser reads, it never guesses. It never raises
either: one odd row must not stop an ingest of a hundred thousand.
`skill_input` is read only as a fallback for plugin, endpoint and method.
"""

from __future__ import annotations

import ast
import functools
import html
import json
import logging
import re
from http import HTTPStatus
from itertools import islice
from typing import Any

from lens_core.parse.endpoints import (  # noqa: F401  (endpoint_template and friends are re-exported)
    CANONICAL_PLUGINS,
    DOTTED_CALL,
    KNOWN_PLUGINS,
    endpoint_template,
    normalize_endpoint,
    normalize_plugin,
)
from lens_core.parse.forms import (  # noqa: F401  (GRPC_HTTP_STATUS is re-exported for later stages)
    GRPC_HTTP_STATUS,
    grpc_status,
    looks_like_stacktrace,
    looks_like_xml,
    parse_xml,
    read_stacktrace,
    xml_as_dict,
    xml_error_fields,
)
from lens_core.schema import ParsedError

log = logging.getLogger(__name__)

# Bump when the parser reads different fields from the same skill_output (lens_core.parse.versions says why).
PARSER_VERSION = "p1"
MAX_MESSAGE = 2000  # characters kept of a message
MAX_DEPTH = 16  # nested JSON is walked no deeper than this ...
MAX_NODES = 2000  # ... and through no more objects than this (wide or adversarial blobs)
SCAN = 20_000  # text heuristics read the head of long blobs (tracebacks: the tail)
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
# --- shared patterns, compiled once -----------------------------------------------------------
_URL = re.compile(r"\bhttps?://[^\s\"<>]+", re.I)
_METHOD_PATH = re.compile(r"\b(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\s+(https?://|/)([^\s\"<>]*)")
def _clean(text: Any) -> str | None:
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
_NOT_PLUGINS = frozenset({"graph", "rest", "web", "http", "https", "microsoft", "the", "this", "copilot",
                          "client", "server", "remote", "upstream", "backend", "azure", "openai",
                          "public", "internal", "external", "admin", "beta", "batch", "plugin", "an", "a"})
_PLUGIN_API = re.compile(r"\b(To Do|[A-Z][A-Za-z]+)\s+(?:API|[Pp]lugin)\b")  # "To Do API"
_PLUGIN_KV = re.compile(r"\bplugin(?:[_ ]?name)?\s*[=:]\s*[\"']?([A-Za-z][\w-]*)", re.I)  # plugin=Calendar
_PLUGIN_CAMEL = re.compile(r"\b([A-Z][A-Za-z]+)Plugin\b")  # CalendarPlugin
_PLUGIN_BRACKET = re.compile(r"\[(" + "|".join(map(re.escape, KNOWN_PLUGINS)) + r")\]", re.I)
_LOG_PREFIX = re.compile(
    r"^(?:\[?\d{4}-\d\d-\d\d[T ][\d:.,]+(?:Z|[+-]\d\d:?\d\d)?\]?\s*)?"  # timestamp
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
            if match.group(1).lower() not in _NOT_PLUGINS:
                return normalize_plugin(match.group(1))
    return None


def _scan_text(text: str) -> dict[str, Any]:
    """Fields any text may state outright: status, endpoint, method, plugin."""
    return {"status_code": find_status(text[:SCAN]), **_scan_call(text)}


def _scan_call(text: str) -> dict[str, Any]:
    """What a text says about the call: endpoint, method, plugin."""
    head = text[:SCAN]
    endpoint, method = _find_endpoint(head)
    return {"endpoint": endpoint, "http_method": method, "plugin": _find_plugin(head)}


def _leading_name(text: str) -> tuple[dict[str, Any], str] | None:
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


def _caused_by(message: str | None) -> str | None:
    if not message or "(Caused by " not in message:
        return None
    match = _CAUSED_BY.search(message[:SCAN])
    return match.group(1) if match else None


def _parse_text(text: str) -> dict[str, Any]:
    prefix = _LOG_PREFIX.match(text)
    body = text[prefix.end():] if prefix else text
    fields = _scan_text(text)
    tag = prefix.group(1) if prefix else None
    if tag and tag.lower() not in _NOT_PLUGINS:
        fields["plugin"] = normalize_plugin(tag)
    leading = _leading_name(body)
    if leading:
        found, body = leading
        fields.update({k: v for k, v in found.items() if v is not None})
    if caused := _caused_by(body):
        fields["error_type"] = caused
    fields["message"] = body
    embedded = _embedded_json(text)
    if embedded:  # "Graph call failed: {"error": {...}}": the object is the more specific statement
        fields.update({k: v for k, v in embedded.items() if v is not None})
    return fields


def _embedded_json(text: str) -> dict[str, Any] | None:
    """The fields of an object that ends a text: JSON, or the repr of a Python dict, which Python SDKs
    print into their messages ("Error code: 429 - {'error': {...}}", "The server responded with: {...}")."""
    start = text.find("{", 0, SCAN)
    if start <= 0 or not text.rstrip().endswith("}") or len(text) > 200_000:
        return None
    obj = _loads(text[start:])
    if obj is None:
        obj = _python_literal(text[start:]) if "'" in text[start:] else None
    if obj is None:
        obj = _js_literal(text[start:])
    return _fields_from_json(obj) if isinstance(obj, dict) else None


MAX_LITERAL = 20_000  # characters of a Python repr read with ast.literal_eval (it builds the whole object)
MAX_JS_LITERAL = 4000  # an unclosed quote makes each later quote scan to the end: bounded, it stays cheap
# Node's util.inspect prints objects with bare keys and single-quoted strings ("data: { errors: { f: 'x' } }"):
# a quoted string is one token (its inside untouched), a bare key before ":" gets quotes, then JSON reads it.
_JS_TOKEN = re.compile(r"""'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|([A-Za-z_$][\w$]*)(\s*:)""")


def _python_literal(text: str) -> Any:
    """ast.literal_eval for a short, shallow repr: it evaluates literals only (no code runs); None otherwise."""
    if len(text) > MAX_LITERAL or text.count("{") + text.count("[") > 200:
        return None
    try:
        return ast.literal_eval(text.strip())
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None


def _js_literal(text: str) -> Any:
    """A JavaScript object literal as Node prints it, read as JSON; None when it is not one (or too long)."""
    if len(text) > MAX_JS_LITERAL:
        return None
    return _loads(_JS_TOKEN.sub(_js_token_as_json, text))


def _js_token_as_json(match: re.Match[str]) -> str:
    token = match.group(0)
    if match.group(1):
        return json.dumps(match.group(1)) + match.group(2)
    if token.startswith("'"):
        return json.dumps(token[1:-1].replace("\\'", "'"))
    return token


# --- Python tracebacks --------------------------------------------------------------------------
_TRACEBACK = "Traceback (most recent call last):"
_FRAME = re.compile(r'^[ \t]+File "([^"]+)", line \d+.*$', re.M)
_PLUGIN_PATH = re.compile(r"(?:^|[\\/])plugins[\\/]([A-Za-z_][\w-]*)[\\/]")
_EXC_LINE = re.compile(r"^([A-Za-z_][\w.]*)(?::[ \t]?(.*))?$", re.S)


def _parse_traceback(text: str) -> dict[str, Any]:
    tail = text[-SCAN:]
    frames = list(_FRAME.finditer(tail))
    plugin = None
    for frame in reversed(frames):  # the innermost frame inside a plugin folder names the plugin
        folder = _PLUGIN_PATH.search(frame.group(1))
        if folder:
            plugin = normalize_plugin(folder.group(1))
            break
    start = frames[-1].end() if frames else max(tail.rfind(_TRACEBACK), 0) + len(_TRACEBACK)
    lines = tail[start:].splitlines()
    # After the last frame come its indented source and caret lines, then the exception itself.
    while lines and (not lines[0].strip() or lines[0][:1].isspace()):
        lines.pop(0)
    final = "\n".join(lines).strip()
    match = _EXC_LINE.match(final)
    error_type, message = (match.group(1), match.group(2)) if match else (None, final)
    fields = _scan_text(message or "")
    fields.update(plugin=plugin or fields["plugin"], error_type=_caused_by(message) or error_type, message=message)
    embedded = _embedded_json(message) if message else None
    if embedded:  # "openai.RateLimitError: Error code: 429 - {'error': {...}}": the body says more
        fields.update({k: v for k, v in embedded.items() if v is not None and k != "error_type"})
    return fields


# --- HTML error pages ---------------------------------------------------------------------------
_HTML_SNIFF = re.compile(r"^\s*(?:<\?xml[^>]*>\s*)?<(?:!doctype\s+html|html|head|body|title|h1)\b", re.I)
_HEADINGS = tuple((re.compile(rf"<{tag}\b[^>]*>", re.I), re.compile(rf"</{tag}\s*>", re.I))
                  for tag in ("title", "h1", "h2"))  # opening, closing: searched apart to stay linear
_TAG = re.compile(r"<[^<>]*>")  # [^<>]: a stray "<" must not make the scan quadratic
_DROP = re.compile(r"<(?:script|style)\b[^<>]*>[^<]*", re.I)  # code is not a message (linear, not exact)
_HEADING_STATUS = re.compile(r"(?:^|\D)([1-5]\d\d)(?:\.\d+)?(?!\d)\s*(?:[-:|\u2013]\s*)?(.*)$", re.S)


def _parse_html(text: str) -> dict[str, Any]:
    head = text[: SCAN * 10]
    headings = []
    for opening, closing in _HEADINGS:
        start = opening.search(head)
        end = closing.search(head, start.end(), start.end() + 4000) if start else None
        if end:
            headings.append(_clean(html.unescape(_TAG.sub(" ", head[start.end():end.start()]))) or "")
    for heading in headings:  # "504 Gateway Time-out" -> 504, "Gateway Time-out"
        match = _HEADING_STATUS.search(heading)
        if match:
            return {"status_code": int(match.group(1)), "message": match.group(2).strip() or heading}
    message = next((h for h in headings if h), None)
    if message is None:
        message = html.unescape(_TAG.sub(" ", _DROP.sub(" ", head)))
    return {"message": message}


# --- other stacks: JVM / .NET / Node.js / Go traces, XML bodies, gRPC statuses (read in parse_forms) ------
def _parse_stacktrace(text: str) -> dict[str, Any] | None:
    trace = read_stacktrace(text)
    if trace is None:
        return None
    root = trace.root()
    stated = "\n".join(trace.messages())[:SCAN]  # root cause first: its status and URL are the most specific
    status = next((exc.status for exc in reversed(trace.chain) if exc.status), None)
    fields = _scan_call(stated)
    fields.update(error_type=root.type, error_code=trace.code(), message=trace.message(),
                  status_code=status or find_status(stated))
    embedded = _embedded_json(fields["message"]) if fields["message"] else None
    if embedded:  # "HttpException: ... data: { errorMessages: [...] }": the response body says more
        fields.update({k: v for k, v in embedded.items() if v is not None and k != "error_type"})
    for frame in trace.frames:  # the innermost frame (printed first) inside a plugins/ folder names it
        folder = _PLUGIN_PATH.search(frame)
        if folder:
            fields["plugin"] = normalize_plugin(folder.group(1))
            break
    return fields


def _parse_xml(text: str) -> dict[str, Any] | None:
    root = parse_xml(text)
    if root is None:
        return None
    fields = xml_error_fields(root)
    if fields is None:  # no <Error> or <Fault>: read the tree as the JSON reader reads an object
        return _fields_from_json(xml_as_dict(root))
    message = fields.get("message")
    if isinstance(message, str):
        stated = _scan_text(message)
        fields.update({k: v for k, v in stated.items() if fields.get(k) is None})
    return fields


def _with_grpc(fields: dict[str, Any], text: str) -> dict[str, Any]:
    """A gRPC status the text states is its code, its description the message; never an HTTP status."""
    if fields.get("error_code") is not None:
        return fields
    found = grpc_status(text[:SCAN])
    if found:
        fields["error_code"] = found[0]
        fields["message"] = found[1] or fields.get("message")
    return fields


# --- JSON objects -------------------------------------------------------------------------------
# field -> its keys (normalised: lower case, no "_-. "), by rank. The deepest statement wins, then the
# lowest rank, then the first seen: {"error": {"code": ...}} beats a wrapper's {"code": ...}.
_KEYS_BY_RANK = {
    "status_code": ("statuscode httpstatus httpstatuscode", "status httpcode responsecode"),
    "error_code": ("errorcode", "code", "error", "tag"),  # tag: a tagged union's case (Dropbox's ".tag")
    "error_type": ("errortype exception exceptiontype exceptionclass", "type"),
    "message": ("message msg errormessage", "detail details errordescription errorsummary errors", "description",
                "title reason"),
    "plugin": ("plugin pluginname", "skill skillname", "service servicename"),
    "endpoint": ("endpoint", "url requesturl uri requesturi", "path"),
    "http_method": ("method httpmethod requestmethod", "verb"),
}
_FIELD_KEYS = {key: (field, rank) for field, ranks in _KEYS_BY_RANK.items()
               for rank, keys in enumerate(ranks) for key in keys.split()}
# Lists worth opening: error lists, and the bodies wrappers carry ({"response": [{"errorCode": ...}]});
# not Graph's "value" pages or other data lists.
_LIST_KEYS = frozenset({"error", "errors", "detail", "details", "response", "body"})
# Lists of plain messages: Jira's {"errorMessages": [...]}, {"errors": ["..."]}, {"messages": [...]}.
_MESSAGE_LIST_KEYS = frozenset({"errors", "errormessages", "messages"})
_KEY_CHARS = re.compile(r"[\s_.\-]")
_STATUS_STR = re.compile(r"^\s*([1-5]\d\d)(?:\s|$)")
_CODE_LIKE = re.compile(r"^[A-Za-z][\w.:-]{0,79}$")
_IDENT = re.compile(r"^[A-Za-z_][\w.$-]{0,119}$")
_GENERIC_TYPES = frozenset({"error", "exception", "failure", "failed", "fault"})  # {"type": "error"} names no class


def _loads(text: str) -> Any:
    """json.loads that answers None for anything it cannot (or should not) decode."""
    if len(text) > 5_000_000:
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # invalid, or nested deeper than the decoder allows
        return None


def _as_status(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)) and 100 <= value <= 599 and value == int(value):  # NaN, inf: out
        return int(value)
    match = _STATUS_STR.match(value) if isinstance(value, str) else None
    return int(match.group(1)) if match else None


def _interpret(field: str, key: str, value: Any) -> list[tuple[str, Any, int]]:
    """What one scalar says: [(field, value, rank bump)]; several keys are read by their value."""
    if isinstance(value, bool) or value is None:
        return []
    if field == "status_code":
        return [(field, _as_status(value), 0)]
    if key == "code" and _as_status(value) is not None:  # {"code": 404}: a status, not a provider code
        return [("status_code", _as_status(value), 2)]
    if field == "error_code":
        if key == "error" and isinstance(value, str) and not _CODE_LIKE.match(value):
            return [("message", value, 5)]  # {"error": "Not Found"} is a phrase, not a code
        return [(field, str(value)[:200], 0)] if isinstance(value, (str, int, float)) else []
    if not isinstance(value, str):
        return []
    if field == "error_type":
        return _interpret_type(value)
    if field == "plugin":
        return [(field, normalize_plugin(value), 0)]
    if field == "http_method":
        return [(field, value.strip().upper(), 0)] if value.strip().upper() in METHODS else []
    return [(field, value, 0)]


def _interpret_type(value: str) -> list[tuple[str, Any, int]]:
    if value.lower() in _GENERIC_TYPES:
        return []
    if _IDENT.match(value):
        return [("error_type", value, 0)]
    if "#" in value and _IDENT.match(value.rsplit("#", 1)[-1]):  # AWS JSON: "namespace#ThrottlingException"
        return [("error_type", value.rsplit("#", 1)[-1], 0)]
    if "://" in value or value.startswith("about:"):  # RFC 7807 type URI: its last segment names it
        last = value.rstrip("/").rsplit("/", 1)[-1]
        return [] if value == "about:blank" or not last else [("error_type", last[:120], 0)]
    leading = _leading_name(value)  # {"exception": "KeyError: 'value'"}
    if leading and "error_type" in leading[0]:
        return [("error_type", leading[0]["error_type"], 0), ("message", leading[1], 5)]
    return []


class _Walk:
    """Depth- and size-bounded walk over a decoded object, keeping the best statement per field."""

    def __init__(self) -> None:
        self.best: dict[str, tuple[tuple[int, int], Any, str]] = {}
        self.budget = MAX_NODES

    def visit(self, node: Any, depth: int) -> None:
        if depth > MAX_DEPTH or self.budget <= 0:
            return
        self.budget -= 1
        if isinstance(node, list):
            for item in node[:5]:
                self.visit(item, depth + 1)
            return
        if not isinstance(node, dict):
            return
        for raw_key, value in islice(node.items(), 200):
            key = _normal_key(raw_key)
            if isinstance(value, dict):
                if key in ("message", "msg") and isinstance(value.get("value"), str):
                    self.offer("message", key, value["value"], depth + 1)  # OData: {"lang", "value"}
                if key == "errors":  # {"errors": {"field": "message"}}: field errors, each a message
                    self._offer_first_text(value.values(), depth + 1)
                self.visit(value, depth + 1)
            elif isinstance(value, list):
                if key in _MESSAGE_LIST_KEYS:
                    self._offer_first_text(value[:5], depth)
                if key in _LIST_KEYS:
                    self.visit(value, depth)
            elif isinstance(value, str) and _may_be_json(value):
                inner = _loads(value)  # a body that is itself a JSON string
                if isinstance(inner, (dict, list)):
                    self.visit(inner, depth + 1)
                else:
                    self.offer(None, key, value, depth)
            elif key in _FIELD_KEYS:  # the rest name nothing lens reads: no call for them
                self.offer(None, key, value, depth)

    def _offer_first_text(self, values: Any, depth: int) -> None:
        """The first non-empty string among a container's values, as a message ranked below a "message"
        key's: a list or map of messages states the error when nothing else does."""
        text = next((v for v in islice(values, 20) if isinstance(v, str) and v.strip()), None)
        if text is not None:
            self.offer("message", "detail", text, depth)

    def offer(self, field: str | None, key: str, value: Any, depth: int) -> None:
        spec = _FIELD_KEYS.get(key)
        if spec is None:
            return
        for name, found, bump in _interpret(field or spec[0], key, value):
            if found is None or found == "":
                continue
            rank = (depth, -(spec[1] + bump))
            if name not in self.best or rank > self.best[name][0]:
                self.best[name] = (rank, found, key)

    def fields(self) -> dict[str, Any]:
        return {name: value for name, (_, value, _) in self.best.items()}


def _may_be_json(text: str) -> bool:
    """Whether a text starts like a JSON object or array; a copy of it is made only after leading space."""
    first = text[:1]
    if first.isspace():
        first = text.lstrip()[:1]
    return first in ("{", "[")


def _normal_key(raw_key: Any) -> str:
    """ "Status_Code", "status-code" -> "statuscode"."""
    if not isinstance(raw_key, str):  # JSON's keys are text; a Python caller's 1 and True must not meet
        return _KEY_CHARS.sub("", str(raw_key)).lower()
    return _normal_text_key(raw_key)


@functools.lru_cache(maxsize=10_000)  # a few keys fill every blob
def _normal_text_key(raw_key: str) -> str:
    return _KEY_CHARS.sub("", raw_key).lower()


def _fields_from_json(obj: Any) -> dict[str, Any]:
    walk = _Walk()
    walk.visit(obj, 0)
    fields = walk.fields()
    message = fields.get("message")
    if isinstance(message, str) and (fields.get("status_code") is None or fields.get("endpoint") is None):
        stated = _scan_text(message)  # "503 Server Error ... for url: https://..." inside the message
        for name in ("status_code", "endpoint", "http_method"):
            if fields.get(name) is None:
                fields[name] = stated[name]
    return fields


# --- the parser ---------------------------------------------------------------------------------
def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", errors="replace")
    return value if isinstance(value, str) else str(value)


def _parse_output(output: Any) -> dict[str, Any]:
    if isinstance(output, (dict, list)):
        return {**_fields_from_json(output), "form": "json"}
    text = _as_text(output)
    stripped = text.strip()
    if not stripped:
        return {"form": "empty"}
    for _ in range(2):  # a JSON string of an object, possibly encoded twice
        if stripped[:1] not in ("{", "[", '"'):
            break
        decoded = _loads(stripped)
        if isinstance(decoded, (dict, list)):
            return {**_fields_from_json(decoded), "form": "json"}
        if not isinstance(decoded, str) or not decoded.strip():
            break
        stripped = text = decoded.strip()
    if _TRACEBACK in text[:SCAN] or _TRACEBACK in text[-SCAN:]:
        fields = _parse_traceback(text)
        return {**_with_grpc(fields, fields.get("message") or ""), "form": "traceback"}
    if _HTML_SNIFF.match(text[:2000]):
        return {**_parse_html(text), "form": "html"}
    xml = _parse_xml(stripped) if looks_like_xml(stripped) else None
    if xml is not None:  # anything XML-like that does not parse (or is refused) is read as text below
        return {**xml, "form": "xml"}
    trace = _parse_stacktrace(stripped) if looks_like_stacktrace(stripped[:SCAN]) else None
    if trace is not None:
        return {**trace, "form": "stacktrace"}
    return {**_with_grpc(_parse_text(stripped), stripped), "form": "text"}


def _input_hints(skill_input: Any) -> dict[str, Any]:
    """Plugin, endpoint and method that the call's input states ({"plugin": ...} or "Calendar.x(...)")."""
    obj = skill_input if isinstance(skill_input, (dict, list)) else None
    text = _as_text(skill_input).strip() if obj is None else ""
    if text[:1] in ("{", "["):
        obj = _loads(text)
    if isinstance(obj, (dict, list)):
        walk = _Walk()
        walk.visit(obj, 0)
        hints = {k: walk.best[k][1] for k in ("plugin", "endpoint", "http_method") if k in walk.best}
        if "endpoint" in walk.best and walk.best["endpoint"][2] == "path":
            hints.pop("endpoint")  # an input's "path" is as likely a file as an endpoint
        return hints
    hints = _scan_call(text)  # a status the input mentions is not the call's outcome
    call = DOTTED_CALL.match(text)
    if call and hints.get("plugin") is None:
        hints["plugin"] = normalize_plugin(call.group(1))
    return hints


def _storable(value: Any) -> Any:
    """Text every database stores: JSON escapes can decode to NUL (PostgreSQL refuses it in text) or to
    an unpaired surrogate (not encodable as UTF-8); the parsed fields drop the one and mark the other."""
    if not isinstance(value, str):
        return value
    if "\x00" in value:
        value = value.replace("\x00", "")
    if value.isascii():  # O(1): ASCII is valid UTF-8
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = _SURROGATE.sub("\ufffd", value)
    return value


_SURROGATE = re.compile("[\ud800-\udfff]")


def _build(fields: dict[str, Any]) -> ParsedError:
    """The error the fields state (`fields` is left as it is: it may be a remembered one)."""
    unsafe = [name for name, value in fields.items()  # the rest are storable as they are
              if type(value) is str and (not value.isascii() or "\x00" in value)]
    if unsafe:
        fields = {**fields, **{name: _storable(fields[name]) for name in unsafe}}
    endpoint = normalize_endpoint(fields.get("endpoint"))
    status = fields.get("status_code")
    return ParsedError(
        plugin=fields.get("plugin") if isinstance(fields.get("plugin"), str) else None,
        endpoint=endpoint,
        endpoint_template=endpoint_template(endpoint) if endpoint else None,
        http_method=fields.get("http_method"),
        status_code=status if isinstance(status, int) else None,
        error_code=_clean(fields.get("error_code")),
        error_type=_clean(fields.get("error_type")),
        message=_clean(fields.get("message")),
        form=fields.get("form", "text"),
    )


# Many failures repeat their blob exactly (the same throttling or permission error, with no request
# id in it), and a skill's input repeats across users; parsing one again gives the same fields, so the
# latest texts' results are kept. Texts longer than MEMO_CHARS are parsed every time (bounded memory).
MEMO_CHARS = 2048
MEMO_SIZE = 4096
_HINTED = ("plugin", "endpoint", "http_method")  # what skill_input may state when the output does not


def _output_fields(skill_output: Any) -> dict[str, Any]:
    """The fields a skill_output states; a remembered dict for a recent text, so never changed by callers."""
    if type(skill_output) is str and len(skill_output) <= MEMO_CHARS:
        return _memo_output(skill_output)
    return _parse_output(skill_output)


def _hints(skill_input: Any) -> dict[str, Any]:
    """Plugin, endpoint and method a skill_input states; as _output_fields, never to be changed."""
    if type(skill_input) is str and len(skill_input) <= MEMO_CHARS:
        return _memo_hints(skill_input)
    return _input_hints(skill_input)


@functools.lru_cache(maxsize=MEMO_SIZE)
def _memo_output(text: str) -> dict[str, Any]:
    return _parse_output(text)


@functools.lru_cache(maxsize=MEMO_SIZE)
def _memo_hints(text: str) -> dict[str, Any]:
    return _input_hints(text)


class ErrorParser:
    """skill_output (object, JSON string, traceback, HTML page, text) -> ParsedError. Stateless (the
    memo of recent texts is shared by the process and changes no result)."""

    def parse(self, skill_output: Any, *, skill_input: Any = "") -> ParsedError:
        try:
            fields = _output_fields(skill_output)
            if skill_input and any(fields.get(name) is None for name in _HINTED):
                stated = {name: value for name, value in _hints(skill_input).items()
                          if fields.get(name) is None and value is not None}
                if stated:
                    return _build({**fields, **stated})
            return _build(fields)
        except Exception:  # a parser bug must not stop an ingest; logged so that it gets fixed
            log.warning("could not parse a skill_output; kept as text", exc_info=True)
            try:
                return ParsedError(form="text", message=_storable(_clean(_as_text(skill_output))))
            except Exception:  # str() of a hostile object can itself raise
                return ParsedError(form="text")
