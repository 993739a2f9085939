"""The `lens` command: a thin layer that builds settings and an engine, then calls the core.

Errors are one line on stderr and a non-zero exit code (LensError.exit_code), never a traceback.
"""

from __future__ import annotations

import json
import logging
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import click
import typer

from lens_core.cli_ingest import ingest as ingest_command
from lens_core.cli_ingest import mappings as mappings_command
from lens_core.cli_options import RegistryCommand
from lens_core.cli_patterns import diff as diff_command
from lens_core.cli_patterns import patterns_app
from lens_core.cli_trends import compare as compare_command
from lens_core.cli_trends import trends as trends_command
from lens_core.cli_trends import watch as watch_command
from lens_core.config import configure_logging, get_settings
from lens_core.errors import InputError, LensError

if TYPE_CHECKING:
    from lens_core.context import AppContext
    from lens_core.runs.progress import RunProgress

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="lens: find, explain and rank failure patterns in assistant telemetry.",
)
export_app = typer.Typer(no_args_is_help=True, help="Export cluster summaries or event assignments.")
app.add_typer(export_app, name="export")
db_app = typer.Typer(no_args_is_help=True, help="The database schema: its migrations (every command applies them).")
app.add_typer(db_app, name="db")
app.add_typer(patterns_app, name="patterns")
app.command("ingest")(ingest_command)
app.command("mappings")(mappings_command)
app.command("diff")(diff_command)
app.command("trends")(trends_command)
app.command("compare")(compare_command)
app.command("watch")(watch_command)
log = logging.getLogger("lens_core.cli")


class SummaryFormat(str, Enum):
    json = "json"
    csv = "csv"
    md = "md"


def _context() -> AppContext:
    """The command's context (lens_core.context, as the API's and the dashboard's), its engine open."""
    from lens_core.context import build_context

    context = build_context()
    configure_logging(context.settings)
    _ = context.engine  # opened now: a database that cannot be reached fails the command before any work
    return context


def _err(message: str) -> None:
    typer.echo(message, err=True)


@app.command()
def sample(
    out: Annotated[Path, typer.Option("--out", help="File to write: .csv, .json or .jsonl")],
    n: Annotated[int, typer.Option("--n", min=1, help="Number of events")] = 3000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed")] = 7,
) -> None:
    """Write realistic sample telemetry, with the true root causes in <stem>.truth.csv beside it."""
    from lens_core.samples.generator import write_samples

    if out.suffix.lower() not in (".csv", ".json", ".jsonl"):
        raise InputError(f"{out}: the sample file must end in .csv, .json or .jsonl")
    events_path, truth_path = write_samples(out, n=n, seed=seed)
    typer.echo(f"wrote {n} events to {events_path} (truth: {truth_path})")


def process(
    seed: Annotated[Optional[int], typer.Option(help="Random seed (default: RANDOM_STATE)")] = None,
    fit_sample: Annotated[Optional[int], typer.Option(
        min=100, help="Reduce and cluster at most N distinct texts (a weighted sample); assign the rest")] = None,
    limit: Annotated[int, typer.Option(help="Clusters to print")] = 10,
    *,
    chosen: dict[str, Any],
) -> None:
    """Fingerprint, embed, reduce and cluster every stored event as one stored run.

    Each stage's backend and parameters are options below (from lens_core.registry); a parameter of a
    backend that is not chosen is ignored.
    """
    from lens_core.runs.options import ProcessOptions
    from lens_core.runs.pipeline import process as run_pipeline

    ctx = _context()
    settings, engine = ctx.settings, ctx.engine
    options = ProcessOptions.of(settings, random_state=seed, fit_sample=fit_sample, **chosen)
    outcome = run_pipeline(engine=engine, settings=settings, options=options, progress=progress_printer())
    noise = f"{outcome.noise_share:.1%}"
    typer.echo(f"run {outcome.run_id}: {outcome.counts['events']} events, {outcome.n_clusters} clusters, "
               f"noise {noise}, {outcome.counts['embedded']} texts embedded "
               f"({outcome.counts['embeddings_cached']} cached)")
    typer.echo("stage seconds: " + ", ".join(f"{k} {v:.2f}" for k, v in outcome.timings.items()))
    if outcome.counts.get("events_without_prompt"):
        typer.echo(f"{outcome.counts['events_without_prompt']} error-only events (no prompt) share one text "
                   "under the intent view: '(no prompt: error-only event)'")
    print_clusters(engine, outcome.run_id, limit)


