"""Fixtures of the surface tests that several files share."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator

import pytest
import streamlit.testing.v1.app_test as app_test_module
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

from lens_api import create_app
from lens_core import cli
from lens_core.config import Settings, get_settings
from lens_core.ingest.ingestor import ingest_records
from lens_core.runs.options import ProcessOptions
from lens_core.runs.pipeline import process
from lens_core.samples.generator import generate


@pytest.fixture
def lens(db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture):
    """Runs `lens ARGS...` as the console script does; returns (exit code, stdout, stderr)."""
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("EMBEDDING_BACKEND", "hashing")
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    monkeypatch.setenv("USER", "tester")
    get_settings.cache_clear()

    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["lens", *args])
        with pytest.raises(SystemExit) as stopped:
            cli.main()
        out = capsys.readouterr()
        return stopped.value.code, out.out, out.err

    yield run
    get_settings.cache_clear()


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings)
    with TestClient(app) as test_client:
        yield test_client
    app.state.context.close()


@pytest.fixture
def loaded(client: TestClient, settings: Settings) -> Engine:
    engine = client.app.state.context.engine
    ingest_records(generate(600, seed=3)[0], engine=engine)
    process(engine=engine, settings=settings, options=ProcessOptions.of(settings))
    return engine


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> Callable[[object], bytes]:
    """The bytes behind a download button: AppTest keeps them in an in-memory media store we record."""
    stores: list[MemoryMediaFileStorage] = []

    class Recording(MemoryMediaFileStorage):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)
            stores.append(self)

    monkeypatch.setattr(app_test_module, "MemoryMediaFileStorage", Recording)
    return lambda button: stores[-1].get_file(button.proto.url.rsplit("/", 1)[-1]).content


def mixed_pattern(engine: Engine) -> int:
    """Merges into the largest pattern another whose events state another status and are at least half as
    many: a pattern of two failure families, whose evidence suggests a split. Returns its id."""
    from lens_core.storage import tracking as store
    from lens_core.tracking import curation, queue

    summaries = queue.summaries(engine=engine)
    run_id = store.latest_tracked_run(engine=engine)
    statuses = store.run_events_frame(engine=engine, run_id=run_id).groupby("pattern_id")["status_code"].agg(
        lambda s: s.mode().iloc[0] if s.notna().any() else None)
    first, size = summaries[0].pattern_id, summaries[0].events
    other = next(s.pattern_id for s in summaries[1:]
                 if statuses.get(s.pattern_id) not in (None, statuses[first]) and s.events >= size / 2)
    curation.merge(engine=engine, into=first, others=[other])
    return first


def partly_fixed(engine: Engine, settings: Settings) -> tuple[int, str]:
    """A pattern resolved in release 2.0 whose largest error message stopped there while its others go on:
    600 sample events of release 1.0, a run, then a copy of each in 2.0 but for that message's, and a second
    run. Returns the pattern and the message that stopped."""
    from lens_core.storage import tracking as store
    from lens_core.tracking import curation

    events = [dict(e, release="1.0") for e in generate(600, seed=3)[0]]
    ingest_records(events, engine=engine)
    process(engine=engine, settings=settings, options=ProcessOptions.of(settings))
    frame = store.run_events_frame(engine=engine, run_id=store.latest_tracked_run(engine=engine))
    counts = frame.groupby(["pattern_id", "message_pattern"]).size()
    # the largest pattern of several messages whose largest one has enough events to stop beyond chance
    pattern = max((int(p) for p, per in counts.groupby(level=0) if len(per) >= 2 and per.max() >= 10),
                  key=lambda p: int(counts[p].sum()))
    stopped = str(counts[pattern].idxmax())
    message_of = dict(zip(frame["evaluation_id"], frame["message_pattern"]))
    ingest_records([dict(e, evaluation_id=f"{e['evaluation_id']}-2", release="2.0") for e in events
                    if message_of.get(e["evaluation_id"]) != stopped], engine=engine)
    process(engine=engine, settings=settings, options=ProcessOptions.of(settings))
    curation.resolve(engine=engine, pattern_id=pattern, release="2.0")
    return pattern, stopped
