"""Patterns that live across runs (lens_core.tracking): ids survive re-runs and new data, the analyst's rules
hold on every later run and assignment, undo is exact, the run diff reports splits and merges with their
counts, and a run is tracked exactly once.

Every test runs on SQLite and PostgreSQL (the `engine`/`settings` fixtures), on the sample telemetry with
the hashing embedder. "Kept" below is the share of events whose pattern (rules applied) is the same in two
runs; it is compared with the best any matching could do: the largest one-to-one pairing of the earlier
run's patterns with the later run's clusters (a cluster that really splits or merges must change some ids).
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linear_sum_assignment
from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine

from lens_core.cluster.assign import assign_new_events
from lens_core.config import Settings
from lens_core.ingest.ingestor import ingest_records
from lens_core.runs import pipeline
from lens_core.runs.options import ProcessOptions
from lens_core.runs.pipeline import process
from lens_core.samples.generator import generate
from lens_core.storage import queries
from lens_core.storage import tracking as store
from lens_core.storage.engine import open_engine
from lens_core.storage.models import ClusterAssignment, utcnow
from lens_core.storage.tracking_tables import (
    PatternLineageRow,
    PatternRow,
    PatternRuleRow,
    RunHeldKeyRow,
    RunPatternRow,
)
from lens_core.tracking import curation, diff, queue
from lens_core.tracking.matching import Matching, match_by_events, votes_of
from lens_core.tracking.rules import split_values
from lens_core.tracking.track import TrackReport, _match_rest_by_centroid, reapply, track_run

HDBSCAN = {"algorithm": "hdbscan", "view": "error"}
COARSE = 1.8  # a cut of the cause view that puts several of the sample's failures in one cluster


# ---- helpers --------------------------------------------------------------------------------------------

def _sample(n: int = 800, seed: int = 3) -> tuple[list[dict], pd.Series]:
    events, truth = generate(n, seed=seed)
    return events, pd.Series({t["evaluation_id"]: t["root_cause"] for t in truth})


def _run(engine: Engine, settings: Settings, **params: Any) -> int:
    return process(engine=engine, settings=settings, options=ProcessOptions.of(settings, **params)).run_id


def _frame(engine: Engine, run_id: int) -> pd.DataFrame:
    return store.run_events_frame(engine=engine, run_id=run_id).set_index("evaluation_id")


def _patterns(engine: Engine, run_id: int) -> pd.Series:
    """evaluation_id -> the event's pattern in the run (rules applied; -1 for none)."""
    return _frame(engine, run_id)["pattern_id"].fillna(-1).astype(int)


def _kept(a: pd.Series, b: pd.Series) -> float:
    common = a.index.intersection(b.index)
    return float((a.loc[common] == b.loc[common]).mean())


def _best_kept(a: pd.Series, later: pd.DataFrame) -> float:
    """The most events any one-to-one pairing of a's patterns with the later run's clusters could keep
    (events without a pattern in both runs count as kept, as `_kept` counts them)."""
    common = a.index.intersection(later.index)
    a, labels = a.loc[common], later.loc[common, "label"]
    none = int(((a == -1) & (labels < 0)).sum())
    both = (a != -1) & (labels >= 0)
    if not both.any():
        return none / len(common)
    table = pd.crosstab(a[both], labels[both]).to_numpy()
    rows, cols = linear_sum_assignment(-table)
    return (none + int(table[rows, cols].sum())) / len(common)


def _queue(engine: Engine) -> list[dict]:
    return [s.as_dict() for s in queue.summaries(engine=engine, include_closed=True)]


def _rule(engine: Engine, rule_id: int) -> PatternRuleRow:
    return next(r for r in store.active_rules(engine=engine, include_undone=True) if r.id == rule_id)


def _count(engine: Engine, table: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar())


def _by_size(engine: Engine) -> list[int]:
    """Open patterns of the latest tracked run, most events first."""
    return [s.pattern_id for s in sorted(queue.summaries(engine=engine), key=lambda s: (-s.events, s.pattern_id))]


# ---- (a) ids survive another seed and another parameter ---------------------------------------------------

