"""What a failure means, apart from how it was written: the text the `cause` view embeds.

One cause arrives in many forms (a vendor's JSON body, a stack trace, an XML fault, a gateway page, a
log line) and from several plugins. What they share is their meaning: the status family, the error code
or exception class as words, and the sense of the message. What differs is form: JSON keys, frames,
tags, the plugin's name, ids and numbers. The meaning text keeps the first and drops the second:

    403 Forbidden. insufficient scope. The request requires higher privileges than provided by the token

- status: the HTTP status with its reason phrase; a gRPC code stands for its documented HTTP status
  (lens_core.parse.grpc_statuses.GRPC_HTTP_STATUS).
- code: the provider's code or the exception class, split into words ("INVALID_SESSION_ID" ->
  "invalid session id", "com.x.ProvisionedThroughputExceededException" -> "provisioned throughput
  exceeded exception"); left out when it only names the transport that carried the status
  (HTTPError, HttpRequestException, ClientError): such a class is on every failure of its SDK.
- message: the message masked as fingerprints mask it (but for quoted sentences, which SDKs quote from
  the service), without placeholders or the plugin's own name; left out when it only restates the
  status ("400 Client Error: Bad Request for url").

`meaning_texts` reads a whole batch at once (carrier codes dropped, missing statuses filled from the same
words elsewhere: see its docstring); the batch's texts do not depend on its order. `family_of_meaning`
reads a failure family (auth, permission, throttled, ...) back from a text, so that a text always has
one family; the clusterer keeps families apart (see clustering/agglomerative.py).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from http import HTTPStatus

from lens_core.parse.fingerprint import mask_message
from lens_core.parse.parsing import GRPC_HTTP_STATUS

_REASONS = {
    400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
    408: "Request Timeout", 409: "Conflict", 410: "Gone", 412: "Precondition Failed",
    413: "Payload Too Large", 415: "Unsupported Media Type", 422: "Unprocessable Entity", 423: "Locked",
    429: "Too Many Requests", 500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway",
    503: "Service Unavailable", 504: "Gateway Timeout",
}
MAX_MESSAGE_WORDS = 40  # the sense of a message is in its first sentence or two; the rest is detail
INFER_STATUS_SHARE = 2 / 3  # a status is filled in from elsewhere only when most of its events agree
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


@dataclass(frozen=True)
class Meaning:
    """One parsed failure's meaning in parts: the status it states (HTTP, or a gRPC code's), the code or
    class as words ('' for a transport class) and the message's words."""

    status: int | None
    code: str
    message: str

    @property
    def body(self) -> str:
        return ". ".join(part for part in (self.code, self.message) if part)


def meaning_of(
    *,
    status_code: int | None,
    error_code: str | None,
    error_type: str | None,
    message: str | None,
    plugin: str | None,
    message_template: str | None = None,
) -> Meaning:
    """message: the parsed error message as it came (masking is done here); or message_template, the
    fingerprint's template of it when that masked no quoted text (then the message is not read)."""
    status = effective_status(status_code, error_code)
    if message_template:
        words = _template_words(message_template, plugin, status)
    else:
        words = message_words(message, plugin, status)
    return Meaning(status, code_words(error_code or error_type, plugin), words)


def meaning_text(meaning: Meaning) -> str:
    """'403 Forbidden. insufficient scope. The request requires...'; '' when nothing is stated."""
    phrase = status_phrase(meaning.status)
    body = meaning.body
    return f"{phrase}. {body}" if phrase and body else phrase or body


def meaning_texts(meanings: Sequence[Meaning], weights: Sequence[float]) -> list[str]:
    """The texts of a whole batch of failures, each read in the light of the others:

    - a code seen with statuses of two or more failure families is a carrier, not a cause (an SDK's one
      exception class for every HTTP error, "VssServiceException"), and is left out of every text;
    - a failure without a status takes the status that the same code (without a code: the same words)
      carries elsewhere in the batch, when at least two thirds of those events agree (the JSON body
      states 403, the stack trace of the same message does not): one message means one thing whatever
      form carried it.
    `weights`: events per meaning. The result is a function of the batch as a set: order changes nothing.
    """
    families: dict[str, set[str]] = defaultdict(set)
    for meaning in meanings:
        if meaning.code and meaning.status is not None:  # families that a status states, not guessed ones
            families[meaning.code].add(family_of_meaning(meaning_text(meaning)))
    carriers = {code for code, seen in families.items() if len(seen) >= 2}
    bare = [replace(m, code="") if m.code in carriers else m for m in meanings]
    statuses: dict[str, Counter[int]] = defaultdict(Counter)
    for meaning, weight in zip(bare, weights):
        if meaning.status is not None and meaning.body:
            statuses[_status_key(meaning)][meaning.status] += weight
    return [meaning_text(_with_known_status(m, statuses)) for m in bare]


def _status_key(meaning: Meaning) -> str:
    """What must agree for a status to carry over: the code when there is one (a provider's code names
    one condition in every form), else the whole body."""
    return f"code:{meaning.code}" if meaning.code else f"body:{meaning.body}"


