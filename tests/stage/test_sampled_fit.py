"""process --fit-sample: reduce and cluster a weighted sample of distinct texts, assign the rest."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from lens_core.config import Settings
from lens_core.errors import ConfigError
from lens_core.ingest.ingestor import ingest_records
from lens_core.pipeline import ProcessOptions, process
from lens_core.samples import generate
from lens_core.sampled_fit import sample_indices
from lens_core.storage import queries


def test_weighted_sample_is_seeded_sorted_and_keeps_heavy_points() -> None:
    weights = np.ones(1000)
    weights[[3, 500, 998]] = 10_000
    a, b = sample_indices(weights, 50, 7), sample_indices(weights, 50, 7)
    assert np.array_equal(a, b) and np.all(np.diff(a) > 0) and len(a) == 50
    assert {3, 500, 998} <= set(a.tolist())
    assert len(sample_indices(weights, 5000, 7)) == 1000


def test_a_sampled_fit_agrees_with_the_full_fit(sqlite_engine) -> None:
    events, _ = generate(2000, seed=4)
    ingest_records(events, engine=sqlite_engine)
    settings = Settings(_env_file=None, embedding_backend="hashing")
    full = process(engine=sqlite_engine, settings=settings, options=ProcessOptions(embedder="hashing", view="intent"))
    distinct = full.counts["unique_texts"]
    sampled = process(engine=sqlite_engine, settings=settings,
                      options=ProcessOptions(embedder="hashing", view="intent", fit_sample=distinct // 2))
    assert sampled.counts["fitted_texts"] == distinct // 2
    assert sampled.counts["assigned_texts"] == distinct - distinct // 2
    run = queries.get_run(engine=sqlite_engine, run_id=sampled.run_id)
    assert any("fit on a sample of" in note for note in run.notes)

    a = queries.assignments_frame(engine=sqlite_engine, run_id=full.run_id).set_index("evaluation_id")
    b = queries.assignments_frame(engine=sqlite_engine, run_id=sampled.run_id).set_index("evaluation_id")
    assert len(b) == 2000
    assert adjusted_rand_score(a["cluster_id"], b.loc[a.index, "cluster_id"]) > 0.5
    # Only fitted texts are on the map; every assigned event has a cluster or is noise.
    assert b["map_x"].isna().any() and b["map_x"].notna().any()


def test_fit_sample_below_100_is_refused() -> None:
    with pytest.raises(ConfigError, match="fit_sample"):
        ProcessOptions(fit_sample=10).validate()
