"""The analyst's flow in Chromium: upload, run, box-select on the map, open a cluster, label it, download
the Markdown report; telemetry carrying HTML and Markdown shows as text and fires no dialog.

The tests share one server, database and browser page and run in file order, each going on from where
the previous one left the dashboard (as an analyst would); each asserts its own step.
"""

from __future__ import annotations

import csv
import json
import re
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from lens_core.ingest.ingestor import ingest_records
from lens_core.samples.generator import generate
from lens_core.storage import queries
from lens_core.storage.engine import open_engine
from lens_core.tracking import curation, queue
from tests.browser.conftest import CHROMIUM, NO_CHROMIUM, SCREENSHOTS
from tests.conftest import SAMPLES

if not CHROMIUM.exists():
    pytest.skip(NO_CHROMIUM, allow_module_level=True)
expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (requirements-dev.txt)").expect

XSS = "<img src=x onerror=alert(1)><script>alert(1)</script>"
MARKDOWN = "**bold** [link](http://x)"
PAYLOAD = f"{XSS} {MARKDOWN}"
UI_TIMEOUT_MS = 240_000  # a first run on a new machine compiles UMAP and HDBSCAN (numba): ~45 s alone on 2 cores


@dataclass
class Session:
    page: object
    dialogs: list[str] = field(default_factory=list)


def write_probe_file(path: Path, n: int = 12) -> Path:
    """Events whose prompt and error message carry HTML and Markdown; enough of them to form a cluster."""
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["evaluation_id", "customer_prompt", "skill_input", "skill_output", "ai_output",
                         "timestamp", "user_id"])
        for i in range(n):
            output = json.dumps({"error": {"code": "ProbeFailed", "message": PAYLOAD}})
            writer.writerow([f"xss-{i}", PAYLOAD, "Probe.run()", output, f"Sorry {MARKDOWN}",
                             f"2024-05-10T10:{i:02d}:00Z", f"probe-user-{i % 3}"])
    return path


@pytest.fixture(scope="module")
def session(server: str, browser: object) -> Session:
    context = browser.new_context(accept_downloads=True, viewport={"width": 1500, "height": 1200})
    page = context.new_page()
    page.set_default_timeout(UI_TIMEOUT_MS)
    result = Session(page=page)
    page.on("dialog", lambda dialog: (result.dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(server)
    return result


def go(page: object, title: str, heading: str | None = None) -> None:
    """Navigate with the sidebar menu (one browser session, so the chosen run is kept)."""
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title, exact=True).click()
    page.get_by_role("heading", name=heading or title, exact=True).wait_for()
    settle(page)


def settle(page: object) -> None:
    """Wait until the script's rerun is over. Until then Streamlit keeps the previous run's elements on the
    page, marked stale: a locator can match an element twice, or a click land on one about to go."""
    page.wait_for_timeout(300)  # a rerun that a click has just asked for may not have begun yet
    page.wait_for_function(
        "() => !document.querySelector('[data-stale=\"true\"], [data-testid=\"stStatusWidgetRunningIcon\"]')")


def shot(page: object, name: str) -> None:
    page.wait_for_timeout(500)  # let plotly finish drawing
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_upload_and_run_draws_the_map(session: Session, screenshots: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    page = session.page
    page.get_by_text("No failures are stored yet").wait_for()
    shot(page, "01-overview-empty")

    go(page, "Upload", "Upload telemetry")
    probe = write_probe_file(tmp_path_factory.mktemp("probe") / "probe.csv")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files([str(SAMPLES / "telemetry.csv"), str(probe)])
    page.get_by_text("probe.csv (first rows)").wait_for()
    page.get_by_role("button", name="Ingest files").click()
    page.get_by_text("telemetry.csv: 3,000 accepted").wait_for()
    page.get_by_text("probe.csv: 12 accepted").wait_for()
    shot(page, "02-upload")

    go(page, "Clusters")
    started = time.perf_counter()
    page.get_by_role("button", name="Run").click()
    page.get_by_text(re.compile(r"^Run 1: \d+ clusters")).wait_for()
    page.locator(".js-plotly-plot .scatterlayer, .js-plotly-plot canvas").first.wait_for()
    first = time.perf_counter() - started

    # Pressed again: embeddings and the map are stored, so only clustering and describing run.
    started = time.perf_counter()
    page.get_by_role("button", name="Run").click()
    page.get_by_text(re.compile(r"^Run 2: \d+ clusters.*no text embedded again, stored map reused")).wait_for()
    page.locator(".js-plotly-plot .scatterlayer, .js-plotly-plot canvas").first.wait_for()
    again = time.perf_counter() - started
    timings = {"events": 3012, "first_run_s": round(first, 2), "rerun_s": round(again, 2)}
    (SCREENSHOTS.parent / "run-to-map.json").write_text(json.dumps(timings))
    print(f"\nRun pressed -> map drawn: {first:.1f} s first, {again:.1f} s again (3012 events)")
    shot(page, "03-clusters")
    assert session.dialogs == []


def test_box_selection_lists_the_events(session: Session, screenshots: Path) -> None:
    page = session.page
    drag = page.locator(".js-plotly-plot .nsewdrag").first
    drag.scroll_into_view_if_needed()  # the mouse only reaches what is on screen
    box = drag.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] * 0.1, box["y"] + box["height"] * 0.1)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.6, steps=12)
    page.mouse.move(box["x"] + box["width"] * 0.9, box["y"] + box["height"] * 0.9, steps=12)
    page.mouse.up()
    selected = page.get_by_text(re.compile(r"^[\d,]+ selected events$"))  # 1,234: thousands are separated
    selected.wait_for()
    assert int(selected.inner_text().split()[0].replace(",", "")) > 0
    expect(page.locator('[data-testid="stDataFrame"]')).to_have_count(2)  # the selection, then the cluster list
    shot(page, "04-clusters-selection")


