"""The registry is the one source of names, parameters and defaults: a backend registered once is on
every surface (options, CLI, API schema, dashboard, settings) with no other edit."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClusterMixin
from typer.testing import CliRunner

from lens_core.cluster.base import PrototypeMixin, validate_data
from lens_core.config import Settings, get_settings
from lens_core.errors import ConfigError
from lens_core.registry import REGISTRY, STAGES, Backend, ClustererBackend, Param
from lens_core.runs.options import ProcessOptions, stage_params
from tests.conftest import SAMPLES


class ToyClusterer(PrototypeMixin, ClusterMixin, BaseEstimator):
    """Splits points into `groups` by the rank of their first coordinate: enough to be a clusterer."""

    def __init__(self, groups: int = 2) -> None:
        self.groups = groups

    def fit(self, X, y=None, sample_weight=None, represents=None):  # noqa: ANN001, ANN201 - the protocol's
        X, weights = validate_data(X, sample_weight)
        ranks = np.argsort(np.argsort(X[:, 0], kind="stable"), kind="stable")
        self.labels_ = (ranks * self.groups // max(len(X), 1)).astype(np.intp)
        self.probabilities_ = np.ones(len(X))
        self.adjustments_ = []
        self._fit_prototypes(X, weights, self.labels_, int(self.labels_.max()) + 1 if len(X) else 0)
        return self


TOY = ClustererBackend("clusterer", "toy", f"{__name__}:ToyClusterer", "a toy for the registry's tests",
                       on_reduction=False, params=(
    Param("toy_groups", int, 2, "how many groups the toy makes", minimum=1, maximum=9, arg="groups"),
))


@pytest.fixture
def toy() -> Iterator[Backend]:
    with REGISTRY.registered(TOY) as row:
        yield row


def test_names_and_defaults_come_from_the_rows() -> None:
    assert REGISTRY.names("clusterer") == ("agglomerative", "hdbscan", "kmeans")
    assert REGISTRY.names("view") == ("cause", "error", "intent", "prompt_output", "input_output")
    assert REGISTRY.default("view") == "cause"
    assert REGISTRY.default("clusterer", view="cause") == "agglomerative"  # the cause view's own
    assert REGISTRY.default("clusterer", view="intent") == "hdbscan"
    assert all(REGISTRY.default(stage) in REGISTRY.names(stage) for stage in STAGES)
    # Every row names an implementation that exists.
    assert all(row.load() for stage in STAGES for row in REGISTRY.rows[stage].values())


def test_a_parameter_name_belongs_to_one_stage() -> None:
    clash = Backend("embedder", "clash", "x:y", "", params=(Param("min_cluster_size", int, 3, ""),))
    with pytest.raises(ConfigError, match="already clusterer hdbscan's"):
        REGISTRY.register(clash)
    assert "clash" not in REGISTRY.names("embedder")


def test_options_route_parameters_to_the_chosen_backends() -> None:
    options = ProcessOptions.of(view="error", min_cluster_size=7, k=4, umap_neighbors=9)
    assert options.algorithm == "hdbscan"  # the error view's default
    assert options.params("clusterer")["min_cluster_size"] == 7
    assert "k" not in options.params("clusterer")  # K-Means' parameter, K-Means not chosen: dropped
    assert options.params("reducer")["umap_neighbors"] == 9
    with pytest.raises(ConfigError, match="unknown parameter min_cluster_sise"):
        ProcessOptions.of(min_cluster_sise=7)
    with pytest.raises(ConfigError, match="distance_threshold must be at least 0.01"):
        ProcessOptions.of(distance_threshold=0)
    with pytest.raises(ConfigError, match="unknown clusterer 'dbscan'"):
        ProcessOptions.of(algorithm="dbscan")


def test_settings_fill_in_what_is_left_out() -> None:
    settings = Settings(_env_file=None, min_cluster_size=33, random_state=5, embedding_backend="hashing")
    options = ProcessOptions.of(settings, algorithm="hdbscan")
    assert options.params("clusterer")["min_cluster_size"] == 33
    assert options.random_state == 5 and options.embedder == "hashing"


def test_records_round_trip_and_old_flat_records_still_read() -> None:
    options = ProcessOptions.of(algorithm="kmeans", k=5, random_state=3, fit_sample=200)
    assert ProcessOptions.from_record(options.record()) == options
    flat = {"view": "intent", "algorithm": "kmeans", "k": 6, "umap_neighbors": 12, "random_state": 1,
            "summarizer": "offline", "embedder": "hashing", "fit_sample": None}  # as runs stored them before
    assert stage_params(flat, "clusterer") == ("kmeans", {"k": 6})
    assert stage_params(flat, "reducer")[1]["umap_neighbors"] == 12
    assert stage_params({"algorithm": "gone"}, "clusterer") == (None, {})  # a backend since removed


def test_a_registered_backend_is_an_option_with_its_parameters(toy: Backend) -> None:
    options = ProcessOptions.of(algorithm="toy", toy_groups=3)
    assert options.record()["clusterer"] == {"name": "toy", "params": {"toy_groups": 3}}
    with pytest.raises(ConfigError, match="toy: toy_groups must be at most 9"):
        ProcessOptions.of(algorithm="toy", toy_groups=10)


def test_a_registered_backend_is_on_the_cli(toy: Backend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from lens_core import cli

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'toy.db'}")
    monkeypatch.setenv("EMBEDDING_BACKEND", "hashing")
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        shown = runner.invoke(cli.app, ["process", "--help"], terminal_width=200)
        assert "toy" in shown.output and "--toy-groups" in shown.output
        assert runner.invoke(cli.app, ["ingest", str(SAMPLES / "telemetry.csv")]).exit_code == 0
        result = runner.invoke(cli.app, ["process", "--algorithm", "toy", "--toy-groups", "3", "--limit", "1"])
        assert result.exit_code == 0, result.output
        assert "3 clusters" in result.output and "toy" in result.output
        refused = runner.invoke(cli.app, ["process", "--algorithm", "toy", "--toy-groups", "12"])
        assert refused.exit_code != 0
    finally:
        get_settings.cache_clear()


def test_a_registered_backend_is_in_the_api_schema(toy: Backend, settings: Settings) -> None:
    from fastapi.testclient import TestClient

    from lens_api.app import create_app
    from lens_core.runs.jobs import ACTIVE

    with TestClient(create_app(settings)) as client:
        body = client.get("/openapi.json").json()["components"]["schemas"]["ProcessIn"]["properties"]
        assert "toy" in body["algorithm"]["anyOf"][0]["enum"]
        assert body["toy_groups"]["anyOf"][0] == {"type": "integer", "minimum": 1, "maximum": 9}
        assert client.post("/pipeline/process", json={"algorithm": "toy", "toy_groups": 0}).status_code == 422
        accepted = client.post("/pipeline/process", json={"algorithm": "toy", "toy_groups": 2})
        assert accepted.status_code == 202
        # The job runs on the app's thread and outlives the client: wait for it, so that no query of it
        # races the fixture's DROP SCHEMA on PostgreSQL (they deadlocked once in CI).
        deadline = time.monotonic() + 120
        while client.get(f"/pipeline/jobs/{accepted.json()['job_id']}").json()["state"] in ACTIVE:
            assert time.monotonic() < deadline
            time.sleep(0.1)


def test_a_registered_backend_is_on_the_dashboard(toy: Backend, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'toy.db'}")
    monkeypatch.setenv("EMBEDDING_BACKEND", "hashing")
    get_settings.cache_clear()
    try:
        from lens_core.ingest.ingestor import ingest_file
        from lens_core.storage.engine import open_engine

        ingest_file(SAMPLES / "telemetry.csv", engine=open_engine(f"sqlite:///{tmp_path / 'toy.db'}"))
        app = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=180).run()
        app.switch_page("../pages/clusters.py").run()
        assert "toy" in app.radio(key="clusters_algorithm").options
        assert app.slider(key="clusters_toy_groups").disabled  # not the chosen clusterer
        app.radio(key="clusters_algorithm").set_value("toy").run()
        app.slider(key="clusters_toy_groups").set_value(4)
        app.button(key="clusters_run").click().run()
        assert not app.exception, [e.value for e in app.exception]
        assert any("4 clusters" in s.value for s in app.success)
    finally:
        get_settings.cache_clear()


def test_a_registered_embedder_is_a_valid_setting() -> None:
    with pytest.raises(ValueError, match="EMBEDDING_BACKEND must be one of minilm"):
        Settings(_env_file=None, embedding_backend="toy-embedder")
    toy = Backend("embedder", "toy-embedder", "lens_core.embed.hashing:HashingEmbedder", "hashing, renamed")
    with REGISTRY.registered(toy):
        assert Settings(_env_file=None, embedding_backend="toy-embedder").embedding_backend == "toy-embedder"
