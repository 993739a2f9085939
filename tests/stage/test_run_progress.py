"""What a run tells while it runs (stages, counts done of total, first-use compilation) and the parameters
its clusterer actually used, on SQLite with the hashing embedder."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

from lens_core import runtime
from lens_core.config import Settings
from lens_core.ingest.ingestor import ingest_records
from lens_core.runs.options import ProcessOptions
from lens_core.runs.pipeline import process
from lens_core.runs.progress import STAGES, RunProgress, estimate_left
from lens_core.samples.generator import generate
from lens_core.storage import queries


@pytest.fixture
def sample(sqlite_engine):
    ingest_records(generate(600, seed=5)[0], engine=sqlite_engine)
    return sqlite_engine


def _settings(engine) -> Settings:
    return Settings(_env_file=None, database_url=str(engine.url), embedding_backend="hashing")


def test_a_run_reports_every_stage_with_counts_and_in_order(sample) -> None:
    seen: list[RunProgress] = []
    options = ProcessOptions.of(embedder="hashing", algorithm="hdbscan", view="error")
    outcome = process(engine=sample, settings=_settings(sample), options=options, progress=seen.append)
    run = queries.get_run(engine=sample, run_id=outcome.run_id)

    assert list(dict.fromkeys(s.stage for s in seen)) == list(STAGES)
    overall = [s.overall for s in seen]
    assert overall == sorted(overall) and overall[-1] == 1.0
    embed = [s for s in seen if s.stage == "embed" and s.total]
    assert embed[-1].done == embed[-1].total == run.counts["unique_texts"]  # every distinct text, counted
    assert "texts embedded" in embed[-1].text()
    load_end = [s for s in seen if s.stage == "load"][-1]
    assert f"{run.n_events:,} events" in load_end.note
    described = [s for s in seen if s.stage == "describe"][-1]
    assert described.done == described.total == run.n_clusters
    assert f"{run.n_clusters:,} clusters found" in [s for s in seen if s.stage == "cluster"][-1].note
    assert any(s.note.startswith(f"UMAP of {run.counts['unique_texts']:,} distinct texts") for s in seen
               if s.stage == "map")  # what the stage is doing while it has nothing to count

    again: list[RunProgress] = []  # the same texts again: nothing embedded, the stored layouts reused
    process(engine=sample, settings=_settings(sample), options=options.but(min_cluster_size=30), progress=again.append)
    assert [s for s in again if s.stage == "embed"][-1].note.endswith("were stored already")
    assert [s for s in again if s.stage == "map"][-1].note == "reused the stored map"
    assert not any("compiling" in s.note for s in again)  # compiled in this process already


def test_a_run_records_the_parameters_its_clusterer_used(sample) -> None:
    scaled = ProcessOptions.of(embedder="hashing", algorithm="hdbscan", view="error", min_cluster_size=2,
                               scale_min_cluster_size=True)
    outcome = process(engine=sample, settings=_settings(sample), options=scaled)
    used = queries.get_run(engine=sample, run_id=outcome.run_id).counts["used_params"]
    assert used["min_cluster_size"] > 2 and "min_samples" in used  # raised for the run's distinct texts

    automatic_k = ProcessOptions.of(embedder="hashing", algorithm="kmeans", view="error")
    outcome = process(engine=sample, settings=_settings(sample), options=automatic_k)
    run = queries.get_run(engine=sample, run_id=outcome.run_id)
    assert run.counts["used_params"] == {"k": run.n_clusters}  # the K chosen by silhouette


def test_first_use_tells_compiling_from_loading_from_ready(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "site" / "lens_toy_kernels"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "numba"))
    monkeypatch.delitem(sys.modules, "lens_toy_kernels", raising=False)

    assert runtime.first_use(("lens_toy_kernels",)) == "compile"
    folder = str(package.resolve())

    cache = tmp_path / "numba" / f"lens_toy_kernels_{hashlib.sha1(folder.encode()).hexdigest()}"
    cache.mkdir(parents=True)
    (cache / "kernels.square-3.py311.nbi").write_bytes(b"")
    assert runtime.first_use(("lens_toy_kernels",)) == "load"
    __import__("lens_toy_kernels")
    try:
        assert runtime.first_use(("lens_toy_kernels",)) is None
    finally:
        del sys.modules["lens_toy_kernels"]
    assert runtime.first_use(()) is None


def test_an_estimate_only_once_the_rate_means_something() -> None:
    assert estimate_left(0, 100, 10.0) is None and estimate_left(50, 100, 0.5) is None
    assert estimate_left(25, 100, 10.0) == pytest.approx(30.0)
    assert RunProgress("reduce", 0.0, note="reused the stored reduction").text() == (
        "Reducing the embeddings (UMAP): reused the stored reduction (stage 3 of 8)")
