"""Small UI pieces shared by the pages: lens errors as st.error, literal Markdown, progress bars, page links."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pandas as pd
import streamlit as st

from app import nav
from app.actions import Progress
from lens_core.errors import LensError
from lens_core.runs.options import stage_params

# Every ASCII punctuation character may be backslash-escaped in Markdown; escaping all of them also
# disarms Streamlit's own syntax (:emoji:, :red[...], $math$), so telemetry shows exactly as written.
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def md_literal(text: object, limit: int | None = None) -> str:
    """Text for st.markdown/st.subheader/st.caption that renders literally: one line, no markup, no HTML."""
    line = " ".join(str(text if text is not None else "").split())
    if limit is not None and len(line) > limit:
        line = line[: limit - 1] + "…"
    return _PUNCTUATION.sub(r"\\\1", line)


@contextmanager
def lens_errors() -> Iterator[None]:
    """Show a LensError as st.error with its message (written for the user) and stop the page there."""
    try:
        yield
    except LensError as exc:
        st.error(str(exc))
        st.stop()


def progress_bar(start_text: str) -> tuple[Progress, st.delta_generator.DeltaGenerator]:
    bar = st.progress(0.0, text=start_text)

    def update(fraction: float, text: str) -> None:
        bar.progress(max(0.0, min(1.0, fraction)), text=text)

    return update, bar


def need_events(n_events: int) -> None:
    """An empty database: say what to do and stop the page."""
    if n_events == 0:
        st.info("No failures are stored yet. Upload a telemetry file, or load the sample data, on the Upload page.")
        st.page_link(nav.page("upload"), label="Go to Upload", icon=":material/upload:")
        st.stop()


def need_run(run: object) -> None:
    """Events but no completed run yet: point to the Clusters page."""
    if run is None:
        st.info("No completed clustering run yet. Press Run on the Clusters page to find the failure patterns.")
        st.page_link(nav.page("clusters"), label="Go to Clusters", icon=":material/bubble_chart:")
        st.stop()


def percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def run_parameters(run: Any) -> str:
    """The parameters of a run's own clusterer, as its registry row names them, with what the fit used where
    it differs ('min_cluster_size 10 (used 25: raised to fit the run's size), min_samples 5'; 'k chosen
    automatically: 7')."""
    name, params = stage_params(run.parameters, "clusterer")
    if name is None:
        return "parameters of a clusterer this lens does not know"
    used = (run.counts or {}).get("used_params") or {}
    return ", ".join(f"{key} {value_words(value, used.get(key))}" for key, value in params.items()) or "none"


def value_words(asked: Any, used: Any = None) -> str:
    """A parameter's value as asked, and as used where the run changed it ('10 (used 25: raised to fit the
    run's size)'), or chose it ('chosen automatically: 7')."""
    if asked is None:
        return "chosen automatically" + ("" if used is None else f": {number(used)}")
    if isinstance(asked, bool):
        return "on" if asked else "off"
    if used is None or used == asked:
        return number(asked)
    why = "raised to fit the run's size" if used > asked else "lowered to fit the data"
    return f"{number(asked)} (used {number(used)}: {why})"


def number(value: Any) -> str:
    """1,234 for whole numbers; a float as it is, less a slider's binary noise (1.1, not 1.1000000000000003)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    return f"{value:,}" if isinstance(value, int) else str(round(value, 6))


def table_text(frame: pd.DataFrame) -> pd.DataFrame:
    """A table for st.dataframe with no raw "None"/"NaN" cells: a column with missing values becomes text,
    blank where missing (a status code stays 401, not 401.0); the other columns keep their types."""
    out = frame.copy()
    for column in out.columns[out.isna().any()]:
        out[column] = [_cell(value) for value in out[column]]
    return out


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def when(value: Any) -> str:
    """A timestamp as '2026-01-05 14:02 UTC' (naive ones are UTC in lens), '' when missing."""
    if value is None or value == "":
        return ""
    stamp = pd.Timestamp(value)
    if pd.isna(stamp):
        return ""
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.strftime("%Y-%m-%d %H:%M UTC")


def reuse_note(counts: dict[str, Any]) -> str:
    """' (no text embedded again, stored map reused)': what a run took from earlier runs, in words."""
    parts = []
    if counts.get("embedded") == 0:
        parts.append("no text embedded again")
    if counts.get("reduction_reused"):
        parts.append("stored reduction reused")
    if counts.get("map_reused"):
        parts.append("stored map reused")
    return f" ({', '.join(parts)})" if parts else ""
