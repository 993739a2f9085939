"""What changed between two tracked runs: patterns kept, new, gone, split and merged, with event counts.

Kept, new and gone compare the patterns events had in each run (rules applied). Splits and merges are
the lineage the runs after the first one recorded: a pattern that opened as a split of another, and a
pattern whose events were absorbed by another. Divided: a kept pattern that run B holds in more clusters
than run A, parts of one failure by their evidence (lens_core.tracking.matching); the analyst decides
whether they are patterns of their own.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine

from lens_core.errors import InputError
from lens_core.storage import tracking as store
from lens_core.tracking.titles import titles_of


@dataclass
class RunDiff:
    run_a: int
    run_b: int
    kept: list[dict[str, Any]] = field(default_factory=list)
    new: list[dict[str, Any]] = field(default_factory=list)
    gone: list[dict[str, Any]] = field(default_factory=list)
    split: list[dict[str, Any]] = field(default_factory=list)
    merged: list[dict[str, Any]] = field(default_factory=list)
    divided: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    def lines(self) -> list[str]:
        out = [f"run {self.run_a} -> run {self.run_b}: {len(self.kept)} kept, {len(self.new)} new, "
               f"{len(self.gone)} gone, {len(self.split)} split, {len(self.merged)} merged, "
               f"{len(self.divided)} divided"]
        for name in ("new", "gone", "split", "merged", "divided", "kept"):
            for item in getattr(self, name):
                counts = f"{item.get('events_a', 0)} -> {item.get('events_b', 0)} events"
                extra = (f" (from #{item['from']})" if "from" in item else f" (into #{item['into']})" if "into" in item
                         else " (back: seen before run A)" if item.get("returned")
                         else f" ({item['clusters_a']} -> {item['clusters_b']} clusters of one failure by their "
                              "evidence; split it to make them patterns)" if name == "divided" else "")
                out.append(f"  {name:6} #{item['pattern_id']} {item['title']}: {counts}{extra}")
        return out


def diff_runs(*, engine: Engine, run_a: int | None = None, run_b: int | None = None) -> RunDiff:
    """Run B (default: the latest tracked run) against run A (default: the tracked run before B)."""
    tracked = store.tracked_runs(engine=engine)
    if run_b is None:
        if not tracked:
            raise InputError("no tracked run yet: run `lens process` first")
        run_b = tracked[-1]
    if run_a is None:
        earlier = [r for r in tracked if r < run_b]
        if not earlier:
            raise InputError(f"no tracked run before run {run_b} to compare with: run `lens process` again")
        run_a = earlier[-1]
    for run in (run_a, run_b):
        if run not in tracked:
            raise InputError(f"run {run} has no patterns: choose one of the tracked runs {', '.join(map(str, tracked))}")
    counts_a, counts_b = _counts(engine, run_a), _counts(engine, run_b)
    titles = titles_of(engine=engine, ids=set(counts_a) | set(counts_b))
    result = RunDiff(run_a, run_b)

    def item(pid: int, **extra: Any) -> dict[str, Any]:
        return {"pattern_id": pid, "title": titles.get(pid, f"Pattern {pid}"), "events_a": counts_a.get(pid, 0),
                "events_b": counts_b.get(pid, 0), **extra}

    first_run = {pid: row.first_run_id for pid, row in store.patterns(engine=engine, ids=set(counts_b)).items()}
    for pid in sorted(set(counts_a) | set(counts_b), key=lambda p: -(counts_a.get(p, 0) + counts_b.get(p, 0))):
        if pid in counts_a and pid in counts_b:
            result.kept.append(item(pid))
        elif pid in counts_b:  # new to run A; `returned` when an earlier run had it already
            result.new.append(item(pid, returned=(first_run.get(pid) or run_b) < run_a))
        else:
            result.gone.append(item(pid))
    clusters_a, clusters_b = _clusters(engine, run_a), _clusters(engine, run_b)
    for kept in result.kept:
        pid = kept["pattern_id"]
        if clusters_b.get(pid, 0) > max(clusters_a.get(pid, 0), 1):
            result.divided.append(item(pid, clusters_a=clusters_a.get(pid, 0), clusters_b=clusters_b[pid]))
    between = [r for r in tracked if run_a < r <= run_b]
    for run in between:
        for row in store.lineage(engine=engine, run_id=run):
            if row.relation == "split_from":
                result.split.append(item(row.pattern_id, **{"from": row.other_id, "moved": row.events}))
            elif row.relation == "merged_into":
                result.merged.append(item(row.pattern_id, into=row.other_id, moved=row.events))
    return result


def _counts(engine: Engine, run_id: int) -> dict[int, int]:
    events = store.run_events_frame(engine=engine, run_id=run_id)
    return {int(k): int(v) for k, v in events["pattern_id"].dropna().value_counts().items()}


def _clusters(engine: Engine, run_id: int) -> dict[int, int]:
    """pattern id -> how many of the run's clusters continued it (before rules)."""
    return dict(Counter(store.run_patterns(engine=engine, run_id=run_id).values()))
