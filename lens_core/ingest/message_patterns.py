"""Message patterns: every fingerprint's message template mined into a pattern, stored per fingerprint.

    refresh_message_patterns(engine=engine)  # after every ingest; before processing

A fingerprint is exact: "Mailbox of ann@x.com is over quota" and "... of bob ..." share one only when the
masks catch the variable word. The miner (lens_core.parse.pattern_miner) finds what varies across messages, so a
message pattern ("Mailbox of <*> is over quota") is the level between fingerprints and clusters. It is a
property of a template, so mining reads the distinct templates of all stored fingerprints, each weighted
by its events (the same templates as mining the events themselves, at the cost of the fingerprints), and
an event's pattern is its fingerprint's.

Mining is global, and a new template can regroup old ones, so each refresh mines every template again and
updates the fingerprints whose pattern changed, in one transaction that one process at a time runs
(lens_core.storage.patterns). A pattern's hash covers lens_core.parse.versions.message_pattern_version(), so a
parser, mask table or miner change re-mines every fingerprint at the next refresh.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy.engine import Engine

from lens_core.parse.fingerprint import short_hash
from lens_core.parse.pattern_miner import mine_templates
from lens_core.parse.versions import message_pattern_version
from lens_core.storage import patterns as store
from lens_core.storage.models import utcnow

log = logging.getLogger(__name__)


def pattern_hash(template: str, version: str) -> str:
    """First 16 hex characters of sha1 over canonical JSON of the version and the template."""
    return short_hash({"version": version, "template": template})


def mine_patterns(templates: Sequence[str], weights: Sequence[int]) -> list[str]:
    """The pattern of each template; equal templates (fingerprints that differ in status or plugin) are
    mined once with their weights summed, in sorted order, so input order never matters."""
    totals: dict[str, int] = {}
    for template, weight in zip(templates, weights, strict=True):
        totals[template] = totals.get(template, 0) + int(weight)
    distinct = sorted(totals)
    mined = dict(zip(distinct, mine_templates(distinct, [totals[t] for t in distinct]), strict=True))
    return [mined[t] for t in templates]


def refresh_message_patterns(*, engine: Engine) -> int:
    """Mine every stored fingerprint's template again; returns how many fingerprints changed pattern."""
    version = message_pattern_version()
    with store.exclusive(engine) as conn:
        fingerprints = store.fingerprint_templates(conn)
        if not fingerprints:
            return 0
        mined = mine_patterns([f.message_template for f in fingerprints], [f.events for f in fingerprints])
        patterns: dict[str, str] = {}
        assigned: dict[str, str] = {}
        for fingerprint, template in zip(fingerprints, mined, strict=True):
            key = pattern_hash(template, version)
            if key != fingerprint.message_pattern:
                patterns[key] = template
                assigned[fingerprint.hash] = key
        if assigned:
            store.store_patterns(conn, version=version, patterns=patterns, assigned=assigned, now=utcnow())
    if assigned:
        log.info("message patterns: %d of %d fingerprints re-mined into %d patterns", len(assigned),
                 len(fingerprints), len(set(mined)))
    return len(assigned)


def refresh_if_needed(*, engine: Engine, stored_events: int) -> int:
    """What an ingest runs at its end: a refresh when it stored events, or when some fingerprint has no
    pattern of the current version (an older lens's database, a version bump, an ingest stopped midway)."""
    if stored_events or store.any_outdated(engine=engine, version=message_pattern_version()):
        return refresh_message_patterns(engine=engine)
    return 0
