"""The triage queue: the open patterns of the latest tracked run, ranked by impact, each term shown.

    score = (USERS · ln(1 + users) + TENANTS · ln(1 + tenants) + EVENTS · ln(1 + events))
            · severity weight · trend weight

Logarithms, because the hundredth user hurt matters less than the first; users and tenants weigh more
than raw events, because one noisy client can fail thousands of times. The severity is the offline
summary's (share of traffic and failure family: outages, auth and code bugs block users outright). The
trend is the pattern's state when the run's latest release is compared with the one before (else the last
day with the week before; trends.compare): what regressed, is new or grows comes first, what shrinks or
went away drops. Ignored, resolved and merged patterns leave the queue, but for a resolved pattern that
regressed: a fix that did not hold is the first thing to look at (`queued`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine

from lens_core.errors import InputError
from lens_core.storage import tracking as store
from lens_core.tracking.rules import PatternState, fold_states
from lens_core.tracking.titles import titles_of
from lens_core.tracking.trends import PatternChange, compare

USERS, TENANTS, EVENTS = 1.0, 1.0, 0.5
SEVERITY_WEIGHT = {"high": 1.5, "medium": 1.0, "low": 0.75, "": 1.0}
TREND_WEIGHT = {"regressed": 1.5, "new": 1.3, "escalating": 1.3, "ongoing": 1.0, "shrinking": 0.8, "gone": 0.5}
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
    trend: str = "ongoing"  # its state in the default comparison (trends.compare)
    trend_reason: str = ""
    trend_window: str = ""  # "release 2024.05.1 -> release 2024.05.2", or the two time windows

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
    rules = store.active_rules(engine=engine)
    states = fold_states(rules)
    titles = titles_of(engine=engine, ids={int(p) for p in events["pattern_id"].unique()}, run_id=run_id,
                       states=states)
    trend, window = default_trends(every, rules)
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
        change = trend.get(pid)
        terms["trend_weight"] = TREND_WEIGHT[change.state if change else "ongoing"]
        score = round((terms["users"] + terms["tenants"] + terms["events"]) * terms["severity_weight"]
                      * terms["trend_weight"], 3)
        out.append(PatternSummary(
            pattern_id=pid, title=titles[pid], state=state.state, share=round(len(group) / total, 4),
            severity=level, score=score, terms=terms, owner=state.owner, notes=list(state.notes),
            resolved_in=state.resolved_in, merged_into=state.merged_into,
            clusters=sorted(int(x) for x in group["label"].unique() if x >= 0), run_id=run_id,
            trend=change.state if change else "ongoing", trend_reason=change.reason if change else "",
            trend_window=window, **counts,
        ))
    out.sort(key=lambda s: (-s.score, -s.events, s.pattern_id))
    return out if include_closed else [s for s in out if queued(s)]


def queued(summary: PatternSummary) -> bool:
    """Whether the pattern belongs in the triage queue: open, or resolved and regressed since."""
    return summary.state in OPEN_STATES or (summary.state == "resolved" and summary.trend == "regressed")


def default_trends(events: Any, rules: list[Any]) -> tuple[dict[int, PatternChange], str]:
    """Each pattern's change in the default comparison (trends.compare with no windows), and what was
    compared; none and '' where nothing can be (no timestamps)."""
    try:
        result = compare(events, rules=rules)
    except InputError:
        return {}, ""
    return result.by_pattern(), f"{result.base} -> {result.target}"


def _severity_rank(level: str) -> int:
    return {"high": 3, "medium": 2, "low": 1}.get(level, 0)
