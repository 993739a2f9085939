"""Offline summaries: a title and a root-cause hypothesis written from a cluster's evidence alone.

No model is called. The status family (401, 403, 404, 429, 5xx, a Python exception ...) decides the
hypothesis; the counts in the digest decide how sure it sounds. An LLM summarizer implements the same
`Summarizer` protocol and falls back to this one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from http import HTTPStatus
from typing import Protocol, runtime_checkable

from lens_core.describe.cohesion import cohesion, twins
from lens_core.describe.phrasing import clip as _clip
from lens_core.describe.phrasing import dominant as _dominant
from lens_core.describe.phrasing import pct as _pct
from lens_core.describe.phrasing import template_words
from lens_core.describe.phrasing import top as _top
from lens_core.schema import ClusterDigest, ClusterSummary, Count

NOISE_TITLE = "Unclustered (noise)"
MAX_TITLE = 80
MIXED_BELOW = 0.6  # the top status under this share of events: the evidence is called mixed
_HIGH_IMPACT = {"auth", "permission", "service", "timeout", "code_bug"}


@runtime_checkable
class Summarizer(Protocol):
    """Anything that turns a cluster's evidence into a ClusterSummary (offline rules, an LLM)."""

    def summarize(self, digest: ClusterDigest, *, neighbours: Sequence[ClusterDigest] = ()) -> ClusterSummary: ...


