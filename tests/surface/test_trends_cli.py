"""`lens trends`, `lens compare` and `lens watch` in-process (lens_core.cli.main, as the console script runs
them) on the sample telemetry: the JSON the issue names, one-line errors, and alerts posted to a loopback
webhook once per state change."""

from __future__ import annotations

import json
import shlex
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy.engine import Engine

from lens_core.config import Settings
from lens_core.describe.phrasing import plural
from lens_core.ingest.ingestor import ingest_records
from lens_core.runs.options import ProcessOptions
from lens_core.runs.pipeline import process
from lens_core.samples.generator import generate
from lens_core.tracking import curation, trends
from tests.surface.conftest import partly_fixed
from tests.surface.test_patterns_cli import loaded, ok, one_line_error

STATES = {"regressed", "new", "escalating", "shrinking", "gone", "ongoing"}


def released(engine: Engine, settings: Settings) -> None:
    """Enough of the sample that its 2024.05.2 release holds the Teams KeyError's first events (a few in
    three of ten sample events name their release)."""
    ingest_records(generate(1500, seed=7)[0], engine=engine)
    process(engine=engine, settings=settings, options=ProcessOptions.of(settings))


class Webhook:
    """A webhook on 127.0.0.1 that records each JSON body; answers `status`."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        self.status = 200
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if hook.status == 200:
                    hook.bodies.append(json.loads(body))
                self.send_response(hook.status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    yield hook
    hook.server.shutdown()
    hook.server.server_close()


def test_compare_prints_the_fields_the_issue_names(lens, engine: Engine, settings: Settings) -> None:
    assert "no patterns yet" in ok(lens("trends"))
    loaded(engine, settings)
    rows = json.loads(ok(lens("compare", "--json")))
    assert rows and {"pattern_id", "title", "state", "base_events", "target_events", "base_rate", "target_rate",
                     "p_value", "reason"} <= set(rows[0])
    assert {r["target"] for r in rows} == {"release 2024.05.2"} and {r["base"] for r in rows} == {"release 2024.05.1"}
    assert {r["state"] for r in rows} <= STATES
    assert [trends.STATE_RANK[r["state"]] for r in rows] == sorted(trends.STATE_RANK[r["state"]] for r in rows)
    same = json.loads(ok(lens("compare", "--base-release", "2024.05.1", "--target-release", "2024.05.2", "--json")))
    assert same == rows  # the defaults are the latest release against the one before

    text = ok(lens("compare", "--base-window", "2024-05-01T00:00..2024-05-15T00:00",
                   "--target-window", "2024-05-15T00:00..2024-06-01T00:00"))
    assert text.startswith("base = 2024-05-01T00:00:00+00:00 .. 2024-05-15T00:00:00+00:00")
    first = text.splitlines()[1]
    assert first.startswith("#") and first.split()[1].lower() in STATES

    series = json.loads(ok(lens("trends", "--json")))
    assert series["by"] == "day" and series["releases"] == ["2024.04.3", "2024.05.1", "2024.05.2"]
    assert series["time"] and all(0 < row["rate"] <= 1 for row in series["time"])
    assert "by day" in ok(lens("trends", "--by", "day"))
    by_client = json.loads(ok(lens("trends", "--facet", "client", "--json")))
    assert by_client["facet"] == "client"
    named = sum(1 for e in generate(600, seed=3)[0] if e.get("client"))  # as `loaded` ingests
    assert 0 < sum(r["events"] for r in by_client["by_facet"]) <= named
    assert "no event of run 1 has the attribute 'model'" in ok(lens("trends", "--facet", "model"))

    one_line_error(lens("compare", "--base-window", "yesterday..today", "--target-window", "2024-05-02..2024-05-03"),
                   "--base-window", "ISO")
    one_line_error(lens("compare", "--base-release", "2024.05.1"), "give both --base-release and --target-release")
    one_line_error(lens("compare", "--base-release", "2024.05.1", "--target-window", "2024-05-01..2024-05-02"),
                   "not a release with a window")
    one_line_error(lens("compare", "--base-release", "a", "--target-release", "a"), "both 'a'")
    one_line_error(lens("compare", "--base-window", "2024-05-02..2024-05-01", "--target-window", "2024-05-02..2024-05-03"),
                   "END must come after START")
    one_line_error(lens("compare", "--base-release", "2024.05.1", "--target-release", "2024.5.2"),
                   "no events of release '2024.5.2' here; the events' releases: 2024.04.3, 2024.05.1, 2024.05.2")
    one_line_error(lens("trends", "--by", "week"), "hour or day")
    empty = ok(lens("compare", "--base-window", "2024-05-01..2024-05-15",
                    "--target-window", "2030-01-01..2030-01-02"))
    assert "target = 2030-01-01T00:00:00+00:00 .. 2030-01-02T00:00:00+00:00 (0 events)" in empty
    assert "the target (2030-01-01T00:00:00+00:00 .. 2030-01-02T00:00:00+00:00) holds no events, so no change " \
           "can be tested: pick a window with failures in it" in empty


def test_watch_alerts_once_per_state_change(lens, engine: Engine, settings: Settings, webhook: Webhook) -> None:
    released(engine, settings)
    expected = [c for c in trends.compare_latest(engine=engine).changes if c.state in trends.ALERT_STATES]
    assert expected  # the sample's 2024.05.2 brings the Teams KeyError

    dry = json.loads(ok(lens("watch", "--webhook", webhook.url, "--dry-run", "--json")))
    assert dry["dry_run"] and [a["pattern_id"] for a in dry["alerts"]] == [c.pattern_id for c in expected]
    assert webhook.bodies == []  # a dry run sends nothing and remembers nothing

    out = ok(lens("watch", "--webhook", webhook.url))
    assert out.startswith(f"release 2024.05.2 against release 2024.05.1: {plural(len(expected), 'alert')} sent, "
                          "0 already told")
    assert len(webhook.bodies) == len(expected)
    for body, change in zip(webhook.bodies, expected):
        assert set(body) == {"text"}  # what Slack's and Teams' incoming webhooks take
        assert body["text"].startswith(f"lens: pattern #{change.pattern_id} is {change.state.upper()}: {change.title}")
        assert f"Why: {change.reason}." in body["text"]

    again = json.loads(ok(lens("watch", "--webhook", webhook.url, "--json")))
    assert again["alerts"] == [] and sorted(again["already_told"]) == sorted(c.pattern_id for c in expected)
    assert len(webhook.bodies) == len(expected)  # never the same alert twice

    # A state change alerts again: the pattern resolved in 2024.05.2 comes back as regressed.
    pattern = expected[0].pattern_id
    assert "it shows as regressed there" in curation.resolve(engine=engine, pattern_id=pattern, release="2024.05.2",
                                                              author="tester").warning
    assert not curation.resolve(engine=engine, pattern_id=pattern, release="2024.06.1", author="tester").warning
    curation.undo(engine=engine, author="tester")  # back to the fix in 2024.05.2
    changed = json.loads(ok(lens("watch", "--webhook", webhook.url, "--json")))
    assert [(a["pattern_id"], a["state"]) for a in changed["alerts"]] == [(pattern, "regressed")]
    assert "resolved in 2024.05.2" in webhook.bodies[-1]["text"]


def test_a_webhook_that_fails_is_one_line_and_the_alert_is_sent_next_time(
        lens, engine: Engine, settings: Settings, webhook: Webhook) -> None:
    released(engine, settings)
    closed = Webhook()  # a loopback port nobody listens on any more
    closed.server.shutdown()
    closed.server.server_close()
    one_line_error(lens("watch", "--webhook", closed.url), "webhook at 127.0.0.1 could not be reached")
    webhook.status = 500
    one_line_error(lens("watch", "--webhook", webhook.url), "webhook at 127.0.0.1 answered 500")
    webhook.status = 200
    sent = json.loads(ok(lens("watch", "--webhook", webhook.url, "--json")))
    assert sent["alerts"] and len(webhook.bodies) == len(sent["alerts"])  # what failed is sent now
    one_line_error(lens("watch", "--webhook", "ftp://127.0.0.1/x"), "http:// or https://")


def test_watch_every_keeps_watching_when_the_webhook_fails(
        lens, engine: Engine, settings: Settings, webhook: Webhook, monkeypatch: pytest.MonkeyPatch) -> None:
    released(engine, settings)
    webhook.status = 503
    rounds = []

    def one_round_then_stop(seconds: float) -> None:
        rounds.append(seconds)
        raise KeyboardInterrupt  # as an operator's Ctrl-C would

    monkeypatch.setattr("lens_core.cli_trends.time.sleep", one_round_then_stop)
    code, _, err = lens("watch", "--webhook", webhook.url, "--every", "30")
    assert code == 130 and rounds == [30.0]  # it went on to wait for the next round, then was interrupted
    assert "webhook at 127.0.0.1 answered 503" in err and "trying again in 30 s" in err


def test_watch_sends_redacted_titles(lens, engine: Engine, settings: Settings, webhook: Webhook) -> None:
    """An analyst's title can name a person; `lens watch` posts it through the redaction layer (REDACT_OUTBOUND)."""
    released(engine, settings)
    pattern_id = next(c.pattern_id for c in trends.compare_latest(engine=engine).changes
                      if c.state in trends.ALERT_STATES)
    ok(lens("patterns", "rename", str(pattern_id), "Teams KeyError seen by dana.whitfield@contoso.com"))
    sent = json.loads(ok(lens("watch", "--webhook", webhook.url, "--json")))
    assert sent["redacted"] is True
    mine = next(b["text"] for b in webhook.bodies if b["text"].startswith(f"lens: pattern #{pattern_id} "))
    assert "dana.whitfield@contoso.com" not in mine and "seen by <EMAIL>" in mine
    assert "dana.whitfield@contoso.com" in json.dumps(sent["alerts"])  # what it prints here stays whole


