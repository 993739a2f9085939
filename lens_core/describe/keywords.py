"""Cluster keywords by class-based TF-IDF (BERTopic's c-TF-IDF).

All texts of a cluster are treated as one document. A term scores high in a cluster when it is frequent
there and rare across clusters: tf(t, c) / words(c) * log(1 + A / f(t)), with A the average number of
words per class and f(t) the term's count over all classes. Noise (-1) is a class of its own, so words
common in the noise do not look specific to a cluster.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

# Masked placeholders from fingerprinting (<NUM>, <GUID>, <EMAIL> ...) carry no meaning of their own.
_PLACEHOLDER = re.compile(r"<[A-Za-z_]{1,20}>")
# Words of two or more letters; underscores allowed (snake_case identifiers), digits not, so ids, hashes
# and numbers that escaped masking never become keywords.
_TOKEN = r"(?u)\b[^\W\d][^\W\d]+\b"
# Placeholder names can also arrive bare (a masker that drops the brackets); they are never a keyword.
_EXTRA_STOP = {"num", "guid", "uuid", "hex", "id", "ts", "url", "email", "ip"}
# scikit-learn's list holds words that mean something in failures ("not found", "empty", "call", "name",
# "get", "move", "first"): they stay in.
_KEEP = {"found", "call", "system", "empty", "full", "fill", "find", "fire", "bill", "detail", "move", "show",
         "name", "interest", "first", "last", "next", "get", "give", "put", "take", "side", "top", "bottom",
         "back", "front", "part", "amount"}
STOP_WORDS = frozenset((ENGLISH_STOP_WORDS - _KEEP) | _EXTRA_STOP)


def _preprocess(text: str) -> str:
    return _PLACEHOLDER.sub(" ", text).lower()


def class_tfidf_keywords(texts_by_label: Mapping[int, Sequence[str]], top_n: int = 8) -> dict[int, list[str]]:
    """Top `top_n` unigrams/bigrams per label, best first; ties broken alphabetically."""
    labels: list[int] = []
    texts: list[str] = []
    for label, group in texts_by_label.items():
        labels.extend([int(label)] * len(group))
        texts.extend("" if t is None else str(t) for t in group)
    frame = pd.DataFrame({"label": labels, "text": texts})
    counted = frame.value_counts(["label", "text"]).reset_index(name="count")
    result = class_tfidf_from_counts(
        counted["label"].to_numpy(), counted["text"].tolist(), counted["count"].to_numpy(), top_n=top_n
    )
    return {int(label): result.get(int(label), []) for label in texts_by_label}


def class_tfidf_from_counts(
    labels: np.ndarray, texts: Sequence[str], weights: np.ndarray, *, top_n: int = 8
) -> dict[int, list[str]]:
    """c-TF-IDF over distinct (label, text) pairs weighted by how often each occurs.

    Failure texts repeat heavily, so vectorising distinct texts only keeps 100k events fast.
    """
    classes = np.unique(labels)
    if len(texts) == 0:
        return {}
    unique_texts, text_idx = np.unique(np.asarray(texts, dtype=object), return_inverse=True)
    vectorizer = CountVectorizer(
        preprocessor=_preprocess, token_pattern=_TOKEN, stop_words=list(STOP_WORDS), ngram_range=(1, 2)
    )
    try:
        doc_terms = vectorizer.fit_transform(unique_texts)
    except ValueError:  # every text was stop words or placeholders: no vocabulary, no keywords
        return {int(c): [] for c in classes}
    class_idx = np.searchsorted(classes, labels)
    # class-by-document weights, then class-by-term counts: one sparse product instead of a Python loop.
    membership = sparse.csr_matrix(
        (np.asarray(weights, dtype=np.float64), (class_idx, text_idx)), shape=(len(classes), len(unique_texts))
    )
    counts = (membership @ doc_terms).tocsr()
    scores = _ctfidf(counts)
    terms = vectorizer.get_feature_names_out()
    return {int(c): _top_terms(scores.getrow(i), terms, top_n) for i, c in enumerate(classes)}


def _ctfidf(counts: sparse.csr_matrix) -> sparse.csr_matrix:
    words_per_class = np.asarray(counts.sum(axis=1)).ravel()
    term_totals = np.asarray(counts.sum(axis=0)).ravel()
    average_words = words_per_class.sum() / max(len(words_per_class), 1)
    idf = np.log(1.0 + average_words / np.maximum(term_totals, 1e-12))
    tf = sparse.diags(1.0 / np.maximum(words_per_class, 1e-12)) @ counts
    return (tf @ sparse.diags(idf)).tocsr()


def _top_terms(row: sparse.csr_matrix, terms: np.ndarray, top_n: int) -> list[str]:
    if row.nnz == 0:
        return []
    # Round so floating noise does not decide ties; lexsort's last key is the primary one.
    values = np.round(row.data, 12)
    names = terms[row.indices]
    order = np.lexsort((names, -values))
    return [str(names[i]) for i in order[:top_n]]
