"""Do trends flag what changed between releases, and only that? Planted changes on corpora lens was not
written against (issue 19).

    python bench/regressions.py [--events 1000] [--seeds 0,1,2] [--only devtools,commerce] [--embedder minilm]
                                [--sample-seeds 7,1,2] [--quick]

Corpora: the three independently written generators of bench/corpora/ (devtools, commerce, cloud_ai) and
lens's sample, on which lens's trend rules were chosen, and two generators written by authors who read none
of lens's code (workplace, travel_finance), only ever scored: their totals are printed apart.

Telemetry: each corpus gives a pool of labelled events per cause; this script draws the events of three
releases R1, R2, R3 (--events each) out of the pools, one week each (three weeks in all), and writes their
release and timestamp itself. Five causes of the corpus carry a planted change (share of all events in R1 / R2 / R3):
    new          0 / 0 / 3%
    escalating   3 / 3 / 9%      (triples)
    shrinking    6 / 6 / 2%      (to a third)
    regressed    4 / 4 / 4%      the analyst resolves its pattern with release R3 (curation.resolve), yet
                                 its events go on in R3
    late         5 / 5 / 0%      resolved with release R3 too; 30% of its R2 events and 10% of its R1
                                 events arrive late, with timestamps in R3's week: it must NOT be regressed
The planted causes take 18% of every release, so the other causes keep their natural shares (rescaled to
82%); each release's events are a multinomial draw, so every share also moves by chance. Each cause's
pattern is the pattern holding most of its events ("home"). The five causes are drawn per seed, in random
order, among those holding 2% to 12% of the corpus, skipping a cause whose home in a pilot run (3 x
--events of the corpus at its natural shares) is the home of one already drawn: a pattern mixing two
planted changes has no one right state. Where the planted run still mixes two, both are left out of
recall and their pattern out of precision (column "left out").

A second copy of the same events has its (timestamp, release) pairs permuted across events: no change
there is real, and no rule is made. Each copy goes through the real ingest and `process` into SQLite.

Compared (trends.compare_latest): R2 vs R3 (releases), and R2's week vs R3's week (time) on the planted
copy; R2 vs R3 and the last 24 hours vs the 7 days before on the shuffled one.
- recall per planted change: the cause's home pattern is in that state ("home alerted": in any of
  new, escalating, regressed);
- precision per state: of the patterns flagged in that state, those whose change the planted cause made
  (`culprit`: new, the cause of most of its new events; escalating / shrinking, the cause whose count
  moved most beyond the totals' change; regressed, the pattern resolved for the regressed cause);
- false alarms: share of the patterns of the comparison (events in base or target) flagged new,
  escalating or regressed on the shuffled copy;
- no reopening by old releases: every regressed pattern holds a target event of R3 (its fix) or later.
Side by side, a naive rule on the same events: groups are exact fingerprints (lens's `fingerprint`, the
masked failure); new = never seen before the target; escalating = target count > 2 x base count, shrinking
< 1/2 (raw counts, no test, no correction); regressed = a resolved group (the fingerprint holding most of
the cause) with any event in the target (a plain resolve, no release check).

Sample check: lens's sample telemetry (generate(3000, seed)), releases 2024.05.1 vs 2024.05.2 for the Teams
KeyError regression and 2024.04.3 vs 2024.05.1 for the Calendar invalid datetime one: is the pattern
holding most of the cause new or escalating?

Targets (issue 19): precision and recall >= 0.9 for new, escalating, regressed; no pattern reopened by
events of releases older than its fix; <= 5% of patterns flagged on the shuffled copy; both regressions of
the sample flagged in their releases. --quick: 500 events per release, seeds 0 and 1, sample seed 7.
Prints Markdown tables and writes them as JSON to bench/results/regressions.<embedder>[.quick].json.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.benchlib import machine, machine_line, write_json  # noqa: E402
from lens_core.config import Settings  # noqa: E402
from lens_core.embed import get_embedder  # noqa: E402
from lens_core.ingest.ingestor import ingest_records  # noqa: E402
from lens_core.runs.options import ProcessOptions  # noqa: E402
from lens_core.runs.pipeline import process  # noqa: E402
from lens_core.samples.generator import generate as generate_sample  # noqa: E402
from lens_core.storage import tracking as store  # noqa: E402
from lens_core.storage.engine import open_engine  # noqa: E402
from lens_core.tracking import curation, trends  # noqa: E402

CORPORA_DIR = ROOT / "bench" / "corpora"
TUNING = ("devtools", "commerce", "cloud_ai", "sample")  # what lens's rules and defaults were chosen on
ONLY_SCORED = ("workplace", "travel_finance")  # written by authors who read none of lens's code; never tuned on
CORPORA = (*TUNING, *ONLY_SCORED)
RELEASES = ("R1", "R2", "R3")
START = datetime(2026, 11, 2, tzinfo=UTC)
WEEK = timedelta(days=7)
CHANGES = ("new", "escalating", "shrinking", "regressed")  # planted, each found as the state of its name
PLANTED = (*CHANGES, "late")
LATE_SHARE = {"R1": 0.1, "R2": 0.3}  # of the late cause's events of that release, arriving in R3's week
SHARE_RANGE = (0.02, 0.12)  # the causes that can carry a change: their share of the corpus
# Share of all events of R1, R2, R3 per planted change: 18% in each release, so the other causes keep theirs.
SHARES = {"new": (0.0, 0.0, 0.03), "escalating": (0.03, 0.03, 0.09), "shrinking": (0.06, 0.06, 0.02),
          "regressed": (0.04, 0.04, 0.04), "late": (0.05, 0.05, 0.0)}
ALERTS = set(trends.ALERT_STATES)


# ---- telemetry ------------------------------------------------------------------------------------------

def _load_generator(name: str):
    spec = importlib.util.spec_from_file_location(f"corpus_{name}", CORPORA_DIR / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pools(name: str, events: int, seed: int) -> dict[str, list[dict]]:
    """cause -> its events, from the corpus's own generator."""
    if name == "sample":
        rows, truth = generate_sample(events, seed=seed)
        causes = [t["root_cause"] for t in truth]
    else:
        rows, truth = _load_generator(name).generate(n_events=events, seed=seed)
        causes = [t["cause"] for t in truth]
    out: dict[str, list[dict]] = {}
    for row, cause in zip(rows, causes):
        out.setdefault(cause, []).append(row)
    return out


