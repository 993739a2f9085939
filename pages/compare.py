"""Compare: the patterns of the newest tracked run in two windows, a base and a target (two releases, or two
date ranges), side by side. Each pattern's events and share of the failures on both sides, the change, the
exact binomial test's p-value (Benjamini-Hochberg corrected) and its state: regressed, new, escalating,
shrinking, gone or ongoing, with the reason (lens_core.tracking.trends.compare).
"""

from datetime import UTC, date, datetime, time, timedelta

import pandas as pd
import streamlit as st

from app import charts, context, loaders, nav, patterns
from app.ui import lens_errors, md_literal
from lens_core.errors import InputError
from lens_core.tracking import trends

MODES = ("Releases", "Date ranges")
TABLE_CONFIG = {
    "state": st.column_config.TextColumn("state", width=90),
    "#": st.column_config.NumberColumn("#", width=35, help="The pattern's id (`lens patterns show ID`)"),
    "title": st.column_config.TextColumn("title", width=230),
    "base events": st.column_config.NumberColumn("base", width=50, help="Its events in the base"),
    "target events": st.column_config.NumberColumn("target", width=55, help="Its events in the target"),
    "base rate": st.column_config.NumberColumn("base rate", format="percent", width=70,
                                               help="Its share of all the failures in the base"),
    "target rate": st.column_config.NumberColumn("target rate", format="percent", width=75,
                                                 help="Its share of all the failures in the target"),
    "change": st.column_config.NumberColumn("change", format="%+.2f", width=60,
                                            help="target rate − base rate, in percentage points"),
    # Text (patterns.p_text), so a pattern not tested shows blank.
    "p-value": st.column_config.TextColumn("p-value", width=60,
                                             help="Exact binomial test of the target's count given the base's rate; "
                                                  f"blank: under {trends.MIN_EVENTS} events, or none in the base"),
    "corrected p": st.column_config.TextColumn("corrected p", width=82,
                                                 help="Benjamini-Hochberg over the tested patterns; below "
                                                      f"{trends.ALPHA:g}: escalating or shrinking"),
    "reason": st.column_config.TextColumn("reason", width=520),
}


def day_window(start: date | None, end: date | None, side: str) -> tuple[datetime, datetime] | str:
    """Whole days, start to end inclusive, as a (start, end) UTC pair; a problem in words instead."""
    if start is None or end is None:
        return f"Pick the first and the last day of the {side}."
    if end < start:
        return f"The {side} ends ({end}) before it starts ({start}): pick a last day on or after the first."
    return datetime.combine(start, time(), UTC), datetime.combine(end + timedelta(days=1), time(), UTC)


ctx = context.current()

st.title("Compare")
latest, version = patterns.tracked_run(ctx)
with lens_errors():
    releases = loaders.trend_series(ctx.engine, ctx.url, latest.id, latest.n_events, version).releases
    events = loaders.event_patterns(ctx.engine, ctx.url, latest.id, latest.n_events, version)
stamps = pd.to_datetime(events["timestamp"], utc=True, errors="coerce").dropna()
st.caption(f"The events of run {latest.id}, the newest run with patterns, with every analyst rule applied. "
           "A rate is a pattern's share of all the failures of its window, so a busier window does not read "
           "as a worse one.")

mode = st.radio("Compare", MODES, index=0 if len(releases) >= 2 else 1, horizontal=True, key="compare_mode")
problem: str | None = None
if mode == "Releases":
    if len(releases) < 2:
        st.info("The events name fewer than two releases"
                + (f" (only {md_literal(releases[0])})" if releases else "")
                + ": compare two date ranges instead.")
        st.stop()
    base_col, target_col = st.columns(2)
    base = base_col.selectbox("Base release", releases, index=len(releases) - 2, key="compare_base_release",
                              help="Releases oldest first; the default: the one before the latest")
    target = target_col.selectbox("Target release", releases, index=len(releases) - 1,
                                  key="compare_target_release", help="The default: the latest release")
    if base == target:
        problem = f"Base and target are both release {base}: pick two different releases."
else:
    if stamps.empty:
        st.info("No event carries a timestamp, so there are no date ranges to compare.")
        st.stop()
    last = stamps.max().date()  # defaults as the core's: the last day against the week before it
    first_col, last_col, first_t_col, last_t_col = st.columns(4)
    base_start = first_col.date_input("Base: first day", last - timedelta(days=7), key="compare_base_start")
    base_end = last_col.date_input("Base: last day", last - timedelta(days=1), key="compare_base_end")
    target_start = first_t_col.date_input("Target: first day", last, key="compare_target_start")
    target_end = last_t_col.date_input("Target: last day", last, key="compare_target_end")
    st.caption(f"Days in UTC, both ends included; the events run from {stamps.min().date()} to {last}.")
    base = day_window(base_start, base_end, "base")
    target = day_window(target_start, target_end, "target")
    problem = next((w for w in (base, target) if isinstance(w, str)), None)
    if problem is None and base == target:
        problem = "Base and target are the same days: pick two different ranges."

if problem is not None:
    st.warning(problem)
    st.stop()
try:
    result = loaders.trend_comparison(ctx.engine, ctx.url, latest.id, version, base, target)
except InputError as exc:
    st.warning(str(exc))
    st.stop()
for side, label in result.empty_sides():
    st.warning(md_literal(f"The {side} ({label}) holds no events: pick a window with failures in it."))
    st.stop()

st.caption(md_literal(f"Base: {result.base}, {result.base_total:,} events. Target: {result.target}, "
                      f"{result.target_total:,} events."))
counts = patterns.state_counts(result)
for col, (state, n) in zip(st.columns(len(counts)), counts.items()):
    col.metric(state.capitalize(), n)

table = patterns.compare_frame(result)
if table.empty:
    st.info("No pattern has events in either window.")
    st.stop()
st.subheader("Patterns side by side")
st.caption("Most urgent first (regressed, new, escalating, shrinking, gone, ongoing), then the largest change "
           "either way; the rows worth a look are tinted.")
shown = table.assign(**{name: table[name].map(patterns.p_text) for name in ("p-value", "corrected p")})
st.dataframe(patterns.with_badges(shown, "state", tint_rows=True), hide_index=True, key="compare_table",
             column_config=TABLE_CONFIG)
st.caption(f"States: regressed (resolved, yet failing in the target), new (first seen in the target, or "
           f"{trends.MIN_EVENTS}+ target events with error messages never seen before), escalating or shrinking "
           f"(corrected p below {trends.ALPHA:g}), gone (significant, none left), ongoing (the rest).")

st.subheader("Change of rate")
st.plotly_chart(charts.rate_changes(patterns.compare_frame(result, badges=False)), key="compare_changes")
st.page_link(nav.page("trends"), label="See every pattern over time", icon=":material/trending_up:")
