"""Patterns: the triage queue. The failure patterns of the newest tracked run, ranked by impact with every
score term shown, each with its trend (a badge, its reason and its events over time), and what changed
since the run before it. The landing page once a run has patterns.
"""

import pandas as pd
import streamlit as st

from app import context, loaders, nav, patterns, stale
from app.ui import lens_errors, md_literal, need_events, need_run, percent
from lens_core.storage import queries
from lens_core.tracking import queue
from lens_core.tracking.trends import ALERT_STATES

SHARE = st.column_config.ProgressColumn("share", format="percent", min_value=0, max_value=1, width=90)
# Compact columns, so the title, the score and every term fit one screen width.
QUEUE_CONFIG = {
    "rank": st.column_config.NumberColumn("rank", width=45),
    "#": st.column_config.NumberColumn("#", width=40, help="The pattern's id (`lens patterns show ID`)"),
    "title": st.column_config.TextColumn("title", width=250),
    "share": SHARE,
    "score": st.column_config.NumberColumn("score", format="%.2f", width=60),
    **{name: st.column_config.NumberColumn(name, format="%.2f", width=85, help=help_) for name, help_ in (
        ("users term", f"{queue.USERS:g} × ln(1 + users)"), ("tenants term", f"{queue.TENANTS:g} × ln(1 + tenants)"),
        ("events term", f"{queue.EVENTS:g} × ln(1 + events)"),
    )},
    "severity weight": st.column_config.NumberColumn("× weight", format="%g", width=70, help="The severity weight: "
                                                     + ", ".join(f"{level} {weight:g}" for level, weight
                                                                 in queue.SEVERITY_WEIGHT.items() if level)),
    **{name: st.column_config.NumberColumn(name, width=60) for name in ("events", "users", "tenants", "notes")},
    "state": st.column_config.TextColumn("state", width=80),
    "severity": st.column_config.TextColumn("severity", width=70),
    "trend": st.column_config.TextColumn("trend", width=95, help="Its state in the comparison named above the "
                                         "table: REGRESSED, NEW and ESCALATING rank higher, SHRINKING and GONE lower"),
    "trend weight": st.column_config.NumberColumn("× trend", format="%g", width=60, help="The trend weight: "
                                                  + ", ".join(f"{state} {weight:g}" for state, weight
                                                              in queue.TREND_WEIGHT.items())),
    "trend reason": st.column_config.TextColumn("trend reason", width=420),
}
DIFF_COLUMNS = {"pattern_id": "#", "title": "title", "events_a": "events before", "events_b": "events now"}

ctx = context.current()

st.title("Patterns")
with lens_errors():
    need_events(queries.count_events(engine=ctx.engine))
    shown = context.chosen_run(ctx)
    need_run(shown)
    latest = loaders.latest_tracked_run(ctx.engine)
patterns.need_patterns(latest)
stale.banner(ctx, latest, page="patterns")  # the run the queue ranks
version = loaders.patterns_version(ctx.engine, latest)
with lens_errors():
    items = loaders.pattern_summaries(ctx.engine, ctx.url, latest.id, version)
    titles = loaders.pattern_titles(ctx.engine, ctx.url, version)
    changes = loaders.run_diff(ctx.engine, ctx.url, latest.id, version)
    trend = loaders.trend_series(ctx.engine, ctx.url, latest.id, latest.n_events, version)
patterns.show_message()

queued_items = [s for s in items if queue.queued(s)]
open_m, events_m, alert_m, closed_m, new_m = st.columns(5)
open_m.metric("Patterns in the queue", len(queued_items),
              help="Open patterns, and resolved ones that regressed since")
events_m.metric("Events in the queue", f"{sum(s.events for s in queued_items):,}",
                help=f"{percent(sum(s.share for s in queued_items))} of run {latest.id}'s events")
alert_m.metric("Regressed, new or escalating", sum(s.trend in ALERT_STATES for s in queued_items),
               help="Patterns in the queue whose trend is worth a look (the Compare page explains each)")
closed_m.metric("Ignored, resolved or merged", len(items) - len(queued_items),
                help="Out of the queue (a resolved pattern that regressed is back in it)")
