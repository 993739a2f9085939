"""Runs: every stored run with its parameters, counts and timings; choose the run the other pages show."""

import streamlit as st

from app import context, loaders
from app.ui import lens_errors
from lens_core.storage import queries

ctx = context.current()

st.title("Runs")
with lens_errors():
    runs = queries.list_runs(engine=ctx.engine)
    shown = context.chosen_run(ctx)
if not runs:
    st.info("No runs yet. Press Run on the Clusters page.")
    st.stop()

st.dataframe(loaders.runs_frame(runs), hide_index=True, key="runs_table")
completed = [r.id for r in runs if r.status == "completed"]
if not completed:
    st.warning("No run has completed yet; a failed run's error is in the table.")
    st.stop()
choice = st.selectbox("Run the other pages show", completed, key="runs_choice",
                      index=completed.index(shown.id) if shown and shown.id in completed else 0,
                      format_func=lambda rid: f"run {rid}" + (" (newest)" if rid == completed[0] else ""))
if st.button("Show this run", key="runs_show", type="primary"):
    context.choose_run(int(choice))
    st.rerun()
st.caption(f"Now showing run {shown.id}." if shown else "")
