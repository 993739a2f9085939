"""What a pattern's evidence suggests (lens_core.tracking.suggest): a split where its events disagree on the
failure family, by the field that says the family most directly; a merge of open patterns whose evidence
names the same failure from another cluster; nothing where the evidence is one failure."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import pandas as pd

from lens_core.schema import ClusterDigest, Count
from lens_core.tracking.curation import MAX_TITLE
from lens_core.tracking.suggest import Suggestion, suggestions


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


def test_messages_that_go_on_after_a_fix_that_held_for_the_others_are_to_be_split_off() -> None:
    """Pattern 7 resolved in 2.0: its message "fixed" (30 events in 1.0) stopped, "other" (20 in 1.0) goes on."""
    frame = events([(0, 7, "401", "x")] * 50 + [(0, 7, "401", "x")] * 20 + [(2, 8, "401", "x")] * 50)
    frame["release"] = ["1.0"] * 50 + ["2.0"] * 20 + ["1.0"] * 25 + ["2.0"] * 25
    frame["timestamp"] = pd.Timestamp("2024-05-01", tz="UTC")
    frame["message_pattern"] = ["fixed"] * 30 + ["other"] * 40 + ["m"] * 50
    resolve = SimpleNamespace(kind="resolve", pattern_id=7, params={"release": "2.0"}, created_at=None)
    (hint,) = suggestions(7, frame, {0: DIGESTS[0]}, open_patterns=set(), rules=[resolve])
    assert (hint.kind, hint.by, hint.values, hint.part) == ("split", "message_pattern", ("other",),
                                                            "still failing after the fix")
    assert hint.reason.startswith("after its fix, 1 of its error messages stopped (30 events before it) and 1 goes on")
    # Not resolved, or resolved with every message going on: nothing to suggest.
    assert suggestions(7, frame, {0: DIGESTS[0]}, open_patterns=set()) == []
    going_on = frame.assign(message_pattern=["other"] * 70 + ["m"] * 50)
    assert suggestions(7, going_on, {0: DIGESTS[0]}, open_patterns=set(), rules=[resolve]) == []


def test_the_title_of_a_part_split_off_keeps_within_the_limit() -> None:
    hint = Suggestion("split", "", by="message_pattern", values=("a",), part="still failing after the fix")
    assert hint.part_title("Calendar · 401") == "Calendar · 401 · still failing after the fix"
    long = hint.part_title("x" * 300)
    assert len(long) == MAX_TITLE and long.endswith("… · still failing after the fix")