def test_a_map_selection_becomes_a_pattern(session: Session, database: Path, screenshots: Path) -> None:
    """The box still selected from the step before: its main pattern's events become a pattern of their own."""
    page = session.page
    page.get_by_label("Title of the new pattern (optional)").fill("Chosen on the map")
    page.get_by_role("button", name="Make a pattern of the selection").scroll_into_view_if_needed()
    shot(page, "09-clusters-selection-form")
    page.get_by_role("button", name="Make a pattern of the selection").click()
    page.get_by_text(re.compile(r"^New pattern Chosen on the map: \d+ selected events, out of ")).wait_for()
    page.get_by_text("No events selected.").wait_for()  # a fresh map: the selection was used
    engine = open_engine(f"sqlite:///{database}")
    rule = curation.history(engine=engine)[-1]
    assert rule.kind == "split_events" and rule.author == "dashboard" and rule.params["evaluation_ids"]
    shot(page, "09-clusters-selection-pattern")
    assert session.dialogs == []


def test_open_the_probe_cluster_and_markup_shows_as_text(session: Session, database: Path, screenshots: Path) -> None:
    page = session.page
    engine = open_engine(f"sqlite:///{database}")
    run = queries.latest_run(engine=engine)
    frame = queries.assignments_frame(engine=engine, run_id=run.id)
    label = int(frame.loc[frame["evaluation_id"] == "xss-0", "cluster_id"].iloc[0])
    summary = queries.get_cluster(engine=engine, run_id=run.id, label=label).summary
    name = "Noise" if label == -1 else f"Cluster {label} · {summary}"

    settle(page)  # the step before ends in reruns (a new pattern, a new map)
    chooser = page.locator('[data-testid="stSelectbox"]').filter(has_text="Cluster to open")
    chooser.wait_for()
    chooser.locator("input").click()
    chooser.locator("input").fill(name)
    page.get_by_role("option", name=name, exact=True).click()
    page.get_by_role("button", name="Open cluster detail").click()
    page.get_by_role("heading", name="Cluster detail", exact=True).wait_for()
    page.get_by_text("Fingerprints inside").wait_for()

    page.get_by_label("Search prompts and outputs").fill("onerror")
    page.get_by_label("Search prompts and outputs").press("Enter")
    page.get_by_text(re.compile(r"^12 events matching the search")).wait_for()
    prompt = page.locator('[data-testid="stText"]').filter(has_text=XSS).first
    prompt.wait_for()
    assert MARKDOWN in prompt.inner_text() and XSS in prompt.inner_text()

    page.get_by_label("Label", exact=True).and_(page.locator("input")).fill(f"probe {PAYLOAD}")
    page.get_by_role("button", name="Save label and notes").click()
    page.get_by_text("Saved.").wait_for()
    heading = page.get_by_role("heading", name=re.compile("probe"))
    assert f"probe {PAYLOAD}" in heading.inner_text()  # literal: no bold, no link, no image
    assert page.locator("img[src='x']").count() == 0
    assert page.locator("a[href='http://x']").count() == 0
    assert page.locator("main strong", has_text="bold").count() == 0
    page.get_by_role("heading", name="Cluster detail", exact=True).scroll_into_view_if_needed()
    shot(page, "05-cluster-detail")
    assert session.dialogs == []


