"""Trends: how each pattern's share of the failures moves over time and releases, and what changed between
two windows, a base and a target (issue 19).

    series(events, by)       per pattern and time bucket (hour or day) and per release: events, unique users
                             and rate = the pattern's share of all events in that bucket or release
    facet(events, values)    the same per value of an attribute (client or model version, ...)
    compare(events, ...)     two windows (a (start, end) pair, start <= t < end, or a release name): per
                             pattern counts and rates on both sides, the change, and a state with its reason

States of `compare`, first match wins:
    regressed    the rules resolved the pattern (in release X) and the target holds its events from X or
                 later (without a release on the resolve rule: any target event after the rule was made);
                 the reason says which of its error messages from before the fix go on and which stopped
                 (lens_core.tracking.fixes), and whether its rate fell or rose significantly (a fix that
                 cut a pattern down is not one that did nothing)
    new          no events before the target (earlier in time, or from an older release), and MIN_EVENTS
                 or more in it; or, seen before, MIN_EVENTS or more of its target events carry error
                 messages first seen in the target, each on two events or more and more than a steady rate
                 would put there (lens_core.tracking.inside: a new failure that reads like an old one
                 joins its pattern), unless the pattern escalates and those events make less than half of
                 its growth
    escalating   rate up, significantly: the exact conditional binomial test (the pattern's target count
                 among its base + target events, against the target's share of all base + target events,
                 so both sides' counts are samples) has a Benjamini-Hochberg corrected p below ALPHA; or
                 one of its error messages rose so (a failure growing inside a pattern that holds others
                 too: the messages are tested as a family of their own, lens_core.tracking.inside)
    shrinking    the same, rate down
    gone         the same, with no events in the target
    ongoing      otherwise: no significant change, or fewer than MIN_EVENTS events to tell

The functions are pure on a DataFrame of one row per event with pattern_id (NaN for events without a
pattern, which still count in the totals the rates divide by), timestamp, user_id, release and, optionally,
message_pattern (its error message's template); `compare_latest` reads the latest tracked run and the
active rules from the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import binomtest, false_discovery_control
from sqlalchemy.engine import Engine

from lens_core.describe.phrasing import plural
from lens_core.errors import InputError
from lens_core.parse.releases import release_order
from lens_core.tracking import fixes, inside
from lens_core.tracking.frame import prepare, releases_in_order, utc
from lens_core.tracking.titles import titles_of

__all__ = ["ALERT_STATES", "ALPHA", "MIN_EVENTS", "STATE_RANK", "Comparison", "PatternChange", "Series",
           "benjamini_hochberg", "compare", "compare_latest", "default_windows", "facet", "series"]

MIN_EVENTS = 5  # fewer events (base and target together) are not tested, nor enough to call a pattern new
ALPHA = 0.01  # corrected p-value below which a rate change is escalating or shrinking
HOUR_SPAN = timedelta(days=3)  # series buckets by hour under this span, by day from it
RECENT, BEFORE = timedelta(hours=24), timedelta(days=7)  # default time windows, ending at the last event
MAX_RELEASES_LISTED = 10  # an unknown release's error lists the latest ones

Window = tuple[datetime, datetime] | str


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
    frame = prepare(events)
    by = by or choose_bucket(frame["timestamp"])
    frame["bucket"] = frame["timestamp"].dt.floor("h" if by == "hour" else "D")
    time = _counts(frame, "bucket").sort_values(["pattern_id", "bucket"], ignore_index=True)
    order = releases_in_order(frame)
    per_release = _counts(frame, "release")
    rank = {name: i for i, name in enumerate(order)}
    per_release = (per_release.assign(_rank=per_release["release"].map(rank))
                   .sort_values(["pattern_id", "_rank"], ignore_index=True).drop(columns="_rank"))
    return Series(by=by, time=time, release=per_release, releases=order)


def facet(events: pd.DataFrame, values: pd.Series) -> pd.DataFrame:
    """Per pattern and value of a facet (`values`, aligned with `events`: an attribute such as the client
    or model version; missing values left out): events, users and share of all events with that value.
    Values in version order where they parse as versions, else by first appearance."""
    frame = prepare(events)
    frame["value"] = values.map(lambda v: str(v).strip() if v is not None and not pd.isna(v) and str(v).strip()
                                else None)
    counts = _counts(frame, "value")
    first = {str(k): v for k, v in frame.dropna(subset=["value", "timestamp"]).groupby("value")["timestamp"].min().items()}
    rank = {name: i for i, name in enumerate(release_order(list(frame["value"].dropna()), first))}
    return (counts.assign(_rank=counts["value"].map(rank)).sort_values(["pattern_id", "_rank"], ignore_index=True)
            .drop(columns="_rank"))


# ---- compare --------------------------------------------------------------------------------------------

@dataclass
class PatternChange:
    pattern_id: int
    title: str  # filled where the store is known (compare_latest)
    base_events: int
    target_events: int
    base_users: int
    target_users: int
    base_rate: float
    target_rate: float
    change: float  # target_rate - base_rate
    p_value: float | None  # exact binomial test; None where not tested
    p_adjusted: float | None  # Benjamini-Hochberg over the tested patterns
    state: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass
class Comparison:
    base: str
    target: str
    base_total: int
    target_total: int
    changes: list[PatternChange]
    target_release: str | None = None  # the target, where it is a release

    def by_pattern(self) -> dict[int, PatternChange]:
        return {c.pattern_id: c for c in self.changes}

    def empty_sides(self) -> list[tuple[str, str]]:
        """("base" or "target", its description) for each side that holds no events: nothing to test there."""
        sides = (("base", self.base_total, self.base), ("target", self.target_total, self.target))
        return [(side, label) for side, total, label in sides if total == 0]

    def as_dict(self) -> dict[str, Any]:
        return {"base": self.base, "target": self.target, "base_total": self.base_total,
                "target_total": self.target_total, "target_release": self.target_release,
                "changes": [c.as_dict() for c in self.changes]}


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg adjusted p-values (scipy's false_discovery_control), in the input order."""
    if len(p_values) == 0:
        return []
    return false_discovery_control(np.asarray(p_values, dtype=float), method="bh").tolist()


