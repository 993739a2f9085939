"""`lens ingest` over the bad-input corpus (tests/data/bad), in real subprocesses, on SQLite and PostgreSQL.

One call ingests the file twice (`lens ingest F F`): the second pass is the re-ingest, which must store
nothing new and report every row as a duplicate or the same rejection. Expectations: tests/data/bad/cases.py.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from lens_core.storage.engine import open_engine
from tests.conftest import ROOT
from tests.data.bad import make_big
from tests.data.bad.cases import CASES, HERE, Case, Issue, check_report, check_stored, path_of

LENS = [sys.executable, "-m", "lens_core.cli"]
SHOWN = 50  # `lens ingest` lists this many rejected rows per file by default
SUMMARY = re.compile(r"^(?P<file>\S+): (?P<accepted>\d+) accepted, (?P<duplicates>\d+) duplicates, "
                     r"(?P<rejected>\d+) rejected \([\d.]+ s\)$")
REJECTED = re.compile(r"^  rejected: (?P<file>\S+): row (?P<row>\d+)(?:, field (?P<field>[^:]+))?: (?P<reason>.*)$")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_big.generate(tmp_path_factory.mktemp("bad-generated"))


def run_lens(args: list[str], db_url: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": db_url, "EMBEDDING_BACKEND": "hashing", "LOG_LEVEL": "WARNING",
           "PYTHONPATH": str(ROOT)}
    return subprocess.run(LENS + args, check=False, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def parse_reports(stdout: str) -> list[tuple[dict[str, int], list[Issue], str]]:
    """Each file's summary counts, its listed rejections and the "... and N more" line, in order."""
    reports: list[tuple[dict[str, int], list[Issue], str]] = []
    for line in stdout.splitlines():
        summary = SUMMARY.match(line)
        rejected = REJECTED.match(line)
        if summary:
            counts = {k: int(v) for k, v in summary.groupdict().items() if k != "file"}
            reports.append((counts, [], ""))
        elif rejected:
            reports[-1][1].append(Issue(rejected["file"], int(rejected["row"]), rejected["field"], rejected["reason"]))
        elif line.startswith("  ... and "):
            reports[-1] = (reports[-1][0], reports[-1][1], line.strip())
        else:
            raise AssertionError(f"unexpected output line: {line!r}")
    return reports


def check_cli(case: Case, result: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    if case.file_error:
        assert result.returncode == 2, result.stderr
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 2 and all(line.startswith(f"lens: {case.file_error}") for line in lines), lines
        assert result.stdout == ""
        return
    assert result.returncode == 0, result.stderr
    reports = parse_reports(result.stdout)
    assert len(reports) == 2, result.stdout[:2000]
    for again, (counts, issues, more) in enumerate(reports):
        assert counts["rejected"] == case.n_rejected
        assert len(issues) == min(case.n_rejected, SHOWN)
        if case.n_rejected > SHOWN:
            assert more == f"... and {case.n_rejected - SHOWN} more rejected rows"
        check_report(case, accepted=counts["accepted"], duplicates=counts["duplicates"], issues=issues,
                     again=bool(again), listed_all=case.n_rejected <= SHOWN)
    if case.file == "latin1.csv":  # the one notice of a guess lens made: the encoding, on stderr
        assert "latin1.csv is not UTF-8: read as Windows-1252 (Latin-1)" in result.stderr
    else:
        assert result.stderr == "", result.stderr


@pytest.mark.parametrize("case", [c for c in CASES if not c.heavy], ids=str)
def test_bad_file_through_the_cli(case: Case, db_url: str, generated: Path, tmp_path: Path) -> None:
    path = path_of(case, generated)
    check_cli(case, run_lens(["ingest", str(path), str(path)], db_url, tmp_path))
    engine = open_engine(db_url)
    try:
        check_stored(case, engine)
    finally:
        engine.dispose()


@pytest.mark.parametrize("case", [c for c in CASES if c.heavy], ids=str)
def test_heavy_file_through_the_cli_on_sqlite(case: Case, generated: Path, tmp_path: Path) -> None:
    """100,000 rows: SQLite only (the rules are the database's business nowhere here)."""
    db_url = f"sqlite:///{tmp_path / 'heavy.db'}"
    path = str(path_of(case, generated))
    check_cli(case, run_lens(["ingest", path, path], db_url, tmp_path))
    engine = open_engine(db_url)
    try:
        check_stored(case, engine)
    finally:
        engine.dispose()


def test_several_bad_files_in_one_call_each_get_their_report(tmp_path: Path, generated: Path) -> None:
    """A file refused as a whole does not stop the others; the exit code says one failed."""
    names = ["truncated.json", "binary.csv", "latin1.csv", "empty.csv", "wrong_types.json"]
    paths = [str(path_of(next(c for c in CASES if c.file == n), generated)) for n in names]
    result = run_lens(["ingest", *paths], f"sqlite:///{tmp_path / 'many.db'}", tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    files = re.findall(r"^(\S+): \d+ accepted", result.stdout, re.MULTILINE)
    assert files == ["truncated.json", "latin1.csv", "wrong_types.json"]
    assert "lens: binary.csv: binary content" in result.stderr and "lens: empty.csv: the file is empty" in result.stderr


def test_the_corpus_table_and_files_match_the_cases() -> None:
    """README.md's table and the committed files list exactly the cases of cases.py."""
    readme = (HERE / "README.md").read_text(encoding="utf-8")
    listed = re.findall(r"^\| `([^`]+)`", readme, re.MULTILINE)
    assert listed == [case.file for case in CASES]
    committed = {p.name for p in HERE.iterdir() if p.suffix in (".csv", ".json", ".jsonl")}
    assert committed == {case.file for case in CASES if not case.generated}
