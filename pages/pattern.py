"""Pattern: one failure pattern across runs. Its evidence (the clusters of the newest tracked run it holds,
with their summary, root cause and fix), how its events divide, its lineage, the analyst's rules on it,
and the actions that make new rules: rename, note, owner, resolve, ignore, reopen, merge, split, undo.
"""

import pandas as pd
import streamlit as st

from app import charts, context, loaders, nav, patterns, url_state
from app.ui import lens_errors, md_literal, percent
from lens_core.parse.releases import release_order
from lens_core.tracking import curation, queue
from lens_core.tracking.rules import SPLIT_FIELDS, split_values
from lens_core.tracking.suggest import suggestions
from lens_core.tracking.track import absorbed_into, curated_patterns

TOP_VALUES = 4

ctx = context.current()

st.title("Pattern")
latest, version = patterns.tracked_run(ctx)
with lens_errors():
    items = loaders.pattern_summaries(ctx.engine, ctx.url, latest.id, version)
    titles = loaders.pattern_titles(ctx.engine, ctx.url, version)
    events = loaders.event_patterns(ctx.engine, ctx.url, latest.id, latest.n_events, version)
by_id = {s.pattern_id: s for s in items}
titles = {**titles, **{s.pattern_id: s.title for s in items}}  # the queue's titles where it has them
choices = patterns.choices(items, titles)
if not choices:
    st.info(f"Run {latest.id} put every event in noise, so there is no pattern yet: run again with other settings.")
    st.stop()

# A new key after each action: a browser keeps showing a kept selectbox's old option text.
picker_key = f"pattern_pick_{patterns.version()}"
if (linked := url_state.open_once("pattern", choices, what="pattern")) is not None:  # a copied link
    st.session_state[picker_key] = linked
if patterns.OPEN_KEY in st.session_state:  # sent by the queue's "Open pattern", or kept across an action
    st.session_state[picker_key] = st.session_state.pop(patterns.OPEN_KEY)
if st.session_state.get(picker_key) not in choices:
    st.session_state.pop(picker_key, None)
pattern_id = st.selectbox("Pattern", choices, key=picker_key,
                          format_func=lambda pid: patterns.choice_label(pid, by_id, titles, latest.id))
url_state.write("pattern", pattern_id)
summary = by_id.get(pattern_id)
title = titles.get(pattern_id, f"Pattern {pattern_id}")
patterns.show_message()

st.subheader(md_literal(title))
state = patterns.state_words(summary, titles) if summary else "open"
facts = [f"State: {state}", f"owner: {summary.owner if summary and summary.owner else 'nobody'}",
         f"pattern #{pattern_id}"]
st.caption(md_literal(", ".join(facts)))
for note in summary.notes if summary else []:
    st.markdown(f"**Note:** {md_literal(note)}")

mine = events[events["pattern_id"] == pattern_id]
if summary is not None and summary.events:
    events_m, users_m, tenants_m, share_m, score_m = st.columns(5)
    events_m.metric("Events", f"{summary.events:,}")
    users_m.metric("Users", f"{summary.users:,}")
    tenants_m.metric("Tenants", f"{summary.tenants:,}")
    share_m.metric(f"Share of run {latest.id}", percent(summary.share))
    score_m.metric("Score", f"{summary.score:.2f}", help="Its place in the triage queue")
    t = summary.terms
    st.caption(f"score {summary.score:.2f} = (users {t['users']:.2f} + tenants {t['tenants']:.2f} + events "
               f"{t['events']:.2f}) × severity weight {t['severity_weight']:g} (severity {summary.severity or 'none'})"
               f" × trend weight {t.get('trend_weight', 1.0):g}")
    if summary.trend_window:
        st.markdown(f"**Trend ({md_literal(summary.trend_window)}): {patterns.badge(summary.trend)}**"
                    + (f" — {md_literal(summary.trend_reason)}" if summary.trend_reason else ""))
elif state == "open" and (absorbed := absorbed_into(engine=ctx.engine, pattern_id=pattern_id)) is not None:
    run, into = absorbed
    st.info(f"This pattern has no events in run {latest.id}, the newest run with patterns: the clustering of run "
            f"{run} merged it into {md_literal(titles.get(into, f'pattern {into}'))}. "
            + ("The next run holds it apart again, with the events of its fingerprints, because of the rules on it."
               if pattern_id in curated_patterns(engine=ctx.engine) else
               "Act on it below (a title, a note, an owner) and the next run holds it apart again, with the events "
               "of its fingerprints."))
