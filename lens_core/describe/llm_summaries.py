"""LLM summaries for the clusters of a run: ask the model, cache by prompt, store, report.

    build_client(settings)                                   openai.OpenAI from OPENAI_* (entry points call it)
    summarize_run(engine=, settings=, run_id=, client=, limit=)  SummaryRunReport
    estimate_run(engine=, settings=, run_id=, labels=)          LLMEstimate: what asking would cost, asked nothing

Why it is built this way:
- Answers are cached by (model, prompt hash) in cluster_summaries: re-running summaries, a new run with
  the same clusters, or the dashboard's button never pays twice for the same prompt (ARCHITECTURE rule 5).
- Only HTTP calls run in the thread pool; every database write happens on the calling thread afterwards,
  so SQLite never sees concurrent writers and a failed call leaves no partial rows.
- The per-run token budget is checked before each call; calls already in flight finish, so a run may
  overshoot the budget by at most (llm_max_concurrency - 1) answers.
- Clusters with fewer unique users than llm_min_unique_users are never sent (small groups identify people).
- A rejected answer or a failed request keeps the offline summary; the reason is in the report and the log.
- Whether the evidence sent was redacted (REDACT_OUTBOUND) is a line of the report, kept in the run's notes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine

from lens_core.config import Settings
from lens_core.describe.llm import LLMAnswer, LLMAnswerError, LLMSummarizer
from lens_core.errors import ConfigError
from lens_core.schema import ClusterDigest
from lens_core.storage import queries
from lens_core.storage import summaries as summary_store
from lens_core.storage.models import ClusterRow, ClusterSummaryRow

log = logging.getLogger(__name__)

NO_KEY = ("no LLM configured: set OPENAI_API_KEY (and OPENAI_MODEL, OPENAI_BASE_URL for Azure OpenAI, vLLM "
          "or Ollama) in .env; the offline summaries are kept")
# USD per million (input, output) tokens, by model-name prefix (longest first); an estimate for reports only.
PRICES = {"gpt-4o-mini": (0.15, 0.60), "gpt-4.1-nano": (0.10, 0.40), "gpt-4.1-mini": (0.40, 1.60),
          "gpt-4.1": (2.00, 8.00), "gpt-4o": (2.50, 10.00), "gpt-4-turbo": (10.00, 30.00), "gpt-4": (30.00, 60.00),
          "gpt-3.5-turbo": (0.50, 1.50)}


OUTPUT_TOKENS_PER_ANSWER = 400  # a summary, root cause, fix and evidence in JSON: the estimate's assumption
CHARS_PER_TOKEN = 4  # English text and JSON average about four characters a token (OpenAI's rule of thumb)


def price_usd(model: str, input_tokens: int, output_tokens: int) -> float | None:
    """The cost of `model`'s tokens at PRICES; None for a self-hosted or unknown model (no price is guessed)."""
    price = next((p for name, p in sorted(PRICES.items(), key=lambda kv: -len(kv[0]))
                  if model.lower().startswith(name)), None)
    if price is None:
        return None
    return (input_tokens * price[0] + output_tokens * price[1]) / 1_000_000


@dataclass(frozen=True)
class LLMEstimate:
    """What asking about a run's clusters would cost, before anything is asked."""

    model: str
    clusters: int  # clusters considered
    to_send: int  # those with enough users and no stored answer for this model and prompt
    input_tokens: int
    output_tokens: int  # OUTPUT_TOKENS_PER_ANSWER for each cluster sent

    @property
    def cost_usd(self) -> float | None:
        return price_usd(self.model, self.input_tokens, self.output_tokens)


