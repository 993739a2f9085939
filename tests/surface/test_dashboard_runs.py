"""Starting a run from the Clusters page through AppTest: the parameters in a form applied by Run, their help
with the value the shown run used, and a progress bar that says what the run is doing with counts.

The data and the first run are made with lens_core directly (800 generated events, the hashing embedder).
That a slider move reruns nothing in a browser is checked in tests/browser (AppTest sends every value).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app import actions
from app.context import AppContext
from app.ui import value_words
from lens_core.config import Settings
from lens_core.storage import queries
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
    with dashboard_database(tmp_path / "runs.db", monkeypatch) as url:
        yield url


@pytest.fixture
def engine(db_url: str) -> Iterator[object]:
    eng = tracked_sample(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def app(engine: object) -> AppTest:
    return open_page(AppTest.from_file(MAIN, default_timeout=TIMEOUT).run(), "clusters")


def runs(engine: object) -> int:
    return len(queries.list_runs(engine=engine))


def test_parameters_are_a_form_that_only_run_applies(app: AppTest, engine: object) -> None:
    slider = app.slider(key="clusters_distance_threshold")
    assert slider.proto.form_id == "clusters_parameters"  # in the form: a browser reruns nothing on a move
    assert app.button(key="clusters_run").proto.form_id == "clusters_parameters"
    before = runs(engine)
    slider.set_value(0.9).run()  # AppTest, like a browser, holds a form's values until it is submitted
    no_exception(app)
    assert runs(engine) == before  # a changed slider starts nothing

    app.slider(key="clusters_distance_threshold").set_value(0.9)
    app.button(key="clusters_run").click().run()
    no_exception(app)
    assert runs(engine) == before + 1
    latest = queries.latest_run(engine=engine)
    assert latest.parameters["clusterer"]["params"]["distance_threshold"] == 0.9


def test_the_controls_keep_the_analysts_choice_across_pages(app: AppTest, engine: object) -> None:
    """Another page and back: the algorithm and the sliders are as the analyst left them, not the defaults."""
    app.radio(key="clusters_algorithm").set_value("hdbscan").run()
    app.slider(key="clusters_min_cluster_size").set_value(17)
    app.slider(key="clusters_umap_neighbors").set_value(30)
    app.button(key="clusters_run").click().run()
    no_exception(app)
    open_page(app, "overview")
    open_page(app, "clusters")
    no_exception(app)
    assert app.radio(key="clusters_algorithm").value == "hdbscan"
    assert app.slider(key="clusters_min_cluster_size").value == 17
    assert app.slider(key="clusters_umap_neighbors").value == 30
    assert app.slider(key="clusters_distance_threshold").value == 1.2  # untouched: still the default


def test_help_says_what_a_parameter_does_and_the_value_the_shown_run_used(app: AppTest, engine: object) -> None:
    help_text = app.slider(key="clusters_umap_neighbors").proto.help
    assert "merges more" in help_text  # plain words: what it does to the groups

    app.radio(key="clusters_algorithm").set_value("hdbscan").run()
    app.slider(key="clusters_min_cluster_size").set_value(2)
    app.button(key="clusters_run").click().run()
    no_exception(app)
    used = queries.latest_run(engine=engine).counts["used_params"]["min_cluster_size"]
    assert used > 2  # scaled up for the run's distinct texts (scale_min_cluster_size is on by default)
    words = f"2 (used {used}: raised to fit the run's size)"
    assert f"Shown run: {words}" in [c.value for c in app.caption]
    assert words in app.slider(key="clusters_min_cluster_size").proto.help
    assert any(f"min_cluster_size {words}" in c.value for c in app.caption)  # the run's caption too

    app.radio(key="clusters_algorithm").set_value("kmeans").run()
    app.button(key="clusters_run").click().run()
    no_exception(app)
    run = queries.latest_run(engine=engine)
    captions = " ".join(c.value for c in app.caption)
    assert f"k chosen automatically: {run.n_clusters}" in captions and "min_cluster_size" not in captions


def test_the_progress_bar_names_the_stage_and_counts(db_url: str, engine: object) -> None:
    context = AppContext(settings=Settings(_env_file=None, database_url=db_url, embedding_backend="hashing"),
                         engine=engine)
    seen: list[tuple[float, str]] = []
    options = actions.options_from(context, algorithm="hdbscan", view="error")
    actions.run_pipeline(options, context=context, progress=lambda fraction, text: seen.append((fraction, text)))
    texts = [text for _, text in seen]
    assert texts[0].startswith("Loading the stored events") and seen[-1][0] == 1.0
    assert any(t.startswith("Embedding texts: ") and " of " in t for t in texts)
    assert any(t.startswith("Describing the clusters: ") and " clusters" in t for t in texts)
    assert all("(stage " in t for t in texts)


def test_dates_and_numbers_read_whole_and_no_cell_says_none(app: AppTest, engine: object) -> None:
    open_page(app, "runs")
    table = app.dataframe[0].value
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", table["created"].iloc[0])
    assert table["events"].iloc[0] == "800" and table["noise share"].iloc[0].endswith("%")
    assert not table.isin([None, "None", "nan"]).any().any()

    open_page(app, "cluster_detail")
    seen = next(plain(c.value) for c in app.caption if c.value.startswith("First seen"))
    assert re.fullmatch(r"First seen \d{4}-\d\d-\d\d \d\d:\d\d UTC; last seen \d{4}-\d\d-\d\d \d\d:\d\d UTC\.",
                        seen)
    events = app.dataframe[-1].value
    assert not events.isin([None, "None", "nan"]).any().any() and not events.isna().any().any()

    open_page(app, "overview")
    titles = [json.loads(chart.proto.spec)["layout"]["title"]["text"] for chart in app.get("plotly_chart")]
    sizes = next(t for t in titles if t.startswith("Events per cluster"))
    cut = re.fullmatch(r"Events per cluster \(the 20 largest of (\d+)\)", sizes)
    assert cut and int(cut.group(1)) >= queries.latest_run(engine=engine).n_clusters > 20  # says it is a cut


def test_value_words_say_what_a_run_changed() -> None:
    assert value_words(10, 25) == "10 (used 25: raised to fit the run's size)"
    assert value_words(5, 3) == "5 (used 3: lowered to fit the data)"
    assert value_words(None, 7) == "chosen automatically: 7" and value_words(None) == "chosen automatically"
    assert value_words(True) == "on" and value_words(1.2, 1.2) == "1.2" and value_words(30_000) == "30,000"
