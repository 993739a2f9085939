"""Sample Copilot failure telemetry with a known root cause per event, for demos, tests and benchmarks.

Each of the ~14 causes in `ROOT_CAUSES` fails several user intents and shows up in several surface forms
(Graph error JSON, flat JSON, Python traceback, HTML gateway page, one-line text) with variable ids,
dates and numbers, so neither the prompt nor the exact error text recovers the cause on its own.

    events, truth = generate(3000, seed=7)
    write_samples("data/samples/telemetry.csv")  # also .json and .jsonl; truth beside it

All randomness comes from one `random.Random(seed)`: the same (n, seed) gives byte-identical files.
Values are drawn lazily per event (see `_Ctx`), which keeps generation linear and cheap.
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from lens_core.errors import InputError
from lens_core.samples.catalog import (
    AI_OUTPUTS, BAD_PROPERTIES, CHANNELS, CLIENTS, DUES, FILES, FIRST, FOLDERS, GROUPS, HTML_PAGES,
    HTTP_TRACEBACK, INTENTS, KQL_TEMPLATES, LAST, LISTS, MESSAGES, PERIOD_DAYS, PLANS, PROMPT_PREFIXES,
    RELEASES, ROOT_CAUSES, SITES, STATUS_REASONS, SUBJECTS, TASKS, TENANTS, TOPICS, TRACEBACKS, WHENS,
    RootCause,
)
from lens_core.schema import KNOWN_FIELDS

__all__ = ["ROOT_CAUSES", "generate", "generate_labelled", "malformed_cases", "malformed_rows",
           "write_events", "write_malformed", "write_samples"]

_START = date(2024, 5, 1)
_DAYS = tuple((_START + timedelta(days=d)).isoformat() for d in range(PERIOD_DAYS + 10))
# Share of traffic per UTC hour: tenants are mostly European and American, so the day peaks 8-17 UTC.
_HOUR_WEIGHTS = (1, 1, 1, 1, 1, 2, 3, 5, 8, 9, 9, 9, 8, 9, 9, 8, 6, 4, 3, 2, 2, 1, 1, 1)
_N_USERS = 380
_JSON_OBJECT_SHARE = 0.3  # JSON-form outputs kept as objects (JSON files) rather than strings
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_ASCII = str.maketrans({"ë": "e", "é": "e", "í": "i", "ü": "u", "'": ""})
_GRAPH = "https://graph.microsoft.com/v1.0"


def _guid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _token(rng: random.Random, prefix: str, k: int) -> str:
    return prefix + "".join(rng.choices(_ALNUM, k=k))


def _address(first: str, last: str, domain: str) -> str:
    return f"{first.lower()}.{last.lower()}@{domain}".translate(_ASCII)


def _bad_recipient(rng: random.Random, c: _Ctx) -> str:
    local = f"{c['person']}.{c['last']}".lower().translate(_ASCII)
    return rng.choice((c["fullname"], f"{local}@{c['tenant']}", f"{local}@@{c['domain']}", f"{local}@{c['domain']}."))


def _start(rng: random.Random, c: _Ctx) -> str:
    return f"{_DAYS[c['_day'] + rng.randint(0, 6)]}T{rng.randint(8, 17):02d}:{rng.choice(('00', '30'))}:00"


def _size(rng: random.Random, c: _Ctx) -> str:
    return f"{int(c['limit']) + rng.uniform(0.2, 120):.1f}"


# Lazily drawn placeholder values: key -> function(rng, ctx). Only what an event's templates ask for is drawn.
_GENERATORS: dict[str, Callable[[random.Random, Any], Any]] = {
    "guid": lambda r, c: _guid(r), "guid2": lambda r, c: _guid(r), "tenant_guid": lambda r, c: _guid(r),
    "person": lambda r, c: r.choice(FIRST), "person2": lambda r, c: r.choice(FIRST),
    "last": lambda r, c: r.choice(LAST),
    "fullname": lambda r, c: f"{c['person']} {c['last']}",
    "email": lambda r, c: _address(c["person"], c["last"], c["domain"]),
    "recipients": lambda r, c: [c["email"]],
    "guess": lambda r, c: r.choice((f"{c['person']}@{c['domain']}".lower().translate(_ASCII),
                                    f"{c['person']}.{c['last'][0]}@{c['domain']}".lower().translate(_ASCII))),
    "guess_recipients": lambda r, c: [c["guess"]],
    "bad": _bad_recipient, "bad_recipients": lambda r, c: [c["bad"]],
    "lock_email": lambda r, c: _address(r.choice(FIRST), r.choice(LAST), c["domain"]),
    "group": lambda r, c: r.choice(GROUPS), "topic": lambda r, c: r.choice(TOPICS),
    "subject": lambda r, c: r.choice(SUBJECTS), "when": lambda r, c: r.choice(WHENS),
    "message": lambda r, c: r.choice(MESSAGES), "minutes": lambda r, c: r.choice((15, 30, 30, 45, 60)),
    "start": _start, "end": lambda r, c: f"{_DAYS[c['_day'] + 7]}T00:00:00",
    "file": lambda r, c: r.choice(FILES), "files": lambda r, c: [c["file"]],
    "newname": lambda r, c: c["file"].replace(".", " (final).", 1), "folder": lambda r, c: r.choice(FOLDERS),
    "role": lambda r, c: r.choice(("read", "write")), "item": lambda r, c: _token(r, "01", 32).upper(),
    "site": lambda r, c: r.choice(SITES), "site_slug": lambda r, c: c["site"].replace(" ", ""),
    "bad_site": lambda r, c: c["site"].lower().replace(" ", "-") + r.choice(("-team", "", "2", "-site", "-old")),
    "host": lambda r, c: f"{c['tenant']}.sharepoint.com",
    "site_id": lambda r, c: f"{c['host']},{_guid(r)},{_guid(r)}",
    "list": lambda r, c: r.choice(LISTS), "list_slug": lambda r, c: c["list"].replace(" ", ""),
    "channel": lambda r, c: r.choice(CHANNELS), "plan": lambda r, c: r.choice(PLANS),
    "task": lambda r, c: r.choice(TASKS), "due": lambda r, c: r.choice(DUES),
    "due_iso": lambda r, c: f"{_DAYS[c['_day'] + r.randint(1, 9)]}T17:00:00Z", "todo_name": lambda r, c: "Tasks",
    "entities": lambda r, c: r.choice((["driveItem"], ["driveItem", "listItem"], ["message", "chatMessage"])),
    "kql": lambda r, c: r.choice(KQL_TEMPLATES).format(topic=c["topic"], person=c["person"]),
    "prop": lambda r, c: r.choice(BAD_PROPERTIES), "pos": lambda r, c: r.randint(8, 64),
    "id": lambda r, c: _token(r, "AAMkAG", 40), "chat": lambda r, c: f"19:{r.getrandbits(128):032x}@thread.v2",
    "team": lambda r, c: _guid(r), "chan": lambda r, c: f"19:{r.getrandbits(128):032x}@thread.tacv2",
    "plan_id": lambda r, c: _token(r, "", 28), "todo_list": lambda r, c: _token(r, "AQMkAD", 30),
    "n": lambda r, c: r.randint(1, 120), "elapsed": lambda r, c: r.randint(30_000, 60_500),
    "timeout": lambda r, c: r.choice((30, 60)), "attempt": lambda r, c: r.randint(1, 3),
    "mins_ago": lambda r, c: r.randint(1, 900), "ts_prev": lambda r, c: f"{_DAYS[c['_day']]} 0{r.randint(0, 7)}:"
    f"{r.randint(10, 59)}:{r.randint(10, 59)}", "region": lambda r, c: r.choice(("EUR", "NAM", "APC")),
    "limit": lambda r, c: r.choice(("3", "25", "35")), "size": _size,
    "bytes": lambda r, c: int(float(c["size"]) * 1_048_576), "pod": lambda r, c: _token(r, "", 5).lower(),
    "nginx": lambda r, c: r.choice(("1.25.3", "1.24.0")), "l1": lambda r, c: r.choice((88, 91, 97, 112, 130)),
    "l2": lambda r, c: r.choice((187, 203)),
}


class _Ctx(dict):
    """Placeholder values of one event, drawn on first use so a template only pays for what it names."""

    def __init__(self, rng: random.Random, **base: Any) -> None:
        super().__init__(base)
        self.rng = rng

    def __missing__(self, key: str) -> Any:
        value = self[key] = _GENERATORS[key](self.rng, self)
        return value


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
    return day, f"{_DAYS[day]}T{hour:02d}:{sec // 60:02d}:{sec % 60:02d}"


def _counts(n: int) -> list[int]:
    """Exact events per cause (largest remainder), so small samples keep the long tail."""
    raw = [c.share * n for c in ROOT_CAUSES]
    counts = [int(x) for x in raw]
    by_remainder = sorted(range(len(raw)), key=lambda i: raw[i] - counts[i], reverse=True)
    for i in by_remainder[: n - sum(counts)]:
        counts[i] += 1
    return counts


def _prompt(rng: random.Random, template: str, ctx: _Ctx) -> str:
    """The user's words, sometimes casual: a greeting, no capital, a swapped-letter typo."""
    text = template.format_map(ctx)
    roll = rng.random()
    if roll < 0.1:
        text = rng.choice(PROMPT_PREFIXES) + text[0].lower() + text[1:]
    elif roll < 0.2:
        text = text.lower().rstrip(".?")
    if rng.random() < 0.06:
        i = rng.randrange(1, len(text) - 2)
        if text[i].isalpha() and text[i + 1].isalpha():
            text = text[:i] + text[i + 1] + text[i] + text[i + 2:]
    return text