def test_ids_survive_another_seed_and_another_cut(engine, settings: Settings) -> None:
    events, _ = _sample()
    ingest_records(events, engine=engine)
    first = _run(engine, settings)
    before = _patterns(engine, first)
    assert (before != -1).all() and before.nunique() >= 10

    # Another seed and a finer cut that splits a cluster: what stays together keeps its id, as much as any
    # matching could (the cause view's clustering does not depend on the seed).
    finer = _run(engine, settings, random_state=7, distance_threshold=1.15)
    after, later = _patterns(engine, finer), _frame(engine, finer)
    kept = _kept(before, after)
    assert kept >= 0.95
    assert kept >= _best_kept(before, later) - 0.005
    assert set(before.unique()) <= set(after.unique())  # a split keeps every pattern

    # A coarser cut merges several: still the best pairing with the run it follows, and every pattern it
    # shows is one of that run's.
    coarser = _run(engine, settings, random_state=5, distance_threshold=1.3)
    again = _patterns(engine, coarser)
    assert _kept(after, again) >= _best_kept(after, _frame(engine, coarser)) - 0.005
    assert _kept(after, again) >= 0.8
    assert set(again.unique()) <= set(after.unique())


def test_ids_survive_another_min_cluster_size_and_seed_with_hdbscan(engine, settings: Settings) -> None:
    events, _ = _sample()
    ingest_records(events, engine=engine)
    first = _run(engine, settings, **HDBSCAN, min_cluster_size=10)
    before = _patterns(engine, first)
    assert (before != -1).mean() >= 0.9
    bigger = _run(engine, settings, **HDBSCAN, min_cluster_size=15)
    after = _patterns(engine, bigger)
    kept = _kept(before, after)
    # How much any matching could keep depends on UMAP's layout, which differs between CPUs (0.91 to 0.97
    # seen): the behaviour pinned is that tracking keeps as much as the best one-to-one pairing.
    assert kept >= 0.85
    assert kept >= _best_kept(before, _frame(engine, bigger)) - 0.005
    # Another seed moves UMAP, and with it some of HDBSCAN's clusters: ids follow as far as they can.
    seeded = _run(engine, settings, **HDBSCAN, min_cluster_size=15, random_state=7)
    again = _patterns(engine, seeded)
    assert _kept(after, again) >= _best_kept(after, _frame(engine, seeded)) - 0.005
    assert _kept(after, again) >= 0.8


# ---- (b) new events -----------------------------------------------------------------------------------

def test_new_events_join_known_patterns_and_old_ones_keep_theirs(engine, settings: Settings) -> None:
    events, causes = _sample(1000)
    old, new = events[:800], events[800:]  # 20% more, later in time
    ingest_records(old, engine=engine)
    first = _run(engine, settings)
    before = _patterns(engine, first)
    ingest_records(new, engine=engine)
    second = _run(engine, settings)
    after = _patterns(engine, second)

    assert _kept(before, after) >= 0.95
    # Patterns of the first run go on under their ids.
    assert len(set(before.unique()) - set(after.unique())) <= 1
    # A new event of a cause the first run knew joins a pattern that held that cause's events (the one that
    # held most of them, but where the clustering itself parts a cause).
    of_cause = before.groupby(causes.reindex(before.index)).agg(set)
    home = before.groupby(causes.reindex(before.index)).agg(lambda s: s.mode()[0])
    fresh = after.loc[[e["evaluation_id"] for e in new]]
    cause = causes.loc[fresh.index]
    known = fresh[cause.isin(home.index).to_numpy()]
    assert len(known) >= 0.8 * len(fresh) and (known != -1).all()
    joined = [p in of_cause[c] for p, c in zip(known, cause.loc[known.index])]
    assert np.mean(joined) >= 0.95
    assert (known.to_numpy() == home.loc[cause.loc[known.index]].to_numpy()).mean() >= 0.8


# ---- (c) every rule kind holds across a re-run with other parameters ------------------------------------------

def _make_rules(engine: Engine) -> dict[str, Any]:
    """One rule of each kind on distinct patterns of the latest run; what each should do."""
    latest = store.latest_tracked_run(engine=engine)
    frame = _frame(engine, latest)
    order = _by_size(engine)
    splittable = next(p for p in order if len(split_values(frame[frame["pattern_id"] == p], "plugin")) >= 2)
    rest = [p for p in order if p != splittable]
    named, into, gone, chosen_from, move_from, move_into, ignored, reopened = rest[:8]
    plan: dict[str, Any] = {"named": named, "into": into, "gone": gone, "ignored": ignored,
                            "reopened": reopened, "resolved": move_from, "splittable": splittable}
    rules = {
        "rename": curation.rename(engine=engine, pattern_id=named, title="Calendar tokens expire"),
        "note": curation.note(engine=engine, pattern_id=named, text="seen after the 2.3 rollout"),
        "owner": curation.set_owner(engine=engine, pattern_id=named, name="identity team"),
        "resolve": curation.resolve(engine=engine, pattern_id=move_from, release="2026.12"),
        "ignore": curation.ignore(engine=engine, pattern_id=ignored),
    }
    curation.resolve(engine=engine, pattern_id=reopened)
    rules["reopen"] = curation.reopen(engine=engine, pattern_id=reopened)
    rules["merge"] = curation.merge(engine=engine, into=into, others=[gone])
    rules["split"] = curation.split(engine=engine, pattern_id=splittable, by="plugin")
    picked = frame[frame["pattern_id"] == chosen_from].index[:5].tolist()
    rules["split_events"] = curation.split_events(engine=engine, pattern_id=chosen_from, evaluation_ids=picked)
    message = frame.loc[frame["pattern_id"] == move_from, "message_pattern"].value_counts().index[0]
    rules["move"] = curation.move(engine=engine, message_pattern=message, into=move_into)
    plan.update(rules=rules, picked=picked, part=rules["split_events"].new_patterns[0], message=message,
                move_into=move_into, parts=rules["split"].rule.params["parts"])
    return plan