def test_download_the_markdown_report(session: Session, screenshots: Path) -> None:
    page = session.page
    go(page, "Export")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Report (Markdown)").click()
    report = Path(download_info.value.path()).read_text(encoding="utf-8")
    assert report.startswith("# lens report: run 2")
    assert "## Cluster" in report and "probe \\<img src=x onerror=alert(1)\\>" in report
    assert "<script>" not in report  # telemetry is escaped in the report too
    shot(page, "06-export")
    assert session.dialogs == []


def test_runs_and_overview_pages(session: Session, screenshots: Path) -> None:
    page = session.page
    go(page, "Runs")
    page.get_by_role("button", name="Show this run").wait_for()
    shot(page, "07-runs")
    go(page, "Overview")
    page.get_by_text("Failures by plugin").wait_for()
    shot(page, "08-overview")
    assert session.dialogs == []
    assert sorted(p.name for p in SCREENSHOTS.glob("0*.png"))[:8] == [
        "01-overview-empty.png", "02-upload.png", "03-clusters.png", "04-clusters-selection.png",
        "05-cluster-detail.png", "06-export.png", "07-runs.png", "08-overview.png",
    ]


def test_patterns_queue_and_a_pattern_page(session: Session, database: Path, screenshots: Path) -> None:
    """The triage queue (two tracked runs, so what changed between them), one pattern renamed in its form,
    and the queue as the landing page."""
    page = session.page
    go(page, "Patterns")
    page.get_by_text("Triage queue").wait_for()
    page.get_by_text(re.compile(r"^Run 1 to run 2")).wait_for()
    expect(page.get_by_role("tab", name=re.compile(r"^Kept \(\d+\)"))).to_be_visible()
    shot(page, "10-patterns")
    page.get_by_role("tab", name=re.compile(r"^New \(\d+\)")).click()
    page.get_by_text("Kept: the pattern had events in both runs").scroll_into_view_if_needed()
    shot(page, "10-patterns-changes")

    engine = open_engine(f"sqlite:///{database}")
    top = queue.summaries(engine=engine)[0]
    page.get_by_role("button", name="Open pattern", exact=True).click()  # the top of the queue is chosen
    page.get_by_role("heading", name="Pattern", exact=True).wait_for()
    page.get_by_role("heading", name=top.title, exact=True).wait_for()
    page.get_by_text("Root-cause hypothesis:").first.wait_for()
    page.get_by_label("Title", exact=True).fill("Renamed in the browser")
    page.get_by_role("button", name="Rename").click()
    page.get_by_text("Renamed to Renamed in the browser.").wait_for()
    page.get_by_role("heading", name="Renamed in the browser", exact=True).wait_for()
    assert queue.summaries(engine=engine)[0].title == "Renamed in the browser"
    page.get_by_role("heading", name="Pattern", exact=True).scroll_into_view_if_needed()
    shot(page, "11-pattern")
    page.get_by_role("heading", name="Rules", exact=True).scroll_into_view_if_needed()
    shot(page, "12-pattern-rules-and-actions")

    page.goto(page.url.split("/pattern")[0])  # a new visit lands on the queue once a run has patterns
    page.get_by_role("heading", name="Patterns", exact=True).wait_for()
    # the top of the queue, under its new title
    expect(page.get_by_role("combobox", name="Pattern to open")).to_have_value("Renamed in the browser")
    assert session.dialogs == []


