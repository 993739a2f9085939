"""Tables of the tracking layer (lens_core.tracking): failure patterns that outlive runs, the analyst's
rules over them, which pattern each cluster of a run continued, and the lineage of splits and merges.

Runs stay immutable records; these tables are the living layer above them (revision 0005). The pattern of
each event in a run is cluster_assignments.pattern_id: its cluster's pattern with the rules applied.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlmodel import Field, SQLModel

from lens_core.storage.models import utcnow


def _when(**kw: Any) -> Any:
    return Field(sa_type=DateTime(timezone=True), **kw)


class PatternRow(SQLModel, table=True):
    """A failure pattern: an identity that outlives runs. `title` is built from the evidence of the cluster
    it continued last (unique among open patterns); an analyst's rename is a rule, replayed on top.
    centroid/radius: that cluster's centre in embedding space and the model+view it was embedded under,
    the second way a later cluster is matched to it (lens_core.tracking.matching)."""

    __tablename__ = "patterns"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(default="", sa_type=Text)
    origin: str = Field(default="run", max_length=16)  # run | split (made by a split rule)
    parent_id: int | None = Field(default=None, foreign_key="patterns.id")
    first_run_id: int | None = None
    last_run_id: int | None = None
    space: str = Field(default="", max_length=300)  # embedding model | view of the centroid
    centroid: bytes | None = Field(default=None, sa_type=LargeBinary)
    radius: float | None = None
    created_at: datetime = _when(default_factory=utcnow)


class RunPatternRow(SQLModel, table=True):
    """The pattern each cluster of a run continued (or opened), before any rule: what the next run is
    matched against. matched_by: events (shared fingerprints and message patterns), centroid, or new."""

    __tablename__ = "run_patterns"

    run_id: int = Field(sa_column=Column(Integer, ForeignKey("pipeline_runs.id", ondelete="CASCADE"),
                                         primary_key=True))
    label: int = Field(sa_column=Column(Integer, primary_key=True))
    pattern_id: int = Field(foreign_key="patterns.id", index=True)
    matched_by: str = Field(max_length=16)
    overlap: float | None = None  # share of the cluster's known events that were the pattern's


class RunHeldKeyRow(SQLModel, table=True):
    """Fingerprints a run kept in a curated pattern that its clustering merged into another: the events of
    those fingerprints stay in the pattern the analyst curated (lens_core.tracking.track). Replays of the
    run (a new rule, an undo, events assigned later) read them, so the hold lasts as long as the run
    (revision 0009)."""

    __tablename__ = "run_held_keys"

    run_id: int = Field(sa_column=Column(Integer, ForeignKey("pipeline_runs.id", ondelete="CASCADE"),
                                         primary_key=True))
    fingerprint: str = Field(sa_column=Column(String(64), primary_key=True))
    pattern_id: int = Field(foreign_key="patterns.id")


class PatternRuleRow(SQLModel, table=True):
    """An analyst's rule: rename, note, owner, resolve, ignore, reopen, merge, split, split_events, move.
    Replayed, in id order, on every run and assignment; undone rules stay listed (undone_at set).
    last_*: what the latest replay made of it (applied, or why not: its pattern vanished)."""

    __tablename__ = "pattern_rules"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    pattern_id: int | None = Field(default=None, foreign_key="patterns.id", index=True)
    params: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    author: str = Field(default="", max_length=200)
    created_at: datetime = _when(default_factory=utcnow)
    undone_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    undone_by: str | None = Field(default=None, max_length=200)
    last_run_id: int | None = None
    last_applied: bool | None = None
    last_message: str | None = Field(default=None, sa_type=Text)


class PatternLineageRow(SQLModel, table=True):
    """What became of patterns between a run and the one before it: `pattern_id` split from, or absorbed,
    `other_id` (relation split_from | merged_into), or held apart from it because an analyst curated it
    (held_apart: the run's clustering put its events with `other_id`), with the events concerned."""

    __tablename__ = "pattern_lineage"
    __table_args__ = (Index("ix_pattern_lineage_run", "run_id"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(sa_column=Column(Integer, ForeignKey("pipeline_runs.id", ondelete="CASCADE")))
    pattern_id: int = Field(foreign_key="patterns.id")
    relation: str = Field(max_length=16)
    other_id: int = Field(foreign_key="patterns.id")
    events: int = 0
    note: str = Field(default="", sa_type=Text)


class PatternWatchRow(SQLModel, table=True):
    """What `lens watch` last saw of each pattern: its state in the comparison it evaluated and the release
    compared against ('' for time windows). An alert fires only when this changes (revision 0007)."""

    __tablename__ = "pattern_watch"

    pattern_id: int = Field(sa_column=Column(Integer, ForeignKey("patterns.id", ondelete="CASCADE"),
                                             primary_key=True))
    state: str = Field(max_length=16)
    release: str = Field(default="", max_length=100)
    reason: str = Field(default="", sa_type=Text)
    seen_at: datetime = _when(default_factory=utcnow)
    alerted_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
