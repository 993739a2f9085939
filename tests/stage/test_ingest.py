"""Ingest on both databases: every format, every bad-input case, duplicates and re-runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lens_core.errors import InputError
from lens_core.ingest.ingestor import ingest_bytes, ingest_file, ingest_records
from lens_core.storage import queries
from lens_core.storage.models import FailureFingerprint, TelemetryEventRow
from tests.conftest import SAMPLES

GOOD = {
    "evaluation_id": "e-1",
    "customer_prompt": "schedule a sync with Dana tomorrow",
    "skill_input": '{"plugin": "Calendar", "action": "create_event"}',
    "skill_output": {"error": {"code": "InvalidAuthenticationToken", "message": "Access token has expired."}},
    "ai_output": "Sorry, I couldn't schedule that.",
    "timestamp": "2024-05-01T10:00:00Z",
    "user_id": "user-1",
    "tenant_id": "contoso",
}


def good(n: int, **overrides: object) -> dict:
    return {**GOOD, "evaluation_id": f"e-{n}", **overrides}


def test_sample_files_in_every_format_give_the_same_events(engine, tmp_path: Path) -> None:
    reports = [ingest_file(SAMPLES / name, engine=engine) for name in ("telemetry.csv", "telemetry.json", "telemetry.jsonl")]
    assert reports[0].accepted == 3000 and not reports[0].rejected
    # The JSON and JSON Lines files hold the same events: all duplicates the second and third time.
    assert [r.accepted for r in reports[1:]] == [0, 0]
    assert [r.duplicates for r in reports[1:]] == [3000, 3000]
    assert queries.count_events(engine=engine) == 3000


def test_reingesting_a_file_adds_nothing(engine) -> None:
    first = ingest_file(SAMPLES / "malformed.csv", engine=engine)
    second = ingest_file(SAMPLES / "malformed.csv", engine=engine)
    assert first.accepted > 0 and first.rejected
    assert second.accepted == 0
    assert second.duplicates == first.accepted + first.duplicates
    assert [(i.row, i.field) for i in second.rejected] == [(i.row, i.field) for i in first.rejected]
    assert queries.count_events(engine=engine) == first.accepted


def test_malformed_rows_are_named_and_good_rows_kept(engine) -> None:
    report = ingest_file(SAMPLES / "malformed.jsonl", engine=engine)
    reasons = {(i.field, i.reason) for i in report.rejected}
    fields = {field for field, _ in reasons}
    assert {"evaluation_id", "customer_prompt", "skill_output", "timestamp"} <= fields
    assert all(i.row is not None for i in report.rejected)
    assert report.accepted >= 10
    assert queries.count_events(engine=engine) == report.accepted


def test_each_bad_value_gets_its_reason(sqlite_engine) -> None:
    records = [
        good(1),
        {**GOOD, "evaluation_id": ""},
        good(3, customer_prompt=42),
        good(4, skill_output=True),
        good(5, timestamp="yesterday"),
        good(6, skill_output="x" * 1_000_001),
        good(7, customer_prompt="bad \udcff byte"),
        good(8, ai_output=["a", "list"]),
        {},
        good(1),  # duplicate inside the batch
        "not an object",
    ]
    report = ingest_records(records, engine=sqlite_engine, source="batch")
    assert report.accepted == 1 and report.duplicates == 1
    got = {i.row: (i.field, i.reason) for i in report.rejected}
    assert got[2] == ("evaluation_id", "evaluation_id is missing or empty")
    assert got[3] == ("customer_prompt", "expected text, got a number")
    assert got[4] == ("skill_output", "expected an object or text, got true/false")
    assert got[5][0] == "timestamp" and "'yesterday' is not an ISO 8601 date-time" == got[5][1]
    assert got[6][0] == "skill_output" and "1,000,001 characters" in got[6][1]
    assert got[7][0] == "customer_prompt" and "invalid UTF-8" in got[7][1]
    assert got[8] == ("ai_output", "expected text, got a list")
    assert got[9] == (None, "empty row")
    assert got[11] == (None, "expected an object")


def test_skill_output_forms_are_parsed_and_fingerprinted(sqlite_engine) -> None:
    outputs = [
        {"error": {"code": "ErrorItemNotFound", "message": "The item 42 was not found"}, "status": 404},
        json.dumps({"status_code": 429, "message": "Rate limit exceeded. Retry after 30 seconds.", "plugin": "Mail"}),
        'Traceback (most recent call last):\n  File "plugins/teams/client.py", line 8, in send\nKeyError: \'value\'',
        "<html><head><title>504 Gateway Time-out</title></head><body>nginx</body></html>",
        "HTTP 429 Too Many Requests: retry after 30s",
    ]
    report = ingest_records([good(i, skill_output=o) for i, o in enumerate(outputs)], engine=sqlite_engine)
    assert report.accepted == 5
    frame = queries.load_events_frame(engine=sqlite_engine).sort_values("evaluation_id")
    assert frame["error_form"].tolist() == ["json", "json", "traceback", "html", "text"]
    assert frame["status_code"].tolist()[:2] == [404, 429]
    assert frame["status_code"].tolist()[3:] == [504, 429]
    assert frame["error_type"].iloc[2].endswith("KeyError")
    with sqlite_engine.connect() as conn:
        n_fp = conn.execute(select(func.count()).select_from(FailureFingerprint)).scalar_one()
    assert n_fp == frame["fingerprint"].nunique() == 5


def test_nan_and_infinity_are_rejected_not_sent_to_the_database(engine) -> None:
    """Python's JSON reader accepts NaN and 1e999; PostgreSQL's JSON refuses them, which must not fail a file."""
    lines = [json.dumps(good(1)), json.dumps(good(2))[:-1] + ', "score": NaN}',
             '{"evaluation_id": "e-3", "customer_prompt": "p", "skill_output": {"status": 500, "x": 1e999}}']
    report = ingest_bytes("\n".join(lines).encode(), name="nan.jsonl", fmt="jsonl", engine=engine)
    assert report.accepted == 1
    assert {(i.row, i.field) for i in report.rejected} == {(2, "attributes"), (3, "skill_output")}


def test_extra_columns_are_kept_as_attributes(sqlite_engine) -> None:
    ingest_records([good(1, release="2024.05.1", client="Outlook web")], engine=sqlite_engine)
    with sqlite_engine.connect() as conn:
        attrs, release = conn.execute(select(TelemetryEventRow.__table__.c.attributes,
                                             TelemetryEventRow.__table__.c.release)).one()
    assert (attrs, release) == ({"client": "Outlook web"}, "2024.05.1")  # release is a field of its own


def stored_releases(engine) -> dict[str, str | None]:
    table = TelemetryEventRow.__table__
    with engine.connect() as conn:
        return dict(conn.execute(select(table.c.evaluation_id, table.c.release)).all())


def test_release_is_read_from_csv_and_json_lines(engine) -> None:
    csv_bytes = (
        b"evaluation_id,customer_prompt,skill_output,release,client\n"
        b"c-1,book a room,HTTP 500 Internal Server Error, 2024.05.1 ,teams\n"
        b"c-2,book a room,HTTP 500 Internal Server Error,,teams\n"
        b"c-3,book a room,HTTP 500 Internal Server Error,2024.5,\n"
    )
    assert ingest_bytes(csv_bytes, name="r.csv", fmt="csv", engine=engine).accepted == 3
    lines = [good(11, release="2024.05.2"), good(12, release=2024.5), good(13, release="  "), good(14)]
    jsonl = "".join(json.dumps(line) + "\n" for line in lines).encode()
    assert ingest_bytes(jsonl, name="r.jsonl", fmt="jsonl", engine=engine).accepted == 4
    assert stored_releases(engine) == {"c-1": "2024.05.1", "c-2": None, "c-3": "2024.5", "e-11": "2024.05.2",
                                       "e-12": "2024.5", "e-13": None, "e-14": None}
    with engine.connect() as conn:
        attributes = conn.execute(select(TelemetryEventRow.__table__.c.attributes)
                                  .order_by(TelemetryEventRow.__table__.c.id)).scalars().all()
    assert attributes[:3] == [{"client": "teams"}, {"client": "teams"}, {}]  # other columns stay attributes


def test_a_bad_release_rejects_its_row_only(engine) -> None:
    lines = [good(1, release="2024.05.1"), good(2, release="x" * 101), good(3, release=["2024.05.1"]),
             good(4, release=True), good(5, release="2024.05\x00.1"), good(6, release=" " + "y" * 100 + " ")]
    jsonl = "".join(json.dumps(line) + "\n" for line in lines).encode()
    report = ingest_bytes(jsonl, name="bad.jsonl", fmt="jsonl", engine=engine)
    assert report.accepted == 2
    got = {i.row: (i.field, i.reason) for i in report.rejected}
    assert got[2] == ("release", "101 characters, over the limit of 100")
    assert got[3] == ("release", "expected text, got a list")
    assert got[4] == ("release", "expected text, got true/false")
    assert got[5][0] == "release" and "NUL character" in got[5][1]
    assert set(got) == {2, 3, 4, 5}
    assert stored_releases(engine) == {"e-1": "2024.05.1", "e-6": "y" * 100}


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "empty.csv: the file is empty"),
        ("blank.jsonl", b"  \n\n", "blank.jsonl: the file is empty"),
        ("bom.csv", "\ufeff \r\n".encode("utf-8"), "bom.csv: the file is empty"),
        ("binary.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR", "binary.csv: binary content"),
        ("nocol.csv", b"ref,prompt\n1,hi\n", "nocol.csv: missing required column evaluation_id"),
        ("notjson.json", b"hello there", "notjson.json: not JSON"),
        ("wrongshape.json", b'{"rows": []}', 'must hold the events as a list under "events"'),
        ("data.txt", b"just some words", "data.txt: unknown file type"),
    ],
)
def test_files_that_cannot_be_read_name_the_file(sqlite_engine, tmp_path: Path, name, content, message) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(".", r"\.")):
        ingest_file(path, engine=sqlite_engine)
    assert queries.count_events(engine=sqlite_engine) == 0


def test_csv_values_keep_characters_that_other_formats_read_as_line_ends(sqlite_engine, tmp_path: Path) -> None:
    """U+2028, U+0085 and the like end a line for str.splitlines but not for CSV."""
    prompt = "first\u2028second\x85third\u2029fourth"
    path = tmp_path / "ends.csv"
    path.write_text(f"evaluation_id,customer_prompt,skill_output\nends-1,{prompt},timeout\nends-2,plain,timeout\n",
                    encoding="utf-8")
    report = ingest_file(path, engine=sqlite_engine)
    assert report.accepted == 2 and not report.rejected
    with sqlite_engine.connect() as conn:
        stored = conn.execute(select(TelemetryEventRow.customer_prompt).where(TelemetryEventRow.evaluation_id == "ends-1"))
        assert stored.scalar_one() == prompt


def test_missing_file(sqlite_engine, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        ingest_file(tmp_path / "nope.csv", engine=sqlite_engine)


def test_truncated_json_keeps_complete_events(sqlite_engine) -> None:
    data = json.dumps([good(1), good(2), good(3)]).encode()[:-40]
    report = ingest_bytes(data, name="cut.json", fmt="json", engine=sqlite_engine)
    assert report.accepted == 2
    assert report.rejected[0].row == 3 and "invalid JSON" in report.rejected[0].reason


def test_jsonl_broken_line_is_named(sqlite_engine) -> None:
    lines = [json.dumps(good(1)), '{"evaluation_id": "e-2", broken', json.dumps(good(3))]
    report = ingest_bytes("\n".join(lines).encode(), name="x.jsonl", fmt="jsonl", engine=sqlite_engine)
    assert report.accepted == 2
    assert report.rejected[0].row == 2 and report.rejected[0].reason.startswith("invalid JSON")


def test_events_document_and_invalid_utf8_in_csv(sqlite_engine) -> None:
    doc = json.dumps({"events": [good(1), good(2)]}).encode()
    assert ingest_bytes(doc, name="doc.json", fmt="json", engine=sqlite_engine).accepted == 2
    csv_bytes = (
        b"evaluation_id,customer_prompt,skill_output\n"
        b"c-1,h\xc3\xa9llo,HTTP 500 Internal Server Error\n"  # UTF-8 elsewhere: a broken byte, not a Latin-1 file
        b"c-2,caf\xe9 broken,HTTP 500 Internal Server Error\n"
    )
    report = ingest_bytes(csv_bytes, name="broken-utf8.csv", fmt="csv", engine=sqlite_engine)
    assert report.accepted == 1
    assert (report.rejected[0].row, report.rejected[0].field) == (2, "customer_prompt")


def test_a_database_error_keeps_the_committed_chunks_and_a_rerun_stores_the_rest(sqlite_engine, monkeypatch) -> None:
    """Each chunk is a transaction: a failure on the third keeps the first two, and says so."""
    from lens_core.errors import StorageError
    from lens_core.ingest import ingestor

    monkeypatch.setattr(ingestor, "CHUNK_SIZE", 2)
    real = ingestor._store_chunk
    calls = {"n": 0}

    def failing(conn, chunk, *args):
        calls["n"] += 1
        if calls["n"] == 3:
            from sqlalchemy.exc import OperationalError

            raise OperationalError("INSERT", {}, Exception("disk I/O error"))
        return real(conn, chunk, *args)

    monkeypatch.setattr(ingestor, "_store_chunk", failing)
    with pytest.raises(StorageError, match=r"the first 4 new events were stored .*run the ingest again.*disk I/O"):
        ingest_records([good(i) for i in range(6)], engine=sqlite_engine)
    assert queries.count_events(engine=sqlite_engine) == 4

    monkeypatch.setattr(ingestor, "_store_chunk", real)
    again = ingest_records([good(i) for i in range(6)], engine=sqlite_engine)
    assert (again.accepted, again.duplicates) == (2, 4)
    assert queries.count_events(engine=sqlite_engine) == 6


def test_a_database_error_on_the_first_chunk_stores_nothing(sqlite_engine, monkeypatch) -> None:
    from sqlalchemy.exc import OperationalError

    from lens_core.errors import StorageError
    from lens_core.ingest import ingestor

    def failing(*_args):
        raise OperationalError("INSERT", {}, Exception("disk I/O error"))

    monkeypatch.setattr(ingestor, "_store_chunk", failing)
    with pytest.raises(StorageError, match="nothing was stored, the database refused the write: disk I/O error"):
        ingest_records([good(i) for i in range(3)], engine=sqlite_engine)
    assert queries.count_events(engine=sqlite_engine) == 0
