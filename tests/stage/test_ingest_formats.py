"""Telemetry as it really arrives, on both databases: Parquet and gzip- or zstd-compressed CSV, JSON and
JSON Lines store the same events as the CSV; a cut-off or corrupt file keeps every row before the damage
and says where it stopped; a name that lies is read by its bytes; error-only events (no prompt) count."""

from __future__ import annotations

import json
import zlib
from collections import defaultdict
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard
from sqlalchemy import select

from lens_core.config import Settings
from lens_core.errors import InputError
from lens_core.ingest.ingestor import ingest_bytes, ingest_file, ingest_records
from lens_core.ingest.prepare import EVENT_COLUMNS
from lens_core.runs.options import ProcessOptions
from lens_core.runs.pipeline import process
from lens_core.samples.generator import generate
from lens_core.storage import queries
from lens_core.storage.models import TelemetryEventRow
from tests.data.formats import ALL_FORMATS, compress, encode, jsonl_bytes, parquet_bytes

# What an event is, apart from its id and where and when it came in.
CONTENT = [column for column in EVENT_COLUMNS if column not in ("evaluation_id", "source", "ingested_at")]


def stored(engine) -> dict[str, dict[str, Any]]:
    table = TelemetryEventRow.__table__
    with engine.connect() as conn:
        rows = conn.execute(select(table)).mappings().all()
    return {row["evaluation_id"]: {column: row[column] for column in CONTENT} for row in rows}


def tagged(events: list[dict], tag: str) -> list[dict]:
    return [{**event, "evaluation_id": f"{tag}/{event['evaluation_id']}"} for event in events]


def by_tag(engine) -> dict[str, dict[str, dict[str, Any]]]:
    groups: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for key, row in stored(engine).items():
        tag, _, evaluation_id = key.partition("/")
        groups[tag][evaluation_id] = row
    return groups


def test_every_format_stores_the_same_events_as_the_csv(engine, tmp_path: Path) -> None:
    events, _ = generate(400, seed=11)
    for fmt in ALL_FORMATS:
        path = tmp_path / f"telemetry.{fmt}"
        path.write_bytes(encode(tagged(events, fmt), fmt, tmp_path))
        report = ingest_file(path, engine=engine)
        assert (report.accepted, report.rejected) == (400, []), fmt
    groups = by_tag(engine)
    assert set(groups) == set(ALL_FORMATS)
    assert all(row["timestamp"] is not None for row in groups["csv"].values())
    for fmt in ALL_FORMATS:
        assert groups[fmt] == groups["csv"], fmt


def test_parquet_types_and_nested_columns_read_as_the_json_file_does(engine, tmp_path: Path) -> None:
    """Structs and maps are objects, lists lists, timestamps ISO text, binary UTF-8, nulls and NaN missing."""
    events = [{
        "evaluation_id": f"n-{i}", "customer_prompt": f"find the deck {i}",
        "skill_output": {"error": {"code": "ErrorItemNotFound", "message": f"The item {i} was not found"},
                         "status": 404},
        "timestamp": f"2024-05-01T10:00:0{i}", "context": {"client": "Outlook web", "attempt": i, "note": None},
        "tags": ["a", "b"], "labels": {"team": "mail"}, "raw": "bytes é", "tenant_id": "contoso",
        **({"score": 0.5} if i % 2 else {}),
    } for i in range(5)]
    (tmp_path / "n.json").write_text(json.dumps(tagged(events, "json")), encoding="utf-8")
    assert ingest_file(tmp_path / "n.json", engine=engine).accepted == 5
    table = pa.table({
        "evaluation_id": [f"parquet/n-{i}" for i in range(5)],
        "customer_prompt": [e["customer_prompt"] for e in events],
        "skill_output": [e["skill_output"] for e in events],  # a struct column
        "timestamp": pa.array([f"2024-05-01T10:00:0{i}" for i in range(5)]).cast(pa.timestamp("ms")),
        "context": [e["context"] for e in events],
        "tags": [e["tags"] for e in events],
        "labels": pa.array([[("team", "mail")]] * 5, pa.map_(pa.string(), pa.string())),
        "raw": pa.array([b"bytes \xc3\xa9"] * 5, pa.binary()),
        "tenant_id": pa.array(["contoso"] * 5).dictionary_encode(),
        "score": [float("nan"), 0.5, None, 0.5, float("nan")],
    })
    (tmp_path / "n.parquet").write_bytes(_parquet(table))
    report = ingest_file(tmp_path / "n.parquet", engine=engine)
    assert (report.accepted, report.rejected) == (5, [])
    groups = by_tag(engine)
    assert groups["parquet"] == groups["json"]
    assert groups["parquet"]["n-1"]["attributes"]["context"] == {"client": "Outlook web", "attempt": 1, "note": None}


