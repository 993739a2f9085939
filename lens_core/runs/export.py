"""Cluster serialisation and exports, shared by the CLI, the API and the dashboard.

`cluster_response()` is the original design's Cluster Response (cluster_id, size, algorithm, summary,
root_cause, common_plugins, common_endpoints, common_error_codes, sample_prompts) plus evidence fields and
the cluster's pattern (lens_core.tracking); `pattern_detail()` is one pattern with its evidence.
CSV exports neutralise spreadsheet formulas: a cell starting with = + - @ (or a tab/CR) gets a leading
apostrophe, so opening an export in Excel never runs text that came from telemetry. CSV and Markdown
exports drop control characters (ESC and the rest; line breaks and tabs stay), so `cat report.md` in a
terminal shows telemetry as text and never runs the escape sequences an attacker planted in it.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from sqlalchemy.engine import Engine

from lens_core.describe.redact import redact as redact_text
from lens_core.schema import Count
from lens_core.storage import queries
from lens_core.storage import tracking as tracking_store
from lens_core.storage.models import ClusterRow, PipelineRun
from lens_core.tracking.curation import history
from lens_core.tracking.queue import OPEN_STATES, PatternSummary, summaries
from lens_core.tracking.rules import PatternState, fold_states
from lens_core.tracking.suggest import Suggestion, suggestions
from lens_core.tracking.titles import titles_of

SUMMARY_FORMATS = ("json", "csv", "md")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# C0 controls but tab, LF and CR (CR is a line break inside a quoted CSV cell: to_csv), DEL, and C1 controls
# (U+009B is a one-character CSI that some terminals obey like ESC [).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _values(counts: list[Count], top: int = 5) -> list[str]:
    return [str(item.value) for item in counts[:top]]


def _iso(moment: datetime | None) -> str | None:
    """As the evidence stores it: ISO 8601 with its offset."""
    return None if moment is None else moment.isoformat()


def _utc_iso(moment: datetime | None) -> str | None:
    """A stored moment (naive from SQLite, which lens fills with UTC) in ISO 8601 with its offset."""
    return _iso(moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC))


def cluster_response(
    cluster: ClusterRow, run: PipelineRun, patterns: dict[int, tuple[int, str]] | None = None
) -> dict[str, Any]:
    """`patterns`: label -> (pattern id, title) of the run (cluster_patterns); without it, no pattern."""
    ev = cluster.evidence
    pattern_id, pattern_title = (patterns or {}).get(cluster.label, (None, None))
    return {
        "cluster_id": cluster.label,
        "run_id": run.id,
        "size": cluster.size,
        "share": round(cluster.share, 4),
        "algorithm": run.algorithm,
        "label": cluster.analyst_label,
        "notes": cluster.analyst_notes,
        "summary": cluster.summary,
        "root_cause": cluster.root_cause,
        "suggested_fix": cluster.suggested_fix,
        "severity": cluster.severity,
        "confidence": cluster.confidence,
        "common_plugins": _values(ev.plugins),
        "common_endpoints": _values(ev.endpoints),
        "common_error_codes": _values(ev.status_codes) + _values(ev.error_codes),
        "common_error_types": _values(ev.error_types),
        "keywords": list(ev.keywords)[:10],
        "sample_prompts": [r.customer_prompt for r in ev.representatives][:5],
        "first_seen": _iso(ev.first_seen),
        "last_seen": _iso(ev.last_seen),
        "unique_users": ev.unique_users,
        "unique_tenants": ev.unique_tenants,
        "fingerprints": len(ev.fingerprints),
        "pattern_id": pattern_id,
        "pattern_title": pattern_title,
    }


def cluster_patterns(*, engine: Engine, run_id: int) -> dict[int, tuple[int, str]]:
    """label -> (pattern id, title) for each cluster of a tracked run: the pattern it continued or opened
    (run_patterns, before rules); empty for a run that was never tracked."""
    by_label = tracking_store.run_patterns(engine=engine, run_id=run_id)
    titles = titles_of(engine=engine, ids=set(by_label.values()), run_id=run_id) if by_label else {}
    return {label: (pid, titles.get(pid, f"Pattern {pid}")) for label, pid in by_label.items()}


def top_clusters(
    *, engine: Engine, run_id: int | None = None, limit: int = 10, include_noise: bool = False
) -> tuple[PipelineRun, list[dict[str, Any]]]:
    run = queries.resolve_run(engine=engine, run_id=run_id)
    clusters = queries.clusters_of_run(engine=engine, run_id=run.id, include_noise=include_noise)
    patterns = cluster_patterns(engine=engine, run_id=run.id)
    return run, [cluster_response(c, run, patterns) for c in clusters[:limit]]


def summaries_text(*, engine: Engine, fmt: str, run_id: int | None = None, redact: bool = True) -> str:
    """Every cluster of a run (noise last) as JSON, CSV or a Markdown report.

    With `redact` (the default; EXPORT_REDACT turns it off) every text from telemetry in the export has
    emails, phone numbers, tokens, keys and similar replaced by typed placeholders, as the LLM path does.
    """
    if fmt not in SUMMARY_FORMATS:
        from lens_core.errors import ConfigError

        raise ConfigError(f"unknown format {fmt!r}; choose one of: {', '.join(SUMMARY_FORMATS)}")
    run, rows = top_clusters(engine=engine, run_id=run_id, limit=10**9, include_noise=True)
    if redact:
        rows = [_redacted(row) for row in rows]
    if fmt == "json":
        return json.dumps({"run_id": run.id, "clusters": rows}, indent=2, ensure_ascii=False)
    if fmt == "csv":
        flat = [{k: "; ".join(map(str, v)) if isinstance(v, list) else v for k, v in r.items()} for r in rows]
        return to_csv(pd.DataFrame(flat))
    return markdown_report(run, rows)


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, list):
        return [_redacted(v) for v in value]
    if isinstance(value, dict):
        return {k: _redacted(v) for k, v in value.items()}
    return value


def markdown_report(run: PipelineRun, rows: list[dict[str, Any]]) -> str:
    noise = f"{run.noise_share:.1%}" if run.noise_share is not None else "n/a"
    lines = [
        f"# lens report: run {run.id}",
        "",
        f"{run.n_events} events, {run.n_clusters} clusters, noise {noise}; "
        f"algorithm {run.algorithm}, view {run.view}, embedder {run.embedding_model}.",
        "",
    ]
    for r in rows:
        title = r["label"] or r["summary"]
        lines += [
            f"## Cluster {r['cluster_id']}: {_md(title)}",
            "",
            f"- Size: {r['size']} events ({r['share']:.1%}), {r['unique_users']} users, "
            f"first seen {r['first_seen'] or 'n/a'}, last seen {r['last_seen'] or 'n/a'}",
            f"- Root cause: {_md(r['root_cause'])}",
            f"- Plugins: {_md(', '.join(r['common_plugins']) or 'n/a')}; "
            f"endpoints: {_md(', '.join(r['common_endpoints']) or 'n/a')}; "
            f"codes: {_md(', '.join(r['common_error_codes']) or 'n/a')}",
        ]
        if r.get("notes"):
            lines.append(f"- Analyst notes: {_md(r['notes'])}")
        lines += ["- Sample prompts:"] + [f"  - {_md(p)}" for p in r["sample_prompts"]] + [""]
    return "\n".join(lines)


def _md(text: str) -> str:
    """Telemetry text as inert Markdown: no HTML, links or headings, and no terminal escapes, can come from it."""
    text = " ".join(strip_controls(str(text)).split())
    for ch in "\\`*_[]<>#|":
        text = text.replace(ch, "\\" + ch)
    return text


def assignments_csv(*, engine: Engine, run_id: int | None = None) -> str:
    run = queries.resolve_run(engine=engine, run_id=run_id)
    frame = queries.assignments_frame(engine=engine, run_id=run.id)
    frame["pattern_id"] = frame["pattern_id"].astype("Int64")
    titles = titles_of(engine=engine, ids={int(p) for p in frame["pattern_id"].dropna().unique()}, run_id=run.id)
    frame["pattern_title"] = frame["pattern_id"].map(titles).astype(object)
    return to_csv(frame[["evaluation_id", "fingerprint", "message_pattern", "cluster_id", "run_id", "pattern_id",
                         "pattern_title"]])


def strip_controls(text: str) -> str:
    return _CONTROL.sub("", text)


def neutralise(value: Any) -> Any:
    """A cell safe to open and to print: controls dropped first, so none can hide a formula start behind it."""
    if not isinstance(value, str):
        return value
    value = strip_controls(value)
    return "'" + value if value.startswith(_FORMULA_START) else value


def to_csv(frame: pd.DataFrame) -> str:
    r"""RFC 4180 CSV: rows end in CRLF, so that every cell holding a CR or an LF is quoted. (With "\n" rows, a
    lone CR inside a cell went unquoted, and readers, spreadsheets included, start a new row there: a value
    such as "x\r=cmd|..." put an unneutralised formula at the start of a row.)"""
    buffer = io.StringIO()
    safe = frame.map(neutralise) if not frame.empty else frame
    safe.to_csv(buffer, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    return buffer.getvalue()


# -- patterns -----------------------------------------------------------------------------------------


def pattern_summary(*, engine: Engine, pattern_id: int, queue: list[PatternSummary] | None = None) -> PatternSummary:
    """The pattern as the queue shows it in the latest tracked run; with no events there (gone, merged
    away), its title and state with zero counts. `queue`: that run's summaries, closed ones included, where
    the caller has them already."""
    tracking_store.existing_patterns(engine=engine, ids=[pattern_id])
    queue = queue if queue is not None else summaries(engine=engine, include_closed=True)
    found = next((s for s in queue if s.pattern_id == pattern_id), None)
    if found is not None:
        return found
    state = fold_states(tracking_store.active_rules(engine=engine)).get(pattern_id) or PatternState()
    return PatternSummary(
        pattern_id=pattern_id, title=titles_of(engine=engine)[pattern_id], state=state.state, events=0, users=0,
        tenants=0, share=0.0, severity="", score=0.0, terms={}, owner=state.owner, notes=list(state.notes),
        resolved_in=state.resolved_in, merged_into=state.merged_into,
        run_id=tracking_store.latest_tracked_run(engine=engine) or 0)


def _hint_dict(hint: Suggestion, title: str) -> dict[str, Any]:
    """A suggestion as the API and `lens patterns show` give it: a split with values carries the new
    pattern's title instead of the phrase it is made from."""
    out = {k: v for k, v in asdict(hint).items() if k != "part"}
    return {**out, "title": hint.part_title(title) if hint.values else None}


