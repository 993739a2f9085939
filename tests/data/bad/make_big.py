"""The corpus's big files, generated at test time instead of committed (see README.md here).

    python tests/data/bad/make_big.py OUT_DIR      # writes them into OUT_DIR

- big_field.jsonl: four events; the second's skill_output is a 10,000,000-character field.
- deep.json: six events; the second's skill_output is nested 10,000 levels deep (Python's decoder stops
  near 1,000), the fourth holds such a document as JSON *text*, the fifth is nested 500 levels.
- tenth_bad.csv: 100,000 rows; every tenth (rows 10, 20, ..., 100000) has an empty skill_output (an
  empty prompt is an error-only event, kept; an event without its error is refused).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

BIG_FIELD_CHARS = 10_000_000
DEEP_LEVELS = 10_000
TENTH_BAD_ROWS = 100_000
_COLUMNS = "evaluation_id,customer_prompt,skill_input,skill_output,ai_output,timestamp,user_id\n"


def event(eid: str, **fields: object) -> dict[str, object]:
    return {"evaluation_id": eid, "customer_prompt": f"prompt of {eid}", "skill_input": "Calendar.create_event()",
            "skill_output": "HTTP 503 Service Unavailable", "ai_output": "Sorry.", "user_id": "user-1", **fields}


def nested(levels: int) -> str:
    return '{"a": ' * levels + '"bottom"' + "}" * levels


def big_field(path: Path) -> None:
    lines = [json.dumps(event("bf-1")), json.dumps(event("bf-2", skill_output="x" * BIG_FIELD_CHARS)),
             json.dumps(event("bf-3")), json.dumps(event("bf-4"))]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def deep(path: Path) -> None:
    def encoded(eid: str, skill_output_json: str) -> str:
        head = json.dumps(event(eid, skill_output=None))
        return head.replace('"skill_output": null', f'"skill_output": {skill_output_json}')

    elements = [
        json.dumps(event("deep-1")),
        encoded("deep-2", nested(DEEP_LEVELS)),
        json.dumps(event("deep-3")),
        json.dumps(event("deep-4", skill_output=nested(DEEP_LEVELS))),
        encoded("deep-5", nested(500)),
        json.dumps(event("deep-6")),
    ]
    path.write_text("[\n" + ",\n".join(elements) + "\n]\n", encoding="utf-8")


def tenth_bad(path: Path) -> None:
    rows = [_COLUMNS]
    for n in range(1, TENTH_BAD_ROWS + 1):
        output = "" if n % 10 == 0 else "HTTP 429 Too Many Requests"
        rows.append(f"tb-{n},schedule meeting {n},Calendar.create_event(),{output},Sorry.,"
                    f"2024-05-01T10:00:00Z,user-{n % 97}\n")
    path.write_text("".join(rows), encoding="utf-8")


GENERATORS = {"big_field.jsonl": big_field, "deep.json": deep, "tenth_bad.csv": tenth_bad}


def generate(out_dir: Path) -> Path:
    """Write every generated file into out_dir (made if needed); returns out_dir."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, make in GENERATORS.items():
        if not (out_dir / name).exists():
            make(out_dir / name)
    return out_dir


if __name__ == "__main__":
    print(generate(Path(sys.argv[1] if len(sys.argv) > 1 else ".")))