@dataclass
class SummaryRunReport:
    run_id: int
    model: str
    considered: int = 0
    calls: int = 0  # answers requested from the model (a retried answer counts twice)
    cache_hits: int = 0
    stored: list[int] = field(default_factory=list)  # labels with a new LLM summary shown
    skipped_few_users: list[int] = field(default_factory=list)
    skipped_budget: list[int] = field(default_factory=list)
    fallbacks: list[tuple[int, str]] = field(default_factory=list)  # (label, reason): offline summary kept
    input_tokens: int = 0
    output_tokens: int = 0
    redacted: bool = True  # the evidence sent had personal data and secrets replaced (REDACT_OUTBOUND)

    @property
    def estimated_cost_usd(self) -> float | None:
        return price_usd(self.model, self.input_tokens, self.output_tokens)

    def lines(self) -> list[str]:
        cost = self.estimated_cost_usd
        out = [f"run {self.run_id}, model {self.model}: {self.considered} clusters considered, "
               f"{len(self.stored)} LLM summaries shown, {self.calls} calls, {self.cache_hits} cache hits",
               f"tokens: {self.input_tokens} in, {self.output_tokens} out; estimated cost "
               + (f"${cost:.4f}" if cost is not None else "unknown (no price for this model)"),
               "evidence sent redacted (REDACT_OUTBOUND)" if self.redacted
               else "evidence sent NOT redacted (REDACT_OUTBOUND=false)"]
        if self.skipped_few_users:
            out.append(f"not sent (too few unique users): clusters {', '.join(map(str, self.skipped_few_users))}")
        if self.skipped_budget:
            out.append(f"not sent (token budget reached): clusters {', '.join(map(str, self.skipped_budget))}")
        out += [f"cluster {label}: offline summary kept: {reason}" for label, reason in self.fallbacks]
        return out


def build_client(settings: Settings) -> Any:
    """The SDK client from settings; ConfigError with one line when no key is set."""
    if settings.openai_api_key is None:
        raise ConfigError(NO_KEY)
    import openai

    # The SDK retries 408/409/429/5xx and connection errors with exponential backoff (honouring Retry-After).
    return openai.OpenAI(api_key=settings.openai_api_key.get_secret_value(), base_url=settings.openai_base_url,
                         timeout=settings.llm_timeout_s, max_retries=2)


@dataclass
class _Plan:
    """The clusters of one ask, sorted into what is skipped, what has a stored answer and what is sent."""

    run_id: int
    clusters: list[ClusterRow]
    digests: dict[int, ClusterDigest]
    few_users: list[int] = field(default_factory=list)
    cached: list[tuple[ClusterRow, ClusterSummaryRow]] = field(default_factory=list)
    todo: list[tuple[ClusterRow, Any]] = field(default_factory=list)  # (cluster, its prompt)


def _plan(engine: Engine, settings: Settings, summarizer: LLMSummarizer, run_id: int | None,
          labels: Collection[int] | None, limit: int | None) -> _Plan:
    """Each cluster's prompt names the run's five largest other clusters as neighbours (what the model should
    tell it apart from), whichever clusters are asked about."""
    run = queries.resolve_run(engine=engine, run_id=run_id)
    assert run.id is not None
    every = queries.clusters_of_run(engine=engine, run_id=run.id, include_noise=False)
    digests = {c.label: c.evidence for c in every}
    clusters = every if labels is None else [c for c in every if c.label in set(labels)]
    plan = _Plan(run.id, clusters if limit is None else clusters[:limit], digests)
    for cluster in plan.clusters:
        digest = digests[cluster.label]
        if digest.unique_users < settings.llm_min_unique_users:
            plan.few_users.append(cluster.label)
            continue
        prompt = summarizer.prompt(digest, neighbours=_neighbours(cluster.label, digests))
        cached = summary_store.cached_llm_summary(engine=engine, model=summarizer.model,
                                                  prompt_hash=prompt.prompt_hash)
        if cached is not None:
            plan.cached.append((cluster, cached))
        else:
            plan.todo.append((cluster, prompt))
    return plan


def estimate_run(*, engine: Engine, settings: Settings, run_id: int | None = None,
                 labels: Collection[int] | None = None) -> LLMEstimate:
    """What summarize_run would send for the run (or `labels`): the same prompts, counted, nothing asked."""
    summarizer = LLMSummarizer(None, settings.openai_model, redact=settings.redact_outbound)
    plan = _plan(engine, settings, summarizer, run_id, labels, None)
    chars = sum(len(m["content"]) for _cluster, prompt in plan.todo for m in prompt.messages)
    return LLMEstimate(settings.openai_model, len(plan.clusters), len(plan.todo), chars // CHARS_PER_TOKEN,
                       len(plan.todo) * OUTPUT_TOKENS_PER_ANSWER)


