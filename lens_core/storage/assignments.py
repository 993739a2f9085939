"""Writes of `lens assign`: events joined to an existing run after it was made."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from lens_core.storage.engine import insert_frame
from lens_core.storage.models import ClusterAssignment, ClusterRow, PipelineRun


def store_late_assignments(
    *,
    engine: Engine,
    run: PipelineRun,
    event_ids: np.ndarray,
    labels: np.ndarray,
    distances: np.ndarray,
    per_cluster: Mapping[int, int],
    counts: Mapping[str, int],
    note: str,
    noise_label: int,
    noise_row: Mapping[str, Any] | None,
) -> None:
    """The assignments, every cluster's size and share, and the run's counts and notes, in one transaction.

    noise_row: the fields of the run's noise cluster, inserted when the run has none yet and some events
    fit no cluster. counts: added to the run's counts of the same names.
    """
    rows = pd.DataFrame({"run_id": run.id, "event_id": event_ids.astype("int64"), "label": labels.astype("int64"),
                         "distance": distances.astype(float)})  # NaN distance (novel): NULL; no map position
    clusters_table = ClusterRow.__table__
    with engine.begin() as conn:
        insert_frame(conn, ClusterAssignment.__table__, rows)
        sizes = dict(conn.execute(
            select(clusters_table.c.label, clusters_table.c.size).where(clusters_table.c.run_id == run.id)
        ).all())
        if noise_row is not None and noise_label not in sizes:
            conn.execute(clusters_table.insert(), [{"run_id": run.id, "label": noise_label, "size": 0,
                                                    "share": 0.0, **noise_row}])
            sizes[noise_label] = 0
        for label, n in per_cluster.items():
            sizes[label] = sizes.get(label, 0) + n
        total = sum(sizes.values())
        for label, size in sizes.items():
            conn.execute(
                update(clusters_table)
                .where(clusters_table.c.run_id == run.id, clusters_table.c.label == label)
                .values(size=size, share=size / total if total else 0.0)
            )
        run_counts = dict(run.counts or {})
        for name, n in counts.items():
            run_counts[name] = run_counts.get(name, 0) + n
        noise = sizes.get(noise_label, 0)
        conn.execute(
            update(PipelineRun.__table__).where(PipelineRun.__table__.c.id == run.id).values(
                n_events=total, counts=run_counts, noise_share=noise / total if total else 0.0,
                notes=[*(run.notes or []), note],
            )
        )