def _rules_hold(engine: Engine, plan: dict[str, Any]) -> dict[str, bool]:
    """Whether each rule's effect is what every surface shows for the latest tracked run."""
    run_id = store.latest_tracked_run(engine=engine)
    frame = _frame(engine, run_id)
    natural = frame["label"].map(store.run_patterns(engine=engine, run_id=run_id))
    final = frame["pattern_id"]
    summary = {s["pattern_id"]: s for s in _queue(engine)}
    open_ids = {s.pattern_id for s in queue.summaries(engine=engine)}
    untouched = ~frame.index.isin(plan["picked"]) & (frame["message_pattern"] != plan["message"])
    inside = untouched & (natural == plan["splittable"])
    plugin = frame["plugin"].fillna("").astype(str)
    expected_part = plugin[inside].map(lambda v: plan["parts"].get(v, plan["splittable"]))
    named = summary.get(plan["named"], {})
    held = {
        "rename": named.get("title") == "Calendar tokens expire",
        "note": named.get("notes") == ["seen after the 2.3 rollout"],
        "owner": named.get("owner") == "identity team",
        "resolve": summary.get(plan["resolved"], {}).get("state") == "resolved"
        and summary[plan["resolved"]]["resolved_in"] == "2026.12" and plan["resolved"] not in open_ids,
        "ignore": summary.get(plan["ignored"], {}).get("state") == "ignored" and plan["ignored"] not in open_ids,
        "reopen": summary.get(plan["reopened"], {}).get("state") == "open" and plan["reopened"] in open_ids,
        "merge": not (final == plan["gone"]).any()
        and bool((final[untouched & natural.isin([plan["gone"], plan["into"]])] == plan["into"]).all())
        and bool((natural == plan["gone"]).any()),
        "split": bool(inside.any()) and bool((final[inside] == expected_part).all())
        and bool(final.isin(list(plan["parts"].values())).any()),
        "split_events": bool((final.loc[plan["picked"]] == plan["part"]).all()),
        "move": bool((final[frame["message_pattern"] == plan["message"]] == plan["move_into"]).all()),
    }
    for name, done in plan["rules"].items():
        rule = _rule(engine, done.rule.id)
        held[name] = held[name] and rule.last_applied is True and rule.last_run_id == run_id
    return held


def test_every_rule_kind_holds_across_a_rerun_with_other_parameters(engine, settings: Settings) -> None:
    events, _ = _sample()
    ingest_records(events, engine=engine)
    _run(engine, settings)
    plan = _make_rules(engine)
    assert all(_rules_hold(engine, plan).values()), _rules_hold(engine, plan)
    _run(engine, settings, distance_threshold=1.15, random_state=7)
    held = _rules_hold(engine, plan)
    assert all(held.values()), held
    # The queue shows the analyst's title, and closed patterns are out of it.
    titles = {s.pattern_id: s.title for s in queue.summaries(engine=engine)}
    assert titles[plan["named"]] == "Calendar tokens expire"
    assert plan["gone"] not in titles and plan["ignored"] not in titles


# ---- (d) curation holds against a coarser run; a rule whose pattern vanished is reported and kept ------------

