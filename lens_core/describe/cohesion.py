"""What holds a cluster together, and which nearby clusters are its twins: sentences of the offline summary.

cohesion(digest): the shared meaning, the forms and plugins the cluster absorbed, a mixed failure family.
twins(digest, neighbours): nearby clusters with the same dominant status, code and family (merge them).
agree(a, b): whether two clusters' evidence names one failure (tracking keeps such parts in one pattern).
"""

from __future__ import annotations

from collections.abc import Sequence

from lens_core.describe.phrasing import clip, dominant, pct, plural, top
from lens_core.schema import ClusterDigest, Count

FAMILY_WORDS = {
    "auth": "expired or missing credentials", "permission": "a missing permission", "not_found": "a missing resource",
    "conflict": "a conflict with the resource's state", "bad_request": "a rejected request",
    "too_large": "a payload too large", "throttled": "throttling", "timeout": "a timeout",
    "unavailable": "an unavailable service", "network": "a network or TLS failure", "code_bug": "a bug in plugin code",
    "server": "a server error", "client": "a client error",
}
MIXED_FAMILY_BELOW = 0.8  # the top failure family under this share of the events that state one: mixed


def cohesion(digest: ClusterDigest) -> list[str]:
    """Which shared meaning holds the cluster together, which forms and plugins it absorbed, and whether
    its events disagree on the failure family (a mixed cluster, worth splitting)."""
    out = []
    meaning = top(digest.meanings)
    family = top(digest.families)
    if meaning is not None:
        kind = f"{FAMILY_WORDS.get(family.value, family.value)}: " if family else ""
        out.append(f'Held together by {kind}"{clip(meaning.value, 90)}" ({pct(meaning.count, digest.size)}).')
    forms = [f"{c.value} {pct(c.count, digest.size)}" for c in digest.forms]
    if len(forms) > 1 or len(digest.plugins) > 1:
        plugins = f" from {len(digest.plugins)} plugins" if len(digest.plugins) > 1 else ""
        out.append(f"It absorbs {plural(len(forms), 'form')} ({', '.join(forms)}){plugins}.")
    if shares := mixed_families([(c.value, c.count) for c in digest.families]):
        out.append(f"Mixed: its events disagree on the failure family ({shares}); split it by status to separate them.")
    return out


def mixed_families(counts: Sequence[tuple[str, float]]) -> str | None:
    """When the events that state a failure family disagree (the top one under MIXED_FAMILY_BELOW of them),
    the top three in words with their shares ("a missing permission 60%, ..."); else None.
    `counts`: (family, events), most events first."""
    stated = sum(n for _, n in counts)
    if not stated or counts[0][1] / stated >= MIXED_FAMILY_BELOW:
        return None
    return ", ".join(f"{FAMILY_WORDS.get(name, name)} {pct(n, stated)}" for name, n in counts[:3])


def twins(digest: ClusterDigest, neighbours: Sequence[ClusterDigest]) -> list[str]:
    """Nearby clusters whose dominant status, code and family are this one's: candidates to merge (they
    differ only in wording, which the detail pages show side by side)."""
    own = signature(digest)
    if own is None:
        return []
    labels = [n.label for n in neighbours if n.label >= 0 and signature(n) == own]
    if not labels:
        return []
    names = ", ".join(f"cluster {label}" for label in sorted(labels))
    return [f"Its dominant status, code and family are also those of {names}: a candidate to merge."]


def agree(a: ClusterDigest, b: ClusterDigest) -> bool:
    """Whether two clusters' evidence names one failure: of the dominant status, error code and failure
    family, those both state are equal, and there is at least one. Wording, forms, plugins and a value only
    one of them states may differ; two clusters that state nothing in common are not known to be one."""
    stated = [(x.value, y.value) for x, y in zip(_dominants(a), _dominants(b)) if x is not None and y is not None]
    return bool(stated) and all(x == y for x, y in stated)


def _dominants(digest: ClusterDigest) -> tuple[Count | None, Count | None, Count | None]:
    """The dominant status, error code and failure family: what says which failure a cluster is."""
    return tuple(dominant(counts, digest.size)  # type: ignore[return-value]
                 for counts in (digest.status_codes, digest.error_codes, digest.families))


def signature(digest: ClusterDigest) -> tuple[str, str, str] | None:
    """The dominant status, error code and family, when the cluster has all three: which failure it is."""
    status, code, family = _dominants(digest)
    if status is None or code is None or family is None:
        return None  # without a dominant status and code, coinciding evidence says little
    return status.value, code.value, family.value
