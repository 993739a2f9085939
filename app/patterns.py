"""What the pages that show failure patterns share: who makes a rule, making one (its error shown, the cached
frames dropped, every page rerun with the change), rules and states in words, the pattern pickers' order,
which pattern a selection on the map comes out of, and trend states as badges (the queue, Compare).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from app import charts, context, loaders, nav
from app.ui import lens_errors, md_literal, need_events, need_run
from lens_core.context import AppContext
from lens_core.storage import queries
from lens_core.storage.models import PipelineRun
from lens_core.tracking import titles
from lens_core.tracking.queue import PatternSummary, queued
from lens_core.tracking.trends import ALERT_STATES, STATE_RANK, Comparison

AUTHOR_KEY = "patterns_author"  # remembered across pages (a widget's own key is dropped when its page is left)
DEFAULT_AUTHOR = "dashboard"
MESSAGE_KEY = "patterns_message"  # what the last action did, shown once after the rerun
VERSION_KEY = "patterns_version"  # counts actions: forms and pickers get new keys, so they show the new state
OPEN_KEY = "pattern_open"  # the pattern the Pattern page opens (sent by the queue, kept across an action)
# The score and its terms right after the title: why a pattern ranks where it does, in one screen width.
# The trend (a badge and the events over time) beside the title, then the score and its terms; the trend's
# reason last (long).
QUEUE_COLUMNS = [
    "rank", "#", "title", "trend", "over time", "score", "users term", "tenants term", "events term",
    "severity weight", "trend weight", "state", "events", "users", "tenants", "share", "severity", "owner", "notes",
    "clusters", "trend reason",
]
# Trend states (lens_core.tracking.trends) as badges: label and colour; ongoing plain, as most patterns are.
BADGES = {state: (state if state == "ongoing" else state.upper(), "" if state == "ongoing" else colour)
          for state, colour in charts.STATE_COLOURS.items()}
_BADGE_CSS = {label: f"background-color: {colour}; color: #ffffff; font-weight: bold"
              for label, colour in BADGES.values() if colour}
ROW_TINT = {"regressed": "#fde8e8", "new": "#fff0e6", "escalating": "#fff6dd"}  # rows worth a look (ALERT_STATES)
COMPARE_COLUMNS = ["state", "#", "title", "base events", "base rate", "target events", "target rate", "change",
                   "p-value", "corrected p", "reason"]


def tracked_run(ctx: AppContext) -> tuple[PipelineRun, str]:
    """What a page about patterns starts from: the newest run with patterns and the version its cached frames
    are keyed by; with no events, no run or no patterns yet, the page says what to do and stops."""
    with lens_errors():
        need_events(queries.count_events(engine=ctx.engine))
        need_run(context.chosen_run(ctx))
        latest = loaders.latest_tracked_run(ctx.engine)
    need_patterns(latest)
    return latest, loaders.patterns_version(ctx.engine, latest)


def need_patterns(latest: PipelineRun | None) -> None:
    """Runs exist but none has patterns (all noise, or made before tracking): say what to do, stop the page."""
    if latest is None:
        st.info("No run has failure patterns yet (a run that put every event in noise, or one made before "
                "patterns existed, has none). Press Run on the Clusters page: each run continues or opens the "
                "patterns and applies the analysts' rules.")
        st.page_link(nav.page("clusters"), label="Go to Clusters", icon=":material/bubble_chart:")
        st.stop()


def author_input(key: str) -> str:
    """The name recorded with each rule made here, remembered for the session (default "dashboard")."""
    value = st.text_input("Your name (recorded with each change)", key=key, max_chars=200,
                          value=st.session_state.get(AUTHOR_KEY, DEFAULT_AUTHOR))
    st.session_state[AUTHOR_KEY] = value.strip() or DEFAULT_AUTHOR
    return st.session_state[AUTHOR_KEY]


def apply(action: Callable[[], Any], message: Callable[[Any], str], *, open_pattern: int | None = None) -> None:
    """Make (or undo) one rule. A LensError shows as an error and stops the page; otherwise the cached
    pattern frames are dropped and the script reruns, so this page and every other show the change."""
    with lens_errors():
        result = action()
    loaders.forget_patterns()
    warning = getattr(result, "warning", "")  # what the analyst should know about the rule's effect
    st.session_state[MESSAGE_KEY] = message(result) + (f" Note: {warning}." if warning else "")
    st.session_state[VERSION_KEY] = st.session_state.get(VERSION_KEY, 0) + 1
    if open_pattern is not None:
        st.session_state[OPEN_KEY] = open_pattern
    st.rerun()


def show_message() -> None:
    if message := st.session_state.pop(MESSAGE_KEY, None):
        st.success(md_literal(message))


def titles_now(engine: Engine, ids: Iterable[int]) -> str:
    """The titles of these patterns as they are now (after the rule just made), for a message."""
    return ", ".join(titles.titles_of(engine=engine, ids={int(i) for i in ids}).values())


def count(n: int, noun: str) -> str:
    """'1 value', '3 values'."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def version() -> int:
    return st.session_state.get(VERSION_KEY, 0)


