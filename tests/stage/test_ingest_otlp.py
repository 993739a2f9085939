"""OTLP JSON trace exports (issue 22): the tool spans with status ERROR of a GenAI-instrumented trace are
failure events, with the prompt and answer of the agent or chat spans around them; OK spans and errors
that are not tool calls are not failures; a malformed span is reported and the others kept. As a JSON
document, JSON Lines of exports, and compressed, found by content whatever the name."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from lens_core.ingest.ingestor import ingest_bytes, ingest_file
from lens_core.storage.models import TelemetryEventRow
from tests.conftest import ROOT
from tests.data.formats import compress

FIXTURE = ROOT / "tests" / "data" / "otlp_genai.json"
HOTEL = "5b8aa5a2d2c872e8321cf37308d69df2:a3c1b2d4e5f60718"
MAIL = "0af7651916cd43dd8448eb211c80319c:00f067aa0ba902b7"
CONTACT = "0af7651916cd43dd8448eb211c80319c:1a2b3c4d5e6f7081"


def stored(engine) -> dict[str, dict]:
    with engine.connect() as conn:
        rows = conn.execute(select(TelemetryEventRow.__table__)).mappings().all()
    return {row["evaluation_id"]: dict(row) for row in rows}


def test_tool_error_spans_become_events_with_their_trace_context(engine) -> None:
    report = ingest_file(FIXTURE, engine=engine, workers=0)
    assert report.accepted == 3
    assert [(i.row, i.reason) for i in report.rejected] == [
        (8, "the span named 'execute_tool broken' has no spanId (every span needs a traceId and a spanId)")]
    events = stored(engine)
    assert set(events) == {HOTEL, MAIL, CONTACT}  # the OK tool span and the failed chat span are not failures
    hotel = events[HOTEL]
    assert hotel["customer_prompt"] == "Book me a hotel in Paris for June 3"  # the root agent's last user message
    assert hotel["ai_output"] == "Sorry, I could not reach the booking service."
    assert hotel["skill_input"] == 'book_hotel {"city": "Paris", "date": "2024-06-03"}'
    assert hotel["skill_output"].startswith("Traceback (most recent call last):")
    assert (hotel["user_id"], hotel["tenant_id"], hotel["release"]) == (None, "contoso", "2024.06.1")
    assert hotel["timestamp"].replace(tzinfo=None).isoformat() == "2024-06-01T12:00:01.100000"
    assert hotel["attributes"]["gen_ai.tool.call.id"] == "call_mszuSIzqtI65i1wAUOE8w5H4"
    mail = events[MAIL]  # the older conventions: prompt and completion on the chat span's events
    assert (mail["customer_prompt"], mail["ai_output"]) == ("Send the quarterly report to Bob",
                                                             "I could not send the email.")
    assert mail["skill_output"].startswith("HTTP 403 Forbidden")  # the status message: no exception event
    assert (mail["user_id"], mail["release"]) == ("alice@contoso.com", "2024.05.2")
    contact = events[CONTACT]
    assert contact["skill_output"] == "TimeoutError: directory lookup timed out after 30 s"
    assert contact["user_id"] == "u-7"  # the span's user.id before the resource's enduser.id


def test_otlp_json_lines_compressed_and_without_a_telling_name(engine) -> None:
    document = json.loads(FIXTURE.read_text(encoding="utf-8"))
    lines = [json.dumps({"resourceSpans": [group]}) for group in document["resourceSpans"]]
    lines.insert(1, json.dumps({"resourceSpans": {"not": "a list"}}))
    data = ("\n".join(lines) + "\n").encode("utf-8")
    report = ingest_bytes(compress(data, "gz"), name="traces.jsonl.gz", engine=engine, workers=0)
    assert report.accepted == 3
    assert [(i.row, i.reason) for i in report.rejected] == [
        (2, '"resourceSpans" must be a list (an OTLP JSON trace export)'),
        (3, "the span named 'execute_tool broken' has no spanId (every span needs a traceId and a spanId)")]
    again = ingest_bytes(FIXTURE.read_bytes(), name="export", engine=engine, workers=0)  # no suffix: by content
    assert (again.accepted, again.duplicates) == (0, 3)


def test_an_export_without_tool_errors_stores_nothing(engine, tmp_path: Path) -> None:
    path = tmp_path / "ok.json"
    path.write_text(json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [
        {"traceId": "t", "spanId": "s", "attributes": [
            {"key": "gen_ai.tool.name", "value": {"stringValue": "x"}}], "status": {"code": 1}}]}]}]}))
    report = ingest_file(path, engine=engine, workers=0)
    assert (report.accepted, report.rejected) == (0, [])
