"""Concurrent writers, on SQLite and PostgreSQL: four `lens ingest` processes at once on overlapping files.

Each file holds 3,000 events; neighbouring files share half of their evaluation_ids, and each file is in
its own order, so the writers meet on the same rows (and on the same fingerprints) in different orders.
The database starts empty, so the four processes also race to create the schema. Whatever the
interleaving, every process must end well, every evaluation_id must be stored exactly once, and the
reports must add up: the accepted rows of the four reports are the union, the rest are duplicates.

One case leaves the parsing worker processes at their default (one per core), the other parses in the
ingesting process (LENS_INGEST_WORKERS=0), so that its chunks' transactions interleave differently.
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import text

from lens_core.samples.generator import generate, write_events
from lens_core.storage.engine import make_engine
from tests.stage.test_crash import LENS, assert_consistent, lens_env

WRITERS = 4
PER_FILE = 3000
SHARED = PER_FILE // 2  # each file shares this many ids with the next one
DEADLINE_S = 600.0  # generous: the machine is shared; how long a step takes never decides the outcome
REPORT = re.compile(r"^(?P<file>\S+): (?P<accepted>\d+) accepted, (?P<duplicates>\d+) duplicates, "
                    r"(?P<rejected>\d+) rejected", re.MULTILINE)


@pytest.fixture(scope="module")
def overlapping_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], set[str]]:
    """Four CSV files of 3,000 events, file i = events [1500 i, 1500 i + 3000), each shuffled its own way."""
    union = SHARED * (WRITERS - 1) + PER_FILE
    events, _ = generate(union, seed=17)
    folder = tmp_path_factory.mktemp("concurrent")
    paths = []
    for i in range(WRITERS):
        rows = list(events[SHARED * i : SHARED * i + PER_FILE])
        random.Random(i).shuffle(rows)
        paths.append(write_events(folder / f"part{i}.csv", rows))
    ids = {e["evaluation_id"] for e in events}
    assert len(ids) == union
    return paths, ids


def start_ingest(path: Path, db_url: str, cwd: Path, workers: str | None) -> subprocess.Popen:
    env = lens_env(db_url)
    env.pop("LENS_INGEST_WORKERS", None)
    if workers is not None:
        env["LENS_INGEST_WORKERS"] = workers
    return subprocess.Popen(LENS + ["ingest", str(path)], cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def finish(procs: list[subprocess.Popen]) -> list[tuple[int, str, str]]:
    """Every process's exit code, stdout and stderr; process groups still alive at the deadline are killed."""
    results = []
    try:
        for proc in procs:
            out, err = proc.communicate(timeout=DEADLINE_S)
            results.append((proc.returncode, out, err))
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.communicate(timeout=60)
    return results


@pytest.mark.parametrize("workers", [None, "0"], ids=["default-workers", "inline-parsing"])
def test_four_concurrent_ingests_of_overlapping_files_store_each_event_once(
    db_url: str, tmp_path: Path, overlapping_files: tuple[list[Path], set[str]], workers: str | None
) -> None:
    paths, union = overlapping_files
    procs = [start_ingest(path, db_url, tmp_path, workers) for path in paths]  # on an empty database
    results = finish(procs)

    reports = {}
    for path, (code, out, err) in zip(paths, results, strict=True):
        both = out + err
        assert code == 0, f"{path.name} exited {code}: {both}"
        assert "database is locked" not in both and "Traceback" not in both and "deadlock" not in both, both
        (found,) = [m.groupdict() for m in REPORT.finditer(out)]
        assert found["file"] == path.name and found["rejected"] == "0", out
        reports[path.name] = (int(found["accepted"]), int(found["duplicates"]))
        assert sum(reports[path.name]) == PER_FILE

    assert sum(accepted for accepted, _ in reports.values()) == len(union), reports
    assert sum(dups for _, dups in reports.values()) == WRITERS * PER_FILE - len(union)
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            total, distinct = conn.execute(
                text("SELECT count(*), count(DISTINCT evaluation_id) FROM telemetry_events")).one()
            stored = set(conn.execute(text("SELECT evaluation_id FROM telemetry_events")).scalars())
        assert total == distinct == len(union) and stored == union
        assert_consistent(engine)
    finally:
        engine.dispose()
