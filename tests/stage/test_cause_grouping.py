"""Grouping by cause with the product's defaults and the real MiniLM model: one cause written in several
forms is one group, causes that share a status but not a meaning are not, and order or seed change nothing.

The events are written here from public error formats (a Graph-style JSON body, a Java stack trace, a
Go error string, a log line), not taken from any benchmark corpus.
"""

from __future__ import annotations

import json
import random

import pytest
from sklearn.metrics import adjusted_rand_score

from lens_core.config import Settings
from lens_core.ingest.ingestor import ingest_records
from lens_core.runs.options import ProcessOptions
from lens_core.runs.pipeline import process
from lens_core.storage import queries
from lens_core.storage.engine import open_engine

USERS = ["ana", "bo", "chen", "dee", "eli", "fay", "gus", "hal"]


def _expired_token(i: int) -> str:
    user, req = USERS[i % len(USERS)], f"{i:08x}-aaaa-bbbb-cccc-{i:012x}"
    forms = [
        json.dumps({"status": 401, "body": {"error": {"code": "InvalidAuthenticationToken",
                                                      "message": "Access token has expired or is not yet valid.",
                                                      "innerError": {"request-id": req}}}}),
        "com.acme.http.HttpResponseException: 401 Unauthorized: access token expired\n"
        f"\tat com.acme.http.Client.send(Client.java:{100 + i})\n\tat com.acme.plugins.Mail.list(Mail.java:42)",
        f"GET https://api.example.com/v1/users/{user}/files: 401 The access token expired [request {req}]",
        f"2024-05-0{1 + i % 9}T10:00:00Z ERROR token refresh failed for {user}@contoso.com: token expired (401)",
    ]
    return forms[i % len(forms)]


def _missing_consent(i: int) -> str:
    forms = [
        json.dumps({"error": {"code": "Authorization_RequestDenied",
                              "message": "Insufficient privileges: the app lacks admin consent for Chat.ReadWrite."},
                    "status": 403}),
        f"HTTP 403 Forbidden: consent required for scope Chat.ReadWrite (tenant t{i % 5})",
    ]
    return forms[i % len(forms)]


def _rate_limited(i: int) -> str:
    forms = [
        json.dumps({"message": f"API rate limit exceeded for installation ID {4000 + i}.", "status": 403}),
        f"403 Forbidden: rate limit exceeded, retry after {30 + i % 40} seconds",
    ]
    return forms[i % len(forms)]


CAUSES = {"expired_token": _expired_token, "missing_consent": _missing_consent, "rate_limited": _rate_limited}
PLUGINS = ["Mail", "Calendar", "Files"]


def _events() -> tuple[list[dict], dict[str, str]]:
    events, truth = [], {}
    for cause, write in CAUSES.items():
        for i in range(24):
            evaluation_id = f"{cause}-{i}"
            plugin = PLUGINS[i % len(PLUGINS)]
            events.append({
                "evaluation_id": evaluation_id, "customer_prompt": f"show my {plugin.lower()} items",
                "skill_input": json.dumps({"plugin": plugin, "action": "list"}), "skill_output": write(i),
                "ai_output": "Sorry, something went wrong.",
            })
            truth[evaluation_id] = cause
    return events, truth


def _groups(tmp_path, name: str, events: list[dict], **options) -> dict[str, int]:
    url = f"sqlite:///{tmp_path}/{name}.db"
    engine = open_engine(url)
    ingest_records(events, engine=engine, source=name)
    settings = Settings(_env_file=None, database_url=url)
    outcome = process(engine=engine, settings=settings, options=ProcessOptions.of(settings, **options))
    frame = queries.assignments_frame(engine=engine, run_id=outcome.run_id)
    return dict(zip(frame["evaluation_id"], frame["cluster_id"]))


@pytest.fixture(scope="module")
def grouped(tmp_path_factory) -> tuple[dict[str, int], dict[str, str], list[dict]]:
    events, truth = _events()
    return _groups(tmp_path_factory.mktemp("cause"), "ordered", events, embedder="minilm"), truth, events


def test_one_cause_in_four_forms_and_three_plugins_is_one_group(grouped) -> None:
    groups, truth, _ = grouped
    labels = {groups[e] for e, cause in truth.items() if cause == "expired_token"}
    assert len(labels) == 1


def test_causes_sharing_a_status_but_not_a_meaning_stay_apart(grouped) -> None:
    groups, truth, _ = grouped
    consent = {groups[e] for e, cause in truth.items() if cause == "missing_consent"}
    throttled = {groups[e] for e, cause in truth.items() if cause == "rate_limited"}
    assert consent.isdisjoint(throttled)
    assert adjusted_rand_score(list(truth.values()), [groups[e] for e in truth]) == 1.0


def test_shuffled_input_and_another_seed_give_identical_groups(grouped, tmp_path) -> None:
    groups, truth, events = grouped
    shuffled = events[:]
    random.Random(3).shuffle(shuffled)
    again = _groups(tmp_path, "shuffled", shuffled, embedder="minilm", random_state=7)
    assert adjusted_rand_score([groups[e] for e in truth], [again[e] for e in truth]) == 1.0
