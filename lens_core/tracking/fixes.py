"""What happened after an analyst's fix: a resolve rule says a pattern was fixed in a release X (its events
of X or later come after the fix; older releases' events never reopen it) or, without one, when the rule was
made. A resolved pattern with events after its fix in a comparison's target regressed; its error messages
from before the fix either go on after it or stopped beyond chance (the fix held for those).

    regressions(target, rules, frame, alpha)   pattern id -> why it regressed (trends.compare's state)
    after_fix(events, pattern_id, rules, alpha) which of a resolved pattern's messages go on, which stopped
    at_or_after(events, release)               which events come from a release or a later one
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import false_discovery_control

from lens_core.describe.phrasing import plural
from lens_core.parse.releases import is_at_least
from lens_core.tracking.frame import prepare, releases_in_order, utc
from lens_core.tracking.rules import fold_states

__all__ = ["AfterFix", "after_fix", "at_or_after", "regressions"]


def at_or_after(events: pd.DataFrame, release: str) -> pd.Series:
    """Which events come from `release` or a later one, in the order `compare` judges regressions by (as
    versions where all names parse as one, else by first appearance); events without a release do not."""
    frame = prepare(events)
    return _Fix(release, None, tuple(releases_in_order(frame, [release]))).split(frame)[1]


def regressions(target: pd.DataFrame, rules: Sequence[Any], frame: pd.DataFrame, alpha: float) -> dict[int, str]:
    """pattern id -> why it regressed, for the patterns the rules resolved that have events after their fix
    in `target` (a part of `frame`, both prepared); `alpha`: the level at which a message stopped."""
    out: dict[int, str] = {}
    if not rules:
        return out
    tagged = target.dropna(subset=["pattern_id"])
    tagged = tagged.assign(pattern_id=tagged["pattern_id"].astype(int))
    for pid, fix in _fixes(rules, frame).items():
        mine = tagged.index[tagged["pattern_id"] == pid]
        if mine.empty:
            continue
        before, after = fix.split(frame)
        n = int(after[mine].sum())
        if n:
            since = f"from {fix.when} or later" if fix.release else "after it"
            out[pid] = (f"resolved {fix.words}, yet {plural(n, 'event')} in the target {since}"
                        + _messages_after_fix(frame, pid, before, after, alpha).words())
    return out


@dataclass(frozen=True)
class _Fix:
    """When a resolved pattern was fixed: in a release (its events of that release or later come after the
    fix), or, without one, when the rule was made."""

    release: str | None
    made: pd.Timestamp | None
    order: tuple[str, ...]

    @property
    def when(self) -> str:
        return self.release or (self.made.isoformat() if self.made is not None else "")

    @property
    def words(self) -> str:
        return f"in {self.release}" if self.release else f"on {self.when}"

    def split(self, events: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
        """Which events come before the fix, and which after it (events without a release are neither,
        where the fix names one)."""
        if self.release:
            order = list(self.order)
            # judged once per release name, not per event
            later = [r for r in events["release"].dropna().unique() if is_at_least(r, self.release, order)]
            after = events["release"].isin(later)
            return events["release"].notna() & ~after, after
        return events["timestamp"] <= self.made, events["timestamp"] > self.made


def _fixes(rules: Sequence[Any], frame: pd.DataFrame) -> dict[int, _Fix]:
    """pattern id -> its fix, for the patterns the rules leave resolved (in a release, or at a known time)."""
    states = fold_states(rules)
    made: dict[int, Any] = {}
    for rule in rules:
        if rule.kind == "resolve" and rule.pattern_id is not None:
            made[rule.pattern_id] = getattr(rule, "created_at", None)
    named = [s.resolved_in for s in states.values() if s.state == "resolved" and s.resolved_in]
    order = tuple(releases_in_order(frame, named))
    return {pid: _Fix(state.resolved_in, utc(made[pid]) if made.get(pid) is not None else None, order)
            for pid, state in states.items()
            if state.state == "resolved" and (state.resolved_in or made.get(pid) is not None)}


@dataclass(frozen=True)
class AfterFix:
    """A resolved pattern's error messages from before its fix: those that go on after it, and those that
    stopped beyond chance (the fix held for them), with the events each had before the fix. Messages too
    rare to tell are neither."""

    going_on: tuple[str, ...]
    going_on_events: int
    stopped: tuple[str, ...]
    stopped_events: int

    @property
    def partly_held(self) -> bool:
        """Some messages stopped and others go on: the ones that go on may be another failure."""
        return bool(self.stopped and self.going_on)

    def words(self) -> str:
        if not self.going_on and not self.stopped:
            return ""
        text = (f"; of its error messages before the fix, {len(self.going_on)} "
                f"{'goes' if len(self.going_on) == 1 else 'go'} on ({plural(self.going_on_events, 'event')} "
                f"before it)")
        if self.stopped:
            text += (f" and {len(self.stopped)} stopped ({plural(self.stopped_events, 'event')} before it, more "
                     "than a steady rate leaves out)")
        if self.partly_held:
            text += ": the fix held for those; if the others are another failure, split them off"
        return text


def _messages_after_fix(frame: pd.DataFrame, pattern_id: int, before: pd.Series, after: pd.Series,
                        alpha: float) -> AfterFix:
    """`before`, `after`: every event's side of the fix (all patterns': the share s of events after it is
    the steady rate's). A message of the pattern whose n events all come before the fix stopped beyond
    chance where (1 - s) ** n, Benjamini-Hochberg corrected over the pattern's messages before the fix, is
    below `alpha` (the test lens_core.tracking.inside gives messages first seen in a target, mirrored)."""
    share = float(after.sum()) / float(before.sum() + after.sum()) if after.any() else 0.0
    mine = frame["pattern_id"] == pattern_id
    earlier = frame.loc[mine & before, "message_pattern"].dropna().value_counts()
    since = set(frame.loc[mine & after, "message_pattern"].dropna())
    goes_on = np.array([m in since for m in earlier.index], dtype=bool)
    p = np.where(goes_on, 1.0, np.power(1.0 - share, earlier.to_numpy(dtype=float)))
    stopped = ~goes_on & (false_discovery_control(p, method="bh") < alpha) if len(p) else goes_on
    return AfterFix(tuple(earlier.index[goes_on]), int(earlier[goes_on].sum()),
                    tuple(earlier.index[stopped]), int(earlier[stopped].sum()))


def after_fix(events: pd.DataFrame, pattern_id: int, rules: Sequence[Any], alpha: float) -> AfterFix | None:
    """For a pattern the rules leave resolved: which of its error messages from before the fix go on after
    it (in `events`, any span: a run's events) and which stopped; None where it is not resolved."""
    frame = prepare(events)
    fix = _fixes(rules, frame).get(pattern_id)
    if fix is None:
        return None
    return _messages_after_fix(frame, pattern_id, *fix.split(frame), alpha)
