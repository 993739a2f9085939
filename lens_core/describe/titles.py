"""No two clusters of a run share a title: an analyst who sees the same name twice cannot tell them apart.

Titles come from each cluster's own evidence (plugin · status · code), so two clusters of one cause
family can get the same one. Each group of equal titles gets a qualifier from the first evidence that
tells all its clusters apart without restating the title (a code "Forbidden" under "403 Forbidden" tells
nothing): the top error code or type, the top plugin, the top endpoint, then the top message pattern as
words; a size rank only when the evidence is identical (the clusters then differ only in wording, which
the detail page shows).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from lens_core.describe.phrasing import template_words
from lens_core.schema import ClusterDigest, Count

MAX_QUALIFIER = 40


def _top(counts: list[Count]) -> str:
    return counts[0].value if counts else ""


_QUALIFIERS: tuple[Callable[[ClusterDigest], str], ...] = (
    lambda d: _top(d.error_codes) or _top(d.error_types).rsplit(".", 1)[-1],
    lambda d: _top(d.plugins),
    lambda d: _top(d.endpoints),
    lambda d: template_words(_top(d.patterns)),
)


def distinct_titles(titles: dict[int, str], digests: dict[int, ClusterDigest], max_length: int) -> dict[int, str]:
    """The titles, each made unique among the run's clusters (see the module docstring)."""
    by_title: dict[str, list[int]] = defaultdict(list)
    for label in sorted(titles):
        by_title[titles[label]].append(label)
    out = dict(titles)
    for title, labels in by_title.items():
        if len(labels) < 2:
            continue
        qualifiers = _telling_apart(title, [digests[label] for label in labels])
        for label, qualifier in zip(labels, qualifiers):
            out[label] = _join(title, qualifier, max_length)
    if len(set(out.values())) < len(out):  # a qualified title met another cluster's own title
        seen: dict[str, int] = {}
        for label in sorted(out, key=lambda lab: (lab < 0, lab)):
            seen[out[label]] = seen.get(out[label], 0) + 1
            if seen[out[label]] > 1:
                out[label] = _join(out[label], f"#{seen[out[label]]}", max_length)
    return out


def _telling_apart(title: str, digests: list[ClusterDigest]) -> list[str]:
    for qualifier in _QUALIFIERS:
        values = [_short(qualifier(d)) for d in digests]
        restated = any(value.lower() in title.lower() for value in values)
        if all(values) and len(set(values)) == len(values) and not restated:
            return values
    return [f"#{rank}" for rank in range(1, len(digests) + 1)]  # digests come largest first


def _short(value: str) -> str:
    value = " ".join(value.split())
    return value if len(value) <= MAX_QUALIFIER else value[: MAX_QUALIFIER - 1].rstrip() + "…"


def _join(title: str, qualifier: str, max_length: int) -> str:
    """'title — qualifier', the title clipped so the qualifier always shows."""
    room = max_length - len(qualifier) - 3
    if len(title) > room:
        title = title[: max(room - 1, 1)].rstrip() + "…"
    return f"{title} — {qualifier}"