def plant(pool: dict[str, list[dict]], n: int, seed: int, pilot: dict[str, Any]
          ) -> tuple[list[dict], dict[str, str], dict[str, str]]:
    """Events of R1, R2, R3 (about n each) with the planted changes; the planted cause per change; the cause
    per evaluation_id. The planted causes are drawn in random order among the candidates, each kept when its
    home in the pilot run differs from those of the causes kept before it (where too few do, the rest are
    drawn regardless)."""
    rng = random.Random(seed)
    size = sum(len(v) for v in pool.values())
    share = {c: len(v) / size for c, v in sorted(pool.items())}
    candidates = rng.sample([c for c, s in share.items() if SHARE_RANGE[0] <= s <= SHARE_RANGE[1]],
                            sum(SHARE_RANGE[0] <= s <= SHARE_RANGE[1] for s in share.values()))
    picked: list[str] = []
    for cause in candidates:
        if len(picked) < len(PLANTED) and pilot.get(cause) not in {pilot.get(c) for c in picked}:
            picked.append(cause)
    picked += [c for c in candidates if c not in picked][:len(PLANTED) - len(picked)]
    chosen = dict(zip(PLANTED, picked))
    constant = {c: s for c, s in share.items() if c not in chosen.values()}
    plan = {}
    for k, release in enumerate(RELEASES):
        planted = {chosen[change]: shares[k] for change, shares in SHARES.items()}
        rest = 1 - sum(planted.values())
        plan[release] = {**planted, **{c: rest * s / sum(constant.values()) for c, s in constant.items()}}

    left = {c: rng.sample(v, len(v)) for c, v in pool.items()}
    events, cause_of = [], {}
    for k, release in enumerate(RELEASES):
        names = sorted(plan[release])
        drawn = rng.choices(names, weights=[plan[release][c] for c in names], k=n)
        for cause in drawn:
            if not left[cause]:  # the pool ran dry: reuse an event under a new id
                left[cause] = [dict(e, evaluation_id=f"{e['evaluation_id']}-{rng.randrange(10**9)}")
                               for e in pool[cause]]
            event = dict(left[cause].pop())
            week = k
            if cause == chosen["late"] and rng.random() < LATE_SHARE.get(release, 0.0):
                week = 2
            when = START + week * WEEK + timedelta(seconds=rng.uniform(0, WEEK.total_seconds()))
            event["timestamp"] = when.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
            event["release"] = release
            events.append(event)
            cause_of[event["evaluation_id"]] = cause
    events.sort(key=lambda e: e["timestamp"])
    return events, chosen, cause_of