def _skill_input(rng: random.Random, call: tuple, cause: RootCause, ctx: _Ctx) -> str:
    """The call the assistant made: usually JSON, sometimes a free-text call as some planners log it."""
    plugin, action, spec = call
    overrides, extra = cause.overrides, cause.extra_params if call[2] is not cause.fallback[2] else ()
    params = {name: ctx[overrides.get(key, key)] for name, key in spec + extra}
    if rng.random() < 0.8:
        return json.dumps({"plugin": plugin, "action": action, "parameters": params}, ensure_ascii=False)
    args = ", ".join(f"{k}={v!r}" for k, v in params.items())
    return f"{plugin}.{action}({args})"


def _graph(rng: random.Random, cause: RootCause, ctx: _Ctx) -> dict:
    error = {"code": rng.choice(cause.codes), "message": rng.choice(cause.messages).format_map(ctx),
             "innerError": {"date": ctx["ts"], "request-id": ctx["guid"], "client-request-id": ctx["guid2"]}}
    shape = rng.random()
    if shape < 0.5:
        return {"error": error}
    if shape < 0.75:
        return {"status": cause.status, "plugin": ctx["plugin"], "url": ctx["url"], "error": error}
    return {"response": {"status_code": cause.status, "body": {"error": error}}}


def _flat(rng: random.Random, cause: RootCause, ctx: _Ctx) -> dict:
    return {"error_type": cause.error_type, "status_code": cause.status,
            "message": rng.choice(cause.messages).format_map(ctx), "plugin": ctx["plugin"], "endpoint": ctx["path"]}


