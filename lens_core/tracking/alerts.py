"""Watch and alert: which patterns are new, regressed or escalating, told once per state change (issue 19).

    evaluate(engine, base, target)   compare (trends.compare_latest) and pick the alerts: a pattern in an
                                     ALERT_STATE that `lens watch` last saw in another state, or against
                                     another target release (a pattern new in 2024.05.2 and again in
                                     2024.06.1 alerts twice; escalating two mornings running, once)
    post(url, alert, redact=True)    one JSON message {"text": ...}, the form Slack and Microsoft Teams
                                     incoming webhooks both accept; its text redacted (REDACT_OUTBOUND)
    remember(engine, watch, sent)    store what was seen; an alert that was not delivered is not stored as
                                     seen, so the next watch sends it again

Only titles, states, counts and the reasons trends gives leave the machine. Titles are built from the
evidence or typed by an analyst, so they may still quote an error's text: the message goes through the
redaction layer (lens_core.describe.redact) like everything else that leaves, unless REDACT_OUTBOUND=false.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.engine import Engine

from lens_core.errors import InputError, LensError
from lens_core.storage import watch as store
from lens_core.storage.models import utcnow
from lens_core.storage.tracking_tables import PatternWatchRow
from lens_core.tracking.trends import ALERT_STATES, Comparison, PatternChange, Window, compare_latest

TIMEOUT_S = 10.0  # per webhook request


class DeliveryError(LensError):
    """The webhook refused a message or could not be reached."""


@dataclass
class Alert:
    pattern_id: int
    title: str
    state: str
    reason: str
    base: str
    target: str
    target_events: int
    target_rate: float

    def text(self) -> str:
        return (f"lens: pattern #{self.pattern_id} is {self.state.upper()}: {self.title}\n"
                f"Why: {self.reason}.\n"
                f"{self.target_events} event{'' if self.target_events == 1 else 's'} "
                f"({self.target_rate:.1%} of failures) in {self.target}, "
                f"compared with {self.base}.")

    def payload(self, *, redact: bool = True) -> dict[str, Any]:
        if not redact:
            return {"text": self.text()}
        from lens_core.describe.redact import redact as redact_text

        return {"text": redact_text(self.text())}

    def as_dict(self) -> dict[str, Any]:
        return {**{k: getattr(self, k) for k in self.__dataclass_fields__}, "text": self.text()}


@dataclass
class Watch:
    comparison: Comparison
    alerts: list[Alert] = field(default_factory=list)
    already_told: list[int] = field(default_factory=list)  # in an alert state, told before
    seen: dict[int, PatternWatchRow] = field(default_factory=dict)


def evaluate(*, engine: Engine, base: Window | None = None, target: Window | None = None) -> Watch:
    comparison = compare_latest(engine=engine, base=base, target=target)
    release = comparison.target_release or ""
    seen = store.last_seen(engine=engine)
    watch = Watch(comparison=comparison, seen=seen)
    for change in comparison.changes:
        if change.state not in ALERT_STATES:
            continue
        before = seen.get(change.pattern_id)
        if before is not None and before.state == change.state and before.release == release:
            watch.already_told.append(change.pattern_id)
        else:
            watch.alerts.append(_alert(change, comparison))
    return watch


def _alert(change: PatternChange, comparison: Comparison) -> Alert:
    return Alert(pattern_id=change.pattern_id, title=change.title, state=change.state, reason=change.reason,
                 base=comparison.base, target=comparison.target, target_events=change.target_events,
                 target_rate=change.target_rate)


def check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"webhook {url!r}: give an http:// or https:// URL with a host")
    return url


def post(url: str, alert: Alert, *, redact: bool = True) -> None:
    body = json.dumps(alert.payload(redact=redact)).encode("utf-8")
    request = urllib.request.Request(check_url(url), data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    where = urlsplit(url).hostname
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310 (scheme checked)
            response.read()
    except urllib.error.HTTPError as error:
        raise DeliveryError(f"webhook at {where} answered {error.code} {error.reason} to the alert on "
                            f"pattern #{alert.pattern_id}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise DeliveryError(f"webhook at {where} could not be reached ({reason}) for the alert on "
                            f"pattern #{alert.pattern_id}") from None


def remember(*, engine: Engine, watch: Watch, sent: set[int], now: datetime | None = None) -> int:
    """Store each compared pattern's state, except alerts not in `sent` (so they fire again); patterns
    watched before and absent from this comparison become 'quiet'. Returns the rows written."""
    now = now or utcnow()
    release = watch.comparison.target_release or ""
    alerted = {a.pattern_id for a in watch.alerts}
    rows = []
    for change in watch.comparison.changes:
        if change.pattern_id in alerted and change.pattern_id not in sent:
            continue
        before = watch.seen.get(change.pattern_id)
        rows.append(PatternWatchRow(
            pattern_id=change.pattern_id, state=change.state, release=release, reason=change.reason, seen_at=now,
            alerted_at=now if change.pattern_id in sent else (before.alerted_at if before else None)))
    compared = {c.pattern_id for c in watch.comparison.changes}
    rows += [PatternWatchRow(pattern_id=pid, state="quiet", release=release, reason="no events compared",
                             seen_at=now, alerted_at=row.alerted_at)
             for pid, row in watch.seen.items() if pid not in compared]
    return store.record(engine=engine, rows=rows)
