"""The analyst's views through AppTest: the map's colour and search, and every view's state in the URL
(a copied link opens the same run, pattern, cluster and map), invalid links included.

The data and the first run are made with lens_core directly (800 generated events, the hashing embedder).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app import context as app_context
from app import loaders
from lens_core.config import Settings
from lens_core.ingest.ingestor import ingest_records
from lens_core.runs.options import ProcessOptions
from lens_core.runs.pipeline import process
from lens_core.samples.generator import generate
from lens_core.storage import queries
from lens_core.storage import tracking as store
from lens_core.tracking import titles
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
    with dashboard_database(tmp_path / "views.db", monkeypatch) as url:
        yield url


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(_env_file=None, database_url=db_url, embedding_backend="hashing")


@pytest.fixture
def engine(db_url: str) -> Iterator[object]:
    eng = tracked_sample(db_url)
    yield eng
    eng.dispose()


def fresh(params: dict[str, str] | None = None) -> AppTest:
    """A new browser session, opened with a link's query parameters."""
    app = AppTest.from_file(MAIN, default_timeout=TIMEOUT)
    app.query_params.update(params or {})
    return app.run()


def map_spec(app: AppTest) -> dict:
    return json.loads(app.get("plotly_chart")[0].proto.spec)


def test_the_map_follows_the_colour_chosen_and_the_url_keeps_it(engine: object) -> None:
    app = open_page(fresh(), "clusters")
    no_exception(app)
    assert app.selectbox(key="clusters_colour").value == "pattern" and "colour" not in app.query_params
    app.selectbox(key="clusters_colour").set_value("plugin").run()
    no_exception(app)
    spec = map_spec(app)
    plugins = set(queries.load_events_frame(engine=engine, columns=("plugin",))["plugin"].dropna())
    shown = [t["name"] for t in spec["data"]]
    assert spec["layout"]["legend"]["title"]["text"] == "plugin"
    assert len(shown) > 2 and set(shown) <= plugins | {"Noise", "no plugin", "other"}  # plugins, not patterns
    assert all(t["type"] == "scattergl" for t in spec["data"])
    assert "<br>plugin: " in spec["data"][-1]["hovertext"][0]
    assert app.query_params["colour"] == "plugin"

    linked = open_page(fresh({"colour": "status"}), "clusters")  # the link opens the same colouring
    no_exception(linked)
    assert linked.selectbox(key="clusters_colour").value == "status"
    assert map_spec(linked)["layout"]["legend"]["title"]["text"] == "status"


def test_search_highlights_matches_and_counts_them(engine: object) -> None:
    app = open_page(fresh(), "clusters")
    events = queries.load_events_frame(engine=engine, columns=("evaluation_id", "customer_prompt", "error_message"))
    word = "token"
    expected = loaders.search_matches(events, word)
    assert 0 < len(expected) < len(events)
    app.text_input(key="clusters_search").set_value(word).run()
    no_exception(app)
    assert any(plain(c.value).startswith(f"{len(expected):,} events match 'token'") for c in app.caption)
    opacities = [o for t in map_spec(app)["data"] for o in t["marker"]["opacity"]]
    assert sum(o < 0.1 for o in opacities) == len(events) - len(expected)  # the rest dimmed
    assert app.query_params["search"] == word


def test_a_link_opens_the_same_run_and_pattern_and_picks_write_the_url(engine: object, settings: Settings) -> None:
    process(engine=engine, settings=settings, options=ProcessOptions.of(settings))  # run 2: the newest
    events = store.run_events_frame(engine=engine, run_id=2)
    ids = [int(p) for p in events["pattern_id"].value_counts().index[:2]]
    names = titles.titles_of(engine=engine)
    app = fresh({"run": "1", "pattern": str(ids[1])})
    no_exception(app)
    assert app.session_state[app_context.RUN_KEY] == 1 and app.query_params["run"] == "1"
    open_page(app, "pattern")
    no_exception(app)
    assert plain(app.subheader[0].value) == names[ids[1]]
    picker = next(s for s in app.selectbox if s.key.startswith("pattern_pick_"))
    picker.set_value(ids[0]).run()
    no_exception(app)
    assert app.query_params["pattern"] == str(ids[0])

    detail = open_page(fresh({"cluster": "1"}), "cluster_detail")
    no_exception(detail)
    assert detail.selectbox[0].value == 1 and detail.query_params["cluster"] == "1"


