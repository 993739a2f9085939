"""Sample Copilot failure telemetry with a known root cause per event, for demos, tests and benchmarks.

Each of the ~14 causes in `ROOT_CAUSES` fails several user intents and shows up in several surface forms
(Graph error JSON, flat JSON, Python traceback, HTML gateway page, one-line text) with variable ids,
dates and numbers, so neither the prompt nor the exact error text recovers the cause on its own.

    events, truth = generate(3000, seed=7)
    write_samples("data/samples/telemetry.csv")  # also .json and .jsonl; truth beside it

All randomness comes from one `random.Random(seed)`: the same (n, seed) gives byte-identical files.
Values are drawn lazily per event (see `placeholders`), which keeps generation linear and cheap;
the tables are in `intents` and `root_causes`, one event's rendering in `rendering`.
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from lens_core.errors import InputError
from lens_core.samples.intents import CLIENTS, TENANTS
from lens_core.samples.placeholders import DAYS
from lens_core.samples.rendering import render_event
from lens_core.samples.root_causes import PERIOD_DAYS, RELEASES, ROOT_CAUSES, RootCause
from lens_core.schema import KNOWN_FIELDS

__all__ = ["ROOT_CAUSES", "generate", "generate_labelled", "malformed_cases", "malformed_rows",
           "write_events", "write_malformed", "write_samples"]

# Share of traffic per UTC hour: tenants are mostly European and American, so the day peaks 8-17 UTC.
_HOUR_WEIGHTS = (1, 1, 1, 1, 1, 2, 3, 5, 8, 9, 9, 9, 8, 9, 9, 8, 6, 4, 3, 2, 2, 1, 1, 1)
_N_USERS = 380


class _Population:
    """Users (Zipf-like activity, one home tenant each) and cumulative weights for quick draws."""

    def __init__(self, rng: random.Random) -> None:
        ids = [f"user-{i:04d}" for i in rng.sample(range(1, 1000), _N_USERS)]
        names = [t[0] for t in TENANTS]
        home = [names[i % len(names)] for i in range(2 * len(names))]  # every tenant has users
        home += rng.choices(names, weights=[t[2] for t in TENANTS], k=_N_USERS - len(home))
        rng.shuffle(home)
        weights = [1.0 / (rank + 8) for rank in range(_N_USERS)]  # Zipf-Mandelbrot: top user ~3%
        self.users = list(zip(ids, home))
        self.cum = _cumulative(weights)
        self.by_tenant = {name: ([u for u, h in self.users if h == name],
                                 _cumulative([w for w, (_, h) in zip(weights, self.users) if h == name]))
                          for name in names}
        self.domain = {t[0]: t[1] for t in TENANTS}

    def draw(self, rng: random.Random, cause: RootCause) -> tuple[str, str]:
        if cause.tenants:
            tenant = rng.choices([t for t, _ in cause.tenants], weights=[w for _, w in cause.tenants])[0]
            users, cum = self.by_tenant[tenant]
            return rng.choices(users, cum_weights=cum)[0], tenant
        return rng.choices(self.users, cum_weights=self.cum)[0]


def _cumulative(weights: Iterable[float]) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


def _day_table(first: int) -> tuple[list[int], list[float]]:
    """Days from `first` on; weekends carry a third of a weekday's traffic (day 0 is a Wednesday)."""
    days = list(range(first, PERIOD_DAYS))
    return days, _cumulative(0.35 if (2 + d) % 7 >= 5 else 1.0 for d in days)


def _draw_time(rng: random.Random, cause: RootCause, tables: dict) -> tuple[int, str]:
    """Day index and ISO timestamp; bursts put part of a cause into a few hours, regressions start late."""
    timing = cause.timing
    if timing[0] == "burst" and rng.random() < timing[1]:
        day, h0, h1 = rng.choice(timing[2])
        hour = rng.randrange(h0, h1)
    else:
        days, cum = tables[timing[1] if timing[0] == "after" else 0]
        day = rng.choices(days, cum_weights=cum)[0]
        hour = rng.choices(range(24), cum_weights=tables["hours"])[0]
    sec = rng.randrange(3600)
    return day, f"{DAYS[day]}T{hour:02d}:{sec // 60:02d}:{sec % 60:02d}"


def _counts(n: int) -> list[int]:
    """Exact events per cause (largest remainder), so small samples keep the long tail."""
    raw = [c.share * n for c in ROOT_CAUSES]
    counts = [int(x) for x in raw]
    by_remainder = sorted(range(len(raw)), key=lambda i: raw[i] - counts[i], reverse=True)
    for i in by_remainder[: n - sum(counts)]:
        counts[i] += 1
    return counts


def _new_id(rng: random.Random, seen: set[str]) -> str:
    """"eval-" + 12 hex digits; redrawn on the rare collision so ids stay unique at a million events."""
    while True:
        eid = f"eval-{rng.getrandbits(48):012x}"
        if eid not in seen:
            seen.add(eid)
            return eid


def _release(day: int) -> str:
    return [name for first, name in RELEASES if day >= first][-1]


def _add_attributes(rng: random.Random, event: dict, day: int) -> None:
    """Columns some exports carry: client (ingest keeps it as an attribute) and release (a field)."""
    if rng.random() < 0.4:
        event["client"] = rng.choices([c for c, _ in CLIENTS], weights=[w for _, w in CLIENTS])[0]
    if rng.random() < 0.25:
        event["release"] = _release(day)