def test_a_resolved_pattern_that_regressed_is_back_in_the_queue(lens, engine: Engine, settings: Settings) -> None:
    """Resolved patterns leave the queue, but for those that regressed: a fix that did not hold comes first."""
    released(engine, settings)
    ongoing = [c.pattern_id for c in trends.compare_latest(engine=engine).changes if c.target_events]
    regressing, fixed = ongoing[:2]
    curation.resolve(engine=engine, pattern_id=regressing, release="2024.05.2", author="tester")
    curation.resolve(engine=engine, pattern_id=fixed, release="2024.06.1", author="tester")  # no events that late

    queue = {p["pattern_id"]: p for p in json.loads(ok(lens("patterns", "--json", "--limit", "1000")))["patterns"]}
    assert (queue[regressing]["state"], queue[regressing]["trend"]) == ("resolved", "regressed")
    assert queue[regressing]["trend_reason"].startswith("resolved in 2024.05.2, yet ")
    assert queue[regressing]["terms"]["trend_weight"] == 1.5
    assert fixed not in queue
    everything = json.loads(ok(lens("patterns", "--json", "--all", "--limit", "1000")))["patterns"]
    assert {p["pattern_id"]: p["state"] for p in everything}[fixed] == "resolved"


def test_a_fix_that_held_for_some_messages_suggests_splitting_off_the_others(lens, engine: Engine,
                                                                             settings: Settings) -> None:
    """The pattern regressed, but one of its messages stopped at the fix: `show` suggests splitting off those
    that go on, and the command it prints leaves the fixed pattern gone and the others an open pattern."""
    pattern, stopped = partly_fixed(engine, settings)
    change = trends.compare_latest(engine=engine).by_pattern()[pattern]
    assert change.state == "regressed" and "the fix held for those" in change.reason
    shown = ok(lens("patterns", "show", str(pattern)))
    hint = next(line for line in shown.splitlines() if "suggested: split off" in line)
    assert "after its fix, 1 of its error messages stopped" in hint
    command = shlex.split(hint.split("(`")[1].rstrip("`)"))
    assert command[:6] == ["lens", "patterns", "split", str(pattern), "--by", "message_pattern"]
    made = ok(lens(*command[1:]))
    [part] = [int(x) for x in made.split("new patterns ")[1].split(", ")]

    after = trends.compare_latest(engine=engine).by_pattern()
    assert after[pattern].state == "gone" and after[pattern].target_events == 0
    assert after[part].state != "regressed" and after[part].target_events == change.target_events
    queue = {p["pattern_id"]: p for p in json.loads(ok(lens("patterns", "--json", "--limit", "1000")))["patterns"]}
    assert pattern not in queue and queue[part]["title"].endswith(" · still failing after the fix")
    assert queue[part]["state"] == "open"