def shuffled(events: list[dict], seed: int) -> list[dict]:
    """The same events with their (timestamp, release) pairs permuted across events."""
    rng = random.Random(seed + 1000)
    stamps = [(e["timestamp"], e["release"]) for e in events]
    rng.shuffle(stamps)
    out = [dict(e, timestamp=t, release=r) for e, (t, r) in zip(events, stamps)]
    return sorted(out, key=lambda e: e["timestamp"])


def pilot_homes(pool: dict[str, list[dict]], n: int, seed: int, db: Db) -> dict[str, Any]:
    """cause -> its home in a pilot run on 3n events of the pool at its natural shares (no release, no time)."""
    rng = random.Random(seed + 2000)
    events = rng.sample([e for v in pool.values() for e in v], 3 * n)
    cause_of = {e["evaluation_id"]: c for c, v in pool.items() for e in v}
    frame = db.load(events)
    db.close()
    return homes(frame.assign(cause=frame["evaluation_id"].map(cause_of)), "pattern_id")


# ---- a database and its run ------------------------------------------------------------------------------

class Db:
    def __init__(self, path: Path, embedder, embedder_name: str) -> None:
        self.url = f"sqlite:///{path}"
        self.engine = open_engine(self.url)
        self.settings = Settings(_env_file=None, database_url=self.url, embedding_backend=embedder_name)
        self.embedder = embedder

    def load(self, events: list[dict]) -> pd.DataFrame:
        ingest_records(events, engine=self.engine)
        options = ProcessOptions.of(self.settings)
        self.run_id = process(engine=self.engine, settings=self.settings, options=options,
                              embedder=self.embedder).run_id
        return self.frame()

    def frame(self) -> pd.DataFrame:
        return store.run_events_frame(engine=self.engine, run_id=self.run_id)

    def close(self) -> None:
        self.engine.dispose()


def homes(frame: pd.DataFrame, key: str) -> dict[str, Any]:
    """cause -> the group (pattern_id or fingerprint) holding most of its events."""
    known = frame.dropna(subset=[key])
    return {c: g[key].value_counts().index[0] for c, g in known.groupby("cause")}


def held(frame: pd.DataFrame, key: str, cause: str, group: Any) -> float:
    mine = frame[frame["cause"] == cause]
    return float((mine[key] == group).mean()) if len(mine) else 0.0


