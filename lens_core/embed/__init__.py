"""Text embeddings: the Embedder protocol and its backends, chosen by name from EMBEDDERS."""

from lens_core.embed.base import Embedder
from lens_core.embed.registry import EMBEDDERS, get_embedder

__all__ = ["EMBEDDERS", "Embedder", "get_embedder"]
