"""The real server: `uvicorn api:app` in a subprocess on a free loopback port, driven over HTTP the way the
original design's curl examples drive it: ingest an event, a batch, process, poll the job, read clusters.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lens_core.samples.generator import generate
from tests.conftest import ROOT
from tests.surface.test_api import EXAMPLE

STARTUP_S = 60


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def call(base: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


@pytest.fixture
def server(db_url: str, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": db_url, "EMBEDDING_BACKEND": "hashing", "LOG_LEVEL": "WARNING",
           "MIN_CLUSTER_SIZE": "5", "MIN_SAMPLES": "3", "PYTHONPATH": str(ROOT)}
    env.pop("LENS_API_KEY", None)
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "api:app", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, proc, tmp_path / "server.log")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def _wait_until_up(base: str, proc: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {log_path.read_text()}")
        try:
            with urllib.request.urlopen(base + "/health", timeout=2):
                return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    raise AssertionError(f"server did not answer in {STARTUP_S} s: {log_path.read_text()}")


def test_the_original_curl_flow_against_the_real_server(server: str) -> None:
    status, body = call(server, "POST", "/ingest/event", EXAMPLE)
    assert (status, body) == (200, {"evaluation_id": "eval-001", "status": "accepted"})

    events, _ = generate(300)
    status, report = call(server, "POST", "/ingest/batch", {"events": events})
    assert status == 200 and report["accepted"] == 300 and report["rejected"] == []

    status, accepted = call(server, "POST", "/pipeline/process", {"algorithm": "hdbscan", "min_cluster_size": 5})
    assert status == 202
    job = _poll(server, accepted["job_id"])
    assert job["state"] == "completed", job

    status, top = call(server, "GET", "/clusters/top?limit=10")
    assert status == 200 and 1 <= len(top) <= 10 and {c["run_id"] for c in top} == {job["run_id"]}
    assert {"cluster_id", "size", "algorithm", "summary", "root_cause", "common_plugins", "common_endpoints",
            "common_error_codes", "sample_prompts"} <= set(top[0])

    status, cluster = call(server, "GET", f"/clusters/{top[0]['cluster_id']}")
    assert status == 200 and cluster["evidence"]["representatives"]

    status, overview = call(server, "GET", "/stats/overview")
    assert status == 200 and overview["events"] == 301 and overview["latest_run"]["run_id"] == job["run_id"]

    status, docs = _get_text(server, "/docs")
    assert status == 200 and "swagger" in docs.lower()


def _poll(base: str, job_id: int, timeout: float = 180.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, job = call(base, "GET", f"/pipeline/jobs/{job_id}")
        assert status == 200
        assert 0.0 <= job["progress"] <= 1.0
        if job["state"] in ("completed", "failed"):
            return job
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} still {job['state']} after {timeout} s")


def _get_text(base: str, path: str) -> tuple[int, str]:
    with urllib.request.urlopen(base + path, timeout=30) as response:
        return response.status, response.read().decode()
