"""The REST API over the bad-input corpus (tests/data/bad): POST /ingest/file with each file as the body,
and POST /ingest/batch with the JSON ones as `{"events": <file>}`, on SQLite and PostgreSQL.

Every answer is a report (200) or a 422 that names the file; never a 500. Posting the same file again
stores nothing new. Expectations: tests/data/bad/cases.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from lens_api import create_app
from lens_core.config import Settings
from tests.data.bad import make_big
from tests.data.bad.cases import CASES, Case, Issue, check_report, check_stored, path_of

BIG_BODY = 32 * 1024 * 1024  # the 100,000-row file is 11.6 MB: over the default API_MAX_BODY_BYTES (10 MiB)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_big.generate(tmp_path_factory.mktemp("bad-generated"))


def api(url: str, **overrides: Any) -> TestClient:
    settings = Settings(_env_file=None, database_url=url, embedding_backend="hashing",
                        **{"api_max_body_bytes": BIG_BODY, **overrides})
    return TestClient(create_app(settings), raise_server_exceptions=False)


@pytest.fixture
def client(db_url: str) -> Iterator[TestClient]:
    with api(db_url) as test_client:
        yield test_client


def post_file(client: TestClient, name: str, data: bytes) -> Any:
    return client.post(f"/ingest/file?name={quote(name)}", content=data,
                       headers={"Content-Type": "application/octet-stream"})


def check_file_answer(case: Case, response: Any, *, again: bool) -> None:
    assert response.status_code != 500 and "Traceback" not in response.text
    if case.file_error:
        assert response.status_code == 422, response.text
        [detail] = response.json()["detail"]
        assert detail["msg"].startswith(case.file_error), detail
        return
    assert response.status_code == 200, response.text[:500]
    body = response.json()
    assert body["file"] == case.file and body["rejected_count"] == case.n_rejected
    issues = [Issue(case.file, r["row"], r["field"], r["reason"]) for r in body["rejected"]]
    for r in body["rejected"]:  # the whole line, as the CLI prints it: file, row, field, reason
        field = f", field {r['field']}" if r["field"] else ""
        assert r["message"] == f"{case.file}: row {r['row']}{field}: {r['reason']}"
    check_report(case, accepted=body["accepted"], duplicates=body["duplicates"], issues=issues, again=again)


def ingest_twice(client: TestClient, case: Case, generated: Path) -> None:
    data = path_of(case, generated).read_bytes()
    check_file_answer(case, post_file(client, case.file, data), again=False)
    check_file_answer(case, post_file(client, case.file, data), again=True)
    check_stored(case, client.app.state.context.engine)


@pytest.mark.parametrize("case", [c for c in CASES if not c.heavy], ids=str)
def test_bad_file_through_ingest_file(case: Case, client: TestClient, generated: Path) -> None:
    ingest_twice(client, case, generated)


@pytest.mark.parametrize("case", [c for c in CASES if c.heavy], ids=str)
def test_heavy_file_through_ingest_file_on_sqlite(case: Case, generated: Path, tmp_path: Path) -> None:
    with api(f"sqlite:///{tmp_path / 'heavy.db'}") as client:
        ingest_twice(client, case, generated)


def batch_body(case: Case, data: bytes) -> bytes:
    """The file's events as a batch: a JSON file is the list itself; JSON Lines are joined into one."""
    if case.file.endswith(".jsonl"):
        return b'{"events": [' + b",".join(line for line in data.splitlines() if line.strip()) + b"]}"
    return b'{"events": ' + data + b"}"


@pytest.mark.parametrize("case", [c for c in CASES if c.batch], ids=str)
def test_json_file_through_ingest_batch(case: Case, client: TestClient, generated: Path) -> None:
    body = batch_body(case, path_of(case, generated).read_bytes())
    for again in (False, True):
        response = client.post("/ingest/batch", content=body, headers={"Content-Type": "application/json"})
        assert response.status_code != 500 and "Traceback" not in response.text
        if case.batch != "same":  # one request is one JSON document: a broken one is refused whole
            assert response.status_code == 422, response.text[:500]
            [detail] = response.json()["detail"]
            assert case.batch in detail["msg"], detail
            assert detail["loc"][0] == "body" and (len(detail["loc"]) == 1 or isinstance(detail["loc"][1], int))
            continue
        assert response.status_code == 200, response.text[:500]
        report = response.json()
        issues = [Issue(None, r["index"] + 1, r["field"], r["reason"]) for r in report["rejected"]]
        check_report(case, accepted=report["accepted"], duplicates=report["duplicates"], issues=issues, again=again)
    nothing = Case(case.file, "refused whole")
    check_stored(case if case.batch == "same" else nothing, client.app.state.context.engine)


def test_a_file_over_the_body_limit_gets_413_naming_the_limit(generated: Path, tmp_path: Path) -> None:
    data = (generated / "tenth_bad.csv").read_bytes()
    with api(f"sqlite:///{tmp_path / 'limit.db'}", api_max_body_bytes=10 * 1024 * 1024) as client:
        response = post_file(client, "tenth_bad.csv", data)
    assert response.status_code == 413
    assert response.json()["detail"] == "request body over the limit of 10,485,760 bytes (API_MAX_BODY_BYTES)"


@pytest.mark.parametrize(
    ("query", "body", "message"),
    [
        ("name=notes.txt", b"just words", "notes.txt: unknown file type"),
        ("name=x.csv&format=xml", b"<events/>", "Input should be 'csv', 'json', 'jsonl' or 'parquet'"),
        ("name=%00.csv", b"evaluation_id\n1\n", "is not a usable file name"),
        ("name=..%2F..%2Fetc%2Fpasswd.csv", b"", "passwd.csv: the file is empty"),
    ],
)
def test_file_names_and_formats_are_checked(client: TestClient, query: str, body: bytes, message: str) -> None:
    response = client.post(f"/ingest/file?{query}", content=body)
    assert response.status_code == 422, response.text
    assert message in response.json()["detail"][0]["msg"]


def test_the_format_parameter_overrides_the_extension(client: TestClient) -> None:
    line = b'{"evaluation_id": "f-1", "customer_prompt": "p", "skill_output": "HTTP 500"}\n'
    response = client.post("/ingest/file?name=export.txt&format=jsonl", content=line)
    assert response.status_code == 200 and response.json()["accepted"] == 1


def test_timestamps_are_stored_in_utc_and_out_of_range_ones_rejected(client: TestClient) -> None:
    """SQLite keeps no zone (an offset would be lost) and PostgreSQL stores years that Python cannot read back:
    validation turns every time into UTC and refuses the ones outside years 1-9999 there."""
    from lens_core.storage import queries

    events = [{"evaluation_id": f"ts-{n}", "customer_prompt": "p", "skill_output": "HTTP 500", "timestamp": ts}
              for n, ts in enumerate(["2024-01-01T05:00:00+05:00", "9999-12-31T23:59:59-23:59",
                                      "0001-01-01T00:00:00+01:00", "2024-01-01T00:00:00"])]
    report = client.post("/ingest/batch", json={"events": events}).json()
    assert report["accepted"] == 2
    assert [(r["index"], r["field"]) for r in report["rejected"]] == [(1, "timestamp"), (2, "timestamp")]
    assert all("out of range (years 1 to 9999 in UTC)" in r["reason"] for r in report["rejected"])
    frame = queries.load_events_frame(engine=client.app.state.context.engine).sort_values("evaluation_id")
    assert [str(t) for t in frame["timestamp"]] == ["2024-01-01 00:00:00+00:00"] * 2
