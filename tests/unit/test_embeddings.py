"""Embedders: hashing (deterministic, model-free), the registry, OpenAI through a fake client, MiniLM."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import openai
import pytest
from pydantic import SecretStr

from lens_core.config import Settings
from lens_core.embed import Embedder, get_embedder
from lens_core.embed.hashing import HashingEmbedder
from lens_core.embed.minilm import MiniLMEmbedder
from lens_core.embed.openai_backend import OpenAIEmbedder
from lens_core.errors import ConfigError, EmbeddingError
from lens_core.registry import REGISTRY

ROOT = Path(__file__).resolve().parents[2]
TEXTS = ["Calendar event failed to book: 409 conflict", "the weather is nice", ""]


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


# --- hashing ---------------------------------------------------------------------------------------


def test_hashing_is_the_same_across_processes() -> None:
    # Python's hash() is salted per process; a hashing embedder built on it would fail here.
    code = (
        "import json; from lens_core.embed.hashing import HashingEmbedder; "
        f"print(json.dumps(HashingEmbedder().embed({TEXTS!r}).tolist()))"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        )
        for seed in ("1", "2")
    ]
    first, second = (np.array(json.loads(run.stdout)) for run in runs)
    assert np.array_equal(first, second)
    assert np.allclose(first, HashingEmbedder().embed(TEXTS), atol=1e-7)


def test_hashing_rows_are_unit_length_float32_and_ordered() -> None:
    vectors = HashingEmbedder(dim=128).embed(TEXTS[:2])
    assert vectors.dtype == np.float32 and vectors.shape == (2, 128)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(vectors[1], HashingEmbedder(dim=128).embed([TEXTS[1]])[0])


def test_hashing_empty_input_and_empty_text() -> None:
    embedder = HashingEmbedder()
    assert embedder.embed([]).shape == (0, 384)
    assert np.all(embedder.embed([""]) == 0)  # nothing to hash: a zero row, not NaN


def test_hashing_similar_texts_are_closer_than_unrelated() -> None:
    a, b, c = HashingEmbedder().embed(
        ["my meeting could not be scheduled", "the meeting could not be scheduled today", "the weather is nice"]
    )
    assert _cos(a, b) > _cos(a, c) + 0.3


def test_hashing_reports_progress_and_model_id() -> None:
    calls: list[tuple[int, int]] = []
    HashingEmbedder().embed(["x y"] * 3, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(3, 3)]
    assert HashingEmbedder(dim=64).model == "hashing-v1-64"


# --- registry --------------------------------------------------------------------------------------


def test_registry_names_and_unknown_name() -> None:
    assert set(REGISTRY.names("embedder")) == {"minilm", "minilm-onnx", "openai", "hashing"}
    assert isinstance(get_embedder("hashing", dim=32), Embedder)
    with pytest.raises(ConfigError, match="minilm, minilm-onnx, openai, hashing"):
        get_embedder("word2vec")


def test_registry_builds_without_loading_and_reads_openai_settings() -> None:
    settings = Settings(embedding_model="text-embedding-3-large", openai_api_key=SecretStr("k"))
    embedder = get_embedder("openai", settings)
    assert embedder.api_model == "text-embedding-3-large" and embedder.dim == 3072
    # Redacted by default, and cached under another id than vectors of the raw texts
    assert embedder.redacts and embedder.model == "text-embedding-3-large+redacted"
    raw = get_embedder("openai", settings.model_copy(update={"redact_outbound": False}))
    assert not raw.redacts and raw.model == "text-embedding-3-large"
    default = Settings(embedding_model="all-MiniLM-L6-v2")  # the MiniLM default is no OpenAI model
    assert get_embedder("openai", default).api_model == "text-embedding-3-small"
    assert get_embedder("minilm")._model is None  # nothing loaded in __init__


# --- openai with a fake client ---------------------------------------------------------------------


class FakeEmbeddings:
    def __init__(self, dim: int = 3, fail: Exception | None = None, shuffle: bool = False) -> None:
        self.calls: list[list[str]] = []
        self.dim, self.fail, self.shuffle = dim, fail, shuffle

    def create(self, *, model: str, input: list[str]) -> SimpleNamespace:
        self.calls.append(list(input))
        if self.fail is not None:
            raise self.fail
        # Vector i encodes its text (length, then constants) so the test can check the order.
        data = [
            SimpleNamespace(index=i, embedding=[float(len(t)), 1.0] + [0.0] * (self.dim - 2))
            for i, t in enumerate(input)
        ]
        return SimpleNamespace(data=data[::-1] if self.shuffle else data)


def _fake(**kwargs: object) -> SimpleNamespace:
    return SimpleNamespace(embeddings=FakeEmbeddings(**kwargs))


def test_openai_batches_keeps_order_and_normalises() -> None:
    client = _fake(dim=4, shuffle=True)
    texts = ["a" * n for n in range(1, 8)]
    progress: list[int] = []
    embedder = OpenAIEmbedder(client=client, model="custom", batch_size=3)
    vectors = embedder.embed(texts, progress=lambda done, total: progress.append(done))
    assert [len(batch) for batch in client.embeddings.calls] == [3, 3, 1]
    assert vectors.shape == (7, 4) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    expected = np.array([[n, 1.0] for n in range(1, 8)]) / np.sqrt(np.arange(1, 8) ** 2 + 1)[:, None]
    assert np.allclose(vectors[:, :2], expected, atol=1e-6)
    assert progress == [3, 6, 7]


def test_openai_learns_dim_and_replaces_empty_texts() -> None:
    client = _fake(dim=5)
    embedder = OpenAIEmbedder(client=client, model="custom")
    assert embedder.dim == 0
    embedder.embed(["", "x"])
    assert embedder.dim == 5
    assert client.embeddings.calls == [[" ", "x"]]


def test_openai_sends_redacted_texts_unless_told_not_to() -> None:
    texts = ["401 for kwame.kowalski@adatum.com (user: bob.jones)", "ErrorCode 0x80070005 from plugin Calendar"]
    client = _fake(dim=3)
    OpenAIEmbedder(client=client, model="custom").embed(texts)
    sent = client.embeddings.calls[0]
    assert sent == ["401 for <EMAIL> (user: <USER>)", texts[1]]  # the codes and names of plugins stay
    raw = _fake(dim=3)
    OpenAIEmbedder(client=raw, model="custom", redact=False).embed(texts)
    assert raw.embeddings.calls[0] == texts


def test_local_embedders_have_no_redaction_and_see_the_raw_text() -> None:
    # Nothing leaves the machine: the hashing (and minilm) embedders embed the text as given.
    texts = ["401 for kwame.kowalski@adatum.com", "401 for <EMAIL>"]
    embedder = get_embedder("hashing", Settings(_env_file=None))
    assert getattr(embedder, "redacts", None) is None
    first, second = embedder.embed(texts)
    assert _cos(first, second) < 0.999  # a redacted input would make the two the same text


def test_openai_sdk_error_becomes_embedding_error() -> None:
    embedder = OpenAIEmbedder(client=_fake(fail=openai.OpenAIError("rate limited")))
    with pytest.raises(EmbeddingError, match="rate limited") as info:
        embedder.embed(["x"])
    assert isinstance(info.value.__cause__, openai.OpenAIError)


def test_openai_without_key_says_what_to_set() -> None:
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        OpenAIEmbedder(settings=Settings(openai_api_key=None)).embed(["x"])


# --- minilm: one test through the real bundled model -----------------------------------------------


def test_minilm_bundled_model_separates_meaning() -> None:
    texts = ["my meeting could not be scheduled", "the calendar event failed to book", "the weather is nice"]
    vectors = MiniLMEmbedder(batch_size=2).embed(texts)
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert _cos(vectors[0], vectors[1]) > _cos(vectors[1], vectors[2]) + 0.2
