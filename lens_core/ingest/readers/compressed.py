"""The bytes of a telemetry file as they stream in, a block at a time: plain, gzip or zstd.

What the data is compressed with is told by its first bytes (gzip 1f 8b, zstd 28 b5 2f fd), whatever
its name says (lens_core.ingest.readers.kinds). Decompression uses the decompressors' incremental
objects rather than gzip.open or zstandard's stream_reader, because of what a cut-off export needs:
gzip.GzipFile's read raises EOFError and drops the data that same read had already inflated, and
zstandard's stream_reader ends a truncated stream silently, as if it were whole. Here every byte before
the damage is handed out, and then Damaged says what happened.

Input goes in small pieces and gzip's output is capped per call, so a decompression bomb (a few KB
that inflate to gigabytes) never holds more than about ten megabytes at once; the readers above stream.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import BinaryIO

from lens_core.errors import DependencyError

BLOCK = 1 << 20  # plain bytes read at a time, and the most gzip inflates per call
_GZIP_IN = 64 * 1024
# zstd's incremental object has no cap on its output, and a block of a few bytes may stand for 128 KiB:
# half a KiB of input inflates to at most ~10 MiB, while a Python call per half KiB costs little.
_ZSTD_IN = 512
MAGIC = {b"\x1f\x8b": "gzip", b"\x28\xb5\x2f\xfd": "zstd"}


class Damaged(Exception):
    """The compressed data stopped partway (cut short, or corrupt): everything before it was good."""

    def __init__(self, kind: str, truncated: bool, detail: str = "") -> None:
        super().__init__(detail or kind)
        self.kind, self.truncated, self.detail = kind, truncated, detail

    def describe(self, where: str) -> str:
        """'the compressed data ends early after row 12 (truncated file?)'; where: 'after row 12'."""
        if self.truncated:
            return f"the compressed data ends early {where} (truncated file?)"
        return f"the {self.kind} data is damaged {where} ({self.detail}); nothing after it could be read"


def compression_of(head: bytes) -> str | None:
    return next((kind for magic, kind in MAGIC.items() if head.startswith(magic)), None)


def byte_blocks(raw: BinaryIO, compression: str | None) -> Iterator[bytes]:
    """The (decompressed) bytes of `raw`, block by block; Damaged at the end when the data was cut or broken."""
    if compression == "gzip":
        return _gunzip(raw)
    if compression == "zstd":
        return _unzstd(raw)
    return iter(lambda: raw.read(BLOCK), b"")


def _gunzip(raw: BinaryIO) -> Iterator[bytes]:
    inflater, fed = zlib.decompressobj(wbits=31), False  # wbits 31: a gzip header and CRC-checked trailer
    for piece in iter(lambda: raw.read(_GZIP_IN), b""):
        while piece:
            try:
                out = inflater.decompress(piece, BLOCK)
                fed = True
                while inflater.unconsumed_tail and out:
                    yield out
                    out = inflater.decompress(inflater.unconsumed_tail, BLOCK)
            except zlib.error as exc:
                raise Damaged("gzip", truncated=False, detail=_zlib_reason(exc)) from None
            if out:
                yield out
            piece = b""
            if inflater.eof:  # a member ended: `cat a.gz b.gz` makes one file of several (zero padding allowed)
                piece = inflater.unused_data.lstrip(b"\x00")
                inflater, fed = zlib.decompressobj(wbits=31), False
    if fed:
        raise Damaged("gzip", truncated=True)


def _zlib_reason(exc: zlib.error) -> str:
    text = str(exc)
    text = text.split(": ", 1)[1] if ": " in text else text  # "Error -3 while decompressing data: invalid ..."
    if text == "incorrect data check":  # deflate inflated the damage unnoticed until the member's CRC
        return "its checksum does not match: the rows just before this may hold damaged text too"
    return text


def _unzstd(raw: BinaryIO) -> Iterator[bytes]:
    try:
        import zstandard
    except ImportError:
        raise DependencyError("reading zstd-compressed files", "zstandard") from None
    decompressor = zstandard.ZstdDecompressor()
    frame, fed = decompressor.decompressobj(write_size=BLOCK), False
    for piece in iter(lambda: raw.read(_ZSTD_IN), b""):
        while piece:
            try:
                out = frame.decompress(piece)
            except zstandard.ZstdError as exc:
                raise Damaged("zstd", truncated=False, detail=str(exc).removeprefix("zstd decompress error: ")) from None
            fed = True
            if out:
                yield out
            piece = b""
            if frame.eof:  # one frame ended; a file may hold several (zstd's own concatenation)
                piece = frame.unused_data
                frame, fed = decompressor.decompressobj(write_size=BLOCK), False
    if fed:
        raise Damaged("zstd", truncated=True)
