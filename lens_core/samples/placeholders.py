"""Placeholder values of one sample event ({person}, {guid}, {start}, ...), drawn lazily from the generator's
seeded RNG: only what an event's templates name is drawn, so generation stays linear and cheap, and the
same placeholder holds the same value in a prompt, a skill call and an error blob of one event.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from lens_core.samples.intents import (
    BAD_PROPERTIES,
    CHANNELS,
    DUES,
    FILES,
    FIRST,
    FOLDERS,
    GROUPS,
    KQL_TEMPLATES,
    LAST,
    LISTS,
    MESSAGES,
    PLANS,
    SITES,
    SUBJECTS,
    TASKS,
    TOPICS,
    WHENS,
)
from lens_core.samples.root_causes import PERIOD_DAYS

_START = date(2024, 5, 1)
DAYS = tuple((_START + timedelta(days=d)).isoformat() for d in range(PERIOD_DAYS + 10))
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_ASCII = str.maketrans({"ë": "e", "é": "e", "í": "i", "ü": "u", "'": ""})


def _guid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _token(rng: random.Random, prefix: str, k: int) -> str:
    return prefix + "".join(rng.choices(_ALNUM, k=k))


def _address(first: str, last: str, domain: str) -> str:
    return f"{first.lower()}.{last.lower()}@{domain}".translate(_ASCII)


def _bad_recipient(rng: random.Random, c: EventPlaceholders) -> str:
    local = f"{c['person']}.{c['last']}".lower().translate(_ASCII)
    return rng.choice((c["fullname"], f"{local}@{c['tenant']}", f"{local}@@{c['domain']}", f"{local}@{c['domain']}."))


def _start(rng: random.Random, c: EventPlaceholders) -> str:
    return f"{DAYS[c['_day'] + rng.randint(0, 6)]}T{rng.randint(8, 17):02d}:{rng.choice(('00', '30'))}:00"


def _size(rng: random.Random, c: EventPlaceholders) -> str:
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
    "start": _start, "end": lambda r, c: f"{DAYS[c['_day'] + 7]}T00:00:00",
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
    "due_iso": lambda r, c: f"{DAYS[c['_day'] + r.randint(1, 9)]}T17:00:00Z", "todo_name": lambda r, c: "Tasks",
    "entities": lambda r, c: r.choice((["driveItem"], ["driveItem", "listItem"], ["message", "chatMessage"])),
    "kql": lambda r, c: r.choice(KQL_TEMPLATES).format(topic=c["topic"], person=c["person"]),
    "prop": lambda r, c: r.choice(BAD_PROPERTIES), "pos": lambda r, c: r.randint(8, 64),
    "id": lambda r, c: _token(r, "AAMkAG", 40), "chat": lambda r, c: f"19:{r.getrandbits(128):032x}@thread.v2",
    "team": lambda r, c: _guid(r), "chan": lambda r, c: f"19:{r.getrandbits(128):032x}@thread.tacv2",
    "plan_id": lambda r, c: _token(r, "", 28), "todo_list": lambda r, c: _token(r, "AQMkAD", 30),
    "n": lambda r, c: r.randint(1, 120), "elapsed": lambda r, c: r.randint(30_000, 60_500),
    "timeout": lambda r, c: r.choice((30, 60)), "attempt": lambda r, c: r.randint(1, 3),
    "mins_ago": lambda r, c: r.randint(1, 900), "ts_prev": lambda r, c: f"{DAYS[c['_day']]} 0{r.randint(0, 7)}:"
    f"{r.randint(10, 59)}:{r.randint(10, 59)}", "region": lambda r, c: r.choice(("EUR", "NAM", "APC")),
    "limit": lambda r, c: r.choice(("3", "25", "35")), "size": _size,
    "bytes": lambda r, c: int(float(c["size"]) * 1_048_576), "pod": lambda r, c: _token(r, "", 5).lower(),
    "nginx": lambda r, c: r.choice(("1.25.3", "1.24.0")), "l1": lambda r, c: r.choice((88, 91, 97, 112, 130)),
    "l2": lambda r, c: r.choice((187, 203)),
}


class EventPlaceholders(dict):
    """Placeholder values of one event, drawn on first use so a template only pays for what it names."""

    def __init__(self, rng: random.Random, **base: Any) -> None:
        super().__init__(base)
        self.rng = rng

    def __missing__(self, key: str) -> Any:
        value = self[key] = _GENERATORS[key](self.rng, self)
        return value
