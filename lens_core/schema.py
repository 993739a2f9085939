"""Domain types shared by every stage. Plain data, no behaviour beyond small derived values.

A cluster's evidence (ClusterDigest and the values it holds) also knows its JSON form (`to_json` /
`from_json`); only storage calls them (lens_core.storage.models.EvidenceJSON), so every other reader
gets the typed values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

# Fields of a telemetry event in the original design, plus the optional ones lens understands.
CORE_FIELDS = ("evaluation_id", "customer_prompt", "skill_input", "skill_output", "ai_output")
OPTIONAL_FIELDS = ("timestamp", "user_id", "tenant_id", "release")
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
    release: str | None = None  # the assistant's release ("2024.05.1")
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

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Count:
        return cls(value=data["value"], count=data["count"])


@dataclass(frozen=True)
class Representative:
    """One sample event shown for a cluster (near its centre, and unlike the other samples)."""

    evaluation_id: str
    customer_prompt: str
    error: str
    fingerprint: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Representative:
        return cls(evaluation_id=data["evaluation_id"], customer_prompt=data["customer_prompt"],
                   error=data["error"], fingerprint=data.get("fingerprint"))


@dataclass(frozen=True)
class FingerprintCount:
    hash: str
    template: str
    count: int

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FingerprintCount:
        return cls(hash=data["hash"], template=data["template"], count=data["count"])


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

    @classmethod
    def empty(cls, label: int, size: int = 0, share: float = 0.0) -> ClusterDigest:
        """A cluster with no evidence: every list empty, no times (rows stored without evidence read so)."""
        return cls(label=label, size=size, share=share, plugins=[], endpoints=[], status_codes=[], error_codes=[],
                   error_types=[], keywords=[], representatives=[], fingerprints=[])

    def to_json(self) -> dict[str, Any]:
        """Plain JSON types only: datetimes become ISO 8601 strings (with their offset)."""
        data = asdict(self)
        for key in ("first_seen", "last_seen"):
            value = data[key]
            data[key] = value.isoformat() if isinstance(value, datetime) else None
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ClusterDigest:
        """Inverse of to_json, for every stored version: fields added to the schema later fall back to
        their defaults, and keys it does not know are ignored."""
        counts = {key: [Count.from_json(c) for c in data.get(key) or []] for key in _COUNT_FIELDS}
        return cls(
            label=int(data["label"]),
            size=int(data["size"]),
            share=float(data["share"]),
            **counts,
            keywords=list(data.get("keywords") or []),
            representatives=[Representative.from_json(r) for r in data.get("representatives") or []],
            fingerprints=[FingerprintCount.from_json(f) for f in data.get("fingerprints") or []],
            first_seen=_parse_time(data.get("first_seen")),
            last_seen=_parse_time(data.get("last_seen")),
            unique_users=int(data.get("unique_users") or 0),
            unique_tenants=int(data.get("unique_tenants") or 0),
        )


_COUNT_FIELDS = ("plugins", "endpoints", "status_codes", "error_codes", "error_types", "tenants", "patterns",
                 "forms", "meanings", "families")


def _parse_time(value: str | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


@dataclass(frozen=True)
class ClusterSummary:
    """What a summarizer says of a cluster: a short title and a root-cause hypothesis from evidence."""

    summary: str
    root_cause: str
    suggested_fix: str = ""
    severity: str = ""
    confidence: float | None = None
    source: str = "offline"  # offline | llm
