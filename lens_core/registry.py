"""Every pluggable choice of a run, stage by stage: the one list of names, parameters and defaults.

The CLI's options, the API's request schema, the dashboard's widgets and the validation of a run's
options are all generated from these rows, so a new backend is one module plus one `register(...)` row
below (or in a plugin that imports this module). Importing this module loads none of the libraries
behind the backends: a row names its implementation as "module:attribute", imported when first used.

Parameter names are one flat namespace across stages (`min_cluster_size`, `umap_neighbors`), so a
surface can take them as plain options; `register` refuses a name another stage already uses.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from lens_core.errors import ConfigError

STAGES = ("view", "embedder", "reducer", "clusterer", "summarizer")
# The option that names a stage's backend on every surface (the clusterer's keeps its historical name);
# the reducer has one backend and no option yet.
CHOICE_OPTIONS = {"view": "view", "clusterer": "algorithm", "embedder": "embedder", "summarizer": "summarizer"}


@dataclass(frozen=True)
class Param:
    """One parameter of a backend: its type, default, bounds and the words a surface shows for it.

    `setting`: the Settings field whose value is the default where a Settings object is at hand
    (MIN_CLUSTER_SIZE, ...). `optional`: None is a value (chosen automatically). `ui_range` and `step`
    bound the dashboard's slider where the hard bounds are wide.
    """

    name: str
    kind: type  # int, float or bool
    default: Any
    help: str
    minimum: float | None = None
    maximum: float | None = None
    optional: bool = False
    setting: str | None = None
    ui_range: tuple[float, float] | None = None
    step: float | None = None
    arg: str | None = None  # the implementation's keyword, where it differs from the surface's name

    def check(self, value: Any, owner: str) -> Any:
        """The value as this parameter's type; ConfigError naming the backend and parameter otherwise."""
        where = f"{owner}: {self.name}"
        if value is None:
            if self.optional:
                return None
            raise ConfigError(f"{where} needs a value")
        if self.kind is bool:
            if not isinstance(value, bool):
                raise ConfigError(f"{where} must be true or false, not {value!r}")
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where} must be a number, not {value!r}")
        if self.kind is int:
            if value != int(value):
                raise ConfigError(f"{where} must be a whole number, not {value!r}")
            value = int(value)
        else:
            value = float(value)
        if self.minimum is not None and value < self.minimum:
            raise ConfigError(f"{where} must be at least {self.minimum:g}, not {value:g}")
        if self.maximum is not None and value > self.maximum:
            raise ConfigError(f"{where} must be at most {self.maximum:g}, not {value:g}")
        return value


@dataclass(frozen=True)
class Backend:
    """A named implementation of one stage. `target` is "module:attribute" (a class or a function)."""

    stage: str
    name: str
    target: str
    help: str
    params: tuple[Param, ...] = ()
    compiles: tuple[str, ...] = ()  # packages whose numba code compiles on first use (a run's progress says so)

    def load(self) -> Any:
        module, _, attribute = self.target.partition(":")
        return getattr(importlib.import_module(module), attribute)

    def defaults(self, settings: Any = None) -> dict[str, Any]:
        return {p.name: _default(p, settings) for p in self.params}

    def validate(self, params: Mapping[str, Any], settings: Any = None) -> dict[str, Any]:
        """Every parameter of this backend, checked: the given ones, the rest at their defaults."""
        own = {p.name: p for p in self.params}
        unknown = sorted(set(params) - set(own))
        if unknown:
            accepted = ", ".join(own) or "no parameters"
            raise ConfigError(f"{self.stage} {self.name} has no parameter {', '.join(unknown)}; it takes {accepted}")
        values = self.defaults(settings) | dict(params)
        return {name: own[name].check(value, f"{self.stage} {self.name}") for name, value in values.items()}

    def build(self, params: Mapping[str, Any], **context: Any) -> Any:
        """An instance of the backend's class with its parameters, plus whichever of `context` (e.g.
        random_state) its constructor takes."""
        factory = self.load()
        accepted = inspect.signature(factory).parameters
        args = {(p.arg or p.name): params[p.name] for p in self.params if p.name in params}
        return factory(**args, **{k: v for k, v in context.items() if k in accepted})


@dataclass(frozen=True)
class ViewBackend(Backend):
    """A text to embed per event. `clusterer`: the one this view is measured with (None: the default);
    `states_families`: its texts begin with a failure family that clustering may keep apart."""

    clusterer: str | None = None
    states_families: bool = False


