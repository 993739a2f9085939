"""Embedders by name: the registry's row (lens_core.registry) picks the class, Settings fill in the rest."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lens_core.embed.base import Embedder
from lens_core.errors import ConfigError
from lens_core.registry import REGISTRY

if TYPE_CHECKING:
    from lens_core.config import Settings

# Settings.embedding_model's default names the local model; it is no OpenAI model name.
_MINILM_NAMES = {"all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"}


def get_embedder(name: str, settings: Settings | None = None, **options: Any) -> Embedder:
    """The embedder registered as `name`, built with `options` (and, for openai, what Settings say).

    Building loads nothing: the model or client is made on the first `embed` call.
    """
    factory = REGISTRY.get("embedder", name).load()
    if name == "openai" and settings is not None:
        options.setdefault("settings", settings)
        options.setdefault("redact", settings.redact_outbound)  # texts leave the machine: redacted by default
        if settings.embedding_model not in _MINILM_NAMES:
            options.setdefault("model", settings.embedding_model)
    try:
        return factory(**options)
    except TypeError as exc:  # an option the backend does not take, e.g. from a typo in a caller
        raise ConfigError(f"invalid option for the {name} embedder: {exc}") from exc
