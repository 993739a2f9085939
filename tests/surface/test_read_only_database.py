"""A database lens may not write opens read-only (lens_core.storage.read_only), on SQLite and PostgreSQL:

- reads work: `lens runs`, `lens clusters`, `lens export`, and the API's GET endpoints;
- writes fail with a message naming the database and saying it is read-only (the CLI's one line; the API's
  403, which names no database), and the database is left as it was;
- a schema that is not current is not migrated: the message says someone who may write it has to;
- SQLite: read-only when the URL asks (?mode=ro), and, run as an unprivileged user (tests run as root here,
  whom file permissions do not stop), when the file or only its folder is read-only: the message names
  which. PostgreSQL: when the session is (default_transaction_read_only).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from lens_api import create_app
from lens_core import cli
from lens_core.config import Settings, get_settings
from lens_core.errors import ReadOnlyError
from lens_core.ingest.ingestor import ingest_records
from lens_core.runs.options import ProcessOptions
from lens_core.runs.pipeline import process
from lens_core.samples.generator import generate, write_samples
from lens_core.storage import migrate, queries
from lens_core.storage.engine import make_engine, open_engine
from tests.conftest import ROOT

NOBODY = 65534


def read_only_url(url: str) -> str:
    if url.startswith("sqlite"):
        return f"{url}?mode=ro"
    # PostgreSQL: the session's default, as a read-only role or database would set it
    return url.replace("options=", "options=-cdefault_transaction_read_only%3Don%20")


@pytest.fixture
def processed(db_url: str) -> str:
    """A database with events and one completed run, written through the normal (writable) URL."""
    settings = Settings(_env_file=None, database_url=db_url, embedding_backend="hashing")
    engine = open_engine(db_url)
    ingest_records(generate(300, seed=3)[0], engine=engine)
    process(engine=engine, settings=settings, options=ProcessOptions.of(settings))
    engine.dispose()
    return db_url


def fingerprint(url: str) -> str:
    """What the database holds: the SQLite file's bytes, or PostgreSQL's row counts."""
    if url.startswith("sqlite"):
        return hashlib.sha256(Path(url.removeprefix("sqlite:///")).read_bytes()).hexdigest()
    engine = open_engine(url)
    with engine.connect() as conn:
        counts = [conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                  for t in ("telemetry_events", "pipeline_runs", "pipeline_jobs", "clusters")]
    engine.dispose()
    return repr(counts)


@pytest.fixture
def lens(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture):
    """`lens ARGS...` against `url`, as the console script runs it; (exit code, stdout, stderr)."""
    monkeypatch.setenv("EMBEDDING_BACKEND", "hashing")
    monkeypatch.setenv("LOG_LEVEL", "WARNING")

    def run(url: str, *args: str) -> tuple[int, str, str]:
        monkeypatch.setenv("DATABASE_URL", url)
        get_settings.cache_clear()
        monkeypatch.setattr(sys, "argv", ["lens", *args])
        with pytest.raises(SystemExit) as stopped:
            cli.main()
        out = capsys.readouterr()
        return stopped.value.code, out.out, out.err

    yield run
    get_settings.cache_clear()


def test_a_read_only_database_is_read_and_refuses_writes(processed: str, lens, tmp_path: Path) -> None:
    url = read_only_url(processed)
    before = fingerprint(processed)
    name = processed.removeprefix("sqlite:///") if processed.startswith("sqlite") else "127.0.0.1"

    engine = open_engine(url)
    (run,) = queries.list_runs(engine=engine)
    with pytest.raises(ReadOnlyError) as refused:
        ingest_records(generate(20, seed=99)[0], engine=engine)
    assert name in refused.value.message and "read-only" in refused.value.message
    engine.dispose()

    code, out, _ = lens(url, "runs")
    assert code == 0 and out.startswith(f"run {run.id} [completed]")
    code, out, _ = lens(url, "clusters")
    assert code == 0 and f"top clusters of run {run.id}" in out
    export = tmp_path / "summaries.json"
    code, _, err = lens(url, "export", "summaries", "--out", str(export))
    assert code == 0 and export.stat().st_size > 0, err

    sample, _ = write_samples(tmp_path / "more.csv", n=50, seed=8)
    code, out, err = lens(url, "ingest", str(sample))
    assert code == 4 and not out
    (line,) = err.strip().splitlines()  # one line, no traceback
    assert line.startswith("lens: error: ") and name in line and "read-only" in line

    app = create_app(Settings(_env_file=None, database_url=url, embedding_backend="hashing"))
    with TestClient(app) as api:
        for path in ("/runs", f"/runs/{run.id}", "/clusters/top", "/stats/overview", "/export/summaries?format=csv"):
            assert api.get(path).status_code == 200, (path, api.get(path).text)
        top = api.get("/clusters/top").json()[0]
        assert api.get(f"/clusters/{top['cluster_id']}/events").status_code == 200
        answer = api.post("/ingest/event", json=generate(1, seed=77)[0][0])
        assert answer.status_code == 403, answer.text
        assert answer.json()["error"] == "read_only_error" and "read-only" in answer.json()["detail"]
        assert name not in answer.text  # where the database is stays the server's business
    app.state.context.close()

    assert fingerprint(processed) == before


def test_a_read_only_database_is_never_migrated(db_url: str, lens) -> None:
    engine = open_engine(db_url)
    with engine.begin() as conn:  # as if an older lens had made it
        conn.execute(text("UPDATE alembic_version SET version_num = '0007'"))
    engine.dispose()

    code, out, err = lens(read_only_url(db_url), "runs")
    assert code == 4 and not out
    assert "read-only" in err and "revision 0007" in err and migrate.head() in err
    assert "migrating (lens db upgrade) by someone who may write it" in err
    code, _, err = lens(read_only_url(db_url), "db", "upgrade")
    assert code == 4 and "someone who may write it" in err

    engine = make_engine(db_url)  # untouched
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "0007"
    engine.dispose()


def test_a_read_only_database_without_lens_tables_says_so(db_url: str, lens) -> None:
    engine = make_engine(db_url)
    with engine.begin() as conn:  # a database, with someone else's table in it
        conn.execute(text("CREATE TABLE notes (body TEXT)"))
    engine.dispose()
    code, _, err = lens(read_only_url(db_url), "runs")
    assert code == 4 and "read-only" in err and "without lens's tables" in err
    engine = make_engine(db_url)
    with engine.connect() as conn:
        assert migrate.revision_of(conn) is None  # nothing was created
    engine.dispose()


def test_a_missing_sqlite_file_opened_read_only_is_not_created(tmp_path: Path, lens) -> None:
    missing = tmp_path / "none.db"
    code, _, err = lens(f"sqlite:///{missing}?mode=ro", "runs")
    assert code == 4 and "there is no database at" in err and str(missing) in err
    assert not missing.exists()


# -- permissions, as a user they apply to -------------------------------------------------------------


def as_nobody_available() -> str | None:
    """Why the permission tests cannot run here, or None."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "needs root, to run lens as the unprivileged user 'nobody' (uid 65534)"
    if shutil.which("setpriv") is None:
        return "needs setpriv (util-linux) to run lens as another user"
    return None


