"""ARI and NMI of lens's clusters against the sample telemetry's true root causes, per view.

    python bench/sample_quality.py [--events data/samples/telemetry.csv] [--embedder minilm] [--db URL]

Ingests the file into a fresh database (a temporary SQLite file unless --db is given), runs `process`
with the product's defaults for each view and prints a table: clusters, noise share, ARI and NMI by root
cause (noise counted as one group, as an analyst sees it), and the stage timings. Writes the same as JSON
to bench/results/sample_quality.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lens_core.config import Settings  # noqa: E402
from lens_core.embed import get_embedder  # noqa: E402
from lens_core.ingest.ingestor import ingest_file  # noqa: E402
from lens_core.runs.options import ProcessOptions  # noqa: E402
from lens_core.runs.pipeline import process  # noqa: E402
from lens_core.storage import queries  # noqa: E402
from lens_core.storage.engine import open_engine  # noqa: E402

VIEWS = ("error", "intent", "prompt_output", "input_output")


def truth_path(events: Path) -> Path:
    return events.with_name(events.stem + ".truth.csv")


def score(engine, run_id: int, truth: pd.Series) -> tuple[float, float]:
    frame = queries.assignments_frame(engine=engine, run_id=run_id).set_index("evaluation_id")
    causes = truth.loc[frame.index]
    return (
        adjusted_rand_score(causes, frame["cluster_id"]),
        normalized_mutual_info_score(causes, frame["cluster_id"]),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=Path, default=ROOT / "data" / "samples" / "telemetry.csv")
    parser.add_argument("--embedder", default="minilm", choices=["minilm", "hashing", "openai"])
    parser.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--views", default=",".join(VIEWS))
    args = parser.parse_args()

    truth = pd.read_csv(truth_path(args.events)).set_index("evaluation_id")["root_cause"]
    tmp = tempfile.TemporaryDirectory()
    url = args.db or f"sqlite:///{tmp.name}/bench.db"
    engine = open_engine(url)
    settings = Settings(_env_file=None, database_url=url)
    started = time.perf_counter()
    report = ingest_file(args.events, engine=engine)
    ingest_seconds = time.perf_counter() - started
    print(f"{report.summary_line()}; {truth.nunique()} true causes")

    rows = []
    embedder = get_embedder(args.embedder, settings)  # one model load for every view
    for view in args.views.split(","):
        options = ProcessOptions.of(settings, view=view, embedder=args.embedder)
        outcome = process(engine=engine, settings=settings, options=options, embedder=embedder)
        ari, nmi = score(engine, outcome.run_id, truth)
        rows.append({
            "view": view, "clusters": outcome.n_clusters, "noise": round(outcome.noise_share, 3),
            "ARI": round(ari, 3), "NMI": round(nmi, 3), "embedded": outcome.counts["embedded"],
            **{f"{k}_s": v for k, v in outcome.timings.items()},
            "total_s": round(sum(outcome.timings.values()), 2),
        })
    table = pd.DataFrame(rows)
    print(f"\ningest {ingest_seconds:.2f} s; embedder {args.embedder}; defaults HDBSCAN "
          f"min_cluster_size {settings.min_cluster_size}, min_samples {settings.min_samples}\n")
    print(table.to_string(index=False))
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "sample_quality.json").write_text(json.dumps({"ingest_s": ingest_seconds, "runs": rows}, indent=2))


if __name__ == "__main__":
    main()
