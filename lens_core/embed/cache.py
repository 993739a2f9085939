"""Embedding with the database as cache: each (model, text) is embedded once, ever."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import numpy as np
from sqlalchemy.engine import Engine

from lens_core.embed import Embedder
from lens_core.storage import queries

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]

# Vectors are stored after each batch of this many new texts, so an interrupted run keeps its work.
STORE_EVERY = 2048


def embed_cached(
    texts: Sequence[str],
    hashes: Sequence[str],
    *,
    embedder: Embedder,
    engine: Engine,
    progress: Progress | None = None,
) -> tuple[np.ndarray, int]:
    """Vectors for `texts` (aligned), and how many had to be embedded now (the rest came from the cache)."""
    cached = queries.cached_vectors(engine=engine, model=embedder.model, hashes=hashes)
    missing = [i for i, h in enumerate(hashes) if h not in cached]
    log.info("embedding %d of %d unique texts (%d cached) with %s", len(missing), len(texts),
             len(texts) - len(missing), embedder.model)
    for start in range(0, len(missing), STORE_EVERY):
        part = missing[start : start + STORE_EVERY]

        def batch_progress(done: int, _total: int, offset: int = start) -> None:
            if progress:
                progress(offset + done, len(missing))

        new = embedder.embed([texts[i] for i in part], progress=batch_progress)
        fresh = {hashes[i]: new[j] for j, i in enumerate(part)}
        queries.store_vectors(engine=engine, model=embedder.model, vectors=fresh)
        cached.update(fresh)
    if progress:
        progress(len(missing), len(missing))
    if not texts:
        return np.zeros((0, getattr(embedder, "dim", 0) or 0), dtype=np.float32), 0
    return np.vstack([cached[h] for h in hashes]).astype(np.float32, copy=False), len(missing)
