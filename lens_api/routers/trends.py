"""What changed over time and releases (lens_core.tracking.trends): one pattern's timeline, and every
pattern compared between a base and a target."""

from __future__ import annotations

from typing import Literal

import pandas as pd
from fastapi import APIRouter, Depends, Query
from sqlalchemy.engine import Engine

from lens_api.deps import get_engine
from lens_api.errors import error_responses
from lens_api.routers.patterns import PatternId
from lens_api.trend_schemas import (
    CompareOut,
    FacetBucketOut,
    PatternChangeOut,
    ReleaseBucketOut,
    TimeBucketOut,
    TimelineOut,
)
from lens_core.errors import NotFoundError
from lens_core.storage import tracking as store
from lens_core.tracking import trends, windows
from lens_core.tracking.queue import default_trends
from lens_core.tracking.titles import titles_of

router = APIRouter(tags=["trends"], responses=error_responses(404, 503))

RELEASE = {"max_length": 100}
WINDOW = {"max_length": 100, "description": "START..END in ISO date-times (START <= t < END)"}


def _latest(engine: Engine) -> int:
    run_id = store.latest_tracked_run(engine=engine)
    if run_id is None:
        raise NotFoundError("no tracked run yet: process the events first")
    return run_id


@router.get("/compare", response_model=CompareOut)
def compare(
    base_release: str | None = Query(None, **RELEASE),
    target_release: str | None = Query(None, **RELEASE),
    base_window: str | None = Query(None, **WINDOW),
    target_window: str | None = Query(None, **WINDOW),
    engine: Engine = Depends(get_engine),
) -> CompareOut:
    """Each pattern's events and share of failures in a base and a target: two releases or two windows;
    none given, the latest release against the one before, else the last 24 h against the 7 days before.
    Its state (regressed, new, escalating, shrinking, gone, ongoing) comes with the reason."""
    base, target = windows.sides(base_release, target_release, base_window, target_window)
    run_id = _latest(engine)
    result = trends.compare_latest(engine=engine, base=base, target=target, run_id=run_id)
    return CompareOut(run_id=run_id, base=result.base, target=result.target, base_total=result.base_total,
                      target_total=result.target_total,
                      changes=[PatternChangeOut(**c.as_dict()) for c in result.changes])


@router.get("/patterns/{pattern_id}/timeline", response_model=TimelineOut)
def timeline(
    pattern_id: int = PatternId,
    by: Literal["hour", "day"] | None = Query(None, description="Default: hour under 3 days of events, else day"),
    facet: str | None = Query(None, min_length=1, max_length=100,
                              description="Also per value of this attribute, e.g. client_version or model"),
    engine: Engine = Depends(get_engine),
) -> TimelineOut:
    """The pattern's events, users and share of all failures per time bucket and per release in the latest
    tracked run (and per value of an attribute), with its row of the default comparison."""
    store.existing_patterns(engine=engine, ids=[pattern_id])
    run_id = _latest(engine)
    events = store.run_events_frame(engine=engine, run_id=run_id)
    series = trends.series(events, by=by)
    mine_time = series.time[series.time["pattern_id"] == pattern_id].drop(columns="pattern_id")
    mine_release = series.release[series.release["pattern_id"] == pattern_id].drop(columns="pattern_id")
    title = titles_of(engine=engine, ids={pattern_id}, run_id=run_id)[pattern_id]
    change = _change(events, engine, pattern_id) if len(mine_time) or len(mine_release) else None
    return TimelineOut(
        run_id=run_id, pattern_id=pattern_id, title=title, by=series.by,
        time=[TimeBucketOut(**r) for r in mine_time.to_dict(orient="records")],
        releases=[ReleaseBucketOut(**r) for r in mine_release.to_dict(orient="records")],
        trend=PatternChangeOut(**{**change.as_dict(), "title": title}) if change is not None else None,
        facet=facet, by_facet=_by_facet(events, engine, run_id, pattern_id, facet) if facet else [])


def _by_facet(events: pd.DataFrame, engine: Engine, run_id: int, pattern_id: int, key: str) -> list[FacetBucketOut]:
    values = events["event_id"].map(store.event_attribute(engine=engine, run_id=run_id, key=key))
    rows = trends.facet(events, values)
    mine = rows[rows["pattern_id"] == pattern_id].drop(columns="pattern_id")
    return [FacetBucketOut(**r) for r in mine.to_dict(orient="records")]


def _change(events: pd.DataFrame, engine: Engine, pattern_id: int) -> trends.PatternChange | None:
    """The pattern's row of the default comparison; None where there is none (no timestamps, no events)."""
    return default_trends(events, store.active_rules(engine=engine))[0].get(pattern_id)
