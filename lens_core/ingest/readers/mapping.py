"""Which of a file's columns is which lens field: the analyst's `--map FIELD=COLUMN` pairs, and a guess
from common names for the fields a file lacks.

Applied by the readers to the header (CSV, Parquet) or to the first event's keys (JSON, JSON Lines), so
every format and compression gets it, and before `check_columns`: a file whose id column is `EvaluationId`
is read, not refused. Every problem (an unknown field, a column the file does not have, one column for two
fields) refuses the file before anything is stored, naming the file's columns. Unmapped columns stay
attributes, as before.

A guess is made only where the file has no column of the field's own name, nothing was mapped to it, and
exactly one column's name matches (case and separators ignored): two candidates are a question for the
analyst, not for lens. Every guess is reported in `notes`.

A field mapped to None is left empty (the Upload page's "(none)"): a column of the field's own name is not
read at all, neither as the field nor as an attribute, unless it is mapped to another field; nothing is
guessed for it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence

from lens_core.errors import InputError, RowError
from lens_core.ingest.readers.common import REQUIRED_COLUMNS, Record, RowItem, clip
from lens_core.schema import KNOWN_FIELDS

LENS_FIELDS: tuple[str, ...] = tuple(KNOWN_FIELDS)

# Names, normalised (lower case, letters and digits only), that mean a field in exports seen in practice.
_GUESSES: dict[str, tuple[str, ...]] = {
    "evaluation_id": ("evaluationid", "evalid", "id"),
    "customer_prompt": ("customerprompt", "prompt", "userprompt", "query"),
    "skill_input": ("skillinput", "toolinput"),
    "skill_output": ("skilloutput", "error", "tooloutput"),
    "ai_output": ("aioutput", "response", "answer"),
    "timestamp": ("timestamp", "time", "createdat"),
    "user_id": ("userid", "user"),
    "tenant_id": ("tenantid", "tenant"),
    "release": ("release", "version"),
}


def _normal(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.lower())


def parse_pairs(pairs: Iterable[str], *, where: str = "--map") -> dict[str, str]:
    """`FIELD=COLUMN` pairs as {field: column}; InputError naming the bad pair (no lens field in it, no `=`,
    a field given twice). A pair written the other way round, `COLUMN=FIELD` (`Prompt=customer_prompt`), is
    read as meant when only its right side is a lens field: which side names the field is then plain."""
    chosen: dict[str, str] = {}
    for pair in pairs:
        field, sep, column = pair.partition("=")
        field, column = field.strip(), column.strip()
        if not sep or not field or not column:
            raise InputError(f"{where} {pair!r}: expected FIELD=COLUMN, such as customer_prompt=Prompt")
        if field not in LENS_FIELDS and column in LENS_FIELDS:
            field, column = column, field
        if field not in LENS_FIELDS:
            raise InputError(f"{where} {pair!r}: neither {field!r} nor {column!r} is a lens field; the fields are "
                             f"{', '.join(LENS_FIELDS)}")
        if field in chosen:
            raise InputError(f"{where}: {field} is mapped twice ({chosen[field]} and {column})")
        chosen[field] = column
    return chosen


class ColumnMap:
    """The explicit mapping (field -> column, or None: leave the field empty) and whether to guess; `notes`
    says what was applied, once a file's columns are known (one ColumnMap per file)."""

    def __init__(self, explicit: Mapping[str, str | None] | None = None, *, guess: bool = True) -> None:
        self.explicit = {field: column for field, column in (explicit or {}).items() if column is not None}
        self.empty = sorted(field for field, column in (explicit or {}).items() if column is None)
        self.guess = guess
        self.notes: list[str] = []
        self.renames: dict[str, str] = {}  # column -> field, once resolved
        self.dropped: set[str] = set()  # columns not read: those named as a field left empty
        self.columns: list[str] = []  # the file's own columns, once seen (even when they do not fit)

    def resolve(self, columns: Sequence[str], name: str) -> dict[str, str]:
        """column -> field for this file's columns; InputError if the mapping does not fit them."""
        self.columns = list(columns)
        listed = f"the file's columns: {clip(', '.join(columns))}"
        renames: dict[str, str] = {}
        for field, column in self.explicit.items():
            if field not in LENS_FIELDS:
                raise InputError(f"{name}: {field!r} is not a lens field; the fields are {', '.join(LENS_FIELDS)}")
            if column not in columns:
                raise InputError(f"{name}: mapping {field}={column}: the file has no column {column!r}; {listed}")
            if column in renames:
                raise InputError(f"{name}: column {column!r} is mapped to both {renames[column]} and {field}")
            if field in columns and field != column:
                raise InputError(f"{name}: mapping {field}={column}: the file already has a {field} column; "
                                 f"map that column to another name first or leave {field} unmapped")
            renames[column] = field
        self.notes = [f"mapped {c} -> {f}" for c, f in renames.items() if c != f]
        self._leave_empty(columns, renames, name)
        if self.guess:
            self._guess(columns, renames)
        self.renames = {c: f for c, f in renames.items() if c != f}
        return self.renames

    def _leave_empty(self, columns: Sequence[str], renames: dict[str, str], name: str) -> None:
        """Drops the column named as each field left empty, unless it is mapped to another field. Dropped
        whether or not these columns hold it: JSON events are mapped by the first one's keys."""
        for field in self.empty:
            if field not in LENS_FIELDS:
                raise InputError(f"{name}: {field!r} is not a lens field; the fields are {', '.join(LENS_FIELDS)}")
            if field in REQUIRED_COLUMNS:
                raise InputError(f"{name}: {field} is required: choose the column that holds it")
            if field not in renames:
                self.dropped.add(field)
                if field in columns:
                    self.notes.append(f"left {field} empty: the file's {field} column is not read")

    def _guess(self, columns: Sequence[str], renames: dict[str, str]) -> None:
        taken = set(renames) | set(LENS_FIELDS)
        for field, names in _GUESSES.items():
            if field in columns or field in renames.values() or field in self.empty:
                continue
            matches = [c for c in columns if c not in taken and _normal(c) in names]
            if len(matches) == 1:
                renames[matches[0]] = field
                taken.add(matches[0])
                self.notes.append(f"mapped {matches[0]} -> {field} (guessed)")

    def header(self, columns: Sequence[str], name: str) -> list[str | None]:
        """A header's columns with the mapped ones renamed to their fields, and None for those not read."""
        renames = self.resolve(columns, name)
        return [None if c in self.dropped else renames.get(c, c) for c in columns]

    def records(self, rows: Iterator[RowItem], name: str) -> Iterator[RowItem]:
        """Rows of a format without a header (JSON, JSON Lines): the first event's keys decide the
        mapping, which then renames every event's keys."""
        resolved = False
        for row, item in rows:
            if isinstance(item, RowError):
                yield row, item
                continue
            if not resolved:
                self.resolve(list(item), name)
                resolved = True
            yield row, self.rename(item)

    def rename(self, record: Record) -> Record:
        if self.dropped:
            record = {k: v for k, v in record.items() if k not in self.dropped}
        if not self.renames:
            return record
        return {self.renames.get(k, k): v for k, v in record.items()}