new_m.metric("New since the previous run", len(changes.new) if changes else "n/a")
st.caption(
    f"The patterns of run {latest.id}, the newest run with patterns, with every analyst rule applied"
    + (f" (the other pages show run {shown.id})." if shown.id != latest.id else ".")
)

st.subheader("Triage queue")
include_closed = st.toggle("Include ignored, resolved and merged patterns", key="patterns_closed")
table = patterns.queue_frame(items, titles, include_closed=include_closed,
                             sparks=patterns.sparklines(trend.time, trend.by))
st.caption(
    f"score = ({queue.USERS:g} × ln(1 + users) + {queue.TENANTS:g} × ln(1 + tenants) + {queue.EVENTS:g} × "
    "ln(1 + events)) × severity weight × trend weight: the term columns add up to the score before the "
    "weights, so the largest one says why a pattern ranks where it does."
)
window = patterns.trend_window(items)
st.caption(md_literal(f"Trend: {window}, each pattern's share of the failures there (the Compare page shows "
                      "the numbers)." if window else "Trend: none, the events have no timestamps to compare."))
if not items:
    st.info(f"Run {latest.id} put every event in noise, so there is no pattern yet: run again with other settings.")
elif table.empty:
    st.info("No open pattern: every pattern of this run is ignored, resolved or merged.")
else:
    over_time = st.column_config.LineChartColumn(f"events per {trend.by}", width=110, y_min=0,
                                                 help=f"The pattern's events per {trend.by} in run {latest.id}")
    st.dataframe(patterns.with_badges(table, "trend"), hide_index=True, key="patterns_queue",
                 column_config={**QUEUE_CONFIG, "over time": over_time})
    open_col, button_col = st.columns([3, 1])
    listed = dict(zip(table["#"].tolist(), table["title"]))
    chosen = open_col.selectbox("Pattern to open", list(listed), key="patterns_open", format_func=listed.get)
    button_col.write("")  # lines the button up with the select box
    if button_col.button("Open pattern", key="patterns_open_button", icon=":material/label:"):
        st.session_state[patterns.OPEN_KEY] = int(chosen)
        st.switch_page(nav.page("pattern"))

st.subheader("What changed since the previous run")
if changes is None:
    st.caption(f"Run {latest.id} is the first run with patterns: press Run again on the Clusters page (after new "
               "data arrives, or with another cut) to see which patterns were kept, new, gone, split or merged.")
    st.stop()
st.caption(f"Run {changes.run_a} to run {changes.run_b}: the patterns the events had in each run, and the splits "
           "and merges recorded between them.")
groups = {"new": "New", "gone": "Gone", "split": "Split", "merged": "Merged", "divided": "Divided", "kept": "Kept"}
for col, (name, label) in zip(st.columns(len(groups)), groups.items()):
    col.metric(label, len(getattr(changes, name)))
for tab, (name, label) in zip(st.tabs([f"{label} ({len(getattr(changes, name))})" for name, label in groups.items()]),
                              groups.items()):
    rows = getattr(changes, name)
    if not rows:
        tab.caption(f"No {label.lower()} patterns.")
        continue
    frame = pd.DataFrame(rows).rename(columns=DIFF_COLUMNS)
    if "from" in frame:
        frame["split from"] = frame.pop("from").map(lambda pid: titles.get(int(pid), f"#{pid}"))
    if "into" in frame:
        frame["merged into"] = frame.pop("into").map(lambda pid: titles.get(int(pid), f"#{pid}"))
    if "moved" in frame:
        frame["events moved"] = frame.pop("moved")
    if "clusters_b" in frame:
        frame["clusters before"], frame["clusters now"] = frame.pop("clusters_a"), frame.pop("clusters_b")
    tab.dataframe(frame, hide_index=True, key=f"patterns_diff_{name}", column_config={
        "#": st.column_config.NumberColumn("#", width=50), "title": st.column_config.TextColumn("title", width=320),
        **{c: st.column_config.NumberColumn(c, width=100) for c in ("events before", "events now", "events moved")},
    })
st.caption("Kept: the pattern had events in both runs; new and gone: in only the newer or the older one. "
           "Divided: kept, in more clusters than before, whose evidence names one failure (the status, error "
           "code and family they state are equal): its events keep the pattern; split it on its page to make "
           "the parts patterns.")
