"""lens end to end at scale, stage by stage, against BERTopic on the same events (issue 7).

    python bench/pipeline.py --events 100000 [--db sqlite|postgres] [--runs N] [--skip-bertopic]
                             [--skip-starts] [--small 5000] [--fit-sample 20000,500] [--seed 7]
                             [--pg-url URL] [--out bench/results/pipeline.json]

1. Writes sample telemetry of that size (lens_core.samples.generator, with its true root causes) to a temp folder.
2. lens into a fresh database (a temp SQLite file, or a new PostgreSQL schema that is dropped after):
   ingest (validate, parse, fingerprint, store), with parse+fingerprint also timed alone, then `process`
   with the product's defaults; per stage: seconds, events/s, texts embedded, RSS at the stage start, the
   stage's own peak RSS (VmHWM reset per stage) and the process's peak. Then a second `process` on the
   unchanged data (must embed nothing), a re-cluster with min_cluster_size 15 (must reuse the stored
   embeddings and reductions), and, where ProcessOptions has `fit_sample`, runs with fit_sample=N for each
   N in --fit-sample (default 20000 and 500: a sample only changes anything when the run has more
   distinct texts than N), each compared with the full fit (ARI between the two runs' labels). ARI/NMI
   by root cause (noise as one group, as sample_quality.py scores) at this size and at --small events
   of the same generator and seed.
3. BERTopic 0.17 with its defaults (its own UMAP and HDBSCAN, no seed) on the original design's text
   (lens's prompt_output view: customer_prompt + newline + skill_output) embedded by the same MiniLM
   weights, timed end to end in this process (model load and embedding of every event included).
4. First and second start: two fresh interpreters run `process` on a copy of a small ingested database
   with one fresh, empty LENS_NUMBA_CACHE_DIR; the second must find numba's compiled code on disk.

Prints tables and the machine, and writes everything as JSON (default bench/results/pipeline.json).
With --runs N the lens ingest+process is repeated on fresh databases (extras in the first run only).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import fields
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.benchlib import (
    DEFAULT_PG_URL,
    PYTHON,
    RESULTS,
    Meter,
    fresh_database,
    machine,
    machine_line,
    ru_maxrss_mb,
    show,
    write_json,
)
from bench.sample_quality import score, truth_path
from lens_core.config import Settings
from lens_core.embed import get_embedder
from lens_core.embed.views import build_view
from lens_core.ingest.ingestor import DEFAULT_MAX_CHARS, ingest_file
from lens_core.ingest.readers import read_file
from lens_core.ingest.validate import validate_record
from lens_core.parse.fingerprint import Fingerprinter
from lens_core.parse.parsing import ErrorParser
from lens_core.runs.options import ProcessOptions
from lens_core.runs.pipeline import process
from lens_core.samples.generator import write_samples
from lens_core.storage import queries
from lens_core.storage.engine import open_engine

RECLUSTER_MIN_CLUSTER_SIZE = 15
NUMBA_START_EVENTS = 2000


# ---- lens -----------------------------------------------------------------------------------------------

def generate(folder: Path, n: int, seed: int) -> tuple[Path, pd.Series, float]:
    started = time.perf_counter()
    events, _ = write_samples(folder / f"telemetry_{n}.csv", n=n, seed=seed)
    seconds = time.perf_counter() - started
    truth = pd.read_csv(truth_path(events)).set_index("evaluation_id")["root_cause"]
    return events, truth, seconds


def parse_fingerprint_alone(path: Path, meter: Meter) -> dict[str, Any]:
    """What ingest does before storing, timed apart: read+validate, then parse+fingerprint."""
    with meter.stage("read+validate"):
        events = [validate_record(rec, source=path.name, row=n, max_chars=DEFAULT_MAX_CHARS)
                  for n, rec in read_file(path)]
    parser, fingerprinter = ErrorParser(), Fingerprinter()
    with meter.stage("parse+fingerprint"):
        hashes = {fingerprinter.fingerprint(parser.parse(e.skill_output, skill_input=e.skill_input)).hash
                  for e in events}
    return {"events": len(events), "fingerprints": len(hashes)}


def run_process(engine, settings: Settings, options: ProcessOptions, embedder) -> tuple[Any, Meter, float]:
    meter = Meter()
    started = time.perf_counter()
    outcome = process(engine=engine, settings=settings, options=options, embedder=embedder, progress=meter.progress)
    meter.stop()
    return outcome, meter, time.perf_counter() - started


def labels_of(engine, run_id: int) -> pd.Series:
    return queries.assignments_frame(engine=engine, run_id=run_id).set_index("evaluation_id")["cluster_id"]


def run_summary(outcome, seconds: float, engine, truth: pd.Series) -> dict[str, Any]:
    ari, nmi = score(engine, outcome.run_id, truth)
    return {"seconds": round(seconds, 3), "clusters": outcome.n_clusters, "noise": round(outcome.noise_share, 4),
            "ARI": round(ari, 4), "NMI": round(nmi, 4), "counts": outcome.counts, "timings": outcome.timings}


def stage_rows(meter: Meter, n_events: int, counts: dict[str, Any], timings: dict | None = None) -> list[dict]:
    rows = []
    for name, m in meter.stages.items():
        seconds = (timings or {}).get(name, m["seconds"])
        rows.append({"stage": name, "seconds": round(seconds, 2),
                     "events/s": round(n_events / seconds) if seconds > 0 else None,
                     "embedded": counts.get("embedded") if name == "embed" else None,
                     "rss_start_MB": m["rss_start_mb"], "stage_peak_MB": m["peak_mb"],
                     "peak_increase_MB": m["peak_increase_mb"]})
    return rows


def lens_run(events: Path, truth: pd.Series, args: argparse.Namespace, *, extras: bool) -> dict[str, Any]:
    """Ingest + process into a fresh database; with extras also the follow-up runs and BERTopic's text."""
    with fresh_database(args.db, pg_url=args.pg_url) as url:
        engine = open_engine(url)
        settings = Settings(_env_file=None, database_url=url)
        embedder = get_embedder("minilm", settings)
        options = ProcessOptions.of(settings)
        result: dict[str, Any] = {"events": len(truth), "db": args.db, "options": str(options)}
        ingest_meter = Meter()
        if extras:
            result["parse_alone"] = parse_fingerprint_alone(events, ingest_meter)
        with ingest_meter.stage("ingest"):
            report = ingest_file(events, engine=engine)
        result["ingest_report"] = report.summary_line()
        outcome, meter, seconds = run_process(engine, settings, options, embedder)
        result["first"] = run_summary(outcome, seconds, engine, truth)
        result["ingest_stages"] = stage_rows(ingest_meter, len(truth), {})
        result["process_stages"] = stage_rows(meter, len(truth), outcome.counts, outcome.timings)
        result["end_to_end_s"] = round(ingest_meter.stages["ingest"]["seconds"] + seconds, 2)
        if extras:
            result.update(follow_ups(engine, settings, options, embedder, truth, labels_of(engine, outcome.run_id),
                                     [int(x) for x in args.fit_sample.split(",") if x]))
            frame = queries.load_events_frame(engine=engine)
            result["bertopic_input"] = (build_view("prompt_output", frame).tolist(),
                                        truth.loc[frame["evaluation_id"]].to_numpy())
        result["peak_rss_mb"] = round(max(ingest_meter.peak_mb, meter.peak_mb, ru_maxrss_mb()))
        engine.dispose()
    return result


