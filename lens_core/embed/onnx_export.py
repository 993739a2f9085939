"""all-MiniLM-L6-v2 as an int8 ONNX file: exported once from the bundled weights, then cached on disk.

The cache lives in `$LENS_ONNX_CACHE_DIR` (default `~/.cache/lens/onnx`), one folder per key; the key hashes
the model's files, the versions of the exporting and running packages and the recipe (which follows the
CPU: see `recipe`), so a new model, package version or recipe never reads an old file. Files are written
to a temporary name and moved into place with os.replace, so a reader sees a whole file or none and
concurrent exports are safe (the last wins; both are valid). A manifest beside the model holds its SHA-256: a file that does not match (truncated,
overwritten, half-copied) is rebuilt with a warning instead of failing or, worse, loading.

Only exporting needs torch, transformers and onnx; loading a cached file needs onnxruntime alone.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import re
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


@dataclass(frozen=True)
class Recipe:
    """How the int8 file is made. Bump `name` when the graph or the quantisation changes: old cache
    entries are then never read; `model_suffix` names the vectors, so the embedding cache never mixes
    vectors of two recipes."""

    name: str
    model_suffix: str
    signed_weights: bool


# MatMuls left in fp32, by the exported graph's node names. Dynamic quantisation gives each activation
# tensor one scale, and MiniLM's feed-forward outputs carry outlier activations that stretch it. A sweep
# that kept one weight MatMul at a time in fp32 (400 sample texts, bench/README.md) found one far ahead of
# the rest: layer 0's feed-forward output, which alone took the share of texts under 0.99 cosine to fp32
# from 5% to none; layer 2's was the best second. The two are 11% of the MatMul weights; on 2,000 texts
# they took the mean cosine from 0.993 to 0.996 and the share under 0.99 from 4.9% to 0.1%, for 12% of
# the int8 speed. Another BERT-like model (model_path) whose graph has no such nodes is quantised whole.
FP32_MATMULS = re.compile(r"^/encoder/layer\.(?:0|2)/output/dense/MatMul$")

# The weights' sign follows the CPU's int8 kernels in onnxruntime. With VNNI, its u8s8 kernels sum in
# 32 bits and ran twice as fast as its u8u8 ones, which do not use VNNI (on an AVX-512 Xeon, 2,000 sample
# texts: 274 vs 140 texts/s, torch fp32 110; bench/embed_onnx.py).
# Without VNNI (AVX2 only), u8s8 adds pairs of products in saturating 16-bit arithmetic, which cost
# accuracy (mean cosine to fp32 0.9913 vs 0.9931 unsigned on 400 sample texts; share under 0.99: 22% vs
# 8%), so weights are unsigned there.
UNSIGNED = Recipe("minilm-mean-pool-opset17-dynamic-uint8-per-channel-ffn02fp32-v4", ":onnx-int8-v4",
                  signed_weights=False)
SIGNED_VNNI = Recipe("minilm-mean-pool-opset17-dynamic-int8-per-channel-vnni-ffn02fp32-v5", ":onnx-int8-vnni-v5",
                     signed_weights=True)
_VNNI_FLAGS = frozenset({"avx512_vnni", "avx_vnni", "amx_int8"})
_VERSIONED = ("torch", "transformers", "onnx", "onnxruntime")
_OPSET = 17
_FEATURE = "the minilm-onnx embedder"


@dataclass(frozen=True)
class CachedModel:
    path: Path
    """The int8 ONNX file."""
    exported_s: float | None
    """Seconds this process spent exporting it; None when it came from the cache."""


def recipe() -> Recipe:
    """The recipe for this machine's CPU (see UNSIGNED and SIGNED_VNNI)."""
    return recipe_for(_cpu_flags())


def recipe_for(cpu_flags: frozenset[str]) -> Recipe:
    return SIGNED_VNNI if cpu_flags & _VNNI_FLAGS else UNSIGNED


@functools.cache
def _cpu_flags() -> frozenset[str]:
    """The x86 feature flags Linux reports; none elsewhere (then the unsigned recipe, safe everywhere)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("flags"):
                    return frozenset(line.partition(":")[2].split())
    except OSError:
        pass
    return frozenset()


def cache_root() -> Path:
    configured = os.environ.get(CACHE_ENV)
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "lens" / "onnx"


def cache_key(model_dir: Path) -> str:
    """SHA-256 (first 16 hex digits) of the model's files, the package versions and the recipe."""
    digest = hashlib.sha256(recipe().name.encode())
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
        _quantise(fp32, int8, signed_weights=recipe().signed_weights)
        manifest = {
            "sha256": _file_sha256(int8),
            "recipe": recipe().name,
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


def _quantise(fp32: Path, int8: Path, *, signed_weights: bool) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # Weights 8-bit per output channel (per-tensor costs ~0.03 cosine on MiniLM), signed or not by the
    # recipe, activations uint8 per batch at run time. Only MatMuls with a constant weight, but for
    # FP32_MATMULS: the embedding tables stay fp32 (a Gather is no cost to run, and quantising the word
    # table costs accuracy).
    root = logging.getLogger()
    quiet = _QuantiserNotes()
    root.addFilter(quiet)
    try:
        quantize_dynamic(
            str(fp32),
            str(int8),
            weight_type=QuantType.QInt8 if signed_weights else QuantType.QUInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul"],
            nodes_to_exclude=kept_in_fp32(onnx.load(str(fp32), load_external_data=False)),
            extra_options={"MatMulConstBOnly": True},
        )
    finally:
        root.removeFilter(quiet)


def kept_in_fp32(graph_model: Any) -> list[str]:
    """The names of the graph's MatMul nodes that FP32_MATMULS keeps unquantised."""
    return [node.name for node in graph_model.graph.node if node.op_type == "MatMul" and FP32_MATMULS.match(node.name)]


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
