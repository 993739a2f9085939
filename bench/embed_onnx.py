"""minilm-onnx (int8, onnxruntime) against minilm (fp32, torch): texts per second and cosine agreement.

    python bench/embed_onnx.py [--events data/samples/telemetry.csv] [--texts 2000] [--repeat 3]
                               [--batch-size 1] [--threads N] [--torch-threads N] [--cache-dir DIR]

Takes the distinct customer_prompt and skill_output texts of the sample telemetry (a seeded sample of
--texts of them: short requests and long plugin errors), exports the int8 model into a fresh temporary
cache (or --cache-dir) and reports the export time and the load time from the cache, then embeds the
texts with both backends --repeat times, alternating, and keeps each backend's fastest run: on a shared
machine other processes slow some runs down, never speed one up. CPU seconds are printed beside the wall
seconds; their ratio is the less load-sensitive of the two, and `--threads 1 --torch-threads 1` compares
the work per core, which load hardly changes. Writes the same as JSON to bench/results/embed_onnx.json
(`--out` for another name).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lens_core.embed import Embedder, get_embedder, onnx_export


def sample_texts(events: Path, n: int, seed: int = 0) -> tuple[list[str], int]:
    """A seeded sample of the distinct prompts and plugin outputs, and how many of them are prompts."""
    frame = pd.read_csv(events, dtype=str)
    prompts = set(frame["customer_prompt"].dropna())
    distinct = list(dict.fromkeys(pd.concat([frame["customer_prompt"], frame["skill_output"]]).dropna()))
    pick = np.random.default_rng(seed).choice(len(distinct), size=min(n, len(distinct)), replace=False)
    texts = [distinct[i] for i in sorted(pick)]
    return texts, sum(text in prompts for text in texts)


def timed(embedder: Embedder, texts: list[str]) -> tuple[np.ndarray, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    vectors = embedder.embed(texts)
    return vectors, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=Path, default=ROOT / "data" / "samples" / "telemetry.csv")
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=1, help="texts per onnxruntime call")
    parser.add_argument("--threads", type=int, help="onnxruntime intra-op threads (default: available CPUs)")
    parser.add_argument("--torch-threads", type=int, help="torch threads for minilm (default: torch's own)")
    parser.add_argument("--cache-dir", type=Path, help="ONNX cache to use (default: a fresh temporary one)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "embed_onnx.json")
    args = parser.parse_args()

    texts, n_prompts = sample_texts(args.events, args.texts)
    if args.torch_threads:
        import torch

        torch.set_num_threads(args.torch_threads)
    tmp = tempfile.TemporaryDirectory()
    os.environ[onnx_export.CACHE_ENV] = str(args.cache_dir or tmp.name)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{len(texts)} texts ({n_prompts} prompts, {len(texts) - n_prompts} plugin outputs); "
          f"{os.cpu_count()} CPUs, load average {load:.1f}")

    fp32 = get_embedder("minilm")
    int8 = get_embedder("minilm-onnx", batch_size=args.batch_size, threads=args.threads)
    started = time.perf_counter()
    int8.embed(["warm up"])  # exports (fresh cache) or loads, then one tiny call
    first_use = time.perf_counter() - started
    export_s = int8.export_seconds
    started = time.perf_counter()
    cached = get_embedder("minilm-onnx", batch_size=args.batch_size, threads=args.threads)
    cached.embed(["warm up"])
    load_s = time.perf_counter() - started
    fp32.embed(["warm up"])  # loads the torch model outside the timings
    tokens = sum(len(e.ids) for e in int8._runtime.tokenizer.encode_batch(texts))
    print(f"int8 model: first use {first_use:.1f} s (export {_s(export_s)}), load from the cache {load_s:.1f} s; "
          f"{tokens} tokens in all")

    best: dict[str, tuple[float, float]] = {}
    vectors: dict[str, np.ndarray] = {}
    for round_ in range(args.repeat):
        for name, embedder in (("minilm", fp32), ("minilm-onnx", int8)):
            out, wall, cpu = timed(embedder, texts)
            vectors[name] = out
            if name not in best or wall < best[name][0]:
                best[name] = (wall, cpu)
            print(f"  round {round_ + 1}: {name:12s} {wall:6.1f} s wall {cpu:6.1f} s CPU", flush=True)

    base_wall, base_cpu = best["minilm"]
    rows = []
    for name, embedder in (("minilm", fp32), ("minilm-onnx", int8)):
        wall, cpu = best[name]
        cosine = np.sum(vectors[name] * vectors["minilm"], axis=1)
        rows.append({
            "backend": name, "model": embedder.model, "texts": len(texts), "seconds": round(wall, 2),
            "texts_per_s": round(len(texts) / wall, 1), "speedup": round(base_wall / wall, 2),
            "cpu_seconds": round(cpu, 2), "cpu_speedup": round(base_cpu / cpu, 2),
            "cos_mean": round(float(cosine.mean()), 4), "cos_min": round(float(cosine.min()), 4),
            "share_cos_below_0.99": round(float(np.mean(cosine < 0.99)), 4),
        })
    table = pd.DataFrame(rows).drop(columns="model")
    print()
    print(table.to_markdown(index=False) if _has_tabulate() else table.to_string(index=False))
    print(f"\nfirst export {_s(export_s)}; load from cache {load_s:.1f} s")

    out = args.out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "texts": len(texts), "prompts": n_prompts, "tokens": tokens, "repeat": args.repeat,
        "batch_size": args.batch_size, "threads": args.threads, "torch_threads": args.torch_threads, "cpus": os.cpu_count(), "load_average": load,
        "export_seconds": export_s, "first_use_seconds": first_use, "cached_load_seconds": load_s,
        "results": rows,
    }, indent=2))
    print(f"wrote {out}")
    tmp.cleanup()


def _s(seconds: float | None) -> str:
    return "none (cached)" if seconds is None else f"{seconds:.1f} s"


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    main()
