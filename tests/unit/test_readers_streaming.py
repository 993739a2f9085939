"""The readers stream: a file is read a block at a time, and where the blocks break (inside a line, a
quoted value, a "\\r\\n" or a UTF-8 sequence) changes nothing in the rows; the encoding is decided at the
first byte over 127 as reading the whole file would decide it; the first row comes before the file is read."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lens_core.errors import RowError
from lens_core.ingest import readers
from lens_core.ingest.readers import compressed, read_bytes
from lens_core.samples.generator import generate, write_events
from tests.data.bad.cases import HERE as BAD
from tests.data.formats import compress


def rows(data: bytes, name: str) -> list[tuple[int, Any]]:
    return [(n, str(item) if isinstance(item, RowError) else item) for n, item in read_bytes(data, name=name)]


def sample(tmp_path: Path, suffix: str) -> bytes:
    events, _ = generate(150, seed=3)
    events[7]["customer_prompt"] = "a line\u2028separator, a \x85 and\r\na CRLF, 日本語 and ünïcödé"
    return write_events(tmp_path / f"s{suffix}", events).read_bytes()


def broken_csv() -> bytes:
    """Over 8 KiB (past the head) with a quote left open, text after a closing quote and CRLF endings."""
    lines = ["evaluation_id,customer_prompt,skill_output"] + [f"b-{n},prompt {n},HTTP 500" for n in range(400)]
    lines[150] = 'b-150,"opened and never closed,HTTP 500'
    lines[300] = 'b-300,"closed" then more,HTTP 500'
    return "\r\n".join(lines).encode()


@pytest.mark.parametrize("how", ["", "gz", "zst"])
@pytest.mark.parametrize("kind", ["csv", "jsonl", "crlf.csv", "cr.csv", "broken.csv"])
def test_where_the_blocks_break_changes_no_row(monkeypatch, tmp_path: Path, kind: str, how: str) -> None:
    if kind == "broken.csv":
        data = broken_csv()
    else:
        data = sample(tmp_path, "." + kind.rpartition(".")[2])
        data = data.replace(b"\n", b"\r\n") if kind == "crlf.csv" else data
        data = data.replace(b"\n", b"\r") if kind == "cr.csv" else data
    data = compress(data, how) if how else data
    whole = rows(data, f"t.{kind}")
    assert len(whole) >= 150 and sum(isinstance(item, dict) for _, item in whole) >= 148
    for block in (1, 7, 4093):
        monkeypatch.setattr(compressed, "BLOCK", block)
        assert rows(data, f"t.{kind}") == whole, block


def test_the_bad_corpus_reads_the_same_in_tiny_blocks(monkeypatch) -> None:
    for path in sorted(BAD.glob("*.*sv")) + sorted(BAD.glob("*.json*")):
        try:
            whole = rows(path.read_bytes(), path.name)
        except Exception as exc:  # noqa: BLE001 - a file refused whole is refused the same way in blocks
            whole = repr(exc)
        monkeypatch.setattr(compressed, "BLOCK", 3)
        try:
            small = rows(path.read_bytes(), path.name)
        except Exception as exc:  # noqa: BLE001
            small = repr(exc)
        monkeypatch.undo()
        assert small == whole, path.name


HEADER = b"evaluation_id,customer_prompt,skill_output\n"
ASCII_ROWS = b"".join(b"a-%d,plain ascii prompt %d,HTTP 500\n" % (n, n) for n in range(2000))  # ~70 KB


@pytest.mark.parametrize(("late", "text"), [
    ("caf\u00e9 cr\u00e8me".encode("cp1252"), "caf\u00e9 cr\u00e8me"),  # no UTF-8 at all: Windows-1252
    ("\u65e5\u672c\u8a9e caf\u00e9".encode(), "\u65e5\u672c\u8a9e caf\u00e9"),  # UTF-8, read as such
])
def test_the_encoding_is_decided_at_the_first_byte_over_127(monkeypatch, late: bytes, text: str) -> None:
    monkeypatch.setattr(compressed, "BLOCK", 4096)  # the non-ASCII row comes many blocks after the head
    data = HEADER + ASCII_ROWS + b"late," + late + b",HTTP 500\n" + b"next," + late + b",HTTP 500\n"
    for how in ("", "gz"):
        body = compress(data, how) if how else data
        got = {rec["evaluation_id"]: rec for _, rec in read_bytes(body, name="t.csv")}
        assert got["late"]["customer_prompt"] == text and got["next"]["customer_prompt"] == text


def test_the_first_row_comes_before_the_file_is_read(monkeypatch) -> None:
    pulled: list[int] = []
    real = readers.byte_blocks

    def counting(raw: Any, compression: str | None) -> Iterator[bytes]:
        for block in real(raw, compression):
            pulled.append(len(block))
            yield block

    monkeypatch.setattr(readers, "byte_blocks", counting)
    monkeypatch.setattr(compressed, "BLOCK", 16384)
    data = HEADER + b"".join(b"a-%d,prompt %d,HTTP 500\n" % (n, n * 7919) for n in range(60000))  # 1.5 MB
    for how in ("", "gz", "zst"):
        pulled.clear()
        first = next(read_bytes(compress(data, how) if how else data, name="t.csv"))
        assert first[0] == 1 and first[1]["evaluation_id"] == "a-0"
        assert sum(pulled) < len(data) / 5, (how, pulled)  # a zstd block inflates to at most 128 KiB
