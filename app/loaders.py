"""Cached query results for the pages: `st.cache_data` keyed by database URL and run id.

A run's clusters and map never change once stored, so (url, run_id) is a complete key; analyst labels are
the one exception and `forget_annotations()` drops the frames that show them. Frames over all events are
keyed by the event count, which changes whenever an ingest adds rows.
Patterns (lens_core.tracking) live across runs and change with every analyst rule: their frames (trends and
comparisons too: a resolve rule can make a regression) are keyed by `patterns_version()` (the latest tracked
run, its events and the rules, so a rule made elsewhere shows too), and `forget_patterns()` drops them after
a rule made here.
The engine is passed as `_engine` (not hashed): the URL beside it is the key.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from app.ui import run_parameters, when
from lens_core.runs.options import stage_params
from lens_core.schema import ClusterDigest, Count
from lens_core.storage import queries, stats
from lens_core.storage import tracking as tracking_store
from lens_core.storage.models import PipelineRun
from lens_core.storage.tracking_tables import PatternRuleRow
from lens_core.tracking import curation, diff, queue, titles, trends
from lens_core.tracking.diff import RunDiff
from lens_core.tracking.queue import PatternSummary
from lens_core.tracking.rules import fold_states
from lens_core.tracking.trends import Comparison, Series, Window

CLUSTER_COLUMNS = [
    "cluster", "name", "size", "share", "summary", "root_cause", "suggested_fix", "top_plugin", "top_status_code",
    "unique_users", "keywords",
]
NOISE = -1


def _top(counts: list[Count]) -> str:
    return str(counts[0].value) if counts else ""


def cluster_name(label: int, analyst_label: str | None, summary: str = "") -> str:
    """How a cluster is named everywhere: its number with the analyst's label, else with its title, so that
    "Cluster 7" never stands alone."""
    base = "Noise" if label == NOISE else f"Cluster {label}"
    if analyst_label:
        return f"{base}: {analyst_label}"
    return f"{base} · {summary}" if summary and label != NOISE else base


@st.cache_data(show_spinner=False, max_entries=32)
def clusters_table(_engine: Engine, url: str, run_id: int, run_events: int = 0) -> pd.DataFrame:
    """The run's clusters ranked by size (noise last), one row each, with the analyst's label.

    run_events (the run's n_events) is only part of the cache key: `lens assign` grows a run's clusters.
    """
    rows = []
    for c in queries.clusters_of_run(engine=_engine, run_id=run_id, include_noise=True):
        ev = c.evidence
        rows.append({
            "cluster": c.label, "name": cluster_name(c.label, c.analyst_label, c.summary), "size": c.size,
            "share": c.share, "summary": c.summary, "root_cause": c.root_cause,
            "suggested_fix": c.suggested_fix or "", "top_plugin": _top(ev.plugins), "top_status_code": _top(ev.status_codes),
            "unique_users": ev.unique_users, "keywords": ", ".join(ev.keywords[:6]),
        })
    return pd.DataFrame(rows, columns=CLUSTER_COLUMNS)


@st.cache_data(show_spinner=False, max_entries=8)
def cluster_digests(_engine: Engine, url: str, run_id: int, run_events: int = 0) -> dict[int, ClusterDigest]:
    """label -> each cluster's evidence (noise left out); run_events as for clusters_table."""
    return {c.label: c.evidence for c in queries.clusters_of_run(engine=_engine, run_id=run_id, include_noise=False)}


@st.cache_data(show_spinner=False, max_entries=8)
def map_frame(_engine: Engine, url: str, run_id: int, run_events: int = 0) -> pd.DataFrame:
    """Every event of the run with its map position, cluster, prompt and parsed error (for hover and tables).

    Events assigned after the run (or past a sampled fit) have no map position and are left off the map.
    """
    placed = queries.assignments_frame(engine=_engine, run_id=run_id)
    events = queries.load_events_frame(
        engine=_engine,
        columns=("evaluation_id", "customer_prompt", "plugin", "status_code", "error_type", "error_message"),
    )
    frame = placed.merge(events, on="evaluation_id", how="left")
    # Each event's pattern changes with the analyst's rules: event_patterns() reads it, not this frame.
    return frame.drop(columns=["message_template", "pattern_id"], errors="ignore")


@st.cache_data(show_spinner=False, max_entries=8)
def event_facts(_engine: Engine, url: str, n_events: int) -> pd.DataFrame:
    """Timestamps and users of every event, for the timeline and the unique-user count."""
    return queries.load_events_frame(engine=_engine, columns=("id", "timestamp", "user_id", "status_code"))


MISSING_WORDS = {"status_code": "status", "error_type": "error type", "error_code": "error code"}


@st.cache_data(show_spinner=False, max_entries=8)
def value_counts(_engine: Engine, url: str, n_events: int, column: str) -> pd.DataFrame:
    """The most frequent values of one parsed column; events without one are counted as "no <column>"
    (no status, no error type), in words an analyst reads without knowing the schema, marked `missing`."""
    counts = stats.value_counts(engine=_engine, column=column)
    missing = f"no {MISSING_WORDS.get(column, column)}"
    return pd.DataFrame(
        [{"value": missing if vc.value in (None, "") else str(vc.value), "count": vc.count,
          "missing": vc.value in (None, "")} for vc in counts],
        columns=["value", "count", "missing"],
    )




def _run_row(run: PipelineRun) -> dict:
    """One line of the runs table: what ran, what it found, how long each stage took."""
    # The reducer's parameters shape every run's map; each clusterer's own are in run_parameters.
    _, reducer_params = stage_params(run.parameters, "reducer")
    timings = run.timings or {}
    return {
        "run": run.id, "status": run.status, "created": when(run.created_at), "algorithm": run.algorithm,
        "view": run.view, "embedder": run.embedding_model or run.embedder, "parameters": run_parameters(run),
        **reducer_params, "random_state": (run.parameters or {}).get("random_state"),
        "events": "" if run.n_events is None else f"{run.n_events:,}",
        "clusters": "" if run.n_clusters is None else f"{run.n_clusters:,}",
        "noise share": "" if run.noise_share is None else f"{run.noise_share:.1%}",
        "silhouette": "" if run.silhouette is None else f"{run.silhouette:.3f}",
        "seconds": round(sum(v for v in timings.values() if isinstance(v, (int, float))), 2),
        "stage seconds": ", ".join(f"{k} {v}" for k, v in timings.items()),
        "error": run.error or "",
    }


def runs_frame(runs: list[PipelineRun]) -> pd.DataFrame:
    """The runs table (not cached: a handful of rows, and a run in progress changes)."""
    return pd.DataFrame([_run_row(r) for r in runs])


def forget_annotations() -> None:
    """After a label or notes change: the cluster tables show them, so they are read again."""
    clusters_table.clear()


# -- patterns (lens_core.tracking) ---------------------------------------------------------------------

def latest_tracked_run(engine: Engine) -> PipelineRun | None:
    """The newest run with patterns: the one rules act on and the queue ranks (not cached: one row)."""
    run_id = tracking_store.latest_tracked_run(engine=engine)
    return None if run_id is None else queries.get_run(engine=engine, run_id=run_id)


def patterns_version(engine: Engine, latest: PipelineRun | None) -> str:
    """Changes whenever a rule is made or undone (here or elsewhere: CLI, API), a run is tracked or events
    join the latest one: part of every pattern frame's key. Not cached: a handful of rows."""
    rules = tracking_store.active_rules(engine=engine, include_undone=True)
    undone = sum(r.undone_at is not None for r in rules)
    run = f"{latest.id}+{latest.n_events}" if latest else "none"
    return f"run {run}, rules {rules[-1].id if rules else 0}/{len(rules)}, undone {undone}"


@st.cache_data(show_spinner=False, max_entries=16)
def pattern_summaries(_engine: Engine, url: str, run_id: int, version: str) -> list[PatternSummary]:
    """Every pattern with events in the run, open or not, highest score first (the queue's order); then
    the closed ones without events there (merged away, ignored or resolved and gone), with zero counts."""
    found = queue.summaries(engine=_engine, run_id=run_id, include_closed=True)
    present = {s.pattern_id for s in found}
    states = fold_states(tracking_store.active_rules(engine=_engine))
    closed = sorted(pid for pid, st_ in states.items() if st_.state not in queue.OPEN_STATES and pid not in present)
    names = titles.titles_of(engine=_engine) if closed else {}
    for pid in closed:
        if pid not in names:  # a rule naming a pattern that no longer exists
            continue
        state = states[pid]
        found.append(PatternSummary(
            pattern_id=pid, title=names[pid], state=state.state, events=0, users=0, tenants=0, share=0.0,
            severity="", score=0.0, terms={}, owner=state.owner, notes=list(state.notes),
            resolved_in=state.resolved_in, merged_into=state.merged_into, run_id=run_id))
    return found


@st.cache_data(show_spinner=False, max_entries=16)
def pattern_titles(_engine: Engine, url: str, version: str) -> dict[int, str]:
    """Every pattern's title (the analyst's, else its evidence's), unique: patterns gone from the latest
    run (merged away, vanished) included."""
    return titles.titles_of(engine=_engine)


@st.cache_data(show_spinner=False, max_entries=8)
def event_patterns(_engine: Engine, url: str, run_id: int, run_events: int, version: str) -> pd.DataFrame:
    """Each event of the run with its pattern (rules applied; None for noise and untracked runs) and the
    fields a pattern can be split by (tracking_store.RUN_EVENT_COLUMNS)."""
    return tracking_store.run_events_frame(engine=_engine, run_id=run_id)


@st.cache_data(show_spinner=False, max_entries=8)
def run_diff(_engine: Engine, url: str, run_id: int, version: str) -> RunDiff | None:
    """What changed from the tracked run before `run_id` to it; None when it is the first tracked run."""
    earlier = [r for r in tracking_store.tracked_runs(engine=_engine) if r < run_id]
    return diff.diff_runs(engine=_engine, run_a=earlier[-1], run_b=run_id) if earlier else None


def active_rules(engine: Engine) -> list[PatternRuleRow]:
    """The analyst's rules in force, oldest first: what a pattern's suggestions read (what was resolved,
    when). Not cached: database rows, few, read once per page."""
    return tracking_store.active_rules(engine=engine)


@st.cache_data(show_spinner=False, max_entries=16)
def pattern_history(_engine: Engine, url: str, pattern_id: int, version: str) -> pd.DataFrame:
    """The rules that name the pattern, oldest first, undone ones marked."""
    rows = [{
        "rule": r.id, "kind": r.kind, "pattern": r.pattern_id, "params": r.params or {},
        "author": r.author or "", "made": r.created_at, "undone": r.undone_at is not None,
        "undone at": r.undone_at, "undone by": r.undone_by or "",
        "last run": r.last_run_id, "applied": r.last_applied, "message": r.last_message or "",
    } for r in curation.history(engine=_engine, pattern_id=pattern_id)]
    return pd.DataFrame(rows, columns=["rule", "kind", "pattern", "params", "author", "made", "undone", "undone at",
                                       "undone by", "last run", "applied", "message"])


@st.cache_data(show_spinner=False, max_entries=16)
def pattern_lineage(_engine: Engine, url: str, pattern_id: int, version: str) -> pd.DataFrame:
    rows = [{"run": r.run_id, "pattern": r.pattern_id, "relation": r.relation, "other": r.other_id,
             "events": r.events, "note": r.note or ""}
            for r in tracking_store.lineage(engine=_engine, pattern_id=pattern_id)]
    return pd.DataFrame(rows, columns=["run", "pattern", "relation", "other", "events", "note"])


@st.cache_data(show_spinner=False, max_entries=16)
def pattern_origin(_engine: Engine, url: str, pattern_id: int, version: str) -> dict:
    """Where the pattern came from: origin (run | split), parent, first and last run that had it."""
    row = tracking_store.get_pattern(engine=_engine, pattern_id=pattern_id)
    return {"origin": row.origin, "parent_id": row.parent_id, "first_run_id": row.first_run_id,
            "last_run_id": row.last_run_id, "created_at": row.created_at}


@st.cache_data(show_spinner=False, max_entries=8)
def message_templates(_engine: Engine, url: str, run_id: int, run_events: int = 0) -> dict[str, str]:
    """Message pattern hash -> its template (`Mailbox of <*> is over quota`) for the run's events."""
    events = tracking_store.run_events_frame(engine=_engine, run_id=run_id)[["evaluation_id", "message_pattern"]]
    templates = queries.assignments_frame(engine=_engine, run_id=run_id)[["evaluation_id", "message_pattern"]]
    pairs = events.merge(templates, on="evaluation_id", suffixes=("", "_template")).dropna()
    return dict(zip(pairs["message_pattern"], pairs["message_pattern_template"]))


NO_RELEASE = "(no release)"  # how the release filters name the events that carry none


@st.cache_data(show_spinner=False, max_entries=16)
def trend_series(_engine: Engine, url: str, run_id: int, run_events: int, version: str,
                 releases: tuple[str, ...] = ()) -> Series:
    """Per pattern: events, users and rate per hour or day and per release (trends.series) over the run's
    events, or over the events of `releases` alone (NO_RELEASE: those without one)."""
    events = event_patterns(_engine, url, run_id, run_events, version)
    if releases:
        named = events["release"].where(events["release"].notna() & (events["release"] != ""), NO_RELEASE)
        events = events[named.isin(releases)]
    return trends.series(events)


@st.cache_data(show_spinner=False, max_entries=16)
def trend_comparison(_engine: Engine, url: str, run_id: int, version: str, base: Window | None = None,
                     target: Window | None = None) -> Comparison:
    """The run's patterns in the base window against the target (trends.compare_latest; both None: the
    latest release against the one before, else the last day against the week before). The rules are
    part of `version`, so a resolve rule shows as a regression at once."""
    return trends.compare_latest(engine=_engine, base=base, target=target, run_id=run_id)


def last_rule(engine: Engine) -> object | None:
    """The rule Undo would withdraw: the latest one not undone (not cached: one row, and it must be now)."""
    rules = tracking_store.active_rules(engine=engine)
    return rules[-1] if rules else None


def forget_patterns() -> None:
    """After a rule is made or undone: every frame that shows patterns is read again."""
    for loader in (pattern_summaries, pattern_titles, event_patterns, run_diff, pattern_history, pattern_lineage,
                   pattern_origin, trend_series, trend_comparison):
        loader.clear()


# -- the map's colour and search (pure: the Clusters page's frame) -------------------------------------

# What the map can be coloured by: the choice's name -> the column of map_frame merged with event_patterns
# it reads (None: the pattern, the map's own groups).
COLOUR_FIELDS = {"pattern": None, "plugin": "plugin", "status": "status_code", "tenant": "tenant_id",
                 "release": "release", "day": "timestamp"}


def colour_values(frame: pd.DataFrame, field: str) -> pd.Series:
    """The text each event shows when the map is coloured by `field` (a COLOUR_FIELDS name): days as
    YYYY-MM-DD, status codes without a ".0", and "no <field>" for events without a value."""
    column = frame[COLOUR_FIELDS[field]]
    if field == "day":
        text = pd.to_datetime(column, utc=True, errors="coerce").dt.strftime("%Y-%m-%d")
    elif field == "status":
        text = pd.to_numeric(column, errors="coerce").map(lambda v: None if pd.isna(v) else str(int(v)))
    else:
        text = column.map(lambda v: None if v is None or (isinstance(v, float) and pd.isna(v)) or v == "" else str(v))
    return text.where(text.notna(), f"no {field}").astype(str)


def search_matches(frame: pd.DataFrame, text: str) -> set[str]:
    """The evaluation ids of the events whose prompt or error message holds `text` (any case, literally)."""
    needle = text.strip().lower()
    if not needle:
        return set()
    hit = pd.Series(False, index=frame.index)
    for column in ("customer_prompt", "error_message"):
        hit |= frame[column].fillna("").astype(str).str.lower().str.contains(needle, regex=False)
    return set(frame.loc[hit, "evaluation_id"].astype(str))
