"""Who can reach the API without the key, said in the log (lens_api.exposure): binding off loopback without a
key, and a request that arrived on another interface, whatever API_HOST said. No socket is opened: TestClient
hands the app the address a request arrived on, as uvicorn does."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lens_api import create_app
from lens_api.exposure import bind_warning
from lens_core.config import Settings
from tests.conftest import sqlite_url
from tests.surface.test_api import make_settings


def test_the_default_bind_address_is_loopback() -> None:
    assert Settings(_env_file=None).api_host == "127.0.0.1"
    assert Settings(_env_file=None).api_open_reads is False


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.1.2.3", "lens.example.com"])
def test_binding_elsewhere_without_a_key_is_warned_about(host: str) -> None:
    warning = bind_warning(host, key_set=False)
    assert warning and host in warning and "raw prompts" in warning and "LENS_API_KEY" in warning
    assert bind_warning(host, key_set=True) is None


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.1.1", "::1", "localhost"])
def test_binding_to_loopback_is_not(host: str) -> None:
    assert bind_warning(host, key_set=False) is None


def requests_on(settings: Settings, host: str, caplog: pytest.LogCaptureFixture) -> list[str]:
    caplog.clear()
    with caplog.at_level("WARNING", logger="lens_api"):
        with TestClient(create_app(settings), base_url=f"http://{host}:8000") as client:
            for _ in range(3):
                assert client.get("/health").status_code == 200
    return [r.message for r in caplog.records if "a request arrived on" in r.message]


def test_a_request_on_another_interface_without_a_key_is_warned_about_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(sqlite_url(tmp_path))
    (warning,) = requests_on(settings, "10.1.2.3", caplog)
    assert "10.1.2.3" in warning and "raw prompts" in warning and "LENS_API_KEY is not set" in warning
    assert requests_on(settings, "127.0.0.1", caplog) == []
    assert requests_on(settings, "testserver", caplog) == []  # a name says nothing about the interface
    keyed = make_settings(sqlite_url(tmp_path), lens_api_key="s3cret-key")
    assert requests_on(keyed, "10.1.2.3", caplog) == []  # the key guards it