app.command("process")(RegistryCommand(process))


@app.command()
def assign(
    run: Annotated[Optional[int], typer.Option("--run", help="Run id (default: the latest completed)")] = None,
    distance_factor: Annotated[float, typer.Option(
        min=0.01, help="How far beyond a cluster's radius an event may lie and still join it")] = 1.0,
) -> None:
    """Assign events stored since a run to its clusters, without clustering again; the rest are novel."""
    from lens_core.cluster.assign import assign_new_events

    ctx = _context()
    report = assign_new_events(engine=ctx.engine, settings=ctx.settings, run_id=run, distance_factor=distance_factor)
    typer.echo(report.summary_line())
    for label, n in sorted(report.per_cluster.items(), key=lambda item: (item[0] == -1, -item[1])):
        typer.echo(f"  {'novel' if label == -1 else f'cluster {label}'}: {n}")


@app.command()
def clusters(
    limit: Annotated[int, typer.Option(min=1)] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (the API's Cluster Response)")] = False,
    run: Annotated[Optional[int], typer.Option("--run", help="Run id (default: the latest)")] = None,
) -> None:
    """The top clusters of a run with their summaries and root-cause hypotheses."""
    from lens_core.runs.export import top_clusters

    engine = _context().engine
    if as_json:
        run_row, rows = top_clusters(engine=engine, run_id=run, limit=limit)
        typer.echo(json.dumps({"run_id": run_row.id, "clusters": rows}, indent=2, ensure_ascii=False))
        return
    print_clusters(engine, run, limit)


@app.command()
def runs(limit: Annotated[int, typer.Option(min=1)] = 20) -> None:
    """Stored runs, newest first, with their parameters and timings."""
    from lens_core.storage import queries

    for r in queries.list_runs(engine=_context().engine, limit=limit):
        noise = f"{r.noise_share:.1%}" if r.noise_share is not None else "-"
        total = sum(v for v in (r.timings or {}).values())
        # Only services that text was sent to: "embeddings redacted", "llm not redacted (...)".
        sent = [f"{service} {state}" for service, state in ((r.parameters or {}).get("redaction") or {}).items()
                if "redacted" in state]
        typer.echo(f"run {r.id} [{r.status}] {r.created_at:%Y-%m-%d %H:%M} {r.algorithm}/{r.view}/{r.embedder} "
                   f"events {r.n_events} clusters {r.n_clusters} noise {noise} {total:.1f}s"
                   + (f" sent: {', '.join(sent)}" if sent else "") + (f" error: {r.error}" if r.error else ""))


@export_app.command("assignments")
def export_assignments(
    out: Annotated[Path, typer.Option("--out", help="CSV file to write")],
    run: Annotated[Optional[int], typer.Option("--run")] = None,
) -> None:
    """evaluation_id, fingerprint, message_pattern, cluster_id, run_id for every event (noise is -1)."""
    from lens_core.runs.export import assignments_csv

    _write(out, assignments_csv(engine=_context().engine, run_id=run))


@export_app.command("summaries")
def export_summaries(
    out: Annotated[Path, typer.Option("--out", help="File to write")],
    fmt: Annotated[SummaryFormat, typer.Option("--format")] = SummaryFormat.json,
    run: Annotated[Optional[int], typer.Option("--run")] = None,
) -> None:
    """Every cluster's summary and evidence as JSON, CSV or a Markdown report."""
    from lens_core.runs.export import summaries_text

    ctx = _context()
    _write(out, summaries_text(engine=ctx.engine, fmt=fmt.value, run_id=run, redact=ctx.settings.export_redact))


@app.command()
def summarize(
    llm: Annotated[bool, typer.Option("--llm", help="Summarize with the LLM set by OPENAI_* settings")] = False,
    run: Annotated[Optional[int], typer.Option("--run", help="Run id (default: the latest)")] = None,
    n_clusters: Annotated[Optional[int], typer.Option("--clusters", min=1, help="Top N clusters (default: all)")] = None,
) -> None:
    """LLM summaries and root causes for the top clusters of a run (offline summaries are kept on failure)."""
    from lens_core.describe.llm_summaries import build_client, summarize_run

    if not llm:
        raise InputError("offline summaries are written by `lens process`; add --llm to summarize with the LLM")
    ctx = _context()
    report = summarize_run(engine=ctx.engine, settings=ctx.settings, run_id=run, client=build_client(ctx.settings),
                           limit=n_clusters)
    for line in report.lines():
        typer.echo(line)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database schema to the newest migration (every lens command also does this on start)."""
    from lens_core.storage.engine import init_db, make_engine, redact_url

    settings = get_settings()
    configure_logging(settings)
    done = init_db(make_engine(settings.database_url))
    typer.echo(f"{redact_url(settings.database_url)}: " + (f"migrated {done}" if done else "already current"))


@db_app.command("current")
def db_current() -> None:
    """The migration the database is at, and the newest this lens knows."""
    from lens_core.storage.engine import make_engine, redact_url, schema_revision
    from lens_core.storage.migrate import head

    settings = get_settings()
    revision, newest = schema_revision(make_engine(settings.database_url)), head()
    if revision is None:
        state = f"no lens schema yet (the newest revision is {newest})"
    elif revision == newest:
        state = f"revision {revision} (current)"
    else:
        state = f"revision {revision} (`lens db upgrade` brings it to {newest})"
    typer.echo(f"{redact_url(settings.database_url)}: {state}")


def _write(out: Path, text: str) -> None:
    try:
        out.write_text(text, encoding="utf-8", newline="")  # as written: CSV rows end in CRLF on every system
    except OSError as exc:
        raise InputError(f"{out}: cannot write: {exc.strerror}") from None
    typer.echo(f"wrote {out}")


def print_clusters(engine: object, run_id: Optional[int], limit: int) -> None:
    from lens_core.runs.export import top_clusters

    run_row, rows = top_clusters(engine=engine, run_id=run_id, limit=limit)
    typer.echo(f"top clusters of run {run_row.id} ({run_row.n_events} events, {run_row.algorithm}, "
               f"view {run_row.view}):")
    for r in rows:
        title = r["label"] or r["summary"]
        typer.echo(f"\n#{r['cluster_id']}  {r['size']} events ({r['share']:.1%}), {r['unique_users']} users  {title}")
        typer.echo(f"    root cause: {r['root_cause']}")
        if r["sample_prompts"]:
            typer.echo(f"    e.g. \"{r['sample_prompts'][0][:100]}\"")


def progress_printer():  # type: ignore[no-untyped-def]
    """Stage progress on stderr for a person at a terminal; nothing when output goes to a file or pipe."""
    if not sys.stderr.isatty():
        return None
    last: dict[str, tuple[int, str]] = {}

    def report(step: RunProgress) -> None:
        seen = (int(step.fraction * 10), step.note)  # a line per tenth of a stage, or when its note changes
        if last.get(step.stage) == seen:
            return
        last[step.stage] = seen
        typer.echo(f"  {step.text()}", err=True)

    return report


def main() -> None:
    """Console entry point: runs the app and turns lens's errors into one line and an exit code."""
    try:
        code = app(standalone_mode=False, prog_name="lens")  # "lens" in usage text, however started
    except LensError as exc:
        _err(f"lens: error: {exc}")
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        _err("lens: interrupted")
        sys.exit(130)
    except click.exceptions.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.TyperException as exc:  # typer's own (vendored) click: a usage error above all
        _usage_error(exc)
    except KeyboardInterrupt:
        _err("lens: interrupted")
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, details in the debug log
        log.debug("unexpected error", exc_info=True)
        _err(f"lens: unexpected error: {type(exc).__name__}: {exc} (set LOG_LEVEL=DEBUG for details)")
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


def _usage_error(exc: typer.TyperException) -> None:
    """What click itself prints for a usage error (an unknown command or option, a bad value): the usage
    line, "Try 'lens export --help' for help." and the error; exit 2. A command given no arguments shows
    its help. (standalone_mode=False hands these to us instead of printing them.)"""
    show = getattr(exc, "show", None)
    if callable(show):
        show()
    else:
        _err(f"lens: error: {exc.format_message()}")
    sys.exit(exc.exit_code if isinstance(getattr(exc, "exit_code", None), int) else 2)


if __name__ == "__main__":
    main()