def state_words(summary: PatternSummary | Any, titles: dict[int, str]) -> str:
    """open | ignored | resolved in 2.4 | merged into <title>."""
    if summary.state == "resolved" and summary.resolved_in:
        return f"resolved in {summary.resolved_in}"
    if summary.state == "merged" and summary.merged_into is not None:
        return f"merged into {titles.get(summary.merged_into, f'#{summary.merged_into}')}"
    return summary.state


def _names(ids: Iterable[Any], titles: dict[int, str]) -> str:
    return ", ".join(titles.get(int(p), f"#{p}") for p in ids)


def rule_words(kind: str, params: dict[str, Any], titles: dict[int, str]) -> str:
    """What a rule does, for the analyst: 'title "Calendar tokens expire"', 'merged in: A, B', ..."""
    p = params or {}
    if kind == "rename":
        return f'title "{p.get("title", "")}"'
    if kind == "note":
        return f'note "{p.get("text", "")}"'
    if kind == "owner":
        return f"owner {p.get('name') or 'nobody'}"
    if kind == "resolve":
        return "resolved" + (f" in release {p['release']}" if p.get("release") else "")
    if kind in ("ignore", "reopen"):
        return {"ignore": "ignored", "reopen": "reopened"}[kind]
    if kind == "merge":
        return f"merged in: {_names(p.get('patterns', []), titles)}"
    if kind == "split":
        into: dict[Any, list[str]] = {}  # several values may go to one part
        for value, part in (p.get("parts") or {}).items():
            into.setdefault(part, []).append(value or "(none)")
        return f"split by {p.get('by')}: " + "; ".join(f"{', '.join(values)} to {_names([part], titles)}"
                                                        for part, values in into.items())
    if kind == "split_events":
        return f"{len(p.get('evaluation_ids', []))} chosen events to {_names([p.get('into')], titles)}"
    if kind == "move":
        return f"message pattern {str(p.get('message_pattern', ''))[:12]} moved in"
    return kind


def rule_status(row: Any) -> str:
    """undone (when, by whom) | applied in run N | not applied in run N: why."""
    if row["undone"]:
        when = pd.Timestamp(row["undone at"]).strftime("%Y-%m-%d %H:%M") if row["undone at"] is not None else ""
        return f"undone {when}" + (f" by {row['undone by']}" if row["undone by"] else "")
    if row["applied"] is False:
        return f"not applied in run {row['last run']}: {row['message']}"
    return f"applied in run {row['last run']}" if row["last run"] is not None else "made"


def choices(items: list[PatternSummary], titles: dict[int, str]) -> list[int]:
    """Pattern ids for a picker: the latest run's patterns in queue order, then the others (merged away,
    gone), newest first."""
    present = [s.pattern_id for s in items]
    return present + sorted(set(titles) - set(present), reverse=True)


def choice_label(pattern_id: int, by_id: dict[int, PatternSummary], titles: dict[int, str], run_id: int) -> str:
    summary = by_id.get(pattern_id)
    title = summary.title if summary else titles.get(pattern_id, f"Pattern {pattern_id}")
    if summary is None:
        return f"{title} (no events in run {run_id})"
    return title if summary.state == "open" else f"{title} ({summary.state})"


def selection_source(events: pd.DataFrame, picked: set[str]) -> tuple[int | None, int]:
    """The pattern most of the picked events are in (ties: the lowest id), and how many of them it holds.
    `events` has evaluation_id and pattern_id (the latest tracked run's)."""
    chosen = events.loc[events["evaluation_id"].isin(picked), "pattern_id"].dropna().astype(int)
    if chosen.empty:
        return None, 0
    pattern_id, count = min(chosen.value_counts().items(), key=lambda item: (-item[1], item[0]))
    return int(pattern_id), int(count)


def badge(state: str | None) -> str:
    """A trend state as its badge's text: REGRESSED, NEW, ... ; ongoing stays plain, no state is ''."""
    return BADGES.get(state or "", (state or "", ""))[0]


def badge_css(text: object) -> str:
    """The CSS of a badge cell (pandas Styler.map): white on the state's colour; plain for ongoing."""
    return _BADGE_CSS.get(str(text), "")


