"""The pipeline on both databases with the hashing embedder (fast, deterministic); one test uses MiniLM."""

from __future__ import annotations

import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from lens_core.config import Settings
from lens_core.errors import ConfigError, InputError
from lens_core.ingest.ingestor import ingest_file
from lens_core.runs.export import assignments_csv, summaries_text, top_clusters
from lens_core.runs.options import ProcessOptions
from lens_core.runs.pipeline import process
from lens_core.storage import queries
from tests.conftest import SAMPLES


def truth() -> pd.Series:
    return pd.read_csv(SAMPLES / "telemetry.truth.csv").set_index("evaluation_id")["root_cause"]


def ari_by_cause(engine, run_id: int) -> float:
    frame = queries.assignments_frame(engine=engine, run_id=run_id).set_index("evaluation_id")
    causes = truth().loc[frame.index]
    return adjusted_rand_score(causes, frame["cluster_id"])


@pytest.fixture
def loaded(engine):
    ingest_file(SAMPLES / "telemetry.csv", engine=engine)
    return engine


def test_process_stores_a_complete_run(loaded, settings: Settings) -> None:
    outcome = process(engine=loaded, settings=settings, options=ProcessOptions.of(embedder="hashing"))
    run = queries.get_run(engine=loaded, run_id=outcome.run_id)
    assert run.status == "completed" and run.n_events == 3000
    assert set(run.timings) == {"load", "embed", "reduce", "cluster", "map", "describe", "store", "track"}
    assert run.parameters["random_state"] == 42 and run.versions["fingerprint"] == "fp2"
    assert run.counts["embedded"] == run.counts["unique_texts"] > 0
    assert run.n_clusters >= 5
    frame = queries.assignments_frame(engine=loaded, run_id=run.id)
    assert len(frame) == 3000 and frame["map_x"].notna().all()
    clustered = frame[frame["cluster_id"] != -1]
    assert clustered["distance"].notna().all()
    # Clusters are numbered by size, largest first.
    sizes = [c.size for c in queries.clusters_of_run(engine=loaded, run_id=run.id, include_noise=False)]
    assert sizes == sorted(sizes, reverse=True)
    assert ari_by_cause(loaded, run.id) > 0.75  # hashing scores 0.81 here; MiniLM 0.82-0.98 (test below)


def test_reclustering_reuses_embeddings_and_reductions(loaded, settings: Settings) -> None:
    umap = ProcessOptions.of(embedder="hashing", algorithm="hdbscan", view="error")  # the default reduces nothing
    first = process(engine=loaded, settings=settings, options=umap)
    second = process(engine=loaded, settings=settings, options=umap.but(min_cluster_size=40))
    assert first.counts["embedded"] > 0
    assert second.counts["embedded"] == 0
    assert second.counts["reduction_reused"] and second.counts["map_reused"]
    assert second.n_clusters <= first.n_clusters
    assert queries.latest_run(engine=loaded).id == second.run_id


def test_kmeans_chooses_k_and_leaves_no_noise(loaded, settings: Settings) -> None:
    outcome = process(engine=loaded, settings=settings, options=ProcessOptions.of(embedder="hashing", algorithm="kmeans"))
    assert outcome.noise_events == 0 and outcome.n_clusters >= 2
    assert outcome.silhouette is not None


def test_cluster_response_and_exports(loaded, settings: Settings) -> None:
    outcome = process(engine=loaded, settings=settings, options=ProcessOptions.of(embedder="hashing"))
    run, rows = top_clusters(engine=loaded, limit=3)
    assert run.id == outcome.run_id and len(rows) == 3
    for key in ("cluster_id", "size", "algorithm", "summary", "root_cause", "common_plugins",
                "common_endpoints", "common_error_codes", "sample_prompts"):
        assert key in rows[0]
    assert rows[0]["size"] >= rows[1]["size"] and rows[0]["sample_prompts"]
    csv_text = assignments_csv(engine=loaded)
    assert csv_text.splitlines()[0] == "evaluation_id,fingerprint,message_pattern,cluster_id,run_id,pattern_id,pattern_title"
    assert len(csv_text.splitlines()) == 3001
    report = summaries_text(engine=loaded, fmt="md")
    assert report.startswith(f"# lens report: run {outcome.run_id}") and "Root cause:" in report