else:
    st.info(f"This pattern has no events in run {latest.id}, the newest run with patterns"
            + (f": it is {md_literal(state)}." if state != "open" else "."))

if not mine.empty:
    st.subheader("Over time")
    over_time, by_release = st.columns([3, 2])
    figure = charts.timeline(mine["timestamp"], title="Its failures over time")
    if figure is None:
        over_time.caption("Its events carry no timestamps.")
    else:
        over_time.plotly_chart(figure, key="pattern_timeline")
    releases = mine["release"].dropna()
    releases = releases[releases != ""]
    if releases.empty:
        by_release.caption("Its events name no release.")
    else:
        order = release_order(releases.unique())
        counts = releases.value_counts().reindex(order[::-1]).rename_axis("value").reset_index(name="count")
        named = (f"{len(releases):,} of its {len(mine):,} events name one" if len(releases) < len(mine)
                 else "all its events name one")
        by_release.plotly_chart(charts.bar_counts(counts, title="Its failures by release"), key="pattern_releases")
        by_release.caption(f"Newest release on top; {named}.")  # a chart title this long is cut off

    st.subheader("Evidence")
    st.caption(f"The clusters of run {latest.id} that hold its events, largest share first; a cluster may hold "
               "events of other patterns too (after a split or a selection on the map).")
    clusters = loaders.clusters_table(ctx.engine, ctx.url, latest.id, latest.n_events).set_index("cluster")
    for i, (label, count) in enumerate(mine["label"].value_counts().items()):
        cluster = clusters.loc[label] if label in clusters.index else None
        size = int(cluster["size"]) if cluster is not None else count
        name = cluster["name"] if cluster is not None else f"Cluster {label}"
        with st.expander(f"{md_literal(name)}: {count:,} of its {size:,} events", expanded=i < 2):
            if cluster is None:
                st.caption("No summary stored for this cluster.")
                continue
            st.markdown(f"**Summary:** {md_literal(cluster['summary'] or 'none')}")
            st.markdown(f"**Root-cause hypothesis:** {md_literal(cluster['root_cause'] or 'none')}")
            if cluster["suggested_fix"]:
                st.markdown(f"**Suggested fix:** {md_literal(cluster['suggested_fix'])}")
            if st.button("Open cluster detail", key=f"pattern_cluster_{pattern_id}_{label}"):
                context.choose_run(latest.id)  # the cluster detail page shows the chosen run's clusters
                st.session_state["detail_open_label"] = int(label)
                st.switch_page(nav.page("detail"))

    st.subheader("How its events divide")
    st.caption("The most common values of each field a pattern can be split by.")
    templates = loaders.message_templates(ctx.engine, ctx.url, latest.id, latest.n_events)
    divide = []
    for field in SPLIT_FIELDS:
        values = split_values(mine, field)
        shown = [(templates.get(v, v) if field == "message_pattern" else v, n) for v, n in values[:TOP_VALUES]]
        divide.append({"field": field, "values": len(values),
                       "most common": ", ".join(f"{v or 'none'} ({n:,})" for v, n in shown)})
    st.dataframe(pd.DataFrame(divide), hide_index=True, key="pattern_divide",
                 column_config={"most common": st.column_config.TextColumn("most common", width="large")})

lineage = loaders.pattern_lineage(ctx.engine, ctx.url, pattern_id, version)
origin = loaders.pattern_origin(ctx.engine, ctx.url, pattern_id, version)
st.subheader("Lineage")
parent = origin["parent_id"]
made = (f"Split out of {titles.get(parent, f'#{parent}')} by a rule" if origin["origin"] == "split" and parent
        else "Opened by a run")
seen = (f"; first in run {origin['first_run_id']}, last in run {origin['last_run_id']}"
        if origin["first_run_id"] else "")
st.caption(md_literal(f"{made}{seen}."))
if lineage.empty:
    st.caption("No split or merge recorded between runs for this pattern.")
