"""The events frame that trends and fixes read, and the order of its releases.

    prepare(events)              one row per event: pattern_id (NaN for events without a pattern), timestamp
                                 (UTC), user_id, release and message_pattern (None where missing)
    utc(when)                    a timestamp in UTC (naive ones are read as UTC)
    releases_in_order(frame)     its release names, oldest first (lens_core.parse.releases: as versions where
                                 all parse as one, else by first appearance)
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pandas as pd

from lens_core.errors import InputError
from lens_core.parse.releases import release_order


def prepare(events: pd.DataFrame) -> pd.DataFrame:
    """The columns trends need, normalised: UTC timestamps, release None when missing."""
    missing = {"pattern_id", "timestamp"} - set(events.columns)
    if missing:
        raise InputError(f"events lack the columns {', '.join(sorted(missing))}")
    frame = pd.DataFrame({
        "pattern_id": events["pattern_id"],
        "timestamp": pd.to_datetime(events["timestamp"], utc=True, errors="coerce"),
        "user_id": events.get("user_id"),
        "release": events.get("release"),
        "message_pattern": events.get("message_pattern"),
    }, index=events.index)
    frame["release"] = frame["release"].map(lambda r: r if isinstance(r, str) and r.strip() else None)
    frame["user_id"] = frame["user_id"].map(lambda u: u if isinstance(u, str) and u else None)
    return frame


def utc(when: datetime | pd.Timestamp) -> pd.Timestamp:
    stamp = pd.Timestamp(when)
    return stamp.tz_localize(UTC) if stamp.tzinfo is None else stamp.tz_convert(UTC)


def first_seen(frame: pd.DataFrame) -> dict[str, datetime]:
    """release -> its first event's time."""
    known = frame.dropna(subset=["release", "timestamp"])
    return {str(k): v.to_pydatetime() for k, v in known.groupby("release")["timestamp"].min().items()}


def releases_in_order(frame: pd.DataFrame, extra: Sequence[str] = ()) -> list[str]:
    """The frame's releases and `extra` (names the frame may lack, such as a fix's), oldest first."""
    return release_order([*frame["release"].dropna(), *extra], first_seen(frame))
