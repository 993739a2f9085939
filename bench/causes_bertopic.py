"""Root causes on the sample telemetry: lens (product defaults, error view) vs BERTopic on the original
design's `customer_prompt + skill_output` text, in one run.

    python bench/causes_bertopic.py [--events data/samples/telemetry.csv] [--db URL]

Ingests the file into a fresh database (a temporary SQLite file unless --db is given) and runs
`process` with the product's defaults (error view). For comparison on the original design's text, lens
with the prompt_output view, and BERTopic 0.17 with its defaults (UMAP 15/5/0.0 cosine, HDBSCAN
min_cluster_size 10) on the same text (lens's prompt_output view: prompt + newline + skill_output,
clipped as lens clips it) embedded by the same MiniLM model (vectors read from lens's cache). ARI and
NMI are against the true root cause in telemetry.truth.csv, noise counted as one group. Prints a table
and writes the same as JSON to bench/results/causes_bertopic.json.
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
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lens_core.config import Settings  # noqa: E402
from lens_core.embed import get_embedder  # noqa: E402
from lens_core.embed.cache import embed_cached  # noqa: E402
from lens_core.embed.views import build_view, text_hash  # noqa: E402
from lens_core.ingest.ingestor import ingest_file  # noqa: E402
from lens_core.runs.options import ProcessOptions  # noqa: E402
from lens_core.runs.pipeline import process  # noqa: E402
from lens_core.storage import queries  # noqa: E402
from lens_core.storage.engine import open_engine  # noqa: E402

SEED = 42


def row(method: str, text: str, labels: np.ndarray, truth: np.ndarray, seconds: float) -> dict:
    labels = np.asarray(labels)
    return {
        "method": method,
        "text": text,
        "clusters": int(len(set(labels.tolist()) - {-1})),
        "noise": round(float((labels == -1).mean()), 3),
        "ARI": round(float(adjusted_rand_score(truth, labels)), 3),
        "NMI": round(float(normalized_mutual_info_score(truth, labels)), 3),
        "seconds": round(seconds, 1),
    }


def lens_labels(engine, settings: Settings, embedder, view: str, evaluation_ids: pd.Series) -> tuple[np.ndarray, float]:
    options = ProcessOptions.of(settings, view=view, embedder="minilm")
    started = time.perf_counter()
    outcome = process(engine=engine, settings=settings, options=options, embedder=embedder)
    seconds = time.perf_counter() - started
    frame = queries.assignments_frame(engine=engine, run_id=outcome.run_id).set_index("evaluation_id")
    return frame["cluster_id"].reindex(evaluation_ids).to_numpy(), seconds


def bertopic_labels(texts: list[str], vectors: np.ndarray) -> tuple[np.ndarray, float]:
    from bertopic import BERTopic
    from umap import UMAP

    # BERTopic's default UMAP plus a seed, so that the run repeats; everything else its defaults.
    umap_model = UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", low_memory=False,
                      random_state=SEED)
    started = time.perf_counter()
    topics, _ = BERTopic(umap_model=umap_model, calculate_probabilities=False).fit_transform(texts, embeddings=vectors)
    return np.asarray(topics), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=Path, default=ROOT / "data" / "samples" / "telemetry.csv")
    parser.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    truth_frame = pd.read_csv(args.events.with_name(args.events.stem + ".truth.csv"))
    truth_by_id = truth_frame.set_index("evaluation_id")["root_cause"]
    tmp = tempfile.TemporaryDirectory()
    url = args.db or f"sqlite:///{tmp.name}/bench.db"
    engine = open_engine(url)
    settings = Settings(_env_file=None, database_url=url)
    report = ingest_file(args.events, engine=engine)
    print(f"{report.summary_line()}; {truth_by_id.nunique()} true causes")

    events = queries.load_events_frame(engine=engine)
    ids = events["evaluation_id"]
    truth = truth_by_id.loc[ids].to_numpy()
    embedder = get_embedder("minilm", settings)
    rows = []
    labels, seconds = lens_labels(engine, settings, embedder, "error", ids)
    rows.append(row("lens defaults", "error view", labels, truth, seconds))
    labels, seconds = lens_labels(engine, settings, embedder, "prompt_output", ids)
    rows.append(row("lens, prompt_output view", "customer_prompt + skill_output", labels, truth, seconds))

    texts = build_view("prompt_output", events)
    hashes = texts.map(text_hash)
    unique = hashes.drop_duplicates()
    started = time.perf_counter()
    vectors, _ = embed_cached(texts.loc[unique.index].tolist(), unique.tolist(), embedder=embedder, engine=engine)
    embed_s = time.perf_counter() - started  # from the cache the lens run above filled
    by_hash = dict(zip(unique, vectors))
    event_vectors = np.vstack([by_hash[h] for h in hashes])
    topics, seconds = bertopic_labels(texts.tolist(), event_vectors)
    rows.append(row(f"BERTopic {metadata.version('bertopic')} defaults", "customer_prompt + skill_output",
                    topics, truth, seconds + embed_s))

    table = pd.DataFrame(rows)
    print(f"\nembedder {embedder.model}; lens defaults: {ProcessOptions.of(settings)}\n")
    print(table.to_string(index=False))
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    result = {
        "events": str(args.events), "n_events": len(events), "true_causes": int(truth_by_id.nunique()),
        "versions": {p: metadata.version(p) for p in ("bertopic", "umap-learn", "hdbscan", "fast-hdbscan")},
        "runs": rows,
    }
    (out / "causes_bertopic.json").write_text(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
