"""The REST API's reads (clusters, events, stats, runs, exports) over one processed database per backend.

The database (300 sample events and the original example, processed once with the core) is shared by
the module's tests, which only read it.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from lens_api import create_app
from lens_core.ingest.ingestor import ingest_records
from lens_core.runs.options import ProcessOptions
from lens_core.runs.pipeline import process
from lens_core.samples.generator import generate
from lens_core.storage.engine import make_engine, normalise_url, open_engine
from tests.conftest import NO_POSTGRES, POSTGRES_URL, sqlite_url
from tests.surface.test_api import EXAMPLE, make_settings

# -- a processed database per backend, shared by the read tests ---------------------------------------


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def processed_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        url = sqlite_url(tmp_path_factory.mktemp("api"))
        yield from _loaded(url)
        return
    if not POSTGRES_URL:
        pytest.skip(NO_POSTGRES)
    schema = f"lens_api_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield from _loaded(normalise_url(POSTGRES_URL) + f"{sep}options=-csearch_path%3D{schema}")
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _loaded(url: str) -> Iterator[str]:
    """300 sample events and the example event, processed once: the state every read test starts from."""
    engine = open_engine(url)
    events, _ = generate(300, seed=11)
    ingest_records([EXAMPLE, *events], engine=engine)
    process(engine=engine, settings=make_settings(url),
            options=ProcessOptions.of(embedder="hashing", algorithm="hdbscan", view="error", min_cluster_size=5,
                                   min_samples=3))
    engine.dispose()
    yield url


@pytest.fixture(scope="module")
def reader(processed_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(processed_url))) as test_client:
        yield test_client


# -- reads over a processed database ------------------------------------------------------------------


def test_top_clusters_have_the_cluster_response_shape(reader: TestClient) -> None:
    clusters = reader.get("/clusters/top", params={"limit": 3}).json()
    assert len(clusters) == 3
    original = {"cluster_id", "size", "algorithm", "summary", "root_cause", "common_plugins", "common_endpoints",
                "common_error_codes", "sample_prompts"}
    assert original | {"share", "first_seen", "last_seen", "unique_users"} <= set(clusters[0])
    assert [c["size"] for c in clusters] == sorted((c["size"] for c in clusters), reverse=True)
    assert all(c["cluster_id"] != -1 and c["run_id"] == clusters[0]["run_id"] for c in clusters)
    assert reader.get("/clusters/top", params={"limit": 0}).status_code == 422
    assert reader.get("/clusters/top", params={"run_id": 999}).status_code == 404


def test_one_cluster_carries_its_evidence(reader: TestClient) -> None:
    cluster = reader.get("/clusters/0").json()
    evidence = cluster["evidence"]
    assert cluster["cluster_id"] == 0 and cluster["size"] > 0
    assert evidence["plugins"] and evidence["representatives"] and evidence["fingerprints"]
    assert 0 < sum(f["count"] for f in evidence["fingerprints"]) <= cluster["size"]
    assert len(evidence["fingerprints"]) == cluster["fingerprints"]
    assert cluster["first_seen"] <= cluster["last_seen"]
    assert reader.get("/clusters/9999").status_code == 404


def test_cluster_events_come_in_pages(reader: TestClient) -> None:
    size = reader.get("/clusters/0").json()["size"]
    first = reader.get("/clusters/0/events", params={"limit": 3}).json()
    second = reader.get("/clusters/0/events", params={"offset": 3, "limit": 3}).json()
    assert first["total"] == second["total"] == size
    ids = [e["event_id"] for e in first["events"] + second["events"]]
    assert len(ids) == len(set(ids)) == min(6, size) and ids == sorted(ids)
    releases = {e["evaluation_id"]: e.get("release") for e in generate(300, seed=11)[0]}  # 25% carry one
    page = reader.get("/clusters/0/events", params={"limit": 500}).json()["events"]
    assert all("release" in e for e in page)
    assert [e["release"] for e in page] == [releases.get(e["evaluation_id"]) for e in page]
    assert reader.get("/clusters/0/events", params={"limit": 501}).status_code == 422
    assert reader.get("/clusters/0/events", params={"offset": -1}).status_code == 422
    assert reader.get("/clusters/9999/events").status_code == 404


def test_overview_counts_match_the_stored_data(reader: TestClient) -> None:
    overview = reader.get("/stats/overview").json()
    assert overview["events"] == 301
    assert 0 < overview["fingerprints"] <= 301
    run = overview["latest_run"]
    assert overview["clusters"] == run["n_clusters"] > 0
    assert overview["noise_share"] == run["noise_share"]
    for key in ("by_plugin", "by_status_code", "by_error_type", "by_error_code"):
        assert sum(v["count"] for v in overview[key]) <= 301
    assert sum(v["count"] for v in reader.get("/stats/overview", params={"limit": 1000}).json()["by_plugin"]) == 301
    assert any(v["value"] == 401 for v in overview["by_status_code"])


def test_clustering_stats_and_runs(reader: TestClient) -> None:
    stats = reader.get("/clustering/stats").json()
    assert stats["algorithm"] == "hdbscan" and stats["parameters"]["clusterer"]["params"]["min_cluster_size"] == 5
    assert sum(c["count"] for c in stats["cluster_sizes"]) == stats["n_events"] == 301
    assert set(stats["timings"]) >= {"embed", "reduce", "cluster"} and stats["total_seconds"] > 0
    runs = reader.get("/runs").json()
    assert [r["run_id"] for r in runs] == [stats["run_id"]]
    assert reader.get(f"/runs/{stats['run_id']}").json()["parameters"] == stats["parameters"]


def test_exports_have_their_media_types(reader: TestClient) -> None:
    as_json = reader.get("/export/summaries")
    assert as_json.headers["content-type"].startswith("application/json")
    assert len(as_json.json()["clusters"]) >= 2
    as_csv = reader.get("/export/summaries", params={"format": "csv"})
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in as_csv.headers["content-disposition"]
    assert len(list(csv.DictReader(io.StringIO(as_csv.text)))) == len(as_json.json()["clusters"])
    as_md = reader.get("/export/summaries", params={"format": "md"})
    assert as_md.headers["content-type"].startswith("text/markdown") and as_md.text.startswith("# lens report")
    assert reader.get("/export/summaries", params={"format": "xml"}).status_code == 422
    rows = list(csv.DictReader(io.StringIO(reader.get("/export/assignments").text)))
    assert len(rows) == 301 and set(rows[0]) == {"evaluation_id", "fingerprint", "message_pattern", "cluster_id", "run_id",
                                                 "pattern_id", "pattern_title"}
