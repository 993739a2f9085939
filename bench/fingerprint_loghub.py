"""lens's template miner vs Drain3 (default configuration) on the loghub 2k sets, in the same run.

    python bench/fingerprint_loghub.py ../shared/datasets/loghub_2k [--only HDFS,BGL]

Each dataset's `Content` column goes through the product's code: lens_core.parse.fingerprint.mask_message
(what fingerprints every skill_output message at ingest) gives each line its template, then
lens_core.parse.pattern_miner.mine_templates mines the distinct templates weighted by their line counts, as the
describe stage does with each cluster's fingerprints (the "message patterns" of the evidence). One
generic configuration. drain3.TemplateMiner() runs with its defaults on the same lines. Prints per
dataset GA, FGA, predicted and true group counts and lines per second for both, a mean row last, and
writes the same as JSON to bench/results/fingerprint_loghub.json. Needs bench/requirements.txt (drain3).

"lens ingest" is the product path: each line is an event (evaluation_id = LineId, skill_output = the
Content text, a placeholder customer_prompt) stored by lens_core.ingest.ingestor.ingest_records into a
fresh SQLite database, so the parser reads each line first; the group of a line is the message pattern
stored for its event (lens_core.ingest.message_patterns, mined at the end of the ingest). Its lines/s is
the whole ingest, database writes included. A line the ingest rejects is a group of its own.

GA and FGA as defined in ../shared/datasets/README.md: rows with an empty EventId are dropped; a
message is correct for GA only when its predicted group holds exactly the messages of its true group;
FGA is the F1 of predicted groups that equal a true group (precision over predicted groups, recall over
true groups).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Hashable, Sequence

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lens_core.parse.fingerprint import clear_caches, mask_message  # noqa: E402
from lens_core.parse.pattern_miner import mine_templates  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "fingerprint_loghub.json"


def _groups(labels: Sequence[Hashable], keep: Sequence[int]) -> dict[Hashable, frozenset[int]]:
    members: dict[Hashable, set[int]] = defaultdict(set)
    for i in keep:
        members[labels[i]].add(i)
    return {key: frozenset(value) for key, value in members.items()}


def grouping_scores(truth: Sequence[str], predicted: Sequence[Hashable]) -> dict[str, float | int]:
    """GA and FGA over the rows whose truth is not empty, with the group counts they were computed on."""
    keep = [i for i, t in enumerate(truth) if t]
    true_sets = set(_groups(truth, keep).values())
    pred_groups = _groups(predicted, keep)
    exact = [g for g in pred_groups.values() if g in true_sets]
    ga = sum(len(g) for g in exact) / len(keep) if keep else 0.0
    precision = len(exact) / len(pred_groups) if pred_groups else 0.0
    recall = len(exact) / len(true_sets) if true_sets else 0.0
    fga = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"ga": ga, "fga": fga, "predicted": len(pred_groups), "true": len(true_sets)}


def run_lens(messages: list[str]) -> tuple[list[str], float]:
    clear_caches()  # each dataset from a cold start, as Drain3 starts each from a fresh miner
    start = time.perf_counter()
    templates = [mask_message(m) for m in messages]
    counts = Counter(templates)
    distinct = sorted(counts)
    mined = dict(zip(distinct, mine_templates(distinct, [counts[t] for t in distinct])))
    labels = [mined[t] for t in templates]
    return labels, time.perf_counter() - start


def run_ingest(messages: list[str]) -> tuple[list[str], float]:
    """Each line ingested as an event into a temporary SQLite database; its stored message pattern."""
    import tempfile

    from lens_core.ingest.ingestor import ingest_records
    from lens_core.storage import queries
    from lens_core.storage.engine import open_engine

    clear_caches()
    with tempfile.TemporaryDirectory() as folder:
        engine = open_engine(f"sqlite:///{Path(folder) / 'lens.db'}")
        records = [{"evaluation_id": str(i), "customer_prompt": "-", "skill_output": m} for i, m in enumerate(messages)]
        start = time.perf_counter()
        ingest_records(records, engine=engine, source="loghub", workers=0)
        seconds = time.perf_counter() - start
        frame = queries.load_events_frame(engine=engine, columns=("evaluation_id", "fingerprint"))
        engine.dispose()
    stored = dict(zip(frame["evaluation_id"], frame["message_pattern"]))
    labels = [stored.get(str(i), f"rejected line {i}") for i in range(len(messages))]
    return labels, seconds


def run_drain3(messages: list[str]) -> tuple[list[int], float]:
    from drain3 import TemplateMiner as Drain3Miner  # bench-only dependency (bench/requirements.txt)

    miner = Drain3Miner()  # built outside the timing: the config file lookup is not parsing
    start = time.perf_counter()
    labels = [miner.add_log_message(m)["cluster_id"] for m in messages]
    return labels, time.perf_counter() - start


def bench_dataset(path: Path) -> dict[str, dict]:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    messages, truth = frame["Content"].tolist(), frame["EventId"].tolist()
    row: dict[str, dict] = {}
    for name, runner in (("lens", run_lens), ("ingest", run_ingest), ("drain3", run_drain3)):
        labels, seconds = runner(messages)
        scores = grouping_scores(truth, labels)
        scores["lines_per_s"] = len(messages) / seconds if seconds else float("inf")
        scores["lines"], scores["seconds"] = len(messages), seconds
        row[name] = scores
    return row


def mean_row(rows: dict[str, dict]) -> dict[str, dict]:
    """Means over the datasets; lines/s is all lines over all seconds (a mean of rates would let the
    fastest small sets weigh as much as the slow ones)."""
    mean: dict[str, dict] = {}
    for tool in ("lens", "ingest", "drain3"):
        values = [r[tool] for r in rows.values()]
        mean[tool] = {k: sum(v[k] for v in values) / len(values) for k in values[0]}
        mean[tool]["lines_per_s"] = sum(v["lines"] for v in values) / sum(v["seconds"] for v in values)
    return mean


def print_table(rows: dict[str, dict]) -> None:
    head = (f"{'dataset':<12}| {'lens GA':>7} {'FGA':>6} {'pred':>5} {'true':>5} {'lines/s':>9} "
            f"| {'lens ingest GA':>14} {'FGA':>6} {'pred':>5} {'lines/s':>9} "
            f"| {'drain3 GA':>9} {'FGA':>6} {'pred':>5} {'lines/s':>9}")
    print(head)
    print("-" * len(head))
    for name, r in rows.items():
        lens, ingest, drain = r["lens"], r["ingest"], r["drain3"]
        print(f"{name:<12}| {lens['ga']:7.3f} {lens['fga']:6.3f} {lens['predicted']:5.0f} {lens['true']:5.0f} "
              f"{lens['lines_per_s']:9.0f} | {ingest['ga']:14.3f} {ingest['fga']:6.3f} {ingest['predicted']:5.0f} "
              f"{ingest['lines_per_s']:9.0f} | {drain['ga']:9.3f} {drain['fga']:6.3f} {drain['predicted']:5.0f} "
              f"{drain['lines_per_s']:9.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="folder holding <DS>/<DS>_2k.log_structured.csv")
    parser.add_argument("--only", help="comma-separated dataset names (default: all)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    logging.getLogger("drain3").setLevel(logging.ERROR)  # it warns that no drain3.ini is present

    paths = sorted(args.root.glob("*/*_2k.log_structured.csv"))
    if args.only:
        wanted = set(args.only.split(","))
        paths = [p for p in paths if p.parent.name in wanted]
    if not paths:
        sys.exit(f"no <DS>/<DS>_2k.log_structured.csv under {args.root}")
    rows = {p.parent.name: bench_dataset(p) for p in paths}
    rows["mean"] = mean_row(rows)
    print_table(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=2))
    print(f"\nwritten {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")


if __name__ == "__main__":
    main()
