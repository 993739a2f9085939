"""A JSON document (an array of events, or {"events": [...]}) streams: its events are what decoding the
whole document gives, wherever the blocks break (inside an event, a string, an escape or a number); a
broken event whose brackets balance costs only its row; NaN and Infinity are read; a document cut short
keeps every event before the cut; the first event comes before the file is read; a huge event is read
whole without the buffer being rebuilt block by block."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from lens_core.errors import InputError, RowError
from lens_core.ingest import readers
from lens_core.ingest.readers import compressed, read_bytes
from lens_core.ingest.readers.json_rows import json_rows
from lens_core.ingest.validate import validate_record
from lens_core.samples.generator import generate, write_events
from tests.data.bad.cases import HERE as BAD
from tests.data.formats import compress

SMALL_BLOCKS = (1, 2, 3, 4, 5, 6, 7)


def rows(data: bytes, name: str) -> list[tuple[int, Any]]:
    return [(n, f"error: {item.reason}" if isinstance(item, RowError) else item)
            for n, item in read_bytes(data, name=name)]


def whole(document: Any) -> list[tuple[int, Any]]:
    """What the document's events are, decoded whole: an object per row, any other value rejected."""
    events = document["events"] if isinstance(document, dict) else document
    return [(n, value if isinstance(value, dict) else "rejected") for n, value in enumerate(events, start=1)]


def sample_events(count: int = 150) -> list[dict[str, Any]]:
    events, _ = generate(count, seed=3)
    events[7]["customer_prompt"] = "a line\u2028separator, a \x85 and\r\na CRLF, 日本語, ünïcödé and 😀"
    events[9]["skill_output"] = {"error": {"code": 429, "retry": 1.5, "big": 10**30, "nested": [[{"x": None}]]}}
    events[11]["skill_output"] = 'quotes " and backslashes \\ \\" \\\\" and a tab\t'
    events[12]["attributes"] = {"limit": float("inf"), "floor": -float("inf"), "ratio": -1.25e-7, "n": -0}
    return events


def documents(tmp_path: Path) -> dict[str, bytes]:
    events = sample_events()
    return {
        "array": write_events(tmp_path / "a.json", events).read_bytes(),
        "wrapped": json.dumps({"source": {"tool": "export", "events": "not these", "list": [1, "]", {"}": "{"}]},
                               "events": events, "exported": {"count": 150, "more": [[], {}]}},
                              ensure_ascii=False).encode(),
        "escaped": json.dumps(events, indent=1).encode(),  # every non-ASCII character a \u escape
        "wrong_types": (BAD / "wrong_types.json").read_bytes(),
        "numbers": b"[1, 22 ,333,\n4444.5e-3, -0.5, NaN, -Infinity, {\"evaluation_id\": \"n\"}, true, null,[]]",
    }


def simplified(items: list[tuple[int, Any]]) -> list[tuple[int, Any]]:
    return [(n, "rejected" if isinstance(item, str) and item.startswith("error: expected an object") else item)
            for n, item in items]


@pytest.mark.parametrize("how", ["", "gz", "zst"])
@pytest.mark.parametrize("kind", ["array", "wrapped", "escaped", "wrong_types", "numbers"])
def test_a_document_reads_as_decoding_it_whole_does(monkeypatch, tmp_path: Path, kind: str, how: str) -> None:
    data = documents(tmp_path)[kind]
    expected = whole(json.loads(data))
    body = compress(data, how) if how else data
    name = f"t.json{'.' + how if how else ''}"
    assert simplified(rows(body, name)) == expected
    for block in (*SMALL_BLOCKS, 4093):
        monkeypatch.setattr(compressed, "BLOCK", block)
        assert simplified(rows(body, name)) == expected, block


TRICKY = ('{"before": {"events": "not these", "a": [1, "]", {"}": "{"}], "n": -12.5e+3, "s": "\\\\\\""}, '
          '"events": [{"evaluation_id": "e\\u00e9\\ud83d\\ude00", "skill_output": "a \\"quoted\\" \\\\ path\\n"},'
          ' 12345, -0.125e-10, NaN, -Infinity, true, null, "text", [], {"evaluation_id": "x", "n": [1, {"m": 2}]},'
          ' {"evaluation_id": "日本", "empty": {}, "f": 1.5E+300}],\n "after": {"count": 11, "more": [[]]}}')