@dataclass(frozen=True)
class ClustererBackend(Backend):
    """`on_reduction`: fitted on a UMAP reduction of the embeddings (else on the embeddings themselves)."""

    on_reduction: bool = True


@dataclass
class Registry:
    rows: dict[str, dict[str, Backend]] = field(default_factory=lambda: {stage: {} for stage in STAGES})
    defaults: dict[str, str] = field(default_factory=dict)

    def register(self, backend: Backend, *, default: bool = False) -> Backend:
        if backend.stage not in self.rows:
            raise ConfigError(f"unknown stage {backend.stage!r}; stages are {', '.join(STAGES)}")
        owners = self.param_owners()
        for p in backend.params:
            owner = owners.get(p.name)
            if owner is not None and owner.stage != backend.stage:
                raise ConfigError(f"parameter {p.name!r} of {backend.name} is already {owner.stage} {owner.name}'s")
        self.rows[backend.stage][backend.name] = backend
        if default:
            self.defaults[backend.stage] = backend.name
        return backend

    def unregister(self, stage: str, name: str) -> None:
        self.rows[stage].pop(name, None)

    @contextmanager
    def registered(self, backend: Backend) -> Iterator[Backend]:
        """A backend registered for the duration of a block (a test's toy backend, a one-off plugin);
        the row it replaced, if any, is back afterwards."""
        replaced = self.rows.get(backend.stage, {}).get(backend.name)
        self.register(backend)
        try:
            yield backend
        finally:
            self.unregister(backend.stage, backend.name)
            if replaced is not None:
                self.rows[backend.stage][backend.name] = replaced

    def names(self, stage: str) -> tuple[str, ...]:
        return tuple(self.rows[stage])

    def get(self, stage: str, name: str) -> Backend:
        try:
            return self.rows[stage][name]
        except KeyError:
            choices = ", ".join(self.rows[stage])
            raise ConfigError(f"unknown {stage} {name!r}; choose one of: {choices}") from None

    def default(self, stage: str, *, view: str | None = None) -> str:
        """The backend used when none is named; for the clusterer, the view's own where it has one."""
        if stage == "clusterer" and view is not None:
            row = self.get("view", view)
            if isinstance(row, ViewBackend) and row.clusterer:
                return row.clusterer
        return self.defaults[stage]

    def param_owners(self) -> dict[str, Backend]:
        """Each parameter name and the backend that declares it (the flat namespace of surfaces)."""
        return {p.name: row for stage in self.rows.values() for row in stage.values() for p in row.params}

    def params(self) -> dict[str, Param]:
        return {p.name: p for stage in self.rows.values() for row in stage.values() for p in row.params}


def _default(param: Param, settings: Any) -> Any:
    if settings is not None and param.setting:
        return getattr(settings, param.setting)
    return param.default


REGISTRY = Registry()
register = REGISTRY.register

# -- views: what text stands for an event -------------------------------------------------------------
_VIEWS = "lens_core.embed.views"
register(ViewBackend("view", "cause", f"{_VIEWS}:cause_view",
                     "what the error means (status, code, message pattern): finds causes",
                     clusterer="agglomerative", states_families=True), default=True)
register(ViewBackend("view", "error", f"{_VIEWS}:error_view", "the error as parsed: plugin, status, code, template"))
register(ViewBackend("view", "intent", f"{_VIEWS}:intent_view", "the user's prompt: who is hurt, doing what"))
register(ViewBackend("view", "prompt_output", f"{_VIEWS}:prompt_output_view", "the prompt and the plugin's output"))
register(ViewBackend("view", "input_output", f"{_VIEWS}:input_output_view", "the plugin's input and output"))

# -- embedders ----------------------------------------------------------------------------------------
register(Backend("embedder", "minilm", "lens_core.embed.minilm:MiniLMEmbedder",
                 "all-MiniLM-L6-v2 on this machine (torch)"), default=True)
register(Backend("embedder", "minilm-onnx", "lens_core.embed.minilm_onnx:MiniLMOnnxEmbedder",
                 "all-MiniLM-L6-v2, int8 through onnxruntime: faster on CPU"))
register(Backend("embedder", "openai", "lens_core.embed.openai_backend:OpenAIEmbedder",
                 "an OpenAI-compatible embeddings endpoint (OPENAI_* settings)"))
