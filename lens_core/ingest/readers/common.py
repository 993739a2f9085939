"""What every reader shares: the row items they yield and the columns a file must name."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lens_core.errors import InputError, RowError

Record = dict[str, Any]
RowItem = tuple[int, "Record | RowError"]

# An event needs an id and what the plugin returned; an error-only event (no prompt) is still a failure
# worth counting (lens_core.ingest.validate).
REQUIRED_COLUMNS = ("evaluation_id", "skill_output")


def check_columns(columns: Sequence[str], name: str) -> list[str]:
    """The required columns a file's header (or schema) lacks. Without evaluation_id no row can even be
    named, so the file is refused; without another required column each row is rejected, saying so."""
    missing = [column for column in REQUIRED_COLUMNS if column not in columns]
    if "evaluation_id" in missing:
        raise InputError(f"{name}: missing required column evaluation_id; found columns: {clip(', '.join(columns))}")
    repeated = sorted({column for column in columns if column and columns.count(column) > 1})
    if repeated:
        raise InputError(f"{name}: the header names column {', '.join(repeated)} more than once")
    return missing


def missing_column(missing: list[str], name: str, row: int) -> RowError:
    return RowError(f"required, and the file has no {missing[0]} column", source=name, row=row, field=missing[0])


def clip(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit] + "..."
