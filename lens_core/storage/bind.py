"""Values as a database driver takes them, computed without a connection (ingest's workers bind rows
for the INSERTs that the calling process runs). Imports SQLAlchemy only: a worker starts fast."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

IN_CHUNK = 900  # ids per IN (...) list: under SQLite's oldest limit on bound parameters per statement (999)


def bind_rows(dialect: Any, table: Any, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows with each value as `dialect`'s driver takes it: through its column type's bind processor
    (SQLite's date-time text, JSON text), as SQLAlchemy sends values everywhere else."""
    processors = [table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns]
    return _processed(rows, processors) if rows and any(processors) else rows


def _processed(rows: list[tuple[Any, ...]], processors: list[Any]) -> list[tuple[Any, ...]]:
    """Rows with each value through its column's bind processor, None kept. Column by column: a chunk of
    thousands of rows costs a few C-level zips instead of a Python generator per row."""
    columns = list(zip(*rows, strict=True))
    for i, process in enumerate(processors):
        if process is not None:
            values = columns[i]
            first = values[0]
            if all(v is first for v in values):  # one value for every row (ingested_at): processed once
                columns[i] = (None if first is None else process(first),) * len(values)
            else:
                columns[i] = tuple(None if v is None else process(v) for v in values)
    return list(zip(*columns, strict=True))
