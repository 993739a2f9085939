"""Failure patterns in the dashboard through AppTest: the triage queue (the landing page once a run has
patterns), the pattern page's actions (rename, merge, split, ignore, undo) and their effect on every page.

The data and the first run are made with lens_core directly (800 generated events, the hashing embedder);
later runs go through the Clusters page's Run button, as an analyst would press it.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from app import charts
from app import patterns as app_patterns
from app.ui import md_literal
from lens_core.config import Settings
from lens_core.runs.options import ProcessOptions
from lens_core.runs.pipeline import process
from lens_core.storage import tracking as store
from lens_core.storage.engine import open_engine
from lens_core.tracking import curation, queue, titles
from lens_core.tracking.rules import SPLIT_FIELDS, split_values
from tests.surface.conftest import mixed_pattern, partly_fixed
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
    with dashboard_database(tmp_path / "patterns.db", monkeypatch) as url:
        yield url


@pytest.fixture
def engine(db_url: str) -> Iterator[object]:
    eng = tracked_sample(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def app(engine: object) -> AppTest:
    return AppTest.from_file(MAIN, default_timeout=TIMEOUT).run()


def table_with(app: AppTest, column: str) -> pd.DataFrame:
    """The page's table that has this column (AppTest does not keep a dataframe's key)."""
    return next(d.value for d in app.dataframe if column in d.value.columns)


def queue_table(app: AppTest) -> pd.DataFrame:
    return table_with(app, "users term")


def open_pattern(app: AppTest, pattern_id: int) -> AppTest:
    """The queue's "Open pattern" (the pattern is sent to the Pattern page through session state)."""
    open_page(app, "patterns").selectbox(key="patterns_open").set_value(pattern_id)
    app.button(key="patterns_open_button").click().run()
    no_exception(app)
    return open_page(app, "pattern")


def field(widgets: object, prefix: str) -> object:
    """A widget whose key starts with `prefix` (form fields are keyed by pattern and action count)."""
    return next(w for w in widgets if w.key and w.key.startswith(prefix))


def message(app: AppTest) -> str:
    return plain(app.success[0].value)


def submit(app: AppTest, prefix: str) -> AppTest:
    field(app.button, prefix).click().run()
    no_exception(app)
    return app


# -- the queue -----------------------------------------------------------------------------------------


def test_empty_database_lands_on_the_overview(db_url: str) -> None:
    app = AppTest.from_file(MAIN, default_timeout=TIMEOUT).run()
    no_exception(app)
    assert app.title[0].value == "Overview"
    open_page(app, "patterns")
    assert any("No failures are stored yet" in i.value for i in app.info)


def test_the_queue_is_the_landing_page_after_a_run_and_explains_each_score(app: AppTest, engine: object) -> None:
    no_exception(app)
    assert app.title[0].value == "Patterns"  # landed here: a run has patterns
    table = queue_table(app)
    expected = queue.summaries(engine=engine)
    assert table["#"].tolist() == [s.pattern_id for s in expected]  # ranked by score, open ones only
    assert table["title"].tolist() == [s.title for s in expected]
    assert {"state", "events", "users", "tenants", "share", "severity", "score", "users term", "tenants term",
            "events term", "severity weight", "owner"} <= set(table.columns)
    top = table.iloc[0]
    assert top["score"] == pytest.approx((top["users term"] + top["tenants term"] + top["events term"])
                                         * top["severity weight"], abs=0.01)
    assert set(table["state"]) == {"open"}
    assert any("first run with patterns" in c.value for c in app.caption)  # no diff with one run
    open_page(app, "overview")  # still reachable
    no_exception(app)
    assert app.title[0].value == "Overview"


def test_a_second_run_shows_what_changed(app: AppTest, engine: object) -> None:
    open_page(app, "clusters").slider(key="clusters_distance_threshold").set_value(1.0)
    app.button(key="clusters_run").click().run()
    no_exception(app)
    open_page(app, "patterns")
    no_exception(app)
    labels = [m.label for m in app.metric]
    assert {"New", "Gone", "Split", "Merged", "Kept"} <= set(labels)
    kept = next(m for m in app.metric if m.label == "Kept")
    assert int(kept.value) > 0
    assert any(t.label.startswith("Kept (") for t in app.tabs)


# -- the pattern page's actions ------------------------------------------------------------------------


