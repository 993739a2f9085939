"""Engines for SQLite (the embedded default) and PostgreSQL, chosen by DATABASE_URL alone.

SQLite gets WAL (readers never block the writer), foreign keys and a busy timeout on every connection,
so several processes (CLI, API, dashboard) can share one file without "database is locked".
The tables come from Alembic migrations (storage.migrate), applied by init_db() on every start.
A database this process may not write (or one DATABASE_URL opens with `?mode=ro`) is opened read-only
and never migrated; its writes fail with a message saying so (storage.read_only).
"""

from __future__ import annotations

import logging
import sqlite3
import zlib
from typing import Any

import pandas as pd
from alembic.util import CommandError
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError, SQLAlchemyError
from sqlmodel import create_engine

from lens_core.errors import ConfigError, StorageError
from lens_core.storage import (
    migrate,
    models,  # noqa: F401  (registers the tables on SQLModel.metadata)
    read_only,
    tracking_tables,  # noqa: F401  (and the tracking layer's)
)
from lens_core.storage.bind import bind_rows

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 30_000


def normalise_url(url: str) -> str:
    """`postgresql://` means psycopg 3 here (the driver lens installs), as users write it in .env files."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for `url` with lens's per-dialect connection settings; tables are not created here."""
    try:
        parsed = make_url(normalise_url(url))
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise ConfigError(f"DATABASE_URL is not a database URL: {redact_url(url)!r}") from None
    backend = parsed.get_backend_name()
    try:
        if backend == "sqlite":
            return _sqlite_engine(parsed, echo)
        if backend == "postgresql":
            engine = create_engine(parsed, echo=echo, pool_pre_ping=True, pool_size=5, max_overflow=10)
            read_only.refuse_writes(engine, redact_url(url))
            return engine
    except NoSuchModuleError:  # postgresql+nodriver://
        raise ConfigError(f"DATABASE_URL: unknown database driver {parsed.drivername!r}") from None
    raise ConfigError(f"DATABASE_URL: unsupported database {backend!r}; use sqlite:/// or postgresql://")


def _sqlite_engine(parsed: URL, echo: bool) -> Engine:
    connect_args: dict[str, Any] = {"check_same_thread": False, "timeout": 30}
    database, asked = parsed.database or "", read_only.asked_in(parsed)
    why = None
    options: dict[str, Any] = {}
    if "uri" in parsed.query:  # the URL holds a SQLite URI of its own: its mode is the user's to set
        why = f"the database {database} is opened read-only (DATABASE_URL asks for mode=ro)" if asked else None
    elif migrate.sqlite_file(parsed):
        why = read_only.sqlite_reason(database, asked=asked)
        if why is not None:
            uri = read_only.sqlite_uri(database, why)
            options["creator"] = lambda: sqlite3.connect(uri, uri=True, **connect_args)
            parsed = read_only.without_request(parsed)
    engine = create_engine(parsed, echo=echo, connect_args=connect_args, **options)
    event.listen(engine, "connect", _sqlite_pragmas if why is None else _sqlite_read_only_pragmas)
    read_only.refuse_writes(engine, database)
    if why is not None:
        read_only.mark(engine, why)
    return engine


def _sqlite_read_only_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """What a reader needs; the journal mode is the writer's to set (a read-only connection cannot)."""
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    migrate.use_wal(cursor)
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def init_db(engine: Engine) -> str | None:
    """Bring the schema to the newest migration (see storage.migrate); returns what was done, None when
    it was current. Cheap then; safe to call on every start and from several processes at once.
    A read-only database is never migrated: one that is not current is a ReadOnlyError saying so."""
    found, newest = schema_revision(engine), migrate.head()
    why = _read_only_reason(engine)
    if why is not None and found != newest:
        raise read_only.schema_refusal(why, found, newest)
    if found == newest:
        return None
    try:
        return migrate.upgrade(engine)
    except (SQLAlchemyError, CommandError) as exc:
        if read_only.is_refusal(getattr(exc, "orig", None)):  # read-only, yet not found so at the start
            why = read_only.described(engine, redact_url(str(engine.url)))
            raise read_only.schema_refusal(why, found, newest) from None
        raise StorageError(f"could not migrate the lens tables: {_first_line(exc)}") from None


def _read_only_reason(engine: Engine) -> str | None:
    """SQLite's is known when its engine is made; a PostgreSQL session says whether it is read-only."""
    why = read_only.reason(engine)
    if why is None and engine.dialect.name == "postgresql":
        try:
            why = read_only.postgres_reason(engine, redact_url(str(engine.url)))
        except OperationalError as exc:
            raise StorageError(f"database {redact_url(str(engine.url))} is not reachable: {_first_line(exc)}") from None
        if why is not None:
            read_only.mark(engine, why)
    return why


def schema_revision(engine: Engine) -> str | None:
    """The migration the database is at (None: no lens schema yet), without changing anything."""
    try:
        return migrate.current_revision(engine)
    except OperationalError as exc:
        raise StorageError(f"database {redact_url(str(engine.url))} is not reachable: {_first_line(exc)}") from None


