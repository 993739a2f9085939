"""Representative samples of a cluster: near its centre, and unlike each other.

Maximal marginal relevance (Carbonell & Goldstein): each pick maximises
lambda * sim(x, centroid) - (1 - lambda) * max sim(x, already picked), on cosine similarity. Exact
duplicate texts are skipped first, because five copies of one error message tell an analyst nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def pick_representatives(
    vectors: np.ndarray | None, texts: Sequence[str], k: int = 5, lambda_: float = 0.7
) -> list[int]:
    """Row indices of up to `k` representatives, best first.

    No two picks share a text unless fewer than `k` distinct texts exist; then the remaining slots are
    filled with duplicates (their prompts and ids may still differ). Without vectors, the most frequent
    distinct texts come first, ties by first appearance.
    """
    n = len(texts)
    if n == 0 or k <= 0:
        return []
    if vectors is None:
        return _by_frequency(texts, k)
    vectors = np.asarray(vectors, dtype=np.float64)
    if vectors.shape[0] != n:
        raise ValueError(f"vectors has {vectors.shape[0]} rows but there are {n} texts")
    unit = _normalise(vectors)
    relevance = unit @ _normalise(unit.mean(axis=0, keepdims=True))[0]
    candidates = _best_row_per_text(texts, relevance)
    picked = _mmr(unit, relevance, candidates, k, lambda_)
    return picked + _fill(relevance, picked, k)


def _normalise(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)


def _best_row_per_text(texts: Sequence[str], relevance: np.ndarray) -> np.ndarray:
    """For each distinct text, the row nearest the centroid (lowest index on ties)."""
    order = np.lexsort((np.arange(len(texts)), -relevance))
    seen: set[str] = set()
    keep = []
    for i in order:
        if texts[i] not in seen:
            seen.add(texts[i])
            keep.append(i)
    return np.asarray(keep, dtype=np.intp)


def _mmr(unit: np.ndarray, relevance: np.ndarray, candidates: np.ndarray, k: int, lambda_: float) -> list[int]:
    picked: list[int] = []
    # Running max similarity to the picked set: one matrix-vector product per pick, not per pair.
    redundancy = np.full(len(candidates), -np.inf)
    available = np.ones(len(candidates), dtype=bool)
    cand_vectors = unit[candidates]
    for _ in range(min(k, len(candidates))):
        penalty = np.where(np.isfinite(redundancy), redundancy, 0.0)
        score = lambda_ * relevance[candidates] - (1.0 - lambda_) * penalty
        score[~available] = -np.inf
        best = int(np.argmax(score))  # candidates are sorted by relevance, so ties go to the nearer row
        picked.append(int(candidates[best]))
        available[best] = False
        redundancy = np.maximum(redundancy, cand_vectors @ unit[candidates[best]])
    return picked


def _fill(relevance: np.ndarray, picked: list[int], k: int) -> list[int]:
    """Fewer distinct texts than k: top up with the nearest rows not yet picked."""
    if len(picked) >= k:
        return []
    taken = set(picked)
    order = np.lexsort((np.arange(len(relevance)), -relevance))
    return [int(i) for i in order if int(i) not in taken][: k - len(picked)]


def _by_frequency(texts: Sequence[str], k: int) -> list[int]:
    first: dict[str, int] = {}
    counts: dict[str, int] = {}
    for i, text in enumerate(texts):
        first.setdefault(text, i)
        counts[text] = counts.get(text, 0) + 1
    ranked = sorted(first, key=lambda t: (-counts[t], first[t]))
    picked = [first[t] for t in ranked[:k]]
    if len(picked) < k:
        taken = set(picked)
        picked += [i for i in range(len(texts)) if i not in taken][: k - len(picked)]
    return picked
