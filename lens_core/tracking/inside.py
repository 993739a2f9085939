"""What changes inside a pattern, seen through its error messages (message patterns): a new failure, or a
growing one, can share a pattern with others that hold steady, and then only its messages show it.

    new_messages     messages first seen in the target, more often than a steady rate would give, per pattern
    rising_messages  messages whose count rose significantly, per pattern: the same exact conditional
                     binomial test as patterns get (lens_core.tracking.trends), corrected with
                     Benjamini-Hochberg over the messages tested, a family of its own
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import binomtest, false_discovery_control


@dataclass(frozen=True)
class Rising:
    messages: int  # how many of the pattern's messages rose significantly
    base: int  # the largest rise: its events in the base and the target, and its corrected p
    target: int
    p_adjusted: float


def new_messages(frame: pd.DataFrame, in_target: pd.Series, earlier: pd.Series,
                 min_events: int, alpha: float) -> dict[int, tuple[int, int]]:
    """pattern id -> (target events, messages) of the error messages first seen in the target that are new
    beyond chance, where those events number `min_events` or more.

    A message seen once is left out: values a template did not mask make one-off messages in any busy
    pattern. A message with t events, all in the target, is tested against a steady rate: the chance that
    all t fall in the target is share ** t, where share is the target's part of the target and earlier
    events (the exact conditional binomial test with none earlier); p-values are corrected with
    Benjamini-Hochberg over the messages tested, and a message is new below `alpha`. So a rare variant of
    an old failure seen twice after two weeks of history is not new; a failure that repeats is."""
    old = set(frame.loc[earlier, "message_pattern"].dropna())
    fresh = frame[in_target & frame["pattern_id"].notna() & frame["message_pattern"].notna()
                  & ~frame["message_pattern"].isin(old)]
    per_message = fresh.groupby([fresh["pattern_id"].astype(int), "message_pattern"]).size()
    recurring = per_message[per_message >= 2]
    target, before = int(in_target.sum()), int(earlier.sum())
    if recurring.empty or not before:
        return {}
    share = target / (target + before)
    p = false_discovery_control(np.power(share, recurring.to_numpy(dtype=float)), method="bh")
    beyond = recurring[p < alpha]
    out = {}
    for pid, counts in beyond.groupby(level=0):
        if counts.sum() >= min_events:
            out[int(pid)] = (int(counts.sum()), len(counts))
    return out


def rising_messages(frame: pd.DataFrame, in_base: pd.Series, in_target: pd.Series, share: float,
                    min_events: int, alpha: float) -> dict[int, Rising]:
    """pattern id -> its messages whose target count, among their base + target events, is significantly
    above `share` (the target's share of all base + target events); messages with fewer than `min_events`
    events in both are not tested."""
    tagged = frame[frame["pattern_id"].notna() & frame["message_pattern"].notna()]
    keys = [tagged["pattern_id"].astype(int), tagged["message_pattern"]]
    counts = pd.DataFrame({"base": in_base[tagged.index].groupby(keys).sum(),
                           "target": in_target[tagged.index].groupby(keys).sum()})
    counts = counts[counts["base"] + counts["target"] >= min_events]
    if counts.empty:
        return {}
    p = [binomtest(int(t), int(b + t), share, alternative="two-sided").pvalue
         for b, t in zip(counts["base"], counts["target"])]
    counts["p_adjusted"] = false_discovery_control(np.asarray(p, dtype=float), method="bh")
    expected = (counts["base"] + counts["target"]) * share
    up = counts[(counts["p_adjusted"] < alpha) & (counts["target"] > expected)]
    out = {}
    for pid, rows in up.groupby(level=0):
        largest = rows.loc[(rows["target"] - rows["base"]).idxmax()]
        out[int(pid)] = Rising(len(rows), int(largest["base"]), int(largest["target"]), float(largest["p_adjusted"]))
    return out