def split_rows(blocks: list[str]) -> list[tuple[int, Any]]:
    """The rows of text arriving in these blocks (the first is the head that Text reads at once)."""
    text = SimpleNamespace(head=blocks[0], blocks=lambda: iter(blocks))
    return [(n, f"error: {item.reason}" if isinstance(item, RowError) else item) for n, item in json_rows(text, "t")]


@pytest.mark.parametrize("document", [TRICKY, json.dumps(json.loads(TRICKY)["events"], indent=2)])
def test_wherever_the_first_block_ends_the_events_are_the_same(document: str) -> None:
    """Cut at every character (inside a key, a string, an escape, a number, between events), then the
    rest whole or a character at a time."""
    expected = simplified_nan(split_rows([document]))
    assert len(expected) == 11 and expected[0][1]["evaluation_id"] == "e\u00e9\U0001f600"
    for cut in range(1, len(document)):
        assert simplified_nan(split_rows([document[:cut], document[cut:]])) == expected, cut
        assert simplified_nan(split_rows([document[:cut], *document[cut:]])) == expected, cut


def simplified_nan(items: list[tuple[int, Any]]) -> list[tuple[int, Any]]:
    return [(n, "NaN" if item == "error: expected an object with the event's fields, got a number" else item)
            for n, item in items]


def test_nan_and_infinity_are_read_as_python_writes_them() -> None:
    data = json.dumps([{"evaluation_id": "a", "score": float("nan"), "top": float("inf"), "low": -float("inf")},
                       {"evaluation_id": "b"}]).encode()
    assert b"NaN" in data
    got = rows(data, "nan.json")
    assert [n for n, _ in got] == [1, 2] and got[1] == (2, {"evaluation_id": "b"})
    first = got[0][1]
    assert math.isnan(first["score"]) and first["top"] == math.inf and first["low"] == -math.inf


