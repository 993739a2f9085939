"""Fixtures of the surface tests that several files share."""

from __future__ import annotations

import sys

import pytest

from lens_core import cli
from lens_core.config import get_settings


@pytest.fixture
def lens(db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture):
    """Runs `lens ARGS...` as the console script does; returns (exit code, stdout, stderr)."""
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("EMBEDDING_BACKEND", "hashing")
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    monkeypatch.setenv("USER", "tester")
    get_settings.cache_clear()

    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["lens", *args])
        with pytest.raises(SystemExit) as stopped:
            cli.main()
        out = capsys.readouterr()
        return stopped.value.code, out.out, out.err

    yield run
    get_settings.cache_clear()
