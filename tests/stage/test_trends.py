"""Trends on the sample telemetry (lens_core.tracking.trends): comparing the last two releases flags the
pattern holding the 2024.05.2 Teams KeyError regression as new or escalating; series covers every event."""

from __future__ import annotations

import pandas as pd

from lens_core.config import Settings
from lens_core.ingest.ingestor import ingest_records
from lens_core.runs.options import ProcessOptions
from lens_core.runs.pipeline import process
from lens_core.samples.generator import generate
from lens_core.storage import tracking as store
from lens_core.tracking import trends


def test_compare_between_releases_flags_the_teams_keyerror_regression(engine, settings: Settings) -> None:
    events, truth = generate(1500, seed=7)
    ingest_records(events, engine=engine)
    run_id = process(engine=engine, settings=settings, options=ProcessOptions.of(settings)).run_id

    comparison = trends.compare_latest(engine=engine)
    assert (comparison.window_a, comparison.window_b) == ("release 2024.05.1", "release 2024.05.2")
    assert comparison.total_b > 0

    frame = store.run_events_frame(engine=engine, run_id=run_id)
    cause = pd.Series({t["evaluation_id"]: t["root_cause"] for t in truth})
    frame["cause"] = frame["evaluation_id"].map(cause)
    teams = frame[(frame["cause"] == "teams_plugin_keyerror") & frame["pattern_id"].notna()]
    home = int(teams["pattern_id"].astype(int).mode()[0])  # the pattern holding most of the cause
    row = comparison.by_pattern()[home]
    assert row.state in ("new", "escalating"), row
    assert row.count_b > 0

    # a plain series counts every event with a pattern once, in day buckets (the sample spans 30 days)
    result = trends.series(frame)
    assert result.by == "day"
    assert int(result.time["events"].sum()) == int(frame["pattern_id"].notna().sum())
    assert result.releases == ["2024.04.3", "2024.05.1", "2024.05.2"]
