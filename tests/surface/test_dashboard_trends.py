"""Trends in the dashboard through AppTest: the triage queue's trend badges and sparklines, the Trends page's
charts (by time and by release, counts or shares) and the Compare page (two releases or two date ranges).

The data and the run are made as in test_dashboard_patterns (800 generated events, the hashing embedder):
the generator names three releases on a quarter of its events, so Compare has a default to start from.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from app import charts
from app import patterns as app_patterns
from lens_core.storage import tracking as store
from lens_core.tracking import curation, queue, titles, trends
from tests.surface.test_dashboard import (
    MAIN,
    TIMEOUT,
    dashboard_database,
    no_exception,
    open_page,
    plain,
    tracked_sample,
)


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with dashboard_database(tmp_path / "trends.db", monkeypatch) as url:
        yield url


@pytest.fixture
def engine(db_url: str) -> Iterator[object]:
    eng = tracked_sample(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def app(engine: object) -> AppTest:
    return AppTest.from_file(MAIN, default_timeout=TIMEOUT).run()


def queue_table(app: AppTest) -> pd.DataFrame:
    return next(d.value for d in app.dataframe if "users term" in d.value.columns)


def specs(app: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in app.get("plotly_chart")]


def cell_styles(app: AppTest, column: str) -> dict[tuple[int, int], str]:
    """(row, column) -> the CSS the Styler gave that cell, for the table with this column."""
    styles = next(d for d in app.dataframe if column in d.value.columns).proto.arrow_data.styler.styles
    cells: dict[tuple[int, int], str] = {}
    for selectors, css in re.findall(r"([^{}]+)\{([^}]*)\}", styles):
        for row, col in re.findall(r"_row(\d+)_col(\d+)", selectors):
            cells[(int(row), int(col))] = cells.get((int(row), int(col)), "") + css
    return cells


def compare_table(app: AppTest) -> pd.DataFrame:
    return next(d.value for d in app.dataframe if "target rate" in d.value.columns)


def events_of(engine: object) -> pd.DataFrame:
    return store.run_events_frame(engine=engine, run_id=store.latest_tracked_run(engine=engine))


# -- the queue -----------------------------------------------------------------------------------------


def test_the_queue_shows_each_trend_as_a_badge_with_its_window_and_sparkline(app: AppTest, engine: object) -> None:
    no_exception(app)
    expected = queue.summaries(engine=engine)
    table = queue_table(app)
    assert table["trend"].tolist() == [app_patterns.badge(s.trend) for s in expected]
    assert table["trend reason"].tolist() == [s.trend_reason for s in expected]
    assert "NEW" in set(table["trend"]) and "ongoing" in set(table["trend"])  # the sample has both
    window = expected[0].trend_window
    assert window == "release 2024.05.1 -> release 2024.05.2"
    assert any(f"Trend: {window}" in plain(c.value) for c in app.caption)  # said once, above the table

    # The badge is coloured (a Styler on the table), ongoing is not.
    cells = cell_styles(app, "users term")
    column = table.columns.get_loc("trend")
    for row, badge in enumerate(table["trend"]):
        colour = next((c for state, c in charts.STATE_COLOURS.items() if app_patterns.badge(state) == badge), None)
        assert (f"background-color: {colour}" in cells.get((row, column), "")) == (badge != "ongoing")

    # The sparkline: events per day, every day from the first to the last, summing to the pattern's events.
    series = trends.series(events_of(engine))
    days = series.time["bucket"].nunique()
    span = (series.time["bucket"].max() - series.time["bucket"].min()).days + 1
    assert series.by == "day" and days <= span
    for pid, line in zip(table["#"], table["over time"]):
        assert len(line) == span
        assert sum(line) == series.time.loc[series.time["pattern_id"] == pid, "events"].sum()


# -- the Trends page -----------------------------------------------------------------------------------


def test_the_trends_page_stacks_the_patterns_by_title(app: AppTest, engine: object) -> None:
    open_page(app, "trends")
    assert app.title[0].value == "Trends"
    over_time, by_release = specs(app)
    shown = titles.titles_of(engine=engine)
    series = trends.series(events_of(engine))
    top = charts.top_patterns(series.time, 8)
    names = [t["name"] for t in over_time["data"]]
    assert names[:8] == [charts.plot_text(shown[p], charts.LEGEND_CHARS) for p in top]  # titles, most events first
    assert set(names[8:]) <= {charts.OTHER, charts.UNPATTERNED}
    assert over_time["layout"]["barmode"] == "stack"
    # every bar is all the failures of its day: the parts add up to the events per day
    per_day = pd.to_datetime(events_of(engine)["timestamp"]).dt.floor("D").value_counts()
    stacked = pd.DataFrame({t["name"]: pd.Series(t["y"], index=pd.to_datetime(t["x"])) for t in over_time["data"]})
    assert stacked.fillna(0).sum(axis=1).sort_index().tolist() == per_day.sort_index().tolist()

    assert by_release["data"][0]["x"] == series.releases == ["2024.04.3", "2024.05.1", "2024.05.2"]
    assert [t["name"] for t in by_release["data"]][:8] == names[:8]  # the same patterns, the same colours

    app.toggle(key="trends_rate").set_value(True).run()
    no_exception(app)
    over_time, by_release = specs(app)
    assert over_time["layout"]["yaxis"]["tickformat"] == ".0%"
    for spec in (over_time, by_release):
        shares = pd.DataFrame([t["y"] for t in spec["data"]]).fillna(0).sum(axis=0)
        assert shares.tolist() == pytest.approx([1.0] * len(shares))


def test_the_release_filter_narrows_both_charts(app: AppTest, engine: object) -> None:
    open_page(app, "trends")
    assert "(no release)" in app.multiselect(key="trends_releases").options
    app.multiselect(key="trends_releases").set_value(["2024.05.2"]).run()
    no_exception(app)
    over_time, by_release = specs(app)
    assert {x for t in by_release["data"] for x in t["x"]} == {"2024.05.2"}
    events = events_of(engine)
    assert sum(sum(t["y"]) for t in over_time["data"]) == (events["release"] == "2024.05.2").sum()


# -- the Compare page ----------------------------------------------------------------------------------


def test_compare_defaults_to_the_latest_release_against_the_one_before(app: AppTest, engine: object) -> None:
    open_page(app, "compare")
    assert app.title[0].value == "Compare"
    assert app.radio(key="compare_mode").value == "Releases"
    assert app.selectbox(key="compare_base_release").value == "2024.05.1"
    assert app.selectbox(key="compare_target_release").value == "2024.05.2"
    core = trends.compare_latest(engine=engine)  # the core's default: the same two releases
    assert (core.base, core.target) == ("release 2024.05.1", "release 2024.05.2")
    table = compare_table(app)
    assert table["#"].tolist() == [c.pattern_id for c in core.changes]  # the core's order: state, then |change|
    assert table["title"].tolist() == [c.title for c in core.changes]
    assert table["state"].tolist() == [app_patterns.badge(c.state) for c in core.changes]
    assert {"NEW", "ongoing"} <= set(table["state"])
    ranks = [trends.STATE_RANK[c.state] for c in core.changes]
    assert ranks == sorted(ranks)
    assert table["change"].tolist() == pytest.approx([round(100 * c.change, 2) for c in core.changes])
    metrics = {m.label: int(m.value) for m in app.metric}
    assert metrics["New"] == sum(c.state == "new" for c in core.changes) >= 1
    # the rows worth a look are tinted, every cell of them, and no other row
    cells = cell_styles(app, "target rate")
    for row, change in enumerate(core.changes):
        tint = app_patterns.ROW_TINT.get(change.state)
        css = cells.get((row, table.columns.get_loc("title")), "")
        assert (f"background-color: {tint}" in css) if tint else "background-color" not in css

    (chart,) = specs(app)
    assert chart["layout"]["barmode"] == "relative" and chart["layout"]["yaxis"]["categoryorder"] == "array"
    order = chart["layout"]["yaxis"]["categoryarray"]
    change = {y: x for trace in chart["data"] for x, y in zip(trace["x"], trace["y"])}
    assert len(order) == len(change) == len(core.changes)
    assert [change[y] for y in order] == sorted(change.values())  # diverging: largest fall at the bottom
    colour = {y: trace["marker"]["color"] for trace in chart["data"] for y in trace["y"]}
    by_state = {trace["name"]: trace["marker"]["color"] for trace in chart["data"]}  # the legend names the states
    assert by_state == {c.state: charts.STATE_COLOURS[c.state] for c in core.changes}
    for c in core.changes:
        assert colour[charts.plot_text(c.title, charts.LEGEND_CHARS)] == charts.STATE_COLOURS[c.state]


def test_a_resolved_pattern_failing_in_a_later_release_shows_as_regressed(app: AppTest, engine: object) -> None:
    core = trends.compare_latest(engine=engine)
    target = next(c for c in core.changes if c.state == "ongoing" and c.target_events)
    curation.resolve(engine=engine, pattern_id=target.pattern_id, release="2024.05.1")
    open_page(app, "compare")  # the rule changes the cache key: no stale comparison
    table = compare_table(app)
    assert table.iloc[0][["#", "state"]].tolist() == [target.pattern_id, "REGRESSED"]
    assert "resolved in 2024.05.1" in table.iloc[0]["reason"]


def test_the_same_release_twice_is_a_warning(app: AppTest) -> None:
    open_page(app, "compare")
    app.selectbox(key="compare_target_release").set_value("2024.05.1").run()
    no_exception(app)
    assert [w.value for w in app.warning] == ["Base and target are both release 2024.05.1: pick two different releases."]
    assert not any("target rate" in d.value.columns for d in app.dataframe)


def test_date_ranges_compare_and_refuse_bad_ranges(app: AppTest, engine: object) -> None:
    open_page(app, "compare")
    app.radio(key="compare_mode").set_value("Date ranges").run()
    no_exception(app)
    # the defaults: the last day against the seven before it, as the core's time windows
    assert app.date_input(key="compare_target_start").value == date(2024, 5, 30)
    assert app.date_input(key="compare_base_start").value == date(2024, 5, 23)
    table = compare_table(app)
    assert not table.empty
    assert app.warning == []

    app.date_input(key="compare_base_end").set_value(date(2024, 5, 20)).run()  # before the base's first day
    no_exception(app)
    assert "The base ends (2024-05-20) before it starts (2024-05-23)" in app.warning[0].value
    assert not any("target rate" in d.value.columns for d in app.dataframe)

    app.date_input(key="compare_base_start").set_value(date(2023, 1, 1))
    app.date_input(key="compare_base_end").set_value(date(2023, 1, 31)).run()  # no events then
    no_exception(app)
    assert "holds no events" in plain(app.warning[0].value)
