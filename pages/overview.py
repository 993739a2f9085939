"""Overview: how many failures, of which kinds, when, and how the chosen run grouped them."""

import streamlit as st

from app import charts, context, loaders, stale
from app.ui import lens_errors, need_events, percent
from lens_core.storage import queries

ctx = context.current()

st.title("Overview")
with lens_errors():
    n_events = queries.count_events(engine=ctx.engine)
    need_events(n_events)
    n_fingerprints = queries.count_fingerprints(engine=ctx.engine)
    facts = loaders.event_facts(ctx.engine, ctx.url, n_events)
    run = context.chosen_run(ctx)
stale.banner(ctx, run, page="overview")

events_m, fp_m, clusters_m, noise_m, users_m = st.columns(5)
events_m.metric("Failures", f"{n_events:,}")
fp_m.metric("Fingerprints", f"{n_fingerprints:,}", help="Exact failure signatures (masked templates)")
clusters_m.metric("Clusters", run.n_clusters if run else "no run yet")
noise_m.metric("Noise share", percent(run.noise_share) if run else "n/a", help="Events no cluster took")
users_m.metric("Unique users", f"{facts['user_id'].nunique():,}")

plugin_col, status_col = st.columns(2)
with lens_errors():
    plugin_col.plotly_chart(charts.bar_counts(
        loaders.value_counts(ctx.engine, ctx.url, n_events, "plugin"), title="Failures by plugin"), key="overview_plugin")
    status_col.plotly_chart(charts.bar_counts(
        loaders.value_counts(ctx.engine, ctx.url, n_events, "status_code"), title="Failures by status code"),
        key="overview_status")
    st.plotly_chart(charts.bar_counts(
        loaders.value_counts(ctx.engine, ctx.url, n_events, "error_type"), title="Failures by error type"),
        key="overview_error_type")

over_time = charts.timeline(facts["timestamp"])
if over_time is None:
    st.caption("No event has a timestamp, so there is no timeline.")
else:
    st.plotly_chart(over_time, key="overview_timeline")

if run is not None:
    table = loaders.clusters_table(ctx.engine, ctx.url, run.id, run.n_events)
    st.plotly_chart(charts.cluster_sizes(table), key="overview_cluster_sizes")
