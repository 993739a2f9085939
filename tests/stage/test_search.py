"""The events search (`?q=` on /clusters/{id}/events and /patterns/{id}/events, the dashboard's cluster
search): what the user types is found literally, `%` and `_` included, on SQLite and PostgreSQL."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from lens_api import create_app
from lens_core.config import Settings
from lens_core.ingest.ingestor import ingest_records
from lens_core.runs.options import ProcessOptions
from lens_core.runs.pipeline import process
from lens_core.samples.generator import generate
from lens_core.storage import queries

PLANTED = {
    "pct": "Discount of 100% failed for order 7",
    "pct-word": "Discount of 100 percent failed for order 8",
    "under": "Rename file a_b.txt please",
    "no-under": "Rename file axb.txt please",
    "slash": "Open C:/temp/50%_off/ folder",
}


def stored_run(engine: Engine) -> int:
    events, _ = generate(60, seed=11)
    for event, (eid, prompt) in zip(events, PLANTED.items()):
        event["evaluation_id"], event["customer_prompt"] = eid, prompt
    ingest_records(events, engine=engine)
    settings = Settings(_env_file=None, embedding_backend="hashing", min_cluster_size=5, min_samples=3)
    return process(engine=engine, settings=settings, options=ProcessOptions.of(embedder="hashing")).run_id


def found(engine: Engine, run_id: int, search: str) -> set[str]:
    rows, total = queries.cluster_events(engine=engine, run_id=run_id, search=search, limit=500)
    assert total == len(rows)
    return {row["evaluation_id"] for row in rows}


def test_percent_and_underscore_are_literal(engine: Engine) -> None:
    run_id = stored_run(engine)
    assert found(engine, run_id, "100%") == {"pct"}  # a wildcard would also match "100 percent"
    assert found(engine, run_id, "%") == {"pct", "slash"}  # a wildcard would match every event
    assert found(engine, run_id, "a_b") == {"under"}  # a wildcard would also match "axb"
    assert found(engine, run_id, "/50%_off/") == {"slash"}  # the escape character itself, literal too
    assert found(engine, run_id, "DISCOUNT OF 100") == {"pct", "pct-word"}  # still case-insensitive


def test_the_api_search_is_literal(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        engine = client.app.state.context.engine
        run_id = stored_run(engine)
        labels = {c.label for c in queries.clusters_of_run(engine=engine, run_id=run_id, include_noise=True)}
        hits = []
        for label in labels:
            page = client.get(f"/clusters/{label}/events", params={"q": "%", "run_id": run_id, "limit": 500})
            assert page.status_code == 200, page.text
            hits += [event["evaluation_id"] for event in page.json()["events"]]
    assert sorted(hits) == ["pct", "slash"]
