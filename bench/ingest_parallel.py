"""Several `lens ingest` processes at once on overlapping files: throughput, and every event stored once.

    python bench/ingest_parallel.py [--files 4] [--events-per-file 25000] [--overlap 0.1] [--procs 1,2,4]
                                    [--db sqlite,postgres] [--out bench/results/ingest_parallel.json]

Writes --files CSV files of sample telemetry; each holds its own events plus --overlap of its rows taken
from the next file's own events (so with 4 x 25,000 rows and 10%: 100,000 rows, 90,000 distinct
evaluation_ids), rows shuffled within each file. For each database and each process count N, a fresh
database is migrated first (`open_engine`), then N processes `.venv/bin/python -m lens_core.cli ingest
FILE...` start at once (DATABASE_URL in their environment; the files dealt round-robin, so N=1 ingests
all of them one after the other) and the wall time from the first start to the last exit is measured.
Checks: every process exits 0, stored rows == distinct evaluation_ids == expected, and the accepted
counts the processes print add up to the rows stored (each event accepted exactly once). Each lens
process also parses with its own worker pool (lens_core.ingest.parallel; LENS_INGEST_WORKERS). Prints a
table and the machine, and writes JSON.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.benchlib import DEFAULT_PG_URL, PYTHON, RESULTS, fresh_database, machine, machine_line, show, write_json
from lens_core.samples.generator import generate, write_events
from lens_core.storage.engine import open_engine
from lens_core.storage.models import TelemetryEventRow

SUMMARY = re.compile(r"^(?P<file>\S+): (?P<accepted>\d+) accepted, (?P<duplicates>\d+) duplicates, "
                     r"(?P<rejected>\d+) rejected \((?P<seconds>[\d.]+) s\)")


def write_files(folder: Path, files: int, per_file: int, overlap: float, seed: int) -> tuple[list[Path], int]:
    """Files whose last `overlap` share of rows are the next file's own events; returns (paths, distinct ids)."""
    shared = int(per_file * overlap)
    own = per_file - shared
    events, _ = generate(own * files, seed)
    blocks = [events[i * own:(i + 1) * own] for i in range(files)]
    paths = []
    for i in range(files):
        rows = blocks[i] + blocks[(i + 1) % files][:shared]
        random.Random(seed + i).shuffle(rows)
        paths.append(write_events(folder / f"part{i}.csv", rows))
    return paths, own * files


def run_ingests(url: str, groups: list[list[Path]]) -> tuple[float, list[dict[str, Any]]]:
    env = {**os.environ, "DATABASE_URL": url}
    started = time.perf_counter()
    procs = [subprocess.Popen([str(PYTHON), "-m", "lens_core.cli", "ingest", *map(str, group)], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for group in groups]
    outputs = [(p, *p.communicate()) for p in procs]
    wall = time.perf_counter() - started
    reports = []
    for proc, out, err in outputs:
        lines = [m.groupdict() for m in map(SUMMARY.match, out.splitlines()) if m]
        reports.append({"rc": proc.returncode, "files": lines,
                        "error": err.strip().splitlines()[-1] if proc.returncode and err.strip() else None})
    return wall, reports


def stored(url: str) -> tuple[int, int]:
    engine = open_engine(url)
    table = TelemetryEventRow.__table__
    with engine.connect() as conn:
        rows = conn.execute(select(func.count()).select_from(table)).scalar_one()
        distinct = conn.execute(select(func.count(table.c.evaluation_id.distinct()))).scalar_one()
    engine.dispose()
    return rows, distinct


def measure(db: str, n: int, paths: list[Path], expected: int, args: argparse.Namespace) -> dict[str, Any]:
    groups = [paths[i::n] for i in range(n)]
    with fresh_database(db, pg_url=args.pg_url, tag=f"_{n}") as url:
        open_engine(url).dispose()  # migrated before the clock starts
        wall, reports = run_ingests(url, groups)
        rows, distinct = stored(url)
    lines = [line for r in reports for line in r["files"]]
    accepted = sum(int(line["accepted"]) for line in lines)
    duplicates = sum(int(line["duplicates"]) for line in lines)
    failed = [r["error"] for r in reports if r["rc"] != 0]
    total_rows = len(paths) * args.events_per_file
    ok = not failed and rows == distinct == expected == accepted and accepted + duplicates == total_rows
    return {"db": db, "procs": n, "files_per_proc": len(groups[0]), "wall_s": round(wall, 2),
            "rows_in_files": total_rows, "events/s": round(total_rows / wall), "stored": rows, "distinct": distinct,
            "expected": expected, "accepted_sum": accepted, "duplicates_sum": duplicates,
            "failed_procs": len(failed), "ok": ok, "errors": failed,
            "per_file_s": [float(line["seconds"]) for line in lines]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--events-per-file", type=int, default=25_000)
    parser.add_argument("--overlap", type=float, default=0.1)
    parser.add_argument("--procs", default="1,2,4")
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--out", type=Path, default=RESULTS / "ingest_parallel.json")
    args = parser.parse_args()

    info = machine()
    print(machine_line(info))
    rows = []
    with tempfile.TemporaryDirectory(prefix="lens-ingest-") as tmp:
        paths, expected = write_files(Path(tmp), args.files, args.events_per_file, args.overlap, args.seed)
        print(f"{args.files} files x {args.events_per_file} rows, overlap {args.overlap:.0%}: "
              f"{expected} distinct evaluation_ids; "
              f"LENS_INGEST_WORKERS={os.environ.get('LENS_INGEST_WORKERS', 'default')}")
        for db in args.db.split(","):
            for n in map(int, args.procs.split(",")):
                rows.append(measure(db, n, paths, expected, args))
                print(f"  {db} x{n}: {rows[-1]['wall_s']} s, ok={rows[-1]['ok']}", flush=True)
    info["loadavg_at_end"] = os.getloadavg()
    show("concurrent `lens ingest` processes", [{k: v for k, v in r.items() if k not in ("errors", "per_file_s")}
                                               for r in rows])
    for r in rows:
        for error in r["errors"]:
            print(f"{r['db']} x{r['procs']}: {error}")
    write_json(args.out, {"machine": info, "args": vars(args), "runs": rows})


if __name__ == "__main__":
    main()
