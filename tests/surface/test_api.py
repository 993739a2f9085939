"""The REST API through FastAPI's TestClient: writes, jobs, keys, limits, health and every bad-input case.

Each test uses the `db_url` fixture (SQLite, and PostgreSQL when LENS_TEST_POSTGRES_URL is set) through
`settings`; the reads over a processed database are in test_api_reads.py.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from lens_api import create_app
from lens_core.config import Settings
from lens_core.samples.generator import generate
from lens_core.storage.engine import make_engine
from tests.conftest import sqlite_url

EXAMPLE = {
    "evaluation_id": "eval-001",
    "customer_prompt": "Schedule a meeting with John tomorrow at 2pm",
    "skill_input": 'create_calendar_event(attendee="John", time="tomorrow 2pm")',
    "skill_output": {
        "error_type": "AuthenticationError", "status_code": 401, "message": "Token expired",
        "plugin": "Calendar", "endpoint": "/api/calendar/events",
    },
    "ai_output": "I apologize, but I was unable to schedule the meeting.",
}


def make_settings(url: str, **overrides: Any) -> Settings:
    return Settings(_env_file=None, database_url=url, **{"embedding_backend": "hashing", **overrides})


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def wait_for_job(client: TestClient, job_id: int, timeout: float = 120.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/pipeline/jobs/{job_id}").json()
        if job["state"] in ("completed", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s: {job}")


# -- ingest -------------------------------------------------------------------------------------------


def test_the_original_example_event_is_accepted_then_a_duplicate(client: TestClient) -> None:
    first = client.post("/ingest/event", json=EXAMPLE)
    assert first.status_code == 200, first.text
    assert first.json() == {"evaluation_id": "eval-001", "status": "accepted"}
    again = client.post("/ingest/event", json=EXAMPLE)
    assert again.json() == {"evaluation_id": "eval-001", "status": "duplicate"}
    string_output = {**EXAMPLE, "evaluation_id": 7, "skill_output": "HTTP 429 Too Many Requests", "release": "1.2"}
    assert client.post("/ingest/event", json=string_output).json() == {"evaluation_id": "7", "status": "accepted"}
    assert client.get("/stats/overview").json()["events"] == 2


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"customer_prompt": 42}, "customer_prompt", "expected text, got a number"),
        ({"skill_output": None}, "skill_output", "missing or empty"),  # an empty prompt is fine: error-only
        ({"evaluation_id": ["a"]}, "evaluation_id", "expected text, got a list"),
        ({"skill_output": True}, "skill_output", "expected an object or text, got true/false"),
        ({"timestamp": "yesterday"}, "timestamp", "not an ISO 8601 date-time"),
        ({"ai_output": {"a": 1}}, "ai_output", "expected text, got an object"),
    ],
)
def test_a_rejected_event_answers_422_naming_the_field(client: TestClient, change, field, reason) -> None:
    response = client.post("/ingest/event", json={**EXAMPLE, **change})
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", field]
    assert reason in error["msg"]
    assert client.get("/stats/overview").json()["events"] == 0


@pytest.mark.parametrize("body", [[EXAMPLE], "an event", 42, None])
def test_a_body_that_is_not_an_object_gets_422(client: TestClient, body: Any) -> None:
    response = client.post("/ingest/event", content=json.dumps(body), headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][0] == "body"


@pytest.mark.parametrize(
    "raw",
    [
        b'{"evaluation_id": "e1", "customer_prompt": "p", "skill_output": "x", "extra": NaN}',
        b'{"evaluation_id": "e1", "customer_prompt": "p", "skill_output": "x", "score": 1e999}',
        b'{"events": [{"evaluation_id": "e1", "customer_prompt": "p", "skill_output": "x", "n": -Infinity}]}',
        b'{"evaluation_id": "e1", "customer_prompt": "\xff\xfe"}',
    ],
)
def test_bodies_that_are_not_json_get_422(client: TestClient, raw: bytes) -> None:
    """NaN, Infinity and 1e999 are Python's, not JSON's (PostgreSQL refuses them); bytes must be UTF-8."""
    path = "/ingest/batch" if raw.startswith(b'{"events"') else "/ingest/event"
    response = client.post(path, content=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["type"] == "json_invalid"
    assert client.get("/stats/overview").json()["events"] == 0


def test_malformed_json_gets_422_with_where(client: TestClient) -> None:
    response = client.post("/ingest/event", content=b'{"evaluation_id": "x",', headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"][0] == "body" and error["type"] == "json_invalid"
    assert isinstance(error["loc"][1], int)  # the character position of the fault


@pytest.mark.parametrize("path", ["/ingest/event", "/ingest/batch", "/pipeline/process", "/pipeline/assign"])
def test_a_body_nested_too_deeply_gets_422_on_every_json_route(client: TestClient, path: str) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    response = client.post(path, content=deep, headers={"Content-Type": "application/json"})
    assert response.status_code == 422 and "nested too deeply" in response.text


def test_a_batch_keeps_the_valid_events_and_reports_the_rest(client: TestClient) -> None:
    events, _ = generate(40, seed=5)
    batch = [*events[:20], {**EXAMPLE, "skill_output": ""}, "not an object", events[0], *events[20:]]
    report = client.post("/ingest/batch", json={"events": batch}).json()
    assert report["accepted"] == 40 and report["duplicates"] == 1 and report["rejected_count"] == 2
    assert report["rejected"] == [
        {"index": 20, "field": "skill_output", "reason": "missing or empty"},
        {"index": 21, "field": None, "reason": "expected an object"},
    ]
    again = client.post("/ingest/batch", json={"events": events}).json()
    assert (again["accepted"], again["duplicates"]) == (0, 40)
    assert client.get("/stats/overview").json()["events"] == 40


def test_a_batch_stores_each_events_release(client: TestClient, settings: Settings) -> None:
    batch = [{**EXAMPLE, "evaluation_id": "r-1", "release": "2024.05.1", "client": "teams"},
             {**EXAMPLE, "evaluation_id": "r-2", "release": 2024.5},
             {**EXAMPLE, "evaluation_id": "r-3", "release": "v" * 101},
             {**EXAMPLE, "evaluation_id": "r-4"}]
    report = client.post("/ingest/batch", json={"events": batch}).json()
    assert report["accepted"] == 3
    assert report["rejected"] == [{"index": 2, "field": "release", "reason": "101 characters, over the limit of 100"}]
    engine = make_engine(settings.database_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT evaluation_id, release FROM telemetry_events ORDER BY id")).all()
    engine.dispose()
    assert [tuple(row) for row in rows] == [("r-1", "2024.05.1"), ("r-2", "2024.5"), ("r-4", None)]


@pytest.mark.parametrize(
    ("body", "loc"),
    [({"events": "x"}, ["body", "events"]), ({}, ["body", "events"]), ([], ["body"])],
)
def test_a_batch_of_the_wrong_type_gets_422(client: TestClient, body: Any, loc: list) -> None:
    response = client.post("/ingest/batch", json=body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == loc


def test_bodies_over_the_limit_get_413_declared_or_streamed(db_url: str) -> None:
    app = create_app(make_settings(db_url, api_max_body_bytes=2048))
    big = json.dumps({**EXAMPLE, "ai_output": "x" * 4000}).encode()
    with TestClient(app) as client:
        declared = client.post("/ingest/event", content=big, headers={"Content-Type": "application/json"})
        assert declared.status_code == 413 and "2,048 bytes" in declared.json()["detail"]

        def chunks() -> Iterator[bytes]:  # no Content-Length: sent chunked
            for start in range(0, len(big), 512):
                yield big[start : start + 512]

        streamed = client.post("/ingest/batch", content=chunks(), headers={"Content-Type": "application/json"})
        assert streamed.status_code == 413
        small = client.post("/ingest/event", json=EXAMPLE)
        assert small.status_code == 200
        bad_length = client.post("/ingest/event", content=b"{}", headers={"Content-Length": "abc"})
        assert bad_length.status_code == 400


# -- pipeline jobs ------------------------------------------------------------------------------------


def test_a_processing_job_runs_to_completion(client: TestClient) -> None:
    events, _ = generate(150, seed=2)
    client.post("/ingest/batch", json={"events": events})
    accepted = client.post("/pipeline/process", json={"algorithm": "hdbscan", "min_cluster_size": 5, "min_samples": 2})
    assert accepted.status_code == 202
    job_id = accepted.json()["job_id"]
    assert accepted.json()["status_url"] == f"/pipeline/jobs/{job_id}"
    job = wait_for_job(client, job_id)
    assert job["state"] == "completed", job
    assert job["progress"] == 1.0 and job["stage"] == "track" and job["error"] is None
    assert job["options"]["clusterer"]["params"]["min_cluster_size"] == 5
    assert job["options"]["embedder"]["name"] == "hashing"
    run = client.get(f"/runs/{job['run_id']}").json()
    assert run["status"] == "completed" and run["n_events"] == 150
    assert client.get("/clusters/top").json()[0]["run_id"] == job["run_id"]


def test_a_job_that_cannot_run_is_failed_with_its_reason(client: TestClient) -> None:
    job_id = client.post("/pipeline/process").json()["job_id"]  # no body: the server's defaults
    job = wait_for_job(client, job_id)
    assert job["state"] == "failed" and "no events stored yet" in job["error"]
    assert job["run_id"] is None


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"algorithm": "dbscan"}, ["body", "algorithm"]),
        ({"min_cluster_size": 1}, ["body", "min_cluster_size"]),
        ({"min_samples": "many"}, ["body", "min_samples"]),
        ({"umap_min_dist": 2}, ["body", "umap_min_dist"]),
        ({"k": 1}, ["body", "k"]),
        ({"view": "everything"}, ["body", "view"]),
        ({"min_cluster_sise": 5}, ["body", "min_cluster_sise"]),
        ({"random_state": -1}, ["body", "random_state"]),
    ],
)
def test_invalid_processing_options_get_422(client: TestClient, body: dict, loc: list) -> None:
    response = client.post("/pipeline/process", json=body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == loc


def test_unknown_ids_get_404(client: TestClient) -> None:
    for path in ("/pipeline/jobs/999", "/runs/999", "/clusters/0", "/clusters/0/events", "/clusters/top",
                 "/clustering/stats", "/export/summaries", "/export/assignments"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json()["error"] == "not_found_error"
    assert client.get("/pipeline/jobs/not-a-number").status_code == 422
    assert client.get("/runs/-5").status_code == 422


# -- health, docs, keys, failures ---------------------------------------------------------------------


def test_health_reports_database_and_model_without_secrets(tmp_path: Path) -> None:
    settings = make_settings(sqlite_url(tmp_path), lens_api_key="key-123456", openai_api_key="sk-secret-999",
                             embedding_backend="minilm")
    with TestClient(create_app(settings)) as client:
        response = client.get("/health")
    body = response.json()
    assert response.status_code == 200 and body["database"]["ok"] and body["model"]["ok"], body
    assert body["status"] == "ok"
    assert "key-123456" not in response.text and "sk-secret-999" not in response.text


def test_health_answers_503_when_the_database_is_down() -> None:
    settings = make_settings("postgresql://lens:hunter2@127.0.0.1:1/lens")
    with TestClient(create_app(settings)) as client:
        health = client.get("/health")
        runs = client.get("/runs")
    assert health.status_code == 503 and health.json()["status"] == "unavailable"
    assert runs.status_code == 503 and runs.json()["error"] == "storage_error"
    assert "hunter2" not in health.text + runs.text
    # Nor where the database is (the log has it): host, port, user, name and driver stay out of the body.
    assert runs.json()["detail"] == "the database is unavailable or refused the request; the server log says why"
    for part in ("127.0.0.1", "port 1", ":1/", "lens@", "lens:", "/lens", "psycopg", "postgresql"):
        assert part not in health.text + runs.text, part


def test_docs_and_schema_are_served(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    assert client.get("/redoc").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/ingest/event", "/ingest/batch", "/pipeline/process", "/pipeline/jobs/{job_id}", "/clusters/top",
            "/clusters/{cluster_id}", "/clusters/{cluster_id}/events", "/stats/overview", "/clustering/stats",
            "/runs", "/runs/{run_id}", "/export/summaries", "/export/assignments", "/health"} <= set(paths)


READS = ("/stats/overview", "/clustering/stats", "/runs", "/clusters/top", "/clusters/0/events", "/export/summaries",
         "/export/assignments", "/patterns", "/compare")


def test_a_set_key_guards_everything_but_health_and_the_docs(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(sqlite_url(tmp_path), lens_api_key="s3cret-key"))) as client:
        assert client.post("/ingest/event", json=EXAMPLE).status_code == 401
        assert client.post("/ingest/event", json=EXAMPLE, headers={"X-API-Key": "wrong"}).status_code == 403
        assert client.post("/pipeline/process", json={}).status_code == 401
        assert client.get("/pipeline/jobs/1").status_code == 401
        ok = client.post("/ingest/batch", json={"events": [EXAMPLE]}, headers={"X-API-Key": "s3cret-key"})
        assert ok.status_code == 200 and ok.json()["accepted"] == 1
        for path in READS:  # raw prompts and outputs among them: closed by default once a key is set
            assert client.get(path).status_code == 401, path
            assert client.get(path, headers={"X-API-Key": "nope"}).status_code == 403, path
        assert client.get("/runs", headers={"X-API-Key": "s3cret-key"}).status_code == 200
        for path in ("/health", "/docs", "/redoc", "/openapi.json"):
            assert client.get(path).status_code == 200, path
        schema = client.get("/openapi.json").json()
        assert schema["components"]["securitySchemes"]["APIKeyHeader"]["name"] == "X-API-Key"
        assert schema["paths"]["/clusters/{cluster_id}/events"]["get"]["security"] == [{"APIKeyHeader": []}]


def test_reads_can_be_opened_explicitly_and_the_log_says_what_is_open(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(sqlite_url(tmp_path), lens_api_key="s3cret-key", api_open_reads=True)
    with caplog.at_level("WARNING", logger="lens_api"), TestClient(create_app(settings)) as client:
        for path in READS:
            assert client.get(path).status_code in (200, 404), path  # open: empty database, no run yet
        assert client.post("/ingest/event", json=EXAMPLE).status_code == 401  # writes stay closed
        assert client.get("/pipeline/jobs/1").status_code == 401
    (warning,) = [r.message for r in caplog.records if "API_OPEN_READS" in r.message]
    assert "raw telemetry" in warning and "/clusters/{cluster_id}/events" in warning and "/export/summaries" in warning
    assert "/ingest/event" not in warning and "/pipeline" not in warning and "/health" not in warning


def test_a_missing_key_is_warned_about_at_start(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING", logger="lens_api"), TestClient(create_app(make_settings(sqlite_url(tmp_path)))):
        pass
    (warning,) = [r.message for r in caplog.records if "LENS_API_KEY is not set" in r.message]
    assert "read every stored event" in warning and "start runs" in warning  # reads named, not only writes
    caplog.clear()
    with caplog.at_level("WARNING", logger="lens_api"):
        with TestClient(create_app(make_settings(sqlite_url(tmp_path), lens_api_key="k"))):
            pass
    assert not any("LENS_API_KEY" in r.message or "API_OPEN_READS" in r.message for r in caplog.records)


def test_an_unexpected_error_answers_without_a_traceback(client: TestClient, monkeypatch) -> None:
    from lens_core.storage import queries

    def broken(**_: Any) -> None:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(queries, "list_runs", broken)
    local = TestClient(client.app, raise_server_exceptions=False)
    response = local.get("/runs")
    assert response.status_code == 500
    assert response.json() == {"detail": "internal error; the server log has the details", "error": "internal"}
    assert "secret internal detail" not in response.text
