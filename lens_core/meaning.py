"""What a failure means, apart from how it was written: the text the `cause` view embeds.

One cause arrives in many forms (a vendor's JSON body, a stack trace, an XML fault, a gateway page, a
log line) and from several plugins. What they share is their meaning: the status family, the error code
or exception class as words, and the sense of the message. What differs is form: JSON keys, frames,
tags, the plugin's name, ids and numbers. The meaning text keeps the first and drops the second:

    403 Forbidden. insufficient scope. The request requires higher privileges than provided by the token

- status: the HTTP status with its reason phrase; a gRPC code stands for its documented HTTP status
  (lens_core.parse_forms.GRPC_HTTP_STATUS).
- code: the provider's code or the exception class, split into words ("INVALID_SESSION_ID" ->
  "invalid session id", "com.x.ProvisionedThroughputExceededException" -> "provisioned throughput
  exceeded exception"); left out when it only names the transport that carried the status
  (HTTPError, HttpRequestException, ClientError): such a class is on every failure of its SDK.
- message: the fingerprint's template without its placeholders and without the plugin's own name;
  left out when it only restates the status ("400 Client Error: Bad Request for url").

`family_of_meaning` reads a failure family (auth, permission, throttled, ...) back from that text, so
that a text always has one family; the clusterer keeps families apart (see clustering/agglomerative.py).
Both are pure functions of their inputs: the same event always gets the same text and family.
"""

from __future__ import annotations

import re
from functools import lru_cache

from lens_core.fingerprint import mask_message
from lens_core.parsing import GRPC_HTTP_STATUS

_REASONS = {
    400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
    408: "Request Timeout", 409: "Conflict", 410: "Gone", 412: "Precondition Failed",
    413: "Payload Too Large", 415: "Unsupported Media Type", 422: "Unprocessable Entity", 423: "Locked",
    429: "Too Many Requests", 500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway",
    503: "Service Unavailable", 504: "Gateway Timeout",
}
MAX_MESSAGE_WORDS = 40  # the sense of a message is in its first sentence or two; the rest is detail
_IDENTIFIER_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_NAMESPACE = re.compile(r"[.#:/\\$]")
_PLACEHOLDER = re.compile(r"<[A-Z]+>")
_EMPTY_QUOTES = re.compile(r"(['\"`])\s*\1")
_WORD = re.compile(r"[a-z]+")
# Words that name how a failure travelled (HTTP, an SDK's client, a CRUD verb), never why it failed.
TRANSPORT_WORDS = frozenset(
    "http https request response client server api rest web status code call service remote exception "
    "error errors fault failure failed runtime system io net generic unknown base std internal "
    "get post put patch delete head options create update list fetch send for url the a an of from with "
    "returned sdk".split()
)


def meaning_text(
    *,
    status_code: int | None,
    error_code: str | None,
    error_type: str | None,
    message_template: str | None,
    plugin: str | None,
) -> str:
    """The meaning of one parsed failure as text (see the module docstring); '' when it states nothing."""
    status = effective_status(status_code, error_code)
    parts = (
        code_words(error_code or error_type, plugin),
        message_words(message_template, plugin, status),
    )
    said = ". ".join(part for part in parts if part)
    phrase = status_phrase(status) if status is not None else ""
    return f"{phrase}. {said}" if phrase and said else phrase or said


def effective_status(status_code: int | None, error_code: str | None) -> int | None:
    """The HTTP status, or the one a gRPC status code stands for (google.rpc.Code's mapping)."""
    if status_code is not None:
        return int(status_code)
    if error_code:
        return GRPC_HTTP_STATUS.get(error_code.upper())
    return None


def status_phrase(code: int | None) -> str:
    """'401 Unauthorized' for 401; '' when there is no status."""
    if code is None:
        return ""
    return f"{code} {_REASONS.get(code, '')}".strip()


@lru_cache(maxsize=65_536)
def code_words(code: str | None, plugin: str | None = None) -> str:
    """'sf:INVALID_SESSION_ID' -> 'invalid session id'; '' for a transport class such as HTTPError."""
    if not code:
        return ""
    segments = [s for s in _NAMESPACE.split(code.strip()) if s]
    if not segments:
        return ""
    words = [w.lower() for w in _IDENTIFIER_WORDS.findall(segments[-1])]
    own = _plugin_words(plugin)
    words = [w for w in words if w not in own]
    if all(w in TRANSPORT_WORDS or w.isdigit() for w in words):
        return ""
    return " ".join(words)