def with_badges(frame: pd.DataFrame, column: str, *, tint_rows: bool = False) -> Any:
    """The frame as a Styler with `column`'s badges coloured and, with tint_rows, the rows in ALERT_STATES
    tinted. st.dataframe keeps the column_config's number formats (a number column without one shows the
    Styler's text: give each a format)."""
    styler = frame.style
    if tint_rows and not frame.empty:
        tints = {badge(state): colour for state, colour in ROW_TINT.items()}

        def tint(row: pd.Series) -> list[str]:
            colour = tints.get(row[column], "")
            return [f"background-color: {colour}" if colour else ""] * len(row)

        styler = styler.apply(tint, axis=1)
    return styler.map(badge_css, subset=[column])


def sparklines(time: pd.DataFrame, by: str) -> dict[int, list[int]]:
    """Each pattern's events per bucket (trends.series' time frame), from the first bucket of any pattern
    to the last, zeros where it had none: one list per pattern, for a LineChartColumn."""
    if time.empty:
        return {}
    counts = time.pivot_table(index="pattern_id", columns="bucket", values="events", aggfunc="sum", fill_value=0)
    buckets = pd.date_range(counts.columns.min(), counts.columns.max(), freq="h" if by == "hour" else "D")
    counts = counts.reindex(columns=buckets, fill_value=0)
    return {int(pid): [int(n) for n in row] for pid, row in zip(counts.index, counts.to_numpy())}


def trend_window(items: list[PatternSummary]) -> str:
    """What the queue's trends compare ('release 2024.05.1 -> release 2024.05.2'), '' where nothing could
    be compared (no timestamps)."""
    return next((s.trend_window for s in items if s.trend_window), "")


def queue_frame(items: list[PatternSummary], titles: dict[int, str], *, include_closed: bool = False,
                sparks: dict[int, list[int]] | None = None) -> pd.DataFrame:
    """The triage queue as a table: each score term in its own column, so the first place is explained;
    the trend as a badge with its reason, and the events over time (`sparks`, per pattern)."""
    rows = []
    for s in items:
        if not include_closed and not queued(s):
            continue
        rows.append({
            "rank": len(rows) + 1, "#": s.pattern_id, "title": s.title, "state": state_words(s, titles),
            "events": s.events, "users": s.users, "tenants": s.tenants, "share": s.share,
            "severity": s.severity or "", "score": s.score, "users term": s.terms.get("users"),
            "tenants term": s.terms.get("tenants"), "events term": s.terms.get("events"),
            "severity weight": s.terms.get("severity_weight"), "owner": s.owner or "", "notes": len(s.notes),
            "clusters": ", ".join(map(str, s.clusters)),
            "trend": badge(s.trend) if s.events else "", "trend weight": s.terms.get("trend_weight"),
            "trend reason": s.trend_reason if s.events else "",
            "over time": (sparks or {}).get(s.pattern_id, []),
        })
    return pd.DataFrame(rows, columns=QUEUE_COLUMNS)


def compare_frame(comparison: Comparison, *, badges: bool = True) -> pd.DataFrame:
    """Compare's table: one row per pattern with events on either side, most urgent state first, then the
    largest change of rate (either way); change in percentage points; states as badges, or by name."""
    changes = sorted(comparison.changes, key=lambda c: (STATE_RANK.get(c.state, len(STATE_RANK)), -abs(c.change),
                                                        c.pattern_id))
    rows = [{
        "state": badge(c.state) if badges else c.state, "#": c.pattern_id, "title": c.title, "base events": c.base_events,
        "base rate": c.base_rate, "target events": c.target_events, "target rate": c.target_rate,
        "change": round(100 * c.change, 2), "p-value": c.p_value, "corrected p": c.p_adjusted, "reason": c.reason,
    } for c in changes]
    return pd.DataFrame(rows, columns=COMPARE_COLUMNS)


def p_text(p: float | None) -> str:
    """A p-value in two significant digits; blank where there was no test (st.dataframe writes "None" for a
    missing number)."""
    return "" if p is None or pd.isna(p) else f"{p:.2g}"


def state_counts(comparison: Comparison) -> dict[str, int]:
    """How many patterns are in each state, every state named (most urgent first)."""
    counts = {state: 0 for state in sorted(STATE_RANK, key=STATE_RANK.get)}
    for change in comparison.changes:
        counts[change.state] = counts.get(change.state, 0) + 1
    return counts


def alerts(comparison: Comparison) -> int:
    return sum(c.state in ALERT_STATES for c in comparison.changes)
