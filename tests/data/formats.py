"""Telemetry written in every format lens reads, for tests: CSV, JSON, JSON Lines and Parquet, the text
formats also gzip- or zstd-compressed ("csv.gz", "jsonl.zst"). Deterministic: the same events give the
same bytes (gzip's header carries no time here)."""

from __future__ import annotations

import gzip
import io
import json
from datetime import datetime
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import zstandard

from lens_core.samples.generator import write_events

TEXT_FORMATS = ("csv", "json", "jsonl")
ALL_FORMATS = (*TEXT_FORMATS, "parquet", *(f"{fmt}.{how}" for fmt in TEXT_FORMATS for how in ("gz", "zst")))


def encode(events: list[dict[str, Any]], fmt: str, folder: Any) -> bytes:
    """The events as a file of type `fmt` ("parquet", "csv", "jsonl.gz" ...); `folder`: a scratch folder."""
    base, _, how = fmt.partition(".")
    if base == "parquet":
        return parquet_bytes(events)
    data = write_events(folder / f"scratch.{base}", events).read_bytes()
    return compress(data, how) if how else data


def compress(data: bytes, how: str) -> bytes:
    if how == "gz":
        return gzip.compress(data, mtime=0)
    if how == "zst":
        return zstandard.ZstdCompressor(level=3).compress(data)
    raise ValueError(how)


def parquet_bytes(events: list[dict[str, Any]], *, row_group_size: int = 1000, **types: pa.DataType) -> bytes:
    """Every key of the events a column (missing: null); timestamps as real UTC timestamps unless `types`
    says otherwise, so that the reader's conversion to ISO text is what is tested; objects in a column
    that also holds text (skill_output) as their JSON text, as a CSV file has them."""
    keys = list(dict.fromkeys(key for event in events for key in event))
    columns = {}
    for key in keys:
        values = [event.get(key) for event in events]
        if key == "timestamp" and "timestamp" not in types:
            columns[key] = pa.array([_utc(v) for v in values], pa.timestamp("s", tz="UTC"))
        elif key not in types and {type(v) for v in values} >= {str, dict}:  # a mixed column: JSON text, as CSV has it
            columns[key] = pa.array([json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else v for v in values])
        else:
            columns[key] = pa.array(values, types.get(key))
    sink = io.BytesIO()
    pq.write_table(pa.table(columns), sink, row_group_size=row_group_size)
    return sink.getvalue()


def _utc(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def jsonl_bytes(events: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(event, ensure_ascii=False) + "\n" for event in events).encode("utf-8")
