"""process(): stored events -> views -> embeddings -> reductions -> clusters -> evidence, as one stored run.

Clustering works on unique texts weighted by how many events share them. Under the default error view,
events with one fingerprint share one text, so a million events may be a few thousand points: embedding,
UMAP and HDBSCAN scale with the distinct failures, not with the traffic. `min_cluster_size` still counts
events, because HDBSCAN receives each point's event count as its weight.

Re-running with other clustering parameters reuses the stored embeddings and reductions; a run killed
midway is failed by the next reader (its owner and heartbeat tell, see queries.fail_stale_runs) and the
previous completed run is still what surfaces show.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from sqlalchemy.engine import Engine

from lens_core.cluster.base import Clusterer, ClusterFit
from lens_core.cluster.sampled_fit import extend_to_all, represented_weights, sample_indices
from lens_core.cluster.stored_reductions import reduce_cached
from lens_core.config import Settings
from lens_core.describe.redact import redaction_record
from lens_core.embed import Embedder, get_embedder
from lens_core.embed.cache import embed_cached
from lens_core.embed.views import NO_PROMPT, build_view, distinct_texts, families_of, without_prompt
from lens_core.errors import InputError, LensError
from lens_core.ingest.message_patterns import refresh_if_needed
from lens_core.registry import REGISTRY, Backend
from lens_core.runs.liveness import beating, owner_id
from lens_core.runs.options import ProcessOptions
from lens_core.runs.progress import ProgressCallback, RunProgress, estimate_left
from lens_core.runs.results import RunOutcome, build_results, versions
from lens_core.runtime import first_use
from lens_core.storage import queries
from lens_core.storage.models import PipelineRun, utcnow
from lens_core.tracking.track import track_run

log = logging.getLogger(__name__)


@dataclass
class Step:
    """The stage running now, as its progress tells it: what it counts and what it is doing."""

    stage: str
    progress: ProgressCallback | None
    done: int | None = None
    total: int | None = None
    note: str = ""
    started: float = field(default_factory=time.perf_counter)

    def tell(self, fraction: float, *, done: int | None = None, total: int | None = None, note: str | None = None,
             estimate: bool = False) -> None:
        """Report the stage's state; counts and note are kept for its later reports until changed.
        estimate: state the seconds left from the rate so far (work that proceeds at a steady rate)."""
        self.done = self.done if done is None else done
        self.total = self.total if total is None else total
        self.note = self.note if note is None else note
        if self.progress is None:
            return
        left = None
        if estimate and self.done is not None and self.total:
            left = estimate_left(self.done, self.total, time.perf_counter() - self.started)
        self.progress(RunProgress(self.stage, fraction, self.done, self.total, self.note, left))

    def counting(self) -> Callable[[int, int], None]:
        """A (done, total) callback for work that counts as it goes (texts embedded of those to embed)."""
        return lambda done, total: self.tell(done / total if total else 1.0, done=done, total=total, note="",
                                             estimate=True)


@dataclass
class Clock:
    """Per-stage wall-clock seconds, in the order the stages ran."""

    timings: dict[str, float] = field(default_factory=dict)
    on_start: Callable[[str], None] | None = None  # told each stage's name as it starts

    @contextmanager
    def stage(self, name: str, progress: ProgressCallback | None) -> Iterator[Step]:
        if self.on_start:
            self.on_start(name)
        step = Step(name, progress)
        step.tell(0.0)
        yield step
        self.timings[name] = round(time.perf_counter() - step.started, 3)
        step.tell(1.0, done=step.total)


def process(
    *,
    engine: Engine,
    settings: Settings,
    options: ProcessOptions | None = None,
    embedder: Embedder | None = None,
    progress: ProgressCallback | None = None,
    llm_client: Any = None,
) -> RunOutcome:
    """Run the whole pipeline over every stored event and store it as one run; returns its outcome.

    With `options.summarizer == "llm"` the completed run's clusters also get LLM summaries (through
    `llm_client`, or one built from the settings); a failure there keeps the offline summaries and is
    recorded in the run's notes, because the clusters themselves are complete and valid.
    """
    options = options or ProcessOptions.of(settings)
    queries.fail_stale_runs(engine=engine)
    embedder = embedder or get_embedder(options.embedder, settings)
    run = queries.create_run(engine=engine, run=_new_run(options, embedder, settings))
    assert run.id is not None
    try:
        with beating(lambda: queries.beat_run(engine=engine, run_id=run.id)):
            outcome = _run(run.id, engine=engine, options=options, embedder=embedder, progress=progress)
    except LensError as exc:
        queries.mark_finished(engine=engine, run_id=run.id, status="failed", error=str(exc))
        raise
    except BaseException as exc:  # noqa: BLE001 - record why, then let it propagate unchanged
        queries.mark_finished(engine=engine, run_id=run.id, status="failed", error=f"{type(exc).__name__}: {exc}")
        raise
    if options.summarizer == "llm":
        outcome.notes.extend(_llm_summaries(engine, settings, run.id, llm_client))
    return outcome


def _llm_summaries(engine: Engine, settings: Settings, run_id: int, client: Any) -> list[str]:
    """LLM summaries of the new run; summarize_run records its report on the run, a failure is noted here."""
    from lens_core.describe.llm_summaries import summarize_run

    try:
        report = summarize_run(engine=engine, settings=settings, run_id=run_id, client=client)
    except LensError as exc:
        log.warning("run %d keeps its offline summaries: %s", run_id, exc)
        note = f"llm: offline summaries kept: {exc}"
        run = queries.get_run(engine=engine, run_id=run_id)
        queries.update_run(engine=engine, run_id=run_id, notes=list(run.notes or []) + [note])
        return [note]
    return [f"llm: {line}" for line in report.lines()]


def _new_run(options: ProcessOptions, embedder: Embedder, settings: Settings) -> PipelineRun:
    # Whether text sent to remote services was redacted is kept with the run's parameters (REDACT_OUTBOUND).
    redaction = redaction_record(embedder_redacts=getattr(embedder, "redacts", None),
                                 llm=options.summarizer == "llm", redact=settings.redact_outbound)
    return PipelineRun(
        status="running",
        algorithm=options.algorithm,
        view=options.view,
        embedder=options.embedder,
        embedding_model=embedder.model,
        parameters={**options.record(), "redaction": redaction},
        versions=versions(),
        owner=owner_id(),
        heartbeat_at=utcnow(),
    )


def _run(
    run_id: int, *, engine: Engine, options: ProcessOptions, embedder: Embedder, progress: ProgressCallback | None
) -> RunOutcome:
    clock, counts, notes = Clock(on_start=_beat(engine, run_id)), {}, []
    with clock.stage("load", progress) as step:
        refresh_if_needed(engine=engine, stored_events=0)  # patterns of another parser or miner version
        events = queries.load_events_frame(engine=engine)
        if events.empty:
            raise InputError("no events stored yet: run `lens ingest FILE` (or `lens sample`) first")
        texts = build_view(options.view, events)
        point_texts, unique_hashes, point_of_event = distinct_texts(texts)
        weights = np.bincount(point_of_event, minlength=len(unique_hashes)).astype(np.float32)
        step.note = f"{len(events):,} events, {len(unique_hashes):,} distinct texts"
    counts.update(events=len(events), unique_texts=len(unique_hashes), fingerprints=int(events["fingerprint"].nunique()))
    _note_without_prompt(notes, counts, without_prompt(texts))

    with clock.stage("embed", progress) as step:
        step.tell(0.0, note=f"looking up {len(unique_hashes):,} distinct texts among the stored embeddings")
        vectors, embedded_now = embed_cached(
            point_texts, list(unique_hashes), embedder=embedder, engine=engine, progress=step.counting(),
        )
        stored = len(unique_hashes) - embedded_now
        step.note = f"{stored:,} were stored already" if stored else ""
    counts.update(embedded=embedded_now, embeddings_cached=len(unique_hashes) - embedded_now)

    model_key = f"{embedder.model}|{options.view}"
    families = families_of(options.view, point_texts)  # per distinct text: '' for views that state none
    clusterer = _clusterer(options)
    fit = sample_indices(weights, _fit_size(options, clusterer, len(weights)), options.random_state)
    sampled = len(fit) < len(weights)
    fit_vectors = vectors[fit] if sampled else vectors  # no copy of a million vectors when fitting all
    fit_hashes = list(unique_hashes[fit])
    plan = REGISTRY.get("reducer", options.name("reducer")).build(
        options.params("reducer"), random_state=options.random_state)
    reduction = None
    reducer_row = REGISTRY.get("reducer", options.name("reducer"))
    umap_work = f"UMAP of {len(fit):,} distinct texts"
    with clock.stage("reduce", progress) as step:
        if options.clusterer_row().on_reduction:
            fit_space, reduction, reused = reduce_cached(
                fit_vectors, fit_hashes, model=model_key, params=plan.clustering_params(), engine=engine,
                before_fit=lambda: step.tell(0.0, note=_working_note(umap_work, reducer_row)),
            )
            counts["reduction_reused"] = reused
            _note_fallback(notes, "reduction", reduction.fallback)
            step.note = "reused the stored reduction" if reused else ""
        else:
            fit_space, counts["reduction_reused"] = fit_vectors, False
            step.note = f"not needed: {options.algorithm} works on the embeddings themselves"
        fit_points = clusterer.coordinates(fit_space, [families[i] for i in fit])

    with clock.stage("cluster", progress) as step:
        work = f"{options.algorithm} on {len(fit):,} distinct texts"
        step.tell(0.0, note=_working_note(work, options.clusterer_row()))
        fit_weights = represented_weights(vectors, weights, fit) if sampled else weights
        clustered = _fit(clusterer, fit_points, fit_weights, len(weights) if sampled else None)
        if sampled:
            clustered = extend_to_all(clustered, fit, vectors, weights)
            counts.update(fitted_texts=len(fit), assigned_texts=len(weights) - len(fit))
        clustered = _without_prompt_as_noise(clustered, point_texts)
        counts["used_params"] = _used_params(clusterer, options.clusterer_row())
        step.note = f"{len(clustered.centres):,} clusters found"
    points = _spread(fit_points, fit, len(weights))

    with clock.stage("map", progress) as step:
        fit_map, map_reduction, map_reused = reduce_cached(
            fit_vectors, fit_hashes, model=model_key, params=plan.map_params(), engine=engine,
            before_fit=lambda: step.tell(0.0, note=_working_note(umap_work, reducer_row)),
        )
        step.note = "reused the stored map" if map_reused else ""
        map_points = _spread(fit_map, fit, len(weights))
    counts["map_reused"] = map_reused

    with clock.stage("describe", progress) as step:
        step.tell(0.0, done=0, total=len(clustered.centres))
        outcome = build_results(
            run_id, events=events, texts=texts, families=families, point_of_event=point_of_event, points=points,
            weights=weights, vectors=vectors, map_points=map_points, fit=clustered,
            random_state=options.random_state,
        )

    with clock.stage("store", progress):
        queries.store_run_results(
            engine=engine, run_id=run_id, clusters=outcome.clusters, summaries=outcome.summaries,
            assignments=outcome.assignments,
        )
        counts.update(clusters=outcome.n_clusters, noise_events=outcome.noise_events)
    with clock.stage("track", progress):  # the clusters continue (or open) patterns; the rules are replayed
        tracked = track_run(engine=engine, run_id=run_id)
        counts.update(patterns_continued=tracked.continued, patterns_new=tracked.opened)
    queries.mark_finished(
        engine=engine, run_id=run_id, status="completed", n_events=len(events),
        n_clusters=outcome.n_clusters, noise_share=outcome.noise_share, silhouette=outcome.silhouette,
        counts=counts, timings=clock.timings, notes=notes + outcome.notes + [tracked.summary_line()],
        reduction_id=reduction.id if reduction else None, map_reduction_id=map_reduction.id,
    )
    outcome.timings = clock.timings
    outcome.counts = counts
    log.info("run %d: %d events, %d clusters, noise %.1f%%, %s", run_id, len(events), outcome.n_clusters,
             100 * outcome.noise_share, clock.timings)
    return outcome


def _beat(engine: Engine, run_id: int) -> Callable[[str], None]:
    """At each stage's start: the run's heartbeat and the stage it is in (where it stopped, if it stops)."""
    return lambda stage: queries.beat_run(engine=engine, run_id=run_id, stage=stage)


def _spread(fitted: np.ndarray, fit: np.ndarray, n: int) -> np.ndarray:
    """Rows of the fitted points at their indices among all n points; NaN where a point was not fitted."""
    if len(fit) == n:
        return fitted
    out = np.full((n, fitted.shape[1]), np.nan, dtype=np.float32)
    out[fit] = fitted
    return out


def _clusterer(options: ProcessOptions) -> Clusterer:
    """The chosen clusterer, unfitted, with its validated parameters; its own seed is the run's."""
    clusterer = REGISTRY.get("clusterer", options.algorithm).build(
        options.params("clusterer"), random_state=options.random_state)
    if options.fit_sample and clusterer.max_points and options.fit_sample > clusterer.max_points:
        clusterer.set_params(max_points=options.fit_sample)  # an explicit sample size is the limit asked for
    return clusterer


