"""Trends: how each pattern's share of the failures moves over time and releases, and what changed between
two windows (issue 19).

    series(events, by)       per pattern and time bucket (hour or day) and per release: events, unique users
                             and rate = the pattern's share of all events in that bucket or release
    compare(events, ...)     two windows (a (start, end) pair, start <= t < end, or a release name): per
                             pattern counts and rates on both sides, the change, and a state with its reason

States of `compare`, first match wins:
    regressed    the rules resolved the pattern (in release X) and B holds its events from X or later
                 (without a release on the resolve rule: any event in B after the rule was made)
    new          no events in A, some in B
    gone         events in A, none in B
    escalating   rate up, and an exact binomial test of the count in B (given B's total and A's rate) has a
                 Benjamini-Hochberg corrected p below ALPHA
    shrinking    the same, rate down
    ongoing      otherwise (also: fewer than MIN_EVENTS events in both windows together, so not tested)

The functions are pure on a DataFrame with pattern_id, timestamp, user_id and release (one row per event;
pattern_id NaN for events without a pattern, which still count in the totals the rates divide by);
`compare_latest` reads the latest tracked run and the active rules from the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import binomtest, false_discovery_control
from sqlalchemy.engine import Engine

from lens_core.errors import InputError
from lens_core.parse.releases import is_at_least, release_order
from lens_core.tracking.rules import fold_states

__all__ = ["ALPHA", "MIN_EVENTS", "Comparison", "PatternChange", "Series", "benjamini_hochberg",
           "compare", "compare_latest", "default_windows", "series"]

MIN_EVENTS = 5  # fewer events in A and B together and a pattern is not tested (it stays ongoing)
ALPHA = 0.01  # corrected p-value below which a rate change is escalating or shrinking
HOUR_SPAN = timedelta(days=3)  # series buckets by hour under this span, by day from it
RECENT, BEFORE = timedelta(hours=24), timedelta(days=7)  # default time windows, ending at the last event

Window = tuple[datetime, datetime] | str


# ---- preparing a frame ----------------------------------------------------------------------------------

def _prepare(events: pd.DataFrame) -> pd.DataFrame:
    """The columns trends need, normalised: UTC timestamps, release None when missing."""
    missing = {"pattern_id", "timestamp"} - set(events.columns)
    if missing:
        raise InputError(f"events lack the columns {', '.join(sorted(missing))}")
    frame = pd.DataFrame({
        "pattern_id": events["pattern_id"],
        "timestamp": pd.to_datetime(events["timestamp"], utc=True, errors="coerce"),
        "user_id": events.get("user_id"),
        "release": events.get("release"),
    }, index=events.index)
    frame["release"] = frame["release"].map(lambda r: r if isinstance(r, str) and r.strip() else None)
    frame["user_id"] = frame["user_id"].map(lambda u: u if isinstance(u, str) and u else None)
    return frame


def _utc(when: datetime | pd.Timestamp) -> pd.Timestamp:
    stamp = pd.Timestamp(when)
    return stamp.tz_localize(UTC) if stamp.tzinfo is None else stamp.tz_convert(UTC)


def _first_seen(frame: pd.DataFrame) -> dict[str, datetime]:
    known = frame.dropna(subset=["release", "timestamp"])
    return {str(k): v.to_pydatetime() for k, v in known.groupby("release")["timestamp"].min().items()}


def _order(frame: pd.DataFrame, extra: Sequence[str] = ()) -> list[str]:
    return release_order([*frame["release"].dropna(), *extra], _first_seen(frame))


# ---- series ---------------------------------------------------------------------------------------------

@dataclass
class Series:
    """by: "hour" or "day". time: pattern_id, bucket, events, users, total, rate. release: pattern_id, release,
    events, users, total, rate (releases oldest first). Both sorted by pattern then bucket/release."""

    by: str
    time: pd.DataFrame
    release: pd.DataFrame
    releases: list[str] = field(default_factory=list)


def choose_bucket(timestamps: pd.Series) -> str:
    """hour when the events span under HOUR_SPAN, else day."""
    known = timestamps.dropna()
    if known.empty:
        return "day"
    return "hour" if known.max() - known.min() < HOUR_SPAN else "day"


def _counts(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    columns = ["pattern_id", key, "events", "users", "total", "rate"]
    known = frame.dropna(subset=[key])
    totals = known.groupby(key).size().rename("total")
    tagged = known.dropna(subset=["pattern_id"])
    if tagged.empty:
        return pd.DataFrame(columns=columns)
    grouped = tagged.groupby(["pattern_id", key])
    out = pd.DataFrame({"events": grouped.size(), "users": grouped["user_id"].nunique()}).reset_index()
    out = out.join(totals, on=key)
    out["pattern_id"] = out["pattern_id"].astype(int)
    out["rate"] = out["events"] / out["total"]
    return out[columns]


def series(events: pd.DataFrame, by: str | None = None) -> Series:
    """Per pattern: events, unique users and share of all events per time bucket and per release."""
    if by not in (None, "hour", "day"):
        raise InputError(f"series buckets by hour or day, not {by!r}")
    frame = _prepare(events)
    by = by or choose_bucket(frame["timestamp"])
    frame["bucket"] = frame["timestamp"].dt.floor("h" if by == "hour" else "D")
    time = _counts(frame, "bucket").sort_values(["pattern_id", "bucket"], ignore_index=True)
    order = _order(frame)
    per_release = _counts(frame, "release")
    rank = {name: i for i, name in enumerate(order)}
    per_release = (per_release.assign(_rank=per_release["release"].map(rank))
                   .sort_values(["pattern_id", "_rank"], ignore_index=True).drop(columns="_rank"))
    return Series(by=by, time=time, release=per_release, releases=order)


# ---- compare --------------------------------------------------------------------------------------------

@dataclass
class PatternChange:
    pattern_id: int
    count_a: int
    count_b: int
    users_a: int
    users_b: int
    rate_a: float
    rate_b: float
    change: float  # rate_b - rate_a
    p_value: float | None  # exact binomial test; None where not tested
    p_adjusted: float | None  # Benjamini-Hochberg over the tested patterns
    state: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass
class Comparison:
    window_a: str
    window_b: str
    total_a: int
    total_b: int
    changes: list[PatternChange]

    def by_pattern(self) -> dict[int, PatternChange]:
        return {c.pattern_id: c for c in self.changes}

    def as_dict(self) -> dict[str, Any]:
        return {"window_a": self.window_a, "window_b": self.window_b, "total_a": self.total_a,
                "total_b": self.total_b, "changes": [c.as_dict() for c in self.changes]}


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg adjusted p-values (scipy's false_discovery_control), in the input order."""
    if len(p_values) == 0:
        return []
    return false_discovery_control(np.asarray(p_values, dtype=float), method="bh").tolist()