def _traceback(rng: random.Random, cause: RootCause, ctx: _Ctx) -> str:
    codes, tail, last = rng.choice(TRACEBACKS.get(cause.id, HTTP_TRACEBACK))
    status = cause.status or 0
    ctx.update(status=status, side="Client" if status < 500 else "Server", reason=STATUS_REASONS.get(status, ""))
    last = last.format_map(ctx)
    runner = 142 if ctx["_day"] < RELEASES[2][0] else 151  # the runner moved a few lines in 2024.05.2
    return ("Traceback (most recent call last):\n"
            f'  File "/srv/copilot/skills/runner.py", line {runner}, in invoke\n    result = skill.run(call)\n'
            f'  File "/srv/copilot/plugins/{ctx["plugin"].lower()}/client.py", line {ctx["l1"]}, in {ctx["action"]}\n'
            f"    {codes[0].format_map(ctx)}\n{tail.format_map(ctx)}{last}")


def _html(rng: random.Random, cause: RootCause, ctx: _Ctx) -> str:
    return rng.choice(HTML_PAGES[cause.status]).format_map(ctx)


def _text(rng: random.Random, cause: RootCause, ctx: _Ctx) -> str:
    return rng.choice(cause.texts).format_map(ctx)


_RENDERERS = {"graph": _graph, "flat": _flat, "traceback": _traceback, "html": _html, "text": _text}


def _event(rng: random.Random, cause: RootCause, day: int, ts: str, tenant: str, domain: str) -> tuple[dict, str, str]:
    """One failure of `cause`: the event fields that depend on it, its intent and its surface form."""
    intent_name = rng.choices(list(cause.intents), weights=list(cause.intents.values()))[0]
    intent = INTENTS[intent_name]
    ctx = _Ctx(rng, _day=day, ts=ts, tenant=tenant, domain=domain)
    prompt = _prompt(rng, rng.choice(intent.prompts), ctx)
    call = (intent.plugin, intent.action, intent.params) if intent.plugin in cause.plugins else cause.fallback
    skill_input = _skill_input(rng, call, cause, ctx)
    method, path = rng.choice(cause.endpoints[call[0]]).split(" ", 1)
    path = path.format_map(ctx)
    ctx.update(plugin=call[0], action=call[1], path=path, url=_GRAPH + path, endpoint=f"{method} {path}")
    form = rng.choices(list(cause.forms), weights=list(cause.forms.values()))[0]
    output = _RENDERERS[form](rng, cause, ctx)
    if isinstance(output, dict) and rng.random() >= _JSON_OBJECT_SHARE:
        output = json.dumps(output, ensure_ascii=False)
    if cause.hints and rng.random() < 0.25:
        ai_output = rng.choice(cause.hints)
    else:
        ai_output = rng.choice(AI_OUTPUTS).format(verb=rng.choice(intent.verbs))
    fields = {"customer_prompt": prompt, "skill_input": skill_input, "skill_output": output, "ai_output": ai_output}
    return fields, intent_name, form


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
    """Extra columns some exports carry; ingest keeps them as attributes."""
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
        fields, intent, form = _event(rng, cause, day, ts, tenant, people.domain[tenant])
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
        extra = sorted({key for row in rows for key in row} - set(KNOWN_FIELDS))
        _write_csv(path, rows, list(KNOWN_FIELDS) + extra)
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
