"""A field mapped to None is left empty (the Upload page's "(none)"): in every format, a column that carries
the field's own name is not read, neither as the field nor as an attribute, unless it is mapped to another
field; nothing is guessed for the field; a required field cannot be left empty."""

from __future__ import annotations

from pathlib import Path

import pytest

from lens_core.errors import InputError, RowError
from lens_core.ingest.readers import read_bytes
from lens_core.ingest.readers.mapping import ColumnMap
from tests.data.formats import ALL_FORMATS, encode

EVENTS = [
    {"evaluation_id": f"e-{i}", "customer_prompt": f"book room {i}", "skill_output": "HTTP 403",
     "ai_output": f"draft answer {i}", "tenant_id": "t1", "Response": "kept as an attribute"}
    for i in range(3)
]


def records(data: bytes, name: str, mapping: ColumnMap) -> list[dict]:
    items = [item for _, item in read_bytes(data, name=name, mapping=mapping)]
    assert not [item for item in items if isinstance(item, RowError)]
    return items


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_a_field_left_empty_drops_its_own_column_in_every_format(tmp_path: Path, fmt: str) -> None:
    data = encode(EVENTS, fmt, tmp_path)
    mapping = ColumnMap({"ai_output": None, "tenant_id": "tenant_id"}, guess=True)
    got = records(data, f"t.{fmt}", mapping)
    assert [rec["evaluation_id"] for rec in got] == ["e-0", "e-1", "e-2"]
    assert all("ai_output" not in rec for rec in got)  # neither the field nor an attribute of that name
    assert all(rec["tenant_id"] == "t1" and rec["Response"] == "kept as an attribute" for rec in got)  # not guessed
    assert "left ai_output empty: the file's ai_output column is not read" in mapping.notes

    unmapped = records(data, f"t.{fmt}", ColumnMap(guess=False))
    assert [rec["ai_output"] for rec in unmapped] == ["draft answer 0", "draft answer 1", "draft answer 2"]


def test_json_events_lose_the_column_even_where_the_first_event_lacks_it(tmp_path: Path) -> None:
    events = [{k: v for k, v in EVENTS[0].items() if k != "ai_output"}, EVENTS[1], EVENTS[2]]
    for fmt in ("json", "jsonl"):
        got = records(encode(events, fmt, tmp_path), f"t.{fmt}", ColumnMap({"ai_output": None}, guess=False))
        assert all("ai_output" not in rec for rec in got), fmt


def test_a_column_named_as_an_empty_field_can_still_be_mapped_to_another(tmp_path: Path) -> None:
    data = encode(EVENTS, "csv", tmp_path)
    mapping = ColumnMap({"ai_output": None, "customer_prompt": "ai_output"}, guess=False)
    # the file's own customer_prompt column is in the way, as for any mapping onto an existing field
    with pytest.raises(InputError, match="already has a customer_prompt column"):
        records(data, "t.csv", mapping)
    events = [{k: v for k, v in e.items() if k != "customer_prompt"} for e in EVENTS]
    got = records(encode(events, "jsonl", tmp_path), "t.jsonl",  # (a CSV written here has every lens column)
                  ColumnMap({"ai_output": None, "customer_prompt": "ai_output"}, guess=False))
    assert [rec["customer_prompt"] for rec in got] == ["draft answer 0", "draft answer 1", "draft answer 2"]


@pytest.mark.parametrize(("explicit", "message"), [
    ({"skill_output": None}, "t.csv: skill_output is required: choose the column that holds it"),
    ({"answer": None}, "t.csv: 'answer' is not a lens field"),
])
def test_a_required_or_unknown_field_cannot_be_left_empty(tmp_path: Path, explicit: dict, message: str) -> None:
    with pytest.raises(InputError, match=message):
        records(encode(EVENTS, "csv", tmp_path), "t.csv", ColumnMap(explicit))