@pytest.mark.parametrize("params", [
    {"run": "abc", "pattern": "nine", "colour": "mood", "cluster": "x"},
    {"run": "999", "pattern": "99999", "cluster": "-7"},
    {"run": "99999999999999999999999"},
])
def test_invalid_links_warn_and_show_the_defaults(engine: object, params: dict[str, str]) -> None:
    app = fresh(params)
    no_exception(app)
    warnings = [w.value for w in app.warning]
    assert any(f"names run {params['run'][:40]!r}" in w for w in warnings)
    for name in ("pattern", "cluster_detail", "clusters"):
        open_page(app, name)
        no_exception(app)
    if "colour" in params:
        assert app.selectbox(key="clusters_colour").value == "pattern"


def test_events_after_the_run_show_a_banner_until_assigned(engine: object) -> None:
    app = fresh()
    for name in ("overview", "clusters", "patterns"):
        open_page(app, name)
        assert not [w for w in app.warning if "arrived after run" in w.value]
    before = queries.count_events(engine=engine)
    ingest_records(generate(120, seed=11)[0], engine=engine)
    newer = queries.count_events(engine=engine) - before
    assert newer > 0
    for name in ("overview", "clusters", "patterns"):
        open_page(app, name)
        no_exception(app)
        assert [w.value for w in app.warning if "arrived after run" in w.value] == [
            f"{newer:,} events arrived after run 1: they are in none of its clusters yet."]
    app.button(key="patterns_stale_assign").click().run()
    no_exception(app)
    assert not [w for w in app.warning if "arrived after run" in w.value]
    assert plain(app.success[0].value).startswith("Run 1: ") and f"of {newer:,} new events" in app.success[0].value
    assert queries.get_run(engine=engine, run_id=1).n_events == queries.count_events(engine=engine)
    assert len(store.run_events_frame(engine=engine, run_id=1)) == before + newer


def test_run_again_from_the_banner_makes_a_run_that_holds_every_event(engine: object) -> None:
    app = open_page(fresh(), "clusters")
    ingest_records(generate(60, seed=12)[0], engine=engine)
    open_page(app, "clusters").button(key="clusters_stale_run").click().run()
    no_exception(app)
    assert app.session_state[app_context.RUN_KEY] == 2 and app.query_params["run"] == "2"
    assert not [w for w in app.warning if "arrived after run" in w.value]
    assert queries.get_run(engine=engine, run_id=2).n_events == queries.count_events(engine=engine)


def test_overview_names_missing_values_in_words(engine: object) -> None:
    record = {"evaluation_id": "eval-plain-text", "customer_prompt": "book a room", "skill_input": "{}",
              "skill_output": "the booking service is down", "ai_output": "Sorry.",
              "timestamp": "2024-05-02T08:43:58Z", "user_id": "u", "tenant_id": "t"}
    ingest_records([record], engine=engine)  # a plain-text error: no status code, no error type
    app = open_page(fresh(), "overview")
    no_exception(app)
    traces = {c.key: json.loads(c.proto.spec)["data"][0] for c in app.get("plotly_chart")
              if c.key in ("overview_status", "overview_error_type")}
    bars = {key: trace["y"] for key, trace in traces.items()}
    assert "no status" in bars["overview_status"] and "no error type" in bars["overview_error_type"]
    assert not any("(none)" in y for ys in bars.values() for y in ys)
    # However many they are, the events without a value are drawn last (at the bottom) and grey.
    for key, missing in (("overview_status", "no status"), ("overview_error_type", "no error type")):
        trace = traces[key]
        assert trace["y"][0] == missing
        colours = trace["marker"]["color"]
        assert colours[0] != colours[-1] and len(set(colours[1:])) == 1
