"""process --fit-sample: reduce and cluster a weighted sample of distinct texts, assign the rest."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from lens_core.cluster.sampled_fit import represented_weights, sample_indices
from lens_core.config import Settings
from lens_core.errors import ConfigError
from lens_core.ingest.ingestor import ingest_records
from lens_core.runs.options import ProcessOptions
from lens_core.runs.pipeline import process
from lens_core.storage import queries


def test_weighted_sample_is_seeded_sorted_and_keeps_heavy_points() -> None:
    weights = np.ones(1000)
    weights[[3, 500, 998]] = 10_000
    a, b = sample_indices(weights, 50, 7), sample_indices(weights, 50, 7)
    assert np.array_equal(a, b) and np.all(np.diff(a) > 0) and len(a) == 50
    assert {3, 500, 998} <= set(a.tolist())
    assert len(sample_indices(weights, 5000, 7)) == 1000


def test_each_sampled_point_carries_the_events_of_the_left_out_points_nearest_to_it() -> None:
    vectors = np.array([[1, 0], [0.99, 0.14], [0, 1], [0.14, 0.99], [0.7, 0.71]], dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    weights = np.array([5, 2, 7, 3, 1], dtype=np.float32)
    carried = represented_weights(vectors, weights, np.array([0, 2]))
    assert carried.tolist() == [5 + 2, 7 + 3 + 1]  # [0.7, 0.71] leans to [0, 1]
    assert carried.sum() == weights.sum()


TOPICS = {  # eight requests with nothing in common, each asked in many distinct wordings
    "calendar": ("schedule", "meeting", "calendar", "invite", "reschedule"),
    "mail": ("email", "inbox", "reply", "forward", "attachment"),
    "files": ("spreadsheet", "document", "folder", "upload", "sharepoint"),
    "teams": ("channel", "chat", "teams", "mention", "thread"),
    "tasks": ("todo", "task", "reminder", "deadline", "checklist"),
    "people": ("manager", "colleague", "org", "chart", "directory"),
    "travel": ("flight", "hotel", "booking", "itinerary", "visa"),
    "expenses": ("receipt", "expense", "reimburse", "invoice", "budget"),
}


def topic_events(per_topic: int) -> tuple[list[dict], dict[str, str]]:
    """Intent texts in well-separated groups: the grouping a sampled fit must find again."""
    events, topic_of = [], {}
    for topic, words in TOPICS.items():
        for i in range(per_topic):
            prompt = f"{words[i % 5]} {words[(i // 5) % 5]} {words[(i // 25) % 5]} please {i}"
            eid = f"{topic}-{i}"
            events.append({"evaluation_id": eid, "customer_prompt": prompt, "skill_output": "HTTP 500"})
            topic_of[eid] = topic
    return events, topic_of


def test_a_sampled_fit_finds_the_groups_the_full_fit_finds(sqlite_engine) -> None:
    events, topic_of = topic_events(per_topic=120)
    ingest_records(events, engine=sqlite_engine)
    settings = Settings(_env_file=None, embedding_backend="hashing")
    full = process(engine=sqlite_engine, settings=settings, options=ProcessOptions.of(embedder="hashing", view="intent"))
    distinct = full.counts["unique_texts"]
    assert distinct == len(events)
    sampled = process(engine=sqlite_engine, settings=settings,
                      options=ProcessOptions.of(embedder="hashing", view="intent", fit_sample=distinct // 2))
    assert sampled.counts["fitted_texts"] == distinct // 2
    assert sampled.counts["assigned_texts"] == distinct - distinct // 2
    run = queries.get_run(engine=sqlite_engine, run_id=sampled.run_id)
    assert any("fit on a sample of" in note for note in run.notes)

    a = queries.assignments_frame(engine=sqlite_engine, run_id=full.run_id).set_index("evaluation_id")
    b = queries.assignments_frame(engine=sqlite_engine, run_id=sampled.run_id).set_index("evaluation_id")
    assert len(b) == len(events)
    truth = [topic_of[eid] for eid in a.index]
    # Both find the eight requests (the full fit may split one in two: ARI 0.91 here, 0.96 sampled).
    assert adjusted_rand_score(truth, a["cluster_id"]) > 0.85
    assert adjusted_rand_score(truth, b.loc[a.index, "cluster_id"]) > 0.85
    # Only fitted texts are on the map; every assigned event has a cluster or is noise.
    assert b["map_x"].isna().sum() == distinct - distinct // 2


def test_fit_sample_below_100_is_refused() -> None:
    with pytest.raises(ConfigError, match="fit_sample"):
        ProcessOptions.of(fit_sample=10)
