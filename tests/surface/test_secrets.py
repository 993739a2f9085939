"""Secrets never leave lens: the OpenAI key, the API key and the database password, on every surface.

Recognisable values are set (OPENAI_API_KEY, LENS_API_KEY, a DATABASE_URL with a password) and then
looked for in everything lens shows or keeps: API answers (401, 403 and the 503 of an unreachable
database included), /health, the log at DEBUG, the `lens` command's output on errors, every element the
dashboard renders on every page, the stored rows (runs, jobs, clusters) and the exports.

On PostgreSQL the password is real but harmless: the test server trusts local connections, so a URL
with a password connects. A SQLite URL has no password; the keys are still looked for there.
"""

from __future__ import annotations

import hmac
import inspect as source_code
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url
from streamlit.testing.v1 import AppTest

from lens_api import create_app, deps
from lens_core.config import Settings, get_settings
from lens_core.errors import ConfigError, StorageError
from lens_core.ingest.ingestor import ingest_records
from lens_core.runs.options import ProcessOptions
from lens_core.runs.pipeline import process
from lens_core.samples.generator import generate, write_samples
from lens_core.storage.engine import make_engine, open_engine
from tests.conftest import ROOT, sqlite_url
from tests.surface.test_api import EXAMPLE

OPENAI_KEY = "sk-test-SECRET123"
API_KEY = "lens-key-SECRET456"
DB_PASSWORD = "pw-SECRET789"
UNREACHABLE_URL = f"postgresql://lens:{DB_PASSWORD}@127.0.0.1:1/nowhere"
DEAD_OPENAI = "http://127.0.0.1:1/v1"  # nothing listens there: every LLM or embeddings call fails to connect
MARKERS = ("SECRET123", "SECRET456", "SECRET789")  # the parts of each secret no escaping can change
KEY = {"X-API-Key": API_KEY}
MAIN = str(ROOT / "app" / "main.py")
PAGES = ("overview", "upload", "clusters", "cluster_detail", "runs", "export")
DASHBOARD_TIMEOUT = 180


def leaks(shown: str) -> list[str]:
    """The secrets found in `shown`; backslashes are dropped first (Markdown, repr and JSON escapes)."""
    flat = shown.replace("\\", "")
    return [marker for marker in MARKERS if marker in flat]


def test_leaks_sees_through_escapes() -> None:
    assert leaks(r"postgresql://lens:pw\-SECRET789@h") == ["SECRET789"]
    assert leaks(repr({"key": OPENAI_KEY, "api": API_KEY})) == ["SECRET123", "SECRET456"]
    assert leaks("sk-test-**** and lens-key-***") == []


@pytest.fixture
def secret_url(db_url: str) -> str:
    """db_url, with the password in it when it is PostgreSQL."""
    if not db_url.startswith("postgresql"):
        return db_url
    return make_url(db_url).set(username=make_url(db_url).username or "postgres", password=DB_PASSWORD) \
        .render_as_string(hide_password=False)


def secret_settings(url: str, **overrides: Any) -> Settings:
    values = {"database_url": url, "embedding_backend": "hashing", "openai_api_key": OPENAI_KEY,
              "openai_base_url": DEAD_OPENAI, "lens_api_key": API_KEY, "min_cluster_size": 5, "min_samples": 3,
              "log_level": "DEBUG", **overrides}
    return Settings(_env_file=None, **values)