def follow_ups(engine, settings, options, embedder, truth: pd.Series, full_labels: pd.Series,
               fit_samples: list[int]) -> dict[str, Any]:
    """Second process on unchanged data, a re-cluster with another parameter, and fit_sample if it exists."""
    found: dict[str, Any] = {}
    outcome, _, seconds = run_process(engine, settings, options, embedder)
    found["second"] = run_summary(outcome, seconds, engine, truth)
    recluster = options.but(min_cluster_size=RECLUSTER_MIN_CLUSTER_SIZE)
    outcome, _, seconds = run_process(engine, settings, recluster, embedder)
    found["recluster"] = run_summary(outcome, seconds, engine, truth)
    if "fit_sample" not in {f.name for f in fields(ProcessOptions)}:
        found["fit_sample"] = [{"skipped": "ProcessOptions has no fit_sample field"}]
        return found
    found["fit_sample"] = []
    for size in fit_samples:
        outcome, _, seconds = run_process(engine, settings, options.but(fit_sample=size), embedder)
        sampled = labels_of(engine, outcome.run_id).reindex(full_labels.index)
        found["fit_sample"].append({"fit_sample": size, **run_summary(outcome, seconds, engine, truth),
                                    "ARI_vs_full_fit": round(adjusted_rand_score(full_labels, sampled), 4)})
    return found


# ---- BERTopic -------------------------------------------------------------------------------------------

def bertopic_run(texts: list[str], truth: np.ndarray) -> dict[str, Any]:
    """BERTopic defaults end to end: model load, embedding every text, UMAP, HDBSCAN, c-TF-IDF."""
    from bertopic import BERTopic
    from sentence_transformers import SentenceTransformer

    from lens_core.embed.minilm import bundled_model_path

    meter = Meter()
    with meter.stage("bertopic"):
        model = SentenceTransformer(str(bundled_model_path()), device="cpu")
        topics, _ = BERTopic(embedding_model=model).fit_transform(texts)
    labels, measured = np.asarray(topics), meter.stages["bertopic"]
    return {"version": metadata.version("bertopic"), "texts": len(texts), "seconds": measured["seconds"],
            "clusters": len(set(labels.tolist()) - {-1}), "noise": round(float((labels == -1).mean()), 4),
            "ARI": round(float(adjusted_rand_score(truth, labels)), 4),
            "NMI": round(float(normalized_mutual_info_score(truth, labels)), 4),
            "peak_increase_mb": measured["peak_increase_mb"], "peak_mb": measured["peak_mb"]}