def test_trends_and_compare_pages(session: Session, database: Path, screenshots: Path) -> None:
    """The Trends page's two stacked charts, and Compare on its default: the latest release against the one
    before, as the core compares them."""
    from lens_core.storage import tracking as store
    from lens_core.tracking import titles, trends

    page = session.page
    engine = open_engine(f"sqlite:///{database}")
    run_id = store.latest_tracked_run(engine=engine)
    biggest = int(store.run_events_frame(engine=engine, run_id=run_id)["pattern_id"].value_counts().index[0])
    go(page, "Trends")
    page.get_by_role("heading", name="By release", exact=True).wait_for()
    expect(page.locator('[data-testid="stPlotlyChart"] .js-plotly-plot')).to_have_count(2)
    legend = page.locator('[data-testid="stPlotlyChart"] .legend').first
    expect(legend).to_contain_text(titles.titles_of(engine=engine)[biggest][:40])  # named by title
    shot(page, "10-trends")
    page.get_by_text("Share of the failures", exact=True).click()  # the toggle: shares, bars reach 100%
    settle(page)
    expect(page.locator('[data-testid="stPlotlyChart"] .gtitle').first).to_have_text(
        "Share of the failures per day, by pattern")
    page.get_by_role("heading", name="By release", exact=True).evaluate("e => e.scrollIntoView()")
    shot(page, "10-trends-by-release-share")

    core = trends.compare_latest(engine=engine)
    go(page, "Compare")
    page.get_by_role("heading", name="Patterns side by side", exact=True).wait_for()
    expect(page.get_by_role("combobox", name="Base release")).to_have_value(core.base.removeprefix("release "))
    expect(page.get_by_role("combobox", name="Target release")).to_have_value(core.target.removeprefix("release "))
    page.locator('[data-testid="stPlotlyChart"] .js-plotly-plot').first.wait_for()
    shot(page, "11-compare")
    page.get_by_role("heading", name="Change of rate", exact=True).evaluate("e => e.scrollIntoView()")
    shot(page, "11-compare-change-of-rate")
    assert session.dialogs == []


def test_a_copied_link_opens_the_same_pattern_and_the_map_by_plugin(session: Session, database: Path,
                                                                   screenshots: Path) -> None:
    """The pattern page's URL names the run and the pattern: opened in a new tab (a new session), it shows
    the same pattern; then the map coloured by plugin, a choice the URL keeps too."""
    page = session.page
    engine = open_engine(f"sqlite:///{database}")
    second = queue.summaries(engine=engine)[1].title  # not the page's default: the link must carry it
    go(page, "Patterns")
    chooser = page.get_by_role("combobox", name="Pattern to open")
    chooser.click()
    chooser.fill(second)
    page.get_by_role("option", name=second, exact=True).click()
    settle(page)
    page.get_by_role("button", name="Open pattern", exact=True).click()
    page.get_by_role("heading", name=second, exact=True).wait_for()
    page.wait_for_function("() => location.search.includes('pattern=') && location.search.includes('run=')")
    link = page.url

    other = page.context.new_page()
    other.set_default_timeout(UI_TIMEOUT_MS)
    other.on("dialog", lambda dialog: (session.dialogs.append(dialog.message), dialog.dismiss()))
    other.goto(link)
    other.get_by_role("heading", name="Pattern", exact=True).wait_for()
    other.get_by_role("heading", name=second, exact=True).wait_for()
    settle(other)
    assert other.locator('[data-testid="stAlertContentWarning"]').count() == 0  # the link was understood

    go(other, "Clusters")
    colour = other.get_by_role("combobox", name="Colour by")
    colour.click()
    other.get_by_role("option", name="plugin", exact=True).click()
    settle(other)
    expect(other.locator('[data-testid="stPlotlyChart"] .legendtitletext').first).to_have_text("plugin")
    assert "colour=plugin" in other.url
    other.get_by_role("heading", name="Map of the failures", exact=True).evaluate("e => e.scrollIntoView()")
    shot(other, "13-map-by-plugin")  # the selector and the whole map
    other.close()
    assert session.dialogs == []


