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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from sqlalchemy.engine import Engine

from lens_core.cluster.agglomerative import (
    DEFAULT_DISTANCE_THRESHOLD,
    DEFAULT_FAMILY_SEPARATION,
    DEFAULT_MAX_POINTS,
    family_features,
)
from lens_core.choices import default_clusterer
from lens_core.cluster.registry import CLUSTERERS, make_clusterer
from lens_core.config import Settings
from lens_core.embed import Embedder, get_embedder
from lens_core.errors import ConfigError, InputError, LensError
from lens_core.ingest.message_patterns import refresh_if_needed
from lens_core.runs.liveness import beating, owner_id
from lens_core.cluster.stored_reductions import reduce_cached
from lens_core.runs.results import RunOutcome, build_results, versions
from lens_core.cluster.sampled_fit import extend_to_all, represented_weights, sample_indices
from lens_core.storage import queries
from lens_core.storage.models import PipelineRun, utcnow
from lens_core.embed.cache import embed_cached
from lens_core.embed.views import DEFAULT_VIEW, VIEWS, build_view, distinct_texts, families_of

log = logging.getLogger(__name__)

# stage name, fraction of that stage done (0..1)
ProgressCallback = Callable[[str, float], None]
STAGES = ("load", "embed", "reduce", "cluster", "map", "describe", "store")


@dataclass(frozen=True)
class ProcessOptions:
    """Everything a run depends on; stored with the run so it can be reproduced."""

    view: str = DEFAULT_VIEW
    algorithm: str | None = None  # None: the view's own (lens_core.choices.default_clusterer)
    embedder: str = "minilm"
    # agglomerative: where the tree is cut, and how far apart failure families are kept
    # (lens_core.cluster.agglomerative); it clusters the embeddings themselves, no UMAP.
    distance_threshold: float = DEFAULT_DISTANCE_THRESHOLD
    family_separation: float = DEFAULT_FAMILY_SEPARATION
    min_cluster_size: int = 10
    min_samples: int = 5
    # HDBSCAN: min_cluster_size grows as sqrt(distinct texts) / 4 above the value given (25 at 10k), so
    # large runs are not cut into hundreds of near-duplicate groups of ten (see HdbscanClusterer).
    scale_min_cluster_size: bool = True
    # HDBSCAN: give noise points to their nearest cluster instead of leaving them unclustered.
    assign_noise: bool = False
    # Reduce and cluster at most this many distinct texts (a weighted sample); assign the rest to the
    # nearest cluster centre within its radius (lens_core.cluster.sampled_fit). None: fit on all of them.
    fit_sample: int | None = None
    k: int | None = None
    umap_neighbors: int = 15
    umap_components: int = 5
    umap_min_dist: float = 0.0
    map_min_dist: float = 0.1
    random_state: int = 42
    summarizer: str = "offline"  # "llm": also LLM summaries of the clusters (offline ones kept on failure)

    def __post_init__(self) -> None:
        if self.algorithm is None:  # frozen: set once, here, so the stored run names what ran
            object.__setattr__(self, "algorithm", default_clusterer(self.view))

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> ProcessOptions:
        values: dict[str, Any] = {
            "embedder": settings.embedding_backend,
            "min_cluster_size": settings.min_cluster_size,
            "min_samples": settings.min_samples,
            "random_state": settings.random_state,
        }
        # One construction with everything, so that the algorithm left out is the chosen view's.
        return cls(**{**values, **{k: v for k, v in overrides.items() if v is not None}})

    def validate(self) -> None:
        if self.algorithm not in CLUSTERERS:
            raise ConfigError(f"unknown algorithm {self.algorithm!r}; choose one of: {', '.join(CLUSTERERS)}")
        if not self.distance_threshold > 0 or not self.family_separation >= 0:
            raise ConfigError("distance_threshold must be positive and family_separation at least 0")
        if self.summarizer not in ("offline", "llm"):
            raise ConfigError(f"unknown summarizer {self.summarizer!r}; choose offline or llm")
        if self.view not in VIEWS:
            raise ConfigError(f"unknown view {self.view!r}; choose one of: {', '.join(VIEWS)}")
        if self.min_cluster_size < 2:
            raise ConfigError("min_cluster_size must be at least 2")
        if self.min_samples < 1:
            raise ConfigError("min_samples must be at least 1")
        if self.fit_sample is not None and self.fit_sample < 100:
            raise ConfigError("fit_sample must be at least 100 distinct texts (or left out to fit on all)")
        if self.k is not None and self.k < 2:
            raise ConfigError("k must be at least 2 (or left out to choose it automatically)")
        if self.umap_neighbors < 2 or self.umap_components < 2:
            raise ConfigError("UMAP needs at least 2 neighbours and 2 components")
        if not 0.0 <= self.umap_min_dist <= 1.0:
            raise ConfigError("umap_min_dist must be between 0 and 1")


