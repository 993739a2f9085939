"""all-MiniLM-L6-v2 as an int8 ONNX file: exported once from the bundled weights, then cached on disk.

The cache lives in `$LENS_ONNX_CACHE_DIR` (default `~/.cache/lens/onnx`), one folder per key; the key hashes
the model's files, the versions of the exporting and running packages and RECIPE, so a new model or
package version never reads an old file. Files are written to a temporary name and moved into place
with os.replace, so a reader sees a whole file or none and concurrent exports are safe (the last wins;
both are valid). A manifest beside the model holds its SHA-256: a file that does not match (truncated,
overwritten, half-copied) is rebuilt with a warning instead of failing or, worse, loading.

Only exporting needs torch, transformers and onnx; loading a cached file needs onnxruntime alone.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import shutil
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lens_core.errors import DependencyError, EmbeddingError

log = logging.getLogger(__name__)

CACHE_ENV = "LENS_ONNX_CACHE_DIR"
MODEL_FILE = "model.int8.onnx"
MANIFEST_FILE = "manifest.json"
# Bump when the graph or the quantisation below changes: old cache entries are then never read.
RECIPE = "minilm-mean-pool-opset17-dynamic-uint8-per-channel-v2"
_VERSIONED = ("torch", "transformers", "onnx", "onnxruntime")
_OPSET = 17
_FEATURE = "the minilm-onnx embedder"


@dataclass(frozen=True)
class CachedModel:
    path: Path
    """The int8 ONNX file."""
    exported_s: float | None
    """Seconds this process spent exporting it; None when it came from the cache."""


def cache_root() -> Path:
    configured = os.environ.get(CACHE_ENV)
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "lens" / "onnx"


def cache_key(model_dir: Path) -> str:
    """SHA-256 (first 16 hex digits) of the model's files, the package versions and RECIPE."""
    digest = hashlib.sha256(RECIPE.encode())
    for name in _VERSIONED:
        digest.update(f"{name}={_version(name)}\n".encode())
    for file in sorted(p for p in model_dir.rglob("*") if p.is_file()):
        digest.update(file.relative_to(model_dir).as_posix().encode() + b"\0")
        digest.update(_file_sha256(file).encode())
    return digest.hexdigest()[:16]


def cached_model(model_dir: Path, *, rebuild: bool = False) -> CachedModel:
    """The int8 file for `model_dir`: read from the cache when it is whole, else exported now."""
    folder = cache_root() / cache_key(model_dir)
    target = folder / MODEL_FILE
    if not rebuild:
        problem = verify(folder)
        if problem is None:
            return CachedModel(target, None)
        if problem != "missing":
            log.warning("the cached ONNX model in %s is unusable (%s): exporting it again", folder, problem)
    started = time.perf_counter()
    export(model_dir, folder)
    seconds = time.perf_counter() - started
    log.info("exported and quantised %s to %s in %.1f s", model_dir, target, seconds)
    return CachedModel(target, seconds)


