"""GET /compare and GET /patterns/{id}/timeline on the sample telemetry: what the core computes, in the
shape the schema says, with clear 4xx answers to bad input."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from lens_core.samples.generator import generate
from lens_core.storage import tracking as store
from lens_core.tracking import trends


def test_compare_defaults_to_the_last_two_releases_and_matches_the_core(client: TestClient, loaded: Engine) -> None:
    assert client.get("/compare").status_code == 200
    body = client.get("/compare").json()
    core = trends.compare_latest(engine=loaded)
    assert (body["base"], body["target"]) == ("release 2024.05.1", "release 2024.05.2")
    assert [(c["pattern_id"], c["state"], c["reason"]) for c in body["changes"]] == \
        [(c.pattern_id, c.state, c.reason) for c in core.changes]
    assert body == client.get("/compare", params={"base_release": "2024.05.1", "target_release": "2024.05.2"}).json()

    windows = client.get("/compare", params={"base_window": "2024-05-01..2024-05-15",
                                             "target_window": "2024-05-15..2024-06-01"}).json()
    assert windows["base"].startswith("2024-05-01T00:00:00+00:00 .. ")
    assert windows["base_total"] + windows["target_total"] == len(store.run_events_frame(engine=loaded, run_id=1))

    # A pattern resolved in the target release, with events there, is regressed, and says why.
    pattern = next(c.pattern_id for c in core.changes if c.target_events)
    answer = client.patch(f"/patterns/{pattern}", json={"state": "resolved", "release": "2024.05.2"}).json()
    assert answer["warnings"][0].startswith(f"pattern {pattern} already has ")
    assert "events from release 2024.05.2 or later in run 1: it shows as regressed there" in answer["warnings"][0]
    row = next(c for c in client.get("/compare").json()["changes"] if c["pattern_id"] == pattern)
    assert row["state"] == "regressed" and row["reason"].startswith("resolved in 2024.05.2, yet")
    assert client.get("/patterns", params={"all": True}).json()["patterns"][0]["trend"] in trends.STATE_RANK


def test_compare_answers_bad_input_with_422_naming_the_parameter(client: TestClient, loaded: Engine) -> None:
    for params, text in [
        ({"base_release": "2024.05.1"}, "give both base_release and target_release"),
        ({"base_release": "a", "target_window": "2024-05-01..2024-05-02"}, "not a release with a window"),
        ({"base_window": "nonsense", "target_window": "2024-05-01..2024-05-02"}, "base_window 'nonsense'"),
        ({"base_window": "2024-05-03..2024-05-01", "target_window": "2024-05-01..2024-05-02"}, "END must come after"),
        ({"base_release": "2024.05.1", "target_release": "2024.5.2"},
         "no events of release '2024.5.2' here; the events' releases: 2024.04.3, 2024.05.1, 2024.05.2"),
    ]:
        answer = client.get("/compare", params=params)
        assert answer.status_code == 422, params
        assert text in answer.text, answer.text


def test_a_patterns_timeline_counts_its_events(client: TestClient, loaded: Engine) -> None:
    events = store.run_events_frame(engine=loaded, run_id=1)
    pattern = int(events["pattern_id"].value_counts().index[0])
    body = client.get(f"/patterns/{pattern}/timeline").json()
    assert body["pattern_id"] == pattern and body["by"] == "day" and body["title"]
    mine = events[events["pattern_id"] == pattern]
    assert sum(b["events"] for b in body["time"]) == len(mine)
    assert sum(r["events"] for r in body["releases"]) == int(mine["release"].notna().sum())
    assert [r["release"] for r in body["releases"]] == sorted(r["release"] for r in body["releases"])
    assert body["trend"]["pattern_id"] == pattern and body["trend"]["title"] == body["title"]
    hourly = client.get(f"/patterns/{pattern}/timeline", params={"by": "hour"}).json()
    assert hourly["by"] == "hour" and sum(b["events"] for b in hourly["time"]) == len(mine)

    by_client = client.get(f"/patterns/{pattern}/timeline", params={"facet": "client"}).json()
    assert by_client["facet"] == "client" and by_client["by_facet"]
    clients = {e["evaluation_id"]: e.get("client") for e in generate(600, seed=3)[0]}  # as `loaded` ingests
    named = mine["evaluation_id"].map(clients).dropna()
    assert {v["value"]: v["events"] for v in by_client["by_facet"]} == named.value_counts().to_dict()
    assert client.get(f"/patterns/{pattern}/timeline", params={"facet": "nothing"}).json()["by_facet"] == []
    assert client.get("/patterns/99999/timeline").status_code == 404
    assert client.get(f"/patterns/{pattern}/timeline", params={"by": "week"}).status_code == 422


def test_before_any_run_compare_is_404(client: TestClient) -> None:
    answer = client.get("/compare")
    assert answer.status_code == 404 and "no tracked run" in answer.text
