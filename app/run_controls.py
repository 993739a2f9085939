"""The Clusters page's run controls, generated from the registry (lens_core.registry): a selector per
stage with choices, and a widget per parameter, enabled for the chosen backends. A backend registered
anywhere appears here with its parameters, and nothing here names one."""

from __future__ import annotations

from typing import Any

import streamlit as st

from app.ui import value_words
from lens_core.registry import REGISTRY, Backend, ClustererBackend, Param
from lens_core.runs.options import stage_params

COLUMNS = 2
# The controls' last values, kept in the session: Streamlit drops a widget's state when a page without it
# runs, so without this the controls would return to the defaults each time the analyst comes back.
REMEMBERED = "clusters_choices"


def _label(row: Backend) -> str:
    return f"{row.name}: {row.help}"


def _remembered() -> dict[str, Any]:
    return st.session_state.setdefault(REMEMBERED, {})


def _start(key: str, default: Any, options: list[str] | None = None) -> Any:
    """A control's value when it is drawn again: the analyst's last (still one of `options`), else the default."""
    value = _remembered().get(key, default)
    return default if options is not None and value not in options else value


def _remember(key: str, value: Any) -> Any:
    _remembered()[key] = value
    return value


def choose_backends() -> dict[str, str]:
    """The view, then the clusterer (starting at the view's own); their names by the registry's stage."""
    algo_col, view_col = st.columns(2)
    views = REGISTRY.names("view")
    view = _remember("clusters_view", view_col.selectbox(
        "Text to embed (view)", views, key="clusters_view",
        index=views.index(_start("clusters_view", REGISTRY.default("view"), views)),
        format_func=lambda name: _label(REGISTRY.get("view", name))))
    clusterers = REGISTRY.names("clusterer")
    algorithm = _remember("clusters_algorithm", algo_col.radio(
        "Algorithm", clusterers, horizontal=True, key="clusters_algorithm",
        index=clusterers.index(_start("clusters_algorithm", REGISTRY.default("clusterer", view=view), clusterers)),
        help="\n\n".join(f"**{_label(REGISTRY.get('clusterer', n))}**" for n in clusterers)))
    return {"view": view, "algorithm": algorithm}


def parameter_widgets(algorithm: str, settings: Any, run: Any = None) -> dict[str, Any]:
    """A widget per parameter of every clusterer and of the reducer; only the chosen clusterer's are
    enabled, and the reducer's only where the clusterer works on a reduction or they shape the map.
    Each says what it does and, where the shown `run` used it, the value that run used: in its help, and
    under it where that differs from the widget's (another run shown, or a value the fit changed).
    Returns the enabled ones' values (None: chosen automatically). Meant for inside a form: nothing
    here depends on another widget of the form, whose values arrive only when it is submitted."""
    values: dict[str, Any] = {}
    chosen = REGISTRY.get("clusterer", algorithm)
    reduces = isinstance(chosen, ClustererBackend) and chosen.on_reduction
    rows = [*REGISTRY.rows["clusterer"].values(), *REGISTRY.rows["reducer"].values()]
    cells = [(row, p) for row in rows for p in row.params]
    columns = st.columns(COLUMNS)
    for i, (row, param) in enumerate(cells):
        enabled = row is chosen or (row.stage == "reducer" and (reduces or param.name.startswith("map_")))
        shown = shown_value(run, row, param)
        with columns[i % COLUMNS]:
            value = _widget(row, param, settings, disabled=not enabled, shown=shown)
            if enabled and shown is not None and shown != value_words(value):  # the slider alone would mislead
                st.caption(f"Shown run: {shown}")
        if enabled:
            values[param.name] = value
    return values


def shown_value(run: Any, row: Backend, param: Param) -> str | None:
    """The value the shown run gave this parameter, in words ('10 (used 25: raised to fit the run's size)');
    None when the run did not use this backend."""
    if run is None:
        return None
    name, params = stage_params(run.parameters, row.stage)
    if name != row.name or param.name not in params:
        return None
    used = ((run.counts or {}).get("used_params") or {}).get(param.name) if row.stage == "clusterer" else None
    return value_words(params[param.name], used)


def _widget(row: Backend, param: Param, settings: Any, *, disabled: bool, shown: str | None) -> Any:
    key = f"clusters_{param.name}"
    label = f"{param.name} ({row.name})"
    default = row.defaults(settings)[param.name]
    help_text = f"{param.help[:1].upper()}{param.help[1:]}."
    if shown is not None:
        help_text += f"\n\nThe shown run used {shown}."
    if param.kind is bool:
        return _remember(key, st.checkbox(label, value=bool(_start(key, default)), key=key, help=help_text,
                                          disabled=disabled))
    low, high = param.ui_range or (param.minimum or 0, param.maximum or 100)
    automatic = False
    if param.optional:
        auto_key = f"clusters_auto_{param.name}"
        automatic = _remember(auto_key, st.toggle(
            f"Choose {param.name} automatically", value=_start(auto_key, default is None), key=auto_key,
            help=help_text, disabled=disabled))
        help_text += f"\n\nUsed only with \"Choose {param.name} automatically\" off."
    start = _start(key, default if default is not None else low + (high - low) // 5)
    if param.kind is int:
        value = st.slider(label, int(low), int(high), int(start), key=key, help=help_text, disabled=disabled)
    else:
        value = st.slider(label, float(low), float(high), float(start), step=param.step, key=key,
                          help=help_text, disabled=disabled)
    _remember(key, value)
    return None if automatic else value