def database_text(url: str) -> str:
    """Every row of every lens table, as text."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            names = inspect(conn).get_table_names()
            assert {"pipeline_runs", "pipeline_jobs", "clusters", "telemetry_events"} <= set(names), names
            return "\n".join(repr(row) for name in names for row in conn.execute(text(f'SELECT * FROM "{name}"')))
    finally:
        engine.dispose()


def wait_for_job(client: TestClient, job_id: int, shown: list[str], timeout: float = 300.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = client.get(f"/pipeline/jobs/{job_id}", headers=KEY)  # pipeline calls need the key
        shown.append(response.text)
        job = response.json()
        if job["state"] in ("completed", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s: {job}")


# -- the API ----------------------------------------------------------------------------------------------


def test_an_api_session_shows_no_secret_in_answers_logs_rows_or_exports(
    secret_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    shown: list[str] = []

    def answer(response: Any, status: int) -> Any:
        shown.append(f"{response.status_code} {dict(response.headers)} {response.text}")
        assert response.status_code == status, response.text
        return response

    assert DB_PASSWORD in secret_url or secret_url.startswith("sqlite")
    events, _ = generate(300, seed=5)
    with TestClient(create_app(secret_settings(secret_url))) as client:
        answer(client.post("/ingest/batch", json={"events": events}), 401)
        answer(client.post("/ingest/batch", json={"events": events}, headers={"X-API-Key": "lens-key-wrong"}), 403)
        answer(client.post("/ingest/batch", json={"events": events}, headers=KEY), 200)
        answer(client.post("/ingest/event", json=EXAMPLE, headers=KEY), 200)
        answer(client.post("/pipeline/process", json={}, headers={"X-API-Key": API_KEY[:-1]}), 403)

        started = answer(client.post("/pipeline/process", json={"embedder": "hashing"}, headers=KEY), 202).json()
        job = wait_for_job(client, started["job_id"], shown)
        assert job["state"] == "completed", job
        # The openai embedder at an address where nothing listens: a failed job and a failed run, with reasons.
        started = answer(client.post("/pipeline/process", json={"embedder": "openai"}, headers=KEY), 202).json()
        failed = wait_for_job(client, started["job_id"], shown)
        assert failed["state"] == "failed" and failed["error"], failed

        answer(client.get("/clusters/top"), 401)  # reads need the key too
        answer(client.get("/clusters/top", headers={"X-API-Key": "lens-key-wrong"}), 403)
        top = answer(client.get("/clusters/top", headers=KEY), 200).json()
        paths = ["/runs", f"/runs/{job['run_id']}", "/stats/overview", "/clustering/stats",
                 f"/clusters/{top[0]['cluster_id']}", f"/clusters/{top[0]['cluster_id']}/events",
                 "/export/summaries", "/export/summaries?format=csv", "/export/summaries?format=md",
                 "/export/assignments"]
        for path in paths:
            answer(client.get(path, headers=KEY), 200)
        for path in ("/health", "/openapi.json", "/docs"):  # open without a key
            answer(client.get(path), 200)
    runs = [r for r in shown if '"status":"failed"' in r]
    assert runs, "the failed run is listed"

    assert leaks("\n".join(shown)) == []
    assert leaks(caplog.text) == [], "a secret was logged"
    assert leaks(database_text(secret_url)) == [], "a secret was stored"


def test_an_unreachable_database_answers_503_and_401_403_without_secrets(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    shown: list[str] = []
    calls = [
        ("GET", "/health", {}, 503), ("GET", "/runs", KEY, 503), ("GET", "/stats/overview", KEY, 503),
        ("GET", "/clusters/top", KEY, 503), ("GET", "/export/summaries", KEY, 503), ("GET", "/runs", {}, 401),
        ("POST", "/ingest/event", KEY, 503), ("POST", "/pipeline/process", KEY, 503),
        ("POST", "/ingest/event", {}, 401), ("POST", "/ingest/event", {"X-API-Key": "lens-key-SECRET45"}, 403),
    ]
    with TestClient(create_app(secret_settings(UNREACHABLE_URL))) as client:  # the startup hook logs the failure
        for method, path, headers, status in calls:
            body = EXAMPLE if path == "/ingest/event" else ({} if method == "POST" else None)
            response = client.request(method, path, json=body, headers=headers)
            shown.append(f"{response.status_code} {dict(response.headers)} {response.text}")
            assert response.status_code == status, (path, response.text)
            if status == 503:  # nor where the database is: host, port, user and name stay in the log
                assert not [part for part in ("127.0.0.1", "port 1", "lens:", "lens@", "nowhere", "postgresql")
                            if part in response.text], (path, response.text)
    assert leaks("\n".join(shown)) == []
    assert "the database" in caplog.text or "not reachable" in caplog.text  # the failure was logged...
    assert leaks(caplog.text) == []  # ...without the password


def test_the_api_key_is_compared_in_constant_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def recording(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", recording)
    settings = Settings(_env_file=None, database_url=sqlite_url(tmp_path), embedding_backend="hashing",
                        lens_api_key=API_KEY)
    with TestClient(create_app(settings)) as client:
        assert client.post("/ingest/event", json=EXAMPLE, headers={"X-API-Key": "lens-key-wrong"}).status_code == 403
        assert client.post("/ingest/event", json=EXAMPLE, headers=KEY).status_code == 200
    assert compared == [(b"lens-key-wrong", API_KEY.encode()), (API_KEY.encode(), API_KEY.encode())]
    check = source_code.getsource(deps.require_api_key)
    assert "hmac.compare_digest(" in check and "==" not in check and "!=" not in check


# -- the CLI ----------------------------------------------------------------------------------------------


def cli(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "OPENAI_API_KEY": OPENAI_KEY, "LENS_API_KEY": API_KEY, "OPENAI_BASE_URL": DEAD_OPENAI,
                   "EMBEDDING_BACKEND": "hashing", "LOG_LEVEL": "DEBUG", "PYTHONPATH": str(ROOT), **env}
    return subprocess.run([sys.executable, "-m", "lens_core.cli", *args], cwd=cwd, env=environment,
                          capture_output=True, text=True, timeout=600, check=False)


@pytest.fixture(scope="module")
def sample_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path, _ = write_samples(tmp_path_factory.mktemp("secrets") / "telemetry.csv", n=300, seed=5)
    return path


BAD_URLS = {  # DATABASE_URL -> the error class the CLI exits with
    UNREACHABLE_URL: StorageError,
    f"postgresql://lens:{DB_PASSWORD}@127.0.0.1:notaport/db": ConfigError,  # a port that is not a number
    f"postgresql+nodriver://lens:{DB_PASSWORD}@127.0.0.1/db": ConfigError,  # a driver that does not exist
}


@pytest.mark.parametrize("url", list(BAD_URLS), ids=["unreachable", "bad-port", "unknown-driver"])
def test_cli_errors_on_a_bad_database_show_no_secret(url: str, tmp_path: Path, sample_file: Path) -> None:
    commands = [["runs"], ["ingest", str(sample_file)], ["process"], ["clusters"], ["db", "current"],
                ["db", "upgrade"], ["export", "summaries", "--out", str(tmp_path / "out.json")]]
    for args in commands:
        result = cli(args, tmp_path, DATABASE_URL=url)
        both = result.stdout + result.stderr
        assert result.returncode == BAD_URLS[url].exit_code, (args, both)
        assert result.stderr.splitlines()[-1].startswith("lens: error: "), (args, both)
        assert "Traceback" not in both, (args, both)
        assert leaks(both) == [], (args, both)


def test_cli_llm_and_embedding_failures_show_no_key(tmp_path: Path, sample_file: Path) -> None:
    url = sqlite_url(tmp_path)
    shown = []
    for args in (["ingest", str(sample_file)], ["process", "--embedder", "hashing"]):
        result = cli(args, tmp_path, DATABASE_URL=url)
        assert result.returncode == 0, result.stderr
        shown.append(result.stdout + result.stderr)

    failed = cli(["process", "--embedder", "openai"], tmp_path, DATABASE_URL=url)  # nothing listens there
    assert failed.returncode != 0 and "Traceback" not in failed.stderr
    assert failed.stderr.splitlines()[-1].startswith("lens: error: "), failed.stderr
    summarized = cli(["summarize", "--llm", "--clusters", "2"], tmp_path, DATABASE_URL=url)
    assert "Traceback" not in summarized.stderr, summarized.stderr
    runs = cli(["runs"], tmp_path, DATABASE_URL=url)
    assert "[failed]" in runs.stdout.splitlines()[0], runs.stdout
    for result in (failed, summarized, runs):
        shown.append(result.stdout + result.stderr)
    for args, fmt in ((["export", "summaries", "--format", "csv"], "csv"), (["export", "assignments"], "csv")):
        out = tmp_path / f"{args[1]}.{fmt}"
        assert cli([*args, "--out", str(out)], tmp_path, DATABASE_URL=url).returncode == 0
        shown.append(out.read_text(encoding="utf-8"))

    assert leaks("\n".join(shown)) == []
    assert leaks(database_text(url)) == []


# -- the dashboard ----------------------------------------------------------------------------------------


@pytest.fixture
def dashboard_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", DEAD_OPENAI)
    monkeypatch.setenv("LENS_API_KEY", API_KEY)
    monkeypatch.setenv("EMBEDDING_BACKEND", "hashing")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def rendered(app: AppTest) -> str:
    """Everything the script put on the screen: each element's message (text, labels, options, chart and
    table data), in the main area and the sidebar."""
    parts = [str(node.proto) for node in [*app.main, *app.sidebar] if getattr(node, "proto", None) is not None]
    parts += [frame.value.to_csv() for frame in app.dataframe]
    return "\n".join(parts)


def test_no_dashboard_page_shows_a_secret(
    secret_url: str, dashboard_env: None, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("DATABASE_URL", secret_url)
    engine = open_engine(secret_url)
    events, _ = generate(300, seed=5)
    ingest_records(events, engine=engine)
    process(engine=engine, settings=secret_settings(secret_url), options=ProcessOptions.of(embedder="hashing"))
    engine.dispose()

    app = AppTest.from_file(MAIN, default_timeout=DASHBOARD_TIMEOUT).run()
    screens = [rendered(app)]
    for page in PAGES:
        app.switch_page(f"../pages/{page}.py").run()
        assert not app.exception, [e.value for e in app.exception]
        screens.append(rendered(app))
    app.switch_page("../pages/cluster_detail.py").run()
    app.button(key="detail_llm").click().run()  # the key is set, the LLM server is not there
    assert not app.exception, [e.value for e in app.exception]
    screens.append(rendered(app))

    assert "keeps its offline summary" in screens[-1]  # the LLM call was made and failed
    assert "Database:" in screens[0]  # the sidebar names the database...
    if DB_PASSWORD in secret_url:
        assert ":***@" in screens[0].replace("\\", "")  # ...with the password hidden...
    assert leaks("\n".join(screens)) == []  # ...and no page shows a secret
    assert leaks(caplog.text) == []


def test_the_dashboard_on_an_unreachable_database_shows_no_password(
    dashboard_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", UNREACHABLE_URL)
    get_settings.cache_clear()
    app = AppTest.from_file(MAIN, default_timeout=DASHBOARD_TIMEOUT).run()
    assert not app.exception, [e.value for e in app.exception]
    assert "not reachable" in app.error[0].value
    assert leaks(rendered(app)) == []
