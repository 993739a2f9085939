"""The names of the pipeline's choices and their defaults, importable without the libraries behind them.

The CLI, the API schema and the dashboard build their options from these names, so that `lens --help`
starts without importing scikit-learn or pandas. The registries (lens_core.cluster.registry.CLUSTERERS,
lens_core.embed.views.VIEWS) hold the implementations under exactly these names; a test keeps them equal.

Each view has its own default clusterer: the `cause` view's few distinct meanings are clustered
deterministically by `agglomerative` with failure families kept apart; prompts and raw texts (the other
views) are many and varied, which is what UMAP + HDBSCAN was chosen and measured for (banking77).
"""

from __future__ import annotations

CLUSTERER_NAMES = ("agglomerative", "hdbscan", "kmeans")
VIEW_NAMES = ("cause", "error", "intent", "prompt_output", "input_output")
DEFAULT_VIEW = "cause"
_CLUSTERER_FOR_VIEW = {"cause": "agglomerative"}


def default_clusterer(view: str) -> str:
    """The clusterer a view is measured with when none is asked for."""
    return _CLUSTERER_FOR_VIEW.get(view, "hdbscan")