def test_invalid_utf8_in_a_parquet_text_column_rejects_its_row_only(engine) -> None:
    prompts = pa.array([b"fine", b"bad \xff byte"], pa.binary()).view(pa.string())  # a writer that lied
    table = pa.table({"evaluation_id": ["u-1", "u-2"], "customer_prompt": prompts, "skill_output": ["x", "y"]})
    report = ingest_bytes(_parquet(table), name="u.parquet", engine=engine)
    assert report.accepted == 1
    assert [(i.row, i.field) for i in report.rejected] == [(2, "customer_prompt")]
    assert "invalid UTF-8 byte 0xFF" in report.rejected[0].reason


def _parquet(table: pa.Table, **options: Any) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, **options)
    return sink.getvalue().to_pybytes()


# -- damage -------------------------------------------------------------------------------------------------


def inflated(data: bytes, how: str) -> bytes:
    """What any decompressor gets out of (cut-off) data: the bytes before the damage."""
    if how == "gz":
        return zlib.decompressobj(wbits=31).decompress(data)
    return zstandard.ZstdDecompressor().decompressobj().decompress(data)


@pytest.mark.parametrize("fmt", ["csv.gz", "csv.zst", "jsonl.gz", "jsonl.zst", "json.gz", "json.zst"])
def test_a_cut_off_compressed_file_keeps_every_row_before_the_cut(engine, tmp_path: Path, fmt: str) -> None:
    events, _ = generate(2000, seed=5)
    data = encode(events, fmt, tmp_path)
    path = tmp_path / f"telemetry.{fmt}"
    path.write_bytes(data[: len(data) * 2 // 3])
    report = ingest_file(path, engine=engine)
    kept = report.accepted
    assert 1000 < kept < 2000 and len(report.rejected) == 1
    issue = report.rejected[0]
    assert (issue.row, issue.field) == (kept + 1, None)
    assert issue.reason == f"the compressed data ends early after row {kept} (truncated file?)"
    assert report.issue_lines() == [f"telemetry.{fmt}: row {kept + 1}: {issue.reason}"]
    rows = stored(engine)
    assert sorted(rows) == sorted(e["evaluation_id"] for e in events[:kept])  # the first rows, and whole:
    assert rows[events[kept - 1]["evaluation_id"]]["ai_output"] == events[kept - 1]["ai_output"]
    if fmt.startswith("jsonl"):  # every complete line that could be decompressed is a kept row
        assert kept == inflated(path.read_bytes(), fmt.rpartition(".")[2]).count(b"\n")


def test_corrupt_compressed_data_is_named_and_what_came_before_kept(sqlite_engine, tmp_path: Path) -> None:
    events, _ = generate(2000, seed=5)
    data = bytearray(encode(events, "jsonl.gz", tmp_path))
    data[len(data) // 2: len(data) // 2 + 64] = bytes(64)  # a damaged stretch in the middle
    report = ingest_bytes(bytes(data), name="broken.jsonl.gz", engine=sqlite_engine)
    *garbled, issue = report.rejected  # deflate may inflate damage into text (bad lines) before it notices
    assert 900 < report.accepted < 2000 and all(i.row < issue.row for i in garbled)
    assert issue.reason.startswith(f"the gzip data is damaged after row {issue.row - 1} (")
    assert issue.reason.endswith("); nothing after it could be read")


@pytest.mark.parametrize(("name", "data", "message"), [
    ("cut.csv.gz", compress(b"evaluation_id,skill_output\n" * 50, "gz")[:12],
     "cut.csv.gz: the compressed data ends early before the first row (truncated file?)"),
    ("cut.csv.zst", compress(b"evaluation_id,skill_output\ne-1,x\n", "zst")[:8],
     "cut.csv.zst: the compressed data ends early before the first row (truncated file?)"),
    ("bad.csv.gz", b"\x1f\x8b\x08\x00" + b"\xff" * 40, "bad.csv.gz: the gzip data is damaged before the first row"),
    ("rows.parquet.gz", compress(b"PAR1" + b"\x00" * 100, "gz"), "rows.parquet.gz: gzip-compressed Parquet"),
    ("rows.parquet", b"PAR1 not really", "rows.parquet: not a readable Parquet file"),
    ("rows.parquet", b"evaluation_id,skill_output\ne-1,x\n", "rows.parquet: not a readable Parquet file"),
    ("notes.txt", b"just some words", ("notes.txt: unknown file type; lens reads .csv, .json, .jsonl (or .ndjson) "
     "and .parquet files, and .csv, .json and .jsonl compressed with gzip (.csv.gz) or zstd (.csv.zst)")),
    ("empty.csv.gz", compress(b"", "gz"), "empty.csv.gz: the file is empty"),
])
def test_files_that_cannot_be_read_say_why(sqlite_engine, name: str, data: bytes, message: str) -> None:
    with pytest.raises(InputError) as raised:
        ingest_bytes(data, name=name, engine=sqlite_engine)
    assert str(raised.value).startswith(message), str(raised.value)
    assert queries.count_events(engine=sqlite_engine) == 0


def test_a_cut_off_parquet_file_is_refused_naming_it(engine, tmp_path: Path) -> None:
    data = parquet_bytes(generate(300, seed=2)[0])
    path = tmp_path / "export.parquet"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match=r"^export\.parquet: not a readable Parquet file \(.*\); is it complete\?"):
        ingest_file(path, engine=engine)
    assert queries.count_events(engine=engine) == 0


def test_a_damaged_parquet_row_group_costs_only_its_rows(engine) -> None:
    events, _ = generate(3000, seed=2)
    data = bytearray(parquet_bytes(events, row_group_size=1000))
    meta = pq.ParquetFile(pa.BufferReader(bytes(data))).metadata
    page = meta.row_group(1).column(meta.schema.names.index("skill_output")).data_page_offset
    data[page: page + 200] = bytes(b ^ 0x5A for b in data[page: page + 200])
    report = ingest_bytes(bytes(data), name="damaged.parquet", engine=engine)
    assert report.accepted == 2000
    (issue,) = report.rejected
    assert issue.row == 1001 and issue.reason.startswith(
        "the Parquet data is damaged: rows 1,001 to 2,000 (row group 2 of 3) could not be read (")
    ids = set(stored(engine))
    assert events[999]["evaluation_id"] in ids and events[2000]["evaluation_id"] in ids
    assert events[1000]["evaluation_id"] not in ids


def test_a_parquet_file_without_a_required_column_gets_the_csv_messages(engine) -> None:
    rows = [{"evaluation_id": "p-1", "customer_prompt": "hi"}, {"evaluation_id": "p-2", "customer_prompt": "yo"}]
    report = ingest_bytes(parquet_bytes(rows), name="nooutput.parquet", engine=engine)
    csv_report = ingest_bytes(b"evaluation_id,customer_prompt\np-1,hi\np-2,yo\n", name="nooutput.csv", engine=engine)
    assert report.accepted == 0 and report.rejected == csv_report.rejected
    assert [(i.row, i.field, i.reason) for i in report.rejected] == [
        (n, "skill_output", "required, and the file has no skill_output column") for n in (1, 2)]
    no_id = parquet_bytes([{"ref": "p-1", "customer_prompt": "hi", "skill_output": "x"}])
    with pytest.raises(InputError, match="^noid.parquet: missing required column evaluation_id; found columns: "
                                         "ref, customer_prompt, skill_output$"):
        ingest_bytes(no_id, name="noid.parquet", engine=engine)


# -- names that lie, and the encoding of compressed text --------------------------------------------------


def test_the_bytes_decide_where_the_name_lies(engine, tmp_path: Path) -> None:
    events, _ = generate(60, seed=4)
    csv_gz = encode(tagged(events, "a"), "csv.gz", tmp_path)
    files = [("telemetry.csv", csv_gz), ("export.json", parquet_bytes(tagged(events, "b"))),
             ("export.gz", compress(jsonl_bytes(tagged(events, "c")), "gz")),
             ("export.zst", encode(tagged(events, "d"), "csv.zst", tmp_path)),
             ("plain.csv.gz", encode(tagged(events, "e"), "csv", tmp_path)), ("export", csv_gz)]
    reports = [ingest_bytes(data, name=name, engine=engine) for name, data in files]
    assert [r.accepted for r in reports] == [60, 60, 60, 60, 60, 0] and [r.duplicates for r in reports][-1] == 60
    groups = by_tag(engine)
    assert all(groups[tag] == groups["a"] for tag in "bcde")


def test_compressed_legacy_text_is_read_as_windows_1252(sqlite_engine) -> None:
    data = "evaluation_id,customer_prompt,skill_output\nl-1,Réunion au café,HTTP 500\n".encode("cp1252")
    assert ingest_bytes(compress(data, "zst"), name="l.csv.zst", engine=sqlite_engine).accepted == 1
    assert stored(sqlite_engine)["l-1"]["customer_prompt"] == "Réunion au café"


# -- error-only events --------------------------------------------------------------------------------------


def test_an_event_without_a_prompt_is_kept_and_one_without_its_error_is_not(engine) -> None:
    records = [
        {"evaluation_id": "eo-1", "skill_output": "HTTP 503 Service Unavailable"},
        {"evaluation_id": "eo-2", "customer_prompt": "", "skill_output": {"error": {"code": "ErrorItemNotFound"}}},
        {"evaluation_id": "eo-3", "customer_prompt": None, "skill_output": "timeout after 30s", "ai_output": ""},
        {"evaluation_id": "eo-4", "customer_prompt": "book a room"},
        {"evaluation_id": "eo-5", "customer_prompt": "book a room", "skill_output": ""},
        {"customer_prompt": "book a room", "skill_output": "HTTP 500"},
    ]
    report = ingest_records(records, engine=engine, source="batch")
    assert report.accepted == 3
    assert [(i.row, i.field, i.reason) for i in report.rejected] == [
        (4, "skill_output", "missing or empty"), (5, "skill_output", "missing or empty"),
        (6, "evaluation_id", "evaluation_id is missing or empty")]
    csv = b"evaluation_id,skill_output\neo-6,HTTP 429 Too Many Requests\n"  # a file with no prompt column at all
    assert ingest_bytes(csv, name="errors.csv", engine=engine).accepted == 1
    rows = stored(engine)
    assert {key: rows[key]["customer_prompt"] for key in rows} == {f"eo-{n}": "" for n in (1, 2, 3, 6)}
    assert rows["eo-1"]["status_code"] == 503 and rows["eo-2"]["error_code"] == "ErrorItemNotFound"


def test_the_intent_view_leaves_error_only_events_out_and_counts_them(engine, settings: Settings) -> None:
    events, _ = generate(300, seed=9)
    for event in events[:25]:
        event["customer_prompt"] = ""
    ingest_records(events, engine=engine)
    outcome = process(engine=engine, settings=settings, options=ProcessOptions.of(view="intent", embedder="hashing"))
    assert outcome.counts["events_without_prompt"] == 25
    run = queries.get_run(engine=engine, run_id=outcome.run_id)
    assert "view: 25 error-only events have no prompt; the intent view leaves them out (noise)" in run.notes
    frame = queries.assignments_frame(engine=engine, run_id=outcome.run_id).set_index("evaluation_id")
    no_prompt = frame.loc[[e["evaluation_id"] for e in events[:25]], "cluster_id"]
    assert (no_prompt == -1).all()  # they say nothing of what users asked
    rest = frame.drop(index=no_prompt.index)["cluster_id"]
    clusters = queries.clusters_of_run(engine=engine, run_id=outcome.run_id)
    assert sorted(c.label for c in clusters if c.label >= 0) == list(range(rest[rest >= 0].nunique()))
    assert all(c.size == int((rest == c.label).sum()) for c in clusters if c.label >= 0)
    cause = process(engine=engine, settings=settings, options=ProcessOptions.of(embedder="hashing"))
    assert "events_without_prompt" not in cause.counts  # the error views need no prompt


def test_an_id_repeated_in_a_later_chunk_is_a_duplicate_and_the_first_wins(engine, monkeypatch) -> None:
    """Ingest keeps no set of every id it met (memory would grow with the file): a later chunk's repeat is
    found stored, by the chunk's lookup or by the insert itself, with the same counts as before."""
    from lens_core.ingest import ingestor

    monkeypatch.setattr(ingestor, "CHUNK_SIZE", 3)
    first = [{"evaluation_id": f"r-{n}", "customer_prompt": "first", "skill_output": "HTTP 500"} for n in range(5)]
    again = [{**record, "customer_prompt": "again"} for record in first]
    report = ingest_records(first[:2] + again[:1] + first[2:] + again, engine=engine, workers=0)
    assert (report.accepted, report.duplicates, report.rejected) == (5, 6, [])
    assert {row["customer_prompt"] for row in stored(engine).values()} == {"first"}