def test_empty_database_fails_clearly_and_marks_the_run(engine, settings: Settings) -> None:
    with pytest.raises(InputError, match="no events stored yet"):
        process(engine=engine, settings=settings, options=ProcessOptions.of(embedder="hashing"))
    (run,) = queries.list_runs(engine=engine)
    assert run.status == "failed" and "no events" in run.error
    assert queries.latest_run(engine=engine) is None


def test_invalid_options_are_refused_before_a_run_starts(sqlite_engine) -> None:
    settings = Settings(_env_file=None, embedding_backend="hashing")
    with pytest.raises(ConfigError, match="unknown view"):
        process(engine=sqlite_engine, settings=settings, options=ProcessOptions.of(embedder="hashing", view="nope"))
    assert queries.list_runs(engine=sqlite_engine) == []


def test_minilm_error_view_finds_the_root_causes(sqlite_engine) -> None:
    """The product's defaults, through the real all-MiniLM-L6-v2 model, against the sample's true causes."""
    ingest_file(SAMPLES / "telemetry.csv", engine=sqlite_engine)
    settings = Settings(_env_file=None)
    outcome = process(engine=sqlite_engine, settings=settings)
    assert outcome.counts["embedded"] < 1000  # unique error texts only, not 3000 events
    # Measured 0.82 to 0.98 on the same code and data: UMAP on a few hundred distinct texts moves with
    # float-level differences between machines (BLAS, CPU), and HDBSCAN then splits or joins a cause or
    # two. 0.75 still needs most causes found whole; BERTopic on the original design scores 0.18.
    assert ari_by_cause(sqlite_engine, outcome.run_id) >= 0.75


def test_summary_exports_redact_personal_data_unless_turned_off(sqlite_engine) -> None:
    from lens_core.ingest.ingestor import ingest_records
    from lens_core.samples.generator import generate

    events, _ = generate(300, seed=5)
    for event in events:
        event["customer_prompt"] = f"{event['customer_prompt']} mail jane.doe@contoso.com or call +1 425 555 0100"
    ingest_records(events, engine=sqlite_engine)
    settings = Settings(_env_file=None, embedding_backend="hashing")
    process(engine=sqlite_engine, settings=settings, options=ProcessOptions.of(embedder="hashing"))
    for fmt in ("json", "csv", "md"):
        redacted = summaries_text(engine=sqlite_engine, fmt=fmt)
        assert "jane.doe@contoso.com" not in redacted and "555 0100" not in redacted
        assert "<EMAIL" in redacted.replace("\\", "")  # Markdown escapes the brackets
    assert "jane.doe@contoso.com" in summaries_text(engine=sqlite_engine, fmt="json", redact=False)


def test_each_view_runs_with_its_own_clusterer_unless_one_is_asked_for(settings: Settings) -> None:
    assert ProcessOptions.of(settings).algorithm == "agglomerative"  # the cause view's
    assert ProcessOptions.of(settings, view="intent").algorithm == "hdbscan"
    assert ProcessOptions.of(settings, view="intent", algorithm="kmeans").algorithm == "kmeans"
    assert ProcessOptions.of(view="error").algorithm == "hdbscan"


def test_only_the_cause_view_states_failure_families_in_the_evidence(sqlite_engine) -> None:
    ingest_file(SAMPLES / "telemetry.csv", engine=sqlite_engine)
    settings = Settings(_env_file=None, embedding_backend="hashing")
    for view, stated in (("cause", True), ("intent", False)):  # a prompt's words name no failure family
        outcome = process(engine=sqlite_engine, settings=settings, options=ProcessOptions.of(embedder="hashing", view=view))
        evidence = [c.evidence for c in queries.clusters_of_run(engine=sqlite_engine, run_id=outcome.run_id)]
        assert any(e.families for e in evidence) is stated
