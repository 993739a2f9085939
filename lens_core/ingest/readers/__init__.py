"""Readers for telemetry files: CSV, JSON (an array or {"events": [...]}), JSON Lines and Parquet, the
text formats also compressed with gzip or zstd. Every one streams: a file is never held whole (but for an
OTLP trace export, see otlp.py), so memory stays bounded whatever the file's size.

Each reader yields `(row_number, record)` where record is a dict, or a RowError for a row that could not
even be read; a broken row never stops the rows after it. Problems with the file as a whole (missing,
empty, binary, of no known type, without an evaluation_id column) raise InputError before anything is
yielded. Compressed data that stops partway (a cut-off download) keeps every row before the damage and
ends with one RowError saying where it stopped.

    kinds.py       the file's format and compression, from its name and its first bytes
    compressed.py  its bytes, block by block (plain, gzip, zstd), and Damaged
    text.py        its text, block by block: the encoding, binary and empty files
    csv_rows.py, json_rows.py, parquet.py   the rows of each format
    mapping.py     which column is which lens field (--map pairs, saved mappings, guesses), for every format
    otlp.py        OTLP JSON trace exports: failed GenAI tool spans as events (found by content in JSON)
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from lens_core.errors import InputError, RowError
from lens_core.ingest.readers.common import REQUIRED_COLUMNS, Record, RowItem
from lens_core.ingest.readers.compressed import Damaged, byte_blocks, compression_of
from lens_core.ingest.readers.csv_rows import csv_rows
from lens_core.ingest.readers.json_rows import json_rows, jsonl_rows
from lens_core.ingest.readers.kinds import (
    ACCEPTED,
    PARQUET_MAGIC,
    named_format,
    text_format,
    unknown_type,
)
from lens_core.ingest.readers.mapping import ColumnMap
from lens_core.ingest.readers.parquet import parquet_rows
from lens_core.ingest.readers.text import Text

__all__ = ["ACCEPTED", "FORMAT_NAMES", "REQUIRED_COLUMNS", "ColumnMap", "Record", "RowItem",
           "read_bytes", "read_file"]

FORMAT_NAMES = ("csv", "json", "jsonl", "parquet")


def read_file(path: str | Path, *, mapping: ColumnMap | None = None) -> Iterator[RowItem]:
    """Rows of a file on disk, read as they are needed (the file stays open until they are all read).
    mapping: which columns are which fields (readers.mapping); None guesses from common names."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a telemetry file")
    handle = path.open("rb")
    try:
        rows = _rows(handle, name=path.name, fmt=None, whole=str(path), mapping=mapping or ColumnMap())
    except BaseException:
        handle.close()
        raise
    return _closing(rows, handle)


def read_bytes(
    data: bytes, *, name: str, fmt: str | None = None, mapping: ColumnMap | None = None
) -> Iterator[RowItem]:
    """Rows of a file held in memory (an upload, a request's body). `fmt` (csv, json, jsonl, parquet)
    overrides the format that the name and the content give; compression is always told by the bytes."""
    return _rows(io.BytesIO(data), name=name, fmt=fmt, whole=data, mapping=mapping or ColumnMap())


def _closing(rows: Iterator[RowItem], handle: BinaryIO) -> Iterator[RowItem]:
    with handle:
        yield from rows


def _rows(
    raw: BinaryIO, *, name: str, fmt: str | None, whole: str | bytes, mapping: ColumnMap
) -> Iterator[RowItem]:
    if fmt is not None and fmt not in FORMAT_NAMES:
        raise InputError(f"{name}: unknown format {fmt!r}; lens reads {', '.join(FORMAT_NAMES)}")
    magic = raw.read(8)
    raw.seek(0)
    compression = compression_of(magic)
    if magic.startswith(PARQUET_MAGIC) or (compression is None and (fmt or named_format(name)) == "parquet"):
        return parquet_rows(_arrow_source(whole), name, mapping)
    blocks = byte_blocks(raw, compression)
    if compression:
        blocks = _not_parquet(blocks, name, compression)
    try:
        text = Text(blocks, name)
        fmt = fmt or named_format(name) or text_format(text.head)
        if fmt is None:
            raise InputError(unknown_type(name))
        if fmt == "parquet":
            raise InputError(f"{name}: {compression}-compressed Parquet; Parquet compresses its own data, so "
                             "ingest the .parquet file as it is")
        return _until_damage(_text_rows(text, fmt, name, mapping), name)
    except Damaged as exc:  # the header itself was cut
        raise InputError(f"{name}: {exc.describe('before the first row')}") from None


def _arrow_source(whole: str | bytes) -> object:
    if isinstance(whole, str):
        return whole  # a path: pyarrow reads it itself
    import pyarrow

    return pyarrow.BufferReader(whole)  # an upload's bytes, without a copy


def _not_parquet(blocks: Iterator[bytes], name: str, compression: str) -> Iterator[bytes]:
    """The decompressed bytes, refused at once when they are Parquet (which is compressed inside)."""
    first = next(blocks, b"")
    if first.startswith(PARQUET_MAGIC):
        raise InputError(f"{name}: {compression}-compressed Parquet; Parquet compresses its own data, so "
                         "ingest the .parquet file as it is")
    yield first
    yield from blocks


def _text_rows(text: Text, fmt: str, name: str, mapping: ColumnMap) -> Iterator[RowItem]:
    if fmt == "csv":
        return csv_rows(text, name, mapping)
    if fmt == "jsonl":
        return mapping.records(jsonl_rows(text.blocks(), name), name)
    return mapping.records(json_rows(text, name), name)


def _until_damage(rows: Iterator[RowItem], name: str) -> Iterator[RowItem]:
    """The rows, and where compressed data stopped making sense: after the last row read whole."""
    last = 0
    try:
        for row, item in rows:
            last = row
            yield row, item
    except Damaged as exc:
        if not last:
            raise InputError(f"{name}: {exc.describe('before the first row')}") from None
        yield last + 1, RowError(exc.describe(f"after row {last}"), source=name, row=last + 1)
