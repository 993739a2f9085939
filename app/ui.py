"""Small UI pieces shared by the pages: lens errors as st.error, literal Markdown, progress bars, page links."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

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
    """The parameters of a run's own clusterer, as its registry row names them
    ('distance_threshold 1.2, family_separation 1.0'; 'k automatic')."""
    name, params = stage_params(run.parameters, "clusterer")
    if name is None:
        return "parameters of a clusterer this lens does not know"
    return ", ".join(f"{key} {'automatic' if value is None else value}" for key, value in params.items()) or "none"


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
