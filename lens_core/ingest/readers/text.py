"""Text of a telemetry file, decoded block by block as it streams in (lens_core.ingest.readers.compressed).

Encodings: UTF-8 (with or without a BOM), UTF-16 (with a BOM, or ASCII-range text without one), and
legacy 8-bit files (Latin-1 / Windows-1252: no valid UTF-8 multi-byte sequence, logged). A byte-order mark
or UTF-16's NUL pattern in the first bytes decides; otherwise the encoding is chosen at the first block
that holds a byte over 127: UTF-8 unless that block holds no UTF-8 sequence at all. ASCII reads the same
either way, so this decides as reading the whole file would, without holding it (io.TextIOWrapper would
have to fix the encoding before seeing those bytes). A UTF-8 file with a few invalid bytes is decoded
with surrogateescape, so an invalid byte stays visible in the one field that holds it (validation rejects
that row by name) instead of failing the whole file.
"""

from __future__ import annotations

import codecs
import logging
import re
from collections.abc import Iterator

from lens_core.errors import InputError
from lens_core.ingest.readers.compressed import Damaged

log = logging.getLogger(__name__)

SNIFF_BYTES = 8192
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_NON_ASCII = re.compile(rb"[\x80-\xff]")
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
# Control bytes that no text file holds in quantity (tab, newlines, form feed and ESC are text).
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 27)) + b"\x7f"
_ARCHIVES = {b"PK\x03\x04": "a ZIP archive or an Excel .xlsx workbook", b"\x1f\x8b": "a gzip archive",
             b"\xd0\xcf\x11\xe0": "an Excel .xls workbook", b"%PDF": "a PDF document"}


def _cp1252_or_latin1(exc: UnicodeDecodeError) -> tuple[str, int]:
    """The five bytes Windows-1252 leaves undefined read as Latin-1 (a legacy file is one or the other)."""
    return exc.object[exc.start:exc.end].decode("latin-1"), exc.end


codecs.register_error("lens-latin1", _cp1252_or_latin1)


class Text:
    """A stream of bytes as text. Reads the first block at once: a file that is empty, binary or
    unreadable from its start raises InputError here, before any row is read."""

    def __init__(self, chunks: Iterator[bytes], name: str) -> None:
        self.name = name
        self._chunks = chunks
        self._damage: Damaged | None = None  # raised once everything before it is handed out
        self._decoder: codecs.IncrementalDecoder | None = None
        first, bom = self._read_head()
        if not first:
            self._empty()
        self._decoder = self._fixed_decoder(first, bom)
        self.head = self._decode(first)
        while self.head.isspace() or not self.head:  # blank lines: the text starts further on, or never
            more = self._next_chunk()
            if more is None:
                self._empty()
            self.head += self._decode(more)

    def blocks(self) -> Iterator[str]:
        """The text: the head first, then block by block. Damaged at the end where the data was cut."""
        yield self.head
        while (chunk := self._next_chunk()) is not None:
            text = self._decode(chunk)
            if text:
                yield text
        if self._damage is not None:
            raise self._damage  # before the decoder's tail: a sequence cut by the damage is no text
        tail = self._decoder.decode(b"", final=True) if self._decoder else ""
        if tail:
            yield tail

    def _read_head(self) -> tuple[bytes, bool]:
        head = b""
        while len(head) < SNIFF_BYTES and (chunk := self._next_chunk()) is not None:
            head += chunk
        bom = head.startswith(_UTF8_BOM)
        return (head[len(_UTF8_BOM):] if bom else head), bom

    def _next_chunk(self) -> bytes | None:
        if self._damage is not None:
            return None
        try:
            return next(self._chunks, None)
        except Damaged as exc:
            self._damage = exc
            return None

    def _empty(self) -> None:
        if self._damage is not None:
            raise InputError(f"{self.name}: {self._damage.describe('before the first row')}")
        raise InputError(f"{self.name}: the file is empty")

    def _fixed_decoder(self, head: bytes, bom: bool) -> codecs.IncrementalDecoder | None:
        """UTF-16 and UTF-8 with a BOM are known from the first bytes; another 8-bit file is decided at
        its first byte over 127 (None until then)."""
        if head.startswith(_UTF16_BOMS):
            return codecs.getincrementaldecoder("utf-16")(errors="surrogateescape")
        utf16 = _utf16_without_bom(head[:SNIFF_BYTES])
        if utf16:
            return codecs.getincrementaldecoder(utf16)(errors="surrogateescape")
        _reject_binary(head[:SNIFF_BYTES], self.name)
        if bom:
            return codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")
        return None

    def _decode(self, chunk: bytes) -> str:
        if self._decoder is None:
            if chunk.isascii():
                return chunk.decode("ascii")
            self._decoder = self._eight_bit(chunk, _NON_ASCII.search(chunk).start())
        return self._decoder.decode(chunk)

    def _eight_bit(self, chunk: bytes, start: int) -> codecs.IncrementalDecoder:
        try:
            codecs.getincrementaldecoder("utf-8")().decode(chunk[start:])  # not final: a cut sequence is fine
        except UnicodeDecodeError:
            if not _UTF8_MULTIBYTE.search(chunk, start):  # not one UTF-8 sequence: a legacy 8-bit file
                log.warning("%s is not UTF-8: read as Windows-1252 (Latin-1)", self.name)
                return codecs.getincrementaldecoder("cp1252")(errors="lens-latin1")
        return codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")


def _utf16_without_bom(head: bytes) -> str | None:
    """ "a\0b\0" (or "\0a\0b"): ASCII-range text in UTF-16 without a byte-order mark."""
    if len(head) < 4 or b"\x00" not in head[:64]:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) >= 0.7 * len(odd) and even.count(0) <= 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) >= 0.7 * len(even) and odd.count(0) <= 0.1 * len(odd):
        return "utf-16-be"
    return None


def _reject_binary(head: bytes, name: str) -> None:
    """Binary content is refused as a whole; a stray NUL in a text file is left to row validation."""
    kind = next((what for magic, what in _ARCHIVES.items() if head.startswith(magic)), None)
    if kind:
        raise InputError(f"{name}: this is {kind}, not a text file; export or save it as CSV, JSON or JSON Lines")
    controls = len(head) - len(head.translate(None, _CONTROL))
    if b"\x00" in head and controls * 20 > len(head):  # over 5% control bytes, NUL among them
        raise InputError(
            f"{name}: binary content (NUL and control bytes); expected a CSV, JSON or JSON Lines text file"
        )
