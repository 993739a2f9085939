"""Who may use the dashboard. It uploads data, shows every event and spends LLM tokens, so on a shared network
it needs a login; on loopback (only this machine reaches it) it is the analyst's own tool and stays open.

In order of preference:
- OIDC login (Streamlit's st.login, for teams with an identity provider) when `.streamlit/secrets.toml` has
  an `[auth]` section (Streamlit's documented keys: redirect_uri, cookie_secret, client_id, ...);
- LENS_DASHBOARD_PASSWORD: one shared password, compared in constant time; the session remembers that it
  was given (never the password itself) until the browser tab closes or the server restarts;
- neither, on loopback (server.address 127.0.0.1, ::1 or localhost): open, as before;
- neither, anywhere else (another address, or none: every interface): no page, and a message saying how to
  set a password or bind to loopback.
"""

from __future__ import annotations

import hmac
import importlib.util
from collections.abc import Mapping

import streamlit as st

from lens_core.config import Settings, is_loopback

PASSED_KEY = "access_passed"  # True once this session gave the right password


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
        # Constant time: how long a refusal takes says nothing about how much of a guess was right.
        if hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
            st.session_state[PASSED_KEY] = True
            st.rerun()
        st.error("Wrong password.")
    st.stop()


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