def _fit_size(options: ProcessOptions, clusterer: Clusterer, n_points: int) -> int:
    """Distinct texts to fit on: fit_sample when given, else as many as the clusterer takes (agglomerative
    clustering's memory grows with the square of the points), else all."""
    return options.fit_sample or clusterer.max_points or n_points


def _fit(clusterer: Clusterer, points: np.ndarray, weights: np.ndarray, represents: int | None) -> ClusterFit:
    """represents: after a sampled fit, how many distinct texts the sampled `points` stand for."""
    return clusterer.fit(points, sample_weight=weights, represents=represents).result()


def _note_without_prompt(notes: list[str], counts: dict[str, Any], n: int) -> None:
    """Error-only events under the intent view: the run says how many it left out."""
    if n:
        counts["events_without_prompt"] = n
        notes.append(f"view: {n} error-only events have no prompt; the intent view leaves them out (noise)")


def _without_prompt_as_noise(fit: ClusterFit, point_texts: Sequence[str]) -> ClusterFit:
    """The fit with the error-only events' point (NO_PROMPT, intent view) made noise: they say nothing of
    what users asked, so they join no intent group. A cluster it leaves empty is dropped, the labels after it
    closing up, so labels stay 0..k-1 rows of `centres`."""
    points = [i for i, text in enumerate(point_texts) if text == NO_PROMPT]
    if not points:
        return fit
    labels = fit.labels.copy()
    label = int(labels[points[0]])
    labels[points[0]] = -1
    if label < 0 or (labels == label).any():
        return replace(fit, labels=labels)
    labels[labels > label] -= 1
    return replace(fit, labels=labels, centres=np.delete(fit.centres, label, axis=0))


def _note_fallback(notes: list[str], stage: str, fallback: str | None) -> None:
    if fallback:
        log.warning("%s fell back: %s", stage, fallback)
        notes.append(f"{stage}: {fallback}")


def _working_note(work: str, row: Backend) -> str:
    """The work a stage does, and what its first use in this process costs where that is more than the work."""
    state = first_use(row.compiles)
    if state == "compile":
        return f"{work}; first compiling {row.name}'s code (tens of seconds, once per install)"
    if state == "load":
        return f"{work}; first loading {row.name}'s compiled code from the disk cache"
    return work


def _used_params(clusterer: Clusterer, row: Backend) -> dict[str, Any]:
    """The parameters as the fit used them, where the clusterer states them (a learned `name_` attribute:
    a min_cluster_size scaled to the run's size, the K chosen by silhouette): surfaces show them beside
    the values asked for."""
    used = {}
    for param in row.params:
        value = getattr(clusterer, f"{param.arg or param.name}_", None)
        if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_)):
            used[param.name] = value.item() if isinstance(value, np.generic) else value
    return used