# ---- first and second start -----------------------------------------------------------------------------

START_CODE = """
import json, sys, time
t0 = time.perf_counter()
from lens_core.config import Settings
from lens_core.embed import get_embedder
from lens_core.runs.options import ProcessOptions
from lens_core.runs.pipeline import process
from lens_core.storage.engine import open_engine
settings = Settings(_env_file=None, database_url=sys.argv[1])
engine = open_engine(sys.argv[1])
t1 = time.perf_counter()
out = process(engine=engine, settings=settings, options=ProcessOptions.of(settings),
              embedder=get_embedder("minilm", settings))
t2 = time.perf_counter()
print(json.dumps({"imports_s": t1 - t0, "process_s": t2 - t1, "timings": out.timings,
                  "embedded": out.counts["embedded"]}))
"""


def numba_starts(folder: Path, seed: int) -> list[dict[str, Any]]:
    """Two fresh interpreters, one empty numba cache: the first compiles, the second must not."""
    events, _ = write_samples(folder / "start.csv", n=NUMBA_START_EVENTS, seed=seed)
    template = folder / "start.db"
    engine = open_engine(f"sqlite:///{template}")
    ingest_file(events, engine=engine)
    engine.dispose()
    cache = folder / "numba"
    cache.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}  # lens sets it in this process
    env["LENS_NUMBA_CACHE_DIR"] = str(cache)
    rows = []
    for start in ("first", "second"):
        db = folder / f"{start}.db"
        shutil.copy(template, db)
        started = time.perf_counter()
        done = subprocess.run([str(PYTHON), "-c", START_CODE, f"sqlite:///{db}"], cwd=ROOT, env=env,
                              capture_output=True, text=True, check=True)
        wall = time.perf_counter() - started
        found = json.loads(done.stdout.strip().splitlines()[-1])
        rows.append({"start": start, "wall_s": round(wall, 2), "imports_s": round(found["imports_s"], 2),
                     "process_s": round(found["process_s"], 2),
                     **{f"{k}_s": round(v, 2) for k, v in found["timings"].items()},
                     "embedded": found["embedded"], "cache_files_after": sum(1 for _ in cache.rglob("*.nbi"))})
    return rows


# ---- report ---------------------------------------------------------------------------------------------

