"""Embeddings from OpenAI or an OpenAI-compatible server (Azure OpenAI, vLLM, Ollama).

The client is passed in by the entry point (rule 6); without one it is built on first use from
Settings (OPENAI_API_KEY, OPENAI_BASE_URL). Batches run concurrently in a small thread pool.

Texts leave the machine here, so with `redact` (REDACT_OUTBOUND, on by default) each is redacted
(lens_core.describe.redact) before it is sent. The vectors are then those of the redacted texts: `model`
(the id vectors are cached and stored under) says so with a "+redacted" suffix, so they never mix with
vectors of the raw texts; `api_model` is the name sent to the server.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import numpy as np

from lens_core.embed.base import Progress, empty, l2_normalise
from lens_core.errors import ConfigError, DependencyError, EmbeddingError

if TYPE_CHECKING:
    from lens_core.config import Settings

# Known so that `dim` is right before the first request; other models learn it from their first answer.
KNOWN_DIMS = {"text-embedding-3-small": 1536, "text-embedding-3-large": 3072, "text-embedding-ada-002": 1536}
REDACTED_SUFFIX = "+redacted"


class OpenAIEmbedder:
    name = "openai"

    def __init__(
        self,
        client: Any = None,
        model: str = "text-embedding-3-small",
        batch_size: int = 256,
        max_concurrency: int = 4,
        settings: Settings | None = None,
        redact: bool = True,
    ) -> None:
        self.client = client
        self.api_model = model
        self.redacts = redact
        self.model = f"{model}{REDACTED_SUFFIX}" if redact else model
        self.batch_size = batch_size
        self.max_concurrency = max_concurrency
        self.settings = settings
        self._dim: int | None = KNOWN_DIMS.get(model)
        self._lock = threading.Lock()

    @property
    def dim(self) -> int:
        """Vector length; 0 for a model not in KNOWN_DIMS until its first answer has come back."""
        return self._dim or 0

    def _client(self) -> Any:
        with self._lock:
            if self.client is None:
                self.client = self._build_client()
            return self.client

    def _build_client(self) -> Any:
        key = self.settings.openai_api_key if self.settings is not None else None
        if key is None or not key.get_secret_value():
            raise ConfigError(
                "the openai embedder needs an API key: set OPENAI_API_KEY "
                "(and OPENAI_BASE_URL for an OpenAI-compatible server)"
            )
        if importlib.util.find_spec("openai") is None:
            raise DependencyError("the openai embedder", "openai")
        import openai

        base_url = self.settings.openai_base_url if self.settings is not None else None
        return openai.OpenAI(api_key=key.get_secret_value(), base_url=base_url)

    def embed(self, texts: Sequence[str], *, progress: Progress | None = None) -> np.ndarray:
        if self.batch_size < 1 or self.max_concurrency < 1:
            raise EmbeddingError("batch_size and max_concurrency must be at least 1")
        if len(texts) == 0:
            return empty(self.dim)
        client = self._client()
        if self.redacts:
            from lens_core.describe.redact import redact_many

            texts = redact_many(texts)
        # The API rejects empty strings; one space embeds as "nothing" and keeps the row.
        cleaned = [text if text else " " for text in texts]
        batches = [cleaned[i : i + self.batch_size] for i in range(0, len(cleaned), self.batch_size)]
        results: list[np.ndarray] = []
        done = 0
        with ThreadPoolExecutor(max_workers=min(self.max_concurrency, len(batches))) as pool:
            # map() yields in submission order, so rows come back in the order of `texts`.
            for vectors in pool.map(lambda batch: self._request(client, batch), batches):
                results.append(vectors)
                done += len(vectors)
                if progress is not None:
                    progress(done, len(texts))
        return self._check_dims(np.vstack(results))

    def _request(self, client: Any, batch: list[str]) -> np.ndarray:
        try:
            response = client.embeddings.create(model=self.api_model, input=batch)
        except Exception as exc:
            if _is_sdk_error(exc):
                raise EmbeddingError(f"the embeddings request to {self.api_model} failed: {exc}") from exc
            raise
        data = list(response.data)
        if len(data) != len(batch):
            raise EmbeddingError(f"{self.api_model} returned {len(data)} vectors for {len(batch)} texts")
        # The API documents an `index` per item; sort by it rather than trusting the list order.
        if all(getattr(item, "index", None) is not None for item in data):
            data.sort(key=lambda item: item.index)
        return np.asarray([item.embedding for item in data], dtype=np.float32)

    def _check_dims(self, vectors: np.ndarray) -> np.ndarray:
        if self._dim is None:
            self._dim = int(vectors.shape[1])
        elif vectors.shape[1] != self._dim:
            raise EmbeddingError(f"{self.api_model} returned vectors of {vectors.shape[1]} dims, expected {self._dim}")
        return l2_normalise(vectors)


def _is_sdk_error(exc: Exception) -> bool:
    """An error of the openai SDK (network, status, timeout). Other exceptions are bugs and propagate."""
    if importlib.util.find_spec("openai") is None:
        return False
    import openai

    return isinstance(exc, openai.OpenAIError)
