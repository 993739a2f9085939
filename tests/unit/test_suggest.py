"""What a pattern's evidence suggests (lens_core.tracking.suggest): a split where its events disagree on the
failure family, by the field that says the family most directly; a merge of open patterns whose evidence
names the same failure from another cluster; nothing where the evidence is one failure."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from lens_core.schema import ClusterDigest, Count
from lens_core.tracking.suggest import suggestions


def digest(label: int, size: int, status: str, code: str, family: str) -> ClusterDigest:
    return replace(ClusterDigest.empty(label, size), status_codes=[Count(status, size)],
                   error_codes=[Count(code, size)], families=[Count(family, size)])


def events(rows: list[tuple[int, int, str, str]]) -> pd.DataFrame:
    """(label, pattern, status, code) per event, with the other fields a pattern can be split by."""
    frame = pd.DataFrame(rows, columns=["label", "pattern_id", "status_code", "error_code"])
    return frame.assign(plugin="Calendar", error_type=None, endpoint_template=None, message_pattern="m")


DIGESTS = {
    0: digest(0, 60, "401", "InvalidAuthenticationToken", "auth"),
    1: digest(1, 40, "403", "Authorization_RequestDenied", "permission"),
    2: digest(2, 30, "401", "InvalidAuthenticationToken", "auth"),
}


def test_a_pattern_whose_events_disagree_on_the_family_is_to_be_split_by_status() -> None:
    frame = events([(0, 7, "401", "x")] * 60 + [(1, 7, "403", "y")] * 40)
    (hint,) = suggestions(7, frame, DIGESTS, open_patterns=set())
    assert (hint.kind, hint.by) == ("split", "status")
    assert "expired or missing credentials 60%" in hint.reason and "a missing permission 40%" in hint.reason
    # One family: nothing to suggest.
    assert suggestions(7, frame[frame["label"] == 0], DIGESTS, open_patterns=set()) == []


def test_open_patterns_of_the_same_failure_in_other_clusters_are_to_be_merged() -> None:
    frame = events([(0, 7, "401", "x")] * 60 + [(2, 8, "401", "x")] * 30 + [(1, 9, "403", "y")] * 40)
    (hint,) = suggestions(7, frame, DIGESTS, open_patterns={8, 9})
    assert (hint.kind, hint.others) == ("merge", (8,))
    assert "status 401, code InvalidAuthenticationToken" in hint.reason
    assert suggestions(7, frame, DIGESTS, open_patterns={9}) == []  # pattern 8 is closed: no merge into it
    # A part split off by a rule sits in this pattern's own cluster: the split was meant, no merge back.
    split_off = events([(0, 7, "401", "x")] * 50 + [(0, 8, "401", "x")] * 10)
    assert suggestions(7, split_off, DIGESTS, open_patterns={8}) == []