def masks(frame: pd.DataFrame, base: trends.Window, target: trends.Window) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Events in the base, in the target, and before the target (older release; earlier time)."""
    if isinstance(target, str):
        rank = {r: i for i, r in enumerate(RELEASES)}
        earlier = frame["release"].map(lambda r: rank.get(r, len(rank)) < rank[target])
        return frame["release"] == base, frame["release"] == target, earlier
    ts = pd.to_datetime(frame["timestamp"], utc=True)
    inside = [(ts >= pd.Timestamp(w[0])) & (ts < pd.Timestamp(w[1])) for w in (base, target)]
    return inside[0], inside[1], ts < pd.Timestamp(target[0])


# ---- the naive rule -----------------------------------------------------------------------------------------

def naive(frame: pd.DataFrame, windows: tuple, resolved: set[str]) -> dict[str, str]:
    """fingerprint -> state: regressed (resolved and any event in the target), new (never seen before the
    target), escalating / shrinking (raw count ratio > 2 / < 1/2), gone, ongoing."""
    in_base, in_target, earlier = windows
    nb = frame.loc[in_base, "fingerprint"].value_counts()
    nt = frame.loc[in_target, "fingerprint"].value_counts()
    seen = set(frame.loc[earlier, "fingerprint"])
    states = {}
    for fp in set(nb.index) | set(nt.index):
        b, t = int(nb.get(fp, 0)), int(nt.get(fp, 0))
        if fp in resolved and t:
            states[fp] = "regressed"
        elif t and fp not in seen:
            states[fp] = "new"
        elif b and t > 2 * b:
            states[fp] = "escalating"
        elif b and t == 0:
            states[fp] = "gone"
        elif b and t < b / 2:
            states[fp] = "shrinking"
        else:
            states[fp] = "ongoing"
    return states


# ---- scoring -------------------------------------------------------------------------------------------------

def shared_homes(chosen: dict[str, str], home: dict[str, Any]) -> set[str]:
    """The planted changes whose cause's home also is another planted cause's home."""
    return {c for c in PLANTED if sum(home[chosen[c]] == home[chosen[o]] for o in PLANTED) > 1}


def culprit(frame: pd.DataFrame, key: str, group: Any, state: str, windows: tuple) -> str | None:
    """The cause that made the change of a flagged group: for new, the cause of most of its target events
    (of those whose error message was first seen in the target, where the group was seen before); for
    escalating / shrinking, the cause whose count moved most beyond the totals' change (target count - base
    count x target total / base total: largest / smallest); for regressed, the cause of most of its target
    events of R3."""
    in_base, in_target, earlier = windows
    mine = frame[key] == group
    if state == "new":
        part = frame[mine & in_target]
        if (mine & earlier).any():
            part = part[~part["message_pattern"].isin(set(frame.loc[earlier, "message_pattern"].dropna()))]
    elif state == "regressed":
        part = frame[mine & in_target & (frame["release"] == "R3")]
    else:
        nb = frame.loc[mine & in_base, "cause"].value_counts()
        nt = frame.loc[mine & in_target, "cause"].value_counts()
        causes = nb.index.union(nt.index)
        moved = nt.reindex(causes, fill_value=0) - nb.reindex(causes, fill_value=0) * in_target.sum() / max(in_base.sum(), 1)
        return None if moved.empty else str(moved.idxmax() if state == "escalating" else moved.idxmin())
    return None if part.empty else str(part["cause"].value_counts().index[0])


def score(states: dict[Any, str], chosen: dict[str, str], home: dict[str, Any], frame: pd.DataFrame, key: str,
          windows: tuple) -> dict:
    """Per planted change: planted (its home not shared), found (home in that state), flagged in that state
    (shared homes left out: they have no one right state), right among them (the planted cause of that change
    made it; for regressed: the pattern resolved for it), and the states of the flags that were not right."""
    shared = shared_homes(chosen, home)
    mixed = {home[chosen[c]] for c in shared}
    out: dict[str, Any] = {"wrong": []}
    for change in CHANGES:
        cause = chosen[change]
        flagged = [g for g, s in states.items() if s == change and g not in mixed]
        if change == "regressed":
            right = [g for g in flagged if g == home[cause]]
        else:
            right = [g for g in flagged if culprit(frame, key, g, change, windows) == cause]
        out[change] = {"planted": int(change not in shared), "found": int(change not in shared
                                                                           and states.get(home[cause]) == change),
                       "alerted": int(change not in shared and states.get(home[cause]) in ALERTS),
                       "flagged": len(flagged), "right": len(right), "left out": int(change in shared)}
        out["wrong"] += [g for g in flagged if g not in right]
    return out


def false_alarms(states: dict[Any, str]) -> tuple[int, int]:
    return sum(s in ALERTS for s in states.values()), len(states)


def old_reopened(frame: pd.DataFrame, states: dict[Any, str], in_target: pd.Series) -> int:
    """Regressed patterns whose target events are all of releases older than the fix (R3)."""
    return sum(not (frame.loc[in_target & (frame["pattern_id"] == pid), "release"] == "R3").any()
               for pid, state in states.items() if state == "regressed")


def lens_states(engine, base: trends.Window, target: trends.Window
                ) -> tuple[dict[int, str], dict[int, str], dict[int, str]]:
    """pattern -> state, pattern -> the rule that gave it (see `rule_of`), pattern -> lens's reason."""
    result = trends.compare_latest(engine=engine, base=base, target=target)
    return ({c.pattern_id: c.state for c in result.changes}, {c.pattern_id: rule_of(c) for c in result.changes},
            {c.pattern_id: c.reason for c in result.changes})


def rule_of(change: trends.PatternChange) -> str:
    """The state, with new split into first seen (with few or MIN_EVENTS+ events) and error messages first
    seen in the target."""
    if change.state != "new":
        return change.state
    if change.reason.startswith("first seen"):
        few = change.target_events < trends.MIN_EVENTS
        return f"new: first seen, {'<' if few else '>='} {trends.MIN_EVENTS} events"
    return "new: fresh error messages"


WEEKS = {"R2 vs R3 (releases)": ("R2", "R3"),
         "R2's week vs R3's week (time)": ((START + WEEK, START + 2 * WEEK), (START + 2 * WEEK, START + 3 * WEEK))}


