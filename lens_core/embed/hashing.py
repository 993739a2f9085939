"""A model-free embedder: hashed word 1-2-grams and character 3-grams, sublinear tf, L2-normalised.

It is deterministic across processes (scikit-learn's HashingVectorizer uses MurmurHash3 with a fixed
seed, unlike Python's salted hash()), needs no weights and embeds tens of thousands of short texts
per second. Texts sharing words and spellings land near each other; it knows no synonyms. Useful for
tests, for machines without torch, and as a quick first look.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lens_core.embed.base import Progress, empty, l2_normalise
from lens_core.errors import EmbeddingError

_CHUNK = 10_000  # texts per progress step; bounds the sparse intermediate matrices


class HashingEmbedder:
    name = "hashing"

    def __init__(self, dim: int = 384) -> None:
        self.dim = dim

    @property
    def model(self) -> str:
        # The version is part of the id: changing the features must not mix old and new vectors.
        return f"hashing-v1-{self.dim}"

    def embed(self, texts: Sequence[str], *, progress: Progress | None = None) -> np.ndarray:
        if not isinstance(self.dim, int) or self.dim < 8:
            raise EmbeddingError(f"the hashing embedder needs dim >= 8, not {self.dim!r}")
        if len(texts) == 0:
            return empty(self.dim)
        words, chars = self._vectorizers()
        parts = []
        for start in range(0, len(texts), _CHUNK):
            chunk = list(texts[start : start + _CHUNK])
            # Each family is normalised on its own so that the many character n-grams do not drown
            # the words; then the two halves are summed with equal weight.
            parts.append(_block(words, chunk) + _block(chars, chunk))
            if progress is not None:
                progress(min(start + _CHUNK, len(texts)), len(texts))
        return l2_normalise(np.vstack(parts))

    def _vectorizers(self):  # noqa: ANN202 - scikit-learn types
        from sklearn.feature_extraction.text import HashingVectorizer

        common = dict(n_features=self.dim, alternate_sign=True, norm=None, lowercase=True, dtype=np.float32)
        words = HashingVectorizer(analyzer="word", ngram_range=(1, 2), token_pattern=r"(?u)\b\w+\b", **common)
        chars = HashingVectorizer(analyzer="char_wb", ngram_range=(3, 3), **common)
        return words, chars


def _block(vectorizer, texts: list[str]) -> np.ndarray:  # noqa: ANN001
    """Sublinear tf (1 + log|count|, sign kept: alternate_sign makes collisions cancel, not pile up)."""
    matrix = vectorizer.transform(texts)
    data = matrix.data
    nonzero = data != 0  # an exact cancellation leaves a stored zero: log(0) must not be taken
    data[nonzero] = np.sign(data[nonzero]) * (1.0 + np.log(np.abs(data[nonzero])))
    return l2_normalise(matrix.toarray())
