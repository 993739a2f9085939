"""Which pattern each cluster of a new run continues: by the events they share first, by centroids second.

Events first: every event of the previous tracked run had a pattern through its cluster (or none: noise),
or through a curated pattern that held its fingerprint (lens_core.tracking.track).
An event the previous run had votes for the pattern it was in there (none if it was noise). For the events
it never saw, a fingerprint stands for the pattern most of its events were in, and a message pattern
likewise (for fingerprints the previous run did not see): such an event votes for the pattern its
fingerprint (else its message pattern) stood for, and does not vote when neither was seen. A cluster
continues the pattern with most votes when that pattern holds at least MIN_SHARE of the cluster's voting
events and the voters are at least MIN_KNOWN of its events. When several clusters want one pattern, the
one with most of its events continues it, and each other one is either a part of it or a split from it. A
part is a cluster whose evidence names the same failure as the continuing cluster's (`agree`: the dominant
status, error code and failure family both state are equal, and they state one at least): a finer cut or
another seed divided one failure, and its events keep their pattern (the run diff lists the pattern as
divided; an analyst who wants the parts as patterns splits it). A split is one whose evidence names
another failure: the new run tells apart what the pattern held, so it opens a pattern of its own, recorded
as lineage. Once every cluster has its pattern (by events, centroid or a new one), a pattern that no
cluster continued but whose events went to clusters was merged into the one that holds most of them
(`merges`).

Centroids second: a cluster with no such match, or a part (an earlier run may have had it apart),
continues the closest unmatched pattern whose centre (in the same embedding space, model and view) lies
within the larger of the two radii, as `lens assign` joins an event to a cluster. Otherwise a cluster
opens a new pattern, and a part stays a part.

The thresholds are majority rules, not fitted: a cluster is the continuation of a pattern when most of what
it holds was that pattern's, and there is enough known to say so.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lens_core.cluster.centres import MIN_RADIUS

MIN_SHARE = 0.5  # of a cluster's voting events, for the pattern it continues
MIN_KNOWN = 0.2  # of a cluster's events that must vote at all


@dataclass(frozen=True)
class Match:
    label: int
    pattern_id: int | None  # None: opens a new pattern
    matched_by: str  # events | part (of the pattern a larger cluster continues) | centroid | new
    overlap: float | None = None


@dataclass
class Matching:
    matches: dict[int, Match]
    split_from: dict[int, tuple[int, int]] = field(default_factory=dict)  # label -> (pattern, its events)
    merged: list[tuple[int, int | str, int]] = field(default_factory=list)  # (gone pattern, into, events)
    votes: dict[int, Counter] = field(default_factory=dict)  # label -> pattern -> its voting events


def key_votes(previous: pd.DataFrame, pattern: pd.Series) -> tuple[dict[str, int], dict[str, int]]:
    """fingerprint -> pattern and message pattern -> pattern: the pattern most of their events were in
    (`pattern`: each event's pattern in the previous run, before rules; NaN for none)."""
    known = previous.assign(pattern=pattern.to_numpy()).dropna(subset=["pattern"])
    return _majority(known, "fingerprint"), _majority(known.dropna(subset=["message_pattern"]), "message_pattern")


def _majority(frame: pd.DataFrame, key: str) -> dict[str, int]:
    if frame.empty:
        return {}
    counts = frame.groupby([key, "pattern"]).size().reset_index(name="n")
    best = counts.sort_values(["n", "pattern"], ascending=[False, True]).drop_duplicates(key)
    return {k: int(p) for k, p in zip(best[key], best["pattern"])}


def votes_of(events: pd.DataFrame, by_fingerprint: dict[str, int], by_message: dict[str, int],
             own: pd.Series | None = None) -> pd.Series:
    """Each event's vote: its own pattern where the previous run had it (`own`: event_id -> pattern, NaN
    for its noise: no vote), else its fingerprint's pattern, else its message pattern's; NaN where none is
    known. So an event that stays votes for exactly the pattern it was in, and lineage counts are events."""
    vote = events["fingerprint"].map(by_fingerprint)
    vote = vote.where(vote.notna(), events["message_pattern"].map(by_message))
    if own is not None and len(own):
        seen = events["event_id"].isin(own.index)
        vote = vote.where(~seen, events["event_id"].map(own))
    return vote


def match_by_events(events: pd.DataFrame, votes: pd.Series,
                    agree: Callable[[int, int], bool] | None = None) -> Matching:
    """Clusters (events' `label`, noise -1 left out) to patterns by their events' votes. `agree(label,
    keeper)` says whether a cluster's evidence names the failure of the cluster continuing the pattern both
    want (a part); without it every such cluster is a split."""
    clustered = events["label"] >= 0
    sizes = events.loc[clustered, "label"].value_counts()
    tally: dict[int, Counter] = defaultdict(Counter)
    for label, vote in zip(events.loc[clustered, "label"], votes[clustered]):
        if not pd.isna(vote):
            tally[int(label)][int(vote)] += 1
    wanted: dict[int, tuple[int, int, float]] = {}  # label -> (pattern, votes for it, share)
    for label, counter in tally.items():
        known = sum(counter.values())
        pattern, n = min(counter.items(), key=lambda item: (-item[1], item[0]))
        if known >= MIN_KNOWN * sizes[label] and n >= MIN_SHARE * known:
            wanted[label] = (pattern, n, n / known)
    matches: dict[int, Match] = {}
    result = Matching(matches)
    by_pattern: dict[int, list[int]] = defaultdict(list)
    for label, (pattern, _, _) in wanted.items():
        by_pattern[pattern].append(label)
    for pattern, labels in by_pattern.items():
        keeper = min(labels, key=lambda lab: (-wanted[lab][1], lab))
        matches[keeper] = Match(keeper, pattern, "events", round(wanted[keeper][2], 4))
        for other in labels:
            if other == keeper:
                continue
            if agree is not None and agree(other, keeper):
                matches[other] = Match(other, pattern, "part", round(wanted[other][2], 4))
            else:
                result.split_from[other] = (pattern, wanted[other][1])
    result.votes = dict(tally)
    return result


def merges(matching: Matching, target_of_label: Mapping[int, int | str]) -> list[tuple[int, int | str, int]]:
    """(gone pattern, into, events): each pattern that no cluster continues but whose events voted in clusters
    that continue or open another, merged into the one holding most of them. `target_of_label` is every
    cluster's final pattern (a placeholder string for one it opens), so a merge into a cluster matched by
    centroid, or into a new pattern, is recorded too."""
    continued = {t for t in target_of_label.values() if not isinstance(t, str)}
    gone: dict[int, Counter] = defaultdict(Counter)
    for label, counter in matching.votes.items():
        target = target_of_label.get(label)
        if target is None:
            continue
        for pattern, n in counter.items():
            if pattern not in continued:
                gone[pattern][target] += n
    return [(pattern, *holding_most(gone[pattern])) for pattern in sorted(gone)]


def holding_most(events_in: Mapping[int | str, int]) -> tuple[int | str, int]:
    """(pattern, events) of the pattern holding most of the events counted per pattern; a tie goes to the
    first by its text, so ids and the placeholders of patterns a run opens compare alike."""
    return min(events_in.items(), key=lambda item: (-item[1], str(item[0])))


def match_by_centroids(
    unmatched: Mapping[int, tuple[np.ndarray, float]], candidates: Mapping[int, tuple[np.ndarray, float]]
) -> dict[int, tuple[int, float]]:
    """label -> (pattern, cosine distance) for clusters whose centre lies within the larger radius of the
    nearest candidate pattern's centre; each pattern to one cluster, the closest first."""
    pairs = []
    for label, (centre, radius) in unmatched.items():
        for pattern, (other, other_radius) in candidates.items():
            distance = float(1.0 - centre @ other)
            if distance <= max(radius, other_radius, MIN_RADIUS):
                pairs.append((distance, label, pattern))
    chosen: dict[int, tuple[int, float]] = {}
    used: set[int] = set()
    for distance, label, pattern in sorted(pairs):
        if label not in chosen and pattern not in used:
            chosen[label] = (pattern, distance)
            used.add(pattern)
    return chosen
