"""What the pages' buttons do: ingest uploads or samples, run the pipeline. No widgets here except the
progress bar handed in, so each action is testable on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import islice
from typing import Any

import pandas as pd

from app.context import AppContext
from lens_core.errors import InputError, RowError
from lens_core.ingest.ingestor import IngestReport, ingest_bytes, ingest_records
from lens_core.ingest.readers import ColumnMap, read_bytes
from lens_core.runs.options import ProcessOptions
from lens_core.runs.pipeline import process
from lens_core.runs.progress import RunProgress
from lens_core.runs.results import RunOutcome
from lens_core.samples import generator as samples

# (fraction 0..1, text) -> None: a progress bar's update
Progress = Callable[[float, str], None]
PREVIEW_ROWS = 5
SAMPLE_EVENTS = 3000
SAMPLE_SEED = 7


@dataclass(frozen=True)
class UploadResult:
    """One uploaded file: its ingest report, or why the file as a whole could not be read."""

    name: str
    report: IngestReport | None = None
    error: str | None = None


def preview(name: str, data: bytes, rows: int = PREVIEW_ROWS, mapping: dict[str, str] | None = None) -> pd.DataFrame:
    """The first readable rows of a file, every value as text (nested JSON would not fit a table cell), its
    columns renamed by `mapping` ({field: column}, as chosen on the page; None: the guesses).
    Only those rows are read: a large (or compressed) file is not read through for its preview."""
    items = read_bytes(data, name=name, mapping=None if mapping is None else ColumnMap(mapping, guess=False))
    records = [rec for _, rec in islice(items, rows * 4) if not isinstance(rec, RowError)][:rows]
    return pd.DataFrame([{k: "" if v is None else str(v) for k, v in rec.items()} for rec in records])


def mapping_choices(name: str, data: bytes) -> tuple[list[str], dict[str, str]]:
    """A file's own columns and the guesses for the lens fields it lacks ({field: column}); ([], {}) when
    not even its columns can be read (its preview says why)."""
    mapping = ColumnMap()
    try:
        next(read_bytes(data, name=name, mapping=mapping), None)
    except InputError:
        pass  # a file refused for lacking evaluation_id still showed its columns to the mapping
    return mapping.columns, {field: column for column, field in mapping.renames.items()}


def ingest_uploads(
    files: Iterable[tuple[str, bytes]], *, context: AppContext, progress: Progress | None = None,
    mappings: dict[str, dict[str, str]] | None = None,
) -> list[UploadResult]:
    """Ingest each file in its own transaction; a file that cannot be read is reported, the others go on.
    mappings: per file name, {field: column} as chosen on the page (applied as they are, nothing guessed)."""
    files = list(files)
    results = []
    for done, (name, data) in enumerate(files):
        if progress:
            progress(done / len(files), f"Ingesting {name} ({done + 1} of {len(files)})")
        try:
            chosen = (mappings or {}).get(name)
            report = ingest_bytes(
                data, name=name, engine=context.engine,
                max_chars=context.settings.max_field_chars,
                mapping=None if chosen is None else ColumnMap(chosen, guess=False),
            )
            results.append(UploadResult(name=name, report=report))
        except InputError as exc:
            results.append(UploadResult(name=name, error=str(exc)))
    if progress:
        progress(1.0, f"Ingested {len(files)} file(s)")
    return results


def load_samples(*, context: AppContext, n: int = SAMPLE_EVENTS, seed: int = SAMPLE_SEED) -> UploadResult:
    events, _truth = samples.generate(n, seed=seed)
    report = ingest_records(events, engine=context.engine, source="sample",
                            max_chars=context.settings.max_field_chars)
    return UploadResult(name="sample", report=report)


def results_table(results: list[UploadResult]) -> pd.DataFrame:
    rows = []
    for r in results:
        rep = r.report
        rows.append({
            "file": r.name, "accepted": rep.accepted if rep else 0, "duplicates": rep.duplicates if rep else 0,
            "rejected": len(rep.rejected) if rep else 0, "seconds": round(rep.seconds, 2) if rep else None,
            "problem": r.error or "",
        })
    return pd.DataFrame(rows)


def rejections_table(results: list[UploadResult]) -> pd.DataFrame:
    """Every rejected row: file, row number (data rows from 1), field and reason."""
    rows = [
        {"file": r.name, "row": issue.row, "field": issue.field or "", "reason": issue.reason}
        for r in results if r.report for issue in r.report.rejected
    ]
    return pd.DataFrame(rows, columns=["file", "row", "field", "reason"]).astype({"row": "Int64"})


def options_from(context: AppContext, **values: Any) -> ProcessOptions:
    """ProcessOptions from the settings and the page's widget values (a name no stage takes is refused)."""
    return ProcessOptions.of(context.settings, **values)


def run_pipeline(options: ProcessOptions, *, context: AppContext, progress: Progress | None = None) -> RunOutcome:
    """One stored run. Stored embeddings and reductions are reused by the core when they still apply."""
    embedder = context.embedder(options.embedder)
    return process(engine=context.engine, settings=context.settings, options=options, embedder=embedder,
                   progress=stage_progress(progress) if progress else None)


def stage_progress(progress: Progress) -> Callable[[RunProgress], None]:
    """The pipeline's progress as one bar over all stages, its text saying what the stage is doing."""
    return lambda step: progress(step.overall, step.text())
