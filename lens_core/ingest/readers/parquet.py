"""Parquet telemetry, read a record batch at a time (pyarrow), never the whole file.

Each row becomes the dict the CSV and JSON readers yield, so validation treats every format alike:
- a null (or a float NaN, which pandas writes for a missing number) is a missing field;
- timestamps, dates and times become ISO 8601 text (a timestamp without a zone is taken as UTC later);
- nested values (structs, maps, lists) stay objects and lists, as a JSON file's would: validation writes
  skill_output's as JSON text and keeps an extra column's as a JSON attribute;
- binary values are read as UTF-8 (an invalid byte rejects its row, by field, as in a text file).
Column chunks are read through a buffer, so even a writer's million-row row group is not held whole.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from lens_core.errors import DependencyError, InputError, RowError
from lens_core.ingest.readers.common import Record, RowItem, check_columns, missing_column
from lens_core.ingest.readers.mapping import ColumnMap

BATCH_ROWS = 4096
_READ_BUFFER = 1 << 20


def parquet_rows(source: Any, name: str, mapping: ColumnMap | None = None) -> Iterator[RowItem]:
    """Rows of a Parquet file (a path, or a pyarrow buffer of an upload's bytes). A file whose footer cannot
    be read, or without an evaluation_id column, is refused here, before any row is read."""
    pa, pq = _pyarrow()
    try:
        file = pq.ParquetFile(source, buffer_size=_READ_BUFFER)
        columns = file.schema_arrow.names
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise InputError(f"{name}: not a readable Parquet file ({_reason(exc)}); is it complete?") from None
    renames: dict[str, str | None] = {}
    if mapping is not None:
        header = mapping.header(columns, name)  # None: a column the mapping leaves unread
        renames = {column: field for column, field in zip(columns, header) if column != field}
        columns = [c for c in header if c is not None]
    missing = check_columns(columns, name)
    if file.metadata.num_rows == 0:
        raise InputError(f"{name}: the file names the columns but holds no rows")
    return _records(file, name, missing, pa.ArrowException, renames)


def _pyarrow() -> tuple[Any, Any]:
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise DependencyError("reading Parquet files", "pyarrow") from None
    return pyarrow, pyarrow.parquet


def _records(file: Any, name: str, missing: list[str], arrow_error: type[Exception],
             renames: dict[str, str | None]) -> Iterator[RowItem]:
    """Row group by row group: damage in one costs the rest of that group only (its row count is in the
    footer, so the rows after it keep their numbers)."""
    first = 1  # the number of the group's first row
    groups = file.metadata.num_row_groups
    for group in range(groups):
        size, row = file.metadata.row_group(group).num_rows, first - 1
        batches = file.iter_batches(batch_size=BATCH_ROWS, row_groups=[group])
        while True:
            try:
                batch = next(batches, None)
            except (arrow_error, OSError, ValueError) as exc:  # a damaged page: what came before it stays
                end = first + size - 1
                yield row + 1, RowError(
                    f"the Parquet data is damaged: rows {row + 1:,} to {end:,} (row group {group + 1} of {groups}) "
                    f"could not be read ({_reason(exc)})", source=name, row=row + 1)
                break
            if batch is None:
                break
            for record in _batch_records(batch, renames):
                row += 1
                yield row, missing_column(missing, name, row) if missing else record
        first += size


def _batch_records(batch: Any, renames: dict[str, str | None]) -> list[Record]:
    kept = [(i, renames.get(n, n)) for i, n in enumerate(batch.schema.names) if renames.get(n, n) is not None]
    names = [key for _, key in kept]
    columns = [_values(batch.column(i)) for i, _ in kept]
    return [{key: value for key, value in zip(names, values) if value is not None} for values in zip(*columns)]


def _values(column: Any) -> list[Any]:
    """A column as Python values. Text, whole numbers and booleans are as pyarrow gives them; times are
    written as text by Arrow itself (five times faster than a datetime per value); the rest (floats,
    nested values, binary) get a pass of their own."""
    import pyarrow
    import pyarrow.compute as pc
    from pyarrow import types

    if types.is_dictionary(column.type):
        column = column.dictionary_decode()
    kind = column.type
    if types.is_string(kind) or types.is_large_string(kind):
        try:
            return column.to_pylist()
        except UnicodeDecodeError:  # a writer that put bytes in a text column: the bad byte rejects its row
            return [_plain(value) for value in column.cast(pyarrow.binary()).to_pylist()]
    if types.is_integer(kind) or types.is_boolean(kind):
        return column.to_pylist()
    if types.is_timestamp(kind) or types.is_date(kind) or types.is_time(kind):
        text = column.cast(pyarrow.string())  # "2024-05-01 10:00:00.000+0200": the instant, its offset kept
        return pc.replace_substring(text, " ", "T", max_replacements=1).to_pylist()
    return [_plain(value, top=True) for value in column.to_pylist(maps_as_pydicts="lossy")]


def _plain(value: Any, *, top: bool = False) -> Any:
    """A value as the JSON reader would hand it over: text, numbers, booleans, objects, lists, None."""
    if isinstance(value, float):
        return None if top and math.isnan(value) else value
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", errors="surrogateescape")
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return value


def _reason(exc: Exception) -> str:
    text = "".join(c if c.isprintable() else " " for c in str(exc))  # pyarrow may quote a damaged byte
    text = " ".join(text.split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:200] + "..."
