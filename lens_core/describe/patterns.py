"""The evidence of each cluster, computed column-wise over a run's events.

Every count is one groupby over the whole frame, so 100k events and ~50 clusters cost well under a
few seconds; the only per-cluster Python loop is the representative pick, on a bounded sample.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

import numpy as np
import pandas as pd

from lens_core.describe.keywords import class_tfidf_from_counts
from lens_core.describe.representatives import pick_representatives
from lens_core.parse.pattern_miner import mine_templates
from lens_core.schema import ClusterDigest, Count, FingerprintCount, Representative

# Digest field -> event column. Status codes are shown as strings ("401") like every other value.
COUNT_COLUMNS = {
    "plugins": "plugin",
    "endpoints": "endpoint_template",
    "status_codes": "status_code",
    "error_codes": "error_code",
    "error_types": "error_type",
    "tenants": "tenant_id",
    "forms": "error_form",
    "meanings": "text",  # the run's view text: under the cause view, what each event means
    "families": "family",  # the failure family the view's text states (lens_core.embed.views.families_of)
}
MAX_FINGERPRINTS = 10
# Representatives are picked from a deterministic sample: MMR is O(k * n) and 2000 rows of a cluster
# already hold every distinct kind of text worth showing.
MAX_CANDIDATES = 2000


def build_digests(
    events: pd.DataFrame,
    vectors: np.ndarray | Sequence[np.ndarray] | None = None,
    *,
    top_n: int = 5,
    n_representatives: int = 5,
    n_keywords: int = 8,
    max_candidates: int = MAX_CANDIDATES,
) -> dict[int, ClusterDigest]:
    """One ClusterDigest per label (noise -1 included), in label order.

    vectors: one row per event, for picking representatives; anything indexed by an array of rows works
    (results.EventRows gathers them from the distinct points on demand)."""
    if events.empty:
        return {}
    if vectors is not None and len(vectors) != len(events):
        raise ValueError(f"vectors has {len(vectors)} rows but events has {len(events)}")
    labels = events["label"].to_numpy(dtype=np.int64)
    sizes = pd.Series(labels).value_counts().sort_index()
    counts = {name: _top_counts(labels, _values(events, col), top_n) for name, col in COUNT_COLUMNS.items()}
    fingerprints = _fingerprints(events, labels)
    mined = _message_patterns(events, labels)
    seen = _first_last(events, labels)
    users = _nunique(events, "user_id", labels)
    tenants = _nunique(events, "tenant_id", labels)
    keywords = _keywords(events, labels, n_keywords)
    samples = _representatives(events, vectors, labels, n_representatives, max_candidates)
    total = len(events)
    return {
        int(label): ClusterDigest(
            label=int(label),
            size=int(size),
            share=float(size) / total,
            **{name: per_label.get(label, []) for name, per_label in counts.items()},
            keywords=keywords.get(label, []),
            representatives=samples.get(label, []),
            fingerprints=fingerprints.get(label, []),
            patterns=mined.get(label, []),
            first_seen=seen.get(label, (None, None))[0],
            last_seen=seen.get(label, (None, None))[1],
            unique_users=users.get(label, 0),
            unique_tenants=tenants.get(label, 0),
        )
        for label, size in sizes.items()
    }


def _column(events: pd.DataFrame, name: str) -> pd.Series:
    """A column by position (index-free), or all-missing when the frame lacks it (optional fields)."""
    if name in events.columns:
        return events[name].reset_index(drop=True)
    return pd.Series([None] * len(events), dtype=object)


def _values(events: pd.DataFrame, name: str) -> pd.Series:
    """Text values with blanks as missing; integers (status codes) as their decimal string."""
    column = _column(events, name)
    if pd.api.types.is_numeric_dtype(column.dtype):
        column = column.astype("Int64")
    column = column.astype("string").str.strip()
    return column.mask(column == "")


def _strings(events: pd.DataFrame, name: str) -> np.ndarray:
    """Object array of str or None, for building result objects."""
    column = _column(events, name).astype("string")
    return column.astype(object).where(column.notna(), None).to_numpy()


def _top_counts(labels: np.ndarray, values: pd.Series, top_n: int) -> dict[int, list[Count]]:
    frame = pd.DataFrame({"label": labels, "value": values.to_numpy()}).dropna()
    if frame.empty:
        return {}
    counted = frame.value_counts(["label", "value"]).reset_index(name="count")
    counted = counted.sort_values(["label", "count", "value"], ascending=[True, False, True], kind="stable")
    counted = counted.groupby("label", sort=False).head(top_n)
    out: dict[int, list[Count]] = defaultdict(list)
    for label, value, count in zip(counted["label"].tolist(), counted["value"].tolist(), counted["count"].tolist()):
        out[int(label)].append(Count(value=str(value), count=int(count)))
    return out


def _fingerprints(events: pd.DataFrame, labels: np.ndarray) -> dict[int, list[FingerprintCount]]:
    hashes, templates = _values(events, "fingerprint").to_numpy(), _strings(events, "message_template")
    frame = pd.DataFrame({"label": labels, "hash": hashes, "template": templates}).dropna(subset=["hash"])
    if frame.empty:
        return {}
    grouped = frame.groupby(["label", "hash"], sort=False).agg(count=("hash", "size"), template=("template", "first"))
    grouped = grouped.reset_index().sort_values(
        ["label", "count", "hash"], ascending=[True, False, True], kind="stable"
    )
    grouped = grouped.groupby("label", sort=False).head(MAX_FINGERPRINTS)
    out: dict[int, list[FingerprintCount]] = defaultdict(list)
    for row in grouped.itertuples(index=False):
        template = "" if row.template is None or pd.isna(row.template) else str(row.template)
        out[int(row.label)].append(FingerprintCount(hash=str(row.hash), template=template, count=int(row.count)))
    return out


def _message_patterns(events: pd.DataFrame, labels: np.ndarray) -> dict[int, list[Count]]:
    """Each cluster's message patterns and their event counts: ten exact signatures that differ in a user
    name or a file name read as one pattern with <*> there, so the evidence says what varies.

    The stored pattern of each event's fingerprint (`message_pattern`, mined at ingest over all stored
    templates) where there is one; events without one (not mined yet, or a frame without the column)
    have their cluster's fingerprint templates mined here, as before patterns were stored."""
    frame = pd.DataFrame({"label": labels, "template": _strings(events, "message_template"),
                          "pattern": _strings(events, "message_pattern")})
    frame = frame[frame["pattern"].notna() | frame["template"].notna()]
    if frame.empty:
        return {}
    unmined = frame["pattern"].isna()
    if unmined.any():
        frame.loc[unmined, "pattern"] = _mined_per_label(frame.loc[unmined, ["label", "template"]])
    counted = frame.value_counts(["label", "pattern"], sort=False).reset_index(name="count")
    out: dict[int, list[Count]] = {}
    for label, group in counted.groupby("label", sort=True):
        top = sorted(zip(group["pattern"].tolist(), group["count"].tolist()), key=lambda item: (-item[1], item[0]))
        out[int(label)] = [Count(value=str(pattern), count=int(n)) for pattern, n in top[:MAX_FINGERPRINTS]]
    return out


