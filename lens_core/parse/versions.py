"""The versions a stored message pattern depends on, in one place: what the parser, the fingerprinter
and the template miner each read from a skill_output decides which events share a pattern.

A message pattern (lens_core.ingest.message_patterns) is mined from the fingerprints' message templates,
which come from the parser's message (lens_core.parse.parsing) masked by the fingerprinter
(lens_core.parse.fingerprint). A change to any of the three can regroup events, so each has a version, and
the pattern's hash covers all three (message_pattern_version). Bump:

- PARSER_VERSION when lens_core.parse.parsing reads a different message (or other fields) from the same
  skill_output: stored patterns are then re-mined on the next ingest (or refresh), never silently
  regrouped under the old version's name.
- MINER_VERSION (lens_core.parse.pattern_miner) when the miner groups the same templates differently.
- FINGERPRINT_VERSION (lens_core.parse.fingerprint) when the mask table changes; it also renames fingerprints.
"""

from __future__ import annotations

from lens_core.parse.fingerprint import FINGERPRINT_VERSION
from lens_core.parse.parsing import PARSER_VERSION
from lens_core.parse.pattern_miner import MINER_VERSION

__all__ = ["FINGERPRINT_VERSION", "MINER_VERSION", "PARSER_VERSION", "message_pattern_version"]


def message_pattern_version() -> str:
    """The version stored with, and hashed into, every message pattern: "mp1.fp2.p1"."""
    return f"{MINER_VERSION}.{FINGERPRINT_VERSION}.{PARSER_VERSION}"