def generate_labelled(n: int = 3000, seed: int = 7) -> tuple[list[dict], list[dict]]:
    """Events in time order and one label per event: evaluation_id, root_cause, intent and form."""
    if n < 0:
        raise InputError(f"the number of sample events must be 0 or more, not {n}")
    rng = random.Random(seed)
    people = _Population(rng)
    tables: dict = {"hours": _cumulative(_HOUR_WEIGHTS), 0: _day_table(0)}
    for cause in ROOT_CAUSES:
        if cause.timing[0] == "after":
            tables[cause.timing[1]] = _day_table(cause.timing[1])
    causes = [c for c, k in zip(ROOT_CAUSES, _counts(n)) for _ in range(k)]
    rng.shuffle(causes)
    seen: set[str] = set()
    rows = []
    for cause in causes:
        user, tenant = people.draw(rng, cause)
        day, ts = _draw_time(rng, cause, tables)
        eid = _new_id(rng, seen)
        fields, intent, form = render_event(rng, cause, day, ts, tenant, people.domain[tenant])
        event = {"evaluation_id": eid, **fields, "timestamp": ts + "Z", "user_id": user, "tenant_id": tenant}
        _add_attributes(rng, event, day)
        rows.append((ts, event, {"evaluation_id": eid, "root_cause": cause.id, "intent": intent, "form": form}))
    rows.sort(key=lambda row: row[0])  # exports arrive in time order; sort is stable, so still deterministic
    return [r[1] for r in rows], [r[2] for r in rows]


def generate(n: int = 3000, seed: int = 7) -> tuple[list[dict], list[dict]]:
    """`n` failure events and their truth rows ({"evaluation_id", "root_cause"}), from `seed` alone."""
    events, labels = generate_labelled(n, seed)
    return events, [{"evaluation_id": lab["evaluation_id"], "root_cause": lab["root_cause"]} for lab in labels]


def _cell(value: Any) -> str:
    """CSV text of a value: strings as they are, objects, numbers and booleans as JSON."""
    if isinstance(value, str):
        return value
    return "" if value is None else json.dumps(value, ensure_ascii=False)


def _write_csv(path: Path, rows: list[dict], columns: list[str]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([_cell(row.get(col)) for col in columns] for row in rows)


def write_events(path: str | Path, rows: list[dict]) -> Path:
    """Write rows as CSV, JSON (an array, one event a line) or JSON Lines, chosen by the file extension."""
    path = Path(path)
    suffix = path.suffix.lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        # release is a known field now, but keeps its place among the sorted extra columns (after client)
        leading = [name for name in KNOWN_FIELDS if name != "release"]
        extra = sorted({key for row in rows for key in row} - set(leading))
        _write_csv(path, rows, leading + extra)
    elif suffix == ".json":
        lines = ",\n".join(json.dumps(row, ensure_ascii=False) for row in rows)
        path.write_text(f"[\n{lines}\n]\n" if rows else "[]\n", encoding="utf-8")
    elif suffix == ".jsonl":
        path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    else:
        raise InputError(f"cannot write samples to {path.name}: use a .csv, .json or .jsonl file name")
    return path


def write_samples(path: str | Path, n: int = 3000, seed: int = 7) -> tuple[Path, Path]:
    """Write `n` events to `path` and their truth to `<stem>.truth.csv` beside it; returns both paths."""
    events, truth = generate(n, seed)
    path = write_events(path, events)
    truth_path = path.with_name(f"{path.stem}.truth.csv")
    _write_csv(truth_path, truth, ["evaluation_id", "root_cause"])
    return path, truth_path


def _oversized_traceback() -> str:
    """A runaway recursion log just over 2 MiB: larger than ingest accepts (MAX_FIELD_CHARS, 1 M)."""
    frame = ('  File "/srv/copilot/plugins/sharepoint/paging.py", line 58, in _next_page\n'
             "    return self._next_page(token)\n")
    repeats = 2 * 1024 * 1024 // len(frame) + 1
    return ("Traceback (most recent call last):\n" + frame * repeats
            + "RecursionError: maximum recursion depth exceeded while calling a Python object")


def malformed_cases() -> list[tuple[str, dict]]:
    """Rows for validation tests, each with the name of what is wrong ("good" for the valid ones)."""
    events, _ = generate(22, seed=11)
    good, spare = events[:10], iter(events[10:])

    def bad(**changes: Any) -> dict:
        return {**next(spare), **changes}

    base = next(spare)
    missing_id = {k: v for k, v in base.items() if k != "evaluation_id"}
    return [
        ("good", good[0]), ("good", good[1]), ("missing_evaluation_id", missing_id), ("good", good[2]),
        ("number_as_text", bad(customer_prompt=42)), ("good", good[3]),
        ("skill_output_list", bad(skill_output=["error", 500])), ("skill_output_bool", bad(skill_output=True)),
        ("good", good[4]), ("empty_row", {}), ("good", good[5]),
        ("duplicate_evaluation_id", bad(evaluation_id=good[1]["evaluation_id"])), ("good", good[6]),
        ("bad_timestamp", bad(timestamp="yesterday afternoon")),
        ("bad_timestamp", bad(timestamp="2024-13-45T25:61:00Z")),
        ("good", good[7]), ("oversized_field", bad(skill_output=_oversized_traceback())), ("good", good[8]),
        ("good", good[9]),
    ]


def malformed_rows() -> list[dict]:
    """Ten valid rows mixed with one of each problem ingest must report (see `malformed_cases`)."""
    return [row for _, row in malformed_cases()]


def write_malformed(path: str | Path) -> Path:
    """Write `malformed_rows()` as CSV, JSON or JSON Lines. In CSV every value is text: 42 becomes "42"."""
    return write_events(path, malformed_rows())
