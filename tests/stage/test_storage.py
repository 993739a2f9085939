"""Storage on SQLite and PostgreSQL: connection settings, the embedding cache, runs and annotations."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from sqlalchemy import text

from lens_core.embed.cache import embed_cached
from lens_core.errors import ConfigError, NotFoundError, StorageError
from lens_core.storage import queries
from lens_core.storage.engine import make_engine, open_engine, redact_url
from lens_core.storage.models import PipelineRun, Reduction


class CountingEmbedder:
    """A real (hashing) embedder that counts the texts it is asked to embed."""

    name, model, dim = "counting", "counting-test-model", 8

    def __init__(self) -> None:
        self.calls: list[str] = []

    def embed(self, texts, *, progress=None):
        self.calls.extend(texts)
        rng = [np.random.default_rng(zlib.crc32(t.encode())).standard_normal(self.dim) for t in texts]
        vectors = np.array(rng, dtype=np.float32).reshape(len(texts), self.dim)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_sqlite_connections_get_wal_foreign_keys_and_busy_timeout(sqlite_engine) -> None:
    with sqlite_engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar_one() == 30000


def test_embeddings_are_computed_once_per_model_and_text(engine) -> None:
    embedder = CountingEmbedder()
    texts = ["alpha", "beta", "gamma"]
    hashes = [f"{i:064x}" for i in range(3)]
    first, new_first = embed_cached(texts, hashes, embedder=embedder, engine=engine)
    second, new_second = embed_cached(texts, hashes, embedder=embedder, engine=engine)
    assert (new_first, new_second) == (3, 0)
    assert embedder.calls == texts
    np.testing.assert_array_equal(first, second)
    assert second.dtype == np.float32 and second.shape == (3, 8)
    # A new text costs one call; the others still come from the store.
    more, new_more = embed_cached(texts + ["delta"], hashes + [f"{9:064x}"], embedder=embedder, engine=engine)
    assert new_more == 1 and embedder.calls[-1] == "delta" and more.shape == (4, 8)


def test_run_lifecycle_and_latest_completed_run(engine) -> None:
    done = queries.create_run(engine=engine, run=PipelineRun(algorithm="hdbscan", view="error", embedder="hashing"))
    queries.mark_finished(engine=engine, run_id=done.id, status="completed", n_events=5, timings={"load": 0.1})
    queries.create_run(engine=engine, run=PipelineRun(algorithm="kmeans", view="error", embedder="hashing"))
    latest = queries.latest_run(engine=engine)
    assert latest.id == done.id and latest.timings == {"load": 0.1} and latest.finished_at is not None
    assert [r.status for r in queries.list_runs(engine=engine)] == ["running", "completed"]
    with pytest.raises(NotFoundError, match="run 999 does not exist"):
        queries.get_run(engine=engine, run_id=999)


def test_unknown_cluster_is_not_found(engine) -> None:
    run = queries.create_run(engine=engine, run=PipelineRun(algorithm="hdbscan", view="error", embedder="hashing"))
    with pytest.raises(NotFoundError, match="cluster 3 does not exist in run"):
        queries.get_cluster(engine=engine, run_id=run.id, label=3)


def test_bad_database_urls_are_clear(tmp_path) -> None:
    with pytest.raises(ConfigError, match="unsupported database"):
        make_engine("mysql://root@localhost/x")
    with pytest.raises(ConfigError, match="not a database URL"):
        make_engine("not a url")
    with pytest.raises(StorageError, match="not reachable"):
        open_engine("postgresql://lens:secret@127.0.0.1:1/nowhere")


def test_passwords_never_appear_in_messages() -> None:
    assert "secret" not in redact_url("postgresql://lens:secret@db/lens")
    try:
        open_engine("postgresql://lens:secret@127.0.0.1:1/nowhere")
    except StorageError as exc:
        assert "secret" not in str(exc)


def _events(start: int, n: int) -> list[dict]:
    return [{"evaluation_id": f"e-{i}", "customer_prompt": f"prompt {i}", "skill_output": "HTTP 503 Service Unavailable",
             "timestamp": "2024-05-01T10:00:00+02:00", "region": "eu"} for i in range(start, start + n)]


def test_the_events_frame_is_kept_until_the_events_change(engine) -> None:
    from lens_core.ingest.ingestor import ingest_records

    ingest_records(_events(0, 5), engine=engine)
    first = queries.load_events_frame(engine=engine)
    first["label"] = 1  # a caller's change stays in its own copy
    first.loc[0, "customer_prompt"] = "changed"
    again = queries.load_events_frame(engine=engine)
    assert "label" not in again and again.loc[0, "customer_prompt"] == "prompt 0"
    assert str(again.loc[0, "timestamp"]) == "2024-05-01 08:00:00+00:00"

    ingest_records(_events(5, 3), engine=engine)  # new events: read again
    assert queries.load_events_frame(engine=engine)["evaluation_id"].tolist() == [f"e-{i}" for i in range(8)]
    light = queries.load_events_frame(engine=engine, columns=("id", "user_id"))  # kept per column set
    assert list(light.columns) == ["id", "user_id", "message_template"] and len(light) == 8


def test_bulk_inserts_store_what_sqlalchemy_stores_and_skip_existing_keys(engine) -> None:
    from lens_core.ingest.ingestor import ingest_records

    report = ingest_records(_events(0, 3) + _events(1, 1), engine=engine)
    assert (report.accepted, report.duplicates) == (3, 1)
    frame = queries.load_events_frame(engine=engine, columns=("evaluation_id", "timestamp", "attributes"))
    assert frame["attributes"].tolist() == [{"region": "eu"}] * 3  # JSON through the column's own processor
    assert frame["timestamp"].dt.tz is not None and frame["timestamp"].iloc[0].hour == 8


def test_a_vector_stored_meanwhile_is_kept_and_a_reduction_stored_twice_is_one_row(engine) -> None:
    # Another process may store the same (model, text_hash) or the same reduction key between our read
    # and our write: the first write stands, the second skips it without an error.
    first = {"a" * 64: np.ones(4, dtype=np.float32)}
    queries.store_vectors(engine=engine, model="m", vectors=first)
    queries.store_vectors(engine=engine, model="m", vectors={"a" * 64: np.zeros(4, dtype=np.float32),
                                                             "b" * 64: np.full(4, 2, dtype=np.float32)})
    queries.store_vectors(engine=engine, model="other", vectors={"a" * 64: np.zeros(4, dtype=np.float32)})
    found = queries.cached_vectors(engine=engine, model="m", hashes=["a" * 64, "b" * 64])
    np.testing.assert_array_equal(found["a" * 64], np.ones(4, dtype=np.float32))
    np.testing.assert_array_equal(found["b" * 64], np.full(4, 2, dtype=np.float32))
    assert queries.cached_vectors(engine=engine, model="other", hashes=["a" * 64])["a" * 64].sum() == 0

    def reduction(first_value: float) -> Reduction:
        vectors = np.full((1, 2), first_value, dtype=np.float32).tobytes()
        return Reduction(key="k" * 64, n_components=2, params={"n_neighbors": 15}, n_points=1,
                         text_hashes=b"\x01" * 32, vectors=vectors)

    stored = queries.store_reduction(engine=engine, reduction=reduction(1.0))
    again = queries.store_reduction(engine=engine, reduction=reduction(5.0))
    assert again.id == stored.id and again.vectors == stored.vectors and again.params == {"n_neighbors": 15}


def test_rows_thought_new_still_skip_a_key_another_writer_stored_meanwhile(engine) -> None:
    # Ingest looks keys up, then inserts with likely_new: PostgreSQL COPYs straight in, and a key stored
    # in between (another ingest) must make it fall back to skipping that key, not fail the chunk.
    from lens_core.storage.engine import insert_rows
    from lens_core.storage.models import FailureFingerprint, utcnow

    table = FailureFingerprint.__table__
    columns = ["hash", "version", "message_template", "created_at"]
    now = utcnow()
    with engine.begin() as conn:
        assert insert_rows(conn, table, columns, [("b", "fp2", "stored meanwhile", now)], skip_conflicts_on="hash",
                           likely_new=True) == 1
    rows = [("a", "fp2", "new", now), ("b", "fp2", "would replace", now), ("c", "fp2", "new", now)]
    with engine.begin() as conn:
        assert insert_rows(conn, table, columns, rows, skip_conflicts_on="hash", likely_new=True) == 2
        assert conn.execute(text("SELECT 1")).scalar() == 1  # the transaction is still usable
    with engine.connect() as conn:
        stored = dict(conn.execute(text("SELECT hash, message_template FROM failure_fingerprints")).all())
    assert stored == {"a": "new", "b": "stored meanwhile", "c": "new"}