def bench_seed(name: str, seed: int, n: int, folder: Path, embedder, embedder_name: str) -> dict[str, Any]:
    pool = pools(name, 8 * n, seed)
    pilot = pilot_homes(pool, n, seed, Db(folder / f"{name}.{seed}.pilot.db", embedder, embedder_name))
    events, chosen, cause_of = plant(pool, n, seed, pilot)
    result: dict[str, Any] = {"corpus": name, "seed": seed, "events": len(events), "chosen": chosen}

    db = Db(folder / f"{name}.{seed}.planted.db", embedder, embedder_name)
    frame = db.load(events)
    frame["cause"] = frame["evaluation_id"].map(cause_of)
    home = homes(frame, "pattern_id")
    for change in ("regressed", "late"):
        curation.resolve(engine=db.engine, pattern_id=int(home[chosen[change]]), release="R3")
    frame = db.frame().assign(cause=lambda f: f["evaluation_id"].map(cause_of))
    home, fhome = homes(frame, "pattern_id"), homes(frame, "fingerprint")
    resolved_fp = {fhome[chosen["regressed"]], fhome[chosen["late"]]}
    result["patterns"] = int(frame["pattern_id"].nunique())
    result["fingerprints"] = int(frame["fingerprint"].nunique())
    r3 = frame[frame["release"] == "R3"]
    result["detail"] = [{"change": c, "cause": chosen[c], "pattern": int(home[chosen[c]]),
                         "R3 events of other causes": int(((r3["pattern_id"] == home[chosen[c]])
                                                           & (r3["cause"] != chosen[c])).sum()),
                         "held": round(held(frame, "pattern_id", chosen[c], home[chosen[c]]), 3),
                         "fingerprint held": round(held(frame, "fingerprint", chosen[c], fhome[chosen[c]]), 3)}
                        for c in PLANTED]
    result["shared homes"] = sorted(shared_homes(chosen, home))
    result["planted"] = {}
    for label, (base, target) in WEEKS.items():
        windows = masks(frame, base, target)
        ls, rules, reasons = lens_states(db.engine, base, target)
        ns = naive(frame, windows, resolved_fp)
        lens_score = score(ls, chosen, home, frame, "pattern_id", windows)
        late_home = home[chosen["late"]]
        flagged_wrong = lens_score.pop("wrong")
        wrong = ["regressed: the late cause's pattern, by R3 events of other causes"
                 if ls[p] == "regressed" and p == late_home else rules[p] for p in flagged_wrong]
        naive_score = score(ns, chosen, fhome, frame, "fingerprint", windows)
        naive_score.pop("wrong")
        result["planted"][label] = {
            "lens": lens_score, "naive": naive_score, "wrong": wrong,
            "wrong reasons": {int(p): f"{ls[p]}: {reasons[p]}" for p in flagged_wrong},
            "old reopened": old_reopened(frame, ls, windows[1]),
            "fix held": {c: (ls.get(int(home[chosen[c]])) == "regressed",
                             FIX_HELD in reasons.get(int(home[chosen[c]]), "")) for c in ("regressed", "late")},
            "states": {c: (ls.get(int(home[chosen[c]]), "-"), ns.get(fhome[chosen[c]], "-")) for c in PLANTED},
        }
    db.close()

    db = Db(folder / f"{name}.{seed}.shuffled.db", embedder, embedder_name)
    frame = db.load(shuffled(events, seed))
    end = pd.to_datetime(frame["timestamp"], utc=True).max().to_pydatetime() + timedelta(microseconds=1)
    compared = {"R2 vs R3": ("R2", "R3"),
                "last 24 h vs 7 days before": ((end - trends.RECENT - trends.BEFORE, end - trends.RECENT),
                                               (end - trends.RECENT, end))}
    result["shuffled"] = {}
    for label, (base, target) in compared.items():
        ls, rules, reasons = lens_states(db.engine, base, target)
        result["shuffled"][label] = {"lens": false_alarms(ls),
                                     "wrong reasons": {int(p): f"{s}: {reasons[p]}" for p, s in ls.items() if s in ALERTS},
                                     "naive": false_alarms(naive(frame, masks(frame, base, target), set())),
                                     "wrong": [rules[p] for p, s in ls.items() if s in ALERTS]}
    db.close()
    return result


# ---- the sample's two regressions --------------------------------------------------------------------------

SAMPLE_CASES = {"teams_plugin_keyerror": ("2024.05.1", "2024.05.2"),
                "calendar_invalid_datetime": ("2024.04.3", "2024.05.1")}


