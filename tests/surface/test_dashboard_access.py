"""Who may use the dashboard (app/access.py), through AppTest as `streamlit run` would run it.

- with LENS_DASHBOARD_PASSWORD set, every page shows only the login form until the right password is given;
  a wrong one is refused, and the password never reaches the screen or the log;
- off loopback (server.address 0.0.0.0, or unset: every interface) with no password, no page shows data and
  the message says how to set one;
- on loopback with no password, the pages show as they always did;
- after MAX_WRONG wrong passwords a client is refused, right password included, for a cool-down that grows;
  the count is the process's, per client address, so a new session does not reset it.
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


class Clock:
    """time.monotonic for app.access's counts, moved on by the test instead of waited for."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """A fresh count of wrong passwords for each test (it is the process's), on a clock the test moves."""
    moved = Clock()
    monkeypatch.setattr(access, "WRONG_PASSWORDS", access.WrongPasswords(clock=moved))
    return moved


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


# -- wrong passwords -----------------------------------------------------------------------------------

TOO_MANY = "Too many wrong passwords; try again in {} s."


def test_too_many_wrong_passwords_refuse_even_the_right_one_for_a_cool_down_that_new_sessions_share(
    password: str, clock: Clock
) -> None:
    app = AppTest.from_file(MAIN, default_timeout=TIMEOUT).run()
    for _ in range(access.MAX_WRONG - 1):
        assert [e.value for e in sign_in(app, "guess").error] == ["Wrong password."]
    assert [e.value for e in sign_in(app, "guess").error] == ["Wrong password. " + TOO_MANY.format(60)]

    clock.now += 20
    fresh = AppTest.from_file(MAIN, default_timeout=TIMEOUT).run()  # a new session: the count is not its own
    sign_in(fresh, password)
    login_only(fresh)
    assert [e.value for e in fresh.error] == [TOO_MANY.format(40)] and not shows_data(fresh)

    clock.now += 41  # the cool-down is over
    assert shows_data(sign_in(fresh, password))


def test_each_cool_down_is_longer_and_other_clients_are_not_refused(
    password: str, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    address = {"now": "192.0.2.7"}
    monkeypatch.setattr(access, "client_address", lambda: address["now"])
    app = AppTest.from_file(MAIN, default_timeout=TIMEOUT).run()
    for cool_down in (60, 120):
        for _ in range(access.MAX_WRONG):
            sign_in(app, "guess")
        assert [e.value for e in app.error] == ["Wrong password. " + TOO_MANY.format(cool_down)]
        clock.now += cool_down + 1

    for _ in range(access.MAX_WRONG):
        sign_in(app, "guess")
    address["now"] = "192.0.2.8"  # another machine: its own count
    other = AppTest.from_file(MAIN, default_timeout=TIMEOUT).run()
    assert shows_data(sign_in(other, password))
    address["now"] = "192.0.2.7"
    assert [e.value for e in sign_in(app, password).error] == [TOO_MANY.format(240)]


def test_wrong_passwords_count_within_a_window_and_a_right_one_clears_them(clock: Clock) -> None:
    counts = access.WRONG_PASSWORDS
    for _ in range(access.MAX_WRONG - 1):
        assert counts.wrong("a") == 0
        clock.now += access.WRONG_WINDOW_S / access.MAX_WRONG  # spread over more than the window
    clock.now += access.WRONG_WINDOW_S / access.MAX_WRONG
    assert counts.wrong("a") == 0 and counts.wait_s("a") == 0  # the first one no longer counts

    for _ in range(access.MAX_WRONG - 1):
        counts.wrong("b")
    counts.right("b")
    assert counts.wrong("b") == 0 and counts.wait_s("b") == 0

    for _ in range(12):  # cool-downs double, up to the longest
        for _ in range(access.MAX_WRONG):
            started = counts.wrong("c")
        assert counts.wait_s("c") == started <= access.MAX_COOL_DOWN_S
        clock.now += started
    assert started == access.MAX_COOL_DOWN_S


def test_a_client_without_a_known_address_shares_one_count() -> None:
    assert access.client_address() == access.UNKNOWN_CLIENT  # outside a session; AppTest gives a mock