def test_a_curated_pattern_a_coarser_run_absorbs_is_held_apart(engine, settings) -> None:
    events, _ = _sample()
    ingest_records(events, engine=engine)
    first = _run(engine, settings)
    a = _patterns(engine, first)
    sizes = a.value_counts()
    small = sorted(sizes.index, key=lambda p: (sizes[p], p))[:8]
    curated, plain = small[::2], small[1::2]
    rules = {p: curation.rename(engine=engine, pattern_id=p, title=f"watched {p}").rule.id for p in curated}
    noted = curation.note(engine=engine, pattern_id=curated[0], text="keep an eye on it").rule.id

    coarse = _run(engine, settings, distance_threshold=1.6)  # a much coarser cut absorbs small patterns
    report = track_run(engine=engine, run_id=coarse)  # tracked already: the replay, and its report
    b = _patterns(engine, coarse)
    held = [p for p in curated if p in set(b.unique())]
    merged_away = {i["pattern_id"] for i in diff.diff_runs(engine=engine, run_a=first, run_b=coarse).merged}
    assert merged_away & set(plain), "the coarse cut was meant to absorb small patterns nobody curated"
    assert held == curated and not merged_away & set(curated)
    for p in curated:  # the curated pattern keeps exactly its events, and its rules apply
        assert set(b.index[b == p]) == set(a.index[a == p])
        assert _rule(engine, rules[p]).last_applied is True and _rule(engine, rules[p]).last_run_id == coarse
    assert _rule(engine, noted).last_applied is True and report.rules_not_applied == []
    titles = {s.pattern_id: s.title for s in queue.summaries(engine=engine)}
    assert all(titles[p] == f"watched {p}" for p in curated)
    lineage = store.lineage(engine=engine, run_id=coarse)
    assert not {row.pattern_id for row in lineage if row.relation == "merged_into"} & set(curated)
    apart = {row.pattern_id: row for row in lineage if row.relation == "held_apart"}
    with engine.connect() as conn:  # the hold is the run's: recorded once, read by each replay
        held_rows = conn.execute(select(RunHeldKeyRow.pattern_id).where(RunHeldKeyRow.run_id == coarse)).all()
    absorbed = {p for (p,) in held_rows}
    assert absorbed and absorbed <= set(curated) and set(apart) == absorbed  # lineage says from what
    assert all(apart[p].events == (a == p).sum() and apart[p].other_id in set(b.unique()) for p in absorbed)
    notes = queries.resolve_run(engine=engine, run_id=coarse).notes  # the run's tracking line is among them
    assert any(f"{len(absorbed)} curated held apart from a merge" in note for note in notes), notes
    # A rule added after the run replays with the hold in place; so do events assigned later (below).
    curation.set_owner(engine=engine, pattern_id=curated[1], name="identity team")
    assert _patterns(engine, coarse).equals(b)

    # The same coarse cut again, with new events of the held patterns from a plugin no run has seen (where
    # the error does not name its plugin, a fingerprint no run has seen): the hold lasts and takes them in,
    # by fingerprint, or where the fingerprint is new by the pattern its message pattern stood for.
    copy_of = {f"{e['evaluation_id']}-preview": a[e["evaluation_id"]] for e in events
               if a[e["evaluation_id"]] in absorbed}
    ingest_records([dict(e, evaluation_id=f"{e['evaluation_id']}-preview",
                         skill_input='{"plugin": "Preview Lab", "action": "try"}')
                    for e in events if f"{e['evaluation_id']}-preview" in copy_of], engine=engine)
    again = _run(engine, settings, distance_threshold=1.6)
    c, frame, before = _patterns(engine, again), _frame(engine, again), _frame(engine, coarse)
    copies = frame.loc[list(copy_of)]
    seen = copies["fingerprint"].isin(set(before["fingerprint"]))
    assert (c.loc[copies.index[seen]] == pd.Series(copy_of)[seen]).all()
    stood_for = before.groupby("message_pattern")["pattern_id"].agg(lambda s: s.mode().min())
    expected = copies.loc[~seen, "message_pattern"].map(stood_for)
    expected = expected[expected.isin(absorbed)]
    assert len(expected) and (c.loc[expected.index] == expected).all()
    for p in curated:
        assert set(b.index[b == p]) <= set(c.index[c == p]) and _rule(engine, rules[p]).last_applied is True

    back = _run(engine, settings)  # the first run's cut again: everything is where it was
    assert _kept(a, _patterns(engine, back)) >= 0.99


