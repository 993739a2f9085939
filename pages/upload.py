"""Upload: telemetry files (CSV, JSON, JSON Lines, Parquet; gzip or zstd) or the sample data -> validated,
stored failures."""

import streamlit as st

from app import actions, context, nav
from app.ui import lens_errors, md_literal, progress_bar
from lens_core.errors import InputError
from lens_core.ingest.readers import UPLOAD_SUFFIXES
from lens_core.runs.export import to_csv

ctx = context.current()
limit_mb = st.get_option("server.maxUploadSize")

st.title("Upload telemetry")
st.write(
    "Files with one failed response per row: `evaluation_id`, `customer_prompt`, `skill_input`, "
    "`skill_output`, `ai_output`, and optionally `timestamp`, `user_id`, `tenant_id`, `release` "
    "(`evaluation_id` and `skill_output` are required: an event without a prompt is an error-only event). "
    "CSV, JSON, JSON Lines or Parquet, the text formats also compressed (`.csv.gz`, `.jsonl.zst`), "
    f"several at once, up to {limit_mb} MB per file. "
    "Every row is validated; a row seen before (same `evaluation_id`) is a duplicate and changes nothing."
)

uploads = st.file_uploader(
    f"Telemetry files (CSV, JSON, JSONL, Parquet, .gz, .zst; at most {limit_mb} MB each)",
    type=list(UPLOAD_SUFFIXES), accept_multiple_files=True, key="upload_files",
)
sample_col, ingest_col = st.columns(2)
load_sample = sample_col.button(
    "Load sample data", key="upload_sample", icon=":material/science:",
    help=f"{actions.SAMPLE_EVENTS} generated failures with known root causes",
)
ingest = ingest_col.button("Ingest files", key="upload_ingest", type="primary", disabled=not uploads)

for upload in uploads or []:
    with st.expander(f"Preview: {md_literal(upload.name)} (first rows)", expanded=len(uploads) == 1):
        try:
            st.dataframe(actions.preview(upload.name, upload.getvalue()), hide_index=True)
        except InputError as exc:
            st.error(str(exc))

if load_sample:
    update, bar = progress_bar("Generating and ingesting the sample data…")
    with lens_errors():
        st.session_state["upload_results"] = [actions.load_samples(context=ctx)]
    update(1.0, "Sample data ingested")
elif ingest and uploads:
    update, bar = progress_bar("Ingesting…")
    with lens_errors():
        st.session_state["upload_results"] = actions.ingest_uploads(
            [(u.name, u.getvalue()) for u in uploads], context=ctx, progress=update
        )

results = st.session_state.get("upload_results")
if results:
    st.subheader("Validation report")
    for result in results:
        if result.error:
            st.error(result.error)
        elif result.report.accepted == 0 and result.report.duplicates == 0:
            st.warning(f"{result.name}: no valid rows; see the rejected rows below.")
        else:
            st.success(result.report.summary_line())
    st.dataframe(actions.results_table(results), hide_index=True)
    rejected = actions.rejections_table(results)
    if not rejected.empty:
        st.write(f"Rejected rows ({len(rejected)}): row numbers count data rows from 1.")
        st.dataframe(rejected, hide_index=True)
        st.download_button(
            "Download the rejected rows (CSV)", to_csv(rejected), file_name="rejected_rows.csv",
            mime="text/csv", key="upload_rejected_csv",
        )
    st.page_link(nav.page("clusters"), label="Next: find the failure clusters", icon=":material/bubble_chart:")