def summarize_run(*, engine: Engine, settings: Settings, run_id: int | None = None, client: Any = None,
                  limit: int | None = None, summarizer: LLMSummarizer | None = None,
                  labels: Collection[int] | None = None,
                  on_answer: Callable[[int, int], None] | None = None) -> SummaryRunReport:
    """LLM summaries for the top `limit` clusters (all when None) of a run (default: the latest).

    `labels` restricts the run to those clusters (the dashboard's button asks for one). `on_answer(done,
    total)` is told after each answer of the model (from the worker threads), for a progress bar.
    """
    if summarizer is None:
        summarizer = LLMSummarizer(client if client is not None else build_client(settings), settings.openai_model,
                                   redact=settings.redact_outbound)
    plan = _plan(engine, settings, summarizer, run_id, labels, limit)
    report = SummaryRunReport(run_id=plan.run_id, model=summarizer.model, considered=len(plan.clusters),
                              redacted=summarizer.redact, skipped_few_users=plan.few_users)
    for cluster, cached in plan.cached:
        report.cache_hits += 1
        _store(engine, cluster, cached, fresh=False)
        report.stored.append(cluster.label)
    digests, todo = plan.digests, plan.todo
    answered = _Counter(len(todo), on_answer)

    budget = _Budget(settings.llm_budget_tokens_per_run)

    def call(item: tuple[ClusterRow, Any]) -> LLMAnswer | LLMAnswerError | None:
        cluster, prompt = item
        if not budget.allow():
            return None
        try:
            result: LLMAnswer | LLMAnswerError = summarizer.answer(digests[cluster.label], prompt=prompt)
        except LLMAnswerError as exc:
            result = exc
        budget.spend(result.input_tokens + result.output_tokens)
        answered.one_more()
        return result

    # Results come back in submission order, so the report and the stored rows are deterministic.
    with ThreadPoolExecutor(max_workers=settings.llm_max_concurrency, thread_name_prefix="lens-llm") as pool:
        results = list(pool.map(call, todo))
    for (cluster, _prompt), result in zip(todo, results):
        if result is None:
            report.skipped_budget.append(cluster.label)
            continue
        report.calls += result.attempts
        report.input_tokens += result.input_tokens
        report.output_tokens += result.output_tokens
        if isinstance(result, LLMAnswerError):
            log.warning("cluster %s of run %s: offline summary kept: %s", cluster.label, plan.run_id, result.reason)
            report.fallbacks.append((cluster.label, result.reason))
            continue
        row = ClusterSummaryRow(
            cluster_id=cluster.id, source="llm", model=summarizer.model, prompt_version=summarizer.prompt_version,
            prompt_hash=result.prompt_hash, summary=result.summary.summary, root_cause=result.summary.root_cause,
            suggested_fix=result.summary.suggested_fix, severity=result.summary.severity,
            confidence=result.summary.confidence, evidence=result.evidence,
            input_tokens=result.input_tokens, output_tokens=result.output_tokens,
        )
        _store(engine, cluster, row, fresh=True)
        report.stored.append(cluster.label)
    _record_on_run(engine, plan.run_id, report)
    return report


def _record_on_run(engine: Engine, run_id: int, report: SummaryRunReport) -> None:
    """The run keeps what its LLM summaries cost and why any cluster kept its offline summary."""
    run = queries.get_run(engine=engine, run_id=run_id)
    lines = [f"llm: {line}" for line in report.lines()]
    queries.update_run(engine=engine, run_id=run_id, notes=list(run.notes or []) + lines)


class _Budget:
    """Tokens spent by this run's calls, shared by the worker threads."""

    def __init__(self, limit: int) -> None:
        self.limit, self.used, self._lock = limit, 0, threading.Lock()

    def allow(self) -> bool:
        with self._lock:
            return self.used < self.limit

    def spend(self, tokens: int) -> None:
        with self._lock:
            self.used += tokens


class _Counter:
    """Answers received so far, told to a progress callback; shared by the worker threads."""

    def __init__(self, total: int, told: Callable[[int, int], None] | None) -> None:
        self.total, self.done, self.told, self._lock = total, 0, told, threading.Lock()

    def one_more(self) -> None:
        if self.told is None:
            return
        with self._lock:
            self.done += 1
            self.told(self.done, self.total)


def _neighbours(label: int, digests: dict[int, ClusterDigest]) -> list[ClusterDigest]:
    # The largest other clusters: what the model should tell this one apart from.
    return [d for other, d in digests.items() if other != label][:5]


def _store(engine: Engine, cluster: ClusterRow, row: ClusterSummaryRow, *, fresh: bool) -> None:
    """Show `row` as the cluster's summary; a fresh answer, or a cached one for another cluster, gets a row."""
    assert cluster.id is not None
    summary_store.show_summary(engine=engine, cluster_id=cluster.id, row=row, fresh=fresh)
