"""`lens ingest` and `lens mappings`: store telemetry files, each read with a column mapping (its
`--map FIELD=COLUMN` pairs, a saved mapping, and guesses from common names; lens_core.ingest.mappings)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from lens_core.errors import InputError

if TYPE_CHECKING:
    from lens_core.context import AppContext


def _context() -> AppContext:
    from lens_core.cli import _context as context

    return context()


def _err(message: str) -> None:
    typer.echo(message, err=True)


def ingest(
    files: Annotated[list[Path], typer.Argument(
        help="CSV, JSON, JSON Lines or Parquet files; the text formats also as .gz or .zst")],
    show: Annotated[int, typer.Option("--show", help="How many rejected rows to list per file")] = 50,
    workers: Annotated[Optional[int], typer.Option(
        min=0, help="Worker processes that validate, parse and fingerprint beside this one (default: one "
                    "per core, at most 4; 0: all in this process)")] = None,
    pairs: Annotated[Optional[list[str]], typer.Option(
        "--map", metavar="FIELD=COLUMN",
        help="Which of the file's columns is a lens field, e.g. --map customer_prompt=Prompt (repeatable; "
             "Prompt=customer_prompt is read the same)")] = None,
    mapping: Annotated[Optional[str], typer.Option(
        "--mapping", metavar="NAME", help="Read with the mapping saved under NAME (--map pairs win)")] = None,
    save_as: Annotated[Optional[str], typer.Option(
        "--save-mapping", metavar="NAME",
        help="Save the mapping the first file was read with (pairs and guesses) under NAME")] = None,
) -> None:
    """Validate and store telemetry; prints accepted, duplicates and rejected rows with reasons."""
    from lens_core.ingest.ingestor import ingest_file
    from lens_core.ingest.mappings import column_map, mapping_name, save_mapping

    ctx = _context()
    failed = 0
    try:  # a bad pair, saved name or mapping name stops the command before any file is read
        column_map(engine=ctx.engine, pairs=pairs or (), saved=mapping)
        save_as = mapping_name(save_as) if save_as is not None else None
    except InputError as exc:
        _err(f"lens: {exc}")
        raise typer.Exit(code=InputError.exit_code) from None
    for path in files:
        chosen = column_map(engine=ctx.engine, pairs=pairs or (), saved=mapping)  # one per file: its own guesses
        try:
            report = ingest_file(path, engine=ctx.engine, max_chars=ctx.settings.max_field_chars, workers=workers,
                                 mapping=chosen)
        except InputError as exc:
            _err(f"lens: {exc}")
            failed += 1
            continue
        for note in report.notes:
            typer.echo(f"{report.source}: {note}")
        typer.echo(report.summary_line())
        _issues(report.issue_lines(), show)
        if save_as is not None:
            fields = save_mapping(engine=ctx.engine, name=save_as, mapping=chosen)
            typer.echo(f"saved mapping {save_as!r}: {_pairs(fields)}")
            save_as = None
    if failed:
        raise typer.Exit(code=InputError.exit_code)


def _issues(issues: list[str], show: int) -> None:
    for line in issues[:show]:
        typer.echo(f"  rejected: {line}")
    if len(issues) > show:
        typer.echo(f"  ... and {len(issues) - show} more rejected rows")


def _pairs(fields: dict[str, str]) -> str:
    return " ".join(f"{field}={column}" for field, column in fields.items()) or "(no columns renamed)"


def mappings(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Saved column mappings (lens ingest --save-mapping NAME), each as FIELD=COLUMN pairs."""
    from lens_core.ingest.mappings import saved_mappings

    saved = saved_mappings(engine=_context().engine)
    if as_json:
        typer.echo(json.dumps(saved, indent=2))
        return
    if not saved:
        typer.echo("no saved mappings (lens ingest FILE --map FIELD=COLUMN --save-mapping NAME)")
    for name, fields in saved.items():
        typer.echo(f"{name}: {_pairs(fields)}")
