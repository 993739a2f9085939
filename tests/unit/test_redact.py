"""The redactor on a corpus of telemetry-like lines with planted personal data and secrets.

PLANTED is shared with the stage test of the LLM summaries, which checks that none of these values
reaches the (fake) chat-completions server.
"""

from __future__ import annotations

import pytest

from lens_core.describe.redact import redact, redaction_recall

JWT = ("eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0."
       "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")

# (text, planted values that must not survive redaction)
PLANTED: list[tuple[str, list[str]]] = [
    ("HTTP 401 Unauthorized: access token expired for kwame.kowalski@adatum.com", ["kwame.kowalski@adatum.com"]),
    ("send the report to Dana.O'Neil+ops@contoso.co.uk and cc j_smith@sub.fabrikam.org",
     ["Dana.O'Neil+ops@contoso.co.uk", "j_smith@sub.fabrikam.org"]),
    ("UPN alex@litware.onmicrosoft.com has no mailbox", ["alex@litware.onmicrosoft.com"]),
    ("call me back on +1 (425) 555-0134 or +44 20 7946 0958", ["(425) 555-0134", "20 7946 0958", "555-0134"]),
    ("my number is 425-555-0199, office 020 7946 0123", ["425-555-0199", "020 7946 0123"]),
    ("pay with card 4111 1111 1111 1111 please", ["4111 1111 1111 1111"]),
    ("card 5500-0000-0000-0004 declined", ["5500-0000-0000-0004"]),
    ("amex 378282246310005 expired", ["378282246310005"]),
    ("connection refused from 10.24.3.117 to 192.168.0.1:443", ["10.24.3.117", "192.168.0.1"]),
    ("client 2001:db8:85a3::8a2e:370:7334 and fe80::1ff:fe23:4567:890a dropped",
     ["2001:db8:85a3::8a2e:370:7334", "fe80::1ff:fe23:4567:890a"]),
    (f"Authorization: Bearer {JWT}", [JWT, "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"]),
    ("header Authorization: Bearer ya29.a0AfH6SMBx3kq9LmNopQ-rStUvWxYz012345", ["ya29.a0AfH6SMBx3kq9LmNopQ-rStUvWxYz012345"]),
    (f"id_token={JWT}&state=abc", [JWT]),
    ("OPENAI key sk-proj-AbCdEf1234567890GhIjKlMnOp leaked", ["sk-proj-AbCdEf1234567890GhIjKlMnOp"]),
    ("using sk-9f8e7d6c5b4a39281706f5e4d3c2b1a0 in prod", ["sk-9f8e7d6c5b4a39281706f5e4d3c2b1a0"]),
    ("aws AKIAIOSFODNN7EXAMPLE with secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
     ["AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"]),
    ("github token ghp_16C7e42F292c6912E7710c838347Ae178B4a in config", ["ghp_16C7e42F292c6912E7710c838347Ae178B4a"]),
    ("slack xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", ["xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"]),
    ("signing secret 9a0364b9e99bb480dd25e1f0284c8555d1f2f7c3a4b5", ["9a0364b9e99bb480dd25e1f0284c8555d1f2f7c3a4b5"]),
    ("blob key Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MEFCQ0RFRkdISUpL== rejected", ["Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MEFCQ0RFRkdISUpL=="]),
    ("GET https://admin:S3cr3tP4ss@db.internal.example.com/health failed", ["admin:S3cr3tP4ss", "S3cr3tP4ss"]),
    ("GET https://x.blob.core.windows.net/c/f.pdf?sv=2022-11-02&sig=AbC%2Bdef123XyZ%3D&se=2024 403",
     ["AbC%2Bdef123XyZ%3D"]),
    ("redirect https://app.example.com/cb?code=M.R3_BAY.2f9a1c&state=1 then ?token=tok_live_77aa",
     ["M.R3_BAY.2f9a1c", "tok_live_77aa"]),
    ("login failed: password=Hunter2!secure user reset", ["Hunter2!secure"]),
    ('{"client_secret": "Qx8~vT.secretvalue_99", "grant_type": "client_credentials"}', ["Qx8~vT.secretvalue_99"]),
    ("DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=bm90LWEtcmVhbC1rZXktYnV0LWxvbmc=;", ["bm90LWEtcmVhbC1rZXktYnV0LWxvbmc="]),
    ("user_id=u-88231 tenant ok", ["u-88231"]),
    ("requested by user-0600 in tenant litware", ["user-0600"]),
    ("user object 3f2504e0-4f89-11d3-9a0c-0305e82c3301 not found in tenant", ["3f2504e0-4f89-11d3-9a0c-0305e82c3301"]),
    ('"userPrincipalName": "pat.lee@adatum.com"', ["pat.lee@adatum.com"]),
]

# Text that must come through unchanged: the evidence a summary needs.
KEPT = [
    "HTTP 401 Unauthorized: InvalidAuthenticationToken",
    "IDX10223: Lifetime validation failed. ValidTo: '2024-05-02 00:13:21', Current time: '2024-05-02T09:26:38'.",
    "KeyError: 'value' in plugins/calendar.py line 212",
    "429 Too Many Requests, retry after 30 seconds",
    "GET /me/calendarView?startDateTime=2024-05-01 returned 504 after 30000 ms",
    "release 2024.04.3 order 1234567890123",
    "the token is expired; refresh it",
]


def test_recall_on_the_planted_corpus_is_complete() -> None:
    assert redaction_recall(PLANTED) == 1.0


@pytest.mark.parametrize(("text", "values"), PLANTED)
def test_each_planted_value_is_replaced_by_a_placeholder(text: str, values: list[str]) -> None:
    cleaned = redact(text)
    assert not [v for v in values if v in cleaned], cleaned
    assert "<" in cleaned


@pytest.mark.parametrize("text", KEPT)
def test_evidence_without_personal_data_stays(text: str) -> None:
    assert redact(text) == text


def test_placeholders_are_typed_and_redaction_is_idempotent() -> None:
    text = ("mail a@b.com, call +1 425 555 0100, card 4111111111111111, ip 10.0.0.1, "
            f"Bearer {JWT}, key sk-abcdefABCDEF1234567890, https://u:p@h.com/x?sig=zz, password=pw123")
    once = redact(text)
    for tag in ("<EMAIL>", "<PHONE>", "<CARD>", "<IP>", "<TOKEN>", "<API_KEY>", "<URL_SECRET>", "<SECRET>"):
        assert tag in once, (tag, once)
    assert redact(once) == once


def test_card_numbers_failing_luhn_stay() -> None:
    assert redact("ticket 4111 1111 1111 1112") == "ticket 4111 1111 1111 1112"


def test_recall_counts_missed_values() -> None:
    assert redaction_recall([("see plain words", ["plain words"]), ("a@b.com", ["a@b.com"])]) == 0.5
    assert redaction_recall([]) == 1.0
