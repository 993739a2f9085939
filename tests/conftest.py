"""Shared fixtures: databases (SQLite always, PostgreSQL when LENS_TEST_POSTGRES_URL is set) and settings.

Each PostgreSQL test gets a schema of its own (search_path), dropped afterwards, so tests never see each
other's rows and the shared `test` database is left as it was.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from lens_core.config import Settings
from lens_core.storage.engine import make_engine, normalise_url, open_engine

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
POSTGRES_URL = os.environ.get("LENS_TEST_POSTGRES_URL")
NO_POSTGRES = "LENS_TEST_POSTGRES_URL is not set: PostgreSQL tests skipped (.ci/run sets it)"


def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'lens-test.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL whose connections live in a fresh schema; the schema is dropped after the test."""
    if not POSTGRES_URL:
        pytest.skip(NO_POSTGRES)
    schema = f"lens_test_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in POSTGRES_URL else "?"
    yield normalise_url(POSTGRES_URL) + f"{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return sqlite_url(tmp_path)
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = open_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    eng = open_engine(sqlite_url(tmp_path))
    yield eng
    eng.dispose()


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(_env_file=None, database_url=db_url, embedding_backend="hashing")


@pytest.fixture(autouse=True)
def dashboard_on_loopback() -> None:
    """AppTest runs the dashboard in this process, with the Streamlit config of the working directory: from
    elsewhere than the project root, server.address would be unset (every interface) and every page a login
    wall. Loopback, as .streamlit/config.toml sets it (checked in tests/surface/test_dashboard_config.py)."""
    if "streamlit" in sys.modules:  # only tests that imported it run the dashboard; the rest skip the import
        from streamlit import config

        if not config.get_option("server.address"):
            config.set_option("server.address", "127.0.0.1")
