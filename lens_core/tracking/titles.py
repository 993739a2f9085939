"""The title every surface shows for a pattern: the analyst's, else its evidence's; unique across patterns."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine

from lens_core.storage import tracking as store
from lens_core.tracking.rules import PatternState, fold_states


def titles_of(*, engine: Engine, ids: set[int] | None = None, run_id: int | None = None,
              states: dict[int, PatternState] | None = None) -> dict[int, str]:
    """The title every surface shows for each pattern, unique: the analyst's; else the title of the cluster
    that continued it in the run (default: the latest tracked), the LLM's where summaries were written;
    else the title it was last given. `states`: the rules folded, where the caller has them already."""
    states = states if states is not None else fold_states(store.active_rules(engine=engine))
    rows = store.patterns(engine=engine, ids=ids)
    run_id = run_id if run_id is not None else store.latest_tracked_run(engine=engine)
    current = store.cluster_titles(engine=engine, run_id=run_id) if run_id is not None else {}
    return display_titles({pid: _title(row, states.get(pid), current.get(pid)) for pid, row in rows.items()})


def display_titles(titles: dict[int, str]) -> dict[int, str]:
    """Titles made unique: a title two patterns share gets each one's id, so neither reads as the other."""
    seen: dict[str, int] = {}
    for title in titles.values():
        seen[title] = seen.get(title, 0) + 1
    return {pid: (f"{t} (#{pid})" if seen[t] > 1 or not t else t) for pid, t in titles.items()}


def _title(row: Any, state: PatternState | None, current: str | None = None) -> str:
    """The analyst's title; else the evidence's, with the value it kept when split (its parts name theirs)."""
    if state and state.title:
        return state.title
    title = current or row.title or f"Pattern {row.id}"
    return f"{title} · {state.keeps}" if state and state.keeps else title
