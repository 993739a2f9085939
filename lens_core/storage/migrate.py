"""Schema migrations (Alembic, shipped in lens_core/storage/migrations): every start brings the database to
the newest revision, once, even when several processes start together.

    upgrade(engine)           # what init_db() calls: None when the schema was already current
    current_revision(engine)  # the revision the database is at (None: no lens schema yet)

- already at head: one read of alembic_version and nothing else (CLI, API and dashboard call it on
  every start);
- an empty database: every revision, from 0001;
- a database made by the lens before migrations (its tables, no alembic_version): the 0001 tables it
  lacks are created, it is stamped at 0001, then upgraded;
- several processes at once: one migrates while holding a lock (PostgreSQL: a transaction-level
  advisory lock; SQLite: BEGIN IMMEDIATE), the others wait for it, then find the schema current.

Everything a migration does happens in one transaction (both databases have transactional DDL), so a
process killed midway leaves the previous schema, whole. Alembic is configured here in code: no
alembic.ini is read, and the working directory does not matter.
"""

from __future__ import annotations

import logging
import sqlite3
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util import CommandError
from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.pool import NullPool

from lens_core.errors import StorageError

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().with_name("migrations")
VERSION_TABLE = "alembic_version"
BASELINE = "0001"  # the schema of the lens that created its tables without migrations
# How long a process waits for another one's migration (SQLite busy timeout while it holds the lock).
MIGRATION_WAIT_S = 300


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration in code; with `connection`, env.py migrates through it (and its transaction)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@lru_cache(maxsize=1)
def scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head() -> str:
    revision = scripts().get_current_head()
    assert revision is not None  # versions/ ships with the package
    return revision


def revision_of(connection: Connection) -> str | None:
    """alembic_version's row, read directly: two cheap queries and none of Alembic's start-up logging."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    rows = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    if len(rows) > 1:
        raise StorageError(f"the database is at several schema revisions at once ({', '.join(rows)})")
    return rows[0] if rows else None


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return revision_of(conn)


def upgrade(engine: Engine) -> str | None:
    """Bring the schema to head; returns what was done ("0001 -> 0002"), or None when it was current."""
    target = head()
    if current_revision(engine) == target:
        return None
    with _migration_transaction(engine) as conn, _quiet_alembic():
        found = revision_of(conn)  # again, under the lock: another process may have just migrated
        if found == target:
            return None
        _check_known(found)
        config = alembic_config(conn)
        start = found
        if found is None and (tables := _lens_tables(conn)):
            _adopt(conn, config, tables)
            start = f"{BASELINE} (adopted)"
        command.upgrade(config, "head")
        _check_foreign_keys(conn)
    done = f"{start or 'empty'} -> {target}"
    log.info("database schema migrated: %s", done)
    return done


@contextmanager
def _quiet_alembic() -> Iterator[None]:
    """Alembic logs each step at INFO; lens logs one line per migration instead."""
    logger = logging.getLogger("alembic")
    level = logger.level
    logger.setLevel(max(level, logging.WARNING))
    try:
        yield
    finally:
        logger.setLevel(level)


def _check_known(found: str | None) -> None:
    if found is None:
        return
    try:
        known = scripts().get_revision(found)
    except (CommandError, RevisionError):  # an id none of lens's revisions has
        known = None
    if known is None:
        raise StorageError(
            f"the database schema is at revision {found}, which this lens does not know (its newest is "
            f"{head()}): it was migrated by a newer lens; upgrade lens"
        )


def _lens_tables(conn: Connection) -> set[str]:
    baseline = _baseline_tables()
    return {name for name in inspect(conn).get_table_names() if name in baseline}


def _baseline_tables() -> dict[str, Any]:
    script = scripts().get_revision(BASELINE)
    assert script is not None
    return script.module.TABLES


def _adopt(conn: Connection, config: Config, existing: set[str]) -> None:
    """A database from before migrations: add the 0001 tables it lacks (an older lens had fewer), stamp 0001."""
    missing = [name for name in _baseline_tables() if name not in existing]
    if missing:
        context = MigrationContext.configure(conn, opts={"render_as_batch": conn.dialect.name == "sqlite"})
        with Operations.context(context):
            for name in missing:
                _baseline_tables()[name]()
    log.info("adopting a database made before migrations (created %s); stamping %s", missing or "nothing", BASELINE)
    command.stamp(config, BASELINE)


def _check_foreign_keys(conn: Connection) -> None:
    """SQLite migrates with foreign keys off (rebuilt tables must not cascade): check nothing was broken."""
    if conn.dialect.name != "sqlite":
        return
    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise StorageError(f"migration left {len(broken)} rows with broken references, e.g. {tuple(broken[0])}")


# -- the lock, one function per dialect ----------------------------------------------------------------


@contextmanager
def _migration_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that only one process at a time can be in; committed when the block ends."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            _postgres_lock(conn)
            yield conn
        return
    if engine.dialect.name == "sqlite" and sqlite_file(engine.url):
        locking = _sqlite_locking_engine(engine.url)
        try:
            with locking.begin() as conn:
                yield conn
        finally:
            locking.dispose()
        return
    with engine.begin() as conn:  # an in-memory SQLite database: one process, one connection pool
        yield conn


def _postgres_lock(conn: Connection) -> None:
    postgres_xact_lock(conn, "lens-migrations")


def postgres_xact_lock(conn: Connection, purpose: str) -> None:
    """A transaction-level advisory lock per purpose and schema (tests share a database, one schema each),
    waited for, and released when the transaction ends."""
    schema = conn.execute(text("SELECT current_schema()")).scalar_one()
    key = zlib.crc32(f"{purpose}:{schema}".encode())
    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def sqlite_file(url: URL) -> bool:
    """A SQLite database in a file (not in memory)."""
    return bool(url.database) and url.database != ":memory:" and url.query.get("mode") != "memory"


def use_wal(cursor: Any) -> None:
    """PRAGMA journal_mode=WAL on a new SQLite connection, tried again while the database is locked.

    Processes that start together on a new database (in rollback-journal mode) all switch it to WAL:
    each holds a shared lock and wants the write lock, and SQLite answers one of them "database is
    locked" at once instead of calling its busy handler, which could wait forever (a deadlock). The
    other one completes the switch, so the next try finds WAL already set.
    """
    for attempt in range(_WAL_TRIES):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == _WAL_TRIES - 1:
                raise
            time.sleep(min(0.01 * 2**attempt, 0.5))


_WAL_TRIES = 12  # about 3 s in all


def _sqlite_locking_engine(url: URL) -> Engine:
    """Connections that begin with BEGIN IMMEDIATE (the write lock, waited for) and foreign keys off."""
    locking = create_engine(url, poolclass=NullPool, connect_args={"timeout": MIGRATION_WAIT_S})

    @event.listens_for(locking, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # the driver issues no BEGIN of its own; _begin does
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={MIGRATION_WAIT_S * 1000}")
        use_wal(cursor)
        cursor.execute("PRAGMA foreign_keys=OFF")
        cursor.close()

    @event.listens_for(locking, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return locking