def test_a_pattern_curated_after_a_run_absorbed_it_comes_back_at_the_next_run(engine, settings) -> None:
    events, _ = _sample()
    ingest_records(events, engine=engine)
    first = _run(engine, settings)
    a = _patterns(engine, first)
    coarse = _run(engine, settings, distance_threshold=1.6)  # nobody curated anything: small patterns go
    absorbed = [i["pattern_id"] for i in diff.diff_runs(engine=engine, run_a=first, run_b=coarse).merged]
    assert absorbed, "the coarse cut was meant to absorb patterns"
    watched, left = absorbed[0], absorbed[1:]
    done = curation.rename(engine=engine, pattern_id=watched, title="watched again")
    renamed = done.rule.id
    assert _rule(engine, renamed).last_applied is False  # no events in the run that absorbed it: reported
    into = next(row.other_id for row in store.lineage(engine=engine, run_id=coarse)
                if row.pattern_id == watched and row.relation == "merged_into")
    assert f"run {coarse}'s clustering merged it into pattern {into}; the next run" in done.warning
    present = int(_patterns(engine, coarse).value_counts().index[0])
    assert curation.note(engine=engine, pattern_id=present, text="seen").warning == ""  # it has events

    again = _run(engine, settings, distance_threshold=1.6)  # the same coarse cut: the curated one returns
    c = _patterns(engine, again)
    assert set(c.index[c == watched]) == set(a.index[a == watched])  # exactly the events it had before
    assert _rule(engine, renamed).last_applied is True and _rule(engine, renamed).last_run_id == again
    assert {s.pattern_id: s.title for s in queue.summaries(engine=engine)}[watched] == "watched again"
    assert not set(left) & set(c.unique())  # the patterns nobody curated stay where the clustering put them
    apart = [row for row in store.lineage(engine=engine, run_id=again) if row.relation == "held_apart"]
    assert [(row.pattern_id, row.events) for row in apart] == [(watched, int((a == watched).sum()))]
    assert apart[0].other_id in set(_patterns(engine, coarse).unique())
    assert store.held_keys(engine=engine, run_id=again)  # recorded for the run's replays
    notes = queries.resolve_run(engine=engine, run_id=again).notes
    assert any("1 curated held apart from a merge" in note for note in notes), notes
    assert _patterns(engine, _run(engine, settings, distance_threshold=1.6)).equals(c)  # and it stays


def test_a_rule_whose_pattern_vanished_is_reported_kept_and_applies_when_it_returns(engine, settings) -> None:
    events, _ = _sample(400)
    ingest_records(events, engine=engine)
    run_id = _run(engine, settings)
    into, gone = _by_size(engine)[:2]
    merged = curation.merge(engine=engine, into=into, others=[gone]).rule.id  # its events go elsewhere
    renamed = curation.rename(engine=engine, pattern_id=gone, title="watched").rule.id
    rule = _rule(engine, renamed)
    assert rule.last_applied is False and rule.last_run_id == run_id and str(gone) in (rule.last_message or "")
    assert renamed in {r.id for r in store.active_rules(engine=engine)}
    assert gone not in {s.pattern_id for s in queue.summaries(engine=engine)}

    store.set_rule(engine=engine, rule_id=merged, undone_at=utcnow())  # the merge withdrawn, the rename kept
    reapply(engine=engine)
    rule = _rule(engine, renamed)
    assert rule.last_applied is True and not rule.last_message
    assert {s.pattern_id: s.title for s in queue.summaries(engine=engine)}[gone] == "watched"


# ---- (e) undo restores the previous state exactly --------------------------------------------------------

def test_undo_restores_the_state_before_each_rule_exactly(engine, settings: Settings) -> None:
    events, _ = _sample(400)
    ingest_records(events, engine=engine)
    run_id = _run(engine, settings)
    frame = _frame(engine, run_id)
    order = _by_size(engine)
    splittable = next(p for p in order if len(split_values(frame[frame["pattern_id"] == p], "plugin")) >= 2)
    a, b, c = [p for p in order if p != splittable][:3]
    message = frame.loc[frame["pattern_id"] == b, "message_pattern"].value_counts().index[0]
    curation.resolve(engine=engine, pattern_id=c)  # so that reopen changes something
    steps = {
        "rename": lambda: curation.rename(engine=engine, pattern_id=a, title="renamed"),
        "note": lambda: curation.note(engine=engine, pattern_id=a, text="a note"),
        "owner": lambda: curation.set_owner(engine=engine, pattern_id=a, name="someone"),
        "resolve": lambda: curation.resolve(engine=engine, pattern_id=a, release="9.9"),
        "ignore": lambda: curation.ignore(engine=engine, pattern_id=a),
        "reopen": lambda: curation.reopen(engine=engine, pattern_id=c),
        "merge": lambda: curation.merge(engine=engine, into=a, others=[b]),
        "split": lambda: curation.split(engine=engine, pattern_id=splittable, by="plugin"),
        "split_events": lambda: curation.split_events(
            engine=engine, pattern_id=a, evaluation_ids=frame[frame["pattern_id"] == a].index[:3].tolist()),
        "move": lambda: curation.move(engine=engine, message_pattern=message, into=a),
    }
    for kind, make in steps.items():
        patterns, listed = _patterns(engine, run_id), _queue(engine)
        done = make()
        assert (not _patterns(engine, run_id).equals(patterns)) or _queue(engine) != listed, kind
        undone = curation.undo(engine=engine, author="tester")
        assert undone.id == done.rule.id
        assert _patterns(engine, run_id).equals(patterns), kind
        assert _queue(engine) == listed, kind
        assert _rule(engine, done.rule.id).undone_by == "tester"
    history = curation.history(engine=engine)
    assert [r.kind for r in history] == ["resolve", *steps] and sum(r.undone_at is None for r in history) == 1


