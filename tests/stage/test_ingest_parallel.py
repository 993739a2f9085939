"""Ingest with worker processes stores exactly what ingest in one process stores, in the same order."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import time
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool

import pandas as pd
import pytest
import sqlalchemy as sa

from lens_core.ingest import parallel
from lens_core.ingest.ingestor import CHUNK_SIZE, ingest_file
from lens_core.samples.generator import write_samples
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


def _double(chunk: list[int]) -> list[int]:
    return [2 * value for value in chunk]


def test_one_chunk_runs_without_a_pool(monkeypatch) -> None:
    def no_pool(*_args, **_kwargs):
        raise AssertionError("a pool was started for one chunk")

    monkeypatch.setattr(parallel, "_in_pool", no_pool)
    assert list(parallel.map_chunks(_double, iter([[1, 2]]), workers=4)) == [[2, 4]]


def test_chunks_come_back_in_order_from_a_pool() -> None:
    chunks = [[n, n + 1] for n in range(0, 40, 2)]
    assert list(parallel.map_chunks(_double, iter(chunks), workers=2)) == [_double(c) for c in chunks]


def _with_pid(chunk: int) -> tuple[int, int]:
    return chunk, os.getpid()


def test_chunks_run_here_until_the_pool_is_up_then_in_workers() -> None:
    """No waiting for the workers to start: the first chunks run in this process; later ones in the pool."""

    def slow_source():
        yield 0
        yield 1  # a second chunk: the pool starts
        deadline = time.monotonic() + 60
        while not multiprocessing.active_children() and time.monotonic() < deadline:
            time.sleep(0.01)  # the pool's processes are being started
        for n in range(2, 200):
            time.sleep(0.01)
            yield n

    results = list(parallel.map_chunks(_with_pid, slow_source(), workers=2))
    assert [n for n, _ in results] == list(range(200))
    assert results[0][1] == os.getpid()  # before the pool was up
    assert any(pid != os.getpid() for _, pid in results)


def test_a_broken_pool_runs_the_chunk_in_this_process() -> None:
    future: Future = Future()
    future.set_exception(BrokenProcessPool("worker killed"))
    assert parallel._result(_double, ([1, 2], future)) == [2, 4]


def test_a_chunk_that_does_not_pickle_runs_in_this_process() -> None:
    """A Python caller's records may hold values no worker can receive (a lambda, an open file)."""
    chunks = [[1, 2], [lambda: None], [3]]
    results = list(parallel.map_chunks(_count, iter(chunks), workers=1))
    assert results == [2, 1, 1]


def _count(chunk: list) -> int:
    return len(chunk)


def test_worker_count_comes_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("LENS_INGEST_WORKERS", "3")
    assert parallel.default_workers() == 3
    monkeypatch.setenv("LENS_INGEST_WORKERS", "many")
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 2)
    assert parallel.default_workers() == 2
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 1)
    assert parallel.default_workers() == 0  # one core: no pool beside the calling process


def test_rows_already_stored_are_validated_but_not_parsed(tmp_path, monkeypatch) -> None:
    """Re-running a file reports its bad rows again but parses none of the stored ones."""
    from lens_core.ingest import prepare

    path, _ = write_samples(tmp_path / "events.csv", n=300, seed=3)
    engine = open_engine(f"sqlite:///{tmp_path / 'again.db'}")
    first = ingest_file(path, engine=engine, workers=0)
    parsed = []
    real_parse = prepare.ErrorParser.parse

    def counting(self, *args, **kwargs):
        parsed.append(1)
        return real_parse(self, *args, **kwargs)

    monkeypatch.setattr(prepare.ErrorParser, "parse", counting)
    again = ingest_file(path, engine=engine, workers=0)
    assert (again.accepted, again.duplicates) == (0, first.accepted) and not parsed
    assert [(i.row, i.field) for i in again.rejected] == [(i.row, i.field) for i in first.rejected]


def test_a_first_load_looks_up_no_ids_and_later_loads_do(tmp_path, monkeypatch) -> None:
    from lens_core.ingest import ingestor

    monkeypatch.setattr(ingestor, "CHUNK_SIZE", 100)  # three chunks: a first load that is not one request
    looked_up = []
    real_lookup = ingestor._stored_ids
    monkeypatch.setattr(ingestor, "_stored_ids", lambda engine, items: looked_up.append(len(items)) or real_lookup(engine, items))
    path, _ = write_samples(tmp_path / "events.csv", n=300, seed=3)
    engine = open_engine(f"sqlite:///{tmp_path / 'first.db'}")
    first = ingest_file(path, engine=engine, workers=0)
    assert first.accepted > 250 and looked_up == []  # the database held no events: nothing to look up
    again = ingest_file(path, engine=engine, workers=0)
    assert looked_up == [100, 100, 100] and again.duplicates == first.accepted and again.accepted == 0


