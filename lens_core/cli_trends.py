"""`lens trends`, `lens compare` and `lens watch`: what changed over time and releases
(lens_core.tracking.trends, lens_core.tracking.alerts).

Errors are LensErrors, printed by lens_core.cli.main as one line.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer

from lens_core.cli_patterns import AsJson, _dump, _engine
from lens_core.describe.phrasing import plural

ReleaseOption = Annotated[str | None, typer.Option(help="A release name")]
WindowOption = Annotated[str | None, typer.Option(help="START..END in ISO date-times (START <= t < END)")]


def sides(*named: str | None) -> tuple[Any, Any]:
    from lens_core.tracking import windows

    return windows.sides(*named, spell=lambda name: "--" + name.replace("_", "-"))


def trends(
    by: Annotated[str | None, typer.Option("--by", help="hour or day (default: by the events' span)")] = None,
    pattern: Annotated[int | None, typer.Option("--pattern", help="Only this pattern")] = None,
    facet: Annotated[str | None, typer.Option(
        "--facet", help="Also per value of this attribute, e.g. client_version or model")] = None,
    as_json: AsJson = False,
) -> None:
    """Each pattern's events, users and share of all events per time bucket and per release (latest run),
    and per value of an attribute with --facet."""
    from lens_core.storage import tracking as store
    from lens_core.tracking import trends as core

    engine = _engine()
    run_id = store.latest_tracked_run(engine=engine)
    if run_id is None:
        typer.echo("no patterns yet: run `lens process` first")
        return
    events = store.run_events_frame(engine=engine, run_id=run_id)
    result = core.series(events, by=by)
    time_rows, release_rows = result.time, result.release
    facet_rows = None
    if facet:
        values = events["event_id"].map(store.event_attribute(engine=engine, run_id=run_id, key=facet))
        facet_rows = core.facet(events, values)
    if pattern is not None:
        time_rows = time_rows[time_rows["pattern_id"] == pattern]
        release_rows = release_rows[release_rows["pattern_id"] == pattern]
        facet_rows = facet_rows[facet_rows["pattern_id"] == pattern] if facet_rows is not None else None
    if as_json:
        _dump({"run_id": run_id, "by": result.by, "releases": result.releases,
               "time": time_rows.to_dict(orient="records"), "release": release_rows.to_dict(orient="records"),
               **({"facet": facet, "by_facet": facet_rows.to_dict(orient="records")} if facet_rows is not None
                  else {})})
        return
    typer.echo(f"trends of run {run_id} by {result.by} (rate = share of all events in the bucket):")
    for pid, rows in time_rows.groupby("pattern_id"):
        cells = ", ".join(f"{r.bucket:%Y-%m-%d %H:%M} {r.events} ({r.rate:.1%})" for r in rows.itertuples())
        typer.echo(f"#{pid}  {cells}")
    for pid, rows in release_rows.groupby("pattern_id"):
        cells = ", ".join(f"{r.release} {r.events} ({r.rate:.1%})" for r in rows.itertuples())
        typer.echo(f"#{pid} by release  {cells}")
    if facet_rows is not None:
        if facet_rows.empty:
            typer.echo(f"no event of run {run_id} has the attribute {facet!r}")
        for pid, rows in facet_rows.groupby("pattern_id"):
            cells = ", ".join(f"{r.value} {r.events} ({r.rate:.1%})" for r in rows.itertuples())
            typer.echo(f"#{pid} by {facet}  {cells}")


def compare(
    base_release: ReleaseOption = None, target_release: ReleaseOption = None,
    base_window: WindowOption = None, target_window: WindowOption = None, as_json: AsJson = False,
) -> None:
    """Each pattern's events and share of failures in a base and a target (two releases or two windows;
    default: the latest release against the one before, else the last 24 h against the 7 days before),
    its state (regressed, new, escalating, shrinking, gone, ongoing) and why."""
    from lens_core.tracking.trends import compare_latest

    base, target = sides(base_release, target_release, base_window, target_window)
    result = compare_latest(engine=_engine(), base=base, target=target)
    if as_json:
        _dump([{**c.as_dict(), "base": result.base, "target": result.target} for c in result.changes])
        return
    typer.echo(f"base = {result.base} ({plural(result.base_total, 'event')}), "
               f"target = {result.target} ({plural(result.target_total, 'event')})")
    for side, label in result.empty_sides():  # as the Compare page says it
        typer.echo(f"the {side} ({label}) holds no events, so no change can be tested: pick a window with "
                   "failures in it")
    for c in result.changes:
        p = f"p={c.p_value:.2g}" if c.p_value is not None else "not tested"
        typer.echo(f"#{c.pattern_id}  {c.state.upper():10} {c.base_events} -> {plural(c.target_events, 'event')} "
                   f"({c.base_rate:.1%} -> {c.target_rate:.1%}, {p})  {c.title}")
        typer.echo(f"      {c.reason}")


def watch(
    webhook: Annotated[str | None, typer.Option(
        "--webhook", envvar="LENS_WEBHOOK_URL",
        help="Post each alert here (a Slack or Microsoft Teams incoming webhook); default: print them")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print what would be sent; send and store nothing")] = False,
    every: Annotated[float | None, typer.Option(
        "--every", min=1.0, help="Evaluate again every SECONDS, when the latest run has new events")] = None,
    base_release: ReleaseOption = None, target_release: ReleaseOption = None,
    base_window: WindowOption = None, target_window: WindowOption = None, as_json: AsJson = False,
) -> None:
    """Alert on each pattern that is new, regressed or escalating (as `lens compare` finds them), once per
    state change: run it after `lens process` or `lens assign`, or let it poll with --every."""
    from lens_core.config import get_settings
    from lens_core.storage.watch import latest_events
    from lens_core.tracking import alerts

    if webhook:
        alerts.check_url(webhook)
    base, target = sides(base_release, target_release, base_window, target_window)
    engine = _engine()
    redact = get_settings().redact_outbound  # what a webhook is sent leaves the machine: redacted by default
    last: tuple[Any, ...] | None = None
    while True:
        marker = latest_events(engine=engine)
        if marker != last:
            try:
                _watch_once(engine, base, target, webhook, dry_run, as_json, redact)
                last = marker
            except alerts.DeliveryError as error:
                if every is None:
                    raise
                typer.echo(f"lens: {error}; trying again in {every:g} s", err=True)  # what was not sent stays due
        if every is None:
            return
        time.sleep(every)


def _watch_once(engine: Any, base: Any, target: Any, webhook: str | None, dry_run: bool, as_json: bool,
                redact: bool = True) -> None:
    from lens_core.tracking import alerts

    result = alerts.evaluate(engine=engine, base=base, target=target)
    sent: set[int] = set()
    try:
        for alert in result.alerts:
            if webhook and not dry_run:
                alerts.post(webhook, alert, redact=redact)
            sent.add(alert.pattern_id)
    finally:
        if not dry_run:
            alerts.remember(engine=engine, watch=result, sent=sent)
    if as_json:
        _dump({"base": result.comparison.base, "target": result.comparison.target, "dry_run": dry_run,
               "redacted": redact, "alerts": [a.as_dict() for a in result.alerts], "already_told": result.already_told})
        return
    verb = "would be sent" if dry_run else ("sent" if webhook else "new")
    typer.echo(f"{result.comparison.target} against {result.comparison.base}: "
               f"{plural(len(result.alerts), 'alert')} {verb}, {len(result.already_told)} already told")
    for alert in result.alerts:
        typer.echo(alert.text())