def verify(folder: Path) -> str | None:
    """None when the folder holds a model matching its manifest; otherwise what is wrong with it."""
    model, manifest = folder / MODEL_FILE, folder / MANIFEST_FILE
    if not model.is_file() and not manifest.is_file():
        return "missing"
    try:
        expected = json.loads(manifest.read_text())["sha256"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return f"unreadable manifest: {exc}"
    try:
        actual = _file_sha256(model)
    except OSError as exc:
        return f"unreadable model file: {exc}"
    return None if actual == expected else "checksum mismatch"


def export(model_dir: Path, folder: Path) -> None:
    """Export the fp32 graph, quantise it to int8 and move model and manifest into `folder`."""
    for module, package in (("torch", "torch"), ("transformers", "transformers"), ("onnx", "onnx")):
        if importlib.util.find_spec(module) is None:
            raise DependencyError(f"{_FEATURE} (to export the model once)", package)
    folder.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".export-", dir=folder))
    try:
        fp32 = scratch / "model.fp32.onnx"
        _export_fp32(model_dir, fp32)
        int8 = scratch / MODEL_FILE
        _quantise(fp32, int8)
        manifest = {
            "sha256": _file_sha256(int8),
            "recipe": RECIPE,
            "source": str(model_dir),
            "versions": {name: _version(name) for name in _VERSIONED},
        }
        (scratch / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2))
        # Model first, manifest last: a reader that sees the new manifest also sees the new model.
        os.replace(int8, folder / MODEL_FILE)
        os.replace(scratch / MANIFEST_FILE, folder / MANIFEST_FILE)
    except (OSError, RuntimeError, ValueError) as exc:
        raise EmbeddingError(f"could not export {model_dir} to ONNX in {folder}: {exc}") from exc
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _export_fp32(model_dir: Path, out: Path) -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch
    from transformers import AutoModel

    # Eager attention with the classic additive mask exports as plain MatMul/Softmax: no SDPA or NaN
    # guards in the graph, which onnxruntime then runs faster.
    bert = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()
    ids = torch.ones((2, 8), dtype=torch.int64)
    mask = torch.ones((2, 8), dtype=torch.int64)
    mask[1, 5:] = 0  # a padded row, so that nothing about the mask is traced as a constant
    axes = {0: "batch", 1: "tokens"}
    with torch.no_grad(), warnings.catch_warnings():
        # torch 2.9+ calls the TorchScript exporter legacy (the dynamo one needs onnxscript and emits a
        # slower graph here); tracing notes about Python booleans concern branches this graph never takes.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        torch.onnx.export(
            _mean_pooled(bert),
            (ids, mask),
            str(out),
            dynamo=False,
            opset_version=_OPSET,
            input_names=["input_ids", "attention_mask"],
            output_names=["sentence_embedding"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "sentence_embedding": {0: "batch"}},
        )


def _quantise(fp32: Path, int8: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # Weights 8-bit per output channel (per-tensor costs ~0.03 cosine on MiniLM), activations uint8 per
    # batch at run time. Unsigned weights: with signed ones, onnxruntime's u8s8 kernels on x86 CPUs without
    # VNNI (AVX2 only) add pairs of products in saturating 16-bit arithmetic, and the same model lost
    # accuracy on such a machine (mean cosine to fp32 0.9913 vs 0.9931 unsigned on 400 sample texts;
    # share under 0.99: 22% vs 8%). Only MatMuls with a constant weight: the embedding tables stay fp32 (a Gather
    # is no cost to run, and quantising the word table costs accuracy).
    root = logging.getLogger()
    quiet = _QuantiserNotes()
    root.addFilter(quiet)
    try:
        quantize_dynamic(
            str(fp32),
            str(int8),
            weight_type=QuantType.QUInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul"],
            extra_options={"MatMulConstBOnly": True},
        )
    finally:
        root.removeFilter(quiet)


class _QuantiserNotes(logging.Filter):
    """Drops the quantiser's per-tensor notes and its advice to pre-process, which it logs on the root
    logger (dozens of lines per export); its errors still pass."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.ERROR or "onnxruntime" not in record.pathname


def _mean_pooled(bert: Any) -> Any:
    """BERT -> mean of the token vectors under the attention mask (normalised later, in numpy)."""
    import torch

    class MeanPooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            hidden = self.bert.embeddings(input_ids=input_ids, token_type_ids=torch.zeros_like(input_ids))
            additive = (1.0 - attention_mask[:, None, None, :].to(hidden.dtype)) * -10000.0
            tokens = self.bert.encoder(hidden, attention_mask=additive).last_hidden_state
            weights = attention_mask.unsqueeze(-1).to(tokens.dtype)
            return (tokens * weights).sum(1) / weights.sum(1).clamp(min=1e-9)

    return MeanPooled()


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "absent"


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
