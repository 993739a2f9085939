"""Schema migrations on SQLite and PostgreSQL: old databases are upgraded with every row kept, databases
made before migrations are adopted, concurrent starts migrate once, and models cannot drift from them."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import ForeignKeyConstraint, MetaData, inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from lens_core.errors import StorageError
from lens_core.storage import migrate, queries
from lens_core.storage.engine import init_db, make_engine, open_engine
from lens_core.storage.models import PipelineRun
from tests.conftest import ROOT

NEW_RUN_COLUMNS = {"owner", "heartbeat_at", "stage"}
# One row for each table, as revision 0001 stored them; ids are the database's own.
LONG_AGO = "2025-01-02 03:04:05"
ROWS_0001: list[tuple[str, dict[str, object]]] = [
    ("failure_fingerprints", {"hash": "f" * 64, "version": "v1", "plugin": "graph", "status_code": 503,
                              "message_template": "service <num> unavailable", "created_at": LONG_AGO}),
    ("telemetry_events", {"evaluation_id": "ev-1", "customer_prompt": "book a room", "skill_input": "{}",
                          "skill_output": "503 unavailable", "ai_output": "sorry", "timestamp": LONG_AGO,
                          "user_id": "u1", "attributes": '{"region": "eu"}', "error_form": "text",
                          "fingerprint": "f" * 64, "ingested_at": LONG_AGO}),
    ("embeddings", {"model": "hashing-v1-384", "text_hash": "a" * 64, "dim": 2, "vector": b"\x00\x00\x80?" * 2,
                    "created_at": LONG_AGO}),
    ("reductions", {"key": "k" * 64, "n_components": 2, "params": '{"n_neighbors": 15}', "n_points": 1,
                    "text_hashes": b"\x01" * 32, "vectors": b"\x00" * 8, "seconds": 0.5, "created_at": LONG_AGO}),
    ("pipeline_runs", {"status": "completed", "algorithm": "hdbscan", "view": "error", "embedder": "hashing",
                       "embedding_model": "hashing-v1-384", "parameters": "{}", "versions": "{}",
                       "counts": '{"events": 1}', "timings": '{"load": 0.1}', "notes": "[]", "n_events": 1,
                       "n_clusters": 1, "reduction_id": "@reductions", "created_at": LONG_AGO,
                       "finished_at": LONG_AGO}),
    # A run an old lens was killed in: it has no owner or heartbeat, only its age.
    ("pipeline_runs", {"status": "running", "algorithm": "kmeans", "view": "intent", "embedder": "hashing",
                       "embedding_model": "hashing-v1-384", "parameters": "{}", "versions": "{}", "counts": "{}",
                       "timings": "{}", "notes": "[]", "n_events": 0, "n_clusters": 0, "created_at": LONG_AGO}),
    ("clusters", {"run_id": "@pipeline_runs", "label": 0, "size": 1, "share": 1.0, "summary": "graph 503",
                  "root_cause": "outage", "suggested_fix": "retry", "severity": "high", "evidence": "{}",
                  "analyst_label": "outage"}),
    ("cluster_assignments", {"run_id": "@pipeline_runs", "event_id": "@telemetry_events", "label": 0,
                             "probability": 0.9, "map_x": 1.5, "map_y": -2.0}),
    ("cluster_summaries", {"cluster_id": "@clusters", "source": "offline", "model": "", "prompt_version": "",
                           "prompt_hash": "", "summary": "graph 503", "root_cause": "outage", "suggested_fix": "",
                           "severity": "high", "evidence": "{}", "input_tokens": 0, "output_tokens": 0,
                           "created_at": LONG_AGO}),
    ("pipeline_jobs", {"state": "completed", "progress": 1.0, "options": "{}", "run_id": "@pipeline_runs",
                       "owner": "elsewhere:1", "created_at": LONG_AGO, "updated_at": LONG_AGO}),
]


def upgrade_to(engine: Engine, revision: str) -> None:
    with engine.begin() as conn:
        command.upgrade(migrate.alembic_config(conn), revision)


def insert_rows(engine: Engine) -> None:
    """Plain SQL, as revision 0001's tables are (no model knows them any more); "@table" is that table's id."""
    with engine.begin() as conn:
        for table, row in ROWS_0001:
            values = {
                key: conn.execute(text(f"SELECT min(id) FROM {value[1:]}")).scalar_one()
                if isinstance(value, str) and value.startswith("@") else value
                for key, value in row.items()
            }
            names = ", ".join(values)
            conn.execute(text(f"INSERT INTO {table} ({names}) VALUES ({', '.join(':' + k for k in values)})"), values)


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in dict(ROWS_0001)}


def drift(engine: Engine) -> list:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
        return compare_metadata(context, SQLModel.metadata)


@pytest.fixture
def engine_0001(db_url: str) -> Iterator[Engine]:
    """A database built by revision 0001 only, with a row in every table."""
    engine = make_engine(db_url)
    upgrade_to(engine, "0001")
    insert_rows(engine)
    yield engine
    engine.dispose()


def test_a_0001_database_is_upgraded_with_every_row_kept(engine_0001: Engine) -> None:
    before = counts(engine_0001)
    assert set(before.values()) == {1, 2} and before["pipeline_runs"] == 2
    assert migrate.current_revision(engine_0001) == "0001"

    assert init_db(engine_0001) == f"0001 -> {migrate.head()}"

    assert migrate.current_revision(engine_0001) == migrate.head()
    assert counts(engine_0001) == before
    columns = {c["name"] for c in inspect(engine_0001).get_columns("pipeline_runs")}
    assert NEW_RUN_COLUMNS <= columns
    event = queries.load_events_frame(engine=engine_0001).iloc[0]
    assert (event["evaluation_id"], event["message_template"]) == ("ev-1", "service <num> unavailable")
    vector = queries.cached_vectors(engine=engine_0001, model="hashing-v1-384", hashes=["a" * 64])["a" * 64]
    assert vector.tolist() == [1.0, 1.0]
    done = queries.latest_run(engine=engine_0001)
    assert (done.status, done.owner, done.heartbeat_at, done.counts) == ("completed", "", None, {"events": 1})
    cluster = queries.get_cluster(engine=engine_0001, run_id=done.id, label=0)
    assert cluster.analyst_label == "outage"
    assert queries.summaries_of_cluster(engine=engine_0001, cluster_id=cluster.id)[0].root_cause == "outage"
    assert queries.assignments_frame(engine=engine_0001, run_id=done.id)["map_x"].tolist() == [1.5]
    # The run an old lens was killed in is failed at the first read: it is long past any heartbeat.
    killed = queries.list_runs(engine=engine_0001)[0]
    assert killed.status == "failed" and "stopped (killed or crashed) during an unknown stage" in killed.error
    # New rows get ids after the old ones (PostgreSQL sequences were kept) and the schema is the models'.
    queries.create_run(engine=engine_0001, run=PipelineRun(algorithm="kmeans", view="error", embedder="x"))
    assert drift(engine_0001) == []
    assert inspect(engine_0001).get_foreign_keys("cluster_assignments") == []  # 0003: written in bulk, unchecked
    assert init_db(engine_0001) is None  # current: nothing to do


def test_0006_takes_each_events_release_from_its_attributes(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade_to(engine, "0005")
    insert_rows(engine)  # ev-1: attributes {"region": "eu"}, no release
    event = dict(ROWS_0001)["telemetry_events"]
    attributes = {"ev-2": {"release": "2024.05.1"}, "ev-3": {"release": "  2024.06.0 ", "client": "teams"},
                  "ev-4": {"release": 2024.5}, "ev-5": {"release": ""}, "ev-6": {"release": "x" * 101},
                  "ev-7": {"release": ["not", "text"]}}
    with engine.begin() as conn:
        for evaluation_id, attrs in attributes.items():
            values = event | {"evaluation_id": evaluation_id, "attributes": json.dumps(attrs)}
            conn.execute(text(f"INSERT INTO telemetry_events ({', '.join(values)}) "
                              f"VALUES ({', '.join(':' + k for k in values)})"), values)

    upgrade_to(engine, "0006")

    with engine.connect() as conn:
        rows = conn.execute(text("SELECT evaluation_id, release, attributes FROM telemetry_events")).all()
    got = {evaluation_id: release for evaluation_id, release, _ in rows}
    assert got == {"ev-1": None, "ev-2": "2024.05.1", "ev-3": "2024.06.0", "ev-4": "2024.5", "ev-5": None,
                   "ev-6": None, "ev-7": None}
    kept = {evaluation_id: attrs if isinstance(attrs, dict) else json.loads(attrs) for evaluation_id, _, attrs in rows}
    assert kept["ev-3"] == {"release": "  2024.06.0 ", "client": "teams"}  # the attribute is left as it was
    assert "ix_telemetry_events_release" in {i["name"] for i in inspect(engine).get_indexes("telemetry_events")}
    upgrade_to(engine, "head")
    assert drift(engine) == []
    with engine.begin() as conn:
        command.downgrade(migrate.alembic_config(conn), "0005")
    assert "release" not in {c["name"] for c in inspect(engine).get_columns("telemetry_events")}
    engine.dispose()


def legacy_metadata() -> MetaData:
    """The tables as the lens before migrations made them with create_all: today's models less revisions
    0002 (run columns), 0003 (assignments without foreign keys), 0004 (message patterns), 0005 (the
    tracking layer), 0006 (events' release), 0007 (what `lens watch` saw), 0008 (saved column mappings) and 0009 (fingerprints
    a run held in curated patterns)."""
    legacy = MetaData()
    later = {"message_patterns", "patterns", "run_patterns", "pattern_rules", "pattern_lineage", "pattern_watch",
             "column_mappings", "run_held_keys"}
    for table in SQLModel.metadata.sorted_tables:
        if table.name not in later:
            table.to_metadata(legacy)
    fingerprints = legacy.tables["failure_fingerprints"]
    fingerprints._columns.remove(fingerprints.c["message_pattern"])
    fingerprints.indexes.clear()
    events = legacy.tables["telemetry_events"]
    events._columns.remove(events.c["release"])
    events.indexes.difference_update({i for i in events.indexes if i.name == "ix_telemetry_events_release"})
    runs = legacy.tables["pipeline_runs"]
    for name in NEW_RUN_COLUMNS:
        runs._columns.remove(runs.c[name])
    assignments = legacy.tables["cluster_assignments"]
    assignments._columns.remove(assignments.c["pattern_id"])
    assignments.indexes.difference_update({i for i in assignments.indexes if i.name.endswith("_run_pattern")})
    for column, referred in (("event_id", "telemetry_events"), ("run_id", "pipeline_runs")):
        assignments.append_constraint(ForeignKeyConstraint([column], [f"{referred}.id"], ondelete="CASCADE"))
    return legacy


@pytest.mark.parametrize("older", [False, True], ids=["create_all", "create_all-without-jobs"])
def test_a_database_made_before_migrations_is_adopted(db_url: str, older: bool) -> None:
    engine = make_engine(db_url)
    legacy = legacy_metadata()
    legacy.create_all(engine)
    insert_rows(engine)
    if older:  # the first lens had no pipeline_jobs table
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE pipeline_jobs"))
    assert migrate.current_revision(engine) is None

    assert init_db(engine) == f"0001 (adopted) -> {migrate.head()}"

    expected = {table: 1 for table in dict(ROWS_0001)} | {"pipeline_runs": 2}
    assert counts(engine) == expected | ({"pipeline_jobs": 0} if older else {})
    assert NEW_RUN_COLUMNS <= {c["name"] for c in inspect(engine).get_columns("pipeline_runs")}
    assert inspect(engine).get_foreign_keys("cluster_assignments") == []
    assert drift(engine) == []
    engine.dispose()


def test_an_empty_database_is_migrated_to_head_and_matches_the_models(db_url: str) -> None:
    engine = open_engine(db_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == migrate.head()
    assert drift(engine) == []
    engine.dispose()


def test_a_database_from_a_newer_lens_is_refused(db_url: str) -> None:
    engine = open_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(StorageError, match="revision 9999, which this lens does not know.*upgrade lens"):
        init_db(engine)
    engine.dispose()


def test_processes_starting_together_migrate_once(db_url: str, tmp_path: Path) -> None:
    """Four processes open one empty database at once, from a directory that is not the project's."""
    script = "import sys; from lens_core.storage.engine import open_engine; open_engine(sys.argv[1])"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING"}
    procs = [
        subprocess.Popen([sys.executable, "-c", script, db_url], cwd=tmp_path, env=env, stderr=subprocess.PIPE,
                         text=True)
        for _ in range(4)
    ]
    errors = [p.communicate(timeout=300)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], errors
    engine = make_engine(db_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [migrate.head()]
    assert drift(engine) == []
    engine.dispose()


def test_lens_db_commands(db_url: str, tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": db_url, "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING"}

    def lens(*args: str) -> str:
        result = subprocess.run([sys.executable, "-m", "lens_core.cli", *args], check=False, cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr
        return result.stdout

    assert "no lens schema yet" in lens("db", "current")
    assert f"migrated empty -> {migrate.head()}" in lens("db", "upgrade")
    assert "already current" in lens("db", "upgrade")
    assert f"revision {migrate.head()} (current)" in lens("db", "current")


def test_the_migrations_are_configured_in_code() -> None:
    config = migrate.alembic_config()
    assert config.config_file_name is None  # no alembic.ini is read
    assert Path(config.get_main_option("script_location")).is_absolute()  # any working directory
    assert migrate.scripts().get_heads() == [migrate.head()]  # one line of revisions
    assert migrate.scripts().get_revision("0002").down_revision == "0001"


def test_switching_a_new_database_to_wal_tries_again_while_sqlite_answers_locked(monkeypatch) -> None:
    # Two processes switching one new database to WAL: SQLite answers one "database is locked" at once
    # (its busy handler could deadlock); the other completes the switch, so trying again succeeds.
    monkeypatch.setattr(migrate.time, "sleep", lambda _s: None)

    class Cursor:
        def __init__(self, failures: int, message: str = "database is locked") -> None:
            self.failures, self.message, self.calls = failures, message, 0

        def execute(self, sql: str) -> None:
            assert sql == "PRAGMA journal_mode=WAL"
            self.calls += 1
            if self.calls <= self.failures:
                raise sqlite3.OperationalError(self.message)

    twice_locked = Cursor(failures=2)
    migrate.use_wal(twice_locked)
    assert twice_locked.calls == 3
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        migrate.use_wal(Cursor(failures=100))  # a lock that stays is still reported, after a few seconds
    other = Cursor(failures=1, message="disk I/O error")
    with pytest.raises(sqlite3.OperationalError, match="disk I/O"):
        migrate.use_wal(other)
    assert other.calls == 1  # any other error at once
