"""Views: which text of an event gets embedded. The view decides what the clusters mean.

- cause (default): what the error means, apart from how it was written (lens_core.parse.meaning): status,
  error code or class as words, message sense; no plugin name, no JSON keys, frames or ids. One cause
  reported in several forms and by several plugins shares most of this text. This is the view that
  finds root causes on telemetry lens was not written against.
- error: the parsed error: plugin, status with its reason phrase, error code or type, endpoint
  template and the masked message template. Events sharing a fingerprint share this text exactly, so it is
  embedded once; near-identical signatures (one cause reported in several surface forms) land close.
  Closer to the exact signature than `cause`: it splits one cause by plugin and by wording.
- intent: the customer's prompt: who is hurt, doing what. An error-only event (no prompt) reads as
  NO_PROMPT, one text for all of them, which the run leaves out of every group (noise) and counts.
- prompt_output / input_output: the original design's texts (`customer_prompt + skill_output`,
  `skill_input + skill_output`); kept for comparison: they group by what users asked, not by cause.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter

import numpy as np
import pandas as pd

from lens_core.parse.meaning import Meaning, family_of_meaning, meaning_of, meaning_texts
from lens_core.parse.meaning import status_phrase as meaning_status_phrase
from lens_core.registry import REGISTRY, ViewBackend

# Raw skill_output can be a whole HTML page; the model reads 256 word pieces anyway.
_RAW_CHARS = 2000


def status_phrase(code: object) -> str:
    """'401 Unauthorized' for 401; '' when there is no status (None or NaN from a frame)."""
    if code is None or pd.isna(code):
        return ""
    return meaning_status_phrase(int(code))


def _clean(series: pd.Series) -> pd.Series:
    return series.fillna("").astype(str)


_PLACEHOLDER = re.compile(r"<[A-Z]+>")


def error_view(events: pd.DataFrame) -> pd.Series:
    """plugin | status phrase | code or exception class | message template without its placeholders.

    The endpoint is left out on purpose: one cause (an expired token) fails every endpoint of a plugin,
    and the endpoint stays in the fingerprint and the evidence. Placeholders (<NUM>, <GUID>) are dropped
    because they say nothing about the cause but weigh on the embedding.
    """
    code = events["error_code"].where(events["error_code"].notna(), events["error_type"])
    columns = (events["plugin"], events["status_code"], code, events["message_template"])
    # numpy object arrays: iterating pandas' Arrow-backed strings directly costs far more than the texts
    rows = zip(*(column.to_numpy(dtype=object, na_value=None) for column in columns))
    texts: dict[tuple[object, ...], str] = {}  # a few thousand distinct errors among 100k events
    return pd.Series(
        [texts[row] if row in texts else texts.setdefault(row, _error_text(*row)) for row in rows],
        index=events.index, dtype=object,
    ).astype(str)


def _error_text(plugin: object, status: object, code: object, template: object) -> str:
    parts = [
        plugin if isinstance(plugin, str) else "",
        status_phrase(status),
        code.rsplit(".", 1)[-1] if isinstance(code, str) else "",  # requests.exceptions.HTTPError -> HTTPError
        " ".join(_PLACEHOLDER.sub(" ", template).split()) if isinstance(template, str) else "",
    ]
    return " | ".join(p for p in parts if p)


def cause_view(events: pd.DataFrame) -> pd.Series:
    """The meaning text of each event's parsed error, read across the batch (lens_core.parse.meaning)."""
    template, message = _template_or_message(events)
    columns = (events["status_code"], events["error_code"], events["error_type"], template, message, events["plugin"])
    rows = list(zip(*(column.to_numpy(dtype=object, na_value=None) for column in columns)))
    counts = Counter(rows)  # one meaning per distinct parsed error, weighted by its events
    distinct = sorted(counts, key=repr)
    texts = dict(zip(distinct, meaning_texts([_meaning(*row) for row in distinct], [counts[r] for r in distinct])))
    return pd.Series([texts[row] for row in rows], index=events.index, dtype=object).astype(str)


def _template_or_message(events: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """What to read each event's meaning from: its fingerprint's template, which many events share (so
    meanings are computed per template, not per id-laden message); but the raw message where the template
    masked a quoted text, because a quoted sentence may be the service's own words. One of the two is
    missing in each row."""
    template = events["message_template"]
    quoted = template.isna() | template.str.contains("<QUOTED>", regex=False).fillna(True).astype(bool)
    return template.where(~quoted), events["error_message"].where(quoted)


def _meaning(
    status: object, code: object, error_type: object, template: object, message: object, plugin: object
) -> Meaning:
    return meaning_of(
        status_code=None if status is None or pd.isna(status) else int(status),  # type: ignore[arg-type]
        error_code=code if isinstance(code, str) else None,
        error_type=error_type if isinstance(error_type, str) else None,
        message=message if isinstance(message, str) else None,
        message_template=template if isinstance(template, str) else None,
        plugin=plugin if isinstance(plugin, str) else None,
    )


# What an error-only event is under the intent view: one text for all of them, so they stay in the run (its
# assignments, its map) as one point, which the pipeline then makes noise (lens_core.runs.pipeline).
NO_PROMPT = "(no prompt: error-only event)"


def intent_view(events: pd.DataFrame) -> pd.Series:
    prompts = _clean(events["customer_prompt"])
    return prompts.where(prompts.str.strip() != "", NO_PROMPT)


def without_prompt(texts: pd.Series) -> int:
    """How many events of a view's texts are error-only events read as NO_PROMPT (intent view only)."""
    return int((texts == NO_PROMPT).sum())


def prompt_output_view(events: pd.DataFrame) -> pd.Series:
    return _clean(events["customer_prompt"]) + "\n" + _clean(events["skill_output"]).str.slice(0, _RAW_CHARS)


def input_output_view(events: pd.DataFrame) -> pd.Series:
    return _clean(events["skill_input"]) + "\n" + _clean(events["skill_output"]).str.slice(0, _RAW_CHARS)


def build_view(name: str, events: pd.DataFrame) -> pd.Series:
    """The text of each event under the view registered as `name` (lens_core.registry)."""
    texts = REGISTRY.get("view", name).load()(events)
    # An event whose view is empty (no prompt, unparseable error) still needs a point: give it a marker
    # text so that all such events group together instead of vanishing.
    return texts.where(texts.str.strip() != "", "(empty)")


def families_of(view: str, texts: list[str]) -> list[str]:
    """The failure family each text states, for views whose texts state one (the cause view's begin with
    the status); '' for every text of the others (a prompt's words name no failure family)."""
    row = REGISTRY.get("view", view)
    if not (isinstance(row, ViewBackend) and row.states_families):
        return [""] * len(texts)
    return [family_of_meaning(text) for text in texts]


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()


def distinct_texts(texts: pd.Series) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The distinct texts (the points), their hashes, and each event's point.

    Points are in the canonical order of their hashes, which makes a run independent of ingestion order.
    Each distinct text is hashed once.
    """
    text_of_event, distinct = pd.factorize(texts)
    distinct_hashes = np.array([text_hash(text) for text in distinct], dtype=object)
    order = np.argsort(distinct_hashes)
    point_of_distinct = np.empty_like(order)
    point_of_distinct[order] = np.arange(len(order))
    return [distinct[i] for i in order], distinct_hashes[order], point_of_distinct[text_of_event]