register(Backend("embedder", "hashing", "lens_core.embed.hashing:HashingEmbedder",
                 "hashed words, no model: for tests and very large quick looks"))

# -- reducers -----------------------------------------------------------------------------------------
register(Backend("reducer", "umap", "lens_core.cluster.reduction:UmapPlan",
                 "UMAP to a few dimensions before HDBSCAN or K-Means; a separate 2-D UMAP draws the map",
                 compiles=("pynndescent", "umap"), params=(
    Param("umap_neighbors", int, 15,
          "UMAP neighbours: how much of its neighbourhood shapes each text's place. Larger looks further and "
          "merges more (fewer, larger clusters); smaller keeps small groups apart",
          minimum=2, maximum=200, ui_range=(2, 100)),
    Param("umap_components", int, 5,
          "how many dimensions the texts are squeezed into before HDBSCAN or K-Means groups them: more keeps "
          "finer differences and takes longer. The map is drawn separately", minimum=2, maximum=50,
          ui_range=(2, 20)),
    Param("umap_min_dist", float, 0.0,
          "how tightly similar texts are packed before clustering: 0 packs them tightest, which helps the "
          "clustering find dense groups",
          minimum=0.0, maximum=1.0, ui_range=(0.0, 0.99), step=0.01),
    Param("map_min_dist", float, 0.1,
          "how tightly the map packs similar texts: larger spreads each group out so its points can be told "
          "apart. Drawing only: the groups do not change",
          minimum=0.0, maximum=1.0, ui_range=(0.0, 0.99), step=0.01),
)), default=True)

# -- clusterers ---------------------------------------------------------------------------------------
# The cut and separation were chosen leave-one-corpus-out (bench/generalisation.py); see agglomerative.py.
register(ClustererBackend("clusterer", "agglomerative", "lens_core.cluster.agglomerative:AgglomerativeClusterer",
                          "deterministic average-linkage tree cut at one distance: groups by cause",
                          on_reduction=False, params=(
    Param("distance_threshold", float, 1.2,
          "how different two groups of texts may be and still be merged: lower makes more, finer clusters; "
          "higher merges them into fewer, broader ones",
          minimum=0.01, maximum=10.0, ui_range=(0.5, 1.6), step=0.05),
    Param("family_separation", float, 1.0,
          "how firmly failures of different families (sign-in, throttling, timeouts…) are kept apart: 0 lets "
          "them merge when their texts are close",
          minimum=0.0, maximum=10.0, ui_range=(0.0, 2.0), step=0.1),
)))
register(ClustererBackend("clusterer", "hdbscan", "lens_core.cluster.hdbscan_clusterer:HdbscanClusterer",
                          "density clusters on a UMAP reduction, with noise",
                          compiles=("fast_hdbscan",), params=(
    Param("min_cluster_size", int, 10, "the fewest events a group needs to be called a cluster; smaller groups "
          "become noise. Larger: fewer, bigger clusters", minimum=2, maximum=1_000_000,
          setting="min_cluster_size", ui_range=(2, 200)),
    Param("min_samples", int, 5, "how sure the clustering must be that an event sits in a dense "
          "group: larger leaves more events as noise and keeps only the clearest clusters", minimum=1,
          maximum=1_000_000, setting="min_samples", ui_range=(1, 50)),
    Param("scale_min_cluster_size", bool, True,
          "raise min_cluster_size for large runs (to the square root of the distinct texts, divided by 4), so "
          "thousands of texts are not cut into hundreds of tiny groups"),
    Param("assign_noise", bool, False,
          "put every noise event into its nearest cluster instead of leaving it unassigned"),
)), default=True)
register(ClustererBackend("clusterer", "kmeans", "lens_core.cluster.kmeans_clusterer:KMeansClusterer",
                          "K-Means on a UMAP reduction; every event in a cluster", params=(
    Param("k", int, None, "how many clusters K-Means makes (left out: the K whose clusters are best "
          "separated, by silhouette, is chosen)", minimum=2, maximum=1000,
          optional=True, ui_range=(2, 60), arg="n_clusters"),
)))

# -- summarizers --------------------------------------------------------------------------------------
register(Backend("summarizer", "offline", "lens_core.describe.offline:OfflineSummarizer",
                 "summaries from the evidence alone, on this machine"), default=True)
register(Backend("summarizer", "llm", "lens_core.describe.llm_summaries:summarize_run",
                 "also LLM summaries (OPENAI_* settings); the offline ones are kept on failure"))