def _with_known_status(meaning: Meaning, statuses: dict[str, Counter[int]]) -> Meaning:
    seen = statuses.get(_status_key(meaning)) if meaning.status is None and meaning.body else None
    if not seen:
        return meaning
    status, count = max(seen.items(), key=lambda item: (item[1], -item[0]))
    return replace(meaning, status=status) if count >= INFER_STATUS_SHARE * sum(seen.values()) else meaning


def effective_status(status_code: int | None, error_code: str | None) -> int | None:
    """The HTTP status, or the one a gRPC status code stands for (google.rpc.Code's mapping)."""
    if status_code is not None:
        return int(status_code)
    if error_code:
        return GRPC_HTTP_STATUS.get(error_code.upper())
    return None


def status_phrase(code: int | None) -> str:
    """'401 Unauthorized' for 401 ('402 Payment Required' from the standard's list); '' for no status."""
    if code is None:
        return ""
    return f"{code} {_REASONS.get(code) or _standard_phrase(code)}".strip()


def _standard_phrase(code: int) -> str:
    try:
        return HTTPStatus(code).phrase
    except ValueError:  # 499, 524...: a code outside the standard has no phrase
        return ""


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


def message_words(message: str | None, plugin: str | None, status: int | None) -> str:
    """The message's words without placeholders or the plugin's name; '' when it only restates the status."""
    if not message:
        return ""
    return _template_words(mask_message(_unquote_sentences(message)), plugin, status)


@lru_cache(maxsize=65_536)  # messages differ in their ids; their masked templates repeat
def _template_words(template: str, plugin: str | None, status: int | None) -> str:
    text = _EMPTY_QUOTES.sub(" ", _PLACEHOLDER.sub(" ", template))
    words = text.split()[:MAX_MESSAGE_WORDS]
    own = _plugin_words(plugin)
    if own:
        words = [w for w in words if _letters(w) not in own]
    restated = set(_WORD.findall(status_phrase(status).lower())) if status is not None else set()
    content = [w for w in _WORD.findall(" ".join(words).lower()) if w not in TRANSPORT_WORDS | restated | own]
    # With a status, one more word ("Bad Request for url") adds nothing; without one, a word is all there is.
    return " ".join(words) if len(content) >= (2 if status is not None else 1) else ""


_QUOTED_SENTENCE = re.compile(r"""(?<!\w)(['"])((?:(?!\1)[^\n]){12,400}?)\1(?!\w)""")


def _unquote_sentences(message: str) -> str:
    """A quoted sentence is what an SDK quotes from the service ('returned "The user does not have
    sufficient permissions"'), not a value a user typed: its quotes go, so the fingerprint's mask keeps
    its words. Shorter quoted texts (names, titles) stay quoted and masked."""
    if "'" not in message and '"' not in message:
        return message
    return _QUOTED_SENTENCE.sub(lambda m: m.group(2) if len(m.group(2).split()) >= 4 else m.group(0), message)


_NOT_LETTERS = re.compile(r"[^a-z]+")


def _letters(word: str) -> str:
    return _NOT_LETTERS.sub("", word.lower())


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
    ("throttled", r"throttl\w*|rate.?limit\w*|too many requests|slow ?down|quota|request limit\w*|requests per"
                  r"|usage limit|exceed\w* (?:the )?usage"),
    ("timeout", r"timed? ?out|timeouts?|deadline exceeded"),
)
# Order matters where one message says two things: "does not exist or you do not have permission" is a
# missing resource first; "getaddrinfo ENOTFOUND" a network failure, not a missing resource.
_WORDED = (
    ("network", r"connection (?:reset|refused|aborted|closed)|unreachable|name resolution|getaddrinfo|no such host"
                r"|unknown ?host|certificate|ssl|tls|pkix|econn\w+|enotfound|eai_again"),
    ("auth", r"unauthori[sz]ed|unauthenticated|expired|revoked|invalid (?:token|session|credential|grant|auth)\w*"
             r"|bad credentials|sign ?in|authenticat\w*"),
    ("not_found", r"not ?found|does not exist|no such|could not find|cannot find"),
    ("permission", r"forbidden|denied|permissions?|privileges?|consent|not allowed|scopes?|not authori[sz]ed"),
    ("conflict", r"conflict\w*|locked|already exists|precondition|changed by someone|mergeable"),
    ("too_large", r"too large|exceeds the maximum|too big|maximum context|payload"),
    ("unavailable", r"unavailable|bad gateway|overloaded|try again later"),
    ("code_bug", r"null ?pointer|null ?reference|undefined|key ?error|type ?error|attribute ?error|none ?type"
                 r"|index ?(?:out of|error)"),
    ("bad_request", r"invalid|malformed|validation|bad request|parse|syntax|required|missing"),
)
_OVERRIDING_RE = tuple((family, re.compile(rf"\b(?:{pattern})\b")) for family, pattern in _OVERRIDING)
_WORDED_RE = tuple((family, re.compile(rf"\b(?:{pattern})\b")) for family, pattern in _WORDED)
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
