"""The sample generator: deterministic, realistic enough to be hard, and faithful across file formats."""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path

import pytest

from lens_core.errors import InputError
from lens_core.samples.generator import (
    ROOT_CAUSES,
    generate,
    generate_labelled,
    malformed_cases,
    write_events,
    write_malformed,
    write_samples,
)
from lens_core.samples.intents import INTENTS

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
csv.field_size_limit(10**8)  # the malformed file holds a 2 MB field on purpose


@pytest.fixture(scope="module")
def labelled() -> tuple[list[dict], list[dict]]:
    return generate_labelled(3000, seed=7)


def _kind(output: object) -> str:
    """Surface form seen from the outside, without trusting the labels."""
    if isinstance(output, dict) or str(output).startswith("{"):
        return "json"
    text = str(output)
    return "traceback" if text.startswith("Traceback") else "html" if text.startswith("<") else "text"


def _normal(row: dict) -> dict:
    """One event as text fields, absent and empty values dropped: what every format must agree on."""
    return {
        k: v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) for k, v in row.items() if v not in ("", None)
    }


def _read(path: Path) -> list[dict]:
    if path.suffix == ".csv":
        with path.open(encoding="utf-8", newline="") as f:
            return list(csv.DictReader(f))
    text = path.read_text(encoding="utf-8")
    return json.loads(text) if path.suffix == ".json" else [json.loads(line) for line in text.splitlines()]


def test_same_seed_gives_the_same_events_and_another_seed_does_not():
    assert generate(400, seed=3) == generate(400, seed=3)
    assert generate(400, seed=3)[0] != generate(400, seed=4)[0]


@pytest.mark.parametrize("ext", ["csv", "json", "jsonl"])
def test_files_are_byte_identical_for_the_same_seed(tmp_path, ext):
    first = write_samples(tmp_path / "a" / f"t.{ext}", n=300, seed=5)
    second = write_samples(tmp_path / "b" / f"t.{ext}", n=300, seed=5)
    for one, two in zip(first, second):
        assert one.read_bytes() == two.read_bytes()
    assert first[1].name == "t.truth.csv"


def test_causes_table_is_a_long_tail_that_sums_to_one():
    shares = sorted((c.share for c in ROOT_CAUSES), reverse=True)
    assert len({c.id for c in ROOT_CAUSES}) == len(ROOT_CAUSES) >= 12
    assert sum(shares) == pytest.approx(1.0)
    assert shares[0] >= 0.15 and shares[-1] == pytest.approx(0.015)
    assert all(c.description and c.plugins for c in ROOT_CAUSES)
    assert any(len(c.plugins) > 1 for c in ROOT_CAUSES)


def test_every_cause_appears_with_its_share(labelled):
    counts = Counter(label["root_cause"] for label in labelled[1])
    for cause in ROOT_CAUSES:
        assert abs(counts[cause.id] - cause.share * 3000) <= 1, cause.id


def test_each_cause_shows_in_several_surface_forms(labelled):
    events, labels = labelled
    kinds = defaultdict(set)
    for event, label in zip(events, labels):
        kind = _kind(event["skill_output"])
        assert kind == ("json" if label["form"] in ("graph", "flat") else label["form"]), label
        kinds[label["root_cause"]].add(label["form"])
    assert all(len(kinds[c.id]) >= 2 for c in ROOT_CAUSES), dict(kinds)
    assert set().union(*kinds.values()) == {"graph", "flat", "traceback", "html", "text"}


def test_exact_error_text_does_not_recover_the_cause(labelled):
    by_cause = defaultdict(list)
    for event, label in zip(*labelled):
        by_cause[label["root_cause"]].append(json.dumps(event["skill_output"], sort_keys=True))
    for cause, outputs in by_cause.items():
        top = Counter(outputs).most_common(1)[0][1]
        assert top <= 0.25 * len(outputs), cause


def test_intents_and_causes_cross(labelled):
    causes_of, intents_of = defaultdict(Counter), defaultdict(set)
    for label in labelled[1]:
        causes_of[label["intent"]][label["root_cause"]] += 1
        intents_of[label["root_cause"]].add(label["intent"])
    assert set(causes_of) == set(INTENTS)
    assert all(len(c) >= 2 for c in causes_of.values())
    assert len(causes_of["schedule_meeting"]) >= 4 and len(causes_of["send_email"]) >= 4
    # the prompt alone cannot tell the cause: no intent is dominated by one cause
    assert max(c.most_common(1)[0][1] / sum(c.values()) for c in causes_of.values() if len(c) >= 3) < 0.7
    assert sum(len(i) >= 2 for i in intents_of.values()) == len(ROOT_CAUSES)


def test_prompts_and_messages_vary(labelled):
    events, labels = labelled
    meeting = {e["customer_prompt"] for e, lab in zip(events, labels) if lab["intent"] == "schedule_meeting"}
    assert len(meeting) > 200
    assert len({e["ai_output"] for e in events}) > 50
    calls = [e["skill_input"] for e in events]
    as_json = [json.loads(c) for c in calls if c.startswith("{")]
    assert 0.6 < len(as_json) / len(calls) < 0.95
    assert all({"plugin", "action", "parameters"} <= set(c) for c in as_json)


