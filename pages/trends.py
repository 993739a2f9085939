"""Trends: how the failure patterns of the newest tracked run move over time and across releases. Stacked
bars per hour or day and per release, the biggest patterns by title and the rest together, as counts or as
each pattern's share of the bucket's failures; a release filter narrows both charts (lens_core.tracking.trends).
"""

import pandas as pd
import streamlit as st

from app import charts, context, loaders, nav, patterns
from app.ui import lens_errors, md_literal

TOP_DEFAULT, TOP_MAX = 8, 20

ctx = context.current()

st.title("Trends")
latest, version = patterns.tracked_run(ctx)
with lens_errors():
    everything = loaders.trend_series(ctx.engine, ctx.url, latest.id, latest.n_events, version)
    events = loaders.event_patterns(ctx.engine, ctx.url, latest.id, latest.n_events, version)
    titles = loaders.pattern_titles(ctx.engine, ctx.url, version)
st.caption(f"The events of run {latest.id}, the newest run with patterns, each in its pattern with every analyst "
           "rule applied; events in no pattern (noise) count in the totals the shares divide by.")
if everything.time.empty and everything.release.empty:
    st.info(f"No trend to show: run {latest.id} put every event in noise, or its events carry no timestamp. "
            "Ingest more telemetry and run lens process (or press Run on the Clusters page).")
    st.stop()

unreleased = int((events["release"].isna() | (events["release"] == "")).sum())
options = everything.releases + ([loaders.NO_RELEASE] if unreleased else [])
pick_col, top_col, rate_col = st.columns([3, 1.2, 1.2])
chosen = pick_col.multiselect("Releases", options, key="trends_releases", placeholder="All releases",
                              help="Only the events of these releases, in both charts; none chosen: every event")
top = top_col.slider("Patterns named", 1, TOP_MAX, TOP_DEFAULT, key="trends_top",
                     help="The patterns with the most events get a colour each; the others are added up")
rate_col.write("")  # lines the toggle up with the inputs
rate = rate_col.toggle("Share of the failures", key="trends_rate",
                       help="Each pattern's events as a share of all the failures of the hour, day or release")

with lens_errors():
    shown = loaders.trend_series(ctx.engine, ctx.url, latest.id, latest.n_events, version, tuple(chosen)) \
        if chosen else everything
names = {**titles, **{pid: f"Pattern {pid}" for pid in set(shown.time["pattern_id"]) - set(titles)}}
top_ids = charts.top_patterns(shown.time if not shown.time.empty else shown.release, top)
if chosen:
    st.caption(md_literal(f"Events of {', '.join(chosen)} only."))

st.subheader("Over time")
if shown.time.empty:
    st.info("No event of the chosen releases is in a pattern and has a timestamp.")
else:
    unit = shown.by
    st.plotly_chart(charts.pattern_stack(
        shown.time, "bucket", top_ids=top_ids, names=names, rate=rate, axis_title=unit,
        title=f"{'Share of the failures' if rate else 'Failures'} per {unit}, by pattern"),
        key="trends_time")

st.subheader("By release")
if shown.release.empty:
    st.info("None of these events names a release: telemetry with a release column (or field) shows how "
            "each release fares, and the Compare page can set one release against another.")
else:
    st.plotly_chart(charts.pattern_stack(
        shown.release, "release", top_ids=top_ids, names=names, rate=rate, order=shown.releases,
        axis_title="release (oldest first)",
        title=f"{'Share of the failures' if rate else 'Failures'} per release, by pattern"),
        key="trends_release")
    if unreleased and not chosen:
        st.caption(f"{unreleased:,} of the run's {len(events):,} events name no release: they are in the chart "
                   "over time, not in this one.")
    with st.expander("In numbers"):
        value = "rate" if rate else "events"
        frame = shown.release.assign(title=shown.release["pattern_id"].map(lambda p: names.get(p, f"Pattern {p}")))
        table = frame.pivot_table(index="title", columns="release", values=value, aggfunc="sum", fill_value=0)
        table = table.reindex(columns=[r for r in shown.releases if r in table.columns])
        table = table.loc[table.sum(axis=1).sort_values(ascending=False, kind="stable").index]
        st.dataframe(pd.DataFrame(table), key="trends_numbers", column_config={
            name: st.column_config.NumberColumn(name, format="percent" if rate else None) for name in table.columns})

st.page_link(nav.page("compare"), label="Compare two releases or date ranges", icon=":material/compare_arrows:")
