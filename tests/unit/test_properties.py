"""Property-based tests (hypothesis): arbitrary JSON values, text and bytes through the readers, row
validation, the parser, the fingerprinter and ingest_records.

What must hold for every input:
- the readers and row validation raise lens's own errors (InputError, RowError) and nothing else;
- the parser never raises, never falls back to its last-resort path, and gives fields every database can
  store (no NUL, valid UTF-8);
- ingest_records never raises on JSON input and accounts for every record (accepted + duplicates +
  rejected); what it stores is what validation accepted;
- fingerprints are a function of the input: the same input gives the same fingerprint, in any order.
Deterministic (derandomize=True) and bounded (max_examples), so the suite stays fast and repeatable.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.engine import Engine

from lens_core.errors import InputError, LensError, RowError
from lens_core.ingest.ingestor import ingest_records
from lens_core.ingest.readers import read_bytes
from lens_core.ingest.validate import text_problem, valid_id, validate_record
from lens_core.parse.fingerprint import Fingerprinter
from lens_core.parse.parsing import ErrorParser
from lens_core.schema import KNOWN_FIELDS, ParsedError, TelemetryEvent
from lens_core.storage.engine import open_engine
from lens_core.storage.models import TelemetryEventRow

FAST = settings(derandomize=True, max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SLOW = settings(FAST, max_examples=25)  # examples that write to a database

# Text as files and JSON bring it: any code point, NUL and unpaired surrogates included, and the
# fragments that steer the parser into its JSON, traceback, HTML and status branches.
FRAGMENTS = ['{"error": {"code": ', '"message": "', "}", "]", "[", '"', "\\u0000", "\\ud800", "\x00", "\ud83d",
             "Traceback (most recent call last):\n", '  File "plugins/mail/x.py", line 3, in f\n', "KeyError: 'v'",
             "<html><title>", "504 Gateway Time-out", "</title>", "HTTP 429", "status code 403", "POST /me/events",
             "https://graph.microsoft.com/v1.0/users/a@b.com", "\n", " ", "ServiceUnavailable (503): ", "0x1F"]
any_char = st.characters(codec=None, categories=None, exclude_categories=())
texts = st.one_of(
    st.text(max_size=60),
    st.text(any_char, max_size=30),
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=8)), max_size=12).map("".join),
)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), texts)
json_values = st.recursive(
    scalars, lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(texts, inner, max_size=5)),
    max_leaves=25,
)
field_names = st.one_of(st.sampled_from(KNOWN_FIELDS), texts)
records = st.dictionaries(field_names, json_values, max_size=10)
plausible_records = st.fixed_dictionaries(
    {"evaluation_id": st.one_of(texts, st.integers()), "customer_prompt": texts,
     "skill_output": st.one_of(texts, json_values)},
    optional={"skill_input": texts, "ai_output": texts, "timestamp": st.one_of(texts, st.integers(), st.floats()),
              "user_id": texts, "tenant_id": texts, "release": json_values},
)


@contextmanager
def parser_fallbacks() -> Iterator[list[logging.LogRecord]]:
    """Records of the parser's last-resort path (an exception inside it): none may happen."""
    seen: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = seen.append  # type: ignore[method-assign]
    logger = logging.getLogger("lens_core.parse.parsing")
    logger.addHandler(handler)
    try:
        yield seen
    finally:
        logger.removeHandler(handler)


def storable(parsed: ParsedError) -> None:
    for name in ("plugin", "endpoint", "endpoint_template", "http_method", "error_code", "error_type", "message"):
        value = getattr(parsed, name)
        assert value is None or (isinstance(value, str) and text_problem(value) is None), (name, value)
    assert parsed.status_code is None or isinstance(parsed.status_code, int)


# -- the parser and the fingerprinter -------------------------------------------------------------------------