def test_rename_in_the_form_survives_a_run_with_another_cut(app: AppTest, engine: object) -> None:
    top = queue.summaries(engine=engine)[0].pattern_id
    open_pattern(app, top)
    assert app.selectbox(key="pattern_pick_0").value == top
    app.text_input(key="pattern_author").set_value("ana")
    field(app.text_input, "pattern_title_").set_value("Calendar tokens expire")
    submit(app, "pattern_rename_")
    assert message(app).startswith("Renamed to Calendar tokens expire")
    assert app.subheader[0].value == "Calendar tokens expire"
    rules = table_with(app, "status")
    assert rules.iloc[-1][["kind", "author"]].tolist() == ["rename", "ana"]

    open_page(app, "clusters").slider(key="clusters_distance_threshold").set_value(1.1)  # another cut
    app.button(key="clusters_run").click().run()
    no_exception(app)
    assert store.latest_tracked_run(engine=engine) == 2
    open_page(app, "patterns")
    table = queue_table(app)
    assert table.loc[table["#"] == top, "title"].tolist() == ["Calendar tokens expire"]
    assert "Calendar tokens expire" in [s.title for s in queue.summaries(engine=engine)]


def test_a_pattern_a_run_absorbed_says_so_and_comes_back_once_renamed(app: AppTest, engine: object,
                                                                       db_url: str) -> None:
    settings = Settings(_env_file=None, database_url=db_url, embedding_backend="hashing")
    coarse = ProcessOptions.of(settings, distance_threshold=1.6)  # a much coarser cut absorbs small patterns
    process(engine=engine, settings=settings, options=coarse)
    run = store.latest_tracked_run(engine=engine)
    row = next(r for r in store.lineage(engine=engine, run_id=run) if r.relation == "merged_into")
    gone, into = row.pattern_id, row.other_id
    app.session_state[app_patterns.OPEN_KEY] = gone  # as a lineage link or the queue's "Open pattern" does
    open_page(app, "pattern")
    assert app.subheader[0].value == md_literal(titles.titles_of(engine=engine, ids={gone})[gone])
    said = plain(app.info[0].value)
    assert f"the clustering of run {run} merged it into {titles.titles_of(engine=engine, ids={into})[into]}" in said
    assert "Act on it below (a title, a note, an owner) and the next run holds it apart again" in said

    field(app.text_input, "pattern_title_").set_value("Back on its own")
    submit(app, "pattern_rename_")
    assert f"Note: pattern {gone} has no events now: run {run}'s clustering merged it into pattern {into}" \
        in message(app)
    assert "The next run holds it apart again" in plain(app.info[0].value)
    process(engine=engine, settings=settings, options=coarse)
    assert "Back on its own" in [s.title for s in queue.summaries(engine=engine)]


def test_merge_and_split_from_the_page(app: AppTest, engine: object) -> None:
    first, second = (s.pattern_id for s in queue.summaries(engine=engine)[:2])
    open_pattern(app, first)
    field(app.multiselect, "pattern_merge_with_").set_value([second])
    submit(app, "pattern_merge_")
    assert "into this pattern" in message(app)
    by_id = {s.pattern_id: s for s in queue.summaries(engine=engine, include_closed=True)}
    assert second not in by_id or by_id[second].state == "merged"
    assert second not in queue_table(open_page(app, "patterns"))["#"].tolist()

    # split the merged pattern by plugin: one new pattern per plugin but the most common
    open_pattern(app, first)
    field(app.selectbox, "pattern_split_by_").set_value("plugin")
    submit(app, "pattern_split_")
    assert "Split by plugin: new patterns" in message(app)
    rule = curation.history(engine=engine, pattern_id=first)[-1]
    assert rule.kind == "split" and rule.author == "dashboard"  # the default author
    parts = list(rule.params["parts"].values())
    listed = queue_table(open_page(app, "patterns"))["#"].tolist()
    assert set(parts) <= set(listed)

    # a split with nothing to split is an error message on the page, not a traceback
    events = store.run_events_frame(engine=engine, run_id=1)
    single = next((int(pid), name) for pid, group in events.groupby("pattern_id")
                  for name in SPLIT_FIELDS if len(split_values(group, name)) == 1)
    open_pattern(app, single[0])
    field(app.selectbox, "pattern_split_by_").set_value(single[1])
    field(app.button, "pattern_split_").click().run()
    no_exception(app)
    assert "nothing to split" in app.error[0].value