def sample_check(seed: int, folder: Path, embedder, embedder_name: str) -> dict[str, Any]:
    events, truth = generate_sample(3000, seed=seed)
    cause_of = {t["evaluation_id"]: t["root_cause"] for t in truth}
    db = Db(folder / f"sample-check.{seed}.db", embedder, embedder_name)
    frame = db.load(events)
    frame["cause"] = frame["evaluation_id"].map(cause_of)
    home, fhome = homes(frame, "pattern_id"), homes(frame, "fingerprint")
    row: dict[str, Any] = {"seed": seed}
    for cause, (base, target) in SAMPLE_CASES.items():
        state = lens_states(db.engine, base, target)[0].get(int(home[cause]), "-")
        ranked = frame.assign(release=frame["release"].map(_sample_rank))
        nstate = naive(ranked, masks(ranked, _sample_rank(base), _sample_rank(target)), set()).get(fhome[cause], "-")
        row[f"{cause}: lens"] = f"{state} ({held(frame, 'pattern_id', cause, home[cause]):.2f} held)"
        row[f"{cause}: naive"] = f"{nstate} ({held(frame, 'fingerprint', cause, fhome[cause]):.2f} held)"
        row[f"{cause} flagged"] = state in ("new", "escalating")
    db.close()
    return row


def _sample_rank(release: Any) -> Any:
    """The sample's releases as R1..R3 (the naive rule orders those)."""
    return {"2024.04.3": "R1", "2024.05.1": "R2", "2024.05.2": "R3"}.get(release, release)


# ---- tables ------------------------------------------------------------------------------------------------

def show(title: str, rows: list[dict]) -> None:
    """A Markdown table under its title."""
    print(f"\n{title}\n")
    if not rows:
        print("(nothing)")
        return
    columns = list(rows[0])
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for row in rows:
        print("| " + " | ".join(str(row[c]) for c in columns) + " |")


def late_table(results: list[dict]) -> list[dict]:
    """Per corpus: the state of the late cause's pattern (resolved with R3; only late events of R1 and R2)."""
    rows = []
    for name in dict.fromkeys(r["corpus"] for r in results):
        part = [r for r in results if r["corpus"] == name]
        row: dict[str, Any] = {"corpus": name}
        for label in WEEKS:
            states = pd.Series([r["planted"][label]["states"]["late"][0] for r in part]).value_counts()
            row[f"lens: {label}"] = ", ".join(f"{k} {v}" for k, v in states.items())
        row["old releases reopened (target 0)"] = sum(r["planted"][label]["old reopened"] for r in part
                                                      for label in WEEKS)
        rows.append(row)
    return rows


FIX_HELD = "the fix held for those"  # what a regressed reason says where some of its messages stopped


def fix_held_table(results: list[dict]) -> list[dict]:
    """Per corpus and comparison: of the regressed flags on the regressed cause's pattern (right) and on the
    late cause's (wrong: other causes' events), how many reasons say the fix held for some of its messages."""
    rows = []
    for name in dict.fromkeys(r["corpus"] for r in results):
        part = [r for r in results if r["corpus"] == name]
        for label in WEEKS:
            row: dict[str, Any] = {"corpus": name, "comparison": label}
            for change, words in (("regressed", "regressed cause (right flag)"), ("late", "late cause (wrong flag)")):
                seen = [r["planted"][label]["fix held"][change] for r in part]
                flagged = [told for regressed, told in seen if regressed]
                row[f"{words}: says the fix held for some / flagged"] = f"{sum(flagged)} / {len(flagged)}"
            rows.append(row)
    return rows


def per_corpus(results: list[dict]) -> list[tuple[str, list[dict]]]:
    return [(name, [r for r in results if r["corpus"] == name]) for name in dict.fromkeys(r["corpus"] for r in results)]


def totals(results: list[dict]) -> list[tuple[str, list[dict]]]:
    """The totals to judge: over the tuning corpora and over the only-scored ones apart, where both ran (a
    number that holds only where the rules were chosen is not one to claim)."""
    kinds = [("total, tuning corpora", [r for r in results if r["corpus"] not in ONLY_SCORED]),
             ("total, only scored (workplace, travel_finance)", [r for r in results if r["corpus"] in ONLY_SCORED])]
    present = [(label, part) for label, part in kinds if part]
    return [("total", results)] if len(present) == 1 else present


