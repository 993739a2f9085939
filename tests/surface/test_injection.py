"""SQL-injection strings, backslashes and NUL bytes in every field, through `lens ingest` (CSV and JSON Lines
files) and the API (POST /ingest/file and /ingest/batch), on SQLite and PostgreSQL.

Every string must come back from the database exactly as sent and every table must still be there.
NUL bytes, which PostgreSQL cannot store in text, get one explicit behaviour on both databases (see
lens_core/ingest/validate.py): a raw NUL in any stored field rejects the row, naming the field and the
position; a "\\u0000" escape inside a skill_output's JSON is stored as written and dropped only from
the parsed fields.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect, select
from sqlalchemy.engine import Engine

from lens_api import create_app
from lens_core.config import Settings
from lens_core.storage.engine import open_engine
from lens_core.storage.models import FailureFingerprint, TelemetryEventRow
from tests.conftest import ROOT

PAYLOADS = [
    "'; DROP TABLE telemetry_events; --",
    "1 OR 1=1",
    '" OR ""="',
    "Robert'); DROP TABLE students;--",
    "1; DELETE FROM failure_fingerprints WHERE 1=1; --",
    "%' OR '1'='1' /* comment */ --",
    "$$; DROP TABLE pipeline_runs; $$",
    "back\\slash \\' \\\" \\\\ \\0 \\x00 \\n end\\",
    "E'\\x27'; SELECT pg_sleep(5); --",
    "') UNION SELECT evaluation_id FROM telemetry_events --",
]
TEXT_FIELDS = ("customer_prompt", "skill_input", "skill_output", "ai_output", "user_id", "tenant_id")
EVIL_COLUMN = "x'); DROP TABLE telemetry_events; --"


def events(prefix: str) -> list[dict[str, Any]]:
    """One event per payload, the payload in every text field, an id, an extra column and its name."""
    return [
        {"evaluation_id": f"{prefix}-{n} {payload}", **{name: payload for name in TEXT_FIELDS},
         "timestamp": "2024-05-01T10:00:00Z", EVIL_COLUMN: payload}
        for n, payload in enumerate(PAYLOADS)
    ]


def graph_events(prefix: str) -> list[dict[str, Any]]:
    """Payloads inside a skill_output object: they reach the parsed columns and the fingerprints too."""
    return [
        {"evaluation_id": f"{prefix}-json-{n}", "customer_prompt": "p",
         "skill_output": {"error": {"code": payload, "message": payload}, "plugin": payload}}
        for n, payload in enumerate(PAYLOADS)
    ]


def as_csv(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def as_jsonl(rows: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(row) + "\n" for row in rows)


def check_verbatim(engine: Engine, rows: list[dict[str, Any]]) -> None:
    table = TelemetryEventRow.__table__
    with engine.connect() as conn:
        stored = {r["evaluation_id"]: r for r in conn.execute(select(table)).mappings()}
    for row in rows:
        got = stored[row["evaluation_id"]]
        for name in TEXT_FIELDS:
            if name in row:
                want = row[name] if isinstance(row[name], str) else json.dumps(row[name], ensure_ascii=False)
                assert got[name] == want, (name, got[name])
        if EVIL_COLUMN in row:
            assert got["attributes"] == {EVIL_COLUMN: row[EVIL_COLUMN]}
        if isinstance(row.get("skill_output"), dict):
            payload = row["skill_output"]["error"]["message"]
            assert (got["error_code"], got["error_message"]) == (payload, payload)


def check_intact(engine: Engine, tables_before: set[str], n_events: int) -> None:
    assert set(inspect(engine).get_table_names()) == tables_before
    with engine.connect() as conn:
        assert len(conn.execute(select(TelemetryEventRow.__table__.c.id)).all()) == n_events
        assert conn.execute(select(FailureFingerprint.__table__.c.hash)).first() is not None


def run_lens(args: list[str], db_url: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": db_url, "EMBEDDING_BACKEND": "hashing", "LOG_LEVEL": "WARNING",
           "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "lens_core.cli", *args], check=False, cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_injection_strings_through_the_cli_are_stored_verbatim(db_url: str, tmp_path: Path) -> None:
    engine = open_engine(db_url)
    tables = set(inspect(engine).get_table_names())
    rows_csv, rows_jsonl = events("csv"), events("jsonl") + graph_events("jsonl")
    (tmp_path / "inject.csv").write_text(as_csv(rows_csv), encoding="utf-8")
    (tmp_path / "inject.jsonl").write_text(as_jsonl(rows_jsonl), encoding="utf-8")
    result = run_lens(["ingest", "inject.csv", "inject.jsonl", "inject.csv"], db_url, tmp_path)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    lines = [line for line in result.stdout.splitlines() if "accepted" in line]
    assert lines[0].startswith(f"inject.csv: {len(PAYLOADS)} accepted, 0 duplicates, 0 rejected")
    assert lines[1].startswith(f"inject.jsonl: {2 * len(PAYLOADS)} accepted, 0 duplicates, 0 rejected")
    assert lines[2].startswith(f"inject.csv: 0 accepted, {len(PAYLOADS)} duplicates, 0 rejected")
    check_verbatim(engine, rows_csv + rows_jsonl)
    check_intact(engine, tables, 3 * len(PAYLOADS))
    engine.dispose()


@pytest.fixture
def client(db_url: str) -> TestClient:
    settings = Settings(_env_file=None, database_url=db_url, embedding_backend="hashing")
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


def test_injection_strings_through_the_api_are_stored_verbatim(client: TestClient) -> None:
    engine = client.app.state.context.engine
    tables = set(inspect(engine).get_table_names())
    rows_file, rows_batch = events("file"), events("batch") + graph_events("batch")
    answer = client.post("/ingest/file?name=inject.csv", content=as_csv(rows_file).encode())
    assert answer.status_code == 200 and answer.json()["accepted"] == len(PAYLOADS), answer.text
    answer = client.post("/ingest/batch", json={"events": rows_batch})
    assert answer.status_code == 200 and answer.json()["accepted"] == 2 * len(PAYLOADS), answer.text
    again = client.post("/ingest/batch", json={"events": rows_batch}).json()
    assert (again["accepted"], again["duplicates"]) == (0, 2 * len(PAYLOADS))
    one = client.post("/ingest/event", json={**rows_file[0], "evaluation_id": PAYLOADS[0]})
    assert one.json() == {"evaluation_id": PAYLOADS[0], "status": "accepted"}
    check_verbatim(engine, rows_file + rows_batch)
    check_intact(engine, tables, 3 * len(PAYLOADS) + 1)


# -- NUL bytes and other text PostgreSQL or UTF-8 cannot hold ------------------------------------------------

GOOD = {"customer_prompt": "p", "skill_output": "HTTP 500 Internal Server Error"}
NUL_REFUSED = [  # (event, field, reason fragment): the row is refused, on SQLite as on PostgreSQL
    ({"evaluation_id": "nul-id\x00"}, "evaluation_id", "contains a NUL character (\\x00) at character 6"),
    ({"customer_prompt": "a\x00b"}, "customer_prompt", "contains a NUL character (\\x00) at character 1"),
    ({"skill_input": "\x00"}, "skill_input", "contains a NUL character"),
    ({"skill_output": "HTTP 500\x00"}, "skill_output", "contains a NUL character (\\x00) at character 8"),
    ({"ai_output": "sorry\x00"}, "ai_output", "contains a NUL character"),
    ({"user_id": "u\x00"}, "user_id", "contains a NUL character"),
    ({"tenant_id": "t\x00"}, "tenant_id", "contains a NUL character"),
    ({"release": "1.0\x00"}, "release", "contains a NUL character"),
    ({"build": "1.0\x00"}, "attributes", "extra column 'build': contains a NUL character"),
    ({"bu\x00ild": "1.0"}, "attributes", "an extra column's name 'bu\\x00ild': contains a NUL character"),
    ({"build": {"nested": ["\x00"]}}, "attributes", "extra column 'build': contains a NUL character"),
]
STORED = [  # JSON escapes inside skill_output: stored as written, the parsed fields cleaned
    ({"skill_output": {"error": {"code": "Bad\x00Code", "message": "nul \x00 inside"}}}, "BadCode", "nul inside"),
    ({"skill_output": '{"error": {"code": "X", "message": "escaped \\u0000 nul"}}'}, "X", "escaped nul"),
    ({"skill_output": '{"error": {"code": "S", "message": "lone \\ud800 surrogate"}}'}, "S", "lone \ufffd surrogate"),
]


def nul_batch() -> list[dict[str, Any]]:
    refused = [{"evaluation_id": f"nul-{n}", **GOOD, **change} for n, (change, _, _) in enumerate(NUL_REFUSED)]
    stored = [{"evaluation_id": f"esc-{n}", **GOOD, **change} for n, (change, _, _) in enumerate(STORED)]
    return refused + stored


def check_nul_outcome(engine: Engine, rejected: list[tuple[int, str | None, str]]) -> None:
    assert len(rejected) == len(NUL_REFUSED)
    for (row, field, reason), (_, want_field, want_reason) in zip(rejected, NUL_REFUSED):
        assert field == want_field and want_reason in reason, (row, field, reason)
    table = TelemetryEventRow.__table__
    with engine.connect() as conn:
        stored = {r["evaluation_id"]: r for r in conn.execute(select(table)).mappings()}
    assert sorted(stored) == [f"esc-{n}" for n in range(len(STORED))]
    for n, (change, code, message) in enumerate(STORED):
        got = stored[f"esc-{n}"]
        raw = change["skill_output"]
        assert got["skill_output"] == (raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False))
        assert (got["error_code"], got["error_message"]) == (code, message)


def test_nul_bytes_through_the_api(client: TestClient) -> None:
    answer = client.post("/ingest/batch", json={"events": nul_batch()})
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["accepted"] == len(STORED)
    check_nul_outcome(client.app.state.context.engine,
                      [(r["index"], r["field"], r["reason"]) for r in report["rejected"]])
    single = client.post("/ingest/event", json={"evaluation_id": "one", **GOOD, "ai_output": "x\x00"})
    assert single.status_code == 422
    assert single.json()["detail"][0]["loc"] == ["body", "ai_output"]


def test_nul_bytes_through_the_cli(db_url: str, tmp_path: Path) -> None:
    (tmp_path / "nul.jsonl").write_text(as_jsonl(nul_batch()), encoding="utf-8")
    result = run_lens(["ingest", "nul.jsonl"], db_url, tmp_path)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert f"nul.jsonl: {len(STORED)} accepted, 0 duplicates, {len(NUL_REFUSED)} rejected" in result.stdout
    rejected = []
    for line in result.stdout.splitlines():
        if line.startswith("  rejected: nul.jsonl: row "):
            where, reason = line.removeprefix("  rejected: nul.jsonl: ").split(": ", 1)
            row, _, field = where.partition(", field ")
            rejected.append((int(row.removeprefix("row ")), field or None, reason))
    engine = open_engine(db_url)
    check_nul_outcome(engine, rejected)
    engine.dispose()
