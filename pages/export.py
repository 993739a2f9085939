"""Export: the chosen run's cluster summaries (CSV, JSON, Markdown report) and every event with its cluster."""

import streamlit as st

from app import context
from app.ui import lens_errors, need_events, need_run
from lens_core.runs import export
from lens_core.storage import queries

ctx = context.current()

st.title("Export")
with lens_errors():
    need_events(queries.count_events(engine=ctx.engine))
    run = context.chosen_run(ctx)
need_run(run)
st.write(f"Exports of run {run.id} ({run.n_clusters} clusters over {run.n_events:,} events), with the analysts' "
         "labels and notes. CSV cells that would start a spreadsheet formula are prefixed with an apostrophe.")

with lens_errors():
    summaries = {fmt: export.summaries_text(engine=ctx.engine, fmt=fmt, run_id=run.id,
                                             redact=ctx.settings.export_redact) for fmt in export.SUMMARY_FORMATS}
    events_csv = export.assignments_csv(engine=ctx.engine, run_id=run.id)

csv_col, json_col, md_col, events_col = st.columns(4)
csv_col.download_button("Summaries (CSV)", summaries["csv"], file_name=f"lens-run{run.id}-clusters.csv",
                        mime="text/csv", key="export_csv", icon=":material/table:")
json_col.download_button("Summaries (JSON)", summaries["json"], file_name=f"lens-run{run.id}-clusters.json",
                         mime="application/json", key="export_json", icon=":material/data_object:")
md_col.download_button("Report (Markdown)", summaries["md"], file_name=f"lens-run{run.id}-report.md",
                       mime="text/markdown", key="export_md", icon=":material/description:")
events_col.download_button("Events with cluster (CSV)", events_csv, file_name=f"lens-run{run.id}-events.csv",
                           mime="text/csv", key="export_events", icon=":material/list:")

st.subheader("Report preview")
with st.container(border=True, height=600):  # the report as it reads; its Markdown source is below
    st.markdown(summaries["md"].replace("$", "\\$"))  # "$...$" would render as LaTeX
with st.expander("Markdown source"):
    st.code(summaries["md"], language="markdown")
