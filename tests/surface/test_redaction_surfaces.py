"""What the redaction layer did is shown where runs are: `lens runs` and the API's /runs (both databases)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lens_core.config import Settings
from lens_core.ingest.ingestor import ingest_records
from lens_core.runs.options import ProcessOptions
from lens_core.runs.pipeline import process
from lens_core.samples.generator import generate
from lens_core.storage.engine import open_engine
from tests.stage.test_llm_summaries import FakeLLM


@pytest.fixture
def fake() -> Iterator[FakeLLM]:
    server = FakeLLM()
    yield server
    server.server.shutdown()
    server.server.server_close()


def _processed(db_url: str, fake: FakeLLM, embedder: str) -> None:
    engine = open_engine(db_url)
    ingest_records(generate(150, seed=9)[0], engine=engine)
    settings = Settings(_env_file=None, database_url=db_url, openai_api_key="sk-test", openai_base_url=fake.url,
                        embedding_backend="hashing", embedding_model="fake-embed")
    process(engine=engine, settings=settings,
            options=ProcessOptions.of(view="intent", embedder=embedder, algorithm="kmeans", k=3))
    engine.dispose()


def test_lens_runs_names_what_was_sent_redacted(lens, db_url, fake) -> None:
    _processed(db_url, fake, "openai")
    code, out, _ = lens("runs")
    assert code == 0 and "sent: embeddings redacted" in out


def test_lens_runs_says_nothing_of_redaction_when_nothing_was_sent(lens, db_url, fake) -> None:
    _processed(db_url, fake, "hashing")
    code, out, _ = lens("runs")
    assert code == 0 and "sent:" not in out and not fake.embedded


def test_the_api_returns_the_runs_redaction_record(client, db_url, fake) -> None:
    _processed(db_url, fake, "openai")
    runs = client.get("/runs").json()
    assert runs[0]["parameters"]["redaction"] == {"embeddings": "redacted", "llm": "not used"}