def test_json_outputs_are_partly_objects(labelled):
    outputs = [e["skill_output"] for e, lab in zip(*labelled) if lab["form"] in ("graph", "flat")]
    share = sum(isinstance(o, dict) for o in outputs) / len(outputs)
    assert 0.2 < share < 0.4
    assert all(isinstance(json.loads(o), dict) for o in outputs if isinstance(o, str))


def test_ids_are_unique_and_shaped():
    events, truth = generate(20_000, seed=1)
    ids = [e["evaluation_id"] for e in events]
    assert len(set(ids)) == len(ids) and ids == [t["evaluation_id"] for t in truth]
    assert all(i.startswith("eval-") and len(i) == 17 for i in ids)


def test_time_users_and_tenants_are_skewed(labelled):
    events, labels = labelled
    stamps = [datetime.fromisoformat(e["timestamp"]) for e in events]
    assert stamps == sorted(stamps) and stamps[0].year == 2024 and {s.month for s in stamps} == {5}
    first = {}
    tenants = defaultdict(set)
    for event, label in zip(events, labels):
        first.setdefault(label["root_cause"], event["timestamp"])
        tenants[label["root_cause"]].add(event["tenant_id"])
    assert first["teams_plugin_keyerror"] >= "2024-05-21" and first["calendar_invalid_datetime"] >= "2024-05-09"
    planner = [e["timestamp"][:10] for e, lab in zip(events, labels) if lab["root_cause"] == "planner_unavailable"]
    assert sum(d in ("2024-05-13", "2024-05-14") for d in planner) > 0.5 * len(planner)
    assert len(tenants["teams_chat_consent_missing"]) == 3 and len({e["tenant_id"] for e in events}) == 12
    users = Counter(e["user_id"] for e in events)
    assert 150 < len(users) <= 400 and users.most_common(1)[0][1] > 5 * len(events) / len(users)
    assert any("client" in e for e in events) and any("release" in e for e in events)


@pytest.mark.parametrize("ext", ["csv", "json", "jsonl"])
def test_formats_round_trip(tmp_path, ext):
    events, truth = generate(400, seed=9)
    path, truth_path = write_samples(tmp_path / f"t.{ext}", n=400, seed=9)
    assert [_normal(r) for r in _read(path)] == [_normal(e) for e in events]
    assert _read(truth_path) == truth


def test_checked_in_samples_are_current_and_agree(tmp_path):
    events, truth = generate(3000, seed=7)
    for ext in ("csv", "json", "jsonl"):
        fresh, _ = write_samples(tmp_path / f"telemetry.{ext}", n=3000, seed=7)
        assert (SAMPLES / f"telemetry.{ext}").read_bytes() == fresh.read_bytes(), f"regenerate telemetry.{ext}"
        assert [_normal(r) for r in _read(SAMPLES / f"telemetry.{ext}")] == [_normal(e) for e in events]
    assert _read(SAMPLES / "telemetry.truth.csv") == truth
    assert (SAMPLES / "README.md").is_file()


def test_malformed_cases_cover_every_problem():
    cases = malformed_cases()
    names = Counter(name for name, _ in cases)
    assert names["good"] == 10
    assert {"missing_evaluation_id", "number_as_text", "skill_output_list", "skill_output_bool", "empty_row",
            "duplicate_evaluation_id", "bad_timestamp", "oversized_field"} <= set(names)


def test_malformed_jsonl_holds_each_bad_row():
    rows = _read(SAMPLES / "malformed.jsonl")
    assert rows == [row for _, row in malformed_cases()]
    ids = [r["evaluation_id"] for r in rows if "evaluation_id" in r]
    assert any(r and "evaluation_id" not in r for r in rows)
    assert any(r.get("customer_prompt") == 42 for r in rows)
    assert any(isinstance(r.get("skill_output"), list) for r in rows)
    assert any(r.get("skill_output") is True for r in rows)
    assert {} in rows and len(ids) - len(set(ids)) == 1
    assert any(len(str(v)) >= 2 * 1024 * 1024 for r in rows for v in r.values())
    bad_times = 0
    for r in rows:
        try:
            datetime.fromisoformat(r.get("timestamp", "2024-05-01"))
        except ValueError:
            bad_times += 1
    assert bad_times == 2


def test_malformed_csv_matches_jsonl(tmp_path):
    rows = _read(SAMPLES / "malformed.csv")
    assert len(rows) == len(malformed_cases())
    assert any(all(v == "" for v in r.values()) for r in rows)
    assert any(r["customer_prompt"] == "42" for r in rows) and any(r["skill_output"] == "true" for r in rows)
    assert write_malformed(tmp_path / "m.csv").read_bytes() == (SAMPLES / "malformed.csv").read_bytes()


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(InputError):
        write_events(tmp_path / "x.parquet", [])
    with pytest.raises(InputError):
        generate(-1)
    assert generate(0) == ([], [])
