"""Presidio's recognisers, run offline: the personal data kinds that a well-kept detector knows.

    detect(text)      [(start, end, placeholder)] of what Presidio finds, thresholds and context applied

Presidio's AnalyzerEngine runs here on spaCy's blank English pipeline: its tokenizer and stop words ship
in the spacy package, so no model weights are loaded and nothing is downloaded (Presidio's default engine
would fetch en_core_web_lg). Without a trained pipeline there is no NER, hence no PERSON, LOCATION or
NRP entities: person names are found only in the forms lens's own rules know (rules.py). Lemmas are
stood in for by lower-cased words, which is what Presidio's context words are written as.

The e-mail recogniser checks the domain against the public-suffix list; tldextract would fetch that list
from the network on first use, so ours reads the snapshot bundled in the package.

Thresholds (MIN_SCORE and the rules below) were chosen on lens's unit corpus (tests/unit/test_redact.py:
PLANTED and KEPT) and the error texts of lens's sample, then checked on the error texts of the three
bench/corpora generators, whose false positives led to the last three rules (so they are tuning data now
too); the planted corpus of bench/redaction.py, which scores recall, was never used to tune.
- Phone numbers score 0.4 (all libphonenumber-valid): they need MIN_PHONE_DIGITS digits, and a bare digit
  run (a Unix time, a project number) needs a phone word nearby (PHONE_IN_CONTEXT).
- "Very weak" SSN shapes (0.05, bare 9 digits) count only with a context word (Presidio adds 0.35).
- UK NHS numbers are not looked for: ten digits with a mod-11 check, which one 10-digit id in eleven passes.
- Dates are not personal by themselves (error texts are full of timestamps): a date is redacted only as a
  date of birth, with a birth word shortly before it (DOB_CONTEXT).
"""

from __future__ import annotations

import logging
import re
import threading
from functools import lru_cache
from typing import Any

# Presidio entity -> lens placeholder. URL is left out on purpose: endpoints and hosts are what grouping
# needs; the secrets that URLs carry are lens's own rules. So is UUID: it takes only RFC 4122 UUIDs (with
# version and variant digits), and the GUIDs of telemetry are often not; lens's rule takes them all.
PLACEHOLDERS = {
    "EMAIL_ADDRESS": "<EMAIL>", "PHONE_NUMBER": "<PHONE>", "CREDIT_CARD": "<CARD>", "IP_ADDRESS": "<IP>",
    "US_SSN": "<SSN>", "IBAN_CODE": "<IBAN>", "MAC_ADDRESS": "<MAC>", "CRYPTO": "<SECRET>",
    "US_ITIN": "<NATIONAL_ID>",
}
MIN_SCORE = {"PHONE_NUMBER": 0.4, "US_SSN": 0.4, "US_ITIN": 0.5}
DEFAULT_MIN_SCORE = 0.5
MIN_PHONE_DIGITS = 7
PHONE_IN_CONTEXT = 0.7  # 0.4 + Presidio's context bonus (0.35) for "phone", "call", "mobile" nearby
# A date is a date of birth when one of these words is at most DOB_WINDOW characters before it.
DOB_CONTEXT = re.compile(r"(?i)\b(?:born|birth|birthday|dob|d\.o\.b|date of birth|geboren|né|née)\b")
DOB_WINDOW = 40

_lock = threading.Lock()


@lru_cache(maxsize=1)
def _engine() -> Any:
    """The AnalyzerEngine (built once: importing spaCy takes seconds, the recognisers compile patterns)."""
    # Presidio logs each recogniser it loads and each language it looks up at INFO, lens's default level.
    logging.getLogger("presidio-analyzer").setLevel(logging.WARNING)
    import spacy
    import tldextract
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import SpacyNlpEngine
    from presidio_analyzer.predefined_recognizers import (
        CreditCardRecognizer,
        CryptoRecognizer,
        DateRecognizer,
        EmailRecognizer,
        IbanRecognizer,
        IpRecognizer,
        MacAddressRecognizer,
        PhoneRecognizer,
        UsItinRecognizer,
        UsSsnRecognizer,
    )

    offline_suffixes = tldextract.TLDExtract(cache_dir=None, suffix_list_urls=())

    class OfflineEmailRecognizer(EmailRecognizer):
        def validate_result(self, pattern_text: str) -> bool:
            return offline_suffixes(pattern_text).fqdn != ""

    class BlankSpacyEngine(SpacyNlpEngine):
        """spaCy's tokenizer with nothing learnt: no weights, no NER, words for lemmas."""

        def load(self) -> None:
            self.nlp = {"en": spacy.blank("en")}

        def _doc_to_nlp_artifact(self, doc: Any, language: str) -> Any:
            artifacts = super()._doc_to_nlp_artifact(doc, language)
            artifacts.lemmas = [token.lower_ for token in doc]
            artifacts.keywords = artifacts.set_keywords(self, artifacts.lemmas, language)
            return artifacts

    nlp_engine = BlankSpacyEngine(models=[{"lang_code": "en", "model_name": "blank:en"}])
    nlp_engine.load()
    registry = RecognizerRegistry(supported_languages=["en"])
    for recogniser in (OfflineEmailRecognizer(), PhoneRecognizer(), CreditCardRecognizer(), IpRecognizer(),
                       UsSsnRecognizer(), IbanRecognizer(), MacAddressRecognizer(),
                       CryptoRecognizer(), UsItinRecognizer(), DateRecognizer()):
        registry.add_recognizer(recogniser)
    return AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=["en"])


def detect(text: str) -> list[tuple[int, int, str]]:
    """Spans of `text` that Presidio's recognisers find, as (start, end, placeholder), not overlapping."""
    engine = _engine()
    with _lock:  # the engine keeps per-call state in its recognisers; one text at a time
        results = engine.analyze(text=text, language="en")
    spans = []
    for result in results:
        kind = result.entity_type
        if kind == "DATE_TIME":
            if result.score >= DEFAULT_MIN_SCORE and DOB_CONTEXT.search(text[max(0, result.start - DOB_WINDOW):result.start]):
                spans.append((result.start, result.end, "<DATE_OF_BIRTH>"))
        elif kind in PLACEHOLDERS and result.score >= MIN_SCORE.get(kind, DEFAULT_MIN_SCORE):
            if kind == "PHONE_NUMBER" and not _phone(text[result.start:result.end], result.score):
                continue
            spans.append((result.start, result.end, PLACEHOLDERS[kind]))
    return _without_overlaps(spans)


def _phone(span: str, score: float) -> bool:
    """A phone number as people write them: enough digits, and grouped or with a +, unless a phone word is
    near (Presidio's context raises the score). Bare digit runs are timestamps and ids in error text."""
    if len(re.sub(r"\D", "", span)) < MIN_PHONE_DIGITS:
        return False  # libphonenumber accepts short numbers: `node:_tls_wrap:1696:19` holds one
    return score >= PHONE_IN_CONTEXT or not span.strip().isdigit()


def _without_overlaps(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """The longest span wins where two overlap (an IBAN that also reads as a phone number)."""
    kept: list[tuple[int, int, str]] = []
    for span in sorted(spans, key=lambda s: (-(s[1] - s[0]), s[0])):
        if all(span[1] <= k[0] or span[0] >= k[1] for k in kept):
            kept.append(span)
    return sorted(kept)