def _mined_per_label(frame: pd.DataFrame) -> pd.Series:
    """Each row's template mined among its cluster's distinct templates (weighted by their rows)."""
    counted = frame.value_counts(["label", "template"], sort=False).reset_index(name="count")
    counted = counted.sort_values(["label", "template"], kind="stable")
    mined: dict[tuple[int, str], str] = {}
    for label, group in counted.groupby("label", sort=True):
        templates = group["template"].tolist()
        for template, pattern in zip(templates, mine_templates(templates, group["count"].tolist()), strict=True):
            mined[(label, template)] = pattern
    return pd.Series([mined[key] for key in zip(frame["label"], frame["template"])], index=frame.index, dtype=object)


def _first_last(events: pd.DataFrame, labels: np.ndarray) -> dict[int, tuple[datetime | None, datetime | None]]:
    if "timestamp" not in events.columns:
        return {}
    stamps = pd.to_datetime(events["timestamp"].reset_index(drop=True), utc=True, errors="coerce")
    bounds = stamps.groupby(labels).agg(["min", "max"])
    return {int(label): (_pydatetime(row["min"]), _pydatetime(row["max"])) for label, row in bounds.iterrows()}


def _pydatetime(value: pd.Timestamp) -> datetime | None:
    return None if pd.isna(value) else value.to_pydatetime()


def _nunique(events: pd.DataFrame, name: str, labels: np.ndarray) -> dict[int, int]:
    counts = _values(events, name).groupby(labels).nunique()
    return {int(label): int(n) for label, n in counts.items()}


def _texts(events: pd.DataFrame) -> pd.Series:
    """The embedded view where present; otherwise the template and prompt, which stand for it."""
    fallback = _column(events, "message_template").astype("string").fillna("") + " " + _column(
        events, "customer_prompt"
    ).astype("string").fillna("")
    return _column(events, "text").astype("string").fillna(fallback)


def _keywords(events: pd.DataFrame, labels: np.ndarray, n_keywords: int) -> dict[int, list[str]]:
    frame = pd.DataFrame({"label": labels, "text": _texts(events).to_numpy()})
    counted = frame.value_counts(["label", "text"]).reset_index(name="count")
    return class_tfidf_from_counts(
        counted["label"].to_numpy(), counted["text"].tolist(), counted["count"].to_numpy(), top_n=n_keywords
    )


def _candidates(positions: np.ndarray, distance: np.ndarray, label: int, cap: int) -> np.ndarray:
    """At most `cap` rows of one cluster, nearest first (NaN distances last).

    The sample is seeded by the label, so the same run always shows the same samples.
    """
    if len(positions) > cap:
        rng = np.random.default_rng(abs(label) + (1 << 20) * (label < 0))
        positions = np.sort(rng.choice(positions, size=cap, replace=False))
    near = distance[positions]
    order = np.lexsort((positions, np.where(np.isnan(near), np.inf, near)))
    return positions[order]


def _representatives(
    events: pd.DataFrame, vectors: np.ndarray | Sequence[np.ndarray] | None, labels: np.ndarray, k: int, cap: int
) -> dict[int, list[Representative]]:
    if k <= 0:
        return {}
    ids, prompts = _strings(events, "evaluation_id"), _strings(events, "customer_prompt")
    messages, templates = _strings(events, "message"), _strings(events, "message_template")
    hashes, texts = _strings(events, "fingerprint"), _texts(events).to_numpy(dtype=object)
    distance = pd.to_numeric(_column(events, "distance"), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    out: dict[int, list[Representative]] = {}
    for label, positions in pd.Series(labels).groupby(labels).indices.items():
        rows = _candidates(np.asarray(positions), distance, int(label), cap)
        chosen = pick_representatives(None if vectors is None else vectors[rows], texts[rows].tolist(), k=k)
        out[int(label)] = [
            Representative(
                evaluation_id=ids[i] or "",
                customer_prompt=prompts[i] or "",
                error=(messages[i] or "").strip() or templates[i] or "",
                fingerprint=hashes[i],
            )
            for i in rows[chosen]
        ]
    return out
