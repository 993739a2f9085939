"""TemplateMiner on small synthetic corpora with known groups: joins, splits, variables, explain, speed."""

from __future__ import annotations

import random
import re
import time

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lens_core.parse.pattern_miner import WILDCARD, TemplateMiner, _fits


def _partition(labels: list[int]) -> set[frozenset[int]]:
    groups: dict[int, set[int]] = {}
    for i, label in enumerate(labels):
        groups.setdefault(label, set()).add(i)
    return {frozenset(g) for g in groups.values()}


def test_messages_differing_in_ids_numbers_and_paths_join_one_template():
    messages = [
        f"Failed to open /var/data/{name}/file{i}.csv for request 9f1c2d3e-0000-4000-8000-00000000000{i % 10} "
        f"after {i * 7} ms"
        for i, name in enumerate(["alpha", "beta", "gamma", "delta", "eps"] * 4)
    ]
    miner = TemplateMiner().fit(messages)
    assert len(set(miner.labels_)) == 1
    assert miner.templates_ == [f"Failed to open {WILDCARD} for request {WILDCARD} after {WILDCARD} ms"]


def test_keys_of_key_value_tokens_stay_visible():
    miner = TemplateMiner().fit([f"session opened uid={i} pid={i * 3}" for i in range(5)])
    assert miner.templates_ == [f"session opened uid={WILDCARD} pid={WILDCARD}"]


def test_structurally_different_messages_stay_apart():
    messages = (
        [f"Connection opened to host {i}" for i in range(10)]
        + [f"Connection closed to host {i}" for i in range(10)]
        + [f"Disk quota exceeded for volume {i}" for i in range(10)]
        + [f"Token expired at {i}" for i in range(10)]
    )
    miner = TemplateMiner().fit(messages)
    assert _partition(miner.labels_) == {frozenset(range(k, k + 10)) for k in (0, 10, 20, 30)}


def test_one_position_variable_not_caught_by_masks_is_discovered():
    users = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"]
    messages = [f"Permission denied for user {u} on mailbox" for u in users]
    miner = TemplateMiner().fit(messages)
    assert miner.templates_ == [f"Permission denied for user {WILDCARD} on mailbox"]
    assert miner.explain(0).variable_positions == (4,)


def test_few_values_in_one_slot_stay_separate_events():
    # a handful of words in one slot is an enumeration (verbs, states), not a variable
    messages = [f"VM {state} (Lifecycle Event)" for state in ("Paused", "Resumed", "Stopped") for _ in range(5)]
    assert len(TemplateMiner().fit(messages).templates_) == 3


def test_word_beside_a_masked_value_in_the_same_slot_is_a_variable():
    # "zummit.com" has no digit, so no mask fires; the slot held masked addresses, so it is a variable
    messages = [f"authentication failure; rhost=10.0.0.{i} user=root" for i in range(3)] + [
        "authentication failure; rhost=zummit.com user=root"
    ]
    miner = TemplateMiner().fit(messages)
    assert miner.templates_ == [f"authentication failure; rhost={WILDCARD} user=root"]


def test_explain_reports_template_and_variable_positions():
    users = ["ann", "ben", "cat", "dan", "eve", "fay"]
    messages = [f"Login failed for {u} from 10.0.0.{i} port {2000 + i}" for i, u in enumerate(users)]
    miner = TemplateMiner().fit(messages)
    match = miner.explain(2)
    assert match.template == f"Login failed for {WILDCARD} from {WILDCARD} port {WILDCARD}"
    assert match.template_id == miner.labels_[2]
    assert match.masked_positions == (5, 7)  # the address and the port: masked
    assert match.variable_positions == (3,)  # the user name: found to vary
    assert match.tokens[3] == "cat"


def test_same_groups_and_templates_for_shuffled_input():
    rng = random.Random(7)
    messages = [
        rng.choice(["Upload of", "Download of", "Delete of"]) + f" item{rng.randint(0, 99)} took {rng.randint(1, 900)} ms"
        for _ in range(300)
    ] + [f"user {rng.choice('abcdefghij')}x logged out" for _ in range(100)]
    order = list(range(len(messages)))
    rng.shuffle(order)
    first = TemplateMiner().fit(messages)
    second = TemplateMiner().fit([messages[i] for i in order])
    assert first.templates_ == second.templates_
    relabelled = [0] * len(messages)
    for pos, i in enumerate(order):
        relabelled[i] = second.labels_[pos]
    assert _partition(first.labels_) == _partition(relabelled)


def test_empty_and_blank_messages():
    miner = TemplateMiner().fit(["", "   ", "disk full"])
    assert miner.labels_[0] == miner.labels_[1] != miner.labels_[2]


def test_invalid_threshold_is_rejected_in_fit():
    miner = TemplateMiner(variable_threshold=1)  # stored as given, validated in fit
    with pytest.raises(ValueError):
        miner.fit(["a"])


def test_throughput_smoke():
    rng = random.Random(0)
    shapes = [
        "Request {n} to /api/v{v}/items/{n} failed with status {s}",
        "Timeout after {n} ms waiting for worker-{v}",
        "User {u} exceeded quota of {n} MB on drive {v}",
        "Cache miss for key session:{n}:{u}",
    ]
    messages = [
        rng.choice(shapes).format(n=rng.randint(0, 10**6), v=rng.randint(1, 9), s=rng.choice((500, 502, 503)),
                                  u="".join(rng.choice("abcdefgh") for _ in range(6)))
        for _ in range(20_000)
    ]
    start = time.perf_counter()
    miner = TemplateMiner().fit(messages)
    assert time.perf_counter() - start < 3.0
    assert len(miner.templates_) == len(shapes)


def test_distinct_messages_with_their_counts_mine_like_the_messages_themselves():
    from collections import Counter

    from lens_core.parse.pattern_miner import mine_templates

    messages = [f"user {u} logged in from host{h % 3}" for u in "abcdefgh" for h in range(4)] + ["disk full"] * 5
    counts = Counter(messages)
    distinct = sorted(counts)
    weighted = dict(zip(distinct, mine_templates(distinct, [counts[m] for m in distinct])))
    assert [weighted[m] for m in messages] == mine_templates(messages)
    with pytest.raises(ValueError, match="sample_weight"):
        TemplateMiner().fit(["a", "b"], [1])


@settings(max_examples=400, derandomize=True, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "ab", "=", ":", "<*>"]), min_size=1, max_size=6).map("".join),
       st.text(alphabet="ab=:", max_size=8))
def test_a_value_fits_a_masked_value_as_a_wildcard_pattern_says(masked, value):
    # <*> stands for any text (empty included), the rest is literal: what a regex with .* says
    assume("<*>" in masked)
    pattern = ".*".join(map(re.escape, masked.split("<*>")))
    assert _fits(value, masked.split("<*>")) == bool(re.fullmatch(pattern, value))
