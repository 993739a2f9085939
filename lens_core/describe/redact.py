"""Redaction: personal data and secrets replaced by typed placeholders before text leaves the machine.

    redact(text)                 "<EMAIL>", "<PHONE>", "<CARD>", "<IP>", "<TOKEN>", "<API_KEY>", "<SECRET>",
                                 "<URL_SECRET>", "<USER>", "<GUID>" in place of what they stand for
    redaction_recall(cases)      share of planted values a corpus no longer contains after redact()

Placeholders keep the kind of value, so a summary can still say "the token in the header expired" without
seeing the token. Rules run in a fixed order: secrets inside URLs first (a `user:pass@host` would
otherwise read as an email), then tokens and keys (long strings that later rules would cut in pieces),
then contact data, then numbers. Redaction is idempotent: no rule matches a placeholder.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Sequence

# Query parameters that carry credentials (SAS signatures, OAuth codes, API keys in URLs).
_URL_PARAMS = (r"access_token|refresh_token|id_token|token|sig|signature|code|key|api_key|apikey|secret|"
               r"client_secret|password|passwd|pwd|auth|session|sessionid|x-amz-signature|x-amz-credential")
# Names whose value is a secret wherever they appear as `name=value` or `"name": "value"`.
_SECRET_NAMES = (r"password|passwd|pwd|passphrase|secret|client_secret|api[_-]?key|access[_-]?key|"
                 r"secret[_-]?key|access_token|refresh_token|id_token|auth[_-]?token|token|authorization|"
                 r"connection[_-]?string|accountkey|sharedaccesskey")
# Names whose value identifies a person.
_USER_NAMES = r"user[_-]?id|userid|upn|user[_-]?principal[_-]?name|oid|object[_-]?id|login|username|sid"

_RULES: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    # scheme://user:password@host -> the whole userinfo goes
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^\s/@:]+:[^\s/@]+@"), r"\1<URL_SECRET>@"),
    (re.compile(rf"(?i)([?&;](?:{_URL_PARAMS})=)[^&#\s\"'<>]+"), r"\1<URL_SECRET>"),
    # JWTs (three base64url parts, the first one a JSON header) and bearer/basic credentials
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), "<TOKEN>"),
    (re.compile(r"(?i)\b(bearer|basic|token)\s+(?!<)[A-Za-z0-9._~+/=-]{8,}"), r"\1 <TOKEN>"),
    # Vendor API keys with known shapes
    (re.compile(r"\bsk-(?:proj-|ant-|live-|test-)?[A-Za-z0-9_-]{16,}"), "<API_KEY>"),
    (re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), "<API_KEY>"),
    (re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr|github_pat)_[A-Za-z0-9_]{20,}"), "<API_KEY>"),
    (re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"), "<API_KEY>"),
    (re.compile(r"\bAIza[0-9A-Za-z_-]{35}"), "<API_KEY>"),
    (re.compile(r"\b(?:rk|pk|sk)_(?:live|test)_[A-Za-z0-9]{16,}"), "<API_KEY>"),
    # name=value / "name": "value" secrets (password=..., "client_secret": "...")
    (re.compile(rf"(?i)\b((?:{_SECRET_NAMES})[\"']?\s*[:=]\s*[\"']?)(?!<)(?!(?i:bearer|basic)\b)[^\s\"',;&]{{3,}}"), r"\1<SECRET>"),
    (re.compile(rf"(?i)\b((?:{_USER_NAMES})[\"']?\s*[:=]\s*[\"']?)(?!<)[^\s\"',;&]{{2,}}"), r"\1<USER>"),
    # Emails, which also covers user principal names (UPNs: someone@tenant.onmicrosoft.com)
    (re.compile(r"(?i)\b[a-z0-9._%+'-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}\b"), "<EMAIL>"),
    (re.compile(r"(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"), "<GUID>"),
    # Pseudonymous user ids of the telemetry itself ("user-0600")
    (re.compile(r"(?i)\buser[-_]\d{2,}\b"), "<USER>"),
]

_CARD = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")
_IPV4 = re.compile(r"(?<![\w.])(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}"
                   r"(?:/\d{1,2})?(?![\w.])")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{0,4}|<IP>)(?:%\w+)?(?![\w:])")
_PHONES = [
    # international: +CC then 6-14 digits in groups
    re.compile(r"(?<![\w+])\+\d{1,3}(?:[\s.-]?\(?\d{1,4}\)?){2,5}(?!\w)"),
    # North American and similar 3-3-4 shapes: (425) 555-0100, 425.555.0100, 425-555-0100
    re.compile(r"(?<!\w)\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}(?!\w)"),
    # national numbers written with a leading 0 in groups: 020 7946 0958, 06-12345678
    re.compile(r"(?<![\w-])0\d{1,4}[\s-]\d{3,4}[\s-]?\d{3,4}(?![\w-])"),
]
# Long secrets with no known shape: 32+ hex digits, or 32+ base64 characters mixing cases and digits.
_HEX_SECRET = re.compile(r"(?<![\w-])[0-9a-fA-F]{32,}(?![\w-])")
_B64_SECRET = re.compile(r"(?<![\w+/-])[A-Za-z0-9+/_-]{32,}={0,2}(?![\w+/-])")


def _luhn_ok(digits: str) -> bool:
    total, parity = 0, len(digits) % 2
    for i, ch in enumerate(digits):
        d = int(ch)
        if i % 2 == parity:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    # Only numbers that pass the Luhn check: order numbers and timestamps of the same length stay.
    digits = re.sub(r"\D", "", match.group(0))
    return "<CARD>" if 13 <= len(digits) <= 19 and _luhn_ok(digits) else match.group(0)


def _ipv6(match: re.Match[str]) -> str:
    text = match.group(0)
    candidate = text.split("%")[0].replace("<IP>", "1.2.3.4")
    if candidate.count(":") < 2:
        return text
    try:
        ipaddress.IPv6Address(candidate)
    except ValueError:
        return text  # "10:30:00" and other colon-separated numbers are not addresses
    return "<IP>"


def _b64(match: re.Match[str]) -> str:
    # Mixed case and digits: identifiers like "InvalidAuthenticationTokenException" stay readable.
    s = match.group(0)
    if any(c.isdigit() for c in s) and any(c.isupper() for c in s) and any(c.islower() for c in s):
        return "<SECRET>"
    return s


def redact(text: str) -> str:
    """`text` with personal data and secrets replaced by typed placeholders (see the module doc)."""
    if not text:
        return text
    for pattern, repl in _RULES:
        text = pattern.sub(repl, text)
    text = _CARD.sub(_card, text)
    text = _IPV4.sub("<IP>", text)
    text = _IPV6.sub(_ipv6, text)
    for phone in _PHONES:
        text = phone.sub("<PHONE>", text)
    text = _HEX_SECRET.sub("<SECRET>", text)
    return _B64_SECRET.sub(_b64, text)


def redaction_recall(cases: Iterable[tuple[str, Sequence[str]]]) -> float:
    """Share of planted values (over all cases) that redact(text) removed; 1.0 for an empty corpus."""
    planted = found = 0
    for text, values in cases:
        cleaned = redact(text)
        for value in values:
            planted += 1
            found += value not in cleaned
    return found / planted if planted else 1.0
