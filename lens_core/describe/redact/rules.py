"""lens's own redaction rules: the kinds Presidio has no recogniser for (see the package's docstring).

    apply_rules(text)   `text` with secrets, user names in telemetry's forms, dotless e-mails and street
                        addresses replaced by typed placeholders

Rules run in a fixed order: secrets inside URLs first (a `user:pass@host` would otherwise read as an
e-mail), then tokens and keys (long strings that later rules would cut in pieces), then names and
addresses. No rule matches a placeholder, so applying them twice changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable

# Query parameters that carry credentials (SAS signatures, OAuth codes, API keys in URLs).
_URL_PARAMS = (r"access_token|refresh_token|id_token|token|sig|signature|code|key|api_key|apikey|secret|"
               r"client_secret|password|passwd|pwd|auth|session|sessionid|x-amz-signature|x-amz-credential")
# Names whose value is a secret wherever they appear as `name=value` or `"name": "value"`.
_SECRET_NAMES = (r"password|passwd|pwd|passphrase|secret|client_secret|api[_-]?key|access[_-]?key|"
                 r"secret[_-]?key|access_token|refresh_token|id_token|auth[_-]?token|token|authorization|"
                 r"connection[_-]?string|accountkey|sharedaccesskey")
# Names whose value identifies a person.
_USER_NAMES = (r"user[_-]?id|userid|upn|user[_-]?principal[_-]?name|oid|object[_-]?id|login|username|sid|user|"
               r"customer[_-]?name|full[_-]?name|display[_-]?name")
# Words that follow "user" in error text without naming anyone ("user not found", "user Has no licence").
_NOT_NAMES = (r"not|has|had|have|is|was|does|did|do|cannot|can|could|must|may|should|will|would|the|a|an|"
              r"and|or|of|in|on|for|to|with|without|account|accounts|session|sessions|id|ids|name|names|"
              r"agent|input|prompt|request|requests|data|role|roles|error|errors|denied|unknown|none|null")
_STREET = (r"street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|terrace|"
           r"parkway|pkwy|square|sq|highway|hwy|circle|cir|strasse|straße|rue|calle|via")

Rule = tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]
_RULES: list[Rule] = [
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
    (re.compile(rf"(?i)\b((?:{_SECRET_NAMES})[\"']?\s*[:=]\s*[\"']?)(?!<)(?!(?i:bearer|basic)\b)[^\s\"',;&]{{3,}}"),
     r"\1<SECRET>"),
    # user=bob, "username": "bob", (user: bob.jones), name: Dana Smith -> the value goes (up to two words
    # when they are capitalised, as names are)
    (re.compile(rf"(?i)\b((?:{_USER_NAMES})[\"']?\s*[:=]\s*[\"']?)(?!<)"
                r"(?:(?-i:[A-Z][\w'-]+(?:\s[A-Z][\w'-]+)?)|[^\s\"',;&()]{2,})"), r"\1<USER>"),
    # "user bob.jones", "for user Alice": a handle (with a dot, _ or digit) after "user", or capitalised words
    # after a lower-case "user" ("User Rate Limit Exceeded" is a status, not a person)
    (re.compile(rf"(?i)\b(user\s+)(?!<)(?!(?:{_NOT_NAMES})(?:[\s,;:!?)]|$))(?:[a-z][\w-]*[._][\w.-]*\w|[a-z]+\d+\w*)"),
     r"\1<USER>"),
    (re.compile(r"\b(user\s+)(?!(?i:not|has|is|was)\b)[A-Z][a-z'-]+(?:\s[A-Z][a-z'-]+)?"), r"\1<USER>"),
    # GUIDs (user and object ids), except those labelled as request, correlation or trace ids
    (re.compile(r"(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"), lambda m: _guid(m)),
    # Pseudonymous user ids of the telemetry itself ("user-0600")
    (re.compile(r"(?i)\buser[-_]\d{2,}\b"), "<USER>"),
    # E-mails whose domain has no dot (intranet hosts: bob@corp); dotted ones are Presidio's
    (re.compile(r"(?i)(?<![\w.+'-])[\w.%+'-]+@[a-z][a-z0-9-]*\b(?![.@]\w)"), "<EMAIL>"),
    # Street addresses: a house number, up to four capitalised words and a street word (Presidio has none)
    (re.compile(rf"\b\d{{1,5}}[A-Za-z]?\s+(?:[A-Z][\w'.-]*\s+){{1,4}}(?i:{_STREET})\b\.?"), "<ADDRESS>"),
]
# Long secrets with no known shape: 32+ hex digits, or 32+ base64 characters mixing cases and digits.
_HEX_SECRET = re.compile(r"(?<![\w-])[0-9a-fA-F]{32,}(?![\w-])")
_B64_SECRET = re.compile(r"(?<![\w+/-])[A-Za-z0-9+/_-]{32,}={0,2}(?![\w+/-])")
_REQUEST_ID = re.compile(r"(?i)(?:request|correlation|trace|activity|operation|span|message|run|job)[-_ ]?id"
                         r"\W{0,4}$")
_PATH_WORD = re.compile(r"^[a-z][a-z_-]+$")
_WORDY = re.compile(r"^(?:[A-Z]?[a-z]+|[A-Z]+|\w{1,3})$")


def _guid(match: re.Match[str]) -> str:
    # A plugin's request id is what support asks for, and nobody's identity: it stays.
    before = match.string[max(0, match.start() - 24):match.start()]
    return match.group(0) if _REQUEST_ID.search(before) else "<GUID>"


def _b64(match: re.Match[str]) -> str:
    s = match.group(0)
    parts = s.split("/")
    if len(parts) > 1 and any(_PATH_WORD.match(p) for p in parts):
        # A URL path (v1.0/me/events/AAMkAGz7...): only its opaque segments go, the route stays.
        return "/".join(_opaque(p, 20) for p in parts)
    return _opaque(s, 32)


def _opaque(s: str, least: int) -> str:
    """<SECRET> for a long string mixing cases and digits; identifiers made of words stay."""
    if len(s) < least or all(_WORDY.match(part) for part in re.split(r"[-_+/]", s) if part):
        return s  # InvalidAuthenticationTokenException, Microsoft-Azure-Application-Gateway
    if any(c.isdigit() for c in s) and any(c.isupper() for c in s) and any(c.islower() for c in s):
        return "<SECRET>"
    return s


def apply_rules(text: str) -> str:
    for pattern, repl in _RULES:
        text = pattern.sub(repl, text)
    text = _HEX_SECRET.sub("<SECRET>", text)
    return _B64_SECRET.sub(_b64, text)