else:
    words = {"split_from": "split from", "merged_into": "merged into",
             "held_apart": "held apart (curated) from"}
    st.dataframe(pd.DataFrame({
        "run": lineage["run"],
        "pattern": lineage["pattern"].map(lambda pid: titles.get(int(pid), f"#{pid}")),
        "relation": lineage["relation"].map(lambda rel: words.get(rel, rel)),
        "other pattern": lineage["other"].map(lambda pid: titles.get(int(pid), f"#{pid}")),
        "events": lineage["events"],
    }), hide_index=True, key="pattern_lineage")

history = loaders.pattern_history(ctx.engine, ctx.url, pattern_id, version)
st.subheader("Rules")
if history.empty:
    st.caption("No rule names this pattern yet: the actions below make them.")
else:
    st.caption("Every rule that names this pattern, oldest first; an undone rule stays listed, marked undone.")
    st.dataframe(pd.DataFrame({
        "rule": history["rule"],
        "made (UTC)": pd.to_datetime(history["made"]).dt.strftime("%Y-%m-%d %H:%M"),
        "author": history["author"],
        "kind": history["kind"],
        "what": [patterns.rule_words(k, p, titles) for k, p in zip(history["kind"], history["params"])],
        "status": [patterns.rule_status(r) for _, r in history.iterrows()],
    }), hide_index=True, key="pattern_rules",
        column_config={"what": st.column_config.TextColumn("what", width="large")})

st.subheader("Actions")
author = patterns.author_input("pattern_author")
v = f"{pattern_id}_{patterns.version()}"  # fresh fields after each action and for each pattern
others = [pid for pid in choices if pid != pattern_id and pid in by_id and by_id[pid].events]
with lens_errors():
    digests = loaders.cluster_digests(ctx.engine, ctx.url, latest.id, latest.n_events)
    rules = loaders.active_rules(ctx.engine)
open_others = {pid for pid in others if by_id[pid].state in queue.OPEN_STATES}
for hint in suggestions(pattern_id, events, digests, open_patterns=open_others, rules=rules):
    hint_col, button_col = st.columns([4, 1])
    if hint.kind == "split" and hint.values:
        hint_col.info(md_literal(f"Suggested by the evidence: split off the {len(hint.values)} error messages "
                                 f"that go on: {hint.reason}."))
        if button_col.button("Split them off", key=f"pattern_suggested_split_{v}", icon=":material/call_split:"):
            patterns.apply(lambda: curation.split(engine=ctx.engine, pattern_id=pattern_id, by=hint.by,
                                                  values=hint.values, title=hint.part_title(title),
                                                  author=author),
                           lambda done: f"Split off: new pattern {patterns.titles_now(ctx.engine, done.new_patterns)}.",
                           open_pattern=pattern_id)
    elif hint.kind == "split":
        hint_col.info(md_literal(f"Suggested by the evidence: split it by {hint.by}: {hint.reason}."))
        if button_col.button(f"Split by {hint.by}", key=f"pattern_suggested_split_{v}",
                             icon=":material/call_split:"):
            patterns.apply(lambda: curation.split(engine=ctx.engine, pattern_id=pattern_id, by=hint.by,
                                                  author=author),
                           lambda done: f"Split by {hint.by}: new patterns "
                                        f"{patterns.titles_now(ctx.engine, done.new_patterns)}.",
                           open_pattern=pattern_id)
    else:
        names = ", ".join(titles.get(pid, f"#{pid}") for pid in hint.others)
        hint_col.info(md_literal(f"Suggested by the evidence: merge {names} into this pattern: {hint.reason}."))
        if button_col.button("Merge them here", key=f"pattern_suggested_merge_{v}",
                             icon=":material/call_merge:"):
            patterns.apply(lambda: curation.merge(engine=ctx.engine, into=pattern_id, others=list(hint.others),
                                                  author=author),
                           lambda done: f"Merged {patterns.titles_now(ctx.engine, done.rule.params['patterns'])} "
                                        "into this pattern.",
                           open_pattern=pattern_id)
describe_col, state_col, group_col = st.columns(3)

with describe_col.form(f"pattern_describe_{v}"):
    new_title = st.text_input("Title", value=title, max_chars=curation.MAX_TITLE, key=f"pattern_title_{v}")
    rename = st.form_submit_button("Rename", key=f"pattern_rename_{v}")
    owner = st.text_input("Owner (empty: nobody)", value=(summary.owner if summary else None) or "",
                          key=f"pattern_owner_{v}")
    set_owner = st.form_submit_button("Set owner", key=f"pattern_set_owner_{v}")
    note = st.text_area("Note", key=f"pattern_note_{v}", height=80)
    add_note = st.form_submit_button("Add note", key=f"pattern_add_note_{v}")