# ---- (f) late events get their patterns with the rules applied -----------------------------------------------

def test_assigned_late_events_get_patterns_with_rules_applied(engine, settings: Settings) -> None:
    events, _ = _sample(1000)
    old, late = events[:800], events[800:]
    ingest_records(old, engine=engine)
    run_id = _run(engine, settings)
    frame = _frame(engine, run_id)
    into, gone, target, source = _by_size(engine)[:4]
    curation.merge(engine=engine, into=into, others=[gone])
    message = frame.loc[frame["pattern_id"] == source, "message_pattern"].value_counts().index[0]
    curation.move(engine=engine, message_pattern=message, into=target)
    curation.rename(engine=engine, pattern_id=into, title="merged by hand")
    before = _patterns(engine, run_id)

    ingest_records(late, engine=engine)
    report = assign_new_events(engine=engine, settings=settings)
    assert report.assigned >= 0.8 * len(late)
    after = _frame(engine, run_id)
    assert after["pattern_id"].fillna(-1).astype(int).loc[before.index].equals(before)  # old events untouched
    fresh = after.loc[[e["evaluation_id"] for e in late]]
    natural = fresh["label"].map(store.run_patterns(engine=engine, run_id=run_id))
    expected = natural.replace({gone: into}).mask(fresh["message_pattern"] == message, target)
    assert fresh["pattern_id"].fillna(-1).astype(int).equals(expected.fillna(-1).astype(int))
    clustered = fresh["label"] >= 0
    assert fresh.loc[clustered, "pattern_id"].notna().all()
    assert not (fresh["pattern_id"] == gone).any()
    assert ((natural == gone) | (fresh["message_pattern"] == message)).any()  # the rules had late events to act on
    # Replaying every rule from scratch gives the same patterns: nothing was applied half-way.
    snapshot = _patterns(engine, run_id)
    reapply(engine=engine, run_id=run_id)
    assert _patterns(engine, run_id).equals(snapshot)


# ---- (g) the run diff on a planted split and a planted merge -------------------------------------------------

def _expected_moves(a: pd.Series, b: pd.Series, pids: set[int], towards: str) -> set[tuple[int, int, int]]:
    """(pattern, other, events) for each pattern in `pids`: new ones (towards 'from') with the earlier pattern
    most of their events had, gone ones (towards 'into') with the later pattern most of theirs went to."""
    out = set()
    for pid in pids:
        if towards == "from":
            origin = a.loc[b.index[b == pid]].value_counts()
        else:
            origin = b.loc[a.index[a == pid]].value_counts()
        out.add((pid, int(origin.index[0]), int(origin.iloc[0])))
    return out


