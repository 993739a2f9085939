"""Do failure patterns keep their ids across runs? Tracking on corpora lens was not written against.

    python bench/patterns.py [--events 2000] [--only devtools,commerce] [--embedder minilm]

Corpora: the three independently written generators in bench/corpora/ (devtools, commerce, cloud_ai), on
which tracking was built, and two written by authors who read none of lens's code (workplace,
travel_finance), only ever scored and marked so in the tables; each drawn once with n + n/5 events (seed
0): the first n are the base, the last n/5 arrive later ("+20%").
Two configurations: the product's defaults (cause view, agglomerative, cut 1.2) and UMAP + HDBSCAN on the
error view (min_cluster_size 10). Each corpus is ingested with the real ingest into SQLite; each case runs
on its own copy of the database (sqlite3 backup), so every case starts from the same base run and the
same analyst rules, and the embeddings are computed once.

Per corpus and configuration:
- base: `process` (MiniLM), then one analyst rule of each kind (rename, note, owner, resolve with a release,
  ignore, reopen, merge, split by plugin, split_events, move) on the largest patterns;
- cases: a re-run with another seed and another cut (or min_cluster_size), finer and coarser; the 20% new
  events ingested and processed at the base parameters; both at once (new events, seed and finer cut).
  "kept" is the share of base events whose pattern (rules applied) is the same after the case's run;
  "kept, no rules" compares their patterns before rules (their clusters', or the curated pattern a merge
  was held apart from), and "best possible" is the most a one-to-one
  matching could keep: the largest one-to-one pairing of base patterns with the new run's clusters (when a cluster
  really splits or merges, some events must change pattern, unless the split-off clusters are parts of one
  failure by their evidence and keep their pattern). "in parts": events in such parts, and the share of them
  whose cause is the main cause of the cluster continuing their pattern; "ARI patterns / clusters": by cause,
  of the run's patterns (no rules) and of its clusters. "new joined": new events whose cause the base
  knew that joined a pattern holding base events of that cause. Rules: applied (the replay found something
  to act on) and hold (what the analyst asked is what the queue and the events show);
- diff: a planted split (a lower cut 1.0; for HDBSCAN min_samples 2, as a lower min_cluster_size is raised
  to sqrt(distinct texts) / 4 and split nothing on two corpora) and a planted merge (a higher cut 1.5;
  min_cluster_size 30), each from the base run; the patterns and events `lens diff` reports as split and
  merged against those expected from the per-event patterns of the two runs;
- curated after absorbed: from the base, the planted merge's coarser run absorbs patterns nobody had curated;
  each is then renamed, and the same coarse cut is run again: the patterns back in the queue with their
  title, and the share of their base events they hold again;
- undo: each rule kind made and undone on the base; exact when the per-event patterns and the whole
  queue are the same as before the rule.
Targets (issue 18): >= 95% of events keep their pattern in each case, 100% of rules hold, undo exact.
Prints the tables and writes them as JSON to bench/results/patterns.json.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import adjusted_rand_score
from sqlalchemy import select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.benchlib import machine, machine_line, show, write_json  # noqa: E402
from lens_core.config import Settings  # noqa: E402
from lens_core.embed import get_embedder  # noqa: E402
from lens_core.ingest.ingestor import ingest_records  # noqa: E402
from lens_core.runs.options import ProcessOptions  # noqa: E402
from lens_core.runs.pipeline import process  # noqa: E402
from lens_core.storage import tracking as store  # noqa: E402
from lens_core.storage.engine import open_engine  # noqa: E402
from lens_core.storage.tracking_tables import RunPatternRow  # noqa: E402
from lens_core.tracking import curation, diff, queue, track  # noqa: E402
from lens_core.tracking.rules import split_values  # noqa: E402

CORPORA_DIR = ROOT / "bench" / "corpora"
TUNING = ("devtools", "commerce", "cloud_ai")  # what tracking's matching and thresholds were chosen on
ONLY_SCORED = ("workplace", "travel_finance")  # written by authors who read none of lens's code; never tuned on
CORPORA = (*TUNING, *ONLY_SCORED)
# name -> base parameters, the re-runs (finer, coarser), the planted split and merge.
CONFIGS: dict[str, dict[str, Any]] = {
    "defaults (cause, agglomerative)": {
        "base": {}, "finer": {"random_state": 7, "distance_threshold": 1.1},
        "coarser": {"random_state": 7, "distance_threshold": 1.3},
        "split": {"distance_threshold": 1.0}, "merge": {"distance_threshold": 1.5},
    },
    "HDBSCAN (error view)": {
        "base": {"algorithm": "hdbscan", "view": "error", "min_cluster_size": 10},
        "finer": {"algorithm": "hdbscan", "view": "error", "min_cluster_size": 8, "random_state": 7},
        "coarser": {"algorithm": "hdbscan", "view": "error", "min_cluster_size": 15, "random_state": 7},
        "split": {"algorithm": "hdbscan", "view": "error", "min_cluster_size": 10, "min_samples": 2},
        "merge": {"algorithm": "hdbscan", "view": "error", "min_cluster_size": 30},
    },
}


# ---- corpora and databases ------------------------------------------------------------------------------

def _load_generator(name: str):
    spec = importlib.util.spec_from_file_location(f"corpus_{name}", CORPORA_DIR / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def corpus(name: str, events: int) -> tuple[list[dict], list[dict], pd.Series]:
    """Base events, the 20% that arrive later, and the true cause per evaluation_id."""
    rows, truth = _load_generator(name).generate(n_events=events + events // 5, seed=0)
    causes = pd.DataFrame(truth).set_index("evaluation_id")["cause"]
    return rows[:events], rows[events:], causes


def copy_db(src: Path, dst: Path) -> Path:
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)
    return dst


class Db:
    """One SQLite database of the benchmark, with the settings and the embedder its runs use."""

    def __init__(self, path: Path, embedder) -> None:
        self.path, self.embedder = path, embedder
        self.url = f"sqlite:///{path}"
        self.engine = open_engine(self.url)
        self.settings = Settings(_env_file=None, database_url=self.url, embedding_backend=embedder_name(embedder))

    def run(self, params: dict[str, Any]) -> int:
        options = ProcessOptions.of(self.settings, **params)
        return process(engine=self.engine, settings=self.settings, options=options, embedder=self.embedder).run_id

    def copy(self, path: Path) -> Db:
        self.engine.dispose()
        return Db(copy_db(self.path, path), self.embedder)

    def close(self) -> None:
        self.engine.dispose()


def embedder_name(embedder) -> str:
    return "hashing" if "hashing" in embedder.model else "minilm"


# ---- what a run shows ------------------------------------------------------------------------------------

def frame(db: Db, run_id: int) -> pd.DataFrame:
    """The run's events by evaluation_id; "natural": each one's pattern before rules, where tracking put it
    (its cluster's pattern, or a curated pattern a merge was held apart from)."""
    events = store.run_events_frame(engine=db.engine, run_id=run_id)
    events["natural"] = track.run_natural(engine=db.engine, run_id=run_id, events=events)
    return events.set_index("evaluation_id")


def ids(values: pd.Series) -> pd.Series:
    return values.fillna(-1).astype(int)


def kept(a: pd.Series, b: pd.Series) -> float:
    common = a.index.intersection(b.index)
    return float((ids(a.loc[common]) == ids(b.loc[common])).mean())


def best_kept(a: pd.Series, later: pd.DataFrame) -> float:
    """The most events any one-to-one pairing of a's patterns with the later run's clusters keeps."""
    common = a.index.intersection(later.index)
    a, labels = ids(a.loc[common]), later.loc[common, "label"]
    none = int(((a == -1) & (labels < 0)).sum())
    both = (a != -1) & (labels >= 0)
    if not both.any():
        return none / len(common)
    table = pd.crosstab(a[both], labels[both]).to_numpy()
    rows, cols = linear_sum_assignment(-table)
    return (none + int(table[rows, cols].sum())) / len(common)


def joined(base: pd.DataFrame, after: pd.DataFrame, new_ids: list[str], causes: pd.Series) -> float | None:
    """Share of new events of causes the base knew whose pattern held base events of their cause."""
    held = ids(base["pattern_id"]).groupby(causes.reindex(base.index).to_numpy()).agg(lambda s: set(s) - {-1})
    fresh = after.loc[after.index.intersection(new_ids)]
    cause = causes.reindex(fresh.index)
    known = cause.isin(held.index)
    if not known.any():
        return None
    hits = [p in held[c] for p, c in zip(ids(fresh.loc[known, "pattern_id"]), cause[known])]
    return float(np.mean(hits))


def parts_one_cause(db: Db, run_id: int, after: pd.DataFrame, causes: pd.Series) -> str:
    """Events in clusters that stayed parts of a pattern a larger cluster continues, and the share of them
    whose true cause is the main cause of that larger cluster: are parts one failure, as their evidence says?"""
    with db.engine.connect() as conn:
        rows = conn.execute(select(RunPatternRow.label, RunPatternRow.pattern_id, RunPatternRow.matched_by)
                            .where(RunPatternRow.run_id == run_id)).all()
    parts = {label: pid for label, pid, how in rows if how == "part"}
    if not parts:
        return "-"
    keeper = {pid: label for label, pid, how in rows if how != "part"}
    cause = causes.reindex(after.index)
    main = {pid: cause[after["label"] == label].mode().iloc[0] for pid, label in keeper.items() if pid in parts.values()}
    inside = after["label"].isin(parts)
    same = cause[inside] == after.loc[inside, "label"].map(parts).map(main)
    return f"{int(inside.sum())} ({same.mean():.3f})"


def by_cause(after: pd.DataFrame, causes: pd.Series) -> str:
    """ARI by cause of the run's patterns (before the analyst's rules, which merge and split on purpose) and
    of its clusters: what keeping ids costs or gains against the run's own partition."""
    cause = causes.reindex(after.index).astype(str)
    return (f"{adjusted_rand_score(cause, ids(after['natural'])):.3f} / "
            f"{adjusted_rand_score(cause, after['label']):.3f}")


def queue_state(db: Db) -> list[dict]:
    return [s.as_dict() for s in queue.summaries(engine=db.engine, include_closed=True)]


# ---- rules -------------------------------------------------------------------------------------------------

def make_rules(db: Db, run_id: int) -> dict[str, Any]:
    """One rule of each kind on the largest patterns of the base run (distinct patterns per rule)."""
    base = frame(db, run_id)
    order = [s.pattern_id for s in sorted(queue.summaries(engine=db.engine), key=lambda s: (-s.events, s.pattern_id))]
    splittable = next(p for p in order if len(split_values(base[base["pattern_id"] == p], "plugin")) >= 2)
    named, into, gone, chosen_from, move_from, move_into, ignored, reopened = [p for p in order if p != splittable][:8]
    e = db.engine
    rules = {
        "rename": curation.rename(engine=e, pattern_id=named, title="Tokens expire mid-session"),
        "note": curation.note(engine=e, pattern_id=named, text="seen after the 2.3 rollout"),
        "owner": curation.set_owner(engine=e, pattern_id=named, name="identity team"),
        "resolve": curation.resolve(engine=e, pattern_id=move_from, release="2026.12"),
        "ignore": curation.ignore(engine=e, pattern_id=ignored),
    }
    curation.resolve(engine=e, pattern_id=reopened)
    rules["reopen"] = curation.reopen(engine=e, pattern_id=reopened)
    rules["merge"] = curation.merge(engine=e, into=into, others=[gone])
    rules["split"] = curation.split(engine=e, pattern_id=splittable, by="plugin")
    picked = base[base["pattern_id"] == chosen_from].index[:5].tolist()
    rules["split_events"] = curation.split_events(engine=e, pattern_id=chosen_from, evaluation_ids=picked)
    message = base.loc[base["pattern_id"] == move_from, "message_pattern"].value_counts().index[0]
    rules["move"] = curation.move(engine=e, message_pattern=message, into=move_into)
    return {"named": named, "into": into, "gone": gone, "resolved": move_from, "ignored": ignored,
            "reopened": reopened, "splittable": splittable, "parts": rules["split"].rule.params["parts"],
            "picked": picked, "part": rules["split_events"].new_patterns[0], "message": message,
            "move_into": move_into, "rule_ids": {k: v.rule.id for k, v in rules.items()}}


def rules_state(db: Db, run_id: int, plan: dict[str, Any]) -> tuple[dict[str, bool], dict[str, bool]]:
    """Per rule kind: applied on this run (the replay found something to act on), and holds (what the
    analyst asked is what the queue and the events show)."""
    f = frame(db, run_id)
    final, natural = ids(f["pattern_id"]), f["natural"]
    summary = {s["pattern_id"]: s for s in queue_state(db)}
    open_ids = {s.pattern_id for s in queue.summaries(engine=db.engine)}
    by_id = {r.id: r for r in store.active_rules(engine=db.engine)}
    applied = {k: bool(by_id[i].last_applied) and by_id[i].last_run_id == run_id for k, i in plan["rule_ids"].items()}
    untouched = ~f.index.isin(plan["picked"]) & (f["message_pattern"] != plan["message"])
    inside = untouched & (natural == plan["splittable"])
    plugin = f["plugin"].fillna("").astype(str)
    expected_part = plugin[inside].map(lambda v: plan["parts"].get(v, plan["splittable"]))
    named = summary.get(plan["named"], {})
    moved = f["message_pattern"] == plan["message"]
    holds = {
        "rename": named.get("title") == "Tokens expire mid-session",
        "note": named.get("notes") == ["seen after the 2.3 rollout"],
        "owner": named.get("owner") == "identity team",
        "resolve": summary.get(plan["resolved"], {}).get("resolved_in") == "2026.12"
        and summary[plan["resolved"]]["state"] == "resolved" and plan["resolved"] not in open_ids,
        "ignore": summary.get(plan["ignored"], {}).get("state") == "ignored" and plan["ignored"] not in open_ids,
        "reopen": summary.get(plan["reopened"], {}).get("state") == "open" and plan["reopened"] in open_ids,
        "merge": not (final == plan["gone"]).any() and plan["into"] in summary
        and summary[plan["into"]]["state"] == "open",
        "split": bool(inside.any()) and bool((final[inside] == expected_part).all()),
        # the move rule, made after it, takes a picked event of its message pattern (rules replay in order)
        "split_events": bool((final.reindex(plan["picked"]) == np.where(
            moved.reindex(plan["picked"]).fillna(False), plan["move_into"], plan["part"])).all()),
        "move": bool(moved.any()) and bool((final[moved] == plan["move_into"]).all()),
    }
    return applied, holds


# ---- diff -------------------------------------------------------------------------------------------------

def expected_moves(a: pd.Series, b: pd.Series, towards: str) -> set[tuple[int, int, int]]:
    """From the per-event patterns (no rules) of two runs: (new pattern, the pattern most of its known events
    were in, their number) for splits; (gone pattern, where most of its clustered events went, number) for
    merges. A split needs what the matching needs: at least MIN_KNOWN of its events known, MIN_SHARE of them
    from that pattern."""
    from lens_core.tracking.matching import MIN_KNOWN, MIN_SHARE

    a, b = ids(a), ids(b)
    common = a.index.intersection(b.index)
    a, b = a.loc[common], b.loc[common]
    out = set()
    if towards == "from":
        for pid in set(b.unique()) - set(a.unique()) - {-1}:
            origin = a[b == pid]
            known = origin[origin != -1].value_counts()
            if len(known) and known.sum() >= MIN_KNOWN * len(origin) and known.iloc[0] >= MIN_SHARE * known.sum():
                out.add((pid, int(known.index[0]), int(known.iloc[0])))
    else:
        for pid in set(a.unique()) - set(b.unique()) - {-1}:
            went = b[a == pid]
            went = went[went != -1].value_counts()
            if len(went):
                out.add((pid, int(went.index[0]), int(went.iloc[0])))
    return out


def planted(db: Db, base_run: int, params: dict[str, Any], kind: str) -> dict[str, Any]:
    run_id = db.run(params)
    found = diff.diff_runs(engine=db.engine, run_a=base_run, run_b=run_id)
    a, b = frame(db, base_run)["natural"], frame(db, run_id)["natural"]
    if kind == "split":
        reported = {(i["pattern_id"], i["from"], i["moved"]) for i in found.split}
        expected = expected_moves(a, b, "from")
    else:
        reported = {(i["pattern_id"], i["into"], i["moved"]) for i in found.merged}
        expected = expected_moves(a, b, "into")
    return {
        f"{kind}: patterns reported / expected": f"{len(reported)} / {len(expected)}",
        f"{kind}: events reported / expected": f"{sum(r[2] for r in reported)} / {sum(e[2] for e in expected)}",
        f"{kind} exact": reported == expected,
    }


def curated_after_absorbed(db: Db, base_run: int, params: dict[str, Any]) -> dict[str, Any]:
    """A coarser run absorbs patterns nobody had curated; the analyst then renames each of them; the next run
    at the same cut: how many come back with their title, and how many of their base events they hold."""
    coarse = db.run(params)
    absorbed = sorted({i["pattern_id"] for i in diff.diff_runs(engine=db.engine, run_a=base_run, run_b=coarse).merged})
    for p in absorbed:
        curation.rename(engine=db.engine, pattern_id=p, title=f"curated after run {coarse}: {p}")
    again = db.run(params)
    had = frame(db, base_run)["natural"]
    had = had[had.isin(absorbed)]
    now = frame(db, again)["pattern_id"].reindex(had.index)
    titles = {s.pattern_id: s.title for s in queue.summaries(engine=db.engine)}
    back = sum(titles.get(p) == f"curated after run {coarse}: {p}" for p in absorbed)
    return {"curated after absorbed: back": f"{back} / {len(absorbed)}",
            "their base events back": round(float((ids(now) == ids(had)).mean()), 4) if len(had) else None}


# ---- undo --------------------------------------------------------------------------------------------------

def undo_exact(db: Db, run_id: int) -> dict[str, bool]:
    """Each kind of rule made and undone on the base: is everything as it was before the rule?"""
    e = db.engine
    base = frame(db, run_id)
    order = [s.pattern_id for s in sorted(queue.summaries(engine=e), key=lambda s: (-s.events, s.pattern_id))]
    splittable = next(p for p in order if len(split_values(base[base["pattern_id"] == p], "plugin")) >= 2)
    a, b, c = [p for p in order if p != splittable][:3]
    message = base.loc[base["pattern_id"] == b, "message_pattern"].value_counts().index[0]
    curation.resolve(engine=e, pattern_id=c)
    steps = {
        "rename": lambda: curation.rename(engine=e, pattern_id=a, title="renamed"),
        "note": lambda: curation.note(engine=e, pattern_id=a, text="a note"),
        "owner": lambda: curation.set_owner(engine=e, pattern_id=a, name="someone"),
        "resolve": lambda: curation.resolve(engine=e, pattern_id=a, release="9.9"),
        "ignore": lambda: curation.ignore(engine=e, pattern_id=a),
        "reopen": lambda: curation.reopen(engine=e, pattern_id=c),
        "merge": lambda: curation.merge(engine=e, into=a, others=[b]),
        "split": lambda: curation.split(engine=e, pattern_id=splittable, by="plugin"),
        "split_events": lambda: curation.split_events(
            engine=e, pattern_id=a, evaluation_ids=base[base["pattern_id"] == a].index[:5].tolist()),
        "move": lambda: curation.move(engine=e, message_pattern=message, into=a),
    }
    exact = {}
    for kind, make in steps.items():
        patterns, listed = ids(frame(db, run_id)["pattern_id"]), queue_state(db)
        make()
        changed = not ids(frame(db, run_id)["pattern_id"]).equals(patterns) or queue_state(db) != listed
        curation.undo(engine=e)
        exact[kind] = changed and ids(frame(db, run_id)["pattern_id"]).equals(patterns) and queue_state(db) == listed
    return exact


# ---- the benchmark ---------------------------------------------------------------------------------------

def bench_config(name: str, config: dict[str, Any], ingested: Db, later: list[dict], causes: pd.Series,
                 folder: Path, tag: str) -> tuple[list[dict], dict[str, Any]]:
    started = time.perf_counter()
    db = ingested.copy(folder / f"{tag}.db")
    base_run = db.run(config["base"])
    plain = db.copy(folder / f"{tag}.plain.db")
    plan = make_rules(db, base_run)
    base = frame(db, base_run)
    new_ids = [e["evaluation_id"] for e in later]
    cases = {
        f"re-run finer {_params(config['finer'])}": (config["finer"], False),
        f"re-run coarser {_params(config['coarser'])}": (config["coarser"], False),
        "+20% events": (config["base"], True),
        f"+20% events and {_params(config['finer'])}": (config["finer"], True),
    }
    rows = []
    for i, (case, (params, add)) in enumerate(cases.items()):
        run = db.copy(folder / f"{tag}.case{i}.db")
        if add:
            ingest_records(later, engine=run.engine)
        run_id = run.run(params)
        after = frame(run, run_id)
        applied, holds = rules_state(run, run_id, plan)
        share = joined(base, after, new_ids, causes) if add else None
        rows.append({
            "case": case, "events": len(after),
            "kept": round(kept(base["pattern_id"], after["pattern_id"]), 4),
            "kept, no rules": round(kept(base["natural"], after["natural"]), 4),
            "best possible": round(best_kept(base["natural"], after), 4),
            "in parts (one cause)": parts_one_cause(run, run_id, after, causes),
            "ARI patterns / clusters": by_cause(after, causes),
            "new joined": None if share is None else round(share, 4),
            "rules applied": f"{sum(applied.values())}/{len(applied)}",
            "rules hold": f"{sum(holds.values())}/{len(holds)}",
            "rules not holding": ", ".join(k for k, v in holds.items() if not v) or "-",
            "clusters base / after": f"{base['label'].nunique()} / {after['label'].nunique()}",
        })
        run.close()
    checks: dict[str, Any] = {}
    for kind in ("split", "merge"):
        copy = plain.copy(folder / f"{tag}.{kind}.db")
        checks.update(planted(copy, base_run, config[kind], kind))
        copy.close()
    copy = plain.copy(folder / f"{tag}.absorbed.db")
    checks.update(curated_after_absorbed(copy, base_run, config["merge"]))
    copy.close()
    exact = undo_exact(db, base_run)
    checks["undo exact"] = all(exact.values())
    checks["undo not exact"] = ", ".join(k for k, v in exact.items() if not v) or "-"
    checks["seconds"] = round(time.perf_counter() - started, 1)
    db.close()
    plain.close()
    return rows, checks


def _params(params: dict[str, Any]) -> str:
    shown = {k: v for k, v in params.items() if k not in ("algorithm", "view")}
    return "(" + ", ".join(f"{'seed' if k == 'random_state' else 'cut' if k == 'distance_threshold' else k} {v}"
                           for k, v in shown.items()) + ")"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000, help="base events per corpus (20%% more arrive later)")
    parser.add_argument("--only", help="comma-separated corpora (default: all of CORPORA)")
    parser.add_argument("--configs", help="comma-separated: defaults,hdbscan (default: both)")
    parser.add_argument("--embedder", default="minilm", help="minilm (the product's) or hashing (quick)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    info = machine()
    print(machine_line(info))
    embedder = get_embedder(args.embedder)
    names = args.only.split(",") if args.only else list(CORPORA)
    wanted = args.configs.split(",") if args.configs else ["defaults", "hdbscan"]
    configs = {k: v for k, v in CONFIGS.items() if ("hdbscan" if "HDBSCAN" in k else "defaults") in wanted}
    cases, checks = [], []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="lens-patterns-") as tmp:
        folder = Path(tmp)
        for name in names:
            events, later, causes = corpus(name, args.events)
            ingested = Db(folder / f"{name}.db", embedder)
            ingest_records(events, engine=ingested.engine)
            print(f"{name}: {len(events)} base events, {len(later)} later, {causes.nunique()} causes")
            label = f"{name} (only scored)" if name in ONLY_SCORED else name
            for c, (config_name, config) in enumerate(configs.items()):
                rows, check = bench_config(config_name, config, ingested, later, causes, folder, f"{name}.{c}")
                cases += [{"corpus": label, "config": config_name, **row} for row in rows]
                checks.append({"corpus": label, "config": config_name, **check})
                print(f"  {config_name}: {check['seconds']} s")
            ingested.close()
    show("Events keeping their pattern, new events joining, rules (targets: kept >= 0.95, rules hold 10/10)", cases)
    show("Run diff on a planted split and merge (reported vs expected from the per-event patterns); patterns "
         "curated after a run absorbed them; undo", checks)
    total = round(time.perf_counter() - started, 1)
    print(f"\nwhole benchmark: {total} s")
    write_json(ROOT / "bench" / "results" / "patterns.json",
               {"machine": info, "events": args.events, "embedder": args.embedder, "seconds": total,
                "cases": cases, "checks": checks})


if __name__ == "__main__":
    main()
