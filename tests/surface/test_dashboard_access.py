"""Who may use the dashboard (app/access.py), through AppTest as `streamlit run` would run it.

- with LENS_DASHBOARD_PASSWORD set, every page shows only the login form until the right password is given;
  a wrong one is refused, and the password never reaches the screen or the log;
- off loopback (server.address 0.0.0.0, or unset: every interface) with no password, no page shows data and
  the message says how to set one;
- on loopback with no password, the pages show as they always did.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from app import access
from lens_core.config import get_settings, is_loopback
from lens_core.ingest.ingestor import ingest_records
from lens_core.samples.generator import generate
from lens_core.storage.engine import open_engine
from tests.conftest import ROOT

MAIN = str(ROOT / "app" / "main.py")
PASSWORD = "dash-pass-SECRET314"
TIMEOUT = 180


@pytest.fixture
def stored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A database with events in it, and the environment the dashboard reads; no password unless a test sets one."""
    url = f"sqlite:///{tmp_path / 'access.db'}"
    engine = open_engine(url)
    ingest_records(generate(60, seed=2)[0], engine=engine)
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("EMBEDDING_BACKEND", "hashing")
    monkeypatch.setenv("LENS_DASHBOARD_PASSWORD", "")  # blank: not configured, whatever a local .env says
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def password(stored: None, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("LENS_DASHBOARD_PASSWORD", PASSWORD)
    get_settings.cache_clear()
    return PASSWORD


@pytest.fixture
def address() -> Iterator[Callable[[str], None]]:
    """Sets server.address as `--server.address` would; restored afterwards."""
    before = st_config.get_option("server.address")
    yield lambda value: st_config.set_option("server.address", value)
    st_config.set_option("server.address", before)


def screen(app: AppTest) -> str:
    return "\n".join(str(node.proto) for node in [*app.main, *app.sidebar] if getattr(node, "proto", None) is not None)


def shows_data(app: AppTest) -> bool:
    """The sidebar names the database on every page once the dashboard is in; the overview counts events."""
    return any("Database:" in c.value for c in app.sidebar.caption)


def login_only(app: AppTest) -> None:
    assert not app.exception, [e.value for e in app.exception]
    assert not shows_data(app) and len(app.sidebar) == 0
    assert [t.label for t in app.text_input] == ["Password"] and app.text_input[0].proto.type == 1  # PASSWORD
    assert [b.label for b in app.button] == ["Sign in"]
    assert not app.metric and not app.dataframe


def sign_in(app: AppTest, given: str) -> AppTest:
    app.text_input(key="access_password").input(given)
    return next(b for b in app.button if b.label == "Sign in").click().run()


def test_loopback_is_what_the_config_sets() -> None:
    assert st_config.get_option("server.address") == "127.0.0.1"
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "", None, "10.0.0.5", "lens.example.com"))


def test_with_a_password_every_page_shows_only_the_login_until_it_is_given(
    password: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    app = AppTest.from_file(MAIN, default_timeout=TIMEOUT).run()
    login_only(app)
    for page in ("overview", "clusters", "export", "upload"):
        login_only(app.switch_page(f"../pages/{page}.py").run())

    sign_in(app, "not-the-password")
    login_only(app)
    assert [e.value for e in app.error] == ["Wrong password."]
    sign_in(app, password[:-1])  # all but the last character: refused as well
    assert [e.value for e in app.error] == ["Wrong password."] and not shows_data(app)

    sign_in(app, password)
    assert not app.exception, [e.value for e in app.exception]
    assert shows_data(app)
    assert "Password" not in [t.label for t in app.text_input]
    app.switch_page("../pages/overview.py").run()  # the session stays in from page to page
    assert shows_data(app) and not app.error and app.metric
    assert PASSWORD not in screen(app) and PASSWORD not in caplog.text

    app.button(key="access_sign_out").click().run()
    login_only(app)


def test_a_password_is_asked_for_on_loopback_and_off_it(password: str, address: Callable[[str], None]) -> None:
    address("0.0.0.0")
    app = AppTest.from_file(MAIN, default_timeout=TIMEOUT).run()
    login_only(app)
    assert shows_data(sign_in(app, password))


@pytest.mark.parametrize("bound", ["0.0.0.0", "10.1.2.3", ""])
def test_off_loopback_without_a_password_no_page_shows_data(
    stored: None, address: Callable[[str], None], bound: str
) -> None:
    address(bound)
    app = AppTest.from_file(MAIN, default_timeout=TIMEOUT).run()
    for page in ("overview", "clusters", "export"):
        app.switch_page(f"../pages/{page}.py").run()
        assert not app.exception and not shows_data(app) and len(app.sidebar) == 0
        assert not app.metric and not app.dataframe and not app.text_input
        (message,) = [e.value for e in app.error]
        assert "has no access control" in message and "LENS_DASHBOARD_PASSWORD" in message
        assert "127.0.0.1" in message
        assert (bound or "every interface") in message


def test_on_loopback_without_a_password_the_pages_show_as_before(stored: None) -> None:
    app = AppTest.from_file(MAIN, default_timeout=TIMEOUT).run()
    assert not app.exception and shows_data(app) and not app.text_input and not app.error
    app.switch_page("../pages/overview.py").run()
    assert shows_data(app) and app.metric
    assert not [b for b in app.button if b.key == "access_sign_out"]  # nothing to sign out of


def test_the_password_is_compared_in_constant_time() -> None:
    check = inspect.getsource(access._password_login)
    assert "hmac.compare_digest(" in check and "==" not in check and "!=" not in check