def follow_up_rows(run: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    runs = [("process, defaults", run["first"]), ("process again, data unchanged", run["second"]),
            (f"re-cluster, min_cluster_size {RECLUSTER_MIN_CLUSTER_SIZE}", run["recluster"])]
    runs += [(f"fit_sample={r.get('fit_sample', '-')}", r) for r in run.get("fit_sample", [])]
    for what, r in runs:
        if "seconds" not in r:
            rows.append({"run": what, "seconds": r.get("skipped", "-")})
            continue
        c = r["counts"]
        rows.append({"run": what, "seconds": r["seconds"], "embedded": c.get("embedded"),
                     "unique_texts": c.get("unique_texts"), "reduction_reused": c.get("reduction_reused"),
                     "map_reused": c.get("map_reused"), "clusters": r["clusters"], "noise": r["noise"],
                     "ARI": r["ARI"], "NMI": r["NMI"], "ARI_vs_full": r.get("ARI_vs_full_fit", "")})
    return rows


INGEST_TARGET = {"sqlite": 20_000, "postgres": 10_000}  # events/s, the targets per database


def ingest_rate(run: dict[str, Any]) -> int:
    return next(row["events/s"] for row in run["ingest_stages"] if row["stage"] == "ingest")


def targets(runs: list[dict[str, Any]], small: dict[str, Any], bert: dict[str, Any] | None,
            starts: list[dict]) -> list[dict]:
    big = runs[0]
    rate = statistics.median(ingest_rate(run) for run in runs)
    wanted = INGEST_TARGET[big["db"]]
    rows = [
        {"check": f"ingest events/s >= {wanted:,} ({big['db']}, median of {len(runs)} run(s))", "value": rate,
         "ok": rate >= wanted},
        {"check": "second process embeds nothing", "value": big["second"]["counts"]["embedded"],
         "ok": big["second"]["counts"]["embedded"] == 0},
        {"check": "re-cluster < 2 s", "value": big["recluster"]["seconds"], "ok": big["recluster"]["seconds"] < 2},
        {"check": f"ARI at {big['events']} >= ARI at {small['events']}",
         "value": f"{big['first']['ARI']} vs {small['first']['ARI']}",
         "ok": big["first"]["ARI"] >= small["first"]["ARI"]},
    ]
    if starts:
        first, second = starts
        rows.append({"check": "second start: reduce+cluster+map < 5 s (nothing compiled)",
                     "value": f"{first['reduce_s'] + first['cluster_s'] + first['map_s']:.1f} -> "
                              f"{second['reduce_s'] + second['cluster_s'] + second['map_s']:.1f} s",
                     "ok": second["reduce_s"] + second["cluster_s"] + second["map_s"] < 5})
    if bert:
        ratio = bert["seconds"] / big["end_to_end_s"]
        rows.append({"check": "BERTopic s / lens end-to-end s >= 3", "value": round(ratio, 2), "ok": ratio >= 3})
    for r in big.get("fit_sample", []):
        if "ARI_vs_full_fit" in r:
            fitted = "" if r["fit_sample"] < r["counts"]["unique_texts"] else " (all texts fitted: no sample)"
            rows.append({"check": f"fit_sample={r['fit_sample']} ARI vs full fit >= 0.9{fitted}",
                         "value": r["ARI_vs_full_fit"], "ok": r["ARI_vs_full_fit"] >= 0.9})
    return rows


def report(result: dict[str, Any]) -> None:
    big, small, bert = result["lens"][0], result["lens_small"], result.get("bertopic")
    print("\n" + machine_line(result["machine"]))
    print(f"{big['events']} events on {big['db']}: {big['ingest_report']}; generation {result['generate_s']:.1f} s")
    show("ingest (parse+fingerprint and read+validate also timed alone, before ingest)", big["ingest_stages"])
    show(f"process, defaults ({big['first']['counts']['unique_texts']} distinct texts)", big["process_stages"])
    print(f"\nlens end to end (ingest + process): {big['end_to_end_s']} s; peak RSS {big['peak_rss_mb']} MB")
    if len(result["lens"]) > 1:
        times = [r["end_to_end_s"] for r in result["lens"]]
        print(f"end to end over {len(times)} runs: {times}, median {statistics.median(times)} s")
        rates = [ingest_rate(r) for r in result["lens"]]
        print(f"ingest events/s over {len(rates)} runs: {rates}, median {statistics.median(rates)}")
    show("follow-up runs on the same database", follow_up_rows(big))
    quality = [{"events": r["events"], "clusters": r["first"]["clusters"], "noise": r["first"]["noise"],
                "ARI": r["first"]["ARI"], "NMI": r["first"]["NMI"], "end_to_end_s": r["end_to_end_s"]}
               for r in (small, big)]
    show("lens by root cause, same generator and seed", quality)
    if bert:
        show("BERTopic defaults on customer_prompt + skill_output, same MiniLM, end to end",
             [{k: v for k, v in bert.items() if k != "version"}])
    if result["numba_starts"]:
        show(f"first and second start ({NUMBA_START_EVENTS} events), one fresh LENS_NUMBA_CACHE_DIR",
             result["numba_starts"])
    show("targets", result["targets"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=5000, help="the smaller run ARI is compared with")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="server for --db postgres (a schema is made)")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-bertopic", action="store_true")
    parser.add_argument("--fit-sample", default="20000,500", help="fit_sample sizes to compare with the full fit")
    parser.add_argument("--skip-starts", action="store_true", help="leave out the first/second start check")
    parser.add_argument("--out", type=Path, default=RESULTS / "pipeline.json")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    result: dict[str, Any] = {"machine": machine(), "args": vars(args)}
    print(machine_line(result["machine"]))
    with tempfile.TemporaryDirectory(prefix="lens-pipeline-") as tmp:
        folder = Path(tmp)
        result["numba_starts"] = [] if args.skip_starts else numba_starts(folder, args.seed)
        events, truth, result["generate_s"] = generate(folder, args.events, args.seed)
        runs = [lens_run(events, truth, args, extras=i == 0) for i in range(args.runs)]
        small_events, small_truth, _ = generate(folder, args.small, args.seed)
        result["lens_small"] = lens_run(small_events, small_truth, args, extras=False)
    texts, bert_truth = runs[0].pop("bertopic_input")
    result["lens"] = runs
    if not args.skip_bertopic:
        result["bertopic"] = bertopic_run(texts, bert_truth)
        ratio = result["bertopic"]["seconds"] / runs[0]["end_to_end_s"]
        result["bertopic"]["ratio_to_lens_end_to_end"] = round(ratio, 2)
    del texts
    result["targets"] = targets(runs, result["lens_small"], result.get("bertopic"), result["numba_starts"])
    result["machine"]["loadavg_at_end"] = os.getloadavg()
    result["numba_cache_dir_main"] = os.environ.get("NUMBA_CACHE_DIR")
    report(result)
    write_json(args.out, result)


if __name__ == "__main__":
    main()
