"""The dashboard's Streamlit settings (.streamlit/config.toml) that keep it safe to expose.

- server.maxUploadSize: set, so the Upload page's limit is lens's choice (the page states it; see
  tests/surface/test_dashboard.py);
- server.enableXsrfProtection: true, written out, so that no later edit turns it off by accident;
- client.showErrorDetails: "type" or "none", under which an uncaught exception shows neither its message
  nor its traceback (a message can hold a URL or a value from telemetry). The legacy `false` is not
  enough: Streamlit reads it as "stacktrace", and a traceback shows source lines and values;
- browser.gatherUsageStats: false (the dashboard shows customer telemetry);
- every key is one Streamlit knows: a misspelt key would be ignored silently.

That telemetry (HTML, Markdown, script tags) is rendered as text, not markup, is checked in a real browser
by tests/browser/test_e2e.py.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from typing import Any

import pytest
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT

CONFIG = ROOT / ".streamlit" / "config.toml"
SAFE_ERROR_DETAILS = ("type", "none")


@pytest.fixture(scope="module")
def settings() -> dict[str, Any]:
    with CONFIG.open("rb") as handle:
        return tomllib.load(handle)


def test_every_key_is_a_streamlit_option(settings: dict[str, Any]) -> None:
    keys = {f"{section}.{key}" for section, values in settings.items() for key in values}
    assert keys - set(st_config._config_options_template) == set()


def test_uploads_are_limited(settings: dict[str, Any]) -> None:
    limit = settings["server"]["maxUploadSize"]
    assert isinstance(limit, int) and 1 <= limit <= 1024  # MB


def test_xsrf_protection_is_on_explicitly(settings: dict[str, Any]) -> None:
    assert settings["server"]["enableXsrfProtection"] is True
    assert settings["server"].get("enableCORS", True) is True  # XSRF protection needs CORS protection on


def test_error_details_hide_messages_and_tracebacks(settings: dict[str, Any]) -> None:
    assert settings["client"]["showErrorDetails"] in SAFE_ERROR_DETAILS


def test_usage_statistics_are_off(settings: dict[str, Any]) -> None:
    assert settings["browser"]["gatherUsageStats"] is False


@pytest.fixture
def configured_error_details(settings: dict[str, Any]) -> Iterator[str]:
    """client.showErrorDetails as the file sets it, whatever the working directory; restored afterwards."""
    before = st_config.get_option("client.showErrorDetails")
    value = settings["client"]["showErrorDetails"]
    st_config.set_option("client.showErrorDetails", value)
    yield value
    st_config.set_option("client.showErrorDetails", before)


FAILING_SCRIPT = "raise RuntimeError('could not connect to postgresql://lens:pw-SECRET789@db/lens')"


def test_an_uncaught_exception_shows_no_message_and_no_traceback(configured_error_details: str) -> None:
    (shown,) = AppTest.from_string(FAILING_SCRIPT, default_timeout=60).run().exception
    assert "SECRET" not in str(shown.proto) and list(shown.stack_trace) == []
    assert "redacted" in shown.message  # Streamlit's generic line


def test_full_error_details_would_show_the_message(configured_error_details: str) -> None:
    """The check above can fail: with "full" the message reaches the browser."""
    st_config.set_option("client.showErrorDetails", "full")
    (shown,) = AppTest.from_string(FAILING_SCRIPT, default_timeout=60).run().exception
    assert "pw-SECRET789" in shown.message and list(shown.stack_trace)


def test_the_dashboard_listens_on_loopback_only(settings: dict[str, Any]) -> None:
    """Off loopback the dashboard wants a login (app/access.py, tests/surface/test_dashboard_access.py)."""
    assert settings["server"]["address"] == "127.0.0.1"
