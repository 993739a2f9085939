"""Failure patterns across runs (lens_core.tracking): the triage queue, one pattern's evidence and events,
the analyst's rules (PATCH /patterns/{id}, merge, split, undo) and what changed between two runs.

`reads` holds the GETs (the read dependencies), `writes` the rules (the write dependencies): see
lens_api.app. Every rule is stored with its author and replayed at once, so the answer shows its effect.
"""

from __future__ import annotations

from fastapi import APIRouter, Body, Depends, Path, Query
from sqlalchemy.engine import Engine

from lens_api.deps import get_engine
from lens_api.errors import error_responses
from lens_api.pattern_schemas import (
    ChangeOut,
    DiffOut,
    MergeIn,
    PatternDetail,
    PatternEventOut,
    PatternEventPage,
    PatternOut,
    PatternPatch,
    PatternQueue,
    RuleOut,
    SplitIn,
    UndoIn,
)
from lens_api.schemas import MAX_ID
from lens_core.errors import NotFoundError
from lens_core.runs.export import pattern_detail, pattern_summary, rule_dict
from lens_core.storage import queries
from lens_core.storage import tracking as store
from lens_core.tracking import curation
from lens_core.tracking.diff import diff_runs
from lens_core.tracking.queue import summaries

reads = APIRouter(tags=["patterns"], responses=error_responses(404, 503))
writes = APIRouter(prefix="/patterns", tags=["patterns"], responses=error_responses(404, 503))

PatternId = Path(ge=1, le=MAX_ID, description="The pattern's id (GET /patterns lists them)")
AUTHOR = "api"


@reads.get("/patterns", response_model=PatternQueue)
def queue(
    include_all: bool = Query(False, alias="all", description="Resolved, ignored and merged patterns too"),
    limit: int = Query(100, ge=1, le=10_000),
    engine: Engine = Depends(get_engine),
) -> PatternQueue:
    """The triage queue: the open patterns of the latest tracked run, and resolved ones that regressed,
    highest score first, each term shown."""
    rows = summaries(engine=engine, include_closed=include_all)[:limit]
    return PatternQueue(run_id=store.latest_tracked_run(engine=engine),
                        patterns=[PatternOut(**s.as_dict()) for s in rows])


@reads.get("/patterns/history", response_model=list[RuleOut])
def history(
    pattern_id: int | None = Query(None, ge=1, le=MAX_ID, description="Only the rules naming this pattern"),
    engine: Engine = Depends(get_engine),
) -> list[RuleOut]:
    """Every rule made, oldest first; undone ones carry undone_at."""
    if pattern_id is not None:
        store.existing_patterns(engine=engine, ids=[pattern_id])
    return [RuleOut.of(rule_dict(r)) for r in curation.history(engine=engine, pattern_id=pattern_id)]


@reads.get("/patterns/{pattern_id}", response_model=PatternDetail)
def one(pattern_id: int = PatternId, engine: Engine = Depends(get_engine)) -> PatternDetail:
    """One pattern: its summary, its clusters in the latest tracked run (with their summaries and root
    causes), its message patterns there, its lineage and every rule naming it."""
    return PatternDetail.of(pattern_detail(engine=engine, pattern_id=pattern_id))


@reads.get("/patterns/{pattern_id}/events", response_model=PatternEventPage)
def events(
    pattern_id: int = PatternId,
    run_id: int | None = Query(None, ge=0, le=MAX_ID, description="A tracked run; default: the latest"),
    offset: int = Query(0, ge=0, le=10**9),
    limit: int = Query(50, ge=1, le=500),
    q: str | None = Query(None, max_length=200, description="Only events whose prompt or output contains this"),
    engine: Engine = Depends(get_engine),
) -> PatternEventPage:
    """The pattern's events in a run (rules applied), by id, one page at a time, each with its cluster."""
    store.existing_patterns(engine=engine, ids=[pattern_id])
    if run_id is not None:
        queries.get_run(engine=engine, run_id=run_id)
    else:
        run_id = store.latest_tracked_run(engine=engine)
        if run_id is None:
            raise NotFoundError("no tracked run yet: process the events first")
    rows, total = queries.cluster_events(engine=engine, run_id=run_id, pattern_id=pattern_id, offset=offset,
                                         limit=limit, search=q or None)
    return PatternEventPage(run_id=run_id, pattern_id=pattern_id, total=total, offset=offset, limit=limit,
                            events=[PatternEventOut.of(row) for row in rows])


