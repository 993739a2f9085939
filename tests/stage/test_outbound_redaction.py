"""Nothing planted leaves through any outbound path: openai embeddings (error and intent views), LLM
summaries and webhook alerts, against servers on 127.0.0.1 (the fake OpenAI-compatible server of the LLM
tests and a webhook receiver); local embedding is not redacted; the run records what was. Both databases.

Also the LLM request itself: the JSON schema is sent, a server that refuses it (400) is asked with
json_object, once per client, and an answer echoing the instructions is refused with a clear reason.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from lens_core.config import Settings
from lens_core.describe.llm import SYSTEM_PROMPT
from lens_core.describe.llm_checks import JSON_OBJECT_FORMAT, RESPONSE_FORMAT
from lens_core.describe.llm_summaries import build_client, summarize_run
from lens_core.ingest.ingestor import ingest_records
from lens_core.runs.options import ProcessOptions
from lens_core.runs.pipeline import process
from lens_core.samples.generator import generate
from lens_core.storage import queries
from lens_core.storage.engine import open_engine
from lens_core.tracking.alerts import Alert, post
from tests.stage.test_llm_summaries import FakeLLM, _plant, completion, valid_content
from tests.unit.test_redact import PLANTED

VALUES = [value for _, values in PLANTED for value in values]


@pytest.fixture
def fake() -> Iterator[FakeLLM]:
    server = FakeLLM()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def planted_engine(db_url: str) -> Iterator[Any]:
    """A database of sample events whose prompts and error messages carry the planted values."""
    engine = open_engine(db_url)
    ingest_records(_plant(generate(240, seed=5)[0], [text for text, _ in PLANTED]), engine=engine)
    yield engine
    engine.dispose()


def _settings(db_url: str, fake: FakeLLM, **values: Any) -> Settings:
    base = {"database_url": db_url, "openai_api_key": "sk-test", "openai_base_url": fake.url,
            "embedding_backend": "hashing", "embedding_model": "fake-embed",  # 8-dim vectors
            "llm_max_concurrency": 1, "llm_min_unique_users": 1, "llm_timeout_s": 10}
    return Settings(_env_file=None, **{**base, **values})


def _leaks(bodies: list[bytes]) -> list[str]:
    sent = b"\n".join(bodies).decode()
    decoded = "\n".join(json.dumps(json.loads(b), ensure_ascii=False) for b in bodies)
    return [v for v in VALUES if v in sent or v in decoded]


@pytest.mark.parametrize("view", ["error", "intent"])
def test_openai_embeddings_send_no_planted_value(planted_engine, db_url, fake, view) -> None:
    outcome = process(engine=planted_engine, settings=_settings(db_url, fake),
                      options=ProcessOptions.of(view=view, embedder="openai", algorithm="kmeans", k=4))
    inputs = [text for body in fake.embedded for text in json.loads(body)["input"]]
    assert inputs and any("<EMAIL>" in text for text in inputs)  # the planted data was in the view's texts
    assert not _leaks(fake.embedded)
    assert {json.loads(body)["model"] for body in fake.embedded} == {"fake-embed"}
    run = queries.get_run(engine=planted_engine, run_id=outcome.run_id)
    assert run.parameters["redaction"] == {"embeddings": "redacted", "llm": "not used"}
    assert run.embedding_model == "fake-embed+redacted"  # never mixed with raw-text vectors


def test_redaction_off_is_explicit_and_recorded(planted_engine, db_url, fake) -> None:
    settings = _settings(db_url, fake, redact_outbound=False)
    outcome = process(engine=planted_engine, settings=settings,
                      options=ProcessOptions.of(view="intent", embedder="openai", algorithm="kmeans", k=4))
    assert _leaks(fake.embedded)  # told not to redact: the raw prompts went
    run = queries.get_run(engine=planted_engine, run_id=outcome.run_id)
    assert run.parameters["redaction"]["embeddings"] == "not redacted (REDACT_OUTBOUND=false)"
    assert run.embedding_model == "fake-embed"


def test_local_embedding_is_not_redacted_and_sends_nothing(planted_engine, db_url, fake) -> None:
    outcome = process(engine=planted_engine, settings=_settings(db_url, fake),
                      options=ProcessOptions.of(view="intent", embedder="hashing", algorithm="kmeans", k=4))
    run = queries.get_run(engine=planted_engine, run_id=outcome.run_id)
    assert run.parameters["redaction"] == {"embeddings": "local, nothing sent", "llm": "not used"}
    assert run.embedding_model.startswith("hashing") and not fake.embedded and not fake.requests


def test_llm_summaries_send_no_planted_value_and_the_run_says_so(planted_engine, db_url, fake) -> None:
    outcome = process(engine=planted_engine, settings=_settings(db_url, fake),
                      options=ProcessOptions.of(view="error", embedder="hashing", algorithm="kmeans", k=4,
                                                summarizer="llm"))
    assert fake.requests and not _leaks(fake.raw)
    sent = "\n".join(r["messages"][1]["content"] for r in fake.requests)
    assert "<EMAIL>" in sent
    run = queries.get_run(engine=planted_engine, run_id=outcome.run_id)
    assert run.parameters["redaction"]["llm"] == "redacted"
    assert "llm: evidence sent redacted (REDACT_OUTBOUND)" in run.notes


def test_the_schema_is_sent_and_a_server_refusing_it_gets_json_object_once(planted_engine, db_url, fake) -> None:
    process(engine=planted_engine, settings=_settings(db_url, fake),
            options=ProcessOptions.of(view="error", embedder="hashing", algorithm="kmeans", k=4))
    refusal = (400, {"error": {"message": "response_format json_schema is not supported", "type": "invalid_request_error"}})
    fake.script = [refusal]
    settings = _settings(db_url, fake)
    report = summarize_run(engine=planted_engine, settings=settings, client=build_client(settings), limit=3)
    formats = [r["response_format"] for r in fake.requests]
    assert formats[0] == RESPONSE_FORMAT  # the schema, as structured outputs take it
    assert formats[1:] == [JSON_OBJECT_FORMAT] * 3  # the refused request again, then the next clusters
    assert len(report.stored) == 3 and not report.fallbacks and report.calls == 3


def test_an_answer_echoing_the_instructions_is_refused(planted_engine, db_url, fake) -> None:
    process(engine=planted_engine, settings=_settings(db_url, fake),
            options=ProcessOptions.of(view="error", embedder="hashing", algorithm="kmeans", k=4))

    def echo(request: dict) -> tuple[int, Any]:
        answer = json.loads(valid_content(request))
        return completion(json.dumps({**answer, "root_cause": SYSTEM_PROMPT[:400]}))

    fake.script = [echo, echo]
    settings = _settings(db_url, fake)
    report = summarize_run(engine=planted_engine, settings=settings, client=build_client(settings), limit=1)
    assert report.fallbacks == [(report.fallbacks[0][0],
                                 "'root_cause' repeats the instructions (a run of 8+ words of the system prompt)")]


class Receiver:
    """A webhook on 127.0.0.1 that keeps each body it is sent."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                receiver.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    hook = Receiver()
    yield hook
    hook.server.shutdown()
    hook.server.server_close()


def test_webhook_alerts_send_no_planted_value(receiver: Receiver) -> None:
    # A title an analyst typed, or one built from an error's text, can quote personal data.
    for text, _ in PLANTED:
        alert = Alert(pattern_id=7, title=text, state="new", reason=f"first seen; {text}", base="release 1",
                      target="release 2", target_events=12, target_rate=0.25)
        post(receiver.url, alert)
    assert len(receiver.bodies) == len(PLANTED) and not _leaks(receiver.bodies)
    texts = [json.loads(b)["text"] for b in receiver.bodies]
    assert all(t.startswith("lens: pattern #7 is NEW:") and "12 events (25.0% of failures)" in t for t in texts)

    raw = Alert(pattern_id=8, title=PLANTED[0][0], state="new", reason="first seen", base="a", target="b",
                target_events=1, target_rate=0.1)
    post(receiver.url, raw, redact=False)  # REDACT_OUTBOUND=false: sent as it is
    assert PLANTED[0][1][0] in json.loads(receiver.bodies[-1])["text"]