def message_words(template: str | None, plugin: str | None, status: int | None) -> str:
    """The message's words without placeholders or the plugin's name; '' when it only restates the status."""
    if not template:
        return ""
    text = _EMPTY_QUOTES.sub(" ", _PLACEHOLDER.sub(" ", mask_message(template)))
    words = text.split()[:MAX_MESSAGE_WORDS]
    own = _plugin_words(plugin)
    if own:
        words = [w for w in words if _letters(w) not in own]
    restated = set(_WORD.findall(status_phrase(status).lower())) if status is not None else set()
    content = [w for w in _WORD.findall(" ".join(words).lower()) if w not in TRANSPORT_WORDS | restated | own]
    return " ".join(words) if len(content) >= 2 else ""


def _letters(word: str) -> str:
    return "".join(ch for ch in word.lower() if ch.isalpha())


@lru_cache(maxsize=4096)
def _plugin_words(plugin: str | None) -> frozenset[str]:
    """'Azure DevOps' -> {'azure', 'devops', 'azuredevops'}; a plugin's name says where, not why."""
    if not plugin:
        return frozenset()
    words = {w.lower() for w in re.findall(r"[A-Za-z]+", plugin)}
    return frozenset(words | {_letters(plugin)} - {""})


# --- failure families ---------------------------------------------------------------------------
# HTTP semantics (RFC 9110) and the wording services use for the same conditions when no status is
# given. Two conditions override a status because services report them under other codes: throttling
# (GitHub and Salesforce answer 403 to rate limits) and timeouts (gateways answer 500, 502 or 524).
_STATUS_FAMILY = {
    400: "bad_request", 401: "auth", 403: "permission", 404: "not_found", 405: "conflict", 406: "conflict",
    408: "timeout", 409: "conflict", 410: "not_found", 412: "conflict", 413: "too_large", 422: "bad_request",
    423: "conflict", 429: "throttled", 502: "unavailable", 503: "unavailable", 504: "timeout",
}
_OVERRIDING = (
    ("throttled", r"throttl|rate.?limit|too many requests|slow ?down|quota|request limit|requests per"),
    ("timeout", r"timed? ?out|timeout|deadline exceeded"),
)
_WORDED = (
    ("auth", r"unauthori[sz]ed|unauthenticated|expired|revoked|invalid (?:token|session|credential|grant|auth)"
             r"|bad credentials|sign ?in|authenticat"),
    ("permission", r"forbidden|denied|permission|privilege|consent|not allowed|scope|not authori[sz]ed"),
    ("not_found", r"not ?found|does not exist|no such|could not find|cannot find"),
    ("conflict", r"conflict|locked|already exists|precondition|changed by someone|mergeable"),
    ("too_large", r"too large|exceeds the maximum|too big|maximum context|payload"),
    ("network", r"connection (?:reset|refused|aborted|closed)|unreachable|name resolution|getaddrinfo|no such host"
                r"|unknown host|certificate|ssl|tls|pkix|econn"),
    ("unavailable", r"unavailable|bad gateway|overloaded|try again later"),
    ("code_bug", r"null ?pointer|null ?reference|undefined|key ?error|type ?error|attribute ?error|none ?type"
                 r"|index ?(?:out of|error)"),
    ("bad_request", r"invalid|malformed|validation|bad request|parse|syntax|required|missing"),
)
_OVERRIDING_RE = tuple((family, re.compile(pattern)) for family, pattern in _OVERRIDING)
_WORDED_RE = tuple((family, re.compile(pattern)) for family, pattern in _WORDED)
_LEADING_STATUS = re.compile(r"^([1-5]\d\d)\b")


@lru_cache(maxsize=65_536)
def family_of_meaning(text: str) -> str:
    """The failure family a meaning text states: from its status, else from its words; '' when neither."""
    words = text.lower()
    for family, pattern in _OVERRIDING_RE:
        if pattern.search(words):
            return family
    status = _LEADING_STATUS.match(text)
    if status:
        code = int(status.group(1))
        return _STATUS_FAMILY.get(code) or ("server" if code >= 500 else "client")
    for family, pattern in _WORDED_RE:
        if pattern.search(words):
            return family
    return ""