def default_windows(events: pd.DataFrame) -> tuple[Window, Window]:
    """The latest release against the one before it, where the events name two releases or more; else the
    last RECENT before the latest event against the BEFORE preceding it."""
    frame = prepare(events)
    order = releases_in_order(frame)
    if len(order) >= 2:
        return order[-2], order[-1]
    latest = frame["timestamp"].max()
    if pd.isna(latest):
        raise InputError("no events with a timestamp to compare")
    end = latest.to_pydatetime() + timedelta(microseconds=1)
    return (end - RECENT - BEFORE, end - RECENT), (end - RECENT, end)


def _check_releases(frame: pd.DataFrame, *windows: Window) -> None:
    """A release no event carries is a name mistyped (failures are all lens sees: a release without one
    never shows), so it is an error that lists the releases there are, not a comparison with nothing."""
    named = [w for w in windows if isinstance(w, str)]
    known = set(frame["release"].dropna())
    missing = [w for w in named if w not in known]
    if missing:
        order = releases_in_order(frame)
        listed = ", ".join(order[-MAX_RELEASES_LISTED:]) if order else "none"
        more = f" (the latest {MAX_RELEASES_LISTED} of {len(order)})" if len(order) > MAX_RELEASES_LISTED else ""
        raise InputError(f"no events of release {missing[0]!r} here; the events' releases{more}: {listed}")


def _select(frame: pd.DataFrame, window: Window) -> pd.Series:
    if isinstance(window, str):
        return frame["release"] == window
    start, end = window
    return (frame["timestamp"] >= utc(start)) & (frame["timestamp"] < utc(end))


def _describe(window: Window) -> str:
    if isinstance(window, str):
        return f"release {window}"
    # ISO 8601 to the second: machine-readable in JSON, and without the microsecond that the default
    # windows add to include the latest event
    start, end = (utc(w).isoformat(timespec="seconds") for w in window)
    return f"{start} .. {end}"


def compare(events: pd.DataFrame, *, base: Window | None = None, target: Window | None = None,
            rules: Sequence[Any] = ()) -> Comparison:
    """Per pattern with events in the base or the target: counts, rates, change, p-values and state (see
    the module)."""
    if (base is None) != (target is None):
        raise InputError("give both windows, or neither for the defaults")
    if base is None or target is None:
        base, target = default_windows(events)
    frame = prepare(events)
    _check_releases(frame, base, target)
    in_base, in_target = _select(frame, base), _select(frame, target)
    base_total, target_total = int(in_base.sum()), int(in_target.sum())
    base_counts, base_users = _per_pattern(frame[in_base])
    target_counts, target_users = _per_pattern(frame[in_target])
    earlier = _earlier(frame, target)
    seen_before = {int(p) for p in frame.loc[earlier, "pattern_id"].dropna().unique()}
    new_inside = inside.new_messages(frame, in_target, earlier, MIN_EVENTS, ALPHA)
    share = target_total / (base_total + target_total) if base_total and target_total else 0.0

    rows = []
    for pid in sorted(set(base_counts.index) | set(target_counts.index)):
        nb, nt = int(base_counts.get(pid, 0)), int(target_counts.get(pid, 0))
        rb, rt = (nb / base_total if base_total else 0.0), (nt / target_total if target_total else 0.0)
        p = None
        if nb + nt >= MIN_EVENTS and share:
            p = float(binomtest(nt, nb + nt, share).pvalue)
        rows.append(PatternChange(pid, "", nb, nt, int(base_users.get(pid, 0)), int(target_users.get(pid, 0)),
                                  rb, rt, rt - rb, p, None, "ongoing", ""))
    tested = [r for r in rows if r.p_value is not None]
    for row, adjusted in zip(tested, benjamini_hochberg([r.p_value for r in tested])):
        row.p_adjusted = adjusted
    rising = inside.rising_messages(frame, in_base, in_target, share, MIN_EVENTS, ALPHA) if share else {}

    regressions = fixes.regressions(frame[in_target], rules, frame, ALPHA)
    for row in rows:
        row.state, row.reason = _state(row, regressions.get(row.pattern_id), row.pattern_id in seen_before,
                                       new_inside.get(row.pattern_id), rising.get(row.pattern_id), share)
    rows.sort(key=lambda r: (STATE_RANK[r.state], -abs(r.change), r.pattern_id))
    return Comparison(_describe(base), _describe(target), base_total, target_total, rows,
                      target if isinstance(target, str) else None)


