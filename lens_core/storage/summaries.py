"""LLM summaries' reads and writes: the answer cache by (model, prompt hash), and showing a summary.

lens_core.describe.llm_summaries decides what to ask and what to keep; this module only stores it.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from lens_core.storage.models import ClusterRow, ClusterSummaryRow


def cached_llm_summary(*, engine: Engine, model: str, prompt_hash: str) -> ClusterSummaryRow | None:
    """The newest LLM answer of `model` to the prompt with this hash, whichever cluster it was for."""
    stmt = (select(ClusterSummaryRow)
            .where(ClusterSummaryRow.source == "llm", ClusterSummaryRow.model == model,
                   ClusterSummaryRow.prompt_hash == prompt_hash)
            .order_by(ClusterSummaryRow.id.desc()))  # type: ignore[union-attr]
    with Session(engine) as session:
        return session.execute(stmt).scalars().first()


def show_summary(*, engine: Engine, cluster_id: int, row: ClusterSummaryRow, fresh: bool) -> None:
    """Show `row` as the cluster's summary, in one transaction; a fresh answer, or a cached one for
    another cluster, gets a row of its own (a cached one with no tokens: a cache hit costs nothing)."""
    with Session(engine) as session:
        if fresh or row.cluster_id != cluster_id:
            copy = ClusterSummaryRow(**{k: v for k, v in row.model_dump().items() if k not in {"id", "created_at"}})
            copy.cluster_id = cluster_id  # type: ignore[assignment]
            if not fresh:
                copy.input_tokens = copy.output_tokens = 0
            session.add(copy)
        session.execute(
            update(ClusterRow).where(ClusterRow.id == cluster_id)  # type: ignore[arg-type]
            .values(summary=row.summary, root_cause=row.root_cause, suggested_fix=row.suggested_fix,
                    severity=row.severity, confidence=row.confidence)
        )
        session.commit()
