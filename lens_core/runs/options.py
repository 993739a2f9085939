"""What a run depends on: each stage's backend and its parameters, validated by the registry's rows.

`ProcessOptions.of(...)` takes what a surface offers (names and parameters in the registry's flat
namespace, None where left out) and routes each parameter to the chosen backend that declares it; a
parameter of a backend that was not chosen (K for an HDBSCAN run) is dropped, one that no backend
declares is refused. The run stores `record()`: each stage's name and validated parameters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lens_core.errors import ConfigError
from lens_core.registry import CHOICE_OPTIONS, REGISTRY, STAGES, ClustererBackend, ViewBackend

MIN_FIT_SAMPLE = 100


@dataclass(frozen=True)
class StageChoice:
    name: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ProcessOptions:
    """Each stage's choice (missing ones at their defaults, the clusterer the view's own), the seed, and
    how many distinct texts to fit on at most (None: all; the rest assigned, lens_core.cluster.sampled_fit)."""

    stages: Mapping[str, StageChoice] = field(default_factory=dict)
    random_state: int = 42
    fit_sample: int | None = None

    def __post_init__(self) -> None:
        chosen = dict(self.stages)
        unknown = sorted(set(chosen) - set(STAGES))
        if unknown:
            raise ConfigError(f"unknown stage {', '.join(unknown)}; stages are {', '.join(STAGES)}")
        view = chosen.get("view", StageChoice(REGISTRY.default("view"))).name
        validated = {}
        for stage in STAGES:
            choice = chosen.get(stage) or StageChoice(REGISTRY.default(stage, view=view))
            row = REGISTRY.get(stage, choice.name)
            validated[stage] = StageChoice(choice.name, row.validate(choice.params))
        object.__setattr__(self, "stages", validated)  # frozen: set once, as validated
        if self.fit_sample is not None and (isinstance(self.fit_sample, bool) or self.fit_sample < MIN_FIT_SAMPLE):
            raise ConfigError(f"fit_sample must be at least {MIN_FIT_SAMPLE} distinct texts (or left out to fit on all)")

    @classmethod
    def of(
        cls,
        settings: Any = None,
        *,
        view: str | None = None,
        algorithm: str | None = None,
        embedder: str | None = None,
        reducer: str | None = None,
        summarizer: str | None = None,
        random_state: int | None = None,
        fit_sample: int | None = None,
        **params: Any,
    ) -> ProcessOptions:
        """Options from a surface's values; None means "left out". With `settings`, what is left out comes
        from them where a setting exists (EMBEDDING_BACKEND, MIN_CLUSTER_SIZE, RANDOM_STATE, ...)."""
        view = view or REGISTRY.default("view")
        names = {
            "view": view,
            "embedder": embedder or (settings.embedding_backend if settings is not None else None),
            "reducer": reducer,
            "clusterer": algorithm,
            "summarizer": summarizer,
        }
        names = {stage: name or REGISTRY.default(stage, view=view) for stage, name in names.items()}
        given = {name: value for name, value in params.items() if value is not None}
        owners = REGISTRY.param_owners()
        unknown = sorted(set(given) - set(owners))
        if unknown:
            raise ConfigError(f"unknown parameter {', '.join(unknown)}; parameters are {', '.join(sorted(owners))}")
        stages = {}
        for stage, name in names.items():
            row = REGISTRY.get(stage, name)
            own = {p.name for p in row.params}
            stages[stage] = StageChoice(name, row.defaults(settings) | {k: v for k, v in given.items() if k in own})
        if random_state is None:
            random_state = settings.random_state if settings is not None else 42
        return cls(stages=stages, random_state=random_state, fit_sample=fit_sample)

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> ProcessOptions:
        """Options as `record()` stored them; also the flat dictionaries runs and jobs stored before stages."""
        if isinstance(record.get("clusterer"), Mapping):
            stages = {stage: StageChoice(value["name"], value.get("params", {}))
                      for stage, value in record.items() if stage in STAGES}
            return cls(stages=stages, random_state=record.get("random_state", 42),
                       fit_sample=record.get("fit_sample"))
        owners = REGISTRY.param_owners()
        flat = {k: v for k, v in record.items() if k in owners or k in _NAMED}
        return cls.of(**flat)

    def but(self, **changes: Any) -> ProcessOptions:
        """These options with some names or parameters changed, in `of`'s terms (`but(algorithm="hdbscan")`:
        the new clusterer at its defaults; `but(random_state=7)`)."""
        flat: dict[str, Any] = {option: self.name(stage) for stage, option in CHOICE_OPTIONS.items()}
        for stage in STAGES:
            flat |= self.params(stage)
        flat |= {"reducer": self.name("reducer"), "random_state": self.random_state, "fit_sample": self.fit_sample}
        if "view" in changes and "algorithm" not in changes:
            flat.pop("algorithm")  # another view: its own clusterer, unless one is named
        return ProcessOptions.of(**(flat | changes))

    def record(self) -> dict[str, Any]:
        """What a run and a job store: JSON-ready."""
        stages = {stage: {"name": c.name, "params": dict(c.params)} for stage, c in self.stages.items()}
        return {**stages, "random_state": self.random_state, "fit_sample": self.fit_sample}

    def name(self, stage: str) -> str:
        return self.stages[stage].name

    def params(self, stage: str) -> dict[str, Any]:
        return dict(self.stages[stage].params)

    @property
    def view(self) -> str:
        return self.name("view")

    @property
    def algorithm(self) -> str:
        return self.name("clusterer")

    @property
    def embedder(self) -> str:
        return self.name("embedder")

    @property
    def summarizer(self) -> str:
        return self.name("summarizer")

    def view_row(self) -> ViewBackend:
        row = REGISTRY.get("view", self.view)
        return row if isinstance(row, ViewBackend) else ViewBackend(row.stage, row.name, row.target, row.help)

    def clusterer_row(self) -> ClustererBackend:
        row = REGISTRY.get("clusterer", self.algorithm)
        if not isinstance(row, ClustererBackend):
            raise ConfigError(f"clusterer {self.algorithm} is registered without a ClustererBackend row")
        return row


_NAMED = {"view", "algorithm", "embedder", "reducer", "summarizer", "random_state", "fit_sample"}


def stage_params(record: Mapping[str, Any] | None, stage: str) -> tuple[str | None, dict[str, Any]]:
    """A stored run's backend and parameters for one stage, from either record shape; (None, {}) when the
    record cannot be read (a backend since removed): surfaces still show the run."""
    try:
        options = ProcessOptions.from_record(record or {})
    except ConfigError:
        return None, {}
    return options.name(stage), options.params(stage)