@FAST
@given(output=json_values, skill_input=st.one_of(texts, json_values))
def test_parser_takes_any_json_value(output: Any, skill_input: Any) -> None:
    with parser_fallbacks() as fallbacks:
        parsed = ErrorParser().parse(output, skill_input=skill_input)
        as_text = ErrorParser().parse(json.dumps(output))
    assert not fallbacks, [r.getMessage() for r in fallbacks]
    storable(parsed)
    storable(as_text)


@FAST
@given(text=texts)
def test_parser_takes_any_text(text: str) -> None:
    with parser_fallbacks() as fallbacks:
        parsed = ErrorParser().parse(text, skill_input=text)
    assert not fallbacks, [r.getMessage() for r in fallbacks]
    storable(parsed)


@FAST
@given(output=st.one_of(texts, json_values))
def test_the_same_input_always_gives_the_same_fingerprint(output: Any) -> None:
    first = Fingerprinter().fingerprint(ErrorParser().parse(output))
    again = Fingerprinter().fingerprint(ErrorParser().parse(output))
    assert first == again
    assert len(first.hash) == 16 and first.version == Fingerprinter.version
    json.dumps(first.fields)  # what the hash covers is plain JSON data


@FAST
@given(outputs=st.lists(st.one_of(texts, json_values), min_size=2, max_size=12), data=st.data())
def test_the_order_of_a_batch_does_not_change_any_fingerprint(outputs: list[Any], data: st.DataObject) -> None:
    parser, fingerprinter = ErrorParser(), Fingerprinter()  # shared: no state may carry over between events
    in_order = [fingerprinter.fingerprint(parser.parse(o)).hash for o in outputs]
    order = data.draw(st.permutations(range(len(outputs))))
    shuffled = {i: fingerprinter.fingerprint(parser.parse(outputs[i])).hash for i in order}
    assert [shuffled[i] for i in range(len(outputs))] == in_order


# -- readers and row validation ----------------------------------------------------------------------------------


@FAST
@given(data=st.one_of(st.binary(max_size=300), texts.map(lambda t: t.encode("utf-8", "surrogatepass"))),
       fmt=st.sampled_from(["csv", "json", "jsonl"]))
def test_readers_raise_only_input_errors(data: bytes, fmt: str) -> None:
    try:
        items = list(read_bytes(data, name="fuzz", fmt=fmt))
    except InputError as exc:
        assert str(exc).startswith("fuzz: ")
        return
    for row, item in items:
        assert isinstance(row, int) and row >= 1
        assert isinstance(item, (dict, RowError))


@FAST
@given(magic=st.sampled_from([b"PAR1", b"\x1f\x8b\x08\x00", b"\x28\xb5\x2f\xfd"]), data=st.binary(max_size=300),
       name=st.sampled_from(["fuzz.csv", "fuzz.parquet", "fuzz.jsonl.gz", "fuzz"]))
def test_damaged_parquet_gzip_and_zstd_raise_only_input_errors(magic: bytes, data: bytes, name: str) -> None:
    """Parquet's, gzip's and zstd's first bytes, then anything: a file refused by name, or rows and RowErrors."""
    try:
        items = list(read_bytes(magic + data, name=name))
    except InputError as exc:
        assert str(exc).startswith(f"{name}: ")
        return
    assert all(isinstance(row, int) and isinstance(item, (dict, RowError)) for row, item in items)


@FAST
@given(rows=st.lists(json_values, max_size=6), fmt=st.sampled_from(["json", "jsonl", "csv"]))
def test_readers_take_any_json_document(rows: list[Any], fmt: str) -> None:
    if fmt == "json":
        data = json.dumps(rows).encode()
    elif fmt == "jsonl":
        data = "\n".join(json.dumps(r) for r in rows).encode()
    else:
        data = ("evaluation_id,customer_prompt,skill_output\n" + "\n".join(
            ",".join(json.dumps(str(r))[:40] for _ in range(3)) for r in rows)).encode("utf-8", "surrogatepass")
    try:
        items = list(read_bytes(data, name="doc", fmt=fmt))
    except InputError:
        return
    assert all(isinstance(item, (dict, RowError)) for _, item in items)