def default_windows(events: pd.DataFrame) -> tuple[Window, Window]:
    """The latest release against the one before it, where the events name two releases or more; else the
    last RECENT before the latest event against the BEFORE preceding it."""
    frame = _prepare(events)
    order = _order(frame)
    if len(order) >= 2:
        return order[-2], order[-1]
    latest = frame["timestamp"].max()
    if pd.isna(latest):
        raise InputError("no events with a timestamp to compare")
    end = latest.to_pydatetime() + timedelta(microseconds=1)
    return (end - RECENT - BEFORE, end - RECENT), (end - RECENT, end)


def _select(frame: pd.DataFrame, window: Window) -> pd.Series:
    if isinstance(window, str):
        return frame["release"] == window
    start, end = window
    return (frame["timestamp"] >= _utc(start)) & (frame["timestamp"] < _utc(end))


def _describe(window: Window) -> str:
    if isinstance(window, str):
        return f"release {window}"
    start, end = (_utc(w).isoformat() for w in window)
    return f"{start} .. {end}"


def compare(events: pd.DataFrame, *, window_a: Window | None = None, window_b: Window | None = None,
            rules: Sequence[Any] = ()) -> Comparison:
    """Per pattern with events in A or B: counts, rates, change, p-values and state (see the module)."""
    if (window_a is None) != (window_b is None):
        raise InputError("give both windows, or neither for the defaults")
    if window_a is None or window_b is None:
        window_a, window_b = default_windows(events)
    frame = _prepare(events)
    in_a, in_b = _select(frame, window_a), _select(frame, window_b)
    a, b = frame[in_a], frame[in_b]
    total_a, total_b = len(a), len(b)
    stats = {}
    for side, part in (("a", a), ("b", b)):
        tagged = part.dropna(subset=["pattern_id"])
        grouped = tagged.groupby(tagged["pattern_id"].astype(int))
        stats[side] = (grouped.size(), grouped["user_id"].nunique())
    ids = sorted(set(stats["a"][0].index) | set(stats["b"][0].index))

    rows = []
    for pid in ids:
        ca, cb = int(stats["a"][0].get(pid, 0)), int(stats["b"][0].get(pid, 0))
        ra, rb = (ca / total_a if total_a else 0.0), (cb / total_b if total_b else 0.0)
        p = None
        if ca > 0 and cb > 0 and ca + cb >= MIN_EVENTS:
            p = float(binomtest(cb, total_b, ra).pvalue)
        rows.append(PatternChange(pid, ca, cb, int(stats["a"][1].get(pid, 0)), int(stats["b"][1].get(pid, 0)),
                                  ra, rb, rb - ra, p, None, "ongoing", ""))
    tested = [r for r in rows if r.p_value is not None]
    for row, adjusted in zip(tested, benjamini_hochberg([r.p_value for r in tested])):
        row.p_adjusted = adjusted

    regressions = _regressions(frame[in_b], rules, frame)
    for row in rows:
        row.state, row.reason = _state(row, regressions.get(row.pattern_id))
    rows.sort(key=lambda r: (_RANK[r.state], -abs(r.change), r.pattern_id))
    return Comparison(_describe(window_a), _describe(window_b), total_a, total_b, rows)


