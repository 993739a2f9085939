"""describe: keywords, representatives, digests, offline summaries, storage round-trip."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from lens_core.describe import (
    OfflineSummarizer,
    Summarizer,
    build_digests,
    class_tfidf_keywords,
    describe_status,
    pick_representatives,
)
from lens_core.describe.cohesion import agree
from lens_core.describe.titles import distinct_titles
from lens_core.schema import ClusterDigest, Count, FingerprintCount, Representative
from lens_core.storage import queries
from lens_core.storage.models import ClusterRow, PipelineRun

T0 = datetime(2024, 5, 1, 8, 0, tzinfo=timezone.utc)


# --- keywords -------------------------------------------------------------------------------------


def test_ctfidf_prefers_cluster_specific_words_over_shared_ones():
    texts = {
        0: ["request failed error token expired"] * 5 + ["request failed error authentication token expired"] * 3,
        1: ["request failed error rate limit throttled"] * 6 + ["request failed error throttled retry later"] * 2,
    }
    keywords = class_tfidf_keywords(texts, top_n=12)
    shared = {"request", "failed", "error", "request failed", "failed error"}
    assert set(keywords[0][:3]) == {"token", "expired", "token expired"}
    assert "throttled" in keywords[1][:2] and not shared & set(keywords[1][:3])
    # Words in every cluster still score (c-TF-IDF damps them, it does not drop them), below the specific ones.
    assert keywords[0].index("error") > keywords[0].index("token expired")


def test_ctfidf_drops_placeholders_digits_and_stop_words():
    texts = {0: ["the <GUID> item abc123 <NUM> was not found 404"], 1: ["calendar event missing"], -1: ["odd thing"]}
    keywords = class_tfidf_keywords(texts, top_n=10)
    flat = " ".join(keywords[0])
    assert "guid" not in flat and "num" not in flat and "abc123" not in flat and "404" not in flat
    assert "the" not in keywords[0] and "was" not in keywords[0]
    assert set(keywords[0]) >= {"item", "found"}
    assert keywords[-1], "noise is a class of its own and gets keywords"


def test_ctfidf_ties_break_alphabetically_and_empty_vocabulary_is_empty():
    assert class_tfidf_keywords({0: ["zeta alpha mike"], 1: ["other words here"]}, top_n=3)[0] == [
        "alpha",
        "alpha mike",
        "mike",
    ]
    assert class_tfidf_keywords({0: ["the <NUM> of"], 1: ["and 42"]}) == {0: [], 1: []}


# --- representatives ------------------------------------------------------------------------------

# Rows 0 and 1 repeat one text at the centre; row 2 is a near copy of it; rows 3 and 4 sit on either side.
REP_VECTORS = np.array([[1, 0, 0], [1, 0, 0], [0.99, 0.14, 0], [0.8, 0.6, 0], [0.8, -0.6, 0]], dtype=np.float32)
REP_TEXTS = ["centre", "centre", "near centre", "left", "right"]


def test_representatives_start_at_the_centre_and_skip_duplicates():
    picks = pick_representatives(REP_VECTORS, REP_TEXTS, k=4, lambda_=0.5)
    assert picks[0] == 0
    assert len({REP_TEXTS[i] for i in picks}) == 4


def test_representatives_are_diverse():
    picks = pick_representatives(REP_VECTORS, REP_TEXTS, k=2, lambda_=0.5)
    # MMR takes the side row (3), not the near copy (2) that relevance alone would take.
    assert picks == [0, 3]
    assert pick_representatives(REP_VECTORS, REP_TEXTS, k=2, lambda_=1.0) == [0, 2]


def test_representatives_fill_with_duplicates_only_when_texts_run_out():
    picks = pick_representatives(REP_VECTORS, REP_TEXTS, k=10)
    assert sorted(picks) == [0, 1, 2, 3, 4] and picks[4] == 1


def test_representatives_without_vectors_go_by_frequency():
    texts = ["b", "a", "a", "c", "b", "a"]
    assert pick_representatives(None, texts, k=2) == [1, 0]
    assert pick_representatives(None, texts, k=4) == [1, 0, 3, 2]
    assert pick_representatives(None, [], k=3) == []


# --- digests --------------------------------------------------------------------------------------


def _event(i, label, **over):
    base = dict(
        evaluation_id=f"e{i}",
        customer_prompt=f"prompt {i}",
        plugin="Calendar",
        endpoint_template="/me/events",
        status_code=401,
        error_code="InvalidAuthenticationToken",
        error_type="HTTPError",
        message="Access token has expired",
        fingerprint="fpA",
        message_template="Access token has expired",
        timestamp=T0 + timedelta(hours=i),
        user_id=f"u{i % 3}",
        tenant_id="t1",
        label=label,
        distance=0.1 * i,
        text="Calendar 401 access token expired",
    )
    base.update(over)
    return base


def _events() -> pd.DataFrame:
    rows = [_event(i, 0) for i in range(6)]
    rows[5].update(status_code=None, error_code=None, plugin=None, message=None, fingerprint="fpB",
                   message_template="Token <GUID> invalid", user_id=None, text="Token invalid")
    rows += [
        _event(6 + i, 1, plugin="Teams", endpoint_template=None, status_code=None, error_code=None,
               error_type="KeyError", message="KeyError: 'value'", fingerprint="fpK",
               message_template="KeyError: <STR>", tenant_id=f"t{i}", text=f"Teams KeyError value lookup {'abc'[i]}")
        for i in range(3)
    ]
    rows.append(_event(9, -1, plugin="Mail", status_code=500, timestamp=None, text="Mail server exploded"))
    frame = pd.DataFrame(rows)
    frame["status_code"] = frame["status_code"].astype("Int64")
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    return frame.set_axis(range(100, 110))  # a non-default index: digests must not depend on it


def test_digest_counts_shares_and_times():
    digests = build_digests(_events())
    assert list(digests) == [-1, 0, 1]
    auth, bug, noise = digests[0], digests[1], digests[-1]
    assert (auth.size, bug.size, noise.size) == (6, 3, 1)
    assert auth.share == pytest.approx(0.6) and noise.share == pytest.approx(0.1)
    assert auth.plugins == [Count("Calendar", 5)]
    assert auth.status_codes == [Count("401", 5)]
    assert auth.error_types == [Count("HTTPError", 6)]
    assert bug.status_codes == [] and bug.endpoints == [] and bug.error_types == [Count("KeyError", 3)]
    assert auth.fingerprints == [
        FingerprintCount("fpA", "Access token has expired", 5),
        FingerprintCount("fpB", "Token <GUID> invalid", 1),
    ]
    assert auth.first_seen == T0 and auth.last_seen == T0 + timedelta(hours=5)
    assert noise.first_seen is None and noise.last_seen is None
    assert (auth.unique_users, auth.unique_tenants) == (3, 1)
    assert (bug.unique_tenants, bug.tenants[0]) == (3, Count("t0", 1))


def test_digest_representatives_and_keywords():
    digests = build_digests(_events(), n_representatives=3)
    auth = digests[0]
    # Rows 0-4 share one text, row 5 has its own: both texts shown, the nearest (lowest distance) first.
    assert [r.evaluation_id for r in auth.representatives] == ["e0", "e5", "e1"]
    assert auth.representatives[1].error == "Token <GUID> invalid"  # no message: the template stands in
    assert auth.representatives[0].fingerprint == "fpA"
    assert {"token", "expired"} <= set(auth.keywords)
    assert "keyerror" in digests[1].keywords


def test_digest_uses_vectors_and_rejects_misaligned_ones():
    events = _events()
    vectors = np.random.default_rng(0).normal(size=(len(events), 4)).astype(np.float32)
    digests = build_digests(events, vectors)
    assert len(digests[0].representatives) == 5
    with pytest.raises(ValueError):
        build_digests(events, vectors[:3])
    assert build_digests(events.iloc[:0]) == {}


def test_digest_patterns_mine_fingerprint_templates_into_what_varies():
    users = ["alice", "bob", "carol", "dave", "erin", "frank", "grace"]
    rows = [_event(i, 0, fingerprint=f"fp{i}", message_template=f"Mailbox of {u} is over quota <NUM> MB")
            for i, u in enumerate(users)]
    rows += [_event(10 + i, 0, fingerprint="fpX", message_template="Access token has expired") for i in range(3)]
    rows += [_event(20, 1, fingerprint="fpY", message_template="Connection reset by peer")]
    digests = build_digests(pd.DataFrame(rows))
    assert [(c.value, c.count) for c in digests[0].patterns] == [
        ("Mailbox of <*> is over quota <*> MB", 7), ("Access token has expired", 3),
    ]
    assert len(digests[0].fingerprints) == 8  # the exact signatures stay listed beside the patterns
    assert [(c.value, c.count) for c in digests[1].patterns] == [("Connection reset by peer", 1)]


def test_digest_patterns_use_the_stored_message_pattern_where_an_event_has_one():
    # Stored patterns were mined over every fingerprint at ingest: they are shown as stored, and only the
    # events without one (not mined yet) are mined here, among their cluster's templates.
    rows = [_event(i, 0, fingerprint=f"fp{i}", message_template=f"Disk {d} is full",
                   message_pattern="Disk <*> is full") for i, d in enumerate(["sda", "sdb"])]
    rows += [_event(5, 0, fingerprint="fp5", message_template="Connection reset by peer", message_pattern=None)]
    digests = build_digests(pd.DataFrame(rows))
    assert [(c.value, c.count) for c in digests[0].patterns] == [
        ("Disk <*> is full", 2), ("Connection reset by peer", 1),
    ]


def test_digest_json_round_trip():
    for digest in build_digests(_events()).values():
        data = json.loads(json.dumps(digest.to_json()))
        assert ClusterDigest.from_json(data) == digest
    assert build_digests(_events())[0].to_json()["first_seen"] == "2024-05-01T08:00:00+00:00"


def _stored_run(engine) -> int:
    return queries.create_run(engine=engine, run=PipelineRun(algorithm="hdbscan", view="error", embedder="hashing")).id


def test_a_digest_survives_the_storage_round_trip_equal(engine):
    """Evidence is written and read as a ClusterDigest; the JSON exists only inside the database."""
    run_id = _stored_run(engine)
    digests = build_digests(_events())
    rows = [ClusterRow(run_id=run_id, label=d.label, size=d.size, share=d.share, evidence=d) for d in digests.values()]
    no_events = pd.DataFrame(columns=["event_id", "label", "probability", "distance", "map_x", "map_y"])
    queries.store_run_results(engine=engine, run_id=run_id, clusters=rows, summaries={}, assignments=no_events)

    stored = {c.label: c.evidence for c in queries.clusters_of_run(engine=engine, run_id=run_id)}
    assert stored == digests and all(isinstance(d, ClusterDigest) for d in stored.values())
    assert queries.get_cluster(engine=engine, run_id=run_id, label=0).evidence == digests[0]


# Evidence as this version stores it, byte for byte; and as versions before patterns, forms, meanings and
# families stored it, and the first versions' empty default. All of them must keep loading.
CURRENT_JSON = (
    '{"label": 2, "size": 40, "share": 0.25, "plugins": [{"value": "Calendar", "count": 30}], '
    '"endpoints": [{"value": "/me/events", "count": 40}], "status_codes": [{"value": "401", "count": 38}], '
    '"error_codes": [{"value": "InvalidAuthenticationToken", "count": 38}], '
    '"error_types": [{"value": "HTTPError", "count": 40}], "keywords": ["token", "expired"], '
    '"representatives": [{"evaluation_id": "e1", "customer_prompt": "book a room", "error": "401 expired", '
    '"fingerprint": "fp1"}, {"evaluation_id": "e2", "customer_prompt": "move it", "error": "401", '
    '"fingerprint": null}], "fingerprints": [{"hash": "fp1", "template": "token <*> expired", "count": 40}], '
    '"first_seen": "2024-05-01T08:00:00+00:00", "last_seen": "2024-05-02T09:30:00.250000+02:00", '
    '"unique_users": 12, "unique_tenants": 3, "tenants": [{"value": "t1", "count": 25}], '
    '"patterns": [{"value": "token <*> expired", "count": 40}], "forms": [{"value": "json", "count": 40}], '
    '"meanings": [{"value": "credentials expired", "count": 40}], "families": [{"value": "auth", "count": 40}]}'
)
CURRENT = ClusterDigest(
    label=2, size=40, share=0.25, plugins=[Count("Calendar", 30)], endpoints=[Count("/me/events", 40)],
    status_codes=[Count("401", 38)], error_codes=[Count("InvalidAuthenticationToken", 38)],
    error_types=[Count("HTTPError", 40)], keywords=["token", "expired"],
    representatives=[Representative("e1", "book a room", "401 expired", "fp1"),
                     Representative("e2", "move it", "401", None)],
    fingerprints=[FingerprintCount("fp1", "token <*> expired", 40)],
    first_seen=T0, last_seen=datetime(2024, 5, 2, 9, 30, 0, 250000, tzinfo=timezone(timedelta(hours=2))),
    unique_users=12, unique_tenants=3, tenants=[Count("t1", 25)], patterns=[Count("token <*> expired", 40)],
    forms=[Count("json", 40)], meanings=[Count("credentials expired", 40)], families=[Count("auth", 40)],
)


def test_evidence_stored_in_the_current_format_loads(engine):
    run_id = _stored_run(engine)
    older = {k: v for k, v in json.loads(CURRENT_JSON).items()
             if k not in {"patterns", "forms", "meanings", "families"}} | {"label": 3}
    with engine.begin() as conn:
        for label, evidence in ((2, CURRENT_JSON), (3, json.dumps(older)), (4, "{}")):
            conn.execute(text("INSERT INTO clusters (run_id, label, size, share, summary, root_cause, suggested_fix, "
                              "severity, evidence) VALUES (:run, :label, 40, 0.25, '', '', '', '', :evidence)"),
                         {"run": run_id, "label": label, "evidence": evidence})

    loaded = {c.label: c.evidence for c in queries.clusters_of_run(engine=engine, run_id=run_id)}
    assert loaded[2] == CURRENT
    assert json.dumps(loaded[2].to_json()) == CURRENT_JSON  # written back exactly as read
    assert loaded[3] == replace(CURRENT, label=3, patterns=[], forms=[], meanings=[], families=[])
    assert loaded[4] == ClusterDigest.empty(4, size=40, share=0.25)  # stored without evidence


def _big_events(n=100_000, k=50, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(-1, k, n)
    plugins = np.array(["Calendar", "Mail", "Teams", "SharePoint", "OneDrive", "Planner", "Search", "People"])
    return pd.DataFrame({
        "evaluation_id": np.char.add("e", np.arange(n).astype(str)),
        "customer_prompt": np.char.add("please do task ", (np.arange(n) % 300).astype(str)),
        "plugin": plugins[(labels + 1) % 8],
        "endpoint_template": "/me/events",
        "status_code": pd.array(np.array([401, 403, 404, 429, 500])[(labels + 1) % 5], dtype="Int64"),
        "error_code": "SomeCode",
        "error_type": "HTTPError",
        "message": np.char.add("failure in item ", rng.integers(0, 1000, n).astype(str)),
        "fingerprint": np.char.add("fp", (labels * 20 + rng.integers(0, 20, n)).astype(str)),
        "message_template": "failure in item <NUM>",
        "timestamp": pd.to_datetime(1.7e9 + rng.integers(0, 86400 * 30, n), unit="s", utc=True),
        "user_id": np.char.add("u", rng.integers(0, 5000, n).astype(str)),
        "tenant_id": np.char.add("t", rng.integers(0, 40, n).astype(str)),
        "label": labels,
        "distance": rng.random(n),
        "text": np.char.add(plugins[(labels + 1) % 8], np.char.add(" word", rng.integers(0, 500, n).astype(str))),
    }), rng.normal(size=(n, 5)).astype(np.float32)


def test_100k_events_digest_quickly():
    events, vectors = _big_events()
    start = time.perf_counter()
    digests = build_digests(events, vectors)
    elapsed = time.perf_counter() - start
    assert len(digests) == 51 and sum(d.size for d in digests.values()) == len(events)
    assert all(len(d.representatives) == 5 for d in digests.values())
    assert elapsed < 20, f"build_digests took {elapsed:.1f}s on 100k events"


# --- offline summaries ----------------------------------------------------------------------------


def _digest(size=100, share=0.2, *, statuses=(), codes=(), types=(), plugins=(("Calendar", 100),),
            endpoints=(("/me/events", 100),), errors=("something failed",), tenants=(), label=3, **kw):
    def counts(pairs):
        return [Count(v, c) for v, c in pairs]

    return ClusterDigest(
        label=label, size=size, share=share, plugins=counts(plugins), endpoints=counts(endpoints),
        status_codes=counts(statuses), error_codes=counts(codes), error_types=counts(types), keywords=["token"],
        representatives=[Representative(f"e{i}", "book a meeting", e, "fp") for i, e in enumerate(errors)],
        fingerprints=[FingerprintCount("fp", errors[0], size)], tenants=counts(tenants), **kw,
    )


def _summary(digest, neighbours=()):
    return OfflineSummarizer().summarize(digest, neighbours=neighbours)


def test_401_blames_credentials_with_numbers():
    s = _summary(_digest(340, statuses=[("401", 313)], codes=[("InvalidAuthenticationToken", 313)],
                         endpoints=[("/me/events", 340)]))
    assert s.summary == "Calendar · 401 InvalidAuthenticationToken on /me/events"
    assert "92% of 340 events return 401 (InvalidAuthenticationToken) from Calendar" in s.root_cause
    assert "credentials expired or missing" in s.root_cause
    assert "token" in s.suggested_fix.lower() and s.source == "offline"
    assert s.confidence == pytest.approx(0.92) and s.severity == "high"


def test_403_blames_permission_or_consent():
    s = _summary(_digest(50, statuses=[("403", 50)], codes=[("Authorization_RequestDenied", 50)]))
    assert "100% of 50 events return 403" in s.root_cause
    assert "permission" in s.root_cause and "consent" in s.root_cause and "consent" in s.suggested_fix


def test_404_blames_a_reference_that_does_not_exist():
    s = _summary(_digest(80, share=0.02, statuses=[("404", 72)], codes=[("ErrorItemNotFound", 70)]))
    assert "90% of 80 events return 404" in s.root_cause
    assert "does not exist" in s.root_cause and "hallucinated" in s.root_cause
    assert s.severity == "low"


def test_429_is_throttling():
    s = _summary(_digest(200, statuses=[("429", 190)]))
    assert "95% of 200 events return 429" in s.root_cause and "throttling" in s.root_cause
    assert "Retry-After" in s.suggested_fix and s.summary.startswith("Calendar · 429 Too Many Requests")


def test_400_names_the_parameter():
    s = _summary(_digest(60, statuses=[("400", 57)], codes=[("ErrorInvalidRequest", 57)],
                         errors=("The value of dateTime is not a valid ISO 8601 string",)))
    assert "95% of 60 events return 400" in s.root_cause and "malformed request" in s.root_cause
    assert "dateTime" in s.root_cause and "dateTime" in s.suggested_fix


def test_5xx_and_timeouts_are_not_the_assistant():
    timeout = _summary(_digest(40, statuses=[("504", 36)], types=[("TimeoutError", 30)]))
    assert "90% of 40 events return 504" in timeout.root_cause
    assert "timed out" in timeout.root_cause and "not the assistant" in timeout.root_cause
    server = _summary(_digest(40, statuses=[("503", 40)]))
    assert "server error" in server.root_cause and "not the assistant" in server.root_cause
    no_status = _summary(_digest(30, types=[("ConnectionResetError", 30)]))
    assert "100% of 30 events raise ConnectionResetError" in no_status.root_cause
    assert "network" in no_status.root_cause


def test_python_exception_is_a_plugin_bug():
    s = _summary(_digest(120, plugins=[("Teams", 120)], types=[("KeyError", 102), ("TypeError", 18)],
                         errors=("Traceback (most recent call last):\n  ...\nKeyError: 'value'",)))
    assert s.summary == "Teams · KeyError in plugin code"
    assert "85% of 120 events raise KeyError" in s.root_cause and "bug in the plugin's code" in s.root_cause
    assert "KeyError: 'value'" in s.root_cause


def test_mixed_evidence_names_the_top_two():
    s = _summary(_digest(200, statuses=[("401", 90), ("403", 70)]))
    assert "Mixed evidence: 45% of 200 events return 401 and 35% 403" in s.root_cause
    assert s.confidence == pytest.approx(0.45) and "mixed 401/403" in s.summary


def test_unknown_evidence_says_what_is_known():
    s = _summary(_digest(25, plugins=[("Search", 25)], endpoints=()))
    assert "25 events from Search carry no status code or error type" in s.root_cause
    assert s.confidence == 0.0 and s.summary == "Search · token"


def test_without_a_status_or_type_the_title_is_the_message_most_events_share():
    size_limit = _digest(13, plugins=[("Mail", 13)], endpoints=(),
                         patterns=[Count("sendMail rejected, message size <*> MB > <*> MB", 13)])
    assert _summary(size_limit).summary == "Mail · sendMail rejected, message size MB > MB"
    lookup = _digest(20, plugins=[("People", 20)], endpoints=(),
                     patterns=[Count("itemNotFound for <*> (request-id <*>)", 11), Count("lookup failed", 9)])
    assert _summary(lookup).summary == "People · itemNotFound for (request-id)"
    no_majority = _digest(20, plugins=[("People", 20)], endpoints=(),
                          patterns=[Count("itemNotFound for <*>", 9), Count("lookup failed", 8)])
    assert _summary(no_majority).summary == "People · token", "no message or shared start: the keywords"
    queries = _digest(9, plugins=[("Search", 9)], endpoints=(), patterns=[
        Count("query rejected by Microsoft Search: title:<*> NEAR((", 2),
        Count("query rejected by Microsoft Search: author:\"Miguel AND the offsite", 1),
        Count("query rejected by Microsoft Search: filetype:docx AND (budget", 1),
        Count("query rejected by Microsoft Search: onboarding AND (filetype:pptx OR", 1)])
    assert _summary(queries).summary == "Search · query rejected by Microsoft Search"
    fewer = replace(queries, patterns=queries.patterns[:2])
    assert _summary(fewer).summary == "Search · token", "the shared start of under half the events: the keywords"
    log_line = _digest(8, plugins=[("Openai", 8)], endpoints=(), patterns=[
        Count("openai.chat.completions -> context_length_exceeded (prompt_tokens=<*>, max_tokens=<*>)", 5),
        Count("rate limited; retry_after=<*>s, scope=<*>", 3)])
    assert _summary(log_line).summary == "Openai · openai.chat.completions -> context_length_exceeded", (
        "the key=value pairs a placeholder empties are dropped with their key")
    throttled = replace(log_line, patterns=[Count("rate limited; retry_after=<*>s, scope=<*>", 5)])
    assert _summary(throttled).summary == "Openai · rate limited"


def test_tenant_concentration_recency_and_noise():
    recent = T0 + timedelta(days=9)
    old = _digest(10, statuses=[("500", 10)], first_seen=T0, last_seen=T0 + timedelta(days=10))
    s = _summary(_digest(100, statuses=[("401", 100)], tenants=[("t1", 70)], first_seen=recent,
                         last_seen=recent + timedelta(hours=20), unique_users=12, unique_tenants=3), [old])
    assert "One tenant (t1) accounts for 70% of events" in s.root_cause
    assert "12 users in 3 tenants" in s.root_cause and "recent change" in s.root_cause
    assert "recent change" not in _summary(old, [old]).root_cause
    noise = _summary(_digest(30, share=0.05, statuses=[("401", 12)], label=-1))
    assert noise.summary == "Unclustered (noise)" and "30 events (5% of the run)" in noise.root_cause


def test_titles_stay_short_and_status_phrases():
    long = "/sites/<ID>/drives/<ID>/items/<ID>/workbook/worksheets/<ID>/tables/<ID>/rows"
    s = _summary(_digest(10, statuses=[("404", 10)], codes=[("ItemNotFoundWithAVeryLongProviderCodeName", 10)],
                         endpoints=[(long, 10)]))
    assert len(s.summary) <= 80 and s.summary.startswith("Calendar · 404")
    assert describe_status(401) == "401 Unauthorized" and describe_status(599) == "599 server error"
    assert isinstance(OfflineSummarizer(), Summarizer)


# --- titles unique within a run ---------------------------------------------------------------------


def test_equal_titles_get_the_evidence_that_tells_them_apart():
    digests = {
        0: _digest(label=0, statuses=[("429", 100)], codes=[("TooManyRequests", 100)], plugins=[("Jira", 100)]),
        1: _digest(label=1, statuses=[("429", 90)], codes=[("TooManyRequests", 90)], plugins=[("GitHub", 90)]),
        2: _digest(label=2, statuses=[("404", 50)]),
    }
    titles = distinct_titles({0: "Several plugins · 429", 1: "Several plugins · 429", 2: "Calendar · 404"},
                             digests, max_length=80)
    assert titles == {0: "Several plugins · 429 — Jira", 1: "Several plugins · 429 — GitHub", 2: "Calendar · 404"}


def test_identical_evidence_falls_back_to_a_size_rank_and_long_titles_keep_their_qualifier():
    digests = {label: _digest(label=label, statuses=[("400", 10)]) for label in (0, 1)}
    long = "x" * 90
    titles = distinct_titles({0: long, 1: long}, digests, max_length=80)
    assert titles[0].endswith("— #1") and titles[1].endswith("— #2")
    assert all(len(t) <= 80 for t in titles.values())


def test_a_qualified_title_never_collides_with_another_clusters_title():
    digests = {label: _digest(label=label) for label in (0, 1, 2)}
    titles = distinct_titles({0: "A", 1: "A", 2: "A — #1"}, digests, max_length=80)
    assert len(set(titles.values())) == 3


def test_a_run_never_shows_two_clusters_with_one_title():
    digests = {label: _digest(label=label, statuses=[("429", 50)], plugins=[("Mail", 30), ("Calendar", 20)])
               for label in range(4)}
    summaries = {label: _summary(d) for label, d in digests.items()}
    assert len({s.summary for s in summaries.values()}) == 1  # the summarizer alone repeats itself
    titles = distinct_titles({label: s.summary for label, s in summaries.items()}, digests, max_length=80)
    assert len(set(titles.values())) == 4


# --- what holds a cluster together -----------------------------------------------------------------


def test_summary_says_what_holds_the_cluster_together_and_what_it_absorbed():
    digest = _digest(300, statuses=[("401", 200)], plugins=[("GitHub", 200), ("GitLab", 100)],
                     forms=[Count("json", 150), Count("stacktrace", 100), Count("text", 50)],
                     meanings=[Count("401 Unauthorized. Bad credentials", 120)], families=[Count("auth", 300)])
    root_cause = _summary(digest).root_cause
    assert 'Held together by expired or missing credentials: "401 Unauthorized. Bad credentials" (40%).' in root_cause
    assert "It absorbs 3 forms (json 50%, stacktrace 33%, text 17%) from 2 plugins." in root_cause
    assert "Mixed" not in root_cause


def test_a_cluster_whose_events_disagree_on_the_family_is_flagged_mixed():
    digest = _digest(100, statuses=[("403", 60), ("401", 40)], meanings=[Count("403 Forbidden. scope", 60)],
                     families=[Count("permission", 60), Count("auth", 40)])
    assert ("Mixed: its events disagree on the failure family (a missing permission 60%, expired or missing "
            "credentials 40%)") in _summary(digest).root_cause


def test_a_neighbour_with_the_same_status_code_and_family_is_named_a_merge_candidate():
    def twin(label, code="insufficient_scope"):
        return _digest(100, label=label, statuses=[("403", 90)], codes=[(code, 90)],
                       families=[Count("permission", 95)])
    assert ("Its dominant status, code and family are also those of cluster 4: a candidate to merge."
            in _summary(twin(3), neighbours=[twin(4), twin(5, code="other")]).root_cause)
    assert "candidate to merge" not in _summary(twin(3), neighbours=[twin(5, code="other")]).root_cause


def test_two_clusters_agree_when_the_dominant_status_code_or_family_they_both_state_are_equal():
    throttled = _digest(100, statuses=[("429", 90)], codes=[("TooManyRequests", 90)],
                        families=[Count("throttled", 95)])
    as_text = _digest(40, plugins=[("Mail", 40)], errors=("rate limit hit, retry later",),
                      families=[Count("throttled", 40)])  # another form and plugin, no status stated
    assert agree(throttled, as_text) and agree(as_text, throttled)
    assert not agree(throttled, _digest(60, statuses=[("503", 60)], families=[Count("unavailable", 60)]))
    assert not agree(throttled, _digest(60, statuses=[("429", 60)], codes=[("QuotaExceeded", 60)]))
    assert not agree(as_text, _digest(60, families=[Count("timeout", 60)]))
    # Nothing stated in common is no agreement: a cluster without a dominant status, code or family is
    # not known to be the same failure as any other.
    unstated = _digest(30, plugins=[("SharePoint", 30)], errors=("site not found",))
    assert not agree(throttled, unstated) and not agree(unstated, unstated)
    # A minority value is no dominant one: it does not make two clusters disagree.
    assert agree(throttled, _digest(60, statuses=[("429", 50), ("500", 10)], families=[Count("server", 20)]))


def test_a_qualifier_that_restates_the_title_gives_way_to_evidence_that_says_more():
    digests = {
        0: _digest(label=0, statuses=[("403", 60)], codes=[("Forbidden", 60)], plugins=[("Teams", 60)],
                   patterns=[Count("Insufficient privileges to complete the operation on <*>", 60)]),
        1: _digest(label=1, statuses=[("403", 40)], codes=[("Authorization_RequestDenied", 40)],
                   plugins=[("Teams", 40)], patterns=[Count("Caller lacks the Chat.Read scope", 40)]),
    }
    titles = distinct_titles({0: "Teams · 403 Forbidden", 1: "Teams · 403 Forbidden"}, digests, max_length=80)
    # the codes tell them apart, but "Forbidden" restates the title; plugins and endpoints are equal
    assert titles == {0: "Teams · 403 Forbidden — Insufficient privileges to complete the…",
                      1: "Teams · 403 Forbidden — Caller lacks the Chat.Read scope"}
