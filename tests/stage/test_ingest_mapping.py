"""Column mapping (issue 22): a file whose columns have other names is read as lens fields in every format
and compression, by `--map FIELD=COLUMN` pairs, a saved mapping or a guess from common names; a mapping
that does not fit the file refuses it, naming the file's columns, before anything is stored."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import select

from lens_core.errors import InputError
from lens_core.ingest.ingestor import ingest_bytes, ingest_file
from lens_core.ingest.mappings import column_map, save_mapping, saved_mappings
from lens_core.ingest.readers.common import check_columns
from lens_core.ingest.readers.mapping import ColumnMap, parse_pairs
from lens_core.storage.models import TelemetryEventRow
from tests.data.formats import ALL_FORMATS, compress, encode

# An export as a vendor's tool writes it: no lens names at all.
VENDOR = [
    {"EvaluationId": f"v{i}", "Prompt": f"book room {i}", "tool_output": '{"status": 403, "message": "denied"}',
     "Response": "I could not book it", "userId": f"u{i % 2}", "region": "eu"}
    for i in range(3)
]


def vendor_file(events: list[dict], fmt: str, folder: Path) -> bytes:
    """The events in `fmt`, a CSV's header naming only the events' own columns (the shared encoder writes
    every lens column, which would leave nothing to map)."""
    base, _, how = fmt.partition(".")
    if base != "csv":
        return encode(events, fmt, folder)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(events[0]))
    writer.writeheader()
    writer.writerows(events)
    data = out.getvalue().encode("utf-8")
    return compress(data, how) if how else data


def stored(engine) -> dict[str, dict]:
    table = TelemetryEventRow.__table__
    with engine.connect() as conn:
        rows = conn.execute(select(table)).mappings().all()
    return {row["evaluation_id"]: dict(row) for row in rows}


def tagged(tag: str, events: list[dict] = VENDOR) -> list[dict]:
    return [{**event, "EvaluationId": f"{tag}/{event['EvaluationId']}"} for event in events]


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_guessed_columns_are_read_as_lens_fields_in_every_format(engine, tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"vendor.{fmt}"
    path.write_bytes(vendor_file(tagged(fmt), fmt, tmp_path))
    report = ingest_file(path, engine=engine, workers=0)
    assert (report.accepted, report.rejected) == (3, [])
    assert report.notes == ["mapped EvaluationId -> evaluation_id (guessed)", "mapped Prompt -> customer_prompt "
                            "(guessed)", "mapped tool_output -> skill_output (guessed)",
                            "mapped Response -> ai_output (guessed)", "mapped userId -> user_id (guessed)"]
    row = stored(engine)[f"{fmt}/v1"]
    assert (row["customer_prompt"], row["ai_output"], row["user_id"]) == ("book room 1", "I could not book it", "u1")
    assert row["attributes"] == {"region": "eu"}  # an unmapped column stays an attribute


def test_explicit_pairs_win_and_other_columns_stay_attributes(engine, tmp_path: Path) -> None:
    events = [{**e, "Ask": "the real prompt"} for e in tagged("x")]
    data = vendor_file(events, "csv", tmp_path)
    mapping = ColumnMap(parse_pairs(["customer_prompt=Ask"]))
    report = ingest_bytes(data, name="x.csv", engine=engine, mapping=mapping, workers=0)
    assert report.accepted == 3
    assert "mapped Ask -> customer_prompt" in report.notes
    row = stored(engine)["x/v0"]
    assert row["customer_prompt"] == "the real prompt"
    assert row["attributes"] == {"Prompt": "book room 0", "region": "eu"}


def test_without_guessing_the_unmapped_file_is_refused_for_its_id() -> None:
    columns = ColumnMap(guess=False).header(["EvaluationId", "Prompt"], "f.csv")
    assert columns == ["EvaluationId", "Prompt"]
    with pytest.raises(InputError, match="missing required column evaluation_id"):
        check_columns(columns, "f.csv")


def test_two_candidates_are_not_guessed() -> None:
    mapping = ColumnMap()
    assert mapping.header(["evaluation_id", "Prompt", "query", "error"], "f.csv") == [
        "evaluation_id", "Prompt", "query", "skill_output"]
    assert mapping.notes == ["mapped error -> skill_output (guessed)"]


@pytest.mark.parametrize("pairs, message", [
    (["prompt=Prompt"], r"neither 'prompt' nor 'Prompt' is a lens field; the fields are evaluation_id, customer_prompt"),
    (["customer_prompt"], "expected FIELD=COLUMN"),
    (["customer_prompt=A", "customer_prompt=B"], "customer_prompt is mapped twice"),
])
def test_bad_pairs_are_named(pairs: list[str], message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_pairs(pairs)


def test_a_pair_written_column_first_is_read_as_meant_when_only_one_side_is_a_field() -> None:
    assert parse_pairs(["Prompt=customer_prompt", "skill_output=error"]) == {
        "customer_prompt": "Prompt", "skill_output": "error"}
    assert parse_pairs(["customer_prompt=ai_output"]) == {"customer_prompt": "ai_output"}  # both: FIELD=COLUMN
    with pytest.raises(InputError, match="customer_prompt is mapped twice"):
        parse_pairs(["customer_prompt=A", "B=customer_prompt"])


@pytest.mark.parametrize("fmt", ["csv", "jsonl.gz", "parquet"])
def test_a_mapping_that_does_not_fit_the_file_stores_nothing(engine, tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"vendor.{fmt}"
    path.write_bytes(vendor_file(tagged(fmt), fmt, tmp_path))
    with pytest.raises(InputError, match=r"vendor\.\S+: mapping customer_prompt=Question: the file has no column "
                                         r"'Question'; the file's columns: EvaluationId, Prompt, tool_output"):
        ingest_file(path, engine=engine, workers=0, mapping=ColumnMap({"customer_prompt": "Question"}))
    with pytest.raises(InputError, match="column 'Prompt' is mapped to both customer_prompt and ai_output"):
        ingest_file(path, engine=engine, workers=0,
                    mapping=ColumnMap({"customer_prompt": "Prompt", "ai_output": "Prompt"}))
    assert stored(engine) == {}


def test_a_saved_mapping_is_reused_and_listed(engine, tmp_path: Path) -> None:
    events = [{**e, "Ask": "asked"} for e in tagged("s")]
    data = vendor_file(events, "csv", tmp_path)
    first = column_map(engine=engine, pairs=["customer_prompt=Ask"])
    ingest_bytes(data, name="a.csv", engine=engine, mapping=first, workers=0)
    save_mapping(engine=engine, name="crm", mapping=first)
    assert saved_mappings(engine=engine)["crm"]["customer_prompt"] == "Ask"
    again = column_map(engine=engine, saved="crm")
    assert again.explicit["evaluation_id"] == "EvaluationId"  # the guesses were saved too
    with pytest.raises(InputError, match="no saved mapping named 'nope'; saved mappings: crm"):
        column_map(engine=engine, saved="nope")
