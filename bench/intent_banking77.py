"""Intent clusters on banking77: lens (intent view, product defaults) vs BERTopic defaults vs K-Means(true K).

    python bench/intent_banking77.py ../shared/datasets/banking77/train.csv [--db URL]

The queries are ingested as telemetry events (evaluation_id = row index, customer_prompt = text,
skill_output = a constant placeholder) into a fresh database (a temporary SQLite file unless --db is
given), and `process` runs with ProcessOptions.of(settings, view="intent") and the minilm
embedder: the product's code path and defaults. In the same run, on the SAME MiniLM vectors (read back
from lens's embedding cache), BERTopic with its defaults (UMAP 15/5/0.0 cosine, HDBSCAN
min_cluster_size 10) and scikit-learn K-Means told the true K. Prints clusters, noise share, ARI and
NMI against `category` (noise counted as one group) and seconds; for lens also with every noise point
given to its nearest cluster (assign_noise=True: the clusterer's centroids in the
clustering space; a second run that reuses the stored embeddings and reductions). Writes the same as
JSON to bench/results/intent_banking77.json. The data is read in place, never copied.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lens_core.config import Settings  # noqa: E402
from lens_core.embed import get_embedder  # noqa: E402
from lens_core.embed.views import text_hash  # noqa: E402
from lens_core.ingest.ingestor import ingest_records  # noqa: E402
from lens_core.runs.options import ProcessOptions  # noqa: E402
from lens_core.runs.pipeline import process  # noqa: E402
from lens_core.storage import queries  # noqa: E402
from lens_core.storage.engine import open_engine  # noqa: E402

PLACEHOLDER_OUTPUT = "n/a"
SEED = 42


def row(name: str, labels: np.ndarray, truth: np.ndarray, seconds: float, **extra) -> dict:
    labels = np.asarray(labels)
    return {
        "method": name,
        "clusters": int(len(set(labels.tolist()) - {-1})),
        "noise": round(float((labels == -1).mean()), 3),
        "ARI": round(float(adjusted_rand_score(truth, labels)), 3),
        "NMI": round(float(normalized_mutual_info_score(truth, labels)), 3),
        "seconds": round(seconds, 1),
        **extra,
    }


def run_lens(engine, settings: Settings, frame: pd.DataFrame, embedder, **overrides) -> tuple[ProcessOptions, object, np.ndarray, float]:
    """lens's run with the product's options (plus overrides): options, outcome, labels in row order, seconds."""
    options = ProcessOptions.of(settings, view="intent", embedder="minilm", **overrides)
    started = time.perf_counter()
    outcome = process(engine=engine, settings=settings, options=options, embedder=embedder)
    seconds = time.perf_counter() - started
    assigned = queries.assignments_frame(engine=engine, run_id=outcome.run_id)
    labels = assigned.set_index("evaluation_id")["cluster_id"].reindex(frame["evaluation_id"]).to_numpy()
    return options, outcome, labels, seconds


def event_vectors(engine, embedder, texts: pd.Series) -> np.ndarray:
    """The MiniLM vectors lens computed and cached, one per row."""
    hashes = texts.map(text_hash)
    cached = queries.cached_vectors(engine=engine, model=embedder.model, hashes=hashes.unique().tolist())
    return np.vstack([cached[h] for h in hashes]).astype(np.float32)


def run_bertopic(texts: list[str], vectors: np.ndarray) -> tuple[np.ndarray, float]:
    from bertopic import BERTopic
    from umap import UMAP

    # BERTopic's own default UMAP except for the seed (its default has none), so the run repeats;
    # HDBSCAN is its default (hdbscan.HDBSCAN min_cluster_size 10, euclidean, eom, prediction data).
    umap_model = UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", low_memory=False,
                      random_state=SEED)
    model = BERTopic(umap_model=umap_model, calculate_probabilities=False)
    started = time.perf_counter()
    topics, _ = model.fit_transform(texts, embeddings=vectors)
    return np.asarray(topics), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", type=Path, help="banking77 train.csv (columns text, category)")
    parser.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--skip-bertopic", action="store_true", help="lens and K-Means only")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    data = pd.read_csv(args.csv)
    frame = pd.DataFrame({"evaluation_id": [str(i) for i in range(len(data))], "text": data["text"].astype(str)})
    truth = data["category"].to_numpy()
    tmp = tempfile.TemporaryDirectory()
    url = args.db or f"sqlite:///{tmp.name}/bench.db"
    engine = open_engine(url)
    settings = Settings(_env_file=None, database_url=url)
    started = time.perf_counter()
    report = ingest_records(
        ({"evaluation_id": e, "customer_prompt": t, "skill_output": PLACEHOLDER_OUTPUT}
         for e, t in zip(frame["evaluation_id"], frame["text"])),
        engine=engine, source=args.csv.name,
    )
    print(f"{report.summary_line()} ({time.perf_counter() - started:.1f} s); {len(set(truth))} true intents")

    embedder = get_embedder("minilm", settings)
    options, outcome, labels, lens_seconds = run_lens(engine, settings, frame, embedder)
    rows = [row("lens (intent view, defaults)", labels, truth, lens_seconds, timings=outcome.timings)]
    # The product's option: the same run with noise given to the nearest cluster. It reuses the stored
    # embeddings and reductions, so its seconds are clustering and describing only.
    _, assigned_outcome, assigned, assigned_seconds = run_lens(engine, settings, frame, embedder, assign_noise=True)
    rows.append(row("lens, assign_noise=True", assigned, truth, assigned_seconds, timings=assigned_outcome.timings))

    vectors = event_vectors(engine, embedder, frame["text"])
    cluster_s = lens_seconds - outcome.timings.get("embed", 0.0)
    if not args.skip_bertopic:
        topics, bt_seconds = run_bertopic(frame["text"].tolist(), vectors)
        rows.append(row(f"BERTopic {metadata.version('bertopic')} defaults", topics, truth, bt_seconds))
    started = time.perf_counter()
    k = len(set(truth))
    km = KMeans(n_clusters=k, random_state=SEED, n_init="auto").fit_predict(vectors)
    rows.append(row(f"K-Means true K={k} (384-d)", km, truth, time.perf_counter() - started))

    table = pd.DataFrame(rows).drop(columns=["timings"], errors="ignore")
    print(f"\nlens options: {json.dumps({k: v for k, v in vars(options).items()}, default=str)}")
    print(f"lens stage seconds: {outcome.timings} (lens after embedding: {cluster_s:.1f} s; "
          "BERTopic and K-Means reuse lens's vectors, so their seconds exclude embedding)\n")
    print(table.to_string(index=False))
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    result = {
        "data": str(args.csv), "rows": len(frame), "true_k": k,
        "lens_options": {k: v for k, v in vars(options).items()},
        "versions": {p: metadata.version(p) for p in ("bertopic", "umap-learn", "hdbscan", "fast-hdbscan",
                                                      "scikit-learn", "sentence-transformers", "torch")},
        "runs": rows,
    }
    (out / "intent_banking77.json").write_text(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