def open_engine(url: str) -> Engine:
    """Engine plus tables: what every entry point needs."""
    engine = make_engine(url)
    init_db(engine)
    return engine


def insert_frame(conn: Connection, table: Any, frame: pd.DataFrame) -> int:
    """insert_rows for a frame whose columns are the table's; NaN and NA are stored as NULL."""
    columns = list(frame.columns)
    values = zip(*(frame[c].astype(object).where(frame[c].notna(), None).tolist() for c in columns), strict=True)
    return insert_rows(conn, table, columns, list(values))


def insert_rows(
    conn: Connection, table: Any, columns: list[str], rows: list[tuple[Any, ...]], *,
    skip_conflicts_on: str | tuple[str, ...] | None = None, likely_new: bool = False, bound: bool = False,
    batch: int = 20_000,
) -> int:
    """INSERT rows (tuples in `columns` order) in bulk; returns how many went in.

    The bulk writes (an ingest's events, a run's assignments) go this way, as plain driver executemany
    (SQLite) or COPY (PostgreSQL): SQLAlchemy's per-row parameter handling, and psycopg parsing the
    multi-row statements SQLAlchemy renders, cost more than the database's own work. Values pass through
    each column type's own bind processor (SQLite's date-time text, JSON), so they are stored exactly as
    SQLAlchemy stores them elsewhere.
    skip_conflicts_on: a unique column (or the columns of a unique key); rows whose key is already stored
    are skipped (ON CONFLICT DO NOTHING) and not counted.
    likely_new: the caller has just looked the keys up and kept only new ones (ingest does). PostgreSQL
    then COPYs the rows straight into the table, and only if another writer stored one of the keys
    meanwhile does it take the slower way that skips them.
    bound: the rows already went through bind_rows for this dialect (ingest's workers do that).
    """
    if not rows:
        return 0
    dialect = conn.dialect
    if not bound:
        rows = bind_rows(dialect, table, columns, rows)
    prepare = dialect.identifier_preparer
    key = None
    if skip_conflicts_on:
        names = (skip_conflicts_on,) if isinstance(skip_conflicts_on, str) else skip_conflicts_on
        key = ", ".join(map(prepare.quote, names))
    if dialect.name == "postgresql":
        try:
            return _copy_rows(conn, table, columns, rows, key, likely_new)
        except Exception as exc:  # COPY goes through the driver itself, past the engine's handle_error
            if read_only.is_refusal(exc):
                raise read_only.refusal(conn.engine, redact_url(str(conn.engine.url))) from None
            raise
    sql = (f"INSERT INTO {prepare.format_table(table)} ({', '.join(prepare.quote(c) for c in columns)}) "
           f"VALUES ({', '.join('?' * len(columns))})")
    if key:
        sql += f" ON CONFLICT ({key}) DO NOTHING"
    inserted = 0
    for start in range(0, len(rows), batch):
        inserted += conn.exec_driver_sql(sql, rows[start : start + batch]).rowcount
    return inserted


def _copy_rows(
    conn: Connection, table: Any, columns: list[str], rows: list[tuple[Any, ...]], key: str | None, likely_new: bool
) -> int:
    """PostgreSQL: COPY, several times faster than any INSERT. COPY cannot skip existing keys, so with a
    key (its quoted column names) the rows go to a session-private staging table first and on with one
    INSERT ... SELECT, in key order (concurrent writers meet shared keys in one order, never in a deadlock).
    Rows likely new are first COPYed straight in, under a savepoint that a stored key rolls back."""
    import psycopg

    prepare = conn.dialect.identifier_preparer
    target = prepare.format_table(table)
    names = ", ".join(prepare.quote(c) for c in columns)
    driver = conn.connection.driver_connection
    with driver.cursor() as cursor:
        if key is None:
            _copy(cursor, f"{target} ({names})", rows)
            return len(rows)
        if likely_new:
            try:
                with driver.transaction():  # inside the caller's transaction: a savepoint
                    _copy(cursor, f"{target} ({names})", rows)
                return len(rows)
            except psycopg.errors.UniqueViolation:
                pass  # another writer stored some of these keys meanwhile: skip them the slower way
        staging = prepare.quote(f"lens_staging_{table.name}_{zlib.crc32(names.encode()):08x}")  # per column set
        cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {staging} ON COMMIT DELETE ROWS "
                       f"AS SELECT {names} FROM {target} WITH NO DATA")
        _copy(cursor, f"{staging} ({names})", rows)
        cursor.execute(f"INSERT INTO {target} ({names}) SELECT {names} FROM {staging} ORDER BY {key} "
                       f"ON CONFLICT ({key}) DO NOTHING")
        inserted = cursor.rowcount
        cursor.execute(f"TRUNCATE {staging}")  # emptied at commit too; this keeps a second call apart
        return inserted


def _copy(cursor: Any, into: str, rows: list[tuple[Any, ...]]) -> None:
    with cursor.copy(f"COPY {into} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def redact_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    try:
        return make_url(normalise_url(url)).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return "<invalid url>"


def _first_line(exc: Exception) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__
