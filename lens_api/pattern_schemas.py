"""Request and response models of the pattern endpoints (lens_api.routers.patterns): the triage queue, one
pattern's evidence, the analyst's rules and the diff of two runs. Built from lens_core values (dicts and
dataclasses of lens_core.tracking and lens_core.runs.export), never from rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from lens_api.schemas import MAX_ID, ClusterOut, EventOut
from lens_core.tracking.curation import MAX_TITLE
from lens_core.tracking.rules import SPLIT_FIELDS


def _storable(value: str) -> str:
    """Text every database stores: no NUL (PostgreSQL refuses it) and no lone surrogate (not UTF-8)."""
    if "\x00" in value:
        raise ValueError("text may not contain a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text must be valid Unicode (no lone surrogates)") from None
    return value


Text = Annotated[str, AfterValidator(_storable)]
PatternIdField = Annotated[int, Field(ge=1, le=MAX_ID)]
AuthorField = Field(None, max_length=200, description="Who makes the rule (default: 'api')")


# -- reads --------------------------------------------------------------------------------------------


TrendState = Literal["regressed", "new", "escalating", "shrinking", "gone", "ongoing"]


class PatternOut(BaseModel):
    """One pattern as the triage queue shows it, in one run: counts, score and each term of the score."""

    pattern_id: int
    title: str
    state: Literal["open", "resolved", "ignored", "merged"]
    events: int = Field(description="Its events in the run (rules applied)")
    users: int
    tenants: int
    share: float = Field(description="Its share of the run's events")
    severity: str
    score: float = Field(description="(users + tenants + events terms) x severity weight x trend weight")
    terms: dict[str, float] = Field(
        description="Each term of the score: users, tenants, events, severity_weight, trend_weight")
    owner: str | None
    notes: list[str]
    resolved_in: str | None = Field(description="The release a resolved pattern was fixed in")
    merged_into: int | None = Field(description="The pattern a merged one joined")
    clusters: list[int] = Field(description="The run's clusters holding its events")
    run_id: int
    trend: TrendState = Field("ongoing", description="Its state in the default comparison (GET /compare)")
    trend_reason: str = Field("", description="Why it is in that state")
    trend_window: str = Field("", description="What was compared: 'release A -> release B', or two windows")


class PatternQueue(BaseModel):
    run_id: int | None = Field(description="The latest tracked run; null before the first `process`")
    patterns: list[PatternOut]


class PatternClusterOut(ClusterOut):
    pattern_events: int = Field(description="How many of the cluster's events are the pattern's")


class MessagePatternOut(BaseModel):
    hash: str
    template: str
    events: int


class LineageOut(BaseModel):
    run_id: int
    pattern_id: int
    relation: str = Field(description="split_from, merged_into, or held_apart (a curated pattern the run's "
                                      "clustering put with the other one, kept apart)")
    other_id: int
    events: int
    note: str


class RuleOut(BaseModel):
    rule_id: int
    kind: str
    pattern_id: int | None
    params: dict[str, Any]
    author: str
    created_at: datetime | None
    undone_at: datetime | None
    undone_by: str | None
    last_run_id: int | None = Field(description="The run its latest replay was on")
    last_applied: bool | None = Field(description="Whether that replay found something to act on")
    last_message: str | None

    @classmethod
    def of(cls, rule: dict[str, Any]) -> RuleOut:
        """From lens_core.runs.export.rule_dict."""
        return cls.model_validate(rule)


class SuggestionOut(BaseModel):
    kind: str = Field(description="split or merge")
    reason: str = Field(description="What in the evidence suggests it")
    by: str | None = Field(description="split: the field (POST /patterns/{id}/split with it)")
    values: list[str] = Field(description="split: the values that go to one new pattern (POST them with `by`); "
                                          "empty: a new pattern per value")
    title: str | None = Field(description="split with values: the new pattern's title (POST it with them)")
    others: list[int] = Field(description="merge: the patterns to merge into this one (POST /patterns/merge)")


class PatternDetail(BaseModel):
    pattern: PatternOut
    origin: str = Field(description="run (opened by a run's cluster) or split (made by a split rule)")
    parent_id: int | None
    first_run_id: int | None
    last_run_id: int | None
    created_at: datetime | None
    clusters: list[PatternClusterOut] = Field(description="Its clusters in the latest tracked run")
    message_patterns: list[MessagePatternOut]
    lineage: list[LineageOut]
    rules: list[RuleOut]
    suggestions: list[SuggestionOut] = Field(description="What its evidence suggests, for the analyst to apply")

    @classmethod
    def of(cls, detail: dict[str, Any]) -> PatternDetail:
        """From lens_core.runs.export.pattern_detail."""
        return cls.model_validate(detail)


class PatternEventOut(EventOut):
    cluster_id: int = Field(description="The event's cluster in the run (-1: noise)")

    @classmethod
    def of(cls, row: dict[str, Any]) -> PatternEventOut:
        return cls(**EventOut.of(row).model_dump(), cluster_id=row["label"])


class PatternEventPage(BaseModel):
    run_id: int
    pattern_id: int
    total: int
    offset: int
    limit: int
    events: list[PatternEventOut]


class DiffItemOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    pattern_id: int
    title: str
    events_a: int
    events_b: int
    from_: int | None = Field(None, alias="from", description="split: the pattern it split from")
    into: int | None = Field(None, description="merged: the pattern it joined")
    moved: int | None = Field(None, description="split and merged: the events concerned")
    returned: bool | None = Field(None, description="new: a pattern a run before run A had already")
    clusters_a: int | None = Field(None, description="divided: the clusters of run A that continued it")
    clusters_b: int | None = Field(None, description="divided: the clusters of run B that continued it")


class DiffOut(BaseModel):
    run_a: int
    run_b: int
    kept: list[DiffItemOut]
    new: list[DiffItemOut]
    gone: list[DiffItemOut]
    split: list[DiffItemOut]
    merged: list[DiffItemOut]
    divided: list[DiffItemOut] = Field(description="kept patterns run B holds in more clusters, one failure by "
                                                   "their evidence (split them to make the parts patterns)")


# -- writes -------------------------------------------------------------------------------------------


class PatternPatch(BaseModel):
    """What to change; each field given is one rule, made in this order: title, owner, notes, state."""

    model_config = ConfigDict(extra="forbid")

    title: Text | None = Field(None, min_length=1, max_length=MAX_TITLE, description="Rename the pattern")
    owner: Text | None = Field(None, max_length=200, description="Who owns it ('' for nobody)")
    notes: Text | None = Field(None, min_length=1, max_length=5000, description="A note to add")
    state: Literal["open", "resolved", "ignored"] | None = Field(
        None, description="resolved (with an optional release), ignored, or open (reopen)")
    release: Text | None = Field(None, min_length=1, max_length=200, description="With state resolved: the fix's release")
    author: Text | None = AuthorField

    @model_validator(mode="after")
    def _something(self) -> PatternPatch:
        if self.title is not None and not self.title.strip():
            raise ValueError("a title needs some text")
        if self.notes is not None and not self.notes.strip():
            raise ValueError("a note needs some text")
        if self.release is not None and self.state != "resolved":
            raise ValueError("a release goes with state 'resolved'")
        if self.release is not None and not self.release.strip():
            raise ValueError("a release needs some text (leave it out to resolve without one)")
        if all(v is None for v in (self.title, self.owner, self.notes, self.state)):
            raise ValueError("nothing to change: give one or more of title, owner, notes, state")
        return self


class MergeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    into: PatternIdField = Field(description="The pattern the others join")
    patterns: list[PatternIdField] = Field(min_length=1, max_length=1000, description="The patterns merged into it")
    author: Text | None = AuthorField


class SplitIn(BaseModel):
    """Either `by` (a new pattern per value of that field, but the largest; with `values`, one new pattern of
    the events with those values, titled `title`) or `evaluation_ids` (one new pattern of those events,
    titled `title`)."""

    model_config = ConfigDict(extra="forbid")

    by: Literal[tuple(SPLIT_FIELDS)] | None = Field(None, description="The field to split by")  # type: ignore[valid-type]
    values: list[Annotated[Text, Field(max_length=500)]] | None = Field(
        None, min_length=1, max_length=10_000, description="With `by`: the values of the one new pattern")
    evaluation_ids: list[Annotated[Text, Field(min_length=1, max_length=500)]] | None = Field(
        None, min_length=1, max_length=100_000, description="The events of the new pattern")
    title: Text | None = Field(None, max_length=MAX_TITLE,
                               description="With evaluation_ids or values: the new pattern's title")
    author: Text | None = AuthorField

    @model_validator(mode="after")
    def _one_way(self) -> SplitIn:
        if self.values is not None and self.by is None:
            raise ValueError("`values` goes with `by`")
        if (self.by is None) == (self.evaluation_ids is None):
            raise ValueError("give either `by` or `evaluation_ids`")
        if self.title is not None and self.by is not None and self.values is None:
            raise ValueError("`title` goes with `evaluation_ids` or `values`")
        return self


class UndoIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    author: Text | None = AuthorField


class ChangeOut(BaseModel):
    rules: list[RuleOut] = Field(description="The rules made (or, for undo, withdrawn)")
    new_patterns: list[int] = Field(description="Patterns a split made")
    pattern: PatternOut | None = Field(description="The rules' pattern as it is now")
    warnings: list[str] = Field([], description="What to know about the rules' effect (e.g. a resolve whose "
                                                "pattern already fails in that release)")

