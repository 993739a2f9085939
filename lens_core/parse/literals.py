"""Objects embedded at the end of a text, as SDKs print them into their messages: JSON, the repr of a Python
dict ("Error code: 429 - {'error': {...}}") or a Node.js object literal ("data: { errors: { f: 'x' } }").
Each is read without running code (ast.literal_eval, or a rewrite to JSON) and bounded in size.
"""

from __future__ import annotations

import ast
import json
import re
from typing import Any

from lens_core.parse.json_bodies import fields_from_json, load_json
from lens_core.parse.messages import SCAN


def embedded_object_fields(text: str) -> dict[str, Any] | None:
    """The fields of an object that ends a text, or is all of it: JSON, or the repr of a Python dict, which
    Python SDKs print into their messages ("Error code: 429 - {'error': {...}}", "The server responded with:
    {...}", zenpy's "APIException: {"error": "..."}")."""
    start = text.find("{", 0, SCAN)
    if start < 0 or not text.rstrip().endswith("}") or len(text) > 200_000:
        return None
    obj = load_json(text[start:])
    if obj is None:
        obj = _python_literal(text[start:]) if "'" in text[start:] else None
    if obj is None:
        obj = _js_literal(text[start:])
    return fields_from_json(obj) if isinstance(obj, dict) else None


MAX_LITERAL = 20_000  # characters of a Python repr read with ast.literal_eval (it builds the whole object)
MAX_JS_LITERAL = 4000  # an unclosed quote makes each later quote scan to the end: bounded, it stays cheap
# Node's util.inspect prints objects with bare keys and single-quoted strings ("data: { errors: { f: 'x' } }"):
# a quoted string is one token (its inside untouched), a bare key before ":" gets quotes, then JSON reads it.
_JS_TOKEN = re.compile(r"""'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|([A-Za-z_$][\w$]*)(\s*:)""")


def _python_literal(text: str) -> Any:
    """ast.literal_eval for a short, shallow repr: it evaluates literals only (no code runs); None otherwise."""
    if len(text) > MAX_LITERAL or text.count("{") + text.count("[") > 200:
        return None
    try:
        return ast.literal_eval(text.strip())
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None


def _js_literal(text: str) -> Any:
    """A JavaScript object literal as Node prints it, read as JSON; None when it is not one (or too long)."""
    if len(text) > MAX_JS_LITERAL:
        return None
    return load_json(_JS_TOKEN.sub(_js_token_as_json, text))


def _js_token_as_json(match: re.Match[str]) -> str:
    token = match.group(0)
    if match.group(1):
        return json.dumps(match.group(1)) + match.group(2)
    if token.startswith("'"):
        return json.dumps(token[1:-1].replace("\\'", "'"))
    return token