def _ratio(a: int, b: int) -> str:
    return f"{a / b:.3f} ({a}/{b})" if b else "- (0/0)"


def planted_table(results: list[dict], label: str) -> list[dict]:
    rows = []
    for name, part in per_corpus(results) + totals(results):
        for change in CHANGES:
            row = {"corpus": name, "change": change}
            for who in ("lens", "naive"):
                s = [r["planted"][label][who][change] for r in part]
                row[f"{who} recall"] = _ratio(sum(x["found"] for x in s), sum(x["planted"] for x in s))
                row[f"{who} precision"] = _ratio(sum(x["right"] for x in s), sum(x["flagged"] for x in s))
                row[f"{who} left out"] = sum(x["left out"] for x in s)
                if who == "lens":
                    row["lens: home alerted"] = _ratio(sum(x["alerted"] for x in s), sum(x["planted"] for x in s))
            rows.append(row)
    return rows


def shuffled_table(results: list[dict]) -> list[dict]:
    rows = []
    for name, part in per_corpus(results) + totals(results):
        row = {"corpus": name}
        for label in part[0]["shuffled"]:
            for who in ("lens", "naive"):
                flagged = sum(r["shuffled"][label][who][0] for r in part)
                row[f"{who}: {label}"] = _ratio(flagged, sum(r["shuffled"][label][who][1] for r in part))
        rows.append(row)
    return rows


def wrong_table(results: list[dict]) -> list[dict]:
    """Per corpus and comparison: lens's flags that no planted change explains, by the rule that gave them."""
    rows = []
    for name in dict.fromkeys(r["corpus"] for r in results):
        part = [r for r in results if r["corpus"] == name]
        for copy, labels in (("planted", list(WEEKS)), ("shuffled", list(part[0]["shuffled"]))):
            for label in labels:
                found = [w for r in part for w in r[copy][label]["wrong"]]
                counts = pd.Series(found, dtype=object).value_counts()
                rows.append({"corpus": name, "copy": copy, "comparison": label, "wrong flags": len(found),
                             "by rule": ", ".join(f"{k} {v}" for k, v in counts.items()) or "-"})
    return rows


def detail_table(results: list[dict]) -> list[dict]:
    rows = []
    for r in results:
        for d in r["detail"]:
            states = [r["planted"][label]["states"][d["change"]] for label in WEEKS]
            rows.append({"corpus": r["corpus"], "seed": r["seed"], "change": d["change"], "cause": d["cause"],
                         "pattern (held)": f"{d['pattern']} ({d['held']:.2f})",
                         "lens: releases / time": " / ".join(s[0] for s in states),
                         "naive: releases / time": " / ".join(s[1] for s in states),
                         "R3 events of other causes in it": d["R3 events of other causes"],
                         "naive fp held": d["fingerprint held"],
                         "shares home": "yes" if d["change"] in r["shared homes"] else ""})
    return rows


def targets_table(results: list[dict], sample_rows: list[dict]) -> list[dict]:
    """Issue 19's targets against what this run measured (lens), one column per total (totals())."""
    groups = totals(results)
    rows = []

    def add(target: str, measured: list[tuple[str, bool | None]]) -> None:
        row = {"target": target}
        for (label, _), (value, met) in zip(groups, measured):
            row[label] = value + ("" if met is None else (" (met)" if met else " (missed)"))
        rows.append(row)

    for label in WEEKS:
        for change in CHANGES:
            measured = []
            for _, part in groups:
                s = [r["planted"][label]["lens"][change] for r in part]
                recall = (sum(x["found"] for x in s), sum(x["planted"] for x in s))
                precision = (sum(x["right"] for x in s), sum(x["flagged"] for x in s))
                met = all(b and a / b >= 0.9 for a, b in (recall, precision)) if change in ALERTS else None
                measured.append((f"recall {_ratio(*recall)}, precision {_ratio(*precision)}", met))
            add(f"{change}, {label}: recall and precision >= 0.9"
                + (" (not in the issue's targets)" if change not in ALERTS else ""), measured)
    reopened = [sum(r["planted"][label]["old reopened"] for r in part for label in WEEKS) for _, part in groups]
    add("no pattern reopened by events of releases older than its fix", [(f"{n} reopened", n == 0) for n in reopened])
    for label in results[0]["shuffled"]:
        measured = []
        for _, part in groups:
            a, b = (sum(r["shuffled"][label]["lens"][k] for r in part) for k in (0, 1))
            measured.append((_ratio(a, b), bool(b) and a / b <= 0.05))
        add(f"shuffled copy, {label}: <= 5% of patterns flagged", measured)
    flags = [v for row in sample_rows for k, v in row.items() if k.endswith("flagged")]
    if flags:
        row = {"target": "the sample's two regressions flagged new or escalating in their releases"}
        row.update({label: "-" for label, _ in groups})
        row[groups[0][0]] = (f"{sum(flags)} of {len(flags)} (seeds {', '.join(str(r['seed']) for r in sample_rows)})"
                             + (" (met)" if all(flags) else " (missed)"))
        rows.append(row)
    return rows


