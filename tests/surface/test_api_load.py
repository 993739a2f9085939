"""The real server under concurrent clients, on SQLite and PostgreSQL: a few seconds of bench/api_load.py.

`uvicorn api:app` runs in a subprocess (test_api_server's fixture); this process drives 8 clients for 8 s
that mix small writes of unique events (POST /ingest/batch, POST /ingest/event) with reads
(GET /stats/overview, /clusters/top, /runs, /health). Every request must be answered and none with a
5xx, and the events the server said it accepted must be exactly the rows the database gained.
How fast the server answers is printed by the bench and never asserted here.
"""

from __future__ import annotations

import pytest

from bench.api_load import MIX, check, drive, prepare, stored_events, summarise
from tests.surface.test_api_server import server  # noqa: F401  (the fixture: a real server on db_url)

CLIENTS = 8  # at least one per endpoint: each client's first request goes to a different one
SECONDS = 8.0


def test_concurrent_clients_get_answers_and_no_event_is_lost(server: str, db_url: str) -> None:  # noqa: F811
    prepare(server, n=300)  # a processed run, so that /clusters/top has something to answer
    before = stored_events(db_url)

    load = drive(server, clients=CLIENTS, seconds=SECONDS)

    assert check(load, stored_events(db_url) - before) == []  # no 5xx, no connection error, nothing lost
    per_endpoint = summarise(load)["endpoints"]
    assert {name for name, row in per_endpoint.items() if row["requests"]} == set(MIX)
    assert all(outcome == "200" for _, _, outcome in load.calls)
    assert load.accepted > 0


@pytest.mark.parametrize("outcomes", [["200", "503"], ["200", "ConnectError"], ["404"]])
def test_check_reports_5xx_connection_errors_and_other_answers(outcomes: list[str]) -> None:
    from bench.api_load import Load

    load = Load(calls=[("GET /runs", 0.01, outcome) for outcome in outcomes], wall_s=1.0)
    assert len(check(load, 0)) == 1


def test_check_reports_lost_events() -> None:
    from bench.api_load import Load

    load = Load(calls=[("POST /ingest/batch", 0.01, "200")], accepted=10, wall_s=1.0)
    assert check(load, 10) == []
    assert check(load, 9) == ["the server accepted 10 events but the database gained 9 rows"]
