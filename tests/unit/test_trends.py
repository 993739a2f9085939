"""Trends (lens_core.tracking.trends) on synthetic frames with known answers."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from lens_core.errors import InputError
from lens_core.tracking import fixes, trends

T0 = datetime(2024, 5, 1, tzinfo=UTC)


def _frame(spec: list[tuple[int | None, int, str | None, datetime, datetime]], seed: int = 0) -> pd.DataFrame:
    """spec: (pattern, n events, release, start, end): n events spread evenly over [start, end), users cycling
    over 20 per pattern."""
    rng = random.Random(seed)
    rows = []
    for pattern, n, release, start, end in spec:
        step = (end - start) / max(n, 1)
        for i in range(n):
            rows.append({"pattern_id": np.nan if pattern is None else float(pattern),
                         "timestamp": start + step * i, "user_id": f"u{pattern}-{rng.randrange(20)}",
                         "release": release})
    return pd.DataFrame(rows)


def _rule(kind: str, pattern: int, params: dict | None = None, created_at: datetime | None = None):
    return SimpleNamespace(kind=kind, pattern_id=pattern, params=params or {}, created_at=created_at or T0)


A = (T0, T0 + timedelta(days=7))
B = (T0 + timedelta(days=7), T0 + timedelta(days=8))


def _two_windows(per_pattern_a: dict[int, int], per_pattern_b: dict[int, int]) -> pd.DataFrame:
    spec = [(p, n, None, *A) for p, n in per_pattern_a.items()]
    spec += [(p, n, None, *B) for p, n in per_pattern_b.items()]
    return _frame(spec)


def test_a_planted_escalation_is_detected_and_a_constant_rate_is_not() -> None:
    # pattern 1 stays at 10%; pattern 2 goes 5% -> 20%; pattern 3 fills the rest
    events = _two_windows({1: 100, 2: 50, 3: 850}, {1: 100, 2: 200, 3: 700})
    result = trends.compare(events, base=A, target=B).by_pattern()
    assert result[2].state == "escalating"
    assert result[2].base_rate == pytest.approx(0.05) and result[2].target_rate == pytest.approx(0.2)
    assert result[2].p_adjusted < trends.ALPHA and "p=" in result[2].reason
    assert result[1].state == "ongoing"
    assert result[1].p_adjusted > 0.5
    assert result[3].state == "shrinking"  # 85% -> 70%


def test_benjamini_hochberg_matches_the_textbook_values() -> None:
    p = [0.01, 0.04, 0.03, 0.005]
    # sorted 0.005, 0.01, 0.03, 0.04 -> *4/rank = 0.02, 0.02, 0.04, 0.04
    assert trends.benjamini_hochberg(p) == pytest.approx([0.02, 0.04, 0.04, 0.02])
    assert trends.benjamini_hochberg([0.9, 0.8]) == pytest.approx([0.9, 0.9])
    assert trends.benjamini_hochberg([]) == []


def test_the_correction_can_turn_a_marginal_change_ongoing() -> None:
    """A change significant on its own (raw p < 0.01) but not after correcting over many patterns."""
    a = {p: 400 for p in range(1, 21)}
    b = dict(a)
    b[1] = 490  # modest rise of one pattern among twenty
    events = _two_windows(a, b)
    row = trends.compare(events, base=A, target=B).by_pattern()[1]
    assert row.p_value < trends.ALPHA <= row.p_adjusted
    assert row.state == "ongoing"


def test_new_and_gone_and_too_few_events_are_not_tested() -> None:
    events = _two_windows({1: 500, 2: 30, 4: 2, 5: 3}, {1: 500, 3: 30, 4: 1})
    result = trends.compare(events, base=A, target=B).by_pattern()
    assert (result[3].state, result[3].reason) == ("new", "first seen in the target: 30 events")
    assert result[2].state == "gone" and result[2].reason.startswith("30 in the base, none in the target (rate")
    assert result[4].state == "ongoing" and result[4].p_value is None and "not tested" in result[4].reason
    assert result[5].state == "ongoing"  # three events in the base and none after: too few to call it gone


def test_new_means_first_seen_not_merely_absent_from_the_base() -> None:
    earlier = (T0 - timedelta(days=3), T0 - timedelta(days=2))
    events = pd.concat([_two_windows({1: 500}, {1: 500, 2: 30}), _frame([(2, 10, None, *earlier)])],
                       ignore_index=True)
    row = trends.compare(events, base=A, target=B).by_pattern()[2]
    assert row.state == "escalating" and row.reason.startswith("rate 0.00% -> 5.66%")  # back, not new
    # by release: seen in an older release than the base, so not new in the target either
    released = _frame([(1, 100, "1.0", *A), (2, 5, "1.0", *A), (1, 100, "1.1", *A), (1, 100, "1.2", *B),
                       (2, 20, "1.2", *B), (3, 20, "1.2", *B), (4, trends.MIN_EVENTS - 1, "1.2", *B)])
    by_release = trends.compare(released, base="1.1", target="1.2").by_pattern()
    assert by_release[2].state == "escalating" and by_release[3].state == "new"
    assert by_release[4].state == "ongoing" and "too few to call it new" in by_release[4].reason


def test_the_test_counts_the_base_as_a_sample_too() -> None:
    """200 -> 240 of 1,000 failures: a one-sample test against 20% taken as exact calls it significant
    (p ~ 0.002); counted as the two samples they are, it is not."""
    events = _two_windows({1: 200, 2: 800}, {1: 240, 2: 760})
    row = trends.compare(events, base=A, target=B).by_pattern()[1]
    assert row.p_value > 0.02 and row.state == "ongoing"


def test_events_without_a_pattern_count_in_the_rates() -> None:
    events = _two_windows({1: 10}, {1: 10})
    events = pd.concat([events, _frame([(None, 90, None, *A), (None, 10, None, *B)])], ignore_index=True)
    row = trends.compare(events, base=A, target=B).by_pattern()[1]
    assert (row.base_rate, row.target_rate) == (pytest.approx(0.1), pytest.approx(0.5))


def _released() -> pd.DataFrame:
    days = [T0 + timedelta(days=d) for d in range(4)]
    return _frame([
        (1, 200, "2024.05.1", days[0], days[1]), (1, 200, "2024.05.2", days[1], days[2]),
        (2, 50, "2024.05.1", days[0], days[1]),
        # pattern 2, resolved in 2024.05.2: late events of the old release arrive in the target's time
        (2, 5, "2024.05.1", days[1], days[2]),
        (3, 50, "2024.05.1", days[0], days[1]), (3, 50, "2024.05.2", days[1], days[2]),
    ])


def test_a_resolved_pattern_regresses_only_on_events_of_its_fix_release_or_later() -> None:
    events = _released()
    rules = [_rule("resolve", 2, {"release": "2024.05.2"}), _rule("resolve", 3, {"release": "2024.05.2"})]
    window = (T0 + timedelta(days=1), T0 + timedelta(days=2))
    result = trends.compare(events, base=(T0, window[0]), target=window, rules=rules).by_pattern()
    assert result[2].state != "regressed"  # its B events are all from 2024.05.1, older than the fix
    assert result[3].state == "regressed"
    assert result[3].reason == "resolved in 2024.05.2, yet 50 events in the target from 2024.05.2 or later"
    # by release: the old-release stragglers are simply outside B
    by_release = trends.compare(events, base="2024.05.1", target="2024.05.2", rules=rules).by_pattern()
    assert by_release[2].state == "gone" and by_release[3].state == "regressed"


def test_a_resolve_without_a_release_regresses_on_events_after_it_was_made() -> None:
    events = _released()
    target = (T0 + timedelta(days=1), T0 + timedelta(days=2))
    late = [_rule("resolve", 3, created_at=T0 + timedelta(days=1, hours=12))]
    row = trends.compare(events, base=(T0, target[0]), target=target, rules=late).by_pattern()[3]
    assert row.state == "regressed" and "after it" in row.reason
    after_all = [_rule("resolve", 3, created_at=T0 + timedelta(days=3))]
    row = trends.compare(events, base=(T0, target[0]), target=target, rules=after_all).by_pattern()[3]
    assert row.state == "ongoing"
    reopened = [*late, _rule("reopen", 3)]
    row = trends.compare(events, base=(T0, target[0]), target=target, rules=reopened).by_pattern()[3]
    assert row.state == "ongoing"


def test_default_windows_latest_release_against_the_one_before_else_the_last_day_against_the_week() -> None:
    events = _released()
    events.loc[0, "release"] = "2024.04.3"
    assert trends.default_windows(events) == ("2024.05.1", "2024.05.2")
    comparison = trends.compare(events)
    assert (comparison.base, comparison.target) == ("release 2024.05.1", "release 2024.05.2")
    plain = _frame([(1, 100, None, T0, T0 + timedelta(days=10))])
    a, b = trends.default_windows(plain)
    latest = plain["timestamp"].max()
    assert b[0] == latest + timedelta(microseconds=1) - timedelta(hours=24) == a[1]
    assert a[0] == b[0] - timedelta(days=7)
    result = trends.compare(plain)
    assert result.base_total + result.target_total == int((plain["timestamp"] >= a[0]).sum())


def test_series_picks_hours_under_three_days_and_days_from_then() -> None:
    short = _frame([(1, 48, None, T0, T0 + timedelta(hours=48))])
    long = _frame([(1, 40, None, T0, T0 + timedelta(days=4))])
    assert trends.series(short).by == "hour" and len(trends.series(short).time) == 48
    assert trends.series(long).by == "day" and len(trends.series(long).time) == 4
    assert trends.series(long, by="hour").by == "hour"
    with pytest.raises(InputError, match="hour or day"):
        trends.series(long, by="week")


def test_series_rates_are_shares_of_the_bucket_and_of_the_release() -> None:
    day1, day2 = T0, T0 + timedelta(days=1)
    events = _frame([(1, 10, "2024.05.1", day1, day1 + timedelta(hours=20)),
                     (2, 30, "2024.05.1", day1, day1 + timedelta(hours=20)),
                     (1, 30, "2024.05.2", day2, day2 + timedelta(hours=20)),
                     (None, 10, "2024.05.2", day2, day2 + timedelta(hours=20)),
                     (2, 10, "2024.05.2", day2 + timedelta(days=3), day2 + timedelta(days=3, hours=1))])
    result = trends.series(events)
    assert result.by == "day"
    one = result.time[result.time["pattern_id"] == 1].set_index("bucket")
    assert one["events"].tolist() == [10, 30]
    assert one["rate"].tolist() == pytest.approx([0.25, 0.75])
    assert (one["users"] <= one["events"]).all() and (one["users"] > 0).all()
    assert result.releases == ["2024.05.1", "2024.05.2"]
    rel = result.release.set_index(["pattern_id", "release"])
    assert rel.loc[(1, "2024.05.2"), "rate"] == pytest.approx(30 / 50)
    assert rel.loc[(2, "2024.05.1"), "rate"] == pytest.approx(0.75)


def test_a_new_error_inside_a_pattern_seen_before_makes_it_new() -> None:
    """A new failure that reads like an old one joins its pattern: only its messages, first seen in the
    target, show it. Messages first seen no more often than a steady rate gives (base and target are
    equal here: all of a message's t events fall in the target with chance 0.5 ** t) are not enough."""
    events = _two_windows({1: 300, 2: 300}, {1: 300, 2: 300})
    events["message_pattern"] = "old"
    fresh = _frame([(1, 16, None, *B), (2, 6, None, *B), (2, 8, None, *B)])
    # pattern 1: two new messages, eight events each (0.5 ** 8 = 0.004); pattern 2: two rare variants,
    # three events each (0.125: chance), and eight messages seen once each (values a template did not mask)
    fresh["message_pattern"] = ["new-a", "new-b"] * 8 + ["rare-a", "rare-b"] * 3 + [f"one-off-{i}" for i in range(8)]
    result = trends.compare(pd.concat([events, fresh], ignore_index=True), base=A, target=B).by_pattern()
    assert result[1].state == "new"
    assert result[1].reason == "seen before, but 16 of its 316 target events carry 2 error messages first seen in the target"
    assert result[2].state == "ongoing"
    # The same three events of a message after a history eight times as long are new beyond chance
    # (share 1/9: 0.0014 each), once they are MIN_EVENTS or more.
    history = _two_windows({2: 2400}, {2: 300})
    history["message_pattern"] = "old"
    rare = _frame([(2, 6, None, *B)])
    rare["message_pattern"] = ["rare-a", "rare-b"] * 3
    result = trends.compare(pd.concat([history, rare], ignore_index=True), base=A, target=B).by_pattern()
    assert result[2].state == "new"


def test_facet_counts_per_value_in_version_order() -> None:
    events = _two_windows({1: 6, 2: 4}, {})
    values = pd.Series(["1.10", "1.9", "1.10", None, "1.9", "1.10", "1.9", "1.9", "", "1.10"], index=events.index)
    rows = trends.facet(events, values)
    assert list(rows.loc[rows["pattern_id"] == 1, "value"]) == ["1.9", "1.10"]  # as versions, not as text
    one = rows[rows["pattern_id"] == 1].set_index("value")
    assert one.loc["1.10", "events"] == 3 and one.loc["1.9", "events"] == 2  # None and "" left out
    assert one.loc["1.10", "total"] == 4 and one.loc["1.10", "rate"] == pytest.approx(0.75)


def test_a_failure_growing_inside_a_steady_pattern_escalates_it_through_its_messages() -> None:
    """Pattern 1 holds a steady failure (400 -> 400) and a growing one (30 -> 90): diluted, the pattern's
    own rise is not significant, its message's is."""
    events = _two_windows({1: 430, 2: 2570}, {1: 490, 2: 2510})
    events["message_pattern"] = "steady"
    grows = (events["pattern_id"] == 1) & (events.groupby(["pattern_id", events["timestamp"] >= B[0]]).cumcount() < 30)
    in_target = events["timestamp"] >= B[0]
    target_grows = (events["pattern_id"] == 1) & in_target & (events.groupby(["pattern_id", in_target]).cumcount() < 90)
    events.loc[grows | target_grows, "message_pattern"] = "growing"
    row = trends.compare(events, base=A, target=B).by_pattern()[1]
    assert row.p_adjusted >= trends.ALPHA  # the pattern alone: 430 -> 490 of 3000, not significant
    assert row.state == "escalating"
    assert row.reason.startswith("1 of its error messages rose significantly, the largest 30 -> 90 events")
    assert trends.compare(events.assign(message_pattern="steady"), base=A, target=B).by_pattern()[1].state == "ongoing"


def test_at_or_after_orders_releases_as_compare_does() -> None:
    """Names that are no versions go by first appearance: 'blue' came after 'red', whatever the alphabet."""
    events = _frame([(1, 2, "red", *A), (1, 2, "blue", *B), (1, 1, None, *B)])
    assert fixes.at_or_after(events, "blue").tolist() == [False, False, True, True, False]
    assert fixes.at_or_after(events, "red").tolist() == [True, True, True, True, False]
    versions = _frame([(1, 1, "1.10", *B), (1, 1, "1.9", *A)])
    assert fixes.at_or_after(versions, "1.10").tolist() == [True, False]


def test_a_regression_says_which_error_messages_went_on_after_the_fix_and_which_stopped() -> None:
    events = _released()
    events["message_pattern"] = "steady"
    before = (events["pattern_id"] == 3) & (events["release"] == "2024.05.1")
    events.loc[before & (events.index % 2 == 0), "message_pattern"] = "fixed"  # 25 of its 50 events before the fix
    events.loc[events.index[before & (events.index % 2 == 1)][:2], "message_pattern"] = "rare"  # 2 events
    rules = [_rule("resolve", 3, {"release": "2024.05.2"})]
    row = trends.compare(events, base="2024.05.1", target="2024.05.2", rules=rules).by_pattern()[3]
    assert row.state == "regressed"
    # 25 events all before the fix, where a steady rate puts 45% of them after it: 0.55 ** 25, beyond chance;
    # two events (0.3) are too few to tell
    assert row.reason == ("resolved in 2024.05.2, yet 50 events in the target from 2024.05.2 or later; of its error "
                          "messages before the fix, 1 goes on (23 events before it) and 1 stopped (25 events before "
                          "it, more than a steady rate leaves out): the fix held for those; if the others are "
                          "another failure, split them off")
    held = fixes.after_fix(events, 3, rules, trends.ALPHA)
    assert (held.going_on, held.stopped, held.stopped_events, held.partly_held) == (("steady",), ("fixed",), 25, True)
    assert fixes.after_fix(events, 1, rules, trends.ALPHA) is None  # not resolved
    events["message_pattern"] = "steady"
    row = trends.compare(events, base="2024.05.1", target="2024.05.2", rules=rules).by_pattern()[3]
    assert row.reason.endswith("; of its error messages before the fix, 1 goes on (50 events before it)")
    assert not fixes.after_fix(events, 3, rules, trends.ALPHA).partly_held


def test_a_regression_says_whether_the_fix_cut_the_pattern_down() -> None:
    days = [T0 + timedelta(days=d) for d in range(3)]
    events = _frame([(1, 200, "2024.05.1", days[0], days[1]), (1, 200, "2024.05.2", days[1], days[2]),
                     (3, 100, "2024.05.1", days[0], days[1]), (3, 4, "2024.05.2", days[1], days[2]),
                     (4, 1, "2024.05.2", days[1], days[2])])
    rules = [_rule("resolve", 3, {"release": "2024.05.2"}), _rule("resolve", 4, {"release": "2024.05.2"})]
    result = trends.compare(events, base="2024.05.1", target="2024.05.2", rules=rules).by_pattern()
    row = result[3]
    assert row.state == "regressed" and row.reason.startswith(
        "resolved in 2024.05.2, yet 4 events in the target from 2024.05.2 or later. Its rate fell significantly "
        "(rate 33.33% -> 1.95%, p=")
    assert row.reason.endswith("): the fix cut it down but did not end it")
    # too few to tell: the regression alone, its one event in words
    assert result[4].reason == "resolved in 2024.05.2, yet 1 event in the target from 2024.05.2 or later"


def test_a_release_no_event_carries_is_an_error_that_lists_the_releases() -> None:
    events = _released()
    with pytest.raises(InputError, match=r"no events of release 'nope' here; the events' releases: 2024.05.1, "
                                         r"2024.05.2$"):
        trends.compare(events, base="2024.05.1", target="nope")
    many = _frame([(1, 1, f"1.{i}", *A) for i in range(12)])
    with pytest.raises(InputError, match=r"releases \(the latest 10 of 12\): 1.2, 1.3, .*, 1.11$"):
        trends.compare(many, base="0.9", target="1.11")
    windows = trends.compare(events, base=A, target=(T0 + timedelta(days=30), T0 + timedelta(days=31)))
    assert windows.target_total == 0, "an empty time window is an answer (nothing failed), not an error"
