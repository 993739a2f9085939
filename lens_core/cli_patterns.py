"""`lens patterns ...` and `lens diff`: the failure patterns that live across runs (lens_core.tracking).

`lens patterns` prints the triage queue; its sub-commands show one pattern's evidence and make the
analyst's rules (rename, merge, split, resolve, ...), each replayed at once and on every later run.
Errors are LensErrors, printed by lens_core.cli.main as one line.
"""

from __future__ import annotations

import json
import os
import shlex
from typing import TYPE_CHECKING, Annotated, Any

import typer

from lens_core.describe.phrasing import plural
from lens_core.errors import InputError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from lens_core.tracking.curation import RuleDone

patterns_app = typer.Typer(
    no_args_is_help=False,
    help="Failure patterns across runs: the triage queue (no sub-command), one pattern's evidence, and the "
         "analyst's rules.",
)

Author = Annotated[str, typer.Option("--author", help="Who makes the rule (default: $USER, else 'cli')")]
PatternId = Annotated[int, typer.Argument(help="The pattern's id (`lens patterns` lists them)")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON")]


def _default_author() -> str:
    return os.environ.get("USER") or "cli"


def _engine() -> Engine:
    """The command's engine (as lens_core.cli's commands: the shared app context, opened now)."""
    from lens_core.config import configure_logging
    from lens_core.context import build_context

    context = build_context()
    configure_logging(context.settings)
    return context.engine


def _done(done: RuleDone) -> None:
    typer.echo(done.summary_line())


def _dump(payload: Any) -> None:
    typer.echo(json.dumps(payload, indent=2, ensure_ascii=False, default=str))


@patterns_app.callback(invoke_without_command=True)
def queue(
    ctx: typer.Context,
    as_json: AsJson = False,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Patterns to print")] = 20,
    show_all: Annotated[bool, typer.Option("--all", help="Resolved, ignored and merged patterns too")] = False,
) -> None:
    """The triage queue: open patterns of the latest tracked run, and resolved ones that regressed, highest
    score first, each term shown."""
    if ctx.invoked_subcommand is not None:
        return
    from lens_core.tracking.queue import summaries

    rows = summaries(engine=_engine(), include_closed=show_all)[:limit]
    if as_json:
        _dump({"run_id": rows[0].run_id if rows else None, "patterns": [s.as_dict() for s in rows]})
        return
    if not rows:
        typer.echo("no patterns yet: run `lens process` first" if not show_all else "no patterns")
        return
    typer.echo(f"patterns of run {rows[0].run_id} ({len(rows)} shown, score = (users + tenants + events) "
               f"x severity weight x trend weight; trend: {rows[0].trend_window or 'no timestamps'}):")
    for s in rows:
        state = f" [{s.state}]" if s.state != "open" else ""
        owner = f" owner {s.owner}" if s.owner else ""
        typer.echo(f"#{s.pattern_id}  {s.trend.upper()}  score {s.score:.2f} = {score_terms(s.terms)}  "
                   f"{plural(s.events, 'event')} ({s.share:.1%}), {s.users} users, {s.tenants} tenants, "
                   f"{s.severity or '-'}{state}{owner}  {s.title}")
        if s.trend != "ongoing":
            typer.echo(f"      {s.trend}: {s.trend_reason}")


def score_terms(t: dict[str, float]) -> str:
    return (f"(users {t['users']:.2f} + tenants {t['tenants']:.2f} + events {t['events']:.2f}) "
            f"x {t['severity_weight']} x {t.get('trend_weight', 1.0)}")


@patterns_app.command("show")
def show(pattern_id: PatternId, as_json: AsJson = False) -> None:
    """One pattern's evidence: its clusters in the latest run, message patterns, lineage and rules."""
    from lens_core.runs.export import pattern_detail

    detail = pattern_detail(engine=_engine(), pattern_id=pattern_id)
    if as_json:
        _dump(detail)
        return
    for line in detail_lines(detail):
        typer.echo(line)


def detail_lines(detail: dict[str, Any]) -> list[str]:
    s = detail["pattern"]
    lines = [f"pattern #{s['pattern_id']}: {s['title']} [{s['state']}]"
             + (f" in release {s['resolved_in']}" if s.get("resolved_in") else "")
             + (f" into #{s['merged_into']}" if s.get("merged_into") else "")
             + (f", owner {s['owner']}" if s.get("owner") else "")]
    origin = f"origin {detail['origin']}" + (f" (from #{detail['parent_id']})" if detail["parent_id"] else "")
    lines.append(f"  {origin}, first run {detail['first_run_id'] or '-'}, last run {detail['last_run_id'] or '-'}")
    if s["events"]:
        lines.append(f"  run {s['run_id']}: {plural(s['events'], 'event')} ({s['share']:.1%}), {s['users']} users, "
                     f"{s['tenants']} tenants, severity {s['severity'] or '-'}, score {s['score']:.2f} "
                     f"{score_terms(s['terms'])}")
        if s.get("trend_reason"):
            lines.append(f"  trend {s['trend']} ({s['trend_window']}): {s['trend_reason']}")
    else:
        lines.append(f"  no events in the latest tracked run ({s['run_id'] or 'none'})")
    lines += [f"  note: {n}" for n in s["notes"]]
    if detail["clusters"]:
        lines.append("  clusters:")
        for c in detail["clusters"]:
            lines.append(f"    cluster {c['cluster_id']}: {c['pattern_events']} of its {c['size']} events  "
                         f"{c['label'] or c['summary']}")
            lines.append(f"      root cause: {c['root_cause']}")
    if detail["message_patterns"]:
        lines.append("  message patterns (hash for `lens patterns move`):")
        lines += [f"    {m['hash']}  {plural(m['events'], 'event')}  {m['template']}"
                  for m in detail["message_patterns"]]
    for hint in detail.get("suggestions", []):
        pid = s["pattern_id"]
        if hint["kind"] == "split" and hint["values"]:
            title = shlex.quote(hint["title"])
            lines.append(f"  suggested: split off {len(hint['values'])} {hint['by']} values, as {hint['reason']} "
                         f"(`lens patterns split {pid} --by {hint['by']} --values {','.join(hint['values'])} "
                         f"--title {title}`)")
        elif hint["kind"] == "split":
            lines.append(f"  suggested: split by {hint['by']}, as {hint['reason']} "
                         f"(`lens patterns split {pid} --by {hint['by']}`)")
        else:
            others = " ".join(str(o) for o in hint["others"])
            lines.append(f"  suggested: merge {', '.join(f'#{o}' for o in hint['others'])} into it, as "
                         f"{hint['reason']} (`lens patterns merge {pid} {others}`)")
    if detail["lineage"]:
        lines.append("  lineage:")
        lines += [f"    run {r['run_id']}: #{r['pattern_id']} {r['relation']} #{r['other_id']} "
                  f"({plural(r['events'], 'event')})"
                  for r in detail["lineage"]]
    if detail["rules"]:
        lines.append("  rules:")
        lines += ["    " + rule_line(r) for r in detail["rules"]]
    return lines


def rule_line(r: dict[str, Any]) -> str:
    when = (r["created_at"] or "")[:19].replace("T", " ")
    params = json.dumps(r["params"], ensure_ascii=False, sort_keys=True) if r["params"] else ""
    if r["undone_at"]:
        status = f" [undone{' by ' + r['undone_by'] if r['undone_by'] else ''}]"
    elif r["last_applied"] is False:
        status = f" [not applied: {r['last_message']}]"
    else:
        status = ""
    return f"rule {r['rule_id']} {when} {r['kind']} #{r['pattern_id']} {params} by {r['author'] or '-'}{status}"


@patterns_app.command("rename")
def rename(pattern_id: PatternId, title: Annotated[str, typer.Argument(help="The new title")],
           author: Author = "") -> None:
    """Give a pattern a title that every surface and every later run shows."""
    from lens_core.tracking import curation

    engine = _engine()
    _done(curation.rename(engine=engine, pattern_id=pattern_id, title=title, author=author or _default_author()))


@patterns_app.command("merge")
def merge(ids: Annotated[list[int], typer.Argument(help="The pattern merged into, then those merged into it")],
          author: Author = "") -> None:
    """The events of the second and later patterns join the first, on this and every later run."""
    from lens_core.tracking import curation

    if len(set(ids)) < 2:
        raise InputError("merge needs two or more different patterns: the one merged into first, then the others")
    engine = _engine()
    _done(curation.merge(engine=engine, into=ids[0], others=ids[1:], author=author or _default_author()))


@patterns_app.command("split")
def split(pattern_id: PatternId,
          by: Annotated[str, typer.Option("--by", help="plugin, status, error_code, error_type, endpoint or "
                                                      "message_pattern")],
          values: Annotated[str, typer.Option("--values", help="Comma-separated values of --by: one new pattern "
                                                               "of the events with those values")] = "",
          title: Annotated[str, typer.Option("--title", help="With --values: the new pattern's title")] = "",
          author: Author = "") -> None:
    """A new pattern for each value of a field among the pattern's events, but the largest; with --values,
    one new pattern of the events with those values."""
    from lens_core.tracking import curation

    if title and not values:
        raise InputError("--title goes with --values")
    engine = _engine()
    chosen = [v.strip() for v in values.split(",") if v.strip()]
    _done(curation.split(engine=engine, pattern_id=pattern_id, by=by, values=chosen, title=title,
                         author=author or _default_author()))


@patterns_app.command("split-events")
def split_events(
    pattern_id: PatternId,
    events: Annotated[str, typer.Option("--events", help="evaluation ids, comma-separated")],
    title: Annotated[str, typer.Option("--title", help="The new pattern's title")] = "",
    author: Author = "",
) -> None:
    """A new pattern of the chosen events out of this one."""
    from lens_core.tracking import curation

    chosen = [e.strip() for e in events.split(",") if e.strip()]
    if not chosen:
        raise InputError("--events needs one or more evaluation ids, comma-separated")
    engine = _engine()
    _done(curation.split_events(engine=engine, pattern_id=pattern_id, evaluation_ids=chosen, title=title,
                                author=author or _default_author()))


@patterns_app.command("resolve")
def resolve(pattern_id: PatternId,
            release: Annotated[str | None, typer.Option("--release", help="The release that fixed it")] = None,
            author: Author = "") -> None:
    """Mark a pattern fixed (it leaves the queue)."""
    from lens_core.tracking import curation

    engine = _engine()
    _done(curation.resolve(engine=engine, pattern_id=pattern_id, release=release,
                           author=author or _default_author()))


@patterns_app.command("ignore")
def ignore(pattern_id: PatternId, author: Author = "") -> None:
    """Leave a pattern out of the queue."""
    from lens_core.tracking import curation

    engine = _engine()
    _done(curation.ignore(engine=engine, pattern_id=pattern_id, author=author or _default_author()))


@patterns_app.command("reopen")
def reopen(pattern_id: PatternId, author: Author = "") -> None:
    """Put a resolved or ignored pattern back in the queue."""
    from lens_core.tracking import curation

    engine = _engine()
    _done(curation.reopen(engine=engine, pattern_id=pattern_id, author=author or _default_author()))


@patterns_app.command("note")
def note(pattern_id: PatternId, text: Annotated[str, typer.Argument(help="The note")], author: Author = "") -> None:
    """Add a note to a pattern."""
    from lens_core.tracking import curation

    engine = _engine()
    _done(curation.note(engine=engine, pattern_id=pattern_id, text=text, author=author or _default_author()))


@patterns_app.command("owner")
def owner(pattern_id: PatternId, name: Annotated[str, typer.Argument(help="Who owns it ('' for nobody)")],
          author: Author = "") -> None:
    """Say who owns a pattern."""
    from lens_core.tracking import curation

    engine = _engine()
    _done(curation.set_owner(engine=engine, pattern_id=pattern_id, name=name, author=author or _default_author()))


@patterns_app.command("move")
def move(
    message_pattern: Annotated[str, typer.Argument(help="A message pattern's hash, or a unique start of it "
                                                        "(`lens patterns show` lists them)")],
    pattern_id: PatternId,
    author: Author = "",
) -> None:
    """Every event of a message pattern belongs to this pattern, whichever cluster it lands in."""
    from lens_core.storage import tracking as store
    from lens_core.tracking import curation

    engine = _engine()
    run_id = store.latest_tracked_run(engine=engine)
    if run_id is None:
        raise InputError("no tracked run yet: run `lens process` first")
    wanted = message_pattern.strip()
    known = store.run_events_frame(engine=engine, run_id=run_id)["message_pattern"].dropna().unique()
    found = sorted({str(h) for h in known if str(h).startswith(wanted)}) if wanted else []
    if len(found) != 1:
        why = "matches no" if not found else f"matches {len(found)}"
        raise InputError(f"message pattern {wanted!r} {why} message patterns of run {run_id}'s events")
    _done(curation.move(engine=engine, message_pattern=found[0], into=pattern_id, author=author or _default_author()))


@patterns_app.command("undo")
def undo(author: Author = "") -> None:
    """Withdraw the latest rule (it stays in the history, marked undone)."""
    from lens_core.tracking import curation

    rule = curation.undo(engine=_engine(), author=author or _default_author())
    typer.echo(f"undid rule {rule.id}: {rule.kind} pattern {rule.pattern_id}")


@patterns_app.command("history")
def history(pattern_id: Annotated[int | None, typer.Argument(help="Only the rules naming this pattern")] = None,
            as_json: AsJson = False) -> None:
    """Every rule made, oldest first (undone ones marked)."""
    from lens_core.runs.export import rule_dict
    from lens_core.storage import tracking as store
    from lens_core.tracking import curation

    engine = _engine()
    if pattern_id is not None:
        store.existing_patterns(engine=engine, ids=[pattern_id])
    rules = [rule_dict(r) for r in curation.history(engine=engine, pattern_id=pattern_id)]
    if as_json:
        _dump(rules)
        return
    if not rules:
        typer.echo("no rules yet")
    for r in rules:
        typer.echo(rule_line(r))


def diff(
    run_a: Annotated[int | None, typer.Argument(help="The earlier run (default: the tracked run before RUN_B)")] = None,
    run_b: Annotated[int | None, typer.Argument(help="The later run (default: the latest tracked run)")] = None,
    as_json: AsJson = False,
) -> None:
    """What changed between two runs' patterns: kept, new, gone, split, merged and divided, with event counts."""
    from lens_core.storage import queries
    from lens_core.tracking.diff import diff_runs

    engine = _engine()
    for run in (run_a, run_b):
        if run is not None:
            queries.get_run(engine=engine, run_id=run)  # NotFoundError names a run that does not exist
    result = diff_runs(engine=engine, run_a=run_a, run_b=run_b)
    if as_json:
        _dump(result.as_dict())
        return
    for line in result.lines():
        typer.echo(line)
