"""lens's one error tree. Every surface maps it once (API -> status, CLI -> one line, dashboard -> st.error).

    LensError                    anything lens itself reports to a user
    ├── ConfigError              a setting is missing or invalid
    ├── InputError               input that lens cannot take as a whole (missing file, unknown format)
    │   └── RowError             one row is invalid; carries where (file, row, field) and why
    ├── NotFoundError            a run, cluster, job or event that does not exist
    ├── StorageError             the database is unreachable or refused a write
    │   └── ReadOnlyError        the database may be read but not written (a write, or a migration, needed)
    ├── BusyError                too much work queued already; try again later
    ├── DependencyError          an optional package is not installed; names what to install
    ├── EmbeddingError           an embedding backend failed
    ├── ClusteringError          reduction or clustering could not run on the given data
    └── LLMError                 the LLM path failed (the offline summary is kept)

Messages are written for the person who hit them: what went wrong, where, and what to do.
"""

from __future__ import annotations


class LensError(Exception):
    """Base of every error lens raises on purpose."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(LensError):
    exit_code = 2


class InputError(LensError):
    exit_code = 2


class RowError(InputError):
    """One invalid row. `row` counts data rows from 1 (the header of a CSV is not a row)."""

    def __init__(self, reason: str, *, source: str = "", row: int | None = None, field: str | None = None) -> None:
        self.source = source
        self.row = row
        self.field = field
        self.reason = reason
        where = ", ".join(
            part
            for part in (
                source,
                f"row {row}" if row is not None else "",
                f"field {field}" if field else "",
            )
            if part
        )
        super().__init__(f"{where}: {reason}" if where else reason)


class NotFoundError(LensError):
    exit_code = 3


class StorageError(LensError):
    exit_code = 4


class ReadOnlyError(StorageError):
    """Says which database and why it is read-only (storage.read_only)."""


class BusyError(LensError):
    """The job queue is full; `retry_after_s` is a fair guess at when to ask again."""

    exit_code = 9

    def __init__(self, message: str, *, retry_after_s: int = 60) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class DependencyError(LensError):
    exit_code = 5

    def __init__(self, feature: str, package: str) -> None:
        super().__init__(f"{feature} needs the package '{package}': pip install {package}")
        self.package = package


class EmbeddingError(LensError):
    exit_code = 6


class ClusteringError(LensError):
    exit_code = 7


class LLMError(LensError):
    exit_code = 8
