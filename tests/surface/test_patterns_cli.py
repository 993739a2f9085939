"""`lens patterns ...` and `lens diff` in-process (lens_core.cli.main, as the console script runs it):
the queue, each rule kind, rules surviving a run with another parameter, undo, diff, the exports'
pattern columns, and one-line errors naming what was wrong."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from sqlalchemy.engine import Engine

from lens_core.config import Settings
from lens_core.ingest.ingestor import ingest_records
from lens_core.runs.options import ProcessOptions
from lens_core.runs.pipeline import process
from lens_core.samples.generator import generate
from lens_core.storage import tracking as store
from tests.surface.conftest import mixed_pattern


def ok(result: tuple[int, str, str]) -> str:
    code, out, err = result
    assert code == 0, err
    return out


def one_line_error(result: tuple[int, str, str], *expected: str) -> None:
    code, _, err = result
    assert code != 0
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    for text in expected:
        assert text in lines[0], lines[0]


def loaded(engine: Engine, settings: Settings) -> None:
    ingest_records(generate(600, seed=3)[0], engine=engine)
    process(engine=engine, settings=settings, options=ProcessOptions.of(settings))


def queue(lens, *extra: str) -> list[dict]:
    return json.loads(ok(lens("patterns", "--json", "--limit", "100", *extra)))["patterns"]


def test_queue_show_diff_and_exports(lens, engine: Engine, settings: Settings, tmp_path: Path) -> None:
    assert "no patterns yet" in ok(lens("patterns"))
    loaded(engine, settings)

    rows = queue(lens)
    assert {"pattern_id", "title", "events", "users", "tenants", "share", "severity", "state", "score",
            "terms"} <= set(rows[0])
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)
    assert {"users", "tenants", "events", "severity_weight", "trend_weight"} == set(rows[0]["terms"])
    text = ok(lens("patterns", "--limit", "3")).splitlines()
    assert text[0].startswith("patterns of run 1") and "trend: release 2024.05.1 -> release 2024.05.2" in text[0]
    listed = [line for line in text if line.startswith("#")]
    assert len(listed) == 3 and listed[0].startswith(f"#{rows[0]['pattern_id']}  {rows[0]['trend'].upper()}  score")
    assert "users" in listed[0] and "tenants" in listed[0]
    # a pattern whose trend is not ongoing says why on the line below it
    assert all(text[i + 1].strip().startswith(f"{r['trend']}: ") for i, r in
               ((text.index(line), r) for line, r in zip(listed, rows)) if r["trend"] != "ongoing")

    top = rows[0]["pattern_id"]
    shown = ok(lens("patterns", "show", str(top)))
    assert shown.startswith(f"pattern #{top}: {rows[0]['title']} [open]")
    assert "clusters:" in shown and "root cause:" in shown and "message patterns" in shown
    detail = json.loads(ok(lens("patterns", "show", str(top), "--json")))
    assert detail["pattern"]["events"] == rows[0]["events"] and detail["clusters"][0]["pattern_id"] == top

    one_line_error(lens("diff"), "no tracked run before run 1")
    ok(lens("process", "--distance-threshold", "1.1"))
    assert ok(lens("diff")).startswith("run 1 -> run 2: ")
    changes = json.loads(ok(lens("diff", "1", "2", "--json")))
    assert {"run_a", "run_b", "kept", "new", "gone", "split", "merged", "divided"} == set(changes)
    assert changes["kept"] and all(i["events_a"] and i["events_b"] for i in changes["kept"])
    divided = changes["divided"]  # the finer cut made several clusters of one failure: parts of one pattern
    assert divided and all(i["clusters_b"] > i["clusters_a"] for i in divided)
    assert f"divided #{divided[0]['pattern_id']} " in ok(lens("diff"))

    # The exports carry each event's pattern and each cluster's, with the titles the queue shows.
    out = tmp_path / "assignments.csv"
    ok(lens("export", "assignments", "--out", str(out)))
    with out.open(newline="") as handle:
        exported = list(csv.DictReader(handle))
    assert list(exported[0])[-2:] == ["pattern_id", "pattern_title"]
    titles = {r["pattern_id"]: r["title"] for r in queue(lens, "--all")}
    events = store.run_events_frame(engine=engine, run_id=2).set_index("evaluation_id")["pattern_id"]
    for row in exported:
        assert int(row["pattern_id"]) == events[row["evaluation_id"]]
        assert row["pattern_title"] == titles[int(row["pattern_id"])]
    clusters = json.loads(ok(lens("clusters", "--json", "--limit", "3")))["clusters"]
    assert list(clusters[0])[-2:] == ["pattern_id", "pattern_title"]
    assert all(c["pattern_id"] in titles and c["pattern_title"] == titles[c["pattern_id"]] for c in clusters)
    summaries = tmp_path / "summaries.csv"
    ok(lens("export", "summaries", "--format", "csv", "--out", str(summaries)))
    header = next(csv.reader(io.StringIO(summaries.read_text())))
    assert header[-2:] == ["pattern_id", "pattern_title"]


def split_candidate(engine: Engine, ids: list[int]) -> int:
    """The first of `ids` whose events in the latest run come from two or more plugins."""
    events = store.run_events_frame(engine=engine, run_id=store.latest_tracked_run(engine=engine))
    plugins = events.groupby("pattern_id")["plugin"].nunique()
    return next(p for p in ids if plugins.get(p, 0) >= 2)


def test_rules_survive_a_run_with_another_parameter(lens, engine: Engine, settings: Settings) -> None:
    loaded(engine, settings)
    ids = [r["pattern_id"] for r in queue(lens)]
    a, b, c, d, f = ids[:5]
    e = split_candidate(engine, ids[5:])

    assert ok(lens("patterns", "rename", str(a), "Calendar tokens expire", "--author", "ana")).startswith("rule 1:")
    merged = ok(lens("patterns", "merge", str(b), str(c)))
    assert f"merge pattern {b}" in merged
    made = ok(lens("patterns", "split", str(e), "--by", "plugin"))
    parts = [int(x) for x in made.split("new patterns ")[1].split(", ")]
    ok(lens("patterns", "ignore", str(d)))
    ok(lens("patterns", "resolve", str(f), "--release", "2025.1"))
    ok(lens("patterns", "note", str(a), "token refresh broke in 4.1"))
    ok(lens("patterns", "owner", str(a), "identity-team"))

    def check() -> None:
        rows = {r["pattern_id"]: r for r in queue(lens, "--all")}
        assert rows[a]["title"] == "Calendar tokens expire" and rows[a]["owner"] == "identity-team"
        assert rows[a]["notes"] == ["token refresh broke in 4.1"]
        assert c not in rows and rows[b]["state"] == "open"  # c's events are b's
        assert rows[d]["state"] == "ignored" and rows[f]["state"] == "resolved" and rows[f]["resolved_in"] == "2025.1"
        assert any(p in rows for p in parts)
        open_ids = {r["pattern_id"] for r in queue(lens)}
        assert a in open_ids and d not in open_ids and f not in open_ids

    check()
    ok(lens("process", "--distance-threshold", "1.1"))
    check()
    assert store.latest_tracked_run(engine=engine) == 2

    detail = json.loads(ok(lens("patterns", "show", str(c), "--json")))
    assert detail["pattern"]["state"] == "merged" and detail["pattern"]["merged_into"] == b
    assert "no events in the latest tracked run" in ok(lens("patterns", "show", str(c)))

    # move: every event of one of a's message patterns joins d; split-events: two of b's events apart.
    hash_ = json.loads(ok(lens("patterns", "show", str(a), "--json")))["message_patterns"][0]["hash"]
    before = {r["pattern_id"]: r["events"] for r in queue(lens, "--all")}
    ok(lens("patterns", "move", hash_[:10], str(d)))
    after = {r["pattern_id"]: r["events"] for r in queue(lens, "--all")}
    assert after[d] > before[d] and after[a] < before[a]
    chosen = store.run_events_frame(engine=engine, run_id=2).query("pattern_id == @b")["evaluation_id"][:2]
    split_off = ok(lens("patterns", "split-events", str(b), "--events", ",".join(chosen), "--title", "two events"))
    new = int(split_off.split("new patterns ")[1])
    assert {r["pattern_id"]: r["events"] for r in queue(lens)}[new] == 2

    history = ok(lens("patterns", "history")).splitlines()
    assert len(history) == 9 and "rename" in history[0] and "by ana" in history[0] and "by tester" in history[1]
    assert [json.loads(ok(lens("patterns", "history", str(a), "--json")))[i]["kind"] for i in range(3)] == [
        "rename", "note", "owner"]
    assert ok(lens("patterns", "undo")).startswith("undid rule 9: split_events")
    assert new not in {r["pattern_id"] for r in queue(lens, "--all")}
    assert "[undone by tester]" in ok(lens("patterns", "history")).splitlines()[-1]
    ok(lens("patterns", "reopen", str(d)))
    assert d in {r["pattern_id"] for r in queue(lens)}


def test_bad_input_is_one_line_naming_what_was_wrong(lens, engine: Engine, settings: Settings) -> None:
    one_line_error(lens("patterns", "undo"), "no rule to undo")
    loaded(engine, settings)
    top = str(queue(lens)[0]["pattern_id"])
    one_line_error(lens("patterns", "show", "999"), "pattern 999 does not exist")
    one_line_error(lens("patterns", "rename", "999", "x"), "pattern 999 does not exist")
    one_line_error(lens("patterns", "merge", top, "999", "998"), "patterns 998, 999 do not exist")
    one_line_error(lens("patterns", "merge", top), "merge needs two or more")
    one_line_error(lens("patterns", "merge", top, top), "merge needs two or more")
    one_line_error(lens("patterns", "split", top, "--by", "colour"), "cannot split by 'colour'", "plugin")
    one_line_error(lens("patterns", "split-events", top, "--events", "nope"), "none of the 1 chosen events")
    one_line_error(lens("patterns", "rename", top, "   "), "a title needs")
    one_line_error(lens("patterns", "move", "zzzz", top), "'zzzz' matches no message patterns")
    one_line_error(lens("patterns", "history", "999"), "pattern 999 does not exist")
    one_line_error(lens("diff", "1", "99"), "run 99 does not exist")
    code, _, err = lens("patterns", "show", "abc")  # a usage error: click's usage text, exit 2
    assert code == 2 and err.startswith("Usage: lens patterns show") and "Traceback" not in err, err
    assert err.strip().splitlines()[-1].startswith("Error: Invalid value for 'pattern_id'"), err
    assert ok(lens("patterns", "history")) == "no rules yet\n"


def test_show_prints_the_split_a_mixed_pattern_suggests(lens, engine: Engine, settings: Settings) -> None:
    loaded(engine, settings)
    first = mixed_pattern(engine)
    shown = ok(lens("patterns", "show", str(first)))
    assert "suggested: split by status, as its events disagree on the failure family" in shown
    assert f"(`lens patterns split {first} --by status`)" in shown
    detail = json.loads(ok(lens("patterns", "show", str(first), "--json")))
    assert [h["by"] for h in detail["suggestions"] if h["kind"] == "split"] == ["status"]



def test_split_values_off_into_one_pattern_that_holds_across_runs(lens, engine: Engine, settings: Settings) -> None:
    loaded(engine, settings)
    events = store.run_events_frame(engine=engine, run_id=store.latest_tracked_run(engine=engine))
    messages = events.groupby("pattern_id")["message_pattern"].nunique()
    pattern = int(next(p for p in messages.index if messages[p] >= 3))
    counts = events[events["pattern_id"] == pattern]["message_pattern"].value_counts()
    chosen = list(counts.index[1:3])  # two of its messages, not the largest
    made = ok(lens("patterns", "split", str(pattern), "--by", "message_pattern", "--values", ",".join(chosen),
                   "--title", "the two odd ones"))
    [new] = [int(x) for x in made.split("new patterns ")[1].split(", ")]

    def check() -> None:
        now = store.run_events_frame(engine=engine, run_id=store.latest_tracked_run(engine=engine))
        moved = now["message_pattern"].isin(chosen) & now["pattern_id"].isin([pattern, new])
        assert moved.any() and (now.loc[moved, "pattern_id"] == new).all()
        assert (now.loc[now["pattern_id"] == new, "message_pattern"].isin(chosen)).all()
        rows = {r["pattern_id"]: r for r in queue(lens)}
        assert rows[new]["title"] == "the two odd ones" and rows[new]["events"] == int(moved.sum())

    check()
    ok(lens("process", "--distance-threshold", "1.1"))
    check()
    history = json.loads(ok(lens("patterns", "history", str(pattern), "--json")))
    assert history[-1]["params"]["parts"] == {value: new for value in chosen}
    one_line_error(lens("patterns", "split", str(pattern), "--by", "message_pattern", "--values", "nope"),
                   f"pattern {pattern} has no events with message_pattern nope in the latest run")
    every = ",".join(store.run_events_frame(engine=engine, run_id=2).query("pattern_id == @pattern")["message_pattern"]
                     .dropna().unique())
    one_line_error(lens("patterns", "split", str(pattern), "--by", "message_pattern", "--values", every),
                   "nothing would stay")
    one_line_error(lens("patterns", "split", str(pattern), "--by", "plugin", "--title", "x"),
                   "--title goes with --values")
