"""Cluster serialisation and exports, shared by the CLI, the API and the dashboard.

`cluster_response()` is the original design's Cluster Response (cluster_id, size, algorithm, summary,
root_cause, common_plugins, common_endpoints, common_error_codes, sample_prompts) plus evidence fields.
CSV exports neutralise spreadsheet formulas: a cell starting with = + - @ (or a tab/CR) gets a leading
apostrophe, so opening an export in Excel never runs text that came from telemetry.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy.engine import Engine

from lens_core.describe.redact import redact as redact_text
from lens_core.schema import Count
from lens_core.storage import queries
from lens_core.storage.models import ClusterRow, PipelineRun

SUMMARY_FORMATS = ("json", "csv", "md")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _values(counts: list[Count], top: int = 5) -> list[str]:
    return [str(item.value) for item in counts[:top]]


def _iso(moment: datetime | None) -> str | None:
    """As the evidence stores it: ISO 8601 with its offset."""
    return None if moment is None else moment.isoformat()


def cluster_response(cluster: ClusterRow, run: PipelineRun) -> dict[str, Any]:
    ev = cluster.evidence
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
    }


def top_clusters(
    *, engine: Engine, run_id: int | None = None, limit: int = 10, include_noise: bool = False
) -> tuple[PipelineRun, list[dict[str, Any]]]:
    run = queries.resolve_run(engine=engine, run_id=run_id)
    clusters = queries.clusters_of_run(engine=engine, run_id=run.id, include_noise=include_noise)
    return run, [cluster_response(c, run) for c in clusters[:limit]]


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
    """Telemetry text as inert Markdown: no HTML, links or headings can come from it."""
    text = " ".join(str(text).split())
    for ch in "\\`*_[]<>#|":
        text = text.replace(ch, "\\" + ch)
    return text


def assignments_csv(*, engine: Engine, run_id: int | None = None) -> str:
    run = queries.resolve_run(engine=engine, run_id=run_id)
    frame = queries.assignments_frame(engine=engine, run_id=run.id)
    return to_csv(frame[["evaluation_id", "fingerprint", "message_pattern", "cluster_id", "run_id"]])


def neutralise(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_csv(frame: pd.DataFrame) -> str:
    r"""RFC 4180 CSV: rows end in CRLF, so that every cell holding a CR or an LF is quoted. (With "\n" rows, a
    lone CR inside a cell went unquoted, and readers, spreadsheets included, start a new row there: a value
    such as "x\r=cmd|..." put an unneutralised formula at the start of a row.)"""
    buffer = io.StringIO()
    safe = frame.map(neutralise) if not frame.empty else frame
    safe.to_csv(buffer, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    return buffer.getvalue()
