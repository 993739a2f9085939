"""Reduction (UMAP) and clustering (agglomerative, HDBSCAN, K-Means), scikit-learn style; chosen by name
through lens_core.registry, known to the pipeline through the Clusterer protocol (base.py).

umap, pynndescent and fast_hdbscan compile their numba functions on first use, which costs tens of
seconds per process. numba keeps the compiled code on disk only if it knows where before it is
imported, so the cache folder is set here, before anything below is imported
(lens_core.runtime.use_numba_cache_dir), and the numba-using packages are imported lazily, inside `fit`.
"""

from __future__ import annotations

from lens_core import runtime

NUMBA_CACHE_DIR = runtime.use_numba_cache_dir()

from lens_core.cluster.agglomerative import AgglomerativeClusterer  # noqa: E402
from lens_core.cluster.hdbscan_clusterer import HdbscanClusterer  # noqa: E402
from lens_core.cluster.kmeans_clusterer import KMeansClusterer  # noqa: E402
from lens_core.cluster.reduction import MapReducer, UmapReducer  # noqa: E402

__all__ = [
    "AgglomerativeClusterer",
    "NUMBA_CACHE_DIR",
    "HdbscanClusterer",
    "KMeansClusterer",
    "MapReducer",
    "UmapReducer",
]
