"""The LLM on the dashboard through AppTest, against a local chat-completions server on 127.0.0.1 (the real SDK
and HTTP): a key entered for the session only, "Summarise all" with its cost before and after, and a
failed answer as one clear line."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lens_core.storage import queries
from lens_core.storage.engine import open_engine
from tests.stage.test_llm_summaries import FakeLLM, completion
from tests.surface.test_dashboard import (
    MAIN,
    TIMEOUT,
    dashboard_database,
    no_exception,
    open_page,
    plain,
    tracked_sample,
)

SESSION_KEY = "sk-session-only-0123456789abcdef"


@pytest.fixture
def db_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "llm.db"
    with dashboard_database(path, monkeypatch) as url:
        tracked_sample(url).dispose()
        yield path


@pytest.fixture
def fake() -> Iterator[FakeLLM]:
    server = FakeLLM()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def app(db_path: Path) -> AppTest:
    return open_page(AppTest.from_file(MAIN, default_timeout=TIMEOUT).run(), "cluster_detail")


def connect(app: AppTest, url: str, model: str = "gpt-4o-mini") -> None:
    app.text_input(key="llm_key_input").input(SESSION_KEY)
    app.text_input(key="llm_base_url_input").input(url)
    app.text_input(key="llm_model_input").input(model)
    app.button(key="llm_use").click().run()
    no_exception(app)


def test_a_key_entered_for_the_session_summarises_all_without_a_restart(
    app: AppTest, fake: FakeLLM, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    assert not any(b.key == "detail_llm_all" for b in app.button)  # no connection yet: nothing to estimate
    app.button(key="detail_llm").click().run()
    assert "OPENAI_API_KEY" in app.warning[0].value and "for this session" in app.warning[0].value

    connect(app, fake.url)
    assert "key entered for this session, model gpt-4o-mini" in plain(app.expander[0].label)
    before = next(plain(c.value) for c in app.caption if "would be sent" in c.value)
    assert "about $" in before  # gpt-4o-mini has a price: the cost is estimated before anything is sent

    app.button(key="detail_llm_all").click().run()
    no_exception(app)
    done = plain(app.success[0].value)
    assert "clusters now have an LLM summary" in done and "Spent:" in done and "(estimated before: $" in done
    assert fake.requests and {r["model"] for r in fake.requests} == {"gpt-4o-mini"}
    engine = open_engine(f"sqlite:///{db_path}")
    clusters = queries.clusters_of_run(engine=engine, run_id=queries.latest_run(engine=engine).id,
                                       include_noise=False)
    sent = len(fake.requests)
    assert f"{sent} calls" in done and sent == sum(c.evidence.unique_users >= 5 for c in clusters)

    # The key lives in the session only: not in the database, not in a log line.
    assert SESSION_KEY.encode() not in db_path.read_bytes()
    assert SESSION_KEY not in caplog.text

    app.button(key="detail_llm_all").click().run()  # again: every answer is stored, nothing is paid twice
    assert len(fake.requests) == sent and "0 calls" in plain(app.success[0].value)


def test_an_unusable_answer_is_one_line_and_keeps_the_offline_summary(app: AppTest, fake: FakeLLM) -> None:
    connect(app, fake.url)
    bad = completion(json.dumps({"summary": "Tokens expire", "evidence": []}))
    fake.script = [bad, bad]  # the first answer and its retry
    app.button(key="detail_llm").click().run()
    no_exception(app)
    assert not app.success  # nothing new is shown as a success beside what it cost
    warning = plain(app.warning[0].value)
    assert warning.startswith("Cluster ") and "keeps its offline summary" in warning and "\n" not in warning
    assert "0 of 1 clusters now have an LLM summary" in plain(app.info[0].value)
