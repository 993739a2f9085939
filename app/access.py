"""Who may use the dashboard. It uploads data, shows every event and spends LLM tokens, so on a shared network
it needs a login; on loopback (only this machine reaches it) it is the analyst's own tool and stays open.

In order of preference:
- OIDC login (Streamlit's st.login, for teams with an identity provider) when `.streamlit/secrets.toml` has
  an `[auth]` section (Streamlit's documented keys: redirect_uri, cookie_secret, client_id, ...);
- LENS_DASHBOARD_PASSWORD: one shared password, compared in constant time; the session remembers that it
  was given (never the password itself) until the browser tab closes or the server restarts. After
  MAX_WRONG wrong ones within WRONG_WINDOW_S, a client is refused for a cool-down that doubles each time
  (FIRST_COOL_DOWN_S, then twice that, up to MAX_COOL_DOWN_S), counted in this process per client address,
  so a new session or a reloaded tab starts no new count;
- neither, on loopback (server.address 127.0.0.1, ::1 or localhost): open, as before;
- neither, anywhere else (another address, or none: every interface): no page, and a message saying how to
  set a password or bind to loopback.
"""

from __future__ import annotations

import hmac
import importlib.util
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import streamlit as st

from lens_core.config import Settings, is_loopback

PASSED_KEY = "access_passed"  # True once this session gave the right password
MAX_WRONG = 5  # wrong passwords a client may give within WRONG_WINDOW_S before a cool-down
WRONG_WINDOW_S = 15 * 60
FIRST_COOL_DOWN_S = 60
MAX_COOL_DOWN_S = 60 * 60
UNKNOWN_CLIENT = "unknown address"  # clients whose address Streamlit does not know share one count


@dataclass
class _Client:
    wrong_at: list[float] = field(default_factory=list)  # within the window
    cool_downs: int = 0  # so far; each one doubles the next
    refused_until: float = 0.0


class WrongPasswords:
    """Wrong passwords per client, shared by every session of this process (a new session, a reloaded tab
    or a new browser must not start a new count)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._clients: dict[str, _Client] = {}
        self._lock = threading.Lock()  # sessions run in threads of their own

    def wait_s(self, client: str) -> int:
        """Seconds before `client` may try again; 0: it may now."""
        with self._lock:
            record = self._clients.get(client)
            left = record.refused_until - self._clock() if record else 0.0
        return math.ceil(left) if left > 0 else 0

    def wrong(self, client: str) -> int:
        """Counts a wrong password; returns the cool-down it started (seconds), 0 when none."""
        with self._lock:
            now = self._clock()
            self._forget_idle(now)
            record = self._clients.setdefault(client, _Client())
            record.wrong_at = [at for at in record.wrong_at if now - at < WRONG_WINDOW_S] + [now]
            if len(record.wrong_at) < MAX_WRONG:
                return 0
            cool_down = min(FIRST_COOL_DOWN_S * 2**record.cool_downs, MAX_COOL_DOWN_S)
            record.cool_downs += 1
            record.wrong_at = []
            record.refused_until = now + cool_down
            return cool_down

    def right(self, client: str) -> None:
        with self._lock:
            self._clients.pop(client, None)

    def _forget_idle(self, now: float) -> None:
        """Drops the clients with nothing left to count (no wrong password and no cool-down within the longest
        of the two spans): only the addresses that tried lately are kept."""
        idle = [name for name, record in self._clients.items()
                if now - max(record.wrong_at, default=record.refused_until) > max(WRONG_WINDOW_S, MAX_COOL_DOWN_S)
                and now > record.refused_until]
        for name in idle:
            del self._clients[name]


WRONG_PASSWORDS = WrongPasswords()


def require(settings: Settings) -> None:
    """Returns when this session may see the dashboard; otherwise shows the login (or why there is none) and
    stops the script, so no page and no navigation is drawn."""
    if _oidc_section() is not None:
        _oidc_login()
    elif settings.lens_dashboard_password is not None:
        _password_login(settings.lens_dashboard_password.get_secret_value())
    elif not is_loopback(bound_address()):
        st.error(f"This dashboard listens on {_where()} and has no access control, so it shows no data. Set "
                 "LENS_DASHBOARD_PASSWORD (or an OIDC login in .streamlit/secrets.toml) and restart it, or run it "
                 "on 127.0.0.1 (--server.address 127.0.0.1, as .streamlit/config.toml sets).")
        st.stop()


def bound_address() -> str:
    """server.address; empty when unset, and then Streamlit listens on every interface."""
    return str(st.get_option("server.address") or "")


def sign_out_button() -> None:
    """In the sidebar, when there is something to sign out of."""
    if _oidc_section() is not None and st.user.is_logged_in:
        st.button("Sign out", key="access_sign_out", on_click=st.logout)
    elif st.session_state.get(PASSED_KEY):
        st.button("Sign out", key="access_sign_out", on_click=lambda: st.session_state.pop(PASSED_KEY, None))


def _where() -> str:
    address = bound_address()
    return f"{address}, which other machines can reach" if address else "every interface (server.address is not set)"


def _password_login(expected: str) -> None:
    if st.session_state.get(PASSED_KEY):
        return
    st.title("lens")
    with st.form("access_login", clear_on_submit=True):  # cleared: the password is not kept as a widget value
        given = st.text_input("Password", type="password", key="access_password")
        submitted = st.form_submit_button("Sign in")
    if submitted:
        client = client_address()
        if wait := WRONG_PASSWORDS.wait_s(client):  # refused unchecked: a guess now teaches nothing
            st.error(_too_many(wait))
            st.stop()
        # Constant time: how long a refusal takes says nothing about how much of a guess was right.
        if hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
            WRONG_PASSWORDS.right(client)
            st.session_state[PASSED_KEY] = True
            st.rerun()
        cool_down = WRONG_PASSWORDS.wrong(client)
        st.error("Wrong password." + (f" {_too_many(cool_down)}" if cool_down else ""))
    st.stop()


def client_address() -> str:
    """The address the browser connects from, as Streamlit saw it. Forwarded-for headers are not read: a
    client could write any, and so start a new count with each guess. Behind a proxy, every client has the
    proxy's address and shares its count: stricter, never looser."""
    try:
        address = st.context.ip_address
    except Exception:  # noqa: BLE001  (outside a browser session: no address to give)
        address = None
    return address if isinstance(address, str) and address else UNKNOWN_CLIENT


def _too_many(wait_s: int) -> str:
    return f"Too many wrong passwords; try again in {wait_s} s."


def _oidc_section() -> Mapping | None:
    try:
        section = st.secrets.get("auth")
    except FileNotFoundError:  # no secrets.toml at all (Streamlit's error is a FileNotFoundError)
        return None
    return section if isinstance(section, Mapping) else None


def _oidc_login() -> None:
    if importlib.util.find_spec("authlib") is None:
        st.error("OIDC login is configured ([auth] in .streamlit/secrets.toml) but the Authlib package is not "
                 "installed: pip install 'Authlib>=1.3.2'")
        st.stop()
    if st.user.is_logged_in:
        return
    section = _oidc_section() or {}
    # [auth] with client_id is Streamlit's default provider; otherwise the first named one ([auth.google] ...).
    named = [name for name, value in section.items() if isinstance(value, Mapping)]
    provider = None if "client_id" in section or not named else named[0]
    st.title("lens")
    st.button("Sign in", key="access_oidc", on_click=st.login, args=(provider,))
    st.stop()
