"""Tracking a run: its clusters continue (or open) patterns, and every event gets its pattern with the rules.

`track_run` is the last stage of `process`; `reapply` replays the rules on the latest tracked run after an
analyst adds or undoes one; `track_assigned` gives events assigned later (`lens assign`) their patterns.
A run is tracked once: its run_patterns rows are written in one transaction with its new patterns and
lineage, and a second tracker of the same run fails on their primary key and changes nothing.

Curation holds: a pattern the analyst acted on (any active rule names it, but for a merge that sent it
away) is not merged into another by the clustering of a later run. Where a coarser cut or new data puts
its events in a cluster that continues another pattern, the events of its fingerprints stay in it (the run
records them: storage run_held_keys, read again by every replay of the run; lineage says "held_apart"
from the pattern that would have taken it, with its events). Without this, renaming,
resolving or ignoring a pattern would last only until the next run happened to absorb it. A pattern
curated after a run absorbed it comes back at the next run, held by what it held before that merge.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from lens_core.describe.cohesion import agree
from lens_core.storage import tracking as store
from lens_core.storage.models import ClusterRow
from lens_core.storage.tracking_tables import PatternRow
from lens_core.tracking.matching import (
    Match,
    Matching,
    holding_most,
    key_votes,
    match_by_centroids,
    match_by_events,
    merges,
    votes_of,
)
from lens_core.tracking.rules import Outcome, fold_states, replay

log = logging.getLogger(__name__)


@dataclass
class TrackReport:
    run_id: int
    continued: int = 0  # clusters that continued a pattern (by events or centroid, or as a part)
    parts: int = 0  # of those, parts: clusters of one failure whose pattern a larger cluster continues
    opened: int = 0  # clusters that opened a new pattern
    split: int = 0
    merged: int = 0
    held: int = 0  # curated patterns the clustering merged into another, kept apart by their fingerprints
    rules_applied: int = 0
    rules_not_applied: list[Outcome] = field(default_factory=list)

    def summary_line(self) -> str:
        parts = f" ({self.parts} as parts of a pattern another cluster continues)" if self.parts else ""
        held = f", {self.held} curated held apart from a merge" if self.held else ""
        line = (f"patterns: {self.continued} continued{parts}, {self.opened} new, {self.split} split, "
                f"{self.merged} merged{held}; rules {self.rules_applied} applied")
        return line + (f", {len(self.rules_not_applied)} not applied" if self.rules_not_applied else "")


def track_run(*, engine: Engine, run_id: int) -> TrackReport:
    """Match the run's clusters to the patterns of the latest tracked run before it, open the rest, and
    give every event its pattern with the rules replayed. A run tracked already only gets the replay."""
    if store.run_patterns(engine=engine, run_id=run_id):
        return reapply(engine=engine, run_id=run_id)
    report = TrackReport(run_id)
    events = store.run_events_frame(engine=engine, run_id=run_id)
    clusters = {c.label: c for c in store.clusters_with_centroids(engine=engine, run_id=run_id)}
    matching, pattern_of_key = _match(engine, run_id, events, clusters)
    space = store.run_space(engine=engine, run_id=run_id)
    _match_rest_by_centroid(engine, matching, clusters, space)

    opened: dict[str, PatternRow] = {}
    chosen: dict[int, tuple[int | str, str, float | None]] = {}
    touched: dict[int, dict] = {}
    for label, cluster in clusters.items():
        match = matching.matches.get(label)
        centre = {"centroid": cluster.centroid, "radius": cluster.radius, "space": space,
                  "title": cluster.summary, "last_run_id": run_id}
        if match is None:
            key = f"new:{label}"
            opened[key] = PatternRow(origin="run", first_run_id=run_id, **centre)
            chosen[label] = (key, "new", None)
        else:
            chosen[label] = (match.pattern_id, match.matched_by, match.overlap)  # type: ignore[assignment]
            if match.matched_by != "part":  # the pattern's title and centre are its continuing cluster's
                touched[match.pattern_id] = centre  # type: ignore[index]
    merged = merges(matching, {label: target for label, (target, _, _) in chosen.items()})
    curated = curated_patterns(engine=engine)
    matching.merged = [m for m in merged if m[0] not in curated]
    held, apart = _holds(engine, events, merged, curated, chosen, pattern_of_key)
    held_patterns = {gone for gone, _, _ in apart}
    touched.update({p: {"last_run_id": run_id} for p in held_patterns})
    lineage = [{"pattern_id": chosen[label][0], "relation": "split_from", "other_id": parent, "events": n}
               for label, (parent, n) in matching.split_from.items() if label in chosen]
    lineage += [{"pattern_id": gone, "relation": "merged_into", "other_id": into, "events": n}
                for gone, into, n in matching.merged]
    lineage += [{"pattern_id": gone, "relation": "held_apart", "other_id": into, "events": n}
                for gone, into, n in apart]
    try:
        with engine.begin() as conn:
            by_label = store.store_tracking(conn, run_id=run_id, opened=opened, matches=chosen,
                                           lineage_rows=lineage, touched=touched, held=held)
            outcomes = _replay_into(conn, engine, run_id, events, by_label, held)
    except IntegrityError:
        log.info("run %d was tracked by another process meanwhile", run_id)
        return reapply(engine=engine, run_id=run_id)
    report.continued = sum(1 for label in clusters if label in matching.matches)
    report.parts = sum(1 for m in matching.matches.values() if m.matched_by == "part")
    report.opened = len(opened)
    report.split, report.merged = len(matching.split_from), len(matching.merged)
    report.held = len(held_patterns)
    _record(engine, run_id, outcomes, report)
    log.info("run %d: %s", run_id, report.summary_line())
    return report


def reapply(*, engine: Engine, run_id: int | None = None) -> TrackReport:
    """Replay every active rule on a tracked run (default: the latest): each event's pattern again."""
    run_id = run_id if run_id is not None else store.latest_tracked_run(engine=engine)
    if run_id is None:
        return TrackReport(run_id=0)
    report = TrackReport(run_id)
    events = store.run_events_frame(engine=engine, run_id=run_id)
    by_label = store.run_patterns(engine=engine, run_id=run_id)
    held = store.held_keys(engine=engine, run_id=run_id)
    with engine.begin() as conn:
        outcomes = _replay_into(conn, engine, run_id, events, by_label, held)
    _record(engine, run_id, outcomes, report)
    return report


