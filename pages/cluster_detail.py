"""Cluster detail: one cluster's summary, root cause and the evidence behind it; its events; the analyst's
label and notes; and the LLM: its connection, a summary of this cluster or of all.
"""

import math

import pandas as pd
import streamlit as st

from app import charts, context, llm, loaders, url_state
from app.ui import lens_errors, md_literal, need_events, need_run, table_text, when
from lens_core.storage import queries

PAGE_SIZE = 50
LLM_REPORT = "detail_llm_report"  # what the last LLM button did, shown after the page reran for it
EVENT_COLUMNS = ["evaluation_id", "timestamp", "user_id", "customer_prompt", "plugin", "endpoint", "status_code",
                 "error_type", "error_message", "distance"]

ctx = context.current()

st.title("Cluster detail")
with lens_errors():
    need_events(queries.count_events(engine=ctx.engine))
    run = context.chosen_run(ctx)
need_run(run)
table = loaders.clusters_table(ctx.engine, ctx.url, run.id, run.n_events)
names = dict(zip(table["cluster"].tolist(), table["name"]))

# A new key after each saved label: a browser keeps showing a kept selectbox's old option text.
picker_key = f"detail_label_{st.session_state.get('detail_version', 0)}"
if (linked := url_state.open_once("cluster", names, what="cluster")) is not None:  # a copied link
    st.session_state[picker_key] = linked
if "detail_open_label" in st.session_state:  # sent by the Clusters page's "Open cluster detail", or a save
    st.session_state[picker_key] = st.session_state.pop("detail_open_label")
if st.session_state.get(picker_key) not in names:
    st.session_state.pop(picker_key, None)  # a label of another run
label = st.selectbox("Cluster", list(names), key=picker_key, format_func=names.get)
url_state.write("cluster", label)
with lens_errors():
    cluster = queries.get_cluster(engine=ctx.engine, run_id=run.id, label=label)
evidence = cluster.evidence

st.subheader(md_literal(names[label]))
st.markdown(f"**Summary:** {md_literal(cluster.summary or 'none')}")
st.markdown(f"**Root-cause hypothesis:** {md_literal(cluster.root_cause or 'none')}")
if cluster.suggested_fix:
    st.markdown(f"**Suggested fix:** {md_literal(cluster.suggested_fix)}")
if cluster.analyst_notes:
    st.markdown(f"**Analyst notes:** {md_literal(cluster.analyst_notes)}")

size_m, share_m, users_m = st.columns(3)
size_m.metric("Events", f"{cluster.size:,}")
share_m.metric("Share of run", f"{cluster.share:.1%}")
users_m.metric("Unique users", f"{evidence.unique_users:,}")
if evidence.first_seen or evidence.last_seen:  # a line of its own: a metric's narrow column would cut a date
    st.caption(f"First seen {when(evidence.first_seen) or 'n/a'}; last seen {when(evidence.last_seen) or 'n/a'}.")
if evidence.keywords:
    st.caption("Keywords: " + md_literal(", ".join(evidence.keywords[:12])))

chart_cols = st.columns(3)
for col, (key, title, values) in zip(chart_cols, [("plugins", "Plugins", evidence.plugins),
                                                  ("endpoints", "Endpoints", evidence.endpoints),
                                                  ("status_codes", "Status codes", evidence.status_codes)]):
    counts = pd.DataFrame(values, columns=["value", "count"])
    if counts.empty:
        col.caption(f"{title}: none parsed")
    else:
        col.plotly_chart(charts.bar_counts(counts, title=title, top=10), key=f"detail_chart_{key}")

meanings = pd.DataFrame(evidence.meanings, columns=["value", "count"])
if not meanings.empty:
    st.subheader("What holds it together")
    st.caption("Its most common meanings (what each error says, apart from how it was written), the failure "
               "families they state, and the surface forms the errors arrived in.")
    meaning_col, family_col, form_col = st.columns([3, 1, 1])
    meaning_col.dataframe(meanings.rename(columns={"value": "meaning", "count": "events"}), hide_index=True,
                          key="detail_meanings")
    for col, key, name, values in ((family_col, "families", "family", evidence.families),
                                   (form_col, "forms", "form", evidence.forms)):
        table = pd.DataFrame(values, columns=["value", "count"])
        col.dataframe(table.rename(columns={"value": name, "count": "events"}), hide_index=True, key=f"detail_{key}")

patterns = pd.DataFrame(evidence.patterns, columns=["value", "count"])
if not patterns.empty:
    st.subheader(f"Message patterns ({len(patterns)})")
    st.caption("The fingerprints' templates after template mining: <*> marks a part that varies.")
    st.dataframe(patterns.rename(columns={"value": "pattern", "count": "events"}), hide_index=True,
                 key="detail_patterns")

