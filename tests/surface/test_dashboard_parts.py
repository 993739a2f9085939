"""The dashboard's parts without Streamlit running: chart builders, literal text, upload helpers, page rules."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from app import actions, charts
from app.context import AppContext
from app.ui import md_literal
from lens_core.config import Settings
from lens_core.errors import InputError
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


def test_stage_progress_runs_from_zero_to_one() -> None:
    seen: list[float] = []
    report = actions.stage_progress(lambda fraction, _text: seen.append(fraction))
    report("load", 0.0)
    report("embed", 0.5)
    report(actions.STAGES[-1], 1.0)  # the last stage (track, since patterns) ends the bar
    assert seen[0] == 0.0 and 0 < seen[1] < 1 and seen[-1] == 1.0


def test_pages_render_no_raw_html() -> None:
    """Telemetry must never reach the page as HTML: no page or helper turns Streamlit's HTML on."""
    sources = [*ROOT.joinpath("pages").glob("*.py"), *ROOT.joinpath("app").glob("*.py")]
    offenders = [p.name for p in sources if re.search(r"unsafe_allow_html\s*=\s*True|st\.html\(", p.read_text())]
    assert offenders == []