def test_a_cut_document_keeps_every_event_before_the_cut(tmp_path: Path) -> None:
    data = documents(tmp_path)["array"]
    events = json.loads(data)
    cut = data.index(b'"evaluation_id": "%s"' % events[100]["evaluation_id"].encode()) + 30
    got = rows(data[:cut], "cut.json")
    assert got[:-1] == whole(events)[:100]
    assert got[-1][0] == 101 and got[-1][1].startswith("error: invalid JSON: Unterminated string")
    assert got[-1][1].endswith("; the file ends inside this event (truncated?)")

    gz = compress(data, "gz")
    got = rows(gz[: len(gz) * 2 // 3], "cut.json.gz")  # the compressed data itself stops
    kept = len(got) - 1
    assert kept > 50 and got[:-1] == whole(events)[:kept]
    assert got[-1] == (kept + 1, f"error: the compressed data ends early after row {kept} (truncated file?)")


@pytest.mark.parametrize("block", [1, 3, 1 << 20])
def test_a_document_cut_anywhere_keeps_the_events_that_end_before_the_cut(monkeypatch, block: int) -> None:
    events = [{"evaluation_id": f"e-{n}", "skill_output": f"x\\\"{n}\u00e9", "n": n * 1.5} for n in range(4)]
    data = json.dumps(events).encode()
    ends = [data.index(b"}", data.index(b'"e-%d"' % n)) + 1 for n in range(4)]
    monkeypatch.setattr(compressed, "BLOCK", block)
    for cut in range(1, len(data)):
        got = rows(data[:cut], "cut.json")
        complete = sum(end <= cut for end in ends)
        assert got[:complete] == [(n + 1, event) for n, event in enumerate(events[:complete])], cut
        assert len(got) == complete + 1, cut
        assert got[-1][0] == complete + 1 and got[-1][1].endswith("(truncated?)"), (cut, got[-1])


@pytest.mark.parametrize("block", [*SMALL_BLOCKS, 4096, 1 << 20])
def test_a_broken_event_whose_brackets_balance_costs_only_its_row(monkeypatch, block: int) -> None:
    """Far enough in (past the first blocks) that the message's line, column and character count the
    text already dropped."""
    good = [{"evaluation_id": f"e-{n}", "skill_output": "HTTP 500"} for n in range(1, 301)]
    text = (json.dumps(good, indent=2)[:-2] + ',\n  {"evaluation_id": "e-301",, "skill_output": "x"},\n'
            '  {"evaluation_id": "e-302", "skill_output": [1, "a]"]}, {"evaluation_id": "e-303"} {"evaluation_id": "e-304"}]')
    with pytest.raises(json.JSONDecodeError) as decoded:
        json.JSONDecoder().raw_decode(text, text.index('{"evaluation_id": "e-301"'))
    assert decoded.value.pos == text.index(',, "skill_output"') + 1 and decoded.value.pos > 2 * 8192
    monkeypatch.setattr(compressed, "BLOCK", block)
    got = rows(text.encode(), "broken.json")
    assert got[:300] == [(n, event) for n, event in enumerate(good, start=1)]
    reason = f"{decoded.value.msg} (line {decoded.value.lineno}, column {decoded.value.colno})"
    assert got[300] == (301, f"error: invalid JSON: {reason}; this event was skipped")
    assert got[301:303] == [(302, {"evaluation_id": "e-302", "skill_output": [1, "a]"]}),
                            (303, {"evaluation_id": "e-303"})]
    at = text.index('{"evaluation_id": "e-304"')
    assert got[303:] == [(304, f"error: expected ',' or ']' at character {at}; reading stopped here")]


@pytest.mark.parametrize("block", [1, 5, 1 << 20])
@pytest.mark.parametrize(("text", "last"), [
    ('[{"evaluation_id": "a"}, {"evaluation_id": "b", "x": [1}, {"evaluation_id": "c"}]',
     "; reading stopped here: the events after it were not read"),  # its brackets never balance
    ('[{"evaluation_id": "a"}, {"evaluation_id": "b", "x": [tru', "; the file ends inside this event (truncated?)"),
    ('[{"evaluation_id": "a"}, {"evaluation_id": "b", "x": tru}', "; reading stopped here: the events after it were not read"),
    ('[{"evaluation_id": "a"} {"evaluation_id": "b"}]', "expected ',' or ']' at character 24; reading stopped here"),
])
def test_a_break_that_cannot_be_skipped_stops_reading_and_says_so(monkeypatch, block: int, text: str,
                                                                   last: str) -> None:
    monkeypatch.setattr(compressed, "BLOCK", block)
    got = rows(text.encode(), "broken.json")
    assert got[0] == (1, {"evaluation_id": "a"})
    assert len(got) == 2 and got[1][0] == 2 and got[1][1].endswith(last), got


def test_an_invalid_utf8_byte_rejects_only_its_row() -> None:
    data = ('[{"evaluation_id": "u-1", "skill_output": "café"},\n'
            ' {"evaluation_id": "u-2", "skill_output": "bad ').encode() + (
            b'\xff byte"},\n {"evaluation_id": "u-3", "skill_output": "fine"}]')
    got = rows(data, "u.json")
    assert [n for n, _ in got] == [1, 2, 3] and got[2][1]["skill_output"] == "fine"
    checked = []
    for row, record in got:
        try:
            validate_record(record, source="u.json", row=row, max_chars=1000)
            checked.append((row, "ok"))
        except RowError as exc:
            checked.append((row, exc.field))
            assert "invalid UTF-8" in exc.reason
    assert checked == [(1, "ok"), (2, "skill_output"), (3, "ok")]


def test_values_that_are_not_events_and_events_nested_too_deeply_cost_only_their_row() -> None:
    deep = {"evaluation_id": "deep", "skill_output": json.loads("[" * 900 + "]" * 900)}
    document = [1, {"evaluation_id": "a", "skill_output": "x"}, "text", None, deep, [], {"evaluation_id": "b"}]
    text = json.dumps(document)
    got = rows(text.encode(), "mixed.json")
    assert [n for n, _ in got] == [1, 2, 3, 4, 5, 6, 7]
    assert got[0] == (1, "error: expected an object with the event's fields, got a number")
    assert got[2][1].endswith("got text") and got[3][1].endswith("got null") and got[5][1].endswith("got a list")
    assert got[4] == (5, ("error: invalid JSON: nested too deeply (lens reads JSON up to several hundred levels "
                          "deep); this event was skipped"))
    assert got[1][1]["evaluation_id"] == "a" and got[6][1] == {"evaluation_id": "b"}
    beyond = text.replace("[" * 900, "[" * 20000, 1).replace("]" * 900, "]" * 20000, 1)  # past the decoder's own
    assert rows(beyond.encode(), "mixed.json")[4:] == got[4:]


@pytest.mark.parametrize(("data", "message"), [
    (b"[]", "e.json: the array holds no events"),
    (b'{"events": []}', 'e.json: the "events" list is empty'),
    (b'{"source": "x", "events": [\n]}', 'e.json: the "events" list is empty'),
    (b'{"rows": [{"evaluation_id": "a"}]}', 'must hold the events as a list under "events"'),
    (b'{"events": {"evaluation_id": "a"}}', 'must hold the events as a list under "events"'),
    (b"{}", 'must hold the events as a list under "events"'),
    (b'{"source": tru, "events": []}', "e.json: invalid JSON: Expecting value (line 1, column 12)"),
    (b'{"source": 1 "events": []}', "e.json: invalid JSON: Expecting ',' delimiter (line 1, column 14)"),
    (b'{"source": {"a": [1, 2]}', "e.json: invalid JSON: Expecting ',' delimiter (line 1, column 25)"),
    (b"hello", "e.json: not JSON"),
])
def test_a_document_without_events_is_refused_whole(data: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(")
                       .replace(")", r"\)")):
        rows(data, "e.json")


@pytest.mark.parametrize("how", ["", "gz"])
@pytest.mark.parametrize("wrapped", [False, True])
def test_the_first_event_comes_before_the_document_is_read(monkeypatch, how: str, wrapped: bool) -> None:
    """The stream raises if read past its first 64 KiB: the first event must not need more."""
    events = [{"evaluation_id": f"e-{n}", "customer_prompt": f"prompt {n * 7919}", "skill_output": "HTTP 500"}
              for n in range(30000)]  # ~2 MB
    data = json.dumps({"events": events} if wrapped else events).encode()
    real = readers.byte_blocks

    def bounded(raw: Any, compression: str | None) -> Iterator[bytes]:
        pulled = 0
        for block in real(raw, compression):
            pulled += len(block)
            if pulled > 64 * 1024:
                raise AssertionError(f"read {pulled} bytes before the first event")
            yield block

    monkeypatch.setattr(readers, "byte_blocks", bounded)
    monkeypatch.setattr(compressed, "BLOCK", 16384)
    first = next(read_bytes(compress(data, how) if how else data, name="big.json"))
    assert first == (1, events[0])


@pytest.mark.parametrize("how", ["", "zst"])
def test_a_huge_event_is_read_whole(monkeypatch, how: str) -> None:
    """5 MB in one string, arriving in 4 KiB blocks: retried only as its text doubles, not at every block."""
    huge = "x\\\"é" * 1_250_000
    events = [{"evaluation_id": "a"}, {"evaluation_id": "huge", "skill_output": huge}, {"evaluation_id": "c"}]
    data = json.dumps(events, ensure_ascii=False).encode()
    monkeypatch.setattr(compressed, "BLOCK", 4096)
    attempts = []
    real = json.JSONDecoder.raw_decode

    def counted(self: json.JSONDecoder, text: str, pos: int = 0) -> tuple[Any, int]:
        attempts.append(len(text) - pos)
        return real(self, text, pos)

    monkeypatch.setattr(json.JSONDecoder, "raw_decode", counted)
    got = rows(compress(data, how) if how else data, "huge.json")
    assert [(n, item["evaluation_id"]) for n, item in got] == [(1, "a"), (2, "huge"), (3, "c")]
    assert got[1][1]["skill_output"] == huge
    assert len(attempts) < 40  # a block is 4 KiB: one attempt per block would be over a thousand


def test_an_otlp_export_is_found_whichever_key_comes_first() -> None:
    otlp = (Path(__file__).resolve().parents[1] / "data" / "otlp_genai.json").read_bytes()
    first = rows(otlp, "traces.json")
    assert sum(isinstance(item, dict) for _, item in first) >= 2  # the file holds one malformed span too
    later = json.dumps({"exportedBy": "a collector", **json.loads(otlp)}).encode()
    assert rows(later, "traces.json") == first
