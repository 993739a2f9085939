"""The pattern endpoints: the queue, one pattern's evidence and events, each rule kind through PATCH, merge,
split and undo, rules surviving a run with another parameter, the diff of two runs, the pattern fields of
/clusters/* and the assignments export, and clear 4xx answers to bad input."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from lens_core.config import Settings
from lens_core.runs.options import ProcessOptions
from lens_core.runs.pipeline import process
from lens_core.storage import tracking as store
from tests.surface.conftest import mixed_pattern, partly_fixed


def again(engine: Engine, settings: Settings) -> None:
    """A second run with another parameter: a finer cut."""
    process(engine=engine, settings=settings, options=ProcessOptions.of(settings, distance_threshold=1.1))


def queue(client: TestClient, **params: object) -> dict[int, dict]:
    body = client.get("/patterns", params={"limit": 1000, **params}).json()
    return {p["pattern_id"]: p for p in body["patterns"]}


def test_queue_detail_events_and_cluster_fields(client: TestClient, loaded: Engine, settings: Settings) -> None:
    body = client.get("/patterns").json()
    assert body["run_id"] == 1 and body["patterns"]
    rows = body["patterns"]
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)
    assert set(rows[0]["terms"]) == {"users", "tenants", "events", "severity_weight", "trend_weight"}
    assert len(client.get("/patterns", params={"limit": 2}).json()["patterns"]) == 2

    top = rows[0]
    detail = client.get(f"/patterns/{top['pattern_id']}").json()
    assert detail["pattern"] == top and detail["origin"] == "run" and detail["first_run_id"] == 1
    assert detail["clusters"] and all(c["summary"] and c["root_cause"] for c in detail["clusters"])
    assert sum(c["pattern_events"] for c in detail["clusters"]) == top["events"]
    assert detail["message_patterns"] and detail["rules"] == [] and detail["lineage"] == []

    page = client.get(f"/patterns/{top['pattern_id']}/events", params={"limit": 5}).json()
    assert page["total"] == top["events"] and page["run_id"] == 1 and len(page["events"]) == 5
    assert {e["cluster_id"] for e in page["events"]} <= set(top["clusters"])
    assert {"evaluation_id", "customer_prompt", "skill_output", "distance"} <= set(page["events"][0])
    rest = client.get(f"/patterns/{top['pattern_id']}/events", params={"offset": 5, "limit": 500}).json()
    assert len(rest["events"]) == top["events"] - 5

    clusters = client.get("/clusters/top", params={"limit": 3}).json()
    assert list(clusters[0])[-2:] == ["pattern_id", "pattern_title"]
    titles = {p["pattern_id"]: p["title"] for p in client.get("/patterns", params={"all": True}).json()["patterns"]}
    assert all(titles[c["pattern_id"]] == c["pattern_title"] for c in clusters)
    one = client.get(f"/clusters/{clusters[0]['cluster_id']}").json()
    assert one["pattern_id"] == clusters[0]["pattern_id"] and one["evidence"]

    exported = list(csv.DictReader(io.StringIO(client.get("/export/assignments").text)))
    assert list(exported[0])[-2:] == ["pattern_id", "pattern_title"]
    mine = [r for r in exported if r["pattern_id"] == str(top["pattern_id"])]
    assert len(mine) == top["events"] and {r["pattern_title"] for r in mine} == {top["title"]}

    again(loaded, settings)
    diff = client.get("/runs/1/diff/2").json()
    assert (diff["run_a"], diff["run_b"]) == (1, 2) and diff["kept"]
    fields = {"pattern_id", "title", "events_a", "events_b", "from", "into", "moved", "returned", "clusters_a",
              "clusters_b"}
    assert all(set(item) == fields for item in diff["kept"] + diff["new"] + diff["split"] + diff["divided"])
    assert all(item["from"] is not None for item in diff["split"])
    # The finer cut divides some patterns into clusters of one failure: they are kept, in more clusters.
    assert diff["divided"] and all(item["clusters_b"] > item["clusters_a"] for item in diff["divided"])
    assert {item["pattern_id"] for item in diff["divided"]} <= {item["pattern_id"] for item in diff["kept"]}


def test_rules_through_the_api_survive_a_new_run(client: TestClient, loaded: Engine, settings: Settings) -> None:
    ids = list(queue(client))
    a, b, c, d, f = ids[:5]
    events = store.run_events_frame(engine=loaded, run_id=1)
    plugins = events.groupby("pattern_id")["plugin"].nunique()
    e = next(p for p in ids[5:] if plugins[p] >= 2)

    changed = client.patch(f"/patterns/{a}", json={"title": "Calendar tokens expire", "owner": "ana",
                                                   "notes": "token refresh broke", "author": "bo"}).json()
    assert [r["kind"] for r in changed["rules"]] == ["rename", "owner", "note"]
    assert {r["author"] for r in changed["rules"]} == {"bo"}
    assert changed["pattern"]["title"] == "Calendar tokens expire" and changed["pattern"]["owner"] == "ana"
    merged = client.post("/patterns/merge", json={"into": b, "patterns": [c]}).json()
    assert merged["rules"][0]["kind"] == "merge" and merged["rules"][0]["author"] == "api"
    split = client.post(f"/patterns/{e}/split", json={"by": "plugin"}).json()
    parts = split["new_patterns"]
    assert parts and split["rules"][0]["params"]["by"] == "plugin"
    assert client.patch(f"/patterns/{d}", json={"state": "ignored"}).json()["pattern"]["state"] == "ignored"
    resolved = client.patch(f"/patterns/{f}", json={"state": "resolved", "release": " 2025.1 "}).json()["pattern"]
    assert (resolved["state"], resolved["resolved_in"]) == ("resolved", "2025.1")  # as the CLI and the page trim it

    def check() -> None:
        rows = queue(client, all=True)
        assert rows[a]["title"] == "Calendar tokens expire" and rows[a]["notes"] == ["token refresh broke"]
        assert c not in rows and rows[b]["state"] == "open"
        assert rows[d]["state"] == "ignored" and rows[f]["state"] == "resolved"
        assert any(p in rows for p in parts)
        assert {d, f} & set(queue(client)) == set()

    check()
    again(loaded, settings)
    check()
    assert client.get("/patterns").json()["run_id"] == 2
    gone = client.get(f"/patterns/{c}").json()
    assert gone["pattern"]["state"] == "merged" and gone["pattern"]["merged_into"] == b
    assert all(cl["pattern_events"] == 0 for cl in gone["clusters"])  # the clusters it continued, events b's
    assert client.get(f"/patterns/{c}/events").json()["total"] == 0

    chosen = [ev["evaluation_id"] for ev in client.get(f"/patterns/{b}/events", params={"limit": 3}).json()["events"]]
    made = client.post(f"/patterns/{b}/split", json={"evaluation_ids": chosen, "title": "three events"}).json()
    [new] = made["new_patterns"]
    assert queue(client)[new]["events"] == 3 and queue(client)[new]["title"] == "three events"

    history = client.get("/patterns/history").json()
    assert [r["kind"] for r in history] == ["rename", "owner", "note", "merge", "split", "ignore", "resolve",
                                            "split_events"]
    assert [r["kind"] for r in client.get("/patterns/history", params={"pattern_id": a}).json()] == [
        "rename", "owner", "note"]
    undone = client.post("/patterns/undo", json={"author": "bo"}).json()
    assert undone["rules"][0]["kind"] == "split_events" and undone["rules"][0]["undone_by"] == "bo"
    assert new not in queue(client, all=True)
    assert client.post("/patterns/undo").json()["rules"][0]["kind"] == "resolve"
    assert f in queue(client)
    reopened = client.patch(f"/patterns/{d}", json={"state": "open"}).json()
    assert reopened["pattern"]["state"] == "open" and d in queue(client)


def test_bad_input_gets_a_clear_4xx(client: TestClient, loaded: Engine) -> None:
    top = next(iter(queue(client)))

    def refused(response, status: int, text: str) -> None:
        assert response.status_code == status, response.text
        assert text in str(response.json()["detail"]), response.json()

    refused(client.post("/patterns/undo"), 422, "no rule to undo")
    refused(client.get("/patterns/999"), 404, "pattern 999 does not exist")
    refused(client.get("/patterns/999/events"), 404, "pattern 999 does not exist")
    refused(client.get("/patterns/history", params={"pattern_id": 999}), 404, "pattern 999 does not exist")
    refused(client.patch("/patterns/999", json={"title": "x"}), 404, "pattern 999 does not exist")
    refused(client.post("/patterns/999/split", json={"by": "plugin"}), 404, "pattern 999 does not exist")
    refused(client.post("/patterns/merge", json={"into": top, "patterns": [998, 999]}), 404,
            "patterns 998, 999 do not exist")
    refused(client.post("/patterns/merge", json={"into": top, "patterns": [top]}), 422, "at least one other pattern")
    refused(client.post("/patterns/merge", json={"into": top, "patterns": []}), 422, "at least 1 item")
    refused(client.post(f"/patterns/{top}/split", json={"by": "colour"}), 422, "'plugin'")
    refused(client.post(f"/patterns/{top}/split", json={}), 422, "either `by` or `evaluation_ids`")
    refused(client.post(f"/patterns/{top}/split", json={"evaluation_ids": ["nope"]}), 422, "none of the 1 chosen")
    refused(client.post(f"/patterns/{top}/split", json={"values": ["a"]}), 422, "`values` goes with `by`")
    refused(client.post(f"/patterns/{top}/split", json={"by": "plugin", "title": "x"}), 422,
            "`title` goes with `evaluation_ids` or `values`")
    refused(client.post(f"/patterns/{top}/split", json={"by": "plugin", "values": ["Nope"]}), 422,
            f"pattern {top} has no events with plugin Nope")
    refused(client.patch(f"/patterns/{top}", json={}), 422, "nothing to change")
    refused(client.patch(f"/patterns/{top}", json={"title": "  "}), 422, "a title needs some text")
    refused(client.patch(f"/patterns/{top}", json={"title": "x" * 201}), 422, "at most 200")
    refused(client.patch(f"/patterns/{top}", json={"title": "a\x00b"}), 422, "NUL")
    refused(client.patch(f"/patterns/{top}", json={"state": "ignored", "release": "1"}), 422, "release")
    refused(client.patch(f"/patterns/{top}", json={"state": "resolved", "release": "  "}), 422,
            "a release needs some text")
    refused(client.patch(f"/patterns/{top}", json={"state": "merged"}), 422, "'open'")
    refused(client.patch(f"/patterns/{top}", json={"colour": "red"}), 422, "Extra inputs")
    refused(client.get("/patterns/abc"), 422, "valid integer")
    refused(client.get("/runs/1/diff/99"), 404, "run 99 does not exist")
    assert client.get("/runs/1/diff/1").status_code == 200
    assert client.get("/patterns/history").json() == []  # nothing refused left a rule behind


def test_a_pattern_of_two_families_carries_the_split_its_evidence_suggests(client: TestClient,
                                                                         loaded: Engine) -> None:
    first = mixed_pattern(loaded)
    hints = client.get(f"/patterns/{first}").json()["suggestions"]
    split = next(h for h in hints if h["kind"] == "split")
    assert split["by"] == "status" and "disagree on the failure family" in split["reason"]
    done = client.post(f"/patterns/{first}/split", json={"by": split["by"]})
    assert done.status_code == 200, done.text
    assert not [h for h in client.get(f"/patterns/{first}").json()["suggestions"] if h["kind"] == "split"]



def test_split_values_off_into_one_new_pattern(client: TestClient, loaded: Engine) -> None:
    events = store.run_events_frame(engine=loaded, run_id=store.latest_tracked_run(engine=loaded))
    plugins = events.groupby("pattern_id")["plugin"].nunique()
    pattern = int(next(p for p in plugins.index if plugins[p] >= 2))
    mine = events[events["pattern_id"] == pattern]
    smallest = mine["plugin"].value_counts().index[-1]
    done = client.post(f"/patterns/{pattern}/split", json={"by": "plugin", "values": [smallest], "title": "the rest"})
    assert done.status_code == 200, done.text
    [new] = done.json()["new_patterns"]
    detail = client.get(f"/patterns/{new}").json()["pattern"]
    assert detail["title"] == "the rest" and detail["events"] == int((mine["plugin"] == smallest).sum())
    assert done.json()["rules"][0]["params"] == {"by": "plugin", "parts": {smallest: new}}


def test_a_fix_that_held_for_some_messages_carries_the_split_of_the_others(client: TestClient,
                                                                            settings: Settings) -> None:
    pattern, stopped = partly_fixed(client.app.state.context.engine, settings)
    detail = client.get(f"/patterns/{pattern}").json()
    assert (detail["pattern"]["state"], detail["pattern"]["trend"]) == ("resolved", "regressed")
    hint = next(h for h in detail["suggestions"] if h["kind"] == "split")
    assert hint["by"] == "message_pattern" and hint["values"] and stopped not in hint["values"]
    assert hint["title"] == f"{detail['pattern']['title']} · still failing after the fix"
    done = client.post(f"/patterns/{pattern}/split", json={"by": hint["by"], "values": hint["values"],
                                                           "title": hint["title"]})
    assert done.status_code == 200, done.text
    [part] = done.json()["new_patterns"]
    assert client.get(f"/patterns/{part}").json()["pattern"]["title"] == hint["title"]
    assert not [h for h in client.get(f"/patterns/{pattern}").json()["suggestions"] if h["kind"] == "split"]
