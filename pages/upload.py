"""Upload: telemetry files (CSV, JSON, JSON Lines, Parquet; gzip or zstd) or the sample data -> validated,
stored failures."""

import streamlit as st

from app import actions, context, nav
from app.ui import lens_errors, md_literal, progress_bar
from lens_core.errors import InputError
from lens_core.ingest.ingestor import IngestReport
from lens_core.ingest.readers import REQUIRED_COLUMNS
from lens_core.ingest.readers.kinds import COMPRESSIONS, FORMATS
from lens_core.ingest.readers.mapping import LENS_FIELDS
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
    "Every row is validated; a row seen before (same `evaluation_id`) is a duplicate and changes nothing. "
    "Columns with other names: choose which is which field under each file's preview. OTLP JSON trace "
    "exports are read too: their failed tool spans are the events."
)

# Any file may be chosen: one lens cannot read gets a message naming it and saying what lens reads, where
# a type filter would only mark it with a red chip.
suffixes = ", ".join([*FORMATS, *COMPRESSIONS])
uploads = st.file_uploader(
    f"Telemetry files ({suffixes}; at most {limit_mb} MB each)",
    accept_multiple_files=True, key="upload_files",
)
sample_col, ingest_col = st.columns(2)
load_sample = sample_col.button(
    "Load sample data", key="upload_sample", icon=":material/science:",
    help=f"{actions.SAMPLE_EVENTS} generated failures with known root causes",
)
ingest = ingest_col.button("Ingest files", key="upload_ingest", type="primary", disabled=not uploads)

NO_COLUMN = "(none)"


def mapping_step(name: str, columns: list[str], guessed: dict[str, str]) -> dict[str, str | None]:
    """A selectbox per lens field, preselected by the file's own name for it, else the guess; returns the
    chosen {field: column}, and None for a field set to "(none)" although a column has its name: that column
    is then not read (lens_core.ingest.readers.mapping); a field without such a column is simply left out,
    so a JSON key that only later events hold is still read. Required fields offer no "(none)": without
    them the file cannot be stored."""
    st.caption("Which column is each lens field: preselected by name or a guess from common names; "
               "columns not chosen are kept as attributes. \"(none)\" leaves a field empty: a column of that "
               "field's name is then not read.")
    cells, chosen = st.columns(3), {}
    for i, field in enumerate(LENS_FIELDS):
        required = field in REQUIRED_COLUMNS
        options = columns if required else [NO_COLUMN, *columns]
        default = field if field in columns else guessed.get(field, None if required else NO_COLUMN)
        value = cells[i % 3].selectbox(
            field + (" (required)" if required else ""), options, key=f"upload_map_{name}_{field}",
            index=options.index(default) if default in options else None, placeholder="choose a column",
        )
        if value == NO_COLUMN and field in columns:  # the file's own column of that name is not read
            chosen[field] = None
        elif value not in (None, NO_COLUMN):
            chosen[field] = value
    return chosen


mappings: dict[str, dict[str, str | None]] = {}
for upload in uploads or []:
    with st.expander(f"Preview: {md_literal(upload.name)} (first rows)", expanded=len(uploads) == 1):
        columns, guessed = actions.mapping_choices(upload.name, upload.getvalue())
        if columns:
            mappings[upload.name] = mapping_step(upload.name, columns, guessed)
        try:
            st.dataframe(actions.preview(upload.name, upload.getvalue(), mapping=mappings.get(upload.name)),
                         hide_index=True)
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
            [(u.name, u.getvalue()) for u in uploads], context=ctx, progress=update, mappings=mappings
        )



def stored_line(report: IngestReport) -> str:
    """The report's summary with thousands grouped (the CLI's stays plain: scripts read it)."""
    return (f"{report.source}: {report.accepted:,} accepted, {report.duplicates:,} duplicates, "
            f"{len(report.rejected):,} rejected ({report.seconds:.2f} s)")


results = st.session_state.get("upload_results")
if results:
    st.subheader("Validation report")
    for result in results:
        if result.error:
            st.error(result.error)
        elif result.report.accepted == 0 and result.report.duplicates == 0:
            st.warning(f"{result.name}: no valid rows; see the rejected rows below.")
        elif result.report.accepted == 0:  # stored before: nothing to run again for
            st.info(f"{result.name}: nothing new: all {result.report.duplicates:,} valid rows were stored "
                    "before (same evaluation_id)" + (f"; {len(result.report.rejected):,} rejected"
                                                     if result.report.rejected else "") + ".")
        else:
            st.success(stored_line(result.report))
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