@FAST
@given(raw=st.one_of(records, plausible_records), max_chars=st.sampled_from([1_000, 1_000_000]))
def test_row_validation_raises_only_row_errors(raw: dict[str, Any], max_chars: int) -> None:
    try:
        event = validate_record(raw, source="fuzz", row=7, max_chars=max_chars)
    except RowError as err:
        assert (err.source, err.row) == ("fuzz", 7) and err.reason
        assert err.field is None or err.field in KNOWN_FIELDS or err.field == "attributes"
        return
    assert isinstance(event, TelemetryEvent)
    for name in ("evaluation_id", "customer_prompt", "skill_input", "skill_output", "ai_output"):
        value = getattr(event, name)
        assert isinstance(value, str) and len(value) <= max_chars and text_problem(value) is None
    assert event.evaluation_id and event.skill_output  # the prompt may be empty: an error-only event
    json.dumps(event.attributes, allow_nan=False)  # storable as JSON on both databases
    assert event.timestamp is None or event.timestamp.utcoffset().total_seconds() == 0


@FAST
@given(raw=st.one_of(records, plausible_records))
def test_the_id_ingest_looks_up_is_the_id_validation_stores(raw: dict[str, Any]) -> None:
    """Ingest looks stored ids up before validating: the id it looks up must be the one validation
    writes, and none where validation refuses the id (PostgreSQL cannot even be asked about a NUL)."""
    looked_up = valid_id(raw.get("evaluation_id"))
    try:
        event = validate_record(raw, source="fuzz", row=1, max_chars=1_000_000)
    except RowError as err:
        if err.field == "evaluation_id":
            assert looked_up is None
        return
    assert looked_up == event.evaluation_id


# -- ingest_records, against a database ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], Engine]]:
    """One SQLite database per name for the whole module (ids are made unique per example)."""
    folder, made = tmp_path_factory.mktemp("properties"), {}

    def engine(name: str) -> Engine:
        if name not in made:
            made[name] = open_engine(f"sqlite:///{folder / name}.db")
        return made[name]

    yield engine
    for made_engine in made.values():
        made_engine.dispose()


_batches = itertools.count()


@SLOW
@given(batch=st.lists(st.one_of(plausible_records, records, json_values), max_size=8))
def test_ingest_records_accounts_for_every_record(engines: Callable[[str], Engine], batch: list[Any]) -> None:
    engine = engines("ingest")
    try:
        report = ingest_records(batch, engine=engine, source="fuzz")
    except LensError as exc:  # a lens error would still be a lost batch: say which
        raise AssertionError(f"the whole batch failed: {exc}") from None
    assert report.accepted + report.duplicates + len(report.rejected) == len(batch)
    assert all(issue.row is not None and 1 <= issue.row <= len(batch) and issue.reason for issue in report.rejected)


@SLOW
@given(outputs=st.lists(st.one_of(texts, json_values), min_size=2, max_size=8), data=st.data())
def test_ingest_stores_the_same_fingerprints_in_any_order(
    engines: Callable[[str], Engine], outputs: list[Any], data: st.DataObject
) -> None:
    batch_id = next(_batches)
    events = [{"evaluation_id": f"b{batch_id}-{n}", "customer_prompt": "p", "skill_output": o or "x"}
              for n, o in enumerate(outputs)]
    order = data.draw(st.permutations(range(len(events))))
    ingest_records(events, engine=engines("order-a"))
    ingest_records([events[i] for i in order], engine=engines("order-b"))
    assert stored_fingerprints(engines("order-a"), batch_id) == stored_fingerprints(engines("order-b"), batch_id)


def stored_fingerprints(engine: Engine, batch_id: int) -> dict[str, str]:
    table = TelemetryEventRow.__table__
    query = select(table.c.evaluation_id, table.c.fingerprint).where(table.c.evaluation_id.like(f"b{batch_id}-%"))
    with engine.connect() as conn:
        return {evaluation_id: fingerprint for evaluation_id, fingerprint in conn.execute(query)}
