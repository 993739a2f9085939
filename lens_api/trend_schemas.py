"""Answers of GET /compare and GET /patterns/{id}/timeline (lens_core.tracking.trends)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from lens_api.pattern_schemas import TrendState


class PatternChangeOut(BaseModel):
    pattern_id: int
    title: str
    state: TrendState
    reason: str = Field(description="Why it is in that state: counts, rates, p-values or the resolve rule")
    base_events: int
    target_events: int
    base_users: int
    target_users: int
    base_rate: float = Field(description="Its share of all failures in the base")
    target_rate: float = Field(description="Its share of all failures in the target")
    change: float = Field(description="target_rate - base_rate")
    p_value: float | None = Field(description="Exact binomial test of the target's count; null where not tested")
    p_adjusted: float | None = Field(description="Benjamini-Hochberg corrected over the patterns tested")


class CompareOut(BaseModel):
    run_id: int = Field(description="The tracked run whose events were compared")
    base: str = Field(description="'release X', or 'START .. END'")
    target: str
    base_total: int = Field(description="Failures in the base, with a pattern or not")
    target_total: int
    changes: list[PatternChangeOut] = Field(description="Regressed, new, escalating first; then by change")


class TimeBucketOut(BaseModel):
    bucket: datetime
    events: int
    users: int
    total: int = Field(description="All failures in the bucket")
    rate: float = Field(description="events / total")


class ReleaseBucketOut(BaseModel):
    release: str
    events: int
    users: int
    total: int = Field(description="All failures of the release")
    rate: float


class FacetBucketOut(BaseModel):
    value: str
    events: int
    users: int
    total: int = Field(description="All failures with that value")
    rate: float


class TimelineOut(BaseModel):
    run_id: int
    pattern_id: int
    title: str
    by: str = Field(description="hour or day")
    time: list[TimeBucketOut] = Field(description="Buckets with its events, oldest first")
    releases: list[ReleaseBucketOut] = Field(description="Releases with its events, oldest first")
    trend: PatternChangeOut | None = Field(description="Its row of the default comparison; null without events there")
    facet: str | None = Field(None, description="The attribute of by_facet, where one was asked for")
    by_facet: list[FacetBucketOut] = Field([], description="Values of that attribute with its events")
