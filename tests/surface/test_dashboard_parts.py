"""The dashboard's parts without Streamlit running: chart builders, literal text, upload helpers, page rules."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from app import actions, charts, loaders
from app.context import AppContext
from app.ui import md_literal
from lens_core.config import Settings
from lens_core.errors import InputError
from lens_core.runs.progress import STAGES, RunProgress
from tests.conftest import ROOT, SAMPLES

PAYLOAD = "<img src=x onerror=alert(1)><script>alert(1)</script> **bold** [link](http://x) :red[x] $x$"


def map_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "evaluation_id": ["a", "b", "c", "d"], "cluster_id": [0, 0, 1, -1],
        "map_x": [0.0, 0.1, 5.0, 2.0], "map_y": [0.0, 0.2, 5.0, None],
        "customer_prompt": [PAYLOAD, "p", "q", "r"], "error_message": ["e", None, "g", "h"],
    })


def test_cluster_map_has_a_trace_per_cluster_noise_grey_and_event_ids() -> None:
    frame = map_frame()
    frame.loc[3, "map_y"] = 1.0
    fig = charts.cluster_map(frame, {-1: "Noise", 0: "Cluster 0: <b>x</b>", 1: "Cluster 1"})
    names = [t.name for t in fig.data]
    assert names == ["Noise", "Cluster 0: &lt;b&gt;x&lt;/b&gt;", "Cluster 1"]  # noise first, labels escaped
    assert fig.data[0].marker.color == charts.NOISE_COLOUR
    assert [list(row) for row in fig.data[1].customdata] == [["a"], ["b"]]
    assert fig.layout.dragmode == "select"
    hover = fig.data[1].hovertext[0]
    assert "<img" not in hover and "&lt;img src=x onerror=alert(1)&gt;" in hover


def test_selected_ids_reads_customdata_of_selected_points() -> None:
    points = [{"customdata": ["a"], "x": 1}, {"customdata": "b"}, {"x": 3}]
    assert charts.selected_ids(points) == {"a", "b"}


def test_cluster_map_leaves_out_events_without_a_position() -> None:
    fig = charts.cluster_map(map_frame(), {})
    assert sum(len(t.x) for t in fig.data) == 3


def test_bar_counts_largest_on_top_and_escaped() -> None:
    frame = pd.DataFrame({"value": ["<script>", "b", "c"], "count": [9, 5, 1]})
    fig = charts.bar_counts(frame, title="t", top=2)
    assert list(fig.data[0].y) == ["b", "&lt;script&gt;"] and list(fig.data[0].x) == [5, 9]
    assert fig.layout.title.text == "t (the 2 largest of 3)"  # never silently fewer bars than values
    assert charts.bar_counts(frame, title="t", top=3).layout.title.text == "t"


def test_timeline_by_day_or_hour_and_none_without_timestamps() -> None:
    days = pd.Series(pd.to_datetime(["2024-05-01T10:00Z", "2024-05-01T11:00Z", "2024-05-09T10:00Z"]))
    assert fig_total(charts.timeline(days)) == 3 and charts.timeline(days).layout.yaxis.title.text.endswith("day")
    hours = pd.Series(pd.to_datetime(["2024-05-01T10:00Z", "2024-05-01T10:30Z", "2024-05-01T12:00Z"]))
    assert list(charts.timeline(hours).data[0].y) == [2, 1]
    assert charts.timeline(pd.Series([pd.NaT, pd.NaT])) is None


def fig_total(fig: object) -> int:
    return int(sum(fig.data[0].y))


def test_md_literal_disarms_markdown_html_and_streamlit_syntax() -> None:
    text = md_literal(PAYLOAD)
    # Every punctuation character is escaped, so no markup of any kind is left to render.
    assert not re.search(r"(?<!\\)[<>*\[\]()$:]", text)
    assert re.sub(r"\\(.)", r"\1", text) == PAYLOAD
    assert md_literal("a\n\nb  c", limit=None) == "a b c" and md_literal("x" * 10, limit=5) == "xxxx…"


def test_upload_helpers_preview_and_reports(sqlite_engine: object) -> None:
    data = (SAMPLES / "malformed.csv").read_bytes()
    preview = actions.preview("malformed.csv", data)
    assert 0 < len(preview) <= actions.PREVIEW_ROWS and "evaluation_id" in preview.columns
    with pytest.raises(InputError):
        actions.preview("x.txt", b"plain words")

    context = AppContext(settings=Settings(_env_file=None, embedding_backend="hashing"), engine=sqlite_engine)
    steps: list[float] = []
    results = actions.ingest_uploads(
        [("malformed.csv", data), ("empty.json", b"  ")], context=context, progress=lambda f, _t: steps.append(f)
    )
    assert steps[-1] == 1.0 and results[1].error == "empty.json: the file is empty"
    table = actions.results_table(results).set_index("file")
    rejected = actions.rejections_table(results)
    assert table.loc["malformed.csv", "rejected"] == len(rejected) > 0
    assert rejected["row"].notna().all() and (rejected["reason"] != "").all()


def test_stage_progress_runs_from_zero_to_one_and_says_what_is_happening() -> None:
    seen: list[tuple[float, str]] = []
    report = actions.stage_progress(lambda fraction, text: seen.append((fraction, text)))
    report(RunProgress("load", 0.0))
    report(RunProgress("embed", 0.4, done=1200, total=3000, seconds_left=42))
    report(RunProgress("cluster", 0.0, note="compiling hdbscan's code on first use (tens of seconds, once per install)"))
    report(RunProgress(STAGES[-1], 1.0))  # the last stage (track, since patterns) ends the bar
    assert seen[0][0] == 0.0 and 0 < seen[1][0] < 1 and seen[-1][0] == 1.0
    assert seen[1][1] == "Embedding texts: 1,200 of 3,000 texts embedded, about 42 s left (stage 2 of 8)"
    assert "compiling hdbscan's code on first use" in seen[2][1]


def test_pages_render_no_raw_html() -> None:
    """Telemetry must never reach the page as HTML: no page or helper turns Streamlit's HTML on."""
    sources = [*ROOT.joinpath("pages").glob("*.py"), *ROOT.joinpath("app").glob("*.py")]
    offenders = [p.name for p in sources if re.search(r"unsafe_allow_html\s*=\s*True|st\.html\(", p.read_text())]
    assert offenders == []


