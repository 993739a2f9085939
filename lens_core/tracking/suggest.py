"""What a pattern's evidence suggests: split it where its events disagree on the failure family, split off
the error messages that go on after its fix where the fix held for its others, merge the open patterns
whose evidence names the same failure. Suggestions are shown beside the actions and applied by the analyst
with one click (as rules, like any other); lens never applies one on its own.

Both read the evidence of the clusters that hold the pattern's events (lens_core.describe): the failure
families their meaning texts state, weighted by how many of the pattern's events each cluster holds, and
the dominant status, error code and family of the cluster holding most of them (its signature).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from lens_core.describe.cohesion import FAMILY_WORDS, mixed_families, signature
from lens_core.describe.phrasing import clip
from lens_core.schema import ClusterDigest
from lens_core.tracking.curation import MAX_TITLE
from lens_core.tracking.fixes import after_fix
from lens_core.tracking.rules import SPLIT_FIELDS, fold_states
from lens_core.tracking.trends import ALPHA

# The fields a mixed pattern is split by, in order of preference: the status says the family most directly.
SPLIT_ORDER = ("status", "error_code", "error_type", "message_pattern")


@dataclass(frozen=True)
class Suggestion:
    kind: str  # split | merge
    reason: str
    by: str | None = None  # split: the field
    values: tuple[str, ...] = ()  # split: the values that go to one new pattern (none: a pattern per value)
    part: str = ""  # split with values: what the new pattern holds, for its title
    others: tuple[int, ...] = ()  # merge: the patterns to merge into this one

    def part_title(self, title: str) -> str:
        """The new pattern's title for a split with values, from the pattern's `title`: within MAX_TITLE."""
        suffix = f" · {self.part}"
        return clip(title, MAX_TITLE - len(suffix)) + suffix


def suggestions(pattern_id: int, events: pd.DataFrame, digests: Mapping[int, ClusterDigest],
                open_patterns: set[int], rules: Sequence[Any] = ()) -> list[Suggestion]:
    """`events`: the run's events with `label`, `pattern_id`, `timestamp`, `release` and the SPLIT_FIELDS
    columns; `digests`: label -> the cluster's evidence; `open_patterns`: the patterns a merge may take in;
    `rules`: the active rules (what was resolved, and when)."""
    mine = events[events["pattern_id"] == pattern_id]
    if mine.empty:
        return []
    out = []
    if (split := _split(mine, digests)) is not None:
        out.append(split)
    elif (split := _split_after_fix(pattern_id, events, rules)) is not None:
        out.append(split)
    if (merge := _merge(pattern_id, events, digests, open_patterns)) is not None:
        out.append(merge)
    return out


def _split(mine: pd.DataFrame, digests: Mapping[int, ClusterDigest]) -> Suggestion | None:
    families: Counter[str] = Counter()
    for label, n in mine["label"].value_counts().items():
        digest = digests.get(int(label))
        if digest is None or not digest.size:
            continue
        for count in digest.families:
            families[count.value] += count.count * n / digest.size
    if (shares := mixed_families(families.most_common())) is None:
        return None
    by = next((f for f in SPLIT_ORDER if mine[SPLIT_FIELDS[f]].dropna().nunique() >= 2), None)
    if by is None:
        return None
    return Suggestion("split", f"its events disagree on the failure family ({shares})", by=by)


def _split_after_fix(pattern_id: int, events: pd.DataFrame, rules: Sequence[Any]) -> Suggestion | None:
    state = fold_states(rules).get(pattern_id)
    if state is None or state.state != "resolved":  # the common case, without reading the run's events again
        return None
    held = after_fix(events, pattern_id, rules, ALPHA)
    if held is None or not held.partly_held:
        return None
    return Suggestion(
        "split", f"after its fix, {len(held.stopped)} of its error messages stopped ({held.stopped_events} events "
                 f"before it) and {len(held.going_on)} {'goes' if len(held.going_on) == 1 else 'go'} on "
                 f"({held.going_on_events} events before it): the fix held for "
                 f"{'that one' if len(held.stopped) == 1 else 'those'}; the others look like another failure, "
                 "which, split off, becomes an open pattern of its own",
        by="message_pattern", values=held.going_on, part="still failing after the fix")


def _merge(pattern_id: int, events: pd.DataFrame, digests: Mapping[int, ClusterDigest],
           open_patterns: set[int]) -> Suggestion | None:
    mains = {int(pid): _main_cluster(group) for pid, group in events.groupby("pattern_id")}
    signatures = {pid: signature(digests[label]) if label in digests else None for pid, label in mains.items()}
    own = signatures.get(pattern_id)
    if own is None:
        return None
    # A pattern whose events sit mostly in this one's cluster was split from it on purpose (a rule): no twin.
    twins = tuple(sorted(pid for pid, sig in signatures.items() if sig == own and pid != pattern_id
                         and pid in open_patterns and mains[pid] != mains[pattern_id]))
    if not twins:
        return None
    status, code, family = own
    return Suggestion("merge", f"their evidence names the same failure as this one's: status {status}, "
                               f"code {code}, {FAMILY_WORDS.get(family, family)}", others=twins)


def _main_cluster(group: pd.DataFrame) -> int:
    """The cluster that holds most of a pattern's events (-1: noise, which has no signature)."""
    return int(group["label"].value_counts().idxmax())
