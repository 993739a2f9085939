"""The bad-input corpus and what lens must make of each file, written once for every surface.

Each surface test (tests/surface/test_bad_input_{cli,api,dashboard}.py) turns what it shows into
`Issue`s and counts, and hands them to the checks here. The table in README.md mirrors CASES.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.engine import Engine

from tests.data.bad import make_big

HERE = Path(__file__).resolve().parent


class Reject(NamedTuple):
    """An expected rejection: the row, the field (None: the row as a whole) and a fragment of the reason."""

    row: int
    field: str | None
    text: str


class Issue(NamedTuple):
    """A rejection as a surface showed it."""

    file: str | None
    row: int | None
    field: str | None
    reason: str


@dataclass(frozen=True)
class Case:
    file: str
    problem: str
    accepted: int = 0
    duplicates: int = 0
    rejected: tuple[Reject, ...] = ()
    rejected_count: int | None = None  # when not every rejection is listed in `rejected`
    every: Reject | None = None  # a pattern every rejection matches (row ignored)
    file_error: str | None = None  # the whole file is refused with this message; nothing is stored
    stored: dict[str, dict[str, Any]] = field(default_factory=dict)  # evaluation_id -> column values
    batch: str | None = None  # POST /ingest/batch: "same" outcome, or a fragment of its 422; None: not JSON
    heavy: bool = False  # 100k rows: SQLite only, and the dashboard only where it stays fast

    @property
    def generated(self) -> bool:
        return self.file in make_big.GENERATORS

    @property
    def n_rejected(self) -> int:
        return len(self.rejected) if self.rejected_count is None else self.rejected_count

    def __str__(self) -> str:  # pytest ids
        return self.file



CASES: tuple[Case, ...] = (
    Case("truncated.json", "JSON array cut off inside its fourth event", accepted=3,
         rejected=(Reject(4, None, "the file ends inside this event (truncated?)"),), batch="JSON decode error"),
    Case("broken_line.jsonl", "line 3 of 5 is cut off; line 5 holds U+2028 inside a string", accepted=4,
         rejected=(Reject(3, None, "invalid JSON: Expecting value (line 1, column 96)"),),
         stored={"jl-5": {"customer_prompt": "a line separator\u2028inside a prompt"}}, batch="JSON decode error"),
    Case("multiline_quotes.csv", 'quoted values with newlines, commas and "" quotes; row 4 has no prompt '
         "(an error-only event, kept); row 5 has text after a closing quote", accepted=5,
         rejected=(Reject(5, None, "unreadable CSV (line 11): text after a closing quote"),),
         stored={"mq-1": {"customer_prompt": "Book a room,\nthen email Dana"},
                 "mq-2": {"ai_output": 'She said "no",\nthen left'},
                 "mq-4": {"customer_prompt": ""},
                 "mq-6": {"customer_prompt": 'multi\n\nline, with "quotes"'}}),
    Case("bom.csv", "UTF-8 with a byte-order mark (Excel's 'CSV UTF-8')", accepted=3,
         stored={"bom-1": {"customer_prompt": "Zoë wants the Q3 deck"}, "bom-2": {"customer_prompt": "日本語のメール"}}),
    Case("crlf.csv", "Windows line endings (CRLF), one inside a quoted value", accepted=3,
         stored={"crlf-1": {"ai_output": "Sorry, I couldn't schedule that."},
                 "crlf-2": {"customer_prompt": "two\r\nlines"}}),
    Case("utf16.csv", "UTF-16 little-endian with a BOM", accepted=3,
         stored={"u16-1": {"customer_prompt": "Müller's Termin in 東京"}}),
    Case("utf16_nobom.csv", "UTF-16 little-endian without a BOM", accepted=3,
         stored={"u16n-1": {"customer_prompt": "Ångström report"}}),
    Case("latin1.csv", "Latin-1 (ISO-8859-1) bytes, not UTF-8", accepted=3,
         stored={"l1-1": {"customer_prompt": "Réunion avec Müller au café"},
                 "l1-2": {"ai_output": "Lo siento, señor"}}),
    Case("semicolon.csv", "columns separated by ';' (European Excel)", accepted=2,
         stored={"sc-1": {"customer_prompt": "a, b and c"}}),
    Case("missing_columns.csv", "no skill_output column: every row is rejected, saying so",
         rejected=(Reject(1, "skill_output", "required, and the file has no skill_output column"),
                   Reject(2, "skill_output", "required, and the file has no skill_output column"))),
    Case("no_id_column.csv", "no evaluation_id column: no row can be named",
         file_error="no_id_column.csv: missing required column evaluation_id; "
                    "found columns: ref, customer_prompt, skill_output"),
    Case("short_rows.csv", "rows with fewer values than columns: row 2 lacks skill_output, row 3 only the "
         "optional tail", accepted=2, rejected=(Reject(2, "skill_output", "missing or empty"),),
         stored={"sr-3": {"ai_output": "", "skill_output": "HTTP 503 Service Unavailable"}}),
    Case("extra_columns.csv", "release and an extra column (kept as an attribute); row 3 has one value too many",
         accepted=2, rejected=(Reject(3, None, "10 values for 9 columns"),),
         stored={"ex-1": {"release": "2024.05.1", "attributes": {"client": "Outlook web"}}}),
    Case("duplicate_ids.jsonl", "evaluation_id dup-1 and dup-2 twice in one file", accepted=3, duplicates=2,
         stored={"dup-1": {"customer_prompt": "Schedule a sync with Dana #1 tomorrow"}}, batch="same"),
    Case("wrong_types.json", 'wrong JSON types: status_code "abc", a list, true, objects, a bare number',
         accepted=2,
         rejected=(Reject(2, "customer_prompt", "expected text, got a list"),
                   Reject(3, "evaluation_id", "expected text, got true/false"),
                   Reject(4, "ai_output", "expected text, got an object"),
                   Reject(5, "timestamp", "expected an ISO 8601 date-time, got a list"),
                   Reject(6, "user_id", "expected text, got an object"),
                   Reject(8, None, "expected an object"),
                   Reject(9, "skill_output", "expected an object or text, got a number"),
                   Reject(10, "customer_prompt", "expected text, got a number")),
         stored={"wt-1": {"status_code": None,
                          "skill_output": '{"status_code": "abc", "message": "Something failed"}'},
                 "wt-7": {"attributes": {"status_code": "abc"}}},
         batch="same"),
    Case("big_field.jsonl", "a 10,000,000-character skill_output (generated)", accepted=3,
         rejected=(Reject(2, "skill_output", "10,000,000 characters, over the limit of 1,000,000 (MAX_FIELD_CHARS)"),),
         batch="same"),
    Case("deep.json", "an event nested 10,000 levels deep; another holds such JSON as text (generated)",
         accepted=5, rejected=(Reject(2, None, "nested too deeply"),),
         stored={"deep-4": {"skill_output": make_big.nested(make_big.DEEP_LEVELS)}}, batch="nested too deeply"),
    Case("binary.csv", "a PNG image named .csv", file_error="binary.csv: binary content"),
    Case("spreadsheet.csv", "a ZIP (.xlsx) named .csv",
         file_error="spreadsheet.csv: this is a ZIP archive or an Excel .xlsx workbook"),
    Case("empty.csv", "zero bytes", file_error="empty.csv: the file is empty"),
    Case("header_only.csv", "a header and no rows",
         file_error="header_only.csv: the header names the columns but no data rows follow"),
    Case("nul_in_field.csv", "a NUL character inside row 2's prompt", accepted=2,
         rejected=(Reject(2, "customer_prompt", "contains a NUL character (\\x00) at character 6"),)),
    Case("unterminated_quote.csv", "row 3 opens a quote that never closes", accepted=4,
         rejected=(Reject(3, None, "(line 4): a quoted value opened on this line is not closed"),)),
    Case("tenth_bad.csv", "100,000 rows, every tenth without a skill_output (generated)", accepted=90_000,
         rejected=(Reject(10, "skill_output", "missing or empty"),
                   Reject(100_000, "skill_output", "missing or empty")),
         rejected_count=10_000, every=Reject(0, "skill_output", "missing or empty"), heavy=True),
)

BY_NAME = {case.file: case for case in CASES}


def path_of(case: Case, generated_dir: Path) -> Path:
    return generated_dir / case.file if case.generated else HERE / case.file


# -- checks every surface shares --------------------------------------------------------------------------


def check_report(case: Case, *, accepted: int, duplicates: int, issues: list[Issue], again: bool = False,
                 listed_all: bool = True) -> None:
    """Counts and rejections of one ingest; `again`: the same file a second time (nothing new)."""
    want_accepted, want_duplicates = (0, case.accepted + case.duplicates) if again else (case.accepted, case.duplicates)
    assert (accepted, duplicates) == (want_accepted, want_duplicates), (case.file, accepted, duplicates)
    if listed_all:
        assert len(issues) == case.n_rejected, (case.file, issues[:5])
    by_row = {issue.row: issue for issue in issues}
    for want in case.rejected:
        got = by_row.get(want.row)
        if got is None and not listed_all:
            continue  # a surface that lists only the first rejections
        assert got is not None, f"{case.file}: no rejection of row {want.row} in {issues[:5]}"
        assert got.field == want.field, (case.file, got)
        assert want.text in got.reason, (case.file, got)
    for issue in issues:
        assert issue.row is not None and issue.reason, (case.file, issue)
        assert issue.file in (None, case.file), (case.file, issue)
        if case.every:
            assert issue.field == case.every.field and case.every.text in issue.reason, issue


def check_stored(case: Case, engine: Engine) -> None:
    """What the database holds after the file: exactly the accepted rows, the listed values verbatim."""
    from lens_core.storage.models import TelemetryEventRow

    table = TelemetryEventRow.__table__
    with engine.connect() as conn:
        ids = conn.execute(select(table.c.evaluation_id)).scalars().all()
        assert len(ids) == case.accepted, (case.file, len(ids))
        for evaluation_id, columns in case.stored.items():
            row = conn.execute(select(table).where(table.c.evaluation_id == evaluation_id)).mappings().one()
            for column, value in columns.items():
                assert row[column] == value, (case.file, evaluation_id, column, row[column])
