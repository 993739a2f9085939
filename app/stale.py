"""The stale-run banner: events stored after the chosen run are in none of its clusters, so every page that
shows the run undercounts them until they are assigned (lens_core.cluster.assign: nearest centre, no new
clustering) or the run is made again. Shown on the Clusters, Patterns and Overview pages.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from app import actions, context, loaders
from app.ui import lens_errors, percent, progress_bar
from lens_core.cluster.assign import assign_new_events
from lens_core.context import AppContext
from lens_core.runs.options import ProcessOptions
from lens_core.storage import queries
from lens_core.storage.models import PipelineRun

MESSAGE_KEY = "stale_message"


def banner(ctx: AppContext, run: PipelineRun | None, *, page: str,
           options: Callable[[], ProcessOptions] | None = None) -> None:
    """A warning with Assign and Run-again buttons when more events are stored than the run holds.
    `options`: what Run again runs (the Clusters page passes its widgets'); default: the settings'."""
    if message := st.session_state.pop(MESSAGE_KEY, None):
        st.success(message)
    if run is None:
        return
    newer = queries.count_events(engine=ctx.engine) - (run.n_events or 0)
    if newer <= 0:
        return
    with st.container(border=True):
        st.warning(f"{newer:,} events arrived after run {run.id}: they are in none of its clusters yet.")
        assign_col, again_col, _ = st.columns([1, 1, 3])
        assign = assign_col.button("Assign them", key=f"{page}_stale_assign", icon=":material/input:",
                                   help="Each joins the nearest cluster of this run within its radius; what fits "
                                        "none goes to noise. Quick: nothing is clustered again.")
        again = again_col.button("Run again", key=f"{page}_stale_run", icon=":material/play_arrow:",
                                 help="Cluster every event again, as the Clusters page's Run does.")
    if assign:
        with lens_errors():
            report = assign_new_events(engine=ctx.engine, settings=ctx.settings, run_id=run.id,
                                       embedder=ctx.embedder(run.embedder))
        loaders.forget_patterns()  # the new events now have patterns; frames keyed by run follow n_events
        st.session_state[MESSAGE_KEY] = (f"Run {run.id}: {report.assigned:,} of {report.events:,} new events joined "
                                         f"its clusters, {report.novel:,} fit none (noise).")
        st.rerun()
    if again:
        update, _bar = progress_bar("Starting…")
        with lens_errors():
            outcome = actions.run_pipeline((options or (lambda: actions.options_from(ctx)))(), context=ctx,
                                           progress=update)
        context.choose_run(outcome.run_id)
        st.session_state[MESSAGE_KEY] = (f"Run {outcome.run_id}: {outcome.n_clusters} clusters, noise "
                                         f"{percent(outcome.noise_share)}.")
        st.rerun()