def track_assigned(*, engine: Engine, run_id: int, event_ids: Sequence[int]) -> None:
    """Patterns for events assigned to a tracked run after it was made (their clusters' and the rules')."""
    by_label = store.run_patterns(engine=engine, run_id=run_id)
    if not by_label or not len(event_ids):
        return
    events = store.run_events_frame(engine=engine, run_id=run_id, event_ids=event_ids)
    held = store.held_keys(engine=engine, run_id=run_id)
    with engine.begin() as conn:
        _replay_into(conn, engine, run_id, events, by_label, held)


def _match(
    engine: Engine, run_id: int, events: pd.DataFrame, clusters: dict[int, ClusterRow]
) -> tuple[Matching, tuple[dict[str, int], dict[str, int]]]:
    """The matching, and the pattern each fingerprint and each message pattern of the previous tracked run
    stood for."""
    previous = store.latest_tracked_run(engine=engine, before=run_id)
    if previous is None:
        return Matching({}), ({}, {})
    before = store.run_events_frame(engine=engine, run_id=previous)
    natural = run_natural(engine=engine, run_id=previous, events=before)
    by_fingerprint, by_message = key_votes(before, natural)
    own = pd.Series(natural.to_numpy(), index=before["event_id"].to_numpy())
    matching = match_by_events(events, votes_of(events, by_fingerprint, by_message, own),
                               agree=lambda label, keeper: agree(clusters[label].evidence, clusters[keeper].evidence))
    return matching, (by_fingerprint, by_message)


def _held_fingerprints(events: pd.DataFrame, by_fingerprint: dict[str, int], by_message: dict[str, int],
                       held_patterns: set[int]) -> dict[str, int]:
    """fingerprint -> held pattern: the fingerprints the previous run had in a held pattern, and this run's
    fingerprints whose key vote (the fingerprint's pattern, else its message pattern's) is one."""
    held = {fp: p for fp, p in by_fingerprint.items() if p in held_patterns}
    keys = events.drop_duplicates("fingerprint")
    held.update({fp: int(vote) for fp, vote in zip(keys["fingerprint"], votes_of(keys, by_fingerprint, by_message))
                 if vote in held_patterns})
    return held