def describe_status(code: int) -> str:
    """'401 Unauthorized'; codes outside the standard get their class ('499 client error')."""
    try:
        return f"{code} {HTTPStatus(code).phrase}"
    except ValueError:
        kind = {4: "client error", 5: "server error"}.get(code // 100, "status")
        return f"{code} {kind}"


# --- status families: what a failure's status or exception says about who is at fault -------------

_STATUS_FAMILY = {401: "auth", 403: "permission", 404: "not_found", 410: "not_found", 409: "conflict",
                  412: "conflict", 423: "conflict", 400: "bad_request", 422: "bad_request", 413: "too_large",
                  429: "throttled", 408: "timeout", 504: "timeout"}
# Error names (type or provider code, lower-cased) that mean the network or a slow service, not code.
_TIMEOUT_NAMES = ("timeout", "connectionreset", "connectionerror", "connectionrefused", "connectionaborted",
                  "remotedisconnected", "brokenpipe")
# Provider codes that state a family when the status code itself was lost in parsing.
_CODE_HINTS = (("throttl", "throttled"), ("toomanyrequests", "throttled"), ("authenticationtoken", "auth"),
               ("unauthenticated", "auth"), ("tokenexpired", "auth"), ("accessdenied", "permission"),
               ("forbidden", "permission"), ("requestdenied", "permission"), ("notfound", "not_found"),
               ("conflict", "conflict"), ("locked", "conflict"), ("invalidrequest", "bad_request"),
               ("badrequest", "bad_request"))

HYPOTHESES = {
    "auth": "credentials expired or missing (the token was not refreshed, or the user must sign in again)",
    "permission": "a missing permission or consent (the app lacks the scope, or admin consent for it)",
    "not_found": "the assistant referenced something that does not exist (a hallucinated or stale id or name)",
    "conflict": "a conflict with the resource's state: it changed meanwhile, a precondition failed, or it is locked",
    "bad_request": "a malformed request that the assistant built",
    "too_large": "a payload too large for the service (attachments, batch or page size)",
    "throttled": "throttling (the plugin exceeded the service's rate limit or quota)",
    "service": "the plugin's service failed (server error), not the assistant",
    "timeout": "the plugin's service or the network timed out or dropped the connection, not the assistant",
    "code_bug": "a bug in the plugin's code (an exception with no HTTP status), not the service or the assistant",
    "client": "the service rejected the request",
    "unknown": "no known failure family; only the samples and keywords describe it",
}

FIXES = {
    "auth": "Refresh tokens before they expire and prompt the user to sign in again when refresh fails.",
    "permission": "Grant the missing scope and admin consent to the plugin's app registration.",
    "not_found": "Resolve ids and names with a lookup before calling; never let the assistant invent them.",
    "conflict": "Re-read the resource and retry with a fresh ETag; tell the user when it is locked.",
    "bad_request": "Validate parameters before sending; fix the prompt or tool schema that builds them.",
    "too_large": "Page or trim the payload below the service's limit.",
    "throttled": "Honour Retry-After with exponential backoff; batch calls or raise the quota.",
    "service": "Retry with backoff and alert the plugin's service owners; check its health status.",
    "timeout": "Set timeouts with retries and backoff; check the service's health and the network path.",
    "code_bug": "Fix the plugin code where it raises (guard the missing key or attribute) and add a test.",
    "client": "Read the samples for what the service rejected and validate it before calling.",
    "unknown": "Read the representative samples; log status codes and error types to narrow it down.",
}


def family_of(status: int | None, error_type: str | None, error_code: str | None) -> str:
    """The failure family from a status code, else from the error's type or provider code."""
    if status is not None:
        if status in _STATUS_FAMILY:
            return _STATUS_FAMILY[status]
        return "service" if status >= 500 else "client" if status >= 400 else "unknown"
    names = [n.lower() for n in (error_type, error_code) if n]
    if any(hint in name for name in names for hint in _TIMEOUT_NAMES):
        return "timeout"
    # Hints read the provider code only: a type like FileNotFoundError is the plugin's own bug.
    code = (error_code or "").lower()
    for hint, family in _CODE_HINTS:
        if hint in code:
            return family
    if error_type and (error_type.endswith(("Error", "Exception")) or error_type == "StopIteration"):
        return "code_bug"
    return "unknown"


@dataclass(frozen=True)
class _Evidence:
    """The primary signal of a cluster: what most of its events say, and how many do."""

    status: int | None
    label: str  # "401 (InvalidAuthenticationToken)" or "KeyError"
    count: int
    family: str
    second: Count | None  # the runner-up signal, named when the evidence is mixed

    def share(self, size: int) -> float:
        return self.count / size if size else 0.0


class OfflineSummarizer:
    """Rule-based summaries; deterministic, instant, and never leaves the machine."""

    def summarize(self, digest: ClusterDigest, *, neighbours: Sequence[ClusterDigest] = ()) -> ClusterSummary:
        if digest.label == -1 or digest.size <= 0:
            return _noise_summary(digest)
        ev = _evidence(digest)
        dominance = ev.share(digest.size)
        sentences = [_evidence_sentence(digest, ev), *cohesion(digest), *twins(digest, neighbours),
                     *_details(digest, ev), *_context(digest, neighbours)]
        return ClusterSummary(
            summary=_title(digest, ev),
            root_cause=" ".join(s for s in sentences if s),
            suggested_fix=_fix(digest, ev),
            severity=_severity(digest.share, ev.family),
            confidence=_confidence(dominance, ev.family, digest.size),
            source="offline",
        )


def _specific_type(digest: ClusterDigest) -> Count | None:
    """The top error type, unless it is the generic wrapper every HTTP failure carries."""
    top = _top(digest.error_types)
    if top is None or _short(top.value).lower() in {"httperror", "httpstatuserror", "requestexception"}:
        return None
    return Count(_short(top.value), top.count)


def _short(name: str) -> str:
    """requests.exceptions.ConnectTimeout -> ConnectTimeout: the class name is what people search for."""
    return name.rsplit(".", 1)[-1]


def _evidence(digest: ClusterDigest) -> _Evidence:
    code, etype, status = _dominant(digest.error_codes, digest.size), _specific_type(digest), _top(digest.status_codes)
    # A status wins unless a specific exception explains more events (a KeyError behind some 500s).
    if status is not None and status.value.isdigit() and not (etype and etype.count > status.count):
        number = int(status.value)
        label = f"{number} ({code.value})" if code else str(number)
        second = digest.status_codes[1] if len(digest.status_codes) > 1 else etype
        family = family_of(number, etype and etype.value, code and code.value)
        return _Evidence(number, label, status.count, family, second)
    signal = etype or code
    if signal is None:
        return _Evidence(None, "", 0, "unknown", None)
    family = family_of(None, etype and etype.value, code and code.value)
    pool = digest.error_types if signal is etype else digest.error_codes
    return _Evidence(None, signal.value, signal.count, family, pool[1] if len(pool) > 1 else None)


def _where(digest: ClusterDigest) -> str:
    """'Calendar /me/events'; shares are shown when a plugin or endpoint is not (nearly) universal."""
    plugins = [c for c in digest.plugins[:2] if c.count / digest.size >= 0.1]
    parts = []
    if plugins:
        if plugins[0].count / digest.size >= 0.9:
            parts.append(plugins[0].value)
        else:
            parts.append(", ".join(f"{c.value} ({_pct(c.count, digest.size)})" for c in plugins))
    endpoint = _top(digest.endpoints)
    if endpoint is not None:
        share = endpoint.count / digest.size
        top = f"top endpoint {endpoint.value} ({_pct(endpoint.count, digest.size)})"
        parts.append(endpoint.value if share >= 0.9 else top)
    return "; ".join(parts)


def _evidence_sentence(digest: ClusterDigest, ev: _Evidence) -> str:
    size, where = digest.size, _where(digest)
    hypothesis = HYPOTHESES[ev.family]
    if ev.family == "bad_request" and (param := _parameter(digest)):
        hypothesis += f"; the message names the parameter '{param}'"
    if ev.count == 0:
        return f"{size} events{' from ' + where if where else ''} carry no status code or error type: {hypothesis}."
    verb = "return" if ev.status is not None else "raise"
    place = f" from {where}" if where else ""
    if ev.share(size) < MIXED_BELOW:
        runner = f" and {_pct(ev.second.count, size)} {ev.second.value}" if ev.second else ""
        return (
            f"Mixed evidence: {_pct(ev.count, size)} of {size} events {verb} {ev.label}{runner}{place}. "
            f"The most common points to {hypothesis}."
        )
    return f"{_pct(ev.count, size)} of {size} events {verb} {ev.label}{place}: {hypothesis}."


# Parameter names in validation messages: "parameter 'start'", "property dateTime", "'end' is invalid".
_PARAM_PATTERNS = (
    re.compile(r"(?:parameter|property|field|argument|attribute)\s*[:=]?\s*['\"`]([A-Za-z_][\w.$]*)['\"`]", re.I),
    re.compile(r"['\"`]([A-Za-z_][\w.$]*)['\"`]\s+(?:is|was|has|must)\b", re.I),
    re.compile(r"(?:parameter|property|field|argument)\s+([a-z]+[A-Z][\w.]*)"),
    re.compile(r"\b(\w*[dD]ate[tT]ime\w*)\b"),
)


def _parameter(digest: ClusterDigest) -> str | None:
    texts = [r.error for r in digest.representatives] + [f.template for f in digest.fingerprints]
    for pattern in _PARAM_PATTERNS:
        for text in texts:
            for match in pattern.finditer(text or ""):
                # 'Neil' or 'Tag' in "'Neil' is not valid" is a user's value, not a parameter name.
                if not re.fullmatch(r"[A-Z][a-z]+", match.group(1)):
                    return match.group(1)
    return None


def _details(digest: ClusterDigest, ev: _Evidence) -> list[str]:
    out = []
    if ev.family == "code_bug" and digest.representatives:
        example = digest.representatives[0].error.strip().splitlines()
        if example:
            out.append(f'Example: "{_clip(example[-1], 100)}".')
    tenant = _top(digest.tenants)
    if tenant and digest.size >= 5 and tenant.count / digest.size > 0.5:
        out.append(
            f"One tenant ({tenant.value}) accounts for {_pct(tenant.count, digest.size)} of events: "
            "look at its configuration first."
        )
    if digest.unique_users:
        tenants = f" in {digest.unique_tenants} tenants" if digest.unique_tenants else ""
        out.append(f"{digest.unique_users} users{tenants} affected.")
    return out


def _context(digest: ClusterDigest, neighbours: Sequence[ClusterDigest]) -> list[str]:
    if digest.first_seen is None or digest.last_seen is None:
        return []
    out = [f"Seen from {_when(digest.first_seen)} to {_when(digest.last_seen)}."]
    starts = [n.first_seen for n in neighbours if n.first_seen is not None]
    ends = [n.last_seen for n in neighbours if n.last_seen is not None] + [digest.last_seen]
    if starts:
        begin, end = min(starts + [digest.first_seen]), max(ends)
        span = (end - begin).total_seconds()
        if span > 0 and (digest.first_seen - begin).total_seconds() / span >= 0.8:
            out.append(
                f"It started late in the observed window (other clusters go back to {_when(begin)}): "
                "a recent change (deployment, expiry, config) is likely."
            )
    return out


def _when(moment: datetime) -> str:
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _title(digest: ClusterDigest, ev: _Evidence) -> str:
    plugin = _plugin_phrase(digest)
    what = _what_phrase(digest, ev)
    endpoint = _top(digest.endpoints)
    on = ""
    if endpoint and ev.family != "code_bug" and endpoint.count / digest.size >= 0.5:
        on = f" on {endpoint.value}"
    head = f"{plugin} · {what}" if plugin else what
    title = head + on if len(head + on) <= MAX_TITLE else head
    return _clip(title, MAX_TITLE)


def _plugin_phrase(digest: ClusterDigest) -> str:
    plugins = digest.plugins
    if not plugins:
        return ""
    if plugins[0].count / digest.size >= 0.8 or len(plugins) == 1:
        return plugins[0].value
    if (plugins[0].count + plugins[1].count) / digest.size >= 0.8:
        return f"{plugins[0].value}/{plugins[1].value}"
    return "Several plugins"


def _what_phrase(digest: ClusterDigest, ev: _Evidence) -> str:
    if ev.count == 0:
        # No status or type to name it by: the message most of its events share says more than keywords.
        if words := _shared_message(digest):
            return words
        return ", ".join(digest.keywords[:3]) or f"Cluster {digest.label}"
    if ev.status is not None and ev.share(digest.size) < MIXED_BELOW and ev.second:
        return f"mixed {ev.status}/{ev.second.value} errors"
    if ev.status is not None:
        code, etype = _dominant(digest.error_codes, digest.size), _specific_type(digest)
        name = code.value if code else etype.value if etype else describe_status(ev.status).split(" ", 1)[1]
        return f"{ev.status} {name}"
    return f"{ev.label} in plugin code" if ev.family == "code_bug" else ev.label


def _shared_message(digest: ClusterDigest) -> str:
    """The message pattern of at least half the events; else the words that begin all the listed patterns,
    where those hold at least half the events and the words are two or more (one, such as "Error", names
    nothing). Empty when neither."""
    message = _dominant(digest.patterns, digest.size)
    if message is not None:
        return template_words(message.value)
    if not digest.size or sum(c.count for c in digest.patterns) / digest.size < 0.5:
        return ""
    shared: list[str] = []
    for words in zip(*(template_words(c.value).split() for c in digest.patterns)):
        if len(set(words)) > 1:
            break
        shared.append(words[0])
    return template_words(" ".join(shared)) if len(shared) >= 2 else ""


def _fix(digest: ClusterDigest, ev: _Evidence) -> str:
    fix = FIXES[ev.family]
    if ev.family == "bad_request" and (param := _parameter(digest)):
        fix = f"Validate '{param}' before sending (format, time zone, range); " + fix[0].lower() + fix[1:]
    return fix


def _severity(share: float, family: str) -> str:
    """Impact (how many events) plus kind: outages, auth and code bugs block users outright."""
    points = (2 if share >= 0.10 else 1 if share >= 0.03 else 0) + (2 if family in _HIGH_IMPACT else 1)
    return "high" if points >= 4 else "medium" if points >= 2 else "low"


def _confidence(dominance: float, family: str, size: int) -> float:
    """How much of the cluster the hypothesis explains, discounted for guesses and tiny clusters."""
    factor = 0.4 if family in {"unknown", "client"} else 1.0
    if size < 5:
        factor *= 0.7
    return round(min(max(dominance * factor, 0.0), 1.0), 2)


def _noise_summary(digest: ClusterDigest) -> ClusterSummary:
    common = [c for c in (_top(digest.status_codes), _top(digest.plugins), _top(digest.error_types)) if c]
    listed = ", ".join(f"{c.value} ({c.count})" for c in common)
    root = f"{digest.size} events ({round(100 * digest.share)}% of the run) fit no cluster."
    if listed:
        root += f" Most common values: {listed}."
    return ClusterSummary(
        summary=NOISE_TITLE if digest.label == -1 else f"Cluster {digest.label} (no events)",
        root_cause=root,
        suggested_fix="Lower the minimum cluster size, or look at the fingerprints, to place these events.",
        severity="medium" if digest.share >= 0.3 else "low",
        confidence=0.0,
        source="offline",
    )
