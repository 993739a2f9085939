"""Endpoint and plugin names as the parser reports them: paths without host or query, variable
segments as {id}, plugin names in one canonical spelling. Shared by the parser and the fingerprints.
"""

from __future__ import annotations

import functools
import re
from typing import Any
from urllib.parse import urlsplit

KNOWN_PLUGINS = ("Calendar", "Mail", "Teams", "SharePoint", "OneDrive", "Planner", "Search", "People",
                 "To Do", "OneNote", "Outlook", "Contacts", "Excel", "Word", "PowerPoint")
CANONICAL_PLUGINS = {name.lower().replace(" ", ""): name for name in KNOWN_PLUGINS}

_PLUGIN_SUFFIX = re.compile(r"[\s_-]*(?:plugin|skill)$", re.I)
_WORD_SPLIT = re.compile(r"[\s_\-]+")
DOTTED_CALL = re.compile(r"^([A-Za-z][\w ]{0,40}?)\.[A-Za-z_]\w*")  # "Calendar.create_event"
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
_GRAPH_HOSTS = frozenset({"graph.microsoft.com", "graph.microsoft.us", "dod-graph.microsoft.us",
                          "microsoftgraph.chinacloudapi.cn"})
_API_VERSION = re.compile(r"^/(?:v1\.0|beta)(?=/|$)")  # Graph's version prefix: same call, same template

# --- endpoint templates -------------------------------------------------------------------------
_FUNC_ARGS = re.compile(r"\([^()]+\)")  # users('jane@contoso.com'), calendarView(start=...)
_DRIVE_PATH = re.compile(r":/[^:]+(?=:)|(?<=root):/[^:]+$")  # drive paths: root:/Docs/a.docx:/content
_TOKEN_SPLIT = re.compile(r"([/:])")
_KEEP_SEGMENT = re.compile(r"^(?:v\d+(?:\.\d+)?|[A-Za-z]{3,}\d)$")  # "v2.0", "oauth2" are not ids
_HOSTLIKE = re.compile(r"\.(?:com|net|org|io|us|cn|de|uk|edu|gov)$", re.I)  # tenant domains
_DIGIT = re.compile(r"\d")


def _is_variable(segment: str) -> bool:
    """A path segment that names one object (an id, a user, a site) rather than a resource type."""
    segment = segment.removesuffix("({id})")  # a function's name is judged without its arguments
    if _DIGIT.search(segment):
        return not _KEEP_SEGMENT.match(segment)
    return ("@" in segment or "=" in segment or "," in segment or len(segment) >= 32
            or bool(_HOSTLIKE.search(segment)))


def endpoint_template(path: str) -> str:
    """Replace the variable parts of an endpoint path with "{id}" ("{path}" for drive paths)."""
    if not isinstance(path, str) or not path:
        return ""
    return _template(path)


@functools.lru_cache(maxsize=50_000)  # an endpoint recurs (the same user, the same site): templated once
def _template(path: str) -> str:
    path = _DRIVE_PATH.sub(":{path}", _FUNC_ARGS.sub("({id})", path))
    out = []
    for token in _TOKEN_SPLIT.split(path):
        if token.startswith("{") and token.endswith("}"):
            out.append(token if token == "{path}" else "{id}")  # "{event-id}" in a spec is an id too
        elif token in ("/", ":") or not _is_variable(token):
            out.append(token)
        else:
            out.append("{id}")
    return "".join(out)


def normalize_endpoint(raw: Any) -> str | None:
    """A URL or path -> its path: no scheme, host or query; Graph's /v1.0 and /beta dropped."""
    if not isinstance(raw, str) or not raw.strip():
        return None
    raw = raw.strip()[:2000]
    if _SCHEME.match(raw):
        try:
            parts = urlsplit(raw)
            host = (parts.hostname or "").lower()
        except ValueError:  # e.g. an unbalanced IPv6 bracket
            return None
        path = parts.path or "/"
        if host in _GRAPH_HOSTS:
            path = _API_VERSION.sub("", path) or "/"
        return path[:500]
    path = re.split(r"[?#]", raw, maxsplit=1)[0]
    if "/" in path:  # a relative Graph path: treated like one on graph.microsoft.com
        path = _API_VERSION.sub("", path if path.startswith("/") else "/" + path) or "/"
    return path[:500] or None


def normalize_plugin(name: Any) -> str | None:
    """ "calendar", "CalendarPlugin", "calendar_plugin" -> "Calendar"; "todo" -> "To Do"."""
    if not isinstance(name, str):
        return None
    return _normalize_plugin(name)


@functools.lru_cache(maxsize=10_000)  # a few plugin names fill millions of events: each spelling once
def _normalize_plugin(name: str) -> str | None:
    name = name.strip()[:80]
    call = DOTTED_CALL.match(name)
    if call:  # "Calendar.create_event" names the plugin and the action
        name = call.group(1)
    words = [w for w in _WORD_SPLIT.split(_PLUGIN_SUFFIX.sub("", name)) if w]
    key = "".join(words).lower()
    if not key:
        return None
    if key in CANONICAL_PLUGINS:
        return CANONICAL_PLUGINS[key]
    if all(w.islower() or w.isupper() for w in words):
        return " ".join(w.capitalize() for w in words)
    return " ".join(words)  # already cased by its author ("MyCustomCRM"): kept