_RANK = {"regressed": 0, "new": 1, "escalating": 2, "shrinking": 3, "gone": 4, "ongoing": 5}


def _state(row: PatternChange, regression: str | None) -> tuple[str, str]:
    rates = f"rate {row.rate_a:.2%} -> {row.rate_b:.2%}"
    if regression:
        return "regressed", regression
    if row.count_a == 0:
        return "new", f"no events in A, {row.count_b} in B"
    if row.count_b == 0:
        return "gone", f"{row.count_a} events in A, none in B"
    if row.p_adjusted is None:
        return "ongoing", f"{rates}; under {MIN_EVENTS} events, not tested"
    significance = f"{rates}, p={row.p_value:.2g}, corrected p={row.p_adjusted:.2g}"
    if row.p_adjusted < ALPHA:
        return ("escalating" if row.change > 0 else "shrinking"), significance
    return "ongoing", f"{significance} (not below {ALPHA})"


def _regressions(b: pd.DataFrame, rules: Sequence[Any], frame: pd.DataFrame) -> dict[int, str]:
    """pattern id -> why it regressed, for the patterns the rules resolved that have qualifying events in B."""
    out: dict[int, str] = {}
    if not rules:
        return out
    states = fold_states(rules)
    resolved_at: dict[int, Any] = {}
    for rule in rules:
        if rule.kind == "resolve" and rule.pattern_id is not None:
            resolved_at[rule.pattern_id] = getattr(rule, "created_at", None)
    tagged = b.dropna(subset=["pattern_id"])
    tagged = tagged.assign(pattern_id=tagged["pattern_id"].astype(int))
    fixes = [s.resolved_in for s in states.values() if s.state == "resolved" and s.resolved_in]
    order = _order(frame, fixes)
    for pid, state in states.items():
        if state.state != "resolved":
            continue
        mine = tagged[tagged["pattern_id"] == pid]
        if mine.empty:
            continue
        if state.resolved_in:
            fix = state.resolved_in
            n = sum(is_at_least(r, fix, order) for r in mine["release"])
            if n:
                out[pid] = f"resolved in {state.resolved_in}, yet {n} events in B from {state.resolved_in} or later"
        elif resolved_at.get(pid) is not None:
            when = _utc(resolved_at[pid])
            n = int((mine["timestamp"] > when).sum())
            if n:
                out[pid] = f"resolved on {when.isoformat()}, yet {n} events in B after it"
    return out


def compare_latest(*, engine: Engine, window_a: Window | None = None, window_b: Window | None = None,
                   run_id: int | None = None) -> Comparison:
    """`compare` on the events of the latest tracked run (or `run_id`), with the active rules."""
    from lens_core.storage import tracking as store

    run_id = run_id if run_id is not None else store.latest_tracked_run(engine=engine)
    if run_id is None:
        raise InputError("no tracked run to compare: process the events first")
    events = store.run_events_frame(engine=engine, run_id=run_id)
    return compare(events, window_a=window_a, window_b=window_b, rules=store.active_rules(engine=engine))