def _per_pattern(part: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    tagged = part.dropna(subset=["pattern_id"])
    grouped = tagged.groupby(tagged["pattern_id"].astype(int))
    return grouped.size(), grouped["user_id"].nunique()


def _earlier(frame: pd.DataFrame, target: Window) -> pd.Series:
    """Events before the target: at an earlier time; for a release, from an older release, or without a
    release and from before the target release's first event."""
    if not isinstance(target, str):
        return frame["timestamp"] < utc(target[0])
    order = releases_in_order(frame, [target])
    rank = {name: i for i, name in enumerate(order)}
    older = frame["release"].map(lambda r: r is not None and rank.get(r, len(order)) < rank[target])
    start = frame.loc[frame["release"] == target, "timestamp"].min()
    unreleased = frame["release"].isna() & (frame["timestamp"] < start) if pd.notna(start) else False
    return older | unreleased


STATE_RANK = {"regressed": 0, "new": 1, "escalating": 2, "shrinking": 3, "gone": 4, "ongoing": 5}
ALERT_STATES = ("regressed", "new", "escalating")  # the states worth telling someone about


def _state(row: PatternChange, regression: str | None, seen_before: bool,
           new_inside: tuple[int, int] | None, rising: inside.Rising | None, share: float) -> tuple[str, str]:
    rates = f"rate {row.base_rate:.2%} -> {row.target_rate:.2%}"
    significance = (f"{rates}, p={row.p_value:.2g}, corrected p={row.p_adjusted:.2g}"
                    if row.p_adjusted is not None else "")
    significant = row.p_adjusted is not None and row.p_adjusted < ALPHA
    if regression:
        if significant and row.change < 0:  # the fix cut it down: what is left may be another failure
            regression += f". Its rate fell significantly ({significance}): the fix cut it down but did not end it"
        elif significant:
            regression += f". Its rate rose significantly ({significance})"
        return "regressed", regression
    if not seen_before:
        if row.target_events >= MIN_EVENTS:
            return "new", f"first seen in the target: {plural(row.target_events, 'event')}"
        return "ongoing", (f"first seen in the target, but {plural(row.target_events, 'event')} "
                           f"(under {MIN_EVENTS}) are too few to call it new")
    if new_inside:
        events, messages = new_inside
        fresh = (f"{events} of its {row.target_events} target events carry {plural(messages, 'error message')} "
                 "first seen in the target")
        # A pattern that grows brings rare messages out too: it is new only where its new messages make
        # most of what it grew by (a new failure joined it), else it escalates.
        growth = row.target_events - (row.base_events + row.target_events) * share
        if not (significant and row.change > 0 and events < growth / 2):
            return "new", f"seen before, but {fresh}" + (f" ({significance})" if significant else "")
        significance += f"; {fresh}"
    if not significant and rising:
        return "escalating", (f"{rising.messages} of its error messages rose significantly, the largest "
                              f"{rising.base} -> {rising.target} events (corrected p={rising.p_adjusted:.2g}); "
                              f"the whole pattern: {rates}")
    if row.p_adjusted is None:
        return "ongoing", f"{rates}; under {MIN_EVENTS} events, not tested"
    if not significant:
        return "ongoing", f"{significance} (not below {ALPHA})"
    if row.target_events == 0:
        return "gone", f"{row.base_events} in the base, none in the target ({significance})"
    return ("escalating" if row.change > 0 else "shrinking"), significance


def compare_latest(*, engine: Engine, base: Window | None = None, target: Window | None = None,
                   run_id: int | None = None) -> Comparison:
    """`compare` on the events of the latest tracked run (or `run_id`), with the active rules."""
    from lens_core.storage import tracking as store

    run_id = run_id if run_id is not None else store.latest_tracked_run(engine=engine)
    if run_id is None:
        raise InputError("no tracked run to compare: process the events first")
    events = store.run_events_frame(engine=engine, run_id=run_id)
    result = compare(events, base=base, target=target, rules=store.active_rules(engine=engine))
    titles = titles_of(engine=engine, ids={c.pattern_id for c in result.changes}, run_id=run_id)
    for change in result.changes:
        change.title = titles.get(change.pattern_id, f"Pattern {change.pattern_id}")
    return result
