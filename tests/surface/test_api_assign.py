"""POST /pipeline/assign: events ingested after a run join its clusters at once; misfits are novel."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from lens_api import create_app
from lens_core.config import Settings
from lens_core.samples.generator import generate
from tests.surface.test_api import wait_for_job


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_events_ingested_after_a_run_are_assigned_to_it(client: TestClient) -> None:
    assert client.post("/pipeline/assign").status_code == 404  # no completed run yet
    events, _ = generate(700, seed=9)
    assert client.post("/ingest/batch", json={"events": events[:600]}).json()["accepted"] == 600
    job = wait_for_job(client, client.post("/pipeline/process", json={"embedder": "hashing"}).json()["job_id"])
    assert job["state"] == "completed", job
    misfit = {"evaluation_id": "odd-1", "customer_prompt": "order pizza",
              "skill_output": "Zebra crossing quantum flux capacitor overheated on Mars rover"}
    assert client.post("/ingest/batch", json={"events": [*events[600:], misfit]}).json()["accepted"] == 101

    answer = client.post("/pipeline/assign", json={})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["run_id"] == job["run_id"] and body["events"] == 101
    assert body["assigned"] + body["novel"] == 101 and body["assigned"] >= 80 and body["per_cluster"]["-1"] >= 1
    assert sum(body["per_cluster"].values()) == 101
    top = client.get("/stats/overview").json()
    assert top["events"] == 701
    again = client.post("/pipeline/assign").json()
    assert again["events"] == 0


def test_assign_options_are_checked(client: TestClient) -> None:
    for bad in ({"distance_factor": 0}, {"distance_factor": "1"}, {"run": 1}, {"run_id": -1}):
        assert client.post("/pipeline/assign", json=bad).status_code == 422, bad
    assert client.post("/pipeline/assign", json={"run_id": 999}).status_code == 404


def test_ingest_can_assign_on_arrival(client: TestClient) -> None:
    events, _ = generate(640, seed=10)
    early = client.post("/ingest/batch?assign=true", json={"events": events[:600]}).json()
    assert early["accepted"] == 600 and early["assignment"] is None
    assert "no completed run yet" in early["assignment_note"]  # stored anyway: a note, not an error
    job = wait_for_job(client, client.post("/pipeline/process", json={"embedder": "hashing"}).json()["job_id"])
    assert job["state"] == "completed", job

    plain = client.post("/ingest/batch", json={"events": events[600:610]}).json()
    assert plain["assignment"] is None and plain["assignment_note"] is None  # not asked: nothing done
    batch = client.post("/ingest/batch?assign=true", json={"events": events[610:630]}).json()
    assert batch["assignment"]["run_id"] == job["run_id"]
    assert batch["assignment"]["events"] == 30  # the ten stored before without assign, and these twenty
    one = client.post("/ingest/event?assign=true", json=events[630]).json()
    assert one["status"] == "accepted" and one["assignment"]["events"] == 1
    lines = ["evaluation_id,customer_prompt,skill_output"] + [
        f"{e['evaluation_id']},{e['customer_prompt'].replace(',', ' ')},HTTP 429 Too Many Requests" for e in events[631:]
    ]
    file = client.post("/ingest/file?name=late.csv&assign=true", content="\n".join(lines).encode()).json()
    assert file["accepted"] == 9 and file["assignment"]["events"] == 9
    assert sum(file["assignment"]["per_cluster"].values()) == 9
    assert client.post("/pipeline/assign").json()["events"] == 0  # every new event is in the run now