def _holds(
    engine: Engine, events: pd.DataFrame, merged: list[tuple[int, int | str, int]], curated: set[int],
    chosen: dict[int, tuple[int | str, str, float | None]], pattern_of_key: tuple[dict[str, int], dict[str, int]],
) -> tuple[dict[str, int], list[tuple[int, int | str, int]]]:
    """The fingerprints held in curated patterns (fingerprint -> pattern) and what each held pattern was
    kept from: (pattern, the pattern the clustering put its events in, events), its held_apart lineage.
    Held: the curated patterns this run's clustering merges into another, and curated patterns an earlier
    run absorbed (`_returning`)."""
    apart = [(gone, into, n) for gone, into, n in merged if gone in curated]
    kept_apart = {gone for gone, _, _ in apart}
    held = _held_fingerprints(events, *pattern_of_key, kept_apart)
    continuing = {target for target, _, _ in chosen.values() if not isinstance(target, str)}
    absent = curated - continuing - set(pattern_of_key[0].values()) - kept_apart
    returning = _returning(engine, events, absent)
    for fingerprint, pattern in returning.items():
        held.setdefault(fingerprint, pattern)  # a pattern held since the previous run keeps its fingerprints
    return held, apart + _returned(events, held, set(returning.values()), chosen)


def _returning(engine: Engine, events: pd.DataFrame, absent: set[int]) -> dict[str, int]:
    """fingerprint -> pattern for curated patterns that no run since has had: an earlier run's clustering
    merged them into another before the analyst acted (else the hold would have kept them). They are held
    from this run on by what they held in the run before that merge: its fingerprints, and this run's new
    fingerprints whose message pattern stood for them there. So curating a pattern that a run absorbed
    brings it back at the next run as it was, instead of waiting for a run that happens to cut it apart."""
    out: dict[str, int] = {}
    absorbed = {pattern: run for pattern, (run, _) in _absorbed(engine, absent).items()}
    for run in sorted(set(absorbed.values()), reverse=True):  # the latest absorption first
        before = store.latest_tracked_run(engine=engine, before=run)
        if before is None:
            continue
        frame = store.run_events_frame(engine=engine, run_id=before)
        natural = run_natural(engine=engine, run_id=before, events=frame)
        wanted = {pattern for pattern, at in absorbed.items() if at == run}
        for fingerprint, pattern in _held_fingerprints(events, *key_votes(frame, natural), wanted).items():
            out.setdefault(fingerprint, pattern)
    return out


def _returned(events: pd.DataFrame, held: dict[str, int], patterns: set[int],
              chosen: dict[int, tuple[int | str, str, float | None]]) -> list[tuple[int, int | str, int]]:
    """(pattern, the pattern the clustering put its events in, events) for each of `patterns` whose held
    fingerprints have events in this run's clusters: its held_apart lineage."""
    clustered = events[events["label"] >= 0]
    mine = clustered["fingerprint"].map(held)
    out = []
    for pattern in sorted(patterns):
        labels = clustered.loc[mine == pattern, "label"]
        if labels.empty:
            continue
        into, _ = holding_most(labels.map(lambda label: chosen[int(label)][0]).value_counts().to_dict())
        out.append((pattern, into, int(len(labels))))
    return out


def absorbed_into(*, engine: Engine, pattern_id: int) -> tuple[int, int] | None:
    """(run, pattern) where a run's clustering merged this pattern into that pattern and no run has had it
    since; None for any other pattern. Curating it brings it back at the next run (`_returning`)."""
    return _absorbed(engine, {pattern_id}).get(pattern_id)


def absorbed_note(*, engine: Engine, pattern_id: int) -> str:
    """Why a curated pattern has no events in the latest run where a run's clustering absorbed it, and that
    the next run holds it apart again; '' for any other pattern."""
    found = absorbed_into(engine=engine, pattern_id=pattern_id)
    if found is None or pattern_id not in curated_patterns(engine=engine):
        return ""
    run, into = found
    return (f"pattern {pattern_id} has no events now: run {run}'s clustering merged it into pattern {into}; "
            "the next run (lens process) holds it apart again, with the events of its fingerprints")


