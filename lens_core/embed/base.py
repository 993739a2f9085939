"""The Embedder protocol: texts in, L2-normalised float32 rows out, one row per text, order kept.

Backends do no work in `__init__` (rule 2): a model or client is made on the first `embed` call, so
building an embedder is free and registry look-ups never load weights.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

import numpy as np

Progress = Callable[[int, int], None]
"""Called as progress(done, total) after each batch; `done` counts texts."""


@runtime_checkable
class Embedder(Protocol):
    name: str
    """The registry name ("minilm", "openai", "hashing")."""
    model: str
    """The model id stored with each vector; vectors of different models are never mixed."""
    dim: int
    """Length of each vector."""

    def embed(self, texts: Sequence[str], *, progress: Progress | None = None) -> np.ndarray:
        """float32 array (len(texts), dim), rows L2-normalised, in the order of `texts`."""
        ...


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length, as float32. All-zero rows stay zero rather than becoming NaN."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


def empty(dim: int) -> np.ndarray:
    """The answer to an empty input: shape (0, dim)."""
    return np.zeros((0, dim), dtype=np.float32)
