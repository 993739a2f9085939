"""The lens dashboard's entry point: `streamlit run app/main.py` from the project root.

The only place the dashboard reads settings (DATABASE_URL, EMBEDDING_BACKEND, ...) and builds the engine;
the pages get both from `app.context.current()`. Nothing is read or drawn before app.access lets the
session in (a login off loopback; see that module).
"""

from __future__ import annotations

import sys
from pathlib import Path

# Streamlit puts this file's folder on sys.path, not the project root that holds `app` and `lens_core`.
_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import streamlit as st  # noqa: E402

from app import access, context, nav  # noqa: E402
from app.ui import md_literal, percent  # noqa: E402
from lens_core.config import get_settings  # noqa: E402
from lens_core.errors import LensError  # noqa: E402
from lens_core.storage import tracking  # noqa: E402
from lens_core.storage.engine import redact_url  # noqa: E402


def sidebar(ctx: context.AppContext) -> None:
    """Which database and which run every page shows."""
    run = context.chosen_run(ctx)
    with st.sidebar:
        access.sign_out_button()
        st.caption(f"Database: {md_literal(redact_url(ctx.url))}")
        if run is None:
            st.caption("No completed run yet")
        else:
            st.caption(
                f"Showing run {run.id}: {run.algorithm}, {md_literal(run.view)} view, "
                f"{run.n_clusters} clusters, noise {percent(run.noise_share)}"
            )


def main() -> None:
    st.set_page_config(page_title="lens: failure clusters", page_icon=":material/troubleshoot:", layout="wide")
    try:
        settings = get_settings()
    except LensError as exc:  # an invalid setting: no page can work, and the login cannot know its password
        st.error(str(exc))
        st.stop()
    access.require(settings)  # the login form, or why there is none, and nothing else until it passes
    problem = None
    try:
        ctx = context.install(settings)
        # The triage queue is the landing page once a run has patterns; the overview before that.
        nav.set_landing(tracking.latest_tracked_run(engine=ctx.engine) is not None)
    except LensError as exc:  # an invalid setting or an unreachable database: say which, show no page
        problem = exc
    page = st.navigation(nav.all_pages())
    try:
        if problem is not None:
            raise problem
        sidebar(ctx)
    except LensError as exc:
        st.error(str(exc))
        st.stop()
    page.run()


main()