@dataclass
class Clock:
    """Per-stage wall-clock seconds, in the order the stages ran."""

    timings: dict[str, float] = field(default_factory=dict)
    on_start: Callable[[str], None] | None = None  # told each stage's name as it starts

    @contextmanager
    def stage(self, name: str, progress: ProgressCallback | None) -> Iterator[None]:
        if self.on_start:
            self.on_start(name)
        if progress:
            progress(name, 0.0)
        started = time.perf_counter()
        yield
        self.timings[name] = round(time.perf_counter() - started, 3)
        if progress:
            progress(name, 1.0)


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
    options = options or ProcessOptions.from_settings(settings)
    options.validate()
    queries.fail_stale_runs(engine=engine)
    embedder = embedder or get_embedder(options.embedder, settings)
    run = queries.create_run(engine=engine, run=_new_run(options, embedder))
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


def _new_run(options: ProcessOptions, embedder: Embedder) -> PipelineRun:
    return PipelineRun(
        status="running",
        algorithm=options.algorithm,
        view=options.view,
        embedder=options.embedder,
        embedding_model=embedder.model,
        parameters=asdict(options),
        versions=versions(),
        owner=owner_id(),
        heartbeat_at=utcnow(),
    )


def _run(
    run_id: int, *, engine: Engine, options: ProcessOptions, embedder: Embedder, progress: ProgressCallback | None
) -> RunOutcome:
    clock, counts, notes = Clock(on_start=_beat(engine, run_id)), {}, []
    with clock.stage("load", progress):
        refresh_if_needed(engine=engine, stored_events=0)  # patterns of another parser or miner version
        events = queries.load_events_frame(engine=engine)
        if events.empty:
            raise InputError("no events stored yet: run `lens ingest FILE` (or `lens sample`) first")
        texts = build_view(options.view, events)
        point_texts, unique_hashes, point_of_event = distinct_texts(texts)
        weights = np.bincount(point_of_event, minlength=len(unique_hashes)).astype(np.float32)
    counts.update(events=len(events), unique_texts=len(unique_hashes), fingerprints=int(events["fingerprint"].nunique()))

    with clock.stage("embed", progress):
        vectors, embedded_now = embed_cached(
            point_texts, list(unique_hashes), embedder=embedder, engine=engine,
            progress=_fraction(progress, "embed"),
        )
    counts.update(embedded=embedded_now, embeddings_cached=len(unique_hashes) - embedded_now)

    model_key = f"{embedder.model}|{options.view}"
    families = families_of(options.view, point_texts)  # per distinct text: '' for views that state none
    fit = sample_indices(weights, _fit_size(options, len(weights)), options.random_state)
    sampled = len(fit) < len(weights)
    fit_vectors = vectors[fit] if sampled else vectors  # no copy of a million vectors when fitting all
    fit_hashes = list(unique_hashes[fit])
    cluster_params = {
        "n_neighbors": options.umap_neighbors, "n_components": options.umap_components,
        "min_dist": options.umap_min_dist, "metric": "cosine", "random_state": options.random_state,
    }
    reduction = None
    with clock.stage("reduce", progress):
        if options.algorithm == "agglomerative":
            # Clusters the embeddings themselves (no random state), with families as extra coordinates.
            fit_points = family_features(fit_vectors, [families[i] for i in fit], options.family_separation)
            counts["reduction_reused"] = False
        else:
            fit_points, reduction, reused = reduce_cached(
                fit_vectors, fit_hashes, model=model_key, params=cluster_params, engine=engine
            )
            counts["reduction_reused"] = reused
            _note_fallback(notes, "reduction", reduction.fallback)

    with clock.stage("cluster", progress):
        fit_weights = represented_weights(vectors, weights, fit) if sampled else weights
        clusterer = _fit_clusterer(options, fit_points, fit_weights, len(weights) if sampled else None)
        if sampled:
            clusterer = extend_to_all(clusterer, fit, vectors, weights)
            counts.update(fitted_texts=len(fit), assigned_texts=len(weights) - len(fit))
    points = _spread(fit_points, fit, len(weights))

    with clock.stage("map", progress):
        map_params = {**cluster_params, "n_components": 2, "min_dist": options.map_min_dist}
        fit_map, map_reduction, map_reused = reduce_cached(
            fit_vectors, fit_hashes, model=model_key, params=map_params, engine=engine
        )
        map_points = _spread(fit_map, fit, len(weights))
    counts["map_reused"] = map_reused

    with clock.stage("describe", progress):
        outcome = build_results(
            run_id, events=events, texts=texts, families=families, point_of_event=point_of_event, points=points,
            weights=weights, vectors=vectors, map_points=map_points, clusterer=clusterer,
            random_state=options.random_state,
        )

    with clock.stage("store", progress):
        queries.store_run_results(
            engine=engine, run_id=run_id, clusters=outcome.clusters, summaries=outcome.summaries,
            assignments=outcome.assignments,
        )
        counts.update(clusters=outcome.n_clusters, noise_events=outcome.noise_events)
    queries.mark_finished(
        engine=engine, run_id=run_id, status="completed", n_events=len(events),
        n_clusters=outcome.n_clusters, noise_share=outcome.noise_share, silhouette=outcome.silhouette,
        counts=counts, timings=clock.timings, notes=notes + outcome.notes,
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


def _fit_size(options: ProcessOptions, n_points: int) -> int:
    """Distinct texts to fit on: fit_sample when given; agglomerative clustering is capped (its memory
    grows with the square of the points), the other algorithms fit on all."""
    if options.fit_sample:
        return options.fit_sample
    return DEFAULT_MAX_POINTS if options.algorithm == "agglomerative" else n_points


def _fit_clusterer(
    options: ProcessOptions, points: np.ndarray, weights: np.ndarray, distinct_points: int | None
) -> Any:
    """distinct_points: after a sampled fit, how many distinct texts the sampled `points` stand for."""
    if options.algorithm == "agglomerative":
        clusterer = make_clusterer(
            "agglomerative", distance_threshold=options.distance_threshold,
            max_points=max(DEFAULT_MAX_POINTS, options.fit_sample or 0),
        )
    elif options.algorithm == "hdbscan":
        clusterer = make_clusterer(
            "hdbscan", min_cluster_size=options.min_cluster_size, min_samples=options.min_samples,
            scale_min_cluster_size=options.scale_min_cluster_size, assign_noise=options.assign_noise,
            distinct_points=distinct_points,
        )
    else:
        clusterer = make_clusterer("kmeans", n_clusters=options.k, random_state=options.random_state)
    return clusterer.fit(points, sample_weight=weights)


def _note_fallback(notes: list[str], stage: str, fallback: str | None) -> None:
    if fallback:
        log.warning("%s fell back: %s", stage, fallback)
        notes.append(f"{stage}: {fallback}")


def _fraction(progress: ProgressCallback | None, stage: str) -> Callable[[int, int], None] | None:
    if progress is None:
        return None
    return lambda done, total: progress(stage, done / total if total else 1.0)
