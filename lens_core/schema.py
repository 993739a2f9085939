"""Domain types shared by every stage. Plain data, no behaviour beyond small derived values."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# Fields of a telemetry event in the original design, plus the optional ones lens understands.
CORE_FIELDS = ("evaluation_id", "customer_prompt", "skill_input", "skill_output", "ai_output")
OPTIONAL_FIELDS = ("timestamp", "user_id", "tenant_id")
KNOWN_FIELDS = CORE_FIELDS + OPTIONAL_FIELDS


@dataclass(frozen=True)
class TelemetryEvent:
    """One validated failure record. `skill_output` is always text: objects arrive serialised as JSON."""

    evaluation_id: str
    customer_prompt: str
    skill_input: str
    skill_output: str
    ai_output: str
    timestamp: datetime | None = None
    user_id: str | None = None
    tenant_id: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ParsedError:
    """What a skill_output says about the failure. A field that the text does not state stays None.

    form: how the blob arrived: "json", "traceback", "stacktrace", "xml", "html", "text" or "empty".
    error_code: the provider's code ("InvalidAuthenticationToken", "ErrorItemNotFound").
    error_type: the class of failure ("HTTPError", "KeyError", "TimeoutError").
    """

    plugin: str | None = None
    endpoint: str | None = None
    endpoint_template: str | None = None
    http_method: str | None = None
    status_code: int | None = None
    error_code: str | None = None
    error_type: str | None = None
    message: str | None = None
    form: str = "empty"


@dataclass(frozen=True)
class Fingerprint:
    """An exact, explainable failure signature: the hash of `fields`, with the template shown to analysts."""

    hash: str
    version: str
    message_template: str
    fields: dict[str, Any]


@dataclass(frozen=True)
class Count:
    """A value seen in a cluster and how many of its events have it."""

    value: str
    count: int


@dataclass(frozen=True)
class Representative:
    """One sample event shown for a cluster (near its centre, and unlike the other samples)."""

    evaluation_id: str
    customer_prompt: str
    error: str
    fingerprint: str | None = None


@dataclass(frozen=True)
class FingerprintCount:
    hash: str
    template: str
    count: int


@dataclass(frozen=True)
class ClusterDigest:
    """The evidence of one cluster: everything a summarizer may read, and nothing more.

    `label` is the run-local cluster number (-1 is noise). Counts are over the cluster's events;
    `share` is size / events in the run.
    """

    label: int
    size: int
    share: float
    plugins: list[Count]
    endpoints: list[Count]
    status_codes: list[Count]
    error_codes: list[Count]
    error_types: list[Count]
    keywords: list[str]
    representatives: list[Representative]
    fingerprints: list[FingerprintCount]
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    unique_users: int = 0
    unique_tenants: int = 0
    # Added by describe: the most frequent tenants, so a summary can say when one tenant dominates.
    tenants: list[Count] = field(default_factory=list)
    # The cluster's message patterns: its fingerprints' templates after template mining
    # (lens_core.parse.pattern_miner), "<*>" where mined variables were, with event counts, most frequent first.
    patterns: list[Count] = field(default_factory=list)
    # What holds the cluster together and what it absorbed: the surface forms of its errors (json,
    # stacktrace, xml, html, text...), its most common meaning texts (the cause view's text) and the
    # failure families those texts state (lens_core.parse.meaning); several families mean a mixed cluster.
    forms: list[Count] = field(default_factory=list)
    meanings: list[Count] = field(default_factory=list)
    families: list[Count] = field(default_factory=list)


@dataclass(frozen=True)
class ClusterSummary:
    """What a summarizer says of a cluster: a short title and a root-cause hypothesis from evidence."""

    summary: str
    root_cause: str
    suggested_fix: str = ""
    severity: str = ""
    confidence: float | None = None
    source: str = "offline"  # offline | llm
