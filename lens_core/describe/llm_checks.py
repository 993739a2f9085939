"""What an LLM answer must be: the JSON schema sent with the request, and the checks of the answer.

    ANSWER_SCHEMA          the schema answers are validated against
    RESPONSE_FORMAT        the same schema as a structured-outputs request (`response_format`)
    check(content, ...)    (the answer, "") when it is valid, grounded and original, else (None, one line why)

An answer is refused when it is not JSON, breaks the schema (a field outside it, a missing field, a
wrong type: each said in words, naming the field), cites samples or figures the evidence lacks, or
echoes its instructions: a run of ECHO_WORDS consecutive words of the system prompt in any text field
means the model repeated what it was told (or telemetry made it), not what it found.
"""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema

ECHO_WORDS = 8
_TEXT_FIELDS = ("summary", "root_cause", "suggested_fix")

ANSWER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["summary", "root_cause", "evidence", "suggested_fix", "severity", "confidence"],
    "properties": {
        "summary": {"type": "string", "minLength": 3, "maxLength": 120},
        "root_cause": {"type": "string", "minLength": 3, "maxLength": 2000},
        "evidence": {
            "type": "object",
            "additionalProperties": False,
            "required": ["sample_ids", "figures"],
            "properties": {
                "sample_ids": {"type": "array", "minItems": 1, "maxItems": 20, "items": {"type": "string"}},
                "figures": {"type": "array", "maxItems": 40, "items": {"type": "number"}},
            },
        },
        "suggested_fix": {"type": "string", "maxLength": 1000},
        "severity": {"type": "string", "enum": ["high", "medium", "low"]},
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
    },
}
VALIDATOR = jsonschema.Draft202012Validator(ANSWER_SCHEMA)
# Structured outputs' strict mode takes a subset of JSON Schema without string lengths; the lengths are
# still checked here on the answer.
_NOT_STRICT = {"minLength", "maxLength"}


def _strict(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {k: _strict(v) for k, v in schema.items() if k not in _NOT_STRICT}
    return schema


RESPONSE_FORMAT: dict[str, Any] = {
    "type": "json_schema",
    "json_schema": {"name": "cluster_summary", "strict": True, "schema": _strict(ANSWER_SCHEMA)},
}
JSON_OBJECT_FORMAT: dict[str, Any] = {"type": "json_object"}

_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.]*\w)")
_WORD = re.compile(r"[a-z0-9]+")
_JSON_TYPES = {dict: "an object", list: "a list", str: "a string", bool: "true/false", int: "a number",
               float: "a number", type(None): "null"}


def numbers(value: Any) -> set[float]:
    """Every number in a JSON value, including numbers written inside its strings."""
    if isinstance(value, bool):
        return set()
    if isinstance(value, (int, float)):
        return {float(value)}
    if isinstance(value, str):
        return {float(n) for n in _NUMBER.findall(value)}
    if isinstance(value, dict):
        return set().union(*(numbers(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(numbers(v) for v in value)) if value else set()
    return set()


def check(content: str | None, *, sample_ids: set[str] | dict[str, str], figures: frozenset[float],
          instructions: str) -> tuple[dict[str, Any] | None, str]:
    """(the answer, "") when it is schema-valid, grounded and no echo of `instructions`, else (None, why)."""
    if not content:
        return None, "the answer was empty"
    try:
        parsed = json.loads(content)
    except json.JSONDecodeError as exc:
        return None, f"the answer is not valid JSON ({exc.msg} at character {exc.pos})"
    errors = sorted(VALIDATOR.iter_errors(parsed), key=lambda e: (len(e.path), list(map(str, e.path))))
    if errors:
        return None, describe(errors[0])
    unknown = [s for s in parsed["evidence"]["sample_ids"] if s not in sample_ids]
    if unknown:
        return None, f"the answer cites sample ids that were not given: {', '.join(map(str, unknown[:5]))}"
    stray = [f for f in parsed["evidence"]["figures"] if not _known(float(f), figures)]
    # Numbers written in the title or root cause must be in the evidence too (small counts are words).
    stray += [n for n in numbers(parsed["summary"] + " " + parsed["root_cause"]) if n > 10 and not _known(n, figures)]
    if stray:
        return None, f"the answer gives figures not in the evidence: {', '.join(f'{n:g}' for n in stray[:5])}"
    echoed = echo(parsed, instructions)
    if echoed:
        return None, echoed
    return parsed, ""


def describe(error: jsonschema.ValidationError) -> str:
    """One line in words for a schema error, naming the field ("'evidence' must be an object, not a list")."""
    where = "/".join(str(p) for p in error.path)
    field = f"'{where}'" if where else "the answer"
    kind, value = error.validator, error.instance
    if kind == "additionalProperties":
        extra = sorted(set(value) - set(error.schema.get("properties", {})))
        return f"{field} has fields outside the schema: {', '.join(map(str, extra[:5]))}"
    if kind == "required":
        missing = [k for k in error.validator_value if k not in value]
        return f"{field} lacks the field{'s' if len(missing) > 1 else ''} {', '.join(missing)}"
    if kind == "type":
        return f"{field} must be {_JSON_TYPES.get(_json_type(error.validator_value), error.validator_value)}, " \
               f"not {_JSON_TYPES.get(type(value), type(value).__name__)}"
    if kind == "enum":
        return f"{field} must be one of {', '.join(map(str, error.validator_value))}, not {str(value)[:40]!r}"
    if kind in ("minLength", "maxLength"):
        bound = "at least" if kind == "minLength" else "at most"
        return f"{field} has {len(value)} characters; it must have {bound} {error.validator_value}"
    if kind in ("minItems", "maxItems"):
        bound = "at least" if kind == "minItems" else "at most"
        return f"{field} has {len(value)} items; it must have {bound} {error.validator_value}"
    if kind in ("minimum", "maximum"):
        bound = "at least" if kind == "minimum" else "at most"
        return f"{field} is {value}; it must be {bound} {error.validator_value}"
    return f"{field} breaks the schema ({kind})"


def _json_type(name: Any) -> type:
    return {"object": dict, "array": list, "string": str, "boolean": bool, "number": float,
            "integer": int, "null": type(None)}.get(name, object)


def echo(parsed: dict[str, Any], instructions: str) -> str:
    """Why the answer repeats its instructions ("" when it does not)."""
    told = _shingles(instructions)
    for name in _TEXT_FIELDS:
        words = _WORD.findall(str(parsed.get(name, "")).lower())
        if any(tuple(words[i:i + ECHO_WORDS]) in told for i in range(len(words) - ECHO_WORDS + 1)):
            return f"'{name}' repeats the instructions (a run of {ECHO_WORDS}+ words of the system prompt)"
    return ""


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.lower())
    return {tuple(words[i:i + ECHO_WORDS]) for i in range(len(words) - ECHO_WORDS + 1)}


def _known(number: float, figures: frozenset[float]) -> bool:
    return any(abs(number - f) < 1e-6 for f in figures)