@reads.get("/runs/{run_a}/diff/{run_b}", response_model=DiffOut)
def diff(
    run_a: int = Path(ge=0, le=MAX_ID, description="The earlier run's id"),
    run_b: int = Path(ge=0, le=MAX_ID, description="The later run's id"),
    engine: Engine = Depends(get_engine),
) -> DiffOut:
    """What changed from run A to run B: patterns kept, new, gone, split, merged and divided, with event counts."""
    for run in (run_a, run_b):
        queries.get_run(engine=engine, run_id=run)
    return DiffOut.model_validate(diff_runs(engine=engine, run_a=run_a, run_b=run_b).as_dict())


@writes.patch("/{pattern_id}", response_model=ChangeOut)
def change(patch: PatternPatch, pattern_id: int = PatternId, engine: Engine = Depends(get_engine)) -> ChangeOut:
    """Rename, set the owner, add a note, resolve (with a release), ignore or reopen: one rule per field."""
    author = patch.author or AUTHOR
    done = []
    if patch.title is not None:
        done.append(curation.rename(engine=engine, pattern_id=pattern_id, title=patch.title, author=author))
    if patch.owner is not None:
        done.append(curation.set_owner(engine=engine, pattern_id=pattern_id, name=patch.owner, author=author))
    if patch.notes is not None:
        done.append(curation.note(engine=engine, pattern_id=pattern_id, text=patch.notes, author=author))
    if patch.state == "resolved":
        done.append(curation.resolve(engine=engine, pattern_id=pattern_id, release=patch.release, author=author))
    elif patch.state == "ignored":
        done.append(curation.ignore(engine=engine, pattern_id=pattern_id, author=author))
    elif patch.state == "open":
        done.append(curation.reopen(engine=engine, pattern_id=pattern_id, author=author))
    return _changed(engine, pattern_id, [d.rule.id for d in done], [], [d.warning for d in done if d.warning])


@writes.post("/merge", response_model=ChangeOut)
def merge(body: MergeIn, engine: Engine = Depends(get_engine)) -> ChangeOut:
    """The events of `patterns` join `into`, on the latest run and every later one."""
    done = curation.merge(engine=engine, into=body.into, others=body.patterns, author=body.author or AUTHOR)
    return _changed(engine, body.into, [done.rule.id], [])


@writes.post("/{pattern_id}/split", response_model=ChangeOut)
def split(body: SplitIn, pattern_id: int = PatternId, engine: Engine = Depends(get_engine)) -> ChangeOut:
    """`by`: a new pattern for each value of the field among its events, but the largest (which stays), or
    with `values` one new pattern of the events with those values; `evaluation_ids`: one new pattern of
    those events."""
    author = body.author or AUTHOR
    if body.by is not None:
        done = curation.split(engine=engine, pattern_id=pattern_id, by=body.by, values=body.values or (),
                              title=body.title or "", author=author)
    else:
        done = curation.split_events(engine=engine, pattern_id=pattern_id, evaluation_ids=body.evaluation_ids or [],
                                     title=body.title or "", author=author)
    return _changed(engine, pattern_id, [done.rule.id], list(done.new_patterns))


@writes.post("/undo", response_model=ChangeOut)
def undo(body: UndoIn | None = Body(None), engine: Engine = Depends(get_engine)) -> ChangeOut:
    """Withdraw the latest rule; it stays in the history, marked undone."""
    rule = curation.undo(engine=engine, author=(body.author if body else None) or AUTHOR)
    return _changed(engine, rule.pattern_id, [rule.id], [])


def _changed(engine: Engine, pattern_id: int | None, rule_ids: list[int], new: list[int],
             warnings: list[str] | None = None) -> ChangeOut:
    rules = [RuleOut.of(rule_dict(r)) for r in curation.history(engine=engine) if r.id in set(rule_ids)]
    pattern = None
    if pattern_id is not None:
        pattern = PatternOut(**pattern_summary(engine=engine, pattern_id=pattern_id).as_dict())
    return ChangeOut(rules=rules, new_patterns=new, pattern=pattern, warnings=warnings or [])
