"""Each view's state in the page's URL (`st.query_params`), so a copied link opens the same screen.

A widget's value is seeded from its URL parameter once per session (while the widget has no state yet),
and written back on every run, so the address bar follows what the analyst chooses. A value from the URL
that does not fit (a run that does not exist, a word where a number belongs) is dropped with a warning:
a link typed by hand or kept from another database must not end in a traceback.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import streamlit as st


def seed(widget_key: str, param: str, parse: Callable[[str], Any], *, what: str) -> None:
    """Puts the URL's `param`, read by `parse` (raising ValueError when it does not fit), into the widget's
    state before the widget is drawn; only while the widget has none, so the URL never overrides a choice
    made on the page."""
    raw = st.query_params.get(param)
    if raw is None or widget_key in st.session_state:
        return
    try:
        st.session_state[widget_key] = parse(raw)
    except (ValueError, TypeError):
        del st.query_params[param]
        st.warning(f"The link's {what} ({raw[:60]!r}) is not one this page knows; showing the default instead.")


def write(param: str, value: Any, default: Any = None) -> None:
    """The URL carries `value`, or nothing when it is the default (short links for the usual screen)."""
    if value is None or value == default or value == "":
        if param in st.query_params:
            del st.query_params[param]
    elif st.query_params.get(param) != str(value):
        st.query_params[param] = str(value)


def number(raw: str) -> int:
    return int(raw.strip())


def one_of(choices: Iterable[Any]) -> Callable[[str], Any]:
    """A parser accepting only the given choices (compared as text, returned as the choice itself)."""
    options = {str(c): c for c in choices}

    def parse(raw: str) -> Any:
        if raw not in options:
            raise ValueError(raw)
        return options[raw]
    return parse


def open_once(param: str, choices: Iterable[int], *, what: str) -> int | None:
    """The item (a pattern id, a cluster label) the link's `param` opens, the first time this session's page
    reads it; None (and a warning when the value does not fit) otherwise. Once: later picks on the page win."""
    raw = st.query_params.get(param)
    seen = f"url_read_{param}"
    if raw is None or st.session_state.get(seen):
        return None
    st.session_state[seen] = True
    try:
        value = int(raw.strip())
    except ValueError:
        value = None
    if value is None or value not in set(choices):
        st.warning(f"The link's {what} ({raw[:40]!r}) is not one of this run's; showing the first instead.")
        return None
    return value
