"""Ingest of Parquet, gzip-compressed CSV and JSON documents beside plain CSV of the same events: size, time,
peak memory.

    python bench/ingest_formats.py [--events 1000000] [--small 200000] [--chunk 20000] [--workers N]
                                   [--seed 7] [--out bench/results/ingest_formats.json]

Writes --events sample events (generated --chunk at a time, never all held; each chunk's ids tagged so
that chunks cannot collide) as plain CSV, .csv.gz and Parquet (a row group per chunk) into a temporary
folder, in one pass, and as a JSON document (an array, one event a line) plain and .json.gz; then does the
same at --small events (0: skip). Each file is ingested by a fresh
Python process (`lens_core.ingest.ingestor.ingest_file`, what `lens ingest` calls, with its worker pool)
into a fresh SQLite file, and the table shows: format, file size, events stored, seconds, events/s and
the peak RSS of that ingesting process (its own high-water mark: getrusage RUSAGE_SELF; the worker
processes each hold a few chunks at a time and are not counted). The readers stream, so the peak stays
about the same at both sizes instead of growing with the file.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.benchlib import PYTHON, RESULTS, machine, machine_line, show, write_json

COLUMNS = ["evaluation_id", "customer_prompt", "skill_input", "skill_output", "ai_output", "timestamp", "user_id",
           "tenant_id", "client", "release"]  # as lens_core.samples.generator.write_events orders them
FORMATS = ("csv", "csv.gz", "parquet", "json", "json.gz")
# The ingest of one file, in a process of its own: its peak RSS is the ingest's alone.
DRIVER = """
import json, resource, sys, time
from lens_core.ingest.ingestor import ingest_file
from lens_core.storage.engine import open_engine
path, url, workers = sys.argv[1], sys.argv[2], sys.argv[3]
engine = open_engine(url)
started = time.perf_counter()
report = ingest_file(path, engine=engine, workers=None if workers == "default" else int(workers))
seconds = time.perf_counter() - started
print(json.dumps({"accepted": report.accepted, "duplicates": report.duplicates, "rejected": len(report.rejected),
                  "seconds": seconds, "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def cell(value: Any) -> str:
    if isinstance(value, str):
        return value
    return "" if value is None else json.dumps(value, ensure_ascii=False)


def write_files(folder: Path, events: int, chunk: int, seed: int) -> dict[str, Path]:
    """The same events as CSV, .csv.gz, Parquet, .json and .json.gz, written a chunk at a time."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from lens_core.samples.generator import generate

    paths = {fmt: folder / f"telemetry-{events}.{fmt}" for fmt in FORMATS}
    schema = pa.schema([(c, pa.timestamp("s", tz="UTC") if c == "timestamp" else pa.string()) for c in COLUMNS])
    with paths["csv"].open("w", encoding="utf-8", newline="") as plain, \
            gzip.open(paths["csv.gz"], "wt", encoding="utf-8", newline="", compresslevel=6) as packed, \
            pq.ParquetWriter(paths["parquet"], schema) as parquet, \
            paths["json"].open("w", encoding="utf-8") as document, \
            gzip.open(paths["json.gz"], "wt", encoding="utf-8", compresslevel=6) as packed_document:
        writers = [csv.writer(plain, lineterminator="\n"), csv.writer(packed, lineterminator="\n")]
        for writer in writers:
            writer.writerow(COLUMNS)
        documents = (document, packed_document)
        for out in documents:
            out.write("[\n")
        for index, start in enumerate(range(0, events, chunk)):
            batch, _ = generate(min(chunk, events - start), seed=seed + index)
            for event in batch:
                event["evaluation_id"] = f"c{index}-{event['evaluation_id']}"
            rows = [[cell(event.get(c)) for c in COLUMNS] for event in batch]
            for writer in writers:
                writer.writerows(rows)
            columns = {c: [row[i] or None for row in rows] for i, c in enumerate(COLUMNS)}
            columns["timestamp"] = [datetime.fromisoformat(t) for t in columns["timestamp"]]
            parquet.write_table(pa.table(columns, schema=schema))  # one row group per chunk
            text = ",\n".join(json.dumps(event, ensure_ascii=False) for event in batch)
            for out in documents:
                out.write(text if index == 0 else ",\n" + text)
        for out in documents:
            out.write("\n]\n")
    return paths


def ingest(path: Path, folder: Path, workers: str) -> dict[str, Any]:
    url = f"sqlite:///{folder / (path.name + '.db')}"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING"}
    done = subprocess.run([str(PYTHON if PYTHON.exists() else sys.executable), "-c", DRIVER, str(path), url, workers],
                          env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"ingest of {path.name} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(events: int, chunk: int, seed: int, workers: str) -> list[dict[str, Any]]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="lens-formats-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        paths = write_files(folder, events, chunk, seed)
        print(f"wrote {events:,} events in {len(FORMATS)} formats in {time.perf_counter() - started:.0f} s", flush=True)
        for fmt, path in paths.items():
            result = ingest(path, folder, workers)
            rows.append({"events_written": events, "format": fmt, "file_MB": round(path.stat().st_size / 1e6, 1),
                         "events": result["accepted"], "seconds": round(result["seconds"], 1),
                         "events_per_s": round(result["accepted"] / result["seconds"]),
                         "peak_rss_MB": round(result["peak_rss_kb"] / 1024)})
            print(rows[-1], flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=200_000, help="a second, smaller size (0: none)")
    parser.add_argument("--chunk", type=int, default=20_000)
    parser.add_argument("--workers", default="default", help="ingest worker processes (default: lens's own)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=RESULTS / "ingest_formats.json")
    args = parser.parse_args()
    info = machine()
    sizes = sorted({size for size in (args.small, args.events) if size > 0})
    rows = [row for size in sizes for row in measure(size, args.chunk, args.seed, args.workers)]
    print(machine_line(info))
    show("ingest by format (peak RSS: the ingesting process)", rows)
    write_json(args.out, {"machine": info, "args": {k: str(v) for k, v in vars(args).items()}, "rows": rows})


if __name__ == "__main__":
    main()
