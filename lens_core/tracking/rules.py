"""The analyst's rules, and how they are replayed: in the order they were made, on every run and assignment.

Grouping rules move events between patterns:
    merge         {"patterns": [B, C]}          events of B and C join the rule's pattern A
    split         {"by": FIELD, "parts": {value: pattern}}   events of A with that value go to that part
    split_events  {"evaluation_ids": [...], "into": P}       those events (a selection on the map) go to P
    move          {"message_pattern": HASH}     events of that message pattern join the rule's pattern
Attribute rules describe a pattern: rename {"title"}, note {"text"}, owner {"name"}, resolve {"release"?},
ignore {}, reopen {}.

A rule that finds nothing to act on in a run (its pattern vanished) is reported as not applied, with why,
and kept: it applies again when its pattern comes back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from lens_core.errors import InputError

# What a pattern can be split by: the name analysts use -> the event column.
SPLIT_FIELDS = {
    "plugin": "plugin", "status": "status_code", "error_code": "error_code", "error_type": "error_type",
    "endpoint": "endpoint_template", "message_pattern": "message_pattern",
}
GROUPING = ("merge", "split", "split_events", "move")
ATTRIBUTES = ("rename", "note", "owner", "resolve", "ignore", "reopen")
KINDS = GROUPING + ATTRIBUTES


@dataclass
class PatternState:
    """What the attribute rules say about one pattern (state: open | resolved | ignored | merged)."""

    title: str | None = None
    notes: list[str] = field(default_factory=list)
    owner: str | None = None
    state: str = "open"
    resolved_in: str | None = None
    merged_into: int | None = None
    keeps: str | None = None  # after a split: "plugin Calendar", the value the pattern kept


@dataclass(frozen=True)
class Outcome:
    rule_id: int
    applied: bool
    message: str


def fold_states(rules: Sequence[Any]) -> dict[int, PatternState]:
    """Each pattern's state after its rules, in order (rules: rows with kind, pattern_id, params)."""
    states: dict[int, PatternState] = {}
    for rule in rules:
        if rule.pattern_id is None:
            continue
        state = states.setdefault(rule.pattern_id, PatternState())
        p = rule.params or {}
        if rule.kind == "rename":
            state.title = p["title"]
        elif rule.kind == "note":
            state.notes.append(p["text"])
        elif rule.kind == "owner":
            state.owner = p["name"] or None
        elif rule.kind == "resolve":
            state.state, state.resolved_in = "resolved", p.get("release")
        elif rule.kind == "ignore":
            state.state = "ignored"
        elif rule.kind == "reopen":
            state.state, state.resolved_in = "open", None
        elif rule.kind == "split" and "keeps" in p:
            state.keeps = f"{p['by']} {p['keeps'] or '(none)'}"
        elif rule.kind == "merge":
            for gone in p["patterns"]:
                states.setdefault(int(gone), PatternState()).state = "merged"
                states[int(gone)].merged_into = rule.pattern_id
    return states


def replay(events: pd.DataFrame, natural: pd.Series, rules: Sequence[Any]) -> tuple[pd.Series, list[Outcome]]:
    """Each event's pattern after the grouping rules, from `natural` (its cluster's pattern; NaN for noise),
    and what each rule did. `events` carries evaluation_id and the SPLIT_FIELDS columns."""
    pattern = natural.copy()
    outcomes = []
    for rule in rules:
        if rule.kind in GROUPING:
            pattern, outcome = _apply(rule, events, pattern)
        else:
            present = bool((pattern == rule.pattern_id).any())
            outcome = Outcome(rule.id, present, "" if present else f"pattern {rule.pattern_id} has no events here")
        outcomes.append(outcome)
    return pattern, outcomes


def _apply(rule: Any, events: pd.DataFrame, pattern: pd.Series) -> tuple[pd.Series, Outcome]:
    p = rule.params or {}
    if rule.kind == "merge":
        moving = pattern.isin([int(x) for x in p["patterns"]])
        target, what = rule.pattern_id, f"patterns {', '.join(map(str, p['patterns']))}"
    elif rule.kind == "split":
        column = SPLIT_FIELDS[p["by"]]
        values = events[column].map(_value_key)
        inside = pattern == rule.pattern_id
        moved = 0
        for value, part in p["parts"].items():
            mask = inside & (values == value)
            moved += int(mask.sum())
            pattern = pattern.mask(mask, int(part))
        ok = moved > 0
        return pattern, Outcome(rule.id, ok, f"{moved} events split by {p['by']}" if ok else
                                f"pattern {rule.pattern_id} has no events with a split {p['by']} here")
    elif rule.kind == "split_events":
        moving = events["evaluation_id"].isin(p["evaluation_ids"])
        target, what = int(p["into"]), "the selected events"
    else:  # move
        moving = events["message_pattern"] == p["message_pattern"]
        target, what = rule.pattern_id, f"message pattern {p['message_pattern'][:12]}"
    n = int(moving.sum())
    if n == 0:
        return pattern, Outcome(rule.id, False, f"{what}: no events here")
    return pattern.mask(moving, target), Outcome(rule.id, True, f"{n} events of {what}")


def _value_key(value: object) -> str:
    """Split values as stored in a rule: strings, with numbers written as integers ('404', not '404.0')."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def split_values(events: pd.DataFrame, by: str) -> list[tuple[str, int]]:
    """The values of a split field among these events with their counts, largest first."""
    if by not in SPLIT_FIELDS:
        raise InputError(f"cannot split by {by!r}: choose one of {', '.join(SPLIT_FIELDS)}")
    counts = events[SPLIT_FIELDS[by]].map(_value_key).value_counts()
    return sorted(((str(v), int(n)) for v, n in counts.items()), key=lambda item: (-item[1], item[0]))