def test_diff_reports_a_planted_split_and_a_planted_merge_with_counts(engine, settings: Settings) -> None:
    events, _ = _sample()
    ingest_records(events, engine=engine)
    base = _run(engine, settings, distance_threshold=COARSE)  # some of its patterns hold several failures
    finer = _run(engine, settings)  # tells them apart: a cluster whose evidence names another failure splits
    a, b = _patterns(engine, base), _patterns(engine, finer)
    found = diff.diff_runs(engine=engine)
    assert (found.run_a, found.run_b) == (base, finer)
    new = set(b.unique()) - set(a.unique())
    assert new and {i["pattern_id"] for i in found.new} == new and not found.gone and not found.merged
    assert {i["pattern_id"] for i in found.kept} == set(a.unique())
    assert {(i["pattern_id"], i["from"], i["moved"]) for i in found.split} == _expected_moves(a, b, new, "from")
    assert all(i["events_b"] == int((b == i["pattern_id"]).sum()) for i in found.split)
    # Clusters of one failure that the finer cut divided stay parts of their pattern: listed as divided, and
    # every event of such a pattern now was in it before.
    assert found.divided and all(i["clusters_b"] > max(i["clusters_a"], 1) for i in found.divided)
    for item in found.divided:
        assert (a.loc[b.index[b == item["pattern_id"]]] == item["pattern_id"]).all()
    assert "divided" in "\n".join(found.lines())

    # Back to the base cut: the parts merge into the patterns they split from.
    rejoined = _run(engine, settings, distance_threshold=COARSE)
    found = diff.diff_runs(engine=engine, run_a=finer, run_b=rejoined)
    c = _patterns(engine, rejoined)
    assert c.equals(a) and not found.new and not found.split
    assert {(i["pattern_id"], i["into"], i["moved"]) for i in found.merged} == _expected_moves(b, c, new, "into")

    # A coarser cut than the base: clusters merge, some with no pattern holding most of the merged cluster's
    # events (it continues one by its centre); every pattern that went is reported as merged, with its events.
    coarser = _run(engine, settings, distance_threshold=2.5)
    found = diff.diff_runs(engine=engine, run_a=rejoined, run_b=coarser)
    d = _patterns(engine, coarser)
    gone = set(c.unique()) - set(d.unique())
    assert gone and {i["pattern_id"] for i in found.gone} == gone and not found.new
    assert {(i["pattern_id"], i["into"], i["moved"]) for i in found.merged} == _expected_moves(c, d, gone, "into")
    assert all(i["events_a"] == int((c == i["pattern_id"]).sum()) and i["events_b"] == 0 for i in found.merged)
    with engine.connect() as conn:
        how = dict(conn.execute(select(RunPatternRow.pattern_id, RunPatternRow.matched_by)
                                .where(RunPatternRow.run_id == coarser)).all())
    assert "centroid" in {how[i["into"]] for i in found.merged}
    report = "\n".join(found.lines())
    assert f"{len(gone)} gone" in report and f"{len(gone)} merged" in report


# ---- (h) a run is tracked exactly once -----------------------------------------------------------------

def _tracking_rows(engine: Engine) -> tuple[int, int, int]:
    return _count(engine, RunPatternRow.__table__), _count(engine, PatternRow.__table__), _count(
        engine, PatternLineageRow.__table__)


