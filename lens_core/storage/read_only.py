"""Databases lens may read but not write: opened read-only, never migrated, and every write refused with a
message that names the database and says why it is read-only.

SQLite is read-only when DATABASE_URL asks for it (`sqlite:///lens.db?mode=ro`), or when this process may
not write the file, or the folder that holds it (SQLite writes its -wal and -shm files beside the database:
with a read-only folder it can write nothing, even to a writable file). It is then opened through
SQLite's `mode=ro`. A WAL database read through `mode=ro` still needs its -shm file: when the folder is
read-only and no -shm can be made there, it is opened `immutable=1` (no locks, no -shm), which is right
only while nobody writes the file, as nobody who runs lens with these permissions can. If the folder is
read-only and the last writes still wait in a -wal file that has no -shm beside it, SQLite cannot read
them: that is an error that says so, rather than a read of an older state.

PostgreSQL is read-only when its session is (`default_transaction_read_only` for the role or database,
`?options=-c%20default_transaction_read_only%3Don` in DATABASE_URL, or a standby server): found at start.

Either way, a schema that is not current is not migrated (init_db says who can), and a write that reaches
the database anyway (the role changed, a file lost its permissions) becomes a ReadOnlyError, not a traceback.
"""

from __future__ import annotations

import os
import weakref
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import event, text
from sqlalchemy.engine import URL, Engine

from lens_core.errors import ReadOnlyError

ASKED = "mode"  # DATABASE_URL's query key for SQLite (SQLite's own URI parameter): ?mode=ro
READ_ONLY_SQLSTATE = "25006"  # PostgreSQL: read_only_sql_transaction
SQLITE_READONLY = 8  # SQLite's primary result code for every "attempt to write a readonly database"

_reasons: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()


def reason(engine: Engine) -> str | None:
    """Why `engine`'s database is read-only ("the database file ... is read-only"); None when it is not."""
    return _reasons.get(engine)


def mark(engine: Engine, why: str) -> None:
    _reasons[engine] = why


def asked_in(url: URL) -> bool:
    return url.query.get(ASKED) == "ro"


def without_request(url: URL) -> URL:
    """The URL without `mode=ro` (lens's to act on; the driver would only warn that it ignores it)."""
    return url.difference_update_query([ASKED]) if asked_in(url) else url


def sqlite_reason(database: str, *, asked: bool) -> str | None:
    """Why the SQLite file `database` is to be opened read-only; None when this process may write it."""
    path = Path(database)
    folder = path.parent.resolve()
    if asked:
        return f"the database {path} is opened read-only (DATABASE_URL asks for mode=ro)"
    if path.exists() and not os.access(path, os.W_OK):
        return f"the database file {path} is read-only (this process may not write it)"
    if not os.access(folder, os.W_OK):
        return (f"the folder {folder} that holds the database {path.name} is read-only (SQLite writes its "
                "-wal and -shm files beside the database)")
    return None


def sqlite_uri(database: str, why: str) -> str:
    """The SQLite URI that opens `database` read-only (see the module's docstring for immutable)."""
    path = Path(database).resolve()
    if not path.exists():
        raise ReadOnlyError(f"{why}, and there is no database at {path} to read (nothing is created read-only)")
    uri = f"file:{quote(str(path))}?mode=ro"
    if os.access(path.parent, os.W_OK):
        return uri
    wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
    if wal.exists() and wal.stat().st_size > 0:
        if shm.exists():
            return uri  # SQLite reads the WAL through the -shm that is there
        raise ReadOnlyError(
            f"{why}, and its last writes are still in {wal.name}, which SQLite can only read with a {shm.name} "
            "file beside it: open it once as someone who may write that folder (any lens command), or copy the "
            "database to a writable folder")
    return uri + "&immutable=1"


def postgres_reason(engine: Engine, name: str) -> str | None:
    """Whether a session on `engine` is read-only (the role's or database's default, or a standby)."""
    with engine.connect() as conn:
        if conn.execute(text("SHOW transaction_read_only")).scalar_one() != "on":
            return None
    return (f"the database {name} is read-only for this connection (default_transaction_read_only, or a "
            "standby server)")


def refuse_writes(engine: Engine, name: str) -> None:
    """A write the database refuses as read-only raises ReadOnlyError naming it, whatever opened it."""

    @event.listens_for(engine, "handle_error")
    def _refused(context: Any) -> None:
        if is_refusal(context.original_exception):
            raise refusal(context.engine, name) from None


def is_refusal(exc: BaseException | None) -> bool:
    """The driver's error for a write to a read-only database (sqlite3 or psycopg)."""
    if getattr(exc, "sqlstate", None) == READ_ONLY_SQLSTATE:
        return True
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == SQLITE_READONLY


def described(engine: Engine | None, name: str) -> str:
    """Why the database is read-only, as far as is known: the reason found at the start, or that it is."""
    return (reason(engine) if engine is not None else None) or f"the database {name} is read-only"


def refusal(engine: Engine | None, name: str) -> ReadOnlyError:
    why = described(engine, name)
    return ReadOnlyError(f"{why}: lens can read it but not write to it (ingest, runs, labels and jobs need a "
                         "database it may write)")


def schema_refusal(why: str, found: str | None, newest: str) -> ReadOnlyError:
    at = f"at revision {found}" if found else "without lens's tables"
    return ReadOnlyError(f"{why}, and its schema is {at} while this lens needs revision {newest}: it needs "
                         "migrating (lens db upgrade) by someone who may write it")
