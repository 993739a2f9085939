"""Load on the REST API: a real `uvicorn api:app` server, driven by N concurrent clients for T seconds.

    .venv/bin/python bench/api_load.py                          # SQLite, then PostgreSQL; 20 clients, 30 s
    .venv/bin/python bench/api_load.py --db sqlite --clients 8 --seconds 8

The server runs in a subprocess on a free loopback port over a fresh database (a SQLite file, or a schema
of its own in the PostgreSQL database at --postgres-url, dropped afterwards), with the hashing embedder.
It is given a few hundred events and one processed run first, so that every read has something to answer.
Then this process drives the clients (asyncio, one keep-alive connection each, httpx2 from
requirements-dev.txt). Each client loops until the time is up, choosing by weight among small writes of
unique events (POST /ingest/batch, POST /ingest/event) and reads (GET /stats/overview, /clusters/top,
/runs, /health).

Prints requests/s and latency p50/p95/p99 per endpoint and overall, and checks what must hold under load:
no 5xx, no connection errors, and no lost events (the events the server said it accepted are the rows
the database gained). Writes bench/results/api_load.json; exits 1 when a check fails.
tests/surface/test_api_load.py runs `drive()` and `check()` for a few seconds on both databases.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import numpy as np
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from lens_core.samples.generator import generate
from lens_core.storage.engine import make_engine, normalise_url

RESULTS = ROOT / "bench" / "results"
DEFAULT_PG_URL = os.environ.get("LENS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
STARTUP_S = 120
REQUEST_TIMEOUT_S = 120.0  # a slow answer is measured, not counted as an error
BATCH_SIZE = 10
# Endpoint -> weight: 40% writes, 60% reads.
MIX: dict[str, int] = {
    "POST /ingest/batch": 2, "POST /ingest/event": 2,
    "GET /stats/overview": 2, "GET /clusters/top": 2, "GET /runs": 1, "GET /health": 1,
}
READ_PATHS = {"GET /stats/overview": "/stats/overview", "GET /clusters/top": "/clusters/top?limit=10",
              "GET /runs": "/runs", "GET /health": "/health"}


# -- the server ---------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve(db_url: str, log_path: Path) -> Iterator[str]:
    """`uvicorn api:app` over `db_url` on a free loopback port; yields its base URL, stops it afterwards."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": db_url, "EMBEDDING_BACKEND": "hashing", "LOG_LEVEL": "WARNING",
           "MIN_CLUSTER_SIZE": "5", "MIN_SAMPLES": "3", "PYTHONPATH": str(ROOT)}
    env.pop("LENS_API_KEY", None)
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "api:app", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_until_up(base, proc, log_path)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=60)