def pattern_detail(*, engine: Engine, pattern_id: int) -> dict[str, Any]:
    """One pattern's evidence: its summary, its clusters in the latest tracked run (each with the pattern's
    events in it), its message patterns there, where it came from, its lineage, every rule naming it and
    what its evidence suggests (lens_core.tracking.suggest)."""
    queue = summaries(engine=engine, include_closed=True)  # the slowest read here: once, for both uses
    summary = pattern_summary(engine=engine, pattern_id=pattern_id, queue=queue)
    row = tracking_store.patterns(engine=engine, ids=[pattern_id])[pattern_id]
    clusters: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    hints: list[dict[str, Any]] = []
    run_id = tracking_store.latest_tracked_run(engine=engine)
    if run_id is not None:
        events = tracking_store.run_events_frame(engine=engine, run_id=run_id)
        mine = events[events["pattern_id"] == pattern_id]
        natural = {label for label, pid in tracking_store.run_patterns(engine=engine, run_id=run_id).items()
                   if pid == pattern_id}
        in_cluster = mine["label"].value_counts()
        labels = natural | {int(label) for label in in_cluster.index}
        run = queries.get_run(engine=engine, run_id=run_id)
        patterns = cluster_patterns(engine=engine, run_id=run_id)
        rows = queries.clusters_of_run(engine=engine, run_id=run_id)
        for cluster in rows:
            if cluster.label in labels:
                clusters.append({**cluster_response(cluster, run, patterns),
                                 "pattern_events": int(in_cluster.get(cluster.label, 0))})
        messages = _message_patterns(engine, mine)
        open_ids = {s.pattern_id for s in queue if s.state in OPEN_STATES and s.events}
        hints = [_hint_dict(hint, summary.title) for hint in suggestions(
            pattern_id, events, {c.label: c.evidence for c in rows if c.label >= 0}, open_ids - {pattern_id},
            tracking_store.active_rules(engine=engine))]
    return {
        "pattern": summary.as_dict(),
        "origin": row.origin, "parent_id": row.parent_id, "first_run_id": row.first_run_id,
        "last_run_id": row.last_run_id, "created_at": _utc_iso(row.created_at),
        "clusters": clusters,
        "message_patterns": messages,
        "lineage": [{"run_id": r.run_id, "pattern_id": r.pattern_id, "relation": r.relation,
                     "other_id": r.other_id, "events": r.events, "note": r.note}
                    for r in tracking_store.lineage(engine=engine, pattern_id=pattern_id)],
        "rules": [rule_dict(r) for r in history(engine=engine, pattern_id=pattern_id)],
        "suggestions": hints,
    }


