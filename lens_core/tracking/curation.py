"""What an analyst does to patterns, each stored as a rule with who and when, then replayed at once.

Every function checks its input against what is stored (the pattern exists, a split field has values,
merged patterns differ), writes one rule, and replays the rules on the latest tracked run, so every
surface shows the change immediately. `undo` withdraws the latest rule (kept in the history, marked undone);
replaying without it restores the state before it exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.engine import Engine

from lens_core.errors import InputError
from lens_core.storage import tracking as store
from lens_core.storage.models import utcnow
from lens_core.storage.tracking_tables import PatternRow, PatternRuleRow
from lens_core.tracking.fixes import at_or_after
from lens_core.tracking.rules import fold_states, split_values
from lens_core.tracking.track import absorbed_note, reapply

MAX_TITLE = 200


@dataclass(frozen=True)
class RuleDone:
    rule: PatternRuleRow
    new_patterns: tuple[int, ...] = ()
    warning: str = ""  # what the analyst should know about the rule's effect

    def summary_line(self) -> str:
        made = f"; new patterns {', '.join(map(str, self.new_patterns))}" if self.new_patterns else ""
        warned = f"\nwarning: {self.warning}" if self.warning else ""
        return f"rule {self.rule.id}: {self.rule.kind} pattern {self.rule.pattern_id}{made}{warned}"


def rename(*, engine: Engine, pattern_id: int, title: str, author: str = "") -> RuleDone:
    title = " ".join(title.split())
    if not title or len(title) > MAX_TITLE:
        raise InputError(f"a title needs 1 to {MAX_TITLE} characters")
    return _add(engine, "rename", pattern_id, {"title": title}, author)


def note(*, engine: Engine, pattern_id: int, text: str, author: str = "") -> RuleDone:
    if not text.strip():
        raise InputError("a note needs some text")
    return _add(engine, "note", pattern_id, {"text": text.strip()}, author)


def set_owner(*, engine: Engine, pattern_id: int, name: str, author: str = "") -> RuleDone:
    return _add(engine, "owner", pattern_id, {"name": name.strip()}, author)


def resolve(*, engine: Engine, pattern_id: int, release: str | None = None, author: str = "") -> RuleDone:
    """Resolved (in `release`: events of older releases never reopen it). Warns where the latest run
    already holds its events from that release or later: compared with it, the pattern shows as regressed,
    which is right if the fix missed, and a sign that the pattern holds another failure too if not. The
    release is trimmed, and a blank one is none: every surface passes what the analyst typed."""
    release = (release or "").strip() or None
    done = _add(engine, "resolve", pattern_id, {"release": release} if release else {}, author)
    if release:
        run_id = store.latest_tracked_run(engine=engine)
        events = store.run_events_frame(engine=engine, run_id=run_id) if run_id is not None else None
        if events is not None:
            late = int((at_or_after(events, release) & (events["pattern_id"] == pattern_id)).sum())
            if late:
                return replace(done, warning=(
                    f"pattern {pattern_id} already has {late} events from release {release} or later in run "
                    f"{run_id}: it shows as regressed there; if the fix is in, it holds another failure too "
                    "(split it)"))
    return done


def ignore(*, engine: Engine, pattern_id: int, author: str = "") -> RuleDone:
    return _add(engine, "ignore", pattern_id, {}, author)


def reopen(*, engine: Engine, pattern_id: int, author: str = "") -> RuleDone:
    return _add(engine, "reopen", pattern_id, {}, author)


def merge(*, engine: Engine, into: int, others: Sequence[int], author: str = "") -> RuleDone:
    """The events of `others` join `into` on this and every later run; the others show as merged."""
    others = sorted({int(o) for o in others} - {into})
    if not others:
        raise InputError("merge needs at least one other pattern than the one merged into")
    store.existing_patterns(engine=engine, ids=[into, *others])
    return _add(engine, "merge", into, {"patterns": others}, author)


def move(*, engine: Engine, message_pattern: str, into: int, author: str = "") -> RuleDone:
    """Every event of a message pattern belongs to `into`, whichever cluster it lands in."""
    return _add(engine, "move", into, {"message_pattern": message_pattern}, author)


def split(*, engine: Engine, pattern_id: int, by: str, values: Sequence[str] = (), title: str = "",
          author: str = "") -> RuleDone:
    """Without `values`: a new pattern for each value of `by` among the pattern's events in the latest run,
    but the largest, which stays in the pattern. With `values`: one new pattern (titled `title`) of the
    events with those values, the rest staying. Later events with those values follow the same parts."""
    parent, events = _latest_events(engine, pattern_id)
    found = split_values(events, by)
    state = fold_states(store.active_rules(engine=engine)).get(pattern_id)
    base = (state.title if state and state.title else None) or parent.title
    if values:
        return _split_off(engine, pattern_id, by, list(dict.fromkeys(str(v) for v in values)), found,
                          " ".join(title.split()), base, author)
    if len(found) < 2:
        raise InputError(f"pattern {pattern_id} has one {by} in the latest run ({found[0][0] if found else 'none'}): "
                         "nothing to split")
    parts = store.new_patterns(engine=engine, rows=[
        PatternRow(title=f"{base} · {by} {value or '(none)'}", origin="split", parent_id=pattern_id)
        for value, _ in found[1:]
    ])
    params = {"by": by, "parts": {value: p.id for (value, _), p in zip(found[1:], parts)}, "keeps": found[0][0]}
    return _add(engine, "split", pattern_id, params, author, new=tuple(p.id for p in parts))


def _split_off(engine: Engine, pattern_id: int, by: str, values: list[str], found: list[tuple[str, int]],
               title: str, base: str, author: str) -> RuleDone:
    present = {value for value, _ in found}
    missing = [v for v in values if v not in present]
    if missing:
        raise InputError(f"pattern {pattern_id} has no events with {by} {', '.join(missing[:5])}"
                         f"{' ...' if len(missing) > 5 else ''} in the latest run")
    if present <= set(values):
        raise InputError(f"those are all of pattern {pattern_id}'s {by} values in the latest run: nothing would stay")
    if len(title) > MAX_TITLE:
        raise InputError(f"a title needs 1 to {MAX_TITLE} characters")
    if not title:
        more = f" and {len(values) - 1} more" if len(values) > 1 else ""
        title = f"{base} · {by} {values[0] or '(none)'}{more}"
    [part] = store.new_patterns(engine=engine, rows=[PatternRow(title=title, origin="split", parent_id=pattern_id)])
    return _add(engine, "split", pattern_id, {"by": by, "parts": {v: part.id for v in values}}, author,
                new=(part.id,))


def split_events(*, engine: Engine, pattern_id: int, evaluation_ids: Sequence[str], title: str = "",
                 author: str = "") -> RuleDone:
    """A new pattern of the chosen events (a selection on the map) out of `pattern_id`."""
    chosen = sorted({str(e) for e in evaluation_ids})
    parent, events = _latest_events(engine, pattern_id)
    found = set(events["evaluation_id"]) & set(chosen)
    if not found:
        raise InputError(f"none of the {len(chosen)} chosen events is in pattern {pattern_id} in the latest run")
    [part] = store.new_patterns(engine=engine, rows=[
        PatternRow(title=title.strip() or f"{parent.title} · {len(found)} chosen events", origin="split",
                   parent_id=pattern_id)])
    return _add(engine, "split_events", pattern_id, {"evaluation_ids": sorted(found), "into": part.id}, author,
                new=(part.id,))


def undo(*, engine: Engine, author: str = "") -> PatternRuleRow:
    """Withdraw the latest active rule; replaying without it restores what was there before it."""
    rules = store.active_rules(engine=engine)
    if not rules:
        raise InputError("no rule to undo")
    last = rules[-1]
    store.set_rule(engine=engine, rule_id=last.id, undone_at=utcnow(), undone_by=author or None)
    reapply(engine=engine)
    return last


def history(*, engine: Engine, pattern_id: int | None = None) -> list[PatternRuleRow]:
    """Every rule ever made (undone ones too), oldest first; for one pattern, the rules that name it."""
    rules = store.active_rules(engine=engine, include_undone=True)
    if pattern_id is None:
        return rules
    return [r for r in rules if r.pattern_id == pattern_id or pattern_id in _named(r)]


def _named(rule: PatternRuleRow) -> set[int]:
    p: dict[str, Any] = rule.params or {}
    return {int(x) for x in p.get("patterns", [])} | {int(x) for x in (p.get("parts") or {}).values()} | (
        {int(p["into"])} if "into" in p else set())


def _add(engine: Engine, kind: str, pattern_id: int, params: dict, author: str, new: tuple[int, ...] = ()) -> RuleDone:
    store.existing_patterns(engine=engine, ids=[pattern_id])
    rule = store.add_rule(engine=engine, rule=PatternRuleRow(kind=kind, pattern_id=pattern_id, params=params,
                                                             author=author.strip()))
    report = reapply(engine=engine)
    missed = any(outcome.rule_id == rule.id for outcome in report.rules_not_applied)
    return RuleDone(rule, new, warning=absorbed_note(engine=engine, pattern_id=pattern_id) if missed else "")


def _latest_events(engine: Engine, pattern_id: int) -> tuple[PatternRow, Any]:
    """The pattern (NotFoundError where there is none) and its events in the latest tracked run."""
    parent = store.existing_patterns(engine=engine, ids=[pattern_id])[pattern_id]
    run_id = store.latest_tracked_run(engine=engine)
    if run_id is None:
        raise InputError("no tracked run yet: run `lens process` first")
    events = store.run_events_frame(engine=engine, run_id=run_id)
    mine = events[events["pattern_id"] == pattern_id]
    if mine.empty:
        raise InputError(f"pattern {pattern_id} has no events in the latest run ({run_id})")
    return parent, mine
