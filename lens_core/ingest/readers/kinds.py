"""What a telemetry file is: its format (csv, json, jsonl, parquet) and its compression (gzip, zstd, none).

The name's suffixes say it first ("telemetry.csv.gz"). The bytes have the last word where the name lies:
gzip (1f 8b) and zstd (28 b5 2f fd) data are decompressed whatever the name says, and "PAR1" is Parquet.
Where the name says no format (or only a compression: "export.gz"), the text does: "[" or "{" opens JSON,
a first line that names evaluation_id is CSV.
"""

from __future__ import annotations

import re
from pathlib import PurePath

FORMATS = {".csv": "csv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
COMPRESSIONS = {".gz": "gzip", ".zst": "zstd"}
PARQUET_MAGIC = b"PAR1"
ACCEPTED = (".csv, .json, .jsonl (or .ndjson) and .parquet files, and .csv, .json and .jsonl compressed with "
            "gzip (.csv.gz) or zstd (.csv.zst)")
_EVALUATION_ID = re.compile(r"(^|[,;\t|\"])\s*evaluation_id\s*($|[,;\t|\"])")


def named_format(name: str) -> str | None:
    """The format the name's suffixes give, looking past a compression suffix; None if they give none."""
    suffixes = [suffix.lower() for suffix in PurePath(name).suffixes]
    if suffixes and suffixes[-1] in COMPRESSIONS:
        suffixes.pop()
    return FORMATS.get(suffixes[-1]) if suffixes else None


def named_compression(name: str) -> str | None:
    suffixes = PurePath(name).suffixes
    return COMPRESSIONS.get(suffixes[-1].lower()) if suffixes else None


def text_format(head: str) -> str | None:
    """The format of a text by its start: JSON by its first character, CSV by a header naming evaluation_id."""
    start = head.lstrip(" \t\r\n")[:1]
    if start == "[":
        return "json"
    if start == "{":
        return "jsonl" if "\n{" in head else "json"
    first_line = head.lstrip("\r\n").split("\n", 1)[0]
    return "csv" if _EVALUATION_ID.search(first_line) else None


def unknown_type(name: str) -> str:
    return f"{name}: unknown file type; lens reads {ACCEPTED}"
