"""Small readings of counts and messages that sentences share: the offline summary's, the titles' and the
reasons trends give."""

from __future__ import annotations

import re

from lens_core.schema import Count


def top(counts: list[Count]) -> Count | None:
    return counts[0] if counts else None


def pct(count: int, size: int) -> str:
    return f"{round(100 * count / size) if size else 0}%"


def dominant(counts: list[Count], size: int) -> Count | None:
    """The top value when at least half the events have it: a minority code would mislabel the cluster."""
    first = top(counts)
    return first if first and size and first.count / size >= 0.5 else None


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def plural(n: int, noun: str) -> str:
    """'1 event', '3 events'."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def template_words(template: str) -> str:
    """A message pattern as words: its placeholders, the `key=` and brackets they leave empty, and stray
    separators dropped."""
    text = re.sub(r"[\w.-]+=\s*<\*>[\w%]*", " ", template).replace("<*>", " ")
    text = re.sub(r"[\w.-]+=(?=[\s,;)\]}]|$)", " ", text)
    text = re.sub(r"\([\s,;:]*\)|\[[\s,;:]*\]|\{[\s,;:]*\}|(['\"])\s*\1", " ", text)
    text = re.sub(r"([,;:])(\s*[,;:])+", r"\1", text)
    text = re.sub(r"\s+([,.:;)\]}])", r"\1", re.sub(r"([(\[{])[\s,;:]+", r"\1", text))
    return " ".join(text.split()).strip(" ,;:-")
