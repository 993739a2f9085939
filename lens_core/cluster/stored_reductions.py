"""UMAP reductions stored by content: the same points and parameters are reduced once, then loaded."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from sqlalchemy.engine import Engine

from lens_core.cluster.reduction import UmapReducer
from lens_core.storage import queries
from lens_core.storage.models import Reduction


def reduction_key(model: str, hashes: Sequence[str], params: dict[str, Any]) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps({"model": model, "params": params}, sort_keys=True).encode())
    for h in hashes:
        digest.update(bytes.fromhex(h))
    return digest.hexdigest()


def reduce_cached(
    vectors: np.ndarray, hashes: Sequence[str], *, model: str, params: dict[str, Any], engine: Engine,
    before_fit: Callable[[], None] | None = None,
) -> tuple[np.ndarray, Reduction, bool]:
    """(reduced points, the stored Reduction, whether it came from the store). `before_fit` is called when
    no stored reduction applies, just before UMAP runs (a run's progress says what that costs).

    `hashes` must be in a canonical order (lens sorts them) so that the same texts give the same key.
    """
    key = reduction_key(model, hashes, params)
    stored = queries.find_reduction(engine=engine, key=key)
    if stored is not None:
        points = np.frombuffer(stored.vectors, dtype=np.float32).reshape(stored.n_points, stored.n_components)
        return points, stored, True
    if before_fit is not None:
        before_fit()
    started = time.perf_counter()
    reducer = UmapReducer(**params)
    points = np.ascontiguousarray(reducer.fit_transform(vectors), dtype=np.float32)
    reduction = Reduction(
        key=key,
        n_components=int(points.shape[1]),
        params=params,
        n_points=int(points.shape[0]),
        text_hashes=b"".join(bytes.fromhex(h) for h in hashes),
        vectors=points.tobytes(),
        fallback=getattr(reducer, "fallback_", None),
        seconds=time.perf_counter() - started,
    )
    return points, queries.store_reduction(engine=engine, reduction=reduction), False
