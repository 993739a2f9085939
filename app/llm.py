"""The LLM on the dashboard: the connection (a key from the environment, or one entered for this session only),
and asking the model about one cluster or every cluster of a run, with progress and cost.

A key entered here lives in this browser session's memory (st.session_state) and nowhere else: not in the
settings files, the database, a log or the URL. It takes effect on the next click, without a restart, and
goes with the session (or with "Forget").
"""

from __future__ import annotations

import threading
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import streamlit as st
from pydantic import SecretStr

from app.context import AppContext
from app.ui import md_literal
from lens_core.config import Settings
from lens_core.describe.llm import LLMSummarizer
from lens_core.describe.llm_summaries import SummaryRunReport, build_client, summarize_run
from lens_core.errors import LensError
from lens_core.storage import queries
from lens_core.storage import summaries as summary_store

SESSION_KEY = "llm_session"  # {"key", "base_url", "model"}: what this session entered
OUTPUT_TOKENS_PER_ANSWER = 400  # a summary, root cause, fix and evidence in JSON: the estimate's assumption
CHARS_PER_TOKEN = 4  # English text and JSON average about four characters a token (OpenAI's rule of thumb)
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


@dataclass(frozen=True)
class Estimate:
    """What asking about a run's clusters will cost, before it is asked."""

    clusters: int  # clusters of the run
    to_send: int  # those with enough users and no cached answer for this model and prompt
    input_tokens: int
    output_tokens: int
    cost_usd: float | None  # None: no price known for this model

    def words(self) -> str:
        if self.to_send == 0:
            return f"All {self.clusters:,} clusters have a stored answer or too few users to send: nothing to pay."
        cost = "no price known for this model" if self.cost_usd is None else f"about ${self.cost_usd:.4f}"
        return (f"{self.to_send:,} of {self.clusters:,} clusters would be sent: about {self.input_tokens:,} tokens "
                f"in and {self.output_tokens:,} out (assuming {OUTPUT_TOKENS_PER_ANSWER} per answer), {cost}.")


def estimate(ctx: AppContext, settings: Settings, run_id: int, labels: Collection[int] | None = None) -> Estimate:
    """The cost of asking about the run's clusters (or `labels`), from the prompts that would be sent (those
    summarize_run builds: each with the five largest other clusters as its neighbours) and the model's price
    (lens_core.describe.llm_summaries.PRICES, through its report)."""
    summarizer = LLMSummarizer(None, settings.openai_model, redact=settings.redact_outbound)
    clusters = queries.clusters_of_run(engine=ctx.engine, run_id=run_id, include_noise=False)
    if labels is not None:
        clusters = [c for c in clusters if c.label in set(labels)]
    to_send = chars = 0
    for cluster in clusters:
        if cluster.evidence.unique_users < settings.llm_min_unique_users:
            continue
        neighbours = [c.evidence for c in clusters if c.label != cluster.label][:5]
        prompt = summarizer.prompt(cluster.evidence, neighbours=neighbours)
        if summary_store.cached_llm_summary(engine=ctx.engine, model=settings.openai_model,
                                            prompt_hash=prompt.prompt_hash) is not None:
            continue
        to_send += 1
        chars += sum(len(m["content"]) for m in prompt.messages)
    tokens_in, tokens_out = chars // CHARS_PER_TOKEN, to_send * OUTPUT_TOKENS_PER_ANSWER
    priced = SummaryRunReport(run_id=run_id, model=settings.openai_model, input_tokens=tokens_in,
                              output_tokens=tokens_out)
    return Estimate(len(clusters), to_send, tokens_in, tokens_out, priced.estimated_cost_usd)


class _Counting(LLMSummarizer):
    """The summarizer that counts the clusters it has asked about, for the progress bar."""

    answered = 0
    _lock = threading.Lock()

    def answer(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().answer(*args, **kwargs)
        finally:
            with self._lock:
                self.answered += 1


def ask(ctx: AppContext, settings: Settings, run_id: int, *, labels: Collection[int] | None = None,
        expected: int = 0) -> SummaryRunReport:
    """Ask the model about the run's clusters (or `labels`) with a progress bar: clusters answered of those
    expected to be sent. The calls run on a helper thread while this script's thread draws the bar.
    Raises LensError (one line) when the model cannot be reached at all."""
    summarizer = _Counting(build_client(settings), settings.openai_model, redact=settings.redact_outbound)
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["report"] = summarize_run(engine=ctx.engine, settings=settings, run_id=run_id,
                                              summarizer=summarizer, labels=labels)
        except Exception as exc:  # noqa: BLE001 - shown to the user on the page's thread
            outcome["error"] = exc

    bar = st.progress(0.0, text="Asking the model (redacted evidence only)…")
    thread = threading.Thread(target=work, name="lens-llm-ask", daemon=True)
    thread.start()
    while thread.is_alive():
        thread.join(POLL_S)
        done = summarizer.answered
        if expected:
            bar.progress(min(1.0, done / expected), text=f"Asked the model about {done:,} of {expected:,} clusters…")
    bar.empty()
    if "error" in outcome:
        error = outcome["error"]
        if isinstance(error, LensError):
            raise error
        raise LensError(f"the model could not be asked: {type(error).__name__}: {error}"[:300]) from error
    return outcome["report"]


def show_report(report: SummaryRunReport, before: Estimate | None = None) -> None:
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
