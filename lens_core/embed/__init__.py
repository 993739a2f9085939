"""Text embeddings: the Embedder protocol and its backends, chosen by name (lens_core.registry)."""

from lens_core.embed.base import Embedder
from lens_core.embed.factory import get_embedder

__all__ = ["Embedder", "get_embedder"]