def test_ignore_leaves_the_queue_and_undo_restores_it(app: AppTest, engine: object) -> None:
    target = queue.summaries(engine=engine)[0].pattern_id
    before = queue_table(app)["#"].tolist()
    open_pattern(app, target)
    submit(app, "pattern_ignore_")
    assert "Ignored" in message(app)
    assert app.selectbox(key="pattern_pick_1").value == target  # the page stays on the pattern
    assert "ignored" in plain(app.caption[0].value)

    open_page(app, "patterns")
    assert target not in queue_table(app)["#"].tolist()
    app.toggle(key="patterns_closed").set_value(True).run()
    shown = queue_table(app)
    assert shown.loc[shown["#"] == target, "state"].tolist() == ["ignored"]

    open_page(app, "pattern")
    field(app.selectbox, "pattern_pick_").set_value(target).run()
    app.button(key="pattern_undo").click().run()
    no_exception(app)
    assert "Undid rule" in message(app)
    rules = table_with(app, "status")
    assert rules.iloc[-1]["status"].startswith("undone")  # kept in the history, marked
    open_page(app, "patterns").toggle(key="patterns_closed").set_value(False).run()
    assert queue_table(app)["#"].tolist() == before


def test_notes_owner_resolve_and_reopen(app: AppTest, engine: object) -> None:
    target = queue.summaries(engine=engine)[1].pattern_id
    open_pattern(app, target)
    field(app.text_input, "pattern_owner_").set_value("team-calendar")
    submit(app, "pattern_set_owner_")
    field(app.text_area, "pattern_note_").set_value("Refresh tokens before calling")
    submit(app, "pattern_add_note_")
    assert any("Refresh tokens before calling" in m.value for m in app.markdown)
    field(app.text_input, "pattern_release_").set_value(" 2025.1 ")  # trimmed, as on every surface
    submit(app, "pattern_resolve_")
    assert message(app) == "Resolved in 2025.1: it leaves the queue."
    assert "resolved in 2025.1" in plain(app.caption[0].value)
    open_page(app, "patterns")
    assert target not in queue_table(app)["#"].tolist()
    open_page(app, "pattern")  # it is still listed there, as resolved
    picker = field(app.selectbox, "pattern_pick_")
    assert any(option.endswith("(resolved)") for option in picker.options)
    picker.set_value(target).run()
    submit(app, "pattern_reopen_")
    table = queue_table(open_page(app, "patterns"))
    assert table.loc[table["#"] == target, "owner"].tolist() == ["team-calendar"]


def test_a_pattern_shows_its_evidence_and_opens_its_cluster(app: AppTest, engine: object) -> None:
    top = queue.summaries(engine=engine)[0]
    open_pattern(app, top.pattern_id)
    assert {"Over time", "Evidence", "How its events divide", "Lineage", "Rules", "Actions", "Undo"} <= \
        {s.value for s in app.subheader}
    assert any(m.value.startswith("**Root-cause hypothesis:**") for m in app.markdown)
    trend = next(m.value for m in app.markdown if m.value.startswith("**Trend ("))
    assert md_literal(top.trend_window) in trend
    assert (top.trend.upper() if top.trend != "ongoing" else "ongoing") in trend
    # its failures over time and by release, counted from its events
    specs = [json.loads(c.proto.spec) for c in app.get("plotly_chart")]
    figures = {spec["layout"]["title"]["text"]: spec for spec in specs}
    assert sum(figures["Its failures over time"]["data"][0]["y"]) == top.events
    by_release = figures["Its failures by release"]["data"][0]
    assert by_release["y"] == sorted(by_release["y"])  # oldest at the bottom
    named = sum(by_release["x"])  # the caption says how many of its events name a release
    said = f"{named:,} of its {top.events:,} events name one" if named < top.events else "all its events name one"
    assert f"Newest release on top; {said}." in {c.value for c in app.caption}
    divide = table_with(app, "most common").set_index("field")
    assert list(divide.index) == list(SPLIT_FIELDS)
    template = divide.loc["message_pattern", "most common"].split(" (")[0]
    assert template and not re.fullmatch(r"[0-9a-f]{12,}", template)  # the template, not its hash
    label = top.clusters[0]
    app.button(key=f"pattern_cluster_{top.pattern_id}_{label}").click().run()
    open_page(app, "cluster_detail")
    no_exception(app)
    assert app.selectbox(key="detail_label_0").value == label


