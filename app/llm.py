"""The LLM on the dashboard: the connection (a key from the environment, or one entered for this session only),
and asking the model about one cluster or every cluster of a run, with progress and cost.

A key entered here lives in this browser session's memory (st.session_state) and nowhere else: not in the
settings files, the database, a log or the URL. It takes effect on the next click, without a restart, and
goes with the session (or with "Forget").
"""

from __future__ import annotations

import threading
from collections.abc import Collection
from typing import Any

import streamlit as st
from pydantic import SecretStr

from app.context import AppContext
from app.ui import md_literal
from lens_core.config import Settings
from lens_core.describe.llm_summaries import (
    OUTPUT_TOKENS_PER_ANSWER,
    LLMEstimate,
    SummaryRunReport,
    estimate_run,
    summarize_run,
)
from lens_core.errors import LensError

SESSION_KEY = "llm_session"  # {"key", "base_url", "model"}: what this session entered
POLL_S = 0.25
NO_CONNECTION = ("No LLM is configured. Enter a key under \"LLM connection\" for this session, or set "
                 "`OPENAI_API_KEY` in the `.env` file in the project root (or in the environment), optionally "
                 "`OPENAI_BASE_URL` (Azure OpenAI, vLLM, Ollama) and `OPENAI_MODEL`.")


def settings_now(settings: Settings) -> Settings:
    """The settings with what this session entered in place of the environment's key, server and model."""
    entered = st.session_state.get(SESSION_KEY) or {}
    update: dict[str, Any] = {}
    if entered.get("key"):
        update["openai_api_key"] = SecretStr(entered["key"])
    if entered.get("base_url"):
        update["openai_base_url"] = entered["base_url"]
    if entered.get("model"):
        update["openai_model"] = entered["model"]
    return settings.model_copy(update=update) if update else settings


def connection_form(settings: Settings) -> Settings:
    """The LLM connection in an expander: where the key comes from now, a form to enter one for this session,
    and a button to forget it. Returns the settings to ask the model with."""
    entered = st.session_state.get(SESSION_KEY) or {}
    now = settings_now(settings)
    source = ("entered for this session" if entered.get("key") else
              "from the environment" if settings.openai_api_key is not None else "none yet")
    server = now.openai_base_url or "OpenAI"
    with st.expander(md_literal(f"LLM connection: key {source}, model {now.openai_model}, server {server}"),
                     expanded=now.openai_api_key is None):
        with st.form("llm_connection", border=False, clear_on_submit=True):  # the key is not kept in its box
            key = st.text_input("API key", type="password", key="llm_key_input",
                                help="Kept in this browser session's memory only: never written to disk, the "
                                     "database or a log. Blank: the environment's OPENAI_API_KEY.")
            base_url = st.text_input("Server (base URL)", value=entered.get("base_url", ""), key="llm_base_url_input",
                                     placeholder=settings.openai_base_url or "https://api.openai.com/v1",
                                     help="An OpenAI-compatible server (Azure OpenAI, vLLM, Ollama); blank: "
                                          "OPENAI_BASE_URL, else OpenAI's.")
            model = st.text_input("Model", value=entered.get("model", ""), key="llm_model_input",
                                  placeholder=settings.openai_model, help="Blank: OPENAI_MODEL.")
            use = st.form_submit_button("Use for this session", key="llm_use")
        if use:
            st.session_state[SESSION_KEY] = {"key": key.strip() or entered.get("key", ""),
                                             "base_url": base_url.strip(), "model": model.strip()}
            st.rerun()
        if entered and st.button("Forget what I entered", key="llm_forget"):
            st.session_state.pop(SESSION_KEY, None)
            st.rerun()
    return now


def estimate_words(estimate: LLMEstimate) -> str:
    if estimate.to_send == 0:
        return f"All {estimate.clusters:,} clusters have a stored answer or too few users to send: nothing to pay."
    cost = "no price known for this model" if estimate.cost_usd is None else f"about ${estimate.cost_usd:.4f}"
    return (f"{estimate.to_send:,} of {estimate.clusters:,} clusters would be sent: about "
            f"{estimate.input_tokens:,} tokens in and {estimate.output_tokens:,} out (assuming "
            f"{OUTPUT_TOKENS_PER_ANSWER} per answer), {cost}.")


def estimate(ctx: AppContext, settings: Settings, run_id: int) -> LLMEstimate:
    """What asking about every cluster of the run would cost (the core's estimate: the same prompts)."""
    return estimate_run(engine=ctx.engine, settings=settings, run_id=run_id)


def ask(ctx: AppContext, settings: Settings, run_id: int, *, labels: Collection[int] | None = None) -> SummaryRunReport:
    """Ask the model about the run's clusters (or `labels`) with a progress bar: clusters answered of those
    sent. The calls run on a helper thread while this script's thread draws the bar.
    Raises LensError (one line) when the model cannot be reached at all."""
    outcome: dict[str, Any] = {"answered": (0, 0)}

    def answered(done: int, total: int) -> None:
        outcome["answered"] = (done, total)

    def work() -> None:
        try:
            outcome["report"] = summarize_run(engine=ctx.engine, settings=settings, run_id=run_id, labels=labels,
                                              on_answer=answered)
        except Exception as exc:  # noqa: BLE001 - shown to the user on the page's thread
            outcome["error"] = exc

    bar = st.progress(0.0, text="Asking the model (redacted evidence only)…")
    thread = threading.Thread(target=work, name="lens-llm-ask", daemon=True)
    thread.start()
    while thread.is_alive():
        thread.join(POLL_S)
        done, total = outcome["answered"]
        if total:
            bar.progress(min(1.0, done / total), text=f"Asked the model about {done:,} of {total:,} clusters…")
    bar.empty()
    if "error" in outcome:
        error = outcome["error"]
        if isinstance(error, LensError):
            raise error
        raise LensError(f"the model could not be asked: {type(error).__name__}: {error}"[:300]) from error
    return outcome["report"]


def show_report(report: SummaryRunReport, before: LLMEstimate | None = None) -> None:
    """What asking did: summaries shown, what it cost against the estimate, and one line per cluster whose
    answer could not be used (the reason as the core states it)."""
    cost = report.estimated_cost_usd
    spent = "no price known for this model" if cost is None else f"${cost:.4f}"
    told = f" (estimated before: ${before.cost_usd:.4f})" if before and before.cost_usd is not None else ""
    line = (f"{len(report.stored):,} of {report.considered:,} clusters now have an LLM summary; "
            f"{report.calls:,} calls, {report.cache_hits:,} answers reused. Spent: {report.input_tokens:,} tokens in, "
            f"{report.output_tokens:,} out, {spent}{told}.")
    (st.success if report.stored else st.info)(md_literal(line))  # literal: two "$" would start LaTeX
    if report.skipped_few_users:
        st.caption(f"Not sent, too few users to share their data: {len(report.skipped_few_users):,} clusters.")
    if report.skipped_budget:
        st.warning(f"Not sent, the run's token budget was reached: {len(report.skipped_budget):,} clusters.")
    for label, reason in report.fallbacks:
        st.warning(md_literal(f"Cluster {label} keeps its offline summary: {reason}", limit=300))
