"""What every page needs: the settings, one engine per database and one embedder per model, per server.

The entry point (app/main.py) builds the context (lens_core.context, as the CLI and the API do) from
`get_settings()` and puts it in session state; pages read it with `current()`. The engine and the
embedders are `st.cache_resource`, so every session of one server shares one connection pool and one
loaded MiniLM model.
"""

from __future__ import annotations

import streamlit as st
from sqlalchemy.engine import Engine

from app import url_state
from lens_core.config import Settings
from lens_core.context import AppContext, build_context
from lens_core.embed import Embedder
from lens_core.errors import NotFoundError
from lens_core.storage import queries
from lens_core.storage.engine import open_engine
from lens_core.storage.models import PipelineRun

CONTEXT_KEY = "app_context"
RUN_KEY = "app_run_id"  # the run every page shows; set on the Runs page and after a new run
URL_READ_KEY = "app_run_url_read"  # the link's run= is read once: later choices on the Runs page win


@st.cache_resource(show_spinner=False)
def engine_for(url: str) -> Engine:
    return open_engine(url)


@st.cache_resource(show_spinner=False)
def embedders_for(model: str) -> dict[str, Embedder]:
    """The embedders every context of this server shares, by backend, per EMBEDDING_MODEL (the openai
    backend's model); each embedder's model loads on its first use."""
    return {}


def install(settings: Settings) -> AppContext:
    """Called by the entry point on every script run."""
    context = build_context(settings, engine=engine_for(settings.database_url),
                            embedders=embedders_for(settings.embedding_model))
    st.session_state[CONTEXT_KEY] = context
    return context


def current() -> AppContext:
    context = st.session_state.get(CONTEXT_KEY)
    if context is None:  # a page run without the entry point: only possible in a misconfigured test
        raise RuntimeError("open the dashboard with `streamlit run app/main.py`")
    return context


def chosen_run(context: AppContext) -> PipelineRun | None:
    """The run chosen on the Runs page (or named by the link's `run=`, read once per session) if it still
    exists and completed, else the newest completed run. The URL then names the run shown."""
    from_url = _run_from_url(context)
    run = _chosen(context) if from_url is None else from_url
    url_state.write("run", run.id if run is not None else None)
    return run


def _run_from_url(context: AppContext) -> PipelineRun | None:
    """The completed run the link names, the first time a session reads it; a warning when there is none."""
    raw = st.query_params.get("run")
    if raw is None or st.session_state.get(URL_READ_KEY):
        return None
    st.session_state[URL_READ_KEY] = True
    try:
        run = queries.get_run(engine=context.engine, run_id=url_state.number(raw))
    except (ValueError, OverflowError, NotFoundError):  # not a number, too large a one, or no such run
        run = None
    if run is None or run.status != "completed":
        st.warning(f"The link names run {raw[:40]!r}, which is not a completed run here; showing the newest instead.")
        return None
    choose_run(run.id)
    return run


def _chosen(context: AppContext) -> PipelineRun | None:
    run_id = st.session_state.get(RUN_KEY)
    if run_id is not None:
        try:
            run = queries.get_run(engine=context.engine, run_id=run_id)
        except NotFoundError:  # removed meanwhile, or another database: fall back to the newest
            run = None
        if run is not None and run.status == "completed":
            return run
        st.session_state.pop(RUN_KEY, None)
    return queries.latest_run(engine=context.engine)


def choose_run(run_id: int) -> None:
    st.session_state[RUN_KEY] = run_id