def test_the_map_is_coloured_by_pattern_and_a_selection_becomes_a_pattern(
    app: AppTest, engine: object, downloads: Callable[[object], bytes]
) -> None:
    open_page(app, "clusters")
    no_exception(app)
    chart = app.get("plotly_chart")[0]
    spec = json.loads(chart.proto.spec)
    shown_titles = titles.titles_of(engine=engine)
    assert spec["layout"]["legend"]["title"]["text"] == "pattern"
    shown = [trace["name"] for trace in spec["data"]]
    legend = {charts.plot_text(t, charts.LEGEND_CHARS) for t in shown_titles.values()} | {"Noise"}
    assert shown and set(shown) <= legend  # pattern titles (long ones cut), no "Cluster N"
    first = next(t for t in shown_titles.values() if charts.plot_text(t, charts.LEGEND_CHARS) == shown[0])
    assert spec["data"][0]["hovertext"][0].startswith(f"<b>{charts.plot_text(first, charts.HOVER_CHARS)}</b><br>")

    # A box selection, as the browser sends it (AppTest cannot drag): 3 events of one pattern, 1 of another.
    events = store.run_events_frame(engine=engine, run_id=1)
    source = int(events["pattern_id"].value_counts().index[0])
    mine = events.loc[events["pattern_id"] == source, "evaluation_id"].tolist()[:3]
    other = events.loc[events["pattern_id"] != source, "evaluation_id"].tolist()[:1]
    assert app_patterns.selection_source(events, set(mine + other)) == (source, 3)
    app.session_state[chart.key] = {"selection": {"points": [{"customdata": [e]} for e in mine + other],
                                                  "point_indices": [], "box": [], "lasso": []}}
    app.run()
    no_exception(app)
    assert "4 selected events" in [m.value for m in app.markdown]
    shown = downloads(app.download_button(key="clusters_selection_csv")).decode()
    picked = list(csv.DictReader(io.StringIO(shown)))
    assert sorted(r["evaluation_id"] for r in picked) == sorted(mine + other)
    field(app.text_input, "clusters_new_title_").set_value("Chosen on the map")
    app.button(key="clusters_new_pattern").click().run()
    no_exception(app)
    assert message(app).startswith(f"New pattern Chosen on the map: 3 selected events, out of {shown_titles[source]}")
    rule = curation.history(engine=engine)[-1]
    assert rule.kind == "split_events" and rule.pattern_id == source and sorted(rule.params["evaluation_ids"]) == sorted(mine)
    assert app.get("plotly_chart")[0].key != chart.key  # a fresh map: the old selection is gone
    assert "Chosen on the map" in queue_table(open_page(app, "patterns"))["title"].tolist()


def test_a_pattern_of_two_families_offers_the_split_its_evidence_suggests(app: AppTest, engine: object) -> None:
    """Two patterns of different failure families merged: the page says their events disagree and one click
    splits the pattern by status, as a rule like any other."""
    first = mixed_pattern(engine)
    open_pattern(app, first)
    hint = next(plain(i.value) for i in app.info if "Suggested by the evidence: split it by status" in plain(i.value))
    assert "disagree on the failure family" in hint
    submit(app, "pattern_suggested_split_")
    assert "Split by status: new patterns" in message(app)
    rule = curation.history(engine=engine, pattern_id=first)[-1]
    assert rule.kind == "split" and rule.params["by"] == "status"
    assert not any("split it by status" in plain(i.value) for i in app.info)  # split: one family each now


def test_a_fix_that_held_for_some_messages_offers_to_split_off_the_others(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A pattern regressed, but one of its messages stopped at the fix: the queue shows it again, and its page
    offers one click that splits off the messages that go on into an open pattern of their own."""
    with dashboard_database(tmp_path / "fixed.db", monkeypatch) as url:
        engine = open_engine(url)
        pattern, stopped = partly_fixed(engine, Settings(_env_file=None, database_url=url,
                                                         embedding_backend="hashing"))
        app = AppTest.from_file(MAIN, default_timeout=TIMEOUT).run()
        row = queue_table(open_page(app, "patterns")).set_index("#").loc[pattern]
        assert row["state"] == "resolved in 2.0" and row["trend"] == app_patterns.badge("regressed")
        open_pattern(app, pattern)
        hint = next(plain(i.value) for i in app.info if "Suggested by the evidence: split off the" in plain(i.value))
        going_on = int(re.search(r"split off the (\d+) error messages that go on", hint).group(1))
        assert "the fix held for that one; the others look like another failure" in hint
        submit(app, "pattern_suggested_split_")
        assert message(app).startswith("Split off: new pattern ")
        rule = curation.history(engine=engine, pattern_id=pattern)[-1]
        assert rule.kind == "split" and stopped not in rule.params["parts"] and len(rule.params["parts"]) == going_on
        [part] = set(rule.params["parts"].values())
        assert titles.titles_of(engine=engine)[part].endswith(" · still failing after the fix")
        assert pattern not in queue_table(open_page(app, "patterns"))["#"].tolist()  # fixed: out of the queue
        engine.dispose()
