"""Fingerprints: an exact, versioned and explainable signature of a failure (Sentry-style grouping).

The variable parts of a message (ids, times, addresses, values) are replaced by placeholders from an
ordered table of named masks, compiled once at import. The template, with the plugin, endpoint
template, status and error code, is hashed together with FINGERPRINT_VERSION, so changing the table
means a new version and never silently regroups stored fingerprints.

Quoted values: a quoted text is kept when it looks like a code identifier, and masked otherwise.
Kept: letters, "_", "." and "-" only, starting with a letter or "_", at most 40 characters
('value', "odata.nextLink", 'Content-Type'), or a lone placeholder ('<EMAIL>'); so `KeyError: 'value'`
and `KeyError: 'id'` stay apart. Masked as <QUOTED>: anything with a space, a digit or another symbol
('Quarterly review', 'AAMkAGI2=', 'Report 2024.docx'), the values users type. A one-word value such as
'Sync' is kept: no rule can tell it from a field name, and over-splitting is the safer error.
A quoted text holding a path or URL after a space ("GET /v2/servers/x HTTP/1.1", a request line) is a
structure, not a typed value: it is kept and its parts are masked by the other masks.
A quote only opens after a non-word character and closes before one, so apostrophes (can't) are text.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any, NamedTuple

from lens_core.schema import Fingerprint, ParsedError

# fp2: a quoted text holding a path or URL ("GET /v2/x HTTP/1.1") is a structure, masked inside, not one value.
FINGERPRINT_VERSION = "fp2"

_DIGITS = frozenset("0123456789")
_WS = re.compile(r"\s+")


class Mask(NamedTuple):
    name: str
    pattern: re.Pattern[str]
    placeholder: str
    # The mask can only match a text holding a character of each of these sets: a cheap test that skips
    # most masks for most texts (no number mask runs on a text without digits).
    needs: tuple[frozenset[str], ...]


def _mask(name: str, pattern: str, placeholder: str, *needs: str | frozenset[str]) -> Mask:
    return Mask(name, re.compile(pattern), placeholder, tuple(map(frozenset, needs)))


_TOKEN = r"[A-Za-z0-9_+/-]"  # characters of an opaque id (base64 and base64url included)
_KEEP_QUOTED = r"(?:[A-Za-z_][A-Za-z_.\-]{0,39}|<[A-Z]+>)"
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"

# Order matters: each mask sees the text the previous ones left (a URL's digits are gone before <NUM>).
MASKS: tuple[Mask, ...] = (
    # url: any scheme://..., trailing punctuation left to the sentence
    _mask("url", r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s\"'<>]*[^\s\"'<>.,;:!?)\]]", "<URL>", ":", "/"),
    # email: user@domain, UPNs included
    _mask("email", r"\b[\w.%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+\b", "<EMAIL>", "@"),
    # guid: request ids, tenant ids, object ids
    _mask("guid", r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b", "<GUID>", "-"),
    # ipv4: dotted quads with an optional port (before times, which would take "12:44" of ":443")
    _mask("ipv4", r"\b(?:\d{1,3}\.){3}\d{1,3}\b(?::\d{1,5}\b)?", "<IP>", _DIGITS, "."),
    # time: ISO 8601 / RFC 3339, RFC 1123 (HTTP Date), m/d/y dates, clock times
    _mask("time", r"\b\d{4}-\d\d-\d\d(?:[T ]\d\d:\d\d(?::\d\d(?:[.,]\d+)?)?)?(?:Z\b|[+-]\d\d:?\d\d\b)?"
                  rf"|\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun),\s\d{{1,2}}\s{_MONTH}\s\d{{4}}\s\d\d:\d\d:\d\d"
                  r"(?:\s(?:GMT|UTC|[+-]\d{4}))?"
                  r"|\b\d{1,2}/\d{1,2}/\d{2,4}\b"
                  r"|\b\d{1,2}:\d\d(?::\d\d(?:\.\d+)?)?(?!\d)(?:\s?[AaPp][Mm]\b)?", "<TIME>", _DIGITS, "-/:"),
    # ipv6: full or compressed (after times, whose colons it would otherwise take)
    _mask("ipv6", r"\b[0-9a-fA-F]{1,4}(?::[0-9a-fA-F]{0,4}){2,7}\b", "<IP>", ":"),
    # path: Windows paths, absolute paths of two or more segments, relative paths to a file
    _mask("path", r"\b[A-Za-z]:\\[^\s\"'<>|*?]*"
                  r"|(?<![\w/.~<>-])/(?:[\w.@~+%-]+/)+[\w.@~+%-]*"
                  r"|\b[\w.-]+(?:/[\w.-]+)+\.[A-Za-z]{1,5}\b", "<PATH>", "/\\"),
    # quoted: '...' and "..." values, identifiers kept (rule in the module docstring)
    _mask("quoted", rf"(?<!\w)'(?!{_KEEP_QUOTED}')(?![^'\n]{{0,300}}?\s(?:/|\w+://|<PATH>|<URL>))[^'\n]{{1,300}}'(?!\w)"
                    rf"|(?<!\w)\"(?!{_KEEP_QUOTED}\")(?![^\"\n]{{0,300}}?\s(?:/|\w+://|<PATH>|<URL>))[^\"\n]{{1,300}}\"(?!\w)",
          "<QUOTED>", "'\""),
    # hex: 0x literals, and hex runs of 8+ with both digits and letters (hashes, request ids)
    _mask("hex", r"\b0[xX][0-9a-fA-F]+\b|\b(?=[0-9a-fA-F]*\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{8,}\b",
          "<HEX>", _DIGITS),
    # id: opaque ids (Graph ids, tokens): 8+ chars with 3+ digits, 20+ with one, or base64 "=" padding;
    # codes like AADSTS70008 (capitals then digits) are kept: they name the error
    _mask("id", rf"\b(?![A-Z]+\d+\b)(?={_TOKEN}*[A-Za-z])"
                rf"(?=(?:[A-Za-z_+/-]*\d){{3}}|(?=[A-Za-z_+/-]*\d){_TOKEN}{{20}}|{_TOKEN}{{8,}}={{1,2}}(?![\w=]))"
                rf"{_TOKEN}{{8,}}(?:={{1,2}}(?![\w=]))?", "<ID>", _DIGITS | {"="}),
    # num: any remaining number not glued to a word before it (v1.0, Win32 and AADSTS codes stay)
    _mask("num", r"(?<![A-Za-z0-9_.])\d+(?:[.,]\d+)*", "<NUM>", _DIGITS),
)


# Masks are applied token by token (whitespace-separated, memoised) unless the text holds something a mask
# matches across a space: a quoted text with a space in it, a clock time before AM/PM, an RFC 1123 or an
# ISO date and time. Every other mask matches inside one token, and its boundaries (\b, look-behinds)
# read a space and a token edge alike, so both ways give the same template; tests/unit/test_fingerprint.py
# checks that on golden, sample and arbitrary texts. Token by token is what makes ingest fast.
_SPANS_SPACES = re.compile(r"\d\s?[AaPp][Mm]\b|\d-\d\d\s\d")
_WEEKDAY_COMMA = re.compile(r"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun),\s")
# What mask_message does for the messages of one shape: their template (a str); or, token by token, the
# token's template (a str), _KEEP (the message's own token: no mask fires in it) or _MASK (mask the
# message's own token: its template keeps a digit beside a masked part); or None: mask the whole message
# (masks match across its spaces, and its template keeps a digit).
_KEEP, _MASK, _UNSEEN = object(), object(), object()
_Plan = str | tuple[str | object, ...] | None
_TOKEN_CACHE: dict[str, str] = {}
_MESSAGE_CACHE: dict[str, _Plan] = {}
_CACHE_MAX = 200_000  # each cache's entries: raw texts are keys, so bound the memory
_ANY_HINT = frozenset().union(*(m.needs[0] for m in MASKS))  # no mask matches a text without one
# Byte tables: bytes.translate is a table lookup per byte, about ten times faster than str.translate's
# per-character mapping; UTF-8 keeps every ASCII digit a byte of its own, so the round trip is exact.
_SHAPE = bytes.maketrans(b"0123456789", b"5555555555")
_SHAPE_KEEP_ZERO = bytes.maketrans(b"123456789", b"555555555")


def _shape(text: str) -> str:
    """The text with every digit read as 5: masks see where digits are and how many, never which, but
    for the 0 of a "0x" literal (then 0 stays 0)."""
    table = _SHAPE_KEEP_ZERO if "0x" in text or "0X" in text else _SHAPE
    # surrogatepass: a lone surrogate (JSON can decode to one) survives the round trip unchanged
    return text.encode("utf-8", "surrogatepass").translate(table).decode("utf-8", "surrogatepass")


def mask_message(text: str) -> str:
    """Apply MASKS in order and collapse whitespace: the template analysts see. Deterministic."""
    if not text:
        return ""
    # Masks read where digits are and how many, never which (but for "0x"), so messages of one shape
    # (see _shape) mask alike: most lines of a log differ only there, and cost one lookup.
    shape = _shape(text)
    plan = _MESSAGE_CACHE.get(shape, _UNSEEN)
    if plan is _UNSEEN:
        if len(_MESSAGE_CACHE) >= _CACHE_MAX:
            _MESSAGE_CACHE.clear()
        plan = _MESSAGE_CACHE[shape] = _plan(shape)
    if isinstance(plan, str):
        return plan
    if plan is None:
        return _apply(text, None)
    return " ".join(map(_token_template, plan, text.split()))


def _plan(shape: str) -> _Plan:
    tokens = shape.split()
    if _needs_whole_text(shape, tokens):
        masked = _apply(shape, None)
        return masked if _DIGITS.isdisjoint(masked) else None
    parts = [_mask_token(token) for token in tokens]
    if all(_DIGITS.isdisjoint(part) for part in parts):
        return " ".join(parts)
    # A template that keeps a digit keeps the message's own digit ("Win32", "jk2_init()", "eth0"). No mask
    # fired in such a token most often: then it is its own template, with no regex to run on it.
    return tuple(part if _DIGITS.isdisjoint(part) else _KEEP if part == token else _MASK
                 for part, token in zip(parts, tokens))


def _token_template(part: str | object, token: str) -> str:
    if part is _KEEP:
        return token
    if part is _MASK:
        return _cached(token)
    return part  # type: ignore[return-value]  # a str: the template the shape's token gave


def clear_caches() -> None:
    """Forget every memoised template and hash (a cold start, as benchmarks measure one)."""
    _MESSAGE_CACHE.clear()
    _TOKEN_CACHE.clear()
    _HASHES.clear()


def _needs_whole_text(text: str, tokens: list[str]) -> bool:
    if ("'" in text or '"' in text) and any(t.count("'") % 2 or t.count('"') % 2 for t in tokens):
        return True  # a quote opens in one token and closes in another (or an apostrophe: same answer)
    return bool(_SPANS_SPACES.search(text)) or (", " in text and bool(_WEEKDAY_COMMA.search(text)))


def _mask_token(token: str) -> str:
    """The template of one token of a shape (see _plan); memoised, as tokens repeat."""
    if _ANY_HINT.isdisjoint(token):
        return token  # most words: no mask can fire without a digit, "/", ":", "@", "-" or "="
    if token.isascii() and token.isdigit():
        return "<NUM>"  # a bare number: only the num mask matches it (hex and id masks need a letter)
    return _cached(token)


def _cached(token: str) -> str:
    masked = _TOKEN_CACHE.get(token)
    if masked is None:
        if len(_TOKEN_CACHE) >= _CACHE_MAX:
            _TOKEN_CACHE.clear()
        masked = _TOKEN_CACHE[token] = _apply_clean(token, None)
    return masked


def _apply(text: str, fired: list[tuple[str, str, str]] | None) -> str:
    if not text:
        return ""
    return _apply_clean(_WS.sub(" ", text).strip(), fired)


def _apply_clean(text: str, fired: list[tuple[str, str, str]] | None) -> str:
    """MASKS over a text whose whitespace is already single spaces (a token has none)."""
    # Masks only remove characters, so what the text holds at the start over-approximates what is left.
    for mask in _masks_that_may_match(text):
        if fired is not None:
            fired.extend((mask.name, m.group(0), mask.placeholder) for m in mask.pattern.finditer(text))
        text = mask.pattern.sub(mask.placeholder, text)
    return text


_NEEDED = frozenset().union(*(chars for mask in MASKS for chars in mask.needs)) - _DIGITS
_MASKS_BY_PRESENT: dict[tuple[frozenset[str], bool], tuple[Mask, ...]] = {}


def _masks_that_may_match(text: str) -> tuple[Mask, ...]:
    """The masks whose needed characters the text holds, in order. Memoised by which of those characters
    it holds (a few symbols, and whether any digit: at most 2 ** 10 keys), as this runs for every new token."""
    key = (_NEEDED.intersection(text), not _DIGITS.isdisjoint(text))
    masks = _MASKS_BY_PRESENT.get(key)
    if masks is None:
        present = key[0] | _DIGITS if key[1] else key[0]
        masks = _MASKS_BY_PRESENT[key] = tuple(
            mask for mask in MASKS if all(not chars.isdisjoint(present) for chars in mask.needs))
    return masks


class Fingerprinter:
    """ParsedError -> Fingerprint. Stateless; the mask table is module data."""

    version = FINGERPRINT_VERSION

    def fingerprint(self, parsed: ParsedError) -> Fingerprint:
        template = mask_message(parsed.message or "")
        fields = self.fields(parsed, template)
        return Fingerprint(hash=_memoised_hash(fields), version=self.version,
                           message_template=template, fields=fields)

    def fields(self, parsed: ParsedError, template: str | None = None) -> dict[str, Any]:
        """What the hash covers: the provider's code, or the failure class when there is none."""
        return {
            "plugin": parsed.plugin,
            "endpoint_template": parsed.endpoint_template,
            "status_code": parsed.status_code,
            "error_code": parsed.error_code or parsed.error_type,
            "message_template": mask_message(parsed.message or "") if template is None else template,
        }

    def explain(self, parsed: ParsedError) -> list[tuple[str, str, str]]:
        """(mask name, text it replaced, placeholder) for every replacement, in the order made."""
        fired: list[tuple[str, str, str]] = []
        _apply(parsed.message or "", fired)
        return fired


def fingerprint_hash(fields: dict[str, Any], version: str = FINGERPRINT_VERSION) -> str:
    """First 16 hex characters of sha1 over canonical JSON of the version and the fields."""
    return short_hash({"version": version, "fields": fields})


def short_hash(payload: dict[str, Any]) -> str:
    """First 16 hex characters of sha1 over canonical JSON of `payload` (sorted keys, no spaces): the
    stored identity of a versioned signature (fingerprints, message patterns)."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha1(canonical.encode("utf-8")).hexdigest()[:16]


_HASHES: dict[tuple[Any, ...], str] = {}


def _memoised_hash(fields: dict[str, Any]) -> str:
    """fingerprint_hash of Fingerprinter.fields, memoised: a fingerprint exists because many events
    share its fields. Its values are text, None and an int status, so equal keys mean equal JSON (a float
    or a bool status would not: 1.0 == 1 == True, but their JSON differs), hence the type test."""
    if type(fields["status_code"]) not in (int, type(None)):
        return fingerprint_hash(fields)
    key = tuple(fields.values())
    known = _HASHES.get(key)
    if known is None:
        if len(_HASHES) >= _CACHE_MAX:
            _HASHES.clear()
        known = _HASHES[key] = fingerprint_hash(fields)
    return known
