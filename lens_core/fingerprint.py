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
A quote only opens after a non-word character and closes before one, so apostrophes (can't) are text.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any, NamedTuple

from lens_core.schema import Fingerprint, ParsedError

FINGERPRINT_VERSION = "fp1"

_DIGITS = frozenset("0123456789")
_WS = re.compile(r"\s+")


class Mask(NamedTuple):
    name: str
    pattern: re.Pattern[str]
    placeholder: str
    hints: frozenset[str]  # the mask can only match when one of these characters is present


def _mask(name: str, pattern: str, placeholder: str, hints: str | frozenset[str], flags: int = 0) -> Mask:
    return Mask(name, re.compile(pattern, flags), placeholder, frozenset(hints))


_TOKEN = r"[A-Za-z0-9_+/-]"  # characters of an opaque id (base64 and base64url included)
_KEEP_QUOTED = r"(?:[A-Za-z_][A-Za-z_.\-]{0,39}|<[A-Z]+>)"
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"

# Order matters: each mask sees the text the previous ones left (a URL's digits are gone before <NUM>).
MASKS: tuple[Mask, ...] = (
    # url: any scheme://..., trailing punctuation left to the sentence
    _mask("url", r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s\"'<>]*[^\s\"'<>.,;:!?)\]]", "<URL>", ":"),
    # email: user@domain, UPNs included
    _mask("email", r"\b[\w.%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+\b", "<EMAIL>", "@"),
    # guid: request ids, tenant ids, object ids
    _mask("guid", r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b", "<GUID>", "-"),
    # ipv4: dotted quads with an optional port (before times, which would take "12:44" of ":443")
    _mask("ipv4", r"\b(?:\d{1,3}\.){3}\d{1,3}\b(?::\d{1,5}\b)?", "<IP>", _DIGITS),
    # time: ISO 8601 / RFC 3339, RFC 1123 (HTTP Date), m/d/y dates, clock times
    _mask("time", r"\b\d{4}-\d\d-\d\d(?:[T ]\d\d:\d\d(?::\d\d(?:[.,]\d+)?)?)?(?:Z\b|[+-]\d\d:?\d\d\b)?"
                  rf"|\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun),\s\d{{1,2}}\s{_MONTH}\s\d{{4}}\s\d\d:\d\d:\d\d"
                  r"(?:\s(?:GMT|UTC|[+-]\d{4}))?"
                  r"|\b\d{1,2}/\d{1,2}/\d{2,4}\b"
                  r"|\b\d{1,2}:\d\d(?::\d\d(?:\.\d+)?)?(?!\d)(?:\s?[AaPp][Mm]\b)?", "<TIME>", _DIGITS),
    # ipv6: full or compressed (after times, whose colons it would otherwise take)
    _mask("ipv6", r"\b[0-9a-fA-F]{1,4}(?::[0-9a-fA-F]{0,4}){2,7}\b", "<IP>", ":"),
    # path: Windows paths, absolute paths of two or more segments, relative paths to a file
    _mask("path", r"\b[A-Za-z]:\\[^\s\"'<>|*?]*"
                  r"|(?<![\w/.~<>-])/(?:[\w.@~+%-]+/)+[\w.@~+%-]*"
                  r"|\b[\w.-]+(?:/[\w.-]+)+\.[A-Za-z]{1,5}\b", "<PATH>", "/\\"),
    # quoted: '...' and "..." values, identifiers kept (rule in the module docstring)
    _mask("quoted", rf"(?<!\w)'(?!{_KEEP_QUOTED}')[^'\n]{{1,300}}'(?!\w)"
                    rf"|(?<!\w)\"(?!{_KEEP_QUOTED}\")[^\"\n]{{1,300}}\"(?!\w)", "<QUOTED>", "'\""),
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


def mask_message(text: str) -> str:
    """Apply MASKS in order and collapse whitespace: the template analysts see. Deterministic."""
    return _apply(text, None)


def _apply(text: str, fired: list[tuple[str, str, str]] | None) -> str:
    if not text:
        return ""
    text = _WS.sub(" ", text).strip()
    present = frozenset(text)  # masks only remove characters, so this over-approximates what is left
    for mask in MASKS:
        if mask.hints.isdisjoint(present):
            continue  # cheap precheck: a number mask cannot match text without digits
        if fired is not None:
            fired.extend((mask.name, m.group(0), mask.placeholder) for m in mask.pattern.finditer(text))
        text = mask.pattern.sub(mask.placeholder, text)
    return text


class Fingerprinter:
    """ParsedError -> Fingerprint. Stateless; the mask table is module data."""

    version = FINGERPRINT_VERSION

    def fingerprint(self, parsed: ParsedError) -> Fingerprint:
        template = mask_message(parsed.message or "")
        fields = self.fields(parsed, template)
        return Fingerprint(hash=fingerprint_hash(fields), version=self.version,
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
    canonical = json.dumps({"version": version, "fields": fields}, sort_keys=True,
                           separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha1(canonical.encode("utf-8")).hexdigest()[:16]
