"""The names of the pipeline's choices and their defaults, importable without the libraries behind them.

The CLI, the API schema and the dashboard build their options from these names, so that `lens --help`
starts without importing scikit-learn or pandas. The registries (lens_core.clustering.registry.CLUSTERERS,
lens_core.views.VIEWS) hold the implementations under exactly these names; a test keeps them equal.
"""

from __future__ import annotations

CLUSTERER_NAMES = ("agglomerative", "hdbscan", "kmeans")
DEFAULT_CLUSTERER = "agglomerative"
VIEW_NAMES = ("cause", "error", "intent", "prompt_output", "input_output")
DEFAULT_VIEW = "cause"