def coloured_frame() -> pd.DataFrame:
    """Two patterns and noise; the plugin cuts across them."""
    return pd.DataFrame({
        "evaluation_id": list("abcdef"), "pattern": [1, 1, 1, 2, 2, -1],
        "map_x": [0.0, 0.2, 0.4, 5.0, 5.2, 9.0], "map_y": [0.0, 0.2, 0.4, 5.0, 5.2, 9.0],
        "customer_prompt": ["p"] * 6, "error_message": ["quota exceeded", "x", "y", "QUOTA", "z", "w"],
        "colour": ["graph", "graph", "jira", "jira", "slack", "graph"],
    })


def test_cluster_map_coloured_by_a_field_has_a_trace_per_value_and_hover_names_both() -> None:
    fig = charts.cluster_map(coloured_frame(), {-1: "Noise", 1: "Expired tokens", 2: "Quota"}, by="pattern",
                             colour="colour", legend="plugin")
    assert [t.name for t in fig.data] == ["Noise", "graph", "jira", "slack"]  # noise first, then largest
    assert fig.layout.legend.title.text == "plugin"
    assert all(isinstance(t, type(fig.data[0])) and t.type == "scattergl" for t in fig.data)
    colours = [t.marker.color for t in fig.data[1:]]
    assert len(set(colours)) == 3 and charts.NOISE_COLOUR not in colours
    assert fig.data[0].marker.color == charts.NOISE_COLOUR and fig.data[0].marker.size < fig.data[1].marker.size
    jira = fig.data[2]
    assert jira.hovertext[0].startswith("<b>Expired tokens</b><br>plugin: jira<br>")
    assert jira.hovertext[1].startswith("<b>Quota</b><br>plugin: jira<br>")