def rule_dict(rule: Any) -> dict[str, Any]:
    """A rule (PatternRuleRow) as every surface shows it."""
    return {"rule_id": rule.id, "kind": rule.kind, "pattern_id": rule.pattern_id, "params": rule.params or {},
            "author": rule.author, "created_at": _utc_iso(rule.created_at), "undone_at": _utc_iso(rule.undone_at),
            "undone_by": rule.undone_by, "last_run_id": rule.last_run_id, "last_applied": rule.last_applied,
            "last_message": rule.last_message}


def _message_patterns(engine: Engine, mine: pd.DataFrame, top: int = 10) -> list[dict[str, Any]]:
    """The message patterns (hash, template, events) of a pattern's events, most events first."""
    if mine.empty:
        return []
    templates = queries.load_events_frame(engine=engine, columns=("id", "fingerprint"))
    template_of = dict(zip(templates["fingerprint"], templates["message_pattern"]))
    counts = mine.groupby("message_pattern", dropna=True).agg(events=("event_id", "size"),
                                                             fingerprint=("fingerprint", "first"))
    counts = counts.sort_values("events", ascending=False, kind="stable").head(top)
    return [{"hash": str(h), "template": template_of.get(fp) or "", "events": int(n)}
            for h, (n, fp) in zip(counts.index, zip(counts["events"], counts["fingerprint"]))]
