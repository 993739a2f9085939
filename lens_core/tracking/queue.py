"""The triage queue: the open patterns of the latest tracked run, ranked by impact, each term shown.

    score = (USERS · ln(1 + users) + TENANTS · ln(1 + tenants) + EVENTS · ln(1 + events)) · severity weight

Logarithms, because the hundredth user hurt matters less than the first; users and tenants weigh more
than raw events, because one noisy client can fail thousands of times. The severity is the offline
summary's (share of traffic and failure family: outages, auth and code bugs block users outright).
Ignored, resolved and merged patterns leave the queue. Growth joins the score with releases and trends.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine

from lens_core.storage import tracking as store
from lens_core.tracking.rules import PatternState, fold_states

USERS, TENANTS, EVENTS = 1.0, 1.0, 0.5
SEVERITY_WEIGHT = {"high": 1.5, "medium": 1.0, "low": 0.75, "": 1.0}
OPEN_STATES = ("open",)


@dataclass
class PatternSummary:
    pattern_id: int
    title: str
    state: str
    events: int
    users: int
    tenants: int
    share: float
    severity: str
    score: float
    terms: dict[str, float]
    owner: str | None = None
    notes: list[str] = field(default_factory=list)
    resolved_in: str | None = None
    merged_into: int | None = None
    clusters: list[int] = field(default_factory=list)  # labels of the run's clusters it holds events of
    run_id: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def summaries(*, engine: Engine, run_id: int | None = None, include_closed: bool = False) -> list[PatternSummary]:
    """Every pattern with events in the run (default: the latest tracked one), highest score first."""
    run_id = run_id if run_id is not None else store.latest_tracked_run(engine=engine)
    if run_id is None:
        return []
    every = store.run_events_frame(engine=engine, run_id=run_id)
    total = len(every)
    events = every[every["pattern_id"].notna()]
    if events.empty:
        return []
    # Distinct users and tenants per pattern in one pass ('' is no id, as missing is).
    ids = events[["user_id", "tenant_id"]].astype(object).where(events[["user_id", "tenant_id"]] != "", None)
    distinct = ids.groupby(events["pattern_id"]).nunique()
    severity = {c.label: c.severity for c in store.clusters_with_centroids(engine=engine, run_id=run_id)}
    states = fold_states(store.active_rules(engine=engine))
    titles = titles_of(engine=engine, ids={int(p) for p in events["pattern_id"].unique()}, run_id=run_id)
    out = []
    for key, group in events.groupby("pattern_id"):
        pid = int(key)
        state = states.get(pid) or PatternState()
        level = max((severity.get(int(lab), "") for lab in group["label"].unique()), key=_severity_rank)
        counts = {"users": int(distinct.at[key, "user_id"]), "tenants": int(distinct.at[key, "tenant_id"]),
                  "events": len(group)}
        terms = {
            "users": round(USERS * math.log1p(counts["users"]), 3),
            "tenants": round(TENANTS * math.log1p(counts["tenants"]), 3),
            "events": round(EVENTS * math.log1p(counts["events"]), 3),
            "severity_weight": SEVERITY_WEIGHT.get(level, 1.0),
        }
        score = round((terms["users"] + terms["tenants"] + terms["events"]) * terms["severity_weight"], 3)
        out.append(PatternSummary(
            pattern_id=pid, title=titles[pid], state=state.state, share=round(len(group) / total, 4),
            severity=level, score=score, terms=terms, owner=state.owner, notes=list(state.notes),
            resolved_in=state.resolved_in, merged_into=state.merged_into,
            clusters=sorted(int(x) for x in group["label"].unique() if x >= 0), run_id=run_id, **counts,
        ))
    out.sort(key=lambda s: (-s.score, -s.events, s.pattern_id))
    return out if include_closed else [s for s in out if s.state in OPEN_STATES]


def titles_of(*, engine: Engine, ids: set[int] | None = None, run_id: int | None = None) -> dict[int, str]:
    """The title every surface shows for each pattern, unique: the analyst's; else the title of the cluster
    that continued it in the run (default: the latest tracked), the LLM's where summaries were written;
    else the title it was last given."""
    states = fold_states(store.active_rules(engine=engine))
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


def _severity_rank(level: str) -> int:
    return {"high": 3, "medium": 2, "low": 1}.get(level, 0)
