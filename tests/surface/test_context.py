"""lens_core.context: one AppContext, built by one factory, for the CLI, the API and the dashboard.

The context opens its engine on first use (and again after a failure), keeps one embedder per backend
name, and is what each surface builds: the CLI per command, the API per app, the dashboard per script
run with the engine and the embedders shared by the server's sessions.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

import app.context as dashboard_context
import lens_api.app as api_app
import lens_core.context as core_context
from lens_core import cli
from lens_core.config import Settings, get_settings
from lens_core.context import AppContext, build_context
from lens_core.embed import hashing
from lens_core.errors import ConfigError
from tests.conftest import ROOT, sqlite_url


def _settings(url: str, **values: object) -> Settings:
    return Settings(_env_file=None, database_url=url, embedding_backend="hashing", **values)


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[AppContext]:
    """Every context the factory builds, wherever it is called from."""
    contexts: list[AppContext] = []
    real = core_context.build_context

    def recording(*args: object, **kwargs: object) -> AppContext:
        contexts.append(real(*args, **kwargs))  # type: ignore[arg-type]
        return contexts[-1]

    monkeypatch.setattr(core_context, "build_context", recording)
    monkeypatch.setattr(api_app, "build_context", recording)
    monkeypatch.setattr(dashboard_context, "build_context", recording)
    return contexts


# -- the context itself -------------------------------------------------------------------------------


def test_the_engine_opens_on_first_use_once_and_is_tried_again_after_a_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []
    real = core_context.open_engine

    def opening(url: str):  # type: ignore[no-untyped-def]
        opened.append(url)
        if len(opened) == 1:
            raise ConfigError("the database is down")
        return real(url)

    monkeypatch.setattr(core_context, "open_engine", opening)
    ctx = build_context(_settings(sqlite_url(tmp_path)))
    assert opened == []  # building opens nothing: the API starts with its database down
    with pytest.raises(ConfigError):
        _ = ctx.engine
    assert ctx.engine is ctx.engine and len(opened) == 2
    ctx.close()


def test_a_given_engine_is_used_and_left_open(sqlite_engine) -> None:  # type: ignore[no-untyped-def]
    ctx = build_context(_settings("sqlite:///unused.db"), engine=sqlite_engine)
    assert ctx.engine is sqlite_engine and ctx.url == "sqlite:///unused.db"
    ctx.close()
    assert ctx.engine is sqlite_engine  # still the caller's, still usable


def test_one_embedder_per_backend_name_shared_by_contexts_given_the_same_mapping(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[dict] = []
    real = hashing.HashingEmbedder
    # The registry imports its row\'s class when building, so the patched one is what gets built.
    monkeypatch.setattr(hashing, "HashingEmbedder", lambda **options: made.append(options) or real(**options))
    shared: dict = {}
    first = build_context(_settings(sqlite_url(tmp_path)), embedders=shared)
    second = build_context(_settings(sqlite_url(tmp_path)), embedders=shared)
    assert first.embedder("hashing") is first.embedder() is second.embedder("hashing")  # default: the setting
    assert len(made) == 1
    with pytest.raises(ConfigError, match="unknown embedder"):
        first.embedder("no-such-backend")


# -- each surface builds its context through the factory ----------------------------------------------


def test_the_cli_builds_its_context_through_the_factory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, built: list[AppContext]
) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_url(tmp_path))
    monkeypatch.setenv("EMBEDDING_BACKEND", "hashing")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli.app, ["runs"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert len(built) == 1 and built[0].settings.database_url == sqlite_url(tmp_path)
    built[0].close()


def test_the_api_builds_one_context_and_every_request_uses_it(tmp_path: Path, built: list[AppContext]) -> None:
    app = api_app.create_app(_settings(sqlite_url(tmp_path)))
    assert built == [app.state.context]
    with TestClient(app) as client:
        assert client.get("/health").json()["status"] == "ok"
        assert client.get("/runs").json() == []
    assert len(built) == 1
    app.state.context.close()


def test_the_dashboard_builds_its_context_through_the_factory_sharing_engine_and_embedders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, built: list[AppContext]
) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_url(tmp_path))
    monkeypatch.setenv("EMBEDDING_BACKEND", "hashing")
    monkeypatch.setenv("OPENAI_API_KEY", "")
    get_settings.cache_clear()
    try:
        page = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=60).run()
        assert not page.exception, [e.value for e in page.exception]
        page.run()  # a second script run builds a context again, over the same cached engine and embedders
    finally:
        get_settings.cache_clear()
    assert len(built) == 2
    assert built[0].engine is built[1].engine
    assert built[0].embedder("hashing") is built[1].embedder("hashing")