def test_an_export_with_other_column_names_is_mapped_on_the_upload_page(
        session: Session, database: Path, screenshots: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """A file whose columns lens does not know by name: the guesses are preselected, the analyst picks the
    prompt's column, and the events are stored under lens's fields."""
    page = session.page
    vendor = tmp_path_factory.mktemp("vendor") / "vendor.csv"
    with vendor.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["EvaluationId", "Question", "tool_output", "Response"])
        for i in range(3):
            writer.writerow([f"vendor-{i}", f"book the room for meeting {i}", "HTTP 409 Conflict: room taken",
                             "Sorry, that failed"])
    go(page, "Upload", "Upload telemetry")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files([str(vendor)])
    prompt = page.get_by_role("combobox", name="customer_prompt")
    prompt.wait_for()
    expect(page.get_by_role("combobox", name=re.compile(r"^evaluation_id"))).to_have_value("EvaluationId")
    expect(page.get_by_role("combobox", name=re.compile(r"^skill_output"))).to_have_value("tool_output")
    prompt.click()
    page.get_by_role("option", name="Question", exact=True).click()
    settle(page)
    shot(page, "14-upload-mapping")
    page.get_by_role("button", name="Ingest files").click()
    page.get_by_text("vendor.csv: 3 accepted").wait_for()
    with sqlite3.connect(database) as db:
        prompt_stored, output_stored = db.execute(
            "SELECT customer_prompt, skill_output FROM telemetry_events WHERE evaluation_id = 'vendor-1'").fetchone()
    assert prompt_stored == "book the room for meeting 1" and "409" in output_stored
    assert session.dialogs == []


def test_the_run_form_applies_on_run_and_its_progress_counts(session: Session, database: Path,
                                                             screenshots: Path) -> None:
    """The parameters are a form: a slider moved starts nothing and Run applies it; while the run runs, its
    bar names the stage and what it has done (stage n of 8); the help says what the run used."""
    page = session.page
    go(page, "Clusters")
    form = page.locator('[data-testid="stForm"]').filter(has=page.get_by_role("button", name="Run"))
    expect(form).to_have_count(1)
    runs_before = sqlite3.connect(database).execute("SELECT count(*) FROM pipeline_runs").fetchone()[0]
    thumb = form.get_by_role("slider").first  # distance_threshold (agglomerative), the default's own
    thumb.focus()
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    settle(page)
    assert sqlite3.connect(database).execute("SELECT count(*) FROM pipeline_runs").fetchone()[0] == runs_before
    moved = float(form.locator('[data-testid="stSliderThumbValue"]').first.inner_text())
    assert moved == pytest.approx(1.1)  # two steps of 0.05 below the default

    form.get_by_role("button", name="Run").click()
    page.get_by_text(re.compile(r"\(stage \d of 8\)$")).first.wait_for()  # the bar, while the run runs
    page.get_by_text(re.compile(r"^Run \d+: \d+ clusters")).wait_for()
    settle(page)
    with sqlite3.connect(database) as db:
        (parameters,) = db.execute("SELECT parameters FROM pipeline_runs ORDER BY id DESC LIMIT 1").fetchone()
    assert json.loads(parameters)["clusterer"]["params"]["distance_threshold"] == pytest.approx(moved)
    expect(form.get_by_text(re.compile(r"^Shown run: "))).to_have_count(0)  # the sliders show the run's values
    form.scroll_into_view_if_needed()
    shot(page, "15-clusters-run-form")
    assert session.dialogs == []