def _absorbed(engine: Engine, pattern_ids: set[int]) -> dict[int, tuple[int, int]]:
    """pattern -> (the run whose clustering merged it into another, that pattern), for those of
    `pattern_ids` that no run has had since (one that came back, then lost its events some other way, is
    not absorbed)."""
    found = store.last_absorbed(engine=engine, pattern_ids=pattern_ids)
    rows = store.patterns(engine=engine, ids=list(found))
    return {p: (run, into) for p, (run, into) in found.items() if p in rows and (rows[p].last_run_id or 0) < run}


def curated_patterns(*, engine: Engine) -> set[int]:
    """Patterns an active rule names, less those an analyst merged into another (they are meant to go)."""
    rules = store.active_rules(engine=engine)
    gone = {p for p, state in fold_states(rules).items() if state.state == "merged"}
    return {r.pattern_id for r in rules if r.pattern_id is not None} - gone


def _match_rest_by_centroid(engine: Engine, matching: Matching, clusters: dict, space: str) -> None:
    """Clusters no pattern's events claimed, and parts: the nearest pattern centre of the same embedding
    space, among patterns not continued already. A part within reach of such a pattern returns to it (an
    earlier run had it apart; a coarser run between absorbed it). A pattern an analyst merged away is a
    candidate as its events are: the merge rule then sends the cluster's events where the analyst put them."""
    open_to_centres = {label for label in clusters
                       if label not in matching.matches or matching.matches[label].matched_by == "part"}
    unmatched = {label: (np.frombuffer(c.centroid, dtype=np.float32), float(c.radius or 0.0))
                 for label, c in clusters.items() if label in open_to_centres and c.centroid is not None}
    if not unmatched:
        return
    taken = {m.pattern_id for m in matching.matches.values()}
    candidates = {
        p.id: (np.frombuffer(p.centroid, dtype=np.float32), float(p.radius or 0.0))
        for p in store.patterns(engine=engine).values()
        if p.origin == "run" and p.centroid is not None and p.space == space and p.id not in taken
    }
    for label, (pattern, distance) in match_by_centroids(unmatched, candidates).items():
        matching.matches[label] = Match(label, pattern, "centroid", round(1.0 - distance, 4))
        matching.split_from.pop(label, None)


def _replay_into(
    conn: Connection, engine: Engine, run_id: int, events: pd.DataFrame, by_label: dict[int, int],
    held: dict[str, int],
) -> list[Outcome]:
    natural = _natural(events, by_label, held)
    rules = store.active_rules(engine=engine)
    final, outcomes = replay(events, natural, rules)
    pattern_of_event = {int(e): (None if pd.isna(p) else int(p)) for e, p in zip(events["event_id"], final)}
    store.set_event_patterns(conn, run_id=run_id, pattern_of_event=pattern_of_event)
    return outcomes


def run_natural(*, engine: Engine, run_id: int, events: pd.DataFrame) -> pd.Series:
    """Each of a tracked run's events (`events`: store.run_events_frame of the run) in its pattern before
    the analyst's rules: its cluster's, or the curated pattern a merge was held apart from."""
    return _natural(events, store.run_patterns(engine=engine, run_id=run_id),
                    store.held_keys(engine=engine, run_id=run_id))


def _natural(events: pd.DataFrame, by_label: dict[int, int], held: dict[str, int]) -> pd.Series:
    """Each event's pattern before rules: its cluster's, or the curated pattern its fingerprint is held in
    (noise stays noise). What the next run is matched against, so a hold lasts while the curation does."""
    natural = events["label"].map(by_label)
    if not held:
        return natural
    keep = events["fingerprint"].map(held).where(events["label"] >= 0)
    return keep.where(keep.notna(), natural)


def _record(engine: Engine, run_id: int, outcomes: list[Outcome], report: TrackReport) -> None:
    store.set_rules(engine=engine, values_of={
        o.rule_id: {"last_run_id": run_id, "last_applied": o.applied, "last_message": o.message} for o in outcomes})
    for outcome in outcomes:
        if outcome.applied:
            report.rules_applied += 1
        else:
            report.rules_not_applied.append(outcome)
