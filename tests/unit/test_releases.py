"""Release ordering: as versions when every release reads as one, else by first appearance."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lens_core.parse.releases import as_version, is_at_least, release_order


def day(n: int) -> datetime:
    return datetime(2024, 5, n, tzinfo=UTC)


def test_calendar_releases_are_ordered_as_versions_not_as_text_or_time() -> None:
    releases = ["2024.06.0", "2024.05.2", "2024.05.1", "2024.05.10", "2024.05.2"]
    # First appearance says otherwise; versions win when all parse.
    seen = {"2024.06.0": day(1), "2024.05.2": day(2), "2024.05.1": day(3), "2024.05.10": day(4)}
    assert release_order(releases, seen) == ["2024.05.1", "2024.05.2", "2024.05.10", "2024.06.0"]
    assert release_order(releases, None) == ["2024.05.1", "2024.05.2", "2024.05.10", "2024.06.0"]


def test_semver_with_pre_releases() -> None:
    releases = ["1.10.0", "1.2.0", "2.0.0", "2.0.0-rc.1", "2.0.0-beta.2", "2.0.0-alpha", "v1.9.3"]
    assert release_order(releases) == ["1.2.0", "v1.9.3", "1.10.0", "2.0.0-alpha", "2.0.0-beta.2", "2.0.0-rc.1",
                                       "2.0.0"]


def test_equal_versions_written_differently_are_ordered_by_name() -> None:
    assert as_version("2024.05.1") == as_version("2024.5.1")
    assert release_order(["2024.5.1", "2024.05.1", "2024.05.0"]) == ["2024.05.0", "2024.05.1", "2024.5.1"]


def test_non_version_names_are_ordered_by_first_appearance_ties_by_name() -> None:
    seen = {"spring": day(10), "autumn": day(2), "winter": day(2), "summer": day(20)}
    assert release_order(["summer", "winter", "spring", "autumn"], seen) == ["autumn", "winter", "spring", "summer"]
    assert release_order(["summer", "winter", "autumn"]) == ["autumn", "summer", "winter"]  # no times: by name


def test_a_mixed_set_is_ordered_by_first_appearance() -> None:
    # One name that is no version: numbers are not ranked against it, time orders all.
    seen = {"2024.05.2": day(1), "hotfix-teams": day(5), "2024.05.1": day(9),
            "1.0.0": datetime(2024, 5, 3)}  # a naive time (SQLite's) is UTC
    releases = ["2024.05.1", "2024.05.2", "hotfix-teams", "1.0.0", "unseen", ""]
    assert release_order(releases, seen) == ["2024.05.2", "1.0.0", "hotfix-teams", "2024.05.1", "unseen"]


def test_is_at_least() -> None:
    order = release_order(["2024.05.2", "2024.04.3", "2024.05.1"])
    assert order == ["2024.04.3", "2024.05.1", "2024.05.2"]
    assert is_at_least("2024.05.1", "2024.05.1", order)
    assert is_at_least("2024.05.2", "2024.05.1", order)
    assert not is_at_least("2024.04.3", "2024.05.1", order)
    assert not is_at_least(None, "2024.04.3", order)
    assert not is_at_least("2025.01.0", "2024.04.3", order)  # not among the known releases
    with pytest.raises(ValueError, match="'9.9' is not among the known releases"):
        is_at_least("2024.05.1", "9.9", order)