def test_cluster_map_groups_past_the_palette_share_other_and_largest_patterns_are_labelled() -> None:
    fig = charts.cluster_map(coloured_frame(), {1: "Expired tokens " * 5, 2: "Quota"}, by="pattern", colour="colour",
                             legend="plugin", palette=["#111111", "#222222"], labels=1)
    assert [t.name for t in fig.data] == ["Noise", "graph", "jira", charts.OTHER_GROUP]
    assert [t.marker.color for t in fig.data[1:]] == ["#111111", "#222222", charts.OTHER_COLOUR]
    assert len(fig.layout.annotations) == 1  # the one largest pattern, named at its centre, its title cut
    label = fig.layout.annotations[0]
    assert (label.x, label.y) == (0.2, 0.2) and len(label.text) == charts.LABEL_CHARS and label.text.endswith("…")


def test_map_labels_at_close_centres_move_aside_or_give_way_to_larger_groups() -> None:
    sizes = {1: 6, 2: 5, 3: 4, 4: 3, 5: 2}  # 1 to 4 meet at one point; 5 lies far away
    rows = [(g, 9.0 if g == 5 else 0.0) for g, n in sizes.items() for _ in range(n)]
    frame = pd.DataFrame({"evaluation_id": [str(i) for i in range(len(rows))], "pattern": [g for g, _ in rows],
                          "map_x": [x for _, x in rows], "map_y": [x for _, x in rows],
                          "customer_prompt": "p", "error_message": "e"})
    names = {g: f"Group {g}" for g in sizes}
    labels = {a.text: a.yshift for a in charts.cluster_map(frame, names, by="pattern").layout.annotations}
    assert labels["Group 1"] == 0 and labels["Group 5"] == 0  # the largest, and one with room, at their centres
    assert {labels["Group 2"], labels["Group 3"]} == {charts.LABEL_LINE, -charts.LABEL_LINE}  # a line aside
    assert "Group 4" not in labels  # no room left: the smallest of the crowd is named by its legend and hover


def test_cluster_map_search_dims_what_does_not_match() -> None:
    fig = charts.cluster_map(coloured_frame(), {}, by="pattern", matches={"a", "d"})
    by_trace = {t.name: list(t.marker.opacity) for t in fig.data}
    assert by_trace["1"][0] > 0.5 and by_trace["1"][1] < 0.1 and by_trace["2"][0] > 0.5 and by_trace["2"][1] < 0.1


def test_colour_values_and_search_matches() -> None:
    frame = pd.DataFrame({
        "evaluation_id": ["a", "b", "c"], "plugin": ["graph", None, ""], "status_code": [429.0, None, 500.0],
        "tenant_id": ["t1", None, "t2"], "release": [None, "2024.1", None],
        "timestamp": pd.to_datetime(["2024-05-01T23:00Z", None, "2024-05-02T01:00Z"]),
        "customer_prompt": ["Send MAIL", None, "x"], "error_message": [None, "mailbox full", "boom"],
    })
    assert loaders.colour_values(frame, "plugin").tolist() == ["graph", "no plugin", "no plugin"]
    assert loaders.colour_values(frame, "status").tolist() == ["429", "no status", "500"]
    assert loaders.colour_values(frame, "day").tolist() == ["2024-05-01", "no day", "2024-05-02"]
    assert loaders.colour_values(frame, "release").tolist() == ["no release", "2024.1", "no release"]
    assert loaders.search_matches(frame, " mail ") == {"a", "b"} and loaders.search_matches(frame, "") == set()
    assert loaders.search_matches(frame, "(") == set()  # literal text, not a pattern