def _wait_until_up(base: str, proc: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited: {log_path.read_text()}")
        try:
            with urllib.request.urlopen(base + "/health", timeout=5):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise RuntimeError(f"the server did not answer in {STARTUP_S} s: {log_path.read_text()}")


def prepare(base: str, n: int = 300, seed: int = 5, timeout: float = 600.0) -> int:
    """Store `n` sample events and process them through the API (so reads have a run); returns the run id."""
    events, _ = generate(n, seed=seed)
    with httpx2.Client(base_url=base, timeout=REQUEST_TIMEOUT_S) as client:
        report = client.post("/ingest/batch", json={"events": events})
        report.raise_for_status()
        accepted = client.post("/pipeline/process", json={"algorithm": "hdbscan", "min_cluster_size": 5})
        accepted.raise_for_status()
        job_id = accepted.json()["job_id"]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = client.get(f"/pipeline/jobs/{job_id}").json()
            if job["state"] == "completed":
                return int(job["run_id"])
            if job["state"] == "failed":
                raise RuntimeError(f"the preparing run failed: {job}")
            time.sleep(0.3)
    raise RuntimeError(f"the preparing run took over {timeout:.0f} s")


# -- the clients ----------------------------------------------------------------------------------------


@dataclass
class Load:
    """What the clients saw: one (endpoint, seconds, outcome) per request, and what writes were told."""

    calls: list[tuple[str, float, str]] = field(default_factory=list)  # outcome: "200", "503", "ConnectError"
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    wall_s: float = 0.0


class EventSource:
    """Sample events with fresh evaluation_ids: every write is of events the server has never seen."""

    def __init__(self, seed: int) -> None:
        self.templates, _ = generate(500, seed=seed)
        self.prefix = f"load-{uuid.uuid4().hex[:8]}"
        self.next = 0

    def take(self, n: int) -> list[dict[str, Any]]:
        out = []
        for _ in range(n):
            event = dict(self.templates[self.next % len(self.templates)])
            event["evaluation_id"] = f"{self.prefix}-{self.next}"
            self.next += 1
            out.append(event)
        return out


async def _one(client: httpx2.AsyncClient, endpoint: str, source: EventSource, load: Load, batch: int) -> None:
    started = time.perf_counter()
    try:
        if endpoint == "POST /ingest/batch":
            response = await client.post("/ingest/batch", json={"events": source.take(batch)})
        elif endpoint == "POST /ingest/event":
            response = await client.post("/ingest/event", json=source.take(1)[0])
        else:
            response = await client.get(READ_PATHS[endpoint])
    except httpx2.HTTPError as exc:  # connection refused or reset, timeouts: the server failed this client
        load.calls.append((endpoint, time.perf_counter() - started, type(exc).__name__))
        return
    load.calls.append((endpoint, time.perf_counter() - started, str(response.status_code)))
    if response.status_code == 200 and endpoint == "POST /ingest/batch":
        body = response.json()
        load.accepted += body["accepted"]
        load.duplicates += body["duplicates"]
        load.rejected += body["rejected_count"]
    elif response.status_code == 200 and endpoint == "POST /ingest/event":
        if response.json()["status"] == "accepted":
            load.accepted += 1
        else:
            load.duplicates += 1


async def _client(index: int, base: str, deadline: float, source: EventSource, load: Load, batch: int,
                  seed: int) -> None:
    """One client: its first request goes to endpoint `index` of MIX (so that as many clients as endpoints
    reach every one, however slow the server), then by weight until the deadline."""
    rng = random.Random(seed * 1000 + index)
    names, weights = list(MIX), list(MIX.values())
    endpoint = names[index % len(names)]
    limits = httpx2.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx2.AsyncClient(base_url=base, timeout=REQUEST_TIMEOUT_S, limits=limits) as client:
        while True:
            await _one(client, endpoint, source, load, batch)
            if time.monotonic() >= deadline:
                return
            endpoint = rng.choices(names, weights)[0]


async def _drive(base: str, clients: int, seconds: float, batch: int, seed: int) -> Load:
    load, source = Load(), EventSource(seed)
    started = time.monotonic()
    deadline = started + seconds
    await asyncio.gather(*(_client(i, base, deadline, source, load, batch, seed) for i in range(clients)))
    load.wall_s = time.monotonic() - started  # the last requests finish after the deadline: counted in
    return load


def drive(base: str, *, clients: int, seconds: float, batch: int = BATCH_SIZE, seed: int = 1) -> Load:
    """`clients` concurrent clients on `base` for `seconds`; returns every request's outcome."""
    return asyncio.run(_drive(base, clients, seconds, batch, seed))


# -- what it means --------------------------------------------------------------------------------------


def stored_events(db_url: str) -> int:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM telemetry_events")).scalar_one())
    finally:
        engine.dispose()


def _row(calls: list[tuple[str, float, str]], wall_s: float) -> dict[str, Any]:
    ms = np.array([seconds * 1000 for _, seconds, _ in calls]) if calls else np.zeros(1)
    outcomes: dict[str, int] = {}
    for _, _, outcome in calls:
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return {
        "requests": len(calls),
        "rps": round(len(calls) / wall_s, 1) if wall_s else 0.0,
        "p50_ms": round(float(np.percentile(ms, 50)), 1),
        "p95_ms": round(float(np.percentile(ms, 95)), 1),
        "p99_ms": round(float(np.percentile(ms, 99)), 1),
        "max_ms": round(float(ms.max()), 1),
        "outcomes": dict(sorted(outcomes.items())),
        "errors_5xx": sum(n for o, n in outcomes.items() if o.isdigit() and int(o) >= 500),
        "connection_errors": sum(n for o, n in outcomes.items() if not o.isdigit()),
        "other_non_2xx": sum(n for o, n in outcomes.items() if o.isdigit() and int(o) < 500 and o[0] != "2"),
    }


def summarise(load: Load) -> dict[str, Any]:
    """Per endpoint and overall: requests, requests/s, latency percentiles and outcomes."""
    per = {name: _row([c for c in load.calls if c[0] == name], load.wall_s) for name in MIX}
    return {"endpoints": per, "overall": _row(load.calls, load.wall_s)}


def check(load: Load, rows_gained: int) -> list[str]:
    """What must hold under load; each broken rule is one line (empty: all held)."""
    overall = summarise(load)["overall"]
    problems = []
    if overall["errors_5xx"]:
        problems.append(f"{overall['errors_5xx']} answers were 5xx: {overall['outcomes']}")
    if overall["connection_errors"]:
        problems.append(f"{overall['connection_errors']} requests got no answer: {overall['outcomes']}")
    if overall["other_non_2xx"]:
        problems.append(f"{overall['other_non_2xx']} answers were neither 2xx nor 5xx: {overall['outcomes']}")
    if load.duplicates or load.rejected:
        problems.append(f"unique events reported as {load.duplicates} duplicates and {load.rejected} rejected")
    if rows_gained != load.accepted:
        problems.append(f"the server accepted {load.accepted} events but the database gained {rows_gained} rows")
    if not load.calls:
        problems.append("no request was made")
    return problems


# -- one database ----------------------------------------------------------------------------------------


@contextmanager
def fresh_database(db: str, postgres_url: str, folder: Path) -> Iterator[str]:
    """A SQLite file in `folder`, or a new schema in the PostgreSQL database (dropped afterwards)."""
    if db == "sqlite":
        yield f"sqlite:///{folder / 'api-load.db'}"
        return
    schema = f"lens_bench_{uuid.uuid4().hex[:12]}"
    admin = make_engine(postgres_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in postgres_url else "?"
    try:
        yield normalise_url(postgres_url) + f"{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def run_case(db: str, *, clients: int, seconds: float, batch: int, postgres_url: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="lens-api-load-") as tmp, \
            fresh_database(db, postgres_url, Path(tmp)) as url, serve(url, Path(tmp) / "server.log") as base:
        run_id = prepare(base)
        before = stored_events(url)
        load = drive(base, clients=clients, seconds=seconds, batch=batch)
        gained = stored_events(url) - before
        problems = check(load, gained)
        if problems:
            problems.append("server log tail: " + (Path(tmp) / "server.log").read_text()[-2000:])
    return {"db": db, "clients": clients, "seconds": seconds, "batch_size": batch, "prepared_run": run_id,
            "events_accepted": load.accepted, "rows_gained": gained, "wall_s": round(load.wall_s, 2),
            **summarise(load), "problems": problems}


def print_case(result: dict[str, Any]) -> None:
    print(f"\n{result['db']}: {result['clients']} clients for {result['seconds']:.0f} s "
          f"({result['wall_s']:.1f} s with the last answers), batches of {result['batch_size']}; "
          f"{result['events_accepted']} events accepted, {result['rows_gained']} rows stored")
    print(f"{'endpoint':<22}{'requests':>9}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'5xx':>6}{'conn err':>10}")
    rows = [*result["endpoints"].items(), ("overall", result["overall"])]
    for name, r in rows:
        print(f"{name:<22}{r['requests']:>9}{r['rps']:>8.1f}{r['p50_ms']:>9.1f}{r['p95_ms']:>9.1f}"
              f"{r['p99_ms']:>9.1f}{r['errors_5xx']:>6}{r['connection_errors']:>10}")
    for problem in result["problems"]:
        print(f"PROBLEM: {problem}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--batch", type=int, default=BATCH_SIZE, help="events per POST /ingest/batch")
    parser.add_argument("--postgres-url", default=DEFAULT_PG_URL)
    parser.add_argument("--out", type=Path, default=RESULTS / "api_load.json")
    args = parser.parse_args(argv)
    dbs = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    machine = {"cores": os.cpu_count(), "python": platform.python_version(), "loadavg_at_start": os.getloadavg(),
               "date": time.strftime("%Y-%m-%d %H:%M")}
    print(f"machine: {machine['cores']} cores, Python {machine['python']}, load average at start "
          + ", ".join(f"{x:.2f}" for x in machine["loadavg_at_start"]))
    results = []
    for db in dbs:
        result = run_case(db, clients=args.clients, seconds=args.seconds, batch=args.batch,
                          postgres_url=args.postgres_url)
        print_case(result)
        results.append(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"machine": machine, "mix": MIX, "results": results}, indent=2) + "\n")
    print(f"\nwrote {args.out}")
    return 1 if any(r["problems"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
