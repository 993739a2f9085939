"""Cached query results for the pages: `st.cache_data` keyed by database URL and run id.

A run's clusters and map never change once stored, so (url, run_id) is a complete key; analyst labels are
the one exception and `forget_annotations()` drops the frames that show them. Frames over all events are
keyed by the event count, which changes whenever an ingest adds rows.
The engine is passed as `_engine` (not hashed): the URL beside it is the key.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from app.ui import run_parameters
from lens_core.runs.options import stage_params
from lens_core.schema import Count
from lens_core.storage import stats
from lens_core.storage import queries
from lens_core.storage.models import PipelineRun

CLUSTER_COLUMNS = [
    "cluster", "name", "size", "share", "summary", "root_cause", "top_plugin", "top_status_code",
    "unique_users", "keywords",
]
NOISE = -1


def _top(counts: list[Count]) -> str:
    return str(counts[0].value) if counts else ""


def cluster_name(label: int, analyst_label: str | None) -> str:
    """How a cluster is named everywhere: the analyst's label when set."""
    base = "Noise" if label == NOISE else f"Cluster {label}"
    return f"{base}: {analyst_label}" if analyst_label else base


@st.cache_data(show_spinner=False, max_entries=32)
def clusters_table(_engine: Engine, url: str, run_id: int, run_events: int = 0) -> pd.DataFrame:
    """The run's clusters ranked by size (noise last), one row each, with the analyst's label.

    run_events (the run's n_events) is only part of the cache key: `lens assign` grows a run's clusters.
    """
    rows = []
    for c in queries.clusters_of_run(engine=_engine, run_id=run_id, include_noise=True):
        ev = c.evidence
        rows.append({
            "cluster": c.label, "name": cluster_name(c.label, c.analyst_label), "size": c.size,
            "share": c.share, "summary": c.summary, "root_cause": c.root_cause,
            "top_plugin": _top(ev.plugins), "top_status_code": _top(ev.status_codes),
            "unique_users": ev.unique_users, "keywords": ", ".join(ev.keywords[:6]),
        })
    return pd.DataFrame(rows, columns=CLUSTER_COLUMNS)


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
    return frame.drop(columns=["message_template"], errors="ignore")


@st.cache_data(show_spinner=False, max_entries=8)
def event_facts(_engine: Engine, url: str, n_events: int) -> pd.DataFrame:
    """Timestamps and users of every event, for the timeline and the unique-user count."""
    return queries.load_events_frame(engine=_engine, columns=("id", "timestamp", "user_id", "status_code"))


@st.cache_data(show_spinner=False, max_entries=8)
def value_counts(_engine: Engine, url: str, n_events: int, column: str) -> pd.DataFrame:
    """The most frequent values of one parsed column; events without one are counted as "(none)"."""
    counts = stats.value_counts(engine=_engine, column=column)
    return pd.DataFrame(
        [{"value": "(none)" if vc.value is None else str(vc.value), "count": vc.count} for vc in counts],
        columns=["value", "count"],
    )




def _run_row(run: PipelineRun) -> dict:
    """One line of the runs table: what ran, what it found, how long each stage took."""
    # The reducer's parameters shape every run's map; each clusterer's own are in run_parameters.
    _, reducer_params = stage_params(run.parameters, "reducer")
    timings = run.timings or {}
    return {
        "run": run.id, "status": run.status, "created": run.created_at, "algorithm": run.algorithm,
        "view": run.view, "embedder": run.embedding_model or run.embedder, "parameters": run_parameters(run),
        **reducer_params, "random_state": (run.parameters or {}).get("random_state"),
        "events": run.n_events, "clusters": run.n_clusters,
        "noise share": None if run.noise_share is None else round(run.noise_share, 4),
        "silhouette": None if run.silhouette is None else round(run.silhouette, 3),
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
