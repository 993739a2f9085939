"""Clusters: tune and run clustering, see the map (coloured by failure pattern), select events on it and make
them a pattern of their own, and read the ranked clusters."""

import streamlit as st

from app import actions, charts, context, loaders, nav, patterns, stale, url_state
from app.run_controls import choose_backends, parameter_widgets
from app.ui import (
    lens_errors,
    md_literal,
    need_events,
    percent,
    progress_bar,
    reuse_note,
    run_parameters,
    table_text,
)
from lens_core.runs.export import to_csv
from lens_core.storage import queries
from lens_core.tracking import curation

SELECTED_COLUMNS = ["evaluation_id", "cluster", "customer_prompt", "plugin", "status_code", "error_type",
                    "error_message"]

ctx = context.current()
st.title("Clusters")
with lens_errors():
    need_events(queries.count_events(engine=ctx.engine))
    run = context.chosen_run(ctx)
stale_slot = st.container()  # above the controls, filled once they are read (Run again runs what they say)

controls, current = st.columns([3, 1])
with controls:
    chosen = choose_backends()  # outside the form: choosing a clusterer enables its parameters below
    # In a form: moving a slider reruns nothing; Run applies them all at once.
    with st.form("clusters_parameters", border=False):
        chosen |= parameter_widgets(chosen["algorithm"], ctx.settings, run)
        run_clicked = st.form_submit_button("Run", type="primary", key="clusters_run", icon=":material/play_arrow:")
    st.caption("Changes to the parameters take effect when you press Run.")

with current:
    st.metric("Clusters (shown run)", run.n_clusters if run else "no run yet")
    st.metric("Noise share", percent(run.noise_share) if run else "n/a")
    if run is not None:
        st.caption(f"Run {run.id}: {run.algorithm}, {run_parameters(run)}, {md_literal(run.view)} view")

with stale_slot:
    stale.banner(ctx, run, page="clusters", options=lambda: actions.options_from(ctx, **chosen))

if run_clicked:
    options = actions.options_from(ctx, **chosen)
    update, bar = progress_bar("Starting…")
    with lens_errors():
        outcome = actions.run_pipeline(options, context=ctx, progress=update)
    context.choose_run(outcome.run_id)
    st.session_state["clusters_message"] = (
        f"Run {outcome.run_id}: {outcome.n_clusters} clusters, noise {percent(outcome.noise_share)}, "
        f"{sum(outcome.timings.values()):.1f} s{reuse_note(outcome.counts)}"
    )
    st.rerun()  # the sidebar and the figures above show the new run

if message := st.session_state.pop("clusters_message", None):
    st.success(message)
if run is None:
    st.info("No completed run yet: choose the parameters above and press Run.")
    st.stop()

table = loaders.clusters_table(ctx.engine, ctx.url, run.id, run.n_events)
if run.n_clusters == 0:
    st.warning("This run put every event in noise. Lower min_cluster_size or min_samples, or try K-Means.")

st.subheader("Map of the failures")
st.caption("Each point is an event, placed by a 2-D UMAP of its embedded text and coloured by its failure pattern "
           "(grey: noise) or by the field chosen below. Drag a box (or pick lasso in the chart's toolbar) to list the "
           "events under it, and make them a pattern of their own.")
with lens_errors():
    frame = loaders.map_frame(ctx.engine, ctx.url, run.id, run.n_events)
    latest = loaders.latest_tracked_run(ctx.engine)
    version = loaders.patterns_version(ctx.engine, latest)
    of_event = loaders.event_patterns(ctx.engine, ctx.url, run.id, run.n_events, version)
names = dict(zip(table["cluster"], table["name"]))
extra = [c for c in ("tenant_id", "timestamp", "release") if c not in frame.columns]
frame = frame.merge(of_event[["evaluation_id", "pattern_id", *extra]], on="evaluation_id", how="left")
tracked = frame["pattern_id"].notna().any()
if tracked:  # legend and hover by pattern title; noise has no pattern
    titles = loaders.pattern_titles(ctx.engine, ctx.url, version)
    frame["pattern"] = frame["pattern_id"].fillna(-1).astype(int)
    groups = {-1: "Noise", **{int(p): titles.get(int(p), f"Pattern {p}") for p in frame["pattern_id"].dropna().unique()}}
    by, shown_names, legend = "pattern", groups, "pattern"
else:  # a run made before patterns existed
    by, shown_names, legend = "cluster_id", names, "cluster"
