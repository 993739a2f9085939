"""Embedders by name (rule 3): the name in Settings.embedding_backend picks the class, nothing else."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lens_core.embed.base import Embedder
from lens_core.embed.hashing import HashingEmbedder
from lens_core.embed.minilm import MiniLMEmbedder
from lens_core.embed.minilm_onnx import MiniLMOnnxEmbedder
from lens_core.embed.openai_backend import OpenAIEmbedder
from lens_core.errors import ConfigError

if TYPE_CHECKING:
    from lens_core.config import Settings

EMBEDDERS: dict[str, Callable[..., Embedder]] = {
    "minilm": MiniLMEmbedder,
    "minilm-onnx": MiniLMOnnxEmbedder,
    "openai": OpenAIEmbedder,
    "hashing": HashingEmbedder,
}

# Settings.embedding_model's default names the local model; it is no OpenAI model name.
_MINILM_NAMES = {"all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"}


def get_embedder(name: str, settings: Settings | None = None, **options: Any) -> Embedder:
    """The embedder registered as `name`, built with `options` (and, for openai, what Settings say).

    Building loads nothing: the model or client is made on the first `embed` call.
    """
    try:
        factory = EMBEDDERS[name]
    except KeyError:
        known = ", ".join(sorted(EMBEDDERS))
        raise ConfigError(f"unknown embedding backend {name!r}: choose one of {known}") from None
    if name == "openai" and settings is not None:
        options.setdefault("settings", settings)
        if settings.embedding_model not in _MINILM_NAMES:
            options.setdefault("model", settings.embedding_model)
    try:
        return factory(**options)
    except TypeError as exc:  # an option the backend does not take, e.g. from a typo in a caller
        raise ConfigError(f"invalid option for the {name} embedder: {exc}") from exc
