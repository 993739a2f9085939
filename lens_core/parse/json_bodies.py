"""The JSON reader: a depth- and size-bounded walk over a decoded object (or an XML tree shaped like one)
that keeps, per field, the best statement of it: {"error": {"code": ...}} beats a wrapper's {"code": ...}.
Key tables say which keys state which field; a few keys are read by their value ({"code": 404} is a status).

Beyond error bodies, three places state a failure that a 2xx or an empty body does not:
- an error object inside a data list ({"output": {"results": [{"error": {"code": ...}}]}}, UPS's
  {"shipment": [{"warnings": [...]}]}): data lists are not read field by field, but their error objects are;
- a model's finish or stop reason ({"choices": [{"finish_reason": "content_filter"}]}, Anthropic's
  "stop_reason": "refusal", Gemini's "finishReason": "SAFETY"): the reason is the code, the normal ones
  (stop, end_turn, tool calls) are not;
- response headers: RFC 6750's WWW-Authenticate (error="invalid_token", error_description="...") and the
  rate-limit headers that say which limit is spent (X-RateLimit-Remaining: 0, X-DayLimit-Remaining: 0).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterator
from itertools import islice
from typing import Any

from lens_core.parse.endpoints import normalize_plugin
from lens_core.parse.messages import leading_name, scan_text

MAX_DEPTH = 16  # nested JSON is walked no deeper than this ...
MAX_NODES = 2000  # ... and through no more objects than this (wide or adversarial blobs)
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


# --- JSON objects -------------------------------------------------------------------------------
# A model's reasons for ending, read as its error code unless they are normal ends (_NORMAL_ENDS).
_REASON_KEYS = frozenset({"finishreason", "stopreason", "blockreason"})
# field -> its keys (normalised: lower case, no "_-. "), by rank. The deepest statement wins, then the
# lowest rank, then the first seen: {"error": {"code": ...}} beats a wrapper's {"code": ...}.
_KEYS_BY_RANK = {
    "status_code": ("statuscode httpstatus httpstatuscode", "status httpcode responsecode"),
    # tag: a tagged union's case (Dropbox's ".tag")
    "error_code": ("errorcode", "code", "error", "tag", " ".join(sorted(_REASON_KEYS))),
    "error_type": ("errortype exception exceptiontype exceptionclass", "type"),
    "message": ("message msg errormessage", "detail details errordescription errorsummary errors", "description",
                "title reason"),
    "plugin": ("plugin pluginname", "skill skillname", "service servicename"),
    "endpoint": ("endpoint", "url requesturl uri requesturi", "path"),
    "http_method": ("method httpmethod requestmethod", "verb"),
}
_FIELD_KEYS = {key: (field, rank) for field, ranks in _KEYS_BY_RANK.items()
               for rank, keys in enumerate(ranks) for key in keys.split()}
# Keys whose object or list is an error wherever it sits, even inside a data list that is otherwise not read.
_ERROR_KEYS = frozenset({"error", "errors", "warnings", "fault"})
# Lists worth opening: error lists, and the bodies wrappers carry ({"response": [{"errorCode": ...}]});
# not Graph's "value" pages or other data lists.
_LIST_KEYS = _ERROR_KEYS | {"detail", "details", "response", "body"}
# A model's reasons for ending that are not failures (normalised: lower case, no "_-. ").
_NORMAL_ENDS = frozenset({"stop", "endturn", "stopsequence", "toolcalls", "tooluse", "functioncall",
                          "finishreasonunspecified", "blockreasonunspecified", "pausedturn"})
_HEADER_KEYS = frozenset({"headers", "responseheaders"})
# RFC 6750 section 3: WWW-Authenticate: Bearer realm="x", error="invalid_token", error_description="..."
_AUTH_PARAM = re.compile(r'(?<![\w-])(error|error_description)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))', re.I)
# Lists of plain messages: Jira's {"errorMessages": [...]}, {"errors": ["..."]}, {"messages": [...]}.
_MESSAGE_LIST_KEYS = frozenset({"errors", "errormessages", "messages"})
_KEY_CHARS = re.compile(r"[\s_.\-]")
_STATUS_STR = re.compile(r"^\s*([1-5]\d\d)(?:\s|$)")
_CODE_LIKE = re.compile(r"^[A-Za-z][\w.:-]{0,79}$")
_IDENT = re.compile(r"^[A-Za-z_][\w.$-]{0,119}$")
# {"type": "error"} names no class, nor does a model's response object ({"type": "message"})
_GENERIC_TYPES = frozenset({"error", "exception", "failure", "failed", "fault", "message"})


def load_json(text: str) -> Any:
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
        if key in _REASON_KEYS and (not isinstance(value, str) or _normal_key(value) in _NORMAL_ENDS):
            return []
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
    leading = leading_name(value)  # {"exception": "KeyError: 'value'"}
    if leading and "error_type" in leading[0]:
        return [("error_type", leading[0]["error_type"], 0), ("message", leading[1], 5)]
    return []


class JsonWalk:
    """Depth- and size-bounded walk over a decoded object, keeping the best statement per field."""

    def __init__(self) -> None:
        self.best: dict[str, tuple[tuple[int, int], Any, str]] = {}
        self.budget = MAX_NODES

    def _entries(self, node: Any, depth: int, walk: Callable[[Any, int], None]) -> Iterator[tuple[Any, str, Any]]:
        """The bounds of every walk in one place: nothing deeper than MAX_DEPTH, no more than MAX_NODES
        nodes, 5 items of a list (each handed to `walk` one level down) and 200 keys of an object, whose
        (raw key, normalised key, value) are yielded."""
        if depth > MAX_DEPTH or self.budget <= 0:
            return
        self.budget -= 1
        if isinstance(node, list):
            for item in node[:5]:
                walk(item, depth + 1)
        elif isinstance(node, dict):
            for raw_key, value in islice(node.items(), 200):
                yield raw_key, _normal_key(raw_key), value

    def visit(self, node: Any, depth: int) -> None:
        for raw_key, key, value in self._entries(node, depth, self.visit):
            if isinstance(value, dict):
                if key in _HEADER_KEYS:
                    self._offer_headers(value, depth + 1)
                    continue
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
                else:
                    self._search_errors(value, depth + 1)
            elif isinstance(value, str) and _may_be_json(value):
                inner = load_json(value)  # a body that is itself a JSON string
                if isinstance(inner, (dict, list)):
                    self.visit(inner, depth + 1)
                else:
                    self.offer(None, key, value, depth)
            elif key in _FIELD_KEYS:  # the rest name nothing lens reads: no call for them
                self.offer(None, key, value, depth)

    def _search_errors(self, node: Any, depth: int) -> None:
        """A data list is not read field by field (Graph's "value" pages hold codes and statuses of data),
        but an error object inside it is, and so is a model's finish reason."""
        for raw_key, key, value in self._entries(node, depth, self._search_errors):
            if key in _ERROR_KEYS and isinstance(value, (dict, list, str)):
                self.visit({raw_key: value}, depth)  # read as an error body's own "error" would be
            elif key in _REASON_KEYS:
                self.offer(None, key, value, depth)
            elif isinstance(value, (dict, list)):
                self._search_errors(value, depth + 1)

    def _offer_headers(self, headers: dict[Any, Any], depth: int) -> None:
        """What response headers say about the failure, stated one level below the headers' owner: an
        error object in the body outranks them, a wrapper's own top-level "message" ("Unauthorized") does not."""
        named = {_normal_key(k): (k, v) for k, v in islice(headers.items(), 200) if isinstance(v, (str, int))}
        challenge = named.get("wwwauthenticate", (None, None))[1]
        if isinstance(challenge, str):
            params = {m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3)
                      for m in _AUTH_PARAM.finditer(challenge[:2000])}
            if params.get("error"):
                self.offer("error_code", "code", params["error"], depth)
            if params.get("error_description"):
                self.offer("message", "description", params["error_description"], depth)
        spent = [f"{name}: 0" for key, (name, value) in named.items()
                 if "limit" in key and str(value).strip() == "0"]
        if spent:  # which of several limits ran out (per minute, per day, per app) is the cause's detail
            self.offer("message", "reason", "rate limit spent: " + ", ".join(sorted(spent)[:3]), depth)

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


def fields_from_json(obj: Any) -> dict[str, Any]:
    walk = JsonWalk()
    walk.visit(obj, 0)
    fields = walk.fields()
    message = fields.get("message")
    if isinstance(message, str) and (fields.get("status_code") is None or fields.get("endpoint") is None):
        stated = scan_text(message)  # "503 Server Error ... for url: https://..." inside the message
        for name in ("status_code", "endpoint", "http_method"):
            if fields.get(name) is None:
                fields[name] = stated[name]
    return fields