def lens_version() -> str:
    """The commit, and whether lens_core differs from it."""
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return ""
    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return head + (" with changes in lens_core" if git("status", "--porcelain", "lens_core") else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000, help="events per release (three releases)")
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated seeds (each: other causes planted)")
    parser.add_argument("--only", help="comma-separated corpora (default: all of CORPORA)")
    parser.add_argument("--embedder", default=Settings.model_fields["embedding_backend"].default,
                        help="minilm (the product's default) or hashing (quick)")
    parser.add_argument("--sample-seeds", default="7,1,2", help="seeds of the sample check")
    parser.add_argument("--quick", action="store_true", help="500 events per release, seeds 0,1, sample seed 7")
    args = parser.parse_args()
    if args.quick:
        args.events, args.seeds, args.sample_seeds = 500, "0,1", "7"
    logging.basicConfig(level=logging.WARNING)
    info = machine()
    print("command: python " + " ".join(sys.argv))
    print(f"lens: {lens_version()}")
    print(machine_line(info))
    embedder = get_embedder(args.embedder)
    names = args.only.split(",") if args.only else list(CORPORA)
    seeds = [int(s) for s in args.seeds.split(",")]
    started = time.perf_counter()
    results, sample_rows = [], []
    with tempfile.TemporaryDirectory(prefix="lens-regressions-") as tmp:
        folder = Path(tmp)
        for name in names:
            for seed in seeds:
                t = time.perf_counter()
                results.append(bench_seed(name, seed, args.events, folder, embedder, args.embedder))
                print(f"{name} seed {seed}: {results[-1]['events']} events, {results[-1]['patterns']} patterns, "
                      f"{results[-1]['fingerprints']} fingerprints, {time.perf_counter() - t:.1f} s", flush=True)
        for seed in [int(s) for s in args.sample_seeds.split(",") if s]:
            sample_rows.append(sample_check(seed, folder, embedder, args.embedder))

    print(f"\n{args.events} events per release (R1, R2, R3, a week each), seeds {args.seeds}, embedder "
          f"{args.embedder}. A planted cause's pattern is the pattern holding most of its events; naive groups are "
          "exact fingerprints.")
    for label in WEEKS:
        show(f"Planted changes, {label}: recall = planted found in their state / planted; precision = right / "
             "flagged in that state (target >= 0.9)", planted_table(results, label))
    reopened = {label: sum(r["planted"][label]["old reopened"] for r in results) for label in WEEKS}
    show("The late cause: resolved with R3, its only later events late ones of R1 and R2 (must not be "
         "regressed: a regressed pattern whose target holds no event of R3 or later counts under 'reopened')",
         late_table(results))
    show("Regressed flags whose reason says the fix held for some of the pattern's error messages (those stopped "
         "beyond chance; the others likely another failure, offered as a split)", fix_held_table(results))
    show("Shuffled copy (no real change): patterns flagged new, escalating or regressed / patterns compared "
         "(target <= 0.05)", shuffled_table(results))
    show("lens's flags no planted change explains (alert states and shrinking), by the rule that gave them",
         wrong_table(results))
    show("Planted causes per seed: state of the pattern holding most of each (lens, naive)", detail_table(results))
    if sample_rows:
        show("Sample telemetry (generate(3000, seed)): the regressions' patterns in their releases "
             "(target: new or escalating)", sample_rows)
    show("Targets (issue 19), lens", targets_table(results, sample_rows))
    total = round(time.perf_counter() - started, 1)
    print(f"\nwhole benchmark: {total} s")
    write_json(ROOT / "bench" / "results" / f"regressions.{args.embedder}{'.quick' if args.quick else ''}.json",
               {"machine": info, "args": vars(args), "seconds": total, "results": results,
                "sample": sample_rows, "old_reopened": reopened})


if __name__ == "__main__":
    main()
