"""Ingest with worker processes stores exactly what ingest in one process stores, in the same order."""

from __future__ import annotations

import os
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool

import pandas as pd
import sqlalchemy as sa

from lens_core.ingest import parallel
from lens_core.ingest.ingestor import CHUNK_SIZE, ingest_file
from lens_core.samples import write_samples
from lens_core.storage.engine import open_engine

COLUMNS = "evaluation_id, plugin, endpoint_template, status_code, error_code, error_type, error_message, fingerprint"


def _stored(engine) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.read_sql(sa.text(f"select {COLUMNS} from telemetry_events order by id"), conn)


def test_workers_store_the_same_rows_as_one_process(tmp_path) -> None:
    path, _ = write_samples(tmp_path / "events.csv", n=CHUNK_SIZE * 2 + 500, seed=5)
    results = {}
    for workers in (0, 1, 2):
        engine = open_engine(f"sqlite:///{tmp_path / f'w{workers}.db'}")
        report = ingest_file(path, engine=engine, workers=workers)
        assert report.accepted == CHUNK_SIZE * 2 + 500 and not report.rejected
        results[workers] = _stored(engine)
        engine.dispose()
    pd.testing.assert_frame_equal(results[0], results[1])  # a pool of one worker
    pd.testing.assert_frame_equal(results[0], results[2])


def test_one_chunk_is_parsed_without_a_pool(monkeypatch) -> None:
    def no_pool(*_args, **_kwargs):
        raise AssertionError("a pool was started for one chunk")

    monkeypatch.setattr(parallel, "_in_pool", no_pool)
    chunk = [_event("a"), _event("b")]
    (got_chunk, parsed), = list(parallel.parse_chunks(iter([chunk]), workers=4))
    assert got_chunk is chunk and len(parsed) == 2 and parsed[0][1].hash


def test_a_broken_pool_parses_in_this_process() -> None:
    future: Future = Future()
    future.set_exception(BrokenProcessPool("worker killed"))
    chunk = [_event("a")]
    got_chunk, parsed = parallel._result((chunk, future))
    assert got_chunk is chunk and parsed == parallel.parse_pairs([(chunk[0].skill_output, chunk[0].skill_input)])


def test_worker_count_comes_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("LENS_INGEST_WORKERS", "3")
    assert parallel.default_workers() == 3
    monkeypatch.setenv("LENS_INGEST_WORKERS", "many")
    assert parallel.default_workers() == min(max((os.cpu_count() or 1) - 1, 0), parallel.MAX_WORKERS)


def _event(evaluation_id: str):
    from lens_core.ingest.validate import validate_record

    return validate_record({"evaluation_id": evaluation_id, "customer_prompt": "book a room",
                            "skill_output": '{"status": 401, "message": "expired"}'},
                           source="t", row=1, max_chars=1000)