def test_an_llm_key_entered_for_the_session_summarises_every_cluster(session: Session, screenshots: Path) -> None:
    """No key in the server's environment: one entered on the page, with a local server's address, is used at
    the next click (no restart); Summarise all shows the cost estimated before and spent after."""
    from tests.stage.test_llm_summaries import FakeLLM

    fake = FakeLLM()
    try:
        page = session.page
        go(page, "Cluster detail")
        page.get_by_text(re.compile(r"^LLM connection: key none yet")).wait_for()  # open: nothing is set
        page.get_by_label("API key", exact=True).fill("sk-browser-session-0123456789")
        page.get_by_label("Server (base URL)", exact=True).fill(fake.url)
        page.get_by_label("Model", exact=True).fill("gpt-4o-mini")
        page.get_by_role("button", name="Use for this session").click()
        page.get_by_text(re.compile(r"would be sent: about [\d,]+ tokens in")).wait_for()
        settle(page)
        page.get_by_role("button", name="Summarise all clusters").click()
        page.get_by_text(re.compile(r"clusters now have an LLM summary.*estimated before")).wait_for()
        settle(page)
        assert fake.requests and {r["model"] for r in fake.requests} == {"gpt-4o-mini"}
        expect(page.get_by_label("API key", exact=True)).to_have_value("")  # the box does not keep the key
        page.get_by_role("heading", name="LLM summary", exact=True).evaluate("e => e.scrollIntoView()")
        shot(page, "16-cluster-detail-llm")
    finally:
        fake.server.shutdown()
        fake.server.server_close()
    assert session.dialogs == []


# The map's WebGL figure: a point of its largest trace, in page coordinates (scrolled into view first), and
# the first line of every point's hover text (what the hover box must start with).
MAP_POINT = """() => {
  const gd = [...document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot')]
    .find((g) => (g._fullData || []).some((t) => t.type === 'scattergl'));
  gd.scrollIntoView({block: 'center'});
  const traces = gd._fullData.filter((t) => t.type === 'scattergl' && t.x.length);
  const trace = traces.reduce((a, b) => (b.x.length > a.x.length ? b : a));
  const box = gd.getBoundingClientRect(), xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
  const k = Math.floor(trace.x.length / 2);
  const firstLine = (h) => h.split('<br>')[0].replace(/<[^>]+>/g, '').replace(/&amp;/g, '&');
  const names = [...new Set(traces.flatMap((t) => (t.hovertext || []).map(firstLine)))];
  return {x: box.left + xa._offset + xa.l2p(trace.x[k]), y: box.top + ya._offset + ya.l2p(trace.y[k]), names};
}"""


def test_events_after_the_run_are_announced_and_assigned_and_the_map_hover_names_the_pattern(
        session: Session, database: Path, screenshots: Path) -> None:
    """Events stored after the shown run: the Clusters page says how many arrived and Assign them puts them
    in its clusters, after which the banner is gone. Hovering a point of the map names its pattern."""
    page = session.page
    late, _ = generate(40, seed=11)
    engine = open_engine(f"sqlite:///{database}")
    try:
        ingest_records([{**e, "evaluation_id": f"late-{e['evaluation_id']}"} for e in late], engine=engine)
    finally:
        engine.dispose()
    go(page, "Clusters")
    page.get_by_text(re.compile(r"^40 events arrived after run \d+: they are in none of its clusters yet")).wait_for()
    shot(page, "17-clusters-stale-banner")
    page.get_by_role("button", name="Assign them").click()
    page.get_by_text(re.compile(r"^Run \d+: \d+ of 40 new events joined its clusters")).wait_for()
    settle(page)
    expect(page.get_by_text(re.compile(r"events arrived after run"))).to_have_count(0)

    point = page.evaluate(MAP_POINT)
    page.mouse.move(5, 5)
    page.mouse.move(point["x"], point["y"])
    hover = page.locator(".hoverlayer .hovertext").first
    hover.wait_for()
    shown = hover.text_content() or ""
    assert any(name and shown.startswith(name) for name in point["names"]), (shown, point["names"][:5])
    shot(page, "17-clusters-map-hover")
    assert session.dialogs == []