fingerprints = pd.DataFrame(evidence.fingerprints, columns=["hash", "template", "count"])
st.subheader(f"Fingerprints inside ({len(fingerprints)})")
if len(fingerprints) == 1:
    st.caption("One exact signature: every event of this cluster fails the same way.")
st.dataframe(fingerprints, hide_index=True, key="detail_fingerprints")

st.subheader("Representative samples")
st.dataframe(table_text(pd.DataFrame(evidence.representatives,
                                     columns=["evaluation_id", "customer_prompt", "error", "fingerprint"])),
             hide_index=True, key="detail_representatives")

st.subheader("All events")
search_col, page_col = st.columns([3, 1])
search = search_col.text_input("Search prompts and outputs", key="detail_search").strip()
with lens_errors():
    _, total = queries.cluster_events(engine=ctx.engine, run_id=run.id, label=label, limit=1, search=search or None)
pages = max(1, math.ceil(total / PAGE_SIZE))
# Keyed by cluster and search: a new search starts again at page 1 with its own page count.
page = page_col.number_input(f"Page (of {pages})", 1, pages, 1, key=f"detail_page_{run.id}_{label}_{search}")
with lens_errors():
    rows, total = queries.cluster_events(engine=ctx.engine, run_id=run.id, label=label,
                                         offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE, search=search or None)
st.caption(f"{total:,} events{' matching the search' if search else ''}; page {page} of {pages}")
st.dataframe(table_text(pd.DataFrame(rows, columns=EVENT_COLUMNS)), hide_index=True, key="detail_events")
if rows:  # a table cell cuts a traceback or an HTML page short: read one event whole, as plain text
    by_id = {r["evaluation_id"]: r for r in rows}
    chosen = by_id[st.selectbox("Read one event in full", list(by_id), key=f"detail_event_{run.id}_{label}")]
    st.caption("Customer prompt")
    st.text(chosen["customer_prompt"])
    st.caption("Skill output")
    st.code(chosen["skill_output"], language=None, wrap_lines=True)
    st.caption("Assistant output")
    st.text(chosen["ai_output"])

st.subheader("LLM summary")
llm_settings = llm.connection_form(ctx.settings)  # the environment's, or what this session entered
one_col, all_col = st.columns(2)
if one_col.button("Generate LLM summary", key="detail_llm", icon=":material/auto_awesome:",
                  help="Ask the model about this cluster (redacted evidence only)."):
    if llm_settings.openai_api_key is None:
        st.warning(llm.NO_CONNECTION)
    else:
        with lens_errors():
            st.session_state[LLM_REPORT] = (llm.ask(ctx, llm_settings, run.id, labels=[label]), None)
        loaders.forget_annotations()  # the cluster's shown summary may have changed
        st.rerun()  # the page shows the new summary, and the estimate what is left to ask
if llm_settings.openai_api_key is not None:
    with lens_errors():
        before = llm.estimate(ctx, llm_settings, run.id)
    all_col.caption(md_literal(f"Every cluster of run {run.id}: {llm.estimate_words(before)}"))
    if all_col.button("Summarise all clusters", key="detail_llm_all", icon=":material/auto_awesome_motion:",
                      disabled=before.clusters == 0):
        with lens_errors():
            st.session_state[LLM_REPORT] = (llm.ask(ctx, llm_settings, run.id), before)
        loaders.forget_annotations()
        st.rerun()
if (asked := st.session_state.pop(LLM_REPORT, None)) is not None:
    llm.show_report(*asked)

st.subheader("Analyst label and notes")
with st.form("detail_annotation"):
    new_label = st.text_input("Label", value=cluster.analyst_label or "", max_chars=200, key=f"detail_label_text_{run.id}_{label}")
    new_notes = st.text_area("Notes", value=cluster.analyst_notes or "", key=f"detail_notes_{run.id}_{label}")
    saved = st.form_submit_button("Save label and notes")
if saved:
    with lens_errors():
        queries.set_cluster_annotation(engine=ctx.engine, run_id=run.id, label=label,
                                       analyst_label=new_label.strip() or None, analyst_notes=new_notes.strip() or None)
    loaders.forget_annotations()
    st.session_state["detail_saved"] = True
    st.session_state["detail_version"] = st.session_state.get("detail_version", 0) + 1
    st.session_state["detail_open_label"] = label
    st.rerun()  # the title, the selector and every other page show the new label
if st.session_state.pop("detail_saved", False):
    st.success("Saved. The label shows wherever this cluster appears (Clusters, map, Export).")