colour_col, search_col = st.columns([1, 2])
fields = list(loaders.COLOUR_FIELDS)
url_state.seed("clusters_colour", "colour", url_state.one_of(fields), what="colour")
url_state.seed("clusters_search", "search", lambda raw: raw[:200], what="search")  # the box holds 200
colour_by = colour_col.selectbox("Colour by", fields, key="clusters_colour",
                                 help="What the colours tell apart; the largest groups get a colour each, "
                                      "the rest share one (other). Noise stays grey.")
search = search_col.text_input("Find events whose prompt or error holds", key="clusters_search", max_chars=200,
                               placeholder="e.g. quota, 429, mailbox")
url_state.write("colour", colour_by, "pattern")
url_state.write("search", search.strip())
colour = None
if colour_by != "pattern":
    frame["colour"] = loaders.colour_values(frame, colour_by)  # a column of its own: the tables show the raw one
    colour, legend = "colour", colour_by
matches = loaders.search_matches(frame, search) if search.strip() else None
if matches is not None:
    on_map = int(frame.dropna(subset=["map_x", "map_y"])["evaluation_id"].astype(str).isin(matches).sum())
    st.caption(md_literal(f"{len(matches):,} events match {search.strip()!r} ({on_map:,} of them on the map, "
                          "drawn solid; the rest are dimmed)."))
figure = charts.cluster_map(frame, shown_names, by=by, legend=legend, colour=colour, matches=matches)
# Keyed by the patterns' version too: after a selection becomes a pattern, the map starts without a selection.
event = st.plotly_chart(figure, on_select="rerun", selection_mode=("box", "lasso"),
                        key=f"clusters_map_{run.id}_{patterns.version()}")
patterns.show_message()
picked = charts.selected_ids(((event or {}).get("selection") or {}).get("points") or [])  # dict access: a test sets it
if picked:
    chosen = frame[frame["evaluation_id"].isin(picked)].assign(cluster=lambda f: f["cluster_id"].map(names))
    if tracked:
        chosen = chosen.assign(pattern=lambda f: f["pattern"].map(groups))
    shown_columns = (["pattern"] if tracked else []) + SELECTED_COLUMNS
    st.write(f"{len(chosen):,} selected events")
    st.dataframe(table_text(chosen[shown_columns]), hide_index=True, key="clusters_selected")
    st.download_button("Download the selection (CSV)", to_csv(chosen[shown_columns]),
                       file_name=f"lens-run{run.id}-selection.csv", mime="text/csv", key="clusters_selection_csv",
                       icon=":material/download:")
    if latest is None or latest.id != run.id:
        st.caption(f"To make a pattern of a selection, show the newest run ({latest.id if latest else 'none yet'}) "
                   "on the Runs page: rules act on the newest run with patterns.")
    else:
        source, inside = patterns.selection_source(of_event, picked)
        if source is not None:
            with st.form(f"clusters_new_pattern_{patterns.version()}"):
                st.write(md_literal(f"{inside} of the {len(picked)} selected events are in the pattern "
                                    f"{groups.get(source, source)}: make them a new pattern."))
                if inside == int((of_event["pattern_id"] == source).sum()):
                    st.caption("That is every event of the pattern: the new one would take its place. To give it "
                               "another name, rename it on the Pattern page instead.")
                new_title = st.text_input("Title of the new pattern (optional)", max_chars=200,
                                          key=f"clusters_new_title_{patterns.version()}")
                author = patterns.author_input(f"clusters_author_{patterns.version()}")
                make = st.form_submit_button("Make a pattern of the selection", key="clusters_new_pattern",
                                             icon=":material/call_split:")
            if make:
                patterns.apply(
                    lambda: curation.split_events(engine=ctx.engine, pattern_id=source, evaluation_ids=sorted(picked),
                                                  title=new_title, author=author),
                    lambda done: f"New pattern {patterns.titles_now(ctx.engine, done.new_patterns)}: {inside} "
                                 f"selected events, out of {groups.get(source, source)}.",
                )
else:
    st.caption("No events selected.")

st.subheader("Clusters, largest first")
st.dataframe(
    table.drop(columns=["cluster"]), hide_index=True,
    column_config={"share": st.column_config.ProgressColumn("share", format="percent", min_value=0, max_value=1)},
)
open_col, button_col = st.columns([3, 1])
label = open_col.selectbox("Cluster to open", table["cluster"].tolist(), key="clusters_open",
                           format_func=lambda lab: names.get(lab, str(lab)))
if button_col.button("Open cluster detail", key="clusters_open_button"):
    st.session_state["detail_open_label"] = int(label)
    st.switch_page(nav.page("detail"))
