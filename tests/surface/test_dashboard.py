"""The Streamlit dashboard through AppTest: every page, the upload widget, runs, labels and downloads.

Each test gets its own SQLite file and the hashing embedder (no model) through the environment, read by
the entry point's `get_settings()`, exactly as `streamlit run` would read it.
Plotly selection events and real rendering are covered by tests/browser (AppTest cannot drag a box).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from lens_core.config import Settings, get_settings
from lens_core.ingest.ingestor import ingest_records
from lens_core.runs.options import ProcessOptions
from lens_core.runs.pipeline import process
from lens_core.samples.generator import generate
from lens_core.storage import queries
from lens_core.storage.engine import open_engine
from tests.conftest import ROOT, SAMPLES

MAIN = str(ROOT / "app" / "main.py")
PAGE = {path.stem: f"../pages/{path.name}" for path in sorted((ROOT / "pages").glob("*.py"))}
TIMEOUT = 180  # the first UMAP of a test process compiles numba code


@contextmanager
def dashboard_database(path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """What the dashboard's settings read in a test: SQLite at `path`, the hashing embedder, no LLM key
    (blank means "not configured", whatever a local .env says). Yields the database URL."""
    url = f"sqlite:///{path}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("EMBEDDING_BACKEND", "hashing")
    monkeypatch.setenv("OPENAI_API_KEY", "")
    get_settings.cache_clear()
    try:
        yield url
    finally:
        get_settings.cache_clear()


def tracked_sample(db_url: str) -> Engine:
    """800 generated events (a quarter name one of three releases) and one tracked run."""
    engine = open_engine(db_url)
    settings = Settings(_env_file=None, database_url=db_url, embedding_backend="hashing")
    ingest_records(generate(800, seed=3)[0], engine=engine)
    process(engine=engine, settings=settings, options=ProcessOptions.of(settings))
    return engine


@pytest.fixture
def db_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "dashboard.db"
    with dashboard_database(path, monkeypatch):
        yield path


@pytest.fixture
def app(db_path: Path) -> AppTest:
    return AppTest.from_file(MAIN, default_timeout=TIMEOUT).run()


def open_page(app: AppTest, name: str) -> AppTest:
    app.switch_page(PAGE[name]).run()
    no_exception(app)
    return app


def no_exception(app: AppTest) -> None:
    assert not app.exception, [e.value for e in app.exception]


def plain(text: str) -> str:
    """Text the page wrote with md_literal, without its escapes."""
    return re.sub(r"\\(.)", r"\1", text)


def load_and_run(app: AppTest) -> AppTest:
    open_page(app, "upload").button(key="upload_sample").click().run()
    no_exception(app)
    open_page(app, "clusters").button(key="clusters_run").click().run()
    no_exception(app)
    return app


# -- empty database --------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["overview", "clusters", "cluster_detail", "export"])
def test_empty_database_says_what_to_do(app: AppTest, page: str) -> None:
    open_page(app, page)
    no_exception(app)
    assert any("No failures are stored yet" in i.value for i in app.info)


def test_runs_page_without_runs(app: AppTest) -> None:
    open_page(app, "runs")
    no_exception(app)
    assert any("No runs yet" in i.value for i in app.info)


def test_invalid_setting_is_an_error_message_not_a_traceback(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://nobody@nowhere/db")
    get_settings.cache_clear()
    app = AppTest.from_file(MAIN, default_timeout=TIMEOUT).run()
    no_exception(app)
    assert "unsupported database" in app.error[0].value


# -- upload ------------------------------------------------------------------------------------------------


def test_upload_files_reports_accepted_duplicates_and_rejected_rows(
    app: AppTest, db_path: Path, downloads: Callable[[object], bytes]
) -> None:
    telemetry = (SAMPLES / "telemetry.jsonl").read_bytes()
    malformed = (SAMPLES / "malformed.csv").read_bytes()
    open_page(app, "upload")
    assert "200 MB" in app.markdown[0].value  # the limit from .streamlit/config.toml is stated
    app.file_uploader(key="upload_files").set_value([
        ("telemetry.jsonl", telemetry, "application/jsonl"), ("malformed.csv", malformed, "text/csv"),
    ]).run()
    assert len(app.dataframe) == 2  # one preview per file
    app.button(key="upload_ingest").click().run()
    no_exception(app)

    report = app.dataframe[-2].value.set_index("file")
    assert report.loc["telemetry.jsonl", "accepted"] == 3000
    assert report.loc["malformed.csv", "rejected"] > 0
    rejected = list(csv.DictReader(io.StringIO(downloads(app.download_button(key="upload_rejected_csv")).decode())))
    assert {"file", "row", "field", "reason"} <= set(rejected[0])
    assert all(r["row"].isdigit() and r["reason"] for r in rejected)
    engine = open_engine(f"sqlite:///{db_path}")
    assert queries.count_events(engine=engine) > 3000  # the sample plus malformed.csv's good rows

    assert any(s.value.startswith("telemetry.jsonl: 3,000 accepted") for s in app.success)

    app.button(key="upload_ingest").click().run()  # the same files again: all duplicates, nothing new
    assert app.dataframe[-2].value.set_index("file").loc["telemetry.jsonl", "duplicates"] == 3000
    assert not any(s.value.startswith("telemetry.jsonl") for s in app.success)  # not a success: nothing stored
    assert any("telemetry.jsonl: nothing new: all 3,000 valid rows were stored before" in i.value for i in app.info)


def test_a_file_without_valid_rows_or_unreadable_is_explained(app: AppTest) -> None:
    open_page(app, "upload")
    app.file_uploader(key="upload_files").set_value([
        ("bad.csv", b"evaluation_id,customer_prompt\n,hello\n", "text/csv"),
        ("blob.json", b"\x00\x01\x02binary", "application/json"),
    ]).run()
    app.button(key="upload_ingest").click().run()
    no_exception(app)
    assert any("bad.csv: no valid rows" in w.value for w in app.warning)
    assert any("blob.json" in e.value and "binary" in e.value for e in app.error)


def test_a_file_of_a_type_lens_does_not_read_is_named_with_what_lens_reads(app: AppTest) -> None:
    open_page(app, "upload")  # the uploader takes any file, so that this one gets words, not a red chip
    app.file_uploader(key="upload_files").set_value([("export.zip", b"PK\x03\x04" + bytes(40), "application/zip")]).run()
    no_exception(app)
    assert any("export.zip" in e.value and "ZIP archive" in e.value and "CSV, JSON" in e.value for e in app.error)
    app.button(key="upload_ingest").click().run()
    no_exception(app)
    assert not app.success
    assert app.dataframe[-1].value.set_index("file").loc["export.zip", "problem"].startswith("export.zip: this is a ZIP")


# -- the analyst's flow ------------------------------------------------------------------------------------


def test_sample_data_runs_and_rerun_with_changed_sliders_reuses_the_reduction(app: AppTest, db_path: Path) -> None:
    load_and_run(app)  # the default: agglomerative clusters of the cause view
    first = app.success[0].value
    assert first.startswith("Run 1:")
    assert len(app.get("plotly_chart")) == 1  # the map
    assert app.metric[0].label.startswith("Clusters") and app.metric[0].value != "no run yet"
    assert app.slider(key="clusters_min_cluster_size").disabled  # an HDBSCAN setting

    app.slider(key="clusters_distance_threshold").set_value(0.9)
    app.button(key="clusters_run").click().run()
    no_exception(app)
    engine = open_engine(f"sqlite:///{db_path}")
    run = queries.get_run(engine=engine, run_id=2)
    assert run.algorithm == "agglomerative" and run.parameters["clusterer"]["params"]["distance_threshold"] == 0.9
    assert run.counts["embeddings_cached"] == run.counts["unique_texts"]  # nothing embedded again
    assert run.n_clusters >= queries.get_run(engine=engine, run_id=1).n_clusters  # a finer cut

    app.radio(key="clusters_algorithm").set_value("hdbscan").run()  # enables its sliders, as in a browser
    app.slider(key="clusters_min_cluster_size").set_value(40)
    app.slider(key="clusters_min_samples").set_value(10)
    app.button(key="clusters_run").click().run()
    app.slider(key="clusters_min_cluster_size").set_value(30)
    app.button(key="clusters_run").click().run()
    no_exception(app)
    assert app.success[0].value.startswith("Run 4:") and "stored reduction reused" in app.success[0].value
    run = queries.get_run(engine=engine, run_id=4)
    clusterer = run.parameters["clusterer"]["params"]
    assert (clusterer["min_cluster_size"], clusterer["min_samples"]) == (30, 10)

    app.radio(key="clusters_algorithm").set_value("kmeans").run()  # enables the K controls
    app.toggle(key="clusters_auto_k").set_value(False)  # in the Run form: applied with the slider, by Run
    app.slider(key="clusters_k").set_value(5)
    app.button(key="clusters_run").click().run()
    no_exception(app)
    assert app.success[0].value.startswith("Run 5: 5 clusters")


def test_open_a_cluster_label_it_and_see_the_label_everywhere(
    app: AppTest, downloads: Callable[[object], bytes]
) -> None:
    load_and_run(app)
    app.selectbox(key="clusters_open").set_value(1)
    app.button(key="clusters_open_button").click().run()
    no_exception(app)
    open_page(app, "cluster_detail")
    assert app.selectbox(key="detail_label_0").value == 1
    headers = [s.value for s in app.subheader]
    assert any(h.startswith("Fingerprints inside") for h in headers) and "All events" in headers
    assert "What holds it together" in headers  # the cause view's meanings, families and forms
    forms = next(d.value for d in app.dataframe if "form" in d.value.columns)
    assert forms["events"].sum() > 0 and set(forms["form"]) <= {"json", "traceback", "stacktrace", "xml", "html",
                                                                 "text", "empty"}
    events = app.dataframe[-1].value
    assert 0 < len(events) <= 50

    label_box = next(t for t in app.text_input if t.key.startswith("detail_label_text"))
    label_box.set_value("Expired Graph token")
    next(t for t in app.text_area if t.key.startswith("detail_notes")).set_value("Refresh before calling")
    next(b for b in app.form_submit_button if b.label == "Save label and notes").click().run()
    no_exception(app)
    assert "Saved" in app.success[0].value
    assert app.subheader[0].value == r"Cluster 1\: Expired Graph token"
    assert app.selectbox(key="detail_label_1").value == 1  # still the same cluster, under its new name

    open_page(app, "clusters")
    assert "Cluster 1: Expired Graph token" in app.dataframe[-1].value["name"].tolist()
    open_page(app, "export")
    report = downloads(app.download_button(key="export_md")).decode()
    assert "## Cluster 1: Expired Graph token" in report and "Analyst notes: Refresh before calling" in report


def test_event_search_and_paging_in_cluster_detail(app: AppTest) -> None:
    load_and_run(app)
    open_page(app, "cluster_detail")
    first_page = app.dataframe[-1].value
    prompt_word = first_page["customer_prompt"].iloc[0].split()[0]
    app.text_input(key="detail_search").set_value(prompt_word).run()
    no_exception(app)
    found = app.dataframe[-1].value
    assert len(found) > 0 and found["customer_prompt"].str.lower().str.contains(prompt_word.lower()).all()


def test_llm_button_explains_configuration_or_summarizes_the_cluster(
    app: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.stage.test_llm_summaries import FakeLLM

    load_and_run(app)
    open_page(app, "cluster_detail").button(key="detail_llm").click().run()
    howto = app.warning[0].value
    assert "OPENAI_API_KEY" in howto and "OPENAI_BASE_URL" in howto and "OPENAI_MODEL" in howto and ".env" in howto

    fake = FakeLLM()  # a local chat-completions server: the button goes through the real SDK and HTTP
    try:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
        monkeypatch.setenv("OPENAI_BASE_URL", fake.url)
        get_settings.cache_clear()
        app.run()
        app.button(key="detail_llm").click().run()
        no_exception(app)
        assert plain(app.success[0].value).startswith("1 of 1 clusters now have an LLM summary; 1 calls")
        assert len(fake.requests) == 1
    finally:
        fake.server.shutdown()
        fake.server.server_close()


def test_overview_runs_and_export_pages(app: AppTest, downloads: Callable[[object], bytes]) -> None:
    load_and_run(app)
    open_page(app, "overview")
    no_exception(app)
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Failures"] == "3,000" and metrics["Unique users"] != "0"
    assert len(app.get("plotly_chart")) == 5  # plugin, status code, error type, timeline, cluster sizes

    # a second run, so there is a choice to make on the Runs page
    open_page(app, "clusters").slider(key="clusters_distance_threshold").set_value(1.0)
    app.button(key="clusters_run").click().run()
    open_page(app, "runs")
    no_exception(app)
    assert app.dataframe[0].value["run"].tolist() == [2, 1]
    assert app.dataframe[0].value["parameters"].tolist() == ["distance_threshold 1.0, family_separation 1.0",
                                                        "distance_threshold 1.2, family_separation 1.0"]  # its own
    app.selectbox(key="runs_choice").set_value(1)
    app.button(key="runs_show").click().run()
    assert app.session_state["app_run_id"] == 1

    open_page(app, "export")
    no_exception(app)
    summaries = json.loads(downloads(app.download_button(key="export_json")))
    ids = [cluster["cluster_id"] for cluster in summaries["clusters"]]
    assert summaries["run_id"] == 1 and ids and -1 not in ids[:-1]  # noise, when a run has any, comes last
    events = list(csv.DictReader(io.StringIO(downloads(app.download_button(key="export_events")).decode())))
    assert len(events) == 3000
    assert set(events[0]) == {"evaluation_id", "fingerprint", "message_pattern", "cluster_id", "run_id",
                              "pattern_id", "pattern_title"}
    cluster_csv = list(csv.DictReader(io.StringIO(downloads(app.download_button(key="export_csv")).decode())))
    assert len(cluster_csv) == len(summaries["clusters"])
    assert downloads(app.download_button(key="export_md")).decode().startswith("# lens report: run 1")
    assert any(m.value.startswith("# lens report: run 1") for m in app.markdown)  # the preview reads as a report


def test_a_run_with_only_noise_or_too_little_data_is_explained(app: AppTest, db_path: Path) -> None:
    from lens_core.ingest.ingestor import ingest_records
    from lens_core.samples.generator import generate

    ingest_records(generate(40, seed=1)[0], engine=open_engine(f"sqlite:///{db_path}"))
    open_page(app, "clusters").radio(key="clusters_algorithm").set_value("hdbscan").run()  # the one with noise
    app.slider(key="clusters_min_cluster_size").set_value(200)
    app.button(key="clusters_run").click().run()
    no_exception(app)
    assert any("every event in noise" in w.value for w in app.warning)
    assert app.success[0].value.startswith("Run 1: 0 clusters, noise 100.0%")
