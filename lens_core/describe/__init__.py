"""describe: the evidence of each cluster and what it suggests.

    build_digests(events, vectors)      counts, keywords, representatives, first/last seen per label
    class_tfidf_keywords(texts_by_label) cluster-specific words (c-TF-IDF)
    pick_representatives(vectors, texts) samples near the centre and unlike each other (MMR)
    OfflineSummarizer().summarize(d)    title and root-cause hypothesis from the evidence, no LLM
    digest_to_dict / digest_from_dict   JSON-safe storage round-trip
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from lens_core.describe.keywords import class_tfidf_keywords
from lens_core.describe.offline import OfflineSummarizer, Summarizer, describe_status, family_of
from lens_core.describe.patterns import build_digests
from lens_core.describe.representatives import pick_representatives
from lens_core.schema import ClusterDigest, Count, FingerprintCount, Representative

__all__ = [
    "OfflineSummarizer",
    "Summarizer",
    "build_digests",
    "class_tfidf_keywords",
    "describe_status",
    "digest_from_dict",
    "digest_to_dict",
    "family_of",
    "pick_representatives",
]

_COUNT_FIELDS = ("plugins", "endpoints", "status_codes", "error_codes", "error_types", "tenants", "patterns",
                 "forms", "meanings", "families")


def digest_to_dict(digest: ClusterDigest) -> dict[str, Any]:
    """Plain JSON types only: datetimes become ISO 8601 strings (with their offset)."""
    data = asdict(digest)
    for key in ("first_seen", "last_seen"):
        value = data[key]
        data[key] = value.isoformat() if isinstance(value, datetime) else None
    return data


def digest_from_dict(data: dict[str, Any]) -> ClusterDigest:
    """Inverse of digest_to_dict; fields added to the schema later fall back to their defaults."""
    counts = {key: [Count(**c) for c in data.get(key, [])] for key in _COUNT_FIELDS}
    return ClusterDigest(
        label=int(data["label"]),
        size=int(data["size"]),
        share=float(data["share"]),
        **counts,
        keywords=list(data.get("keywords", [])),
        representatives=[Representative(**r) for r in data.get("representatives", [])],
        fingerprints=[FingerprintCount(**f) for f in data.get("fingerprints", [])],
        first_seen=_parse_time(data.get("first_seen")),
        last_seen=_parse_time(data.get("last_seen")),
        unique_users=int(data.get("unique_users", 0)),
        unique_tenants=int(data.get("unique_tenants", 0)),
    )


def _parse_time(value: str | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)