def test_an_input_of_one_chunk_is_looked_up_without_asking_whether_the_table_is_empty(tmp_path, monkeypatch) -> None:
    """The API's small ingests keep to one query: the emptiness check pays only for inputs of several chunks."""
    from lens_core.ingest import ingestor

    monkeypatch.setattr(ingestor, "_holds_events", lambda engine: pytest.fail("asked for an input of one chunk"))
    path, _ = write_samples(tmp_path / "events.csv", n=300, seed=3)
    engine = open_engine(f"sqlite:///{tmp_path / 'small.db'}")
    first = ingest_file(path, engine=engine, workers=0)
    again = ingest_file(path, engine=engine, workers=0)
    assert first.accepted > 250 and again.accepted == 0 and again.duplicates == first.accepted


_SCRIPT = '''
import multiprocessing, os, sys, time
with open(os.environ["MARKER"], "a") as marker:  # every run of this script leaves its process id
    marker.write(f"{os.getpid()}\\n")
import helper
from lens_core.ingest import parallel

def here(chunk):
    return helper.work(chunk)

def source():
    yield 0
    yield 1  # a second chunk: the pool starts
    while not multiprocessing.active_children():
        time.sleep(0.01)
    yield from range(2, 40)

if __name__ == "__main__":
    function = helper.work if sys.argv[1] == "module" else here
    print(" ".join(str(pid) for pid in sorted(set(parallel.map_chunks(function, source(), workers=2)))))
'''


def _run_script(tmp_path, function: str) -> tuple[set[int], list[int]]:
    """Worker process ids that ran the chunks, and the processes that ran the main script."""
    (tmp_path / "main.py").write_text(_SCRIPT)
    (tmp_path / "helper.py").write_text("import os, time\n\ndef work(chunk):\n    time.sleep(0.01)\n    return os.getpid()\n")
    marker = tmp_path / f"marker-{function}"
    env = {**os.environ, "MARKER": str(marker), "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, str(tmp_path / "main.py"), function], capture_output=True, text=True,
                          env=env, timeout=120, check=True)
    main_pid, *_ = map(int, marker.read_text().split())
    return set(map(int, done.stdout.split())) - {main_pid}, list(map(int, marker.read_text().split()))[1:]


def test_workers_do_not_run_the_callers_main_script_again(tmp_path) -> None:
    """multiprocessing runs the caller's main script in every worker it starts; a heavy one cost each
    ingest worker seconds. Workers forked by lens's fork server load it only when a chunk needs it."""
    workers, reruns = _run_script(tmp_path, "module")
    assert workers  # chunks ran in worker processes ...
    assert reruns == []  # ... and none of them ran main.py


def test_a_function_from_the_main_script_still_runs_in_workers(tmp_path) -> None:
    workers, reruns = _run_script(tmp_path, "main")
    assert workers
    assert set(reruns) <= workers and reruns  # each worker that needed main.py loaded it, once
    assert len(reruns) == len(set(reruns))


def test_a_large_file_starts_the_fork_server_before_it_is_read(tmp_path, monkeypatch) -> None:
    from lens_core.ingest import ingestor

    started = []
    monkeypatch.setattr(parallel, "_start_fork_server", lambda: started.append(1))
    small, _ = write_samples(tmp_path / "small.csv", n=50, seed=1)
    engine = open_engine(f"sqlite:///{tmp_path / 'warm.db'}")
    ingest_file(small, engine=engine, workers=2)
    assert started == []  # a file of one chunk never needs the pool
    monkeypatch.setattr(ingestor, "_POOL_WORTHY_BYTES", small.stat().st_size - 1)
    ingest_file(small, engine=engine, workers=0)
    assert started == []  # no workers asked for
    ingest_file(small, engine=engine, workers=2)
    deadline = time.monotonic() + 10
    while not started and time.monotonic() < deadline:
        time.sleep(0.01)
    assert started == [1]


def test_warm_up_leaves_a_running_fork_server() -> None:
    from multiprocessing import forkserver

    parallel.warm_up(2)
    deadline = time.monotonic() + 60
    while forkserver._forkserver._forkserver_pid is None and time.monotonic() < deadline:
        time.sleep(0.05)
    pid = forkserver._forkserver._forkserver_pid
    assert pid is not None and os.waitpid(pid, os.WNOHANG) == (0, 0)  # started, still running
