"""Redaction: personal data and secrets replaced by typed placeholders before text leaves the machine.

    redact(text)                 `text` with each value found replaced by its kind's placeholder
    redact_many(texts)           the same over a list, each distinct text redacted once
    redaction_recall(cases)      share of planted values a corpus no longer contains after redact()
    redaction_record(...)        what a run stores: which outbound services got redacted text
    NO_PERSON_NAMES              what this layer cannot find, said where it is configured and in the bench

This is the one layer between lens and every external service: remote embeddings (embed/openai_backend),
LLM summaries (describe/llm) and webhook alerts (tracking/alerts), and the summary exports. Settings'
REDACT_OUTBOUND (on by default) turns it off for the remote services; local embedding never redacts,
since nothing leaves the machine. Whether it was applied is recorded with each run (runs/pipeline).

Where each kind comes from:
- Microsoft Presidio's recognisers (detector.py, run offline on spaCy's blank pipeline): e-mail addresses
  <EMAIL>, phone numbers <PHONE> (libphonenumber), credit cards <CARD> (Luhn), IPv4/IPv6 <IP>, US SSN
  <SSN>, IBAN <IBAN> (checksum), MAC addresses <MAC>, crypto wallets, UK NHS and US ITIN numbers
  <NATIONAL_ID>, and dates, redacted as <DATE_OF_BIRTH> only after a birth word.
- lens's own rules (rules.py), for what Presidio has no recogniser for: secrets in URLs <URL_SECRET>,
  JWTs and bearer tokens <TOKEN>, vendor API keys <API_KEY>, `name=value` secrets and long opaque
  strings <SECRET>, user names in telemetry's forms (`user=bob`, `(user: bob.jones)`, `user Alice`,
  `user-0600`) <USER>, e-mails whose domain has no dot (bob@corp) <EMAIL>, street addresses <ADDRESS>,
  GUIDs <GUID> (Presidio's UUID recogniser takes RFC 4122 UUIDs only) except request, correlation and
  trace ids, which plugins' errors carry and support needs.

Presidio's URL recogniser is not used: endpoints and hosts are what grouping needs. Placeholders keep
the kind of value, so a summary can still say "the token in the header expired" without seeing it.
Redaction is idempotent: nothing matches a placeholder.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from lens_core.describe.redact.detector import detect
from lens_core.describe.redact.rules import apply_rules

NO_PERSON_NAMES = ("person names are found only in forms like `user Alice` or `(user: bob.jones)`: free-text "
                   "names need a NER model (spaCy's en_core_web_lg), which no installable package carries here")


def redaction_record(*, embedder_redacts: bool | None, llm: bool, redact: bool) -> dict[str, str]:
    """What a run stores of this layer: per outbound service, "redacted", "not redacted" or why it is moot.

    `embedder_redacts` is the embedder's `redacts` attribute, which only remote embedders have (None: a
    local embedder, nothing leaves the machine)."""
    said = {True: "redacted", False: "not redacted (REDACT_OUTBOUND=false)"}
    return {"embeddings": "local, nothing sent" if embedder_redacts is None else said[embedder_redacts],
            "llm": said[redact] if llm else "not used"}


def redact(text: str) -> str:
    """`text` with personal data and secrets replaced by typed placeholders (see the module doc)."""
    if not text or text.isspace():
        return text
    text = apply_rules(text)
    for start, end, placeholder in reversed(detect(text)):
        text = text[:start] + placeholder + text[end:]
    return text


def redact_many(texts: Sequence[str]) -> list[str]:
    """Each text redacted, in order; repeated texts (most of a telemetry batch) are redacted once."""
    done: dict[str, str] = {}
    return [done[t] if t in done else done.setdefault(t, redact(t)) for t in texts]


def redaction_recall(cases: Iterable[tuple[str, Sequence[str]]]) -> float:
    """Share of planted values (over all cases) that redact(text) removed; 1.0 for an empty corpus."""
    planted = found = 0
    for text, values in cases:
        cleaned = redact(text)
        for value in values:
            planted += 1
            found += value not in cleaned
    return found / planted if planted else 1.0
