"""The `lens` command end to end in real subprocesses: sample -> ingest -> process -> clusters -> export."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLES

LENS = [sys.executable, "-m", "lens_core.cli"]


def run_lens(args: list[str], db_url: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": db_url, "EMBEDDING_BACKEND": "hashing", "LOG_LEVEL": "WARNING",
           "PYTHONPATH": str(ROOT)}
    return subprocess.run(LENS + args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def assert_one_line_error(result: subprocess.CompletedProcess, *expected: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for text in expected:
        assert text in lines[0]


def test_sample_to_exported_assignments(db_url: str, tmp_path: Path) -> None:
    sample = tmp_path / "telemetry.jsonl"
    result = run_lens(["sample", "--n", "600", "--seed", "3", "--out", str(sample)], db_url, tmp_path)
    assert result.returncode == 0, result.stderr
    assert sample.exists() and (tmp_path / "telemetry.truth.csv").exists()

    result = run_lens(["ingest", str(sample), str(SAMPLES / "malformed.csv")], db_url, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "telemetry.jsonl: 600 accepted, 0 duplicates, 0 rejected" in result.stdout
    assert "rejected: malformed.csv: row" in result.stdout
    malformed_accepted = int(result.stdout.split("malformed.csv: ")[1].split(" accepted")[0])

    again = run_lens(["ingest", str(sample)], db_url, tmp_path)
    assert "telemetry.jsonl: 0 accepted, 600 duplicates, 0 rejected" in again.stdout

    result = run_lens(["process", "--min-cluster-size", "8"], db_url, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "top clusters of run 1" in result.stdout and "root cause:" in result.stdout

    result = run_lens(["clusters", "--json", "--limit", "3"], db_url, tmp_path)
    payload = json.loads(result.stdout)
    assert payload["run_id"] == 1 and len(payload["clusters"]) == 3
    assert {"cluster_id", "summary", "root_cause", "sample_prompts"} <= set(payload["clusters"][0])

    out = tmp_path / "assignments.csv"
    assert run_lens(["export", "assignments", "--out", str(out)], db_url, tmp_path).returncode == 0
    with out.open() as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["evaluation_id", "fingerprint", "message_pattern", "cluster_id", "run_id",
                            "pattern_id", "pattern_title"]
    assert len(rows) == 600 + malformed_accepted and {r["run_id"] for r in rows} == {"1"}
    assert all(int(r["cluster_id"]) >= -1 for r in rows)

    md = tmp_path / "report.md"
    assert run_lens(["export", "summaries", "--format", "md", "--out", str(md)], db_url, tmp_path).returncode == 0
    assert md.read_text().startswith("# lens report: run 1")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["ingest", "missing.csv"], ("missing.csv", "no such file")),
        (["clusters"], ("no completed run yet",)),
        (["process"], ("no events stored yet",)),
        (["clusters", "--run", "99"], ("run 99 does not exist",)),
    ],
)
def test_errors_are_one_line_without_traceback(args, expected, tmp_path: Path) -> None:
    result = run_lens(args, f"sqlite:///{tmp_path / 'cli.db'}", tmp_path)
    assert_one_line_error(result, *expected)


@pytest.mark.parametrize(
    ("args", "command", "error"),
    [
        (["export", "fingerprints"], "lens export", "Error: No such command 'fingerprints'."),
        (["nosuch"], "lens", "Error: No such command 'nosuch'."),
        (["ingest", "--bogus", "x.csv"], "lens ingest", "Error: No such option: --bogus"),
        (["sample", "--n", "0", "--out", "x.csv"], "lens sample", "Error: Invalid value for '--n'"),
    ],
)
def test_usage_errors_print_the_usage_and_exit_2(args, command, error, tmp_path: Path) -> None:
    """What click prints for a usage error: the usage line, where to find help, and the error."""
    result = run_lens(args, f"sqlite:///{tmp_path / 'cli.db'}", tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr and "unexpected error" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines[0].startswith(f"Usage: {command} [OPTIONS]"), result.stderr
    assert lines[1] == f"Try '{command} --help' for help."
    assert lines[2].startswith(error) and len(lines) == 3, result.stderr


def test_invalid_setting_is_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "MIN_CLUSTER_SIZE": "many", "PYTHONPATH": str(ROOT)}
    result = subprocess.run(LENS + ["runs"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert_one_line_error(result, "MIN_CLUSTER_SIZE")


def test_main_py_sample_prints_top_clusters(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'main.db'}", "EMBEDDING_BACKEND": "hashing",
           "LOG_LEVEL": "WARNING"}
    cmd = [sys.executable, str(ROOT / "main.py"), "--sample", "--n", "500"]
    result = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "sample: 500 accepted" in result.stdout and "top clusters of run 1" in result.stdout