with state_col.form(f"pattern_state_{v}"):
    release = st.text_input("Release that fixes it (optional)", key=f"pattern_release_{v}")
    resolve = st.form_submit_button("Resolve", key=f"pattern_resolve_{v}", icon=":material/check_circle:")
    st.caption("Ignored, resolved and merged patterns leave the queue (a resolved one comes back if it "
               "regresses); Reopen brings one back.")
    ignore = st.form_submit_button("Ignore", key=f"pattern_ignore_{v}", icon=":material/visibility_off:")
    reopen = st.form_submit_button("Reopen", key=f"pattern_reopen_{v}", icon=":material/undo:")

with group_col.form(f"pattern_group_{v}"):
    merged = st.multiselect("Merge these patterns into this one", others, key=f"pattern_merge_with_{v}",
                            format_func=lambda pid: titles.get(pid, f"#{pid}"))
    merge = st.form_submit_button("Merge", key=f"pattern_merge_{v}", icon=":material/call_merge:")
    field = st.selectbox("Split by", list(SPLIT_FIELDS), key=f"pattern_split_by_{v}",
                         format_func=lambda f: f"{f} ({patterns.count(len(split_values(mine, f)), 'value')} here)")
    split = st.form_submit_button("Split", key=f"pattern_split_{v}", icon=":material/call_split:",
                                  help="A new pattern for each value but the most common, which stays here")

engine = ctx.engine
if rename:
    patterns.apply(lambda: curation.rename(engine=engine, pattern_id=pattern_id, title=new_title, author=author),
                   lambda done: f"Renamed to {done.rule.params['title']}.", open_pattern=pattern_id)
elif set_owner:
    patterns.apply(lambda: curation.set_owner(engine=engine, pattern_id=pattern_id, name=owner, author=author),
                   lambda done: f"Owner: {done.rule.params['name'] or 'nobody'}.", open_pattern=pattern_id)
elif add_note:
    patterns.apply(lambda: curation.note(engine=engine, pattern_id=pattern_id, text=note, author=author),
                   lambda done: "Note added.", open_pattern=pattern_id)
elif resolve:
    patterns.apply(lambda: curation.resolve(engine=engine, pattern_id=pattern_id, release=release, author=author),
                   lambda done: "Resolved" + (f" in {done.rule.params['release']}" if done.rule.params.get("release")
                                              else "") + ": it leaves the queue.",
                   open_pattern=pattern_id)
elif ignore:
    patterns.apply(lambda: curation.ignore(engine=engine, pattern_id=pattern_id, author=author),
                   lambda done: "Ignored: it leaves the queue.", open_pattern=pattern_id)
elif reopen:
    patterns.apply(lambda: curation.reopen(engine=engine, pattern_id=pattern_id, author=author),
                   lambda done: "Reopened: it is back in the queue.", open_pattern=pattern_id)
elif merge:
    patterns.apply(lambda: curation.merge(engine=engine, into=pattern_id, others=merged, author=author),
                   lambda done: f"Merged {patterns.titles_now(engine, done.rule.params['patterns'])} into this pattern.",
                   open_pattern=pattern_id)
elif split:
    patterns.apply(lambda: curation.split(engine=engine, pattern_id=pattern_id, by=field, author=author),
                   lambda done: f"Split by {field}: new patterns {patterns.titles_now(engine, done.new_patterns)}.",
                   open_pattern=pattern_id)

last = loaders.last_rule(ctx.engine)
st.subheader("Undo")
if last is None:
    st.caption("No rule to undo.")
else:
    st.caption(md_literal(
        f"The last rule, on any pattern: rule {last.id}, {patterns.rule_words(last.kind, last.params, titles)} "
        f"on {titles.get(last.pattern_id, f'#{last.pattern_id}')}, by {last.author or 'nobody'}."))
    if st.button("Undo the last rule", key="pattern_undo", icon=":material/undo:"):
        patterns.apply(lambda: curation.undo(engine=engine, author=author),
                       lambda rule: f"Undid rule {rule.id} ({rule.kind}).", open_pattern=pattern_id)