@pytest.fixture
def shared_folder() -> Iterator[Path]:
    """A folder 'nobody' can reach (pytest's tmp_path is root's alone), removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="lens-ro-"))
    folder.chmod(0o755)
    yield folder
    for path in (folder, *folder.rglob("*")):
        path.chmod(0o777 if path.is_dir() else 0o666)
    shutil.rmtree(folder)


def lens_as_nobody(url: str, home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "DATABASE_URL": url, "PYTHONPATH": str(ROOT),
           "EMBEDDING_BACKEND": "hashing", "LOG_LEVEL": "WARNING", "PYTHONDONTWRITEBYTECODE": "1",
           "HF_HUB_OFFLINE": "1", "LENS_INGEST_WORKERS": "0"}
    command = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
               sys.executable, "-m", "lens_core.cli", *args]
    return subprocess.run(command, cwd=home, env=env, capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.skipif(as_nobody_available() is not None, reason=str(as_nobody_available()))
@pytest.mark.parametrize("read_only", ["file", "folder"])
def test_a_database_this_user_may_not_write_is_read_and_the_message_names_what_is_read_only(
    shared_folder: Path, read_only: str
) -> None:
    folder = shared_folder / "db"
    folder.mkdir()
    database = folder / "lens.db"
    url = f"sqlite:///{database}"
    settings = Settings(_env_file=None, database_url=url, embedding_backend="hashing")
    engine = open_engine(url)
    ingest_records(generate(200, seed=3)[0], engine=engine)
    process(engine=engine, settings=settings, options=ProcessOptions.of(settings))
    engine.dispose()  # the last connection: SQLite folds the WAL into the file and removes it
    sample, _ = write_samples(shared_folder / "more.csv", n=30, seed=8)
    home = shared_folder / "home"
    home.mkdir(mode=0o777)
    home.chmod(0o777)
    if read_only == "file":  # in a folder anyone may write
        database.chmod(0o444)
        folder.chmod(0o777)
    else:  # a file anyone may write, in a folder no one but root may
        database.chmod(0o666)
        folder.chmod(0o755)
    before = database.read_bytes()

    listed = lens_as_nobody(url, home, "runs")
    assert listed.returncode == 0 and listed.stdout.startswith("run 1 [completed]"), listed.stderr
    refused = lens_as_nobody(url, home, "ingest", str(sample))
    assert refused.returncode == 4, refused.stderr
    (line,) = refused.stderr.strip().splitlines()
    if read_only == "file":
        assert f"the database file {database} is read-only" in line
    else:
        assert f"the folder {folder} that holds the database lens.db is read-only" in line
    assert database.read_bytes() == before
    assert not Path(f"{database}-wal").exists() or read_only == "file"  # nothing could be written beside it


@pytest.mark.skipif(as_nobody_available() is not None, reason=str(as_nobody_available()))
def test_in_a_read_only_folder_the_last_writes_in_the_wal_are_read_or_the_message_says_why_not(
    shared_folder: Path,
) -> None:
    """Another process (a writer that may) still has the database open: its last writes are only in the
    -wal file. Read through the -shm beside it, they are seen; with no -shm there they cannot be, and the
    message says so instead of showing an older state."""
    folder = shared_folder / "db"
    folder.mkdir()
    database = folder / "lens.db"
    url = f"sqlite:///{database}"
    settings = Settings(_env_file=None, database_url=url, embedding_backend="hashing")
    engine = open_engine(url)
    ingest_records(generate(200, seed=3)[0], engine=engine)
    process(engine=engine, settings=settings, options=ProcessOptions.of(settings))
    engine.dispose()
    home = shared_folder / "home"
    home.mkdir()
    home.chmod(0o777)

    writer = sqlite3.connect(database)
    try:
        writer.execute("PRAGMA wal_autocheckpoint=0")  # the change stays in the -wal file
        writer.execute("UPDATE pipeline_runs SET status = 'failed', error = 'marked while open'")
        writer.commit()
        copy = shared_folder / "copy"
        copy.mkdir()
        for suffix in ("", "-wal"):  # the database and its WAL, without the -shm
            shutil.copyfile(f"{database}{suffix}", f"{copy / 'lens.db'}{suffix}")
        for path in (folder, copy):
            path.chmod(0o755)
        for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm"), *copy.iterdir()):
            path.chmod(0o644)

        listed = lens_as_nobody(url, home, "runs")
        assert listed.returncode == 0 and listed.stdout.startswith("run 1 [failed]"), listed.stderr

        refused = lens_as_nobody(f"sqlite:///{copy / 'lens.db'}", home, "runs")
        assert refused.returncode == 4 and not refused.stdout
        assert "its last writes are still in lens.db-wal" in refused.stderr
        assert "copy the database to a writable folder" in refused.stderr
    finally:
        writer.close()
