"""Clusterers by name (rule 3)."""

from __future__ import annotations

from typing import Any

from lens_core.cluster.agglomerative import AgglomerativeClusterer
from lens_core.cluster.hdbscan_clusterer import HdbscanClusterer
from lens_core.cluster.kmeans_clusterer import KMeansClusterer
from lens_core.errors import ConfigError

CLUSTERERS: dict[str, type] = {
    "agglomerative": AgglomerativeClusterer, "hdbscan": HdbscanClusterer, "kmeans": KMeansClusterer,
}


def make_clusterer(name: str, **params: Any) -> AgglomerativeClusterer | HdbscanClusterer | KMeansClusterer:
    """An unfitted clusterer; parameters are checked when it is fitted (scikit-learn's contract)."""
    try:
        cls = CLUSTERERS[name]
    except KeyError:
        known = ", ".join(sorted(CLUSTERERS))
        raise ConfigError(f"unknown clustering algorithm {name!r}: choose one of {known}") from None
    try:
        return cls(**params)
    except TypeError as exc:
        accepted = ", ".join(cls().get_params())
        raise ConfigError(f"invalid parameter for {name} ({exc}); it takes: {accepted}") from exc
