"""process --fit-sample at scale (issue 7): time, memory and agreement with the full fit.

    python bench/fit_sample.py --events 100000 --fit-sample 20000,10000 [--full] [--view intent]
                               [--embedder hashing] [--seed 7] [--out bench/results/fit_sample.json]

Writes sample telemetry of that size, ingests it into a fresh SQLite file, then runs `process` with each
--fit-sample size (and, with --full, once fitting every distinct text, for the ARI of each sampled run
against it, and once more with another random_state: how well the full fit agrees with itself). The intent view is the default here: the error view of the sample telemetry has about a
thousand distinct texts at any size, so a sample would change nothing; customer prompts are mostly
distinct (a third of the events at 100k), which is the case fit_sample is for. Per run: seconds per
stage, distinct texts fitted and assigned, clusters, noise, peak RSS of the process so far, ARI/NMI by
root cause, and ARI against the full fit.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from sklearn.metrics import adjusted_rand_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.benchlib import RESULTS, Meter, machine, machine_line, ru_maxrss_mb, show, write_json
from bench.sample_quality import score, truth_path
from lens_core.config import Settings
from lens_core.embed import get_embedder
from lens_core.ingest.ingestor import ingest_file
from lens_core.runs.options import ProcessOptions
from lens_core.runs.pipeline import process
from lens_core.samples.generator import write_samples
from lens_core.storage import queries
from lens_core.storage.engine import open_engine


def run(engine, settings: Settings, options: ProcessOptions, embedder, truth: pd.Series) -> tuple[dict, pd.Series]:
    started = time.perf_counter()
    outcome = process(engine=engine, settings=settings, options=options, embedder=embedder)
    seconds = time.perf_counter() - started
    labels = queries.assignments_frame(engine=engine, run_id=outcome.run_id).set_index("evaluation_id")["cluster_id"]
    ari, nmi = score(engine, outcome.run_id, truth)
    row = {"fit_sample": options.fit_sample or "all", "seconds": round(seconds, 1),
           "distinct": outcome.counts["unique_texts"], "fitted": outcome.counts.get("fitted_texts", "all"),
           "assigned": outcome.counts.get("assigned_texts", 0), "clusters": outcome.n_clusters,
           "noise": round(outcome.noise_share, 3), "ARI_cause": round(ari, 3), "NMI_cause": round(nmi, 3),
           "peak_rss_MB": round(ru_maxrss_mb()), **{f"{k}_s": v for k, v in outcome.timings.items()}}
    return row, labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--fit-sample", default="20000,10000")
    parser.add_argument("--full", action="store_true", help="also fit on all distinct texts, for ARI vs full")
    parser.add_argument("--view", default="intent")
    parser.add_argument("--embedder", default="hashing")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=RESULTS / "fit_sample.json")
    args = parser.parse_args()
    info = machine()
    print(machine_line(info))

    with tempfile.TemporaryDirectory(prefix="lens-fit-sample-") as folder:
        meter = Meter()
        with meter.stage("generate"):
            events, _ = write_samples(Path(folder) / "telemetry.csv", n=args.events, seed=args.seed)
        truth = pd.read_csv(truth_path(events)).set_index("evaluation_id")["root_cause"]
        engine = open_engine(f"sqlite:///{folder}/lens.db")
        with meter.stage("ingest"):
            report = ingest_file(events, engine=engine)
        print(f"{report.summary_line()}; generated in {meter.stages['generate']['seconds']:.1f} s")
        settings = Settings(_env_file=None, embedding_backend=args.embedder)
        embedder = get_embedder(args.embedder, settings)
        base = ProcessOptions.of(embedder=args.embedder, view=args.view)
        sizes = [int(x) for x in args.fit_sample.split(",") if x]
        rows, full_labels = [], None
        # Sampled runs first: the first run also embeds every distinct text, which the table shows apart.
        for size in sizes:
            row, labels = run(engine, settings, base.but(fit_sample=size), embedder, truth)
            rows.append((row, labels))
        if args.full:
            row, full_labels = run(engine, settings, base, embedder, truth)
            rows.append((row, full_labels))
            # The ceiling for "agrees with the full fit": the full fit against itself with another seed.
            row, labels = run(engine, settings, base.but(random_state=7), embedder, truth)
            row["fit_sample"] = "all, random_state 7"
            rows.append((row, labels))
        table = []
        for row, labels in rows:
            if full_labels is not None:
                row["ARI_vs_full"] = round(adjusted_rand_score(full_labels, labels.reindex(full_labels.index)), 3)
            table.append(row)
        engine.dispose()

    title = f"{args.events} events, {args.view} view, {args.embedder} embedder"
    show(title, table)
    write_json(args.out, {"machine": info, "args": {k: str(v) for k, v in vars(args).items()},
                          "ingest": report.summary_line(), "ingest_s": meter.stages["ingest"]["seconds"],
                          "runs": table})


if __name__ == "__main__":
    main()
