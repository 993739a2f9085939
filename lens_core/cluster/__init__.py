"""Reduction (UMAP) and clustering (HDBSCAN, K-Means), scikit-learn style, chosen by name.

umap, pynndescent and fast_hdbscan compile their numba functions on first use, which costs tens of
seconds per process. numba can keep the compiled code on disk, but only if it knows where before
it is imported, so the cache folder is set here and the numba-using packages are imported lazily,
inside `fit`. The folder is NUMBA_CACHE_DIR if set, else LENS_NUMBA_CACHE_DIR, else
~/.cache/lens/numba (a per-user folder: site-packages may be read-only).
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

log = logging.getLogger(__name__)


def _numba_cache_dir() -> str:
    folder = os.environ.get("LENS_NUMBA_CACHE_DIR") or str(Path.home() / ".cache" / "lens" / "numba")
    return os.environ.setdefault("NUMBA_CACHE_DIR", folder)


NUMBA_CACHE_DIR = _numba_cache_dir()
if "numba" in sys.modules:
    # Too late for this process: numba read its config at import. Compilation still works, uncached.
    log.debug("numba was imported before lens_core.cluster; NUMBA_CACHE_DIR may not apply")

from lens_core.cluster.agglomerative import AgglomerativeClusterer  # noqa: E402
from lens_core.cluster.hdbscan_clusterer import HdbscanClusterer  # noqa: E402
from lens_core.cluster.kmeans_clusterer import KMeansClusterer  # noqa: E402
from lens_core.cluster.reduction import MapReducer, UmapReducer  # noqa: E402
from lens_core.cluster.registry import CLUSTERERS, make_clusterer  # noqa: E402

__all__ = [
    "CLUSTERERS",
    "AgglomerativeClusterer",
    "NUMBA_CACHE_DIR",
    "HdbscanClusterer",
    "KMeansClusterer",
    "MapReducer",
    "UmapReducer",
    "make_clusterer",
]