def _track_at_once(url: str, run_id: int, n: int = 2) -> list[TrackReport | BaseException]:
    """`n` trackers of one run, each with its own engine (as separate processes would), started together."""
    barrier, results = threading.Barrier(n), []

    def one() -> None:
        eng = open_engine(url)
        try:
            barrier.wait()
            results.append(track_run(engine=eng, run_id=run_id))
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            results.append(exc)
        finally:
            eng.dispose()

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def test_a_run_is_tracked_exactly_once(engine, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    events, _ = _sample(600)
    ingest_records(events, engine=engine)
    first = _run(engine, settings)
    rows = _tracking_rows(engine)
    patterns = _patterns(engine, first)
    again = track_run(engine=engine, run_id=first)  # tracking it again only replays the rules
    assert (again.continued, again.opened) == (0, 0)
    assert _tracking_rows(engine) == rows and _patterns(engine, first).equals(patterns)

    # Runs left untracked by `process`, then tracked by two trackers at once.
    monkeypatch.setattr(pipeline, "track_run", lambda *, engine, run_id: TrackReport(run_id))
    for params in ({"distance_threshold": 1.0}, {"distance_threshold": 1.5}):
        run_id = _run(engine, settings, **params)
        assert not store.run_patterns(engine=engine, run_id=run_id)
        results = _track_at_once(settings.database_url, run_id)
        assert len(results) == 2 and not [r for r in results if isinstance(r, BaseException)], results
        assert min(r.opened + r.continued for r in results) == 0  # the second found it tracked
        n_clusters = len(store.clusters_with_centroids(engine=engine, run_id=run_id))
        by_label = store.run_patterns(engine=engine, run_id=run_id)
        assert len(by_label) == n_clusters
        opened = sum(r.opened for r in results)
        assert _count(engine, RunPatternRow.__table__) == rows[0] + n_clusters
        assert _count(engine, PatternRow.__table__) == rows[1] + opened
        rows = _tracking_rows(engine)
        frame = _frame(engine, run_id)
        assert frame.loc[frame["label"] >= 0, "pattern_id"].notna().all()
        assert frame["pattern_id"].fillna(-1).astype(int).equals(frame["label"].map(by_label).fillna(-1).astype(int))
        winner = max(results, key=lambda r: r.opened + r.continued)
        assert len(store.lineage(engine=engine, run_id=run_id)) == winner.split + winner.merged


# ---- matching details the runs above rely on -----------------------------------------------------------

def test_a_cluster_matched_by_its_centre_may_continue_a_pattern_merged_away(engine, settings: Settings) -> None:
    """A pattern an analyst merged away stays a candidate for centroid matching, as it is for matching by
    events: the merge rule then sends its cluster's events to the pattern the analyst chose. (Leaving it
    out gave its cluster to the next nearest pattern, and the merged events left the merge target.)"""
    events, _ = _sample(400)
    ingest_records(events, engine=engine)
    run_id = _run(engine, settings)
    into, gone = _by_size(engine)[:2]
    curation.merge(engine=engine, into=into, others=[gone])
    clusters = {c.label: c for c in store.clusters_with_centroids(engine=engine, run_id=run_id)}
    matching = Matching({})  # as if no event had voted: every cluster goes by its centre
    _match_rest_by_centroid(engine, matching, clusters, store.run_space(engine=engine, run_id=run_id))
    own = store.run_patterns(engine=engine, run_id=run_id)
    assert {label: m.pattern_id for label, m in matching.matches.items()} == own
    assert gone in {m.pattern_id for m in matching.matches.values()}


def test_events_the_previous_run_had_vote_for_their_own_pattern() -> None:
    """Votes: an event the previous run had votes for the pattern it was in (none if it was noise there),
    whatever its fingerprint's majority; an unseen event votes by fingerprint, else by message pattern. So
    lineage counts (`lens diff`'s moved events) are events that were in the pattern."""
    events = pd.DataFrame({
        "event_id": [1, 2, 3, 4, 5],
        "fingerprint": ["f", "f", "f", "g", "h"],
        "message_pattern": ["m", "m", "m", "m", "n"],
        "label": [0, 0, 0, 0, 0],
    })
    own = pd.Series([5.0, np.nan], index=[1, 2])  # event 1 was in pattern 5, event 2 was noise
    assert votes_of(events, {"f": 7}, {"m": 9}, own).fillna(-1).tolist() == [5, -1, 7, 9, -1]
    assert votes_of(events, {"f": 7}, {"m": 9}).fillna(-1).tolist() == [7, 7, 7, 9, -1]
    tally = match_by_events(events, votes_of(events, {"f": 7}, {"m": 9}, own)).votes[0]
    assert tally == {5: 1, 7: 1, 9: 1}


def test_a_cluster_of_the_same_failure_stays_a_part_and_one_of_another_splits_off() -> None:
    """Three clusters whose events were all in pattern 7: the largest continues it, one whose evidence
    agrees with it is a part (its events keep pattern 7), one whose evidence names another failure splits."""
    events = pd.DataFrame({"event_id": range(10), "label": [0] * 5 + [1] * 3 + [2] * 2})
    votes = pd.Series([7.0] * 10)
    matching = match_by_events(events, votes, agree=lambda label, keeper: (label, keeper) == (1, 0))
    assert {label: (m.pattern_id, m.matched_by) for label, m in matching.matches.items()} == {
        0: (7, "events"), 1: (7, "part")}
    assert matching.split_from == {2: (7, 2)}
    assert set(match_by_events(events, votes).split_from) == {1, 2}  # without evidence, every other one splits


def test_a_run_is_matched_on_the_patterns_its_events_were_in(engine, settings: Settings) -> None:
    """Two events the previous run had in another cluster than the rest of their fingerprint vote for the
    pattern they were in, not for their fingerprint's majority: the cluster's overlap says so."""
    events, _ = _sample(400)
    ingest_records(events, engine=engine)
    first = _run(engine, settings)
    frame = store.run_events_frame(engine=engine, run_id=first)
    counts = frame.groupby(["label", "fingerprint"]).size().sort_values(ascending=False)
    (label, fingerprint), n = counts.index[0], int(counts.iloc[0])
    assert n >= 5
    moved = frame.loc[(frame["label"] == label) & (frame["fingerprint"] == fingerprint), "event_id"].head(2).tolist()
    other = int(next(lab for lab in frame["label"].unique() if lab != label))
    ca = ClusterAssignment.__table__
    with engine.begin() as conn:  # as if the first run had put them in another cluster
        conn.execute(update(ca).where(ca.c.run_id == first, ca.c.event_id.in_(moved)).values(label=other))
    second = _run(engine, settings)
    with engine.connect() as conn:
        overlap = conn.execute(select(RunPatternRow.overlap).where(
            RunPatternRow.run_id == second, RunPatternRow.label == int(label))).scalar()
    size = int((frame["label"] == label).sum())
    assert overlap == pytest.approx((size - 2) / size, abs=1e-4)
