"""The order of an assistant's releases ("2024.05.1", "1.4.0-rc.1", "spring-refresh"), oldest first.

Releases are compared as versions (packaging.version.Version: calendar versions, semver with its
pre-releases, "v"-prefixed names) when every one of them reads as a version; one name that does not
(a code name, a build hash) and the whole set is ordered by first appearance instead: the earliest event
of each release, ties (and releases never seen) by name. Mixing the two scales would rank a code name
against numbers arbitrarily, so lens never does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime

from packaging.version import InvalidVersion, Version

__all__ = ["as_version", "is_at_least", "release_order"]

_NEVER = datetime.max.replace(tzinfo=UTC)


def as_version(release: str) -> Version | None:
    """The release read as a version, or None where it is not one."""
    try:
        return Version(release.strip())
    except InvalidVersion:
        return None


def release_order(releases: Iterable[str], first_seen: Mapping[str, datetime] | None = None) -> list[str]:
    """The distinct releases, oldest first: as versions where all parse as one (equal versions, such as
    2024.05.1 and 2024.5.1, by name), else by `first_seen` (each release's earliest event; a release
    missing from it comes after those seen), ties by name. Empty names and None are left out."""
    names = sorted({name for name in releases if name})
    versions = {name: as_version(name) for name in names}
    if all(version is not None for version in versions.values()):
        return sorted(names, key=lambda name: (versions[name], name))
    seen = first_seen or {}
    return sorted(names, key=lambda name: (_utc(seen.get(name)), name))


def is_at_least(release: str | None, floor: str, order: Sequence[str]) -> bool:
    """Whether `release` is `floor` or later in `order` (release_order's list). A release not in the order
    (or None) is not known to be at least anything: False. A floor not in the order is a mistake."""
    if floor not in order:
        raise ValueError(f"release {floor!r} is not among the known releases")
    if release is None or release not in order:
        return False
    return order.index(release) >= order.index(floor)


def _utc(when: datetime | None) -> datetime:
    """Comparable times: naive ones (SQLite's) are UTC, as lens stores them; None sorts last."""
    if when is None:
        return _NEVER
    return when if when.tzinfo else when.replace(tzinfo=UTC)
